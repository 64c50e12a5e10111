// The scenario model: what rig/scenario's loader produces from a scenario file and what the
// engine (rig/engine) runs. The file format is docs/scenarios.md; names and parameters come
// from the catalogue (rig/scenario/catalogue.h).
//
// Every step keeps where it stands in its file, so that a failed check can say
// "scenarios/reversal/after-approval.yaml:14:5: expected event REVERSAL_ACKED …".
// Step arguments are kept as JSON after the loader has checked them against the catalogue:
// names known, types right, amounts "100.00", durations already converted to milliseconds
// (keys ending in `_ms`). The engine can therefore read them without checking again.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace rig::scenario {

using Duration = std::chrono::milliseconds;

struct SourceLoc {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
  // "file:line:col"
  std::string to_string() const;
};

// When an armed fault fires (`when:` of a fault step).
struct Trigger {
  enum class Kind {
    now,             // at once (no `when:`)
    host_message,    // an ISO 8583 message with this MTI passes the proxy
    wallet_message,  // a wallet HTTP request/response for this path passes the proxy
    event,           // the terminal reports EVENT name
    prompt,          // the terminal shows PROMPT kind
    after,           // `delay` after the step
  };
  Kind kind = Kind::now;
  std::string value;               // MTI, wallet path, event name or prompt kind
  std::string direction = "both";  // to_host | to_terminal | both (messages only)
  int occurrence = 1;              // fire on the Nth match
  Duration delay{0};               // Kind::after: the delay
};

const char* to_string(Trigger::Kind kind);

struct Step {
  SourceLoc loc;
  // The step's key: sale, refund, query, last, reprint, cancel, status, reset, fault, clear,
  // card, scan, scanner, keys, paper, power, wait, expect.
  std::string name;
  // Checked arguments (see the file comment). For `fault`: {"fault": "network.down", params…};
  // `clear`: {"fault": NAME or "all"}; `wait`: {"duration_ms": N}.
  nlohmann::json args = nlohmann::json::object();

  // fault steps only
  Trigger when;
  std::optional<Duration> hold;  // `for:` — clear this long after the fault fired

  // expect steps only
  std::string expect;  // result, event, prompt, display, receipt, host_message,
                       // wallet_message, ledger, state, no_message …
  Duration within{0};  // deadline, before time_scale; 0 = the catalogue's default
                       // (the loader always fills it in)
  // `within` written with profile references (`${profile.host_timeout} + 10s`): resolved per
  // station before the step runs (rig/scenario/profile_ref.h); `within` holds the default until
  // then.
  std::string within_expr;
  // How texts are compared (display, receipt contains, result text): "pattern" (default: a
  // case-insensitive regular expression searched in the text), "case" (the same, case-sensitive)
  // or "literal" (the text contained exactly as written).
  std::string match = "pattern";
  // Where the check starts looking: "transaction" (the start of the last sale, refund, query,
  // last or reprint step before it; the scenario's start when there is none) or "scenario".
  std::string since = "transaction";
};

// What one step asks of a station's fixtures (rig/fault/driver.h serves it): a fixture action
// ("card.swipe", "scanner.present"), a catalogue fault ("network.down") or an observation a
// check reads ("network.observe", "acquirer.ledger"). Declared by the step and expectation kinds
// (rig/scenario/registry.h fixture_needs), performed by the engine from the same declaration.
struct FixtureNeed {
  std::string action;
  nlohmann::json params = nlohmann::json::object();  // the step's arguments for it
  // A message trigger (host_message, wallet_message) the fixture must watch itself; other
  // triggers are watched by the engine.
  Trigger::Kind trigger = Trigger::Kind::now;
  SourceLoc loc;     // the step
  std::string step;  // the step's name ("card", "sale", "expect ledger")
  // card.remove only: the card action of an earlier step that put the card in ("card.tap"),
  // "" when none did. Filled by rig/engine/plan.h scenario_needs(): the drivers configured per
  // action take the card out with the `clear` of that action.
  std::string inserted_by;
};

// The fault family of an action, fault or observation: "network.down" -> "network",
// "host.decline"/"wallet.userpaying" -> "acquirer", "keypad.press" -> "keypad".
std::string family_of(const std::string& action);

struct Scenario {
  std::string file;  // as given to the loader
  std::string name;
  std::string family;
  std::vector<std::string> tags;
  std::string description;
  std::optional<Duration> timeout;  // whole scenario, before time_scale
  std::vector<Step> steps;
  SourceLoc loc;  // of the document

  // "family/file-stem": stable id used in reports, -k and sharding.
  std::string id() const;
  bool has_tag(const std::string& tag) const;
};

}  // namespace rig::scenario
