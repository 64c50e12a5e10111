// Scenario files (rig/scenario/loader.h) against the catalogue (rig/scenario/catalogue.h): the
// good files load into the model the engine runs, and every class of mistake is reported with
// its exact text and file:line:col, all of a file's mistakes at once.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "rig/bench/bench.h"
#include "rig/bench/card_profile.h"
#include "rig/bench/config_error.h"
#include "rig/fault/driver.h"
#include "rig/scenario/catalogue.h"
#include "rig/scenario/loader.h"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using rig::scenario::LoadOptions;
using rig::scenario::Scenario;
using rig::scenario::Trigger;

const std::string kData = POSRIG_SOURCE_DIR "/tests/unit/data/scenarios";

LoadOptions with_cards() {
  LoadOptions options;
  for (const auto& [name, card] : rig::bench::load_cards(POSRIG_SOURCE_DIR "/fixtures/cards")) {
    options.known_cards.insert(name);
  }
  return options;
}

std::vector<std::string> issues_of(const std::string& text, const LoadOptions& options = {}) {
  std::vector<std::string> out;
  try {
    rig::scenario::load_scenario_text(text, "s.yaml", options);
  } catch (const rig::ConfigError& e) {
    for (const auto& i : e.issues()) out.push_back(i.to_string());
  }
  return out;
}

// A scenario whose steps start on line 4; `steps` are lines of the list, indented by 2.
std::vector<std::string> step_issues(const std::string& steps, const LoadOptions& options = {}) {
  return issues_of("name: n\nfamily: card\nsteps:\n" + steps, options);
}

Scenario load_steps(const std::string& steps) {
  return rig::scenario::load_scenario_text("name: n\nfamily: card\nsteps:\n" + steps, "s.yaml");
}

const std::string kExpect = "  - expect: {result: {}}\n";

// ---------------------------------------------------------------------------------------------
// Good files

TEST(ScenarioLoad, EveryStepAndExpectation) {
  Scenario s = rig::scenario::load_scenario(kData + "/good/every-step.yaml", with_cards());
  EXPECT_EQ(s.name, "every step and expectation");
  EXPECT_EQ(s.family, "smoke");
  EXPECT_EQ(s.id(), "smoke/every-step");
  EXPECT_EQ(s.tags, (std::vector<std::string>{"nightly", "smoke"}));
  EXPECT_TRUE(s.has_tag("smoke"));
  EXPECT_EQ(s.timeout, std::optional<rig::scenario::Duration>(120000ms));
  EXPECT_EQ(s.loc.to_string(), kData + "/good/every-step.yaml:2:1");

  // The file uses every step, expectation and trigger the catalogue has.
  std::set<std::string> steps, kinds;
  std::set<Trigger::Kind> triggers;
  for (const auto& step : s.steps) {
    steps.insert(step.name);
    if (!step.expect.empty()) kinds.insert(step.expect);
    triggers.insert(step.when.kind);
  }
  for (const auto& name : rig::scenario::names_of(rig::scenario::steps())) {
    EXPECT_TRUE(steps.count(name)) << name;
  }
  for (const auto& name : rig::scenario::names_of(rig::scenario::expectations())) {
    EXPECT_TRUE(kinds.count(name)) << name;
  }
  EXPECT_EQ(triggers.size(), 6u);

  ASSERT_EQ(s.steps.size(), 41u);
  auto step = [&](std::size_t i) -> const rig::scenario::Step& { return s.steps.at(i); };
  auto args = [&](std::size_t i) { return step(i).args.dump(); };

  EXPECT_EQ(step(0).loc.line, 8);
  EXPECT_EQ(step(0).loc.column, 5);
  EXPECT_EQ(args(0), R"({"fault":"network.down","probability":1.0,"seed":0})");
  EXPECT_EQ(step(0).when.kind, Trigger::Kind::host_message);
  EXPECT_EQ(step(0).when.value, "0210");
  EXPECT_EQ(step(0).when.direction, "to_terminal");  // a response
  EXPECT_EQ(step(0).when.occurrence, 1);
  EXPECT_FALSE(step(0).hold);

  EXPECT_EQ(args(1),
            R"({"direction":"to_terminal","fault":"network.latency","jitter_ms":20,"ms":500,)"
            R"("probability":0.5,"seed":7})");
  EXPECT_EQ(step(1).when.value, "0200");
  EXPECT_EQ(step(1).when.direction, "both");
  EXPECT_EQ(step(1).when.occurrence, 2);
  EXPECT_EQ(step(1).hold, std::optional<rig::scenario::Duration>(1500ms));

  EXPECT_EQ(args(2), R"({"count":1,"fault":"host.decline","mti":"0200","rc":"51"})");
  EXPECT_EQ(step(2).when.kind, Trigger::Kind::now);
  EXPECT_EQ(args(3), R"({"fault":"wallet.userpaying","seconds":3.0,"then":"SUCCESS"})");
  EXPECT_EQ(step(3).when.kind, Trigger::Kind::wallet_message);
  EXPECT_EQ(step(3).when.value, "/micropay");
  EXPECT_EQ(step(3).when.direction, "to_host");
  EXPECT_EQ(step(4).when.kind, Trigger::Kind::event);
  EXPECT_EQ(step(4).when.value, "PAPER_OUT");
  EXPECT_EQ(step(5).when.kind, Trigger::Kind::prompt);
  EXPECT_EQ(step(5).when.value, "PIN");
  EXPECT_EQ(step(6).when.kind, Trigger::Kind::after);
  EXPECT_EQ(step(6).when.delay, 2000ms);
  EXPECT_EQ(args(6), R"({"count":2,"fault":"ecr.no_ack"})");

  EXPECT_EQ(
      args(7),
      R"({"amount":"100.00","card":"visa-chip","currency":"${profile.currency}","method":"card"})");
  EXPECT_EQ(args(8), R"({"amount":"1.00","code":"134567890123456789","currency":"978","id":"T-1",)"
                     R"("method":"qr"})");
  EXPECT_EQ(args(9),
            R"({"amount":"5.00","currency":"${profile.currency}","method":"card","of":"T-1"})");
  EXPECT_EQ(args(10), R"({"id":"T-1"})");
  for (std::size_t i = 11; i <= 16; ++i) EXPECT_EQ(args(i), "{}") << step(i).name;
  EXPECT_EQ(step(11).name, "query");
  EXPECT_EQ(step(13).name, "reprint");
  EXPECT_EQ(args(17), R"({"fault":"network.down"})");
  EXPECT_EQ(args(18), R"({"fault":"all"})");
  EXPECT_EQ(args(19),
            R"({"action":"insert","card":"visa-chip","damage":"chip_intermittent","failures":2})");
  EXPECT_EQ(args(20), R"({"action":"swipe","card":"mag-only","damage":"none"})");
  EXPECT_EQ(args(21), R"({"action":"remove"})");
  EXPECT_EQ(args(22), R"({"blur":0.0,"code":"134567890123456789","dirt":0.4,"seed":3})");
  EXPECT_EQ(args(23), R"({"action":"clean"})");
  EXPECT_EQ(args(24), R"({"keys":["1","2","3","4","ENTER"]})");
  EXPECT_EQ(args(25), R"({"state":"low"})");
  EXPECT_EQ(args(26), R"({"action":"restore"})");
  EXPECT_EQ(args(27), R"({"duration_ms":250})");

  EXPECT_EQ(step(28).expect, "result");
  EXPECT_EQ(args(28),
            R"({"amount":"100.00","entry":"fallback","id":"T-1","method":"card","rc":"00",)"
            R"("status":"APPROVED","text":"OK"})");
  EXPECT_EQ(step(28).within, 40000ms);
  EXPECT_EQ(step(28).since, "transaction");
  EXPECT_EQ(step(29).expect, "event");
  EXPECT_EQ(args(29),
            R"({"after":"REVERSAL_SENT","before":"result","count":1,"name":"REVERSAL_ACKED"})");
  EXPECT_EQ(step(29).within, 5000ms);
  EXPECT_EQ(args(30), R"({"kind":"PIN","tries_left":2})");
  EXPECT_EQ(step(30).since, "scenario");
  EXPECT_EQ(args(31), R"({"text":"LAST TRY"})");
  EXPECT_EQ(args(32), R"({"contains":"100.00","copy":"duplicate","count":1})");
  EXPECT_EQ(step(33).loc.line, 57);  // the block-style expect
  EXPECT_EQ(args(33), R"({"direction":"to_host","field_90_refers_to":"previous",)"
                      R"("fields":{"39":"98","4":"000000010000"},"mti":"0400"})");
  EXPECT_EQ(args(34), R"({"absent":true,"direction":"to_terminal","mti":"0210"})");
  EXPECT_EQ(step(34).within, 2000ms);
  EXPECT_EQ(args(35), R"({"count":3,"direction":"to_host","path":"/orderquery"})");
  EXPECT_EQ(args(36), R"({"debits":1,"declines":0,"fees":"0.01","net":"-1.00","refunds":0,)"
                      R"("reversals":1,"wallet_net":"1.00","wallet_payments":1})");
  EXPECT_EQ(args(37), R"({"paper":"ok","pending_reversals":0,"state":"IDLE"})");
  EXPECT_EQ(step(37).expect, "state");
  EXPECT_EQ(step(40).expect, "ecr");
  EXPECT_EQ(args(40), R"({"count":0,"from":"controller","kind":"nak"})");
}

TEST(ScenarioLoad, DesignExample) {
  Scenario s = rig::scenario::load_scenario(kData + "/good/nested/reversal-after-approval.yaml",
                                            with_cards());
  EXPECT_EQ(s.id(), "reversal/reversal-after-approval");
  ASSERT_EQ(s.steps.size(), 9u);
  EXPECT_EQ(s.steps[0].name, "fault");
  EXPECT_EQ(s.steps[0].when.direction, "to_terminal");
  EXPECT_EQ(s.steps[2].within, 40000ms);
  EXPECT_EQ(s.steps[2].args.dump(), R"({"status":"FAILED"})");
  EXPECT_EQ(s.steps[6].args.dump(),
            R"({"direction":"to_host","field_90_refers_to":"previous","mti":"0400"})");
  EXPECT_EQ(s.steps[8].args.dump(), R"({"net":"1.00","reversals":1})");
  // The sales present their card: the card fixture is needed too.
  EXPECT_EQ(rig::scenario::needed_families(s), (std::set<std::string>{"card", "network"}));
}

TEST(ScenarioLoad, DefaultsFromTheCatalogue) {
  Scenario s = load_steps(
      "  - sale: {amount: \"1.00\", method: card}\n"
      "  - expect: {result: {status: APPROVED}}\n"
      "  - expect: {display: PIN}\n"
      "  - expect: {host_message: {mti: \"0810\"}}\n"
      "  - expect: {wallet_message: {path: /reverse, direction: both}}\n");
  EXPECT_EQ(s.steps[1].within, 10000ms);
  EXPECT_EQ(s.steps[2].within, 5000ms);
  EXPECT_EQ(s.steps[1].since, "transaction");
  EXPECT_EQ(s.steps[3].args["direction"], "to_terminal");
  EXPECT_EQ(s.steps[4].args["direction"], "both");
  EXPECT_EQ(s.steps[0].args["currency"], "${profile.currency}");
  EXPECT_EQ(s.steps[0].within, 0ms);  // not an expect step
}

TEST(ScenarioLoad, BareAndEmptyFormsOfArgumentlessSteps) {
  Scenario s = load_steps("  - last\n  - last: {}\n  - last:\n  - query: {}\n" + kExpect);
  ASSERT_EQ(s.steps.size(), 5u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(s.steps[i].args.dump(), "{}");
}

TEST(ScenarioLoad, CardsAreCheckedOnlyWhenKnown) {
  const std::string steps = "  - card: {tap: visa-good}\n" + kExpect;
  EXPECT_TRUE(step_issues(steps).empty());
  EXPECT_EQ(step_issues(steps, with_cards()),
            (std::vector<std::string>{
                "s.yaml:4:17: unknown card 'visa-good' (known: expired, frozen, low-balance, "
                "mag-only, unionpay-chip, visa-chip)"}));
}

// ---------------------------------------------------------------------------------------------
// The document

TEST(ScenarioErrors, TopLevel) {
  EXPECT_EQ(issues_of("name: n\n"),
            (std::vector<std::string>{"s.yaml:1:1: missing key 'family' in scenario",
                                      "s.yaml:1:1: missing key 'steps' in scenario"}));
  EXPECT_EQ(issues_of("name: \"\"\nfamily: Card Read\ntags: [Nightly, smoke, smoke]\n"
                      "timeout: 0s\nowner: qa\nsteps: {sale: 1}\n"),
            (std::vector<std::string>{
                "s.yaml:1:7: name is empty",
                "s.yaml:2:9: bad family 'Card Read': expected lower-case letters, digits and "
                "'-', e.g. reversal",
                "s.yaml:3:8: bad tag 'Nightly': expected lower-case letters, digits, '-', '_'",
                "s.yaml:3:24: tag 'smoke' is listed twice",
                "s.yaml:4:10: 'timeout' must be above 0, got '0s'",
                "s.yaml:5:1: unknown key 'owner' in scenario (known: name, family, tags, "
                "description, timeout, steps)",
                "s.yaml:6:8: expected a list of steps, got a mapping"}));
  EXPECT_EQ(issues_of("name: n\nfamily: card\nsteps: []\n"),
            (std::vector<std::string>{"s.yaml:3:8: a scenario needs at least one step"}));
  EXPECT_EQ(issues_of("name: n\nfamily: card\nsteps:\n  - last\n"),
            (std::vector<std::string>{
                "s.yaml:4:3: a scenario needs at least one expect step: it checks nothing"}));
  EXPECT_EQ(issues_of(""),
            (std::vector<std::string>{"s.yaml:1:1: expected a mapping for scenario, got nothing"}));
  EXPECT_EQ(issues_of("- a\n"),
            (std::vector<std::string>{"s.yaml:1:1: expected a mapping for scenario, got a list"}));
}

TEST(ScenarioErrors, SyntaxError) {
  auto issues = issues_of("name: n\nfamily: card\nsteps:\n  - sale: {amount: \"1.00\"\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].rfind("s.yaml:", 0), 0u) << issues[0];
}

// ---------------------------------------------------------------------------------------------
// Step items

TEST(ScenarioErrors, StepItems) {
  EXPECT_EQ(
      step_issues("  - sael: {amount: \"1.00\"}\n"
                  "  - lats\n"
                  "  - sale: {amount: \"1.00\", method: card}\n"
                  "    card: {insert: visa-chip}\n"
                  "  - sale\n"
                  "  - last: {id: x}\n"
                  "  - [last]\n"
                  "  - when: {event: X}\n"
                  "  - fault:\n"
                  "    ms: 1\n"
                  "  - keys:\n" +
                  kExpect),
      (std::vector<std::string>{
          "s.yaml:4:5: unknown step 'sael' (known: sale, refund, query, last, reprint, cancel, "
          "status, reset, login, unlock, fault, clear, card, scan, scanner, keys, paper, power, "
          "wait, expect)",
          "s.yaml:5:5: unknown step 'lats' (known: sale, refund, query, last, reprint, cancel, "
          "status, reset, login, unlock, fault, clear, card, scan, scanner, keys, paper, power, "
          "wait, expect)",
          "s.yaml:7:5: a step has exactly one of: sale, refund, query, last, reprint, cancel, "
          "status, reset, login, unlock, fault, clear, card, scan, scanner, keys, paper, power, "
          "wait, expect; "
          "found 'sale' and 'card'",
          "s.yaml:8:5: step 'sale' needs a value: sale: {amount, method, card?, code?, "
          "currency?, id?}",
          "s.yaml:9:11: step 'last' takes no arguments, got a mapping",
          "s.yaml:10:5: expected a step, got a list",
          "s.yaml:11:5: a step needs one of: sale, refund, query, last, reprint, cancel, status, "
          "reset, login, unlock, fault, clear, card, scan, scanner, keys, paper, power, wait, "
          "expect",
          "s.yaml:12:5: step 'fault' needs a value: fault: NAME (+ when:, for:, the fault's "
          "parameters)",
          "s.yaml:14:5: step 'keys' needs a value: keys: [\"1\", \"2\", \"ENTER\"] or keys: "
          "{press: […], times?}"}));
}

TEST(ScenarioErrors, KeysBesideAStep) {
  EXPECT_EQ(step_issues("  - sale: {amount: \"1.00\", method: card}\n"
                        "    for: 2s\n"
                        "    when: {after: 1s}\n"
                        "    within: 2s\n"
                        "    card: visa-chip\n"
                        "  - expect: {result: {}}\n"
                        "    within: 2s\n"
                        "  - fault: power.cut\n"
                        "    within: 2s\n"
                        "  - power: cut\n"
                        "    amount: 1\n"),
            (std::vector<std::string>{
                "s.yaml:8:5: a step has exactly one of: sale, refund, query, last, reprint, "
                "cancel, status, reset, login, unlock, fault, clear, card, scan, scanner, keys, "
                "paper, power, "
                "wait, expect; found 'sale' and 'card'",
                "s.yaml:10:5: 'within' goes inside expect: {…, within: …}",
                "s.yaml:12:5: 'within' is only for expect steps",
                "s.yaml:14:5: unknown key 'amount' next to step 'power': a list item holds one "
                "step; its arguments go inside it"}));
  EXPECT_EQ(step_issues("  - sale: {amount: \"1.00\", method: card}\n"
                        "    for: 2s\n"
                        "    when: {after: 1s}\n"
                        "    within: 2s\n" +
                        kExpect),
            (std::vector<std::string>{"s.yaml:5:5: 'for' is only for fault steps",
                                      "s.yaml:6:5: 'when' is only for fault steps",
                                      "s.yaml:7:5: 'within' is only for expect steps"}));
}

TEST(ScenarioErrors, DuplicateKeys) {
  EXPECT_EQ(step_issues("  - sale: {amount: \"1.00\", method: card, amount: \"2.00\"}\n"
                        "  - fault: power.cut\n"
                        "    for: 1s\n"
                        "    for: 2s\n" +
                        kExpect),
            (std::vector<std::string>{"s.yaml:4:42: duplicate key 'amount' in sale",
                                      "s.yaml:7:5: duplicate key 'for' in step"}));
}

// ---------------------------------------------------------------------------------------------
// Transaction and fixture steps

TEST(ScenarioErrors, Sale) {
  EXPECT_EQ(
      step_issues("  - sale: {method: cash}\n"
                  "  - sale: {amount: 1.5, method: qr, card: visa-chip, currency: EUR}\n"
                  "  - sale: {amount: \"1.00\", method: card, code: \"1\", id: \"\", tip: 1}\n"
                  "  - refund: {amount: \"-1.00\"}\n"
                  "  - query: {id: \"0123456789012345678901234567890123\"}\n" +
                  kExpect),
      (std::vector<std::string>{
          "s.yaml:4:11: missing key 'amount' in sale",
          "s.yaml:4:20: unknown method 'cash' (known: card, qr)",
          "s.yaml:5:20: expected an amount with two fraction digits, e.g. \"100.00\", got '1.5'",
          "s.yaml:5:43: 'card' is for method card",
          "s.yaml:5:64: bad currency 'EUR': expected 3 digits (ISO 4217), e.g. \"156\"",
          "s.yaml:6:48: 'code' is for method qr",
          "s.yaml:6:57: bad transaction id '': expected 1 to 20 printable characters",
          "s.yaml:6:61: unknown key 'tip' in sale (known: amount, method, card, code, currency, "
          "id)",
          "s.yaml:7:22: expected an amount with two fraction digits, e.g. \"100.00\", got "
          "'-1.00'",
          "s.yaml:8:17: bad transaction id '0123456789012345678901234567890123': expected 1 to "
          "20 printable characters"}));
}

TEST(ScenarioErrors, FixtureSteps) {
  EXPECT_EQ(
      step_issues("  - card: {insert: visa-chip, swipe: visa-chip}\n"
                  "  - card: {damage: chip_cracked}\n"
                  "  - card: {tap: visa-chip, failures: 2}\n"
                  "  - card: eject\n"
                  "  - scan: {dirt: 1.5, blur: high}\n"
                  "  - scanner: wipe\n"
                  "  - keys: \"1234 ENTER\"\n"
                  "  - keys: [\"1\", OK, [2]]\n"
                  "  - keys: []\n"
                  "  - paper: empty\n"
                  "  - power: off\n"
                  "  - wait: 5 sec\n"
                  "  - wait: 0ms\n" +
                  kExpect),
      (std::vector<std::string>{
          "s.yaml:4:38: card takes one of: insert, swipe, tap; found 'insert' and 'swipe'",
          "s.yaml:5:11: card needs one of: insert, swipe, tap (or card: remove)",
          "s.yaml:5:20: unknown damage 'chip_cracked' (known: none, chip_mute, chip_error, "
          "chip_intermittent, mag_garbled, mag_blank)",
          "s.yaml:6:38: 'failures' needs damage chip_intermittent",
          "s.yaml:7:11: expected remove or a mapping {insert|swipe|tap: CARD, damage?} for card, "
          "got 'eject'",
          "s.yaml:8:11: missing key 'code' in scan",
          "s.yaml:8:18: 'dirt' must be from 0 to 1, got '1.5'",
          "s.yaml:8:29: expected a number, got 'high'",
          "s.yaml:9:14: unknown scanner action 'wipe' (known: clean)",
          "s.yaml:10:11: expected a list of keys, e.g. [\"1\", \"2\", \"ENTER\"], got '1234 ENTER'",
          "s.yaml:11:17: unknown keypad key 'OK' (known: 0-9, ENTER, CANCEL, CLEAR, "
          "${profile.operator_password}, ${profile.supervisor_password})",
          "s.yaml:11:21: expected text, got a list", "s.yaml:12:11: keys needs at least one key",
          "s.yaml:13:12: unknown paper state 'empty' (known: ok, low, out)",
          "s.yaml:14:12: unknown power action 'off' (known: cut, restore)",
          "s.yaml:15:11: bad duration '5 sec': expected a number followed by ms, s or m",
          "s.yaml:16:11: 'wait' must be above 0, got '0ms'"}));
}

// ---------------------------------------------------------------------------------------------
// Faults, triggers, clear

TEST(ScenarioErrors, Faults) {
  EXPECT_EQ(
      step_issues("  - fault: network.dwn\n"
                  "    ms: 5\n"
                  "  - fault: network.latency\n"
                  "    rc: \"05\"\n"
                  "    colour: red\n"
                  "  - fault: host.decline\n"
                  "    count: 0\n"
                  "    mti: 200\n"
                  "  - fault: network.corrupt\n"
                  "  - fault: network.corrupt\n"
                  "    bytes: 2\n"
                  "    byte_probability: 0.1\n"
                  "  - fault: network.latency\n"
                  "    ms: 0\n"
                  "    probability: 0\n"
                  "  - fault: network.down\n"
                  "    when: {host_message: \"0210\"}\n"
                  "    probability: 0.5\n"
                  "    for: soon\n"
                  "  - fault: printer.paper_out\n"
                  "    level: 0.5\n"
                  "  - fault: [network.down]\n" +
                  kExpect),
      (std::vector<std::string>{
          "s.yaml:4:12: unknown fault 'network.dwn' (known: network.down, network.blackhole, "
          "network.reset, network.latency, network.bandwidth, network.slice, network.corrupt, "
          "network.limit, scanner.dirty, printer.paper_out, printer.paper_low, power.cut, "
          "host.decline, host.delay, host.no_response, host.refuse_reversal, "
          "wallet.userpaying, wallet.systemerror, wallet.no_response, wallet.reverse_fail, "
          "ecr.no_ack, ecr.bad_lrc, ecr.noise, ecr.disconnect)",
          "s.yaml:6:5: missing parameter 'ms' for fault network.latency",
          "s.yaml:7:5: parameter 'rc' belongs to host.decline, not network.latency (known: ms, "
          "jitter_ms, direction, probability, seed, when, for)",
          "s.yaml:8:5: unknown parameter 'colour' for fault network.latency (known: ms, "
          "jitter_ms, direction, probability, seed, when, for)",
          "s.yaml:9:5: missing parameter 'rc' for fault host.decline",
          "s.yaml:10:12: 'count' must be at least 1, got '0'",
          "s.yaml:11:10: bad MTI '200': expected 4 digits, e.g. \"0210\"",
          "s.yaml:12:5: fault network.corrupt needs one of: bytes, byte_probability",
          "s.yaml:15:23: fault network.corrupt takes one of: bytes, byte_probability; found "
          "'bytes' and 'byte_probability'",
          "s.yaml:17:9: network.latency needs ms or jitter_ms above 0",
          "s.yaml:18:18: 'probability' must be above 0 and at most 1, got '0'",
          "s.yaml:21:18: a network.down with when: cuts at its trigger and takes no probability",
          "s.yaml:22:10: bad duration 'soon': expected a number followed by ms, s or m",
          "s.yaml:24:5: parameter 'level' belongs to scanner.dirty, not printer.paper_out "
          "(known: when, for)",
          "s.yaml:25:12: expected text, got a list"}));
}

TEST(ScenarioErrors, Triggers) {
  EXPECT_EQ(
      step_issues("  - fault: power.cut\n"
                  "    when: \"0210\"\n"
                  "  - fault: power.cut\n"
                  "    when: {message: \"0210\"}\n"
                  "  - fault: power.cut\n"
                  "    when: {event: PAPER_OUT, after: 1s}\n"
                  "  - fault: power.cut\n"
                  "    when: {host_message: \"0210\", direction: to_host}\n"
                  "  - fault: power.cut\n"
                  "    when: {host_message: {mti: \"21\", direction: up, occurrence: 0, x: 1}}\n"
                  "  - fault: power.cut\n"
                  "    when: {wallet_message: {direction: to_host}}\n"
                  "  - fault: power.cut\n"
                  "    when: {wallet_message: /pay}\n"
                  "  - fault: power.cut\n"
                  "    when: {event: paper_out}\n"
                  "  - fault: power.cut\n"
                  "    when: {prompt: PINPAD}\n"
                  "  - fault: power.cut\n"
                  "    when: {after: 0s}\n"
                  "  - fault: power.cut\n"
                  "    when: {}\n" +
                  kExpect),
      (std::vector<std::string>{
          "s.yaml:5:11: expected a mapping for when, e.g. {host_message: \"0210\"}, got '0210'",
          "s.yaml:7:12: unknown trigger 'message' (known: host_message, wallet_message, event, "
          "prompt, after)",
          "s.yaml:9:30: a trigger has exactly one of: host_message, wallet_message, event, "
          "prompt, after; found 'event' and 'after'",
          "s.yaml:11:34: unknown key 'direction' in when (a trigger has one key: host_message, "
          "wallet_message, event, prompt, after)",
          "s.yaml:13:32: bad MTI '21': expected 4 digits, e.g. \"0210\"",
          "s.yaml:13:49: unknown direction 'up' (known: to_host, to_terminal, both)",
          "s.yaml:13:65: 'occurrence' must be at least 1, got '0'",
          "s.yaml:13:68: unknown key 'x' in host_message trigger (known: mti, direction, "
          "occurrence)",
          "s.yaml:15:28: missing key 'path' in wallet_message trigger",
          "s.yaml:17:28: unknown path '/pay' (known: /micropay, /orderquery, /reverse)",
          "s.yaml:19:19: bad event name 'paper_out': expected capital letters, digits and '_', "
          "e.g. REVERSAL_ACKED",
          "s.yaml:21:20: unknown prompt 'PINPAD' (known: PRESENT_CARD, PIN, INSERT_CHIP, SWIPE, "
          "RETRY_CARD, REMOVE_CARD, SCAN_CODE, RESCAN, MANUAL_ENTRY, RELOAD_PAPER, "
          "OPERATOR_PASSWORD, CONTACT_SUPPORT)",
          "s.yaml:23:19: 'after' must be above 0, got '0s'",
          "s.yaml:25:11: when needs one of: host_message, wallet_message, event, prompt, "
          "after"}));
}

TEST(ScenarioErrors, Clear) {
  EXPECT_EQ(step_issues("  - clear: network.down\n"
                        "  - clear: network.slow\n"
                        "  - fault: network.down\n"
                        "  - clear: network.down\n"
                        "  - clear: all\n" +
                        kExpect),
            (std::vector<std::string>{
                "s.yaml:4:12: clear 'network.down': no earlier step arms this fault",
                "s.yaml:5:12: unknown fault 'network.slow' (known: all, network.down, "
                "network.blackhole, network.reset, network.latency, network.bandwidth, "
                "network.slice, network.corrupt, network.limit, scanner.dirty, "
                "printer.paper_out, printer.paper_low, power.cut, host.decline, host.delay, "
                "host.no_response, host.refuse_reversal, wallet.userpaying, wallet.systemerror, "
                "wallet.no_response, wallet.reverse_fail, ecr.no_ack, ecr.bad_lrc, ecr.noise, "
                "ecr.disconnect)"}));
}

// ---------------------------------------------------------------------------------------------
// Expectations

TEST(ScenarioErrors, ExpectShape) {
  EXPECT_EQ(
      step_issues("  - expect: result\n"
                  "  - expect: {reslt: {status: APPROVED}}\n"
                  "  - expect: {result: {}, event: X}\n"
                  "  - expect: {within: 2s}\n"
                  "  - expect: {event: X, befor: result, within: 0s, since: sale}\n"
                  "  - expect: {host_message: {mti: \"0400\"}, count: 1}\n"
                  "  - expect: {result: APPROVED}\n"),
      (std::vector<std::string>{
          "s.yaml:4:13: expected a mapping for expect, got 'result'",
          "s.yaml:5:14: unknown expectation 'reslt' (known: result, event, prompt, display, "
          "receipt, ecr, host_message, wallet_message, ledger, state)",
          "s.yaml:6:26: an expect has exactly one of: result, event, prompt, display, receipt, "
          "ecr, host_message, wallet_message, ledger, state; found 'result' and 'event'",
          "s.yaml:7:13: expect needs one of: result, event, prompt, display, receipt, "
          "ecr, host_message, wallet_message, ledger, state",
          "s.yaml:8:24: unknown key 'befor' in expect event (known: event, before, after, count, "
          "absent, within, since, match)",
          "s.yaml:8:47: 'within' must be above 0, got '0s'",
          "s.yaml:8:58: unknown since 'sale' (known: transaction, scenario)",
          "s.yaml:9:43: 'count' goes inside host_message: {…}",
          "s.yaml:10:22: expected a mapping for result, got 'APPROVED'"}));
}

TEST(ScenarioErrors, ExpectValues) {
  EXPECT_EQ(
      step_issues("  - expect: {result: {status: OK, entry: tap, rc: 5, colour: red}}\n"
                  "  - expect: {event: reversal_acked, before: Result, count: 1, absent: true}\n"
                  "  - expect: {prompt: PIN, tries_left: -1, absent: maybe}\n"
                  "  - expect: {receipt: {copy: copy}}\n"
                  "  - expect: {host_message: {fields: {39: \"98\", 200: x}, direction: in}}\n"
                  "  - expect: {host_message: {mti: \"0400\", field_90_refers_to: first}}\n"
                  "  - expect: {wallet_message: {path: /orderquery, count: 1, absent: true}}\n"
                  "  - expect: {ledger: {}}\n"
                  "  - expect: {ledger: {net: \"1\"}}\n"
                  "  - expect: {state: {paper: none}}\n"
                  "  - expect: {display: [a]}\n"
                  "  - expect: {ecr: ACK, from: host}\n"),
      (std::vector<std::string>{
          "s.yaml:4:31: unknown status 'OK' (known: APPROVED, DECLINED, FAILED, UNKNOWN, "
          "CANCELLED)",
          "s.yaml:4:42: unknown entry 'tap' (known: chip, swipe, fallback, qr, manual)",
          "s.yaml:4:51: bad response code '5': expected 2 digits or capital letters, e.g. \"05\"",
          "s.yaml:4:54: unknown key 'colour' in result (known: status, rc, entry, method, "
          "amount, text, id)",
          "s.yaml:5:21: bad event name 'reversal_acked': expected capital letters, digits and "
          "'_', e.g. REVERSAL_ACKED",
          "s.yaml:5:45: bad event name 'Result': expected an event name (capital letters, "
          "digits, '_') or result",
          "s.yaml:5:71: 'absent' and 'count' exclude each other",
          "s.yaml:6:39: 'tries_left' must be at least 0, got '-1'",
          "s.yaml:6:51: expected true or false, got 'maybe'",
          "s.yaml:7:30: unknown copy 'copy' (known: original, duplicate)",
          "s.yaml:8:28: missing key 'mti' in host_message",
          "s.yaml:8:48: bad ISO 8583 field number '200': expected 2 to 128",
          "s.yaml:8:68: unknown direction 'in' (known: to_host, to_terminal, both)",
          "s.yaml:9:62: unknown field_90_refers_to 'first' (known: previous)",
          "s.yaml:10:68: 'absent' and 'count' exclude each other",
          "s.yaml:11:22: ledger needs at least one of: net, debits, reversals, declines, "
          "refunds, wallet_payments, wallet_net, fees",
          "s.yaml:12:28: expected an amount with two fraction digits, e.g. \"100.00\" or "
          "\"-1.00\", got '1'",
          "s.yaml:13:29: unknown paper 'none' (known: ok, low, out)",
          "s.yaml:14:23: expected text, got a list",
          "s.yaml:15:19: unknown ecr 'ACK' (known: frame, ack, nak, bad, noise)",
          "s.yaml:15:30: unknown from 'host' (known: terminal, controller)"}));
}

// ---------------------------------------------------------------------------------------------
// All of a file at once

TEST(ScenarioErrors, EveryMistakeOfAFileInFileOrder) {
  auto issues = issues_of(
      "steps:\n"
      "  - sale: {amount: \"1.0\", method: card}\n"
      "  - fault: network.latency\n"
      "    ms: fast\n"
      "  - expect: {event: REVERSAL_ACKED, within: 1h}\n"
      "name: late\n"
      "family: ecr\n"
      "tags: nightly\n");
  EXPECT_EQ(issues,
            (std::vector<std::string>{
                "s.yaml:2:20: expected an amount with two fraction digits, e.g. \"100.00\", got "
                "'1.0'",
                "s.yaml:4:9: expected a whole number, got 'fast'",
                "s.yaml:5:45: bad duration '1h': expected a number followed by ms, s or m",
                "s.yaml:8:7: expected a list, got 'nightly'"}));
}

// ---------------------------------------------------------------------------------------------
// Files and folders

std::vector<std::string> load_issues(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  try {
    rig::scenario::load_scenarios(paths);
  } catch (const rig::ConfigError& e) {
    for (const auto& i : e.issues()) out.push_back(i.to_string());
  }
  return out;
}

TEST(ScenarioFiles, FolderIsSearchedRecursivelyInPathOrder) {
  auto all = rig::scenario::load_scenarios({kData + "/good"}, with_cards());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].file, kData + "/good/every-step.yaml");
  EXPECT_EQ(all[1].file, kData + "/good/nested/reversal-after-approval.yaml");
  EXPECT_EQ(all[2].file, kData + "/good/smoke.yml");
  EXPECT_EQ(all[2].id(), "card/smoke");
  // A file named again, directly or through its folder, is loaded once.
  auto again = rig::scenario::load_scenarios(
      {kData + "/good/smoke.yml", kData + "/good", kData + "/good/../good/smoke.yml"});
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[0].id(), "card/smoke");
}

TEST(ScenarioFiles, IssuesOfEveryFileInOneError) {
  EXPECT_EQ(load_issues({kData + "/bad"}),
            (std::vector<std::string>{
                kData + "/bad/a-unknown-step.yaml:4:5: unknown step 'sael' (known: sale, refund, "
                        "query, last, reprint, cancel, status, reset, login, unlock, fault, clear, "
                        "card, scan, "
                        "scanner, keys, paper, power, wait, expect)",
                kData + "/bad/c-two-errors.yaml:2:9: bad family 'Card': expected lower-case "
                        "letters, digits and '-', e.g. reversal",
                kData + "/bad/c-two-errors.yaml:4:11: bad duration '5 sec': expected a number "
                        "followed by ms, s or m"}));
}

TEST(ScenarioFiles, MissingEmptyAndDuplicate) {
  EXPECT_EQ(load_issues({kData + "/nowhere", kData + "/empty", kData + "/dup",
                         kData + "/good/nowhere.yaml"}),
            (std::vector<std::string>{
                kData + "/nowhere: no such file or folder",
                kData + "/empty: no scenario files (*.yaml, *.yml)",
                kData + "/good/nowhere.yaml: no such file or folder",
                kData + "/dup/b/same.yaml:1:1: scenario id 'card/same' is also used by " + kData +
                    "/dup/a/same.yaml"}));
  // load_scenario on a missing file says why.
  try {
    rig::scenario::load_scenario(kData + "/nowhere.yaml");
    FAIL();
  } catch (const rig::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              kData + "/nowhere.yaml: cannot read file: No such file or directory");
  }
}

// ---------------------------------------------------------------------------------------------
// The catalogue

TEST(Catalogue, NamesAreUniqueAndFamiliesExist) {
  auto unique = [](const std::vector<std::string>& names) {
    return std::set<std::string>(names.begin(), names.end()).size() == names.size();
  };
  using namespace rig::scenario;
  EXPECT_TRUE(unique(names_of(steps())));
  EXPECT_TRUE(unique(names_of(expectations())));
  EXPECT_TRUE(unique(names_of(faults())));
  EXPECT_TRUE(unique(names_of(prompt_kinds())));
  EXPECT_TRUE(unique(names_of(known_events())));
  for (const auto& f : faults()) {
    EXPECT_TRUE(f.family == "ecr" || rig::fault::find_family(f.family)) << f.name;
    // The name's prefix says what it acts on; host and wallet faults are the acquirer's.
    const std::string prefix = f.name.substr(0, f.name.find('.'));
    EXPECT_EQ(f.family, prefix == "host" || prefix == "wallet" ? "acquirer" : prefix) << f.name;
    EXPECT_TRUE(unique(names_of(f.params))) << f.name;
    EXPECT_FALSE(f.doc.empty()) << f.name;
    for (const auto& p : f.params) {
      EXPECT_FALSE(p.doc.empty()) << f.name << " " << p.name;
      // A parameter never shadows a step key: the fault step's siblings would be ambiguous.
      EXPECT_EQ(find_step(p.name), nullptr) << f.name << " " << p.name;
      EXPECT_NE(p.name, "when");
      EXPECT_NE(p.name, "for");
      EXPECT_NE(p.name, "fault");
    }
  }
  for (const auto& s : steps()) {
    EXPECT_TRUE(s.family.empty() || rig::fault::find_family(s.family)) << s.name;
  }
  EXPECT_EQ(find_fault("network.latency")->params.size(), 5u);
  EXPECT_EQ(find_expectation("result")->default_within, 10000ms);
  EXPECT_EQ(default_direction_for_mti("0410"), "to_terminal");
  EXPECT_EQ(default_direction_for_mti("0401"), "to_host");
}

TEST(Catalogue, NeededFamilies) {
  Scenario s = load_steps(
      "  - fault: host.decline\n    rc: \"05\"\n"
      "  - fault: ecr.disconnect\n"
      "  - card: {insert: visa-chip}\n"
      "  - keys: [\"1\"]\n"
      "  - scan: {code: x}\n"
      "  - paper: out\n"
      "  - power: cut\n"
      "  - sale: {amount: \"1.00\", method: card}\n" +
      kExpect);
  EXPECT_EQ(rig::scenario::needed_families(s),
            (std::set<std::string>{"acquirer", "card", "keypad", "printer", "power", "scanner"}));
}

TEST(Catalogue, EveryNameIsInTheDocs) {
  std::ifstream in(POSRIG_SOURCE_DIR "/docs/scenarios.md");
  ASSERT_TRUE(in) << "docs/scenarios.md is missing";
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  using namespace rig::scenario;
  std::vector<std::string> names;
  auto add = [&](const std::vector<std::string>& more) {
    names.insert(names.end(), more.begin(), more.end());
  };
  add(names_of(steps()));
  add(names_of(expectations()));
  add(names_of(faults()));
  add(names_of(trigger_kinds()));
  add(names_of(expect_modifiers()));
  add(names_of(prompt_kinds()));
  add(names_of(result_statuses()));
  add(names_of(entry_modes()));
  add(names_of(card_damages()));
  add(names_of(key_names()));
  add(names_of(wallet_paths()));
  add(names_of(known_events()));
  add(names_of(scenario_families()));
  for (const auto& s : steps()) add(names_of(s.params));
  for (const auto& e : expectations()) add(names_of(e.params));
  for (const auto& f : faults()) add(names_of(f.params));
  for (const auto& name : names) {
    EXPECT_NE(doc.find("`" + name + "`"), std::string::npos) << "`" << name << "`";
  }
}

// docs/scenarios.md's fault catalogue table lists each fault with exactly its parameters
// ("network common": direction, probability, seed). tests/matrix/contract.py reads the table to
// know which parameters a scenario must exercise (docs/coverage.md's contract).
TEST(Catalogue, FaultTableOfTheDocsListsEachFaultsParameters) {
  std::ifstream in(POSRIG_SOURCE_DIR "/docs/scenarios.md");
  ASSERT_TRUE(in);
  std::map<std::string, std::set<std::string>> table;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) inside = line == "## Fault catalogue";
    if (!inside || line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream row(line.substr(1));
    std::string cell;
    while (std::getline(row, cell, '|')) cells.push_back(cell);
    if (cells.size() < 3) continue;
    std::string name = cells[0].substr(cells[0].find('`') + 1);
    name = name.substr(0, name.find('`'));
    if (name.find('.') == std::string::npos) continue;  // the table of parameters below it
    std::set<std::string>& params = table[name];
    const std::string& text = cells[2];
    for (std::size_t at = text.find('`'); at != std::string::npos;) {
      const std::size_t end = text.find('`', at + 1);
      params.insert(text.substr(at + 1, end - at - 1));
      at = text.find('`', end + 1);
    }
    if (text.find("network common") != std::string::npos) {
      params.insert({"direction", "probability", "seed"});
    }
  }
  std::map<std::string, std::set<std::string>> catalogue;
  for (const auto& f : rig::scenario::faults()) {
    auto& params = catalogue[f.name];
    for (const auto& p : f.params) params.insert(p.name);
  }
  EXPECT_EQ(table, catalogue);
}

TEST(Catalogue, EveryExampleInTheDocsLoads) {
  std::ifstream in(POSRIG_SOURCE_DIR "/docs/scenarios.md");
  ASSERT_TRUE(in);
  // ```yaml blocks: whole scenarios (starting with a comment or name:) load as they are; lists
  // of steps load inside a scenario that also expects something.
  std::vector<std::pair<int, std::string>> blocks;
  std::string line, block;
  int line_no = 0, start = 0;
  bool inside = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (!inside && line == "```yaml") {
      inside = true;
      start = line_no + 1;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      blocks.emplace_back(start, block);
    } else if (inside) {
      block += line + "\n";
    }
  }
  ASSERT_GE(blocks.size(), 20u);
  for (const auto& [at, text] : blocks) {
    std::string scenario = text;
    if (text.rfind("- ", 0) == 0) {
      scenario = "name: doc\nfamily: doc\nsteps:\n";
      std::istringstream lines(text);
      while (std::getline(lines, line)) scenario += "  " + line + "\n";
      scenario += kExpect;
    }
    try {
      rig::scenario::load_scenario_text(scenario, "docs/scenarios.md:" + std::to_string(at),
                                        with_cards());
    } catch (const rig::ConfigError& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// One step on its own (load_step_text, used by the Python bindings)

namespace {

std::vector<std::string> one_step_issues(const std::string& yaml, const LoadOptions& options = {}) {
  std::vector<std::string> out;
  try {
    rig::scenario::load_step_text(yaml, "script.py", options);
  } catch (const rig::ConfigError& e) {
    for (const auto& i : e.issues()) out.push_back(i.to_string());
  }
  return out;
}

TEST(StepLoad, SaleMappingWithDefaults) {
  rig::scenario::Step s = rig::scenario::load_step_text(
      "sale: {amount: \"1.00\", method: card, card: visa-chip}", "script.py", with_cards());
  EXPECT_EQ(s.name, "sale");
  EXPECT_EQ(s.loc.to_string(), "script.py:1:1");
  EXPECT_EQ(s.args, (json{{"amount", "1.00"},
                          {"method", "card"},
                          {"card", "visa-chip"},
                          {"currency", "${profile.currency}"}}));
}

TEST(StepLoad, JsonFlowTextIsYaml) {
  // The bindings write steps as JSON, which is YAML's flow style.
  rig::scenario::Step s = rig::scenario::load_step_text(
      R"({"expect": {"event": "REVERSAL_ACKED", "before": "result", "within": "5s"}})", "x.py");
  EXPECT_EQ(s.name, "expect");
  EXPECT_EQ(s.expect, "event");
  EXPECT_EQ(s.within, 5000ms);
  EXPECT_EQ(s.since, "transaction");
  EXPECT_EQ(s.args, (json{{"name", "REVERSAL_ACKED"}, {"before", "result"}}));
}

TEST(StepLoad, ExpectGetsTheCatalogueDefaultWithin) {
  rig::scenario::Step s =
      rig::scenario::load_step_text("expect: {result: {status: APPROVED}}", "x.py");
  EXPECT_EQ(s.expect, "result");
  EXPECT_EQ(s.within, rig::scenario::find_expectation("result")->default_within);
  EXPECT_EQ(s.args, (json{{"status", "APPROVED"}}));
}

TEST(StepLoad, FaultWithSiblingKeys) {
  rig::scenario::Step s = rig::scenario::load_step_text(
      "fault: network.down\nwhen: {host_message: \"0210\"}\nfor: 2s\n", "x.py");
  EXPECT_EQ(s.name, "fault");
  EXPECT_EQ(s.args.value("fault", ""), "network.down");
  EXPECT_EQ(s.when.kind, Trigger::Kind::host_message);
  EXPECT_EQ(s.when.value, "0210");
  EXPECT_EQ(s.when.direction, "to_terminal");
  ASSERT_TRUE(s.hold.has_value());
  EXPECT_EQ(*s.hold, 2000ms);
}

TEST(StepLoad, BareNamesAndScalars) {
  EXPECT_EQ(rig::scenario::load_step_text("last", "x.py").name, "last");
  EXPECT_EQ(rig::scenario::load_step_text("query", "x.py").args, json::object());
  EXPECT_EQ(rig::scenario::load_step_text("card: remove", "x.py").args,
            (json{{"action", "remove"}}));
  EXPECT_EQ(rig::scenario::load_step_text("paper: out", "x.py").args, (json{{"state", "out"}}));
  EXPECT_EQ(rig::scenario::load_step_text("wait: 500ms", "x.py").args,
            (json{{"duration_ms", 500}}));
  EXPECT_EQ(rig::scenario::load_step_text("keys: [\"1\", ENTER]", "x.py").args,
            (json{{"keys", {"1", "ENTER"}}}));
}

TEST(StepLoad, ClearMayNameAnyFault) {
  // In a file, `clear` needs an earlier step arming the fault; a lone step cannot know.
  rig::scenario::Step s = rig::scenario::load_step_text("clear: network.down", "x.py");
  EXPECT_EQ(s.args, (json{{"fault", "network.down"}}));
  EXPECT_EQ(one_step_issues("clear: network.dwn").size(), 1u);
}

TEST(StepLoad, LinesCountInTheText) {
  // The bindings pad the text with blank lines so that a step lands on its script line.
  rig::scenario::Step s = rig::scenario::load_step_text("\n\n\nlast", "script.py");
  EXPECT_EQ(s.loc.to_string(), "script.py:4:1");
}

TEST(StepLoad, MistakesHaveTheTextsOfAFile) {
  EXPECT_EQ(
      one_step_issues("sale: {amount: \"1.00\", method: card, card: visa-good}", with_cards()),
      (std::vector<std::string>{
          "script.py:1:44: unknown card 'visa-good' (known: expired, frozen, low-balance, "
          "mag-only, unionpay-chip, visa-chip)"}));
  EXPECT_EQ(one_step_issues("sael: {}"),
            (std::vector<std::string>{
                "script.py:1:1: unknown step 'sael' (known: sale, refund, query, last, reprint, "
                "cancel, status, reset, login, unlock, fault, clear, card, scan, scanner, keys, "
                "paper, power, "
                "wait, expect)"}));
  EXPECT_EQ(one_step_issues("sale: {amount: \"1.5\", method: card}"),
            (std::vector<std::string>{"script.py:1:16: expected an amount with two fraction "
                                      "digits, e.g. \"100.00\", got '1.5'"}));
  EXPECT_EQ(one_step_issues("last\n"), std::vector<std::string>{});
  EXPECT_EQ(one_step_issues("sale: {amount: \"1.00\", method: card}\nwithin: 2s"),
            (std::vector<std::string>{"script.py:2:1: 'within' is only for expect steps"}));
  // Sibling keys of a fault are its parameters, checked against the catalogue.
  std::vector<std::string> wrong_param = one_step_issues("fault: network.down\nms: 5");
  ASSERT_EQ(wrong_param.size(), 1u);
  EXPECT_EQ(wrong_param[0].rfind("script.py:2:1: parameter 'ms' belongs to network.latency", 0), 0u)
      << wrong_param[0];
}

TEST(StepLoad, EveryMistakeOfTheStepAtOnce) {
  std::vector<std::string> issues =
      one_step_issues("sale: {amount: \"1.5\", method: cash, colour: red}");
  ASSERT_EQ(issues.size(), 3u);
  EXPECT_EQ(issues[0].rfind("script.py:1:16: expected an amount", 0), 0u) << issues[0];
  EXPECT_EQ(issues[1].rfind("script.py:1:31: unknown", 0), 0u) << issues[1];
  EXPECT_EQ(issues[2].rfind("script.py:1:37: unknown key 'colour'", 0), 0u) << issues[2];
}

TEST(StepLoad, SameMessageAsTheSameStepInAFile) {
  // One parser for both: the message after "file:line:col: " is the same.
  const std::string step = "card: {insert: visa-chip, damage: bent}";
  std::vector<std::string> alone = one_step_issues(step);
  std::vector<std::string> in_file = step_issues("  - " + step + "\n" + kExpect);
  ASSERT_EQ(alone.size(), 1u);
  ASSERT_EQ(in_file.size(), 1u);
  auto message = [](const std::string& issue) {
    std::size_t at = 0;
    for (int colons = 0; colons < 3; ++colons) at = issue.find(':', at) + 1;
    return issue.substr(at);
  };
  EXPECT_EQ(message(alone[0]), message(in_file[0]));
}

TEST(StepLoad, NotAStep) {
  EXPECT_EQ(one_step_issues(""),
            (std::vector<std::string>{"script.py:1:1: expected a step, got nothing"}));
  EXPECT_EQ(one_step_issues("- last"),
            (std::vector<std::string>{"script.py:1:1: expected a step, got a list"}));
  std::vector<std::string> syntax = one_step_issues("sale: {amount: \"1.00\"");
  ASSERT_EQ(syntax.size(), 1u);
  EXPECT_EQ(syntax[0].rfind("script.py:", 0), 0u) << syntax[0];
}

}  // namespace

namespace {

// Profile values (rig/scenario/profile_ref.h): checked when the file loads, kept unresolved.
TEST(ScenarioLoad, ProfileValuesAreCheckedAndKeptForTheStation) {
  Scenario s = load_steps(
      "  - fault: host.refuse_reversal\n"
      "    count: ${profile.reversal_attempts}\n"
      "  - expect: {event: WALLET_QUERY, count: {min: 1, max: \"${profile.wallet_queries}\"}}\n"
      "  - expect: {result: {text: \"${wording.declined_result}\"}, within: "
      "\"${profile.host_timeout} + 10s\"}\n"
      "  - keys: [\"${profile.operator_password}\", ENTER]\n");
  EXPECT_EQ(s.steps[0].args["count"], json({{"$expr", "${profile.reversal_attempts}"}}));
  EXPECT_EQ(s.steps[1].args["count"],
            json({{"min", 1}, {"max", {{"$expr", "${profile.wallet_queries}"}}}}));
  EXPECT_EQ(s.steps[2].args["text"], "${wording.declined_result}");
  EXPECT_EQ(s.steps[2].within_expr, "${profile.host_timeout} + 10s");
  EXPECT_EQ(s.steps[3].args["keys"], json({"${profile.operator_password}", "ENTER"}));
  EXPECT_EQ(s.steps[2].match, "pattern");

  EXPECT_EQ(
      step_issues("  - expect: {event: X, count: \"${profile.wallet_querys}\"}\n"
                  "  - expect: {event: X, within: \"${profile.host_timeout} + 3\"}\n"
                  "  - expect: {event: X, count: \"${profile.host_timeout}\"}\n"
                  "  - expect: {display: \"${wording.lock}\"}\n"
                  "  - expect: {event: X, count: {min: 3, max: 2}}\n"
                  "  - expect: {event: X, count: {}}\n"
                  "  - expect: {display: \"a(b\"}\n"
                  "  - expect: {display: \"a(b\", match: literal}\n"
                  "  - expect: {result: {status: \"${profile.currency}\"}}\n"),
      (std::vector<std::string>{
          "s.yaml:4:31: bad expression '${profile.wallet_querys}': unknown figure "
          "'wallet_querys' (known: host_timeout, reversal_attempts, reversal_interval, "
          "chip_reads, stripe_reads, scan_tries, pin_tries, wallet_queries, "
          "wallet_query_interval, reverse_attempts, operator_tries, currency, "
          "operator_password, supervisor_password)",
          "s.yaml:5:32: bad expression '${profile.host_timeout} + 3': a count and a duration "
          "cannot be added",
          "s.yaml:6:31: 'count' is a whole number; '${profile.host_timeout}' gives a duration",
          "s.yaml:7:23: unknown wording 'lock' (known: approved_result, declined_result, "
          "insufficient_funds_result, expired_card_result, restricted_card_result, "
          "query_settled_result, approved_display, declined_display, pin_blocked_display, "
          "last_pin_try_display, reversal_failed_display, locked_display, paper_out_display, "
          "receipt_amount, duplicate_marker)",
          "s.yaml:8:31: 'count': min is above max",
          "s.yaml:9:31: 'count' bounds need min, max or both, e.g. {min: 1, max: 3}",
          "s.yaml:10:23: not a regular expression: 'a(b' (Mismatched '(' and ')' in regular "
          "expression); write match: literal beside it to compare the text as written",
          "s.yaml:12:31: 'status' cannot take a profile value (${…}); got "
          "'${profile.currency}'"}));
}

// A text pattern std::regex would overflow the stack compiling (rig/bench/user_regex.h) is an
// error of the file.
TEST(ScenarioLoad, APatternTooLongToCompileIsAnError) {
  const std::string deep = std::string(50000, '(') + "x" + std::string(50000, ')');
  std::vector<std::string> issues = step_issues("  - expect: {display: \"" + deep + "\"}\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].rfind("s.yaml:4:23: not a regular expression: '((", 0), 0u)
      << issues[0].substr(0, 200);
  EXPECT_NE(issues[0].find("(a pattern of 100001 bytes, more than the 1000 a regular expression "
                           "may have); write match: literal beside it"),
            std::string::npos);
}

}  // namespace
