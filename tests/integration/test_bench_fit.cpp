// Run what the bench can serve: on a virtual bench with fixture families taken away, `rig run`
// runs every scenario some station can serve and reports the others `skipped` with the missing
// family or action in results.json, junit.xml and report.html; `rig validate` says the same as
// warnings and exits 0; `--strict-bench` refuses instead; a scenario only some stations can
// serve runs on those.
#include <regex>
#include <string>

#include "rig_run_test.h"

namespace {

using namespace rig_run_test;

const std::string kData = POSRIG_SOURCE_DIR "/tests/integration/data/bench-fit";

class BenchFitTest : public RigRunTest {
 protected:
  // The virtual bench with `pattern` (a regex over its text) replaced by `with` everywhere.
  std::string bench_without(const std::string& pattern, const std::string& with = "") {
    return write_bench(std::regex_replace(bench_text(), std::regex(pattern), with));
  }
};

TEST_F(BenchFitTest, RunsWhatItCanAndSkipsTheRestWithTheMissingFamily) {
  // No printer and no keypad on either station.
  std::string bench = bench_without("    (printer|keypad): \\{driver: vterm\\}\n");
  std::string output;
  int rc = rig("run " + kData + " --bench " + bench + " --out " + out(), &output);
  EXPECT_EQ(rc, 0) << output;
  json r = results();
  EXPECT_EQ(r["summary"]["pass"], 1) << output;
  EXPECT_EQ(r["summary"]["skipped"], 2) << output;
  EXPECT_EQ(scenario(r, "benchfit/needs-nothing")["status"], "pass");
  const json& paper = scenario(r, "benchfit/needs-paper");
  EXPECT_EQ(paper["status"], "skipped");
  EXPECT_EQ(paper["message"],
            "bench lacks fixture family printer (paper at " + kData + "/needs-paper.yaml:5:5)");
  const json& pin = scenario(r, "benchfit/needs-pin");
  EXPECT_EQ(pin["status"], "skipped");
  EXPECT_EQ(pin["message"], "bench lacks fixture family keypad (sale (the cardholder's PIN) at " +
                                kData + "/needs-pin.yaml:5:5)");
  // Every report says why.
  std::string junit = read_file(dir_ / "out" / "junit.xml");
  EXPECT_NE(junit.find("<skipped message=\"bench lacks fixture family printer (paper at "),
            std::string::npos)
      << junit;
  std::string html = read_file(dir_ / "out" / "report.html");
  EXPECT_NE(html.find("bench lacks fixture family keypad (sale (the cardholder"),
            std::string::npos);
  // And the console.
  EXPECT_NE(output.find("bench lacks fixture family printer"), std::string::npos) << output;
}

TEST_F(BenchFitTest, ValidateWarnsAndStrictBenchRefuses) {
  std::string bench = bench_without("    (printer|keypad): \\{driver: vterm\\}\n");
  std::string output;
  EXPECT_EQ(rig("validate " + kData + " --bench " + bench, &output), 0) << output;
  EXPECT_NE(output.find(kData + "/needs-paper.yaml:5:5: warning: paper needs printer.paper: "
                                "bench lacks fixture family printer; skipped on bench 'virtual'"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("3 scenario(s) valid for bench virtual; 2 would be skipped there"),
            std::string::npos)
      << output;

  EXPECT_EQ(rig("validate " + kData + " --bench " + bench + " --strict-bench", &output), 2);
  EXPECT_NE(output.find("needs-paper.yaml:5:5: error: paper needs printer.paper"),
            std::string::npos)
      << output;

  EXPECT_EQ(rig("run " + kData + " --bench " + bench + " --strict-bench --out " + out(), &output),
            2);
  EXPECT_NE(output.find("rig: --strict-bench: bench virtual cannot serve 2 of the 3 selected "
                        "scenario(s)"),
            std::string::npos)
      << output;
  EXPECT_FALSE(fs::exists(dir_ / "out" / "results.json"));
}

TEST_F(BenchFitTest, ManualDriverIsSkippedWhenNobodyCanAnswer) {
  // lane1 and lane2 insert cards by hand; rig runs with stdin not a terminal.
  std::string bench = bench_without(
      "    card: \\{driver: vterm\\}",
      "    card:\n      driver: manual\n      faults:\n        card.insert: {apply: \"Insert "
      "${card}\", clear: \"Remove it\"}");
  std::string output;
  int rc = rig("run " + kData + "/needs-pin.yaml --bench " + bench + " --out " + out(), &output);
  EXPECT_EQ(rc, 0) << output;
  json r = results();
  const json& pin = scenario(r, "benchfit/needs-pin");
  EXPECT_EQ(pin["status"], "skipped");
  EXPECT_EQ(pin["message"],
            "manual (card) cannot do card.insert: it needs an operator at the bench and rig is "
            "not interactive (stdin is not a terminal) (sale at " +
                kData + "/needs-pin.yaml:5:5)");
}

TEST_F(BenchFitTest, ScenarioGoesToAStationThatCanServeIt) {
  // Only lane2 has a printer (the first printer line is lane1's).
  std::string text = bench_text();
  text.replace(text.find("    printer: {driver: vterm}\n"), 29, "");
  std::string bench = write_bench(text);
  std::string output;
  int rc = rig("run " + kData + "/needs-paper.yaml " + kData + "/needs-nothing.yaml --bench " +
                   bench + " --repeat 3 --out " + out(),
               &output);
  EXPECT_EQ(rc, 0) << output;
  json r = results();
  EXPECT_EQ(r["summary"]["pass"], 2) << output;
  ASSERT_EQ(r["scenarios"].size(), 6u) << output;  // three attempts each
  for (const auto& s : r["scenarios"]) {
    EXPECT_EQ(s["status"], "pass") << output;
    if (s["id"] == "benchfit/needs-paper") {
      EXPECT_EQ(s["station"], "lane2") << output;
    }
  }
}

}  // namespace
