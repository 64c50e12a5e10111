// Allure results: one {uuid}-result.json per attempt with the fields Allure reads, steps,
// labels, statusDetails, attachments as files beside them, environment.properties.
#include <gtest/gtest.h>

#include <set>

#include "report_test_util.h"
#include "rig/report/allure.h"

namespace {

namespace fs = std::filesystem;
using namespace report_test;
using nlohmann::json;

std::vector<json> results_in(const fs::path& dir) {
  std::vector<json> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 12 && name.substr(name.size() - 12) == "-result.json") {
      json j = json::parse(read_file(e.path()));
      EXPECT_EQ(name, j["uuid"].get<std::string>() + "-result.json");
      out.push_back(j);
    }
  }
  return out;
}

const json* by_name(const std::vector<json>& all, const std::string& full_name, int attempt) {
  for (const auto& j : all) {
    if (j["fullName"] != full_name) continue;
    for (const auto& p : j["parameters"]) {
      if (p["name"] == "attempt" && p["value"] == std::to_string(attempt)) return &j;
    }
  }
  return nullptr;
}

std::string label(const json& j, const std::string& name) {
  std::string out;
  for (const auto& l : j["labels"]) {
    if (l["name"] == name) out += (out.empty() ? "" : ",") + l["value"].get<std::string>();
  }
  return out;
}

TEST(Allure, OneResultPerAttemptWithWhatAllureReads) {
  auto dir = temp_dir("allure");
  RunResult r = sample_run();
  r.scenarios.push_back(attempt("reversal/approval-lost", Status::pass, 2));
  rig::report::write_allure(r, dir.string());
  auto all = results_in(dir);
  ASSERT_EQ(all.size(), 5u);
  std::set<std::string> uuids;
  for (const auto& j : all) {
    uuids.insert(j["uuid"].get<std::string>());
    for (const char* key :
         {"uuid", "historyId", "testCaseId", "fullName", "name", "status", "statusDetails", "stage",
          "start", "stop", "labels", "steps", "attachments", "parameters"}) {
      EXPECT_TRUE(j.contains(key)) << key;
    }
    EXPECT_EQ(j["stage"], "finished");
    EXPECT_GE(j["stop"].get<long long>(), j["start"].get<long long>());
  }
  EXPECT_EQ(uuids.size(), 5u);

  const json* failed = by_name(all, "reversal/approval-lost", 1);
  const json* passed = by_name(all, "reversal/approval-lost", 2);
  ASSERT_TRUE(failed && passed);
  EXPECT_EQ((*failed)["status"], "failed");
  EXPECT_EQ((*passed)["status"], "passed");
  // Attempts of one scenario are Allure retries: one historyId; the scenario is flaky.
  EXPECT_EQ((*failed)["historyId"], (*passed)["historyId"]);
  EXPECT_EQ((*failed)["statusDetails"]["flaky"], true);
  EXPECT_EQ((*failed)["statusDetails"]["message"],
            "scenarios/reversal/approval-lost.yaml:9:5: expected EVENT REVERSAL_STORED within "
            "1000ms; saw RESULT status=FAILED");
  EXPECT_NE(
      (*failed)["statusDetails"]["trace"].get<std::string>().find("expected  name=REVERSAL_STORED"),
      std::string::npos);
  EXPECT_EQ(label(*failed, "suite"), "reversal");
  EXPECT_EQ(label(*failed, "subSuite"), "lane1");
  EXPECT_EQ(label(*failed, "parentSuite"), "posrig.virtual");
  EXPECT_EQ(label(*failed, "tag"), "nightly,reversal,var:bugs=no-reversal");
  ASSERT_EQ((*failed)["steps"].size(), 2u);
  EXPECT_EQ((*failed)["steps"][0]["status"], "passed");
  EXPECT_EQ((*failed)["steps"][1]["status"], "failed");
  EXPECT_EQ((*failed)["start"], rig::report::epoch_ms("2026-11-22T01:41:51.000Z"));
  // Attachments are files beside the result.
  ASSERT_EQ((*failed)["attachments"].size(), 2u);
  for (const auto& a : (*failed)["attachments"]) {
    EXPECT_TRUE(fs::exists(dir / a["source"].get<std::string>())) << a;
  }
  std::string timeline = read_file(dir / (*failed)["attachments"][0]["source"].get<std::string>());
  EXPECT_NE(timeline.find("host_message    0200 to_host"), std::string::npos) << timeline;

  const json* broken = by_name(all, "card/mute", 1);
  ASSERT_TRUE(broken);
  EXPECT_EQ((*broken)["status"], "broken");
  const json* skipped = by_name(all, "printer/paper-out", 1);
  ASSERT_TRUE(skipped);
  EXPECT_EQ((*skipped)["status"], "skipped");
  EXPECT_EQ((*skipped)["statusDetails"]["message"], "not run: interrupted before it ran");

  std::string env = read_file(dir / "environment.properties");
  EXPECT_NE(env.find("overrides=bugs\\=no-reversal\n"), std::string::npos) << env;
  EXPECT_NE(env.find("terminal.lane1=vterm-1.0\n"), std::string::npos) << env;
  fs::remove_all(dir);
}

TEST(Allure, HistoryIdIsStableAcrossRuns) {
  auto one = temp_dir("allure-1");
  auto two = one.parent_path() / (one.filename().string() + "-b");
  rig::report::write_allure(sample_run(), one.string());
  rig::report::write_allure(sample_run(), two.string());
  auto a = results_in(one), b = results_in(two);
  EXPECT_EQ((*by_name(a, "card/mute", 1))["historyId"], (*by_name(b, "card/mute", 1))["historyId"]);
  EXPECT_NE((*by_name(a, "card/mute", 1))["uuid"], (*by_name(b, "card/mute", 1))["uuid"]);
  fs::remove_all(one);
  fs::remove_all(two);
}

}  // namespace
