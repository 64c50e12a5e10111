// Results of a run: the record (results.json, schema in docs/results.md), JUnit XML for CI,
// and atomic writing so that a crash never leaves a half-written report.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace rig::report {

inline constexpr int kSchemaVersion = 1;

enum class Status { pass, fail, error, skipped, flaky };
const char* to_string(Status s);
std::optional<Status> status_from_string(const std::string& s);

struct CheckResult {
  std::string where;  // "file:line:col" of the expect step
  std::string what;   // "result", "event REVERSAL_ACKED", …
  bool passed = false;
  std::string expected;
  std::string actual;
  double at_ms = 0;  // since scenario start
};

struct StepResult {
  std::string where;
  std::string name;     // step key
  std::string summary;  // one line: "sale 100.00 card visa-chip"
  double start_ms = 0;
  double end_ms = 0;
  bool ok = true;
  std::string message;  // why not ok
};

struct ScenarioResult {
  std::string id;  // family/stem
  std::string name;
  std::string family;
  std::string file;
  std::vector<std::string> tags;
  std::string station;
  Status status = Status::skipped;
  int attempts = 0;
  std::string message;  // first failed check, or the error
  std::string started_at;  // ISO 8601 UTC
  double duration_ms = 0;
  std::vector<StepResult> steps;
  std::vector<CheckResult> checks;
  nlohmann::json faults = nlohmann::json::array();      // applied/cleared, with t_ms
  nlohmann::json transcript = nlohmann::json::array();  // ECR frames, host/wallet messages
  nlohmann::json timeline = nlohmann::json::array();    // everything, with t_ms
  // This scenario's results.json entry as text, when its faults, transcript and timeline were
  // dropped from memory (compact()); empty otherwise. to_json() then reads it back.
  std::string json_text;
};

// Renders `s` into json_text and drops faults, transcript and timeline: a long run keeps each
// finished scenario as its results.json text, not as a JSON tree (several times larger).
void compact(ScenarioResult& s);

struct RunResult {
  std::string run_id;
  std::string rig_version;
  std::string bench_name;
  std::string bench_file;
  std::string started_at;
  std::string ended_at;
  double duration_ms = 0;
  bool interrupted = false;
  std::string shard;  // "K/N" or empty
  std::vector<ScenarioResult> scenarios;

  struct Counts {
    int pass = 0, fail = 0, error = 0, skipped = 0, flaky = 0;
    int total() const { return pass + fail + error + skipped + flaky; }
  };
  Counts counts() const;
  // 0 all passed (or flaky), 1 a scenario failed, 3 infrastructure error (and no failure).
  int exit_code() const;
};

nlohmann::json to_json(const ScenarioResult& s);
// The results.json document as text; compacted scenarios go in as their text, without being
// parsed again. Same content as to_json(r).dump(1).
std::string to_json_text(const RunResult& r);
nlohmann::json to_json(const RunResult& r);
// Reads a results.json document back (for `rig merge` and `rig report`); throws
// std::runtime_error naming the problem for a document of another schema version.
RunResult run_from_json(const nlohmann::json& j);

std::string to_junit(const RunResult& r);

// Writes `content` to `path` atomically: a temporary file in the same folder, fsync, rename.
// Throws std::runtime_error "cannot write <path>: <why>".
void write_atomically(const std::string& path, const std::string& content);

// UTC now as "2026-11-22T01:41:51.123Z".
std::string utc_now_iso8601();

}  // namespace rig::report
