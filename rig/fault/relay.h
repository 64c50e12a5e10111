// The `relay` fixture driver: one channel of a USB serial relay board (the common CH340
// "LC Technology" boards) switching the terminal's power, holding the paper sensor's lever, or
// cutting a network cable (rig/fault/contact.h says what a contact can do).
//
// Protocol: each command is 4 bytes, A0 <channel> <state> <checksum>, checksum =
// (0xA0 + channel + state) & 0xFF, state 1 = on. The board does not answer, so a command is done
// once its bytes are written.
//
// Settings: link (serial spec of the board, rig/link make_link), channel (1-8), active (on|off:
// the relay state that injects the fault; default on).
#pragma once

#include <mutex>
#include <string>

#include "rig/fault/driver.h"
#include "rig/link/link.h"

namespace rig::fault {

const DriverInfo& relay_driver();

// The 4-byte command that switches `channel` (1..8) on or off.
std::string relay_frame(int channel, bool on);

class RelayBoard {
 public:
  // `link_spec` as in rig/link make_link: "usb:1a86:7523?baud=9600&…" or "serial:/dev/ttyUSB1".
  explicit RelayBoard(std::string link_spec);
  std::string name() const { return spec_; }
  // Opens the port on first use (and again after an error) and writes the command.
  rig::link::Status set(int channel, bool on, rig::link::Deadline deadline);

 private:
  std::string spec_;
  std::mutex mu_;
  rig::link::LinkPtr link_;
};

}  // namespace rig::fault
