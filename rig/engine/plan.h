// What a run can serve, decided before anything starts: shared by `rig run`, `rig validate`, the
// controller and the Python bindings, so that they all say the same.
//
// Each step asks things of a station's fixtures (fixture actions, faults, observations: see
// rig/fault/driver.h) and of its terminal driver (commands, observations, status fields, link
// faults: rig/terminal/model.h). A station can run a scenario when its fixture drivers' and its
// terminal driver's declarations serve every need. On a bench where no station can, the scenario
// is `skipped` with the reason (the missing family, the action a fixture driver cannot do, what
// the terminal driver lacks) in every report; `rig validate` prints the same as warnings;
// `--strict-bench` turns them into errors.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "rig/bench/bench.h"
#include "rig/bench/card_profile.h"
#include "rig/bench/config_error.h"
#include "rig/fault/driver.h"
#include "rig/scenario/scenario.h"
#include "rig/terminal/model.h"

namespace rig::engine {

struct PlanOptions {
  // Card profiles: a sale with a card whose profile has a PIN needs the keypad (the engine
  // types the cardholder's PIN). Null: that need is not counted.
  const std::map<std::string, bench::CardProfile>* cards = nullptr;
  fault::Reach reach;
};

// What one step asks of the fixtures: its kinds' fixture_needs() (rig/scenario/catalogue.h),
// which the step kinds also perform, and the cardholder's PIN on the keypad for a sale whose
// card has one.
std::vector<fault::Need> step_needs(const scenario::Step& step, const PlanOptions& options);
// Every step's needs.
std::vector<fault::Need> scenario_needs(const scenario::Scenario& scenario,
                                        const PlanOptions& options);

// One need a station cannot serve.
struct Gap {
  // A fixture need; for a terminal need, `action` is empty and `loc` and `step` say where.
  fault::Need need;
  // "lacks fixture family keypad", "manual (card) cannot do card.swipe: …", "needs terminal
  // events; driver zvt cannot observe them"
  std::string why;
};

// What `station` lacks to run `scenario`; empty when it can run it.
std::vector<Gap> station_gaps(const bench::Station& station, const scenario::Scenario& scenario,
                              const PlanOptions& options);

// A scenario over a whole bench.
struct Coverage {
  std::vector<std::string> stations;  // the stations that can run it
  // When none can: one line for reports, naming what is missing and the step that needs it:
  //   "bench lacks fixture family keypad (keys at scenarios/pin/x.yaml:9:5)"
  //   "manual (card) cannot do card.swipe: the bench lists card.insert only under faults (card
  //    at scenarios/card/x.yaml:7:5)"
  // With several stations that lack different things: "station a: …; station b: …".
  std::string skip_reason;
  // When none can: every gap of every station, for `rig validate`.
  std::vector<std::pair<std::string, Gap>> gaps;  // (station, gap)

  bool runnable() const { return !stations.empty(); }
};

Coverage coverage(const bench::Bench& bench, const scenario::Scenario& scenario,
                  const PlanOptions& options);

// `rig validate`'s findings for a scenario no station can run: one issue per gap, at the step
// that needs it ("… needs card.swipe: manual (card) cannot do card.swipe: …; skipped on bench
// 'counter-3'").
std::vector<ConfigIssue> skip_issues(const bench::Bench& bench, const Coverage& coverage);

// Why `scenario` cannot run on a terminal whose driver `driver` has `caps`: its first step that
// needs more (rig/scenario/catalogue.h terminal_needs), as
//   "file:line:col: expect event needs terminal events; driver zvt cannot observe them"
// or "" when it can. Such a scenario is skipped on that station, never failed.
std::string unmet_need(const scenario::Scenario& scenario, const terminal::Capabilities& caps,
                       const std::string& driver);

// unmet_need() for the terminal a bench station wires, from its driver's declared capabilities
// (without bringing anything up): what `rig validate --bench` reports.
std::string unmet_need(const scenario::Scenario& scenario, const bench::Station& station);

}  // namespace rig::engine
