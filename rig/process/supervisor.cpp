#include "rig/process/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "rig/process/spawn.h"
#include "rig/protocol/redact.h"

namespace rig::process {

const char* to_string(Stream s) { return s == Stream::out ? "stdout" : "stderr"; }

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::ok:
      return "ok";
    case Outcome::timeout:
      return "timeout";
    case Outcome::exited:
      return "exited";
    case Outcome::error:
      return "error";
  }
  return "?";
}

std::string ExitStatus::describe() const {
  if (exited()) {
    return "exited with code " + std::to_string(code);
  }
  if (killed()) {
    const char* abbrev = ::sigabbrev_np(signal);
    return abbrev != nullptr ? std::string("killed by SIG") + abbrev
                             : "killed by signal " + std::to_string(signal);
  }
  return "ended with unknown status";
}

std::string RunResult::text(std::optional<Stream> only) const {
  std::string out;
  bool first = true;
  for (const Line& l : output) {
    if (only && l.stream != *only) {
      continue;
    }
    if (!first) {
      out += '\n';
    }
    out += l.text;
    first = false;
  }
  return out;
}

namespace {

constexpr std::size_t kMaxLineBytes = std::size_t{64} * 1024;
// How long to wait for a SIGKILLed group to be reaped, and for the reader to drain, before
// giving up on a process stuck in the kernel.
constexpr auto kKillWait = std::chrono::seconds(10);
constexpr auto kDrainWait = std::chrono::seconds(5);

long long ms_between(Clock::time_point from, Clock::time_point to) {
  if (to <= from) {
    return 0;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from +
                                                               std::chrono::microseconds(500))
      .count();
}

ExitStatus decode(int wstatus) {
  ExitStatus s;
  if (WIFEXITED(wstatus)) {
    s.code = WEXITSTATUS(wstatus);
  }
  if (WIFSIGNALED(wstatus)) {
    s.signal = WTERMSIG(wstatus);
  }
  return s;
}

}  // namespace

struct Child::Core {
  explicit Core(Spec s) : spec(std::move(s)) {
    if (spec.name.empty()) {
      spec.name = spec.argv.empty() ? "(no program)" : spec.argv[0];
    }
    spec.max_lines = std::max<std::size_t>(spec.max_lines, 1);
    wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd < 0) {
      throw std::runtime_error(std::string("eventfd failed: ") + detail::error_text(errno));
    }
  }
  ~Core() {
    ::close(wake_fd);
    if (in_fd >= 0) ::close(in_fd);
  }

  Spec spec;
  int wake_fd = -1;  // tells the reader to drain what is there and quit
  std::mutex in_mu;  // guards in_fd and orders writes to it
  int in_fd = -1;    // write end of the child's stdin (Spec::stdin_pipe)

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  // Guarded by mu.
  bool start_called = false;
  bool started = false;
  bool stop_requested = false;  // set by stop_all_children(); refuses or ends a late start
  pid_t pid = -1;
  bool child_ended = false;
  ExitStatus status;
  bool group_gone = false;
  bool term_sent = false;
  bool kill_sent = false;
  bool reader_done = false;
  bool reaper_done = false;
  std::thread::id reader_id;
  std::deque<Line> lines;
  std::uint64_t next_seq = 0;

  // Owned by Child: joined or detached in ~Child.
  std::thread reader;
  std::thread reaper;

  // --- signalling (mu held) ---
  // Never signals a group already reaped: its id could belong to someone else by now.
  void send_locked(int sig) {
    if (!started || group_gone) {
      return;
    }
    ::kill(-pid, sig);
  }
  void term_locked() {
    if (term_sent || !started || group_gone) {
      return;
    }
    term_sent = true;
    send_locked(SIGTERM);
    send_locked(SIGCONT);  // a stopped member would otherwise hold the TERM until the KILL
  }
  void kill_locked() {
    if (kill_sent || !started || group_gone) {
      return;
    }
    kill_sent = true;
    send_locked(SIGKILL);
  }
  bool await_gone(std::unique_lock<std::mutex>& lock, Deadline deadline) {
    return cv.wait_until(lock, deadline, [this] { return !started || group_gone; });
  }

  // Wakes the reader, which drains what the pipes hold and quits, and waits for it.
  void finish_output() {
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd, &one, sizeof one);
    std::unique_lock<std::mutex> lock(mu);
    if (!started || reader_id == std::this_thread::get_id()) {
      return;
    }
    cv.wait_until(lock, Clock::now() + kDrainWait, [this] { return reader_done; });
  }

  ExitStatus stop(std::chrono::milliseconds grace) {
    std::unique_lock<std::mutex> lock(mu);
    if (!started) {
      return {};
    }
    term_locked();
    if (!await_gone(lock, Clock::now() + grace)) {
      kill_locked();
      await_gone(lock, Clock::now() + kKillWait);
    }
    lock.unlock();
    finish_output();
    lock.lock();
    return status;
  }

  std::string last_output_locked() const {
    if (lines.empty()) {
      return {};
    }
    std::string text = lines.back().text;
    if (text.size() > 200) {
      text = text.substr(0, 200) + "...";
    }
    return "; last output: " + text;
  }

  // --- threads ---
  void deliver(std::vector<Line>& batch) {
    if (batch.empty()) {
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      for (Line& l : batch) {
        l.seq = next_seq++;
        lines.push_back(l);
        if (lines.size() > spec.max_lines) {
          lines.pop_front();
        }
      }
    }
    cv.notify_all();
    if (spec.on_line) {
      for (const Line& l : batch) {
        try {
          spec.on_line(l);
        } catch (...) {
          // Documented as must-not-throw; the reader has to go on regardless.
        }
      }
    }
    batch.clear();
  }

  static void split(std::string& partial, Stream stream, Clock::time_point at, bool eof,
                    std::vector<Line>& batch) {
    std::size_t start = 0;
    for (;;) {
      std::size_t nl = partial.find('\n', start);
      std::size_t end = nl;
      if (nl == std::string::npos) {
        if (partial.size() - start >= kMaxLineBytes) {
          end = start + kMaxLineBytes;
        } else if (eof && partial.size() > start) {
          end = partial.size();
        } else {
          break;
        }
      }
      std::string text = partial.substr(start, end - start);
      if (nl != std::string::npos && !text.empty() && text.back() == '\r') {
        text.pop_back();
      }
      batch.push_back(Line{0, at, stream, std::move(text)});
      start = nl == std::string::npos ? end : nl + 1;
    }
    partial.erase(0, start);
  }

  void read_loop(int out_fd, int err_fd) {
    int fds[2] = {out_fd, err_fd};
    const Stream streams[2] = {Stream::out, Stream::err};
    std::string partial[2];
    bool open[2] = {true, true};
    for (int fd : fds) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    std::vector<char> buf(kMaxLineBytes);
    std::vector<Line> batch;
    bool woken = false;
    // After a wake-up, reads stop at the first empty pipe, but never spin on a writer that
    // escaped the group and keeps writing.
    int reads_after_wake = 64;

    while ((open[0] || open[1]) && reads_after_wake > 0) {
      pollfd p[3] = {{open[0] ? fds[0] : -1, POLLIN, 0},
                     {open[1] ? fds[1] : -1, POLLIN, 0},
                     {wake_fd, POLLIN, 0}};
      int n = ::poll(p, 3, woken ? 0 : -1);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        break;
      }
      if (p[2].revents != 0) {
        woken = true;
      }
      bool any_data = false;
      for (int i = 0; i < 2; ++i) {
        if (!open[i] || (!woken && p[i].revents == 0)) {
          continue;
        }
        ssize_t got = ::read(fds[i], buf.data(), buf.size());
        if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
          continue;
        }
        auto at = Clock::now();
        if (got <= 0) {
          open[i] = false;
          split(partial[i], streams[i], at, true, batch);
        } else {
          any_data = true;
          partial[i].append(buf.data(), static_cast<std::size_t>(got));
          split(partial[i], streams[i], at, false, batch);
        }
      }
      deliver(batch);
      if (woken) {
        if (!any_data) {
          break;
        }
        --reads_after_wake;
      }
    }
    auto at = Clock::now();
    for (int i = 0; i < 2; ++i) {
      split(partial[i], streams[i], at, true, batch);
    }
    deliver(batch);
    ::close(out_fd);
    ::close(err_fd);
    {
      std::lock_guard<std::mutex> lock(mu);
      reader_done = true;
    }
    cv.notify_all();
  }

  // Reaps every member of the group that becomes our child (the child, then its orphans, which
  // the subreaper setting hands to us) until none is left. WNOWAIT first, then the reap under
  // the lock: a kill() under the same lock can never hit the group id after its last member was
  // reaped.
  void reap_loop() {
    for (;;) {
      siginfo_t info{};
      if (::waitid(P_PGID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0) {
        if (errno == EINTR) {
          continue;
        }
        // ECHILD: nothing of ours is left in the group. (The child ended unseen only if other
        // code reaped it with waitpid(-1), which the header forbids.)
        std::lock_guard<std::mutex> lock(mu);
        group_gone = true;
        child_ended = true;
        break;
      }
      std::lock_guard<std::mutex> lock(mu);
      int wstatus = 0;
      if (::waitpid(info.si_pid, &wstatus, WNOHANG) == pid) {
        child_ended = true;
        status = decode(wstatus);
      }
      siginfo_t probe{};
      if (::waitid(P_PGID, static_cast<id_t>(pid), &probe, WEXITED | WNOHANG | WNOWAIT) != 0 &&
          errno == ECHILD) {
        group_gone = true;
        child_ended = true;
        break;
      }
      cv.notify_all();
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      reaper_done = true;
    }
    cv.notify_all();
  }
};

namespace {

// Every Child, so that stop_all_children() can reach their groups. Never destroyed: the
// controller's signal thread may use it while static destructors run.
class Registry {
 public:
  static Registry& instance() {
    static Registry* registry = new Registry();
    return *registry;
  }
  void add(const std::shared_ptr<Child::Core>& core) {
    std::lock_guard<std::mutex> lock(mu_);
    cores_.erase(std::remove_if(cores_.begin(), cores_.end(),
                                [](const std::weak_ptr<Child::Core>& w) { return w.expired(); }),
                 cores_.end());
    cores_.push_back(core);
  }
  void remove(const Child::Core* core) {
    std::lock_guard<std::mutex> lock(mu_);
    cores_.erase(std::remove_if(cores_.begin(), cores_.end(),
                                [core](const std::weak_ptr<Child::Core>& w) {
                                  auto p = w.lock();
                                  return !p || p.get() == core;
                                }),
                 cores_.end());
  }
  std::vector<std::shared_ptr<Child::Core>> snapshot() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::shared_ptr<Child::Core>> out;
    for (const auto& w : cores_) {
      if (auto p = w.lock()) {
        out.push_back(std::move(p));
      }
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::weak_ptr<Child::Core>> cores_;
};

}  // namespace

Child::Child(Spec spec) : core_(std::make_shared<Core>(std::move(spec))) {
  Registry::instance().add(core_);
}

Child::~Child() {
  stop();
  Registry::instance().remove(core_.get());
  Core& c = *core_;
  if (c.reader.joinable()) {
    // Woken by stop(), the reader drains and quits; it only outlives that if stop() was called
    // from its own line callback, which the header forbids.
    if (c.reader.get_id() == std::this_thread::get_id()) {
      c.reader.detach();
    } else {
      c.reader.join();
    }
  }
  if (c.reaper.joinable()) {
    std::unique_lock<std::mutex> lock(c.mu);
    bool done = c.cv.wait_until(lock, Clock::now() + std::chrono::seconds(1),
                                [&c] { return c.reaper_done; });
    lock.unlock();
    // A member stuck in the kernel keeps the reaper in waitid(); it holds its own reference
    // to the Core, so it can be left behind safely.
    if (done) {
      c.reaper.join();
    } else {
      c.reaper.detach();
    }
  }
}

Status Child::start() {
  Core& c = *core_;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.start_called) {
      return {Outcome::error, c.spec.name + ": already started"};
    }
    c.start_called = true;
    if (c.stop_requested) {
      return {Outcome::error, c.spec.name + ": cannot start: the controller is stopping"};
    }
  }
  detail::SpawnRequest req{c.spec.argv, c.spec.name, c.spec.cwd, c.spec.env, c.spec.stdin_pipe};
  detail::Spawned sp = detail::spawn(req);
  if (sp.pid < 0) {
    return {Outcome::error, sp.error};
  }
  {
    std::lock_guard<std::mutex> in_lock(c.in_mu);
    c.in_fd = sp.in_fd;
  }

  std::lock_guard<std::mutex> lock(c.mu);
  c.pid = sp.pid;
  c.started = true;
  try {
    std::shared_ptr<Core> core = core_;
    int out_fd = sp.out_fd;
    int err_fd = sp.err_fd;
    c.reader = detail::start_quiet_thread([core, out_fd, err_fd] {
      {
        std::lock_guard<std::mutex> inner(core->mu);
        core->reader_id = std::this_thread::get_id();
      }
      core->read_loop(out_fd, err_fd);
    });
    c.reaper = detail::start_quiet_thread([core] { core->reap_loop(); });
  } catch (const std::exception& e) {
    // No threads, no supervision: take the child down at once rather than leak it.
    ::kill(-sp.pid, SIGKILL);
    ::waitpid(sp.pid, nullptr, 0);
    if (!c.reader.joinable()) {
      ::close(sp.out_fd);
      ::close(sp.err_fd);
    }
    c.started = false;
    c.group_gone = true;
    return {Outcome::error, c.spec.name + ": cannot start: " + e.what()};
  }
  // stop_all_children() ran while we were forking: it could not see this child yet.
  if (c.stop_requested) {
    c.term_locked();
  }
  return {};
}

namespace {

// write(2) with SIGPIPE blocked in this thread; a SIGPIPE the write raised is taken back, so
// that a child gone away is an EPIPE here and not the death of a controller that does not
// ignore the signal (the Python module, tests).
ssize_t write_quietly(int fd, const char* data, std::size_t size) {
  sigset_t pipe_only;
  sigset_t old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  sigset_t pending;
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  ssize_t n = ::write(fd, data, size);
  int err = errno;
  if (n < 0 && err == EPIPE && !was_pending) {
    timespec zero{0, 0};
    while (::sigtimedwait(&pipe_only, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return n;
}

}  // namespace

Status Child::write_stdin(std::string_view data, Deadline deadline) {
  Core& c = *core_;
  const auto called = Clock::now();
  std::lock_guard<std::mutex> lock(c.in_mu);
  if (c.in_fd < 0) {
    std::string why = !c.spec.stdin_pipe ? "stdin is not a pipe"
                      : pid() < 0        ? "not started"
                                         : "stdin is closed";
    return {Outcome::error, c.spec.name + ": " + why};
  }
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write_quietly(c.in_fd, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && errno == EPIPE) {
      return {Outcome::exited, c.spec.name + ": stopped reading its stdin (Broken pipe)"};
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      return {Outcome::error,
              c.spec.name + ": cannot write to its stdin: " + detail::error_text(errno)};
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return {Outcome::timeout, c.spec.name + ": timed out after " +
                                    std::to_string(ms_between(called, deadline)) +
                                    " ms writing to its stdin"};
    }
    pollfd p{c.in_fd, POLLOUT, 0};
    ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count() + 1, 60000)));
  }
  return {};
}

void Child::close_stdin() {
  std::lock_guard<std::mutex> lock(core_->in_mu);
  if (core_->in_fd >= 0) ::close(core_->in_fd);
  core_->in_fd = -1;
}

const std::string& Child::name() const { return core_->spec.name; }

pid_t Child::pid() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return core_->pid;
}

bool Child::running() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return core_->started && !core_->child_ended;
}

std::optional<ExitStatus> Child::exit_status() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  if (!core_->child_ended) {
    return std::nullopt;
  }
  return core_->status;
}

std::optional<ExitStatus> Child::wait_exit(Deadline deadline) const {
  Core& c = *core_;
  std::unique_lock<std::mutex> lock(c.mu);
  if (!c.started) {
    return std::nullopt;
  }
  if (!c.cv.wait_until(lock, deadline, [&c] { return c.child_ended; })) {
    return std::nullopt;
  }
  return c.status;
}

LineResult Child::wait_for_line(const LineMatcher& match, Deadline deadline, std::uint64_t from_seq,
                                std::string_view what) const {
  Core& c = *core_;
  const auto called = Clock::now();
  std::unique_lock<std::mutex> lock(c.mu);
  if (!c.started) {
    return {{Outcome::error, c.spec.name + ": not started"}, {}};
  }
  std::uint64_t next = from_seq;
  for (;;) {
    std::uint64_t oldest = c.next_seq - c.lines.size();
    next = std::max(next, oldest);
    for (std::size_t i = static_cast<std::size_t>(next - oldest); i < c.lines.size(); ++i) {
      if (match(c.lines[i])) {
        return {{}, c.lines[i]};
      }
    }
    next = c.next_seq;
    // The child is gone and every byte it wrote has been read: the line cannot come any more.
    if (c.child_ended && c.reader_done) {
      return {{Outcome::exited, c.spec.name + ": " + c.status.describe() + " before printing " +
                                    std::string(what) + c.last_output_locked()},
              {}};
    }
    bool woke = c.cv.wait_until(lock, deadline, [&c, next] {
      return c.next_seq != next || (c.child_ended && c.reader_done);
    });
    if (!woke) {
      return {{Outcome::timeout,
               c.spec.name + ": timed out after " + std::to_string(ms_between(called, deadline)) +
                   " ms waiting for " + std::string(what) + c.last_output_locked()},
              {}};
    }
  }
}

LineResult Child::wait_for_line(const std::regex& pattern, Deadline deadline,
                                std::uint64_t from_seq, std::string_view what) const {
  return wait_for_line([&pattern](const Line& l) { return std::regex_search(l.text, pattern); },
                       deadline, from_seq, what);
}

std::vector<Line> Child::lines() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return {core_->lines.begin(), core_->lines.end()};
}

std::uint64_t Child::next_seq() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return core_->next_seq;
}

ExitStatus Child::stop(std::chrono::milliseconds grace) { return core_->stop(grace); }

RunResult run(Spec spec, Deadline deadline) {
  const auto called = Clock::now();
  RunResult result;
  Child child(std::move(spec));
  result.status = child.start();
  if (!result.status) {
    return result;
  }
  if (!child.wait_exit(deadline)) {
    result.status = {Outcome::timeout, child.name() + ": timed out after " +
                                           std::to_string(ms_between(called, deadline)) + " ms"};
  }
  result.exit = child.stop(std::chrono::seconds(1));
  result.output = child.lines();
  return result;
}

RunResult run(std::vector<std::string> argv, Deadline deadline) {
  Spec spec;
  spec.argv = std::move(argv);
  return run(std::move(spec), deadline);
}

std::size_t stop_all_children(std::chrono::milliseconds grace) {
  auto cores = Registry::instance().snapshot();
  std::size_t running = 0;
  for (auto& c : cores) {
    std::lock_guard<std::mutex> lock(c->mu);
    c->stop_requested = true;
    if (c->started && !c->child_ended) {
      ++running;
    }
    c->term_locked();
  }
  // One grace period for all groups, not one per group.
  const Deadline term_deadline = Clock::now() + grace;
  for (auto& c : cores) {
    std::unique_lock<std::mutex> lock(c->mu);
    if (!c->await_gone(lock, term_deadline)) {
      c->kill_locked();
    }
  }
  const Deadline kill_deadline = Clock::now() + kKillWait;
  for (auto& c : cores) {
    std::unique_lock<std::mutex> lock(c->mu);
    c->await_gone(lock, kill_deadline);
  }
  for (auto& c : cores) {
    c->finish_output();
  }
  return running;
}

std::function<void(const Line&)> append_lines_to(const std::string& path, std::string* error) {
  std::error_code ec;
  std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  auto out = std::make_shared<std::ofstream>(path, std::ios::app);
  if (!*out) {
    if (error) *error = "cannot write " + path + ": " + std::strerror(errno);
    return [](const Line&) {};
  }
  // Lines carry steady_clock times; the file shows the wall clock of the same moment.
  const auto wall_now = std::chrono::system_clock::now();
  const auto steady_now = Clock::now();
  return [out, wall_now, steady_now](const Line& line) {
    auto wall = wall_now + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                               line.at - steady_now);
    std::time_t secs = std::chrono::system_clock::to_time_t(wall);
    auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count() %
        1000;
    std::tm tm{};
    ::localtime_r(&secs, &tm);
    char stamp[40];
    std::size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
    std::snprintf(stamp + n, sizeof stamp - n, ".%03d", static_cast<int>(millis));
    // A simulator logs what it does: card data is masked here too (docs/reliability.md).
    *out << stamp << ' ' << to_string(line.stream) << ' ' << protocol::redact(line.text) << '\n'
         << std::flush;
  };
}

}  // namespace rig::process
