// Results of a run: the record (results.json, schema in docs/results.md), the outcome of each
// scenario over its attempts (pass, fail, error, skipped, flaky) and the exit code.
//
// A run's results are a list of attempts: one ScenarioResult per run of a scenario (attempt
// 1, 2, … with --repeat or --rerun-failed). The scenario's outcome is judged over all of its
// attempts (outcome_of). Renderers (results.json, junit.xml, report.html, Allure) read a
// RunResult whose attempts may be summaries: detail(i) then reads the full record (steps,
// checks, timeline) from the journal, one at a time, so that rendering a long run never holds
// every timeline at once.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rig::report {

// results.json schema version written; version 1 documents are read too (every entry is then
// attempt 1).
inline constexpr int kSchemaVersion = 2;

// pass, fail (a check did not hold), error (infrastructure trouble), skipped (not run); flaky
// is an outcome only: a scenario with attempts that passed and attempts that failed.
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

// One attempt of one scenario.
struct ScenarioResult {
  std::string id;  // family/stem
  std::string name;
  std::string family;
  std::string file;
  std::vector<std::string> tags;
  std::string station;
  int attempt = 1;                  // 1, 2, … (--repeat, --rerun-failed)
  Status status = Status::skipped;  // of this attempt: pass, fail, error or skipped
  // Filled by the renderers from all attempts of this id (outcome_of): how many there are, and
  // the scenario's outcome (flaky when some passed and some failed).
  int attempts = 1;
  Status outcome = Status::skipped;
  std::string run_id;      // the run that made this attempt ("" = the document's run)
  std::string message;     // first failed check, or the error, or why it was skipped
  std::string started_at;  // ISO 8601 UTC
  double duration_ms = 0;
  std::string terminal_version;  // firmware version the terminal reported (STATUS), if any
  std::vector<StepResult> steps;
  std::vector<CheckResult> checks;
  nlohmann::json faults = nlohmann::json::array();      // applied/cleared, with t_ms
  nlohmann::json transcript = nlohmann::json::array();  // ECR frames, host/wallet messages
  nlohmann::json timeline = nlohmann::json::array();    // everything, with t_ms
};

// A station of the bench as the run saw it.
struct StationInfo {
  std::string name;
  std::string driver;  // terminal driver (rig-ecr)
  std::string link;    // link spec as written in the bench
  std::string error;   // why it did not come up ("" when it did)
  std::string version;  // firmware version its READY line gave (version=…), "" when none
};

struct RunResult {
  std::string run_id;
  std::string rig_version;
  std::string bench_name;
  std::string bench_file;
  std::string host;  // machine that ran it
  std::string started_at;
  std::string ended_at;
  double duration_ms = 0;
  // Stopped by Ctrl-C/SIGTERM (the scenario running then is an error, the rest skipped).
  bool interrupted = false;
  // The rig did not finish (killed, crashed): rendered from a journal without its end record;
  // the scenarios it did not report are skipped ("not run").
  bool incomplete = false;
  std::string shard;  // "K/N" or empty
  // Every bench variable with the value the run used, and the ones `--var` changed.
  std::map<std::string, std::string> variables;
  std::map<std::string, std::string> overrides;
  std::string seed;        // the run's seed (`--seed`, or drawn), decimal; "" when none
  bool shuffle = false;    // the attempts ran in an order drawn from the seed (`--shuffle`)
  std::string git_commit;  // commit of the scenarios' checkout, "" when not in git
  std::string git_branch;
  std::string rerun_of;  // run id whose failures this run ran again (--rerun-failed)
  std::vector<std::string> merged_from;  // run ids joined by `rig merge`
  std::string bench_error;               // why the bench could not come up at all ("" = it did)
  std::vector<StationInfo> stations;
  std::vector<ScenarioResult> scenarios;  // every attempt; summaries when `loader` is set
  // Where this run's reports were written ("" when not known). Not part of results.json.
  std::string report_dir;

  // Reads attempt i in full (steps, checks, timeline). Unset: scenarios[i] is already full.
  std::function<ScenarioResult(std::size_t)> loader;
  ScenarioResult detail(std::size_t i) const;

  struct Counts {
    // Scenarios by outcome (each scenario once, whatever its attempts).
    int pass = 0, fail = 0, error = 0, skipped = 0, flaky = 0;
    int attempts = 0;  // attempts in all
    int total() const { return pass + fail + error + skipped + flaky; }
  };
  Counts counts() const;
  // 0 every scenario passed (flaky ones included), 1 a scenario failed, 3 infrastructure error
  // (and no failure).
  int exit_code() const;
  // Fills each attempt's `attempts` and `outcome` from all attempts of its id.
  void judge();
};

// The outcome of one scenario over its attempts' statuses: pass when all that ran passed,
// flaky when some passed and some failed or errored, fail when none passed and one failed,
// error when every one that ran errored, skipped when none ran.
Status outcome_of(const std::vector<Status>& attempts);

// Versions the terminals reported, per station ("lane1" -> "vterm-1.0"): from the attempts
// (STATUS), else from the station's READY line.
std::map<std::string, std::string> terminal_versions(const RunResult& r);

// One attempt as it goes into the journal and results.json (without attempts/outcome).
nlohmann::json to_json(const ScenarioResult& s);
ScenarioResult scenario_from_json(const nlohmann::json& j);
// The run's header: every field of results.json but summary and scenarios.
nlohmann::json header_json(const RunResult& r);
void read_header(const nlohmann::json& j, RunResult& r);

// The results.json document (judged: attempts/outcome filled), in memory or streamed.
nlohmann::json to_json(const RunResult& r);
void write_json(const RunResult& r, std::ostream& out);
// Reads a results.json document back (for `rig merge` and `rig report`); throws
// std::runtime_error naming the problem for a document of another schema version.
RunResult run_from_json(const nlohmann::json& j);

// UTC now as "2026-11-22T01:41:51.123Z".
std::string utc_now_iso8601();
// UTC now in a strftime `format`, then ".mmmZ" (milliseconds): "%Y%m%dT%H%M%S" gives
// "20261122T014151.123Z".
std::string utc_now(const char* format);

}  // namespace rig::report
