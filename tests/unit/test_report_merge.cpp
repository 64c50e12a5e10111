// `rig merge`: attempts joined by (scenario id, attempt), a later run supersedes, a run merged
// with itself is refused, a rerun that passes makes the scenario flaky.
#include <gtest/gtest.h>

#include "report_test_util.h"
#include "rig/report/merge.h"

namespace {

using namespace report_test;
using rig::report::merge;

RunResult shard(const std::string& run_id, const std::string& started,
                std::vector<ScenarioResult> attempts) {
  RunResult r = sample_run();
  r.run_id = run_id;
  r.started_at = started;
  r.ended_at = started;
  r.scenarios = std::move(attempts);
  for (auto& s : r.scenarios) {
    if (s.run_id.empty()) s.run_id = run_id;
  }
  return r;
}

TEST(Merge, JoinsShards) {
  RunResult a = shard("run-a", "2026-11-22T01:00:00.000Z",
                      {attempt("card/mute", Status::pass), attempt("qr/paid", Status::fail)});
  RunResult b = shard("run-b", "2026-11-22T01:00:05.000Z", {attempt("decline/x", Status::pass)});
  RunResult m = merge({a, b}, {"a.json", "b.json"});
  ASSERT_EQ(m.scenarios.size(), 3u);
  EXPECT_EQ(m.scenarios[0].id, "card/mute");
  EXPECT_EQ(m.scenarios[2].id, "qr/paid");
  EXPECT_EQ(m.scenarios[2].run_id, "run-a");
  EXPECT_EQ(m.merged_from, (std::vector<std::string>{"run-a", "run-b"}));
  EXPECT_EQ(m.started_at, "2026-11-22T01:00:00.000Z");
  EXPECT_EQ(m.exit_code(), 1);
  EXPECT_FALSE(m.scenarios[2].timeline.empty());  // full records, not summaries
  EXPECT_EQ(m.seed, "7");                         // both shards ran with seed 7
}

TEST(Merge, RunsWithDifferentSeedsHaveNoOneSeed) {
  RunResult a = shard("run-a", "2026-11-22T01:00:00.000Z", {attempt("card/mute", Status::pass)});
  RunResult b = shard("run-b", "2026-11-22T01:00:05.000Z", {attempt("decline/x", Status::pass)});
  b.seed = "8";
  b.shuffle = false;
  RunResult m = merge({a, b}, {"a.json", "b.json"});
  EXPECT_EQ(m.seed, "");
  EXPECT_TRUE(m.shuffle);
  EXPECT_EQ(merge({b, a}, {"b.json", "a.json"}).seed, "");
}

TEST(Merge, ARunWithItselfIsRefused) {
  RunResult a = shard("run-a", "2026-11-22T01:00:00.000Z", {attempt("card/mute", Status::pass)});
  try {
    merge({a, a}, {"shard1/results.json", "copy/results.json"});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(),
                 "shard1/results.json and copy/results.json are the same run (run_id run-a): "
                 "merging a run with itself would count its scenarios twice");
  }
}

TEST(Merge, ARerunThatPassesMakesTheScenarioFlaky) {
  RunResult first =
      shard("run-a", "2026-11-22T01:00:00.000Z",
            {attempt("qr/paid", Status::fail, 1), attempt("card/ok", Status::pass, 1)});
  // --rerun-failed carries the attempt it reruns (from run-a) and adds attempt 2.
  ScenarioResult carried = first.scenarios[0];
  RunResult rerun =
      shard("run-b", "2026-11-22T02:00:00.000Z", {carried, attempt("qr/paid", Status::pass, 2)});
  rerun.rerun_of = "run-a";
  RunResult m = merge({first, rerun});
  ASSERT_EQ(m.scenarios.size(), 3u);  // the carried attempt is not counted twice
  auto c = m.counts();
  EXPECT_EQ(c.flaky, 1);
  EXPECT_EQ(c.pass, 1);
  EXPECT_EQ(c.fail, 0);
  EXPECT_EQ(m.exit_code(), 0);
  EXPECT_EQ(m.scenarios[1].id, "qr/paid");
  EXPECT_EQ(m.scenarios[1].outcome, Status::flaky);
  EXPECT_EQ(m.scenarios[2].run_id, "run-b");
}

TEST(Merge, ALaterRunOfTheSameAttemptSupersedes) {
  // A CI job retried: the same shard ran again, attempt 1 again.
  RunResult first = shard("run-a", "2026-11-22T01:00:00.000Z", {attempt("qr/paid", Status::error)});
  RunResult retry = shard("run-c", "2026-11-22T03:00:00.000Z", {attempt("qr/paid", Status::pass)});
  for (const auto& runs :
       {std::vector<RunResult>{first, retry}, std::vector<RunResult>{retry, first}}) {
    RunResult m = merge(runs);
    ASSERT_EQ(m.scenarios.size(), 1u);
    EXPECT_EQ(m.scenarios[0].status, Status::pass);
    EXPECT_EQ(m.scenarios[0].run_id, "run-c");
  }
}

TEST(Merge, DifferentBenchesOrVariablesAreRefused) {
  RunResult a = shard("run-a", "2026-11-22T01:00:00.000Z", {attempt("qr/paid", Status::pass)});
  RunResult b = shard("run-b", "2026-11-22T01:00:00.000Z", {attempt("qr/paid", Status::pass)});
  b.overrides.clear();
  try {
    merge({a, b}, {"a", "b"});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(
        e.what(),
        "cannot merge runs with different --var settings: a has bugs=no-reversal, b has none");
  }
  b.overrides = a.overrides;
  b.bench_name = "lab";
  EXPECT_THROW(merge({a, b}), std::runtime_error);
  EXPECT_THROW(merge({}), std::runtime_error);
}

}  // namespace
