// Checks made before a run starts anything: shared by `rig run`/`rig validate` and the Python
// bindings.
#pragma once

#include <vector>

#include "rig/bench/bench.h"
#include "rig/bench/config_error.h"
#include "rig/scenario/scenario.h"

namespace rig::engine {

// Steps of `scenario` that need a fixture family no station of `bench` wires ("sale needs a
// card fixture, and no station of bench 'x' wires one"), at the step's position. Such a
// scenario could not run anywhere: a configuration error, found before anything starts.
std::vector<ConfigIssue> unwired_steps(const bench::Bench& bench, const scenario::Scenario& scenario);

}  // namespace rig::engine
