// Run history: each run's outcomes go to SQLite; pass rate per scenario over recent runs,
// newly failing and flaky scenarios, runs with --var kept apart.
#include <gtest/gtest.h>

#include "report_test_util.h"
#include "rig/report/history.h"

namespace {

using namespace report_test;
using rig::report::read_history;
using rig::report::record_history;

RunResult run_at(const std::string& id, const std::string& started, Status approval, Status qr,
                 bool with_var = false) {
  RunResult r = sample_run();
  r.run_id = id;
  r.started_at = started;
  if (!with_var) r.overrides.clear();
  r.scenarios = {attempt("reversal/approval-lost", approval), attempt("qr/paid", qr)};
  return r;
}

const rig::report::ScenarioHistory& find(const rig::report::ConfigHistory& c,
                                         const std::string& id) {
  for (const auto& s : c.scenarios) {
    if (s.id == id) return s;
  }
  throw std::runtime_error("no " + id);
}

TEST(History, PassRateNewlyFailingAndFlaky) {
  auto dir = temp_dir("history");
  const std::string db = (dir / "history.sqlite").string();
  record_history(db, run_at("r0", "2026-11-19T01:00:00.000Z", Status::pass, Status::fail), "");
  record_history(db, run_at("r1", "2026-11-20T01:00:00.000Z", Status::pass, Status::pass), "");
  record_history(db, run_at("r2", "2026-11-21T01:00:00.000Z", Status::pass, Status::fail), "");
  record_history(db, run_at("r3", "2026-11-22T01:00:00.000Z", Status::fail, Status::pass), "");
  // A run with --var bugs=no-reversal is another configuration.
  record_history(db, run_at("r4", "2026-11-22T02:00:00.000Z", Status::fail, Status::fail, true),
                 "");
  // Recording a run again replaces it.
  record_history(db, run_at("r3", "2026-11-22T01:00:00.000Z", Status::fail, Status::pass), "");

  auto h = read_history(db, 20, "");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].overrides, "bugs=no-reversal");  // most recently run first
  EXPECT_EQ(h[0].runs, 1);
  const auto& clean = h[1];
  EXPECT_EQ(clean.overrides, "");
  EXPECT_EQ(clean.runs, 4);
  const auto& approval = find(clean, "reversal/approval-lost");
  EXPECT_EQ(approval.outcomes, (std::vector<std::string>{"pass", "pass", "pass", "fail"}));
  EXPECT_NEAR(approval.pass_rate(), 3.0 / 4, 1e-9);
  EXPECT_TRUE(approval.newly_failing());
  EXPECT_FALSE(approval.flaky());
  const auto& qr = find(clean, "qr/paid");
  EXPECT_TRUE(qr.flaky());
  EXPECT_FALSE(qr.newly_failing());
  // Lowest pass rate first.
  EXPECT_EQ(clean.scenarios.front().id, "qr/paid");

  std::string text = rig::report::history_text(h, 20);
  EXPECT_NE(text.find("bench virtual, bench defaults: last 4 run(s)"), std::string::npos) << text;
  EXPECT_NE(text.find("newly failing (failed in its latest run, passed the run before):\n"
                      "    reversal/approval-lost"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("PPPF"), std::string::npos);
  EXPECT_NE(text.find("FPFP"), std::string::npos);
  EXPECT_NE(text.find("flaky (a flaky run, or passed and failed back and forth):\n    qr/paid"),
            std::string::npos);
  EXPECT_NE(text.find("bench virtual, --var bugs=no-reversal: last 1 run(s)"), std::string::npos);

  // --last 1: only the latest run of each configuration.
  auto last = read_history(db, 1, "virtual");
  EXPECT_EQ(find(last[1], "qr/paid").outcomes, (std::vector<std::string>{"pass"}));
  EXPECT_EQ(rig::report::history_json(last)[1]["scenarios"][0]["runs"], 1);
  EXPECT_TRUE(read_history(db, 20, "other-bench").empty());
  std::filesystem::remove_all(dir);
}

TEST(History, FlakyRunAndMissingDatabase) {
  auto dir = temp_dir("history-flaky");
  const std::string db = (dir / "h.sqlite").string();
  RunResult r = run_at("r1", "2026-11-20T01:00:00.000Z", Status::pass, Status::pass);
  r.scenarios.push_back(attempt("qr/paid", Status::fail, 2));
  record_history(db, r, "reports/x");
  auto h = read_history(db, 20, "");
  EXPECT_EQ(find(h[0], "qr/paid").outcomes, (std::vector<std::string>{"flaky"}));
  EXPECT_TRUE(find(h[0], "qr/paid").flaky());
  try {
    read_history((dir / "none.sqlite").string(), 20, "");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              (dir / "none.sqlite").string() + ": no history yet (every `rig run` adds to it)");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
