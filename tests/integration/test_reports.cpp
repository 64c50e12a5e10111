// Reports of real runs (`rig run` on the virtual bench): the failing run's report.html loaded
// in headless Chromium (no script or console error; a screenshot kept in the build tree), its
// junit.xml checked against the xunit schema, Allure results; attempts with --repeat;
// --rerun-failed and `rig merge`; `rig report` after kill -9; the --out lock; report folders,
// reports/latest, copies; report-writing failures (exit 3, journal kept); history.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kRig = POSRIG_BUILD_DIR "/rig";
const std::string kBench = POSRIG_SOURCE_DIR "/fixtures/benches/virtual.yaml";
const std::string kXsd = POSRIG_SOURCE_DIR "/tests/data/junit-10.xsd";
const std::string kApprovalLost = POSRIG_SOURCE_DIR "/scenarios/reversal/approval-lost.yaml";
const std::string kDecline = POSRIG_SOURCE_DIR "/scenarios/decline/insufficient-funds.yaml";
const std::string kIssuer = POSRIG_SOURCE_DIR "/scenarios/decline/issuer-declines.yaml";
// Screenshots of report pages, kept after the test (the test artefact).
const fs::path kArtefacts = fs::path(POSRIG_BUILD_DIR) / "tests" / "artefacts";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a shell command; returns its exit code and fills `output` (stdout + stderr).
int sh(const std::string& cmd, std::string* output = nullptr) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = ::pclose(p);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string chromium() {
  for (const char* name : {"chromium", "chromium-browser"}) {
    std::string out;
    if (sh(std::string("command -v ") + name, &out) == 0) return out.substr(0, out.find('\n'));
  }
  return "";
}

class ReportsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("posrig-reports-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  int rig(const std::string& args, std::string* output = nullptr) {
    return sh("cd " + dir_.string() + " && " + kRig + " " + args, output);
  }
  json results(const fs::path& folder) { return json::parse(read_file(folder / "results.json")); }

  // Starts `rig args` in the background (own process group, output to rig.log); its pid.
  pid_t start(const std::string& args) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::setpgid(0, 0);
      std::string log = (dir_ / "rig.log").string();
      std::FILE* f = std::freopen(log.c_str(), "w", stdout);
      (void)f;
      ::dup2(STDOUT_FILENO, STDERR_FILENO);
      ::chdir(dir_.c_str());
      ::execl("/bin/sh", "sh", "-c", ("exec " + kRig + " " + args).c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return pid;
  }
  // Waits until `ready()` or 90 s.
  static bool wait_for(const std::function<bool()>& ready) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while (std::chrono::steady_clock::now() < deadline) {
      if (ready()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  static int lines_of(const fs::path& p) {
    std::string t = read_file(p);
    return static_cast<int>(std::count(t.begin(), t.end(), '\n'));
  }
  static int wait_exit(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string xmllint(const fs::path& junit) {
    std::string out;
    int rc = sh("xmllint --noout --schema " + kXsd + " " + junit.string(), &out);
    return rc == 0 ? "" : out;
  }

  fs::path dir_;
};

TEST_F(ReportsTest, FailingRunIsReadableInChromiumAndValidForCi) {
  const std::string browser = chromium();
  ASSERT_FALSE(browser.empty()) << "chromium is needed for this test (scripts/deps.sh installs it)";
  std::string output;
  int rc = rig("run " + kApprovalLost + " " + kDecline + " --bench " + kBench +
                   " --var bugs=no-reversal --out out --allure allure",
               &output);
  ASSERT_EQ(rc, 1) << output;
  const fs::path out = dir_ / "out";
  EXPECT_EQ(xmllint(out / "junit.xml"), "");
  std::string junit = read_file(out / "junit.xml");
  EXPECT_NE(junit.find("<testcase classname=\"reversal\" name=\"reversal/approval-lost\""),
            std::string::npos);
  EXPECT_NE(junit.find("<property name=\"overrides\" value=\"bugs=no-reversal\"/>"),
            std::string::npos);
  EXPECT_NE(junit.find("<property name=\"terminal.lane1\" value=\"vterm-1.0\"/>"),
            std::string::npos)
      << junit;
  EXPECT_NE(junit.find("end of timeline (last 40 of"), std::string::npos);

  json r = results(out);
  EXPECT_EQ(r["overrides"]["bugs"], "no-reversal");
  EXPECT_FALSE(r["git"]["commit"].get<std::string>().empty());
  EXPECT_EQ(r["summary"]["fail"], 1);

  // Allure: a result per attempt, attachments beside them.
  int results_found = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "allure")) {
    const std::string name = e.path().filename().string();
    if (name.size() > 12 && name.substr(name.size() - 12) == "-result.json") {
      ++results_found;
      json a = json::parse(read_file(e.path()));
      for (const auto& att : a["attachments"]) {
        EXPECT_TRUE(fs::exists(dir_ / "allure" / att["source"].get<std::string>()));
      }
    }
  }
  EXPECT_EQ(results_found, 2);

  // The page in a browser: drawn, with no script error and nothing on the console.
  const std::string flags =
      " --headless --no-sandbox --disable-gpu --disable-background-networking "
      "--disable-component-update --disable-sync --no-first-run --user-data-dir=" +
      (dir_ / "chromium-profile").string() + " ";
  const std::string page = "file://" + (out / "report.html").string();
  std::string dom;
  ASSERT_EQ(
      sh(browser + flags + "--enable-logging=stderr --v=0 --virtual-time-budget=5000 --dump-dom " +
             page + " 2>" + (dir_ / "console.log").string(),
         &dom),
      0);
  EXPECT_NE(dom.find("data-ready=\"1\""), std::string::npos) << dom.substr(0, 2000);
  EXPECT_EQ(dom.find("data-errors="), std::string::npos)
      << dom.substr(dom.find("data-errors="), 400);
  std::string console = read_file(dir_ / "console.log");
  EXPECT_EQ(console.find(":CONSOLE("), std::string::npos) << console;
  // The first failure is open: its expected-vs-actual table and its lanes are drawn.
  EXPECT_NE(dom.find("<table class=\"eva\">"), std::string::npos);
  EXPECT_NE(dom.find("aria-label=\"timeline in lanes\""), std::string::npos);
  EXPECT_NE(dom.find("class=\"fail-line\""), std::string::npos);
  EXPECT_NE(dom.find("Bench variables changed for this run"), std::string::npos);

  fs::create_directories(kArtefacts);
  const fs::path shot = kArtefacts / "report-failing.png";
  fs::remove(shot);
  fs::remove_all(dir_ / "chromium-profile");
  ASSERT_EQ(
      sh(browser + flags + "--window-size=1400,1800 --screenshot=" + shot.string() + " " + page),
      0);
  EXPECT_GT(fs::file_size(shot), 50000u);  // a page, not a blank
}

TEST_F(ReportsTest, RepeatGivesDistinctAttemptsInEveryReport) {
  std::string output;
  ASSERT_EQ(rig("run " + kDecline + " --bench " + kBench + " --repeat 2 --out out", &output), 0)
      << output;
  json r = results(dir_ / "out");
  ASSERT_EQ(r["scenarios"].size(), 2u);
  EXPECT_EQ(r["summary"]["total"], 1);
  EXPECT_EQ(r["summary"]["attempts"], 2);
  std::set<int> attempts;
  for (const auto& s : r["scenarios"]) {
    attempts.insert(s["attempt"].get<int>());
    EXPECT_EQ(s["attempts"], 2);
  }
  EXPECT_EQ(attempts, (std::set<int>{1, 2}));
  std::string junit = read_file(dir_ / "out" / "junit.xml");
  EXPECT_NE(junit.find("name=\"decline/insufficient-funds#1\""), std::string::npos);
  EXPECT_NE(junit.find("name=\"decline/insufficient-funds#2\""), std::string::npos);
  EXPECT_EQ(xmllint(dir_ / "out" / "junit.xml"), "");
  EXPECT_NE(output.find("attempt 2"), std::string::npos) << output;
}

TEST_F(ReportsTest, RerunFailedThenMerge) {
  std::string output;
  // A run where approval-lost failed (made with a firmware bug, then presented as a clean
  // run's failure, as a flaky failure would be).
  ASSERT_EQ(rig("run " + kApprovalLost + " " + kDecline + " --bench " + kBench +
                    " --var bugs=no-reversal --out first",
                &output),
            1)
      << output;
  json first = results(dir_ / "first");
  first["overrides"] = json::object();
  first["variables"]["bugs"] = "";
  std::ofstream(dir_ / "first" / "results.json") << first.dump(1);

  // Same --var settings required.
  EXPECT_EQ(rig("run " + kApprovalLost + " --bench " + kBench +
                    " --var bugs=no-reversal --rerun-failed first/results.json --out x",
                &output),
            2);
  EXPECT_NE(output.find("ran with no --var, this run with --var bugs=no-reversal"),
            std::string::npos)
      << output;

  ASSERT_EQ(rig(std::string("run ") + POSRIG_SOURCE_DIR + "/scenarios --bench " + kBench +
                    " --rerun-failed first/results.json --out rerun",
                &output),
            0)
      << output;
  json rerun = results(dir_ / "rerun");
  EXPECT_EQ(rerun["rerun_of"], first["run_id"]);
  ASSERT_EQ(rerun["scenarios"].size(), 2u);  // the failed attempt carried, and attempt 2
  EXPECT_EQ(rerun["summary"]["flaky"], 1);
  for (const auto& s : rerun["scenarios"]) {
    EXPECT_EQ(s["id"], "reversal/approval-lost");
    EXPECT_EQ(s["outcome"], "flaky");
    EXPECT_EQ(s["status"], s["attempt"] == 1 ? "fail" : "pass");
  }
  EXPECT_NE(read_file(dir_ / "rerun" / "junit.xml").find("<rerunFailure"), std::string::npos);

  // Merge: joined by (id, attempt); the carried attempt counts once; the scenario is flaky.
  ASSERT_EQ(rig("merge first/results.json rerun --out merged", &output), 0) << output;
  json merged = results(dir_ / "merged");
  EXPECT_EQ(merged["summary"]["total"], 2);
  EXPECT_EQ(merged["summary"]["flaky"], 1);
  EXPECT_EQ(merged["summary"]["pass"], 1);
  EXPECT_EQ(merged["summary"]["attempts"], 3);
  EXPECT_EQ(xmllint(dir_ / "merged" / "junit.xml"), "");
  // A run merged with itself is refused.
  EXPECT_EQ(rig("merge rerun/results.json rerun/journal.jsonl --out twice", &output), 2);
  EXPECT_NE(output.find("are the same run (run_id"), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(dir_ / "twice" / "results.json"));

  // Nothing left to rerun.
  EXPECT_EQ(
      rig("run " + kApprovalLost + " --bench " + kBench + " --rerun-failed merged --out again",
          &output),
      0);
  EXPECT_NE(output.find("nothing to rerun"), std::string::npos) << output;
}

TEST_F(ReportsTest, KillNineThenRigReportRendersTheJournal) {
  pid_t pid = start("run " + kDecline + " " + kIssuer + " " + kApprovalLost + " --bench " + kBench +
                    " --jobs 1 --repeat 2 --out out");
  ASSERT_GT(pid, 0);
  const fs::path journal = dir_ / "out" / "journal.jsonl";
  ASSERT_TRUE(wait_for([&] { return fs::exists(journal) && lines_of(journal) >= 3; }))
      << read_file(dir_ / "rig.log");
  ::kill(-pid, SIGKILL);
  EXPECT_EQ(wait_exit(pid), 128 + SIGKILL);
  EXPECT_FALSE(fs::exists(dir_ / "out" / "results.json"));  // rendered only at the end
  std::string output;
  ASSERT_EQ(rig("report out", &output), 0) << output;
  EXPECT_NE(output.find("INCOMPLETE"), std::string::npos) << output;
  json r = results(dir_ / "out");
  EXPECT_TRUE(r["incomplete"].get<bool>());
  EXPECT_FALSE(r["interrupted"].get<bool>());
  ASSERT_EQ(r["scenarios"].size(), 6u);  // 3 scenarios x 2 attempts, all accounted for
  int finished = 0, missing = 0;
  for (const auto& s : r["scenarios"]) {
    if (s["status"] == "skipped") {
      ++missing;
      EXPECT_EQ(s["message"].get<std::string>().rfind("no result: the rig stopped", 0), 0u);
    } else {
      ++finished;
    }
  }
  EXPECT_GE(finished, 2);
  EXPECT_GE(missing, 1);
  EXPECT_EQ(xmllint(dir_ / "out" / "junit.xml"), "");
  EXPECT_NE(read_file(dir_ / "out" / "report.html").find("Incomplete: the rig stopped"),
            std::string::npos);
}

TEST_F(ReportsTest, TwoRunsCannotShareOneOut) {
  pid_t pid = start("run " + kApprovalLost + " " + kIssuer + " " + kDecline + " --bench " + kBench +
                    " --jobs 1 --repeat 20 --out shared");
  ASSERT_TRUE(wait_for([&] {
    return read_file(dir_ / "rig.log").find("station lane") != std::string::npos;
  })) << read_file(dir_ / "rig.log");
  std::string output;
  EXPECT_EQ(rig("run " + kDecline + " --bench " + kBench + " --out shared", &output), 2);
  EXPECT_NE(
      output.find("rig: shared is in use by pid " + std::to_string(pid) + " (rig run) since "),
      std::string::npos)
      << output;
  // `rig report` on the folder of a run that has not ended says so.
  EXPECT_EQ(rig("report shared --out peek", &output), 0) << output;
  EXPECT_NE(output.find("rig report: shared is in use by pid " + std::to_string(pid)),
            std::string::npos)
      << output;
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_exit(pid), 130) << read_file(dir_ / "rig.log");
  EXPECT_FALSE(fs::exists(dir_ / "shared" / ".rig.lock"));
  // The refused run touched nothing: the first run's reports are whole.
  json r = results(dir_ / "shared");
  EXPECT_TRUE(r["interrupted"].get<bool>());
}

TEST_F(ReportsTest, ReportFoldersLatestCopiesAndHistory) {
  std::string output;
  ASSERT_EQ(rig("run " + kDecline + " --bench " + kBench +
                    " --junit ci/junit.xml --json ci/r.json "
                    "--html ci/report.html",
                &output),
            0)
      << output;
  ASSERT_EQ(rig("run " + kDecline + " --bench " + kBench, &output), 0) << output;
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(dir_ / "reports")) {
    if (e.is_directory() && !e.is_symlink()) folders.push_back(e.path());
  }
  std::sort(folders.begin(), folders.end());
  ASSERT_EQ(folders.size(), 2u);  // two quick runs, two folders
  EXPECT_EQ(fs::read_symlink(dir_ / "reports" / "latest"), folders[1].filename());
  // The copies are copies: the report folder keeps every file.
  for (const char* f : {"results.json", "junit.xml", "report.html", "journal.jsonl"}) {
    EXPECT_TRUE(fs::exists(folders[0] / f)) << f;
  }
  EXPECT_EQ(read_file(dir_ / "ci" / "junit.xml"), read_file(folders[0] / "junit.xml"));
  EXPECT_EQ(read_file(dir_ / "ci" / "r.json"), read_file(folders[0] / "results.json"));
  EXPECT_EQ(read_file(dir_ / "ci" / "report.html"), read_file(folders[0] / "report.html"));
  // A run refused before anything ran leaves reports/latest alone.
  EXPECT_EQ(rig("run " + kDecline + " --bench " + kBench + " --var nope=1", &output), 2);
  EXPECT_EQ(fs::read_symlink(dir_ / "reports" / "latest"), folders[1].filename());
  // So does one whose report paths cannot be written, and it leaves no empty folder behind.
  EXPECT_EQ(rig("run " + kDecline + " --bench " + kBench + " --junit /dev/null", &output), 3);
  EXPECT_EQ(fs::read_symlink(dir_ / "reports" / "latest"), folders[1].filename());
  int now = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "reports")) now += e.is_directory() && !e.is_symlink();
  EXPECT_EQ(now, 2);
  // Both runs are in the history.
  ASSERT_EQ(rig("history --db reports/history.sqlite", &output), 0) << output;
  EXPECT_NE(output.find("bench virtual, bench defaults: last 2 run(s)"), std::string::npos)
      << output;
  EXPECT_NE(output.find("decline/insufficient-funds                      2 run(s)   100%  PP"),
            std::string::npos)
      << output;
}

TEST_F(ReportsTest, ReportWriteFailuresAreExitThreeAndKeepTheJournal) {
  std::string output;
  EXPECT_EQ(rig("run " + kDecline + " --bench " + kBench + " --out /proc/posrig-no", &output), 3);
  EXPECT_NE(output.find("rig: cannot create /proc/posrig-no: "), std::string::npos) << output;
  EXPECT_EQ(rig("run " + kDecline + " --bench " + kBench + " --out out --json /dev/full", &output),
            3);
  EXPECT_NE(output.find("rig: cannot write /dev/full: it exists and is not a regular file\n"
                        "rig: nothing was run"),
            std::string::npos)
      << output;

  // The disk fills up during the run: a file size limit put on the running rig.
  pid_t pid = start("run " + kDecline + " " + kIssuer + " " + kApprovalLost + " --bench " + kBench +
                    " --jobs 1 --repeat 2 --out full");
  const fs::path journal = dir_ / "full" / "journal.jsonl";
  ASSERT_TRUE(wait_for([&] { return fs::exists(journal) && lines_of(journal) >= 2; }))
      << read_file(dir_ / "rig.log");
  const auto limit = fs::file_size(journal) + 100;
  ASSERT_EQ(sh("prlimit --pid " + std::to_string(pid) + " --fsize=" + std::to_string(limit)), 0);
  EXPECT_EQ(wait_exit(pid), 3);
  std::string log = read_file(dir_ / "rig.log");
  EXPECT_NE(log.find("journal.jsonl: write: File too large"), std::string::npos) << log;
  EXPECT_NE(log.find("rig: the reports are not complete; the results are kept in " +
                     (fs::path("full") / "journal.jsonl").string()),
            std::string::npos)
      << log;
  EXPECT_LE(fs::file_size(journal), limit);
  // What the journal holds is rendered later.
  ASSERT_EQ(rig("report full", &output), 0) << output;
  json r = results(dir_ / "full");
  EXPECT_EQ(r["scenarios"].size(), 6u);
  EXPECT_TRUE(r["incomplete"].get<bool>());
}

TEST_F(ReportsTest, ASharedServiceThatDiesSpoilsScenariosAsErrorsNotFailures) {
  pid_t pid = start("run " + kDecline + " " + kIssuer + " " + kApprovalLost + " --bench " + kBench +
                    " --jobs 1 --repeat 20 --out out");
  const fs::path journal = dir_ / "out" / "journal.jsonl";
  ASSERT_TRUE(wait_for([&] { return fs::exists(journal) && lines_of(journal) >= 3; }))
      << read_file(dir_ / "rig.log");
  std::string vhost;
  ASSERT_EQ(sh("pgrep -P " + std::to_string(pid) + " -x vhost", &vhost), 0) << vhost;
  ASSERT_EQ(sh("kill -9 " + vhost.substr(0, vhost.find('\n'))), 0);
  EXPECT_EQ(wait_exit(pid), 3) << read_file(dir_ / "rig.log");
  std::string log = read_file(dir_ / "rig.log");
  EXPECT_NE(log.find("service vhost ended (killed by SIGKILL): the scenarios left are not run"),
            std::string::npos)
      << log;
  json r = results(dir_ / "out");
  EXPECT_EQ(r["summary"]["fail"], 0) << r["summary"];
  int spoiled = 0;
  for (const auto& s : r["scenarios"]) {
    EXPECT_NE(s["status"], "fail") << s["id"] << ": " << s["message"];
    if (s["status"] == "error") {
      ++spoiled;
      EXPECT_NE(s["message"].get<std::string>().find("service vhost ended (killed by SIGKILL)"),
                std::string::npos)
          << s["message"];
    }
  }
  EXPECT_GT(spoiled, 0);
}

}  // namespace
