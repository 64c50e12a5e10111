// A test fixture for tests that run the `rig` command itself (tests/integration/test_engine.cpp,
// test_bench_fit.cpp, …): a scratch folder per test, rig run with its exit code and output,
// the results.json it wrote, and bench files rewritten into the scratch folder.
#pragma once

#include <algorithm>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace rig_run_test {

namespace fs = std::filesystem;
using nlohmann::json;

inline const std::string kRig = POSRIG_BUILD_DIR "/rig";
inline const std::string kVirtualBench = POSRIG_SOURCE_DIR "/fixtures/benches/virtual.yaml";

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class RigRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');  // parameterised: Name/0
    dir_ = fs::temp_directory_path() / ("posrig-it-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs rig with `args` (stdin not a terminal, as in CI); returns the exit code and fills
  // `output` (stdout + stderr).
  int rig(const std::string& args, std::string* output = nullptr) {
    std::string cmd = kRig + " " + args + " 2>&1 </dev/null";
    FILE* p = ::popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    int status = ::pclose(p);
    if (output) *output = out;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // Starts rig with `args` in its own process group, stdout and stderr to `log`; returns its pid.
  pid_t spawn_rig(const std::string& args, const fs::path& log) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::setpgid(0, 0);
      std::FILE* f = std::freopen(log.c_str(), "w", stdout);
      (void)f;
      ::dup2(STDOUT_FILENO, STDERR_FILENO);
      std::string cmd = "exec " + kRig + " " + args + " </dev/null";
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return pid;
  }
  // Waits until `log` contains `text` (true) or `timeout` passes (false).
  static bool wait_for_text(const fs::path& log, const std::string& text,
                            std::chrono::seconds timeout = std::chrono::seconds(60)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (read_file(log).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  // Waits for `pid` to end; its exit code (128 + signal when killed).
  static int wait_exit(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  std::string out() const { return (dir_ / "out").string(); }
  json results() { return json::parse(read_file(dir_ / "out" / "results.json")); }
  static const json& scenario(const json& r, const std::string& id) {
    for (const auto& s : r["scenarios"]) {
      if (s["id"] == id) return s;
    }
    throw std::runtime_error("no scenario " + id);
  }

  // The text of bench file `bench` with its card folder and profiles made absolute, so that a
  // copy in the scratch folder finds them.
  static std::string bench_text(const std::string& bench = kVirtualBench) {
    std::string text = std::regex_replace(read_file(bench), std::regex("cards: \\.\\./cards"),
                                          "cards: " POSRIG_SOURCE_DIR "/fixtures/cards");
    return std::regex_replace(text, std::regex("profile: \\.\\./profiles/"),
                              "profile: " POSRIG_SOURCE_DIR "/fixtures/profiles/");
  }
  // Writes `text` as a bench file in the scratch folder; returns its path.
  std::string write_bench(const std::string& text, const std::string& name = "bench.yaml") {
    fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }

  fs::path dir_;
};

}  // namespace rig_run_test
