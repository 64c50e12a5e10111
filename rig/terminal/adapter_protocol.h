// The terminal adapter protocol, version 1 (docs/terminal-adapters.md): the terminal model
// (rig/terminal/model.h) as JSON lines between the `adapter` driver and an adapter process that
// translates it to a terminal's own protocol. Pure functions over one line of text, no I/O;
// the process plumbing is rig/terminal/adapter_terminal.h.
//
// Adapter -> rig: one `hello` first (protocol version, name, version, capabilities), then
//   `accepted` / `rejected` replies to commands (by request number) and observations
//   (`result`, `display`, `prompt`, `receipt`, `event`, `status`, `note`) whenever they happen.
// Rig -> adapter: `command` lines (request number, command name and its fields).
//
// Decoding is strict: a line that is not one JSON object, an unknown `type`, an unknown field,
// a field of the wrong type, a missing required field or an unknown capability name is an
// error naming it, never a guess; the driver makes it an infrastructure error of its station.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "rig/terminal/model.h"

namespace rig::terminal {

// The protocol version this rig speaks (hello.protocol).
inline constexpr int kAdapterProtocol = 1;
// Longest line either side may write, newline excluded.
inline constexpr std::size_t kAdapterMaxLine = 65536;

// The adapter's first line.
struct AdapterHello {
  int protocol = kAdapterProtocol;
  std::string name;     // "rig-ecr-adapter": shown in messages and reports
  std::string version;  // the adapter's own version
  // What it can send and observe. `status` must be among its commands (and `status` among its
  // observations); `wire` is not an adapter observation and faults are not offered (v1).
  Capabilities capabilities;
};

// The adapter's answer to one command: taken by the terminal (accepted) or not (rejected, with
// why: the terminal is unreachable, it refused the frame …).
struct AdapterReply {
  std::uint64_t request = 0;
  bool accepted = true;
  std::string message;  // rejected: why
};

using AdapterMessage = std::variant<AdapterHello, AdapterReply, Observation>;

// One decoded line, or why it is not a valid line of the protocol.
template <typename T>
struct AdapterDecoded {
  std::optional<T> value;
  std::string error;  // "" when value is set
};

// A line from the adapter (without its newline).
AdapterDecoded<AdapterMessage> decode_adapter_line(std::string_view line);

// A line to the adapter (without newline): {"type":"command","request":N,"command":"sale",…}.
std::string encode_command(const Command& command, std::uint64_t request);

// The other direction, for adapters written in C++ and for tests.
struct AdapterRequest {
  std::uint64_t request = 0;
  Command command;
};
AdapterDecoded<AdapterRequest> decode_command(std::string_view line);
std::string encode_hello(const AdapterHello& hello);
std::string encode_reply(const AdapterReply& reply);
// Every observation but a WireRecord (which adapters do not send).
std::string encode_observation(const Observation& observation);

// The capability set in hello form ({"commands": [...], "observations": [...],
// "status_fields": [...]}), for messages and `rig adapter-check`.
nlohmann::json capabilities_json(const Capabilities& capabilities);

// Everything an adapter may offer: every command, every observation but wire, every status
// field. What `rig validate` assumes of an adapter it does not start.
Capabilities adapter_protocol_capabilities();

}  // namespace rig::terminal
