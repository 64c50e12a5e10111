// The expectation kinds (rig/checks) judged on hand-built timelines, without a bench: each
// check is loaded from its YAML as a scenario writes it, then run by its registered kind
// against a CheckContext over a timeline of terminal-model entries.
#include <gtest/gtest.h>

#include <deque>
#include <thread>

#include "rig/engine/context.h"
#include "rig/engine/provenance.h"
#include "rig/engine/station.h"
#include "rig/scenario/loader.h"
#include "rig/scenario/profile_ref.h"
#include "rig/scenario/registry.h"
#include "rig/terminal/model.h"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using rig::engine::Clock;
using rig::engine::EntryKind;
using rig::engine::Timeline;
using rig::scenario::Step;
namespace terminal = rig::terminal;

// A session's checks without a station: the timeline is built by the test, the ledger and the
// terminal's status answers are given.
class FakeContext : public rig::engine::CheckContext {
 public:
  Timeline tl;
  rig::engine::Transaction txn;
  json ledger = json::object();
  std::deque<json> statuses;  // answers to ask_status, in order; none left: no answer

  const Timeline& timeline() const override { return tl; }
  const rig::engine::Transaction& transaction() const override { return txn; }
  std::string scoped(const std::string& name) const override { return name + "_S1"; }
  std::chrono::milliseconds within(const Step&, bool positive) const override {
    return positive ? 1000ms : 60ms;
  }
  bool interrupted() const override { return false; }
  const rig::bench::TerminalProfile& profile() const override { return prof; }
  rig::bench::TerminalProfile prof;
  json ledger_since_start() override { return ledger; }
  rig::engine::Evidence ev;
  const rig::engine::Evidence& evidence() override { return ev; }
  json ask_status(Clock::time_point) override {
    if (statuses.empty()) return nullptr;
    json s = statuses.front();
    statuses.pop_front();
    // As a terminal would: the answer lands on the timeline.
    tl.add(EntryKind::status, s);
    return s;
  }

  // The current transaction begins here, with this id.
  void begin(const std::string& id, bool any_id = false) {
    txn.start = tl.size();
    txn.id = id;
    txn.any_id = any_id;
  }
  void add(const terminal::Observation& o) {
    tl.add(rig::engine::entry_kind_of(o), terminal::to_json(o));
  }
  void event(const std::string& name) { add(terminal::TerminalEvent{name, txn.id}); }
  void result(const std::string& id, const std::string& status, const std::string& rc = "00") {
    terminal::Outcome o;
    o.id = id;
    o.status = status;
    o.rc = rc;
    o.amount = "1.00";
    o.text = status == "APPROVED" ? "APPROVED" : "DECLINED 51 insufficient funds";
    add(o);
  }
  void host(const std::string& mti, const std::string& direction, json fields,
            bool dropped = false) {
    json f = {{"mti", mti}, {"direction", direction}, {"fields", std::move(fields)}};
    if (dropped) f["dropped"] = true;
    tl.add(EntryKind::host_message, f);
  }
};

// Loads `yaml` (one expect step, on line 1 of "t.yaml"), resolves its profile values against
// the context's profile as the engine does, and judges it on `ctx`.
std::string check(FakeContext& ctx, const std::string& yaml) {
  Step step = rig::scenario::resolve_step(rig::scenario::load_step_text(yaml, "t.yaml"), ctx.prof);
  const rig::scenario::ExpectKind* kind = rig::scenario::kinds().expectation(step.expect);
  EXPECT_NE(kind, nullptr) << yaml;
  return kind ? kind->check(ctx, step) : "no kind";
}

TEST(ResultCheck, LooksAtTheCurrentTransactionsOutcome) {
  FakeContext ctx;
  ctx.begin("T1");
  ctx.result("OTHER", "DECLINED", "51");
  ctx.result("T1", "APPROVED");
  EXPECT_EQ(check(ctx, "expect: {result: {status: APPROVED, rc: \"00\", amount: \"1.00\"}}"), "");
  EXPECT_EQ(check(ctx, "expect: {result: {text: APPROV}}"), "");
  // Another transaction's decline is not this one's.
  EXPECT_EQ(check(ctx, "expect: {result: {status: DECLINED}}"),
            "t.yaml:1:1: expected RESULT status=DECLINED within 1000ms; saw RESULT amount=1.00 "
            "id=OTHER rc=51 status=DECLINED text=DECLINED 51 insufficient funds; RESULT "
            "amount=1.00 id=T1 rc=00 status=APPROVED text=APPROVED");
  // `id` names a transaction as the scenario wrote it: the terminal saw it scoped.
  ctx.begin("X_S1");
  ctx.result("X_S1", "DECLINED", "05");
  EXPECT_EQ(check(ctx, "expect: {result: {id: X, rc: \"05\"}}"), "");
  EXPECT_NE(check(ctx, "expect: {result: {id: T1}}"), "");
  // last and reprint: the answer carries the original transaction's id.
  ctx.begin("L9", true);
  ctx.result("T1", "APPROVED");
  EXPECT_EQ(check(ctx, "expect: {result: {status: APPROVED}}"), "");
  // since: scenario looks from the start; since: transaction (default) from the last one.
  ctx.begin("T2");
  EXPECT_NE(check(ctx, "expect: {result: {}}"), "");
  ctx.txn.id = "T1";
  EXPECT_EQ(check(ctx, "expect: {result: {status: APPROVED}, since: scenario}"), "");
}

TEST(ResultCheck, AnOutcomeThatComesLaterIsWaitedFor) {
  FakeContext ctx;
  ctx.begin("T1");
  std::thread late([&] {
    std::this_thread::sleep_for(20ms);
    ctx.result("T1", "APPROVED");
  });
  EXPECT_EQ(check(ctx, "expect: {result: {status: APPROVED}}"), "");
  late.join();
}

TEST(EventCheck, PresenceOrderCountAndAbsence) {
  FakeContext ctx;
  ctx.begin("T1");
  ctx.event("REVERSAL_SENT");
  ctx.event("REVERSAL_ACKED");
  ctx.result("T1", "APPROVED");
  ctx.event("PAPER_OUT");
  ctx.event("REVERSAL_SENT");
  EXPECT_EQ(check(ctx, "expect: {event: REVERSAL_ACKED}"), "");
  EXPECT_EQ(check(ctx, "expect: {event: REVERSAL_ACKED, before: result}"), "");
  EXPECT_EQ(check(ctx, "expect: {event: REVERSAL_ACKED, after: REVERSAL_SENT}"), "");
  EXPECT_EQ(check(ctx, "expect: {event: PAPER_OUT, after: result}"), "");
  EXPECT_EQ(check(ctx, "expect: {event: REVERSAL_SENT, count: 2}"), "");
  EXPECT_EQ(check(ctx, "expect: {event: LOCKED, absent: true}"), "");
  EXPECT_EQ(check(ctx, "expect: {event: PAPER_OUT, before: result}"),
            "t.yaml:1:1: expected EVENT PAPER_OUT before result within 1000ms; it came after "
            "result; saw EVENT id=T1 name=REVERSAL_SENT; EVENT id=T1 name=REVERSAL_ACKED; RESULT "
            "amount=1.00 id=T1 rc=00 status=APPROVED text=APPROVED; EVENT id=T1 name=PAPER_OUT; "
            "EVENT id=T1 name=REVERSAL_SENT");
  EXPECT_EQ(check(ctx, "expect: {event: REVERSAL_ACKED, after: PAPER_OUT}"),
            "t.yaml:1:1: expected EVENT REVERSAL_ACKED after PAPER_OUT within 1000ms; saw EVENT "
            "id=T1 name=REVERSAL_SENT; EVENT id=T1 name=REVERSAL_ACKED; RESULT amount=1.00 id=T1 "
            "rc=00 status=APPROVED text=APPROVED; EVENT id=T1 name=PAPER_OUT; EVENT id=T1 "
            "name=REVERSAL_SENT");
  EXPECT_EQ(check(ctx, "expect: {event: REVERSAL_SENT, count: 3}"),
            "t.yaml:1:1: expected 3 × EVENT REVERSAL_SENT within 1000ms; counted 2; saw EVENT "
            "id=T1 name=REVERSAL_SENT; EVENT id=T1 name=REVERSAL_ACKED; EVENT id=T1 "
            "name=PAPER_OUT; EVENT id=T1 name=REVERSAL_SENT");
  EXPECT_EQ(check(ctx, "expect: {event: PAPER_OUT, absent: true}").substr(0, 63),
            "t.yaml:1:1: expected no EVENT PAPER_OUT within 60ms; counted 1;");
  // The window starts at the current transaction.
  ctx.begin("T2");
  EXPECT_EQ(check(ctx, "expect: {event: REVERSAL_ACKED, absent: true}"), "");
  EXPECT_EQ(check(ctx, "expect: {event: REVERSAL_ACKED, since: scenario}"), "");
}

TEST(PromptCheck, KindTriesLeftAndAbsence) {
  FakeContext ctx;
  ctx.begin("T1");
  ctx.add(terminal::Prompt{"PIN", "T1", std::nullopt, ""});
  ctx.add(terminal::Prompt{"PIN", "T1", 1, "LAST PIN TRY"});
  EXPECT_EQ(check(ctx, "expect: {prompt: PIN}"), "");
  EXPECT_EQ(check(ctx, "expect: {prompt: PIN, tries_left: 1}"), "");
  EXPECT_EQ(check(ctx, "expect: {prompt: RESCAN, absent: true}"), "");
  EXPECT_EQ(check(ctx, "expect: {prompt: PIN, tries_left: 0}"),
            "t.yaml:1:1: expected PROMPT PIN tries_left=0 within 1000ms; saw PROMPT id=T1 "
            "kind=PIN; PROMPT id=T1 kind=PIN text=LAST PIN TRY tries_left=1");
  EXPECT_NE(check(ctx, "expect: {prompt: PIN, absent: true}"), "");
}

TEST(DisplayCheck, TextContained) {
  FakeContext ctx;
  ctx.begin("T1");
  ctx.add(terminal::Display{"T1", {"SALE 1.00", "INSERT CARD"}});
  EXPECT_EQ(check(ctx, "expect: {display: INSERT CARD}"), "");
  EXPECT_EQ(check(ctx, "expect: {display: \"1.00\\\\|INSERT\"}"), "");
  EXPECT_EQ(check(ctx, "expect: {display: CONTACT SUPPORT}"),
            "t.yaml:1:1: expected DISPLAY matching \"CONTACT SUPPORT\" within 1000ms; saw "
            "DISPLAY id=T1 text=SALE 1.00|INSERT CARD");
}

TEST(DisplayCheck, CaseInsensitivePatternUnlessTheScenarioSaysOtherwise) {
  FakeContext ctx;
  ctx.begin("T1");
  ctx.add(terminal::Display{"T1", {"Terminal blocked - call supervisor"}});
  EXPECT_EQ(check(ctx, "expect: {display: \"terminal BLOCKED\"}"), "");
  EXPECT_EQ(check(ctx, "expect: {display: \"^terminal (locked|blocked)\"}"), "");
  EXPECT_NE(check(ctx, "expect: {display: \"^blocked\"}"), "");
  // match: case keeps the pattern but compares letters as written; literal takes no pattern.
  EXPECT_NE(check(ctx, "expect: {display: \"terminal BLOCKED\", match: case}"), "");
  EXPECT_EQ(check(ctx, "expect: {display: \"Terminal blocked\", match: case}"), "");
  EXPECT_EQ(check(ctx, "expect: {display: \"blocked - call\", match: literal}"), "");
  EXPECT_NE(check(ctx, "expect: {display: \"blocked.*call\", match: literal}"), "");
  EXPECT_EQ(check(ctx, "expect: {display: \"blocked.*call\"}"), "");
  // The profile's words: the default pattern holds words any locked terminal uses; vterm's
  // words do not match this terminal's; a profile that gives them does.
  EXPECT_EQ(check(ctx, "expect: {display: \"${wording.locked_display}\"}"), "");
  ASSERT_FALSE(
      rig::bench::set_wording(ctx.prof, "locked_display", "^LOCKED - CONTACT SUPERVISOR$"));
  EXPECT_NE(check(ctx, "expect: {display: \"${wording.locked_display}\"}"), "");
  ASSERT_FALSE(rig::bench::set_wording(ctx.prof, "locked_display", "^terminal blocked"));
  EXPECT_EQ(check(ctx, "expect: {display: \"${wording.locked_display}\"}"), "");
}

TEST(ResultCheck, TextIsACaseInsensitivePatternAndMayComeFromTheProfile) {
  FakeContext ctx;
  ctx.begin("T1");
  ctx.result("T1", "DECLINED", "51");  // text "DECLINED 51 insufficient funds"
  EXPECT_EQ(check(ctx, "expect: {result: {text: INSUFFICIENT FUNDS}}"), "");
  EXPECT_EQ(check(ctx, "expect: {result: {text: \"${wording.insufficient_funds_result}\"}}"), "");
  EXPECT_EQ(check(ctx, "expect: {result: {text: \"${wording.declined_result}\"}}"), "");
  EXPECT_NE(check(ctx, "expect: {result: {text: \"${wording.approved_result}\"}}"), "");
  EXPECT_NE(check(ctx, "expect: {result: {text: INSUFFICIENT FUNDS}, match: literal}"), "");
}

TEST(ReceiptCheck, TheAmountLineAsTheProfileWordsIt) {
  FakeContext ctx;
  ctx.begin("T1");
  ctx.add(terminal::Receipt{"T1", "original", {"SHOP", "Total 978 51.00", "THANK YOU"}, ""});
  // The default pattern: the amount on its own, whatever the words around it.
  EXPECT_EQ(check(ctx, "expect: {receipt: {amount: \"51.00\"}}"), "");
  EXPECT_NE(check(ctx, "expect: {receipt: {amount: \"1.00\"}}"), "");
  ASSERT_FALSE(rig::bench::set_wording(ctx.prof, "receipt_amount",
                                       "(?:^|\\|)total {currency} {amount}(?:\\||$)"));
  ASSERT_FALSE(rig::bench::set_figure(ctx.prof, "currency", "978"));
  EXPECT_EQ(check(ctx, "expect: {receipt: {copy: original, amount: \"51.00\"}}"), "");
  EXPECT_NE(check(ctx, "expect: {receipt: {amount: \"51.00\", currency: \"156\"}}"), "");
  EXPECT_EQ(check(ctx, "expect: {receipt: {amount: \"51.00\", copy: duplicate}}"),
            "t.yaml:1:1: expected RECEIPT copy=duplicate with the amount line "
            "/(?:^|\\|)total 978 51\\.00(?:\\||$)/ within 1000ms; saw RECEIPT copy=original "
            "id=T1 text=SHOP|Total 978 51.00|THANK YOU");
}

// A busy machine delivers late: an exact count whose matches come after the scaled window (60 ms
// here) but within a positive check's floor (1000 ms) holds; one match too many still fails.
TEST(Occurrences, ALowerBoundReachedLateHoldsAnUpperBoundStillCounts) {
  FakeContext ctx;
  ctx.begin("S1");
  ctx.event("SCAN_FAILED");
  std::thread late([&] {
    std::this_thread::sleep_for(300ms);
    ctx.event("SCAN_FAILED");
  });
  const auto start = Clock::now();
  EXPECT_EQ(check(ctx, "expect: {event: SCAN_FAILED, count: 2}"), "");
  late.join();
  EXPECT_GE(Clock::now() - start, 300ms);
  EXPECT_EQ(check(ctx, "expect: {event: SCAN_FAILED, count: {min: 1, max: 2}}"), "");
  ctx.event("SCAN_FAILED");
  EXPECT_EQ(check(ctx, "expect: {event: SCAN_FAILED, count: 2}").substr(0, 69),
            "t.yaml:1:1: expected 2 × EVENT SCAN_FAILED within 1000ms; counted 3;");
}

TEST(Occurrences, CountBoundsAndProfileFigures) {
  FakeContext ctx;
  ctx.begin("Q1");
  for (int i = 0; i < 5; ++i) ctx.event("WALLET_QUERY");
  EXPECT_EQ(check(ctx, "expect: {event: WALLET_QUERY, count: {min: 5, max: 10}}"), "");
  EXPECT_EQ(check(ctx, "expect: {event: WALLET_QUERY, count: {min: 2}}"), "");
  EXPECT_EQ(check(ctx, "expect: {event: WALLET_QUERY, count: {max: 5}}"), "");
  EXPECT_EQ(check(ctx, "expect: {event: WALLET_QUERY, count: {max: 4}}"),
            "t.yaml:1:1: expected at most 4 × EVENT WALLET_QUERY within 60ms; counted 5; saw "
            "EVENT id=Q1 name=WALLET_QUERY; EVENT id=Q1 name=WALLET_QUERY; EVENT id=Q1 "
            "name=WALLET_QUERY; EVENT id=Q1 name=WALLET_QUERY; EVENT id=Q1 name=WALLET_QUERY");
  EXPECT_EQ(check(ctx, "expect: {event: WALLET_QUERY, count: {min: 6, max: 10}}").substr(0, 76),
            "t.yaml:1:1: expected 6 to 10 × EVENT WALLET_QUERY within 1000ms; counted 5;");
  // A lower bound alone holds as soon as it is reached: judged like a presence.
  EXPECT_EQ(check(ctx, "expect: {event: WALLET_QUERY, count: {min: 6}}").substr(0, 79),
            "t.yaml:1:1: expected at least 6 × EVENT WALLET_QUERY within 1000ms; counted 5;");
  // The profile's figure: 10 queries by default, 5 in a profile that says so.
  EXPECT_NE(check(ctx, "expect: {event: WALLET_QUERY, count: \"${profile.wallet_queries}\"}"), "");
  ASSERT_FALSE(rig::bench::set_figure(ctx.prof, "wallet_queries", "5"));
  EXPECT_EQ(check(ctx, "expect: {event: WALLET_QUERY, count: \"${profile.wallet_queries}\"}"), "");
  EXPECT_EQ(check(ctx,
                  "expect: {event: WALLET_QUERY, count: {min: \"${profile.wallet_queries} - 1\", "
                  "max: \"${profile.wallet_queries} * 2\"}}"),
            "");
  ctx.add(terminal::Prompt{"OPERATOR_PASSWORD", "Q1", 3, ""});
  ASSERT_FALSE(rig::bench::set_figure(ctx.prof, "operator_tries", "4"));
  EXPECT_EQ(
      check(ctx,
            "expect: {prompt: OPERATOR_PASSWORD, tries_left: \"${profile.operator_tries} - 1\"}"),
      "");
}

TEST(ProfileValues, WithinIsResolvedPerStation) {
  Step step = rig::scenario::load_step_text(
      "expect: {result: {}, within: \"${profile.host_timeout} + 10s\"}", "t.yaml");
  EXPECT_EQ(step.within_expr, "${profile.host_timeout} + 10s");
  rig::bench::TerminalProfile p;
  EXPECT_EQ(rig::scenario::resolve_step(step, p).within, 40s);
  ASSERT_FALSE(rig::bench::set_figure(p, "host_timeout", "60s"));
  EXPECT_EQ(rig::scenario::resolve_step(step, p).within, 70s);
  step = rig::scenario::load_step_text(
      "expect: {event: REVERSAL_FAILED, within: \"${profile.reversal_attempts} * "
      "(${profile.host_timeout} + ${profile.reversal_interval}) + 30s\"}",
      "t.yaml");
  ASSERT_FALSE(rig::bench::set_figure(p, "reversal_attempts", "5"));
  ASSERT_FALSE(rig::bench::set_figure(p, "reversal_interval", "2s"));
  EXPECT_EQ(rig::scenario::resolve_step(step, p).within, 340s);
  // A count that comes out negative on a station is that station's problem, with its place.
  step = rig::scenario::load_step_text(
      "expect: {prompt: PIN, tries_left: \"${profile.pin_tries} - 4\"}", "t.yaml");
  try {
    rig::scenario::resolve_step(step, p);
    ADD_FAILURE() << "resolved";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "t.yaml:1:1: '${profile.pin_tries} - 4' gives -1 on this station's profile "
                 "(defaults)");
  }
}

TEST(ReceiptCheck, CopyContainsAndCount) {
  FakeContext ctx;
  ctx.begin("T1");
  ctx.add(terminal::Receipt{"T1", "original", {"SHOP", "SALE 1.00", "APPROVED"}, ""});
  ctx.add(terminal::Receipt{"T1", "duplicate", {"SHOP", "SALE 1.00", "COPY"}, "P1"});
  EXPECT_EQ(check(ctx, "expect: {receipt: {copy: original, contains: \"1.00\"}}"), "");
  EXPECT_EQ(check(ctx, "expect: {receipt: {copy: duplicate, count: 1}}"), "");
  EXPECT_EQ(check(ctx, "expect: {receipt: {count: 2}}"), "");
  EXPECT_EQ(check(ctx, "expect: {receipt: {copy: original, count: 2}}"),
            "t.yaml:1:1: expected 2 × RECEIPT copy=original within 1000ms; counted 1; saw RECEIPT "
            "copy=original id=T1 text=SHOP|SALE 1.00|APPROVED; RECEIPT copy=duplicate id=T1 "
            "ref=P1 text=SHOP|SALE 1.00|COPY");
  EXPECT_NE(check(ctx, "expect: {receipt: {contains: DECLINED}}"), "");
}

TEST(HostMessageCheck, DirectionFieldsCountAndField90) {
  FakeContext ctx;
  // The first sale: its 0200 (STAN 000042, sent 1122334455) gets no answer.
  ctx.begin("T1");
  ctx.host("0200", "to_host", {{"7", "1122334455"}, {"11", "000042"}, {"4", "000000010000"}});
  ctx.host("0210", "to_terminal", {{"39", "00"}}, true);  // cut by the proxy: never arrived
  // The next sale sends the reversal first.
  ctx.begin("T2");
  ctx.host("0400", "to_host",
           {{"11", "000043"}, {"39", "98"}, {"90", "020000004211223344550000000000000000000000"}});
  ctx.host("0410", "to_terminal", {{"39", "00"}});
  ctx.host("0200", "to_host", {{"11", "000044"}});
  ctx.host("0210", "to_terminal", {{"39", "00"}});
  EXPECT_EQ(check(ctx, "expect: {host_message: {mti: \"0400\", field_90_refers_to: previous}}"),
            "");
  EXPECT_EQ(check(ctx, "expect: {host_message: {mti: \"0400\", fields: {39: \"98\"}}}"), "");
  // Responses travel to the terminal by default.
  EXPECT_EQ(check(ctx, "expect: {host_message: {mti: \"0410\", fields: {39: \"00\"}}}"), "");
  EXPECT_NE(check(ctx, "expect: {host_message: {mti: \"0410\", direction: to_host}}"), "");
  EXPECT_EQ(check(ctx,
                  "expect: {host_message: {mti: \"0200\", direction: both, count: 2}, "
                  "since: scenario}"),
            "");
  // The approval the proxy dropped does not count.
  EXPECT_EQ(check(ctx, "expect: {host_message: {mti: \"0210\", count: 1}, since: scenario}"), "");
  EXPECT_EQ(check(ctx, "expect: {host_message: {mti: \"0800\", absent: true}}"), "");
  EXPECT_EQ(check(ctx, "expect: {host_message: {mti: \"0400\", fields: {39: \"17\"}}}"),
            "t.yaml:1:1: expected host message 0400 to_host with 39=17 within 1000ms; saw 0400 "
            "to_host; 0410 to_terminal; 0200 to_host; 0210 to_terminal");
  // Field 90 must name a request sent before this transaction: the 0200 of T2 is not one.
  ctx.begin("T3");
  ctx.host("0400", "to_host", {{"90", "020000004411223344550000000000000000000000"}});
  EXPECT_NE(check(ctx, "expect: {host_message: {mti: \"0400\", field_90_refers_to: previous}}"),
            "");
}

// Isolation (issue 9): a reversal an earlier scenario left stored, sent at the start of this
// one's sale, is marked as the earlier scenario's and counted by no check; a reversal of this
// scenario's own transaction, or one naming nothing seen before, is counted.
TEST(Provenance, AnEarlierScenariosReversalIsShownNotCounted) {
  rig::engine::Provenance prov;
  auto entry = [&](EntryKind kind, json f) {
    prov.mark(kind, f);
    return f;
  };
  auto host = [&](const std::string& mti, const std::string& dir, const std::string& stan) {
    return entry(EntryKind::host_message,
                 {{"mti", mti}, {"direction", dir}, {"fields", {{"11", stan}}}});
  };
  auto event = [&](const std::string& name, const std::string& id, const std::string& stan) {
    return entry(EntryKind::event, {{"name", name}, {"id", id}, {"stan", stan}});
  };
  // Scenario 1: a sale whose answer never comes; the reversal is stored.
  host("0200", "to_host", "000042");
  event("REVERSAL_STORED", "T1", "000042");
  prov.next_scenario();
  // Scenario 2: its sale sends scenario 1's reversal first, then its own 0200, whose answer is
  // lost too: its own reversal is sent within it (a power cycle).
  FakeContext ctx;
  ctx.begin("T2");
  std::vector<json> earlier = {
      host("0400", "to_host", "000042"), event("REVERSAL_SENT", "T1", "000042"),
      host("0410", "to_terminal", "000042"), event("REVERSAL_ACKED", "T1", "000042")};
  for (const json& f : earlier) {
    EXPECT_TRUE(f.value("earlier_scenario", false)) << f.dump();
    ctx.tl.add(f.contains("mti") ? EntryKind::host_message : EntryKind::event, f);
  }
  std::vector<json> own = {host("0200", "to_host", "000043"), host("0400", "to_host", "000043"),
                           event("REVERSAL_SENT", "T2", "000043"),
                           // A reversal whose STAN names nothing seen (a defect) is counted.
                           host("0401", "to_host", "000099")};
  for (const json& f : own) {
    EXPECT_FALSE(f.contains("earlier_scenario")) << f.dump();
    ctx.tl.add(f.contains("mti") ? EntryKind::host_message : EntryKind::event, f);
  }
  EXPECT_EQ(check(ctx, "expect: {host_message: {mti: \"0400\", count: 1}, within: 50ms}"), "");
  EXPECT_EQ(check(ctx, "expect: {host_message: {mti: \"0410\", absent: true}, within: 50ms}"), "");
  EXPECT_EQ(check(ctx, "expect: {event: REVERSAL_SENT, count: 1, within: 50ms}"), "");
  EXPECT_EQ(check(ctx, "expect: {event: REVERSAL_ACKED, absent: true, within: 50ms}"), "");
  EXPECT_EQ(check(ctx, "expect: {host_message: {mti: \"0401\", count: 1}, within: 50ms}"), "");
  // A reversal settled in scenario 2 and sent again in scenario 3 is a defect: counted there.
  prov.next_scenario();
  EXPECT_FALSE(host("0400", "to_host", "000042").contains("earlier_scenario"));
  EXPECT_FALSE(event("REVERSAL_SENT", "T1", "000042").contains("earlier_scenario"));
  // What the failure shows names the earlier scenario's message.
  EXPECT_NE(check(ctx, "expect: {host_message: {mti: \"0410\"}, within: 50ms}")
                .find("0410 to_terminal (of an earlier scenario)"),
            std::string::npos);
}

TEST(WalletMessageCheck, PathDirectionAndCount) {
  FakeContext ctx;
  ctx.begin("Q1");
  ctx.tl.add(EntryKind::wallet_message,
             {{"method", "POST"}, {"path", "/micropay"}, {"direction", "to_host"}});
  ctx.tl.add(EntryKind::wallet_message,
             {{"method", "POST"}, {"path", "/orderquery"}, {"direction", "to_host"}});
  ctx.tl.add(EntryKind::wallet_message,
             {{"method", "POST"}, {"path", "/orderquery"}, {"direction", "to_host"}});
  EXPECT_EQ(check(ctx, "expect: {wallet_message: {path: /orderquery, count: 2}}"), "");
  EXPECT_EQ(check(ctx, "expect: {wallet_message: {path: /reverse, absent: true}}"), "");
  EXPECT_NE(check(ctx, "expect: {wallet_message: {path: /micropay, direction: to_terminal}}"), "");
}

TEST(EcrCheck, WhatWentOverTheWire) {
  FakeContext ctx;
  ctx.begin("T1");
  terminal::WireRecord out{
      terminal::WireRecord::Direction::out, "frame", "SALE|id=T1|seq=3", "SALE", "", 1, false, 0};
  ctx.add(out);
  ctx.add(terminal::WireRecord{terminal::WireRecord::Direction::in, "nak"});
  out.attempt = 2;
  ctx.add(out);
  ctx.add(terminal::WireRecord{terminal::WireRecord::Direction::in, "ack"});
  ctx.add(terminal::WireRecord{terminal::WireRecord::Direction::in, "frame", "RESULT|id=T1|seq=9",
                               "RESULT"});
  EXPECT_EQ(check(ctx, "expect: {ecr: nak, count: 1}"), "");
  EXPECT_EQ(check(ctx, "expect: {ecr: frame, name: SALE, from: controller, count: 2}"), "");
  EXPECT_EQ(check(ctx, "expect: {ecr: frame, name: RESULT}"), "");
  EXPECT_EQ(check(ctx, "expect: {ecr: nak, from: controller, absent: true}"), "");
  EXPECT_NE(check(ctx, "expect: {ecr: frame, name: SALE}"), "");  // not from the terminal
}

TEST(LedgerCheck, FiguresSinceTheScenarioBegan) {
  FakeContext ctx;
  ctx.ledger = {{"net", "1.00"}, {"debits", 2}, {"reversals", 1}, {"declines", 0}};
  EXPECT_EQ(check(ctx, "expect: {ledger: {net: \"1.00\", debits: 2, reversals: 1}}"), "");
  EXPECT_EQ(check(ctx, "expect: {ledger: {net: \"2.00\", declines: 0}}"),
            "t.yaml:1:1: expected ledger declines=0 net=2.00 (since the scenario began) within "
            "1000ms; saw net=1.00");
}

TEST(StateCheck, AsksUntilTheSnapshotAgrees) {
  FakeContext ctx;
  ctx.statuses = {{{"state", "busy"}, {"pending_reversals", 1}},
                  {{"state", "idle"}, {"pending_reversals", 0}, {"paper", "ok"}}};
  // Busy: the check asks again once something else has happened on the station.
  std::thread later([&] {
    std::this_thread::sleep_for(20ms);
    ctx.event("REVERSAL_ACKED");
  });
  EXPECT_EQ(check(ctx, "expect: {state: {state: idle, pending_reversals: 0}}"), "");
  later.join();
  EXPECT_TRUE(ctx.statuses.empty());
  ctx.statuses = {{{"state", "locked"}}};
  EXPECT_EQ(
      check(ctx, "expect: {state: {state: idle}}"),
      "t.yaml:1:1: expected terminal state state=idle within 1000ms; saw STATUS state=locked");
  EXPECT_EQ(check(ctx, "expect: {state: {paper: out}}"),
            "t.yaml:1:1: expected terminal state paper=out within 1000ms; saw no STATUS reply");
}

// What each kind needs from the terminal driver, as it declares it.
TEST(CheckNeeds, EachKindSaysWhatItObserves) {
  auto needs = [](const std::string& yaml) {
    std::vector<std::string> out;
    for (const auto& n : rig::scenario::terminal_needs(rig::scenario::load_step_text(yaml, "t"))) {
      out.push_back(n.name);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(needs("expect: {result: {}}"), V{"result"});
  EXPECT_EQ(needs("expect: {event: X, before: result}"), (V{"event", "X", "result"}));
  EXPECT_EQ(needs("expect: {event: X, after: Y}"), (V{"event", "X", "Y"}));
  EXPECT_EQ(needs("expect: {prompt: PIN}"), (V{"prompt", "PIN"}));
  EXPECT_EQ(needs("expect: {prompt: PIN, tries_left: 1}"), (V{"prompt", "PIN", "tries_left"}));
  EXPECT_EQ(needs("expect: {display: x}"), V{"display"});
  EXPECT_EQ(needs("expect: {receipt: {}}"), V{"receipt"});
  EXPECT_EQ(needs("expect: {ecr: nak}"), V{"wire"});
  EXPECT_EQ(needs("expect: {state: {paper: ok}}"), (V{"status", "status", "paper"}));
  EXPECT_EQ(needs("expect: {host_message: {mti: \"0200\"}}"), V{});
  EXPECT_EQ(needs("expect: {ledger: {net: \"0.00\"}}"), V{});
  EXPECT_EQ(needs("sale: {amount: \"1.00\", method: qr}"), (V{"sale", "qr"}));
  EXPECT_EQ(needs("fault: ecr.no_ack\ncount: 1\nwhen: {event: X}"),
            (V{"ecr.no_ack", "event", "X"}));
  EXPECT_EQ(needs("card: remove"), V{});
}

}  // namespace
