// results.json and junit.xml: content, exit codes, round trip, atomic writing.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "rig/report/results.h"

namespace {

using rig::report::RunResult;
using rig::report::ScenarioResult;
using rig::report::Status;

RunResult sample_run() {
  RunResult r;
  r.run_id = "20261122-014151";
  r.rig_version = "0.1.0";
  r.bench_name = "virtual";
  r.started_at = "2026-11-22T01:41:51.000Z";
  ScenarioResult pass;
  pass.id = "reversal/after-approval";
  pass.name = "network drops after approval";
  pass.family = "reversal";
  pass.status = Status::pass;
  pass.attempts = 1;
  pass.duration_ms = 1234.5;
  pass.checks.push_back({"s.yaml:5:5", "result", true, "status=FAILED", "status=FAILED", 10});
  ScenarioResult fail = pass;
  fail.id = "printer/paper-out";
  fail.family = "printer";
  fail.name = "paper <out> & \"reload\"";
  fail.status = Status::fail;
  fail.message = "s.yaml:9:5: expected event PAPER_OUT within 5s, saw none";
  ScenarioResult err = pass;
  err.id = "card/mute";
  err.family = "card";
  err.status = Status::error;
  err.message = "station lane1: /dev/pts/9: open failed: No such file or directory";
  r.scenarios = {pass, fail, err};
  return r;
}

TEST(Results, CountsAndExitCodes) {
  RunResult r = sample_run();
  auto c = r.counts();
  EXPECT_EQ(c.pass, 1);
  EXPECT_EQ(c.fail, 1);
  EXPECT_EQ(c.error, 1);
  EXPECT_EQ(r.exit_code(), 1);  // a failure outranks an infrastructure error
  r.scenarios.erase(r.scenarios.begin() + 1);
  EXPECT_EQ(r.exit_code(), 3);
  r.scenarios.pop_back();
  EXPECT_EQ(r.exit_code(), 0);
}

TEST(Results, JsonRoundTrip) {
  RunResult r = sample_run();
  nlohmann::json j = rig::report::to_json(r);
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["summary"]["total"], 3);
  EXPECT_EQ(j["scenarios"][1]["status"], "fail");
  RunResult back = rig::report::run_from_json(j);
  EXPECT_EQ(rig::report::to_json(back), j);
}

// A long run keeps passed scenarios as text (compact); the written document is the same.
TEST(Results, CompactedScenariosWriteTheSameDocument) {
  RunResult r = sample_run();
  r.scenarios[0].timeline = nlohmann::json::array(
      {{{"t_ms", 1.5}, {"kind", "ecr_out"}, {"fields", {{"payload", "SALE|id=a\u0001"}}}}});
  r.scenarios[0].transcript = r.scenarios[0].timeline;
  const nlohmann::json full = rig::report::to_json(r);
  EXPECT_EQ(nlohmann::json::parse(rig::report::to_json_text(r)), full);
  rig::report::compact(r.scenarios[0]);
  EXPECT_TRUE(r.scenarios[0].timeline.empty());
  EXPECT_FALSE(r.scenarios[0].json_text.empty());
  EXPECT_EQ(rig::report::to_json(r), full);
  const std::string text = rig::report::to_json_text(r);
  EXPECT_EQ(nlohmann::json::parse(text), full);
  EXPECT_EQ(text.find("\x01"), std::string::npos);
  RunResult none = sample_run();
  none.scenarios.clear();
  EXPECT_EQ(nlohmann::json::parse(rig::report::to_json_text(none))["scenarios"], nlohmann::json::array());
}

TEST(Results, RejectsOtherSchemas) {
  nlohmann::json j = rig::report::to_json(sample_run());
  j["schema_version"] = 99;
  try {
    rig::report::run_from_json(j);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "results schema_version 99 is not supported (this rig reads 1)");
  }
  EXPECT_THROW(rig::report::run_from_json(nlohmann::json::object()), std::runtime_error);
}

TEST(Results, JunitFailureIsFirstCheckAndInfraIsError) {
  std::string x = rig::report::to_junit(sample_run());
  EXPECT_NE(x.find("tests=\"3\" failures=\"1\" errors=\"1\""), std::string::npos) << x;
  EXPECT_NE(x.find("<testcase classname=\"printer\" name=\"paper &lt;out&gt; &amp; &quot;reload&quot;\""),
            std::string::npos)
      << x;
  EXPECT_NE(x.find("<failure message=\"s.yaml:9:5: expected event PAPER_OUT within 5s, saw none\""),
            std::string::npos);
  EXPECT_NE(x.find("<error message=\"station lane1: /dev/pts/9: open failed"), std::string::npos);
}

TEST(Results, WritesAtomically) {
  auto dir = std::filesystem::temp_directory_path() / ("posrig-report-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "results.json").string();
  rig::report::write_atomically(path, "first");
  rig::report::write_atomically(path, "second");
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_EQ(s.str(), "second");
  // No temporary file is left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
  std::filesystem::remove_all(dir);
  try {
    rig::report::write_atomically("/proc/posrig-nope/results.json", "x");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cannot write /proc/posrig-nope/results.json: open: ", 0), 0u)
        << e.what();
  }
}

TEST(Results, UtcTimestampShape) {
  std::string t = rig::report::utc_now_iso8601();
  ASSERT_EQ(t.size(), 24u) << t;
  EXPECT_EQ(t[10], 'T');
  EXPECT_EQ(t.back(), 'Z');
}

}  // namespace
