// What a run leaves behind (docs/reliability.md "Kills"): a run that ends, by itself or by
// Ctrl-C, leaves no run folder, station lock or --out lock; a run killed with SIGKILL leaves
// them, its simulators die with it, and the next run removes what it left — saying so, naming
// the dead run — without touching a live run's files. `rig locks` removes dead station locks.
#include <signal.h>
#include <stdlib.h>

#include <set>
#include <string>
#include <vector>

#include "rig_run_test.h"

namespace {

using namespace rig_run_test;

const std::string kLong = POSRIG_SOURCE_DIR "/scenarios/reversal";
const std::string kShort = POSRIG_SOURCE_DIR "/tests/integration/data/bench-fit/needs-nothing.yaml";

class CleanupTest : public RigRunTest {
 protected:
  void SetUp() override {
    RigRunTest::SetUp();
    // Run folders and locks of this test only: other tests' runs are not ours to count.
    tmp_ = dir_ / "tmp";
    locks_ = dir_ / "locks";
    fs::create_directories(tmp_);
    ::setenv("TMPDIR", tmp_.c_str(), 1);
    ::setenv("POSRIG_LOCK_DIR", locks_.c_str(), 1);
  }
  void TearDown() override {
    // A test that stopped early (a failed ASSERT) must not leave a run going.
    for (pid_t pid : started_) {
      if (::waitpid(pid, nullptr, WNOHANG) == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    }
    ::unsetenv("TMPDIR");
    ::unsetenv("POSRIG_LOCK_DIR");
    RigRunTest::TearDown();
  }

  std::set<std::string> run_folders() const {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(tmp_)) {
      if (e.path().filename().string().rfind("posrig-run-", 0) == 0) out.insert(e.path().string());
    }
    return out;
  }
  std::size_t lock_files() const {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(locks_, ec)) n += e.path().extension() == ".lock";
    return n;
  }
  // The processes `pid` started (its threads' children).
  static std::vector<pid_t> children_of(pid_t pid) {
    std::vector<pid_t> out;
    for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
      std::istringstream in(read_file(task.path() / "children"));
      for (pid_t c; in >> c;) out.push_back(c);
    }
    return out;
  }
  // Alive: it exists and is no zombie.
  static bool alive(pid_t pid) {
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
  }

  // The run after: one short scenario, reports in DIR/next; its exit code, its output.
  int next_run(std::string* output) {
    return rig("run " + kShort + " --bench " + kVirtualBench + " --out " + (dir_ / "next").string(),
               output);
  }
  // spawn_rig, remembered for TearDown.
  pid_t start(const std::string& args, const fs::path& log) {
    started_.push_back(spawn_rig(args, log));
    return started_.back();
  }

  fs::path tmp_, locks_;
  std::vector<pid_t> started_;
};

TEST_F(CleanupTest, NextRunRemovesWhatAKilledRunLeftAndNothingOfALiveOne) {
  // A live run that must keep everything.
  fs::path live_log = dir_ / "live.log";
  pid_t live = start("run " + kLong + " --bench " + kVirtualBench + " --repeat 20 --out " +
                         (dir_ / "live").string(),
                     live_log);
  ASSERT_TRUE(wait_for_text(live_log, "PASS")) << read_file(live_log);
  ASSERT_EQ(run_folders().size(), 1u);
  const std::string live_folder = *run_folders().begin();

  // The run that is killed mid-run: SIGKILL to rig alone, as `kill -9 PID` does.
  fs::path dead_log = dir_ / "dead.log";
  pid_t dead = start("run " + kLong + " --bench " + kVirtualBench + " --repeat 20 --out " +
                         (dir_ / "dead").string(),
                     dead_log);
  ASSERT_TRUE(wait_for_text(dead_log, "PASS")) << read_file(dead_log);
  std::vector<pid_t> simulators = children_of(dead);
  EXPECT_EQ(simulators.size(), 3u);  // vhost, two vterms
  ::kill(dead, SIGKILL);
  EXPECT_EQ(wait_exit(dead), 128 + SIGKILL);
  // Its simulators die with it (PR_SET_PDEATHSIG).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (pid_t s : simulators) {
    while (alive(s) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_FALSE(alive(s)) << "simulator " << s << " outlived the killed rig";
  }
  // What it left: its run folder, its two station locks, its --out lock.
  ASSERT_EQ(run_folders().size(), 2u);
  std::string dead_folder;
  for (const auto& f : run_folders()) {
    if (f != live_folder) dead_folder = f;
  }
  EXPECT_TRUE(fs::exists(fs::path(dead_folder) / "ledger.sqlite"));
  EXPECT_EQ(lock_files(), 4u);
  EXPECT_TRUE(fs::exists(dir_ / "dead" / ".rig.lock"));

  // The next run removes it, and says so in one line naming the dead run.
  std::string output;
  ASSERT_EQ(next_run(&output), 0) << output;
  const std::string said =
      "  removed what a dead run left: pid " + std::to_string(dead) + " on host ";
  auto at = output.find(said);
  ASSERT_NE(at, std::string::npos) << output;
  const std::string line = output.substr(at, output.find('\n', at) - at);
  EXPECT_NE(line.find("(user "), std::string::npos) << line;
  EXPECT_NE(line.find(", bench virtual) since "), std::string::npos) << line;
  EXPECT_NE(line.find(": run folder " + dead_folder + " (lane1-flash, lane2-flash, ledger.sqlite"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find(", station locks lane1, lane2, the lock of report folder " +
                      (dir_ / "dead").string()),
            std::string::npos)
      << line;
  EXPECT_EQ(output.find("removed ", at + 3), std::string::npos) << output;  // one line, once
  EXPECT_FALSE(fs::exists(dead_folder));
  EXPECT_FALSE(fs::exists(dir_ / "dead" / ".rig.lock"));
  EXPECT_TRUE(fs::exists(dir_ / "dead" / "journal.jsonl"));  // the record stays

  // The live run's files are all there, and it goes on.
  EXPECT_EQ(run_folders(), std::set<std::string>{live_folder});
  EXPECT_TRUE(fs::exists(fs::path(live_folder) / "ledger.sqlite"));
  EXPECT_EQ(lock_files(), 2u);
  EXPECT_TRUE(fs::exists(dir_ / "live" / ".rig.lock"));
  ASSERT_EQ(rig("locks", &output), 0);
  EXPECT_NE(output.find("lane1 (bench virtual, pty:" + live_folder + "/lane1.ecr): held by pid " +
                        std::to_string(live)),
            std::string::npos)
      << output;

  // Ctrl-C: the live run ends and takes all of its files with it, as the short run did.
  ::kill(live, SIGINT);
  EXPECT_EQ(wait_exit(live), 130) << read_file(live_log);
  EXPECT_TRUE(run_folders().empty());
  EXPECT_EQ(lock_files(), 0u);
  EXPECT_FALSE(fs::exists(dir_ / "live" / ".rig.lock"));
  EXPECT_FALSE(fs::exists(dir_ / "next" / ".rig.lock"));
}

// A simulator's own child gets no death signal from the rig: when the rig is killed it lives on.
// The next run finds it by its environment (POSRIG_RUN_DIR), kills it and says so.
TEST_F(CleanupTest, AProcessAKilledRunLeftRunningIsKilledByTheNextRun) {
  // lane1's vterm started by a shell that stays its parent: vterm is the rig's grandchild.
  std::string text = bench_text();
  const std::string direct = R"(argv: ["${rig_dir}/vterm", "--ecr-link", "${run_dir}/lane1.ecr")";
  const auto at = text.find(direct);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, direct.size(),
               R"(argv: ["sh", "-c", "\"$$0\" \"$$@\"; true", "${rig_dir}/vterm", )"
               R"("--ecr-link", "${run_dir}/lane1.ecr")");
  const std::string bench = write_bench(text);
  fs::path log = dir_ / "up.log";
  pid_t up = start("bench up --bench " + bench, log);
  ASSERT_TRUE(wait_for_text(log, "READY")) << read_file(log);
  ASSERT_EQ(run_folders().size(), 1u);
  const std::string folder = *run_folders().begin();
  ::kill(up, SIGKILL);
  EXPECT_EQ(wait_exit(up), 128 + SIGKILL);

  // The grandchild is still there once its shell is gone.
  pid_t orphan = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (orphan == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (const auto& e : fs::directory_iterator("/proc")) {
      const std::string pid = e.path().filename().string();
      if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
      const std::string environ = read_file(e.path() / "environ");
      if (environ.find("POSRIG_RUN_DIR=" + folder + '\0') == std::string::npos) continue;
      if (read_file(e.path() / "comm") == "sh\n") {
        orphan = 0;  // its shell not yet gone: look again
        break;
      }
      if (read_file(e.path() / "comm") == "vterm\n" && alive(std::stoi(pid))) {
        orphan = std::stoi(pid);
      }
    }
  }
  ASSERT_NE(orphan, 0) << "no vterm outlived the killed rig";
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(alive(orphan));

  std::string output;
  ASSERT_EQ(next_run(&output), 0) << output;
  EXPECT_NE(output.find(", 1 process it left running (" + std::to_string(orphan) + " vterm)\n"),
            std::string::npos)
      << output;
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (alive(orphan) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(alive(orphan));
  if (alive(orphan)) ::kill(orphan, SIGKILL);  // the test failed: leave nothing running
  EXPECT_TRUE(run_folders().empty());
}

// A second Ctrl-C stops at once (std::_Exit), and still leaves nothing behind.
TEST_F(CleanupTest, ASecondCtrlCLeavesNothingEither) {
  fs::path log = dir_ / "run.log";
  pid_t run = start("run " + kLong + " --bench " + kVirtualBench + " --repeat 20 --out " +
                        (dir_ / "out").string(),
                    log);
  ASSERT_TRUE(wait_for_text(log, "PASS")) << read_file(log);
  ASSERT_EQ(run_folders().size(), 1u);
  ASSERT_EQ(lock_files(), 2u);
  ::kill(run, SIGINT);
  // The second one as soon as the first is taken (two at once would be one pending signal).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (read_file(log).find("rig: interrupted;") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ::kill(run, SIGINT);
  EXPECT_EQ(wait_exit(run), 130);
  EXPECT_NE(read_file(log).find("rig: second interrupt, stopping at once"), std::string::npos)
      << read_file(log);
  EXPECT_TRUE(run_folders().empty());
  EXPECT_EQ(lock_files(), 0u);
  EXPECT_FALSE(fs::exists(dir_ / "out" / ".rig.lock"));
  EXPECT_TRUE(fs::exists(dir_ / "out" / "journal.jsonl"));  // the record stays
}

TEST_F(CleanupTest, RigLocksRemovesDeadStationLocksTheNextRunTheRest) {
  fs::path log = dir_ / "up.log";
  pid_t up = start("bench up --bench " + kVirtualBench, log);
  ASSERT_TRUE(wait_for_text(log, "READY")) << read_file(log);
  ::kill(up, SIGKILL);
  EXPECT_EQ(wait_exit(up), 128 + SIGKILL);
  EXPECT_EQ(lock_files(), 2u);
  ASSERT_EQ(run_folders().size(), 1u);
  const std::string folder = *run_folders().begin();

  std::string output;
  ASSERT_EQ(rig("locks", &output), 0);
  const std::string gone = "removed the lock of station lane1 left by a dead run: pid " +
                           std::to_string(up) + " on host ";
  EXPECT_EQ(output.rfind(gone, 0), 0u) << output;
  EXPECT_NE(output.find("\nremoved the lock of station lane2 left by a dead run: pid " +
                        std::to_string(up)),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("\nno station locks in " + locks_.string() + "\n"), std::string::npos)
      << output;
  EXPECT_EQ(lock_files(), 0u);
  EXPECT_TRUE(fs::exists(folder));  // `rig locks` minds locks only

  ASSERT_EQ(next_run(&output), 0) << output;
  EXPECT_NE(output.find("  removed what a dead run left: pid " + std::to_string(up) + " on host "),
            std::string::npos)
      << output;
  EXPECT_NE(output.find(": run folder " + folder + " ("), std::string::npos) << output;
  EXPECT_TRUE(run_folders().empty());
  EXPECT_EQ(lock_files(), 0u);
}

}  // namespace
