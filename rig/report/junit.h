// junit.xml for CI, valid against the Jenkins xunit plugin's JUnit schema (junit-10.xsd, kept in
// tests/data with its source):
// - one <testsuite> per attempt number (1, 2, … with --repeat or reruns), its <properties>
//   naming the bench, every variable (var.NAME) and the ones --var changed (overrides), the
//   seed, the attempt, the run id, the git commit and each terminal's version;
// - one <testcase> per attempt: classname = family, name = scenario id (id#N when the scenario
//   has several attempts, so that every name is distinct);
// - a failed check is a <failure> (message: the first failed check; text: expected and
//   actual), infrastructure trouble an <error>, a scenario not run <skipped> with its reason;
//   the failed attempts of a flaky scenario are <rerunFailure>/<rerunError>, so that CI counts
//   the scenario as passed, as `rig run` does;
// - <system-out>: station, attempt, outcome and, for an attempt that did not pass, its steps
//   and the end of its timeline;
// - a station that did not come up is a testcase "station NAME" (classname "bench") with an
//   <error> saying why.
#pragma once

#include <ostream>
#include <string>

#include "rig/report/results.h"

namespace rig::report {

void write_junit(const RunResult& r, std::ostream& out);
std::string to_junit(const RunResult& r);

// JUnit testcase name of an attempt: the id, or "id#N" when the scenario has several attempts.
std::string junit_name(const ScenarioResult& s);

}  // namespace rig::report
