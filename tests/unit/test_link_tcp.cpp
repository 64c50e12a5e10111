// TcpLink and TcpListener on loopback with ephemeral ports: round trips, connect errors and
// deadlines, abort, peer close.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "rig/link/tcp.h"
#include "tests/unit/link_test_util.h"

namespace rig::link {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string tcp_name(std::uint16_t port) { return "tcp:127.0.0.1:" + std::to_string(port); }

// A listener with a connected client and the accepted server side.
struct Connection {
  TcpListener listener;
  std::unique_ptr<TcpLink> client;
  LinkPtr server;

  void SetUp() {
    Status listening = listener.listen();
    ASSERT_TRUE(listening) << listening.message;
    ASSERT_NE(listener.port(), 0);
    client = std::make_unique<TcpLink>("127.0.0.1", listener.port());
    Status connected = client->open();
    ASSERT_TRUE(connected) << connected.message;
    Accepted accepted = listener.accept(after(seconds(5)));
    ASSERT_TRUE(accepted.status) << accepted.status.message;
    ASSERT_NE(accepted.link, nullptr);
    server = std::move(accepted.link);
  }
};

class TcpTest : public ::testing::Test {
 protected:
  void SetUp() override { connection_.SetUp(); }
  Connection connection_;
};

TEST_F(TcpTest, BytesPassBothWays) {
  TcpLink& client = *connection_.client;
  Link& server = *connection_.server;
  const std::string bytes = every_byte_value();
  ASSERT_TRUE(client.write(bytes, after(seconds(5))));
  Chunk at_server = read_exactly(server, bytes.size(), after(seconds(5)));
  ASSERT_TRUE(at_server.status) << at_server.status.message;
  EXPECT_EQ(at_server.bytes, bytes);
  ASSERT_TRUE(server.write("reply", after(seconds(5))));
  EXPECT_EQ(read_exactly(client, 5, after(seconds(5))).bytes, "reply");
}

TEST_F(TcpTest, LargeTransferWithAConcurrentReader) {
  // More than the socket buffers hold, so the writer has to wait for room.
  std::string big(4 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 + 7);
  auto reader = std::async(std::launch::async, [&] {
    return read_exactly(*connection_.server, big.size(), after(seconds(20)));
  });
  Status written = connection_.client->write(big, after(seconds(20)));
  ASSERT_TRUE(written) << written.message;
  Chunk received = reader.get();
  ASSERT_TRUE(received.status) << received.status.message;
  EXPECT_TRUE(received.bytes == big);
}

TEST_F(TcpTest, NamesTellHostAndPort) {
  EXPECT_EQ(connection_.client->name(), tcp_name(connection_.listener.port()));
  EXPECT_EQ(connection_.listener.name(),
            "tcp-listen:127.0.0.1:" + std::to_string(connection_.listener.port()));
  EXPECT_EQ(connection_.server->name().rfind("tcp:127.0.0.1:", 0), 0u)
      << connection_.server->name();
}

TEST_F(TcpTest, NoDelayIsOn) {
  struct Probe : TcpLink {
    using TcpLink::fd;
    using TcpLink::TcpLink;
  };
  Probe probe("127.0.0.1", connection_.listener.port());
  ASSERT_TRUE(probe.open());
  int value = 0;
  socklen_t len = sizeof value;
  ASSERT_EQ(::getsockopt(probe.fd(), IPPROTO_TCP, TCP_NODELAY, &value, &len), 0);
  EXPECT_NE(value, 0);
}

TEST_F(TcpTest, PeerCloseIsReportedAsClosedOnReadAndWrite) {
  connection_.server->close();
  Chunk chunk = connection_.client->read(after(seconds(5)));
  EXPECT_EQ(chunk.status.code, IoStatus::closed);
  EXPECT_EQ(chunk.status.message,
            tcp_name(connection_.listener.port()) + ": read failed: peer closed the link");
  // The first write after the peer left may still be buffered; the peer's reset makes a later
  // one fail. It must fail as `closed`, without SIGPIPE killing the test.
  Status written;
  for (int i = 0; i < 100 && written.ok(); ++i) {
    written = connection_.client->write("after close", after(seconds(5)));
  }
  EXPECT_EQ(written.code, IoStatus::closed) << written.message;
  EXPECT_EQ(written.message.rfind(tcp_name(connection_.listener.port()) + ": write failed: ", 0),
            0u)
      << written.message;
}

TEST_F(TcpTest, AcceptedConnectionCannotBeReopened) {
  std::string name = connection_.server->name();
  connection_.server->close();
  Status reopened = connection_.server->open();
  EXPECT_EQ(reopened.code, IoStatus::error);
  EXPECT_EQ(reopened.message, name + ": open failed: an accepted connection cannot be reopened");
}

TEST(TcpLinkOpen, ConnectRefusedGivesTheExactError) {
  // A port that was just free: bound, then released without ever accepting.
  std::uint16_t port = 0;
  {
    TcpListener probe;
    ASSERT_TRUE(probe.listen());
    port = probe.port();
  }
  TcpLink link("127.0.0.1", port);
  Status status = link.open();
  EXPECT_EQ(status.code, IoStatus::error);
  EXPECT_EQ(status.message, tcp_name(port) + ": open failed: Connection refused");
  EXPECT_FALSE(link.is_open());
}

// A listener whose accept queue is full: Linux drops further SYNs, so a new connect gets no
// answer and waits for its deadline. Returns false when the queue never filled.
bool saturate(TcpListener& listener, std::vector<std::unique_ptr<TcpLink>>& queued) {
  if (!listener.listen(0)) return false;
  for (int i = 0; i < 8; ++i) {
    auto filler = std::make_unique<TcpLink>("127.0.0.1", listener.port(), milliseconds(300));
    Status status = filler->open();
    if (status.code == IoStatus::timeout) return true;
    if (!status) return false;
    queued.push_back(std::move(filler));
  }
  return false;
}

TEST(TcpLinkOpen, ConnectTimesOutAtItsDeadline) {
  TcpListener listener;
  std::vector<std::unique_ptr<TcpLink>> queued;
  ASSERT_TRUE(saturate(listener, queued));
  const auto timeout = milliseconds(400);
  TcpLink link("127.0.0.1", listener.port(), timeout);
  auto start = Clock::now();
  Status status = link.open();
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(status.code, IoStatus::timeout);
  EXPECT_EQ(status.message, tcp_name(listener.port()) + ": open timed out");
  EXPECT_GE(elapsed, timeout);
  EXPECT_LT(elapsed, seconds(3));
  EXPECT_FALSE(link.is_open());
}

TEST(TcpLinkOpen, ConnectWithNoTimeLeftTimesOutAtOnce) {
  TcpListener listener;
  std::vector<std::unique_ptr<TcpLink>> queued;
  ASSERT_TRUE(saturate(listener, queued));
  TcpLink link("127.0.0.1", listener.port(), milliseconds(0));
  auto start = Clock::now();
  Status status = link.open();
  EXPECT_EQ(status.code, IoStatus::timeout);
  EXPECT_EQ(status.message, tcp_name(listener.port()) + ": open timed out");
  EXPECT_LT(Clock::now() - start, seconds(1));
}

TEST(TcpLinkOpen, AbortWakesAWaitingConnect) {
  TcpListener listener;
  std::vector<std::unique_ptr<TcpLink>> queued;
  ASSERT_TRUE(saturate(listener, queued));
  TcpLink link("127.0.0.1", listener.port(), seconds(30));
  auto opener = start_in_thread([&] { return link.open(); });
  auto start = Clock::now();
  // An abort that lands before open() has begun is forgotten by it (open clears earlier
  // aborts), so abort again if the first one was too early.
  for (int i = 0; i < 5 && opener.wait_for(milliseconds(0)) != std::future_status::ready; ++i) {
    link.abort();
    opener.wait_for(seconds(1));
  }
  ASSERT_EQ(opener.wait_for(seconds(1)), std::future_status::ready);
  Status status = opener.get();
  EXPECT_EQ(status.code, IoStatus::aborted);
  EXPECT_EQ(status.message, tcp_name(listener.port()) + ": open aborted");
  EXPECT_LT(Clock::now() - start, seconds(6));
  EXPECT_FALSE(link.is_open());
}

TEST(TcpListenerTest, AcceptTimesOutAtItsDeadline) {
  TcpListener listener;
  ASSERT_TRUE(listener.listen());
  auto start = Clock::now();
  Accepted accepted = listener.accept(start + milliseconds(200));
  EXPECT_EQ(accepted.status.code, IoStatus::timeout);
  EXPECT_EQ(accepted.status.message, listener.name() + ": accept timed out");
  EXPECT_EQ(accepted.link, nullptr);
  EXPECT_GE(Clock::now() - start, milliseconds(200));
}

TEST(TcpListenerTest, AbortWakesABlockedAcceptAndSticksUntilListenAgain) {
  TcpListener listener;
  ASSERT_TRUE(listener.listen());
  auto acceptor = start_in_thread([&] { return listener.accept(after(seconds(30))); });
  listener.abort();
  ASSERT_EQ(acceptor.wait_for(seconds(3)), std::future_status::ready);
  Accepted accepted = acceptor.get();
  EXPECT_EQ(accepted.status.code, IoStatus::aborted);
  EXPECT_EQ(accepted.status.message, listener.name() + ": accept aborted");

  // A client already waiting does not beat the abort.
  TcpLink client("127.0.0.1", listener.port());
  ASSERT_TRUE(client.open());
  EXPECT_EQ(listener.accept(after(seconds(5))).status.code, IoStatus::aborted);
}

TEST(TcpListenerTest, SecondListenerOnTheSamePortIsRefused) {
  TcpListener first;
  ASSERT_TRUE(first.listen());
  TcpListener second("127.0.0.1", first.port());
  Status status = second.listen();
  EXPECT_EQ(status.code, IoStatus::error);
  EXPECT_EQ(status.message, "tcp-listen:127.0.0.1:" + std::to_string(first.port()) +
                                ": bind failed: Address already in use");
  EXPECT_FALSE(second.is_listening());
}

TEST(TcpListenerTest, AcceptWhenNotListeningIsClosed) {
  TcpListener listener;
  Accepted accepted = listener.accept(after(seconds(1)));
  EXPECT_EQ(accepted.status.code, IoStatus::closed);
  EXPECT_EQ(accepted.status.message, "tcp-listen:127.0.0.1:0: accept failed: not listening");
  ASSERT_TRUE(listener.listen());
  listener.close();
  EXPECT_FALSE(listener.is_listening());
  EXPECT_EQ(listener.accept(after(seconds(1))).status.code, IoStatus::closed);
}

TEST(TcpNames, Ipv6LiteralsGoInBrackets) {
  EXPECT_EQ(format_host_port("::1", 5000), "[::1]:5000");
  EXPECT_EQ(format_host_port("127.0.0.1", 9), "127.0.0.1:9");
  EXPECT_EQ(TcpLink("::1", 5000).name(), "tcp:[::1]:5000");
  EXPECT_EQ(TcpLink("ecr-gw.lan", 4001).name(), "tcp:ecr-gw.lan:4001");
}

}  // namespace
}  // namespace rig::link
