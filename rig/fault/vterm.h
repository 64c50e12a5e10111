// The `vterm` fixture driver: the virtual terminal's control port (docs/vterm.md), JSON lines
// over TCP. It stands in for every physical fixture around a terminal — card robot, phone
// screen in front of the scanner, keypad robot, paper-sensor relay, power relay — and serves
// every action and fault of the card, scanner, keypad, printer and power families.
//
// Settings: control (HOST:PORT of the control port; default ${terminal.control}, from the
// simulator's ready line).
#pragma once

#include "rig/fault/driver.h"

namespace rig::fault {

const DriverInfo& vterm_driver();

}  // namespace rig::fault
