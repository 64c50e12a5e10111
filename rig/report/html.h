// report.html: one self-contained page (no external files or scripts) a QA engineer can open or
// attach to a ticket: summary, one row per scenario, and for each failed or errored scenario
// its failed check, its steps and its timeline.
#pragma once

#include <string>

#include "rig/report/results.h"

namespace rig::report {

std::string to_html(const RunResult& run);

// Joins shard results (`rig merge`): scenarios of every run in order, times spanning all.
// Throws std::runtime_error when the runs are of different benches.
RunResult merge(const std::vector<RunResult>& runs);

}  // namespace rig::report
