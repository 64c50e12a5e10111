// Every input decoded, never trusted (docs/reliability.md, "Inputs"): `rig validate` reports a
// scenario or bench file that is not printable UTF-8, that holds a second YAML document, that is
// not a regular file, or whose `ready:` is not a regular expression, at its file:line:col, and
// `rig run` refuses such files before anything is started (exit 2, never an abort).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <regex>

#include "integration/rig_run_test.h"

namespace {

using namespace rig_run_test;

const std::string kScenario =
    "name: inputs\nfamily: inputs\nsteps:\n"
    "  - sale: {amount: \"3.00\", method: card, card: visa-chip}\n"
    "  - expect: {result: {status: APPROVED}, within: 40s}\n";

class InputsTest : public RigRunTest {
 protected:
  // A bench like the virtual one whose first service leaves a file named `started` in the
  // scratch folder: it is there once the run started anything.
  std::string marked_bench(const std::string& ready = "READY") {
    const std::string service = "services:\n  marker:\n    argv: [\"/bin/sh\", \"-c\", \"touch '" +
                                (dir_ / "started").string() + "'; echo READY; exec sleep 60\"]\n" +
                                "    ready: '" + ready + "'\n";
    return write_bench(std::regex_replace(bench_text(), std::regex("services:\n"), service));
  }
  std::string write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  // `rig validate` and `rig run` on `scenario` with `bench`: both exit 2 and print `expected`;
  // the run starts nothing.
  void expect_refused(const std::string& scenario, const std::string& bench,
                      const std::string& expected) {
    std::string output;
    EXPECT_EQ(rig("validate " + scenario + " --bench " + bench, &output), 2) << output;
    EXPECT_NE(output.find(expected), std::string::npos) << output;
    EXPECT_EQ(rig("run " + scenario + " --bench " + bench + " --out " + out(), &output), 2)
        << output;
    EXPECT_NE(output.find(expected), std::string::npos) << output;
    EXPECT_FALSE(fs::exists(dir_ / "started")) << "the run started the bench";
  }
};

TEST_F(InputsTest, TheMarkedBenchRunsAScenario) {
  // The check of the tests below can fail: a valid scenario on the marked bench starts it.
  std::string output;
  const std::string bench = marked_bench();
  EXPECT_EQ(
      rig("run " + write("ok.yaml", kScenario) + " --bench " + bench + " --out " + out(), &output),
      0)
      << output;
  EXPECT_TRUE(fs::exists(dir_ / "started"));
}

TEST_F(InputsTest, AScenarioThatIsNotUtf8IsRefusedAtItsByte) {
  const std::string bad =
      write("bad.yaml", "name: caf\xC3\xA9 \xFF\xFE\nfamily: inputs\nsteps: []\n");
  expect_refused(bad, marked_bench(),
                 bad +
                     ":1:12: invalid UTF-8 (byte 0xFF): a YAML file is UTF-8 text without "
                     "control characters");
}

TEST_F(InputsTest, AControlCharacterInAScenarioIsRefused) {
  const std::string bad = write("ctl.yaml", "name: a\nfamily: \x1B]0;owned\x07\nsteps: []\n");
  expect_refused(bad, marked_bench(), bad + ":2:9: control character U+001B");
}

TEST_F(InputsTest, ASecondYamlDocumentIsRefused) {
  const std::string bad = write("two.yaml", kScenario + "---\n" + kScenario);
  expect_refused(bad, marked_bench(), bad + ":6:1: a second YAML document: a file holds one");
  const std::string text = read_file(marked_bench());
  const std::string bench = write("two-bench.yaml", text + "---\nname: b\n");
  const auto line = 1 + std::count(text.begin(), text.end(), '\n');
  expect_refused(
      write("ok.yaml", kScenario), bench,
      bench + ":" + std::to_string(line) + ":1: a second YAML document: a file holds one");
}

TEST_F(InputsTest, AFifoOrADeviceIsRefusedWithoutWaiting) {
  const std::string fifo = (dir_ / "fifo.yaml").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  expect_refused(fifo, marked_bench(), fifo + ": cannot read file: not a regular file (a FIFO)");
  expect_refused(write("ok.yaml", kScenario), "/dev/zero",
                 "/dev/zero: cannot read file: not a regular file (a character device)");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
}

TEST_F(InputsTest, ABadReadyRegexIsAnErrorOfTheBenchFile) {
  const std::string bench = marked_bench("READY(");
  const std::string text = read_file(bench);
  const auto at = text.find("    ready: 'READY('");
  ASSERT_NE(at, std::string::npos);
  const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
  expect_refused(write("ok.yaml", kScenario), bench,
                 bench + ":" + std::to_string(line) +
                     ":12: ready of service 'marker' is not a regular expression: 'READY('");
}

}  // namespace
