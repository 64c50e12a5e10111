// The network fault proxy over real loopback TCP: forwarding, recording by framing, each fault
// with its observable effect, seeded probability, protocol triggers (exact, Nth, `for`), clear
// and stop. The terminal and the upstream are plain sockets driven by the test thread; every
// wait is a poll() with a deadline (generous for what must happen, short for what must not).
#include "rig/fault/proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "rig/protocol/iso8583.h"

namespace iso = rig::protocol::iso8583;
using namespace rig::fault;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Generous: what should happen happens well within this even on a loaded 2-core machine.
constexpr auto kShould = 5s;
// Short: how long the test watches for something that must not happen.
constexpr auto kMustNot = 150ms;

// ---------------------------------------------------------------------------------------------
// Plain sockets with deadlines

struct ReadResult {
  enum class End { open, eof, reset, timeout, error };
  std::string data;
  End end = End::open;
  int error = 0;
};

const char* to_text(ReadResult::End end) {
  switch (end) {
    case ReadResult::End::open:
      return "open";
    case ReadResult::End::eof:
      return "eof";
    case ReadResult::End::reset:
      return "reset";
    case ReadResult::End::timeout:
      return "timeout";
    case ReadResult::End::error:
      return "error";
  }
  return "?";
}

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Socket& operator=(Socket&& other) noexcept {
    if (this != &other) {
      close();
      fd_ = other.fd_;
      other.fd_ = -1;
    }
    return *this;
  }
  ~Socket() { close(); }

  // Connects to 127.0.0.1:port; on failure the socket is invalid and *error holds errno.
  static Socket connect_to(std::uint16_t port, int* error = nullptr) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      if (error) *error = errno;
      ::close(fd);
      return Socket();
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (error) *error = 0;
    return Socket(fd);
  }

  // Connects from `source` (any port) to `host`:port, both IPv4 loopback addresses.
  static Socket connect_from(const char* source, const char* host, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &from.sin_addr);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    ::inet_pton(AF_INET, host, &to.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
      ::close(fd);
      return Socket();
    }
    return Socket(fd);
  }

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  bool send_all(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads until `want` bytes arrived (0: until the stream ends), the stream ends, or timeout.
  ReadResult read(std::size_t want, Clock::duration timeout) {
    ReadResult result;
    const auto deadline = Clock::now() + timeout;
    char buffer[65536];
    while (want == 0 || result.data.size() < want) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        result.end = ReadResult::End::timeout;
        return result;
      }
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) continue;  // re-checks the deadline
      std::size_t room = sizeof buffer;
      if (want != 0) room = std::min(room, want - result.data.size());
      const ssize_t n = ::recv(fd_, buffer, room, 0);
      if (n > 0) {
        result.data.append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0) {
        result.end = ReadResult::End::eof;
        return result;
      } else if (errno != EINTR && errno != EAGAIN) {
        result.error = errno;
        result.end = errno == ECONNRESET ? ReadResult::End::reset : ReadResult::End::error;
        return result;
      }
    }
    return result;
  }

  // One read of whatever is there, waiting up to `timeout` for something.
  ReadResult read_some(Clock::duration timeout) {
    ReadResult result;
    pollfd p{fd_, POLLIN, 0};
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
    if (::poll(&p, 1, static_cast<int>(ms)) <= 0) {
      result.end = ReadResult::End::timeout;
      return result;
    }
    char buffer[65536];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n > 0) result.data.assign(buffer, static_cast<std::size_t>(n));
    if (n == 0) result.end = ReadResult::End::eof;
    if (n < 0) {
      result.error = errno;
      result.end = errno == ECONNRESET ? ReadResult::End::reset : ReadResult::End::error;
    }
    return result;
  }

  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// The upstream (host or wallet) side: a loopback listener the test accepts on.
class Upstream {
 public:
  Upstream() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::listen(fd_, 64), 0);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~Upstream() { ::close(fd_); }
  std::uint16_t port() const { return port_; }

  Socket accept(Clock::duration timeout = kShould) {
    pollfd p{fd_, POLLIN, 0};
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
    if (::poll(&p, 1, static_cast<int>(ms)) <= 0) return Socket();
    const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return Socket(fd);
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Fixtures

ProxyConfig config_for(const Upstream& upstream, Framing framing) {
  ProxyConfig config;
  config.name = "test";
  config.upstream_port = upstream.port();
  config.framing = framing;
  return config;
}

// A client connected through the proxy and the upstream connection it produced.
struct Link {
  Socket client;
  Socket server;
};

Link open_link(NetworkProxy& proxy, Upstream& upstream) {
  Link link;
  link.client = Socket::connect_to(proxy.listen_endpoint().port);
  EXPECT_TRUE(link.client.valid());
  link.server = upstream.accept();
  EXPECT_TRUE(link.server.valid());
  return link;
}

const std::string kPan = "4761739001010119";

std::string iso_frame(const std::string& mti, std::map<int, std::string> fields) {
  iso::Message message;
  message.mti = mti;
  message.fields = std::move(fields);
  return iso::frame(iso::encode(message));
}

std::string sale(const std::string& stan = "000123") {
  return iso_frame("0200",
                   {{2, kPan}, {3, "000000"}, {4, "000000010000"}, {11, stan}, {41, "TERM0001"}});
}
std::string approval(const std::string& stan = "000123") {
  return iso_frame("0210",
                   {{3, "000000"}, {4, "000000010000"}, {11, stan}, {39, "00"}, {41, "TERM0001"}});
}
std::string echo_response() { return iso_frame("0810", {{11, "000001"}, {39, "00"}}); }

std::string http_request(const std::string& path, const std::string& body) {
  return "POST " + path +
         " HTTP/1.1\r\nHost: wallet\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}
std::string http_response(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

bool ended(const ReadResult& result) {
  return result.end == ReadResult::End::eof || result.end == ReadResult::End::reset;
}

// Waits until the proxy has recorded `count` messages.
bool wait_messages(const NetworkProxy& proxy, std::uint64_t count) {
  return proxy
      .wait_for_message([](const ProxyMessage&) { return true; }, Clock::now() + kShould, count - 1)
      .has_value();
}

// Collects events from the observer and lets the test wait for one of a kind.
class EventWatch {
 public:
  // Detaches itself, so that the proxy's later events (stop) do not reach a dead watch.
  ~EventWatch() { proxy_.set_observer({}); }
  explicit EventWatch(NetworkProxy& proxy) : proxy_(proxy) {
    ProxyObserver observer;
    observer.on_event = [this](const ProxyEvent& event) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(event);
      cv_.notify_all();
    };
    observer.on_message = [this](const ProxyMessage& message) {
      std::lock_guard<std::mutex> lock(mu_);
      messages_.push_back(message.index);
    };
    proxy.set_observer(std::move(observer));
  }
  std::optional<ProxyEvent> wait(ProxyEvent::Kind kind, Clock::duration timeout = kShould) {
    std::unique_lock<std::mutex> lock(mu_);
    std::optional<ProxyEvent> found;
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& event : events_) {
        if (event.kind == kind) {
          found = event;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  // Waits until `count` events satisfy `match`.
  bool wait_count(const std::function<bool(const ProxyEvent&)>& match, std::size_t count,
                  Clock::duration timeout = kShould) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      std::size_t seen = 0;
      for (const auto& event : events_) seen += match(event) ? 1 : 0;
      return seen >= count;
    });
  }
  std::vector<ProxyEvent> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  std::vector<std::uint64_t> message_indices() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }

 private:
  NetworkProxy& proxy_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ProxyEvent> events_;
  std::vector<std::uint64_t> messages_;
};

class ProxyTest : public ::testing::Test {
 protected:
  void start(Framing framing) {
    proxy_ = std::make_unique<NetworkProxy>(config_for(upstream_, framing));
    proxy_->start();
  }
  Upstream upstream_;
  std::unique_ptr<NetworkProxy> proxy_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Forwarding and recording

TEST_F(ProxyTest, ForwardsBothDirectionsAndHalfCloses) {
  start(Framing::raw);
  const Endpoint endpoint = proxy_->listen_endpoint();
  EXPECT_EQ(endpoint.host, "127.0.0.1");
  EXPECT_NE(endpoint.port, 0);
  EXPECT_EQ(endpoint.to_string(), "127.0.0.1:" + std::to_string(endpoint.port));
  Link link = open_link(*proxy_, upstream_);
  ASSERT_TRUE(link.client.send_all("hello host"));
  EXPECT_EQ(link.server.read(10, kShould).data, "hello host");
  ASSERT_TRUE(link.server.send_all("hello terminal"));
  EXPECT_EQ(link.client.read(14, kShould).data, "hello terminal");
  EXPECT_EQ(proxy_->open_connections(), 1u);

  link.client.shutdown_write();
  EXPECT_EQ(link.server.read(0, kShould).end, ReadResult::End::eof);
  ASSERT_TRUE(link.server.send_all("still open"));  // half-close: the other way still works
  EXPECT_EQ(link.client.read(10, kShould).data, "still open");
  link.server.close();
  EXPECT_EQ(link.client.read(0, kShould).end, ReadResult::End::eof);

  ASSERT_TRUE(wait_messages(*proxy_, 3));
  const auto messages = proxy_->messages();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].direction, Direction::to_upstream);
  EXPECT_EQ(messages[0].framing, Framing::raw);
  EXPECT_EQ(messages[0].bytes, "hello host");
  EXPECT_EQ(messages[0].summary, "raw 10 bytes");
  EXPECT_EQ(messages[0].connection, 1u);
  EXPECT_EQ(messages[1].direction, Direction::to_client);
  EXPECT_EQ(messages[2].index, 2u);
  EXPECT_FALSE(messages[0].faulted());
  EXPECT_LE(messages[0].time, messages[1].time);
}

// A terminal cannot send a token: a proxy with an allow-list forwards only for listed sources.
// All of 127.0.0.0/8 is loopback on Linux, so sources other than 127.0.0.1 need no root.
TEST_F(ProxyTest, SourceOutsideTheAllowListIsClosedAtAcceptNeverForwarded) {
  ProxyConfig config = config_for(upstream_, Framing::raw);
  config.listen_host = "127.0.0.2";
  config.allow_from = rig::link::AllowList::parse({"127.0.0.1/32", "10.0.0.0/8"});
  proxy_ = std::make_unique<NetworkProxy>(config);
  EventWatch watch(*proxy_);
  proxy_->start();
  const std::uint16_t port = proxy_->listen_endpoint().port;

  for (int i = 0; i < 3; ++i) {
    Socket outsider = Socket::connect_from("127.0.0.3", "127.0.0.2", port);
    ASSERT_TRUE(outsider.valid());
    outsider.send_all("0200 from outside");
    EXPECT_TRUE(ended(outsider.read(0, kShould)));
  }
  EXPECT_FALSE(upstream_.accept(kMustNot).valid());  // no upstream connection was made
  EXPECT_EQ(proxy_->refused_sources(), 3u);
  EXPECT_EQ(proxy_->message_count(), 0u);
  EXPECT_EQ(proxy_->open_connections(), 0u);
  auto refused = watch.wait(ProxyEvent::Kind::connection_refused);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->text.rfind("connection 1 from 127.0.0.3:", 0), 0u) << refused->text;
  EXPECT_NE(refused->text.find(" refused: its source is not in allow_from (127.0.0.1/32, "
                               "10.0.0.0/8); 1 refused so far"),
            std::string::npos)
      << refused->text;
  // Said once: the next ones within the second are only counted.
  std::size_t said = 0;
  for (const auto& e : watch.events()) said += e.kind == ProxyEvent::Kind::connection_refused;
  EXPECT_EQ(said, 1u);

  Socket insider = Socket::connect_from("127.0.0.1", "127.0.0.2", port);
  ASSERT_TRUE(insider.valid());
  Socket server = upstream_.accept();
  ASSERT_TRUE(server.valid());
  ASSERT_TRUE(insider.send_all("hello host"));
  EXPECT_EQ(server.read(10, kShould).data, "hello host");
  EXPECT_EQ(proxy_->refused_sources(), 3u);
}

TEST_F(ProxyTest, IsoFramingRecordsMtisFieldsAndDirections) {
  start(Framing::iso8583);
  Link link = open_link(*proxy_, upstream_);
  const std::string request = sale();
  // One message in two writes, then two messages in one write.
  ASSERT_TRUE(link.client.send_all(request.substr(0, 7)));
  ASSERT_TRUE(link.client.send_all(request.substr(7)));
  EXPECT_EQ(link.server.read(request.size(), kShould).data, request);
  const std::string both = echo_response() + approval();
  ASSERT_TRUE(link.server.send_all(both));
  EXPECT_EQ(link.client.read(both.size(), kShould).data, both);

  ASSERT_TRUE(wait_messages(*proxy_, 3));
  const auto messages = proxy_->messages();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].framing, Framing::iso8583);
  EXPECT_EQ(messages[0].mti, "0200");
  EXPECT_EQ(messages[0].direction, Direction::to_upstream);
  EXPECT_EQ(messages[0].bytes, request);
  EXPECT_EQ(messages[0].fields.at(2), kPan);  // raw fields stay for the engine's checks
  EXPECT_EQ(messages[0].fields.at(11), "000123");
  EXPECT_EQ(messages[0].summary.rfind("0200 ", 0), 0u) << messages[0].summary;
  EXPECT_EQ(messages[0].summary.find(kPan), std::string::npos) << "PAN unmasked in summary";
  EXPECT_NE(messages[0].summary.find("476173******0119"), std::string::npos);
  EXPECT_EQ(messages[1].mti, "0810");
  EXPECT_EQ(messages[1].direction, Direction::to_client);
  EXPECT_EQ(messages[2].mti, "0210");
  EXPECT_EQ(messages[2].fields.at(39), "00");
}

TEST_F(ProxyTest, IsoMessageThatDoesNotDecodeIsForwardedAndSaysWhy) {
  start(Framing::iso8583);
  Link link = open_link(*proxy_, upstream_);
  const std::string junk = iso::frame("02X0hello");
  ASSERT_TRUE(link.client.send_all(junk));
  EXPECT_EQ(link.server.read(junk.size(), kShould).data, junk);
  // A frame cut short by the end of the stream is forwarded as it came.
  ASSERT_TRUE(
      link.client.send_all(std::string("\x00\x30"
                                       "02",
                                       4)));
  link.client.shutdown_write();
  EXPECT_EQ(link.server.read(0, kShould).data, std::string("\x00\x30"
                                                           "02",
                                                           4));
  ASSERT_TRUE(wait_messages(*proxy_, 2));
  const auto messages = proxy_->messages();
  EXPECT_EQ(messages[0].framing, Framing::iso8583);
  EXPECT_EQ(messages[0].mti, "");
  EXPECT_EQ(messages[0].decode_error, "offset 0: MTI must be 4 digits");
  EXPECT_EQ(messages[1].framing, Framing::raw);
  EXPECT_EQ(messages[1].summary, "raw 4 bytes (incomplete frame: 2 of 48 body bytes)");
}

TEST_F(ProxyTest, HttpFramingRecordsPathsAndPairsResponses) {
  start(Framing::http);
  Link link = open_link(*proxy_, upstream_);
  const std::string pay = http_request("/micropay", R"({"out_trade_no":"T1"})");
  const std::string query = http_request("/orderquery?x=1", R"({"out_trade_no":"T1"})");
  ASSERT_TRUE(link.client.send_all(pay + query));  // pipelined
  EXPECT_EQ(link.server.read(pay.size() + query.size(), kShould).data, pay + query);
  const std::string paid = http_response(R"({"result":"USERPAYING"})");
  const std::string state = http_response(R"({"trade_state":"SUCCESS"})");
  ASSERT_TRUE(link.server.send_all(paid));
  ASSERT_TRUE(link.server.send_all(state));
  EXPECT_EQ(link.client.read(paid.size() + state.size(), kShould).data, paid + state);

  ASSERT_TRUE(wait_messages(*proxy_, 4));
  const auto messages = proxy_->messages();
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[0].framing, Framing::http);
  EXPECT_EQ(messages[0].method, "POST");
  EXPECT_EQ(messages[0].path, "/micropay");
  EXPECT_EQ(messages[0].summary, R"(POST /micropay {"out_trade_no":"T1"})");
  EXPECT_EQ(messages[1].path, "/orderquery");
  EXPECT_EQ(messages[2].status, 200);
  EXPECT_EQ(messages[2].path, "/micropay");
  EXPECT_EQ(messages[2].body, R"({"result":"USERPAYING"})");
  EXPECT_EQ(messages[2].summary, R"(200 for POST /micropay {"result":"USERPAYING"})");
  EXPECT_EQ(messages[3].path, "/orderquery");
  EXPECT_EQ(messages[3].direction, Direction::to_client);
}

TEST_F(ProxyTest, ObserverAndWaitForMessage) {
  start(Framing::iso8583);
  EventWatch watch(*proxy_);
  Link link = open_link(*proxy_, upstream_);
  ASSERT_TRUE(link.client.send_all(sale("000001")));
  const auto found = proxy_->wait_for_message(
      [](const ProxyMessage& message) { return message.mti == "0200"; }, Clock::now() + kShould);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->fields.at(11), "000001");
  // Nothing else comes: the wait ends at its deadline.
  const auto start = Clock::now();
  EXPECT_FALSE(proxy_->wait_for_message(
      [](const ProxyMessage& message) { return message.mti == "0210"; }, start + kMustNot));
  EXPECT_GE(Clock::now() - start, kMustNot);
  // Starting after the first message skips it.
  EXPECT_FALSE(proxy_->wait_for_message([](const ProxyMessage&) { return true; }, Clock::now(),
                                        found->index + 1));
  EXPECT_EQ(watch.message_indices(), std::vector<std::uint64_t>{0});
  ASSERT_TRUE(watch.wait(ProxyEvent::Kind::connection_opened));
}

TEST_F(ProxyTest, TheMessageLogIsBoundedAndKeepsCounting) {
  ProxyConfig config = config_for(upstream_, Framing::iso8583);
  config.record_messages = 100;
  proxy_ = std::make_unique<NetworkProxy>(config);
  proxy_->start();
  Link link = open_link(*proxy_, upstream_);
  // A peer that floods: 5000 echo answers in a few writes, all forwarded.
  std::string burst;
  for (int i = 0; i < 500; ++i) burst += echo_response();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(link.server.send_all(burst));
  EXPECT_EQ(link.client.read(burst.size() * 10, kShould).data.size(), burst.size() * 10);
  ASSERT_TRUE(wait_messages(*proxy_, 5000));
  EXPECT_EQ(proxy_->message_count(), 5000u);
  EXPECT_EQ(proxy_->first_message(), 4900u);
  const auto kept = proxy_->messages();
  ASSERT_EQ(kept.size(), 100u);
  EXPECT_EQ(kept.front().index, 4900u);
  EXPECT_EQ(kept.back().index, 4999u);
  EXPECT_EQ(proxy_->messages(4990).size(), 10u);
  // A wait from a dropped index starts at the oldest one held.
  auto found = proxy_->wait_for_message([](const ProxyMessage&) { return true; },
                                        Clock::now() + kShould, 10);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->index, 4900u);
}

TEST_F(ProxyTest, TheMessageLogIsBoundedInBytes) {
  ProxyConfig config = config_for(upstream_, Framing::raw);
  config.record_bytes = 256 * 1024;
  proxy_ = std::make_unique<NetworkProxy>(config);
  proxy_->start();
  Link link = open_link(*proxy_, upstream_);
  const std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 64; ++i) {  // 4 MiB through
    ASSERT_TRUE(link.client.send_all(chunk));
    ASSERT_EQ(link.server.read(chunk.size(), kShould).data.size(), chunk.size());
  }
  std::size_t bytes = 0;
  for (const auto& m : proxy_->messages()) bytes += m.bytes.size();
  EXPECT_LE(bytes, 256u * 1024);
  EXPECT_GE(proxy_->message_count(), 64u);
}

// ---------------------------------------------------------------------------------------------
// Faults

TEST_F(ProxyTest, DownRefusesNewConnectionsCutsOpenOnesAndClearRestores) {
  start(Framing::raw);
  EventWatch watch(*proxy_);
  Link link = open_link(*proxy_, upstream_);
  const FaultId down = proxy_->arm(FaultSpec::down());
  EXPECT_TRUE(ended(link.client.read(0, kShould)));
  EXPECT_TRUE(ended(link.server.read(0, kShould)));
  int error = 0;
  EXPECT_FALSE(Socket::connect_to(proxy_->listen_endpoint().port, &error).valid());
  EXPECT_EQ(error, ECONNREFUSED);
  ASSERT_EQ(proxy_->active().size(), 1u);
  EXPECT_TRUE(proxy_->active()[0].fired);

  EXPECT_TRUE(proxy_->clear(down));
  EXPECT_FALSE(proxy_->clear(down));
  EXPECT_TRUE(proxy_->active().empty());
  Link again = open_link(*proxy_, upstream_);
  ASSERT_TRUE(again.client.send_all("back"));
  EXPECT_EQ(again.server.read(4, kShould).data, "back");

  const auto events = watch.events();
  std::vector<std::string> texts;
  for (const auto& event : events) {
    if (event.fault == down) texts.push_back(event.text);
  }
  ASSERT_EQ(texts.size(), 3u);
  EXPECT_EQ(texts[0], "fault 1 armed: down");
  EXPECT_EQ(texts[1], "fault 1 fired: down");
  EXPECT_EQ(texts[2], "fault 1 cleared: down");
}

TEST_F(ProxyTest, DownWithProbabilityClosesSomeNewConnectionsAtAccept) {
  start(Framing::raw);
  EventWatch watch(*proxy_);
  proxy_->arm(FaultSpec::down().with_probability(0.5, 3));
  constexpr int kConnections = 16;
  std::vector<Socket> clients;
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(Socket::connect_to(proxy_->listen_endpoint().port));
    ASSERT_TRUE(clients.back().valid());
  }
  auto is_refused = [](const ProxyEvent& e) {
    return e.kind == ProxyEvent::Kind::connection_refused;
  };
  auto is_outcome = [&](const ProxyEvent& e) {
    return is_refused(e) || e.kind == ProxyEvent::Kind::connection_opened;
  };
  ASSERT_TRUE(watch.wait_count(is_outcome, kConnections));
  std::vector<std::uint64_t> refused;
  for (const auto& event : watch.events()) {
    if (is_refused(event)) refused.push_back(event.connection);
  }
  EXPECT_GT(refused.size(), 0u);
  EXPECT_LT(refused.size(), static_cast<std::size_t>(kConnections));
  for (std::uint64_t id : refused) EXPECT_TRUE(ended(clients[id - 1].read(0, kShould)));
  for (std::size_t i = 0; i < kConnections - refused.size(); ++i) {
    EXPECT_TRUE(upstream_.accept().valid());
  }
}

TEST_F(ProxyTest, BlackholeSwallowsOneDirection) {
  start(Framing::raw);
  Link link = open_link(*proxy_, upstream_);
  proxy_->arm(FaultSpec::blackhole().on(Direction::to_upstream));
  ASSERT_TRUE(link.client.send_all("lost"));
  ASSERT_TRUE(wait_messages(*proxy_, 1));
  EXPECT_EQ(link.server.read(1, kMustNot).end, ReadResult::End::timeout);
  ASSERT_TRUE(link.server.send_all("reply"));
  EXPECT_EQ(link.client.read(5, kShould).data, "reply");
  const auto messages = proxy_->messages();
  EXPECT_TRUE(messages[0].dropped);
  EXPECT_EQ(messages[0].faults, std::vector<FaultId>{1});
  EXPECT_EQ(messages[0].fault_note, "swallowed by fault 1 (blackhole)");
  EXPECT_FALSE(messages[1].dropped);
}

TEST_F(ProxyTest, LatencyDelaysEachMessageAndKeepsOrder) {
  start(Framing::iso8583);
  Link link = open_link(*proxy_, upstream_);
  proxy_->arm(FaultSpec::latency_of(150ms).on(Direction::to_client));
  const std::string reply = approval();
  const auto sent = Clock::now();
  ASSERT_TRUE(link.server.send_all(reply));
  EXPECT_EQ(link.client.read(reply.size(), kShould).data, reply);
  EXPECT_GE(Clock::now() - sent, 150ms);
  // The other direction is not delayed by it.
  ASSERT_TRUE(link.client.send_all(sale()));
  EXPECT_EQ(link.server.read(sale().size(), kShould).data, sale());

  proxy_->clear_all();
  proxy_->arm(FaultSpec::latency_of(5ms, 40ms).on(Direction::to_client).with_probability(1, 9));
  std::string expected;
  for (int i = 0; i < 20; ++i) {
    const std::string message = approval(fmt::format("{:06}", i));
    expected += message;
    ASSERT_TRUE(link.server.send_all(message));
  }
  EXPECT_EQ(link.client.read(expected.size(), kShould).data, expected);
}

TEST_F(ProxyTest, BandwidthPacesTheDirection) {
  start(Framing::raw);
  Link link = open_link(*proxy_, upstream_);
  proxy_->arm(FaultSpec::bandwidth_of(20000).on(Direction::to_client));
  std::string data(10000, 'b');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
  const auto sent = Clock::now();
  ASSERT_TRUE(link.server.send_all(data));
  EXPECT_EQ(link.client.read(data.size(), kShould).data, data);
  // Pieces of 200 bytes, the first at once: the last leaves (10000 - 200) / 20000 s later.
  EXPECT_GE(Clock::now() - sent, 490ms);
}

TEST_F(ProxyTest, ResetGivesConnectionResetToTheClient) {
  start(Framing::raw);
  Link link = open_link(*proxy_, upstream_);
  proxy_->arm(FaultSpec::reset().on(Direction::to_upstream));
  ASSERT_TRUE(link.client.send_all("boom"));
  const ReadResult result = link.client.read(0, kShould);
  EXPECT_EQ(result.end, ReadResult::End::reset) << to_text(result.end);
  EXPECT_EQ(result.error, ECONNRESET);
  const ReadResult upstream_side = link.server.read(0, kShould);
  EXPECT_TRUE(ended(upstream_side));
  EXPECT_EQ(upstream_side.data, "");  // the message went down with the connection
  ASSERT_TRUE(wait_messages(*proxy_, 1));
  EXPECT_TRUE(proxy_->messages()[0].dropped);
}

TEST_F(ProxyTest, SliceDeliversInPiecesButIntact) {
  start(Framing::raw);
  Link link = open_link(*proxy_, upstream_);
  proxy_->arm(FaultSpec::slice_into(4, 100ms).on(Direction::to_client));
  const auto sent = Clock::now();
  ASSERT_TRUE(link.server.send_all("0123456789AB"));
  const ReadResult first = link.client.read_some(kShould);
  EXPECT_EQ(first.data, "0123");
  const ReadResult rest = link.client.read(8, kShould);
  EXPECT_EQ(first.data + rest.data, "0123456789AB");
  EXPECT_GE(Clock::now() - sent, 200ms);
}

TEST_F(ProxyTest, CorruptFlipsBytesDeterministicallyForASeed) {
  auto corrupted = [this](std::uint32_t seed, Framing framing, const std::string& data) {
    NetworkProxy proxy(config_for(upstream_, framing));
    proxy.start();
    proxy.arm(FaultSpec::corrupt_count(3).on(Direction::to_upstream).with_probability(1, seed));
    Link link = open_link(proxy, upstream_);
    EXPECT_TRUE(link.client.send_all(data));
    std::string got = link.server.read(data.size(), kShould).data;
    EXPECT_TRUE(wait_messages(proxy, 1));
    EXPECT_EQ(proxy.messages()[0].bytes, data);  // recorded as sent
    EXPECT_TRUE(proxy.messages()[0].faulted());
    return got;
  };
  std::string data(64, 'x');
  const std::string a = corrupted(7, Framing::raw, data);
  const std::string b = corrupted(7, Framing::raw, data);
  const std::string c = corrupted(8, Framing::raw, data);
  ASSERT_EQ(a.size(), data.size());
  int differing = 0;
  for (std::size_t i = 0; i < data.size(); ++i) differing += a[i] != data[i];
  EXPECT_EQ(differing, 3);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // Every byte, with a byte probability of 1.
  {
    NetworkProxy proxy(config_for(upstream_, Framing::raw));
    proxy.start();
    proxy.arm(FaultSpec::corrupt_rate(1.0).on(Direction::to_upstream));
    Link link = open_link(proxy, upstream_);
    ASSERT_TRUE(link.client.send_all(data));
    const std::string got = link.server.read(data.size(), kShould).data;
    ASSERT_EQ(got.size(), data.size());
    for (std::size_t i = 0; i < data.size(); ++i) EXPECT_NE(got[i], data[i]) << "byte " << i;
  }
  // ISO: the length prefix stays, so the host stays in frame.
  const std::string message = sale();
  const std::string d = corrupted(7, Framing::iso8583, message);
  ASSERT_EQ(d.size(), message.size());
  EXPECT_EQ(d.substr(0, 2), message.substr(0, 2));
  EXPECT_NE(d, message);
}

TEST_F(ProxyTest, LimitCutsAfterNBytes) {
  start(Framing::raw);
  Link link = open_link(*proxy_, upstream_);
  proxy_->arm(FaultSpec::limit_to(10).on(Direction::to_client));
  ASSERT_TRUE(link.server.send_all("0123456"));
  EXPECT_EQ(link.client.read(7, kShould).data, "0123456");
  ASSERT_TRUE(link.server.send_all("789ABCDEFGHIJK"));
  const ReadResult rest = link.client.read(0, kShould);
  EXPECT_EQ(rest.data, "789");
  EXPECT_TRUE(ended(rest)) << to_text(rest.end);
}

TEST_F(ProxyTest, ProbabilityWithASeedIsDeterministic) {
  auto pattern = [this](std::uint32_t seed) {
    NetworkProxy proxy(config_for(upstream_, Framing::iso8583));
    proxy.start();
    proxy.arm(FaultSpec::blackhole().on(Direction::to_upstream).with_probability(0.5, seed));
    Link link = open_link(proxy, upstream_);
    for (int i = 0; i < 24; ++i) EXPECT_TRUE(link.client.send_all(sale(fmt::format("{:06}", i))));
    EXPECT_TRUE(wait_messages(proxy, 24));
    std::string dropped;
    for (const auto& message : proxy.messages()) dropped += message.dropped ? 'x' : '.';
    // What was not dropped reached the host, in order.
    std::string expected;
    for (const auto& message : proxy.messages()) {
      if (!message.dropped) expected += message.bytes;
    }
    EXPECT_EQ(link.server.read(expected.size(), kShould).data, expected);
    return dropped;
  };
  const std::string first = pattern(42);
  EXPECT_EQ(first, pattern(42));
  EXPECT_NE(first, pattern(43));
  EXPECT_NE(first.find('x'), std::string::npos);
  EXPECT_NE(first.find('.'), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Triggers

TEST_F(ProxyTest, DownOnApprovalCutsBeforeDeliveringItEveryTime) {
  start(Framing::iso8583);
  for (int run = 0; run < 200; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    const FaultId down = proxy_->arm(FaultSpec::down().when(on_mti("0210", Direction::to_client)));
    ASSERT_FALSE(proxy_->active()[0].fired);
    const std::uint64_t first = proxy_->message_count();
    Link link = open_link(*proxy_, upstream_);
    const std::string request = sale(fmt::format("{:06}", run + 1));
    ASSERT_TRUE(link.client.send_all(request));
    ASSERT_EQ(link.server.read(request.size(), kShould).data, request);  // the 0200 got there
    // On odd runs the approval shares a segment with a message that must still get through.
    const std::string before = run % 2 ? echo_response() : std::string();
    ASSERT_TRUE(link.server.send_all(before + approval(fmt::format("{:06}", run + 1))));
    const ReadResult seen = link.client.read(0, kShould);
    ASSERT_EQ(seen.data, before);  // not one byte of the 0210
    ASSERT_TRUE(ended(seen)) << to_text(seen.end);
    int error = 0;
    ASSERT_FALSE(Socket::connect_to(proxy_->listen_endpoint().port, &error).valid());
    ASSERT_EQ(error, ECONNREFUSED);

    const auto messages = proxy_->messages(first);
    ASSERT_EQ(messages.size(), run % 2 ? 3u : 2u);
    const ProxyMessage& trigger = messages.back();
    ASSERT_EQ(trigger.mti, "0210");
    ASSERT_TRUE(trigger.dropped);
    ASSERT_EQ(trigger.faults, std::vector<FaultId>{down});
    ASSERT_FALSE(messages[0].dropped);
    proxy_->clear_all();
  }
  // Fired events name their message.
  int fired = 0;
  for (const auto& event : proxy_->events()) {
    if (event.kind != ProxyEvent::Kind::fault_fired) continue;
    ++fired;
    ASSERT_TRUE(event.message.has_value());
    EXPECT_EQ(proxy_->messages(*event.message)[0].mti, "0210");
  }
  EXPECT_EQ(fired, 200);
}

TEST_F(ProxyTest, DeliverTriggerLetsTheMessageThroughThenCuts) {
  start(Framing::iso8583);
  proxy_->arm(
      FaultSpec::down().when(on_mti("0210", Direction::to_client)).delivering_trigger(true));
  Link link = open_link(*proxy_, upstream_);
  ASSERT_TRUE(link.client.send_all(sale()));
  ASSERT_EQ(link.server.read(sale().size(), kShould).data, sale());
  ASSERT_TRUE(link.server.send_all(approval()));
  const ReadResult seen = link.client.read(0, kShould);
  EXPECT_EQ(seen.data, approval());
  EXPECT_TRUE(ended(seen));
}

TEST_F(ProxyTest, NthOccurrenceTrigger) {
  start(Framing::iso8583);
  proxy_->arm(FaultSpec::reset().when(on_mti("0200", Direction::to_upstream, 3)));
  Link link = open_link(*proxy_, upstream_);
  for (int i = 1; i <= 2; ++i) {
    const std::string request = sale(fmt::format("{:06}", i));
    ASSERT_TRUE(link.client.send_all(request));
    EXPECT_EQ(link.server.read(request.size(), kShould).data, request);
    ASSERT_TRUE(link.server.send_all(approval(fmt::format("{:06}", i))));
    EXPECT_EQ(link.client.read(approval().size(), kShould).data, approval(fmt::format("{:06}", i)));
  }
  ASSERT_EQ(proxy_->active()[0].matches, 2u);
  ASSERT_FALSE(proxy_->active()[0].fired);
  ASSERT_TRUE(link.client.send_all(sale("000003")));
  EXPECT_EQ(link.client.read(0, kShould).end, ReadResult::End::reset);
  const ReadResult host = link.server.read(0, kShould);
  EXPECT_EQ(host.data, "");
  EXPECT_TRUE(ended(host));
}

TEST_F(ProxyTest, PathTriggerOnWalletResponse) {
  start(Framing::http);
  proxy_->arm(FaultSpec::blackhole().when(on_path("/orderquery", Direction::to_client)));
  Link link = open_link(*proxy_, upstream_);
  const std::string pay = http_request("/micropay", "{}");
  const std::string query = http_request("/orderquery", "{}");
  const std::string response = http_response(R"({"trade_state":"SUCCESS"})");
  ASSERT_TRUE(link.client.send_all(pay));
  EXPECT_EQ(link.server.read(pay.size(), kShould).data, pay);
  ASSERT_TRUE(link.server.send_all(response));
  EXPECT_EQ(link.client.read(response.size(), kShould).data, response);  // /micropay's
  ASSERT_TRUE(link.client.send_all(query));
  EXPECT_EQ(link.server.read(query.size(), kShould).data, query);  // requests still pass
  ASSERT_TRUE(link.server.send_all(response));
  EXPECT_EQ(link.client.read(1, kMustNot).end, ReadResult::End::timeout);  // its answer is lost
  ASSERT_TRUE(wait_messages(*proxy_, 4));
  const auto messages = proxy_->messages();
  EXPECT_EQ(messages[3].path, "/orderquery");
  EXPECT_TRUE(messages[3].dropped);
  EXPECT_EQ(messages[3].fault_note, "dropped as the trigger of fault 1 (blackhole)");
}

TEST_F(ProxyTest, ForDurationAutoClears) {
  start(Framing::raw);
  EventWatch watch(*proxy_);
  const auto armed = Clock::now();
  proxy_->arm(FaultSpec::down().lasting(150ms));
  int error = 0;
  EXPECT_FALSE(Socket::connect_to(proxy_->listen_endpoint().port, &error).valid());
  EXPECT_EQ(error, ECONNREFUSED);
  const auto expired = watch.wait(ProxyEvent::Kind::fault_expired);
  ASSERT_TRUE(expired);
  EXPECT_GE(expired->time - armed, 150ms);
  EXPECT_EQ(expired->text, "fault 1 expired: down for 150ms");
  EXPECT_TRUE(proxy_->active().empty());
  Link link = open_link(*proxy_, upstream_);
  ASSERT_TRUE(link.client.send_all("up"));
  EXPECT_EQ(link.server.read(2, kShould).data, "up");
}

TEST_F(ProxyTest, TriggeredForDurationCountsFromTheTrigger) {
  start(Framing::iso8583);
  EventWatch watch(*proxy_);
  proxy_->arm(FaultSpec::blackhole()
                  .on(Direction::to_client)
                  .when(on_mti("0210", Direction::to_client))
                  .lasting(100ms));
  Link link = open_link(*proxy_, upstream_);
  EXPECT_FALSE(watch.wait(ProxyEvent::Kind::fault_expired, kMustNot));  // not fired yet
  ASSERT_TRUE(link.server.send_all(approval()));
  const auto fired = watch.wait(ProxyEvent::Kind::fault_fired);
  ASSERT_TRUE(fired);
  const auto expired = watch.wait(ProxyEvent::Kind::fault_expired);
  ASSERT_TRUE(expired);
  EXPECT_GE(expired->time - fired->time, 100ms);
  ASSERT_TRUE(link.server.send_all(echo_response()));
  EXPECT_EQ(link.client.read(echo_response().size(), kShould).data, echo_response());
}

TEST_F(ProxyTest, ClearAllReleasesHeldMessagesAndRestoresForwarding) {
  start(Framing::raw);
  Link link = open_link(*proxy_, upstream_);
  proxy_->arm(FaultSpec::latency_of(std::chrono::milliseconds(60000)).on(Direction::to_client));
  proxy_->arm(FaultSpec::blackhole().on(Direction::to_upstream));
  ASSERT_TRUE(link.server.send_all("held"));
  ASSERT_TRUE(wait_messages(*proxy_, 1));
  EXPECT_EQ(link.client.read(1, kMustNot).end, ReadResult::End::timeout);
  proxy_->clear_all();
  EXPECT_TRUE(proxy_->active().empty());
  EXPECT_EQ(link.client.read(4, kShould).data, "held");  // released at once, not in 60 s
  ASSERT_TRUE(link.client.send_all("through"));
  EXPECT_EQ(link.server.read(7, kShould).data, "through");
}

TEST_F(ProxyTest, StopWithOpenConnectionsDoesNotHang) {
  start(Framing::raw);
  std::vector<Link> links;
  links.reserve(3);
  for (int i = 0; i < 3; ++i) links.push_back(open_link(*proxy_, upstream_));
  proxy_->arm(FaultSpec::latency_of(std::chrono::milliseconds(60000)));
  ASSERT_TRUE(links[0].client.send_all("pending"));
  ASSERT_TRUE(wait_messages(*proxy_, 1));
  std::atomic<bool> waiting_done{false};
  auto waiter = std::async(std::launch::async, [&] {
    auto result = proxy_->wait_for_message([](const ProxyMessage&) { return false; },
                                           Clock::now() + std::chrono::hours(1));
    waiting_done = true;
    return result.has_value();
  });
  auto stopped = std::async(std::launch::async, [&] { proxy_->stop(); });
  ASSERT_EQ(stopped.wait_for(kShould), std::future_status::ready);
  ASSERT_EQ(waiter.wait_for(kShould), std::future_status::ready);
  EXPECT_FALSE(waiter.get());
  EXPECT_FALSE(proxy_->running());
  EXPECT_EQ(proxy_->open_connections(), 0u);
  for (auto& link : links) EXPECT_TRUE(ended(link.client.read(0, kShould)));
  proxy_->stop();  // idempotent
  EXPECT_THROW(proxy_->start(), std::logic_error);
}

TEST_F(ProxyTest, UpstreamRefusedResetsTheClient) {
  ProxyConfig config;
  config.name = "host";
  {
    Upstream gone;
    config.upstream_port = gone.port();
  }  // nothing listens there now
  NetworkProxy proxy(config);
  EventWatch watch(proxy);
  proxy.start();
  Socket client = Socket::connect_to(proxy.listen_endpoint().port);
  ASSERT_TRUE(client.valid());
  EXPECT_TRUE(ended(client.read(0, kShould)));
  const auto closed = watch.wait(ProxyEvent::Kind::connection_closed);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->text, fmt::format("connection 1 closed: upstream 127.0.0.1:{} connect "
                                      "failed: Connection refused",
                                      config.upstream_port));
}

TEST(ProxyFaultSpec, ValidationTexts) {
  auto error = [](const FaultSpec& spec, Framing framing = Framing::iso8583) {
    return validate(spec, framing).value_or("ok");
  };
  EXPECT_EQ(error(FaultSpec::latency_of(0ms)), "latency: needs latency or jitter above 0 ms");
  EXPECT_EQ(error(FaultSpec::bandwidth_of(0)), "bandwidth: needs bytes_per_second above 0");
  EXPECT_EQ(error(FaultSpec::slice_into(0, 1ms)), "slice: needs slice_bytes above 0");
  EXPECT_EQ(error(FaultSpec::corrupt_count(0)),
            "corrupt: needs corrupt_bytes or corrupt_byte_probability");
  EXPECT_EQ(error(FaultSpec::corrupt_rate(1.5)),
            "corrupt: corrupt_byte_probability must be in (0, 1], got 1.5");
  EXPECT_EQ(error(FaultSpec::reset().with_probability(0, 1)),
            "reset: probability must be in (0, 1], got 0");
  EXPECT_EQ(error(FaultSpec::bandwidth_of(10).with_probability(0.5, 1)),
            "bandwidth: probability below 1 is not supported");
  EXPECT_EQ(error(FaultSpec::down().when(on_mti("0210")).with_probability(0.5, 1)),
            "down: probability below 1 is not supported");
  EXPECT_EQ(error(FaultSpec::latency_of(-1ms)), "latency: negative duration");
  Trigger both = on_mti("0210");
  both.path = "/x";
  EXPECT_EQ(error(FaultSpec::down().when(both)), "down: trigger has both mti and path");
  EXPECT_EQ(error(FaultSpec::down().when(on_mti("021"))),
            "down: trigger mti \"021\" is not 4 digits");
  EXPECT_EQ(error(FaultSpec::down().when(on_path("orderquery")), Framing::http),
            "down: trigger path \"orderquery\" does not start with '/'");
  EXPECT_EQ(error(FaultSpec::down().when(on_mti("0210", Direction::both, 0))),
            "down: trigger occurrence must be at least 1, got 0");
  EXPECT_EQ(error(FaultSpec::down().when(on_mti("0210")), Framing::http),
            "down: an MTI trigger needs iso8583 framing; this proxy frames http");
  EXPECT_EQ(error(FaultSpec::down().when(on_path("/x")), Framing::raw),
            "down: a path trigger needs http framing; this proxy frames raw");
  EXPECT_EQ(error(FaultSpec::limit_to(0)), "ok");
  EXPECT_EQ(error(FaultSpec::down().when(Trigger{}), Framing::raw), "ok");
}

TEST(ProxyFaultSpec, DescribeAndNames) {
  EXPECT_EQ(describe(FaultSpec::down().when(on_mti("0210", Direction::to_client))),
            "down when 0210 to_client");
  EXPECT_EQ(describe(FaultSpec::latency_of(200ms, 50ms)
                         .on(Direction::to_client)
                         .with_probability(0.5, 7)
                         .lasting(2000ms)),
            "latency 200ms+50ms to_client p=0.5 seed=7 for 2000ms");
  EXPECT_EQ(describe(FaultSpec::corrupt_count(2)), "corrupt 2 bytes both");
  EXPECT_EQ(describe(FaultSpec::limit_to(100).on(Direction::to_upstream)),
            "limit 100 bytes to_upstream");
  EXPECT_EQ(describe(FaultSpec::reset().when(on_path("/orderquery", Direction::to_client, 2))),
            "reset both when #2 /orderquery to_client");
  EXPECT_EQ(parse_fault_kind("blackhole"), FaultKind::blackhole);
  EXPECT_EQ(parse_fault_kind("Down"), std::nullopt);
  EXPECT_EQ(parse_direction("to_client"), Direction::to_client);
  EXPECT_EQ(parse_framing("iso8583"), Framing::iso8583);
  EXPECT_TRUE(FaultSpec::reset().delivers_trigger() == false);
  EXPECT_TRUE(FaultSpec::latency_of(1ms).delivers_trigger());
}

TEST(ProxyArm, RejectsInvalidSpecWithItsText) {
  Upstream upstream;
  NetworkProxy proxy(config_for(upstream, Framing::raw));
  try {
    proxy.arm(FaultSpec::down().when(on_mti("0210")));
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "down: an MTI trigger needs iso8583 framing; this proxy frames raw");
  }
  EXPECT_TRUE(proxy.active().empty());
}
