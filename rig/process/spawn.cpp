#include "rig/process/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <set>
#include <system_error>

extern char** environ;

namespace rig::process::detail {
namespace {

// The one thread that forks (see spawn.h for why). Created on first use and never destroyed:
// children must outlive any thread of the controller but not the controller itself.
class Launcher {
 public:
  static Launcher& instance() {
    static Launcher* launcher = new Launcher();
    return *launcher;
  }

  // Runs `task` on the launcher thread and returns when it is done.
  void run(const std::function<void()>& task) {
    std::packaged_task<void()> job(task);
    std::future<void> done = job.get_future();
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(&job);
    }
    cv_.notify_one();
    done.get();
  }

 private:
  Launcher() {
    // Orphaned grandchildren come to us instead of init, so a supervisor can wait for its whole
    // group to be gone (waitid(P_PGID)) without polling. Failure only weakens stop()'s guarantee
    // for grandchildren; there is nothing better to do about it here.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    start_quiet_thread([this] { loop(); }).detach();
  }

  void loop() {
    for (;;) {
      std::packaged_task<void()>* job = nullptr;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return !queue_.empty(); });
        job = queue_.front();
        queue_.pop_front();
      }
      (*job)();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<void()>*> queue_;
};

// Moves a descriptor to 3 or above so that the dup2 calls in the child cannot clobber it (the
// controller may run with stdin/stdout closed).
void lift_fd(int& fd) {
  if (fd < 0 || fd > 2) {
    return;
  }
  int lifted = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  ::close(fd);
  fd = lifted;
}

void close_fd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
  }
  fd = -1;
}

// In the forked child (before exec): only async-signal-safe calls. Returns 0 or an errno.
struct ChildSetup {
  pid_t parent = -1;
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  const char* cwd = nullptr;
  int max_fd = 1024;  // fallback bound when close_range is missing

  int apply() const {
    if (::setpgid(0, 0) != 0) {
      return errno;
    }
    if (::prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) != 0) {
      return errno;
    }
    // The controller died between fork and prctl: nobody would ever send the death signal.
    if (::getppid() != parent) {
      ::_exit(127);
    }

    // Handlers first, then the mask: a signal unblocked while a controller handler is still
    // installed would run controller code in the child. Ignored signals survive exec, so they
    // are reset too (a controller that ignores SIGPIPE must not hand that to a simulator).
    struct sigaction dfl;
    std::memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig == SIGKILL || sig == SIGSTOP) {
        continue;
      }
      ::sigaction(sig, &dfl, nullptr);  // glibc refuses its internal signals; that is fine
    }
    sigset_t none;
    sigemptyset(&none);
    ::pthread_sigmask(SIG_SETMASK, &none, nullptr);

    if (int err = redirect(stdin_fd, 0)) {
      return err;
    }
    if (int err = redirect(stdout_fd, 1)) {
      return err;
    }
    if (int err = redirect(stderr_fd, 2)) {
      return err;
    }
    if (cwd != nullptr && ::chdir(cwd) != 0) {
      return errno;
    }

    // Sockets and files the controller opened without O_CLOEXEC (Asio does not set it) must not
    // leak into a long-lived simulator, where they would keep ports bound and pipes open.
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
      for (int fd = 3; fd < max_fd; ++fd) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
      }
    }
    return 0;
  }

  static int redirect(int from, int to) {
    if (::dup2(from, to) < 0) {
      return errno;
    }
    return 0;
  }
};

std::vector<std::string> merged_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::set<std::string> replaced;
  for (const auto& kv : overrides) {
    replaced.insert(kv.first);
  }
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    if (replaced.count(key) == 0) {
      out.push_back(std::move(entry));
    }
  }
  for (const auto& kv : overrides) {
    out.push_back(kv.first + "=" + kv.second);
  }
  return out;
}

std::string search_path_of(const SpawnRequest& req) {
  std::string path;
  bool overridden = false;
  for (const auto& kv : req.env) {
    if (kv.first == "PATH") {
      path = kv.second;
      overridden = true;
    }
  }
  if (overridden) {
    return path;
  }
  // The controller sets its environment up before it starts threads and never changes it.
  const char* inherited = std::getenv("PATH");                // NOLINT(concurrency-mt-unsafe)
  return inherited != nullptr ? inherited : "/bin:/usr/bin";  // execvp's default
}

Spawned failure(const std::string& name, const std::string& why) {
  Spawned s;
  s.error = name + ": cannot start: " + why;
  return s;
}

// Runs on the launcher thread.
Spawned spawn_here(const SpawnRequest& req, const std::string& exe) {
  namespace bp = boost::process;
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    return failure(req.name, error_text(errno));
  }
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    int err = errno;
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return failure(req.name, error_text(err));
  }
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  int in_pipe[2] = {-1, -1};
  if (req.stdin_pipe && ::pipe2(in_pipe, O_CLOEXEC) != 0) {
    int err = errno;
    for (int* fd : {&out_pipe[0], &out_pipe[1], &err_pipe[0], &err_pipe[1], &null_fd}) {
      close_fd(*fd);
    }
    return failure(req.name, error_text(err));
  }
  for (int* fd : {&out_pipe[0], &out_pipe[1], &err_pipe[0], &err_pipe[1], &null_fd, &in_pipe[0],
                  &in_pipe[1]}) {
    lift_fd(*fd);
  }

  // Everything the child touches is built before the fork: the child must not allocate.
  std::vector<char*> argv_ptrs;
  argv_ptrs.reserve(req.argv.size() + 1);
  for (const auto& a : req.argv) {
    argv_ptrs.push_back(const_cast<char*>(a.c_str()));
  }
  argv_ptrs.push_back(nullptr);
  std::vector<std::string> env_strings = merged_environment(req.env);
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& e : env_strings) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);

  ChildSetup setup;
  setup.parent = ::getpid();
  setup.stdin_fd = req.stdin_pipe ? in_pipe[0] : null_fd;
  setup.stdout_fd = out_pipe[1];
  setup.stderr_fd = err_pipe[1];
  setup.cwd = req.cwd.empty() ? nullptr : req.cwd.c_str();
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    setup.max_fd = static_cast<int>(std::min<rlim_t>(lim.rlim_cur, 65536));
  }

  pid_t failed_child = -1;
  std::error_code ec;
  Spawned result;
  try {
    bp::child child(
        bp::exe = exe, bp::args = std::vector<std::string>{},
        // Boost builds argv as {exe, args...}; ours keeps argv[0] exactly as the caller wrote it.
        bp::extend::on_setup =
            [&](auto& exec) {
              exec.cmd_line = argv_ptrs.data();
              exec.env = envp.data();
            },
        bp::extend::on_exec_setup =
            [&](auto& exec) {
              if (int err = setup.apply()) {
                exec.set_error(std::error_code(err, std::system_category()), "setup");
                ::_exit(127);
              }
            },
        // The usual guard against the fork/exec race. Boost returns only after the exec, by
        // which time the child has joined its group itself, so this mostly fails with EACCES.
        bp::extend::on_success = [](auto& exec) { ::setpgid(exec.pid, exec.pid); },
        bp::extend::on_error =
            [&](auto& exec, const std::error_code&) {
              if (exec.pid > 0) {
                failed_child = exec.pid;
              }
            },
        ec);
    if (!ec && child.valid()) {
      child.detach();  // we reap it ourselves; boost::process::child would reap or kill it
      result.pid = child.id();
    }
  } catch (const std::exception& e) {
    if (!ec) {
      ec = std::error_code(EINVAL, std::system_category());
    }
    result = failure(req.name, e.what());
  }
  close_fd(out_pipe[1]);
  close_fd(err_pipe[1]);
  close_fd(null_fd);
  close_fd(in_pipe[0]);
  if (result.pid > 0) {
    result.out_fd = out_pipe[0];
    result.err_fd = err_pipe[0];
    // Writes wait with poll() and a deadline: an adapter that stops reading must not hang us.
    if (in_pipe[1] >= 0) ::fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
    result.in_fd = in_pipe[1];
    return result;
  }
  close_fd(in_pipe[1]);
  close_fd(out_pipe[0]);
  close_fd(err_pipe[0]);
  // The forked child reported its exec failure and exited; reap it so no zombie is left.
  if (failed_child > 0) {
    ::waitpid(failed_child, nullptr, 0);
  }
  if (!result.error.empty()) {
    return result;
  }
  return failure(req.name, ec ? error_text(ec.value()) : "unknown error");
}

}  // namespace

std::string error_text(int err) {
  char buf[256];
  return ::strerror_r(err, buf, sizeof buf);  // GNU variant: returns the text
}

std::string resolve_program(const std::string& file, const std::string& path_var, int* err) {
  if (file.find('/') != std::string::npos) {
    return file;
  }
  int found = ENOENT;
  std::size_t start = 0;
  for (;;) {
    std::size_t end = path_var.find(':', start);
    std::string dir = path_var.substr(start, end == std::string::npos ? end : end - start);
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + file;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (::access(candidate.c_str(), X_OK) == 0) {
        return candidate;
      }
      found = EACCES;
    }
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  if (err != nullptr) {
    *err = found;
  }
  return {};
}

std::thread start_quiet_thread(std::function<void()> body) {
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  // Faults raised by the thread's own code must still be delivered normally.
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT}) {
    sigdelset(&all, sig);
  }
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  try {
    std::thread t(std::move(body));
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return t;
  } catch (...) {
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    throw;
  }
}

Spawned spawn(const SpawnRequest& in) {
  SpawnRequest req = in;
  if (req.name.empty()) {
    req.name = req.argv.empty() ? std::string("(no program)") : req.argv[0];
  }
  if (req.argv.empty() || req.argv[0].empty()) {
    return failure(req.name, "empty argv");
  }

  int err = 0;
  std::string exe = resolve_program(req.argv[0], search_path_of(req), &err);
  if (exe.empty()) {
    return failure(req.name, error_text(err));
  }
  if (!req.cwd.empty()) {
    struct stat st {};
    if (::stat(req.cwd.c_str(), &st) != 0) {
      return failure(req.name, "working directory " + req.cwd + ": " + error_text(errno));
    }
    if (!S_ISDIR(st.st_mode)) {
      return failure(req.name, "working directory " + req.cwd + ": " + error_text(ENOTDIR));
    }
  }

  Spawned result;
  Launcher::instance().run([&] { result = spawn_here(req, exe); });
  return result;
}

}  // namespace rig::process::detail
