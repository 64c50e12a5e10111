#include "rig/link/tcp.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace rig::link {

namespace {

using AddressList = std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)>;

// getaddrinfo with its error as text; `found` is empty on failure.
std::string resolve(const std::string& host, std::uint16_t port, int flags, AddressList& found) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | flags;
  addrinfo* list = nullptr;
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
  if (rc != 0) return rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc);
  found.reset(list);
  return {};
}

void set_no_delay(int fd) {
  int one = 1;
  // Best effort: a socket that refuses it still carries the bytes correctly.
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

std::string format_address(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = "?";
  std::uint16_t port = 0;
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    port = ntohs(v4.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    port = ntohs(v6.sin6_port);
  }
  return format_host_port(text, port);
}

}  // namespace

std::string format_host_port(const std::string& host, std::uint16_t port) {
  bool ipv6_literal = host.find(':') != std::string::npos;
  return (ipv6_literal ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// ---------------------------------------------------------------------------------------------
// TcpLink

TcpLink::TcpLink(std::string host, std::uint16_t port, Clock::duration connect_timeout)
    : host_(std::move(host)), port_(port), connect_timeout_(connect_timeout) {}

std::string TcpLink::name() const { return "tcp:" + format_host_port(host_, port_); }

Status TcpLink::open() {
  if (is_open()) return Status::success();
  abort_requested_.store(false);
  // One budget for the whole open, however many addresses the name has.
  Deadline deadline = after(connect_timeout_);
  AddressList found(nullptr, ::freeaddrinfo);
  std::string why = resolve(host_, port_, 0, found);
  if (!why.empty()) return {IoStatus::error, name() + ": open failed: " + why};
  Status last{IoStatus::error, name() + ": open failed: no address"};
  for (const addrinfo* address = found.get(); address; address = address->ai_next) {
    if (abort_requested_.load()) return {IoStatus::aborted, name() + ": open aborted"};
    last = connect_to(*address, deadline);
    // Refused or unreachable: the next address (IPv4 after IPv6) may still answer.
    if (last.ok() || last.code != IoStatus::error) return last;
  }
  return last;
}

Status TcpLink::connect_to(const ::addrinfo& address, Deadline deadline) {
  int fd = ::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    address.ai_protocol);
  if (fd < 0) return failure(IoStatus::error, "open", errno);
  set_no_delay(fd);
  // EINTR leaves a non-blocking connect going on asynchronously, just like EINPROGRESS.
  if (::connect(fd, address.ai_addr, address.ai_addrlen) != 0 && errno != EINPROGRESS &&
      errno != EINTR) {
    int err = errno;
    ::close(fd);
    return failure(IoStatus::error, "open", err);
  }
  // Adopted before the connect completes so that abort() can wake the wait for it.
  adopt(fd);
  if (abort_requested_.load()) FdLink::abort();
  Status ready = wait_ready(POLLOUT, deadline, "open");
  if (!ready) {
    close();
    return ready;
  }
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(this->fd(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) {
    close();
    return failure(IoStatus::error, "open", err);
  }
  return Status::success();
}

void TcpLink::abort() {
  abort_requested_.store(true);
  FdLink::abort();
}

// ---------------------------------------------------------------------------------------------
// TcpAcceptedLink

TcpAcceptedLink::TcpAcceptedLink(int fd, std::string peer_name) : peer_name_(std::move(peer_name)) {
  adopt(fd);
}

Status TcpAcceptedLink::open() {
  if (is_open()) return Status::success();
  return {IoStatus::error, name() + ": open failed: an accepted connection cannot be reopened"};
}

// ---------------------------------------------------------------------------------------------
// TcpListener

class TcpListener::Socket : public FdLink {
 public:
  explicit Socket(const TcpListener& owner) : owner_(owner) {}
  std::string name() const override { return owner_.name(); }
  Status open() override {
    return {IoStatus::error, name() + ": open failed: use TcpListener::listen()"};
  }
  void take(int fd) { adopt(fd); }
  int descriptor() const { return fd(); }
  using FdLink::failure;
  using FdLink::wait_ready;

 private:
  const TcpListener& owner_;
};

TcpListener::TcpListener(std::string host, std::uint16_t port)
    : host_(std::move(host)), port_(port), socket_(std::make_unique<Socket>(*this)) {}

TcpListener::~TcpListener() = default;

std::string TcpListener::name() const { return "tcp-listen:" + format_host_port(host_, port_); }

bool TcpListener::is_listening() const { return socket_->is_open(); }

Status TcpListener::listen(int backlog) {
  if (is_listening()) return Status::success();
  AddressList found(nullptr, ::freeaddrinfo);
  std::string why = resolve(host_, port_, AI_PASSIVE, found);
  if (!why.empty()) return {IoStatus::error, name() + ": resolve failed: " + why};
  const addrinfo& address = *found;
  int fd = ::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    address.ai_protocol);
  if (fd < 0) return socket_->failure(IoStatus::error, "socket", errno);
  int one = 1;
  // A simulator restarted by a test must be able to bind its port again at once.
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const char* step = nullptr;
  if (::bind(fd, address.ai_addr, address.ai_addrlen) != 0) {
    step = "bind";
  } else if (::listen(fd, backlog) != 0) {
    step = "listen";
  }
  if (step) {
    int err = errno;
    ::close(fd);
    return socket_->failure(IoStatus::error, step, err);
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) == 0) {
    if (bound.ss_family == AF_INET) {
      port_ = ntohs(reinterpret_cast<const sockaddr_in&>(bound).sin_port);
    } else if (bound.ss_family == AF_INET6) {
      port_ = ntohs(reinterpret_cast<const sockaddr_in6&>(bound).sin6_port);
    }
  }
  socket_->take(fd);
  return Status::success();
}

Accepted TcpListener::accept(Deadline deadline) {
  if (!is_listening()) return {{IoStatus::closed, name() + ": accept failed: not listening"}, {}};
  for (;;) {
    // Waiting first, even when a client is already queued, makes an earlier abort() win.
    Status ready = socket_->wait_ready(POLLIN, deadline, "accept");
    if (!ready) return {ready, {}};
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    int fd = ::accept4(socket_->descriptor(), reinterpret_cast<sockaddr*>(&peer), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      set_no_delay(fd);
      return {Status::success(),
              std::make_unique<TcpAcceptedLink>(fd, "tcp:" + format_address(peer))};
    }
    // The client gave up between poll and accept, or another accept took it: wait again.
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED)
      continue;
    return {socket_->failure(IoStatus::error, "accept", errno), {}};
  }
}

void TcpListener::abort() { socket_->abort(); }

void TcpListener::close() { socket_->close(); }

}  // namespace rig::link
