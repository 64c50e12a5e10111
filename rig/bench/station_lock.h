// Station locks: two runs never drive one terminal. A run takes the lock of each station's
// device (its expanded link spec) before it brings the station up, and gives it back when the
// run ends.
//
// A lock is a file DIR/<device as a name>.lock holding one JSON line that says who holds it —
// {pid, host, user, since, bench, station, device} — and an open file description lock
// (fcntl F_OFD_SETLK, write lock on the whole file) that the holder keeps while it runs:
//  - the kernel drops the lock when the holder dies, however it dies; on shared storage (NFS
//    v4) the server drops it when the holder's host stops renewing its lease. A file whose
//    lock nobody holds was left by a run that is gone: the next run takes it over and says so,
//    naming the old holder;
//  - the holder removes its file when the run ends (StationLock's destructor), so the folder
//    holds only the locks in use and the ones crashed runs left behind;
//  - a run that finds the lock held is refused at once, naming the holder, or with a wait
//    (`rig run --wait-lock 10m`) queues until the holder lets go: it wakes on the holder's file
//    going away (inotify), and looks again every 5 s for holders on other hosts, whose changes
//    inotify cannot see.
// Several hosts share benches by sharing DIR (docs/bench.md): the host name in the lock says who
// holds a station; liveness is the lock itself, never a pid compared across hosts.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rig::bench {

// Where locks live: $POSRIG_LOCK_DIR, else /tmp/posrig-locks. A bench may name its own
// (`lock_dir:`), which wins.
std::string default_lock_dir();

// Who holds (or held) a lock.
struct LockHolder {
  long pid = 0;
  std::string host, user, since;  // since: UTC ISO 8601
  std::string bench, station, device;

  // "pid 4242 on host bench-a (user qa, bench counter-3, station counter3) since 2026-…Z"
  std::string describe() const;
  // This process now: pid, host, user and since filled in.
  static LockHolder this_process();
};

// A lock file as `rig locks` shows it.
struct LockInfo {
  std::string file;
  LockHolder holder;  // as the file says (empty when it says nothing readable)
  bool held = false;  // some process holds the lock now; false: left behind by a run that is gone
};

class StationLock {
 public:
  struct Options {
    std::string dir;                            // default_lock_dir() when empty
    std::chrono::milliseconds wait{0};          // 0: refuse at once when held
    const std::atomic<bool>* cancel = nullptr;  // stop waiting when it turns true
    int cancel_fd = -1;  // readable when cancel turns true (wakes the wait at once); -1: none
    // Told about waiting and takeovers ("station lane1: taking over the lock of pid 4242 …").
    std::function<void(const std::string&)> note;
  };

  // Takes the lock of `device` for `me` (pid, host, user and since are filled in). Returns the
  // lock, or null with `why` saying so: "held by pid 4242 on host … since …", "still held by …
  // after waiting 10s", "cannot open lock file …: Permission denied".
  static std::unique_ptr<StationLock> take(const std::string& device, LockHolder me,
                                           const Options& options, std::string* why);
  ~StationLock();  // removes the file, then lets go
  StationLock(const StationLock&) = delete;
  StationLock& operator=(const StationLock&) = delete;

  const std::string& file() const { return file_; }
  const LockHolder& holder() const { return me_; }

 private:
  StationLock(int fd, std::string file, LockHolder me);
  int fd_;
  std::string file_;
  LockHolder me_;
};

// The lock file of `device` in `dir`.
std::string lock_file(const std::string& dir, const std::string& device);

// Every lock file in `dir` (none when it does not exist), sorted by file name.
std::vector<LockInfo> list_locks(const std::string& dir);

// Removes the lock files in `dir` that no process holds (left by runs that died) and returns
// their holders, sorted by file name. Each is locked before it goes, so a run taking it at that
// moment opens it again (take() checks that the file it locked is still the one at the path);
// a held lock is never touched. A file this user may not remove (another user's, in a sticky
// folder) stays, for the next run to take over.
std::vector<LockHolder> remove_dead_locks(const std::string& dir);

}  // namespace rig::bench
