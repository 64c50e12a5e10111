// `rig explore` on the virtual bench (docs/explore.md): on the correct vterm nothing is
// violated; on a vterm whose defect the evidence checks cover (reversals kept in RAM, lost with
// a power cut: rule 6) explore finds it, writes the finding, and the finding fails under
// `rig run` with that defect and passes on the correct vterm. A budget keeps each run short.
#include <set>

#include "integration/rig_run_test.h"

namespace {

using rig_run_test::json;
using rig_run_test::kVirtualBench;
using rig_run_test::read_file;

class ExploreTest : public rig_run_test::RigRunTest {
 protected:
  json explore_json() { return json::parse(read_file(dir_ / "out" / "explore.json")); }
  std::size_t testcases() {
    const std::string junit = read_file(dir_ / "out" / "junit.xml");
    std::size_t n = 0;
    for (std::size_t at = junit.find("<testcase "); at != std::string::npos;
         at = junit.find("<testcase ", at + 1)) {
      ++n;
    }
    return n;
  }
};

TEST_F(ExploreTest, TheCorrectTerminalHoldsAtEveryBoundaryExplored) {
  std::string output;
  const int rc = rig("explore --bench " + kVirtualBench +
                         " --flow card-sale --seed 1 --budget 12 --out " + out(),
                     &output);
  ASSERT_EQ(rc, 0) << output;
  const json e = explore_json();
  EXPECT_EQ(e["flow"], "card-sale");
  EXPECT_EQ(e["seed"], 1);
  EXPECT_EQ(e["clean"]["verdict"], "held");
  // The card sale's boundaries: its prompts and its 0200/0210, in order.
  std::vector<std::string> boundaries;
  for (const auto& b : e["boundaries"]) boundaries.push_back(b["id"]);
  EXPECT_EQ(boundaries, (std::vector<std::string>{"prompt-PRESENT_CARD", "prompt-PIN",
                                                  "0200-to_host", "0210-to_terminal",
                                                  "prompt-REMOVE_CARD"}));
  EXPECT_EQ(e["summary"]["runs"], 12);
  EXPECT_EQ(e["summary"]["left"], e["summary"]["planned"].get<int>() - 12);
  EXPECT_EQ(e["summary"]["violated"], 0) << e["runs"].dump(2);
  EXPECT_EQ(e["summary"]["held"], 12) << e["runs"].dump(2);
  // One progress line per run, and the budget said.
  EXPECT_NE(output.find("[12/12] held "), std::string::npos) << output;
  EXPECT_NE(output.find("(" + std::to_string(e["summary"]["left"].get<int>()) +
                        " left by the budget)"),
            std::string::npos)
      << output;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out" / "findings"));
  // junit.xml: one testcase per run, the clean run included.
  EXPECT_EQ(testcases(), 13u);
}

TEST_F(ExploreTest, AReversalLostWithThePowerIsFoundAndItsFindingReproducesIt) {
  std::string output;
  const int rc = rig("explore --bench " + kVirtualBench +
                         " --flow card-sale --seed 1 --budget 6 --var bugs=reversal-lost-on-power-cut"
                         " --out " + out(),
                     &output);
  ASSERT_EQ(rc, 1) << output;
  const json e = explore_json();
  ASSERT_GE(e["summary"]["violated"].get<int>(), 1) << e["runs"].dump(2);
  json found;
  for (const auto& r : e["runs"]) {
    if (r["verdict"] == "violated") {
      found = r;
      break;
    }
  }
  EXPECT_EQ(found["fault"], "power.cut");
  EXPECT_NE(found["evidence"].get<std::string>().find("evidence money_conserved"),
            std::string::npos)
      << found.dump(2);
  const std::filesystem::path finding = dir_ / "out" / found["finding"].get<std::string>();
  ASSERT_TRUE(std::filesystem::exists(finding)) << finding;
  EXPECT_NE(read_file(finding).find("# Reproduce: rig run "), std::string::npos);

  // The finding is an ordinary scenario: it fails on the defect and passes on the correct vterm.
  std::string again;
  EXPECT_EQ(rig("run " + finding.string() + " --bench " + kVirtualBench +
                    " --var bugs=reversal-lost-on-power-cut --out " + (dir_ / "bug").string(),
                &again),
            1)
      << again;
  EXPECT_NE(again.find("money_conserved"), std::string::npos) << again;
  EXPECT_EQ(rig("run " + finding.string() + " --bench " + kVirtualBench + " --out " +
                    (dir_ / "correct").string(),
                &again),
            0)
      << again;
}

// An exploration cut short (by its budget here; by kill -9 the journal is the same) goes on
// with --resume: the runs judged before are kept, not run again, and the rest run in the seed's
// order. The folder must hold an exploration of the same flow, bench and seed.
TEST_F(ExploreTest, AnExplorationCutShortIsResumedWhereItStopped) {
  std::string output;
  ASSERT_EQ(rig("explore --bench " + kVirtualBench + " --flow card-sale --seed 1 --budget 3 --out " +
                    out(),
                &output),
            0)
      << output;
  const json first = explore_json();
  ASSERT_EQ(first["summary"]["runs"], 3);
  ASSERT_TRUE(std::filesystem::exists(dir_ / "out" / "journal.jsonl"));

  ASSERT_EQ(rig("explore --bench " + kVirtualBench + " --flow card-sale --resume --budget 2 --out " +
                    out(),
                &output),
            0)
      << output;
  EXPECT_NE(output.find("resuming: 3 of " + std::to_string(first["summary"]["planned"].get<int>()) +
                        " runs judged before"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("[ 2/2] held "), std::string::npos) << output;
  const json second = explore_json();
  EXPECT_EQ(second["seed"], 1);
  EXPECT_EQ(second["summary"]["runs"], 5);
  EXPECT_EQ(second["summary"]["resumed"], 3);
  EXPECT_EQ(second["summary"]["held"], 5) << second["runs"].dump(2);
  std::set<std::string> before, after;
  for (const auto& r : first["runs"]) before.insert(r["id"].get<std::string>());
  for (const auto& r : second["runs"]) after.insert(r["id"].get<std::string>());
  ASSERT_EQ(after.size(), 5u);
  for (const auto& id : before) EXPECT_TRUE(after.count(id)) << id;
  // The reports hold every run judged, the earlier ones too (and the clean run).
  EXPECT_EQ(testcases(), 6u);

  // Another flow, another seed, or no folder: refused before anything runs.
  EXPECT_EQ(rig("explore --bench " + kVirtualBench + " --flow qr-sale --resume --out " + out(),
                &output),
            2);
  EXPECT_NE(output.find("holds an exploration of flow card-sale, not qr-sale"), std::string::npos)
      << output;
  EXPECT_EQ(rig("explore --bench " + kVirtualBench + " --resume --seed 7 --out " + out(), &output),
            2);
  EXPECT_NE(output.find("was explored with --seed 1, not 7"), std::string::npos) << output;
  EXPECT_EQ(rig("explore --bench " + kVirtualBench + " --resume", &output), 2);
  EXPECT_NE(output.find("--resume needs the --out folder"), std::string::npos) << output;
  EXPECT_EQ(rig("explore --bench " + kVirtualBench + " --resume --out " + (dir_ / "none").string(),
                &output),
            2);
  EXPECT_NE(output.find("no exploration to resume"), std::string::npos) << output;
}

// --depth 2: after the single faults, pairs — a second fault in the transaction after an
// answered first one, at what the first left behind (its stored reversal's 0400/0410 and
// events); the budget covers both. The correct terminal holds at every pair run.
TEST_F(ExploreTest, DepthTwoPairsASecondFaultWithWhatTheFirstLeftBehind) {
  std::string output;
  const int rc = rig("explore --bench " + kVirtualBench +
                         " --flow card-sale --seed 1 --depth 2 --budget 36 --out " + out(),
                     &output);
  ASSERT_EQ(rc, 0) << output;
  EXPECT_NE(output.find("rig explore: depth 2: "), std::string::npos) << output;
  const json e = explore_json();
  EXPECT_EQ(e["summary"]["depth"], 2);
  EXPECT_EQ(e["summary"]["runs"], 36);
  EXPECT_EQ(e["summary"]["held"], 36) << e["runs"].dump(2);
  int pairs = 0;
  for (const auto& r : e["runs"]) {
    const std::string id = r["id"];
    if (id.find('+') == std::string::npos) continue;
    ++pairs;
    // The second fault is at a boundary the clean run never had.
    const std::string second = r["boundary"].get<std::string>().substr(
        r["boundary"].get<std::string>().find('+') + 1);
    for (const auto& b : e["boundaries"]) EXPECT_NE(b["id"], second) << id;
    EXPECT_NE(r["fault"].get<std::string>().find('+'), std::string::npos) << id;
  }
  // Every single fault ran first (29 on card-sale), then pairs within the budget.
  int singles = 0;
  for (const auto& b : e["boundaries"]) singles += static_cast<int>(b["faults"].size());
  EXPECT_GT(pairs, 0);
  EXPECT_EQ(pairs, 36 - singles) << e["summary"].dump();
  EXPECT_GE(e["summary"]["pruned"].get<int>(), 1) << e["summary"].dump();
}

TEST_F(ExploreTest, UsageMistakesAreRefused) {
  std::string output;
  EXPECT_EQ(rig("explore --bench " + kVirtualBench + " --budget lots --out " + out(), &output), 2);
  EXPECT_NE(output.find("bad --budget 'lots'"), std::string::npos) << output;
  EXPECT_EQ(rig("explore --bench " + kVirtualBench + " --flow refund-twice", &output), 2);
  EXPECT_EQ(rig("explore --bench " + kVirtualBench + " --var nosuch=1", &output), 2);
  EXPECT_NE(output.find("--var nosuch: bench 'virtual' has no such variable"), std::string::npos)
      << output;
}

}  // namespace
