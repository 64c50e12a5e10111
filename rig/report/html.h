// report.html: one self-contained page (no external files, scripts or fonts; no network) for
// triage, that a QA engineer can open or attach to a ticket:
// - a run header: verdict, bench, the variables the run changed with --var (set apart from a
//   clean run at a glance: banner and page title), every variable, terminal versions, git
//   commit, rig version, host, shard, rerun/merge provenance, stations that did not come up,
//   interrupted or incomplete runs;
// - one row per scenario, failures first (fail, error, flaky, skipped, pass), filtered by
//   status, family, station, tag and text (plain JavaScript inside the page);
// - per scenario, on opening its row: its attempts, the failed check as expected vs actual,
//   a timeline drawn in lanes (steps, ECR link, terminal display/prompts/events, host, wallet,
//   faults armed/fired/cleared, rig notes) with the failing moment marked, the steps, and every
//   timeline entry.
// The first failure is open when the page loads. Attempt details travel as JSON blocks that the
// page's script draws; passed attempts of a scenario that always passed are included once.
#pragma once

#include <ostream>
#include <string>

#include "rig/report/results.h"

namespace rig::report {

void write_html(const RunResult& run, std::ostream& out);
std::string to_html(const RunResult& run);

}  // namespace rig::report
