// Runs one scenario on one station: performs its steps in order, arms faults at the right
// moment, checks what the terminal does, and always puts the station back (every fault
// reverted, fixtures at their base state) — when the scenario passes, fails, errors, times
// out or is interrupted.
//
// Outcome: pass (every check held), fail (a check did not hold: the result says what was
// expected, what was seen, and where in the scenario file), error (infrastructure trouble:
// the terminal did not answer its link, the simulator died, a fixture could not be reached).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "rig/bench/card_profile.h"
#include "rig/engine/context.h"
#include "rig/engine/station.h"
#include "rig/report/results.h"
#include "rig/scenario/scenario.h"

namespace rig::engine {

struct RunnerOptions {
  // Set by the controller's signal thread; the runner stops at the next wait and reverts.
  const std::atomic<bool>* interrupted = nullptr;
  // Card profiles, for the cardholder's PIN and card names.
  const std::map<std::string, bench::CardProfile>* cards = nullptr;
  // Unique per run: transaction ids start with it so that two runs never reuse an id.
  std::string run_tag = "r";
  // Smallest deadline for an expectation that something happens (scaled deadlines below
  // this would be tighter than process scheduling on a loaded machine).
  std::chrono::milliseconds min_within{1000};
  // Scenario files: an id written in a scenario (sale/refund/query `id`, refund `of`, result
  // `id`) names a transaction of that scenario run; it goes to the terminal as NAME_TAG, TAG
  // unique per session, so that --repeat and later runs never meet the terminal's memory of ids
  // (rule 19). Off for scripts (Python), whose ids go out as written.
  bool scope_ids = false;
};

// Infrastructure trouble met by a step (a fixture or the terminal link could not be used).
class InfrastructureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Drives one station step by step: what run_scenario does for a scenario file, and what the
// Python bindings do for a script. Owns the station's timeline while it lives; restore() (or
// the destructor) stops the fault watchers and puts the station back.
//
// Its parts, one job each: TerminalPort (commands, ids, the current transaction), Fixtures
// (fixture actions and the cardholder), FaultArming (faults and their triggers), Checks
// (expectations and evidence), Settler (recovery after the scenario). Step kinds reach them
// through a StepContext (rig/engine/context.h).
class Session {
 public:
  // `origin` names what is being run in results ("scenario file", "script.py").
  Session(Station& station, const RunnerOptions& options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Performs one step by its kind (rig/scenario/registry.h). Throws InfrastructureError for
  // infrastructure trouble, and for a step the station's terminal driver cannot do (a script;
  // a scenario is skipped before it starts). For an expect step, the returned StepResult has
  // ok == false and the failure text when the check did not hold; the check is also appended
  // to checks().
  report::StepResult step(const scenario::Step& step);
  // The end of a scenario, after restore(): runs the registered evidence checks over the
  // whole timeline and the host's evidence (recorded in checks(), at `where`); "" or the first
  // failure text.
  std::string finish(const scenario::SourceLoc& where);

  std::shared_ptr<Timeline> timeline() const;
  const std::vector<report::CheckResult>& checks() const;
  // Id of the current transaction (the last step that started one: StepInfo::transaction).
  std::string transaction_id() const;
  // The current transaction: where it began on the timeline, its id, whether its answer may
  // carry another id (last, reprint).
  Transaction transaction() const;
  // Ledger figures of this terminal now (vhost admin), as vhost reports them.
  nlohmann::json ledger();

  // Stops fault watchers, restores every fixture and leaves the terminal idle (RESET, waiting out
  // an online transaction, a power cycle for a stuck terminal, the supervisor unlock for a locked
  // one; not after an interrupt). Returns "" or why it could not; a terminal it cannot bring back
  // takes the station out (Station::set_trouble). Idempotent.
  std::string restore();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

report::ScenarioResult run_scenario(Station& station, const scenario::Scenario& scenario,
                                    const RunnerOptions& options);

// A result that names `scenario` (id, name, family, file, tags) and starts now; nothing run yet.
report::ScenarioResult result_for(const scenario::Scenario& scenario);

}  // namespace rig::engine
