// Background threads of a session part (fault triggers, the cardholder): started while the
// scenario runs, stopped together when it ends. A watcher that fails leaves its error for the
// session, which turns it into an infrastructure error at the next step.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rig/engine/timeline.h"

namespace rig::engine {

class Watchers {
 public:
  explicit Watchers(Timeline& timeline) : tl_(timeline) {}
  ~Watchers() { stop(); }
  Watchers(const Watchers&) = delete;
  Watchers& operator=(const Watchers&) = delete;

  void spawn(std::function<void()> body) { threads_.emplace_back(std::move(body)); }
  // Stops every watcher: wakes their timeline waits for good (Timeline::interrupt) and joins
  // them. The session resumes the timeline afterwards.
  void stop() {
    stopping_ = true;
    if (threads_.empty()) return;
    tl_.interrupt();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  // Stopped, or the timeline interrupted (Ctrl-C, an engine stop, another part stopping): a
  // watcher that wakes then must not act any more.
  bool stopping() const { return stopping_ || tl_.interrupted(); }
  // Waits `d` unless stopped first.
  void sleep_for(std::chrono::milliseconds d) const {
    tl_.wait_until([](const std::vector<Entry>&) { return false; }, Clock::now() + d);
  }

  void fail(std::string why) {
    std::lock_guard<std::mutex> lock(mu_);
    errors_.push_back(std::move(why));
  }
  // The first error of a watcher, "" when none.
  std::string trouble() const {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_.empty() ? std::string() : errors_.front();
  }

 private:
  Timeline& tl_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::vector<std::string> errors_;
};

}  // namespace rig::engine
