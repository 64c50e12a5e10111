// Sample runs for the report tests: attempts of every status with steps, checks and timelines
// shaped as the engine writes them.
#pragma once

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "rig/report/results.h"

namespace report_test {

using rig::report::RunResult;
using rig::report::ScenarioResult;
using rig::report::Status;

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fresh folder under /tmp for one test.
inline std::filesystem::path temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("posrig-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline ScenarioResult attempt(const std::string& id, Status status, int attempt = 1,
                              const std::string& station = "lane1") {
  ScenarioResult s;
  s.id = id;
  s.family = id.substr(0, id.find('/'));
  s.name = "scenario " + id;
  s.file = "scenarios/" + id + ".yaml";
  s.tags = {"nightly", s.family};
  s.station = station;
  s.attempt = attempt;
  s.status = status;
  s.run_id = "";
  s.started_at = "2026-11-22T01:41:51.000Z";
  s.duration_ms = 1234.5;
  s.terminal_version = "vterm-1.0";
  s.steps.push_back({s.file + ":5:5", "sale", "sale 100.00 card visa-chip", 1.0, 2.0, true, ""});
  s.checks.push_back({s.file + ":6:5", "result status=FAILED", true, "status=FAILED", "", 10.0});
  s.timeline = nlohmann::json::array(
      {{{"t_ms", 0.5},
        {"kind", "step"},
        {"fields", {{"step", "sale"}, {"where", s.file + ":5:5"}}}},
       {{"t_ms", 1.5},
        {"kind", "ecr_out"},
        {"fields",
         {{"direction", "out"}, {"kind", "frame"}, {"payload", "SALE|id=a|amount=100.00"}}}},
       {{"t_ms", 5.0},
        {"kind", "host_message"},
        {"fields", {{"mti", "0200"}, {"direction", "to_host"}, {"fields", {{"11", "000001"}}}}}},
       {{"t_ms", 6.0},
        {"kind", "fault_applied"},
        {"fields", {{"text", "fault 1 fired: down"}, {"driver", "proxy"}, {"station", station}}}},
       {{"t_ms", 9.0}, {"kind", "result"}, {"fields", {{"id", "a"}, {"status", "FAILED"}}}},
       {{"t_ms", 12.0},
        {"kind", "status"},
        {"fields", {{"state", "idle"}, {"version", "vterm-1.0"}}}}});
  s.transcript = nlohmann::json::array({s.timeline[1], s.timeline[2]});
  s.faults = nlohmann::json::array({s.timeline[3]});
  if (status == Status::fail) {
    s.message =
        s.file + ":9:5: expected EVENT REVERSAL_STORED within 1000ms; saw RESULT status=FAILED";
    s.steps.push_back({s.file + ":9:5", "expect", "expect event", 9.5, 1009.5, false, s.message});
    s.checks.push_back({s.file + ":9:5", "event name=REVERSAL_STORED", false,
                        "name=REVERSAL_STORED", s.message, 1009.5});
  } else if (status == Status::error) {
    s.message = "station " + station + ": ECR link lost: pty closed";
    s.timeline.push_back(
        {{"t_ms", 20.0}, {"kind", "infra"}, {"fields", {{"text", "ECR link lost: pty closed"}}}});
  } else if (status == Status::skipped) {
    s.message = "not run: interrupted before it ran";
    s.steps.clear();
    s.checks.clear();
    s.timeline = nlohmann::json::array();
    s.transcript = nlohmann::json::array();
    s.faults = nlohmann::json::array();
  }
  return s;
}

// A run of the virtual bench with one scenario of each status, --var bugs=no-reversal.
inline RunResult sample_run() {
  RunResult r;
  r.run_id = "posrig-run-AbC123";
  r.rig_version = "0.1.0";
  r.bench_name = "virtual";
  r.bench_file = "fixtures/benches/virtual.yaml";
  r.host = "benchhost";
  r.started_at = "2026-11-22T01:41:50.000Z";
  r.ended_at = "2026-11-22T01:42:10.000Z";
  r.duration_ms = 20000;
  r.variables = {{"bugs", "no-reversal"}, {"seed", "7"}};
  r.overrides = {{"bugs", "no-reversal"}};
  r.seed = "7";
  r.shuffle = true;
  r.git_commit = "0123456789abcdef0123456789abcdef01234567";
  r.git_branch = "main";
  r.stations = {{"lane1", "rig-ecr", "pty:${run_dir}/lane1.ecr", ""},
                {"lane2", "rig-ecr", "pty:${run_dir}/lane2.ecr", ""}};
  r.scenarios = {attempt("decline/insufficient-funds", Status::pass),
                 attempt("reversal/approval-lost", Status::fail),
                 attempt("card/mute", Status::error, 1, "lane2"),
                 attempt("printer/paper-out", Status::skipped)};
  for (auto& s : r.scenarios) s.run_id = r.run_id;
  r.judge();
  return r;
}

}  // namespace report_test
