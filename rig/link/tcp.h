// Raw TCP byte streams: the ECR link of a terminal with an Ethernet ECR port or behind a
// serial-to-network server (ser2net), and a loopback listener for tests and simulators.
// Both are built on FdLink, so every wait (connect, accept, read, write) honours its deadline
// and is woken by abort() from another thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "rig/link/fd_link.h"

struct addrinfo;  // <netdb.h>

namespace rig::link {

// "HOST:PORT" as names and specs spell it: an IPv6 literal goes in brackets ("[::1]:5000").
std::string format_host_port(const std::string& host, std::uint16_t port);

// Client side of a TCP byte stream to HOST:PORT, with TCP_NODELAY set (ECR frames are small
// and latency matters more than packet count).
//
// open() resolves HOST (getaddrinfo; numeric addresses and /etc/hosts names do not block),
// then connects without blocking to each address in turn until one answers or the connect
// timeout, counted from the start of open(), runs out. Errors:
//   "tcp:127.0.0.1:9: open failed: Connection refused"
//   "tcp:127.0.0.1:9: open timed out"
//   "tcp:127.0.0.1:9: open aborted"                         (abort() during the connect)
//   "tcp:nohost.invalid:80: open failed: Name or service not known"
// A peer that closes the connection makes read() and write() return `closed`.
class TcpLink : public FdLink {
 public:
  static constexpr std::chrono::seconds kDefaultConnectTimeout{5};

  TcpLink(std::string host, std::uint16_t port,
          Clock::duration connect_timeout = kDefaultConnectTimeout);

  // "tcp:HOST:PORT"
  std::string name() const override;
  Status open() override;
  // Also wakes an open() waiting for its connect, including one still resolving the host.
  void abort() override;

  const std::string& host() const { return host_; }
  std::uint16_t port() const { return port_; }

 private:
  // One connect attempt to one resolved address; on success the socket is adopted.
  Status connect_to(const ::addrinfo& address, Deadline deadline);

  std::string host_;
  std::uint16_t port_;
  Clock::duration connect_timeout_;
  // Set by abort(): FdLink forgets an abort when open() adopts the new socket, but one that
  // came while open() was under way must still end it.
  std::atomic<bool> abort_requested_{false};
};

// One side of an accepted connection, as handed out by TcpListener::accept(). It is open when
// returned and cannot be reopened once closed (open() then fails with "... open failed: an
// accepted connection cannot be reopened"). Its name is "tcp:PEERHOST:PEERPORT".
class TcpAcceptedLink : public FdLink {
 public:
  // Takes ownership of `fd`, a connected socket.
  TcpAcceptedLink(int fd, std::string peer_name);
  std::string name() const override { return peer_name_; }
  Status open() override;

 private:
  std::string peer_name_;
};

// Result of TcpListener::accept(): `link` is set exactly when `status` is ok.
struct Accepted {
  Status status;
  LinkPtr link;
};

// A listening TCP socket, bound to loopback by default. accept() waits with a deadline and is
// woken by abort() from another thread, like every Link wait. Used by tests and simulators
// (vterm's TCP ECR port); one thread accepts at a time.
class TcpListener {
 public:
  // Port 0 asks the kernel for a free ephemeral port; port() tells which one after listen().
  explicit TcpListener(std::string host = "127.0.0.1", std::uint16_t port = 0);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // Binds (with SO_REUSEADDR) and listens. Errors read
  // "tcp-listen:127.0.0.1:80: bind failed: Permission denied". `backlog` is passed to
  // listen(2) as is.
  Status listen(int backlog = 64);
  bool is_listening() const;
  // The bound port (the ephemeral one when constructed with 0); 0 before listen().
  std::uint16_t port() const { return port_; }
  const std::string& host() const { return host_; }
  // "tcp-listen:HOST:PORT"
  std::string name() const;

  // Waits until a client connects or the deadline passes. The accepted link has TCP_NODELAY
  // set. Status codes: timeout, aborted, closed (not listening), error.
  Accepted accept(Deadline deadline);
  // Wakes a blocked accept(); it and later accepts return `aborted` until listen() again.
  void abort();
  // Stops listening; idempotent. Connections already accepted stay open.
  void close();

 private:
  class Socket;  // the listening descriptor as an FdLink, for its abortable poll
  std::string host_;
  std::uint16_t port_;
  std::unique_ptr<Socket> socket_;
};

}  // namespace rig::link
