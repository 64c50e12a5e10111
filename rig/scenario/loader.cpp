#include "rig/scenario/loader.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "rig/bench/yaml_reader.h"
#include "rig/protocol/amount.h"
#include "rig/scenario/catalogue.h"

namespace rig::scenario {

namespace {

using nlohmann::json;

bool all_of_chars(const std::string& s, bool (*ok)(char)) {
  return std::all_of(s.begin(), s.end(), [ok](char c) { return ok(c); });
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper_or_digit(char c) { return (c >= 'A' && c <= 'Z') || is_digit(c); }
bool is_printable(char c) { return c >= 0x20 && c <= 0x7E; }

bool is_event_name(const std::string& s) {
  return !s.empty() && s[0] >= 'A' && s[0] <= 'Z' &&
         std::all_of(s.begin(), s.end(), [](char c) { return is_upper_or_digit(c) || c == '_'; });
}

// Lower-case name: a letter, then letters, digits and '-' (families); tags also allow '_'.
bool is_lower_name(const std::string& s, bool underscore) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || is_digit(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [underscore](char c) {
    return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || (underscore && c == '_');
  });
}

// Bounds are whole numbers or probabilities: "1", "0.5".
std::string number_text(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

std::string key_list() {
  // The digits are listed as a range: thirteen names would drown the message.
  return "0-9, ENTER, CANCEL, CLEAR";
}

class Parser {
 public:
  Parser(YamlReader& reader, const LoadOptions& options) : r_(reader), options_(options) {}

  Scenario parse(const std::optional<YAML::Node>& root);
  // One step on its own (load_step_text): what a list item of `steps:` holds. A `clear` may
  // name any fault, since the steps that armed it were not read here.
  std::optional<Step> parse_one(const std::optional<YAML::Node>& root);

 private:
  SourceLoc loc_of(const YAML::Node& n) const;
  bool read_value(const YAML::Node& n, const Param& p, json& out, const std::string& what);
  bool read_positive_duration(const YAML::Node& n, const std::string& what, Duration& out);
  // Reads `params` from `m` into `out`: required ones reported missing, fallbacks filled in.
  void read_params(MapReader& m, const std::vector<Param>& params, json& out);
  void range_error(const YAML::Node& n, const Param& p);

  void parse_steps(const YAML::Node& list, Scenario& s);
  std::optional<Step> parse_item(const YAML::Node& item);
  bool parse_value(const StepInfo& info, const YAML::Node& value, Step& step);
  void parse_fault(const YAML::Node& item, Step& step);
  void parse_trigger(const YAML::Node& node, Trigger& t);
  void parse_message_trigger(const YAML::Node& v, bool iso, Trigger& t);
  void check_absent_and_count(const json& args, const YAML::Node& absent);
  void parse_card(const YAML::Node& value, json& args);
  void parse_keys(const YAML::Node& value, json& args);
  void parse_expect(const YAML::Node& value, Step& step);

  YamlReader& r_;
  const LoadOptions& options_;
  std::set<std::string> armed_;  // faults armed by earlier steps (for `clear`)
  bool check_clear_ = true;      // `clear` must name a fault in armed_
  bool has_expect_ = false;
};

SourceLoc Parser::loc_of(const YAML::Node& n) const {
  SourceLoc loc;
  loc.file = r_.file();
  if (n.IsDefined() && !n.Mark().is_null()) {
    loc.line = n.Mark().line + 1;
    loc.column = n.Mark().column + 1;
  } else {
    loc.line = 1;
    loc.column = 1;
  }
  return loc;
}

void Parser::range_error(const YAML::Node& n, const Param& p) {
  std::string bounds;
  if (p.min_excluded) {
    bounds = "above " + number_text(p.min) + " and at most " + number_text(*p.max);
  } else if (p.max) {
    bounds = "from " + number_text(p.min) + " to " + number_text(*p.max);
  } else {
    bounds = "at least " + number_text(p.min);
  }
  r_.error(n, "'" + p.name + "' must be " + bounds + ", got " + describe_value(n));
}

bool Parser::read_value(const YAML::Node& n, const Param& p, json& out, const std::string& what) {
  std::string text;
  switch (p.type) {
    case ValueType::text:
      if (!r_.read(n, text)) return false;
      out = text;
      return true;
    case ValueType::amount: {
      std::int64_t minor = 0;
      if (!r_.read_amount(n, minor)) return false;
      out = protocol::format_amount(minor);
      return true;
    }
    case ValueType::signed_amount: {
      if (n.IsScalar()) {
        const std::string& s = n.Scalar();
        bool negative = !s.empty() && s[0] == '-';
        if (auto v = protocol::parse_amount(negative ? s.substr(1) : s)) {
          out = protocol::format_amount(negative ? -*v : *v);
          return true;
        }
      }
      r_.error(n,
               "expected an amount with two fraction digits, e.g. \"100.00\" or \"-1.00\", got " +
                   describe_value(n));
      return false;
    }
    case ValueType::integer: {
      std::int64_t v = 0;
      if (!r_.read(n, v)) return false;
      if (v < p.min || (p.max && v > *p.max)) {
        range_error(n, p);
        return false;
      }
      out = v;
      return true;
    }
    case ValueType::number: {
      double v = 0;
      if (!r_.read(n, v)) return false;
      if (v < p.min || (p.min_excluded && v == p.min) || (p.max && v > *p.max)) {
        range_error(n, p);
        return false;
      }
      out = v;
      return true;
    }
    case ValueType::boolean: {
      bool v = false;
      if (!r_.read(n, v)) return false;
      out = v;
      return true;
    }
    case ValueType::choice:
      if (!r_.read_choice(n, p.choices, what, text)) return false;
      out = text;
      return true;
    case ValueType::card:
      if (!r_.read(n, text)) return false;
      if (!options_.known_cards.empty() && !options_.known_cards.count(text)) {
        r_.error(n, "unknown card '" + text + "' (known: " +
                        join_names({options_.known_cards.begin(), options_.known_cards.end()}) +
                        ")");
        return false;
      }
      out = text;
      return true;
    case ValueType::event:
      if (!r_.read(n, text)) return false;
      if (!is_event_name(text)) {
        r_.error(n, "bad event name '" + text +
                        "': expected capital letters, digits and '_', e.g. REVERSAL_ACKED");
        return false;
      }
      out = text;
      return true;
    case ValueType::event_or_result:
      if (!r_.read(n, text)) return false;
      if (text != "result" && !is_event_name(text)) {
        r_.error(n, "bad event name '" + text +
                        "': expected an event name (capital letters, digits, '_') or result");
        return false;
      }
      out = text;
      return true;
    case ValueType::mti:
      if (!r_.read(n, text)) return false;
      if (text.size() != 4 || !all_of_chars(text, is_digit)) {
        r_.error(n, "bad MTI '" + text + "': expected 4 digits, e.g. \"0210\"");
        return false;
      }
      out = text;
      return true;
    case ValueType::response_code:
      if (!r_.read(n, text)) return false;
      if (text.size() != 2 || !all_of_chars(text, is_upper_or_digit)) {
        r_.error(n, "bad response code '" + text +
                        "': expected 2 digits or capital letters, e.g. \"05\"");
        return false;
      }
      out = text;
      return true;
    case ValueType::currency:
      if (!r_.read(n, text)) return false;
      if (text.size() != 3 || !all_of_chars(text, is_digit)) {
        r_.error(n, "bad currency '" + text + "': expected 3 digits (ISO 4217), e.g. \"156\"");
        return false;
      }
      out = text;
      return true;
    case ValueType::transaction_id:
      if (!r_.read(n, text)) return false;
      // 20, not the protocol's 32: the engine appends _TAG to make it unique per run
      // (RunnerOptions::scope_ids).
      if (text.empty() || text.size() > 20 || !all_of_chars(text, is_printable)) {
        r_.error(n, "bad transaction id '" + text + "': expected 1 to 20 printable characters");
        return false;
      }
      out = text;
      return true;
    case ValueType::iso_fields: {
      if (!n.IsMap()) {
        r_.error(n, "expected a mapping of field numbers to values, e.g. {39: \"98\"}, got " +
                        describe_value(n));
        return false;
      }
      r_.check_unique_keys(n, what);
      bool ok = true;
      json fields = json::object();
      for (const auto& kv : n) {
        std::int64_t number = 0;
        const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
        bool numeric = !key.empty() && key.size() <= 3 && all_of_chars(key, is_digit);
        if (numeric) number = std::stoll(key);
        if (!numeric || number < 2 || number > 128) {
          r_.error(kv.first,
                   "bad ISO 8583 field number " + describe_value(kv.first) + ": expected 2 to 128");
          ok = false;
          continue;
        }
        if (!r_.read(kv.second, text)) {
          ok = false;
          continue;
        }
        fields[std::to_string(number)] = text;
      }
      if (ok) out = fields;
      return ok;
    }
    case ValueType::duration: {
      Duration d{0};
      if (!read_positive_duration(n, p.name, d)) return false;
      out = d.count();
      return true;
    }
  }
  return false;
}

bool Parser::read_positive_duration(const YAML::Node& n, const std::string& what, Duration& out) {
  Duration d{0};
  if (!r_.read(n, d)) return false;
  if (d.count() <= 0) {
    r_.error(n, "'" + what + "' must be above 0, got " + describe_value(n));
    return false;
  }
  out = d;
  return true;
}

void Parser::read_params(MapReader& m, const std::vector<Param>& params, json& out) {
  for (const Param& p : params) {
    YAML::Node n = m.get(p.name);
    if (!n.IsDefined()) {
      if (p.required) {
        m.missing(p.name);
      } else if (!p.fallback.is_null()) {
        out[p.name] = p.fallback;
      }
      continue;
    }
    json v;
    if (read_value(n, p, v, p.name)) out[p.name] = v;
  }
}

Scenario Parser::parse(const std::optional<YAML::Node>& root) {
  Scenario s;
  s.file = r_.file();
  s.loc.file = r_.file();
  s.loc.line = 1;
  s.loc.column = 1;
  if (!root) return s;  // syntax error, already recorded
  s.loc = loc_of(*root);

  MapReader m(r_, *root, "scenario");
  if (!m.valid()) return s;
  if (m.required("name", s.name) && s.name.empty()) r_.error(m.get("name"), "name is empty");
  if (YAML::Node n = m.get("family"); !n.IsDefined()) {
    m.missing("family");
  } else if (r_.read(n, s.family) && !is_lower_name(s.family, false)) {
    r_.error(n, "bad family '" + s.family +
                    "': expected lower-case letters, digits and '-', e.g. reversal");
  }
  if (YAML::Node n = m.get("tags"); n.IsDefined()) {
    if (!n.IsSequence()) {
      r_.error(n, "expected a list, got " + describe_value(n));
    } else {
      for (const auto& item : n) {
        std::string tag;
        if (!r_.read(item, tag)) continue;
        if (!is_lower_name(tag, true)) {
          r_.error(item, "bad tag '" + tag + "': expected lower-case letters, digits, '-', '_'");
        } else if (s.has_tag(tag)) {
          r_.error(item, "tag '" + tag + "' is listed twice");
        } else {
          s.tags.push_back(tag);
        }
      }
    }
  }
  m.optional("description", s.description);
  if (YAML::Node n = m.get("timeout"); n.IsDefined()) {
    Duration d{0};
    if (read_positive_duration(n, "timeout", d)) s.timeout = d;
  }
  if (YAML::Node n = m.get("steps"); !n.IsDefined()) {
    m.missing("steps");
  } else {
    parse_steps(n, s);
  }
  m.finish();
  return s;
}

std::optional<Step> Parser::parse_one(const std::optional<YAML::Node>& root) {
  if (!root) return std::nullopt;  // syntax error, already recorded
  check_clear_ = false;
  if (!root->IsDefined() || root->IsNull()) {
    r_.error(*root, "expected a step, got nothing");
    return std::nullopt;
  }
  return parse_item(*root);
}

void Parser::parse_steps(const YAML::Node& list, Scenario& s) {
  if (!list.IsSequence()) {
    r_.error(list, "expected a list of steps, got " + describe_value(list));
    return;
  }
  if (list.size() == 0) {
    r_.error(list, "a scenario needs at least one step");
    return;
  }
  for (const auto& item : list) {
    if (auto step = parse_item(item)) s.steps.push_back(std::move(*step));
  }
  if (!has_expect_) {
    r_.error(list, "a scenario needs at least one expect step: it checks nothing");
  }
}

std::optional<Step> Parser::parse_item(const YAML::Node& item) {
  static const std::vector<std::string> step_names = names_of(steps());
  Step step;
  step.loc = loc_of(item);

  if (item.IsScalar()) {
    const StepInfo* info = find_step(item.Scalar());
    if (!info) {
      r_.error(item,
               "unknown step '" + item.Scalar() + "' (known: " + join_names(step_names) + ")");
      return std::nullopt;
    }
    step.name = info->name;
    if (step.name == "expect") has_expect_ = true;
    if (!info->bare) {
      r_.error(item, "step '" + info->name + "' needs a value: " + info->form);
      return std::nullopt;
    }
    return step;
  }
  if (!item.IsMap()) {
    r_.error(item, "expected a step, got " + describe_value(item));
    return std::nullopt;
  }

  r_.check_unique_keys(item, "step");
  std::vector<YAML::Node> step_keys;
  for (const auto& kv : item) {
    if (!kv.first.IsScalar() || !find_step(kv.first.Scalar())) continue;
    bool repeat = std::any_of(step_keys.begin(), step_keys.end(),
                              [&](const YAML::Node& k) { return k.Scalar() == kv.first.Scalar(); });
    if (!repeat) step_keys.push_back(kv.first);
  }
  if (step_keys.size() > 1) {
    r_.error(step_keys[1], "a step has exactly one of: " + join_names(step_names) + "; found '" +
                               step_keys[0].Scalar() + "' and '" + step_keys[1].Scalar() + "'");
    return std::nullopt;
  }
  if (step_keys.empty()) {
    for (const auto& kv : item) {
      std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      if (key == "when" || key == "for" || key == "within") continue;
      r_.error(kv.first, "unknown step '" + key + "' (known: " + join_names(step_names) + ")");
      return std::nullopt;
    }
    r_.error(item, "a step needs one of: " + join_names(step_names));
    return std::nullopt;
  }

  const StepInfo& info = *find_step(step_keys[0].Scalar());
  step.name = info.name;
  if (step.name == "expect") has_expect_ = true;
  const YAML::Node& const_item = item;
  if (!info.bare && const_item[step.name].IsNull()) {
    // yaml-cpp places an empty value on the next line; the key is where the mistake is.
    r_.error(step_keys[0], "step '" + info.name + "' needs a value: " + info.form);
    return std::nullopt;
  }
  if (step.name == "fault") {
    parse_fault(item, step);
    return step;
  }
  for (const auto& kv : item) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (key == step.name) continue;
    if (key == "for" || key == "when") {
      r_.error(kv.first, "'" + key + "' is only for fault steps");
    } else if (key == "within") {
      r_.error(kv.first, step.name == "expect" ? "'within' goes inside expect: {…, within: …}"
                                               : "'within' is only for expect steps");
    } else {
      r_.error(kv.first, "unknown key '" + key + "' next to step '" + step.name +
                             "': a list item holds one step; its arguments go inside it");
    }
  }
  if (!parse_value(info, const_item[step.name], step)) return std::nullopt;
  return step;
}

bool Parser::parse_value(const StepInfo& info, const YAML::Node& value, Step& step) {
  const std::string& name = info.name;
  json& args = step.args;
  const std::size_t issues_before = r_.issues().size();
  const bool empty = !value.IsDefined() || value.IsNull() || (value.IsMap() && value.size() == 0);

  if (info.bare && info.params.empty()) {
    // last, reprint, cancel, status, reset: `- last`, `- last:` or `- last: {}`.
    if (!empty) {
      r_.error(value, "step '" + name + "' takes no arguments, got " + describe_value(value));
    }
  } else if (info.bare && empty) {
    // query without arguments: the last transaction.
  } else if (name == "sale" || name == "refund" || name == "query" || name == "scan") {
    MapReader m(r_, value, name);
    if (!m.valid()) return false;
    read_params(m, info.params, args);
    m.finish();
    if (name == "sale" && args.contains("method")) {
      if (args["method"] == "qr" && args.contains("card")) {
        r_.error(m.get("card"), "'card' is for method card");
      }
      if (args["method"] == "card" && args.contains("code")) {
        r_.error(m.get("code"), "'code' is for method qr");
      }
    }
  } else if (name == "clear") {
    std::vector<std::string> known = {"all"};
    for (const auto& n : names_of(faults())) known.push_back(n);
    std::string fault;
    if (r_.read_choice(value, known, "fault", fault)) {
      if (check_clear_ && fault != "all" && !armed_.count(fault)) {
        r_.error(value, "clear '" + fault + "': no earlier step arms this fault");
      }
      args["fault"] = fault;
    }
  } else if (name == "card") {
    parse_card(value, args);
  } else if (name == "scanner" || name == "paper" || name == "power") {
    static const std::map<std::string, std::pair<std::string, std::vector<std::string>>> kinds = {
        {"scanner", {"action", {"clean"}}},
        {"paper", {"state", {"ok", "low", "out"}}},
        {"power", {"action", {"cut", "restore"}}},
    };
    const auto& [key, choices] = kinds.at(name);
    std::string v;
    if (r_.read_choice(value, choices, name + " " + key, v)) args[key] = v;
  } else if (name == "keys") {
    parse_keys(value, args);
  } else if (name == "wait") {
    Duration d{0};
    if (read_positive_duration(value, "wait", d)) args["duration_ms"] = d.count();
  } else if (name == "expect") {
    parse_expect(value, step);
  }
  return r_.issues().size() == issues_before;
}

void Parser::parse_card(const YAML::Node& value, json& args) {
  if (value.IsScalar()) {
    if (value.Scalar() == "remove") {
      args["action"] = "remove";
    } else {
      r_.error(value,
               "expected remove or a mapping {insert|swipe|tap: CARD, damage?} for card, got " +
                   describe_value(value));
    }
    return;
  }
  MapReader m(r_, value, "card");
  if (!m.valid()) return;
  const std::vector<Param>& params = find_step("card")->params;  // insert swipe tap damage failures
  std::string first;
  for (std::size_t i = 0; i < 3; ++i) {
    const Param& how = params[i];
    YAML::Node n = m.get(how.name);
    if (!n.IsDefined()) continue;
    if (!first.empty()) {
      r_.error(
          n, "card takes one of: insert, swipe, tap; found '" + first + "' and '" + how.name + "'");
      continue;
    }
    first = how.name;
    json card;
    if (read_value(n, how, card, how.name)) {
      args["action"] = how.name;
      args["card"] = card;
    }
  }
  if (first.empty()) r_.error(value, "card needs one of: insert, swipe, tap (or card: remove)");
  read_params(m, {params[3], params[4]}, args);
  m.finish();
  if (args.contains("failures") && args.value("damage", "") != "chip_intermittent") {
    r_.error(m.get("failures"), "'failures' needs damage chip_intermittent");
  }
}

void Parser::parse_keys(const YAML::Node& value, json& args) {
  if (!value.IsSequence()) {
    r_.error(value, "expected a list of keys, e.g. [\"1\", \"2\", \"ENTER\"], got " +
                        describe_value(value));
    return;
  }
  if (value.size() == 0) {
    r_.error(value, "keys needs at least one key");
    return;
  }
  const auto known = names_of(key_names());
  json keys = json::array();
  for (const auto& k : value) {
    std::string key;
    if (!r_.read(k, key)) continue;
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      r_.error(k, "unknown keypad key '" + key + "' (known: " + key_list() + ")");
      continue;
    }
    keys.push_back(key);
  }
  args["keys"] = keys;
}

void Parser::parse_fault(const YAML::Node& item, Step& step) {
  const YAML::Node& node = item;
  json& args = step.args;
  std::string name;
  const FaultInfo* info = nullptr;
  const YAML::Node value = node["fault"];
  if (r_.read(value, name)) {
    info = find_fault(name);
    if (!info) {
      r_.error(value,
               "unknown fault '" + name + "' (known: " + join_names(names_of(faults())) + ")");
    }
  }
  if (YAML::Node when = node["when"]; when.IsDefined()) parse_trigger(when, step.when);
  if (YAML::Node hold = node["for"]; hold.IsDefined()) {
    Duration d{0};
    if (read_positive_duration(hold, "for", d)) step.hold = d;
  }
  if (!info) return;  // its parameters cannot be told apart from typos
  args["fault"] = name;

  std::vector<std::string> known = names_of(info->params);
  known.push_back("when");
  known.push_back("for");
  std::map<std::string, YAML::Node> given;
  for (const auto& kv : node) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (key == "fault" || key == "when" || key == "for") continue;
    if (std::find(known.begin(), known.end(), key) != known.end()) {
      given.emplace(key, kv.second);
      continue;
    }
    if (key == "within") {
      r_.error(kv.first, "'within' is only for expect steps");
      continue;
    }
    std::vector<std::string> owners;
    for (const auto& f : faults()) {
      for (const auto& p : f.params) {
        if (p.name == key) owners.push_back(f.name);
      }
    }
    if (owners.empty()) {
      r_.error(kv.first, "unknown parameter '" + key + "' for fault " + name +
                             " (known: " + join_names(known) + ")");
    } else {
      r_.error(kv.first, "parameter '" + key + "' belongs to " + join_names(owners) + ", not " +
                             name + " (known: " + join_names(known) + ")");
    }
  }
  for (const Param& p : info->params) {
    auto it = given.find(p.name);
    if (it == given.end()) {
      if (p.required) {
        r_.error(item, "missing parameter '" + p.name + "' for fault " + name);
      } else if (!p.fallback.is_null()) {
        args[p.name] = p.fallback;
      }
      continue;
    }
    json v;
    if (read_value(it->second, p, v, p.name)) args[p.name] = v;
  }
  if (!info->one_of.empty()) {
    std::vector<std::string> present;
    for (const auto& k : info->one_of) {
      if (given.count(k)) present.push_back(k);
    }
    if (present.empty()) {
      r_.error(item, "fault " + name + " needs one of: " + join_names(info->one_of));
    } else if (present.size() > 1) {
      r_.error(given.at(present[1]), "fault " + name +
                                         " takes one of: " + join_names(info->one_of) +
                                         "; found '" + present[0] + "' and '" + present[1] + "'");
    }
  }
  if (name == "network.latency" && args.contains("ms") && args["ms"] == 0 &&
      args.value("jitter_ms", 0) == 0) {
    r_.error(given.at("ms"), "network.latency needs ms or jitter_ms above 0");
  }
  if (name == "network.down" && step.when.kind != Trigger::Kind::now &&
      given.count("probability")) {
    r_.error(given.at("probability"),
             "a network.down with when: cuts at its trigger and takes no probability");
  }
  armed_.insert(name);
}

void Parser::parse_trigger(const YAML::Node& node, Trigger& t) {
  static const std::vector<std::string> kinds = names_of(trigger_kinds());
  if (!node.IsMap()) {
    r_.error(node, "expected a mapping for when, e.g. {host_message: \"0210\"}, got " +
                       describe_value(node));
    return;
  }
  r_.check_unique_keys(node, "when");
  std::vector<YAML::Node> kind_keys, other_keys;
  for (const auto& kv : node) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (std::find(kinds.begin(), kinds.end(), key) == kinds.end()) {
      other_keys.push_back(kv.first);
    } else if (kind_keys.empty() || kind_keys[0].Scalar() != key) {
      kind_keys.push_back(kv.first);
    }
  }
  if (kind_keys.size() > 1) {
    r_.error(kind_keys[1], "a trigger has exactly one of: " + join_names(kinds) + "; found '" +
                               kind_keys[0].Scalar() + "' and '" + kind_keys[1].Scalar() + "'");
    return;
  }
  if (kind_keys.empty()) {
    if (other_keys.empty()) {
      r_.error(node, "when needs one of: " + join_names(kinds));
    } else {
      r_.error(other_keys[0], "unknown trigger " + describe_value(other_keys[0]) +
                                  " (known: " + join_names(kinds) + ")");
    }
    return;
  }
  for (const auto& k : other_keys) {
    r_.error(k, "unknown key " + describe_value(k) +
                    " in when (a trigger has one key: " + join_names(kinds) + ")");
  }
  const std::string kind = kind_keys[0].Scalar();
  const YAML::Node v = node[kind];
  json value;
  if (kind == "host_message" || kind == "wallet_message") {
    parse_message_trigger(v, kind == "host_message", t);
  } else if (kind == "event") {
    if (read_value(v, *find_expectation("event")->value, value, "event")) {
      t.kind = Trigger::Kind::event;
      t.value = value;
    }
  } else if (kind == "prompt") {
    if (read_value(v, *find_expectation("prompt")->value, value, "prompt")) {
      t.kind = Trigger::Kind::prompt;
      t.value = value;
    }
  } else if (read_positive_duration(v, "after", t.delay)) {
    t.kind = Trigger::Kind::after;
  }
}

void Parser::parse_message_trigger(const YAML::Node& v, bool iso, Trigger& t) {
  // The expectation of the same messages has the parameters: mti/path first, direction second.
  const ExpectInfo& info = *find_expectation(iso ? "host_message" : "wallet_message");
  const Param& what = info.params[0];
  const Param& direction = info.params[1];
  Param occurrence;
  occurrence.name = "occurrence";
  occurrence.type = ValueType::integer;
  occurrence.min = 1;

  const std::size_t issues_before = r_.issues().size();
  json value;
  std::string dir;
  int nth = 1;
  if (v.IsScalar()) {
    read_value(v, what, value, what.name);
  } else {
    MapReader m(r_, v, iso ? "host_message trigger" : "wallet_message trigger");
    if (!m.valid()) return;
    if (YAML::Node n = m.get(what.name); !n.IsDefined()) {
      m.missing(what.name);
    } else {
      read_value(n, what, value, what.name);
    }
    m.optional_choice(direction.name, direction.choices, dir);
    if (YAML::Node n = m.get(occurrence.name); n.IsDefined()) {
      json o;
      if (read_value(n, occurrence, o, occurrence.name)) nth = o.get<int>();
    }
    m.finish();
  }
  if (r_.issues().size() != issues_before) return;
  t.kind = iso ? Trigger::Kind::host_message : Trigger::Kind::wallet_message;
  t.value = value.get<std::string>();
  t.direction = !dir.empty() ? dir : iso ? default_direction_for_mti(t.value) : "to_host";
  t.occurrence = nth;
}

void Parser::check_absent_and_count(const json& args, const YAML::Node& absent) {
  if (args.contains("count") && args.contains("absent")) {
    r_.error(absent, "'absent' and 'count' exclude each other");
  }
}

void Parser::parse_expect(const YAML::Node& value, Step& step) {
  static const std::vector<std::string> kinds = names_of(expectations());
  if (!value.IsMap()) {
    r_.error(value, "expected a mapping for expect, got " + describe_value(value));
    return;
  }
  r_.check_unique_keys(value, "expect");
  std::vector<YAML::Node> kind_keys;
  for (const auto& kv : value) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (std::find(kinds.begin(), kinds.end(), key) == kinds.end()) continue;
    if (kind_keys.empty() || kind_keys[0].Scalar() != key) kind_keys.push_back(kv.first);
  }
  if (kind_keys.size() > 1) {
    r_.error(kind_keys[1], "an expect has exactly one of: " + join_names(kinds) + "; found '" +
                               kind_keys[0].Scalar() + "' and '" + kind_keys[1].Scalar() + "'");
    return;
  }
  const auto& modifiers = expect_modifiers();
  if (kind_keys.empty()) {
    for (const auto& kv : value) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      if (key == "within" || key == "since") continue;
      r_.error(kv.first, "unknown expectation '" + key + "' (known: " + join_names(kinds) + ")");
      return;
    }
    r_.error(value, "expect needs one of: " + join_names(kinds));
    return;
  }

  const ExpectInfo& info = *find_expectation(kind_keys[0].Scalar());
  step.expect = info.name;
  step.within = info.default_within;
  json& args = step.args;
  const YAML::Node kind_value = value[info.name];

  // Keys the expect mapping itself may hold.
  std::vector<std::string> known = {info.name};
  if (info.value) {
    for (const auto& p : info.params) known.push_back(p.name);
  }
  for (const auto& p : modifiers) known.push_back(p.name);

  if (info.value) {
    json v;
    if (read_value(kind_value, *info.value, v, info.name)) args[info.value->name] = v;
  } else {
    MapReader m(r_, kind_value, info.name);
    if (m.valid()) {
      read_params(m, info.params, args);
      m.finish();
      const auto names = names_of(info.params);
      if (info.needs_a_param && std::none_of(names.begin(), names.end(),
                                             [&](const std::string& k) { return m.has(k); })) {
        r_.error(kind_value,
                 info.name + " needs at least one of: " + join_names(names_of(info.params)));
      }
      if (info.name == "host_message" && args.contains("mti") && !args.contains("direction")) {
        args["direction"] = default_direction_for_mti(args["mti"]);
      }
      check_absent_and_count(args, m.get("absent"));
    }
  }

  for (const auto& kv : value) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (key == info.name) continue;
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    const auto names = names_of(info.params);
    if (!info.value && std::find(names.begin(), names.end(), key) != names.end()) {
      r_.error(kv.first, "'" + key + "' goes inside " + info.name + ": {…}");
    } else {
      r_.error(kv.first, "unknown key '" + key + "' in expect " + info.name +
                             " (known: " + join_names(known) + ")");
    }
  }
  if (info.value) {
    for (const auto& p : info.params) {
      const YAML::Node n = value[p.name];
      json v;
      if (n.IsDefined() && read_value(n, p, v, p.name)) args[p.name] = v;
    }
    check_absent_and_count(args, value["absent"]);
  }
  if (const YAML::Node n = value["within"]; n.IsDefined()) {
    read_positive_duration(n, "within", step.within);
  }
  if (const YAML::Node n = value["since"]; n.IsDefined()) {
    const Param& since = modifiers[1];
    std::string v;
    if (r_.read_choice(n, since.choices, since.name, v)) step.since = v;
  }
}

Scenario load_from(YamlReader& reader, const std::optional<YAML::Node>& root,
                   const LoadOptions& options) {
  Parser parser(reader, options);
  Scenario s = parser.parse(root);
  reader.throw_if_errors();
  return s;
}

}  // namespace

Scenario load_scenario(const std::string& path, const LoadOptions& options) {
  YamlReader reader(path);
  auto root = reader.load();
  return load_from(reader, root, options);
}

Scenario load_scenario_text(const std::string& text, const std::string& file_name,
                            const LoadOptions& options) {
  YamlReader reader(file_name);
  auto root = reader.load_string(text);
  return load_from(reader, root, options);
}

Step load_step_text(const std::string& yaml, const std::string& origin,
                    const LoadOptions& options) {
  YamlReader reader(origin);
  auto root = reader.load_string(yaml);
  Parser parser(reader, options);
  std::optional<Step> step = parser.parse_one(root);
  reader.throw_if_errors();
  // parse_item records an issue whenever it gives no step: no step and no issue is our bug.
  if (!step) throw std::logic_error("load_step_text: no step and no issue for " + origin);
  return std::move(*step);
}

std::vector<Scenario> load_scenarios(const std::vector<std::string>& paths_or_dirs,
                                     const LoadOptions& options) {
  namespace fs = std::filesystem;
  std::vector<ConfigIssue> issues;
  std::vector<std::string> files;
  std::set<std::string> seen;
  auto add_file = [&](const fs::path& p) {
    std::error_code ec;
    fs::path key = fs::weakly_canonical(p, ec);
    if (seen.insert(ec ? p.string() : key.string()).second) files.push_back(p.string());
  };
  for (const auto& path : paths_or_dirs) {
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (!fs::exists(st)) {
      issues.push_back({path, 0, 0, "no such file or folder"});
    } else if (fs::is_directory(st)) {
      std::vector<fs::path> found;
      for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
        const auto ext = it->path().extension();
        if ((ext == ".yaml" || ext == ".yml") && it->is_regular_file()) found.push_back(it->path());
      }
      if (ec) {
        issues.push_back({path, 0, 0, "cannot read folder: " + ec.message()});
      } else if (found.empty()) {
        issues.push_back({path, 0, 0, "no scenario files (*.yaml, *.yml)"});
      }
      std::sort(found.begin(), found.end());
      for (const auto& f : found) add_file(f);
    } else {
      add_file(path);
    }
  }

  std::vector<Scenario> out;
  std::map<std::string, std::string> ids;  // id -> file
  for (const auto& file : files) {
    try {
      Scenario s = load_scenario(file, options);
      auto [it, fresh] = ids.emplace(s.id(), file);
      if (!fresh) {
        issues.push_back(
            {file, 1, 1, "scenario id '" + s.id() + "' is also used by " + it->second});
        continue;
      }
      out.push_back(std::move(s));
    } catch (const ConfigError& e) {
      issues.insert(issues.end(), e.issues().begin(), e.issues().end());
    }
  }
  if (!issues.empty()) throw ConfigError(std::move(issues));
  return out;
}

}  // namespace rig::scenario
