// The scenario catalogue: every step, expectation kind, trigger and fault a scenario file may
// use, with their parameters, defaults and a one-line doc each, and the closed name lists
// (prompt kinds, result statuses, entry modes, card damages, keys). Steps and expectations are
// declared by their kinds (rig/scenario/registry.h: one class each, registered once); faults by
// this file (the fixtures' faults) and by the terminal drivers (their `ecr` faults). The loader
// checks files against it, the Python module lists it (posrig.steps(), …), and
// docs/scenarios.md describes the same names (a unit test keeps them in step).
//
// Every time in a scenario (durations, and fault parameters in ms or seconds) is scenario time:
// the engine multiplies it by the bench's time_scale.
//
// What the loader stores in Step::args, per step (keys absent when not written, unless a
// default is named here; amounts are normalised "100.00" strings; times are whole
// milliseconds):
//   sale      {amount, method, card?, code?, currency (default "${profile.currency}"), id?}
//   refund    {amount, of?}               query {id?}
//   last, reprint, cancel, status, reset, login, unlock  {}
//   fault     {fault: NAME, PARAM: value…} (defaults filled in; `when` -> Step::when,
//             `for` -> Step::hold)
//   clear     {fault: NAME | "all"}
//   card      {action: insert|swipe|tap, card, damage (default "none"), failures?, times (1)}
//             or {action: remove}
//   scan      {code, dirt?, blur?, seed?, times (1)}  scanner {action: clean}
//   keys      {keys: ["1", …, "ENTER"], times?}        paper {state: ok|low|out}
//   power     {action: cut|restore}        wait {duration_ms}
//   expect    the kind's parameters (Step::expect = kind, Step::within, Step::since):
//             mapping kinds (result, receipt, host_message, wallet_message, ledger, state)
//             store their mapping; scalar kinds store the value under `name` (event), `kind`
//             (prompt, ecr) or `text` (display), next to their modifiers. host_message and
//             wallet_message always carry the resolved `direction`.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rig/scenario/scenario.h"
#include "rig/terminal/model.h"

namespace rig::scenario {

// How a parameter's YAML value is checked and stored.
enum class ValueType {
  text,             // any scalar, stored as a string
  amount,           // "100.00": two fraction digits; stored normalised
  signed_amount,    // an amount that may start with '-' (ledger net)
  integer,          // whole number within [min, max]
  number,           // number within [min, max]
  boolean,          // true | false
  choice,           // one of Param::choices
  card,             // a card profile name (checked when the loader is given the card names)
  event,            // an event name: capital letters, digits and '_' (REVERSAL_ACKED)
  event_or_result,  // an event name or `result` (before:/after: of an event expectation)
  mti,              // ISO 8583 message type: 4 digits ("0210")
  response_code,    // ISO 8583 field 39: 2 digits or capital letters ("05")
  currency,         // ISO 4217 numeric: 3 digits ("156")
  transaction_id,   // 1-32 printable characters, as on the ECR link
  iso_fields,       // mapping of ISO 8583 field number (2-128) to its text: {39: "98"}
  duration,         // "500ms", "2s", "1.5s", "1m"; stored as whole milliseconds
  count,            // how many: a whole number N (exactly N) or {min?, max?} (bounds, at least
                    // one); stored as N or {"min": A, "max": B}
  pattern,          // a text pattern (Step::match): a regular expression, checked at load time
};
// Integers, numbers, durations and counts may also be written as expressions over the station's
// profile (`${profile.wallet_queries}`, `${profile.host_timeout} + 10s`), and texts and patterns
// may hold `${profile.NAME}` and `${wording.NAME}`: rig/scenario/profile_ref.h. They are stored
// unresolved and resolved per station before the step runs.

struct Param {
  std::string name;
  ValueType type = ValueType::text;
  bool required = false;
  std::string doc;                   // one line, for people
  std::vector<std::string> choices;  // ValueType::choice
  double min = 0;                    // integer, number: lower bound
  bool min_excluded = false;         // number: min itself is not allowed (a probability)
  std::optional<double> max;         // integer, number: inclusive upper bound; none = unbounded
  nlohmann::json fallback;           // stored when the parameter is not written; null = none
};

// Largest seed of random draws (32 bits).
inline constexpr double kMaxSeed = 4294967295.0;

// Builds a Param in one expression, as the kinds' tables do:
//   MakeParam("ms", ValueType::integer, "added delay in ms").required().range(0)
class MakeParam {
 public:
  MakeParam(std::string name, ValueType type, std::string doc) {
    p_.name = std::move(name);
    p_.type = type;
    p_.doc = std::move(doc);
  }
  MakeParam& required() {
    p_.required = true;
    return *this;
  }
  MakeParam& choices(std::vector<std::string> names) {
    p_.type = ValueType::choice;
    p_.choices = std::move(names);
    return *this;
  }
  MakeParam& range(double lo, std::optional<double> hi = std::nullopt) {
    p_.min = lo;
    p_.max = hi;
    return *this;
  }
  // (lo, hi]: a chance that must be above zero.
  MakeParam& above(double lo, double hi) {
    p_.min = lo;
    p_.min_excluded = true;
    p_.max = hi;
    return *this;
  }
  MakeParam& fallback(nlohmann::json value) {
    p_.fallback = std::move(value);
    return *this;
  }
  operator Param() const { return p_; }  // NOLINT(google-explicit-constructor): table syntax

 private:
  Param p_;
};

struct StepInfo {
  std::string name;
  // The bench fault family the step drives (card, scanner, keypad, printer, power), or "" for
  // steps that go to the terminal over its ECR link or are handled by the rig itself.
  std::string family;
  bool transaction = false;  // starts a transaction (the default `since:` of expectations)
  bool bare = false;         // may be written as a plain name (`- last`) or with {}
  std::string form;          // how it is written: "sale: {amount, method, card?, …}"
  std::string doc;
  std::vector<Param> params;  // keys of the step's mapping, when it takes one
  bool check = false;         // checks something (expect): a scenario needs at least one
};

struct ExpectInfo {
  std::string name;
  std::string doc;
  Duration default_within{5000};  // before time_scale
  // Scalar kinds (event, prompt, display): the value, stored under value->name, with `params`
  // written as siblings in the expect mapping. Mapping kinds: nullopt, `params` are the keys of
  // the kind's mapping.
  std::optional<Param> value;
  std::vector<Param> params;
  bool needs_a_param = false;  // ledger, state: at least one of `params`
};

struct FaultInfo {
  std::string name;  // "network.latency"
  // The bench fault family that applies it: network, scanner, printer, power, acquirer; or
  // "ecr" for the faults the rig-ecr terminal driver makes on its own link (no bench entry).
  std::string family;
  std::string doc;
  std::vector<Param> params;
  // When not empty: exactly one of these parameters must be written.
  std::vector<std::string> one_of;
};

// A name with a one-line doc (prompt kinds, statuses, events, …).
struct NamedDoc {
  std::string name;
  std::string doc;
};

// Step keys, in the order docs list them: sale, refund, query, last, reprint, cancel, status,
// reset, login, unlock, fault, clear, card, scan, scanner, keys, paper, power, wait, expect.
// Read from the registered kinds (rig/scenario/registry.h).
const std::vector<StepInfo>& steps();
// result, event, prompt, display, receipt, ecr, host_message, wallet_message, ledger, state.
const std::vector<ExpectInfo>& expectations();
const std::vector<FaultInfo>& faults();
// `when:` keys: host_message, wallet_message, event, prompt, after.
const std::vector<NamedDoc>& trigger_kinds();
// Keys every expect mapping may add: within, since, match.
const std::vector<Param>& expect_modifiers();

// Closed lists: a name not listed is a load error.
const std::vector<NamedDoc>& prompt_kinds();     // PIN, RESCAN, INSERT_CHIP, …
const std::vector<NamedDoc>& result_statuses();  // APPROVED DECLINED FAILED UNKNOWN CANCELLED
const std::vector<NamedDoc>& entry_modes();      // chip swipe fallback qr manual
const std::vector<NamedDoc>& card_damages();     // none chip_mute chip_error …
const std::vector<NamedDoc>& key_names();        // "0"-"9" ENTER CANCEL CLEAR
const std::vector<NamedDoc>& wallet_paths();     // /micropay /orderquery /reverse
// Open lists, for docs: any event name is accepted, any lower-case family name too.
const std::vector<NamedDoc>& known_events();
const std::vector<NamedDoc>& scenario_families();  // the nine folders of scenarios/

// Where a scenario value stands for a figure DOMAIN.md leaves to the terminal (its profile's,
// docs/profiles.md): the library writes these as `${profile.NAME}`, never as one terminal's
// number (tests/unit/test_library.cpp enforces it).
struct FigureUse {
  std::string step;    // "expect" or "fault"
  std::string kind;    // the expectation kind, or the fault's name
  std::string key;     // the argument that selects it ("name", "path", …); "" for a fault
  std::string value;   // its value ("CHIP_READ_FAILED", "/orderquery", …)
  std::string param;   // the argument that holds the figure ("count", "tries_left")
  std::string figure;  // the profile figure
};
const std::vector<FigureUse>& figure_uses();
// A literal `within` at or above this waits on a timer the terminal configures (the host
// response timeout is 20 s to 90 s): the library writes it from `${profile.host_timeout}`.
inline constexpr Duration kConfigurableWait{20000};

const StepInfo* find_step(const std::string& name);
const ExpectInfo* find_expectation(const std::string& name);
const FaultInfo* find_fault(const std::string& name);

std::vector<std::string> names_of(const std::vector<StepInfo>& list);
std::vector<std::string> names_of(const std::vector<ExpectInfo>& list);
std::vector<std::string> names_of(const std::vector<FaultInfo>& list);
std::vector<std::string> names_of(const std::vector<NamedDoc>& list);
std::vector<std::string> names_of(const std::vector<Param>& list);

// Default direction of a message trigger or expectation: an ISO 8583 response (third MTI digit
// odd: 0210, 0410, 0810) travels to_terminal, a request to_host. Wallet messages: to_host (the
// request; its response is paired with it by path).
std::string default_direction_for_mti(const std::string& mti);

// The bench fault families `scenario` drives (StepKind::families of its steps), so that a run
// can refuse a station that lacks one before starting. "ecr" is not returned: the station's
// terminal driver makes those faults itself.
std::set<std::string> needed_families(const Scenario& scenario);

// What `step` needs from the station's terminal driver (rig/terminal/model.h), as its kind
// declares it (StepKind::needs, and ExpectKind::needs for an expect): the command it sends, the
// observations its check or trigger reads, the status fields it compares, the driver fault it
// arms. A scenario with a need the driver lacks is skipped on that station.
std::vector<terminal::Need> terminal_needs(const Step& step);

// What `step` asks of the station's fixtures: its step kind's and, for an expect step, its
// expectation kind's fixture_needs() (rig/scenario/registry.h). A scenario with a need the
// station's fixture drivers do not serve is skipped on that station (rig/engine/plan.h).
std::vector<FixtureNeed> fixture_needs(const Step& step);

}  // namespace rig::scenario
