// A station brought up for a run: its fault proxies, its simulator (virtual bench), its
// terminal driver and its fixture drivers, all wired as the bench file says, and a timeline
// that every part writes to.
//
// A terminal that floods its link (FloodMeter, rig/engine/flood.h) takes its station out of
// the run within seconds: the scenario running there ends as an error naming the flood, the
// terminal's link is closed and nothing more it says is kept.
//
// Bring-up order: fault proxies (their addresses become ${network.iso} ${network.wallet}),
// then the terminal's simulator when the bench launches one (its ready line's KEY=VALUE pairs
// become ${terminal.KEY}), then the terminal link, then the fixture drivers. Any failure is an
// infrastructure error for this station only; up() says what failed, naming the device.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "rig/bench/bench.h"
#include "rig/bench/variables.h"
#include "rig/engine/flood.h"
#include "rig/engine/provenance.h"
#include "rig/engine/timeline.h"
#include "rig/fault/fixture.h"
#include "rig/fault/network_fixture.h"
#include "rig/link/json_clients.h"
#include "rig/process/supervisor.h"
#include "rig/terminal/terminal.h"

namespace rig::engine {

class Station {
 public:
  // `vars` holds the bench-wide variables (bench_dir, rig_dir, run_dir, time_scale, cards and
  // each service's ready-line pairs).
  Station(const bench::Bench& bench, const bench::Station& wiring, bench::Variables vars,
          bool interactive);
  ~Station();  // down()

  const std::string& name() const { return wiring_.name; }
  const bench::Station& wiring() const { return wiring_; }
  double time_scale() const { return bench_.time_scale; }
  const std::string& tid() const { return wiring_.terminal.tid; }

  // Brings the station up; returns "" on success or the reason it could not.
  std::string up(std::chrono::milliseconds timeout);
  void down();
  bool is_up() const { return up_; }
  // Why the station is unusable now ("" while usable): the simulator died, the link was lost
  // and could not be reopened.
  std::string trouble() const;
  // Takes the station out of the run (the first reason is kept): its terminal is in a state
  // the rig cannot undo, so further scenarios there would fail for the wrong reason.
  void set_trouble(std::string why);

  // Timeline of the scenario running now; entries arriving between scenarios go to a spare.
  // Each attach begins a scenario for Provenance: entries about an earlier scenario's
  // transactions are marked as such (rig/engine/provenance.h).
  void attach(std::shared_ptr<Timeline> timeline);
  // Sees every entry of every timeline attached from now on, after it is added, on the thread
  // that added it (live progress and logs). Must not block or call back into the station.
  void observe(std::function<void(const Entry&)> observer);
  // Before up(): the simulator's stdout and stderr are appended to DIR/<program>-<station>.log.
  void keep_output_in(std::string dir) { output_dir_ = std::move(dir); }
  std::shared_ptr<Timeline> timeline() const;
  void record(EntryKind kind, nlohmann::json fields);

  terminal::TerminalDriver& terminal() { return *terminal_; }
  const terminal::TerminalDriver& terminal() const { return *terminal_; }
  // The fixture that performs `action` (a fixture action or a fault name), or nullptr with
  // `why` saying what is missing ("station lane1 has no scanner fixture wired").
  fault::FixtureDriver* fixture_for(const std::string& action, std::string* why);
  // Every fixture, for restore().
  std::vector<fault::FixtureDriver*> fixtures();
  // Ctrl-C: ends the fixture and admin calls in progress (a control port that hangs) at once;
  // later calls (revert, restore) work. Thread-safe.
  void abort_calls();
  // Returns once no abort_calls() is under way: a station whose call was just aborted must not
  // start putting itself back while the same sweep could still abort the revert's calls.
  void wait_for_abort_sweep();
  // vhost's admin endpoint (ledger checks), or nullptr when the bench has none.
  link::HttpJsonClient* admin() { return admin_.get(); }

  const bench::Variables& variables() const { return vars_; }

  // 1, 2, 3, … for transaction ids: per station, not per scenario, because the terminal
  // remembers ids across scenarios and answers a known one with its old result (rule 19).
  int next_transaction_number() { return ++transactions_; }

 private:
  std::string launch_terminal(std::chrono::milliseconds timeout);
  // Counts what the terminal sent; true when it floods (the station then leaves the run).
  bool flooded_by(const terminal::Observation& observation, link::Clock::time_point at);

  const bench::Bench& bench_;
  bench::Station wiring_;
  bench::Variables vars_;
  std::mutex abort_sweep_;  // held by abort_calls() for its whole sweep
  bool interactive_;
  bool up_ = false;
  std::atomic<int> transactions_{0};

  struct Observers;
  // Timelines hold this through their observer, so it outlives the station if they do.
  std::shared_ptr<Observers> observers_;
  std::string output_dir_;

  mutable std::mutex mu_;
  std::shared_ptr<Timeline> timeline_;
  Provenance provenance_;
  std::string trouble_;

  std::unique_ptr<process::Child> simulator_;
  std::shared_ptr<fault::NetworkFixture> network_;
  std::unique_ptr<terminal::TerminalDriver> terminal_;
  std::map<std::string, fault::FixturePtr> fixtures_;  // by family
  std::unique_ptr<link::HttpJsonClient> admin_;

  std::mutex flood_mu_;
  FloodMeter flood_;
  std::atomic<bool> flooded_{false};
  std::thread quarantine_;  // closes a flooding terminal's link (not from its own reader)
};

// The timeline entry kind of a terminal observation (wire records: ecr_in or ecr_out).
EntryKind entry_kind_of(const terminal::Observation& observation);

// Fault family of a fixture action or fault name: "network.down" -> "network",
// "host.decline"/"wallet.userpaying" -> "acquirer", "keypad.press" -> "keypad".
std::string family_of(const std::string& action);

}  // namespace rig::engine
