// vhost's scripted behaviour (fixtures/sim/vhost/script.h): rule parsing with exact errors,
// defaults, matching and counts.
#include <gtest/gtest.h>

#include <string>

#include "fixtures/sim/vhost/script.h"

using namespace rig::vhost;
using rig::protocol::wallet::TradeState;

namespace {

std::string parse_error(const std::string& body) {
  try {
    Script::parse(body);
  } catch (const ScriptError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(VhostScript, ParseErrorsAreExact) {
  EXPECT_EQ(parse_error(R"({"action":"decline"})"), "rule 1: missing key 'target' (iso or wallet)");
  EXPECT_EQ(parse_error(R"({"target":"pos","action":"decline"})"),
            "rule 1: unknown target 'pos' (known: iso, wallet)");
  EXPECT_EQ(parse_error(R"({"target":"iso","action":"explode"})"),
            "rule 1: unknown action 'explode' for target iso (known: decline, delay, "
            "no_response, refuse_reversal)");
  EXPECT_EQ(parse_error(R"({"target":"wallet","action":"decline","rc":"05"})"),
            "rule 1: unknown action 'decline' for target wallet (known: delay, no_response, "
            "reverse_fail, system_error, userpaying)");
  EXPECT_EQ(parse_error(R"({"target":"iso","action":"decline","code":"05"})"),
            "rule 1: unknown key 'code' (known: action, count, mti, rc, target, tid)");
  EXPECT_EQ(parse_error(R"({"target":"iso","action":"decline"})"), "rule 1: missing key 'rc'");
  EXPECT_EQ(parse_error(R"({"target":"iso","action":"decline","rc":"5"})"),
            "rule 1: 'rc' must be 2 letters or digits");
  EXPECT_EQ(parse_error(R"({"target":"iso","action":"decline","rc":5})"),
            "rule 1: 'rc' must be a string");
  EXPECT_EQ(parse_error(R"({"target":"iso","action":"delay","ms":-1})"),
            "rule 1: 'ms' must be a whole number from 0 to 3600000");
  EXPECT_EQ(parse_error(R"({"target":"iso","action":"delay","ms":10,"count":0})"),
            "rule 1: 'count' must be a whole number from 1 to 1000000");
  EXPECT_EQ(parse_error(R"({"target":"iso","action":"delay","ms":10,"mti":"0210"})"),
            "rule 1: 'mti' must be a request MTI such as \"0200\", or \"*\"");
  EXPECT_EQ(parse_error(R"({"target":"iso","action":"refuse_reversal","mti":"0200"})"),
            "rule 1: 'mti' of refuse_reversal must be \"0400\", \"0401\" or \"*\"");
  EXPECT_EQ(parse_error(R"({"target":"iso","action":"refuse_reversal","answer":"05"})"),
            "rule 1: 'answer' must be \"none\" or \"96\"");
  EXPECT_EQ(parse_error(R"({"target":"iso","action":"no_response","apply":"yes"})"),
            "rule 1: 'apply' must be true or false");
  EXPECT_EQ(parse_error(R"({"target":"wallet","action":"userpaying"})"),
            "rule 1: missing key 'seconds'");
  EXPECT_EQ(parse_error(R"({"target":"wallet","action":"userpaying","seconds":1,"then":"X"})"),
            "rule 1: 'then' must be SUCCESS, PAYERROR or USERPAYING");
  EXPECT_EQ(parse_error(R"({"target":"wallet","action":"userpaying","seconds":1,
                            "endpoint":"reverse"})"),
            "rule 1: 'endpoint' of userpaying can only be \"micropay\"");
  EXPECT_EQ(parse_error(R"({"target":"wallet","action":"delay","ms":1,"endpoint":"pay"})"),
            "rule 1: unknown endpoint 'pay' (known: micropay, orderquery, reverse, *)");
  EXPECT_EQ(parse_error(R"([{"target":"iso","action":"delay","ms":1},7])"),
            "rule 2: expected a JSON object");
  EXPECT_EQ(parse_error("[]"), "expected at least one rule");
  EXPECT_EQ(parse_error("{").rfind("invalid JSON: ", 0), 0u);
  EXPECT_EQ(parse_error("[1e999]").rfind("invalid JSON: ", 0), 0u);
}

TEST(VhostScript, DefaultsOfEachAction) {
  auto rules = Script::parse(R"([
    {"target":"iso","action":"decline","rc":"05"},
    {"target":"iso","action":"refuse_reversal"},
    {"target":"iso","action":"no_response"},
    {"target":"wallet","action":"system_error"},
    {"target":"wallet","action":"userpaying","then":"USERPAYING"},
    {"target":"wallet","action":"reverse_fail"}])");
  ASSERT_EQ(rules.size(), 6u);
  EXPECT_EQ(rules[0].mti, "0200");
  EXPECT_FALSE(rules[0].remaining.has_value());
  EXPECT_EQ(rules[1].mti, "");  // 0400 and 0401
  EXPECT_FALSE(rules[1].answer);
  EXPECT_TRUE(rules[2].apply);
  EXPECT_FALSE(rules[3].apply);
  EXPECT_EQ(rules[3].endpoint, Endpoint::micropay);
  EXPECT_EQ(rules[4].then, TradeState::userpaying);
  EXPECT_EQ(rules[5].endpoint, Endpoint::reverse);
}

TEST(VhostScript, IsoRulesMatchByMtiAndTerminalAndRunOut) {
  Script s;
  auto ids = s.add(Script::parse(R"([
    {"target":"iso","action":"decline","rc":"05","count":1},
    {"target":"iso","action":"delay","ms":250,"mti":"*","count":2},
    {"target":"iso","action":"refuse_reversal","count":1,"tid":"T2"}])"));
  EXPECT_EQ(ids, (std::vector<int>{1, 2, 3}));
  IsoPlan echo = s.plan_iso("0800", "T1");
  EXPECT_EQ(echo.outcome, IsoPlan::Outcome::normal);
  EXPECT_EQ(echo.delay.count(), 250);
  IsoPlan sale = s.plan_iso("0200", "T1");
  EXPECT_EQ(sale.outcome, IsoPlan::Outcome::decline);
  EXPECT_EQ(sale.rc, "05");
  EXPECT_EQ(sale.delay.count(), 250);
  EXPECT_EQ(sale.rules, (std::vector<int>{1, 2}));
  EXPECT_EQ(s.plan_iso("0200", "T1").outcome, IsoPlan::Outcome::normal);
  EXPECT_EQ(s.plan_iso("0400", "T1").outcome, IsoPlan::Outcome::normal);  // other terminal
  IsoPlan refused = s.plan_iso("0401", "T2");
  EXPECT_EQ(refused.outcome, IsoPlan::Outcome::refuse_reversal);
  EXPECT_TRUE(s.rules().empty());
}

TEST(VhostScript, UnansweredRequestsDoNotUseUpADelay) {
  Script s;
  s.add(Script::parse(R"([{"target":"iso","action":"no_response","count":1},
                          {"target":"iso","action":"delay","ms":100,"count":1}])"));
  IsoPlan dropped = s.plan_iso("0200", "T1");
  EXPECT_EQ(dropped.outcome, IsoPlan::Outcome::no_response);
  EXPECT_EQ(dropped.delay.count(), 0);
  EXPECT_EQ(s.plan_iso("0200", "T1").delay.count(), 100);
}

TEST(VhostScript, WalletRulesMatchByEndpoint) {
  Script s;
  s.add(Script::parse(R"([{"target":"wallet","action":"system_error","count":2},
                          {"target":"wallet","action":"reverse_fail","count":1},
                          {"target":"wallet","action":"delay","ms":40,"endpoint":"*"}])"));
  EXPECT_EQ(s.plan_wallet(Endpoint::orderquery).outcome, WalletPlan::Outcome::normal);
  EXPECT_EQ(s.plan_wallet(Endpoint::orderquery).delay.count(), 40);
  EXPECT_EQ(s.plan_wallet(Endpoint::micropay).outcome, WalletPlan::Outcome::system_error);
  EXPECT_EQ(s.plan_wallet(Endpoint::reverse).outcome, WalletPlan::Outcome::reverse_fail);
  EXPECT_EQ(s.plan_wallet(Endpoint::reverse).outcome, WalletPlan::Outcome::normal);
  EXPECT_EQ(s.plan_wallet(Endpoint::micropay).outcome, WalletPlan::Outcome::system_error);
  EXPECT_EQ(s.plan_wallet(Endpoint::micropay).outcome, WalletPlan::Outcome::normal);
  ASSERT_EQ(s.rules().size(), 1u);  // the delay without a count stays
  EXPECT_EQ(s.rules()[0].used, 7);
  s.clear();
  EXPECT_TRUE(s.rules().empty());
}

TEST(VhostScript, ActiveRulesAsJson) {
  Script s;
  s.add(Script::parse(R"({"target":"iso","action":"decline","rc":"05","count":3})"));
  s.plan_iso("0200", "T1");
  EXPECT_EQ(s.to_json(),
            R"([{"action":"decline","count":2,"id":1,"mti":"0200","rc":"05","target":"iso",)"
            R"("used":1}])");
}
