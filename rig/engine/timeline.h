// One station's timeline: everything that happened, in order, with monotonic timestamps —
// ECR frames, terminal messages (results, events, prompts, display, receipts), host and wallet
// messages seen by the proxy, faults applied and cleared, fixture commands, steps.
//
// Writers (reader threads of links, the proxy's thread, the engine) append; the engine waits
// for entries that satisfy an expectation with wait_until(), which wakes on every append and
// on interrupt() — there is no polling.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace rig::engine {

using Clock = std::chrono::steady_clock;

enum class EntryKind {
  step,           // a scenario step started (fields: step, line)
  ecr_out,        // frame/control byte sent to the terminal (fields: name, payload, attempt)
  ecr_in,         // frame/control byte received from the terminal
  result,         // RESULT from the terminal (fields: every RESULT field)
  event,          // EVENT (fields: name, …)
  prompt,         // PROMPT (fields: kind, …)
  display,        // DISPLAY (fields: text)
  receipt,        // RECEIPT (fields: id, copy, text)
  status,         // STATUS reply (fields: state, paper, pending_reversals, …)
  host_message,   // ISO 8583 message through the proxy (fields: mti, direction, fields{})
  wallet_message, // wallet HTTP message through the proxy (fields: direction, path/status, body)
  fault_applied,  // (fields: fault, id, params)
  fault_cleared,  // (fields: fault, id, reason)
  fixture,        // fixture command and its reply (fields: command, args, reply)
  note,           // anything else worth keeping (fields: text)
  infra,          // infrastructure trouble (fields: text)
};

const char* to_string(EntryKind kind);

struct Entry {
  std::size_t index = 0;   // position in the timeline, from 0
  Clock::time_point at{};  // monotonic time it happened
  EntryKind kind = EntryKind::note;
  nlohmann::json fields = nlohmann::json::object();
};

class Timeline {
 public:
  Timeline();

  // Appends an entry stamped now (or at `at`, e.g. a chunk's read time) and wakes waiters.
  std::size_t add(EntryKind kind, nlohmann::json fields);
  std::size_t add_at(Clock::time_point at, EntryKind kind, nlohmann::json fields);

  std::size_t size() const;
  std::vector<Entry> snapshot(std::size_t from = 0) const;
  Clock::time_point start() const { return start_; }

  // Waits until `ready(entries)` returns true, re-evaluating after each append, or until the
  // deadline or interrupt(). `ready` runs under the lock with every entry so far: keep it
  // cheap. Returns true when `ready` said so.
  bool wait_until(const std::function<bool(const std::vector<Entry>&)>& ready,
                  Clock::time_point deadline) const;

  // Wakes every waiter for good: later waits return false at once (Ctrl-C, engine stop).
  void interrupt();
  // Lets waits block again after interrupt() (once every waiter that had to stop has stopped).
  void resume();
  bool interrupted() const;

  // Observers see each entry after it is added (used for live logs); called outside the lock.
  void observe(std::function<void(const Entry&)> observer);

  // Entries as JSON (for results.json), times in ms since the timeline's start.
  nlohmann::json to_json(std::size_t from = 0) const;

 private:
  Clock::time_point start_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<Entry> entries_;
  bool interrupted_ = false;
  std::vector<std::function<void(const Entry&)>> observers_;
};

}  // namespace rig::engine
