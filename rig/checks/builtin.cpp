// The built-in expectation kinds, in the order docs/scenarios.md lists them. A new kind is a
// file in this folder with its add_NAME() and one line below.
#include "rig/scenario/registry.h"

namespace rig::checks {
void add_result(scenario::KindRegistry& r);
void add_event(scenario::KindRegistry& r);
void add_prompt(scenario::KindRegistry& r);
void add_display(scenario::KindRegistry& r);
void add_receipt(scenario::KindRegistry& r);
void add_ecr(scenario::KindRegistry& r);
void add_host_message(scenario::KindRegistry& r);
void add_wallet_message(scenario::KindRegistry& r);
void add_ledger(scenario::KindRegistry& r);
void add_state(scenario::KindRegistry& r);
void add_pan_masked(scenario::KindRegistry& r);
void add_evidence(scenario::KindRegistry& r);
}  // namespace rig::checks

namespace rig::scenario {

void register_builtin_checks(KindRegistry& r) {
  checks::add_result(r);
  checks::add_event(r);
  checks::add_prompt(r);
  checks::add_display(r);
  checks::add_receipt(r);
  checks::add_ecr(r);
  checks::add_host_message(r);
  checks::add_wallet_message(r);
  checks::add_ledger(r);
  checks::add_state(r);
  // Evidence checks (every scenario, unasked).
  checks::add_evidence(r);
  checks::add_pan_masked(r);
}

}  // namespace rig::scenario
