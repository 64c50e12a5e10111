// `rig explore` (docs/explore.md): records a clean run of a flow on a bench, lists its
// boundaries (rig/explore/matrix.h), and runs the flow once per boundary and fault that fits
// there, each as a scenario loaded from its YAML text and run by the normal engine (one
// Controller, the bench's stations in parallel). The judge is the scenario's outcome: the
// always-on evidence checks (docs/kinds.md) and the recovery it asks for (the flow's answer,
// LAST, a clean follow-up transaction approved). A run that fails is a violation; its YAML is
// the reproducer.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rig/bench/bench.h"
#include "rig/explore/matrix.h"
#include "rig/report/results.h"

namespace rig::engine {
class Controller;
}

namespace rig::explore {

// An exploration to continue (`rig explore --resume`): what the journal of an earlier one in the
// same output folder recorded.
struct Previous {
  std::uint32_t seed = 0;
  // Its runs that held or were violated, in full; errors and skipped runs are run again.
  std::vector<report::ScenarioResult> judged;
};

// Reads <out_dir>/journal.jsonl, written by an earlier `rig explore` of `flow` on the bench
// named `bench_name`. Throws std::invalid_argument saying why it cannot be resumed (no journal,
// not an exploration's, another flow or bench).
Previous previous_exploration(const std::string& out_dir, const std::string& flow,
                              const std::string& bench_name);

struct Options {
  std::string flow = "card-sale";
  std::uint32_t seed = 0;  // the order of the runs (std::mt19937, as rig run --shuffle)
  int depth = 1;           // 2: a second fault at each boundary a first one brought about
  int budget_runs = 0;     // at most this many fault runs; 0: no limit
  std::chrono::milliseconds budget_time{0};  // start no run after this long; 0: no limit
  std::string out_dir;                       // explore.json, junit.xml, findings/, logs/
  std::string bench_file;                    // as given, for the findings' rerun line
  std::map<std::string, std::string> overrides;  // --var NAME=VALUE
  std::string rig_dir;                           // vterm/vhost for ${rig_dir}; "" = the rig's
  std::optional<Previous> resume;  // runs judged before are taken over, not run again
  // One line per finished run (and bring-up notes), for stderr.
  std::function<void(const std::string&)> progress;
};

// One run: a fault at a boundary (or the clean run: boundary and fault "none").
struct Run {
  std::string id;        // case id (rig/explore/matrix.h case_id), "clean" for the clean run
  std::string boundary;  // Boundary::id(), "none"; depth 2: both, joined by "+"
  std::string fault;     // catalogue name, "none"; depth 2: both, joined by "+"
  std::string verdict;   // held | violated | error | skipped
  std::string evidence;  // violated: the failed checks, one per line; error/skipped: why
  std::vector<std::string> failed_checks;  // "evidence money_conserved", "result status=APPROVED"
  std::string station;
  double duration_ms = 0;
  std::string yaml;     // the scenario text that ran
  std::string finding;  // violated: the path of its finding file
};

struct Outcome {
  std::string flow;
  std::string bench;
  std::uint32_t seed = 0;
  std::vector<Boundary> boundaries;
  Run clean;
  std::vector<Run> runs;  // in the order run
  int planned = 0;        // fault runs the matrix holds
  int left = 0;           // not run: the budget ran out (or interrupted)
  int resumed = 0;        // of `runs`: judged by the exploration this one resumed
  int depth = 1;
  int pruned = 0;  // depth 2: first faults not paired, their recovery's path seen already
  double duration_ms = 0;
  bool interrupted = false;
  std::string error;                 // the bench could not come up, or the clean run did not run
  std::vector<std::string> written;  // problems writing the outputs
  int violations() const;
  // 0: no violation; 1: a violation; 3: the bench or the clean run could not be run, a run
  // ended in an infrastructure error, or an output could not be written; 130: interrupted.
  int exit_code() const;
};

class Explorer {
 public:
  // Throws std::invalid_argument for an unknown flow.
  Explorer(bench::Bench bench, Options options);
  // Runs the exploration and writes its outputs (Options::out_dir).
  Outcome run();
  // From the signal thread: the run in progress is put back, no further run starts.
  void interrupt();

 private:
  std::vector<report::ScenarioResult> run_batch(engine::Controller& c,
                                                const std::vector<std::string>& texts,
                                                const std::vector<std::string>& names,
                                                std::vector<std::string>* load_errors);
  void write_outputs(Outcome& outcome, const std::vector<report::ScenarioResult>& results);
  // The run's fields of results.json and of the journal's header.
  report::RunResult run_header(const Outcome& outcome) const;

  bench::Bench bench_;
  Options opt_;
  const Flow* flow_;
  std::atomic<bool> interrupted_{false};
  std::mutex mu_;
  engine::Controller* controller_ = nullptr;  // while run() runs
};

// The verdict of a finished scenario: held (passed), violated (a check failed: `evidence` lists
// every failed check, the evidence checks first), error or skipped (with why).
Run verdict_of(const report::ScenarioResult& result);

// explore.json (docs/explore.md "Output").
nlohmann::json to_json(const Outcome& outcome);

}  // namespace rig::explore
