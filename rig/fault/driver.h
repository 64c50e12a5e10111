// Fixture drivers describe themselves. Each driver lives in its own file pair
// (rig/fault/<driver>.{h,cpp}) and declares, in one DriverInfo:
//  - the fault families it may be wired to and what it serves there (fixture actions, faults,
//    message triggers it watches itself, observations it makes),
//  - its settings (the keys of its bench entry, with types, defaults and one-line docs),
//  - how to build it.
// The registry (drivers(), registry.cpp) lists every DriverInfo once, by name, as libsigrok's
// driver list and labgrid's target factory do. Bench loading reads and checks a wiring's
// settings from the declaration (file:line:col), `rig validate` and the controller ask the same
// declaration whether a station can serve a scenario (rig/engine/plan.h), and a built driver
// answers supports() from it too: there is no second list of what a driver can do.
//
// Names used here:
//  - a fixture action is something a step asks a fixture to do: card.insert, card.swipe,
//    card.tap, card.remove, scanner.present, scanner.clean, keypad.press, printer.paper,
//    power.restore;
//  - a fault is a catalogue fault (rig/scenario/catalogue.h): network.down, scanner.dirty,
//    printer.paper_out, power.cut, host.decline, …;
//  - an observation is evidence a check reads from a fixture: network.observe (the proxy sees
//    host and wallet messages), acquirer.ledger (vhost's ledger).
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rig/bench/bench.h"
#include "rig/fault/fixture.h"
#include "rig/scenario/scenario.h"

namespace rig {
class YamlReader;
class MapReader;
}  // namespace rig

namespace rig::fault {

// What one scenario step asks of a station's fixtures (declared by the step kinds).
using Need = scenario::FixtureNeed;

// What the run can count on beyond the wiring.
struct Reach {
  bool interactive = false;  // an operator can answer at the console (stdin is a terminal)
};

// A fault family a station may wire.
struct FamilyInfo {
  std::string name;  // card
  std::string doc;
  // Fixture actions of the family (its faults come from the catalogue).
  std::vector<std::string> actions;
  // Evidence checks read from the family's fixture.
  std::vector<std::string> observations;
};

// The families, in the order docs list them: network, scanner, card, keypad, printer, power,
// acquirer.
const std::vector<FamilyInfo>& families();
const FamilyInfo* find_family(const std::string& name);
using scenario::family_of;
// Fixture actions and catalogue faults of `family` (what a step can ask of it).
std::vector<std::string> actions_of(const std::string& family);

// One key of a driver's bench entry.
struct Setting {
  enum class Type {
    text,      // any scalar, stored as a string (may hold ${variables})
    integer,   // whole number within [min, max]
    number,    // number within [min, max]
    choice,    // one of `choices`
    duration,  // "500ms", "2s": stored as whole milliseconds
    argv,      // a non-empty list of strings
    list,      // a non-empty list of strings (not a command line: allow_from's CIDR blocks)
    // FAULT_OR_ACTION: {apply: X, clear: X} for actions of the wired family, X an argv list
    // (argv_actions) or an instruction text (text_actions); `clear` is required for faults
    // and optional for fixture actions.
    argv_actions,
    text_actions,
  };
  std::string name;
  Type type = Type::text;
  bool required = false;
  std::string doc;
  std::vector<std::string> choices;
  double min = 0, max = 0;  // integer, number
  nlohmann::json fallback;  // stored when not written; null = absent
};

// Builds a Setting in one expression:
//   MakeSetting("channel", Setting::Type::integer, "relay channel").required().range(1, 8)
class MakeSetting {
 public:
  MakeSetting(std::string name, Setting::Type type, std::string doc) {
    s_.name = std::move(name);
    s_.type = type;
    s_.doc = std::move(doc);
  }
  MakeSetting& required() {
    s_.required = true;
    return *this;
  }
  MakeSetting& choices(std::vector<std::string> names) {
    s_.type = Setting::Type::choice;
    s_.choices = std::move(names);
    return *this;
  }
  MakeSetting& range(double lo, double hi) {
    s_.min = lo;
    s_.max = hi;
    return *this;
  }
  MakeSetting& fallback(nlohmann::json value) {
    s_.fallback = std::move(value);
    return *this;
  }
  operator Setting() const { return s_; }  // NOLINT(google-explicit-constructor): table syntax

 private:
  Setting s_;
};

// Reports a problem with the setting `key` of a wiring (at that key, or at the wiring).
using SettingError = std::function<void(const std::string& key, const std::string& message)>;

struct DriverInfo {
  std::string name;  // as benches write it: driver: relay
  std::string doc;   // one line
  std::vector<std::string> families;
  std::vector<Setting> settings;
  // It waits for message triggers (host_message, wallet_message) itself: the proxy.
  bool watches_messages = false;
  // Checks across settings after each was read by its type (optional).
  std::function<void(const std::string& family, const nlohmann::json& settings,
                     const SettingError& error)>
      check;
  // Whether a wiring of this driver can do `need`: "" when it can, else why not, completing
  // "<describe> cannot do <action>: …" ("the bench lists card.insert only"). Only needs of
  // the wiring's family are asked. need.params is null when asked without a step (supports()):
  // then answer whether some step could ask it.
  std::function<std::string(const bench::FaultWiring& wiring, const Need& need, const Reach& reach)>
      refuses;
  // Builds the driver; null for drivers the station builds itself (proxy).
  std::function<FixturePtr(const bench::FaultWiring& wiring, const FixtureContext& context)> make;
  // How messages name a wiring ("manual (card)", "relay"): default "<name> (<family>)".
  std::string describe(const bench::FaultWiring& wiring) const;
};

// Every driver, in the order docs list them.
const std::vector<const DriverInfo*>& drivers();
const DriverInfo* find_driver(const std::string& name);
// Names of the drivers that may be wired to `family`, in registry order.
std::vector<std::string> drivers_for(const std::string& family);
std::vector<std::string> driver_names();

// Reads the settings of `info` from the wiring's mapping `m` into wiring.settings (a JSON
// object), reporting wrong types, values out of range, unknown actions and the `check` findings
// through `reader` at their file:line:col. Keys are marked known in `m`; the caller finishes it.
void read_settings(const DriverInfo& info, YamlReader& reader, MapReader& m,
                   bench::FaultWiring& wiring);

// Why the station cannot do `need` ("" when it can): its family is not wired ("lacks fixture
// family keypad"), or its driver refuses ("manual (card) cannot do card.swipe: …").
std::string refusal(const bench::Station& station, const Need& need, const Reach& reach);

// --- helpers for drivers' declarations ---------------------------------------------------

// refuses() of a driver that serves every action, fault and observation of its family.
std::string serves_family(const bench::FaultWiring& wiring, const Need& need, const Reach& reach);
// Drivers configured per action (command, manual) list FAULT_OR_ACTION: {apply, clear} under
// `faults`. A step runs the half of an entry:
//   - the action's own entry, `apply`;
//   - power.restore without an entry: `clear` of power.cut;
//   - printer.paper without an entry: state out -> `apply` of printer.paper_out, ok -> its
//     `clear`, low -> `apply` of printer.paper_low;
//   - card.remove without an entry: `clear` of the card action that put the card in
//     (`inserted_by`; at validation any card action with a `clear`).
struct ListedStep {
  std::string entry;  // the key under faults
  std::string half;   // apply | clear
};
std::optional<ListedStep> listed_step(const nlohmann::json& listed, const std::string& action,
                                      const nlohmann::json& params,
                                      const std::string& inserted_by = "");
// refuses() part of those drivers: listed_step() finds an entry (for card.remove, the clear of
// need.inserted_by), and an `apply` entry uses no step variable the step does not give — its
// `clear` runs with the same variables (a ${code} in a card action, a ${card} the step lacks).
std::string serves_listed(const bench::FaultWiring& wiring, const Need& need, const Reach& reach);
// DriverInfo::make of a driver class constructed from (wiring, context).
template <typename Fixture>
FixturePtr build_fixture(const bench::FaultWiring& wiring, const FixtureContext& context) {
  return std::make_shared<Fixture>(wiring, context);
}
// The step's parameters as variables for the drivers configured per action (command argv,
// manual instructions): every scalar parameter under its name, lists joined by spaces ("keys":
// "1 2 3 4 ENTER"), `action`, and for card actions `entry` (insert, swipe, tap), `damage`
// (default none) and `failures` (default 0).
std::map<std::string, std::string> step_variables(const std::string& action,
                                                  const nlohmann::json& params);
// Replaces ${NAME} for the names in `vars` (their values' '$' kept literal as "$$"); other
// ${…} are left for the bench's variables.
std::string with_step_variables(const std::string& text,
                                const std::map<std::string, std::string>& vars);
// "" when the texts of `step`'s entry in `listed` use only the step variables `need` gives
// (names of other step kinds' parameters that it lacks are refused; other names are the bench's
// variables), else why not. A `clear` half is checked with its apply's step.
std::string unknown_step_variables(const nlohmann::json& listed, const ListedStep& step,
                                   const Need& need);

// Whether `action` is a catalogue fault (clear needed) rather than a fixture action.
bool is_fault(const std::string& action);

// The declaration of a driver configured per action (command, manual): wired to any family,
// one required setting `faults` of `type` (argv_actions or text_actions, as `faults_doc` says),
// refuses() = serves_listed. The caller adds make (and may wrap refuses).
DriverInfo listed_driver(std::string name, std::string doc, Setting::Type type,
                         std::string faults_doc);
// DriverInfo::check part for a text setting that names a device (a serial spec, a relay, a
// host): when `key` is written without ${variables} (those are checked when the driver is
// built, expanded), `why` of its value is reported at the key: what it returns ("" when good),
// or the message of the std::invalid_argument it throws.
void check_written(const nlohmann::json& settings, const std::string& key,
                   const SettingError& error,
                   const std::function<std::string(const std::string&)>& why);
// The wiring's settings with the bench's variables put into every text, and every text of a
// list (the `expand` of the driver's FixtureContext).
nlohmann::json expanded_settings(const nlohmann::json& settings,
                                 const std::function<std::string(const std::string&)>& expand);

// A driver built from its declaration: supports() asks the declaration (so a built driver and
// `rig validate` agree), and act() calls checked() first.
class DeclaredFixture : public FixtureDriver {
 public:
  DeclaredFixture(const DriverInfo& info, bench::FaultWiring wiring, Reach reach);
  std::string describe() const override { return info_.describe(wiring_); }
  // Whether some step could ask `action` of it: asked with null params, so that what depends on
  // the step (the step variables of a listed entry) is not checked.
  bool supports(const std::string& action) const override;

 protected:
  // "" when the declaration serves `action` with `params` (null: any step), else the full
  // refusal.
  std::string refused(const std::string& action, const nlohmann::json& params) const;

  const DriverInfo& info_;
  bench::FaultWiring wiring_;
  Reach reach_;
};

// A driver configured per action (command, manual): which listed entry a step runs, and which
// entries were applied and are cleared by revert() and restore() — with the parameters they were
// applied with (the card that went in comes out). Subclasses perform one half of one entry.
class ListedFixture : public DeclaredFixture {
 public:
  ListedFixture(const DriverInfo& info, const bench::FaultWiring& wiring,
                const FixtureContext& context);

  Outcome act(const std::string& action, const nlohmann::json& params,
              const scenario::Trigger* trigger, std::chrono::milliseconds hold,
              Deadline deadline) override;
  Outcome revert(const std::string& fault, Deadline deadline) override;
  // Clears every applied entry; the first failure is returned, the others are still tried.
  Outcome restore(Deadline deadline) override;

 protected:
  // Runs `half` (apply | clear) of the listed `entry` for `action` with the step's `params`.
  virtual Outcome perform(const std::string& entry, const std::string& half,
                          const std::string& action, const nlohmann::json& params,
                          Deadline deadline) = 0;
  // The texts of `half` of the listed `entry` (each argv word, or the one instruction) with the
  // step's variables (step_variables() of `action` and `params`) and the bench's put in. A text
  // that does not expand is a failure naming the entry; otherwise `texts` is filled.
  Outcome filled_in(const std::string& entry, const std::string& half, const std::string& action,
                    const nlohmann::json& params, std::vector<std::string>& texts) const;

 private:
  std::function<std::string(const std::string&)> expand_;
  std::mutex mu_;
  std::map<std::string, nlohmann::json> applied_;  // entries applied and not cleared: params
  std::string inserted_by_;                        // the card action that put the card in
};

}  // namespace rig::fault
