// vterm's QR payments (DOMAIN rules 12-15): dirty scanner and damaged codes, manual entry, the
// payment-code check, micropay answered USERPAYING / SYSTEMERROR / nothing, bounded polling,
// reverse and manual handling, and the controller's QUERY settling an unknown payment. Rules
// with a --bug run on the correct terminal and on the broken one.
#include "tests/integration/vterm_bench.h"

namespace vterm_it {
namespace {

const std::string kCode = "134567890123456789";   // a valid payment code
const std::string kDamaged = "1345678901234567";  // decodes, fails the format check

class VtermQr : public CorrectOrBuggy {};

class VtermQrPlain : public VBench {};

std::size_t count_containing(const std::vector<std::string>& texts, const std::string& part) {
  std::size_t n = 0;
  for (const auto& t : texts) n += t.find(part) != std::string::npos ? 1 : 0;
  return n;
}

// Rule 12: a dirty scanner does not decode -> RESCAN; after cleaning, the rescan succeeds.
TEST_P(VtermQr, Rule12DirtyScannerPromptsRescanAndWorksAfterCleaning) {
  start_with("no-rescan-prompt");
  const std::size_t from = ecr().mark();
  sale("Q1", "3.00", "qr");
  expect_prompt("SCAN_CODE", from);
  present(kCode, 0.8);
  expect(is_event("SCAN_FAILED"), "SCAN_FAILED", from);
  if (buggy()) {
    Message r = result("Q1", from);
    EXPECT_EQ(r.get("status"), "FAILED");
    EXPECT_EQ(r.get("rc"), "QC");
    EXPECT_EQ(ecr().count(is_prompt("RESCAN"), from), 0u);
    return;
  }
  const std::size_t first = index_of(is_prompt("RESCAN"), "RESCAN", from);
  present(kCode);  // the head is still dirty
  expect(is_prompt("RESCAN"), "a second RESCAN", first + 1);
  ctl({{"cmd", "scanner.clean"}});
  present(kCode);
  Message r = result("Q1", from);
  EXPECT_EQ(r.get("status"), "APPROVED");
  EXPECT_EQ(r.get("entry"), "qr");
  EXPECT_EQ(r.get("order").value_or("").rfind(kTid + "-", 0), 0u) << "order starts with the TID";
  EXPECT_EQ(host_messages("POST /micropay", "wallet").size(), 1u);
  EXPECT_EQ(ledger()["wallet_payments"], 1);
}

// Rule 12: a code that decodes but fails the format check never reaches the wallet.
TEST_P(VtermQr, Rule12DamagedCodeIsRejectedBeforeTheWallet) {
  start_with("sends-unchecked-qr-code");
  const std::size_t from = ecr().mark();
  sale("Q1", "3.00", "qr");
  expect_prompt("SCAN_CODE", from);
  present(kDamaged);
  if (!buggy()) {
    expect(is_event("CODE_REJECTED"), "CODE_REJECTED", from);
    expect_prompt("RESCAN", from);
    EXPECT_TRUE(host_messages("POST /micropay", "wallet").empty());
    present(kCode);
    EXPECT_EQ(result("Q1", from).get("status"), "APPROVED");
    EXPECT_EQ(host_messages("POST /micropay", "wallet").size(), 1u);
  } else {
    Message r = result("Q1", from);
    EXPECT_EQ(r.get("status"), "DECLINED");
    EXPECT_NE(r.get("text").value_or("").find("AUTH_CODE_INVALID"), std::string::npos);
    EXPECT_EQ(host_messages("POST /micropay", "wallet").size(), 1u) << "the bad code went out";
    EXPECT_EQ(ecr().count(is_event("CODE_REJECTED"), from), 0u);
  }
}

// Rule 12: manual entry of the code is the fallback.
TEST_F(VtermQrPlain, Rule12ManualEntryFallback) {
  start();
  const std::size_t from = ecr().mark();
  sale("Q1", "3.00", "qr");
  expect_prompt("SCAN_CODE", from);
  present(kCode, 0.9);
  expect_prompt("RESCAN", from);
  ctl({{"cmd", "keypad.press"}, {"keys", {"ENTER"}}});
  expect_prompt("MANUAL_ENTRY", from);
  keys(kCode);
  Message r = result("Q1", from);
  EXPECT_EQ(r.get("status"), "APPROVED");
  EXPECT_EQ(r.get("entry"), "manual");
}

// The scanner.dirty fault (scanner.dirt) and determinism: the same presentation fails the same
// way every time while the head is dirty, and reads once it is cleaned.
TEST_F(VtermQrPlain, DirtyScannerFailsDeterministicallyAndReadsAfterCleaning) {
  start();
  ctl({{"cmd", "scanner.dirt"}, {"level", 0.8}});
  const std::size_t from = ecr().mark();
  sale("Q1", "3.00", "qr");
  expect_prompt("SCAN_CODE", from);
  std::size_t at = from;
  for (int i = 0; i < 2; ++i) {
    ctl({{"cmd", "scanner.present"}, {"code", kCode}, {"seed", 7}});
    at = index_of(is_prompt("RESCAN"), "RESCAN", at) + 1;
  }
  EXPECT_EQ(ecr().count(is_event("SCAN_FAILED"), from), 2u);
  ctl({{"cmd", "scanner.clean"}});
  ctl({{"cmd", "scanner.present"}, {"code", kCode}, {"seed", 7}});
  EXPECT_EQ(result("Q1", from).get("status"), "APPROVED");
  EXPECT_EQ(state()["scanner_dirt"], 0.0);
}

// Rule 13: USERPAYING -> query the same order; never pay again under a new order number.
TEST_P(VtermQr, Rule13UserpayingIsQueriedNeverPaidTwice) {
  start_with("pays-twice-on-userpaying");
  script({{"target", "wallet"}, {"action", "userpaying"}, {"seconds", 5}, {"count", 1}});
  const std::size_t from = ecr().mark();
  sale("Q1", "4.00", "qr");
  present(kCode);
  Message r = result("Q1", from);
  EXPECT_EQ(r.get("status"), "APPROVED");
  auto pays = host_messages("POST /micropay", "wallet");
  if (!buggy()) {
    ASSERT_EQ(pays.size(), 1u);
    Message q = expect(is_event("WALLET_QUERY"), "WALLET_QUERY", from);
    EXPECT_EQ(q.get("order"), r.get("order"));
    auto queries = host_messages("POST /orderquery", "wallet");
    EXPECT_GE(queries.size(), 1u);
    EXPECT_EQ(count_containing(queries, r.get("order").value_or("?")), queries.size());
    EXPECT_EQ(ledger()["wallet_payments"], 1);
  } else {
    ASSERT_EQ(pays.size(), 2u) << "the defect paid again";
    ASSERT_TRUE(wait_host_message("turned SUCCESS", "wallet", "note"));
    EXPECT_EQ(ledger()["wallet_payments"], 2) << "the customer paid twice";
  }
}

// Rule 13: micropay gets no answer (but went through) -> the query finds it paid.
TEST_F(VtermQrPlain, Rule13NoAnswerToMicropayIsQueried) {
  start();
  script({{"target", "wallet"}, {"action", "no_response"}, {"apply", true}, {"count", 1}});
  const std::size_t from = ecr().mark();
  sale("Q1", "4.00", "qr");
  present(kCode);
  Message r = result("Q1", from);
  EXPECT_EQ(r.get("status"), "APPROVED");
  EXPECT_GE(ecr().count(is_event("WALLET_QUERY"), from), 1u);
  EXPECT_EQ(host_messages("POST /micropay", "wallet").size(), 1u);
  EXPECT_EQ(ledger()["wallet_payments"], 1);
}

// Rule 14: polling is bounded (10); still unknown -> reverse.
TEST_P(VtermQr, Rule14PollingIsBoundedThenTheOrderIsReversed) {
  start_with("endless-query-loop");
  script({{"target", "wallet"},
          {"action", "userpaying"},
          {"seconds", 0},
          {"then", "USERPAYING"},
          {"count", 1}});
  const std::size_t from = ecr().mark();
  sale("Q1", "4.00", "qr");
  present(kCode);
  if (!buggy()) {
    Message r = result("Q1", from);
    EXPECT_EQ(r.get("status"), "FAILED");
    EXPECT_EQ(r.get("text"), "PAYMENT NOT CONFIRMED - ORDER REVERSED");
    EXPECT_EQ(ecr().count(is_event("WALLET_QUERY"), from), 10u);
    EXPECT_LT(index_of(is_event("WALLET_REVERSE"), "WALLET_REVERSE", from),
              index_of(is_result("Q1"), "RESULT", from));
    EXPECT_EQ(ledger()["wallet_payments"], 0);
  } else {
    // Well past the bound, and still polling instead of reversing.
    auto twelfth = [n = 0](const Message& m) mutable {
      return m.name == "EVENT" && m.get("name") == "WALLET_QUERY" && ++n == 12;
    };
    expect(twelfth, "a 12th WALLET_QUERY", from);
    EXPECT_EQ(ecr().count(is_event("WALLET_REVERSE"), from), 0u);
    EXPECT_EQ(ecr().count(is_result("Q1"), from), 0u);
  }
}

// Rule 14: the reverse fails too -> UNKNOWN, flagged for manual handling.
TEST_F(VtermQrPlain, Rule14ReverseFailsTooManualHandling) {
  start();
  script(json::array({{{"target", "wallet"},
                       {"action", "userpaying"},
                       {"seconds", 0},
                       {"then", "USERPAYING"},
                       {"count", 1}},
                      {{"target", "wallet"}, {"action", "reverse_fail"}, {"count", 3}}}));
  const std::size_t from = ecr().mark();
  sale("Q1", "4.00", "qr");
  present(kCode);
  Message r = result("Q1", from);
  EXPECT_EQ(r.get("status"), "UNKNOWN");
  EXPECT_EQ(r.get("rc"), "WU");
  EXPECT_EQ(ecr().count(is_event("WALLET_REVERSE"), from), 3u);
  expect(is_event("MANUAL_HANDLING"), "MANUAL_HANDLING", from);
  expect(is_prompt("CONTACT_SUPPORT"), "PROMPT CONTACT_SUPPORT", from);
  command("STATUS", "S1");
  EXPECT_EQ(expect(is_named("STATUS"), "STATUS", from).get("manual_handling"), "1");
}

// Rule 15: paid but not credited -> a QUERY by the same order number settles it; one payment.
// query-pays-again answers the QUERY with a second micropay under a new order number instead.
TEST_P(VtermQr, Rule15QueryByTheSameOrderSettlesAnUnknownPayment) {
  start_with("query-pays-again");
  script(json::array(
      {{{"target", "wallet"}, {"action", "system_error"}, {"apply", true}, {"count", 1}},
       {{"target", "wallet"},
        {"action", "system_error"},
        {"endpoint", "orderquery"},
        {"count", 10}},
       {{"target", "wallet"}, {"action", "reverse_fail"}, {"count", 3}}}));
  const std::size_t from = ecr().mark();
  sale("Q1", "4.00", "qr");
  present(kCode);
  Message r = result("Q1", from);
  ASSERT_EQ(r.get("status"), "UNKNOWN");
  const std::string order = r.get("order").value_or("?");
  const std::size_t later = ecr().mark();
  command("QUERY", "Q1");
  if (buggy()) {
    Message settled = result("Q1", later);
    EXPECT_EQ(settled.get("status"), "APPROVED");
    const std::string second = settled.get("order").value_or("?");
    EXPECT_NE(second, order) << "paid under a new order number";
    EXPECT_EQ(ecr().count(is_event("WALLET_QUERY"), later), 0u) << "the QUERY asked nobody";
    EXPECT_EQ(host_messages("POST /orderquery", "wallet").size(), 10u);
    auto pays = host_messages("POST /micropay", "wallet");
    ASSERT_EQ(pays.size(), 2u) << "the defect paid again";
    EXPECT_EQ(count_containing(pays, order), 1u);
    EXPECT_EQ(count_containing(pays, second), 1u);
    EXPECT_EQ(ledger()["wallet_payments"], 2) << "the customer paid twice";
    return;
  }
  Message q = expect(is_event("WALLET_QUERY"), "WALLET_QUERY for the QUERY", later);
  EXPECT_EQ(q.get("order"), order);
  Message settled = result("Q1", later);
  EXPECT_EQ(settled.get("status"), "APPROVED");
  EXPECT_EQ(settled.get("order"), order);
  auto queries = host_messages("POST /orderquery", "wallet");
  EXPECT_EQ(queries.size(), 11u);
  EXPECT_EQ(count_containing(queries, order), queries.size());
  EXPECT_EQ(host_messages("POST /micropay", "wallet").size(), 1u);
  EXPECT_EQ(ledger()["wallet_payments"], 1);
  // The settled record is what LAST reports from now on.
  command("LAST", "L1");
  EXPECT_EQ(
      expect([](const Message& m) { return m.get("ref") == "L1"; }, "LAST", later).get("status"),
      "APPROVED");
}

INSTANTIATE_TEST_SUITE_P(CorrectAndBuggy, VtermQr, ::testing::Values(false, true), correct_or_bug);

}  // namespace
}  // namespace vterm_it
