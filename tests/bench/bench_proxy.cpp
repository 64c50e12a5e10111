// Figures for the network fault proxy (DESIGN.md, performance targets):
//   1. added latency per message on loopback, p50/p99, against a direct connection measured in
//      the same run (target: p99 added <= 100 us);
//   2. throughput through the proxy against a socat relay measured in the same run (target: at
//      least socat's);
//   3. trigger exactness: a `down` armed on the 0210 toward the terminal, 1000 runs, counting
//      the runs where the 0200 reached the host, every byte before the 0210 reached the
//      terminal, not one byte of the 0210 did, and new connections were refused.
// Usage: bench_proxy [--round-trips N] [--megabytes N] [--runs N]
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "rig/fault/proxy.h"
#include "rig/protocol/iso8583.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using rig::fault::Direction;
using rig::fault::FaultSpec;
using rig::fault::Framing;
using rig::fault::NetworkProxy;
using rig::fault::ProxyConfig;
namespace iso = rig::protocol::iso8583;

// ---------------------------------------------------------------------------------------------
// Sockets

int listen_loopback(std::uint16_t* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 64) != 0) {
    std::perror("listen");
    std::exit(1);
  }
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  *port = ntohs(address.sin_port);
  return fd;
}

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool send_all(int fd, const std::string& data) { return send_all(fd, data.data(), data.size()); }

// Reads until `want` bytes (0: until the stream ends) or the deadline. Returns the bytes and
// whether the stream ended (EOF or reset).
struct Received {
  std::string data;
  bool ended = false;
};

Received receive(int fd, std::size_t want, Clock::time_point deadline) {
  Received received;
  char buffer[65536];
  while (want == 0 || received.data.size() < want) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left) + 1) <= 0) continue;
    std::size_t room = sizeof buffer;
    if (want != 0) room = std::min(room, want - received.data.size());
    const ssize_t n = ::recv(fd, buffer, room, 0);
    if (n > 0) {
      received.data.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      received.ended = true;
      break;
    }
  }
  return received;
}

int accept_within(int listener, Clock::duration timeout) {
  pollfd p{listener, POLLIN, 0};
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
  if (::poll(&p, 1, static_cast<int>(ms)) <= 0) return -1;
  const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  const int one = 1;
  if (fd >= 0) ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// A loopback server running `serve(fd)` on a thread per accepted connection until stop().
class Server {
 public:
  explicit Server(void (*serve)(int)) : serve_(serve) {
    listener_ = listen_loopback(&port_);
    acceptor_ = std::thread([this] {
      while (true) {
        const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;  // shut down by stop()
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::lock_guard<std::mutex> lock(mu_);
        workers_.emplace_back([this, fd] {
          serve_(fd);
          ::close(fd);
        });
      }
    });
  }
  ~Server() { stop(); }
  std::uint16_t port() const { return port_; }
  void stop() {
    if (listener_ < 0) return;
    ::shutdown(listener_, SHUT_RDWR);  // wakes accept()
    acceptor_.join();
    ::close(listener_);
    listener_ = -1;
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& worker : workers_) worker.join();
  }

 private:
  void (*serve_)(int);
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
};

void echo(int fd) {
  char buffer[65536];
  while (true) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0 || !send_all(fd, buffer, static_cast<std::size_t>(n))) return;
  }
}

std::mutex sink_mu;
std::map<int, std::pair<std::size_t, Clock::time_point>> sink_results;  // by connection order
int sink_count = 0;

// Counts bytes until EOF, then answers one byte so that the sender knows when all arrived.
void sink(int fd) {
  std::vector<char> buffer(std::size_t{256} * 1024);
  std::size_t total = 0;
  while (true) {
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n <= 0) break;
    total += static_cast<std::size_t>(n);
  }
  {
    std::lock_guard<std::mutex> lock(sink_mu);
    sink_results[sink_count++] = {total, Clock::now()};
  }
  send_all(fd, "k", 1);
}

// ---------------------------------------------------------------------------------------------
// ISO messages

std::string iso_frame(const std::string& mti, std::map<int, std::string> fields) {
  iso::Message message;
  message.mti = mti;
  message.fields = std::move(fields);
  return iso::frame(iso::encode(message));
}

std::string sale(int stan) {
  return iso_frame("0200", {{2, "4761739001010119"},
                            {3, "000000"},
                            {4, "000000010000"},
                            {11, fmt::format("{:06}", stan % 1000000)},
                            {41, "TERM0001"},
                            {42, "MERCHANT0000001"},
                            {49, "978"}});
}

std::string approval(int stan) {
  return iso_frame("0210", {{3, "000000"},
                            {4, "000000010000"},
                            {11, fmt::format("{:06}", stan % 1000000)},
                            {39, "00"},
                            {41, "TERM0001"}});
}

ProxyConfig proxy_config(std::uint16_t upstream_port, Framing framing) {
  ProxyConfig config;
  config.name = "bench";
  config.upstream_port = upstream_port;
  config.framing = framing;
  return config;
}

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const std::size_t index =
      std::min(values.size() - 1, static_cast<std::size_t>(p * static_cast<double>(values.size())));
  return values[index];
}

// ---------------------------------------------------------------------------------------------
// 1. Latency

void bench_latency(int round_trips, Framing framing) {
  Server server(echo);
  NetworkProxy proxy(proxy_config(server.port(), framing));
  proxy.start();
  const int direct = connect_loopback(server.port());
  const int proxied = connect_loopback(proxy.listen_endpoint().port);
  const std::string message = sale(1);
  auto round_trip = [&message](int fd) {
    const auto start = Clock::now();
    send_all(fd, message);
    const Received back = receive(fd, message.size(), start + std::chrono::seconds(5));
    if (back.data != message) {
      std::fprintf(stderr, "echo mismatch\n");
      std::exit(1);
    }
    return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  };
  for (int i = 0; i < 1000; ++i) {
    round_trip(direct);
    round_trip(proxied);
  }
  // Rounds of alternating round trips, so that both paths see the same load of a shared
  // machine; a burst of load there (other builds) shows in one round, not in the median.
  constexpr int kRounds = 5;
  const int per_round = std::max(1, round_trips / kRounds);
  std::printf(
      "1. latency, %s framing: ISO 8583 0200 of %zu bytes echoed; %d rounds of %d\n"
      "   alternating round trips%s\n",
      rig::fault::to_string(framing), message.size(), kRounds, per_round,
      framing == Framing::iso8583 ? "; the proxy frames, decodes and records both ways"
                                  : "; the proxy records each chunk");
  std::printf(
      "   round   direct p50/p99 us   via proxy p50/p99 us   added per message p50/p99 us\n");
  std::vector<double> added50;
  std::vector<double> added99;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<double> direct_us;
    std::vector<double> proxied_us;
    for (int i = 0; i < per_round; ++i) {
      direct_us.push_back(round_trip(direct));
      proxied_us.push_back(round_trip(proxied));
    }
    const double d50 = percentile(direct_us, 0.50);
    const double d99 = percentile(direct_us, 0.99);
    const double p50 = percentile(proxied_us, 0.50);
    const double p99 = percentile(proxied_us, 0.99);
    // A round trip passes the proxy twice.
    added50.push_back((p50 - d50) / 2);
    added99.push_back((p99 - d99) / 2);
    std::printf("   %5d   %7.1f / %7.1f     %7.1f / %7.1f        %7.1f / %7.1f\n", round + 1, d50,
                d99, p50, p99, added50.back(), added99.back());
  }
  ::close(direct);
  ::close(proxied);
  proxy.stop();
  server.stop();
  const double median50 = percentile(added50, 0.5);
  const double median99 = percentile(added99, 0.5);
  std::printf(
      "   added per message, median of rounds: p50 %.1f us, p99 %.1f us"
      "   (target p99 <= 100 us)  %s\n\n",
      median50, median99, median99 <= 100 ? "MET" : "MISSED");
}

// ---------------------------------------------------------------------------------------------
// 2. Throughput

// Sends `bytes` to port, waits for the sink's acknowledgement; returns MB/s (10^6 bytes).
double transfer(std::uint16_t port, std::size_t bytes) {
  const int fd = connect_loopback(port);
  if (fd < 0) {
    std::fprintf(stderr, "connect to %u failed\n", port);
    std::exit(1);
  }
  std::string chunk(std::size_t{64} * 1024, 'x');
  const auto start = Clock::now();
  for (std::size_t sent = 0; sent < bytes; sent += chunk.size()) {
    if (!send_all(fd, chunk.data(), std::min(chunk.size(), bytes - sent))) break;
  }
  ::shutdown(fd, SHUT_WR);
  const Received ack = receive(fd, 1, start + std::chrono::seconds(120));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  if (ack.data != "k") {
    std::fprintf(stderr, "transfer to %u not acknowledged\n", port);
    std::exit(1);
  }
  return static_cast<double>(bytes) / seconds / 1e6;
}

// socat relaying a port chosen here to `upstream`. Ready once it says it is listening (read
// from its stderr with -d -d), so nothing waits on a timer.
class Socat {
 public:
  static std::optional<Socat> start(std::uint16_t upstream) {
    std::uint16_t port = 0;
    ::close(listen_loopback(&port));  // a free port; socat binds it next (with reuseaddr)
    int err[2];
    if (::pipe2(err, O_CLOEXEC) != 0) return std::nullopt;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    const std::string listen = fmt::format("TCP4-LISTEN:{},bind=127.0.0.1,reuseaddr,fork", port);
    const std::string connect = fmt::format("TCP4:127.0.0.1:{}", upstream);
    std::vector<std::string> args = {"socat", "-d", "-d", listen, connect};
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, "socat", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(err[1]);
    if (rc != 0) {
      ::close(err[0]);
      return std::nullopt;
    }
    Socat socat;
    socat.pid_ = pid;
    socat.port_ = port;
    socat.stderr_ = err[0];
    std::string seen;
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (seen.find("listening on") == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      pollfd p{err[0], POLLIN, 0};
      char buffer[4096];
      const ssize_t n = left > 0 && ::poll(&p, 1, static_cast<int>(left)) > 0
                            ? ::read(err[0], buffer, sizeof buffer)
                            : -1;
      if (n <= 0) {
        std::fprintf(stderr, "socat did not start: %s\n", seen.c_str());
        return std::nullopt;
      }
      seen.append(buffer, static_cast<std::size_t>(n));
    }
    // socat logs each connection; keep its stderr drained so that it never blocks on it.
    socat.drain_ = std::thread([fd = err[0]] {
      char buffer[4096];
      while (::read(fd, buffer, sizeof buffer) > 0) {
      }
    });
    return socat;
  }
  Socat() = default;
  Socat(Socat&& other) noexcept { *this = std::move(other); }
  Socat& operator=(Socat&& other) noexcept {
    std::swap(pid_, other.pid_);
    std::swap(port_, other.port_);
    std::swap(stderr_, other.stderr_);
    std::swap(drain_, other.drain_);
    return *this;
  }
  ~Socat() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (drain_.joinable()) drain_.join();
    if (stderr_ >= 0) ::close(stderr_);
  }
  std::uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  int stderr_ = -1;
  std::thread drain_;
};

void bench_throughput(int megabytes) {
  Server server(sink);
  NetworkProxy proxy(proxy_config(server.port(), Framing::raw));
  proxy.start();
  std::optional<Socat> socat = Socat::start(server.port());
  const std::size_t bytes = static_cast<std::size_t>(megabytes) * 1024 * 1024;
  constexpr int kRounds = 3;
  std::vector<double> direct, proxied, relayed;
  transfer(proxy.listen_endpoint().port, std::size_t{8} * 1024 * 1024);  // warm-up
  for (int round = 0; round < kRounds; ++round) {
    direct.push_back(transfer(server.port(), bytes));
    proxied.push_back(transfer(proxy.listen_endpoint().port, bytes));
    if (socat) relayed.push_back(transfer(socat->port(), bytes));
  }
  proxy.stop();
  socat.reset();
  server.stop();
  auto best = [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); };
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::printf("2. throughput: %d MiB one way, %d rounds interleaved (MB/s = 10^6 bytes/s)\n",
              megabytes, kRounds);
  std::printf("   direct           best %8.0f MB/s   median %8.0f MB/s\n", best(direct),
              median(direct));
  std::printf("   via proxy (raw)  best %8.0f MB/s   median %8.0f MB/s\n", best(proxied),
              median(proxied));
  if (socat || !relayed.empty()) {
    std::printf("   via socat        best %8.0f MB/s   median %8.0f MB/s\n", best(relayed),
                median(relayed));
    std::printf("   proxy / socat    %.2f (median)   (target >= 1)  %s\n\n",
                median(proxied) / median(relayed),
                median(proxied) >= median(relayed) ? "MET" : "MISSED");
  } else {
    std::printf("   via socat        skipped: socat is not installed or did not start\n\n");
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Trigger exactness

void bench_trigger(int runs) {
  std::uint16_t upstream_port = 0;
  const int upstream = listen_loopback(&upstream_port);
  NetworkProxy proxy(proxy_config(upstream_port, Framing::iso8583));
  proxy.start();
  const std::uint16_t port = proxy.listen_endpoint().port;
  const std::string echo_reply = iso_frame("0810", {{11, "000001"}, {39, "00"}});
  int exact = 0;
  std::vector<std::string> failures;
  const auto start = Clock::now();
  for (int run = 0; run < runs; ++run) {
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    const auto down =
        proxy.arm(FaultSpec::down().when(rig::fault::on_mti("0210", Direction::to_client)));
    const int client = connect_loopback(port);
    const int host = accept_within(upstream, std::chrono::seconds(5));
    bool ok = client >= 0 && host >= 0;
    const std::string request = sale(run + 1);
    // Odd runs: the approval shares one segment with an 0810 that must still be delivered.
    const std::string before = run % 2 ? echo_reply : std::string();
    if (ok)
      ok = send_all(client, request) && receive(host, request.size(), deadline).data == request;
    if (ok) ok = send_all(host, before + approval(run + 1));
    if (ok) {
      const Received seen = receive(client, 0, deadline);
      ok = seen.ended && seen.data == before;
    }
    if (ok) {
      const int refused = connect_loopback(port);
      ok = refused < 0 && errno == ECONNREFUSED;
      if (refused >= 0) ::close(refused);
    }
    if (ok) {
      const auto recorded =
          proxy.wait_for_message([](const rig::fault::ProxyMessage& m) { return m.mti == "0210"; },
                                 deadline, proxy.message_count() - 1);
      ok = recorded && recorded->dropped && recorded->faults.size() == 1 &&
           recorded->faults[0] == down;
    }
    if (ok) {
      ++exact;
    } else if (failures.size() < 5) {
      failures.push_back(fmt::format("run {}", run));
    }
    if (client >= 0) ::close(client);
    if (host >= 0) ::close(host);
    proxy.clear_all();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  proxy.stop();
  ::close(upstream);
  std::printf(
      "3. trigger exactness: down when 0210 to_client (half the runs with an 0810 in\n"
      "   the same segment before it), %d runs in %.2f s\n",
      runs, seconds);
  std::printf("   exact fires: %d of %d   (target: all)  %s\n", exact, runs,
              exact == runs ? "MET" : "MISSED");
  for (const auto& failure : failures) std::printf("   failed: %s\n", failure.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  int round_trips = 20000;
  int megabytes = 256;
  int runs = 1000;
  auto usage = [] {
    std::fprintf(stderr, "usage: bench_proxy [--round-trips N] [--megabytes N] [--runs N]\n");
    return 2;
  };
  if (argc % 2 == 0) return usage();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    char* end = nullptr;
    const long value = std::strtol(argv[i + 1], &end, 10);
    if (*end != '\0' || value < 1 || value > 1000000000) return usage();
    if (flag == "--round-trips") {
      round_trips = static_cast<int>(value);
    } else if (flag == "--megabytes") {
      megabytes = static_cast<int>(value);
    } else if (flag == "--runs") {
      runs = static_cast<int>(value);
    } else {
      return usage();
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  std::printf("bench_proxy: network fault proxy on loopback (%u cores)\n\n",
              std::thread::hardware_concurrency());
  bench_latency(round_trips, Framing::raw);
  bench_latency(round_trips, Framing::iso8583);
  bench_throughput(megabytes);
  bench_trigger(runs);
  return 0;
}
