// Renders every report of a run (results.json, junit.xml, report.html, Allure results) from its
// results, usually read from the run's journal, and writes the copies asked for elsewhere.
#pragma once

#include <string>
#include <vector>

#include "rig/report/results.h"

namespace rig::report {

struct Outputs {
  std::string dir;         // report folder: results.json, junit.xml, report.html ("" = none)
  std::string json_copy;   // --json F: a copy of results.json
  std::string junit_copy;  // --junit F
  std::string html_copy;   // --html F
  std::string allure_dir;  // --allure DIR
};

// Writes each file atomically. A file that cannot be written does not stop the others; the
// problems are returned ("cannot write reports/x/junit.xml: write: No space left on device"),
// empty when everything was written. When `dir` is empty the copies are written directly.
std::vector<std::string> render_reports(const RunResult& run, const Outputs& out);

// Checks before a run that the report paths can be written (the folder of each file exists or
// can be made and is writable; none names a folder). Returns the problems.
std::vector<std::string> check_report_paths(const Outputs& out);

// Reads results from a journal (journal.jsonl), a results.json, or a report folder holding
// either (its journal preferred). Throws std::runtime_error "<path>: <why>".
RunResult read_results(const std::string& path);

}  // namespace rig::report
