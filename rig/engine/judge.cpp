#include "rig/engine/judge.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <regex>
#include <utility>

namespace rig::engine {

using nlohmann::json;

namespace {

// judge() with its deadline given: `within` is what a failure says the window was.
std::string judge_until(CheckContext& ctx, const scenario::Step& step, const std::string& what,
                        const Eval& eval, bool positive, Clock::time_point deadline,
                        std::chrono::milliseconds within) {
  const Timeline& tl = ctx.timeline();
  std::string failure;
  if (positive) {
    bool ok =
        tl.wait_until([&](const std::vector<Entry>& es) { return eval(es).empty(); }, deadline);
    if (ok) return "";
    failure = eval(tl.snapshot());
  } else {
    // Absences and counts can only be judged at the end of the window.
    tl.wait_until([](const std::vector<Entry>&) { return false; }, deadline);
    failure = eval(tl.snapshot());
    if (failure.empty()) return "";
  }
  if (ctx.interrupted()) return step.loc.to_string() + ": interrupted while waiting for " + what;
  return step.loc.to_string() + ": expected " + what + " within " + std::to_string(within.count()) +
         "ms; " + failure;
}

}  // namespace

std::string judge(CheckContext& ctx, const scenario::Step& step, const std::string& what,
                  const Eval& eval, bool positive) {
  const std::chrono::milliseconds within = ctx.within(step, positive);
  return judge_until(ctx, step, what, eval, positive, Clock::now() + within, within);
}

Occurrences Occurrences::of(const json& args) {
  Occurrences o;
  o.absent = args.value("absent", false);
  auto it = args.find("count");
  if (it == args.end()) return o;
  if (it->is_number_integer()) {
    o.min = o.max = it->get<int>();
  } else if (it->is_object()) {
    if (it->contains("min") && (*it)["min"].is_number_integer()) o.min = (*it)["min"].get<int>();
    if (it->contains("max") && (*it)["max"].is_number_integer()) o.max = (*it)["max"].get<int>();
  }
  return o;
}

bool Occurrences::holds(int n) const {
  if (absent) return n == 0;
  if (!min && !max) return n > 0;
  return (!min || n >= *min) && (!max || n <= *max);
}

std::string Occurrences::describe(const std::string& what) const {
  if (absent) return "no " + what;
  if (min && max && *min == *max) return std::to_string(*min) + " × " + what;
  if (min && max) return std::to_string(*min) + " to " + std::to_string(*max) + " × " + what;
  if (min) return "at least " + std::to_string(*min) + " × " + what;
  if (max) return "at most " + std::to_string(*max) + " × " + what;
  return what;
}

std::string judge_occurrences(CheckContext& ctx, const scenario::Step& step,
                              const std::string& what, std::size_t from, const Matches& matches,
                              const std::function<bool(const Entry&)>& shown) {
  const Occurrences want = Occurrences::of(step.args);
  auto count = [&](const std::vector<Entry>& es) {
    int n = 0;
    // An entry about an earlier scenario's transaction is shown, never counted (provenance.h).
    for (std::size_t i = from; i < es.size(); ++i) {
      n += !of_earlier_scenario(es[i]) && matches(es, i) ? 1 : 0;
    }
    return n;
  };
  auto eval = [&](const std::vector<Entry>& es) -> std::string {
    const int n = count(es);
    if (want.holds(n)) return "";
    std::string seen = seen_list(es, from, shown);
    return want.counting() ? "counted " + std::to_string(n) + "; " + seen : seen;
  };
  if (!want.at_deadline() || !want.min || *want.min <= 0) {
    return judge(ctx, step, want.describe(what), eval, !want.at_deadline());
  }
  // `count: N` or {min, max}: the lower bound is something that must happen, and a busy machine
  // may deliver it late, so it gets a positive check's floor (a scaled 10 s window is 500 ms on
  // the virtual bench); the upper bound is judged when the step's own window ends, or at once
  // if the lower bound was reached after that.
  const Clock::time_point start = Clock::now();
  const std::chrono::milliseconds window = ctx.within(step, false);
  const std::chrono::milliseconds floor = std::max(window, ctx.within(step, true));
  ctx.timeline().wait_until(
      [&](const std::vector<Entry>& es) { return count(es) >= *want.min; }, start + floor);
  return judge_until(ctx, step, want.describe(what), eval, false,
                     std::max(start + window, Clock::now()), floor);
}

bool field_matches(const json& want, const json& have) {
  const std::string h = have.is_string() ? have.get<std::string>() : have.dump();
  const std::string w = want.is_string() ? want.get<std::string>() : want.dump();
  return h == w;
}

bool text_matches(const std::string& have, const std::string& want, const std::string& match) {
  if (match == "literal") return have.find(want) != std::string::npos;
  // Checks wait on the timeline and judge it again after every entry: compile each pattern once.
  thread_local std::map<std::pair<std::string, bool>, std::optional<std::regex>> cache;
  const bool icase = match != "case";
  auto [it, fresh] = cache.try_emplace({want, icase});
  if (fresh) {
    try {
      auto flags = std::regex::ECMAScript;
      if (icase) flags |= std::regex::icase;
      it->second.emplace(want, flags);
    } catch (const std::regex_error&) {
    }
  }
  return it->second && std::regex_search(have, *it->second);
}

std::string fields_text(const json& fields) {
  std::string out;
  for (const auto& [k, v] : fields.items()) {
    if (!out.empty()) out += ' ';
    out += k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out;
}

std::string describe_entry(const Entry& e) {
  if (e.kind == EntryKind::host_message) {
    return e.fields.value("mti", "?") + " " + e.fields.value("direction", "") +
           (of_earlier_scenario(e) ? " (of an earlier scenario)" : "");
  }
  if (e.kind == EntryKind::wallet_message) {
    return e.fields.value("method", "") + " " + e.fields.value("path", "") + " " +
           e.fields.value("direction", "");
  }
  std::string kind = to_string(e.kind);
  for (auto& c : kind) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return kind + " " + fields_text(e.fields);
}

std::string seen_list(const std::vector<Entry>& es, std::size_t from,
                      const std::function<bool(const Entry&)>& relevant) {
  std::vector<std::string> items;
  for (std::size_t i = from; i < es.size(); ++i) {
    if (relevant(es[i])) items.push_back(describe_entry(es[i]));
  }
  if (items.empty()) return "saw none";
  std::string out = "saw ";
  std::size_t first = items.size() > 6 ? items.size() - 6 : 0;
  if (first > 0) out += "… ";
  for (std::size_t i = first; i < items.size(); ++i) out += (i > first ? "; " : "") + items[i];
  return out;
}

}  // namespace rig::engine
