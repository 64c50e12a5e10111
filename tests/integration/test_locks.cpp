// Station locks across runs of the rig command: a second run is refused naming the holder,
// `rig locks` shows who holds what, `--wait-lock` queues until the holder lets go, and no lock
// file is left when the runs end.
#include <signal.h>
#include <stdlib.h>

#include <string>

#include "rig_run_test.h"

namespace {

using namespace rig_run_test;

const std::string kScenario =
    POSRIG_SOURCE_DIR "/tests/integration/data/bench-fit/needs-nothing.yaml";

class LocksTest : public RigRunTest {
 protected:
  void SetUp() override {
    RigRunTest::SetUp();
    locks_ = dir_ / "locks";
    ::setenv("POSRIG_LOCK_DIR", locks_.c_str(), 1);
    // One station whose terminal is at a fixed path, so that two runs want the same device.
    std::string text = bench_text();
    text = text.substr(0, text.find("  - name: lane2"));
    std::string fixed = (dir_ / "lane1.ecr").string();
    for (auto at = text.find("${run_dir}/lane1.ecr"); at != std::string::npos;
         at = text.find("${run_dir}/lane1.ecr")) {
      text.replace(at, 20, fixed);
    }
    bench_ = write_bench(text);
    device_ = "pty:" + fixed;
  }
  void TearDown() override {
    ::unsetenv("POSRIG_LOCK_DIR");
    RigRunTest::TearDown();
  }
  std::size_t lock_files() const {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(locks_, ec)) n += e.path().extension() == ".lock";
    return n;
  }

  fs::path locks_;
  std::string bench_, device_;
};

TEST_F(LocksTest, SecondRunIsRefusedOrWaitsAndLocksGoAway) {
  fs::path up_log = dir_ / "up.log";
  pid_t up = spawn_rig("bench up --bench " + bench_, up_log);
  ASSERT_TRUE(wait_for_text(up_log, "READY")) << read_file(up_log);
  EXPECT_EQ(lock_files(), 1u);

  std::string output;
  EXPECT_EQ(rig("locks", &output), 0);
  EXPECT_NE(output.find("lane1 (bench virtual, " + device_ + "): held by pid " +
                        std::to_string(up) + " on host "),
            std::string::npos)
      << output;

  EXPECT_EQ(rig("run " + kScenario + " --bench " + bench_ + " --out " + out(), &output), 3);
  EXPECT_NE(output.find("station lane1 is in use: " + device_ + " is held by pid " +
                        std::to_string(up) + " on host "),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("(user "), std::string::npos) << output;
  EXPECT_NE(output.find(", bench virtual, station lane1) since "), std::string::npos) << output;

  fs::path run_log = dir_ / "run.log";
  pid_t run = spawn_rig(
      "run " + kScenario + " --bench " + bench_ + " --wait-lock 2m --out " + out(), run_log);
  ASSERT_TRUE(wait_for_text(
      run_log, "station lane1: waiting up to 2m for its lock, held by pid " + std::to_string(up)))
      << read_file(run_log);
  ::kill(up, SIGTERM);
  EXPECT_EQ(wait_exit(up), 0) << read_file(up_log);
  EXPECT_EQ(wait_exit(run), 0) << read_file(run_log);
  EXPECT_NE(read_file(run_log).find("PASS  benchfit/needs-nothing"), std::string::npos)
      << read_file(run_log);
  EXPECT_EQ(lock_files(), 0u);
  EXPECT_EQ(rig("locks", &output), 0);
  EXPECT_EQ(output, "no station locks in " + locks_.string() + "\n");
}

}  // namespace
