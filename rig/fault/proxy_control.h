// The control socket of `rig proxy` (docs/proxy.md, "`rig proxy`: the proxy on its own"): JSON
// lines over TCP that arm and clear the faults of one NetworkProxy and read what it saw, so that
// the proxy can stand in front of a real host without a bench file.
//
// One request per line, one reply per line, in order. Requests:
//   {"cmd": "arm", "fault": "network.down", "when": {"host_message": "0210"}, "for": "2s"}
//       the rest of the request, without cmd and token, is a scenario's `fault:` step written in
//       JSON, read by the scenario loader (load_step_text) with its checks and messages, which
//       point into the request ("request:1:41: missing parameter 'ms' for fault
//       network.latency"). network.* faults only; `when` absent (live at once) or a
//       host_message trigger on an iso8583 proxy, a wallet_message one on an http proxy.
//       -> {"ok": true, "id": 1, "fault": "down when 0210 to_client"}
//   {"cmd": "clear", "id": 1}       -> {"ok": true, "cleared": true|false}
//   {"cmd": "clear_all"}            -> {"ok": true, "cleared": N}
//   {"cmd": "faults"}               -> {"ok": true, "faults": [{"id", "fault", "fired"}, …]}
//   {"cmd": "messages", "from": 0}  -> {"ok": true, "messages": [{"index", "connection", "size",
//       "direction", "summary", …message_fields()}, …], "next": N}
//   {"cmd": "status"}               -> {"ok": true, "listen", "upstream", "framing",
//       "connections", "messages"}
// Anything wrong: {"ok": false, "error": "…"}, and the connection stays open; a line longer than
// kMaxControlLine is dropped as it comes and gets its error at its end. When the server has a
// token, every request must carry it ("token": "…"); it is compared in constant time.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "rig/fault/proxy.h"

namespace rig::fault {

constexpr std::size_t kMaxControlLine = 64 * 1024;

// The reply to one request line (no token check: the server does that). `line` is the request
// as sent (the arm request's messages point into it), `request` it parsed.
nlohmann::json handle_control_request(NetworkProxy& proxy, const std::string& line,
                                      const nlohmann::json& request);

class ProxyControlServer {
 public:
  // `token` empty: no token asked. The caller refuses a non-loopback `host` without a token.
  ProxyControlServer(NetworkProxy& proxy, std::string host, std::uint16_t port, std::string token);
  ~ProxyControlServer();  // stop()
  ProxyControlServer(const ProxyControlServer&) = delete;
  ProxyControlServer& operator=(const ProxyControlServer&) = delete;

  // Binds, listens and starts its thread. Throws std::runtime_error:
  // "control: cannot listen on 127.0.0.1:80: Permission denied".
  void start();
  void stop();  // closes the listener and every connection, joins; idempotent
  Endpoint endpoint() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rig::fault
