// The results journal: an append-only JSON-lines file in the report folder (journal.jsonl),
// the run's record while it runs. results.json, junit.xml, report.html and Allure results are
// rendered from it when the run ends, and by `rig report` after a crash.
//
// Lines (docs/results.md):
//   {"journal": "posrig.journal", "version": 1, "run": {…header…}, "planned": [{id, attempt, …}]}
//   {"scenario": {…one finished attempt, as in results.json…}}      one per finished attempt
//   {"end": {"ended_at": …, "duration_ms": …, "interrupted": …}}    when the run ends normally
//
// Each line goes out in one write() and is fsynced before append() returns, so a finished
// scenario survives a kill -9 or a power cut. Appends from stations running in parallel take
// only the journal's own lock, never the scheduler's.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "rig/report/results.h"

namespace rig::report {

// A scenario attempt the run means to make (the scenarios not run are reported from these).
struct PlannedAttempt {
  std::string id;
  int attempt = 1;
  std::string name;
  std::string family;
  std::string file;
  std::vector<std::string> tags;
};

class Journal {
 public:
  // Creates `path` (replacing an older journal) and writes the header line: `header`'s run
  // fields and the planned attempts. Throws std::runtime_error "cannot write <path>: <why>".
  Journal(std::string path, const RunResult& header, const std::vector<PlannedAttempt>& planned);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Appends one finished attempt and fsyncs it. Thread-safe. Throws std::runtime_error.
  void append(const ScenarioResult& s);
  // Appends the end record (ended_at, duration_ms, interrupted) and closes the file.
  void finish(const RunResult& r);
  const std::string& path() const { return path_; }
  // Bytes written so far (for the figures in docs/results.md).
  std::size_t bytes_written() const;

 private:
  void write_line(const std::string& line);

  std::string path_;
  int fd_ = -1;
  mutable std::mutex mu_;
  std::size_t bytes_ = 0;
};

// Reads a journal back: the header, a summary of every attempt (steps, checks and timeline
// left in the file; RunResult::detail reads them one at a time), and the end record. Without
// an end record (the rig was killed) the run is `incomplete`; either way every planned attempt
// the journal does not report is added as `skipped` with the reason. A torn last line (killed
// mid-write) is ignored. Throws std::runtime_error "<path>: <why>" for a file that is not a
// journal.
RunResult read_journal(const std::string& path);

// Whether `path` looks like a journal (its first line), as opposed to a results.json.
bool is_journal(const std::string& path);

}  // namespace rig::report
