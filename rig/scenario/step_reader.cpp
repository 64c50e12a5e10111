#include "rig/scenario/step_reader.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <regex>

#include "rig/bench/user_regex.h"
#include "rig/protocol/amount.h"
#include "rig/scenario/profile_ref.h"
#include "rig/scenario/registry.h"

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

// Bounds are whole numbers or probabilities: "1", "0.5".
std::string number_text(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

}  // namespace

SourceLoc StepReader::loc_of(const YAML::Node& n) const {
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

void StepReader::range_error(const YAML::Node& n, const Param& p) {
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

bool StepReader::read_reference(const YAML::Node& n, const Param& p, json& out) {
  const std::string text = n.Scalar();
  switch (p.type) {
    case ValueType::integer:
    case ValueType::count:
    case ValueType::duration: {
      ExprType type = ExprType::count;
      if (auto problem = check_expression(text, type)) {
        r_.error(n, *problem);
        return false;
      }
      ExprType want = p.type == ValueType::duration ? ExprType::duration : ExprType::count;
      // Fault parameters in milliseconds (ms, jitter_ms, gap_ms) take a duration's milliseconds.
      const bool in_ms =
          p.name == "ms" || (p.name.size() > 3 && p.name.substr(p.name.size() - 3) == "_ms");
      if (p.type == ValueType::integer && in_ms) want = ExprType::duration;
      if (type != want) {
        r_.error(n, "'" + p.name + "' is " +
                        (want == ExprType::duration ? "a duration" : "a whole number") + "; '" +
                        text + "' gives " +
                        (type == ExprType::duration ? "a duration" : "a whole number"));
        return false;
      }
      out = expression_value(text);
      return true;
    }
    case ValueType::text:
    case ValueType::pattern:
      if (auto problem = check_text_refs(text)) {
        r_.error(n, *problem);
        return false;
      }
      out = text;
      return p.type != ValueType::pattern || check_pattern(n, text);
    default:
      r_.error(n, "'" + p.name + "' cannot take a profile value (${…}); got " + describe_value(n));
      return false;
  }
}

bool StepReader::check_pattern(const YAML::Node& n, const std::string& text) {
  if (literal_texts_) return true;
  // References stand for patterns of their own (checked when the profile loads).
  std::string probe;
  std::size_t done = 0;
  for (std::size_t i = text.find("${"); i != std::string::npos; i = text.find("${", done)) {
    const std::size_t end = text.find('}', i);
    if (end == std::string::npos) break;
    probe += text.substr(done, i - done) + "(?:x)";
    done = end + 1;
  }
  probe += text.substr(done);
  try {
    (void)user_regex(probe);
    return true;
  } catch (const std::regex_error& e) {
    r_.error(n, "not a regular expression: " + describe_value(n) + " (" + e.what() +
                    "); write match: literal beside it to compare the text as written");
    return false;
  }
}

bool StepReader::read_value(const YAML::Node& n, const Param& p, json& out,
                            const std::string& what) {
  if (n.IsScalar() && has_profile_ref(n.Scalar())) return read_reference(n, p, out);
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
    case ValueType::pattern:
      if (!r_.read(n, text)) return false;
      out = text;
      return check_pattern(n, text);
    case ValueType::count:
      return read_count(n, p, out);
  }
  return false;
}

bool StepReader::read_count(const YAML::Node& n, const Param& p, json& out) {
  Param bound = p;
  bound.type = ValueType::integer;
  if (!n.IsMap()) return read_value(n, bound, out, p.name);
  MapReader m(r_, n, p.name);
  json bounds = json::object();
  for (const char* key : {"min", "max"}) {
    YAML::Node b = m.get(key);
    if (!b.IsDefined()) continue;
    bound.name = p.name + "." + key;
    json v;
    if (read_value(b, bound, v, bound.name)) bounds[key] = v;
  }
  m.finish();
  if (!m.has("min") && !m.has("max")) {
    r_.error(n, "'" + p.name + "' bounds need min, max or both, e.g. {min: 1, max: 3}");
    return false;
  }
  if (bounds.size() == 2 && bounds["min"].is_number() && bounds["max"].is_number() &&
      bounds["min"].get<std::int64_t>() > bounds["max"].get<std::int64_t>()) {
    r_.error(n, "'" + p.name + "': min is above max");
    return false;
  }
  out = bounds;
  return true;
}

bool StepReader::read_positive_duration(const YAML::Node& n, const std::string& what,
                                        Duration& out) {
  Duration d{0};
  if (!r_.read(n, d)) return false;
  if (d.count() <= 0) {
    r_.error(n, "'" + what + "' must be above 0, got " + describe_value(n));
    return false;
  }
  out = d;
  return true;
}

void StepReader::read_params(MapReader& m, const std::vector<Param>& params, json& out) {
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

void StepReader::read_trigger(const YAML::Node& node, Trigger& t) {
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
    read_message_trigger(v, kind == "host_message", t);
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

void StepReader::read_message_trigger(const YAML::Node& v, bool iso, Trigger& t) {
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

void StepReader::check_absent_and_count(const json& args, const YAML::Node& absent) {
  if (args.contains("count") && args.contains("absent")) {
    r_.error(absent, "'absent' and 'count' exclude each other");
  }
}

void StepReader::read_expect(const YAML::Node& value, Step& step) {
  static const std::vector<std::string> kind_names = names_of(expectations());
  if (!value.IsMap()) {
    r_.error(value, "expected a mapping for expect, got " + describe_value(value));
    return;
  }
  r_.check_unique_keys(value, "expect");
  std::vector<YAML::Node> kind_keys;
  for (const auto& kv : value) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (std::find(kind_names.begin(), kind_names.end(), key) == kind_names.end()) continue;
    if (kind_keys.empty() || kind_keys[0].Scalar() != key) kind_keys.push_back(kv.first);
  }
  if (kind_keys.size() > 1) {
    r_.error(kind_keys[1], "an expect has exactly one of: " + join_names(kind_names) + "; found '" +
                               kind_keys[0].Scalar() + "' and '" + kind_keys[1].Scalar() + "'");
    return;
  }
  const auto& modifiers = expect_modifiers();
  if (kind_keys.empty()) {
    for (const auto& kv : value) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      if (key == "within" || key == "since") continue;
      r_.error(kv.first,
               "unknown expectation '" + key + "' (known: " + join_names(kind_names) + ")");
      return;
    }
    r_.error(value, "expect needs one of: " + join_names(kind_names));
    return;
  }

  // `match: literal` texts are not patterns.
  const YAML::Node match = value["match"];
  literal_texts_ = match.IsDefined() && match.IsScalar() && match.Scalar() == "literal";
  const ExpectKind& kind = *kinds().expectation(kind_keys[0].Scalar());
  const ExpectInfo& info = kind.info();
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
    json v;
    if (n.IsScalar() && has_profile_ref(n.Scalar())) {
      if (read_value(n, modifiers[0], v, "within")) step.within_expr = n.Scalar();
    } else {
      read_positive_duration(n, "within", step.within);
    }
  }
  if (const YAML::Node n = value["since"]; n.IsDefined()) {
    const Param& since = modifiers[1];
    std::string v;
    if (r_.read_choice(n, since.choices, since.name, v)) step.since = v;
  }
  if (const YAML::Node n = value["match"]; n.IsDefined()) {
    const Param& match = modifiers[2];
    std::string v;
    if (r_.read_choice(n, match.choices, match.name, v)) step.match = v;
  }
  kind.normalize(*this, kind_value, step);
  literal_texts_ = false;
}

}  // namespace rig::scenario
