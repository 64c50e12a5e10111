// junit.xml: valid against the Jenkins xunit schema (tests/data/junit-10.xsd, checked with
// xmllint), classname = family, name = scenario id (id#N with attempts), properties, failure
// text with expected/actual, the end of the timeline in system-out, skipped with its reason,
// errors as <error>, flaky failures as reruns, stations that did not come up.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include "report_test_util.h"
#include "rig/report/junit.h"

namespace {

using namespace report_test;

const std::string kXsd = POSRIG_SOURCE_DIR "/tests/data/junit-10.xsd";

// xmllint's verdict on `xml` against the xunit schema: "" when valid, else its output.
std::string schema_errors(const std::string& xml, const std::string& name) {
  auto dir = temp_dir("junit-" + name);
  auto path = dir / "junit.xml";
  std::ofstream(path) << xml;
  std::string cmd = "xmllint --noout --schema " + kXsd + " " + path.string() + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = ::pclose(p);
  std::filesystem::remove_all(dir);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  return out.empty() ? "xmllint failed to run" : out;
}

TEST(Junit, ValidAgainstTheXunitSchema) {
  RunResult r = sample_run();
  // Everything a report can hold: repeats, a flaky scenario, a station down, hostile text.
  r.scenarios.push_back(attempt("reversal/approval-lost", Status::pass, 2));
  r.scenarios.push_back(attempt("decline/insufficient-funds", Status::pass, 2));
  r.scenarios[0].name = "paper <out> & \"reload\" \x01 \xff ]]> --";
  r.stations.push_back({"lane3", "rig-ecr", "serial:/dev/ttyUSB9", "open failed: No such file"});
  r.interrupted = true;
  EXPECT_EQ(schema_errors(rig::report::to_junit(r), "full"), "");
  RunResult empty;
  EXPECT_EQ(schema_errors(rig::report::to_junit(empty), "empty"), "");
}

TEST(Junit, TheOldShapeWasNotValid) {
  // The schema check can fail: the attribute the old junit.xml put on <testsuites> is refused.
  std::string x = rig::report::to_junit(sample_run());
  x.replace(x.find("<testsuites name=\"posrig\""), 25, "<testsuites name=\"posrig\" skipped=\"1\"");
  EXPECT_NE(schema_errors(x, "old"), "");
}

TEST(Junit, NamesPropertiesAndBodies) {
  std::string x = rig::report::to_junit(sample_run());
  EXPECT_NE(x.find("<testcase classname=\"reversal\" name=\"reversal/approval-lost\""),
            std::string::npos)
      << x;
  EXPECT_NE(x.find("hostname=\"benchhost\""), std::string::npos);
  for (const char* p :
       {"<property name=\"bench\" value=\"virtual\"/>", "<property name=\"attempt\" value=\"1\"/>",
        "<property name=\"seed\" value=\"7\"/>", "<property name=\"shuffle\" value=\"true\"/>",
        "<property name=\"overrides\" value=\"bugs=no-reversal\"/>",
        "<property name=\"var.bugs\" value=\"no-reversal\"/>",
        "<property name=\"terminal.lane1\" value=\"vterm-1.0\"/>",
        "<property name=\"git_commit\" value=\"0123456789abcdef0123456789abcdef01234567\"/>"}) {
    EXPECT_NE(x.find(p), std::string::npos) << p;
  }
  // The failure: message = first failed check; body = expected and actual.
  EXPECT_NE(x.find("<failure message=\"scenarios/reversal/approval-lost.yaml:9:5: "
                   "expected EVENT REVERSAL_STORED within 1000ms; saw RESULT status=FAILED\" "
                   "type=\"check\">"),
            std::string::npos);
  EXPECT_NE(x.find("expected  name=REVERSAL_STORED\n"), std::string::npos);
  EXPECT_NE(
      x.find("check     scenarios/reversal/approval-lost.yaml:9:5  event name=REVERSAL_STORED"),
      std::string::npos);
  // The end of the timeline in system-out.
  EXPECT_NE(x.find("timeline (6 entries):\n  +0.5 ms"), std::string::npos) << x;
  EXPECT_NE(x.find("host_message    0200 to_host 11=000001"), std::string::npos) << x;
  // Infrastructure trouble is an error, a scenario not run is skipped with its reason.
  EXPECT_NE(x.find("<error message=\"station lane2: ECR link lost: pty closed\" "
                   "type=\"infrastructure\">"),
            std::string::npos);
  EXPECT_NE(x.find("<skipped message=\"not run: interrupted before it ran\"/>"), std::string::npos);
  EXPECT_NE(x.find("tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\""), std::string::npos)
      << x;
}

TEST(Junit, AttemptsHaveDistinctNamesAndFlakyFailuresAreReruns) {
  RunResult r;
  r.bench_name = "virtual";
  r.scenarios = {attempt("qr/paid", Status::pass, 1), attempt("qr/paid", Status::fail, 2),
                 attempt("qr/paid", Status::pass, 3), attempt("card/ok", Status::pass, 1),
                 attempt("card/ok", Status::pass, 2), attempt("card/ok", Status::pass, 3)};
  std::string x = rig::report::to_junit(r);
  for (int n = 1; n <= 3; ++n) {
    EXPECT_NE(x.find("name=\"qr/paid#" + std::to_string(n) + "\""), std::string::npos) << x;
    EXPECT_NE(x.find("<testsuite name=\"posrig.virtual attempt " + std::to_string(n) + "\""),
              std::string::npos);
    EXPECT_NE(x.find("<property name=\"attempt\" value=\"" + std::to_string(n) + "\"/>"),
              std::string::npos);
  }
  // The failed attempt of a flaky scenario: a rerunFailure, so CI counts it passed like rig.
  EXPECT_NE(x.find("<rerunFailure message="), std::string::npos);
  EXPECT_EQ(x.find("<failure"), std::string::npos);
  EXPECT_NE(x.find("attempt   2 of 3; scenario flaky"), std::string::npos);
  EXPECT_NE(x.find("failures=\"0\""), std::string::npos);
  EXPECT_EQ(schema_errors(x, "flaky"), "");
}

TEST(Junit, StationThatDidNotComeUpIsAnError) {
  RunResult r = sample_run();
  r.stations[1].error = "station lane2: /dev/ttyUSB9: open failed: No such file or directory";
  std::string x = rig::report::to_junit(r);
  EXPECT_NE(x.find("<testcase classname=\"bench\" name=\"station lane2\" time=\"0.000\">\n"
                   "      <error message=\"station lane2: /dev/ttyUSB9: "
                   "open failed: No such file or directory\" type=\"infrastructure\">"),
            std::string::npos)
      << x;
  EXPECT_NE(x.find("tests=\"5\" failures=\"1\" errors=\"2\""), std::string::npos) << x;
}

}  // namespace
