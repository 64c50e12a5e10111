#include "rig/link/pty.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace rig::link {

int make_raw(int fd) {
  termios tio{};
  if (::tcgetattr(fd, &tio) != 0) return errno;
  ::cfmakeraw(&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_cflag &= ~static_cast<tcflag_t>(CRTSCTS);
  tio.c_cc[VMIN] = 1;
  tio.c_cc[VTIME] = 0;
  if (::tcsetattr(fd, TCSANOW, &tio) != 0) return errno;
  return 0;
}

PtyLink::PtyLink(std::string path) : path_(std::move(path)) {}

Status PtyLink::open() {
  if (is_open()) return Status::success();
  int fd = ::open(path_.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return failure(IoStatus::error, "open", errno);
  if (!::isatty(fd)) {
    ::close(fd);
    return failure(IoStatus::error, "open", ENOTTY);
  }
  if (int err = make_raw(fd)) {
    ::close(fd);
    return failure(IoStatus::error, "open (termios)", err);
  }
  adopt(fd);
  return Status::success();
}

PtyMaster::PtyMaster() = default;

PtyMaster::~PtyMaster() { PtyMaster::close(); }

Status PtyMaster::open() {
  if (is_open()) return Status::success();
  int fd = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return failure(IoStatus::error, "posix_openpt", errno);
  char buf[128];
  if (::grantpt(fd) != 0 || ::unlockpt(fd) != 0 || ::ptsname_r(fd, buf, sizeof buf) != 0) {
    int err = errno;
    ::close(fd);
    return failure(IoStatus::error, "pty set-up", err);
  }
  slave_path_ = buf;
  keep_slave_fd_ = ::open(buf, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (keep_slave_fd_ < 0) {
    int err = errno;
    ::close(fd);
    return failure(IoStatus::error, "open " + slave_path_, err);
  }
  // Raw on the slave side: the line discipline would otherwise echo and translate bytes.
  if (int err = make_raw(keep_slave_fd_)) {
    ::close(keep_slave_fd_);
    keep_slave_fd_ = -1;
    ::close(fd);
    return failure(IoStatus::error, "termios on " + slave_path_, err);
  }
  adopt(fd);
  return Status::success();
}

void PtyMaster::before_close() {
  if (keep_slave_fd_ >= 0) ::close(keep_slave_fd_);
  keep_slave_fd_ = -1;
}

}  // namespace rig::link
