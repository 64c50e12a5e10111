// The `adapter` terminal driver: a terminal whose protocol posrig does not speak, driven through
// an adapter process that a team writes in any language (docs/terminal-adapters.md). The driver
// starts the bench's `settings.command` argv (rig/process, its own process group), writes
// commands to its stdin and reads its stdout, one JSON object per line (the pure codec is
// rig/terminal/adapter_protocol.h), and keeps every line of its stderr as a note on the
// station's timeline.
//
// open() starts the adapter and waits for its hello, whose capabilities become the driver's.
// send() writes a command and waits for the adapter's `accepted` (ok) or `rejected` (an error
// with its message). A line that breaks the protocol, an adapter that ends, or one that does
// not answer a command within reply_timeout is the driver's trouble(): the station's scenarios
// end as infrastructure errors with that message, the rest of the bench goes on.
#pragma once

#include "rig/terminal/adapter_protocol.h"
#include "rig/terminal/terminal.h"

namespace rig::terminal {

// The driver's settings (`settings:` of the station's `terminal:` entry).
struct AdapterSettings {
  std::vector<std::string> command;                // argv of the adapter, required
  std::chrono::milliseconds hello_timeout{10000};  // from start to its hello
  std::chrono::milliseconds reply_timeout{5000};   // from a command to accepted/rejected
};

// Reads the settings; throws std::invalid_argument naming what is wrong.
AdapterSettings adapter_settings(const TerminalOptions& options);

// Builds an adapter driver directly (tests, `rig adapter-check`).
std::unique_ptr<TerminalDriver> make_adapter_terminal(const TerminalOptions& options,
                                                      TerminalSink sink);

// What an adapter driver knows after open(): the adapter's hello (empty name before).
const AdapterHello& adapter_hello(const TerminalDriver& adapter_driver);

void register_adapter(DriverRegistry& registry);

}  // namespace rig::terminal
