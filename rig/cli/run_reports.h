// The report side of `rig run`: the report folder (unique name, lock, reports/latest), the
// report copies, Allure and history paths, --rerun-failed, and what is said at the end.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "rig/engine/controller.h"
#include "rig/report/files.h"
#include "rig/scenario/scenario.h"

namespace rig::cli {

struct ReportArgs {
  std::string out_dir;       // --out ("" = reports/<UTC time>-<n>, linked as reports/latest)
  std::string history;       // --history FILE ("" = history.sqlite beside the report folder)
  bool no_history = false;   // --no-history
  std::string rerun_failed;  // --rerun-failed RESULTS
};

// Registers --out, --junit, --json, --html, --allure, --history, --no-history and
// --rerun-failed on `run`.
void add_report_options(CLI::App* run, ReportArgs& args, engine::ControllerOptions& copt);

// Before the bench comes up: picks the report folder (a new unique one by default), checks that
// every report path can be written, takes the folder's lock (a second run with the same --out
// is refused, naming the holder), removes the report files an earlier run left there, and
// fills copt's paths. Returns 0, or the exit code after printing why.
int prepare_reports(ReportArgs& args, engine::ControllerOptions& copt, report::OutLock& lock);

// --rerun-failed: keeps from `selected` the scenarios that failed or errored in the given
// results, and sets copt's rerun fields (earlier attempts carried, numbering continued).
// Returns 0, or the exit code after printing why (nothing to rerun is 0 with `nothing` set).
int prepare_rerun(const ReportArgs& args, std::vector<scenario::Scenario>& selected,
                  engine::ControllerOptions& copt, bool* nothing);

// After the run: says where the reports are (or which could not be written, and that the
// journal keeps the results), moves reports/latest when the reports were written, and returns
// the exit code (3 when a report could not be written, else `run_exit`).
int finish_run_reports(const ReportArgs& args, const engine::ControllerOptions& copt,
                       const engine::Controller& controller, int run_exit);

}  // namespace rig::cli
