// Checks made before a run starts anything: shared by `rig run`/`rig validate`, the controller
// and the Python bindings.
#pragma once

#include <string>
#include <vector>

#include "rig/bench/bench.h"
#include "rig/bench/config_error.h"
#include "rig/scenario/scenario.h"
#include "rig/terminal/model.h"

namespace rig::engine {

// Steps of `scenario` that need a fixture family no station of `bench` wires ("sale needs a
// card fixture, and no station of bench 'x' wires one"), at the step's position. Such a
// scenario could not run anywhere: a configuration error, found before anything starts.
std::vector<ConfigIssue> unwired_steps(const bench::Bench& bench, const scenario::Scenario& scenario);

// Why `scenario` cannot run on a terminal whose driver `driver` has `caps`: its first step that
// needs more (rig/scenario/catalogue.h terminal_needs), as
//   "file:line:col: expect event needs terminal events; driver zvt cannot observe them"
// or "" when it can. Such a scenario is skipped on that station, never failed.
std::string unmet_need(const scenario::Scenario& scenario, const terminal::Capabilities& caps,
                       const std::string& driver);

// unmet_need() for the terminal a bench station wires, from its driver's declared capabilities
// (without bringing anything up): what `rig validate --bench` reports.
std::string unmet_need(const scenario::Scenario& scenario, const bench::Station& station);

// Why `scenario` would be skipped on `bench`: "" when some station's driver can run it, else
// the first station's unmet_need().
std::string skip_reason(const scenario::Scenario& scenario, const bench::Bench& bench);

}  // namespace rig::engine
