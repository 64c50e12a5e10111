#include "rig/engine/plan.h"

#include "rig/scenario/catalogue.h"
#include "rig/scenario/registry.h"
#include "rig/terminal/terminal.h"

namespace rig::engine {

std::vector<ConfigIssue> unwired_steps(const bench::Bench& bench, const scenario::Scenario& sc) {
  std::vector<ConfigIssue> issues;
  for (const auto& step : sc.steps) {
    const scenario::StepKind* kind = scenario::kinds().step(step.name);
    if (!kind) continue;
    for (const std::string& family : kind->families(step)) {
      bool any = false;
      for (const auto& st : bench.stations) any = any || st.faults.count(family) > 0;
      if (any) continue;
      issues.push_back({step.loc.file, step.loc.line, step.loc.column,
                        step.name + " needs a " + family + " fixture, and no station of bench '" +
                            bench.name + "' wires one"});
      break;
    }
  }
  return issues;
}

std::string unmet_need(const scenario::Scenario& sc, const terminal::Capabilities& caps,
                       const std::string& driver) {
  for (const auto& step : sc.steps) {
    for (const auto& need : scenario::terminal_needs(step)) {
      std::string why = terminal::lacking(need, caps, driver);
      if (why.empty()) continue;
      std::string what = step.name == "expect" ? "expect " + step.expect : step.name;
      return step.loc.to_string() + ": " + what + " " + why;
    }
  }
  return "";
}

std::string unmet_need(const scenario::Scenario& sc, const bench::Station& station) {
  terminal::TerminalOptions options;
  options.settings = station.terminal.settings;
  options.list_settings = station.terminal.list_settings;
  return unmet_need(sc, terminal::driver_capabilities(station.terminal.driver, options),
                    station.terminal.driver);
}

std::string skip_reason(const scenario::Scenario& sc, const bench::Bench& bench) {
  std::string first;
  for (const auto& station : bench.stations) {
    std::string why = unmet_need(sc, station);
    if (why.empty()) return "";
    if (first.empty()) first = "station " + station.name + ": " + why;
  }
  return first;
}

}  // namespace rig::engine
