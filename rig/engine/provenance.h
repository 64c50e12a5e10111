// Which entries of a scenario's timeline are about a transaction of an earlier scenario on the
// same station (issue 9, isolation). A terminal that still holds a reversal when a scenario ends
// — on a station without a power fixture the recovery cannot make it send it — sends it before
// the next online transaction, in the next scenario: its 0400/0401, the host's 0410 and the
// terminal's REVERSAL_SENT/ACKED/FAILED events land on that scenario's timeline. They stay there
// (the transcript shows them), marked `"earlier_scenario": true`, and no check or trigger counts
// them (rig/engine/judge.h judge_occurrences, the event check, event triggers).
//
// What names a transaction: the STAN of a financial request the proxy saw go to the host (field
// 11 of a 0100/0200/0220), a RESULT's `stan` and `id`, a REVERSAL_STORED event's `stan` and
// `id`. A reversal message (MTI 04xx: field 11 is its original's STAN, rule 2) or a reversal
// event (`stan`, `id`) is of an earlier scenario when what it names was seen in an earlier
// scenario, nothing it names was seen in this one, and no earlier scenario saw that reversal
// settled (a 0410, REVERSAL_ACKED or REVERSAL_FAILED) — so a reversal of this scenario's own
// transaction, one whose STAN names nothing seen before, or one sent again after it was
// settled (defects) is always counted.
#pragma once

#include <nlohmann/json.hpp>

#include <mutex>
#include <set>
#include <string>

#include "rig/engine/timeline.h"

namespace rig::engine {

// The field that marks an entry about an earlier scenario's transaction.
inline constexpr const char* kEarlierScenario = "earlier_scenario";

// True when `e` is marked as being about a transaction of an earlier scenario.
bool of_earlier_scenario(const Entry& e);

class Provenance {
 public:
  // A new scenario begins on the station: what the previous one saw becomes earlier.
  void next_scenario();
  // Notes what an entry about to be added tells of this scenario's transactions, and marks it
  // (fields[kEarlierScenario] = true) when it is about an earlier scenario's transaction only.
  // Thread-safe: the proxy's and the terminal link's threads call it.
  void mark(EntryKind kind, nlohmann::json& fields);

 private:
  std::mutex mu_;
  std::set<std::string> earlier_;   // "stan:000123", "id:T7_ab12": seen in earlier scenarios
  std::set<std::string> current_;   // seen in this one
  std::set<std::string> settled_;   // whose reversal was settled in an earlier scenario
  std::set<std::string> settling_;  // … in this one
};

}  // namespace rig::engine
