// The `command` fixture driver: argv lists run with the process supervisor — tc, ip, snmpset,
// a vendor tool, a card robot or programmable card simulator, a keypad robot. Never shell
// strings.
//
// Settings: faults: {FAULT_OR_ACTION: {apply: [argv…], clear: [argv…]}} for the actions and
// faults of the wired family (driver.h listed_step() says which entry a step runs). Arguments may
// use the bench's variables and the step's parameters (driver.h step_variables()): a card robot
// gets ${card}, ${entry} and ${damage}; a keypad robot ${keys}; a scan ${code}. `clear` runs with
// the variables of its `apply` (the card that went in comes out). A non-zero exit is an
// infrastructure error naming the tool, its exit and the end of its output.
#pragma once

#include "rig/fault/driver.h"

namespace rig::fault {

const DriverInfo& command_driver();

}  // namespace rig::fault
