// Helpers shared by the link tests (test_link_pty.cpp, test_link_tcp.cpp).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rig/link/link.h"

namespace rig::link {

// Reads until `count` bytes arrived or a read fails; the failing status is returned with what
// arrived so far. `at` is the time stamp of the last chunk.
inline Chunk read_exactly(Link& link, std::size_t count, Deadline deadline) {
  Chunk all;
  while (all.bytes.size() < count) {
    Chunk part = link.read(deadline, count - all.bytes.size());
    if (!part.status) {
      all.status = part.status;
      return all;
    }
    all.bytes += part.bytes;
    all.at = part.at;
  }
  return all;
}

// The 256 byte values, 0 to 255 in order.
inline std::string every_byte_value() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  return bytes;
}

// Runs `call` on another thread and returns once that thread is about to make it, so that what
// the test does next (abort, close, wake) meets a call that is blocked or about to block.
template <typename Call>
auto start_in_thread(Call call) {
  // Shared with the thread: it may still be inside set_value() when this function returns.
  auto started = std::make_shared<std::promise<void>>();
  std::future<void> began = started->get_future();
  auto result = std::async(std::launch::async, [started, call] {
    started->set_value();
    return call();
  });
  began.wait();
  return result;
}

// Collects what a link layer reports to its observer (EcrFrameEvent, ZvtWireEvent: anything with
// `direction` and `kind`); tests wait on it instead of sleeping.
template <typename Event>
class WireRecorder {
 public:
  using Direction = decltype(Event::direction);
  using Kind = decltype(Event::kind);

  std::function<void(const Event&)> observer() {
    return [this](const Event& e) {
      {
        std::lock_guard<std::mutex> lk(mu_);
        events_.push_back(e);
      }
      cv_.notify_all();
    };
  }
  std::vector<Event> events() {
    std::lock_guard<std::mutex> lk(mu_);
    return events_;
  }
  std::vector<Event> of(Direction d, Kind k) {
    std::vector<Event> out;
    for (const auto& e : events()) {
      if (e.direction == d && e.kind == k) out.push_back(e);
    }
    return out;
  }
  // Waits until `n` events of this direction and kind have been seen.
  bool wait_for(Direction d, Kind k, std::size_t n,
                Clock::duration within = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lk(mu_);
    return cv_.wait_until(lk, after(within), [&] {
      std::size_t c = 0;
      for (const auto& e : events_) c += e.direction == d && e.kind == k;
      return c >= n;
    });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> events_;
};

}  // namespace rig::link
