// vterm's network clients against scripted loopback servers: the host link (host_client.h:
// matching, rejection, timeout, lost connection, no connection, abort) and the wallet link
// (wallet_client.h: one POST per connection, timeouts, abort).
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <thread>

#include "fixtures/sim/vterm/host_client.h"
#include "fixtures/sim/vterm/wallet_client.h"
#include "rig/link/tcp.h"
#include "rig/protocol/http_framing.h"
#include "rig/protocol/iso8583.h"

namespace vterm {
namespace {

namespace iso = rig::protocol::iso8583;
using namespace std::chrono_literals;

// Accepts one connection, reads everything it gets into `received`, and hands each chunk to
// `on_bytes`, which may write back or close.
class OneShotServer {
 public:
  using OnBytes = std::function<void(rig::link::Link&, const std::string& all)>;
  explicit OneShotServer(OnBytes on_bytes) : on_bytes_(std::move(on_bytes)) {
    EXPECT_TRUE(listener_.listen().ok());
    thread_ = std::thread([this] {
      auto acc = listener_.accept(rig::link::after(20s));
      if (!acc.status.ok()) return;
      std::string all;
      for (;;) {
        auto chunk = acc.link->read(rig::link::after(20s));
        if (!chunk.status.ok() || done_) return;
        all += chunk.bytes;
        received_ = all;
        on_bytes_(*acc.link, all);
      }
    });
  }
  ~OneShotServer() {
    done_ = true;
    listener_.abort();
    thread_.join();
  }
  std::uint16_t port() const { return listener_.port(); }

 private:
  OnBytes on_bytes_;
  rig::link::TcpListener listener_;
  std::atomic<bool> done_{false};
  std::string received_;
  std::thread thread_;
};

iso::Message request() {
  iso::Message m;
  m.mti = "0200";
  m.set(3, "000000").set(4, "000000001000").set(11, "000007");
  m.set(41, "VTERM001").set(42, "MERCHANT0000001");
  return m;
}

iso::Message answer(std::string stan) {
  iso::Message m;
  m.mti = "0210";
  m.set(3, "000000").set(4, "000000001000").set(11, std::move(stan)).set(39, "00");
  m.set(41, "VTERM001").set(42, "MERCHANT0000001");
  return m;
}

HostClient::Accept matching(const iso::Message& req) {
  return [req](const iso::Message& resp, std::string& why) {
    auto mismatch = iso::response_mismatch(req, resp);
    if (mismatch) why = *mismatch;
    return !mismatch;
  };
}

TEST(VtermHostClient, ForeignResponseIsRejectedAndTheMatchingOneAccepted) {
  OneShotServer server([](rig::link::Link& l, const std::string&) {
    // Someone else's answer first, then ours, in one write.
    l.write(iso::frame(iso::encode(answer("000099"))) + iso::frame(iso::encode(answer("000007"))),
            rig::link::after(5s));
  });
  IoAborter aborter;
  HostClient client("127.0.0.1", server.port(), aborter);
  std::vector<std::string> rejected;
  bool connected = false;
  auto ex = client.exchange(
      request(), rig::link::after(10s), matching(request()),
      [&](const std::string& why) { rejected.push_back(why); }, [&] { connected = true; });
  ASSERT_EQ(ex.outcome, HostExchange::Outcome::response) << ex.detail;
  EXPECT_TRUE(connected);
  EXPECT_EQ(ex.response.get(11), "000007");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0], "field 11: response has \"000099\", request has \"000007\"");
}

TEST(VtermHostClient, SilenceIsATimeoutAndAHangUpIsLost) {
  {
    OneShotServer server([](rig::link::Link&, const std::string&) {});
    IoAborter aborter;
    HostClient client("127.0.0.1", server.port(), aborter);
    const auto t0 = std::chrono::steady_clock::now();
    auto ex = client.exchange(request(), rig::link::after(300ms), matching(request()), {});
    EXPECT_EQ(ex.outcome, HostExchange::Outcome::timeout);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 290ms);
  }
  {
    OneShotServer server([](rig::link::Link& l, const std::string&) { l.close(); });
    IoAborter aborter;
    HostClient client("127.0.0.1", server.port(), aborter);
    auto ex = client.exchange(request(), rig::link::after(10s), matching(request()), {});
    EXPECT_EQ(ex.outcome, HostExchange::Outcome::lost);
  }
}

TEST(VtermHostClient, RefusedConnectionSendsNothing) {
  std::uint16_t port;
  {
    rig::link::TcpListener l;
    ASSERT_TRUE(l.listen().ok());
    port = l.port();
  }  // closed: nobody listens there now
  IoAborter aborter;
  HostClient client("127.0.0.1", port, aborter);
  bool connected = false;
  auto ex = client.exchange(request(), rig::link::after(5s), matching(request()), {},
                            [&] { connected = true; });
  EXPECT_EQ(ex.outcome, HostExchange::Outcome::no_connection);
  EXPECT_FALSE(connected);
  EXPECT_NE(ex.detail.find("Connection refused"), std::string::npos) << ex.detail;
}

TEST(VtermHostClient, AbortEndsAWaitAtOnceAndRefusesLaterExchanges) {
  OneShotServer server([](rig::link::Link&, const std::string&) {});
  IoAborter aborter;
  HostClient client("127.0.0.1", server.port(), aborter);
  std::promise<void> connected;
  auto pending = std::async(std::launch::async, [&] {
    return client.exchange(request(), rig::link::after(30s), matching(request()), {},
                           [&] { connected.set_value(); });
  });
  ASSERT_EQ(connected.get_future().wait_for(10s), std::future_status::ready);
  const auto t0 = std::chrono::steady_clock::now();
  aborter.stop();
  ASSERT_EQ(pending.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(pending.get().outcome, HostExchange::Outcome::aborted);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  auto later = client.exchange(request(), rig::link::after(5s), matching(request()), {});
  EXPECT_EQ(later.outcome, HostExchange::Outcome::aborted);
}

TEST(VtermWalletClient, PostsOneRequestPerConnectionAndReadsTheAnswer) {
  std::promise<std::string> got;
  bool answered = false;
  OneShotServer server([&](rig::link::Link& l, const std::string& all) {
    rig::protocol::http::Splitter s(rig::protocol::http::Kind::request);
    s.feed(all);
    auto piece = s.pop();
    if (!piece || answered) return;
    answered = true;
    got.set_value(all);
    const std::string body = R"({"result":"SUCCESS"})";
    l.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body,
            rig::link::after(5s));
  });
  IoAborter aborter;
  WalletClient client("127.0.0.1", server.port(), aborter);
  auto ex = client.post("/micropay", R"({"out_trade_no":"X"})", rig::link::after(10s));
  ASSERT_EQ(ex.outcome, WalletExchange::Outcome::answered) << ex.detail;
  EXPECT_EQ(ex.http_status, 200);
  EXPECT_EQ(ex.body, R"({"result":"SUCCESS"})");
  const std::string sent = got.get_future().get();
  EXPECT_EQ(sent.rfind("POST /micropay HTTP/1.1\r\n", 0), 0u) << sent;
  EXPECT_NE(sent.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(sent.find("\r\n\r\n{\"out_trade_no\":\"X\"}"), std::string::npos);
}

TEST(VtermWalletClient, NoAnswerIsATimeoutAndAbortEndsIt) {
  OneShotServer server([](rig::link::Link&, const std::string&) {});
  IoAborter aborter;
  WalletClient client("127.0.0.1", server.port(), aborter);
  EXPECT_EQ(client.post("/orderquery", "{}", rig::link::after(200ms)).outcome,
            WalletExchange::Outcome::timeout);
  aborter.stop();
  EXPECT_EQ(client.post("/orderquery", "{}", rig::link::after(5s)).outcome,
            WalletExchange::Outcome::aborted);
}

}  // namespace
}  // namespace vterm
