// Process supervisor: start, line capture, ready-line waits, group stop, run(), registry.
#include "rig/process/supervisor.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rig::process {
namespace {

using namespace std::chrono_literals;
using ::testing::MatchesRegex;

// Generous: only reached when something is broken.
constexpr auto kLong = 10s;

Spec shell(const std::string& script, const std::string& name = "vterm") {
  Spec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.name = name;
  return spec;
}

bool group_gone(pid_t pgid) { return ::kill(-pgid, 0) == -1 && errno == ESRCH; }
bool process_gone(pid_t pid) { return ::kill(pid, 0) == -1 && errno == ESRCH; }

// Waits for the line "<tag> <pid>" and returns the pid.
pid_t wait_for_pid(const Child& child, const std::string& tag) {
  LineResult r = child.wait_for_line(std::regex("^" + tag + " [0-9]+$"), after(kLong));
  EXPECT_TRUE(r.status.ok()) << r.status.message;
  if (!r.status.ok()) {
    return -1;
  }
  return static_cast<pid_t>(std::stol(r.line.text.substr(tag.size() + 1)));
}

TEST(Supervisor, WaitsForTheReadyLineAndReturnsItWithItsTime) {
  Child child(shell("echo starting; sleep 0.2; echo READY x=1; exec sleep 30"));
  const auto started = Clock::now();
  ASSERT_TRUE(child.start().ok());
  EXPECT_TRUE(child.running());
  EXPECT_GT(child.pid(), 0);

  LineResult r = child.wait_for_line(std::regex("^READY "), after(kLong));
  const auto returned = Clock::now();
  ASSERT_TRUE(r.status.ok()) << r.status.message;
  EXPECT_EQ(r.line.text, "READY x=1");
  EXPECT_EQ(r.line.stream, Stream::out);
  EXPECT_EQ(r.line.seq, 1u);
  // The script sleeps 0.2 s before printing it, and the wait returned after reading it.
  EXPECT_GE(r.line.at, started + 200ms);
  EXPECT_LE(r.line.at, returned);

  std::vector<Line> lines = child.lines();
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "starting");
  EXPECT_EQ(lines[0].seq, 0u);
  EXPECT_LE(lines[0].at, r.line.at);
  EXPECT_TRUE(child.running());
}

TEST(Supervisor, FindsAReadyLinePrintedBeforeTheWaitStarted) {
  std::promise<void> seen;
  std::once_flag once;
  Spec spec = shell("echo READY early; exec sleep 30");
  spec.on_line = [&](const Line& l) {
    if (l.text == "READY early") {
      std::call_once(once, [&] { seen.set_value(); });
    }
  };
  Child child(std::move(spec));
  ASSERT_TRUE(child.start().ok());
  ASSERT_EQ(seen.get_future().wait_for(kLong), std::future_status::ready);

  // A deadline already passed: only a line received before the call can satisfy it.
  LineResult r = child.wait_for_line(std::regex("^READY"), Clock::now());
  ASSERT_TRUE(r.status.ok()) << r.status.message;
  EXPECT_EQ(r.line.text, "READY early");

  // from_seq skips what came before.
  LineResult later = child.wait_for_line(std::regex("^READY"), Clock::now(), child.next_seq());
  EXPECT_EQ(later.status.code, Outcome::timeout);
}

TEST(Supervisor, TimesOutWhenTheLineNeverComes) {
  Child child(shell("echo hello; exec sleep 30"));
  ASSERT_TRUE(child.start().ok());
  ASSERT_TRUE(child.wait_for_line(std::regex("^hello$"), after(kLong), 0, "hello").status.ok());

  const auto called = Clock::now();
  LineResult r = child.wait_for_line(std::regex("^READY"), called + 300ms);
  const auto took = Clock::now() - called;
  EXPECT_EQ(r.status.code, Outcome::timeout);
  EXPECT_GE(took, 300ms);
  EXPECT_THAT(r.status.message,
              MatchesRegex("vterm: timed out after [0-9]+ ms waiting for the ready line; "
                           "last output: hello"));
  EXPECT_TRUE(child.running());
}

TEST(Supervisor, ReportsAChildThatExitsBeforeTheReadyLine) {
  Child child(shell("echo booting; echo 'vterm: bad option' >&2; exit 3"));
  ASSERT_TRUE(child.start().ok());
  LineResult r = child.wait_for_line(std::regex("^READY"), after(kLong));
  EXPECT_EQ(r.status.code, Outcome::exited);
  EXPECT_EQ(r.status.message,
            "vterm: exited with code 3 before printing the ready line; "
            "last output: vterm: bad option");
  ASSERT_TRUE(child.exit_status().has_value());
  EXPECT_EQ(child.exit_status()->code, 3);
  EXPECT_FALSE(child.running());
}

TEST(Supervisor, ReportsAChildKilledBeforeTheReadyLine) {
  Child child(shell("kill -KILL $$"));
  ASSERT_TRUE(child.start().ok());
  LineResult r = child.wait_for_line(std::regex("^READY"), after(kLong));
  EXPECT_EQ(r.status.code, Outcome::exited);
  EXPECT_EQ(r.status.message, "vterm: killed by SIGKILL before printing the ready line");
  std::optional<ExitStatus> st = child.wait_exit(after(kLong));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->signal, SIGKILL);
  EXPECT_FALSE(st->exited());
}

TEST(Supervisor, CapturesStderrLinesWithTheirStream) {
  std::vector<Line> seen;
  std::mutex mu;
  Spec spec = shell("echo out1; echo err1 >&2; echo out2; printf 'crlf\\r\\nlast'");
  spec.on_line = [&](const Line& l) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(l);
  };
  Child child(std::move(spec));
  ASSERT_TRUE(child.start().ok());
  ASSERT_TRUE(child.wait_exit(after(kLong)).has_value());
  child.stop();  // all output read after this

  std::vector<Line> lines = child.lines();
  auto find = [&](const std::string& text) -> const Line* {
    for (const Line& l : lines) {
      if (l.text == text) {
        return &l;
      }
    }
    return nullptr;
  };
  ASSERT_EQ(lines.size(), 5u);
  ASSERT_NE(find("err1"), nullptr);
  EXPECT_EQ(find("err1")->stream, Stream::err);
  EXPECT_EQ(find("out1")->stream, Stream::out);
  EXPECT_EQ(find("out2")->stream, Stream::out);
  ASSERT_NE(find("crlf"), nullptr);  // the '\r' of a CRLF line end is dropped
  ASSERT_NE(find("last"), nullptr);  // a final line without '\n' is kept
  EXPECT_STREQ(to_string(Stream::err), "stderr");

  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(seen.size(), lines.size());
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].seq, i);
    EXPECT_EQ(seen[i].text, lines[i].text);
  }
}

TEST(Supervisor, KeepsOnlyTheLastLinesOfAChattyChild) {
  Spec spec = shell("i=1; while [ $i -le 20 ]; do echo $i; i=$((i+1)); done");
  spec.max_lines = 5;
  Child child(std::move(spec));
  ASSERT_TRUE(child.start().ok());
  ASSERT_TRUE(child.wait_exit(after(kLong)).has_value());
  child.stop();
  std::vector<Line> lines = child.lines();
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines.front().text, "16");
  EXPECT_EQ(lines.front().seq, 15u);
  EXPECT_EQ(lines.back().text, "20");
  EXPECT_EQ(child.next_seq(), 20u);
  // A line no longer kept is not found.
  LineResult r = child.wait_for_line(std::regex("^3$"), after(kLong));
  EXPECT_EQ(r.status.code, Outcome::exited);
}

TEST(Supervisor, StopEndsTheWholeProcessGroup) {
  Child child(shell("sleep 60 & echo GRANDCHILD $!; wait"));
  ASSERT_TRUE(child.start().ok());
  const pid_t pgid = child.pid();
  const pid_t grandchild = wait_for_pid(child, "GRANDCHILD");
  ASSERT_GT(grandchild, 0);
  ASSERT_EQ(::kill(grandchild, 0), 0);
  EXPECT_EQ(::getpgid(grandchild), pgid);

  const auto called = Clock::now();
  ExitStatus st = child.stop(5s);
  EXPECT_LT(Clock::now() - called, 5s);  // both ended on SIGTERM, well before the grace
  EXPECT_EQ(st.signal, SIGTERM);
  EXPECT_EQ(st.describe(), "killed by SIGTERM");
  EXPECT_TRUE(process_gone(grandchild));
  EXPECT_TRUE(group_gone(pgid));
  EXPECT_FALSE(child.running());

  // Idempotent.
  ExitStatus again = child.stop();
  EXPECT_EQ(again.signal, SIGTERM);
}

TEST(Supervisor, KillsAGroupThatIgnoresTermAfterTheGrace) {
  Child child(shell("trap '' TERM; sleep 60 & echo GRANDCHILD $!; wait"));
  ASSERT_TRUE(child.start().ok());
  const pid_t pgid = child.pid();
  const pid_t grandchild = wait_for_pid(child, "GRANDCHILD");
  ASSERT_GT(grandchild, 0);

  const auto called = Clock::now();
  ExitStatus st = child.stop(300ms);
  EXPECT_GE(Clock::now() - called, 300ms);
  EXPECT_EQ(st.signal, SIGKILL);
  EXPECT_TRUE(process_gone(grandchild));
  EXPECT_TRUE(group_gone(pgid));
}

TEST(Supervisor, DestructorStopsTheGroup) {
  pid_t pgid = -1;
  pid_t grandchild = -1;
  {
    Child child(shell("sleep 60 & echo GRANDCHILD $!; exec sleep 60"));
    ASSERT_TRUE(child.start().ok());
    pgid = child.pid();
    grandchild = wait_for_pid(child, "GRANDCHILD");
    ASSERT_GT(grandchild, 0);
  }
  EXPECT_TRUE(process_gone(grandchild));
  EXPECT_TRUE(group_gone(pgid));
}

TEST(Supervisor, StopsOrphansLeftBehindByAChildThatExited) {
  Child child(shell("sleep 60 & echo GRANDCHILD $!"));
  ASSERT_TRUE(child.start().ok());
  const pid_t pgid = child.pid();
  const pid_t grandchild = wait_for_pid(child, "GRANDCHILD");
  std::optional<ExitStatus> st = child.wait_exit(after(kLong));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->code, 0);
  EXPECT_FALSE(child.running());
  EXPECT_EQ(::kill(grandchild, 0), 0);  // the orphan lives on in the group

  EXPECT_EQ(child.stop().code, 0);
  EXPECT_TRUE(process_gone(grandchild));
  EXPECT_TRUE(group_gone(pgid));
}

TEST(Supervisor, ReportsAMissingExecutable) {
  Child by_name(Spec{{"posrig-no-such-program", "--flag"}});
  Status s = by_name.start();
  EXPECT_EQ(s.code, Outcome::error);
  EXPECT_EQ(s.message, "posrig-no-such-program: cannot start: No such file or directory");
  EXPECT_FALSE(by_name.running());
  EXPECT_EQ(by_name.pid(), -1);

  // A path is not searched: exec itself fails in the forked child.
  Spec spec;
  spec.argv = {"/nonexistent/bin/vterm", "--ecr-link", "x"};
  spec.name = "vterm";
  Child by_path(std::move(spec));
  EXPECT_EQ(by_path.start().message, "vterm: cannot start: No such file or directory");
  // The forked child whose exec failed has been reaped: no zombie is left behind.
  siginfo_t info{};
  int waited = ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
  EXPECT_TRUE((waited == -1 && errno == ECHILD) || (waited == 0 && info.si_pid == 0));
  LineResult r = by_path.wait_for_line(std::regex("READY"), after(kLong));
  EXPECT_EQ(r.status.code, Outcome::error);
  EXPECT_EQ(r.status.message, "vterm: not started");
  EXPECT_EQ(by_path.stop().describe(), "ended with unknown status");
}

TEST(Supervisor, ReportsOtherStartFailures) {
  Spec not_executable;
  not_executable.argv = {"/etc/passwd"};
  EXPECT_EQ(Child(not_executable).start().message, "/etc/passwd: cannot start: Permission denied");

  Spec bad_dir = shell("pwd");
  bad_dir.cwd = "/nonexistent-posrig-dir";
  EXPECT_EQ(Child(bad_dir).start().message,
            "vterm: cannot start: working directory /nonexistent-posrig-dir: No such file or "
            "directory");

  // The child's PATH decides where a bare name is looked for.
  Spec own_path;
  own_path.argv = {"sh", "-c", "true"};
  own_path.env = {{"PATH", "/nonexistent-posrig-dir"}};
  EXPECT_EQ(Child(own_path).start().message, "sh: cannot start: No such file or directory");

  Child twice(shell("exit 0"));
  ASSERT_TRUE(twice.start().ok());
  EXPECT_EQ(twice.start().message, "vterm: already started");

  Child empty(Spec{});
  EXPECT_EQ(empty.start().message, "(no program): cannot start: empty argv");
}

TEST(Supervisor, RunReturnsExitCodeAndOutput) {
  RunResult r = run({"/bin/sh", "-c", "echo hi; echo warn >&2; exit 4"}, after(kLong));
  ASSERT_TRUE(r.status.ok()) << r.status.message;
  EXPECT_EQ(r.exit.code, 4);
  EXPECT_EQ(r.text(Stream::out), "hi");
  EXPECT_EQ(r.text(Stream::err), "warn");
  EXPECT_EQ(r.output.size(), 2u);
}

TEST(Supervisor, RunKillsTheGroupOnTimeout) {
  Spec spec = shell("sleep 60 & echo GRANDCHILD $!; exec sleep 60", "tc");
  pid_t grandchild = -1;
  spec.on_line = [&grandchild](const Line& l) {
    if (l.text.rfind("GRANDCHILD ", 0) == 0) {
      grandchild = std::stoi(l.text.substr(11));
    }
  };
  const auto called = Clock::now();
  RunResult r = run(std::move(spec), called + 300ms);
  const auto took = Clock::now() - called;
  EXPECT_EQ(r.status.code, Outcome::timeout);
  EXPECT_THAT(r.status.message, MatchesRegex("tc: timed out after [0-9]+ ms"));
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, kLong);
  EXPECT_EQ(r.exit.signal, SIGTERM);
  if (grandchild > 0) {
    EXPECT_TRUE(process_gone(grandchild));
  }

  RunResult missing = run({"posrig-no-such-tool"}, after(kLong));
  EXPECT_EQ(missing.status.code, Outcome::error);
  EXPECT_EQ(missing.status.message, "posrig-no-such-tool: cannot start: No such file or directory");
}

TEST(Supervisor, PassesArgvThroughUnchanged) {
  RunResult r = run({"/bin/echo", "a b", "c\"d", "'e'", "$HOME", "*", ""}, after(kLong));
  ASSERT_TRUE(r.status.ok()) << r.status.message;
  EXPECT_EQ(r.text(), "a b c\"d 'e' $HOME * ");

  // argv[0] reaches the program as written, not as the PATH lookup resolved it.
  RunResult self = run({"cat", "/proc/self/cmdline"}, after(kLong));
  ASSERT_TRUE(self.status.ok()) << self.status.message;
  EXPECT_EQ(self.text(), std::string("cat\0/proc/self/cmdline\0", 23));
}

TEST(Supervisor, AppliesWorkingDirectoryAndEnvironment) {
  const std::string dir = std::filesystem::temp_directory_path().string();
  // No other thread reads the environment while this test changes it.
  ASSERT_EQ(::setenv("POSRIG_TEST_KEPT", "inherited", 1), 0);  // NOLINT(concurrency-mt-unsafe)
  ASSERT_EQ(::setenv("POSRIG_TEST_VAR", "replaced", 1), 0);    // NOLINT(concurrency-mt-unsafe)
  Spec spec = shell("pwd; echo \"$POSRIG_TEST_VAR\"; echo \"$POSRIG_TEST_KEPT\"");
  spec.cwd = dir;
  spec.env = {{"POSRIG_TEST_VAR", "42 x"}};
  RunResult r = run(std::move(spec), after(kLong));
  ::unsetenv("POSRIG_TEST_KEPT");  // NOLINT(concurrency-mt-unsafe)
  ::unsetenv("POSRIG_TEST_VAR");   // NOLINT(concurrency-mt-unsafe)
  ASSERT_TRUE(r.status.ok()) << r.status.message;
  EXPECT_EQ(r.text(), std::filesystem::canonical(dir).string() + "\n42 x\ninherited");
}

TEST(Supervisor, ChildStartsWithCleanSignalsAndNoControllerDescriptors) {
  // A controller that ignores SIGPIPE and holds an inheritable descriptor.
  struct sigaction ignore {};
  struct sigaction old {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &old), 0);
  int raw = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(raw, 0);
  int leaky = ::fcntl(raw, F_DUPFD, 200);  // no FD_CLOEXEC
  ::close(raw);
  ASSERT_GE(leaky, 200);

  RunResult sig = run({"/bin/grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"}, after(kLong));
  RunResult fds = run({"/bin/ls", "/proc/self/fd"}, after(kLong));
  ::close(leaky);
  ::sigaction(SIGPIPE, &old, nullptr);

  ASSERT_TRUE(sig.status.ok()) << sig.status.message;
  EXPECT_EQ(sig.text(), "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000");
  ASSERT_TRUE(fds.status.ok()) << fds.status.message;
  // 0-2 and the directory ls is reading; nothing of the controller's.
  EXPECT_EQ(fds.text(), "0\n1\n2\n3");
}

TEST(Supervisor, ChildOutlivesTheThreadThatStartedIt) {
  // PR_SET_PDEATHSIG fires when the forking *thread* ends; children are forked elsewhere.
  Child child(shell("echo READY; exec sleep 30"));
  std::thread starter([&child] { EXPECT_TRUE(child.start().ok()); });
  starter.join();
  ASSERT_TRUE(child.wait_for_line(std::regex("^READY$"), after(kLong)).status.ok());
  EXPECT_FALSE(child.wait_exit(after(300ms)).has_value());
  EXPECT_TRUE(child.running());
}

// Helper for the next test, run in a separate process: starts a child, prints its pid and dies
// without stopping it.
TEST(Supervisor, DISABLED_DieWithAChild) {
  if (std::getenv("POSRIG_SUPERVISOR_HELPER") == nullptr) {  // NOLINT(concurrency-mt-unsafe)
    GTEST_SKIP();
  }
  auto* child = new Child(shell("echo READY; exec sleep 60"));  // deliberately never stopped
  ASSERT_TRUE(child->start().ok());
  ASSERT_TRUE(child->wait_for_line(std::regex("^READY$"), after(kLong)).status.ok());
  std::printf("ORPHAN %d\n", static_cast<int>(child->pid()));
  std::fflush(stdout);
  ::_exit(0);
}

TEST(Supervisor, ChildGetsSigtermWhenTheControllerDies) {
  char self[PATH_MAX] = {};
  ASSERT_GT(::readlink("/proc/self/exe", self, sizeof self - 1), 0);
  Spec spec;
  spec.argv = {self, "--gtest_also_run_disabled_tests",
               "--gtest_filter=Supervisor.DISABLED_DieWithAChild"};
  spec.name = "helper";
  spec.env = {{"POSRIG_SUPERVISOR_HELPER", "1"}};
  Child helper(std::move(spec));
  ASSERT_TRUE(helper.start().ok());
  const pid_t orphan = wait_for_pid(helper, "ORPHAN");
  ASSERT_GT(orphan, 0);
  std::optional<ExitStatus> st = helper.wait_exit(after(kLong));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->code, 0);

  // The orphan (in its own group) is re-parented to this process, the subreaper: wait for it to
  // end through a pidfd, then reap it and see why it ended.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, orphan, 0));
  ASSERT_GE(pidfd, 0) << std::strerror(errno);  // NOLINT(concurrency-mt-unsafe)
  pollfd p{pidfd, POLLIN, 0};
  int ready = ::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kLong).count()));
  ::close(pidfd);
  if (ready != 1) {
    ::kill(-orphan, SIGKILL);
  }
  ASSERT_EQ(ready, 1) << "the child of a dead controller is still running";
  int wstatus = 0;
  ASSERT_EQ(::waitpid(orphan, &wstatus, 0), orphan);
  ASSERT_TRUE(WIFSIGNALED(wstatus));
  EXPECT_EQ(WTERMSIG(wstatus), SIGTERM);
}

TEST(Supervisor, StopAllChildrenStopsEveryGroup) {
  Child polite(shell("sleep 60 & echo GRANDCHILD $!; wait"));
  Child stubborn(shell("trap '' TERM; echo READY; exec sleep 60"));
  Child late(shell("exit 0"));
  ASSERT_TRUE(polite.start().ok());
  ASSERT_TRUE(stubborn.start().ok());
  const pid_t grandchild = wait_for_pid(polite, "GRANDCHILD");
  ASSERT_TRUE(stubborn.wait_for_line(std::regex("^READY$"), after(kLong)).status.ok());

  std::size_t stopped = 0;
  std::thread signal_thread([&stopped] { stopped = stop_all_children(300ms); });
  signal_thread.join();
  EXPECT_EQ(stopped, 2u);
  EXPECT_EQ(polite.exit_status()->signal, SIGTERM);
  EXPECT_EQ(stubborn.exit_status()->signal, SIGKILL);
  EXPECT_TRUE(process_gone(grandchild));
  EXPECT_TRUE(group_gone(polite.pid()));
  EXPECT_TRUE(group_gone(stubborn.pid()));
  // A child that had not started yet is refused afterwards.
  EXPECT_EQ(late.start().message, "vterm: cannot start: the controller is stopping");
}

TEST(Supervisor, StdinPipeCarriesLinesToTheChildAndClosesToEndIt) {
  Spec spec = shell("while read -r line; do echo \"got $line\"; done; echo eof; exit 4");
  spec.stdin_pipe = true;
  Child child(spec);
  ASSERT_TRUE(child.start().ok());
  ASSERT_TRUE(child.write_stdin("one\ntwo\n", after(kLong)).ok());
  EXPECT_TRUE(child.wait_for_line(std::regex("^got two$"), after(kLong)).status.ok());
  child.close_stdin();
  EXPECT_TRUE(child.wait_for_line(std::regex("^eof$"), after(kLong)).status.ok());
  auto status = child.wait_exit(after(kLong));
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, 4);
  Status closed = child.write_stdin("three\n", after(kLong));
  EXPECT_EQ(closed.code, Outcome::error);
  EXPECT_EQ(closed.message, child.name() + ": stdin is closed");
}

TEST(Supervisor, StdinOfAChildThatStoppedReadingFailsWithoutSigpipe) {
  // Not ignored here: a write to a pipe nobody reads must not kill the test.
  struct sigaction dfl {};
  struct sigaction old {};
  dfl.sa_handler = SIG_DFL;
  ASSERT_EQ(::sigaction(SIGPIPE, &dfl, &old), 0);
  Spec spec = shell("exec 0<&-; echo closed; exec sleep 30");
  spec.stdin_pipe = true;
  Child child(spec);
  ASSERT_TRUE(child.start().ok());
  ASSERT_TRUE(child.wait_for_line(std::regex("^closed$"), after(kLong)).status.ok());
  Status s = child.write_stdin("x\n", after(kLong));
  EXPECT_EQ(s.code, Outcome::exited);
  EXPECT_EQ(s.message, child.name() + ": stopped reading its stdin (Broken pipe)");
  ::sigaction(SIGPIPE, &old, nullptr);
}

TEST(Supervisor, StdinWriteTimesOutWhenTheChildDoesNotRead) {
  Spec spec = shell("exec sleep 30");
  spec.stdin_pipe = true;
  Child child(spec);
  ASSERT_TRUE(child.start().ok());
  const std::string big(1 << 20, 'x');  // more than a pipe holds
  Status s = child.write_stdin(big, after(200ms));
  EXPECT_EQ(s.code, Outcome::timeout);
  EXPECT_THAT(s.message, MatchesRegex(".*: timed out after [0-9]+ ms writing to its stdin"));
}

TEST(Supervisor, StdinIsNotAPipeUnlessAsked) {
  Child child(shell("exec sleep 30"));
  ASSERT_TRUE(child.start().ok());
  Status s = child.write_stdin("x", after(kLong));
  EXPECT_EQ(s.code, Outcome::error);
  EXPECT_EQ(s.message, child.name() + ": stdin is not a pipe");
}

}  // namespace
}  // namespace rig::process
