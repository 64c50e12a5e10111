#include "rig/engine/plan.h"

#include "rig/engine/station.h"
#include "rig/scenario/catalogue.h"

namespace rig::engine {

std::vector<ConfigIssue> unwired_steps(const bench::Bench& bench, const scenario::Scenario& sc) {
  std::vector<ConfigIssue> issues;
  for (const auto& step : sc.steps) {
    std::string family;
    if (step.name == "fault" || step.name == "clear") {
      std::string f = step.args.value("fault", "all");
      if (f == "all") continue;
      family = family_of(f);
    } else if (const auto* info = scenario::find_step(step.name)) {
      family = info->family;
      if (step.name == "sale" && step.args.contains("card")) family = "card";
    }
    // The ecr family is built into the terminal driver.
    if (family.empty() || family == "ecr") continue;
    bool any = false;
    for (const auto& st : bench.stations) any = any || st.faults.count(family) > 0;
    if (!any) {
      issues.push_back({step.loc.file, step.loc.line, step.loc.column,
                        step.name + " needs a " + family + " fixture, and no station of bench '" +
                            bench.name + "' wires one"});
    }
  }
  return issues;
}

}  // namespace rig::engine
