#include "rig/fault/manual.h"

#include <iostream>

namespace rig::fault {

namespace {

using nlohmann::json;
using Vars = std::map<std::string, std::string>;

// The console: the instruction, then Enter.
bool ask_at_console(const std::string& prompt) {
  std::cout << "\n[operator] " << prompt << "\n[operator] press Enter when done: " << std::flush;
  std::string line;
  return static_cast<bool>(std::getline(std::cin, line));
}

class ManualFixture : public ListedFixture {
 public:
  ManualFixture(const bench::FaultWiring& wiring, const FixtureContext& context)
      : ListedFixture(manual_driver(), wiring, context),
        ask_(context.ask_operator ? context.ask_operator : ask_at_console) {}

 protected:
  Outcome perform(const std::string& entry, const std::string& half, const std::string& action,
                  const json& params, Deadline) override {
    if (!reach_.interactive) {
      return Outcome::failure(describe() + " cannot do " + action + ": " +
                              "it needs an operator at the bench and rig is not interactive "
                              "(stdin is not a terminal)");
    }
    std::vector<std::string> instruction;
    if (Outcome filled = filled_in(entry, half, action, params, instruction); !filled.ok) {
      return filled;
    }
    if (!ask_(operator_prompt(instruction.front(), action, params))) {
      return Outcome::failure(describe() + ": operator input closed");
    }
    return Outcome::success();
  }

 private:
  std::function<bool(const std::string&)> ask_;
};

}  // namespace

std::string operator_prompt(const std::string& instruction, const std::string& action,
                            const json& params) {
  Vars vars = step_variables(action, params);
  vars.erase("action");
  if (vars.count("damage") && vars["damage"] != "chip_intermittent") vars.erase("failures");
  std::vector<std::string> parts;
  // A card first says which card, how, and what is wrong with it.
  for (const char* key : {"card", "entry", "damage"}) {
    auto it = vars.find(key);
    if (it == vars.end()) continue;
    parts.push_back(std::string(key) + " " + it->second);
    vars.erase(it);
  }
  for (const auto& [k, v] : vars) parts.push_back(k + " " + v);
  if (parts.empty()) return instruction;
  std::string details;
  for (const auto& p : parts) details += (details.empty() ? "" : ", ") + p;
  return instruction + " (" + details + ")";
}

const DriverInfo& manual_driver() {
  static const DriverInfo info = [] {
    DriverInfo d = listed_driver(
        "manual", "an operator at the bench, asked at the console", Setting::Type::text_actions,
        "FAULT_OR_ACTION: {apply: \"instruction\", clear: \"instruction\"}");
    d.refuses = [](const bench::FaultWiring& w, const Need& need, const Reach& reach) {
      std::string why = serves_listed(w, need, reach);
      if (!why.empty()) return why;
      if (!reach.interactive) {
        return std::string(
            "it needs an operator at the bench and rig is not interactive (stdin is not a "
            "terminal)");
      }
      return std::string();
    };
    d.make = build_fixture<ManualFixture>;
    return d;
  }();
  return info;
}

}  // namespace rig::fault
