// Shared core of the transports that end in a file descriptor (pty, TCP, and serial through
// libserialport's handle): non-blocking I/O waited on with poll(2) together with an eventfd,
// so that abort() from another thread wakes a blocked wait at once.
#pragma once

#include <atomic>
#include <string>

#include "rig/link/link.h"

namespace rig::link {

class FdLink : public Link {
 public:
  ~FdLink() override;

  bool is_open() const override { return fd_ >= 0; }
  void close() override;
  Status write(std::string_view bytes, Deadline deadline) override;
  Chunk read(Deadline deadline, std::size_t max = 4096) override;
  void abort() override;
  void wake() override;

 protected:
  FdLink();
  // Subclasses call this from open() with a descriptor they own; it is made non-blocking.
  // Clears an earlier abort.
  void adopt(int fd);
  // Called by close() before the descriptor is closed (e.g. to drain or free a port handle).
  virtual void before_close() {}
  int fd() const { return fd_; }

  // "<name>: <what> failed: <strerror(err)>"
  Status failure(IoStatus code, const std::string& what, int err) const;
  Status timed_out(const std::string& what) const;

  // Waits until fd_ is ready for `events` (POLLIN/POLLOUT), the deadline passes, or abort().
  // Subclasses use it for waits that are not a read or write (TCP connect, accept).
  // `wakeable`: wake() ends the wait (reads only).
  Status wait_ready(short events, Deadline deadline, const char* what, bool wakeable = false);

 private:
  int fd_ = -1;
  // Sockets are written with send(MSG_NOSIGNAL): a peer that hung up must not raise SIGPIPE.
  bool is_socket_ = false;
  int wake_fd_ = -1;  // eventfd written by abort() and wake()
  std::atomic<bool> aborted_{false};
  std::atomic<bool> woken_{false};  // a wake() not yet delivered to a read
};

}  // namespace rig::link
