// How expectation kinds judge: one way to wait for something on the timeline, to count it, to
// compare fields and texts, and to say what was seen. Every check kind (rig/checks) uses these,
// so that all checks wait, count and word their failures alike.
//
// Where the next checks plug in (issue 9):
//   - `count: {min, max}` bounds: Occurrences (the one reader of count/absent);
//   - case-insensitive pattern text checks: text_matches (the one text comparison);
//   - `within:` expressions such as `${profile.host_timeout} + 10s`: CheckContext::within.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rig/engine/context.h"
#include "rig/engine/timeline.h"
#include "rig/scenario/scenario.h"

namespace rig::engine {

// "" when what is looked for holds in `entries`, else what was seen instead.
using Eval = std::function<std::string(const std::vector<Entry>& entries)>;

// Judges `step`: for something that must happen (`positive`), passes as soon as `eval` holds,
// up to the step's within; absences and counts are judged when the window ends. Returns "" or
//   "FILE:LINE:COL: expected WHAT within Nms; SEEN"
// ("…: interrupted while waiting for WHAT" after Ctrl-C).
std::string judge(CheckContext& ctx, const scenario::Step& step, const std::string& what,
                  const Eval& eval, bool positive);

// How many of something a check wants, from its `absent` and `count` arguments.
struct Occurrences {
  bool absent = false;       // none until the deadline
  std::optional<int> count;  // exactly this many at the deadline
  // Neither: at least one, as soon as it is there.

  static Occurrences of(const nlohmann::json& args);
  bool holds(int n) const;
  // Only the end of the window can tell (absent, count).
  bool at_deadline() const { return absent || count.has_value(); }
  // "no WHAT", "3 × WHAT" or "WHAT".
  std::string describe(const std::string& what) const;
};

// An entry the check counts: `i` indexes `entries` (a match may look at earlier entries).
using Matches = std::function<bool(const std::vector<Entry>& entries, std::size_t i)>;

// Counts the entries from `from` that match and judges the count by the step's Occurrences;
// the failure lists the `shown` entries ("saw …"; absences and counts: "counted 2; saw …").
std::string judge_occurrences(CheckContext& ctx, const scenario::Step& step,
                              const std::string& what, std::size_t from, const Matches& matches,
                              const std::function<bool(const Entry&)>& shown);

// Whether a field holds the value a scenario wants: compared as text ("1" and 1 agree).
bool field_matches(const nlohmann::json& want, const nlohmann::json& have);
// Whether a text the terminal produced (display, receipt, result text) matches what a scenario
// wrote: `want` is contained in `have`, exactly as written.
bool text_matches(const std::string& have, const std::string& want);

// "k=v k2=v2" for messages.
std::string fields_text(const nlohmann::json& fields);
// One entry for a failure message ("RESULT id=… status=APPROVED", "0210 to_terminal").
std::string describe_entry(const Entry& e);
// The `relevant` entries from `from`, the last six, for a failure message: "saw A; B" or
// "saw none".
std::string seen_list(const std::vector<Entry>& entries, std::size_t from,
                      const std::function<bool(const Entry&)>& relevant);

}  // namespace rig::engine
