// What step and expectation kinds (rig/scenario/registry.h) work with while a session runs:
// StepContext gives a step kind the session's parts, CheckContext gives an expectation kind
// the timeline and what it may ask (the ledger, a status snapshot). Both are the engine's side
// of the registry; the kinds live in rig/steps and rig/checks.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "rig/engine/timeline.h"
#include "rig/scenario/scenario.h"

namespace rig::bench {
struct TerminalProfile;
}

namespace rig::engine {

class Station;
struct RunnerOptions;
class TerminalPort;
class Fixtures;
class FaultArming;
class Checks;

// The current transaction: where it began on the timeline and its id. Set by the steps that
// start one (StepInfo::transaction).
struct Transaction {
  std::size_t start = 0;  // timeline index of its first entry
  std::string id;         // the id the terminal sees
  bool any_id = false;    // last, reprint: the answer carries another transaction's id
};

// A step kind's view of the running session: its parts, each with one job.
class StepContext {
 public:
  StepContext(Station& station, const RunnerOptions& options, Timeline& timeline,
              TerminalPort& terminal, Fixtures& fixtures, FaultArming& faults, Checks& checks)
      : station(station),
        options(options),
        timeline(timeline),
        terminal(terminal),
        fixtures(fixtures),
        faults(faults),
        checks(checks) {}

  Station& station;
  const RunnerOptions& options;
  Timeline& timeline;
  TerminalPort& terminal;  // commands, ids, the current transaction
  Fixtures& fixtures;      // fixture actions and the cardholder
  FaultArming& faults;     // arming, triggers, clearing
  Checks& checks;          // expectations

  // Scenario time -> bench time (the bench's time_scale).
  std::chrono::milliseconds scaled(std::chrono::milliseconds d) const;
  // Waits `d` (bench time); Ctrl-C or the end of the session cuts it short.
  void sleep_for(std::chrono::milliseconds d) const;
};

// What the evidence checks judge at the end of a scenario (docs/kinds.md, "Evidence checks"):
// the terminal's account on the timeline, and what the host and the wallet saw of this terminal
// since the scenario began. Collected once, after the steps and after recovery (so what recovery
// drained counts for the scenario that left it).
struct Evidence {
  std::vector<Entry> timeline;  // the whole scenario, recovery after it included
  // GET /admin/evidence?tid=T&since=SEQ (docs/ledger.md#evidence), SEQ the ledger's seq when
  // the scenario began; null when the bench cannot tell (`no_host` says why).
  nlohmann::json host;
  std::string no_host;
  const bench::TerminalProfile* profile = nullptr;  // wording of displays, results, receipts
};

// An expectation kind's view: the timeline, the window it looks at, the current transaction,
// and the few things a check may ask of the bench. The engine's Checks implements it for a
// running session; tests implement it over a hand-built timeline.
class CheckContext {
 public:
  virtual ~CheckContext() = default;

  virtual const Timeline& timeline() const = 0;
  // The current transaction (its start and id), as the steps before the check left it.
  virtual const Transaction& transaction() const = 0;
  // An id as written in the scenario -> the id the terminal saw (RunnerOptions::scope_ids).
  virtual std::string scoped(const std::string& name) const = 0;
  // How long `step` may wait, bench time: its `within`, scaled; for something that must happen
  // (`positive`) at least the engine's smallest deadline.
  virtual std::chrono::milliseconds within(const scenario::Step& step, bool positive) const = 0;
  // Ctrl-C or an engine stop: waits end early and the check says so.
  virtual bool interrupted() const = 0;
  // The station's terminal profile: its configured figures and wording (docs/profiles.md).
  virtual const bench::TerminalProfile& profile() const = 0;

  // The acquirer's ledger figures for this terminal, counted since the scenario began. Throws
  // InfrastructureError when the host's admin endpoint cannot be reached.
  virtual nlohmann::json ledger_since_start() = 0;
  // Asks the terminal for a status snapshot; its fields, or null when none came by `deadline`.
  virtual nlohmann::json ask_status(Clock::time_point deadline) = 0;
  // The evidence of the whole scenario (evidence checks only; collected on first use). Throws
  // InfrastructureError when the host's admin endpoint exists but cannot be read.
  virtual const Evidence& evidence() = 0;

  // Where `step` starts looking: the current transaction's start, or 0 with `since: scenario`.
  std::size_t window_start(const scenario::Step& step) const {
    return step.since == "scenario" ? 0 : transaction().start;
  }
};

}  // namespace rig::engine
