// The `manual` fixture driver: an operator at the bench does it. The run stops, the console
// shows the bench's instruction and what the step needs — for a card the card profile, the entry
// (insert, swipe, tap) and the damage — and waits for Enter.
//
// Settings: faults: {FAULT_OR_ACTION: {apply: "instruction", clear: "instruction"}} for the
// actions and faults of the wired family (driver.h listed_step() says which entry a step runs);
// instructions may use the step's parameters (${card}, ${entry}, ${damage}, ${keys}, …) and the
// bench's variables. It needs someone to answer: when rig is not interactive (stdin is not a
// terminal) the driver refuses every action, so `rig run` skips the scenarios that need it and
// `rig validate` says so.
#pragma once

#include "rig/fault/driver.h"

namespace rig::fault {

const DriverInfo& manual_driver();

// What the operator is told for `action`: the instruction, then the step's parameters in
// brackets ("Insert the card (card visa-chip, entry insert, damage chip_mute)").
std::string operator_prompt(const std::string& instruction, const std::string& action,
                            const nlohmann::json& params);

}  // namespace rig::fault
