// The fixture clients (rig/link/json_clients.h) against a hostile peer on 127.0.0.1: a reply
// that is not UTF-8 or never ends is an error status naming the peer, within the call's
// deadline, never an exception (docs/reliability.md, "Inputs").
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "rig/link/json_clients.h"

namespace {

using namespace std::chrono_literals;
using rig::link::after;

// Answers the first request of each connection with `reply`, then with `endless` (if not empty)
// over and over until the client goes away.
class HostilePeer {
 public:
  HostilePeer(std::string reply, std::string endless = "")
      : reply_(std::move(reply)), endless_(std::move(endless)) {
    EXPECT_TRUE(listener_.listen().ok());
    thread_ = std::thread([this] { serve(); });
  }
  ~HostilePeer() {
    done_ = true;
    listener_.abort();
    thread_.join();
  }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(listener_.port()); }

 private:
  void serve() {
    while (!done_) {
      auto acc = listener_.accept(after(20s));
      if (!acc.status.ok()) return;
      // The request: a line, or an HTTP head (the clients' GETs have no body).
      std::string request;
      while (request.find('\n') == std::string::npos) {
        auto chunk = acc.link->read(after(10s));
        if (!chunk.status.ok()) break;
        request += chunk.bytes;
      }
      if (!acc.link->write(reply_, after(10s)).ok()) continue;
      while (!endless_.empty() && !done_ && acc.link->write(endless_, after(10s)).ok()) {
      }
      // Until the client closes: its error must not come from us hanging up.
      while (!done_ && acc.link->read(after(10s)).status.ok()) {
      }
    }
  }
  std::string reply_, endless_;
  std::atomic<bool> done_{false};
  rig::link::TcpListener listener_;
  std::thread thread_;
};

std::string http_answer(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// `call` (a client call with a 30 s deadline) fails with `message`, well before the deadline.
template <typename Call>
void expect_error_soon(Call call, const std::string& message) {
  const auto start = std::chrono::steady_clock::now();
  const rig::link::Status status = call(after(30s)).status;
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.message, message);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
}

TEST(JsonLineClient, AReplyThatIsNotUtf8IsAnErrorNamingThePeer) {
  HostilePeer peer("{\"ok\": true, \"text\": \"\xFF\xFE\xC3\x28\"}\n");
  rig::link::JsonLineClient client("vterm control", peer.endpoint());
  expect_error_soon(
      [&](auto deadline) {
        return client.call({{"cmd", "status"}}, deadline);
      },
      "vterm control " + peer.endpoint() + ": reply is not UTF-8 (byte 0xFF at offset 22)");
}

TEST(JsonLineClient, AReplyLineThatNeverEndsIsCutAtOneMebibyte) {
  HostilePeer peer("{\"ok\": true, \"text\": \"", std::string(65536, 'x'));
  rig::link::JsonLineClient client("vterm control", peer.endpoint());
  expect_error_soon(
      [&](auto deadline) {
        return client.call({{"cmd", "status"}}, deadline);
      },
      "vterm control " + peer.endpoint() + ": reply line longer than 1048576 bytes");
}

TEST(HttpJsonClient, ABodyThatIsNotUtf8IsAnErrorNamingThePeer) {
  HostilePeer peer(http_answer("{\"paid\": \"\xC0\xAF\"}"));
  rig::link::HttpJsonClient client("vhost admin", peer.endpoint(), "secret");
  expect_error_soon(
      [&](auto deadline) { return client.request("GET", "/ledger", {}, deadline); },
      "vhost admin " + peer.endpoint() + ": HTTP 200 body is not UTF-8 (byte 0xC0 at offset 10)");
}

TEST(HttpJsonClient, ABodyAboveOneMebibyteIsAnError) {
  // Within the HTTP framing's own limit (8 MiB), above the client's.
  HostilePeer peer(http_answer("\"" + std::string(2u << 20, 'x') + "\""));
  rig::link::HttpJsonClient client("vhost admin", peer.endpoint());
  expect_error_soon([&](auto deadline) { return client.request("GET", "/ledger", {}, deadline); },
                    "vhost admin " + peer.endpoint() + ": HTTP answer longer than 1048576 bytes");
}

TEST(HttpClient, AnAnswerToTheEndOfTheConnectionThatNeverEndsIsCut) {
  // HTTP/1.0 without Content-Length: the body runs until the server closes, which it never does.
  HostilePeer peer("HTTP/1.0 200 OK\r\n\r\n", std::string(65536, 'x'));
  rig::link::HttpClient client("power switch", peer.endpoint());
  expect_error_soon(
      [&](auto deadline) { return client.request("GET", "/status", {}, "", deadline); },
      "power switch " + peer.endpoint() + ": HTTP answer longer than 1048576 bytes");
}

}  // namespace
