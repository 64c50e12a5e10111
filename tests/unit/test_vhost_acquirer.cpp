// vhost's acquirer logic (fixtures/sim/vhost/acquirer.h) against the fixture card profiles and
// an in-memory ledger, at a fixed "now" (15 June 2026, UTC).
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>

#include "fixtures/sim/vhost/acquirer.h"
#include "rig/protocol/amount.h"
#include "rig/protocol/pin_block.h"

using namespace rig::vhost;
namespace iso = rig::protocol::iso8583;
using rig::bench::CardProfile;

namespace {

std::tm june_2026() {
  std::tm tm{};
  tm.tm_year = 126;
  tm.tm_mon = 5;
  tm.tm_mday = 15;
  tm.tm_yday = 165;
  tm.tm_hour = 12;
  return tm;
}

class AcquirerTest : public ::testing::Test {
 protected:
  AcquirerTest()
      : cards_(rig::bench::load_cards(POSRIG_SOURCE_DIR "/fixtures/cards")),
        ledger_(":memory:"),
        acquirer_(ledger_, cards_, script_, june_2026) {}

  const CardProfile& card(const std::string& name) { return cards_.at(name); }

  iso::Message sale(const std::string& card_name, const std::string& stan, std::int64_t amount,
                    std::optional<std::string> pin = std::nullopt,
                    const std::string& tid = "TERM0001") {
    const CardProfile& c = card(card_name);
    iso::Message m;
    m.mti = "0200";
    m.set(2, c.pan).set(3, "000000").set(4, iso::amount_field(amount)).set(7, "0615120000");
    m.set(11, stan).set(12, "120000").set(13, "0615").set(22, "051").set(41, tid);
    m.set(42, "MERCHANT0000001").set(49, "978");
    if (pin) m.set(52, rig::protocol::pin_block::build(*pin, c.pan));
    return m;
  }

  static iso::Message reversal(const iso::Message& original, const std::string& mti = "0400") {
    iso::Message r;
    r.mti = mti;
    for (int f : {2, 3, 4, 7, 11, 41, 42, 49}) {
      if (original.has(f)) r.set(f, original.get(f));
    }
    r.set(39, "98");
    r.set(90, iso::build_original_data(original));
    return r;
  }

  // The answer's field 39; fails the test when there is no answer.
  std::string rc_of(const iso::Message& request) {
    IsoReply r = acquirer_.handle(request);
    EXPECT_TRUE(r.response.has_value()) << "no answer to " << iso::describe(request);
    if (!r.response) return "";
    return r.response->has(39) ? r.response->get(39) : "<none>";
  }

  std::int64_t balance(const std::string& name) {
    for (const auto& c : acquirer_.cards()) {
      if (c.name == name) return c.balance_minor;
    }
    return -1;
  }

  std::map<std::string, CardProfile> cards_;
  Ledger ledger_;
  Script script_;
  Acquirer acquirer_;
};

}  // namespace

TEST_F(AcquirerTest, SignOnAndEchoAnswer0810) {
  iso::Message m;
  m.mti = "0800";
  m.set(7, "0615120000").set(11, "000007").set(41, "TERM0001");
  IsoReply r = acquirer_.handle(m);
  ASSERT_TRUE(r.response);
  EXPECT_EQ(r.response->mti, "0810");
  EXPECT_EQ(r.response->get(39), "00");
  EXPECT_EQ(r.response->get(11), "000007");
  EXPECT_EQ(r.response->get(41), "TERM0001");
  EXPECT_EQ(r.response->get(7), "0615120000");
}

TEST_F(AcquirerTest, ApprovedSaleEchoesMatchingFieldsAndDebitsTheCard) {
  const std::int64_t before = balance("visa-chip");
  iso::Message req = sale("visa-chip", "000001", 10000, card("visa-chip").pin);
  IsoReply r = acquirer_.handle(req);
  ASSERT_TRUE(r.response);
  const iso::Message& resp = *r.response;
  EXPECT_EQ(resp.mti, "0210");
  EXPECT_EQ(resp.get(39), "00");
  EXPECT_EQ(resp.get(38).size(), 6u);
  EXPECT_EQ(resp.get(37).size(), 12u);
  EXPECT_EQ(resp.get(37).substr(6), "000001");  // YDDDhh + STAN
  for (int f : {3, 4, 7, 11, 41, 42}) EXPECT_EQ(resp.get(f), req.get(f)) << "field " << f;
  EXPECT_FALSE(resp.has(2));   // the PAN does not travel back
  EXPECT_FALSE(resp.has(52));  // nor the PIN block
  EXPECT_EQ(iso::response_mismatch(req, resp), std::nullopt);
  EXPECT_EQ(balance("visa-chip"), before - 10000);
  auto row = ledger_.find_authorisation("TERM0001", "000001");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->masked_pan, rig::protocol::mask_pan(card("visa-chip").pan));
  EXPECT_NE(row->masked_pan, card("visa-chip").pan);
  EXPECT_EQ(row->auth_code, resp.get(38));
  EXPECT_EQ(row->rrn, resp.get(37));
  EXPECT_EQ(row->status, "approved");
  EXPECT_EQ(ledger_.summary("TERM0001").net_minor, 10000);
}

TEST_F(AcquirerTest, TrackTwoAloneIdentifiesTheCard) {
  iso::Message req = sale("mag-only", "000002", 500);
  req.erase(2);
  req.set(35, card("mag-only").track2());
  EXPECT_EQ(rc_of(req), "00");
}

TEST_F(AcquirerTest, DeclinesWithTheRightCodesAndNoDebit) {
  EXPECT_EQ(rc_of(sale("low-balance", "000001", 1001)), "51");
  EXPECT_EQ(rc_of(sale("expired", "000002", 100)), "54");
  EXPECT_EQ(rc_of(sale("frozen", "000003", 100)), "62");
  iso::Message unknown = sale("visa-chip", "000004", 100);
  unknown.set(2, "4000000000000002");
  EXPECT_EQ(rc_of(unknown), "14");
  EXPECT_EQ(balance("low-balance"), card("low-balance").balance);
  EXPECT_EQ(balance("expired"), card("expired").balance);
  auto s = ledger_.summary("TERM0001");
  EXPECT_EQ(s.declines, 4);
  EXPECT_EQ(s.debits, 0);
  EXPECT_EQ(s.net_minor, 0);
  // Exactly the balance is fine; one cent more after that is not.
  EXPECT_EQ(rc_of(sale("low-balance", "000005", card("low-balance").balance)), "00");
  EXPECT_EQ(rc_of(sale("low-balance", "000006", 1)), "51");
}

TEST_F(AcquirerTest, PresentedExpiryWinsOverTheProfile) {
  iso::Message req = sale("visa-chip", "000001", 100);
  req.set(14, "2605");  // May 2026: expired in June 2026
  EXPECT_EQ(rc_of(req), "54");
  req.set(11, "000002").set(14, "2606");  // valid through the end of June
  EXPECT_EQ(rc_of(req), "00");
}

TEST_F(AcquirerTest, ThreeWrongPinsThen75UntilTheCountersAreReset) {
  const std::string pin = card("visa-chip").pin;
  EXPECT_EQ(rc_of(sale("visa-chip", "000001", 100, "9999")), "55");
  EXPECT_EQ(rc_of(sale("visa-chip", "000002", 100, "9999")), "55");
  EXPECT_EQ(rc_of(sale("visa-chip", "000003", 100, "9999")), "55");
  EXPECT_EQ(rc_of(sale("visa-chip", "000004", 100, pin)), "75");  // even the right PIN
  EXPECT_EQ(rc_of(sale("visa-chip", "000005", 100, "9999")), "75");
  EXPECT_EQ(rc_of(sale("visa-chip", "000006", 100)), "75");  // and without a PIN
  ledger_.clear_pin_counters();
  EXPECT_EQ(rc_of(sale("visa-chip", "000007", 100, pin)), "00");
}

TEST_F(AcquirerTest, RightPinResetsTheRun) {
  const std::string pin = card("visa-chip").pin;
  EXPECT_EQ(rc_of(sale("visa-chip", "000001", 100, "9999")), "55");
  EXPECT_EQ(rc_of(sale("visa-chip", "000002", 100, "9999")), "55");
  EXPECT_EQ(rc_of(sale("visa-chip", "000003", 100, pin)), "00");
  EXPECT_EQ(rc_of(sale("visa-chip", "000004", 100, "9999")), "55");
  EXPECT_EQ(rc_of(sale("visa-chip", "000005", 100, "9999")), "55");
  EXPECT_EQ(rc_of(sale("visa-chip", "000006", 100, pin)), "00");
}

TEST_F(AcquirerTest, PinBlockBuiltWithAnotherPanIsAWrongPin) {
  iso::Message req = sale("visa-chip", "000001", 100);
  req.set(52, rig::protocol::pin_block::build(card("visa-chip").pin, card("mag-only").pan));
  EXPECT_EQ(rc_of(req), "55");
}

TEST_F(AcquirerTest, DuplicateStanAnswers94AndIsNotAppliedAgain) {
  const std::int64_t before = balance("visa-chip");
  iso::Message req = sale("visa-chip", "000042", 2500);
  EXPECT_EQ(rc_of(req), "00");
  EXPECT_EQ(rc_of(req), "94");
  req.set(4, iso::amount_field(100));
  EXPECT_EQ(rc_of(req), "94");
  EXPECT_EQ(balance("visa-chip"), before - 2500);
  EXPECT_EQ(ledger_.summary("TERM0001").debits, 1);
  // The same STAN from another terminal is another transaction.
  EXPECT_EQ(rc_of(sale("visa-chip", "000042", 2500, std::nullopt, "TERM0002")), "00");
}

TEST_F(AcquirerTest, ReversalAppliesOnceEvenWhenRepeated) {
  const std::int64_t before = balance("visa-chip");
  iso::Message original = sale("visa-chip", "000010", 10000);
  EXPECT_EQ(rc_of(original), "00");
  IsoReply first = acquirer_.handle(reversal(original));
  ASSERT_TRUE(first.response);
  EXPECT_EQ(first.response->mti, "0410");
  EXPECT_EQ(first.response->get(39), "00");
  EXPECT_EQ(first.response->get(11), "000010");
  EXPECT_EQ(rc_of(reversal(original, "0401")), "00");
  EXPECT_EQ(rc_of(reversal(original, "0400")), "00");
  EXPECT_EQ(balance("visa-chip"), before);
  auto s = ledger_.summary("TERM0001");
  EXPECT_EQ(s.reversals, 1);
  EXPECT_EQ(s.net_minor, 0);
  auto rows = ledger_.reversals("TERM0001");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_TRUE(rows[0].applied);
  EXPECT_FALSE(rows[1].applied);
  EXPECT_EQ(rows[1].mti, "0401");
  EXPECT_EQ(ledger_.find_authorisation("TERM0001", "000010")->status, "reversed");
}

// A strict acquirer: a reversal whose fields disagree with the original it names is answered
// with an error code and not applied (docs/host-protocol.md, "0400 / 0401").
TEST_F(AcquirerTest, ReversalThatDisagreesWithItsOriginalIsRefusedAndNotApplied) {
  const std::int64_t before = balance("visa-chip");
  iso::Message original = sale("visa-chip", "000010", 2000);
  EXPECT_EQ(rc_of(original), "00");
  auto data = [&](const std::string& mti, const std::string& stan, const std::string& time) {
    iso::OriginalData d;
    d.mti = mti;
    d.stan = stan;
    d.transmission_date_time = time;
    return iso::build_original_data(d);
  };
  struct Case {
    const char* what;
    std::function<void(iso::Message&)> change;
    std::string rc;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"amount", [](iso::Message& r) { r.set(4, iso::amount_field(20)); }, "64",
       "field 4 (amount) 0.20 is not the original's 20.00"},
      {"currency", [](iso::Message& r) { r.set(49, "156"); }, "64",
       "field 49 (currency) '156' is not the original's '978'"},
      {"merchant", [](iso::Message& r) { r.set(42, "OTHERMERCHANT01"); }, "03",
       "field 42 (merchant id) 'OTHERMERCHANT01' is not the original's 'MERCHANT0000001'"},
      {"STAN", [](iso::Message& r) { r.set(11, "000011"); }, "12",
       "field 11 (STAN) 000011 is not the original's 000010"},
      {"field 90 MTI", [&](iso::Message& r) { r.set(90, data("0100", "000010", "0615120000")); },
       "12", "field 90 names MTI 0100, the original is a 0200"},
      {"field 90 time", [&](iso::Message& r) { r.set(90, data("0200", "000010", "0615120001")); },
       "12", "field 90 names transmission time 0615120001, the original's field 7 is 0615120000"},
      {"no amount", [](iso::Message& r) { r.erase(4); }, "30", "field 4 (amount) missing"},
      {"no field 90", [](iso::Message& r) { r.erase(90); }, "30",
       "field 90 (original data) missing"},
      {"field 90 of another STAN",
       [&](iso::Message& r) { r.set(90, data("0200", "000099", "0615120000")); }, "25",
       "no original for terminal TERM0001 STAN 000099"},
      {"another terminal", [](iso::Message& r) { r.set(41, "TERM0002"); }, "25",
       "no original for terminal TERM0002 STAN 000010"},
  };
  for (const auto& c : cases) {
    iso::Message r = reversal(original);
    c.change(r);
    IsoReply reply = acquirer_.handle(r);
    ASSERT_TRUE(reply.response) << c.what;
    EXPECT_EQ(reply.response->get(39), c.rc) << c.what;
    EXPECT_EQ(reply.note, c.reason + ": answered " + c.rc + ", not applied") << c.what;
  }
  EXPECT_EQ(balance("visa-chip"), before - 2000);
  EXPECT_EQ(ledger_.summary("TERM0001").reversals, 0);
  EXPECT_EQ(ledger_.find_authorisation("TERM0001", "000010")->status, "approved");
  auto rows = ledger_.reversals("TERM0001");
  ASSERT_EQ(rows.size(), cases.size() - 1);  // the one for TERM0002 is TERM0002's
  for (std::size_t i = 0; i + 1 < cases.size(); ++i) {
    EXPECT_FALSE(rows[i].applied);
    EXPECT_EQ(rows[i].rc, cases[i].rc);
    EXPECT_EQ(rows[i].reason, cases[i].reason);
  }
  EXPECT_EQ(rows[0].amount_minor, 20);
  EXPECT_EQ(rows[0].authorisation_id, ledger_.find_authorisation("TERM0001", "000010")->id);
  // The reversal that fits is applied, once.
  EXPECT_EQ(rc_of(reversal(original)), "00");
  EXPECT_EQ(balance("visa-chip"), before);
  EXPECT_EQ(ledger_.summary("TERM0001").reversals, 1);
}

TEST_F(AcquirerTest, EveryFinancialRequestIsJournaledWithItsFate) {
  iso::Message original = sale("visa-chip", "000001", 1500);
  EXPECT_EQ(rc_of(original), "00");
  EXPECT_EQ(rc_of(original), "94");  // a duplicate: not recorded as an authorisation
  EXPECT_EQ(rc_of(sale("low-balance", "000002", 999999)), "51");
  iso::Message wrong = reversal(original);
  wrong.set(4, iso::amount_field(1));
  EXPECT_EQ(rc_of(wrong), "64");
  EXPECT_EQ(rc_of(reversal(original)), "00");
  EXPECT_EQ(rc_of(reversal(original, "0401")), "00");
  auto j = ledger_.journal("TERM0001", 0);
  ASSERT_EQ(j.size(), 6u);
  const std::vector<std::string> kinds = {"0200", "0200", "0200", "0400", "0400", "0401"};
  const std::vector<std::string> answers = {"00", "94", "51", "64", "00", "00"};
  const std::vector<bool> applied = {true, false, false, false, true, false};
  for (std::size_t i = 0; i < j.size(); ++i) {
    EXPECT_EQ(j[i].kind, kinds[i]) << i;
    EXPECT_EQ(j[i].answer, answers[i]) << i;
    EXPECT_EQ(j[i].applied, applied[i]) << i;
    EXPECT_EQ(j[i].stan, i == 2 ? "000002" : "000001") << i;
    if (i > 0) {
      EXPECT_GT(j[i].seq, j[i - 1].seq);
    }
  }
  EXPECT_EQ(j[3].amount_minor, 1);
  EXPECT_EQ(j[3].authorisation_id, j[0].authorisation_id);
  EXPECT_EQ(ledger_.last_seq(), j.back().seq);
  EXPECT_EQ(ledger_.journal("TERM0001", j[3].seq).size(), 2u);
  // A request dropped by a script is journaled too, unanswered.
  script_.add(Script::parse(R"({"target":"iso","action":"no_response","apply":false,"count":1})"));
  EXPECT_FALSE(acquirer_.handle(sale("visa-chip", "000003", 100)).response);
  auto dropped = ledger_.journal("TERM0001", j.back().seq);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_FALSE(dropped[0].answer);
  EXPECT_FALSE(dropped[0].applied);
}

TEST_F(AcquirerTest, UnknownOriginalAnswers25AndIsRecorded) {
  iso::Message never_sent = sale("visa-chip", "000077", 100);
  EXPECT_EQ(rc_of(reversal(never_sent)), "25");
  auto rows = ledger_.reversals("TERM0001");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].rc, "25");
  EXPECT_FALSE(rows[0].applied);
}

TEST_F(AcquirerTest, ReversalOfADeclineIsAcknowledgedWithoutEffect) {
  iso::Message declined = sale("low-balance", "000001", 999999);
  EXPECT_EQ(rc_of(declined), "51");
  EXPECT_EQ(rc_of(reversal(declined)), "00");
  EXPECT_EQ(ledger_.summary("TERM0001").reversals, 0);
  EXPECT_EQ(ledger_.find_authorisation("TERM0001", "000001")->status, "declined");
}

TEST_F(AcquirerTest, RefundCreditsTheCard) {
  const std::int64_t before = balance("visa-chip");
  iso::Message refund = sale("visa-chip", "000001", 1500);
  refund.set(3, "200000");
  EXPECT_EQ(rc_of(refund), "00");
  EXPECT_EQ(balance("visa-chip"), before + 1500);
  auto s = ledger_.summary("TERM0001");
  EXPECT_EQ(s.refunds, 1);
  EXPECT_EQ(s.net_minor, -1500);
}

TEST_F(AcquirerTest, MalformedRequestsGet96OrNothing) {
  iso::Message no_stan = sale("visa-chip", "000001", 100);
  no_stan.erase(11);
  IsoReply r = acquirer_.handle(no_stan);
  ASSERT_TRUE(r.response);
  EXPECT_EQ(r.response->get(39), "96");
  EXPECT_EQ(r.note, "0200 without field 11: answered 96, not recorded");
  iso::Message no_pan = sale("visa-chip", "000002", 100);
  no_pan.erase(2);
  EXPECT_EQ(rc_of(no_pan), "96");
  iso::Message balance_inquiry = sale("visa-chip", "000003", 0);
  balance_inquiry.set(3, "310000");
  EXPECT_EQ(rc_of(balance_inquiry), "96");
  iso::Message auth;
  auth.mti = "0100";
  auth.set(11, "000004").set(41, "TERM0001");
  IsoReply a = acquirer_.handle(auth);
  ASSERT_TRUE(a.response);
  EXPECT_EQ(a.response->mti, "0110");
  EXPECT_EQ(a.response->get(39), "96");
  iso::Message stray;
  stray.mti = "0210";
  stray.set(11, "000005").set(39, "00");
  EXPECT_FALSE(acquirer_.handle(stray).response.has_value());
  EXPECT_EQ(ledger_.summary("TERM0001").declines, 1);  // only the processing code 31 one
}

TEST_F(AcquirerTest, ScriptedDeclineForTheNextNOnlyAndPerTerminal) {
  script_.add(Script::parse(R"({"target":"iso","action":"decline","rc":"05","count":2,
                                "tid":"TERM0001"})"));
  EXPECT_EQ(rc_of(sale("visa-chip", "000001", 100, std::nullopt, "TERM0002")), "00");
  EXPECT_EQ(rc_of(sale("visa-chip", "000002", 100)), "05");
  EXPECT_EQ(rc_of(sale("visa-chip", "000003", 100)), "05");
  EXPECT_EQ(rc_of(sale("visa-chip", "000004", 100)), "00");
  EXPECT_EQ(ledger_.summary("TERM0001").declines, 2);
  EXPECT_TRUE(script_.rules().empty());
}

TEST_F(AcquirerTest, ScriptedDeclineByMtiLeavesOtherMessagesAlone) {
  script_.add(Script::parse(R"({"target":"iso","action":"decline","rc":"91","mti":"0800"})"));
  iso::Message echo;
  echo.mti = "0800";
  echo.set(11, "000001").set(41, "TERM0001");
  EXPECT_EQ(rc_of(echo), "91");
  EXPECT_EQ(rc_of(sale("visa-chip", "000002", 100)), "00");
}

TEST_F(AcquirerTest, ScriptedDelayIsPassedOn) {
  script_.add(Script::parse(R"({"target":"iso","action":"delay","ms":1500,"count":1})"));
  IsoReply r = acquirer_.handle(sale("visa-chip", "000001", 100));
  ASSERT_TRUE(r.response);
  EXPECT_EQ(r.delay, std::chrono::milliseconds(1500));
  EXPECT_EQ(r.response->get(39), "00");  // applied at once, answered late
  EXPECT_TRUE(ledger_.find_authorisation("TERM0001", "000001"));
  EXPECT_EQ(acquirer_.handle(sale("visa-chip", "000002", 100)).delay.count(), 0);
}

TEST_F(AcquirerTest, ScriptedNoResponseAppliesOrDrops) {
  script_.add(Script::parse(R"([{"target":"iso","action":"no_response","count":1},
                                {"target":"iso","action":"no_response","apply":false,
                                 "count":1}])"));
  IsoReply applied = acquirer_.handle(sale("visa-chip", "000001", 100));
  EXPECT_FALSE(applied.response);
  EXPECT_TRUE(ledger_.find_authorisation("TERM0001", "000001"));  // approved, answer lost
  IsoReply dropped = acquirer_.handle(sale("visa-chip", "000002", 100));
  EXPECT_FALSE(dropped.response);
  EXPECT_FALSE(ledger_.find_authorisation("TERM0001", "000002"));  // as if never received
  EXPECT_EQ(rc_of(sale("visa-chip", "000003", 100)), "00");
}

TEST_F(AcquirerTest, ScriptedReversalRefusalNTimesThenApplied) {
  iso::Message original = sale("visa-chip", "000001", 100);
  EXPECT_EQ(rc_of(original), "00");
  script_.add(Script::parse(R"([{"target":"iso","action":"refuse_reversal","count":2},
                                {"target":"iso","action":"refuse_reversal","answer":"96",
                                 "count":1}])"));
  EXPECT_FALSE(acquirer_.handle(reversal(original)).response);
  EXPECT_FALSE(acquirer_.handle(reversal(original, "0401")).response);
  EXPECT_EQ(rc_of(reversal(original, "0401")), "96");
  EXPECT_EQ(ledger_.summary("TERM0001").reversals, 0);
  EXPECT_EQ(rc_of(reversal(original, "0401")), "00");
  EXPECT_EQ(ledger_.summary("TERM0001").reversals, 1);
  auto rows = ledger_.reversals("TERM0001");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_FALSE(rows[0].rc.has_value());
  EXPECT_EQ(rows[2].rc, "96");
  EXPECT_TRUE(rows[3].applied);
}
