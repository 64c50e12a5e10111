// Families, settings reading and capability answers shared by every fixture driver's
// declaration (driver.h). The list of drivers itself is in registry.cpp.
#include "rig/fault/driver.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "rig/bench/yaml_reader.h"
#include "rig/scenario/catalogue.h"
#include "rig/scenario/registry.h"

namespace rig::fault {

using nlohmann::json;

const std::vector<FamilyInfo>& families() {
  static const std::vector<FamilyInfo> list = {
      {"network", "the terminal's host and wallet links", {}, {"network.observe"}},
      {"scanner", "the QR scanner", {"scanner.present", "scanner.clean"}, {}},
      {"card", "the card reader", {"card.insert", "card.swipe", "card.tap", "card.remove"}, {}},
      {"keypad", "the terminal's keys (the cardholder's PIN, passwords)", {"keypad.press"}, {}},
      {"printer", "the receipt printer's paper sensor", {"printer.paper"}, {}},
      {"power", "the terminal's power feed", {"power.restore"}, {}},
      {"acquirer", "scripted behaviour of the test acquirer and wallet", {}, {"acquirer.ledger"}},
  };
  return list;
}

const FamilyInfo* find_family(const std::string& name) {
  for (const auto& f : families()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::vector<std::string> actions_of(const std::string& family) {
  std::vector<std::string> out;
  if (const FamilyInfo* f = find_family(family)) out = f->actions;
  for (const auto& fault : scenario::faults()) {
    if (fault.family == family) out.push_back(fault.name);
  }
  return out;
}

bool is_fault(const std::string& action) { return scenario::find_fault(action) != nullptr; }

std::string DriverInfo::describe(const bench::FaultWiring& wiring) const {
  return name + " (" + wiring.family + ")";
}

const DriverInfo* find_driver(const std::string& name) {
  for (const DriverInfo* d : drivers()) {
    if (d->name == name) return d;
  }
  return nullptr;
}

std::vector<std::string> drivers_for(const std::string& family) {
  std::vector<std::string> out;
  for (const DriverInfo* d : drivers()) {
    if (std::count(d->families.begin(), d->families.end(), family)) out.push_back(d->name);
  }
  return out;
}

std::vector<std::string> driver_names() {
  std::vector<std::string> out;
  for (const DriverInfo* d : drivers()) out.push_back(d->name);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Settings

namespace {

std::string number_text(double v) {
  if (v == std::floor(v)) return std::to_string(static_cast<long long>(v));
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  return s;
}

std::string range_text(const Setting& s) {
  return number_text(s.min) + " to " + number_text(s.max);
}

// FAULT_OR_ACTION: {apply, clear} entries of argv_actions / text_actions settings.
void read_actions(const Setting& s, YamlReader& reader, const YAML::Node& node,
                  const std::string& what, const std::string& family, json& out) {
  MapReader fm(reader, node, s.name + " of " + what);
  if (!fm.valid()) return;
  const std::vector<std::string> known = actions_of(family);
  out = json::object();
  for (const auto& kv : node) {
    std::string action = kv.first.Scalar();
    fm.get(action);
    if (std::find(known.begin(), known.end(), action) == known.end()) {
      reader.error(kv.first, "unknown action '" + action + "' for the " + family +
                                 " family (known: " + join_names(known) + ")");
      continue;
    }
    MapReader one(reader, kv.second, "'" + action + "' of " + what);
    if (!one.valid()) continue;
    json entry = json::object();
    for (const char* key : {"apply", "clear"}) {
      const bool required = std::string(key) == "apply" || is_fault(action);
      YAML::Node v = one.get(key);
      if (!v.IsDefined()) {
        if (required) one.missing(key);
        continue;
      }
      if (s.type == Setting::Type::argv_actions) {
        std::vector<std::string> argv;
        if (!reader.read(v, argv)) continue;
        if (argv.empty()) {
          reader.error(v, std::string(key) + " argv is empty");
          continue;
        }
        entry[key] = argv;
      } else {
        std::string text;
        if (reader.read(v, text)) entry[key] = text;
      }
    }
    one.finish();
    out[action] = entry;
  }
}

}  // namespace

void read_settings(const DriverInfo& info, YamlReader& reader, MapReader& m,
                   bench::FaultWiring& wiring) {
  const std::string what = wiring.family + " driver " + info.name;
  json& out = wiring.settings;
  out = json::object();
  for (const Setting& s : info.settings) {
    YAML::Node n = m.get(s.name);
    if (!n.IsDefined()) {
      if (s.required) {
        m.missing(s.name);
      } else if (!s.fallback.is_null()) {
        out[s.name] = s.fallback;
      }
      continue;
    }
    switch (s.type) {
      case Setting::Type::text: {
        std::string v;
        if (reader.read(n, v)) out[s.name] = v;
        break;
      }
      case Setting::Type::integer: {
        std::int64_t v = 0;
        if (!reader.read(n, v)) break;
        if (v < s.min || v > s.max) {
          reader.error(n, s.name + " must be " + range_text(s) + ", got " + std::to_string(v));
          break;
        }
        out[s.name] = v;
        break;
      }
      case Setting::Type::number: {
        double v = 0;
        if (!reader.read(n, v)) break;
        if (!(v >= s.min && v <= s.max)) {
          reader.error(n, s.name + " must be " + range_text(s) + ", got " + number_text(v));
          break;
        }
        out[s.name] = v;
        break;
      }
      case Setting::Type::choice: {
        std::string v;
        if (reader.read_choice(n, s.choices, s.name, v)) out[s.name] = v;
        break;
      }
      case Setting::Type::duration: {
        std::chrono::milliseconds v{0};
        if (reader.read(n, v)) out[s.name] = v.count();
        break;
      }
      case Setting::Type::argv:
      case Setting::Type::list: {
        std::vector<std::string> v;
        if (!reader.read(n, v)) break;
        if (v.empty()) {
          reader.error(n, s.name + " of " + what + " is empty");
          break;
        }
        out[s.name] = v;
        break;
      }
      case Setting::Type::argv_actions:
      case Setting::Type::text_actions:
        read_actions(s, reader, n, what, wiring.family, out[s.name]);
        break;
    }
  }
  if (info.check) {
    info.check(wiring.family, out, [&](const std::string& key, const std::string& message) {
      // At the key when it is written, else at the wiring.
      YAML::Node at = key.empty() ? m.node() : m.get(key);
      reader.error(at.IsDefined() ? at : m.node(), message);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Capabilities

std::string serves_family(const bench::FaultWiring& wiring, const Need& need, const Reach&) {
  std::vector<std::string> known = actions_of(wiring.family);
  if (const FamilyInfo* f = find_family(wiring.family)) {
    known.insert(known.end(), f->observations.begin(), f->observations.end());
  }
  if (std::find(known.begin(), known.end(), need.action) != known.end()) return "";
  return "not an action of the " + wiring.family + " family";
}

std::optional<ListedStep> listed_step(const json& listed, const std::string& action,
                                      const json& params, const std::string& inserted_by) {
  auto has = [&](const std::string& entry, const char* half) {
    return listed.contains(entry) && listed[entry].contains(half);
  };
  if (has(action, "apply")) return ListedStep{action, "apply"};
  if (action == "power.restore" && has("power.cut", "clear")) {
    return ListedStep{"power.cut", "clear"};
  }
  if (action == "printer.paper") {
    std::string state = params.value("state", "ok");
    if (state == "out" && has("printer.paper_out", "apply")) {
      return ListedStep{"printer.paper_out", "apply"};
    }
    if (state == "ok" && has("printer.paper_out", "clear")) {
      return ListedStep{"printer.paper_out", "clear"};
    }
    if (state == "low" && has("printer.paper_low", "apply")) {
      return ListedStep{"printer.paper_low", "apply"};
    }
  }
  if (action == "card.remove") {
    if (!inserted_by.empty()) {
      if (has(inserted_by, "clear")) return ListedStep{inserted_by, "clear"};
    } else {
      for (const char* a : {"card.insert", "card.swipe", "card.tap"}) {
        if (has(a, "clear")) return ListedStep{a, "clear"};
      }
    }
  }
  return std::nullopt;
}

namespace {

// The names a step may give its fixture as a variable (step_variables()): the parameters of
// every step kind and fault, and the names step_variables() and the fixture steps add.
const std::set<std::string>& step_variable_names() {
  static const std::set<std::string> names = [] {
    std::set<std::string> out = {"action", "entry", "damage", "failures", "keys", "state"};
    for (const auto& kind : scenario::kinds().steps()) {
      for (const auto& p : kind->info().params) out.insert(p.name);
    }
    for (const auto& f : scenario::faults()) {
      for (const auto& p : f.params) out.insert(p.name);
    }
    return out;
  }();
  return names;
}

// The ${NAME}s of `text` ("$$" is a literal '$').
std::vector<std::string> variables_in(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "$$") == 0) {
      ++i;
    } else if (text.compare(i, 2, "${") == 0) {
      std::size_t close = text.find('}', i);
      if (close == std::string::npos) break;
      out.push_back(text.substr(i + 2, close - i - 2));
      i = close;
    }
  }
  return out;
}

}  // namespace

std::string unknown_step_variables(const json& listed, const ListedStep& step, const Need& need) {
  // A clear runs with the parameters of its apply, checked with the apply's step.
  if (step.half != "apply") return "";
  const std::map<std::string, std::string> given = step_variables(need.action, need.params);
  const json& entry = listed[step.entry];
  for (const char* half : {"apply", "clear"}) {
    if (!entry.contains(half)) continue;
    std::vector<std::string> texts;
    if (entry[half].is_array()) {
      for (const auto& a : entry[half]) texts.push_back(a.get<std::string>());
    } else {
      texts.push_back(entry[half].get<std::string>());
    }
    for (const auto& text : texts) {
      for (const auto& name : variables_in(text)) {
        if (given.count(name) || !step_variable_names().count(name)) continue;
        std::vector<std::string> names;
        for (const auto& [k, v] : given) names.push_back(k);
        return "the " + std::string(half) + " of " + step.entry + " uses ${" + name +
               "}, which this step does not give (it gives " + join_names(names) + ")";
      }
    }
  }
  return "";
}

std::string serves_listed(const bench::FaultWiring& wiring, const Need& need, const Reach&) {
  const json& listed = wiring.settings.value("faults", json::object());
  // supports() asks without a step (params null): the step variables are not checked.
  const json params = need.params.is_object() ? need.params : json::object();
  if (std::optional<ListedStep> step = listed_step(listed, need.action, params, need.inserted_by)) {
    return need.params.is_null() ? "" : unknown_step_variables(listed, *step, need);
  }
  if (need.action == "card.remove" && !need.inserted_by.empty()) {
    return "the card went in by " + need.inserted_by + " and the bench lists no clear for " +
           need.inserted_by + " under faults (it takes the card out)";
  }
  std::vector<std::string> names;
  for (const auto& [name, entry] : listed.items()) names.push_back(name);
  if (names.empty()) return "the bench lists no action under faults";
  return "the bench lists " + join_names(names) + (names.size() == 1 ? " only" : "") +
         " under faults";
}

std::string refusal(const bench::Station& station, const Need& need, const Reach& reach) {
  const std::string family = family_of(need.action);
  auto it = station.faults.find(family);
  if (it == station.faults.end()) return "lacks fixture family " + family;
  const bench::FaultWiring& wiring = it->second;
  const DriverInfo* info = find_driver(wiring.driver);
  if (!info) return "unknown " + family + " driver '" + wiring.driver + "'";
  std::string why = info->refuses ? info->refuses(wiring, need, reach) : "";
  const bool message_trigger = need.trigger == scenario::Trigger::Kind::host_message ||
                               need.trigger == scenario::Trigger::Kind::wallet_message;
  if (why.empty() && message_trigger && !info->watches_messages) {
    why = "it cannot wait for a message trigger (wire the network to the proxy)";
  }
  if (why.empty()) return "";
  // Observations are read by checks: say what the check needs rather than list actions.
  if (need.action == "network.observe") {
    why =
        "host_message and wallet_message checks read what the proxy sees (wire the network to "
        "the proxy)";
  } else if (need.action == "acquirer.ledger") {
    why = "ledger checks read vhost's ledger (wire the acquirer to vhost)";
  }
  return info->describe(wiring) + " cannot do " + need.action + ": " + why;
}

// ---------------------------------------------------------------------------------------------
// Step variables

std::map<std::string, std::string> step_variables(const std::string& action, const json& params) {
  std::map<std::string, std::string> vars;
  auto text = [](const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_array()) {
      std::string joined;
      for (const auto& x : v)
        joined += (joined.empty() ? "" : " ") + (x.is_string() ? x.get<std::string>() : x.dump());
      return joined;
    }
    return v.dump();
  };
  if (params.is_object()) {
    for (const auto& [k, v] : params.items()) {
      if (!v.is_object()) vars[k] = text(v);
    }
  }
  vars["action"] = action;
  if (family_of(action) == "card") {
    vars["entry"] = action.substr(action.find('.') + 1);
    vars.emplace("damage", "none");
    vars.emplace("failures", "0");
  }
  return vars;
}

std::string with_step_variables(const std::string& text,
                                const std::map<std::string, std::string>& vars) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 2, "$$") == 0) {
      out += "$$";
      i += 2;
      continue;
    }
    if (text.compare(i, 2, "${") == 0) {
      std::size_t close = text.find('}', i);
      if (close != std::string::npos) {
        auto it = vars.find(text.substr(i + 2, close - i - 2));
        if (it != vars.end()) {
          for (char c : it->second) out += c == '$' ? std::string("$$") : std::string(1, c);
          i = close + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// DeclaredFixture

DeclaredFixture::DeclaredFixture(const DriverInfo& info, bench::FaultWiring wiring, Reach reach)
    : info_(info), wiring_(std::move(wiring)), reach_(reach) {}

bool DeclaredFixture::supports(const std::string& action) const {
  return refused(action, json()).empty();
}

std::string DeclaredFixture::refused(const std::string& action, const json& params) const {
  Need need;
  need.action = action;
  need.params = params.is_object() || params.is_null() ? params : json::object();
  std::string why = info_.refuses ? info_.refuses(wiring_, need, reach_) : "";
  return why.empty() ? "" : describe() + " cannot do " + action + ": " + why;
}

// ---------------------------------------------------------------------------------------------
// Helpers for declarations

DriverInfo listed_driver(std::string name, std::string doc, Setting::Type type,
                         std::string faults_doc) {
  DriverInfo d;
  d.name = std::move(name);
  d.doc = std::move(doc);
  for (const auto& f : families()) d.families.push_back(f.name);
  d.settings = {MakeSetting("faults", type, std::move(faults_doc)).required()};
  d.refuses = serves_listed;
  return d;
}

void check_written(const json& settings, const std::string& key, const SettingError& error,
                   const std::function<std::string(const std::string&)>& why) {
  const std::string value = settings.value(key, "");
  if (value.empty() || value.find("${") != std::string::npos) return;  // checked when built
  std::string wrong;
  try {
    wrong = why(value);
  } catch (const std::invalid_argument& e) {
    wrong = e.what();
  }
  if (!wrong.empty()) error(key, wrong);
}

json expanded_settings(const json& settings,
                       const std::function<std::string(const std::string&)>& expand) {
  json out = settings;
  for (auto& [key, value] : out.items()) {
    if (value.is_string()) value = expand(value.get<std::string>());
    if (!value.is_array()) continue;
    for (auto& item : value) {
      if (item.is_string()) item = expand(item.get<std::string>());
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// ListedFixture

ListedFixture::ListedFixture(const DriverInfo& info, const bench::FaultWiring& wiring,
                             const FixtureContext& context)
    : DeclaredFixture(info, wiring, {context.interactive}), expand_(context.expand) {}

Outcome ListedFixture::filled_in(const std::string& entry, const std::string& half,
                                 const std::string& action, const json& params,
                                 std::vector<std::string>& texts) const {
  const std::map<std::string, std::string> vars = step_variables(action, params);
  texts.clear();
  try {
    const json& listed = wiring_.settings.at("faults").at(entry).at(half);
    for (const auto& t : listed.is_array() ? listed : json::array({listed})) {
      texts.push_back(expand_(with_step_variables(t.get<std::string>(), vars)));
    }
  } catch (const std::exception& e) {
    return Outcome::failure(describe() + ": " + entry + " " + half + ": " + e.what());
  }
  return Outcome::success();
}

Outcome ListedFixture::act(const std::string& action, const json& params, const scenario::Trigger*,
                           std::chrono::milliseconds, Deadline deadline) {
  if (std::string why = refused(action, params); !why.empty()) return Outcome::failure(why);
  std::unique_lock<std::mutex> lock(mu_);
  const json& listed = wiring_.settings["faults"];
  std::optional<ListedStep> step = listed_step(listed, action, params, inserted_by_);
  if (!step) return Outcome::failure(describe() + " cannot do " + action + " now");
  std::string as = action;
  json with = params;
  if (step->half == "clear") {
    // Cleared as it was applied: the entry's own action and parameters.
    as = step->entry;
    auto it = applied_.find(step->entry);
    if (it != applied_.end()) with = it->second;
    applied_.erase(step->entry);
  } else if (listed[step->entry].contains("clear")) {
    applied_[step->entry] = params;
  }
  if (family_of(action) == "card") inserted_by_ = action == "card.remove" ? "" : action;
  lock.unlock();
  return perform(step->entry, step->half, as, with, deadline);
}

Outcome ListedFixture::revert(const std::string& fault, Deadline deadline) {
  json params;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = applied_.find(fault);
    if (it == applied_.end()) return Outcome::success();
    params = it->second;
    applied_.erase(it);
  }
  return perform(fault, "clear", fault, params, deadline);
}

Outcome ListedFixture::restore(Deadline deadline) {
  std::map<std::string, json> applied;
  {
    std::lock_guard<std::mutex> lock(mu_);
    applied.swap(applied_);
    inserted_by_.clear();
  }
  Outcome result = Outcome::success();
  for (const auto& [entry, params] : applied) {
    Outcome out = perform(entry, "clear", entry, params, deadline);
    if (!out.ok && result.ok) result = out;
  }
  return result;
}

}  // namespace rig::fault
