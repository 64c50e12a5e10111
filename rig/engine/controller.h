// The controller of one run: brings a bench up (shared services, then every station), runs the
// selected scenarios on the stations in parallel (one scenario at a time per station), writes
// the reports as scenarios finish, and brings the bench down — also on Ctrl-C, after putting
// every fault back.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rig/bench/bench.h"
#include "rig/bench/card_profile.h"
#include "rig/bench/station_lock.h"
#include "rig/engine/run_folder.h"
#include "rig/engine/station.h"
#include "rig/report/results.h"
#include "rig/scenario/scenario.h"

namespace rig::engine {

// What a station is doing, for live progress (`rig run` on a terminal, posrig.run's
// on_progress). Sent on the station's worker thread, in order for each station.
struct Progress {
  enum class Phase { scenario_started, step_started };
  Phase phase = Phase::scenario_started;
  std::string station;
  std::string scenario;   // scenario id
  int step = 0;           // step_started: 1-based number of the step in the scenario
  int steps = 0;          // steps of the scenario
  std::string step_name;  // step_started: sale, fault, expect, …
  std::string where;      // step_started: file:line:col of the step
  double elapsed_ms = 0;  // since the scenario started
};
const char* to_string(Progress::Phase phase);  // "scenario_started", "step_started"

struct ControllerOptions {
  int jobs = 0;                 // stations used at once; 0 = all
  bool fail_fast = false;       // stop after the first fail or error
  int repeat = 1;               // run each scenario this many times (attempts 1..N)
  // Report folder: the journal (journal.jsonl) while the run runs, then results.json,
  // junit.xml and report.html rendered from it ("" = no folder: results stay in memory).
  std::string out_dir;
  std::string junit_path;  // copies of the reports elsewhere (--junit/--json/--html)
  std::string json_path;
  std::string html_path;
  std::string allure_dir;       // --allure DIR: Allure results
  std::string history_path;     // run history database ("" = not recorded)
  std::string shard;            // "K/N", recorded in the results
  // `--seed N`: the run's seed (none: one is drawn, see Controller::seed()); `--shuffle`: the
  // attempts run in an order drawn from it (rig/scenario/select.h RunOrder), else in the
  // order given. Both are recorded in every report.
  std::optional<std::uint32_t> seed;
  bool shuffle = false;
  bool interactive = false;     // an operator can answer manual fixtures
  // false (the CLI): run() returns summaries of the attempts (the records are in the journal),
  // so that memory does not grow with every timeline of a long run. true (Python): the
  // returned results keep every timeline.
  bool keep_timelines = false;
  // `--var NAME=VALUE`: overrides of the bench's variables.
  std::map<std::string, std::string> overrides;
  // --rerun-failed: the run whose failures are run again, the attempts of those scenarios it
  // holds (carried into this run's results, so that a pass now shows as flaky), and the
  // attempt number each scenario continues from.
  std::string rerun_of;
  std::vector<report::ScenarioResult> carried;
  std::map<std::string, int> attempts_before;
  std::chrono::milliseconds up_timeout{20000};
  // `--wait-lock`: how long a station whose lock another run holds waits for it (0: refused at
  // once, naming the holder). See rig/bench/station_lock.h.
  std::chrono::milliseconds wait_lock{0};
  // Folder of vterm/vhost for ${rig_dir}; empty: the folder of the running executable.
  std::string rig_dir;
  // Called after each scenario (console progress).
  std::function<void(const report::ScenarioResult&, int done, int total)> on_result;
  // Called for bring-up progress ("station lane1 up").
  std::function<void(const std::string&)> on_note;
  // Called when a station starts a scenario or a step (live progress); the end of a scenario
  // is on_result.
  std::function<void(const Progress&)> on_progress;
  // Called for every timeline entry of every station (live logs), on the thread that added it.
  std::function<void(const std::string& station, const Entry& entry)> on_entry;
  // Folder for the output of the launched simulators and services (<name>.log); "" = not kept.
  std::string logs_dir;
};

class Controller {
 public:
  Controller(bench::Bench bench, ControllerOptions options);
  ~Controller();  // down()

  // Starts the bench's services, then brings every station up. A station that cannot come up
  // is kept aside with its reason (its scenarios go to the others; with none left they end as
  // `error`). Returns "" or, when nothing at all could come up, the reason (run() then reports
  // every scenario as an error with it).
  std::string up();
  void down();

  // Runs the scenarios: each finished attempt goes to the journal in out_dir at once; at the
  // end the reports are rendered from the journal (report_errors() says what could not be
  // written) and the run is added to the history. Returns the results (summaries unless
  // keep_timelines).
  report::RunResult run(const std::vector<scenario::Scenario>& scenarios);
  // Report files, journal lines or history that could not be written (exit code 3).
  const std::vector<std::string>& report_errors() const { return report_errors_; }

  // From the signal thread: stop waiting, put faults back, write what is done, return.
  void interrupt();
  bool interrupted() const { return interrupted_.load(); }

  // The run's seed: ControllerOptions::seed, or the one drawn for this run.
  std::uint32_t seed() const { return seed_; }
  const bench::Bench& bench() const { return bench_; }
  // Stations that came up, for `rig bench up` and the Python bindings.
  std::vector<Station*> stations();
  const std::vector<std::string>& station_errors() const { return station_errors_; }
  const bench::Variables& variables() const { return vars_; }
  const std::string& run_dir() const { return run_dir_; }

 private:
  std::string bring_up();
  // The run's header: bench, variables, stations, provenance.
  report::RunResult header(const std::vector<scenario::Scenario>& scenarios) const;
  // Renders the reports and records the history at the end of run().
  void finish_reports(report::RunResult& result, const std::string& journal_path);

  bench::Bench bench_;
  ControllerOptions opt_;
  std::uint32_t seed_ = 0;
  bench::Variables vars_;
  std::string run_dir_;
  std::unique_ptr<RunFolder> run_folder_;  // run_dir_, removed when the run ends
  std::map<std::string, bench::CardProfile> cards_;
  std::vector<std::unique_ptr<process::Child>> services_;
  std::vector<std::unique_ptr<Station>> stations_;
  // Held where stations_ changes and by interrupt(), which a signal's thread calls at any time,
  // also while bring_up() adds stations (a data race ThreadSanitizer found).
  std::mutex stations_mu_;
  std::vector<std::string> station_errors_;
  std::map<std::string, std::string> station_error_by_name_;
  std::string bench_error_;
  std::vector<std::string> report_errors_;
  std::vector<std::unique_ptr<bench::StationLock>> locks_;
  int interrupt_fd_ = -1;  // eventfd, readable once interrupt() was called (wakes lock waits)
  std::atomic<bool> interrupted_{false};
  std::mutex report_mu_;

  // What each station runs now, for on_progress (written by its worker thread only).
  struct Activity {
    std::string scenario;
    int steps = 0;
    int step = 0;
    Clock::time_point started{};
  };
  void watch(Station& station);
  void scenario_started(Station& station, const scenario::Scenario& scenario);
  std::map<std::string, Activity> activity_;  // by station; keys fixed once up() returns
};

}  // namespace rig::engine
