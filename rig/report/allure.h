// Allure results (`rig run --allure DIR`, `rig report --allure DIR`): the allure-results folder
// Allure Report 2 and 3 read (allurereport.org, "Test result file"):
// - one {uuid}-result.json per scenario attempt: name, fullName (scenario id), testCaseId and
//   historyId (from the scenario id, so that attempts are Allure retries of one test and runs
//   link into its history), status (passed, failed for a failed check, broken for
//   infrastructure trouble, skipped), statusDetails (message = the first failed check, trace =
//   expected/actual and the steps; flaky for a scenario that both passed and failed), stage
//   finished, start/stop (ms since the epoch), steps (one per scenario step, with its status),
//   labels (parentSuite = bench, suite = family, subSuite = station, tag per tag, host,
//   framework posrig), parameters (station, attempt), attachments;
// - attachments as files beside them: {uuid}-timeline.txt (every timeline entry),
//   {uuid}-transcript.json (ECR frames, host and wallet messages);
// - environment.properties: bench, bench file, variables, the --var changes, git commit, rig
//   version.
#pragma once

#include <string>

#include "rig/report/results.h"

namespace rig::report {

// Writes the results of `run` into `dir` (created when missing). Files of earlier runs in
// `dir` are left alone (Allure reads a folder of many runs). Throws std::runtime_error.
void write_allure(const RunResult& run, const std::string& dir);

// Milliseconds since the epoch of an ISO 8601 UTC time ("2026-11-22T01:41:51.123Z"); 0 when
// it cannot be read.
long long epoch_ms(const std::string& iso);

}  // namespace rig::report
