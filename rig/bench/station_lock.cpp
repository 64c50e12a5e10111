#include "rig/bench/station_lock.h"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "rig/report/results.h"

namespace rig::bench {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Holders on other hosts change files inotify cannot see: look again this often while waiting.
constexpr std::chrono::seconds kRecheck{5};

std::string host_name() {
  char name[256] = "";
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown-host";
  return name;
}

// getpwuid_r: stations take their locks on threads of their own at once, and getpwuid's static
// result is shared by them (a data race ThreadSanitizer found in the engine tests).
std::string user_name() {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* pw = nullptr;
  if (::getpwuid_r(::geteuid(), &entry, buffer.data(), buffer.size(), &pw) == 0 && pw) {
    return pw->pw_name;
  }
  if (const char* u = std::getenv("USER")) return u;
  return std::to_string(::geteuid());
}

std::string duration_text(std::chrono::milliseconds d) {
  if (d.count() % 60000 == 0) return std::to_string(d.count() / 60000) + "m";
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

// The whole file as the lock's owner wrote it (one JSON line); an empty holder when it is
// empty or unreadable (being written, or not ours).
LockHolder read_holder(int fd) {
  std::string text;
  char buf[1024];
  off_t at = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    at += n;
    if (text.size() > 16384) break;
  }
  LockHolder h;
  try {
    json j = json::parse(text);
    h.pid = j.value("pid", 0L);
    h.host = j.value("host", "");
    h.user = j.value("user", "");
    h.since = j.value("since", "");
    h.bench = j.value("bench", "");
    h.station = j.value("station", "");
    h.device = j.value("device", "");
  } catch (const json::exception&) {
  }
  return h;
}

bool write_holder(int fd, const LockHolder& h) {
  std::string line =
      json{{"pid", h.pid},     {"host", h.host},       {"user", h.user},    {"since", h.since},
           {"bench", h.bench}, {"station", h.station}, {"device", h.device}}
          .dump() +
      "\n";
  if (::ftruncate(fd, 0) != 0) return false;
  if (::pwrite(fd, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size())) return false;
  ::fsync(fd);  // shared storage: others read it from the server
  return true;
}

// Whether `fd` is still the file at `path` (a holder that let go removes its file; one opened
// just before that is a stale inode).
bool same_file(int fd, const std::string& path) {
  struct stat a {
  }, b{};
  return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_ino == b.st_ino &&
         a.st_dev == b.st_dev;
}

// What a takeover says about the run that left the lock behind.
std::string gone_text(const LockHolder& old) {
  if (old.host == host_name() && old.pid > 0 && ::kill(static_cast<pid_t>(old.pid), 0) != 0 &&
      errno == ESRCH) {
    return "that process is gone";
  }
  if (old.host != host_name()) return "its lock was released (host " + old.host + ")";
  return "its lock was released";
}

}  // namespace

std::string default_lock_dir() {
  if (const char* d = std::getenv("POSRIG_LOCK_DIR"); d && *d) return d;
  return (fs::temp_directory_path() / "posrig-locks").string();
}

std::string LockHolder::describe() const {
  if (pid == 0) return "another rig process";
  std::string who = "pid " + std::to_string(pid) + " on host " + host + " (user " + user;
  if (!bench.empty()) who += ", bench " + bench;
  if (!station.empty()) who += ", station " + station;
  return who + ") since " + since;
}

LockHolder LockHolder::this_process() {
  LockHolder h;
  h.pid = ::getpid();
  h.host = host_name();
  h.user = user_name();
  h.since = report::utc_now_iso8601();
  return h;
}

std::string lock_file(const std::string& dir, const std::string& device) {
  // Readable, and unique: two specs that read the same once cleaned get different hashes.
  std::string key;
  for (char c : device) key += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (key.size() > 80) key = key.substr(key.size() - 80);
  std::uint32_t hash = 2166136261u;  // FNV-1a
  for (unsigned char c : device) hash = (hash ^ c) * 16777619u;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "-%08x", hash);
  return (fs::path(dir) / (key + suffix + ".lock")).string();
}

StationLock::StationLock(int fd, std::string file, LockHolder me)
    : fd_(fd), file_(std::move(file)), me_(std::move(me)) {}

StationLock::~StationLock() {
  // Remove the file while still holding the lock; a run that opened it meanwhile sees it gone.
  if (same_file(fd_, file_)) ::unlink(file_.c_str());
  ::close(fd_);
}

std::unique_ptr<StationLock> StationLock::take(const std::string& device, LockHolder me,
                                               const Options& options, std::string* why) {
  const std::string dir = options.dir.empty() ? default_lock_dir() : options.dir;
  std::error_code ec;
  if (fs::create_directories(dir, ec)) {
    // A new shared folder: every user of the bench host may lock in it (sticky, like /tmp).
    ::chmod(dir.c_str(), 01777);
  }
  const std::string path = lock_file(dir, device);
  const LockHolder now = LockHolder::this_process();
  me.pid = now.pid;
  me.host = now.host;
  me.user = now.user;
  me.since = now.since;
  me.device = device;
  auto note = [&](const std::string& text) {
    if (options.note) options.note(text);
  };
  const std::string station = me.station.empty() ? device : "station " + me.station;
  const auto deadline = std::chrono::steady_clock::now() + options.wait;

  int watch = -1;  // inotify on the folder, while waiting
  struct WatchCloser {
    int& fd;
    ~WatchCloser() {
      if (fd >= 0) ::close(fd);
    }
  } closer{watch};
  bool said_waiting = false;
  for (;;) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
      *why = "cannot open lock file " + path + ": " + std::strerror(errno);
      return nullptr;
    }
    ::fchmod(fd, 0666);  // best effort: other users' runs must be able to take it over
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd, F_OFD_SETLK, &fl) == 0) {
      if (!same_file(fd, path)) {  // its holder removed it as we opened it: again
        ::close(fd);
        continue;
      }
      LockHolder old = read_holder(fd);
      if (old.pid != 0) {
        note(station + ": taking over the lock of " + old.describe() + ": " + gone_text(old));
      }
      if (!write_holder(fd, me)) {
        *why = "cannot write lock file " + path + ": " + std::strerror(errno);
        ::unlink(path.c_str());
        ::close(fd);
        return nullptr;
      }
      return std::unique_ptr<StationLock>(new StationLock(fd, path, me));
    }
    const int err = errno;
    LockHolder holder = read_holder(fd);
    ::close(fd);
    if (err != EAGAIN && err != EACCES) {
      *why = "cannot lock " + path + ": " + std::strerror(err);
      return nullptr;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline || (options.cancel && options.cancel->load())) {
      *why = (options.wait.count() > 0 ? "still held by " : "held by ") + holder.describe() +
             (options.wait.count() > 0 ? " after waiting " + duration_text(options.wait) : "");
      return nullptr;
    }
    if (!said_waiting) {
      note(station + ": waiting up to " + duration_text(options.wait) + " for its lock, held by " +
           holder.describe());
      said_waiting = true;
    }
    if (watch < 0) {
      watch = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
      if (watch >= 0) {
        ::inotify_add_watch(watch, dir.c_str(),
                            IN_DELETE | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_ATTRIB);
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    int timeout = static_cast<int>(std::min<std::chrono::milliseconds>(left, kRecheck).count());
    pollfd fds[2] = {{watch, POLLIN, 0}, {options.cancel_fd, POLLIN, 0}};
    ::poll(fds, 2, std::max(timeout, 1));
    if (watch >= 0) {
      char drain[4096];
      while (::read(watch, drain, sizeof drain) > 0) {
      }
    }
  }
}

std::vector<LockInfo> list_locks(const std::string& dir) {
  std::vector<LockInfo> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".lock") continue;
    LockInfo info;
    info.file = entry.path().string();
    int fd = ::open(info.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // removed by its holder meanwhile
    info.holder = read_holder(fd);
    struct flock fl {};
    fl.l_type = F_RDLCK;  // conflicts with the holder's write lock
    fl.l_whence = SEEK_SET;
    info.held = ::fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    ::close(fd);
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(),
            [](const LockInfo& a, const LockInfo& b) { return a.file < b.file; });
  return out;
}

std::vector<LockHolder> remove_dead_locks(const std::string& dir) {
  std::vector<LockHolder> removed;
  for (const LockInfo& info : list_locks(dir)) {
    if (info.held) continue;
    int fd = ::open(info.file.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) continue;
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    // Taken since list_locks looked, or removed and made again: not ours to remove.
    if (::fcntl(fd, F_OFD_SETLK, &fl) == 0 && same_file(fd, info.file)) {
      // An empty file is one a run has just made and is about to lock: left alone.
      LockHolder holder = read_holder(fd);
      if (holder.pid != 0 && ::unlink(info.file.c_str()) == 0) removed.push_back(std::move(holder));
    }
    ::close(fd);
  }
  return removed;
}

}  // namespace rig::bench
