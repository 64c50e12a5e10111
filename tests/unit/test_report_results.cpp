// results.json: outcomes over attempts (flaky), counts and exit codes, round trip, schema
// versions, streamed writing.
#include <gtest/gtest.h>

#include <sstream>

#include "report_test_util.h"
#include "rig/report/results.h"

namespace {

using namespace report_test;
using rig::report::outcome_of;

TEST(Results, OutcomeOverAttempts) {
  EXPECT_EQ(outcome_of({Status::pass, Status::pass}), Status::pass);
  EXPECT_EQ(outcome_of({Status::pass, Status::fail}), Status::flaky);
  EXPECT_EQ(outcome_of({Status::fail, Status::pass}), Status::flaky);
  EXPECT_EQ(outcome_of({Status::error, Status::pass}), Status::flaky);
  EXPECT_EQ(outcome_of({Status::fail, Status::error}), Status::fail);
  EXPECT_EQ(outcome_of({Status::error, Status::error}), Status::error);
  EXPECT_EQ(outcome_of({Status::skipped, Status::pass}), Status::pass);
  EXPECT_EQ(outcome_of({Status::skipped, Status::fail}), Status::fail);
  EXPECT_EQ(outcome_of({Status::skipped}), Status::skipped);
  EXPECT_EQ(outcome_of({}), Status::skipped);
}

TEST(Results, CountsScenariosByOutcomeAndExitCodes) {
  RunResult r = sample_run();
  auto c = r.counts();
  EXPECT_EQ(c.pass, 1);
  EXPECT_EQ(c.fail, 1);
  EXPECT_EQ(c.error, 1);
  EXPECT_EQ(c.skipped, 1);
  EXPECT_EQ(c.attempts, 4);
  EXPECT_EQ(r.exit_code(), 1);  // a failure outranks an infrastructure error
  r.scenarios.erase(r.scenarios.begin() + 1);
  EXPECT_EQ(r.exit_code(), 3);
  r.scenarios.erase(r.scenarios.begin() + 1);
  EXPECT_EQ(r.exit_code(), 0);

  // Three attempts of one scenario: one scenario, flaky; flaky does not fail the run.
  RunResult repeat;
  repeat.scenarios = {attempt("qr/paid", Status::pass, 1), attempt("qr/paid", Status::fail, 2),
                      attempt("qr/paid", Status::pass, 3)};
  c = repeat.counts();
  EXPECT_EQ(c.total(), 1);
  EXPECT_EQ(c.flaky, 1);
  EXPECT_EQ(c.attempts, 3);
  EXPECT_EQ(repeat.exit_code(), 0);
  // An attempt that errored (a service died) is not made good by another that passed.
  RunResult spoiled;
  spoiled.scenarios = {attempt("qr/paid", Status::pass, 1), attempt("qr/paid", Status::error, 2)};
  EXPECT_EQ(spoiled.counts().flaky, 1);
  EXPECT_EQ(spoiled.exit_code(), 3);
  spoiled.scenarios[1].run_id = "an-earlier-run";  // carried by --rerun-failed: not this run's
  EXPECT_EQ(spoiled.exit_code(), 0);
  repeat.judge();
  for (const auto& s : repeat.scenarios) {
    EXPECT_EQ(s.outcome, Status::flaky);
    EXPECT_EQ(s.attempts, 3);
  }
}

TEST(Results, JsonRoundTripKeepsAttemptsAndRunHeader) {
  RunResult r = sample_run();
  r.scenarios.push_back(attempt("reversal/approval-lost", Status::pass, 2));
  r.scenarios.back().run_id = "posrig-run-rerun1";
  nlohmann::json j = rig::report::to_json(r);
  EXPECT_EQ(j["schema_version"], 2);
  EXPECT_EQ(j["summary"]["total"], 4);
  EXPECT_EQ(j["summary"]["flaky"], 1);
  EXPECT_EQ(j["summary"]["attempts"], 5);
  EXPECT_EQ(j["overrides"]["bugs"], "no-reversal");
  EXPECT_EQ(j["git"]["commit"], "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(j["seed"], "7");
  EXPECT_EQ(j["shuffle"], true);
  const nlohmann::json& second = j["scenarios"][4];
  EXPECT_EQ(second["attempt"], 2);
  EXPECT_EQ(second["status"], "pass");
  EXPECT_EQ(second["outcome"], "flaky");
  EXPECT_EQ(second["attempts"], 2);
  EXPECT_EQ(second["run_id"], "posrig-run-rerun1");
  RunResult back = rig::report::run_from_json(j);
  EXPECT_EQ(rig::report::to_json(back), j);
}

TEST(Results, StreamedDocumentEqualsTheTree) {
  RunResult r = sample_run();
  std::ostringstream out;
  rig::report::write_json(r, out);
  EXPECT_EQ(nlohmann::json::parse(out.str()), rig::report::to_json(r));
  RunResult none = sample_run();
  none.scenarios.clear();
  std::ostringstream empty;
  rig::report::write_json(none, empty);
  EXPECT_EQ(nlohmann::json::parse(empty.str())["scenarios"], nlohmann::json::array());
}

TEST(Results, TextThatIsNotUtf8IsReplacedNotFatal) {
  RunResult r = sample_run();
  r.scenarios[0].name = std::string("bad \xff\xfe name");
  r.scenarios[0].timeline.push_back(
      {{"t_ms", 1}, {"kind", "note"}, {"fields", {{"text", "\xc3"}}}});
  std::ostringstream out;
  rig::report::write_json(r, out);
  nlohmann::json j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["scenarios"][0]["name"], "bad \xEF\xBF\xBD\xEF\xBF\xBD name");
}

TEST(Results, ReadsVersionOneAndRejectsOthers) {
  nlohmann::json j = rig::report::to_json(sample_run());
  j["schema_version"] = 1;
  for (auto& s : j["scenarios"]) s.erase("attempt");
  RunResult v1 = rig::report::run_from_json(j);
  EXPECT_EQ(v1.scenarios[1].attempt, 1);
  EXPECT_EQ(v1.scenarios[1].status, Status::fail);
  j["schema_version"] = 99;
  try {
    rig::report::run_from_json(j);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "results schema_version 99 is not supported (this rig reads 1 and 2)");
  }
  EXPECT_THROW(rig::report::run_from_json(nlohmann::json::object()), std::runtime_error);
  nlohmann::json no_list = rig::report::to_json(sample_run());
  no_list.erase("scenarios");
  EXPECT_THROW(rig::report::run_from_json(no_list), std::runtime_error);
}

TEST(Results, TerminalVersionsPerStation) {
  RunResult r = sample_run();
  r.scenarios[2].terminal_version = "vterm-1.1";
  auto v = rig::report::terminal_versions(r);
  EXPECT_EQ(v["lane1"], "vterm-1.0");
  EXPECT_EQ(v["lane2"], "vterm-1.1");
  // A station that ran nothing: the version its READY line gave.
  r.stations.push_back({"lane3", "rig-ecr", "tcp:10.0.0.3:5000", "", "acme-4.2"});
  r.stations[0].version = "ignored-when-status-says";
  v = rig::report::terminal_versions(r);
  EXPECT_EQ(v["lane3"], "acme-4.2");
  EXPECT_EQ(v["lane1"], "vterm-1.0");
}

TEST(Results, UtcTimestampShape) {
  std::string t = rig::report::utc_now_iso8601();
  ASSERT_EQ(t.size(), 24u) << t;
  EXPECT_EQ(t[10], 'T');
  EXPECT_EQ(t.back(), 'Z');
}

}  // namespace
