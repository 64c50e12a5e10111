// Report files that never get lost: atomic writes, copies (never moves), unique report folders,
// the reports/latest link, and the lock that keeps two runs out of one --out.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>

#include <set>

#include "report_test_util.h"
#include "rig/report/files.h"
#include "rig/report/render.h"

namespace {

namespace fs = std::filesystem;
using namespace report_test;

TEST(ReportFiles, WritesAtomically) {
  auto dir = temp_dir("files-atomic");
  auto path = (dir / "results.json").string();
  rig::report::write_atomically(path, "first");
  rig::report::write_atomically(path, "second");
  EXPECT_EQ(read_file(path), "second");
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);  // no temporary file left
  // A fill that throws leaves the old file and no temporary.
  EXPECT_THROW(rig::report::write_atomically(path,
                                             [](std::ostream& o) {
                                               o << "half";
                                               throw std::runtime_error("renderer failed");
                                             }),
               std::runtime_error);
  EXPECT_EQ(read_file(path), "second");
  files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
  try {
    rig::report::write_atomically("/proc/posrig-nope/results.json", "x");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cannot write /proc/posrig-nope/results.json: open: ", 0),
              0u)
        << e.what();
  }
  // Never renamed over a device.
  try {
    rig::report::write_atomically("/dev/null", "x");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "cannot write /dev/null: it exists and is not a regular file");
  }
  fs::remove_all(dir);
}

TEST(ReportFiles, CopyLeavesTheOriginal) {
  auto dir = temp_dir("files-copy");
  auto from = (dir / "junit.xml").string();
  auto to = (dir / "ci" / "junit.xml").string();
  rig::report::write_atomically(from, "<testsuites/>");
  rig::report::copy_atomically(from, to);
  EXPECT_EQ(read_file(from), "<testsuites/>");
  EXPECT_EQ(read_file(to), "<testsuites/>");
  EXPECT_THROW(rig::report::copy_atomically((dir / "nope").string(), to), std::runtime_error);
  fs::remove_all(dir);
}

TEST(ReportFiles, ReportFoldersAreUniqueEvenWithinOneMillisecond) {
  auto dir = temp_dir("files-unique");
  std::set<std::string> names;
  for (int i = 0; i < 50; ++i) {
    std::string d = rig::report::make_unique_report_dir(dir.string());
    EXPECT_TRUE(fs::is_directory(d));
    names.insert(fs::path(d).filename().string());
  }
  EXPECT_EQ(names.size(), 50u);
  // 20261122T031508.120Z-1: UTC time with milliseconds, then a counter.
  const std::string first = *names.begin();
  EXPECT_EQ(first.size(), 22u) << first;
  EXPECT_EQ(first[8], 'T');
  EXPECT_EQ(first[15], '.');
  EXPECT_EQ(first[19], 'Z');
  EXPECT_EQ(first.substr(20, 1), "-");
  fs::remove_all(dir);
}

TEST(ReportFiles, LatestLinkIsReplacedAtomically) {
  auto dir = temp_dir("files-link");
  fs::create_directories(dir / "a");
  fs::create_directories(dir / "b");
  const std::string link = (dir / "latest").string();
  rig::report::point_link(link, "a");
  EXPECT_EQ(fs::read_symlink(link), "a");
  rig::report::point_link(link, "b");
  EXPECT_EQ(fs::read_symlink(link), "b");
  fs::remove_all(dir);
}

TEST(ReportFiles, TwoRunsCannotShareOneOut) {
  auto dir = temp_dir("files-lock");
  rig::report::OutLock first;
  ASSERT_EQ(first.acquire(dir.string(), "pid 4242 (rig run) since 2026-11-22T01:41:51.000Z"), "");
  EXPECT_TRUE(fs::exists(dir / ".rig.lock"));
  // A second process is refused and told who holds the folder.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    rig::report::OutLock second;
    std::string why = second.acquire(dir.string(), "pid 99 (rig run)");
    ::_exit(why == dir.string() + " is in use by pid 4242 (rig run) since 2026-11-22T01:41:51.000Z"
                ? 0
                : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  first.release();
  EXPECT_FALSE(fs::exists(dir / ".rig.lock"));  // no lock file outlives its run
  // A lock file left by a dead run (no flock on it) is taken over.
  std::ofstream(dir / ".rig.lock") << "pid 1 (rig run) since long ago\n";
  rig::report::OutLock third;
  EXPECT_EQ(third.acquire(dir.string(), "pid 7 (rig run)"), "");
  EXPECT_EQ(read_file(dir / ".rig.lock"), "pid 7 (rig run)\n");
  third.release();
  fs::remove_all(dir);
}

TEST(ReportFiles, ClaimingAFolderRemovesAnEarlierRunsReports) {
  auto dir = temp_dir("files-claim");
  for (const char* f : {"journal.jsonl", "results.json", "junit.xml", "report.html", "notes.txt"}) {
    std::ofstream(dir / f) << "an earlier run's\n";
  }
  rig::report::OutLock lock;
  ASSERT_EQ(rig::report::claim_report_dir(dir.string(), "pid 7 (posrig.run)", lock), "");
  for (const char* f : {"journal.jsonl", "results.json", "junit.xml", "report.html"}) {
    EXPECT_FALSE(fs::exists(dir / f)) << f;
  }
  EXPECT_TRUE(fs::exists(dir / "notes.txt"));  // not a report: left alone
  EXPECT_EQ(read_file(dir / ".rig.lock"), "pid 7 (posrig.run)\n");
  lock.release();
  fs::remove_all(dir);
}

TEST(ReportFiles, HistoryLivesBesideTheReportFolder) {
  EXPECT_EQ(rig::report::history_beside("reports/20261122T031508.120Z-1"),
            "reports/history.sqlite");
  EXPECT_EQ(rig::report::history_beside("reports/py/"), "reports/history.sqlite");
  EXPECT_EQ(rig::report::history_beside("out"), "history.sqlite");
  EXPECT_EQ(rig::report::history_beside("/tmp/a/b"), "/tmp/a/history.sqlite");
}

TEST(ReportFiles, PathsAreCheckedBeforeTheRun) {
  auto dir = temp_dir("files-check");
  rig::report::Outputs ok{(dir / "out").string(), (dir / "ci" / "r.json").string(), "", "", ""};
  EXPECT_TRUE(rig::report::check_report_paths(ok).empty());
  rig::report::Outputs bad{"", "/dev/full", (dir).string(), "/etc/hostname/x/report.html", ""};
  auto problems = rig::report::check_report_paths(bad);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0], "cannot write /dev/full: it exists and is not a regular file");
  EXPECT_EQ(problems[1], "cannot write " + dir.string() + ": it is a folder");
  EXPECT_EQ(problems[2], "cannot write /etc/hostname/x/report.html: /etc/hostname is not a folder");
  fs::remove_all(dir);
}

}  // namespace
