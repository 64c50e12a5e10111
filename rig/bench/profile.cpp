#include "rig/bench/profile.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <variant>

#include "rig/bench/config_error.h"
#include "rig/bench/user_regex.h"
#include "rig/bench/yaml_reader.h"

namespace rig::bench {

namespace {

using std::chrono::milliseconds;

constexpr std::int64_t kSecond = 1000;

// A correct terminal words an approval or a decline somehow; these are the words any of them
// uses (case-insensitive).
constexpr std::string_view kApproved = "approv|accept|success|paid|authori[sz]ed";
constexpr std::string_view kDeclined =
    "declin|refus|reject|denied|not (?:approved|accepted|authori[sz]ed)";

}  // namespace

const std::vector<FigureInfo>& profile_figures() {
  static const std::vector<FigureInfo> figures = {
      {"host_timeout", FigureKind::duration, 1, 20 * kSecond, 90 * kSecond,
       "how long the terminal waits for the host's answer to a 0200 or a 0400/0401"},
      {"reversal_attempts", FigureKind::count, 3, 1, 10,
       "reversal messages sent per stored reversal (the 0400 and its 0401 repeats)"},
      {"reversal_interval", FigureKind::duration, 3, 0, 60 * kSecond,
       "pause between an unanswered or refused reversal message and the next one"},
      {"chip_reads", FigureKind::count, 7, 1, 5, "chip reads before the terminal prompts to swipe"},
      {"stripe_reads", FigureKind::count, 9, 1, 5, "failed swipes before the sale fails"},
      {"scan_tries", FigureKind::count, 12, 1, 5,
       "failed scans before the terminal offers manual entry of the code"},
      {"pin_tries", FigureKind::count, 10, 1, 9, "wrong PINs before the PIN is blocked"},
      {"wallet_queries", FigureKind::count, 13, 1, 30,
       "order queries after an unsettled micropay before the order is reversed"},
      {"wallet_query_interval", FigureKind::duration, 13, 1 * kSecond, 10 * kSecond,
       "pause before each order query"},
      {"reverse_attempts", FigureKind::count, 14, 1, 10,
       "wallet reverse (cancel) attempts before the payment is left UNKNOWN"},
      {"operator_tries", FigureKind::count, 21, 1, 10,
       "wrong operator passwords in a row before the terminal locks"},
      {"currency", FigureKind::currency, 0, 3, 3, "ISO 4217 numeric currency of the terminal"},
      {"operator_password", FigureKind::password, 21, 4, 12,
       "operator password (LOGIN); empty: not known"},
      {"supervisor_password", FigureKind::password, 21, 4, 12,
       "supervisor password (UNLOCK); empty: not known"},
  };
  return figures;
}

const FigureInfo* find_figure(std::string_view name) {
  for (const auto& f : profile_figures()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const std::vector<WordingInfo>& profile_wording() {
  static const std::string declined(kDeclined);
  static const std::vector<WordingInfo> wording = {
      {"approved_result", "result", 0, kApproved, "RESULT text of an approved transaction"},
      {"declined_result", "result", 11, kDeclined, "RESULT text of a declined transaction"},
      {"insufficient_funds_result", "result", 11, "insufficient|funds|balance|\\b51\\b",
       "RESULT text of a decline for insufficient funds (51)"},
      {"expired_card_result", "result", 11, "expir|\\b54\\b",
       "RESULT text of a decline for an expired card (54)"},
      {"restricted_card_result", "result", 11, "restrict|frozen|block|\\b62\\b",
       "RESULT text of a decline for a restricted or frozen card (62)"},
      {"query_settled_result", "result", 15, "approv|accept|success|paid|settled",
       "RESULT text of a QR sale settled by a later QUERY"},
      {"approved_display", "display", 0, kApproved, "display after an approval"},
      {"declined_display", "display", 11, kDeclined, "display after a decline"},
      {"pin_blocked_display", "display", 10, "block|lock|exceed|no (?:more )?tries",
       "display when the PIN tries ran out"},
      {"last_pin_try_display", "display", 10, "last|final|(?:^|[^0-9])1 (?:try|attempt)",
       "display when one PIN try is left"},
      {"reversal_failed_display", "display", 3, "contact|support|call|revers",
       "display when a reversal's attempts ran out (contact support)"},
      {"locked_display", "display", 21, "lock|block", "display of a terminal locked (rule 21)"},
      {"paper_out_display", "display", 16, "paper", "display when the paper ran out (reload)"},
      {"receipt_amount", "receipt", 16, "(?:^|[^0-9.]){amount}(?:[^0-9]|$)",
       "the receipt line with the transaction's amount"},
      {"duplicate_marker", "receipt", 17, "duplicate|copy|reprint",
       "what marks a reprinted receipt as a duplicate"},
  };
  return wording;
}

const WordingInfo* find_wording(std::string_view name) {
  for (const auto& w : profile_wording()) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

TerminalProfile::TerminalProfile() {
  for (const auto& w : profile_wording()) wording[std::string(w.name)] = std::string(w.fallback);
}

namespace {

using Slot = std::variant<milliseconds*, int*, std::string*>;
using ConstSlot = std::variant<const milliseconds*, const int*, const std::string*>;

template <typename Profile, typename Result>
Result slot_of(Profile& p, std::string_view name) {
  if (name == "host_timeout") return &p.host_timeout;
  if (name == "reversal_attempts") return &p.reversal_attempts;
  if (name == "reversal_interval") return &p.reversal_interval;
  if (name == "chip_reads") return &p.chip_reads;
  if (name == "stripe_reads") return &p.stripe_reads;
  if (name == "scan_tries") return &p.scan_tries;
  if (name == "pin_tries") return &p.pin_tries;
  if (name == "wallet_queries") return &p.wallet_queries;
  if (name == "wallet_query_interval") return &p.wallet_query_interval;
  if (name == "reverse_attempts") return &p.reverse_attempts;
  if (name == "operator_tries") return &p.operator_tries;
  if (name == "currency") return &p.currency;
  if (name == "operator_password") return &p.operator_password;
  return &p.supervisor_password;  // the last name of profile_figures()
}

std::string figure_names() {
  std::vector<std::string> names;
  for (const auto& f : profile_figures()) names.emplace_back(f.name);
  return join_names(names);
}

std::string wording_names() {
  std::vector<std::string> names;
  for (const auto& w : profile_wording()) names.emplace_back(w.name);
  return join_names(names);
}

bool all_digits(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string rule_text(const FigureInfo& f) {
  return f.rule ? " (DOMAIN rule " + std::to_string(f.rule) + ")" : "";
}

// Replaces each {amount} / {currency} of `pattern`; returns the unknown placeholder found, if any
// ("{total}"). A brace that does not open a name (a quantifier like {2,3}) is left alone.
std::optional<std::string> fill_placeholders(const std::string& pattern,
                                             const std::map<std::string, std::string>& values,
                                             std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      out += pattern.substr(i, 2);
      ++i;
      continue;
    }
    if (pattern[i] == '{') {
      std::size_t end = i + 1;
      while (end < pattern.size() &&
             (std::islower(static_cast<unsigned char>(pattern[end])) || pattern[end] == '_')) {
        ++end;
      }
      if (end > i + 1 && end < pattern.size() && pattern[end] == '}') {
        std::string name = pattern.substr(i + 1, end - i - 1);
        auto it = values.find(name);
        if (it == values.end()) return "{" + name + "}";
        out += it->second;
        i = end;
        continue;
      }
    }
    out += pattern[i];
  }
  return std::nullopt;
}

}  // namespace

std::string format_duration(milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

std::optional<std::string> set_figure(TerminalProfile& p, std::string_view name,
                                      const std::string& text) {
  const FigureInfo* f = find_figure(name);
  if (!f) return "unknown figure '" + std::string(name) + "' (known: " + figure_names() + ")";
  const std::string n(name);
  Slot slot = slot_of<TerminalProfile, Slot>(p, name);
  switch (f->kind) {
    case FigureKind::duration: {
      auto d = parse_duration(text);
      if (!d) return n + ": bad duration '" + text + "': expected a number followed by ms, s or m";
      if (d->count() < f->min || d->count() > f->max) {
        return n + " must be " + format_duration(milliseconds(f->min)) + " to " +
               format_duration(milliseconds(f->max)) + rule_text(*f) + ", got " + text;
      }
      *std::get<milliseconds*>(slot) = *d;
      break;
    }
    case FigureKind::count: {
      if (text.empty() || text.size() > 9 || !all_digits(text)) {
        return n + ": expected a whole number, got '" + text + "'";
      }
      const int v = std::stoi(text);
      if (v < f->min || v > f->max) {
        return n + " must be " + std::to_string(f->min) + " to " + std::to_string(f->max) +
               rule_text(*f) + ", got " + text;
      }
      *std::get<int*>(slot) = v;
      break;
    }
    case FigureKind::currency:
      if (text.size() != 3 || !all_digits(text)) {
        return n + ": expected 3 digits (ISO 4217 numeric, e.g. 156), got '" + text + "'";
      }
      *std::get<std::string*>(slot) = text;
      break;
    case FigureKind::password:
      if (!text.empty() && (!all_digits(text) || static_cast<std::int64_t>(text.size()) < f->min ||
                            static_cast<std::int64_t>(text.size()) > f->max)) {
        return n + ": expected " + std::to_string(f->min) + " to " + std::to_string(f->max) +
               " digits (keypad keys)";
      }
      *std::get<std::string*>(slot) = text;
      break;
  }
  p.given.insert(n);
  return std::nullopt;
}

std::optional<std::string> figure_text(const TerminalProfile& p, std::string_view name) {
  if (!find_figure(name)) return std::nullopt;
  ConstSlot slot = slot_of<const TerminalProfile, ConstSlot>(p, name);
  if (auto d = std::get_if<const milliseconds*>(&slot)) return format_duration(**d);
  if (auto i = std::get_if<const int*>(&slot)) return std::to_string(**i);
  return *std::get<const std::string*>(slot);
}

std::string regex_escape(std::string_view text) {
  static const std::string_view special = "\\^$.|?*+()[]{}/";
  std::string out;
  for (char c : text) {
    if (special.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::optional<std::string> set_wording(TerminalProfile& p, std::string_view name,
                                       const std::string& pattern) {
  const std::string n(name);
  if (!find_wording(name)) return "unknown wording '" + n + "' (known: " + wording_names() + ")";
  if (pattern.empty()) return "wording '" + n + "' is empty";
  std::string filled;
  if (auto unknown =
          fill_placeholders(pattern, {{"amount", "1\\.00"}, {"currency", "156"}}, filled)) {
    return "wording '" + n + "': unknown placeholder " + *unknown +
           " (known: {amount}, {currency})";
  }
  try {
    (void)user_regex(filled, std::regex::ECMAScript | std::regex::icase);
  } catch (const std::regex_error& e) {
    return "wording '" + n + "': not a regular expression: " + e.what();
  }
  p.wording[n] = pattern;
  p.given.insert("wording." + n);
  return std::nullopt;
}

std::string wording_pattern(const TerminalProfile& p, std::string_view name,
                            const WordingValues& values) {
  const std::string& pattern = p.wording.at(std::string(name));
  std::string out;
  fill_placeholders(
      pattern,
      {{"amount", regex_escape(values.amount)},
       {"currency", regex_escape(values.currency.empty() ? p.currency : values.currency)}},
      out);
  return out;
}

std::regex wording_regex(const TerminalProfile& p, std::string_view name,
                         const WordingValues& values) {
  return std::regex(wording_pattern(p, name, values), std::regex::ECMAScript | std::regex::icase);
}

bool wording_matches(const TerminalProfile& p, std::string_view name, const std::string& text,
                     const WordingValues& values) {
  return std::regex_search(text, wording_regex(p, name, values));
}

std::map<std::string, std::string> profile_variables(const TerminalProfile& p) {
  std::map<std::string, std::string> out;
  for (const auto& f : profile_figures()) {
    out["profile." + std::string(f.name)] = *figure_text(p, f.name);
  }
  return out;
}

std::string describe_profile(const TerminalProfile& p) {
  std::string out = p.name;
  if (!p.file.empty()) {
    std::error_code ec;
    std::string shown = std::filesystem::relative(p.file, std::filesystem::current_path(), ec);
    out += " (" + (ec || shown.empty() || shown.rfind("..", 0) == 0 ? p.file : shown) + ")";
  }
  out += ":";
  bool first = true;
  for (const auto& f : profile_figures()) {
    std::string value = *figure_text(p, f.name);
    if (f.kind == FigureKind::password) value = value.empty() ? "not set" : "set";
    out += (first ? " " : ", ") + std::string(f.name) + " " + value;
    first = false;
  }
  std::size_t given = 0;
  for (const auto& w : profile_wording()) given += p.given.count("wording." + std::string(w.name));
  out += "; wording: " + std::to_string(given) + " of " + std::to_string(profile_wording().size()) +
         " patterns given";
  return out;
}

namespace {

// The keys of a profile mapping (file or inline) into `p`.
void read_keys(YamlReader& reader, MapReader& m, const std::string& what, TerminalProfile& p) {
  m.optional("description", p.description);
  for (const auto& f : profile_figures()) {
    YAML::Node n = m.get(std::string(f.name));
    if (!n.IsDefined()) continue;
    if (!n.IsScalar()) {
      reader.error(n, std::string(f.name) + ": expected a value, got " + describe_value(n));
      continue;
    }
    if (auto problem = set_figure(p, f.name, n.Scalar())) reader.error(n, *problem);
  }
  if (YAML::Node w = m.get("wording"); w.IsDefined()) {
    MapReader wm(reader, w, "wording of " + what);
    if (wm.valid()) {
      std::vector<std::string> names;
      for (const auto& info : profile_wording()) names.emplace_back(info.name);
      wm.allow(names);  // finish() then lists every name for an unknown one
      for (const auto& kv : w) {
        const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "";
        if (!find_wording(name)) continue;
        std::string pattern;
        if (!reader.read(kv.second, pattern)) continue;
        if (auto problem = set_wording(p, name, pattern)) reader.error(kv.second, *problem);
      }
      wm.finish();
    }
  }
  m.finish();
  if (!p.operator_password.empty() && p.operator_password == p.supervisor_password) {
    reader.error(m.get("supervisor_password"),
                 "operator_password and supervisor_password must differ");
  }
}

}  // namespace

TerminalProfile read_profile(YamlReader& reader, const YAML::Node& node, const std::string& what) {
  TerminalProfile p;
  p.name = "inline";
  MapReader m(reader, node, what);
  if (m.valid()) read_keys(reader, m, what, p);
  return p;
}

TerminalProfile load_profile(const std::string& path) {
  YamlReader reader(path);
  auto root = reader.load();
  if (!root) reader.throw_if_errors();
  TerminalProfile p;
  p.name = std::filesystem::path(path).stem().string();
  p.file = std::filesystem::absolute(path).lexically_normal().string();
  MapReader m(reader, *root, "terminal profile");
  if (m.valid()) {
    std::string name;
    if (m.optional("name", name) && name != p.name) {
      reader.error(m.get("name"), "name '" + name + "' must match the file name '" + p.name + "'");
    }
    read_keys(reader, m, "terminal profile", p);
  }
  reader.throw_if_errors();
  return p;
}

}  // namespace rig::bench
