// Terminal drivers: how the controller drives a terminal under test and hears what it says.
// `rig-ecr` (RIG-ECR v1, docs/ecr-protocol.md) is the first; a ZVT or vendor driver would
// implement the same interface.
//
// A driver sends commands (SALE, QUERY, LAST, …) and hands every message the terminal sends
// (RESULT, EVENT, PROMPT, DISPLAY, RECEIPT, STATUS) and every frame on the wire to its sink,
// with the time it was read. It is also the fixture of the `ecr` fault family: faults on its
// own link (lost ACKs, bad LRC, noise, a dropped link), which only the controller's end of the
// link can inject.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "rig/fault/fixture.h"
#include "rig/link/link.h"
#include "rig/protocol/ecr.h"

namespace rig::terminal {

struct TerminalSink {
  // A message from the terminal, decoded, with the time its frame was read.
  std::function<void(const protocol::ecr::Message&, rig::link::Clock::time_point)> on_message;
  // A frame or control byte on the wire (for transcripts): direction "in"/"out", kind
  // "frame|ack|nak|bad|noise", printable payload or detail, attempt.
  std::function<void(const nlohmann::json&, rig::link::Clock::time_point)> on_wire;
  // The link went away (peer closed, device unplugged): the message says how.
  std::function<void(const std::string&)> on_link_lost;
};

class TerminalDriver : public fault::FixtureDriver {
 public:
  // Opens the link and starts listening. Errors name the device.
  virtual rig::link::Status open(rig::link::Deadline deadline) = 0;
  virtual void close() = 0;
  virtual bool is_open() const = 0;
  // Sends one command; ok once the terminal has acknowledged it on the link layer.
  virtual rig::link::Status send(const protocol::ecr::Message& command,
                                 rig::link::Deadline deadline) = 0;
};

struct TerminalOptions {
  std::string link_spec;  // rig/link make_link spec
  std::chrono::milliseconds ack_timeout{1000};
  int attempts = 3;
};

// Builds the driver named `driver` ("rig-ecr"); throws std::invalid_argument listing the known
// drivers for any other name.
std::unique_ptr<TerminalDriver> make_terminal_driver(const std::string& driver,
                                                     const TerminalOptions& options,
                                                     TerminalSink sink);

}  // namespace rig::terminal
