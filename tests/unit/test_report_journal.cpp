// The results journal: one fsynced line per attempt, read back as summaries with details on
// demand; a journal without its end record (kill -9) is incomplete and names what did not
// run; a torn last line is ignored; appends from many threads never interleave.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <thread>

#include "report_test_util.h"
#include "rig/report/journal.h"

namespace {

using namespace report_test;
using rig::report::Journal;
using rig::report::PlannedAttempt;
using rig::report::read_journal;

std::vector<PlannedAttempt> plan_of(const RunResult& r) {
  std::vector<PlannedAttempt> plan;
  for (const auto& s : r.scenarios)
    plan.push_back({s.id, s.attempt, s.name, s.family, s.file, s.tags});
  return plan;
}

RunResult header_of(const RunResult& r) {
  RunResult h = r;
  h.scenarios.clear();
  h.ended_at.clear();
  return h;
}

TEST(Journal, ReadsBackWhatWasAppended) {
  auto dir = temp_dir("journal-read");
  const std::string path = (dir / "journal.jsonl").string();
  RunResult run = sample_run();
  {
    Journal j(path, header_of(run), plan_of(run));
    for (const auto& s : run.scenarios) j.append(s);
    j.finish(run);
    EXPECT_GT(j.bytes_written(), 1000u);
  }
  RunResult back = read_journal(path);
  EXPECT_FALSE(back.incomplete);
  EXPECT_EQ(back.run_id, run.run_id);
  EXPECT_EQ(back.overrides, run.overrides);
  EXPECT_EQ(back.ended_at, run.ended_at);
  ASSERT_EQ(back.scenarios.size(), run.scenarios.size());
  // Summaries in memory, the full record from the file.
  EXPECT_TRUE(back.scenarios[1].timeline.empty());
  EXPECT_TRUE(back.scenarios[1].checks.empty());
  ScenarioResult full = back.detail(1);
  EXPECT_EQ(rig::report::to_json(full), rig::report::to_json(run.scenarios[1]));
  EXPECT_EQ(full.outcome, Status::fail);
  EXPECT_EQ(rig::report::to_json(back), rig::report::to_json(run));
  // One line per record: header, four attempts, end.
  std::string text = read_file(path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 6);
  std::filesystem::remove_all(dir);
}

TEST(Journal, WithoutEndRecordTheRunIsIncompleteAndNamesWhatDidNotRun) {
  auto dir = temp_dir("journal-crash");
  const std::string path = (dir / "journal.jsonl").string();
  RunResult run = sample_run();
  {
    Journal j(path, header_of(run), plan_of(run));
    j.append(run.scenarios[0]);
    j.append(run.scenarios[1]);
    // The rig dies here: no finish().
  }
  // ... and a power cut tore a line being written.
  {
    std::ofstream out(path, std::ios::app);
    out << "{\"scenario\": {\"id\": \"card/mu";
  }
  RunResult back = read_journal(path);
  EXPECT_TRUE(back.incomplete);
  EXPECT_FALSE(back.ended_at.empty());
  ASSERT_EQ(back.scenarios.size(), 4u);
  EXPECT_EQ(back.scenarios[0].status, Status::pass);
  EXPECT_EQ(back.scenarios[1].status, Status::fail);
  for (std::size_t i : {2u, 3u}) {
    EXPECT_EQ(back.scenarios[i].status, Status::skipped);
    EXPECT_EQ(back.scenarios[i].message,
              "no result: the rig stopped (or could not write its journal) before this "
              "scenario's result was recorded");
    EXPECT_EQ(back.detail(i).id, back.scenarios[i].id);
  }
  EXPECT_EQ(back.exit_code(), 1);
  std::filesystem::remove_all(dir);
}

TEST(Journal, ABadLineInTheMiddleIsAnError) {
  auto dir = temp_dir("journal-bad");
  const std::string path = (dir / "journal.jsonl").string();
  RunResult run = sample_run();
  {
    Journal j(path, header_of(run), plan_of(run));
    j.append(run.scenarios[0]);
  }
  std::string text = read_file(path);
  std::ofstream(path) << text << "garbage\n" << text.substr(text.find('\n') + 1);
  try {
    read_journal(path);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), path + ":3: not a journal record");
  }
  std::ofstream(path) << "{\"schema\": \"posrig.results\"}\n";
  EXPECT_THROW(read_journal(path), std::runtime_error);
  EXPECT_FALSE(rig::report::is_journal(path));
  std::filesystem::remove_all(dir);
}

TEST(Journal, AppendsFromManyThreadsStayWholeLines) {
  auto dir = temp_dir("journal-threads");
  const std::string path = (dir / "journal.jsonl").string();
  RunResult run = sample_run();
  {
    Journal j(path, header_of(run), {});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int n = 0; n < 25; ++n) {
          j.append(attempt("t" + std::to_string(t) + "/s", Status::pass, n + 1));
        }
      });
    }
    for (auto& t : threads) t.join();
    j.finish(run);
  }
  RunResult back = read_journal(path);
  EXPECT_EQ(back.scenarios.size(), 100u);
  EXPECT_EQ(back.counts().pass, 4);
  EXPECT_EQ(back.counts().attempts, 100);
  std::filesystem::remove_all(dir);
}

TEST(Journal, WriteFailuresAreClearErrors) {
  RunResult run = sample_run();
  try {
    Journal j("/dev/full", header_of(run), plan_of(run));
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "cannot write /dev/full: write: No space left on device");
  }
  try {
    Journal j("/proc/posrig-nope/journal.jsonl", header_of(run), {});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(
        std::string(e.what()).rfind("cannot write /proc/posrig-nope/journal.jsonl: open: ", 0), 0u)
        << e.what();
  }
}

}  // namespace
