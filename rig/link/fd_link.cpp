#include "rig/link/fd_link.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace rig::link {

const char* to_string(IoStatus s) {
  switch (s) {
    case IoStatus::ok: return "ok";
    case IoStatus::timeout: return "timeout";
    case IoStatus::closed: return "closed";
    case IoStatus::aborted: return "aborted";
    case IoStatus::error: return "error";
  }
  return "?";
}

FdLink::FdLink() {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::runtime_error(std::string("eventfd failed: ") + std::strerror(errno));
}

FdLink::~FdLink() {
  if (fd_ >= 0) ::close(fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void FdLink::adopt(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  struct stat st {};
  is_socket_ = ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
  fd_ = fd;
  // Drain a pending wake-up left by an abort() before this open.
  uint64_t drained = 0;
  while (::read(wake_fd_, &drained, sizeof drained) > 0) {
  }
  aborted_.store(false);
  woken_.store(false);
}

void FdLink::close() {
  if (fd_ < 0) return;
  before_close();
  ::close(fd_);
  fd_ = -1;
}

void FdLink::abort() {
  aborted_.store(true);
  uint64_t one = 1;
  // The eventfd counter only grows; a failed write means it is already signalled.
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void FdLink::wake() {
  woken_.store(true);
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

Status FdLink::failure(IoStatus code, const std::string& what, int err) const {
  return {code, name() + ": " + what + " failed: " + std::strerror(err)};
}

Status FdLink::timed_out(const std::string& what) const {
  return {IoStatus::timeout, name() + ": " + what + " timed out"};
}

Status FdLink::wait_ready(short events, Deadline deadline, const char* what, bool wakeable) {
  for (;;) {
    if (aborted_.load()) return {IoStatus::aborted, name() + ": " + what + " aborted"};
    auto now = Clock::now();
    int timeout_ms = 0;
    if (deadline > now) {
      // Round up so that a wait never ends just before its deadline.
      auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count();
      timeout_ms = static_cast<int>(std::min<long long>((left + 999) / 1000, 1 << 30));
    }
    pollfd fds[2] = {{fd_, events, 0}, {wake_fd_, POLLIN, 0}};
    int n = ::poll(fds, 2, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return failure(IoStatus::error, what, errno);
    }
    if (fds[1].revents) {
      if (aborted_.load()) continue;  // loop top reports the abort
      // A wake(): clear the eventfd so that poll blocks again; a read returns at once, any
      // other wait goes on and leaves woken_ for the next read.
      uint64_t drained = 0;
      [[maybe_unused]] ssize_t r = ::read(wake_fd_, &drained, sizeof drained);
      if (wakeable && woken_.exchange(false)) return {IoStatus::timeout, name() + ": " + what + " woken"};
      continue;
    }
    if (n == 0) {
      if (Clock::now() >= deadline) return timed_out(what);
      continue;
    }
    if (fds[0].revents & (events | POLLHUP | POLLERR)) return Status::success();
    if (fds[0].revents & POLLNVAL) return {IoStatus::closed, name() + ": " + what + " failed: not open"};
  }
}

Status FdLink::write(std::string_view bytes, Deadline deadline) {
  if (fd_ < 0) return {IoStatus::closed, name() + ": write failed: not open"};
  while (!bytes.empty()) {
    if (aborted_.load()) return {IoStatus::aborted, name() + ": write aborted"};
    ssize_t n = is_socket_ ? ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL)
                           : ::write(fd_, bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      Status s = wait_ready(POLLOUT, deadline, "write");
      if (!s) return s;
      continue;
    }
    int err = n < 0 ? errno : EIO;
    return failure(err == EPIPE || err == ECONNRESET || err == EIO ? IoStatus::closed : IoStatus::error,
                   "write", err);
  }
  return Status::success();
}

Chunk FdLink::read(Deadline deadline, std::size_t max) {
  Chunk chunk;
  if (fd_ < 0) {
    chunk.status = {IoStatus::closed, name() + ": read failed: not open"};
    return chunk;
  }
  chunk.bytes.resize(std::max<std::size_t>(max, 1));
  for (;;) {
    if (aborted_.load()) {
      chunk.bytes.clear();
      chunk.status = {IoStatus::aborted, name() + ": read aborted"};
      return chunk;
    }
    ssize_t n = ::read(fd_, chunk.bytes.data(), chunk.bytes.size());
    if (n > 0) {
      chunk.at = Clock::now();
      chunk.bytes.resize(static_cast<size_t>(n));
      return chunk;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (woken_.exchange(false)) {
        chunk.bytes.clear();
        chunk.status = {IoStatus::timeout, name() + ": read woken"};
        return chunk;
      }
      chunk.status = wait_ready(POLLIN, deadline, "read", true);
      if (!chunk.status) {
        chunk.bytes.clear();
        return chunk;
      }
      continue;
    }
    chunk.bytes.clear();
    // EOF on a socket, or EIO on a pty master/slave whose other side is closed: the peer is gone.
    if (n == 0 || errno == EIO || errno == ECONNRESET) {
      chunk.status = {IoStatus::closed, name() + ": read failed: peer closed the link"};
    } else {
      chunk.status = failure(IoStatus::error, "read", errno);
    }
    return chunk;
  }
}

}  // namespace rig::link
