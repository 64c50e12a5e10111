#include "rig/report/provenance.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace rig::report {

namespace fs = std::filesystem;

namespace {

std::string first_line(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  if (in) std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

bool is_sha(const std::string& s) {
  if (s.size() != 40) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string resolve_ref(const fs::path& gitdir, const fs::path& common, const std::string& ref) {
  for (const fs::path& base : {gitdir, common}) {
    std::string sha = first_line(base / ref);
    if (is_sha(sha)) return sha;
  }
  std::ifstream packed(common / "packed-refs");
  std::string line;
  while (std::getline(packed, line)) {
    if (line.size() > 41 && line[40] == ' ' && line.substr(41) == ref &&
        is_sha(line.substr(0, 40))) {
      return line.substr(0, 40);
    }
  }
  return "";
}

}  // namespace

GitInfo git_info(const std::string& path) {
  GitInfo info;
  std::error_code ec;
  fs::path dir = fs::absolute(path, ec);
  if (ec) return info;
  if (!fs::is_directory(dir, ec)) dir = dir.parent_path();
  for (; !dir.empty(); dir = dir.parent_path()) {
    fs::path dot = dir / ".git";
    fs::path gitdir;
    if (fs::is_directory(dot, ec)) {
      gitdir = dot;
    } else if (fs::is_regular_file(dot, ec)) {
      std::string line = first_line(dot);  // "gitdir: <path>" (worktrees, submodules)
      if (line.rfind("gitdir: ", 0) != 0) return info;
      gitdir = fs::path(line.substr(8));
      if (gitdir.is_relative()) gitdir = dir / gitdir;
    }
    if (!gitdir.empty()) {
      fs::path common = gitdir;
      std::string c = first_line(gitdir / "commondir");
      if (!c.empty()) common = fs::path(c).is_relative() ? gitdir / c : fs::path(c);
      std::string head = first_line(gitdir / "HEAD");
      if (head.rfind("ref: ", 0) == 0) {
        std::string ref = head.substr(5);
        info.commit = resolve_ref(gitdir, common, ref);
        if (ref.rfind("refs/heads/", 0) == 0) info.branch = ref.substr(11);
      } else if (is_sha(head)) {
        info.commit = head;
      }
      return info;
    }
    if (dir == dir.root_path()) break;
  }
  return info;
}

std::string host_name() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

}  // namespace rig::report
