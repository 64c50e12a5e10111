// The network fault proxy: a TCP relay between a terminal and its acquirer host (ISO 8583) or
// wallet gateway (HTTP), on Boost.Asio, that records every message it sees and injects faults
// on command or on a given message. The `proxy` fault driver of a bench is built on it; it
// works for real terminals too (point the terminal's host address at the proxy).
//
//   terminal --to_upstream--> listen_endpoint() [NetworkProxy] --to_upstream--> HOST:PORT
//            <--to_client----                                  <--to_client----
//
// Forwarding. Each accepted connection gets its own upstream connection (TCP_NODELAY on both).
// Bytes read in one direction are split into messages by the proxy's framing
// (rig/fault/proxy_record.h): a framed message is held until it is complete, then forwarded
// whole, so that a fault can act on exactly that message and no byte of a dropped message
// leaves the proxy. Half-closes are forwarded (EOF from one side shuts down sending to the
// other); a reset from one side resets the other; a failed upstream connect resets the client.
// Reading pauses while more than 1 MiB waits to be written in a direction (back-pressure).
//
// Faults (rig/fault/proxy_fault.h, docs/proxy.md). A fault is armed, then live (fired) from
// arm() or from its trigger message, then cleared by clear()/clear_all() or by its `for`
// duration. While live, a fault acts on the messages of the directions it covers:
//   down       on firing: the listener closes (new connections get ECONNREFUSED) and every
//              open connection is closed (FIN; RST if unread data was pending); the listener
//              opens again on the same port when the last `down` clears. An untriggered down
//              with probability p < 1 instead closes each new connection right after accept
//              with chance p.
//   blackhole  the message is read and discarded.
//   latency    the message leaves latency + U(0, jitter) after it arrived, never before an
//              earlier message of the same direction.
//   bandwidth  the direction is paced to bytes_per_second (pieces of 1/100 s worth).
//   reset      the connection is reset (SO_LINGER 0 then close on both sides); the message is
//              not forwarded.
//   slice      the message leaves in pieces of slice_bytes, each its own write, slice_gap apart.
//   corrupt    bytes are XORed with a random non-zero value: ISO messages only in the body
//              (the length prefix is kept, so the peer stays in frame), HTTP messages only in
//              the body when there is one, raw chunks anywhere.
//   limit      per connection and direction, after limit_bytes bytes the connection is closed;
//              a message crossing the limit is cut at it.
// A cut (down, reset, limit) happens in order: messages that arrived before it in that
// direction are still written first; nothing read after it is forwarded or recorded.
// Messages are recorded before their faults act (the log is bounded: ProxyConfig): a dropped
// message is recorded with `dropped`, and the record of every message a fault acted on names the
// fault.
//
// Clearing. clear()/clear_all() take effect at once, for new and open connections: new
// connections are forwarded normally, a `down` listener listens again, blackholes stop
// swallowing (what they swallowed is gone), and whatever a latency, slice or bandwidth fault
// still holds in a queue is released at once, in order.
//
// Threads. The proxy runs its own io_context on its own thread between start() and stop().
// Every public method is thread-safe. arm(), clear(), clear_all() and active() run on the
// proxy's thread and return once done (when called from the observer, they run inline). The
// observer is called on the proxy's thread (or the caller's thread when the proxy is not
// running), one call at a time, in event order; it must return quickly and must not call
// stop() or wait_for_message().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rig/fault/proxy_fault.h"
#include "rig/fault/proxy_record.h"
#include "rig/link/allow_list.h"

namespace rig::fault {

struct ProxyConfig {
  std::string name = "proxy";  // used in event and error texts: "host", "wallet"
  // Where the terminal connects. Loopback by default; port 0 takes an ephemeral port. (Binding
  // beyond loopback needs the bench's token and an allow_from; the bench checks that before
  // asking.)
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 0;
  // The sources that may connect (empty: any). A connection from another source is closed at
  // accept — nothing read, nothing forwarded, no upstream connection — and counted
  // (refused_sources()); a connection_refused event says so, at most once a second.
  link::AllowList allow_from;
  // Where each connection is relayed. A name is resolved once, at start().
  std::string upstream_host = "127.0.0.1";
  std::uint16_t upstream_port = 0;
  Framing framing = Framing::raw;
  Millis connect_timeout{5000};  // for each upstream connect
  // The message log keeps the last `record_messages` messages in about `record_bytes` bytes,
  // and the event log the last `record_events` events (docs/reliability.md): a peer that
  // floods cannot grow the proxy without bound. Indices keep counting past the dropped ones.
  std::size_t record_messages = 10000;
  std::size_t record_bytes = 16u << 20;
  std::size_t record_events = 10000;
};

struct Endpoint {
  std::string host;  // "127.0.0.1"
  std::uint16_t port = 0;
  std::string to_string() const;  // "127.0.0.1:40123", "[::1]:40123"
};

// A fault as it stands: armed (waiting for its trigger) or live.
struct ActiveFault {
  FaultId id = 0;
  FaultSpec spec;
  bool fired = false;
  ProxyClock::time_point armed_at{};
  ProxyClock::time_point fired_at{};  // when fired
  std::uint64_t matches = 0;          // trigger matches counted so far
};

struct ProxyObserver {
  std::function<void(const ProxyMessage&)> on_message;
  std::function<void(const ProxyEvent&)> on_event;
};

class NetworkProxy {
 public:
  explicit NetworkProxy(ProxyConfig config);
  ~NetworkProxy();  // stop()
  NetworkProxy(const NetworkProxy&) = delete;
  NetworkProxy& operator=(const NetworkProxy&) = delete;

  // Resolves the upstream, binds, listens and starts the proxy's thread. Throws
  // std::runtime_error: "proxy host: cannot listen on 127.0.0.1:80: Permission denied",
  // "proxy host: cannot resolve upstream nohost.invalid: Host not found (authoritative)".
  // A proxy starts once; calling start() again throws std::logic_error.
  void start();
  // Closes the listener and every connection, cancels every timer, joins the thread.
  // Idempotent; wakes wait_for_message() callers (they return nullopt). Faults stay listed.
  void stop();
  bool running() const;

  const ProxyConfig& config() const;
  // The bound listening address (the ephemeral port resolved); port 0 before start().
  Endpoint listen_endpoint() const;

  // Arms a fault. Throws std::invalid_argument with the validate() text when the spec is
  // invalid for this proxy's framing. An untriggered fault fires before arm() returns.
  FaultId arm(const FaultSpec& spec);
  // Clears one fault; false when it is not armed (never was, or already cleared or expired).
  bool clear(FaultId id);
  // Clears every fault, in arm order.
  void clear_all();
  std::vector<ActiveFault> active() const;

  // Snapshots of the logs, in order. messages(from) starts at index `from`, or at the oldest
  // message still held (first_message()) when that is later. message_count() counts every
  // message recorded, also those the log's bound dropped since.
  std::vector<ProxyMessage> messages(std::uint64_t from = 0) const;
  std::uint64_t message_count() const;
  std::uint64_t first_message() const;
  std::vector<ProxyEvent> events() const;
  // Connections open now.
  std::size_t open_connections() const;
  // Connections closed at accept because their source is not in allow_from, since start().
  std::uint64_t refused_sources() const;

  // The first message with index >= `from` for which `match` returns true, waiting for new
  // messages until `deadline`. nullopt at the deadline or when the proxy stops. `match` runs
  // with the log locked: it must not call the proxy.
  std::optional<ProxyMessage> wait_for_message(
      const std::function<bool(const ProxyMessage&)>& match, ProxyClock::time_point deadline,
      std::uint64_t from = 0) const;

  // Replaces the observer. Set it before start() to see everything.
  void set_observer(ProxyObserver observer);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rig::fault
