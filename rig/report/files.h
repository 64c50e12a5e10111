// Writing report files so that a crash or a full disk never leaves a half-written one: each
// file is written to a temporary file in the same folder, fsynced, then renamed over the
// target. Errors name the file and the reason ("cannot write reports/x/junit.xml: write: No
// space left on device").
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace rig::report {

// Writes `content` to `path` atomically. Throws std::runtime_error "cannot write <path>: <why>".
void write_atomically(const std::string& path, const std::string& content);
// Same, with the content streamed by `fill` (nothing is held whole).
void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& fill);
// Copies the file `from` to `to` atomically (never moves: `from` stays).
void copy_atomically(const std::string& from, const std::string& to);

// Creates a new report folder under `parent` named after the UTC time with milliseconds and a
// counter ("20261122T031508.120Z-1"; -2, -3, … when a folder of that name exists), so that two
// runs never share one. Returns its path; throws std::runtime_error naming the reason.
std::string make_unique_report_dir(const std::string& parent);

// Points the symlink `link` at `target` (relative to the link's folder) atomically: a new
// link is made beside it and renamed over the old one. Throws std::runtime_error.
void point_link(const std::string& link, const std::string& target);

// An exclusive lock on a report folder, held for one run (flock on DIR/.rig.lock, which names
// the holder). A second run with the same --out is refused with the holder's description. The
// lock file is removed when the lock is released, and a stale one (its holder died) is taken.
class OutLock {
 public:
  OutLock() = default;
  ~OutLock();
  OutLock(const OutLock&) = delete;
  OutLock& operator=(const OutLock&) = delete;
  // Takes the lock for `who` ("pid 4242 (rig run, bench virtual) since …"). Returns "" or why
  // not: "reports/x is in use by pid 4242 (rig run, bench virtual) since …".
  std::string acquire(const std::string& dir, const std::string& who);
  void release();

 private:
  int fd_ = -1;
  std::string path_;
};

// What a run that died left in its report folder `dir`: the lock file, when no run holds it,
// and the temporary files that run (`pid`) was writing (.NAME.tmp-PID). The reports and the
// journal stay: they are the record of that run (`rig report` renders it). Returns true when
// the lock file was removed; a held lock is never touched.
bool remove_dead_out_lock(const std::string& dir, long pid);

// Takes `dir` for one run (`lock`, for `who`) and removes the reports an earlier run left there
// (journal.jsonl, results.json, junit.xml, report.html), so that they never pass for this run's.
// Returns "" or why not (OutLock::acquire's text). `rig run --out` and posrig.run(out=) use it.
std::string claim_report_dir(const std::string& dir, const std::string& who, OutLock& lock);

// The history database of a run whose reports go to `out_dir`: history.sqlite beside the folder
// ("reports/x" -> "reports/history.sqlite", "x" -> "history.sqlite").
std::string history_beside(const std::string& out_dir);

}  // namespace rig::report
