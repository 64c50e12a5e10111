// The signal thread of the commands that drive a bench (`rig run`, `rig explore`).
#pragma once

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>

#include "rig/cli/commands.h"
#include "rig/engine/run_folder.h"
#include "rig/process/supervisor.h"

namespace rig::cli {

// SIGINT/SIGTERM are blocked in every thread (set up in main) and taken here by sigwait, so
// that the controller reverts faults and writes its report instead of dying mid-scenario.
class SignalWatcher {
 public:
  explicit SignalWatcher(std::function<void(int)> on_signal) : on_signal_(std::move(on_signal)) {
    thread_ = std::thread([this] {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGINT);
      sigaddset(&set, SIGTERM);
      sigaddset(&set, SIGUSR1);  // our own wake-up at exit
      int count = 0;
      for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (sig == SIGUSR1 && done_) return;
        if (sig == SIGUSR1) continue;
        got_ = sig;
        if (++count >= 2) {
          // A second Ctrl-C: the operator wants out now.
          std::fprintf(stderr, "\nrig: second interrupt, stopping at once\n");
          process::stop_all_children(std::chrono::milliseconds(500));
          engine::RunFolder::remove_all_now();  // its locks too: nothing left for the next run
          std::_Exit(kInterrupted);
        }
        std::fprintf(stderr, "\nrig: interrupted; putting the bench back and writing the report "
                             "(Ctrl-C again to stop at once)\n");
        on_signal_(sig);
      }
    });
  }
  ~SignalWatcher() {
    done_ = true;
    ::pthread_kill(thread_.native_handle(), SIGUSR1);
    thread_.join();
  }
  int signal() const { return got_; }

 private:
  std::function<void(int)> on_signal_;
  std::atomic<bool> done_{false};
  std::atomic<int> got_{0};
  std::thread thread_;
};

}  // namespace rig::cli
