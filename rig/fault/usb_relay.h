// The `usbrelay` fixture driver: one relay of a USB HID relay board (the common "USBRelay"
// modules, 1 to 8 relays, USB id 16c0:05df) switching the terminal's power, holding the paper
// sensor's lever, or cutting a network cable (rig/fault/contact.h says what a contact can do).
// It runs Debian's `usbrelay` tool (hidapi), which names each relay SERIAL_N (the board's
// serial, then the relay number from 1):
//   usbrelay BITFT_2=1     switches relay 2 of board BITFT on (0: off)
//   usbrelay               lists every relay of every board: "BITFT_1=0", "BITFT_2=1", …
// usbrelay exits 0 even when it finds no such board, so each switch is followed by a listing
// that must show the relay in its new state; otherwise the step fails naming what was listed.
//
// Settings: relay (SERIAL_N), command (the tool's argv, default [usbrelay]: e.g. [sudo, -n,
// usbrelay] or a full path), active (on|off: the relay state that injects the fault; default
// on).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rig/fault/driver.h"

namespace rig::fault {

const DriverInfo& usb_relay_driver();

// The argv that switches the relay of `settings` on or off: command + ["SERIAL_N=1|0"].
std::vector<std::string> usbrelay_switch_argv(const nlohmann::json& settings, bool on);
// The argv that lists the relays: the command alone.
std::vector<std::string> usbrelay_list_argv(const nlohmann::json& settings);
// The state of `relay` in a listing ("BITFT_1=0\nBITFT_2=1\n"): nullopt when not listed.
std::optional<bool> usbrelay_state(const std::string& listing, const std::string& relay);

}  // namespace rig::fault
