// How expectation kinds judge: one way to wait for something on the timeline, to count it, to
// compare fields and texts, and to say what was seen. Every check kind (rig/checks) uses these,
// so that all checks wait, count and word their failures alike.
//
// Profile values (`count: ${profile.wallet_queries}`, `within: ${profile.host_timeout} + 10s`,
// `${wording.NAME}` in texts) are resolved before a check runs (rig/scenario/profile_ref.h):
// the kinds see numbers, milliseconds and patterns.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rig/engine/context.h"
#include "rig/engine/provenance.h"
#include "rig/engine/timeline.h"
#include "rig/scenario/scenario.h"

namespace rig::engine {

// "" when what is looked for holds in `entries`, else what was seen instead.
using Eval = std::function<std::string(const std::vector<Entry>& entries)>;

// Judges `step`: for something that must happen (`positive`), passes as soon as `eval` holds,
// up to the step's within; absences and counts are judged when the window ends (a count's lower
// bound, in judge_occurrences, is waited for as long as a positive check). Returns "" or
//   "FILE:LINE:COL: expected WHAT within Nms; SEEN"
// ("…: interrupted while waiting for WHAT" after Ctrl-C).
std::string judge(CheckContext& ctx, const scenario::Step& step, const std::string& what,
                  const Eval& eval, bool positive);

// How many of something a check wants, from its `absent` and `count` arguments (`count: N`,
// `count: {min: A, max: B}`, either bound alone; resolved against the profile already).
struct Occurrences {
  bool absent = false;     // none until the deadline
  std::optional<int> min;  // at least this many
  std::optional<int> max;  // at most this many
  // None of them: at least one, as soon as it is there.

  static Occurrences of(const nlohmann::json& args);
  bool holds(int n) const;
  // Only the end of the window can tell (absent, an upper bound); a lower bound alone holds as
  // soon as it is reached.
  bool at_deadline() const { return absent || max.has_value(); }
  // Anything but "at least one": the matches are counted.
  bool counting() const { return absent || min.has_value() || max.has_value(); }
  // "no WHAT", "3 × WHAT", "2 to 5 × WHAT", "at least 2 × WHAT", "at most 5 × WHAT" or "WHAT".
  std::string describe(const std::string& what) const;
};

// An entry the check counts: `i` indexes `entries` (a match may look at earlier entries).
using Matches = std::function<bool(const std::vector<Entry>& entries, std::size_t i)>;

// Counts the entries from `from` that match and judges the count by the step's Occurrences
// (entries about an earlier scenario's transaction are not counted: rig/engine/provenance.h);
// the failure lists the `shown` entries ("saw …"; absences and counts: "counted 2; saw …").
std::string judge_occurrences(CheckContext& ctx, const scenario::Step& step,
                              const std::string& what, std::size_t from, const Matches& matches,
                              const std::function<bool(const Entry&)>& shown);

// Whether a field holds the value a scenario wants: compared as text ("1" and 1 agree).
bool field_matches(const nlohmann::json& want, const nlohmann::json& have);
// Whether a text the terminal produced (display, receipt, result text) matches what a scenario
// wrote, as the step's `match` says (scenario::Step::match): "pattern" (default) searches `want`
// as a case-insensitive regular expression in `have`, "case" the same case-sensitively,
// "literal" looks for `want` exactly as written. A pattern that does not compile (the loader
// checks them) matches nothing.
bool text_matches(const std::string& have, const std::string& want,
                  const std::string& match = "pattern");

// "k=v k2=v2" for messages.
std::string fields_text(const nlohmann::json& fields);
// One entry for a failure message ("RESULT id=… status=APPROVED", "0210 to_terminal").
std::string describe_entry(const Entry& e);
// The `relevant` entries from `from`, the last six, for a failure message: "saw A; B" or
// "saw none".
std::string seen_list(const std::vector<Entry>& entries, std::size_t from,
                      const std::function<bool(const Entry&)>& relevant);

}  // namespace rig::engine
