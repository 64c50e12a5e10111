// Small blocking clients the controller uses to talk to fixtures, built on TcpLink (so every
// call has a deadline and can be aborted) and the pure HTTP framing of rig/protocol:
//  - JsonLineClient: one JSON object per line, one reply line per request (vterm's control
//    port, docs/vterm.md);
//  - HttpClient: HTTP/1.1, one request at a time on a kept-alive connection, any body (network
//    power switches); an answer whose body ends with the connection (HTTP/1.0 devices) is taken
//    too;
//  - HttpJsonClient: HttpClient with JSON bodies (vhost's admin endpoint, wallet gateways).
// A dropped connection is reopened once per call. Errors name the endpoint:
//   "vterm control 127.0.0.1:4000: tcp:127.0.0.1:4000: open failed: Connection refused"
// A peer's reply is never trusted (docs/reliability.md, "Inputs"): a reply line or an HTTP body
// above kMaxReplyBytes, or one that is not UTF-8, is an error status naming the peer, e.g.
//   "vterm control 127.0.0.1:4000: reply is not UTF-8 (byte 0xFF at offset 22)"
//   "vhost admin 127.0.0.1:4001: HTTP answer longer than 1048576 bytes"
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rig/link/tcp.h"

namespace rig::link {

// The most a reply line (JsonLineClient) or an HTTP answer's body (HttpClient) may hold.
inline constexpr std::size_t kMaxReplyBytes = std::size_t{1} << 20;  // 1 MiB

struct JsonReply {
  Status status;        // transport outcome
  nlohmann::json body;  // the decoded reply when status is ok
  int http_status = 0;  // HTTP only
};

// Splits "HOST:PORT" ("[::1]:80" too); throws std::invalid_argument on anything else.
std::pair<std::string, std::uint16_t> split_host_port(const std::string& endpoint);

class JsonLineClient {
 public:
  // `label` prefixes errors ("vterm control").
  JsonLineClient(std::string label, const std::string& endpoint);
  // Sends `request` as one line and returns the next line, decoded. A reply that is not JSON
  // or not UTF-8 is an error status naming it; a line longer than kMaxReplyBytes is one too
  // (the connection is closed).
  JsonReply call(const nlohmann::json& request, Deadline deadline);
  // Ends a call in progress in another thread (it returns `aborted`); without one, nothing
  // happens: the next call works.
  void abort();
  std::string name() const { return label_ + " " + endpoint_; }

 private:
  std::string label_, endpoint_;
  std::mutex mu_;
  std::unique_ptr<TcpLink> link_;
  std::atomic<TcpLink*> busy_link_{nullptr};  // link_ while a call uses it
  std::atomic<bool> abort_requested_{false};
  std::string pending_;  // bytes read past the last reply line
};

struct HttpReply {
  Status status;        // transport outcome
  int http_status = 0;  // when status is ok
  std::string body;     // when status is ok
};

class HttpClient {
 public:
  // `label` prefixes errors ("power switch"); `endpoint` is HOST:PORT.
  HttpClient(std::string label, const std::string& endpoint);
  // Sends `method` `target` with `headers` (whole lines without CRLF: "Authorization: …") and
  // `body` (Content-Length always sent), and returns the answer, whatever its status. A
  // kept-alive connection the server closed is reopened once. An answer whose body is longer
  // than kMaxReplyBytes is an error (the connection is closed).
  HttpReply request(const std::string& method, const std::string& target,
                    const std::vector<std::string>& headers, const std::string& body,
                    Deadline deadline);
  // As JsonLineClient::abort().
  void abort();
  std::string name() const { return label_ + " " + endpoint_; }

 private:
  std::string label_, endpoint_;
  std::mutex mu_;
  std::unique_ptr<TcpLink> link_;
  std::atomic<TcpLink*> busy_link_{nullptr};  // link_ while a request uses it
  std::atomic<bool> abort_requested_{false};
};

class HttpJsonClient {
 public:
  HttpJsonClient(std::string label, const std::string& endpoint, std::string token = "");
  // method "GET" or "POST"; `body` is sent as JSON for POST. A 2xx/4xx/5xx answer with a JSON
  // body is ok at transport level (check http_status); a body that is not UTF-8 or not JSON is
  // an error.
  JsonReply request(const std::string& method, const std::string& target,
                    const nlohmann::json& body, Deadline deadline);
  void abort() { http_.abort(); }
  std::string name() const { return http_.name(); }

 private:
  HttpClient http_;
  std::string token_;
};

}  // namespace rig::link
