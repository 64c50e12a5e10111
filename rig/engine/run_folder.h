// The scratch folder of one run (${run_dir}: the ledger, the terminals' flash state, pty links,
// whatever the bench's simulators keep), and the clean-up after runs that died.
//
// A run folder is TMPDIR/posrig-run-XXXXXX (mode 0700). It holds a marker file `.rig-run`, one
// JSON line naming the run — {pid, host, user, since, bench, out_dir, lock_dir} — on which the
// run keeps an exclusive flock while it lives. The marker is written and locked under another
// name and then renamed into place, so a marker is either locked by a live run or was left by
// one that is gone: the kernel drops the flock however the run ends (kill -9 included). A run
// that ends removes its folder (RunFolder's destructor); one that died leaves it, with its
// station locks and its --out lock, until the next run on the host cleans them
// (clean_after_dead_runs).
#pragma once

#include <string>
#include <vector>

namespace rig::engine {

// Every process the run starts (services, simulators) gets POSRIG_RUN_DIR=<its run folder> in
// its environment, which its own children inherit: a process of a dead run that outlived it (a
// simulator's child, which PR_SET_PDEATHSIG does not reach) is found by it, whatever its pid.
inline constexpr const char* kRunDirEnv = "POSRIG_RUN_DIR";

class RunFolder {
 public:
  // Creates a new run folder for a run of `bench` whose reports go to `out_dir` ("" none) and
  // whose station locks are in `lock_dir`. Throws std::runtime_error "cannot create run folder
  // …: <why>".
  RunFolder(const std::string& bench, const std::string& out_dir, const std::string& lock_dir);
  // Removes the folder and everything in it; with POSRIG_KEEP_RUN_DIR set, keeps it (without its
  // marker, so that no later run takes it for a dead run's).
  ~RunFolder();
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;

  const std::string& path() const { return path_; }

  // For a process about to end at once (a second Ctrl-C, std::_Exit): removes every run folder
  // of this process, with the station locks and the --out lock this process holds for it, so
  // that even a hurried end leaves nothing for the next run to clean. Not async-signal-safe:
  // called from the signal-handling thread, which may run while the run goes on.
  static void remove_all_now();

 private:
  std::string path_, out_dir_, lock_dir_;
  int fd_ = -1;  // the marker, flocked
};

// Removes what runs that died left behind, and returns one line for each run, naming it and
// what went:
//   "removed what a dead run left: pid 4242 on host bench-a (user qa, bench virtual) since
//    2026-12-04T15:02:11Z: run folder /tmp/posrig-run-Ab12Cd (lane1-flash, lane2-flash,
//    ledger.sqlite), station locks lane1, lane2, the lock of report folder /home/qa/reports/x,
//    1 process it left running (4250 vterm)"
// That is: every run folder in TMPDIR whose marker no run holds, the processes of that run
// still running (SIGKILL: those whose environment names the folder in POSRIG_RUN_DIR), the
// --out lock its run left (the reports and journal stay: `rig report` renders them), and the
// station locks nobody holds in `lock_dir` and in the lock folders the dead runs used. A station
// lock of a run whose folder is elsewhere gets its own line ("removed the lock of station lane1
// left by a dead run: pid …"). Folders of live runs, of other users (not readable) and without a
// marker are left alone. With `run_folders` false (`rig locks`), only the station locks in
// `lock_dir`.
std::vector<std::string> clean_after_dead_runs(const std::string& lock_dir,
                                               bool run_folders = true);

}  // namespace rig::engine
