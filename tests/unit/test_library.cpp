// The scenario library judges terminals, not vterm: no scenario pins a figure or a wording that
// DOMAIN.md leaves to the terminal (docs/profiles.md). Every scenario of scenarios/ is loaded
// and each value the catalogue says stands for a configurable figure (figure_uses()), each long
// wait (a timer the terminal configures) and each text check must come from the station's
// profile (${profile.NAME}, ${wording.NAME}), unless the allow-list below says why not.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "rig/scenario/catalogue.h"
#include "rig/scenario/loader.h"
#include "rig/scenario/profile_ref.h"

namespace {

using nlohmann::json;
using rig::scenario::Step;

// "scenarios/FAMILY/FILE.yaml:LINE" of a value the check would refuse -> why it is right as
// written. Only figures that DOMAIN.md fixes or counts of the scenario's own test inputs.
const std::map<std::string, std::string>& allowed() {
  static const std::map<std::string, std::string> list = {
      {"scenarios/pin/operator-lockout.yaml:22",
       "tries_left 1 is the last try (rule 21), whatever the terminal's operator_tries"},
      {"scenarios/power/lock-kept.yaml:13",
       "tries_left 1 is the last try (rule 21), whatever the terminal's operator_tries"},
      {"scenarios/pin/pin-blocked.yaml:16",
       "tries_left 1 is the last try with its warning (rule 10), whatever pin_tries"},
      {"scenarios/pin/wrong-pin-retry.yaml:15",
       "tries_left 1 is the last try with its warning (rule 10), whatever pin_tries"},
      {"scenarios/reversal/repeat-keeps-stan.yaml:13",
       "test input: the host refuses one reversal message, so that the first repeat (0401) is "
       "acknowledged; holds for any reversal_attempts of 2 or more"},
      {"scenarios/reversal/refused-answers.yaml:94",
       "test input: the host refuses one reversal message (96), so that the first repeat (0401) "
       "is acknowledged; holds for any reversal_attempts of 2 or more"},
      {"scenarios/ecr/no-ack.yaml:14",
       "the wait covers the ECR link's resends of two unacknowledged frames (the bench's "
       "ack_timeout, 3 attempts: rule 19 fixes the count), not a terminal figure"},
  };
  return list;
}

bool is_allowed(const std::string& file, int line) {
  const std::string at = file + ":" + std::to_string(line);
  for (const auto& [where, why] : allowed()) {
    (void)why;
    if (at.size() >= where.size() &&
        at.compare(at.size() - where.size(), where.size(), where) == 0) {
      return true;
    }
  }
  return false;
}

// The texts a check compares (display, result text, receipt contains).
std::vector<std::string> texts_of(const Step& step) {
  if (step.expect == "display") return {step.args.value("text", "")};
  if (step.expect == "result" && step.args.contains("text")) return {step.args.value("text", "")};
  if (step.expect == "receipt" && step.args.contains("contains")) {
    return {step.args.value("contains", "")};
  }
  return {};
}

// Whether `v` is written as one terminal's number: a literal, or bounds with a literal.
bool literal(const json& v) {
  if (v.is_number()) return true;
  if (rig::scenario::is_expression(v)) return false;
  if (v.is_object()) {
    for (const auto& [k, b] : v.items()) {
      (void)k;
      if (literal(b)) return true;
    }
  }
  return false;
}

std::vector<std::string> pinned(const rig::scenario::Scenario& sc) {
  std::vector<std::string> out;
  for (const Step& step : sc.steps) {
    auto report = [&](const std::string& what) {
      if (!is_allowed(step.loc.file, step.loc.line)) {
        out.push_back(step.loc.to_string() + ": " + what);
      }
    };
    for (const auto& use : rig::scenario::figure_uses()) {
      if (step.name != use.step || !step.args.contains(use.param)) continue;
      const bool selected = use.step == "fault" ? step.args.value("fault", "") == use.kind
                                                : step.expect == use.kind &&
                                                      step.args.value(use.key, "") == use.value;
      if (selected && literal(step.args[use.param])) {
        report(use.param + " " + step.args[use.param].dump() + " pins the terminal's " +
               use.figure + "; write ${profile." + use.figure + "}");
      }
    }
    if (step.name != "expect") continue;
    if (step.within_expr.empty() && step.within >= rig::scenario::kConfigurableWait) {
      report("within " + std::to_string(step.within.count()) +
             "ms waits on a timer the terminal configures; write it from "
             "${profile.host_timeout}");
    }
    for (const std::string& text : texts_of(step)) {
      if (text.find("${wording.") == std::string::npos) {
        report("text '" + text + "' is one terminal's wording; write ${wording.NAME}");
      }
    }
  }
  return out;
}

TEST(Library, NoScenarioPinsAFigureOrWordingTheTerminalConfigures) {
  const auto library = rig::scenario::load_scenarios({POSRIG_SOURCE_DIR "/scenarios"});
  ASSERT_GT(library.size(), 30u);
  std::vector<std::string> found;
  for (const auto& sc : library) {
    for (const auto& p : pinned(sc)) found.push_back(p);
  }
  EXPECT_EQ(found, std::vector<std::string>{});
}

// The check itself: it sees what it must.
TEST(Library, TheCheckFindsPinnedFigures) {
  const auto sc = rig::scenario::load_scenario_text(
      "name: n\nfamily: qr\nsteps:\n"
      "  - fault: wallet.reverse_fail\n"
      "    count: 3\n"
      "  - expect: {event: WALLET_QUERY, count: 10, within: 40s}\n"
      "  - expect: {event: WALLET_QUERY, count: {min: 1, max: 10}}\n"
      "  - expect: {event: WALLET_QUERY, count: \"${profile.wallet_queries}\", within: "
      "\"${profile.host_timeout} + 10s\"}\n"
      "  - expect: {display: LOCKED}\n"
      "  - expect: {display: \"${wording.locked_display}\"}\n",
      "s.yaml");
  EXPECT_EQ(
      pinned(sc),
      (std::vector<std::string>{
          "s.yaml:4:5: count 3 pins the terminal's reverse_attempts; write "
          "${profile.reverse_attempts}",
          "s.yaml:6:5: count 10 pins the terminal's wallet_queries; write "
          "${profile.wallet_queries}",
          "s.yaml:6:5: within 40000ms waits on a timer the terminal configures; write it "
          "from ${profile.host_timeout}",
          "s.yaml:7:5: count {\"max\":10,\"min\":1} pins the terminal's wallet_queries; write "
          "${profile.wallet_queries}",
          "s.yaml:9:5: text 'LOCKED' is one terminal's wording; write ${wording.NAME}"}));
}

}  // namespace
