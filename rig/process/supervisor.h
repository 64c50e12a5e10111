// Supervised child processes: the simulators of the virtual bench (vterm, vhost) and the argv
// lists of `command` fault injectors.
//
// Contract
// - A child is started from an argv vector, never a shell string. argv[0] without a slash is
//   looked up in PATH (the PATH of the child's environment when Spec::env sets one) and is
//   passed to the program as written. A child that cannot start is reported as
//   "<name>: cannot start: <why>", e.g. "vterm: cannot start: No such file or directory".
// - Each child leads its own process group (pgid == pid). Everything it forks stays in that
//   group unless it leaves on purpose (setsid/setpgid), and stop() ends the whole group.
// - The child gets SIGTERM when the controller dies (PR_SET_PDEATHSIG). All children are forked
//   by one long-lived internal thread, so a child does not die with the thread that started it.
// - The controller becomes a child subreaper (PR_SET_CHILD_SUBREAPER) at the first start: the
//   orphaned descendants of a child are re-parented to the controller and reaped by its
//   supervisor. Nothing else in the controller may call waitpid(-1) or wait().
// - stdin is /dev/null, or a pipe the controller writes with write_stdin() when
//   Spec::stdin_pipe is set (a process that talks with the controller over its standard
//   streams: a terminal adapter). stdout and stderr are read as lines (split on '\n', a trailing
//   '\r' removed, a final unterminated line kept, lines over 64 KiB split). Each line carries the
//   steady_clock time it was read and its stream. The last Spec::max_lines lines are kept.
// - The child starts with an empty signal mask, default signal dispositions, and no descriptor
//   of the controller other than its three standard streams.
// - Every wait takes a deadline; waits are woken by events (condition variables fed by one
//   reader thread and one reaper thread per child), never by polling.
// - All member functions are thread-safe; a Child must not be destroyed while another thread
//   uses it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rig::process {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

// Deadline `d` from now.
inline Deadline after(Clock::duration d) { return Clock::now() + d; }

enum class Stream { out, err };
const char* to_string(Stream s);  // "stdout" / "stderr"

struct Line {
  std::uint64_t seq = 0;  // 0, 1, 2, ... in order of arrival over both streams
  Clock::time_point at{};
  Stream stream = Stream::out;
  std::string text;  // without the line end
};

// How a child ended. Default-constructed: it has not ended (or never started).
struct ExitStatus {
  int code = -1;   // exit code when it exited normally, else -1
  int signal = 0;  // the signal that killed it, else 0

  bool exited() const { return code >= 0; }
  bool killed() const { return signal != 0; }
  bool success() const { return code == 0; }
  // "exited with code 3", "killed by SIGKILL", "not ended"
  std::string describe() const;
};

enum class Outcome {
  ok,
  timeout,  // the deadline passed first
  exited,   // the child ended first (wait_for_line)
  error,    // could not start, or not started
};
const char* to_string(Outcome o);

// `message` is empty for ok and otherwise starts with the child's name: "vterm: timed out after
// 5000 ms waiting for the ready line".
struct Status {
  Outcome code = Outcome::ok;
  std::string message;

  bool ok() const { return code == Outcome::ok; }
  explicit operator bool() const { return ok(); }
};

struct LineResult {
  Status status;
  Line line;  // the matching line when status is ok
};

using LineMatcher = std::function<bool(const Line&)>;

struct Spec {
  std::vector<std::string> argv;
  std::string name;  // used in messages; defaults to argv[0]
  std::string cwd;   // working directory; empty: the controller's
  // Set on top of the controller's environment (an entry replaces a variable of the same name).
  std::vector<std::pair<std::string, std::string>> env;
  std::size_t max_lines = 1000;  // lines kept for lines() and wait_for_line(); at least 1
  bool stdin_pipe = false;       // stdin on a pipe written with write_stdin(), not /dev/null
  // Called for every line, in order, on the child's reader thread, without any lock held.
  // It must not throw (exceptions are swallowed), block for long, or stop/destroy this Child.
  std::function<void(const Line&)> on_line;
};

class Child {
 public:
  explicit Child(Spec spec);
  // Calls stop() with the default grace.
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Starts the child. Once per Child; a second call returns an error.
  Status start();

  const std::string& name() const;
  // Process id, which is also the process group id; -1 before a successful start.
  pid_t pid() const;
  // True from a successful start until the child itself has ended (its group may live on).
  bool running() const;
  // Set once the child has ended and been reaped.
  std::optional<ExitStatus> exit_status() const;
  // Waits until the child ends or the deadline passes; nullopt on timeout or if never started.
  std::optional<ExitStatus> wait_exit(Deadline deadline) const;

  // The first kept line with seq >= from_seq that `match` accepts, including lines read before
  // the call; otherwise waits for one. Fails with:
  //   timeout: "<name>: timed out after N ms waiting for <what>"
  //   exited:  "<name>: exited with code N before printing <what>" (or "killed by SIGTERM ...")
  //            once the child has ended and all its output has been read;
  //   error:   "<name>: not started".
  // Lines dropped from the bounded buffer before this call looked at them are not seen.
  // `match` runs under the Child's lock: keep it quick and do not call back into the Child.
  // Timeout and exit messages end with "; last output: <last line>" when there is output.
  LineResult wait_for_line(const LineMatcher& match, Deadline deadline, std::uint64_t from_seq = 0,
                           std::string_view what = "the ready line") const;
  // Same, for the first line (either stream) in which `pattern` is found (std::regex_search).
  LineResult wait_for_line(const std::regex& pattern, Deadline deadline, std::uint64_t from_seq = 0,
                           std::string_view what = "the ready line") const;

  // Writes all of `data` to the child's stdin (Spec::stdin_pipe), waiting while the pipe is full
  // until the deadline. Never raises SIGPIPE. Fails with:
  //   timeout: "<name>: timed out after N ms writing to its stdin" (part may have been written);
  //   exited:  "<name>: stopped reading its stdin (Broken pipe)" when the read end is gone;
  //   error:   "<name>: stdin is closed" / "<name>: stdin is not a pipe" / "<name>: not started".
  // Thread-safe: concurrent writes do not interleave.
  Status write_stdin(std::string_view data, Deadline deadline);
  // Closes the child's stdin (it reads end of file). Idempotent.
  void close_stdin();

  // Copy of the kept lines, oldest first.
  std::vector<Line> lines() const;
  // Sequence number the next line will get (a `from_seq` for "lines after now").
  std::uint64_t next_seq() const;

  // Ends the child's whole process group: SIGTERM to the group, up to `grace` for every member
  // to be gone, then SIGKILL to the group and a wait for it. Reaps the child and reads the rest
  // of its output, so lines() is complete afterwards. Idempotent and safe to call from several
  // threads; returns how the child ended (default ExitStatus if it never started). Afterwards
  // no process of the group remains, unless a member is stuck in the kernel (then it gives up
  // waiting after 10 s).
  ExitStatus stop(std::chrono::milliseconds grace = std::chrono::seconds(2));

  struct Core;  // shared with the reader/reaper threads and the registry

 private:
  std::shared_ptr<Core> core_;
};

// An on_line callback that appends each line to the file `path` ("2026-11-22 01:41:51.123
// stdout text", local time), flushed per line so that the file survives a crash of the
// controller; the simulators' output kept in the report folder. Creates the folder. A file
// that cannot be opened gives a callback that drops the lines; `error` (when given) says why.
std::function<void(const Line&)> append_lines_to(const std::string& path,
                                                 std::string* error = nullptr);

// Result of run(): status ok means the command ran to its end, whatever its exit code.
struct RunResult {
  Status status;             // ok, timeout ("<name>: timed out after N ms"), or error
  ExitStatus exit;           // how it ended (after a timeout: how the kill ended it)
  std::vector<Line> output;  // both streams, in order of arrival (last Spec::max_lines)

  // The output lines joined with '\n'; `only` picks one stream.
  std::string text(std::optional<Stream> only = std::nullopt) const;
};

// Runs a command to its end (for `command` fault injectors). When the deadline passes first,
// the process group is stopped (SIGTERM, then SIGKILL after 1 s) and the status is timeout.
// Processes the command leaves behind in its group when it exits are stopped as well.
RunResult run(Spec spec, Deadline deadline);
RunResult run(std::vector<std::string> argv, Deadline deadline);

// Stops every live child group of the process: SIGTERM to all groups at once, one common grace
// period, then SIGKILL to the groups still there. Returns how many children were running.
// Safe to call from any normal thread, concurrently with Child methods and destructors; not
// from a signal handler. The controller's signal-handling thread (which waits for
// SIGINT/SIGTERM) calls it before writing the partial report.
std::size_t stop_all_children(std::chrono::milliseconds grace = std::chrono::seconds(2));

}  // namespace rig::process
