// What the Python objects Bench and Station hold: a bench that a script brings up and down
// (BenchHandle, bench.cpp) and one station driven step by step (SessionHandle, station.cpp).
//
// A SessionHandle keeps its BenchHandle alive, so that the station it drives outlives it. A
// station has at most one session at a time. BenchHandle::down() closes the sessions still
// open (each reverts its faults) before it stops the stations and services.
//
// Every member that waits on a device, a process or a socket is called without the GIL; none
// of them touches Python objects.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rig/bench/bench.h"
#include "rig/bench/card_profile.h"
#include "rig/engine/controller.h"
#include "rig/engine/runner.h"
#include "rig/report/results.h"
#include "rig/scenario/loader.h"
#include "rig/scenario/scenario.h"

namespace posrig_py {

class SessionHandle;

// Folder of vterm, vhost and rig (the bench's ${rig_dir}): $POSRIG_RIG_DIR, else <prefix>/bin
// of the prefix this module is installed under (from the module's path) when it holds vterm,
// else — for a module in its build tree — that tree, else the configured install bin folder,
// else the PATH entry that holds vterm, else "".
std::string default_rig_dir();

class BenchHandle : public std::enable_shared_from_this<BenchHandle> {
 public:
  // Loads and checks the bench file and its cards (ConfigError). `overrides` replace bench
  // variables like `rig run --var NAME=VALUE`; `rig_dir` "" means default_rig_dir().
  static std::shared_ptr<BenchHandle> load(const std::string& path,
                                           std::map<std::string, std::string> overrides,
                                           std::string rig_dir);
  ~BenchHandle();  // down()
  BenchHandle(const BenchHandle&) = delete;
  BenchHandle& operator=(const BenchHandle&) = delete;

  const rig::bench::Bench& bench() const { return bench_; }
  const rig::scenario::LoadOptions& load_options() const { return load_options_; }
  const std::map<std::string, std::string>& overrides() const { return overrides_; }
  const std::string& rig_dir() const { return rig_dir_; }

  // Starts the services and stations (waits for their ready lines). Throws InfrastructureError
  // when nothing came up; stations that did not are in station_errors(). Idempotent.
  void up(std::chrono::milliseconds up_timeout);
  // Closes open sessions (reverting their faults), stops stations and services. Idempotent.
  void down();
  bool is_up() const;
  std::vector<std::string> station_names() const;  // stations that came up
  std::vector<std::string> station_errors() const;

  // Opens a session on `station` ("" = the first free station). Throws UsageError when the
  // bench is not up, the station is unknown or busy; InfrastructureError when it is in trouble.
  std::shared_ptr<SessionHandle> open(const std::string& station);

  // Runs one scenario on `station` ("" = the first free one) as `rig run` runs it — steps,
  // checks, timeout, the station put back after it — and returns its result. The station is
  // taken for the time of the run (UsageError when the bench is not up or the station busy).
  // Ctrl-C (a CtrlC around the call) ends it as interrupted, faults reverted. Used by the
  // pytest plugin's scenario items.
  rig::report::ScenarioResult run_scenario(const rig::scenario::Scenario& scenario,
                                           const std::string& station);

  // For SessionHandle.
  void release(const std::string& station);
  const std::map<std::string, rig::bench::CardProfile>& cards() const { return cards_; }

 private:
  BenchHandle(rig::bench::Bench bench, std::map<std::string, std::string> overrides,
              std::string rig_dir);

  rig::bench::Bench bench_;
  std::map<std::string, std::string> overrides_;
  std::string rig_dir_;
  std::map<std::string, rig::bench::CardProfile> cards_;
  rig::scenario::LoadOptions load_options_;

  mutable std::mutex mu_;
  std::unique_ptr<rig::engine::Controller> controller_;
  std::map<std::string, std::weak_ptr<SessionHandle>> sessions_;  // open sessions
  std::set<std::string> busy_;  // stations with a session, or one being opened
  int opened_ = 0;  // sessions opened so far: makes each session's transaction ids unique

  // Reserves a station as open() and run_scenario() do; returns it and a fresh run tag.
  rig::engine::Station* reserve(const std::string& station, std::string* run_tag);
};

class SessionHandle {
 public:
  SessionHandle(std::shared_ptr<BenchHandle> bench, rig::engine::Station& station,
                std::string run_tag);
  ~SessionHandle();  // close()
  SessionHandle(const SessionHandle&) = delete;
  SessionHandle& operator=(const SessionHandle&) = delete;

  const std::string& name() const { return name_; }
  double time_scale() const { return time_scale_; }
  // The station's terminal driver and what it can do (docs/terminal-drivers.md):
  // {driver, commands, observations, status_fields, faults}.
  nlohmann::json capabilities() const;
  std::shared_ptr<BenchHandle> bench() const { return bench_; }

  // Performs one step (rig::engine::Session::step). A check that does not hold throws
  // CheckFailedError; infrastructure trouble InfrastructureError; a closed session UsageError.
  rig::report::StepResult step(const rig::scenario::Step& step);

  // Waits for the first timeline entry of `kind` (an EntryKind name: result, event, prompt,
  // display, receipt, status, host_message, …) whose fields hold every key of `match` (equal
  // as text; `text` of display and receipt entries: contained). Results are those of the
  // current transaction unless `match` names an id. Looks from `since`: "transaction" (the
  // last sale, refund, query, last or reprint), "now" or "session", or from entry `first`
  // when it is 0 or more. `timeout` is scenario time:
  // scaled by the bench's time_scale, and at least the engine's smallest deadline. Returns
  // the entry as results.json writes it ({t_ms, kind, fields}); null when interrupted (Ctrl-C).
  // Throws TimeoutError with the recent timeline.
  nlohmann::json wait_for(const std::string& kind, const nlohmann::json& match,
                          std::chrono::milliseconds timeout, const std::string& since,
                          long long first = -1);
  std::size_t size() const;  // timeline entries so far

  nlohmann::json timeline(std::size_t first) const;  // from entry `first`, as in results.json
  // The last `count` entries as results.json writes them, and as text for people (ECR frames
  // left out: their decoded messages are in the other entries).
  nlohmann::json recent(std::size_t count) const;
  std::string recent_text(std::size_t count) const;
  nlohmann::json ledger();  // vhost's figures for this terminal now
  std::vector<rig::report::CheckResult> checks() const;
  std::string transaction_id() const;

  // Reverts every fault and puts the fixtures back; "" or why it could not.
  std::string restore();
  // The end of the script's scenario, as `rig run` ends one: restore() (what recovery drains,
  // a stored reversal sent, counts for this session), then the evidence checks every scenario
  // gets (rig/checks/invariants.h) over the whole session and the host's evidence, recorded in
  // checks() at `where`. Throws CheckFailedError for the first that failed (the others are in
  // checks()), InfrastructureError when the station could not be put back, UsageError when
  // closed. Once per session: a later call does nothing. Nothing is judged after Ctrl-C.
  void verify(const rig::scenario::SourceLoc& where);
  // restore(), then releases the station. Idempotent; later calls return "".
  std::string close();
  bool closed() const;

  // From the Ctrl-C watch: ends the current wait. The call that was waiting then returns (a
  // step with ok == false, a wait_for with null) and close_if_interrupted() puts the station
  // back at once: the KeyboardInterrupt that follows in Python may hit any line, even the
  // `with` block's exit.
  void interrupt();
  void close_if_interrupted();

 private:
  void check_open() const;

  std::shared_ptr<BenchHandle> bench_;
  rig::engine::Station& station_;
  std::string name_;
  double time_scale_;
  rig::engine::RunnerOptions options_;  // Session keeps a reference to it
  std::atomic<bool> interrupted_{false};
  std::unique_ptr<rig::engine::Session> session_;
  std::shared_ptr<rig::engine::Timeline> timeline_;

  mutable std::mutex call_mu_;  // one call at a time
  bool closed_ = false;
  bool verified_ = false;
  std::vector<rig::report::CheckResult> final_checks_;  // checks() after close()
};

}  // namespace posrig_py
