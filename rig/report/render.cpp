#include "rig/report/render.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rig/report/allure.h"
#include "rig/report/files.h"
#include "rig/report/html.h"
#include "rig/report/journal.h"
#include "rig/report/junit.h"

namespace rig::report {

namespace fs = std::filesystem;

namespace {

// Renders one file into `path`, or (when there is no report folder) into the copy's path.
void render_one(std::vector<std::string>& problems, const std::string& dir, const char* name,
                const std::string& copy, const std::function<void(std::ostream&)>& fill) {
  std::string primary = dir.empty() ? copy : (fs::path(dir) / name).string();
  if (primary.empty()) return;
  try {
    write_atomically(primary, fill);
  } catch (const std::exception& e) {
    problems.push_back(e.what());
    return;
  }
  if (!dir.empty() && !copy.empty()) {
    try {
      copy_atomically(primary, copy);
    } catch (const std::exception& e) {
      problems.push_back(e.what());
    }
  }
}

std::string folder_problem(const std::string& file) {
  fs::path p(file);
  std::error_code ec;
  if (fs::is_directory(p, ec)) return "cannot write " + file + ": it is a folder";
  // A device or a FIFO is never replaced by a report (the file is renamed into place).
  if (fs::exists(fs::symlink_status(p, ec)) && !fs::is_regular_file(fs::symlink_status(p, ec))) {
    return "cannot write " + file + ": it exists and is not a regular file";
  }
  fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  // The nearest folder that exists must be writable (the rest is made).
  fs::path probe = dir;
  while (!probe.empty() && !fs::exists(probe, ec)) probe = probe.parent_path();
  if (probe.empty()) probe = ".";
  if (!fs::is_directory(probe, ec))
    return "cannot write " + file + ": " + probe.string() + " is not a folder";
  if (::access(probe.c_str(), W_OK | X_OK) != 0) {
    return "cannot write " + file + ": " + probe.string() + ": " + std::strerror(errno);
  }
  return "";
}

}  // namespace

std::vector<std::string> render_reports(const RunResult& run, const Outputs& out) {
  std::vector<std::string> problems;
  render_one(problems, out.dir, "results.json", out.json_copy,
             [&](std::ostream& o) { write_json(run, o); });
  render_one(problems, out.dir, "junit.xml", out.junit_copy,
             [&](std::ostream& o) { write_junit(run, o); });
  render_one(problems, out.dir, "report.html", out.html_copy,
             [&](std::ostream& o) { write_html(run, o); });
  if (!out.allure_dir.empty()) {
    try {
      write_allure(run, out.allure_dir);
    } catch (const std::exception& e) {
      problems.push_back(e.what());
    }
  }
  return problems;
}

std::vector<std::string> check_report_paths(const Outputs& out) {
  std::vector<std::string> problems;
  if (!out.dir.empty()) {
    std::string p = folder_problem((fs::path(out.dir) / "results.json").string());
    if (!p.empty()) problems.push_back(p);
  }
  for (const std::string* f : {&out.json_copy, &out.junit_copy, &out.html_copy}) {
    if (f->empty()) continue;
    std::string p = folder_problem(*f);
    if (!p.empty()) problems.push_back(p);
  }
  if (!out.allure_dir.empty()) {
    std::string p = folder_problem((fs::path(out.allure_dir) / "x-result.json").string());
    if (!p.empty()) problems.push_back(p);
  }
  return problems;
}

RunResult read_results(const std::string& path) {
  std::error_code ec;
  std::string file = path;
  if (fs::is_directory(path, ec)) {
    fs::path j = fs::path(path) / "journal.jsonl";
    fs::path r = fs::path(path) / "results.json";
    if (fs::exists(j, ec)) {
      file = j.string();
    } else if (fs::exists(r, ec)) {
      file = r.string();
    } else {
      throw std::runtime_error(path + ": no journal.jsonl or results.json in this folder");
    }
  }
  if (!fs::is_regular_file(file, ec)) throw std::runtime_error(file + ": not a file");
  if (is_journal(file)) return read_journal(file);
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file + ": cannot read: " + std::strerror(errno));
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error(file + ": not JSON (nor a journal)");
  try {
    return run_from_json(j);
  } catch (const std::exception& e) {
    throw std::runtime_error(file + ": " + e.what());
  }
}

}  // namespace rig::report
