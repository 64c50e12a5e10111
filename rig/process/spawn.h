// Internal to rig/process: starting one child process in its own process group. The public
// interface is rig/process/supervisor.h.
//
// Contract
// - Every fork happens on one long-lived launcher thread. PR_SET_PDEATHSIG fires when the
//   *thread* that forked exits, not the process; forking from a station's worker thread would
//   SIGTERM its simulator as soon as that thread ends.
// - The first spawn makes the controller a child subreaper (PR_SET_CHILD_SUBREAPER), so the
//   orphaned descendants of a child are re-parented to us and can be reaped with
//   waitid(P_PGID, ...) by whoever supervises that group.
// - The child starts with: its own process group (pgid == pid, set in the child and in the
//   parent), PR_SET_PDEATHSIG(SIGTERM), stdin on /dev/null (or on a new pipe when asked),
//   stdout and stderr on two new pipes,
//   an empty signal mask and default signal dispositions, and every descriptor above 2 marked
//   close-on-exec.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace rig::process::detail {

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is passed to the program as given
  std::string name;               // prefix of error messages
  std::string cwd;                // empty: the controller's
  std::vector<std::pair<std::string, std::string>> env;  // overrides on the inherited environment
  bool stdin_pipe = false;  // stdin on a pipe (Spawned::in_fd) instead of /dev/null
};

struct Spawned {
  pid_t pid = -1;     // also the process group id; -1 when the start failed
  int out_fd = -1;    // read end of the child's stdout, close-on-exec, owned by the caller
  int err_fd = -1;    // read end of the child's stderr
  int in_fd = -1;     // write end of the child's stdin (stdin_pipe), close-on-exec, nonblocking
  std::string error;  // "<name>: cannot start: <why>" when pid == -1
};

// Starts the process described by `req`. Never throws for a process that cannot start; the
// reason is in `error`.
Spawned spawn(const SpawnRequest& req);

// Resolves a program name the way execvp does: a name with a slash is used as is, otherwise
// each directory of `path_var` is tried (an empty entry means the current directory). Returns
// the path, or an empty string with *err set to ENOENT or EACCES.
std::string resolve_program(const std::string& file, const std::string& path_var, int* err);

// strerror(err), thread-safe: "No such file or directory".
std::string error_text(int err);

// Starts a thread with every asynchronous signal blocked, so that SIGINT/SIGTERM of the
// controller reach the thread that waits for them rather than a helper thread.
std::thread start_quiet_thread(std::function<void()> body);

}  // namespace rig::process::detail
