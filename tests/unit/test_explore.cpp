// rig explore's pure parts (rig/explore/matrix.h, explorer.h verdict_of): boundaries from a
// hand-built timeline, the faults that fit each boundary, and the scenarios it writes, loaded
// by the normal loader and served by the virtual bench; and the engine's message triggers for
// faults whose fixture does not see the messages (rig/engine/fault_arming.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "rig/bench/bench.h"
#include "rig/bench/card_profile.h"
#include "rig/engine/fault_arming.h"
#include "rig/engine/plan.h"
#include "rig/explore/explorer.h"
#include "rig/explore/matrix.h"
#include "rig/scenario/loader.h"

namespace {

using nlohmann::json;
using rig::explore::Boundary;
using rig::explore::FaultCase;

json entry(double t, const std::string& kind, json fields) {
  return {{"t_ms", t}, {"kind", kind}, {"fields", std::move(fields)}};
}

// A card sale as the proxy and the terminal tell it, with what does not belong to the flow
// around it: a BOOT, an earlier scenario's reversal, the rig's own STATUS after the steps.
json card_sale_timeline() {
  return json::array({
      entry(1, "event", {{"name", "BOOT"}}),
      entry(2, "step", {{"step", "sale"}}),
      entry(3, "prompt", {{"kind", "PRESENT_CARD"}, {"id", "t-1"}}),
      entry(4, "fixture", {{"request", {{"cmd", "card.insert"}}}}),
      entry(5, "prompt", {{"kind", "PIN"}, {"id", "t-1"}}),
      entry(6, "host_message",
            {{"mti", "0400"}, {"direction", "to_host"}, {"earlier_scenario", true}}),
      entry(7, "host_message", {{"mti", "0200"}, {"direction", "to_host"}}),
      entry(8, "host_message", {{"mti", "0210"}, {"direction", "to_terminal"}}),
      entry(9, "prompt", {{"kind", "PIN"}, {"id", "t-1"}}),
      entry(10, "host_message", {{"mti", "0200"}, {"direction", "to_host"}}),
      entry(11, "host_message", {{"mti", "0210"}, {"direction", "to_terminal"}}),
      entry(12, "prompt", {{"kind", "REMOVE_CARD"}, {"id", "t-1"}}),
      entry(13, "result", {{"id", "t-1"}, {"status", "APPROVED"}}),
      entry(20, "status", {{"state", "idle"}}),
      entry(21, "prompt", {{"kind", "PRESENT_CARD"}, {"id", "t-2"}}),
  });
}

std::vector<std::string> ids(const std::vector<Boundary>& bs) {
  std::vector<std::string> out;
  for (const auto& b : bs) out.push_back(b.id());
  return out;
}

std::vector<std::string> faults(const Boundary& b) {
  std::vector<std::string> out;
  for (const FaultCase& f : rig::explore::faults_for(b)) out.push_back(f.fault);
  return out;
}

Boundary message(Boundary::Kind kind, std::string value, std::string direction, int nth = 1) {
  Boundary b;
  b.kind = kind;
  b.value = std::move(value);
  b.direction = std::move(direction);
  b.occurrence = nth;
  return b;
}

Boundary prompt(std::string kind, int nth = 1) {
  return message(Boundary::Kind::prompt, std::move(kind), "", nth);
}

TEST(ExploreBoundaries, TheFlowsMessagesAndPromptsInOrderWithOccurrences) {
  const auto bs = rig::explore::boundaries_of(card_sale_timeline(), 2, 13);
  EXPECT_EQ(ids(bs), (std::vector<std::string>{"prompt-PRESENT_CARD", "prompt-PIN", "0200-to_host",
                                               "0210-to_terminal", "prompt-PIN-2", "0200-to_host-2",
                                               "0210-to_terminal-2", "prompt-REMOVE_CARD"}));
  EXPECT_EQ(bs[1].describe(), "prompt PIN");
  EXPECT_EQ(bs[6].describe(), "0210 to_terminal #2");
  EXPECT_EQ(bs[6].trigger(), "{host_message: {mti: \"0210\", direction: to_terminal, occurrence: 2}}");
  EXPECT_EQ(bs[0].trigger(), "{prompt: PRESENT_CARD}");
  // Outside the window, a BOOT naming no transaction and an earlier scenario's 0400 are left out.
  EXPECT_TRUE(rig::explore::boundaries_of(card_sale_timeline(), 14, 100).size() == 1);
  EXPECT_TRUE(rig::explore::boundaries_of(json::object(), 0, 100).empty());
}

TEST(ExploreBoundaries, WalletCallsByPathAndDirection) {
  json tl = json::array({
      entry(1, "prompt", {{"kind", "SCAN_CODE"}, {"id", "q"}}),
      entry(2, "wallet_message", {{"path", "/micropay"}, {"direction", "to_host"}}),
      entry(3, "wallet_message", {{"path", "/micropay"}, {"direction", "to_terminal"}}),
      entry(4, "wallet_message", {{"path", "/orderquery"}, {"direction", "to_host"}}),
      entry(5, "event", {{"name", "WALLET_QUERY"}, {"id", "q"}}),
  });
  const auto bs = rig::explore::boundaries_of(tl, 0, 10);
  EXPECT_EQ(ids(bs), (std::vector<std::string>{"prompt-SCAN_CODE", "micropay-to_host",
                                               "micropay-to_terminal", "orderquery-to_host",
                                               "event-WALLET_QUERY"}));
  EXPECT_EQ(bs[2].trigger(),
            "{wallet_message: {path: /micropay, direction: to_terminal, occurrence: 1}}");
  EXPECT_EQ(bs[4].trigger(), "{event: WALLET_QUERY}");
}

TEST(ExploreFaults, EachBoundaryGetsTheFaultsThatFitThere) {
  using K = Boundary::Kind;
  EXPECT_EQ(faults(message(K::host_message, "0200", "to_host")),
            (std::vector<std::string>{"network.down", "network.blackhole", "network.reset",
                                      "host.no_response", "host.decline", "power.cut",
                                      "printer.paper_out"}));
  EXPECT_EQ(faults(message(K::host_message, "0210", "to_terminal")),
            (std::vector<std::string>{"network.down", "network.blackhole", "network.reset",
                                      "host.no_response", "host.delay", "power.cut",
                                      "printer.paper_out"}));
  // The acquirer acts on the next request of an MTI: only at its first occurrence.
  EXPECT_EQ(faults(message(K::host_message, "0200", "to_host", 2)),
            (std::vector<std::string>{"network.down", "network.blackhole", "network.reset",
                                      "power.cut", "printer.paper_out"}));
  EXPECT_EQ(faults(message(K::host_message, "0400", "to_host")),
            (std::vector<std::string>{"network.down", "network.blackhole", "network.reset",
                                      "host.no_response", "host.refuse_reversal", "power.cut",
                                      "printer.paper_out"}));
  EXPECT_EQ(faults(message(K::wallet_message, "/micropay", "to_host")),
            (std::vector<std::string>{"network.down", "network.blackhole", "network.reset",
                                      "wallet.no_response", "wallet.systemerror",
                                      "wallet.userpaying", "power.cut", "printer.paper_out"}));
  EXPECT_EQ(faults(prompt("PIN")),
            (std::vector<std::string>{"network.down", "power.cut", "printer.paper_out",
                                      "ecr.no_ack", "ecr.disconnect"}));
  // A prompt trigger fires on the first prompt of its kind: a second one gets nothing.
  EXPECT_TRUE(faults(prompt("PIN", 2)).empty());

  const auto at_0210 = rig::explore::faults_for(message(K::host_message, "0210", "to_terminal"));
  const auto delay = std::find_if(at_0210.begin(), at_0210.end(),
                                  [](const FaultCase& f) { return f.fault == "host.delay"; });
  ASSERT_NE(delay, at_0210.end());
  EXPECT_FALSE(delay->triggered);
  EXPECT_EQ(delay->params, "mti: \"0200\"\ncount: 1\nms: 35000\n");
  const auto cut = std::find_if(at_0210.begin(), at_0210.end(),
                                [](const FaultCase& f) { return f.fault == "power.cut"; });
  ASSERT_NE(cut, at_0210.end());
  EXPECT_TRUE(cut->triggered);
  EXPECT_EQ(cut->recovery, rig::explore::Recovery::power);
}

// Every scenario the explorer can write loads through the normal loader, arms its fault at the
// boundary, and is one the virtual bench can serve.
TEST(ExploreScenarios, EveryCaseLoadsArmsItsFaultThereAndRunsOnTheVirtualBench) {
  const rig::bench::Bench bench =
      rig::bench::load_bench(POSRIG_SOURCE_DIR "/fixtures/benches/virtual.yaml");
  const auto cards = rig::bench::load_cards(bench.cards_dir);
  rig::scenario::LoadOptions load;
  for (const auto& [name, card] : cards) load.known_cards.insert(name);
  rig::engine::PlanOptions plan;
  plan.cards = &cards;
  using K = Boundary::Kind;
  const std::vector<Boundary> boundaries = {
      prompt("PRESENT_CARD"),
      message(K::host_message, "0200", "to_host"),
      message(K::host_message, "0210", "to_terminal"),
      message(K::host_message, "0400", "to_host"),
      message(K::host_message, "0210", "to_terminal", 2),
      message(K::wallet_message, "/micropay", "to_host"),
      message(K::wallet_message, "/micropay", "to_terminal"),
      message(K::wallet_message, "/reverse", "to_host"),
      message(K::event, "REVERSAL_SENT", ""),
  };
  std::set<std::string> seen;
  int loaded = 0;
  for (const auto& flow : rig::explore::flows()) {
    const rig::scenario::Scenario clean =
        rig::scenario::load_scenario_text(rig::explore::clean_text(flow), "clean.yaml", load);
    EXPECT_EQ(clean.id(), "explore/clean");
    for (const Boundary& b : boundaries) {
      for (const FaultCase& f : rig::explore::faults_for(b)) {
        const std::string id = rig::explore::case_id(b, f);
        SCOPED_TRACE(flow.name + " " + id);
        EXPECT_TRUE(seen.insert(flow.name + id).second);
        const std::string text = rig::explore::scenario_text(flow, b, f);
        rig::scenario::Scenario sc;
        ASSERT_NO_THROW(sc = rig::scenario::load_scenario_text(text, id + ".yaml", load)) << text;
        ++loaded;
        EXPECT_EQ(sc.id(), "explore/" + id);
        ASSERT_FALSE(sc.steps.empty());
        const auto& arm = sc.steps.front();
        EXPECT_EQ(arm.name, "fault");
        EXPECT_EQ(arm.args.value("fault", ""), f.fault);
        if (f.triggered) {
          EXPECT_EQ(arm.when.value, b.value);
          EXPECT_EQ(arm.when.occurrence, b.kind == K::host_message || b.kind == K::wallet_message
                                             ? b.occurrence
                                             : 1);
          if (!b.direction.empty()) {
            EXPECT_EQ(arm.when.direction, b.direction);
          }
        } else {
          EXPECT_EQ(arm.when.kind, rig::scenario::Trigger::Kind::now);
        }
        // The fault is cleared, and the terminal shown usable: the follow-up is approved.
        EXPECT_NE(text.find("  - clear: " + f.fault + "\n"), std::string::npos);
        EXPECT_NE(text.find("  - last\n"), std::string::npos);
        EXPECT_EQ(sc.steps.back().args.dump(), R"({"status":"APPROVED"})");
        EXPECT_TRUE(rig::engine::coverage(bench, sc, plan).runnable())
            << rig::engine::coverage(bench, sc, plan).skip_reason;
      }
    }
  }
  EXPECT_GT(loaded, 100);
}

TEST(ExploreScenarios, ThePowerCutAtAnApprovalIsWrittenOutAsARunnableScenario) {
  const auto* flow = rig::explore::find_flow("card-sale");
  ASSERT_NE(flow, nullptr);
  const Boundary b = message(Boundary::Kind::host_message, "0210", "to_terminal");
  FaultCase cut{"power.cut", "", true, rig::explore::Recovery::power};
  EXPECT_EQ(rig::explore::scenario_text(*flow, b, cut),
            "# rig explore: card-sale, power.cut at 0210 to_terminal\n"
            "name: \"explore card-sale: power.cut at 0210 to_terminal\"\n"
            "family: explore\n"
            "tags: [explore]\n"
            "steps:\n"
            "  - fault: power.cut\n"
            "    when: {host_message: {mti: \"0210\", direction: to_terminal, occurrence: 1}}\n"
            "  - sale: {amount: \"16.31\", method: card, card: visa-chip}\n"
            "  - wait: 40s\n"
            "  - clear: power.cut\n"
            "  - expect: {event: BOOT, within: 60s}\n"
            "  - last\n"
            "  - expect: {result: {}, within: 30s}\n"
            "  - sale: {amount: \"1.00\", method: card, card: visa-chip}\n"
            "  - expect: {result: {status: APPROVED}, within: \"${profile.host_timeout} + 10s\"}\n");
  EXPECT_EQ(rig::explore::find_flow("refund-twice"), nullptr);
}

// Depth 2: what a fault left behind for the next transaction is what the clean run never had,
// by kind, value and direction (a second 0200 is not new; a 0400 and REVERSAL_SENT are).
TEST(ExploreDepth2, WhatAFaultLeftBehindIsWhatTheCleanRunNeverHad) {
  using K = Boundary::Kind;
  const std::vector<Boundary> clean = {prompt("PRESENT_CARD"), prompt("PIN"),
                                       message(K::host_message, "0200", "to_host"),
                                       message(K::host_message, "0210", "to_terminal")};
  const std::vector<Boundary> next = {prompt("PIN"), message(K::host_message, "0400", "to_host"),
                                      message(K::host_message, "0410", "to_terminal"),
                                      message(K::event, "REVERSAL_SENT", ""),
                                      message(K::host_message, "0200", "to_host", 2)};
  std::vector<std::string> ids;
  for (const Boundary& b : rig::explore::brought_about(clean, next)) ids.push_back(b.id());
  EXPECT_EQ(ids, (std::vector<std::string>{"0400-to_host", "0410-to_terminal",
                                           "event-REVERSAL_SENT"}));
  EXPECT_TRUE(rig::explore::brought_about(clean, clean).empty());
}

// A pair is one transaction per fault, the second fault armed just before its own transaction
// (its trigger counts from there), waiting longer for an answer that may queue behind a stored
// reversal's attempts; one reproducer, one id.
TEST(ExploreDepth2, APairIsWrittenAsTwoTransactionsEachWithItsFaultAndRecovery) {
  const auto* flow = rig::explore::find_flow("card-sale");
  ASSERT_NE(flow, nullptr);
  using rig::explore::Injection;
  using rig::explore::Recovery;
  const std::vector<Injection> pair = {
      {message(Boundary::Kind::host_message, "0200", "to_host"),
       FaultCase{"network.blackhole", "", true, Recovery::answer}},
      {message(Boundary::Kind::host_message, "0400", "to_host"),
       FaultCase{"power.cut", "", true, Recovery::power}}};
  EXPECT_EQ(rig::explore::case_id(pair), "0200-to_host-network.blackhole+0400-to_host-power.cut");
  const std::string text = rig::explore::scenario_text(*flow, pair);
  EXPECT_EQ(text,
            "# rig explore: card-sale, network.blackhole at 0200 to_host, then power.cut at 0400 "
            "to_host\n"
            "name: \"explore card-sale: network.blackhole at 0200 to_host, then power.cut at 0400 "
            "to_host\"\n"
            "family: explore\n"
            "tags: [explore]\n"
            "steps:\n"
            "  - fault: network.blackhole\n"
            "    when: {host_message: {mti: \"0200\", direction: to_host, occurrence: 1}}\n"
            "  - sale: {amount: \"16.31\", method: card, card: visa-chip}\n"
            "  - expect: {result: {}, within: \"${profile.host_timeout} + 40s\"}\n"
            "  - clear: network.blackhole\n"
            "  - last\n"
            "  - expect: {result: {}, within: 30s}\n"
            "  - fault: power.cut\n"
            "    when: {host_message: {mti: \"0400\", direction: to_host, occurrence: 1}}\n"
            "  - sale: {amount: \"16.31\", method: card, card: visa-chip}\n"
            "  - wait: 40s\n"
            "  - clear: power.cut\n"
            "  - expect: {event: BOOT, within: 60s}\n"
            "  - last\n"
            "  - expect: {result: {}, within: 30s}\n"
            "  - sale: {amount: \"1.00\", method: card, card: visa-chip}\n"
            "  - expect: {result: {status: APPROVED}, within: \"${profile.host_timeout} + 10s\"}\n");
  // The second transaction waits for stored reversals too, and the text loads.
  const std::vector<Injection> answered = {pair[0],
                                           {message(Boundary::Kind::host_message, "0410",
                                                    "to_terminal"),
                                            FaultCase{"network.down", "", true, Recovery::answer}}};
  const std::string second = rig::explore::scenario_text(*flow, answered);
  EXPECT_NE(second.find("within: \"(${profile.host_timeout} + 40s) + ${profile.reversal_attempts} "
                        "* (${profile.host_timeout} + ${profile.reversal_interval})\"}"),
            std::string::npos)
      << second;
  rig::scenario::LoadOptions load;
  load.known_cards = {"visa-chip"};
  rig::scenario::Scenario sc;
  ASSERT_NO_THROW(sc = rig::scenario::load_scenario_text(
                      second, rig::explore::case_id(answered) + ".yaml", load))
      << second;
  EXPECT_EQ(sc.id(), "explore/" + rig::explore::case_id(answered));
}

// A power cut (vterm's fixture) fired by a host message: the power fixture applies it as any
// other fault, and the proxy must see the messages; a network fault keeps its message trigger
// for the proxy itself.
TEST(ExploreTriggers, AFaultOfAnotherFixtureNeedsTheProxyToSeeTheMessage) {
  const auto sc = rig::scenario::load_scenario_text(
      "name: t\nfamily: x\nsteps:\n"
      "  - fault: power.cut\n    when: {host_message: \"0210\"}\n"
      "  - fault: network.down\n    when: {host_message: \"0210\"}\n"
      "  - expect: {event: BOOT}\n",
      "t.yaml");
  const auto cut = rig::engine::step_needs(sc.steps[0], {});
  ASSERT_EQ(cut.size(), 2u);
  EXPECT_EQ(cut[0].action, "power.cut");
  EXPECT_EQ(cut[0].trigger, rig::scenario::Trigger::Kind::now);
  EXPECT_EQ(cut[1].action, "network.observe");
  const auto down = rig::engine::step_needs(sc.steps[1], {});
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].trigger, rig::scenario::Trigger::Kind::host_message);
}

TEST(ExploreTriggers, TimelineEntriesMatchByNameKindMtiPathAndDirection) {
  using rig::engine::Entry;
  using rig::engine::EntryKind;
  using rig::scenario::Trigger;
  auto e = [](EntryKind kind, json fields) {
    Entry x;
    x.kind = kind;
    x.fields = std::move(fields);
    return x;
  };
  Trigger t;
  t.kind = Trigger::Kind::host_message;
  t.value = "0210";
  t.direction = "to_terminal";
  EXPECT_TRUE(rig::engine::trigger_matches(
      t, e(EntryKind::host_message, {{"mti", "0210"}, {"direction", "to_terminal"}})));
  EXPECT_FALSE(rig::engine::trigger_matches(
      t, e(EntryKind::host_message, {{"mti", "0210"}, {"direction", "to_host"}})));
  EXPECT_FALSE(rig::engine::trigger_matches(
      t, e(EntryKind::host_message, {{"mti", "0200"}, {"direction", "to_terminal"}})));
  t.direction = "both";
  EXPECT_TRUE(rig::engine::trigger_matches(
      t, e(EntryKind::host_message, {{"mti", "0210"}, {"direction", "to_host"}})));
  t.kind = Trigger::Kind::wallet_message;
  t.value = "/micropay";
  EXPECT_TRUE(rig::engine::trigger_matches(
      t, e(EntryKind::wallet_message, {{"path", "/micropay"}, {"direction", "to_terminal"}})));
  EXPECT_FALSE(rig::engine::trigger_matches(
      t, e(EntryKind::host_message, {{"mti", "/micropay"}, {"direction", "to_terminal"}})));
  t.kind = Trigger::Kind::prompt;
  t.value = "PIN";
  EXPECT_TRUE(rig::engine::trigger_matches(t, e(EntryKind::prompt, {{"kind", "PIN"}})));
  EXPECT_FALSE(rig::engine::trigger_matches(t, e(EntryKind::event, {{"name", "PIN"}})));
  t.kind = Trigger::Kind::event;
  EXPECT_TRUE(rig::engine::trigger_matches(t, e(EntryKind::event, {{"name", "PIN"}})));
}

TEST(ExploreVerdict, AFailedEvidenceCheckIsAViolationAndComesFirst) {
  rig::report::ScenarioResult r;
  r.id = "explore/0210-to_terminal-power.cut";
  r.station = "lane1";
  r.status = rig::report::Status::fail;
  r.checks.push_back({"x.yaml:14:5", "result status=APPROVED", false, "",
                      "x.yaml:14:5: expected RESULT status=APPROVED within 2000ms; saw none"});
  r.checks.push_back({"x.yaml:2:1", "evidence charged_once", true, "", ""});
  r.checks.push_back({"x.yaml:2:1", "evidence money_conserved", false, "",
                      "x.yaml:2:1: evidence money_conserved: host 0200 STAN 000004 still takes "
                      "money"});
  const rig::explore::Run v = rig::explore::verdict_of(r);
  EXPECT_EQ(v.id, "0210-to_terminal-power.cut");
  EXPECT_EQ(v.verdict, "violated");
  EXPECT_EQ(v.failed_checks,
            (std::vector<std::string>{"evidence money_conserved", "result status=APPROVED"}));
  EXPECT_EQ(v.evidence,
            "evidence money_conserved: host 0200 STAN 000004 still takes money\n"
            "result status=APPROVED: x.yaml:14:5: expected RESULT status=APPROVED within 2000ms; "
            "saw none");

  r.status = rig::report::Status::pass;
  EXPECT_EQ(rig::explore::verdict_of(r).verdict, "held");
  r.status = rig::report::Status::error;
  r.message = "station lane1: the simulator ended";
  EXPECT_EQ(rig::explore::verdict_of(r).verdict, "error");
  EXPECT_EQ(rig::explore::verdict_of(r).evidence, "station lane1: the simulator ended");
}

}  // namespace
