#include "rig/engine/plan.h"

#include <functional>
#include <set>

#include "rig/engine/station.h"
#include "rig/scenario/catalogue.h"
#include "rig/scenario/registry.h"
#include "rig/terminal/terminal.h"

namespace rig::engine {

std::vector<fault::Need> step_needs(const scenario::Step& step, const PlanOptions& options) {
  std::vector<fault::Need> out = scenario::fixture_needs(step);
  // The cardholder types the PIN of a sale's card on the keypad when the terminal asks for it
  // (rig/engine/fixtures.h answer_pins, started by the sale step): the keypad is needed when
  // the card's profile has a PIN.
  if (step.name == "sale" && step.args.contains("card") && options.cards) {
    auto card = options.cards->find(step.args.value("card", ""));
    if (card != options.cards->end() && !card->second.pin.empty()) {
      nlohmann::json keys = nlohmann::json::array();
      for (char c : card->second.pin) keys.push_back(std::string(1, c));
      keys.push_back("ENTER");
      out.push_back(
          scenario::need_of(step, "keypad.press", {{"keys", keys}}, "sale (the cardholder's PIN)"));
    }
  }
  return out;
}

std::vector<fault::Need> scenario_needs(const scenario::Scenario& scenario,
                                        const PlanOptions& options) {
  std::vector<fault::Need> out;
  std::string inserted_by;  // the card action that put the card in, as the drivers track it
  for (const auto& step : scenario.steps) {
    for (auto& n : step_needs(step, options)) {
      if (n.action == "card.remove") {
        n.inserted_by = inserted_by;
        inserted_by.clear();
      } else if (fault::family_of(n.action) == "card") {
        inserted_by = n.action;
      }
      out.push_back(std::move(n));
    }
  }
  return out;
}

namespace {

// The needs of each step of `sc` on the terminal driver, as unmet_need() and terminal_gaps()
// ask them: a sale or refund whose id an earlier one had sends a payment again under that id.
void for_each_terminal_need(
    const scenario::Scenario& sc,
    const std::function<bool(const scenario::Step&, const terminal::Need&)>& visit) {
  std::set<std::string> payment_ids;  // ids the scenario gave its sales and refunds so far
  for (const auto& step : sc.steps) {
    std::vector<terminal::Need> needs = scenario::terminal_needs(step);
    if ((step.name == "sale" || step.name == "refund") && step.args.contains("id")) {
      if (!payment_ids.insert(step.args.value("id", "")).second) {
        needs.push_back(terminal::Need::transaction_ids());
      }
    }
    for (const auto& need : needs) {
      if (!visit(step, need)) return;
    }
  }
}

terminal::Capabilities station_capabilities(const bench::Station& station) {
  terminal::TerminalOptions options;
  options.link_spec = station.terminal.link;  // as written: a driver's transport shows in it
  options.settings = station.terminal.settings;
  options.list_settings = station.terminal.list_settings;
  return terminal::driver_capabilities(station.terminal.driver, options);
}

// What the terminal driver a station wires lacks for `scenario`: one gap per step and need.
void terminal_gaps(const bench::Station& station, const scenario::Scenario& scenario,
                   std::vector<Gap>& gaps) {
  const terminal::Capabilities caps = station_capabilities(station);
  for_each_terminal_need(scenario, [&](const scenario::Step& step, const terminal::Need& need) {
    std::string why = terminal::lacking(need, caps, station.terminal.driver);
    if (why.empty()) return true;
    fault::Need where;
    where.loc = step.loc;
    where.step = step.name == "expect" ? "expect " + step.expect : step.name;
    gaps.push_back({std::move(where), std::move(why)});
    return true;
  });
}

}  // namespace

std::vector<Gap> station_gaps(const bench::Station& station, const scenario::Scenario& scenario,
                              const PlanOptions& options) {
  std::vector<Gap> gaps;
  terminal_gaps(station, scenario, gaps);
  for (auto& n : scenario_needs(scenario, options)) {
    // The ecr family is the terminal driver's own: terminal_gaps() asks it.
    if (!fault::find_family(fault::family_of(n.action))) continue;
    std::string why = fault::refusal(station, n, options.reach);
    if (!why.empty()) gaps.push_back({std::move(n), std::move(why)});
  }
  return gaps;
}

namespace {

std::string gap_text(const Gap& g) {
  return g.why + " (" + g.need.step + " at " + g.need.loc.to_string() + ")";
}

std::string station_reason(const std::vector<Gap>& gaps) {
  std::string text = gap_text(gaps.front());
  // Other needs the station lacks, named once each.
  std::set<std::string> others;
  for (std::size_t i = 1; i < gaps.size(); ++i) {
    if (gaps[i].why != gaps.front().why) {
      // A terminal gap reads "needs terminal events; driver zvt …": name "terminal events".
      const std::string& why = gaps[i].why;
      others.insert(gaps[i].need.action.empty() ? why.substr(6, why.find(';') - 6)
                                                : gaps[i].need.action);
    }
  }
  if (!others.empty()) {
    std::string names;
    for (const auto& o : others) names += (names.empty() ? "" : ", ") + o;
    text += "; also lacks " + names;
  }
  return text;
}

}  // namespace

Coverage coverage(const bench::Bench& bench, const scenario::Scenario& scenario,
                  const PlanOptions& options) {
  Coverage c;
  std::vector<std::pair<std::string, std::string>> reasons;  // (station, reason)
  for (const auto& st : bench.stations) {
    std::vector<Gap> gaps = station_gaps(st, scenario, options);
    if (gaps.empty()) {
      c.stations.push_back(st.name);
      continue;
    }
    reasons.emplace_back(st.name, station_reason(gaps));
    for (auto& g : gaps) c.gaps.emplace_back(st.name, std::move(g));
  }
  if (c.runnable()) {
    c.gaps.clear();
    return c;
  }
  bool same = true;
  for (const auto& r : reasons) same = same && r.second == reasons.front().second;
  if (same && !reasons.empty()) {
    const std::string& r = reasons.front().second;
    c.skip_reason = (r.rfind("lacks ", 0) == 0 ? "bench " : "") + r;
  } else {
    for (const auto& [station, reason] : reasons) {
      c.skip_reason += (c.skip_reason.empty() ? "" : "; ") + ("station " + station + ": " + reason);
    }
  }
  return c;
}

std::vector<ConfigIssue> skip_issues(const bench::Bench& bench, const Coverage& coverage) {
  // A gap every station has is said once, for the bench; others name their station.
  std::map<std::string, std::set<std::string>> stations_with;  // gap key -> stations
  auto key = [](const Gap& g) {
    return g.need.loc.to_string() + "|" + g.need.action + "|" + g.why;
  };
  for (const auto& [station, gap] : coverage.gaps) stations_with[key(gap)].insert(station);
  std::vector<ConfigIssue> issues;
  std::set<std::string> said;
  for (const auto& [station, gap] : coverage.gaps) {
    const bool everywhere = stations_with[key(gap)].size() == bench.stations.size();
    std::string who = !everywhere                       ? "station " + station + " "
                      : gap.why.rfind("lacks ", 0) == 0 ? "bench "
                                                        : "";
    // Terminal gaps say what they need themselves ("needs terminal events; driver zvt …").
    std::string message =
        (gap.need.action.empty()
             ? gap.need.step + " " + gap.why + (everywhere ? "" : " (station " + station + ")")
             : gap.need.step + " needs " + gap.need.action + ": " + who + gap.why) +
        "; skipped on bench '" + bench.name + "'";
    if (!said.insert(gap.need.loc.to_string() + message).second) continue;
    issues.push_back({gap.need.loc.file, gap.need.loc.line, gap.need.loc.column, message});
  }
  return issues;
}

std::string unmet_need(const scenario::Scenario& sc, const terminal::Capabilities& caps,
                       const std::string& driver) {
  std::string first;
  for_each_terminal_need(sc, [&](const scenario::Step& step, const terminal::Need& need) {
    std::string why = terminal::lacking(need, caps, driver);
    if (why.empty()) return true;
    std::string what = step.name == "expect" ? "expect " + step.expect : step.name;
    first = step.loc.to_string() + ": " + what + " " + why;
    return false;
  });
  return first;
}

std::string unmet_need(const scenario::Scenario& sc, const bench::Station& station) {
  return unmet_need(sc, station_capabilities(station), station.terminal.driver);
}

}  // namespace rig::engine
