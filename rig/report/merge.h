// `rig merge`: joins the results of several runs of one bench (the shards of a CI matrix, a run
// and its --rerun-failed) into one. Semantics (docs/results.md):
// - attempts are joined by (scenario id, attempt);
// - the same attempt from two different runs: the later run (by start time) supersedes the
//   earlier one (a retried CI job);
// - the same attempt of the same run found twice is one attempt (a rerun carries the attempts
//   it reran, so a run and its rerun share them);
// - two inputs that are the same run (one run_id) are refused: merging a shard with itself
//   would count its scenarios twice;
// - runs of different benches, or with different --var settings, are refused.
#pragma once

#include <string>
#include <vector>

#include "rig/report/results.h"

namespace rig::report {

// `names` (the inputs' paths) label the errors. Throws std::runtime_error.
RunResult merge(const std::vector<RunResult>& runs, const std::vector<std::string>& names = {});

}  // namespace rig::report
