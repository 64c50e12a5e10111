// Fault specifications for the network fault proxy (rig/fault/proxy.h): what a fault does,
// which direction it acts on, when it starts (armed at once, or on a trigger message), how
// likely it acts, and how long it lasts. Plain values, checked by validate() before arming;
// docs/proxy.md describes each fault for people.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rig::fault {

// Names an armed fault of one proxy; 1, 2, 3... in arm order.
using FaultId = std::uint64_t;

// What the proxy's stream framing is, and so which triggers it can match.
enum class Framing {
  raw,      // chunks as read from the socket
  iso8583,  // messages behind a 2-byte big-endian length prefix (host link)
  http,     // HTTP/1.x requests and responses (wallet link)
};

// Which way bytes flow. A message goes `to_upstream` (terminal -> host) or `to_client`
// (host -> terminal); faults and triggers may also say `both`.
enum class Direction { to_upstream, to_client, both };

enum class FaultKind {
  down,       // refuse new connections (the listener closes: ECONNREFUSED) and cut open ones
  blackhole,  // read what comes in that direction and never forward it
  latency,    // delay each message by `latency` plus 0..`jitter`; order is kept
  bandwidth,  // pace the direction to `bytes_per_second`
  reset,      // RST the connection (SO_LINGER 0, then close) as a message passes
  slice,      // forward in pieces of `slice_bytes`, `slice_gap` apart, each its own write
  corrupt,    // flip `corrupt_bytes` bytes per message, or each byte with a probability
  limit,      // forward `limit_bytes` bytes per connection in that direction, then cut it
};

const char* to_string(Framing framing);
const char* to_string(Direction direction);
const char* to_string(FaultKind kind);
std::optional<Framing> parse_framing(std::string_view text);
std::optional<Direction> parse_direction(std::string_view text);
std::optional<FaultKind> parse_fault_kind(std::string_view text);

// True when `scope` (a fault's or trigger's direction) includes `direction`.
bool covers(Direction scope, Direction direction);

// The message that makes an armed fault fire. Matching is counted from arm() on, over all
// connections; the fault fires on the `occurrence`-th match. With neither `mti` nor `path` set,
// every message (every chunk in raw framing) in `direction` matches.
struct Trigger {
  Direction direction = Direction::both;
  std::string mti;  // ISO 8583 MTI, 4 digits ("0210"); iso8583 framing only
  // HTTP path without query ("/orderquery"); http framing only. Requests to the path match,
  // and so do the responses to those requests (the proxy pairs them in order).
  std::string path;
  int occurrence = 1;  // 1-based
};

using Millis = std::chrono::milliseconds;

struct FaultSpec {
  FaultKind kind = FaultKind::down;
  // Which messages the fault acts on. Ignored by `down`, which acts on whole connections.
  Direction direction = Direction::both;
  // Chance that the fault acts on each message it covers, drawn from std::mt19937(seed) in
  // message order, so that the same traffic gives the same choices. For an untriggered `down`
  // below 1: the chance that each new connection is closed right after accept, open ones left
  // alone. Must be 1 for `bandwidth` and `limit`, and for a triggered `down`.
  double probability = 1.0;
  std::uint32_t seed = 0;
  // Without a trigger the fault is live from arm(); with one, from the trigger message on.
  std::optional<Trigger> trigger;
  // Whether the trigger message itself is forwarded. Default: false for down, reset and
  // blackhole (the message is lost, which is the point); true for the others, which then act
  // on the trigger message too when they cover its direction.
  std::optional<bool> deliver_trigger;
  // `for:` how long the fault stays live once it has fired; zero = until cleared.
  Millis duration{0};

  Millis latency{0};                    // latency
  Millis jitter{0};                     // latency: uniform extra 0..jitter
  std::uint64_t bytes_per_second = 0;   // bandwidth
  std::size_t slice_bytes = 0;          // slice
  Millis slice_gap{0};                  // slice
  std::size_t corrupt_bytes = 0;        // corrupt: this many distinct bytes per message, or
  double corrupt_byte_probability = 0;  // corrupt: each byte flipped with this probability
  std::uint64_t limit_bytes = 0;        // limit (0: cut at the first byte)

  // Builders: FaultSpec::latency_of(Millis(200)).on(Direction::to_client).lasting(Millis(500))
  static FaultSpec down();
  static FaultSpec blackhole();
  static FaultSpec latency_of(Millis latency, Millis jitter = Millis(0));
  static FaultSpec bandwidth_of(std::uint64_t bytes_per_second);
  static FaultSpec reset();
  static FaultSpec slice_into(std::size_t bytes, Millis gap);
  static FaultSpec corrupt_count(std::size_t bytes);
  static FaultSpec corrupt_rate(double byte_probability);
  static FaultSpec limit_to(std::uint64_t bytes);

  FaultSpec& on(Direction scope) {
    direction = scope;
    return *this;
  }
  FaultSpec& when(Trigger message) {
    trigger = std::move(message);
    return *this;
  }
  FaultSpec& with_probability(double chance, std::uint32_t rng_seed) {
    probability = chance;
    seed = rng_seed;
    return *this;
  }
  FaultSpec& delivering_trigger(bool deliver) {
    deliver_trigger = deliver;
    return *this;
  }
  FaultSpec& lasting(Millis how_long) {
    duration = how_long;
    return *this;
  }

  // deliver_trigger, or its default for the kind.
  bool delivers_trigger() const;
};

// Trigger builders: Trigger on_mti("0210", Direction::to_client), on_path("/orderquery", ...).
Trigger on_mti(std::string mti, Direction direction = Direction::both, int occurrence = 1);
Trigger on_path(std::string path, Direction direction = Direction::both, int occurrence = 1);

// Why `spec` cannot be armed on a proxy with `framing`, or nullopt. Texts start with the kind:
//   "latency: needs latency or jitter above 0 ms"
//   "bandwidth: needs bytes_per_second above 0"
//   "slice: needs slice_bytes above 0"
//   "corrupt: needs corrupt_bytes or corrupt_byte_probability"
//   "corrupt: corrupt_byte_probability must be in (0, 1], got 1.5"
//   "reset: probability must be in (0, 1], got 0"
//   "bandwidth: probability below 1 is not supported"          (also limit, triggered down)
//   "latency: negative duration"                               (any negative time)
//   "down: trigger has both mti and path"
//   "down: trigger mti \"021\" is not 4 digits"
//   "down: trigger path \"orderquery\" does not start with '/'"
//   "down: trigger occurrence must be at least 1, got 0"
//   "down: an MTI trigger needs iso8583 framing; this proxy frames http"
//   "down: a path trigger needs http framing; this proxy frames raw"
std::optional<std::string> validate(const FaultSpec& spec, Framing framing);

// One line for timelines: "down when 0210 to_client", "latency 200ms+50ms to_client p=0.5
// seed=7 for 2000ms", "corrupt 2 bytes both", "limit 100 bytes to_upstream".
std::string describe(const FaultSpec& spec);

}  // namespace rig::fault
