// One station's timeline: everything that happened, in order, with monotonic timestamps —
// ECR frames, terminal messages (results, events, prompts, display, receipts), host and wallet
// messages seen by the proxy, faults applied and cleared, fixture commands, steps.
//
// Writers (reader threads of links, the proxy's thread, the engine) append; the engine waits
// for entries that satisfy an expectation with wait_until(), which wakes on every append and
// on interrupt() — there is no polling.
//
// Bounded: a terminal or peer that floods (stray ACKs, random bytes, frame after frame) must
// not grow the rig without limit (docs/reliability.md). Entries are capped per label — the
// entry kind, and for ECR wire records also what they were ("ecr_in ack", "ecr_in noise",
// "ecr_in frame", "display", "result", "step", …): at most TimelineLimits::entries entries and
// about TimelineLimits::bytes bytes of fields each, so that a flood of one kind never crowds
// out another (a RESULT after a DISPLAY flood is still kept). Beyond its cap an entry is not
// kept: it is counted under its label, and the first one dropped of each label leaves a `note`
// entry in its place whose fields say how many were dropped, how many bytes, and when the
// first and the last came: {"text": "timeline cap: 1,204,311 noise bytes in 38,112 ecr_in
// noise entries not kept, first at +2004.1 ms, last at +9000.2 ms", "dropped": {…}}.
// Dropped entries wake no waiter and reach no observer.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace rig::engine {

using Clock = std::chrono::steady_clock;

enum class EntryKind {
  step,            // a scenario step started (fields: step, line)
  ecr_out,         // frame/control byte sent to the terminal (fields: name, payload, attempt)
  ecr_in,          // frame/control byte received from the terminal
  result,          // RESULT from the terminal (fields: every RESULT field)
  event,           // EVENT (fields: name, …)
  prompt,          // PROMPT (fields: kind, …)
  display,         // DISPLAY (fields: text)
  receipt,         // RECEIPT (fields: id, copy, text)
  status,          // STATUS reply (fields: state, paper, pending_reversals, …)
  host_message,    // ISO 8583 message through the proxy (fields: mti, direction, fields{})
  wallet_message,  // wallet HTTP message through the proxy (fields: direction, path/status, body)
  fault_applied,   // (fields: fault, id, params)
  fault_cleared,   // (fields: fault, id, reason)
  fixture,         // fixture command and its reply (fields: command, args, reply)
  note,            // anything else worth keeping (fields: text)
  infra,           // infrastructure trouble (fields: text)
};

const char* to_string(EntryKind kind);

// "1,204,311": counts in texts people read.
std::string thousands(std::uint64_t n);

// Caps of one timeline, per label (docs/reliability.md has the figures).
struct TimelineLimits {
  std::size_t entries = 1000;      // entries kept per label
  std::size_t bytes = 256u << 10;  // about this many bytes of fields kept per label
};

// What a timeline did not keep, per label.
struct Dropped {
  std::string label;  // "ecr_in noise", "ecr_in ack", "display", …
  std::uint64_t entries = 0;
  std::uint64_t bytes = 0;  // noise: bytes on the wire; others: size of the fields
  Clock::time_point first{}, last{};
};

struct Entry {
  std::size_t index = 0;   // position in the timeline, from 0
  Clock::time_point at{};  // monotonic time it happened
  EntryKind kind = EntryKind::note;
  nlohmann::json fields = nlohmann::json::object();
};

class Timeline {
 public:
  explicit Timeline(TimelineLimits limits = {});

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

  // What was not kept, by label, in the order the labels first overflowed.
  std::vector<Dropped> dropped() const;
  const TimelineLimits& limits() const { return limits_; }

 private:
  // Fields of the note that stands for what `d` counts.
  nlohmann::json dropped_fields(const Dropped& d) const;

  TimelineLimits limits_;
  Clock::time_point start_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<Entry> entries_;
  struct Kept {
    std::size_t entries = 0, bytes = 0;
  };
  std::map<std::string, Kept> kept_;  // by label
  std::vector<Dropped> dropped_;
  std::vector<std::size_t> dropped_note_;  // index of the note standing for dropped_[i]
  bool interrupted_ = false;
  std::vector<std::function<void(const Entry&)>> observers_;
};

}  // namespace rig::engine
