// Where a run's inputs come from, for the run header: the git commit of the scenarios'
// checkout (read from .git without running git) and the machine's name.
#pragma once

#include <string>

namespace rig::report {

struct GitInfo {
  std::string commit;  // 40 hex digits, "" when `path` is not in a git checkout
  std::string branch;  // "" when HEAD is detached
};

// The commit checked out where `path` (a file or folder) lives: .git found upwards, HEAD read,
// its ref resolved through refs/ or packed-refs (worktrees too).
GitInfo git_info(const std::string& path);

std::string host_name();

}  // namespace rig::report
