// The built-in step kinds, in the order docs/scenarios.md lists them. A new kind is a class in
// this folder with an add_…() and one line below.
#include "rig/scenario/registry.h"

namespace rig::steps {
void add_terminal_steps(scenario::KindRegistry& r);  // sale … unlock
void add_fault_steps(scenario::KindRegistry& r);     // fault, clear
void add_fixture_steps(scenario::KindRegistry& r);   // card, scan, scanner, keys, paper, power
void add_wait_step(scenario::KindRegistry& r);
void add_expect_step(scenario::KindRegistry& r);
}  // namespace rig::steps

namespace rig::scenario {

void register_builtin_steps(KindRegistry& r) {
  steps::add_terminal_steps(r);
  steps::add_fault_steps(r);
  steps::add_fixture_steps(r);
  steps::add_wait_step(r);
  steps::add_expect_step(r);
}

}  // namespace rig::scenario
