#include "rig/engine/run_folder.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>

#include "rig/bench/station_lock.h"
#include "rig/report/files.h"

namespace rig::engine {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kPrefix = "posrig-run-";
constexpr const char* kMarker = ".rig-run";

// Whether `fd` is still the file at `path` (one removed and made again is another run's).
bool same_file(int fd, const std::string& path) {
  struct stat a {
  }, b{};
  return ::fstat(fd, &a) == 0 && ::lstat(path.c_str(), &b) == 0 && a.st_ino == b.st_ino &&
         a.st_dev == b.st_dev;
}

std::string read_all(int fd) {
  std::string text;
  char buf[4096];
  off_t at = 0;
  while (text.size() < 65536) {
    ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    at += n;
  }
  return text;
}

// "a, b, c and 4 more": what a dead run's folder held, sorted.
std::string names_of(const fs::path& folder) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    std::string name = e.path().filename().string();
    if (name != kMarker) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  if (names.empty()) return "empty";
  std::string text;
  const std::size_t shown = std::min<std::size_t>(names.size(), 6);
  for (std::size_t i = 0; i < shown; ++i) text += (i ? ", " : "") + names[i];
  if (names.size() > shown) text += " and " + std::to_string(names.size() - shown) + " more";
  return text;
}

// The run folders of this process, for remove_all_now().
std::mutex live_mu;
std::set<RunFolder*>& live_folders() {
  static std::set<RunFolder*> folders;
  return folders;
}

struct DeadRun {
  bench::LockHolder who;
  std::string folder, held, out_lock;  // held: names_of(folder); out_lock: its report folder
  std::vector<std::string> stations;
  std::vector<std::string> killed;  // "4250 vterm"
};

// Kills (SIGKILL) the processes whose environment says they belong to run folder `folder`: what
// a dead run left running. Only this user's processes are readable, and only those are killed.
std::vector<std::string> kill_processes_of(const std::string& folder) {
  const std::string mark = std::string(kRunDirEnv) + "=" + folder;
  std::vector<std::string> killed;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    int fd = ::open((e.path() / "environ").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    const std::string environ = read_all(fd);
    ::close(fd);
    std::size_t at = 0;
    bool ours = false;
    for (std::size_t end; !ours && at < environ.size(); at = end + 1) {
      end = environ.find('\0', at);
      if (end == std::string::npos) end = environ.size();
      ours = environ.compare(at, end - at, mark) == 0;
    }
    if (!ours || ::kill(std::stoi(pid), SIGKILL) != 0) continue;
    std::string name;
    if (int cfd = ::open((e.path() / "comm").c_str(), O_RDONLY | O_CLOEXEC); cfd >= 0) {
      name = read_all(cfd);
      ::close(cfd);
    }
    while (!name.empty() && name.back() == '\n') name.pop_back();
    killed.push_back(pid + (name.empty() ? "" : " " + name));
  }
  return killed;
}

// Removes `folder` when its marker is left by a run that is gone; returns that run.
std::optional<DeadRun> remove_if_dead(const fs::path& folder, std::string* lock_dir) {
  const std::string marker = (folder / kMarker).string();
  int fd = ::open(marker.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;  // no marker (being made, kept, not ours), or not readable
  std::optional<DeadRun> dead;
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && same_file(fd, marker)) {
    json j = json::parse(read_all(fd), nullptr, false);
    if (j.is_object() && j.value("pid", 0L) != 0) {
      DeadRun run;
      run.who.pid = j.value("pid", 0L);
      run.who.host = j.value("host", "");
      run.who.user = j.value("user", "");
      run.who.since = j.value("since", "");
      run.who.bench = j.value("bench", "");
      run.folder = folder.string();
      run.held = names_of(folder);
      const std::string out_dir = j.value("out_dir", "");
      if (!out_dir.empty() && report::remove_dead_out_lock(out_dir, run.who.pid)) {
        run.out_lock = out_dir;
      }
      *lock_dir = j.value("lock_dir", "");
      run.killed = kill_processes_of(run.folder);  // before the folder goes: they may write
      // The marker goes too, while still locked. Again when a simulator of that run, on its way
      // out, wrote a file as the folder went.
      std::error_code ec;
      for (int tries = 0; tries < 3 && fs::exists(folder, ec); ++tries) fs::remove_all(folder, ec);
      dead = std::move(run);
    }
  }
  ::close(fd);
  return dead;
}

std::string line_of(const DeadRun& run) {
  std::string text = "removed what a dead run left: " + run.who.describe() + ": run folder " +
                     run.folder + " (" + run.held + ")";
  if (!run.stations.empty()) {
    text += run.stations.size() == 1 ? ", station lock " : ", station locks ";
    for (std::size_t i = 0; i < run.stations.size(); ++i) {
      text += (i ? ", " : "") + run.stations[i];
    }
  }
  if (!run.out_lock.empty()) text += ", the lock of report folder " + run.out_lock;
  if (!run.killed.empty()) {
    text += ", " + std::to_string(run.killed.size()) +
            (run.killed.size() == 1 ? " process" : " processes") + " it left running (";
    for (std::size_t i = 0; i < run.killed.size(); ++i) text += (i ? ", " : "") + run.killed[i];
    text += ")";
  }
  return text;
}

}  // namespace

RunFolder::RunFolder(const std::string& bench, const std::string& out_dir,
                     const std::string& lock_dir)
    : lock_dir_(lock_dir) {
  std::error_code ec;
  if (!out_dir.empty()) out_dir_ = fs::absolute(out_dir, ec).string();
  std::string tmpl = (fs::temp_directory_path() / (std::string(kPrefix) + "XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) {
    throw std::runtime_error("cannot create run folder " + tmpl + ": " + std::strerror(errno));
  }
  path_ = buf.data();
  // Locked before it has its name: a marker at kMarker is never one a live run has yet to lock.
  const std::string making = path_ + "/" + kMarker + ".new";
  const std::string marker = path_ + "/" + kMarker;
  bench::LockHolder me = bench::LockHolder::this_process();
  const std::string line =
      json{{"pid", me.pid},  {"host", me.host},     {"user", me.user},      {"since", me.since},
           {"bench", bench}, {"out_dir", out_dir_}, {"lock_dir", lock_dir_}}
          .dump() +
      "\n";
  fd_ = ::open(making.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0 ||
      ::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
      ::rename(making.c_str(), marker.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    if (fd_ >= 0) ::close(fd_);
    fs::remove_all(path_, ec);
    throw std::runtime_error("cannot create run folder " + path_ + ": " + why);
  }
  std::lock_guard<std::mutex> lock(live_mu);
  live_folders().insert(this);
}

RunFolder::~RunFolder() {
  {
    std::lock_guard<std::mutex> lock(live_mu);
    live_folders().erase(this);
  }
  std::error_code ec;
  if (std::getenv("POSRIG_KEEP_RUN_DIR") != nullptr) {
    fs::remove(fs::path(path_) / kMarker, ec);
  } else {
    fs::remove_all(path_, ec);
  }
  ::close(fd_);
}

void RunFolder::remove_all_now() {
  std::lock_guard<std::mutex> lock(live_mu);
  const bench::LockHolder me = bench::LockHolder::this_process();
  for (RunFolder* folder : live_folders()) {
    // Held by this process: no one else may take them while it lives, so they simply go.
    for (const bench::LockInfo& l : bench::list_locks(folder->lock_dir_)) {
      if (l.held && l.holder.pid == me.pid && l.holder.host == me.host) ::unlink(l.file.c_str());
    }
    if (!folder->out_dir_.empty()) {
      const std::string out_lock = (fs::path(folder->out_dir_) / ".rig.lock").string();
      std::string holder;
      if (int fd = ::open(out_lock.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
        holder = read_all(fd);
        ::close(fd);
      }
      if (holder.rfind("pid " + std::to_string(me.pid) + " ", 0) == 0) ::unlink(out_lock.c_str());
    }
    std::error_code ec;
    fs::remove_all(folder->path_, ec);
  }
}

std::vector<std::string> clean_after_dead_runs(const std::string& lock_dir, bool run_folders) {
  std::vector<DeadRun> dead;
  std::set<std::string> lock_dirs{lock_dir};
  std::error_code ec;
  const fs::path tmp = run_folders ? fs::temp_directory_path(ec) : fs::path();
  for (const auto& e : fs::directory_iterator(tmp, ec)) {
    const std::string name = e.path().filename().string();
    std::error_code type_ec;
    if (name.rfind(kPrefix, 0) != 0 || !e.is_directory(type_ec) || e.is_symlink(type_ec)) continue;
    std::string its_locks;
    if (auto run = remove_if_dead(e.path(), &its_locks)) {
      dead.push_back(std::move(*run));
      if (!its_locks.empty()) lock_dirs.insert(its_locks);
    }
  }
  std::vector<std::string> lines;
  const bench::LockHolder me = bench::LockHolder::this_process();
  for (const std::string& dir : lock_dirs) {
    for (const bench::LockHolder& h : bench::remove_dead_locks(dir)) {
      auto of_run = std::find_if(dead.begin(), dead.end(), [&](const DeadRun& r) {
        return r.who.pid == h.pid && r.who.host == h.host && h.host == me.host;
      });
      const std::string station = h.station.empty() ? h.device : h.station;
      if (of_run != dead.end()) {
        of_run->stations.push_back(station);
      } else {
        lines.push_back("removed the lock of station " + station +
                        " left by a dead run: " + h.describe());
      }
    }
  }
  std::vector<std::string> out;
  for (const DeadRun& run : dead) out.push_back(line_of(run));
  out.insert(out.end(), lines.begin(), lines.end());
  return out;
}

}  // namespace rig::engine
