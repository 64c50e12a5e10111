// The controller end to end: `rig run` on the virtual bench (real vterm, vhost, ptys, proxies),
// with small scenarios from tests/integration/data/engine: a pass, a failed check and its
// message, infrastructure errors, faults reverted after a failure and after SIGINT, and two
// stations in parallel; with those of tests/integration/data/evidence, the evidence checks every
// scenario gets (docs/kinds.md): holding on the correct vterm, catching defects the scenarios do
// not check for, and a stored reversal counted where it was left.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "rig/process/supervisor.h"
#include "rig_run_test.h"

namespace {

using namespace rig_run_test;

const std::string kData = POSRIG_SOURCE_DIR "/tests/integration/data/engine";
const std::string kBench = kVirtualBench;
const std::string kEvidence = POSRIG_SOURCE_DIR "/tests/integration/data/evidence";

class EngineTest : public RigRunTest {
 protected:
  // Runs `first` then `second` from the engine data folder on one station (--jobs 1), so that
  // the second runs where the first left the station; returns rig's exit code.
  int run_one_after_another(const std::string& first, const std::string& second,
                            const std::string& bench, std::string* output) {
    return rig("run " + kData + "/" + first + " " + kData + "/" + second + " --bench " + bench +
                   " --jobs 1 --out " + out(),
               output);
  }

  // A copy of the virtual bench with `from` replaced by `to` (cards folder made absolute).
  std::string bench_variant(const std::string& from, const std::string& to) {
    std::string text = bench_text();
    auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return write_bench(text);
  }
};

TEST_F(EngineTest, PassingScenario) {
  std::string output;
  int rc = rig("run " + kData + "/pass.yaml --bench " + kBench + " --out " + out(), &output);
  EXPECT_EQ(rc, 0) << output;
  json r = results();
  EXPECT_EQ(r["summary"]["pass"], 1);
  const json& s = scenario(r, "engine/pass");
  EXPECT_EQ(s["status"], "pass");
  // Its two expect steps, then the six evidence checks every scenario gets.
  ASSERT_EQ(s["checks"].size(), 8u);
  EXPECT_EQ(s["checks"][2]["what"], "evidence money_conserved");
  // The transcript holds the real exchange: SALE out, 0200 to the host, 0210 back, RESULT in.
  std::string transcript = s["transcript"].dump();
  EXPECT_NE(transcript.find("SALE|id="), std::string::npos);
  EXPECT_NE(transcript.find("\"mti\":\"0200\""), std::string::npos);
  EXPECT_NE(transcript.find("\"mti\":\"0210\""), std::string::npos);
  // Reports never carry a full PAN.
  EXPECT_EQ(read_file(dir_ / "out" / "results.json").find("4761739001010010"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "out" / "junit.xml"));
  EXPECT_TRUE(fs::exists(dir_ / "out" / "report.html"));
  EXPECT_NE(output.find("PASS  engine/pass"), std::string::npos) << output;
}

TEST_F(EngineTest, FailedCheckSaysWhatWasExpectedAndSeenAndWhere) {
  std::string output;
  int rc = rig("run " + kData + "/fail.yaml --bench " + kBench + " --out " + out(), &output);
  EXPECT_EQ(rc, 1) << output;
  json r = results();
  const json& s = scenario(r, "engine/fail");
  EXPECT_EQ(s["status"], "fail");
  std::string msg = s["message"];
  EXPECT_NE(msg.find("fail.yaml:7:5: expected RESULT status=DECLINED within "), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("saw RESULT"), std::string::npos) << msg;
  EXPECT_NE(msg.find("status=APPROVED"), std::string::npos) << msg;
  std::string junit = read_file(dir_ / "out" / "junit.xml");
  EXPECT_NE(junit.find("<failure message=\"" + msg.substr(0, 20)), std::string::npos) << junit;
}

TEST_F(EngineTest, UnreachableFixtureIsAnInfrastructureError) {
  // lane1's card fixture points at a closed port: its card sale cannot insert the card.
  std::string bench = bench_variant("    card: {driver: vterm}", "    card: {driver: vterm, control: \"127.0.0.1:1\"}");
  std::string output;
  int rc = rig("run " + kData + "/pass.yaml --bench " + bench + " --jobs 1 --out " + out(), &output);
  EXPECT_EQ(rc, 3) << output;
  json r = results();
  const json& s = scenario(r, "engine/pass");
  EXPECT_EQ(s["status"], "error");
  EXPECT_NE(s["message"].get<std::string>().find("vterm control 127.0.0.1:1"), std::string::npos)
      << s["message"];
  EXPECT_NE(read_file(dir_ / "out" / "junit.xml").find("<error message="), std::string::npos);
}

TEST_F(EngineTest, StationThatCannotStartLeavesTheOthersRunning) {
  std::string bench = bench_variant("\"${rig_dir}/vterm\", \"--ecr-link\", \"${run_dir}/lane2.ecr\"",
                                    "\"${rig_dir}/no-such-vterm\", \"--ecr-link\", \"${run_dir}/lane2.ecr\"");
  std::string output;
  int rc = rig("run " + kData + "/pass.yaml --bench " + bench + " --out " + out(), &output);
  EXPECT_EQ(rc, 0) << output;
  EXPECT_NE(output.find("station lane2: no-such-vterm[lane2]: cannot start: No such file or directory"),
            std::string::npos)
      << output;
  json r = results();
  EXPECT_EQ(scenario(r, "engine/pass")["station"], "lane1");
}

TEST_F(EngineTest, FaultsAreRevertedAfterAFailedScenario) {
  std::string output;
  int rc = run_one_after_another("paper-out-then-fail.yaml", "paper-is-back.yaml", kBench, &output);
  EXPECT_EQ(rc, 1) << output;
  json r = results();
  EXPECT_EQ(scenario(r, "engine/paper-out-then-fail")["status"], "fail");
  const json& back = scenario(r, "engine/paper-is-back");
  EXPECT_EQ(back["status"], "pass") << back["message"];
  // The failed scenario's own timeline shows the faults going away.
  std::string timeline = scenario(r, "engine/paper-out-then-fail")["timeline"].dump();
  EXPECT_NE(timeline.find("\"state\":\"ok\""), std::string::npos);
  EXPECT_NE(timeline.find("fault_cleared"), std::string::npos);
}

// Between scenarios the engine puts the terminal back to idle (docs/bench.md): a sale left
// waiting for a card is cancelled by RESET, a lock is undone with the supervisor password.
TEST_F(EngineTest, SaleLeftWaitingForACardIsCancelledBeforeTheNextScenario) {
  std::string output;
  int rc = run_one_after_another("leave-waiting.yaml", "sale-works.yaml", kBench, &output);
  EXPECT_EQ(rc, 0) << output;
  json r = results();
  EXPECT_EQ(scenario(r, "engine/sale-works")["status"], "pass") << output;
  std::string timeline = scenario(r, "engine/leave-waiting")["timeline"].dump();
  EXPECT_NE(timeline.find("\"rc\":\"CX\""), std::string::npos) << "the waiting sale was not cancelled";
  EXPECT_NE(timeline.find("terminal idle"), std::string::npos);
}

TEST_F(EngineTest, TerminalLeftLockedIsUnlockedWithTheSupervisorPassword) {
  std::string output;
  int rc = run_one_after_another("leave-locked.yaml", "sale-works.yaml", kBench, &output);
  EXPECT_EQ(rc, 1) << output;
  json r = results();
  EXPECT_EQ(scenario(r, "engine/leave-locked")["status"], "fail");
  const json& next = scenario(r, "engine/sale-works");
  EXPECT_EQ(next["status"], "pass") << next["message"];
  EXPECT_EQ(next["station"], "lane1");
  std::string timeline = scenario(r, "engine/leave-locked")["timeline"].dump();
  EXPECT_NE(timeline.find("terminal unlocked with the supervisor password"), std::string::npos)
      << timeline;
}

TEST_F(EngineTest, TerminalLeftLockedWithoutSupervisorPasswordTakesItsStationOut) {
  // lane1's profile knows no supervisor password (vterm keeps its own).
  std::string bench = bench_variant("profile: " POSRIG_SOURCE_DIR "/fixtures/profiles/vterm.yaml",
                                    "profile: {operator_password: \"0000\"}");
  std::string output;
  int rc = run_one_after_another("leave-locked.yaml", "sale-works.yaml", bench, &output);
  EXPECT_EQ(rc, 1) << output;  // a failure outranks an infrastructure error (docs/cli.md)
  json r = results();
  EXPECT_EQ(scenario(r, "engine/leave-locked")["status"], "fail");
  // Not a false failure on a locked terminal: an infrastructure error that says why.
  const json& next = scenario(r, "engine/sale-works");
  EXPECT_EQ(next["status"], "error");
  EXPECT_NE(next["message"].get<std::string>().find("terminal left locked"), std::string::npos)
      << next["message"];
}

TEST_F(EngineTest, SigintRevertsFaultsWritesTheReportAndExits130) {
  std::string cmd = kRig + " run " + kData + "/long-network-down.yaml " + kData +
                    "/pass.yaml --bench " + kBench + " --jobs 1 --out " + out();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // New process group so that only rig gets our SIGINT; output to a file.
    ::setpgid(0, 0);
    std::string log = (dir_ / "rig.log").string();
    std::FILE* f = std::freopen(log.c_str(), "w", stdout);
    (void)f;
    ::dup2(STDOUT_FILENO, STDERR_FILENO);
    ::execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait until the faults are applied: the run's log says the scenario started, and the
  // report folder exists; then give the fault steps time to go through.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (read_file(dir_ / "rig.log").find("station lane") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::string log = read_file(dir_ / "rig.log");
  ASSERT_TRUE(WIFEXITED(status)) << log;
  EXPECT_EQ(WEXITSTATUS(status), 130) << log;
  json r = results();
  EXPECT_TRUE(r["interrupted"].get<bool>());
  const json& s = scenario(r, "engine/long-network-down");
  EXPECT_EQ(s["status"], "error");
  EXPECT_EQ(s["message"], "interrupted (SIGINT/SIGTERM); faults reverted");
  // Both faults were applied, then reverted: network forwarding again, paper back.
  std::string timeline = s["timeline"].dump();
  EXPECT_NE(timeline.find("fault_applied"), std::string::npos) << timeline;
  EXPECT_NE(timeline.find("fault_cleared"), std::string::npos) << timeline;
  EXPECT_NE(timeline.find("\"cmd\":\"printer.paper\",\"state\":\"ok\""), std::string::npos) << timeline;
  EXPECT_NE(timeline.find("fixtures restored"), std::string::npos) << timeline;
  EXPECT_EQ(scenario(r, "engine/pass")["status"], "skipped");
}

TEST_F(EngineTest, TwoStationsRunInParallel) {
  std::string output;
  int rc = rig("run " + kData + "/parallel-a.yaml " + kData + "/parallel-b.yaml --bench " + kBench +
                   " --out " + out(),
               &output);
  EXPECT_EQ(rc, 0) << output;
  json r = results();
  const json& a = scenario(r, "engine/parallel-a");
  const json& b = scenario(r, "engine/parallel-b");
  EXPECT_NE(a["station"], b["station"]);
  // Each holds its station at least 1 s (wait 20s x time_scale 0.05); together they took less
  // than the sum, so they overlapped.
  double sum = a["duration_ms"].get<double>() + b["duration_ms"].get<double>();
  EXPECT_GE(a["duration_ms"].get<double>(), 1000.0);
  EXPECT_LT(r["duration_ms"].get<double>(), sum) << r["duration_ms"] << " vs " << sum;
}

TEST_F(EngineTest, BenchUpPrintsStationsAndStopsOnSigterm) {
  rig::process::Spec spec;
  spec.argv = {kRig, "bench", "up", "--bench", kBench};
  rig::process::Child child(spec);
  ASSERT_TRUE(child.start());
  auto ready = child.wait_for_line(std::regex("^READY$"), rig::process::after(std::chrono::seconds(30)));
  ASSERT_TRUE(ready.status) << ready.status.message;
  std::string lines;
  for (const auto& l : child.lines()) lines += l.text + "\n";
  EXPECT_NE(lines.find("station=lane1 ecr=/dev/pts/"), std::string::npos) << lines;
  EXPECT_NE(lines.find("station=lane2 ecr=/dev/pts/"), std::string::npos) << lines;
  EXPECT_NE(lines.find(" proxy=127.0.0.1:"), std::string::npos) << lines;
  ::kill(child.pid(), SIGTERM);
  auto status = child.wait_exit(rig::process::after(std::chrono::seconds(20)));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code, 0) << status->describe();
}

TEST_F(EngineTest, ConfigurationErrorsExitTwoWithPositions) {
  fs::path bad = dir_ / "bad.yaml";
  std::ofstream(bad) << "name: x\nfamily: engine\nsteps:\n  - sael: {amount: \"1.00\"}\n";
  std::string output;
  EXPECT_EQ(rig("run " + bad.string() + " --bench " + kBench + " --out " + out(), &output), 2);
  EXPECT_NE(output.find(bad.string() + ":4:5: unknown step 'sael'"), std::string::npos) << output;
  EXPECT_EQ(rig("validate " + kData + " --bench " + kBench, &output), 0) << output;
  EXPECT_NE(output.find("scenario(s) valid for bench virtual"), std::string::npos);
}

// The evidence checks run on every scenario without being asked for, and hold on the correct
// terminal: six per scenario (pan_masked among them), all passed.
TEST_F(EngineTest, EvidenceChecksHoldOnTheCorrectTerminal) {
  std::string output;
  int rc = rig("run " + kEvidence + " --bench " + kBench + " --jobs 1 --out " + out(), &output);
  EXPECT_EQ(rc, 0) << output;
  json r = results();
  ASSERT_EQ(r["scenarios"].size(), 8u);
  for (const auto& s : r["scenarios"]) {
    int evidence = 0;
    for (const auto& c : s["checks"]) {
      if (c["what"].get<std::string>().rfind("evidence ", 0) != 0) continue;
      ++evidence;
      EXPECT_TRUE(c["passed"].get<bool>()) << s["id"] << ": " << c.dump();
    }
    EXPECT_EQ(evidence, 6) << s["id"];
  }
}

// A defect the scenario does not check for fails it through an evidence check, with both sides.
struct EvidenceCase {
  const char* bug;
  const char* file;   // in tests/integration/data/evidence, or scenarios/… of the library
  const char* check;  // the evidence check that catches it
  const char* shows;  // in its failure text
};

// What money_conserved says of the 20.00 sale of timeout-then-sale.yaml left charged.
constexpr const char* kLeftCharged = "purchase 20.00 rc=00 approved still takes money";

class EvidenceCatches : public EngineTest, public ::testing::WithParamInterface<EvidenceCase> {};

TEST_P(EvidenceCatches, DefectTheScenarioDoesNotCheckFor) {
  const EvidenceCase& c = GetParam();
  std::string output;
  const std::string file = c.file;
  const std::string path =
      file.rfind("scenarios/", 0) == 0 ? POSRIG_SOURCE_DIR "/" + file : kEvidence + "/" + file;
  int rc = rig(
      "run " + path + " --bench " + kBench + " --jobs 1 --var bugs=" + c.bug + " --out " + out(),
      &output);
  EXPECT_EQ(rc, 1) << output;
  json r = results();
  ASSERT_EQ(r["scenarios"].size(), 1u);
  const json& s = r["scenarios"][0];
  EXPECT_EQ(s["status"], "fail");
  // Every step of the scenario held; only the evidence disagrees.
  for (const auto& step : s["steps"]) EXPECT_TRUE(step["ok"].get<bool>()) << step.dump();
  const std::string msg = s["message"];
  EXPECT_NE(msg.find(": evidence "), std::string::npos) << msg;
  bool found = false;
  for (const auto& check : s["checks"]) {
    if (check["what"] != std::string("evidence ") + c.check) continue;
    found = true;
    EXPECT_FALSE(check["passed"].get<bool>());
    EXPECT_NE(check["actual"].get<std::string>().find(c.shows), std::string::npos) << check;
  }
  EXPECT_TRUE(found) << s["checks"].dump();
}

INSTANTIATE_TEST_SUITE_P(
    Defects, EvidenceCatches,
    ::testing::Values(
        EvidenceCase{"decline-shown-approved", "decline.yaml", "display_agrees",
                     "the display showed \"APPROVED\""},
        EvidenceCase{"ignores-decline-code", "decline.yaml", "money_conserved", "rc=51 declined"},
        EvidenceCase{"reversal-amount-wrong", "timeout-then-sale.yaml", "charged_once",
                     "field 4 0.20 currency 156 was refused by the host (rc=64)"},
        EvidenceCase{"reversal-amount-wrong", "leaves-reversal.yaml", "reversal_fields",
                     "0400 for the 0200 with STAN"},
        // The sale without an answer is left charged: no reversal, one the host cannot match
        // (25), or the sale sent again under a new STAN.
        EvidenceCase{"no-reversal", "timeout-then-sale.yaml", "money_conserved", kLeftCharged},
        EvidenceCase{"fields-90-wrong", "timeout-then-sale.yaml", "money_conserved", kLeftCharged},
        EvidenceCase{"new-stan-on-retry", "timeout-then-sale.yaml", "money_conserved",
                     kLeftCharged},
        EvidenceCase{"ecr-duplicate-executed", "same-id.yaml", "charged_once",
                     "is charged 2 times"},
        EvidenceCase{"pays-twice-on-userpaying", "userpaying.yaml", "money_conserved",
                     "(the customer can still pay it)"},
        EvidenceCase{"amount-via-float", "odd-amount.yaml", "money_conserved", "asked for sale"},
        EvidenceCase{"receipt-for-decline", "decline.yaml", "receipts_for_approvals",
                     "for a sale whose RESULT is"},
        // A library scenario that asks nothing of receipts: amount/limits.yaml's 51 decline.
        EvidenceCase{"receipt-for-decline", "scenarios/amount/limits.yaml",
                     "receipts_for_approvals", "for a sale whose RESULT is amount=9999999999.99"}),
    [](const ::testing::TestParamInfo<EvidenceCase>& info) {
      std::string file = info.param.file;
      std::string name = std::string(info.param.bug) + "_in_" + file.substr(0, file.find('.'));
      std::replace(name.begin(), name.end(), '-', '_');
      std::replace(name.begin(), name.end(), '/', '_');
      return name;
    });

// Isolation (issue 9): a reversal a scenario leaves stored is sent by the recovery after it (a
// power cycle, rule 6), within that scenario, and the next scenario's host sees only its own sale.
TEST_F(EngineTest, StoredReversalIsSentWithinTheScenarioThatLeftIt) {
  std::string output;
  int rc = rig("run " + kEvidence + "/leaves-reversal.yaml " + kEvidence +
                   "/clean-sale.yaml --bench " + kBench + " --jobs 1 --out " + out(),
               &output);
  EXPECT_EQ(rc, 0) << output;
  json r = results();
  const json& left = scenario(r, "evidence/leaves-reversal");
  EXPECT_EQ(left["status"], "pass") << left["message"];
  const std::string timeline = left["timeline"].dump();
  EXPECT_NE(timeline.find("left 1 stored reversal(s) in the terminal: power-cycling it"),
            std::string::npos);
  EXPECT_NE(timeline.find("stored reversals sent"), std::string::npos);
  EXPECT_NE(timeline.find("\"mti\":\"0400\""), std::string::npos) << "the 0400 is not in it";
  for (const auto& c : left["checks"]) {
    if (c["what"] == "evidence money_conserved") {
      EXPECT_TRUE(c["passed"].get<bool>());
      EXPECT_EQ(c["actual"], "") << "the reversal was applied: nothing to note";
    }
  }
  const json& next = scenario(r, "evidence/clean-sale");
  EXPECT_EQ(next["status"], "pass") << next["message"];
  EXPECT_EQ(next["station"], "lane1");
}

// On a station without a power fixture the reversal stays stored: noted, not failed; the next
// scenario's sale sends it, and that scenario's ledger counts only its own sale.
TEST_F(EngineTest, StoredReversalOnAStationWithoutPowerIsNoted) {
  std::string bench = bench_variant("    power: {driver: vterm}\n", "");
  std::string output;
  int rc = rig("run " + kEvidence + "/leaves-reversal.yaml " + kEvidence +
                   "/sale-after.yaml --bench " + bench + " --jobs 1 --out " + out(),
               &output);
  EXPECT_EQ(rc, 0) << output;
  json r = results();
  const json& s = scenario(r, "evidence/leaves-reversal");
  EXPECT_NE(s["timeline"].dump().find("the station has no power fixture"), std::string::npos);
  bool noted = false;
  for (const auto& c : s["checks"]) {
    if (c["what"] != "evidence money_conserved") continue;
    EXPECT_TRUE(c["passed"].get<bool>());
    noted = c["actual"].get<std::string>().find("its reversal is still stored in the terminal") !=
            std::string::npos;
  }
  EXPECT_TRUE(noted) << s["checks"].dump();
  const json& next = scenario(r, "evidence/sale-after");
  EXPECT_EQ(next["status"], "pass") << next["message"];
  EXPECT_EQ(next["station"], "lane1");
  // The earlier scenario's reversal went out with this sale, yet is not counted here: its
  // 0400, the 0410 and the reversal events are on the timeline, marked as an earlier
  // scenario's, and the scenario's absence checks of them pass.
  std::set<std::string> marked;
  for (const char* part : {"timeline", "transcript"}) {  // host messages are in the transcript
    for (const auto& e : next[part]) {
      const json& f = e["fields"];
      if (!f.value("earlier_scenario", false)) continue;
      marked.insert(e.value("kind", "") == "host_message" ? f.value("mti", "")
                                                          : f.value("name", ""));
    }
  }
  EXPECT_EQ(marked, (std::set<std::string>{"0400", "0410", "REVERSAL_SENT", "REVERSAL_ACKED"}))
      << next["transcript"].dump();
}

}  // namespace
