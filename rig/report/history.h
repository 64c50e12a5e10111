// Run history: every `rig run` appends its scenarios' outcomes to a SQLite database
// (reports/history.sqlite by default, docs/results.md), and `rig history` reads it back: pass
// rate per scenario over the recent runs, scenarios newly failing, flaky ones.
//
// Runs are compared only with runs of the same configuration: the same bench and the same
// --var changes (a run with bugs=no-reversal is not mixed with clean runs).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "rig/report/results.h"

namespace rig::report {

// Appends `run` (one row per scenario: its outcome over its attempts) to the database at
// `db_path`, creating it when missing. Recording the same run again replaces its rows.
// Throws std::runtime_error "<db_path>: <why>".
void record_history(const std::string& db_path, const RunResult& run,
                    const std::string& report_dir);

struct ScenarioHistory {
  std::string id;
  std::vector<std::string> outcomes;  // oldest first: pass, fail, error, skipped, flaky
  std::vector<std::string> run_ids;
  std::string last_message;  // of the latest run that did not pass
  int runs() const { return static_cast<int>(outcomes.size()); }
  double pass_rate() const;    // share of runs (skipped ones not counted) that passed
  bool newly_failing() const;  // failed (or errored) last, passed the run before
  bool flaky() const;          // a flaky outcome, or both passes and failures
};

struct ConfigHistory {
  std::string bench;
  std::string overrides;  // "bugs=no-reversal" or "" for the bench's defaults
  int runs = 0;
  std::string first_started_at, last_started_at;
  std::vector<ScenarioHistory> scenarios;  // lowest pass rate first
};

// Reads the last `last_runs` runs of each configuration (of `bench` when not empty).
std::vector<ConfigHistory> read_history(const std::string& db_path, int last_runs,
                                        const std::string& bench);

// The `rig history` text and its --json form.
std::string history_text(const std::vector<ConfigHistory>& h, int last_runs);
nlohmann::json history_json(const std::vector<ConfigHistory>& h);

}  // namespace rig::report
