#include "rig/scenario/profile_ref.h"

#include <cctype>
#include <functional>
#include <stdexcept>

#include "rig/bench/yaml_reader.h"

namespace rig::scenario {

namespace {

using nlohmann::json;

constexpr const char* kProfile = "${profile.";
constexpr const char* kWording = "${wording.";
constexpr const char* kExprKey = "$expr";

struct Val {
  ExprType type = ExprType::count;
  std::int64_t v = 0;
};

// A figure's value for an expression; nullopt (with `why`) when it is not a number.
using Lookup = std::function<std::optional<Val>(const std::string& name, std::string& why)>;

std::string figure_names() {
  std::vector<std::string> names;
  for (const auto& f : bench::profile_figures()) names.emplace_back(f.name);
  return join_names(names);
}

std::string wording_names() {
  std::vector<std::string> names;
  for (const auto& w : bench::profile_wording()) names.emplace_back(w.name);
  return join_names(names);
}

// Recursive descent over the expression grammar of the header; throws std::invalid_argument.
class Parser {
 public:
  Parser(const std::string& text, const Lookup& lookup) : s_(text), lookup_(lookup) {}

  Val parse() {
    Val v = expr();
    skip();
    if (i_ != s_.size()) fail("unexpected '" + s_.substr(i_) + "'");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw std::invalid_argument("bad expression '" + s_ + "': " + why);
  }
  void skip() {
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
  }
  bool eat(char c) {
    skip();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }

  Val expr() {
    Val v = term();
    for (;;) {
      int sign = eat('+') ? 1 : eat('-') ? -1 : 0;
      if (sign == 0) return v;
      Val r = term();
      if (r.type != v.type) fail("a count and a duration cannot be added");
      v.v += sign * r.v;
    }
  }

  Val term() {
    Val v = factor();
    while (eat('*')) {
      Val r = factor();
      if (v.type == ExprType::duration && r.type == ExprType::duration) {
        fail("two durations cannot be multiplied");
      }
      if (r.type == ExprType::duration) v.type = ExprType::duration;
      v.v *= r.v;
    }
    return v;
  }

  Val factor() {
    skip();
    if (eat('(')) {
      Val v = expr();
      if (!eat(')')) fail("missing ')'");
      return v;
    }
    if (s_.compare(i_, 10, kProfile) == 0) {
      std::size_t end = s_.find('}', i_);
      if (end == std::string::npos) fail("missing '}'");
      const std::string name = s_.substr(i_ + 10, end - i_ - 10);
      i_ = end + 1;
      std::string why;
      std::optional<Val> v = lookup_(name, why);
      if (!v) fail(why);
      return *v;
    }
    std::size_t start = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.')) {
      ++i_;
    }
    const std::string word = s_.substr(start, i_ - start);
    if (word.empty()) {
      fail(i_ < s_.size() ? "unexpected '" + s_.substr(i_) + "'" : "a value is missing at the end");
    }
    if (std::all_of(word.begin(), word.end(), [](char c) { return std::isdigit(c); })) {
      if (word.size() > 9) fail("number " + word + " is too large");
      return {ExprType::count, std::stoll(word)};
    }
    if (auto d = parse_duration(word)) return {ExprType::duration, d->count()};
    fail("'" + word + "' is neither a whole number, a duration (10s) nor ${profile.NAME}");
  }

  const std::string& s_;
  const Lookup& lookup_;
  std::size_t i_ = 0;
};

// Lookup of a figure's kind (and, with a profile, its value).
Lookup figure_lookup(const bench::TerminalProfile* p) {
  return [p](const std::string& name, std::string& why) -> std::optional<Val> {
    const bench::FigureInfo* f = bench::find_figure(name);
    if (!f) {
      why = "unknown figure '" + name + "' (known: " + figure_names() + ")";
      return std::nullopt;
    }
    if (f->kind != bench::FigureKind::count && f->kind != bench::FigureKind::duration) {
      why = "figure '" + name + "' is not a number; use it in a text";
      return std::nullopt;
    }
    Val v;
    v.type = f->kind == bench::FigureKind::count ? ExprType::count : ExprType::duration;
    if (p) {
      const std::string text = bench::figure_text(*p, name).value_or("0");
      v.v = v.type == ExprType::count ? std::stoll(text) : parse_duration(text)->count();
    } else {
      v.v = 1;
    }
    return v;
  };
}

// Calls `each(kind, name, begin, end)` for every reference in `text` (kind "profile" or
// "wording"); a reference without its closing brace is reported with name "".
void for_each_ref(const std::string& text,
                  const std::function<void(const std::string&, const std::string&, std::size_t,
                                           std::size_t)>& each) {
  std::size_t i = 0;
  while ((i = text.find("${", i)) != std::string::npos) {
    const bool profile = text.compare(i, 10, kProfile) == 0;
    const bool wording = text.compare(i, 10, kWording) == 0;
    if (!profile && !wording) {
      i += 2;
      continue;
    }
    std::size_t end = text.find('}', i);
    if (end == std::string::npos) {
      each(profile ? "profile" : "wording", "", i, text.size());
      return;
    }
    each(profile ? "profile" : "wording", text.substr(i + 10, end - i - 10), i, end + 1);
    i = end + 1;
  }
}

}  // namespace

bool has_profile_ref(const std::string& text) {
  return text.find(kProfile) != std::string::npos || text.find(kWording) != std::string::npos;
}

std::optional<std::string> check_expression(const std::string& text, ExprType& type) {
  try {
    type = Parser(text, figure_lookup(nullptr)).parse().type;
    return std::nullopt;
  } catch (const std::invalid_argument& e) {
    return std::string(e.what());
  }
}

std::int64_t evaluate_expression(const std::string& text, const bench::TerminalProfile& p) {
  return Parser(text, figure_lookup(&p)).parse().v;
}

std::optional<std::string> check_text_refs(const std::string& text) {
  std::optional<std::string> problem;
  for_each_ref(text,
               [&](const std::string& kind, const std::string& name, std::size_t, std::size_t) {
                 if (problem) return;
                 if (name.empty()) {
                   problem = "'${" + kind + ".' without its closing '}'";
                 } else if (kind == "profile" && !bench::find_figure(name)) {
                   problem = "unknown figure '" + name + "' (known: " + figure_names() + ")";
                 } else if (kind == "wording" && !bench::find_wording(name)) {
                   problem = "unknown wording '" + name + "' (known: " + wording_names() + ")";
                 }
               });
  return problem;
}

std::string substitute_text(const std::string& text, const bench::TerminalProfile& p,
                            const bench::WordingValues& values) {
  std::string out;
  std::size_t done = 0;
  for_each_ref(text, [&](const std::string& kind, const std::string& name, std::size_t begin,
                         std::size_t end) {
    out += text.substr(done, begin - done);
    if (kind == "profile") {
      out += bench::figure_text(p, name).value_or("");
    } else {
      out += bench::wording_pattern(p, name, values);
    }
    done = end;
  });
  return out + text.substr(std::min(done, text.size()));
}

json expression_value(const std::string& text) { return json{{kExprKey, text}}; }

bool is_expression(const json& v) {
  return v.is_object() && v.size() == 1 && v.contains(kExprKey) && v[kExprKey].is_string();
}

namespace {

// Resolves `v` in place; `values` fill the placeholders of wording references.
void resolve_value(json& v, const bench::TerminalProfile& p, const bench::WordingValues& values) {
  if (is_expression(v)) {
    const std::string text = v[kExprKey].get<std::string>();
    const std::int64_t n = evaluate_expression(text, p);
    if (n < 0) {
      throw std::invalid_argument("'" + text + "' gives " + std::to_string(n) +
                                  " on this station's profile (" + p.name + ")");
    }
    v = n;
  } else if (v.is_string()) {
    const std::string text = v.get<std::string>();
    if (!has_profile_ref(text)) return;
    for_each_ref(text,
                 [&](const std::string& kind, const std::string& name, std::size_t, std::size_t) {
                   if (kind == "profile" && bench::figure_text(p, name).value_or("").empty()) {
                     throw std::invalid_argument("the profile of this station (" + p.name +
                                                 ") does not give " + name);
                   }
                 });
    v = substitute_text(text, p, values);
  } else if (v.is_structured()) {
    for (auto& item : v) resolve_value(item, p, values);
  }
}

}  // namespace

Step resolve_step(const Step& step, const bench::TerminalProfile& p) {
  Step out = step;
  try {
    bench::WordingValues values;
    values.amount = step.args.value("amount", "");
    values.currency = step.args.value("currency", "");
    resolve_value(out.args, p, values);
    if (!step.within_expr.empty()) {
      const std::int64_t ms = evaluate_expression(step.within_expr, p);
      if (ms <= 0) {
        throw std::invalid_argument("within '" + step.within_expr + "' gives " +
                                    std::to_string(ms) + "ms on this station's profile (" + p.name +
                                    ")");
      }
      out.within = Duration(ms);
    }
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(step.loc.to_string() + ": " + e.what());
  }
  return out;
}

}  // namespace rig::scenario
