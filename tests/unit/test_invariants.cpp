// The evidence invariants (rig/checks/invariants.h) on hand-built evidence: a timeline of what
// the rig sent and the terminal answered, and the host's answer to GET /admin/evidence as
// docs/ledger.md describes it. Each invariant holds on a correct account and fails, with both
// sides in its text, on the defect it is for; what DOMAIN.md allows is noted, not failed.
#include <gtest/gtest.h>

#include "rig/bench/profile.h"
#include "rig/checks/invariants.h"
#include "rig/engine/context.h"
#include "rig/scenario/registry.h"

namespace {

using nlohmann::json;
using rig::engine::EntryKind;
using rig::engine::Timeline;
namespace checks = rig::checks;

class Invariants : public ::testing::Test {
 protected:
  Timeline tl;
  json host = {{"tid", "T1"},
               {"since", 10},
               {"last", 20},
               {"messages", json::array()},
               {"transactions", json::array()},
               {"reversals", json::array()},
               {"wallet", json::array()}};

  void sale(const std::string& id, const std::string& amount, const std::string& method = "card") {
    tl.add(EntryKind::note, {{"command", "sale"},
                             {"id", id},
                             {"amount", amount},
                             {"currency", "156"},
                             {"method", method},
                             {"text", "sent sale"}});
  }
  void result(json fields) {
    if (!fields.contains("type")) fields["type"] = "sale";
    tl.add(EntryKind::result, std::move(fields));
  }
  void event(json fields) { tl.add(EntryKind::event, std::move(fields)); }
  void host_txn(const std::string& stan, const std::string& amount, const std::string& status,
                const std::string& rc = "00", int seq = 11) {
    host["transactions"].push_back({{"seq", seq},
                                    {"kind", "purchase"},
                                    {"stan", stan},
                                    {"amount", amount},
                                    {"rc", rc},
                                    {"status", status},
                                    {"debited", status == "approved"},
                                    {"before_since", seq <= 10},
                                    {"reversals", json::array()},
                                    {"reversals_applied", status == "reversed" ? 1 : 0}});
  }
  void order(const std::string& no, const std::string& amount, bool paid, int payments = 1) {
    host["wallet"].push_back({{"seq", 12},
                              {"out_trade_no", no},
                              {"amount", amount},
                              {"state", paid ? "SUCCESS" : "REVOKED"},
                              {"paid", paid},
                              {"payments", payments}});
  }

  rig::engine::Evidence evidence() {
    rig::engine::Evidence ev;
    ev.timeline = tl.snapshot();
    ev.host = host;
    ev.profile = &profile;
    return ev;
  }
  rig::bench::TerminalProfile profile;
};

TEST_F(Invariants, ApprovedSaleWithItsDebitHolds) {
  sale("A", "20.00");
  result({{"id", "A"},
          {"status", "APPROVED"},
          {"rc", "00"},
          {"stan", "000012"},
          {"amount", "20.00"},
          {"method", "card"},
          {"text", "APPROVED"}});
  host_txn("000012", "20.00", "approved");
  auto v = checks::money_conserved(evidence());
  EXPECT_TRUE(v.ran);
  EXPECT_EQ(v.failure, "");
  EXPECT_TRUE(v.notes.empty());
  EXPECT_EQ(checks::charged_once(evidence()).failure, "");
}

TEST_F(Invariants, ApprovedResultOfADeclineIsCaughtWithBothSides) {
  sale("A", "25.00");
  result({{"id", "A"},
          {"status", "APPROVED"},
          {"rc", "00"},
          {"stan", "13"},
          {"amount", "25.00"},
          {"method", "card"}});
  host_txn("000013", "25.00", "declined", "51");
  auto v = checks::money_conserved(evidence());
  EXPECT_NE(v.failure.find("RESULT"), std::string::npos) << v.failure;
  EXPECT_NE(v.failure.find("STAN 000013 purchase 25.00 rc=51 declined"), std::string::npos)
      << v.failure;
}

TEST_F(Invariants, AmountShortOfWhatTheRigAskedForIsCaught) {
  // amount-via-float: 0.29 became 28 minor units on the terminal, the host and the RESULT.
  sale("A", "0.29");
  result({{"id", "A"}, {"status", "APPROVED"}, {"stan", "000014"}, {"amount", "0.28"}});
  host_txn("000014", "0.28", "approved");
  auto v = checks::money_conserved(evidence());
  EXPECT_NE(v.failure.find("asked for sale A of 0.29"), std::string::npos) << v.failure;
}

TEST_F(Invariants, StandingDebitOfAFailedSaleWithoutAReversalIsCaught) {
  // no-reversal: the host approved, the answer was lost, the terminal stored nothing.
  sale("A", "30.00");
  result({{"id", "A"}, {"status", "FAILED"}, {"rc", "TO"}, {"stan", "000015"}});
  tl.add(EntryKind::status, {{"state", "idle"}, {"pending_reversals", 0}});
  host_txn("000015", "30.00", "approved");
  auto v = checks::money_conserved(evidence());
  EXPECT_NE(v.failure.find("STAN 000015 purchase 30.00 rc=00 approved still takes money"),
            std::string::npos)
      << v.failure;
  EXPECT_NE(v.failure.find("status=FAILED"), std::string::npos) << v.failure;
}

TEST_F(Invariants, ReversalStillStoredOrFailedWithTheAlertIsNotedNotFailed) {
  sale("A", "30.00");
  result({{"id", "A"}, {"status", "FAILED"}, {"rc", "TO"}, {"stan", "000015"}});
  event({{"name", "REVERSAL_STORED"}, {"stan", "000015"}});
  tl.add(EntryKind::status, {{"state", "idle"}, {"pending_reversals", 1}});
  sale("B", "40.00");
  result({{"id", "B"}, {"status", "FAILED"}, {"rc", "TO"}, {"stan", "000016"}});
  event({{"name", "REVERSAL_STORED"}, {"stan", "000016"}});
  event({{"name", "REVERSAL_FAILED"}, {"stan", "000016"}});
  host_txn("000015", "30.00", "approved");
  host_txn("000016", "40.00", "approved", "00", 13);
  auto v = checks::money_conserved(evidence());
  EXPECT_EQ(v.failure, "");
  ASSERT_EQ(v.notes.size(), 2u);
  EXPECT_NE(v.notes[0].find("still stored"), std::string::npos) << v.notes[0];
  EXPECT_NE(v.notes[1].find("REVERSAL_FAILED"), std::string::npos) << v.notes[1];
}

TEST_F(Invariants, ReversedSaleAndOlderTransactionsHold) {
  sale("A", "30.00");
  result({{"id", "A"}, {"status", "FAILED"}, {"rc", "TO"}, {"stan", "000015"}});
  host_txn("000015", "30.00", "reversed");
  host_txn("000009", "5.00", "approved", "00", 9);  // an earlier scenario's, named by a reversal
  EXPECT_EQ(checks::money_conserved(evidence()).failure, "");
}

TEST_F(Invariants, TwoStandingChargesForOneIdAreADoubleCharge) {
  // ecr-duplicate-executed: the same id ran twice.
  sale("A", "10.00");
  result({{"id", "A"}, {"status", "APPROVED"}, {"stan", "000020"}, {"amount", "10.00"}});
  sale("A", "10.00");
  result({{"id", "A"}, {"status", "APPROVED"}, {"stan", "000021"}, {"amount", "10.00"}});
  host_txn("000020", "10.00", "approved");
  host_txn("000021", "10.00", "approved", "00", 12);
  auto v = checks::charged_once(evidence());
  EXPECT_NE(v.failure.find("sale A is charged 2 times"), std::string::npos) << v.failure;
}

TEST_F(Invariants, RepeatedResultOfOneChargeIsNotADoubleCharge) {
  sale("A", "10.00");
  result({{"id", "A"}, {"status", "APPROVED"}, {"stan", "000020"}, {"amount", "10.00"}});
  result({{"id", "A"},
          {"status", "APPROVED"},
          {"stan", "000020"},
          {"amount", "10.00"},
          {"ref", "L1"}});
  host_txn("000020", "10.00", "approved");
  EXPECT_EQ(checks::charged_once(evidence()).failure, "");
  EXPECT_EQ(checks::money_conserved(evidence()).failure, "");
}

TEST_F(Invariants, ReversalRefusedForItsFieldsIsCaught) {
  host["reversals"].push_back({{"mti", "0400"},
                               {"stan", "000015"},
                               {"amount", "0.30"},
                               {"currency", "156"},
                               {"rc", "64"},
                               {"applied", false},
                               {"reason", "field 4 (amount) 0.30 is not the original's 30.00"}});
  // A scripted refusal and a repeat are no defect of the terminal's.
  host["reversals"].push_back({{"mti", "0401"},
                               {"stan", "000015"},
                               {"amount", "30.00"},
                               {"rc", nullptr},
                               {"applied", false},
                               {"reason", "scripted refusal"}});
  auto v = checks::charged_once(evidence());
  EXPECT_NE(v.failure.find("reversal 0400 STAN 000015 field 4 0.30"), std::string::npos)
      << v.failure;
  EXPECT_NE(v.failure.find("rc=64"), std::string::npos) << v.failure;
  EXPECT_EQ(v.failure.find("scripted"), std::string::npos) << v.failure;
}

TEST_F(Invariants, WalletOrdersPaidWithoutAnApprovedResultOrTwiceAreCaught) {
  sale("Q", "8.00", "qr");
  result({{"id", "Q"},
          {"status", "APPROVED"},
          {"order", "T1-1-0002"},
          {"amount", "8.00"},
          {"method", "qr"}});
  order("T1-1-0001", "8.00", true);  // pays-twice-on-userpaying: the first order paid too
  order("T1-1-0002", "8.00", true);
  auto v = checks::money_conserved(evidence());
  EXPECT_NE(v.failure.find("wallet order T1-1-0001 8.00 SUCCESS"), std::string::npos) << v.failure;
  EXPECT_EQ(v.failure.find("T1-1-0002"), std::string::npos) << v.failure;

  host["wallet"] = json::array();
  order("T1-1-0002", "8.00", true, 2);
  EXPECT_NE(checks::charged_once(evidence()).failure.find("paid twice"), std::string::npos);
}

TEST_F(Invariants, PaidOrderOfASaleLeftForManualHandlingIsNoted) {
  sale("Q", "8.00", "qr");
  result(
      {{"id", "Q"}, {"status", "UNKNOWN"}, {"rc", "WU"}, {"order", "T1-1-0001"}, {"method", "qr"}});
  order("T1-1-0001", "8.00", true);
  auto v = checks::money_conserved(evidence());
  EXPECT_EQ(v.failure, "");
  ASSERT_EQ(v.notes.size(), 1u);
  EXPECT_NE(v.notes[0].find("manual handling"), std::string::npos);
}

TEST_F(Invariants, WithoutHostEvidenceTheMoneyChecksDoNotRun) {
  rig::engine::Evidence ev = evidence();
  ev.host = nullptr;
  ev.no_host = "station lane1 has no host admin endpoint";
  for (auto judge : {&checks::money_conserved, &checks::charged_once}) {
    auto v = judge(ev);
    EXPECT_FALSE(v.ran);
    EXPECT_EQ(v.failure, "");
    EXPECT_EQ(v.why_not_run, ev.no_host);
  }
  EXPECT_TRUE(checks::display_agrees(ev).ran);
}

TEST_F(Invariants, DeclineShownAsApprovedIsCaught) {
  sale("A", "25.00");
  tl.add(EntryKind::display, {{"id", "A"}, {"text", "AMOUNT 25.00|ENTER PIN"}});
  tl.add(EntryKind::display, {{"id", "A"}, {"text", "APPROVED"}});
  result({{"id", "A"},
          {"status", "DECLINED"},
          {"rc", "51"},
          {"text", "DECLINED 51 INSUFFICIENT FUNDS"}});
  auto v = checks::display_agrees(evidence());
  EXPECT_NE(v.failure.find("the display showed \"APPROVED\""), std::string::npos) << v.failure;
  EXPECT_NE(v.failure.find("status=DECLINED"), std::string::npos) << v.failure;
}

TEST_F(Invariants, DisplaysThatAgreeHold) {
  sale("A", "25.00");
  tl.add(EntryKind::display, {{"id", "A"}, {"text", "NOT APPROVED|51"}});
  result({{"id", "A"}, {"status", "DECLINED"}, {"rc", "51"}, {"text", "Declined 51"}});
  sale("B", "5.00");
  tl.add(EntryKind::display, {{"id", "B"}, {"text", "WRONG PIN|2 TRIES LEFT"}});
  tl.add(EntryKind::display, {{"id", "B"}, {"text", "APPROVED"}});
  result({{"id", "B"}, {"status", "APPROVED"}, {"rc", "00"}, {"text", "APPROVED"}});
  tl.add(EntryKind::display, {{"id", "B"}, {"text", "REMOVE CARD"}});
  EXPECT_EQ(checks::display_agrees(evidence()).failure, "");
}

TEST_F(Invariants, ApprovalShownAsADeclineAndResultTextsThatContradictAreCaught) {
  sale("A", "5.00");
  tl.add(EntryKind::display, {{"id", "A"}, {"text", "DECLINED"}});
  result({{"id", "A"}, {"status", "APPROVED"}, {"rc", "00"}, {"text", "DECLINED 05"}});
  auto v = checks::display_agrees(evidence());
  EXPECT_NE(v.failure.find("the decline wording"), std::string::npos) << v.failure;
  EXPECT_NE(v.failure.find("its text says the opposite of its status"), std::string::npos)
      << v.failure;
}

TEST_F(Invariants, ReceiptsOnlyForApprovals) {
  sale("A", "5.00");
  result({{"id", "A"}, {"status", "APPROVED"}, {"stan", "1"}});
  tl.add(EntryKind::receipt, {{"id", "A"}, {"copy", "original"}, {"text", "SALE|AMOUNT 5.00"}});
  sale("B", "6.00");
  result({{"id", "B"}, {"status", "DECLINED"}, {"rc", "51"}});
  tl.add(EntryKind::receipt, {{"id", "B"}, {"copy", "original"}, {"text", "SALE|DECLINED 51"}});
  tl.add(EntryKind::receipt, {{"id", "OLD"}, {"copy", "duplicate"}, {"text", "COPY"}});
  auto v = checks::receipts_for_approvals(evidence());
  EXPECT_EQ(v.failure, "");
  ASSERT_EQ(v.notes.size(), 1u);  // B's is a decline slip

  sale("C", "7.00");
  result({{"id", "C"}, {"status", "FAILED"}, {"rc", "TO"}});
  tl.add(EntryKind::receipt, {{"id", "C"}, {"copy", "original"}, {"text", "SALE|AMOUNT 7.00"}});
  v = checks::receipts_for_approvals(evidence());
  EXPECT_NE(v.failure.find("RECEIPT id=C copy=original"), std::string::npos) << v.failure;
}

TEST_F(Invariants, TerminalAccountFollowsIdsAndIgnoresInProgressAnswers) {
  sale("A", "5.00");
  result({{"id", "A"}, {"status", "UNKNOWN"}, {"rc", "IP"}});
  result({{"id", "A"}, {"status", "APPROVED"}, {"rc", "00"}});
  result({{"id", "A"}, {"status", "UNKNOWN"}, {"rc", "IP"}});
  tl.add(EntryKind::result, {{"id", "L1"}, {"status", "FAILED"}, {"rc", "NF"}});  // a LAST
  auto acc = checks::terminal_account(tl.snapshot());
  ASSERT_EQ(acc.transactions.size(), 1u);
  const auto* a = acc.find("A");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->amount, "5.00");
  EXPECT_EQ(a->results.size(), 3u);
  EXPECT_EQ(a->final, 2);
}

TEST_F(Invariants, ResultsWithoutStanOrOrderAreMatchedByTheirAmount) {
  // A driver that reports neither the STAN nor the order: each APPROVED result takes one standing
  // charge of its amount; a second charge of the same amount stays unclaimed.
  sale("A", "9.00");
  result({{"id", "A"}, {"status", "APPROVED"}, {"amount", "9.00"}, {"method", "card"}});
  sale("Q", "4.00", "qr");
  result({{"id", "Q"}, {"status", "APPROVED"}, {"amount", "4.00"}, {"method", "qr"}});
  host_txn("000030", "9.00", "approved");
  order("T1-1-0001", "4.00", true);
  EXPECT_EQ(checks::money_conserved(evidence()).failure, "");
  host_txn("000031", "9.00", "approved", "00", 13);
  auto v = checks::money_conserved(evidence());
  EXPECT_NE(v.failure.find("STAN 000031 purchase 9.00 rc=00 approved still takes money"),
            std::string::npos)
      << v.failure;
  EXPECT_EQ(v.failure.find("000030"), std::string::npos) << v.failure;
}

TEST_F(Invariants, LastAboutAnEarlierScenariosSaleIsNotJudgedAsThisOnesMoney) {
  // A LAST first thing in a scenario answers with the previous scenario's sale (its own id).
  result({{"id", "OLD"},
          {"status", "APPROVED"},
          {"stan", "000007"},
          {"amount", "3.00"},
          {"ref", "L1"}});
  EXPECT_EQ(checks::money_conserved(evidence()).failure, "");
  EXPECT_FALSE(checks::terminal_account(tl.snapshot()).find("OLD")->sent);
}

// What the proxy saw of an ISO 8583 message.
void wire(Timeline& tl, const std::string& mti, json fields) {
  tl.add(EntryKind::host_message,
         {{"mti", mti}, {"direction", "to_host"}, {"fields", std::move(fields)}});
}

TEST_F(Invariants, ReversalsOnTheWireCarryTheirOriginalsFields) {
  const json sale0200 = {{"4", "000000002000"}, {"7", "1203120000"},       {"11", "000006"},
                         {"41", "RIG00001"},    {"42", "POSRIG000000001"}, {"49", "156"}};
  wire(tl, "0200", sale0200);
  json good = sale0200;
  good["7"] = "1203120040";
  good["90"] = "020000000612031200000000000000000000000000";
  wire(tl, "0400", good);
  wire(tl, "0401", good);
  // A reversal of a sale from before the scenario: nothing to compare it with.
  json older = good;
  older["11"] = "000002";
  older["90"] = "020000000212031100000000000000000000000000";
  wire(tl, "0400", older);
  EXPECT_EQ(checks::reversal_fields(evidence()).failure, "");

  json amount = good;  // reversal-amount-wrong: minor units read as major units
  amount["4"] = "000000000020";
  wire(tl, "0401", amount);
  json f90 = good;  // fields-90-wrong: field 90 names the next STAN
  f90["90"] = "020000000712031200000000000000000000000000";
  wire(tl, "0400", f90);
  auto v = checks::reversal_fields(evidence());
  EXPECT_NE(v.failure.find("0401 for the 0200 with STAN 000006: field 4 000000000020 (original "
                           "000000002000)"),
            std::string::npos)
      << v.failure;
  EXPECT_NE(v.failure.find("field 90 02000000071203120000 (original MTI, STAN, field 7: "
                           "02000000061203120000)"),
            std::string::npos)
      << v.failure;
}

}  // namespace
