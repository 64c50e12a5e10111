#include "rig/report/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <streambuf>

#include "rig/report/results.h"

namespace rig::report {

namespace fs = std::filesystem;

namespace {

// An ostream buffer over a file descriptor that remembers the first write error.
class FdBuf : public std::streambuf {
 public:
  explicit FdBuf(int fd) : fd_(fd) { setp(buf_, buf_ + sizeof buf_); }
  int error() const { return error_; }
  bool flush_all() { return drain() && error_ == 0; }

 protected:
  int_type overflow(int_type ch) override {
    if (!drain()) return traits_type::eof();
    if (ch != traits_type::eof()) {
      *pptr() = static_cast<char>(ch);
      pbump(1);
    }
    return ch == traits_type::eof() ? traits_type::not_eof(ch) : ch;
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    const char* p = pbase();
    std::size_t left = static_cast<std::size_t>(pptr() - pbase());
    while (left > 0 && error_ == 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        error_ = errno;
        break;
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    setp(buf_, buf_ + sizeof buf_);
    return error_ == 0;
  }

  int fd_;
  int error_ = 0;
  char buf_[64 * 1024];
};

[[noreturn]] void fail(const std::string& path, const char* what, int err) {
  throw std::runtime_error("cannot write " + path + ": " + what + ": " + std::strerror(err));
}

}  // namespace

void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& fill) {
  fs::path target(path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (fs::is_directory(target, ec)) fail(path, "open", EISDIR);
  // Renaming over a device or a FIFO would replace it: refuse anything but a regular file.
  auto st = fs::symlink_status(target, ec);
  if (fs::exists(st) && !fs::is_regular_file(st)) {
    throw std::runtime_error("cannot write " + path + ": it exists and is not a regular file");
  }
  std::string tmp =
      (dir / ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()))).string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, "open", errno);
  auto give_up = [&](const char* what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    fail(path, what, err);
  };
  {
    FdBuf buf(fd);
    std::ostream out(&buf);
    try {
      fill(out);
    } catch (...) {
      ::close(fd);
      ::unlink(tmp.c_str());
      throw;
    }
    out.flush();
    if (!buf.flush_all()) give_up("write", buf.error());
  }
  if (::fsync(fd) != 0) give_up("fsync", errno);
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail(path, "close", err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail(path, "rename", err);
  }
}

void write_atomically(const std::string& path, const std::string& content) {
  write_atomically(path, [&](std::ostream& out) {
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  });
}

void copy_atomically(const std::string& from, const std::string& to) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    throw std::runtime_error("cannot copy " + from + " to " + to + ": " + std::strerror(errno));
  }
  try {
    write_atomically(to, [&](std::ostream& out) {
      char buf[64 * 1024];
      for (;;) {
        ssize_t n = ::read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          throw std::runtime_error("cannot copy " + from + " to " + to +
                                   ": read: " + std::strerror(errno));
        }
        if (n == 0) break;
        out.write(buf, n);
      }
    });
  } catch (...) {
    ::close(in);
    throw;
  }
  ::close(in);
}

std::string make_unique_report_dir(const std::string& parent) {
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw std::runtime_error("cannot create " + parent + ": " + ec.message());
  const std::string stamp = utc_now("%Y%m%dT%H%M%S");
  for (int n = 1; n < 10000; ++n) {
    fs::path dir = fs::path(parent) / (stamp + "-" + std::to_string(n));
    if (::mkdir(dir.c_str(), 0755) == 0) return dir.string();
    if (errno != EEXIST) {
      throw std::runtime_error("cannot create " + dir.string() + ": " + std::strerror(errno));
    }
  }
  throw std::runtime_error("cannot create a report folder in " + parent + ": every name is taken");
}

void point_link(const std::string& link, const std::string& target) {
  fs::path l(link);
  fs::path tmp =
      l.parent_path() / ("." + l.filename().string() + ".tmp-" + std::to_string(::getpid()));
  ::unlink(tmp.c_str());
  if (::symlink(target.c_str(), tmp.c_str()) != 0) {
    throw std::runtime_error("cannot link " + link + " to " + target + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), l.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot link " + link + " to " + target + ": " + std::strerror(err));
  }
}

OutLock::~OutLock() { release(); }

std::string OutLock::acquire(const std::string& dir, const std::string& who) {
  release();
  const std::string path = (fs::path(dir) / ".rig.lock").string();
  // The lock file is removed on release; a run that opened the old file before it went must
  // not think it holds the lock: after flock, the path must still name the file it locked.
  for (int tries = 0; tries < 100; ++tries) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return "cannot lock " + dir + ": " + path + ": " + std::strerror(errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      char buf[512] = {0};
      ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
      ::close(fd);
      std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
      return dir + " is in use by " + (holder.empty() ? "another rig process" : holder);
    }
    struct stat by_fd {
    }, by_path{};
    if (::fstat(fd, &by_fd) != 0 || ::stat(path.c_str(), &by_path) != 0 ||
        by_fd.st_ino != by_path.st_ino || by_fd.st_dev != by_path.st_dev) {
      ::close(fd);  // removed by its last holder after we opened it: open again
      continue;
    }
    std::string text = who + "\n";
    if (::ftruncate(fd, 0) == 0) {
      [[maybe_unused]] ssize_t n = ::pwrite(fd, text.data(), text.size(), 0);
    }
    fd_ = fd;
    path_ = path;
    return "";
  }
  return "cannot lock " + dir + ": the lock file keeps changing";
}

void OutLock::release() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // while still holding it (see acquire)
  ::close(fd_);
  fd_ = -1;
  path_.clear();
}

bool remove_dead_out_lock(const std::string& dir, long pid) {
  const std::string path = (fs::path(dir) / ".rig.lock").string();
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  bool removed = false;
  struct stat by_fd {
  }, by_path{};
  // Locked, and still the file at the path: a run that opened it meanwhile opens it again
  // (acquire), as after a release.
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::fstat(fd, &by_fd) == 0 &&
      ::stat(path.c_str(), &by_path) == 0 && by_fd.st_ino == by_path.st_ino &&
      by_fd.st_dev == by_path.st_dev) {
    const std::string suffix = ".tmp-" + std::to_string(pid);
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      if (name.size() > suffix.size() && name[0] == '.' &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        fs::remove(e.path(), ec);
      }
    }
    removed = ::unlink(path.c_str()) == 0;
  }
  ::close(fd);
  return removed;
}

std::string claim_report_dir(const std::string& dir, const std::string& who, OutLock& lock) {
  std::string busy = lock.acquire(dir, who);
  if (!busy.empty()) return busy;
  for (const char* f : {"journal.jsonl", "results.json", "junit.xml", "report.html"}) {
    std::error_code ec;
    fs::remove(fs::path(dir) / f, ec);
  }
  return "";
}

std::string history_beside(const std::string& out_dir) {
  fs::path folder = fs::path(out_dir).lexically_normal();
  if (!folder.has_filename()) folder = folder.parent_path();  // "reports/py/"
  fs::path parent = folder.parent_path();
  return parent.empty() ? "history.sqlite" : (parent / "history.sqlite").string();
}

}  // namespace rig::report
