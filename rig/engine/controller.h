// The controller of one run: brings a bench up (shared services, then every station), runs the
// selected scenarios on the stations in parallel (one scenario at a time per station), writes
// the reports as scenarios finish, and brings the bench down — also on Ctrl-C, after putting
// every fault back.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rig/bench/bench.h"
#include "rig/bench/card_profile.h"
#include "rig/engine/station.h"
#include "rig/report/results.h"
#include "rig/scenario/scenario.h"

namespace rig::engine {

struct ControllerOptions {
  int jobs = 0;                 // stations used at once; 0 = all
  bool fail_fast = false;       // stop after the first fail or error
  int repeat = 1;               // run each scenario this many times
  std::string out_dir;          // where results.json / junit.xml go ("" = none)
  std::string junit_path;       // override of out_dir/junit.xml
  std::string json_path;        // override of out_dir/results.json
  std::string html_path;        // override of out_dir/report.html
  std::string shard;            // "K/N", recorded in the results
  bool interactive = false;     // an operator can answer manual fixtures
  // false (the CLI): a scenario that passed is kept as its results.json text once finished
  // (report::compact), so that memory does not grow with every timeline of a long run. true
  // (Python): the returned results keep every timeline as objects.
  bool keep_timelines = false;
  // `--var NAME=VALUE`: overrides of the bench's variables.
  std::map<std::string, std::string> overrides;
  std::chrono::milliseconds up_timeout{20000};
  // Folder of vterm/vhost for ${rig_dir}; empty: the folder of the running executable.
  std::string rig_dir;
  // Called after each scenario (console progress).
  std::function<void(const report::ScenarioResult&, int done, int total)> on_result;
  // Called for bring-up progress ("station lane1 up").
  std::function<void(const std::string&)> on_note;
};

class Controller {
 public:
  Controller(bench::Bench bench, ControllerOptions options);
  ~Controller();  // down()

  // Starts the bench's services, then brings every station up. A station that cannot come up
  // is kept aside with its reason (its scenarios go to the others; with none left they end as
  // `error`). Returns "" or, when nothing at all could come up, the reason.
  std::string up();
  void down();

  // Runs the scenarios and returns the results (also written to out_dir as they finish).
  report::RunResult run(const std::vector<scenario::Scenario>& scenarios);

  // From the signal thread: stop waiting, put faults back, write what is done, return.
  void interrupt();
  bool interrupted() const { return interrupted_.load(); }

  const bench::Bench& bench() const { return bench_; }
  // Stations that came up, for `rig bench up` and the Python bindings.
  std::vector<Station*> stations();
  const std::vector<std::string>& station_errors() const { return station_errors_; }
  const bench::Variables& variables() const { return vars_; }
  const std::string& run_dir() const { return run_dir_; }

 private:
  void write_reports(const report::RunResult& result);

  bench::Bench bench_;
  ControllerOptions opt_;
  bench::Variables vars_;
  std::string run_dir_;
  std::map<std::string, bench::CardProfile> cards_;
  std::vector<std::unique_ptr<process::Child>> services_;
  std::vector<std::unique_ptr<Station>> stations_;
  std::vector<std::string> station_errors_;
  std::vector<int> lock_fds_;
  std::atomic<bool> interrupted_{false};
  std::mutex report_mu_;
};

// Takes the lock of the device a station drives (its link spec); returns the lock's fd, or -1
// with `holder` saying who has it ("pid 4242 (rig run) since 2026-11-22T01:41:51Z").
int lock_station(const std::string& bench_name, const std::string& station,
                 const std::string& device, std::string* holder);

}  // namespace rig::engine
