// vterm's card handling (DOMAIN rules 7-11): chip retries and fallback, chip cards swiped,
// garbled stripes, PIN tries and blocking, clear declines. Each rule on the correct terminal and
// with the --bug that breaks it.
#include "tests/integration/vterm_bench.h"

namespace vterm_it {
namespace {

class VtermCard : public CorrectOrBuggy {};

class VtermCardPlain : public VBench {};

// Rule 7: a mute chip is retried 3 times, then SWIPE; the swipe goes out as fallback (801).
TEST_P(VtermCard, Rule7MuteChipFallsBackToSwipe) {
  start_with("no-chip-fallback");
  const std::size_t from = ecr().mark();
  sale("T1", "5.00");
  expect_prompt("PRESENT_CARD", from);
  card("insert", "visa-chip", "chip_mute");
  if (buggy()) {
    Message r = result("T1", from);
    EXPECT_EQ(r.get("status"), "FAILED");
    EXPECT_EQ(r.get("rc"), "CE");
    EXPECT_EQ(ecr().count(is_prompt("SWIPE"), from), 0u);
    return;
  }
  expect_prompt("SWIPE", from);
  EXPECT_EQ(ecr().count(is_event("CHIP_READ_FAILED"), from), 3u);
  card("swipe", "visa-chip");
  expect(is_event("FALLBACK"), "EVENT FALLBACK", from);
  expect_prompt("PIN", from);
  keys("1234");
  Message r = result("T1", from);
  EXPECT_EQ(r.get("status"), "APPROVED");
  EXPECT_EQ(r.get("entry"), "fallback");
  auto sent = host_messages("0200");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(field(sent[0], 22), "801");
}

// Rule 7, intermittent chip: one failed read, then the retry reads it; no fallback needed.
TEST_F(VtermCardPlain, Rule7IntermittentChipIsRetried) {
  start();
  const std::size_t from = ecr().mark();
  sale("T1", "5.00");
  expect_prompt("PRESENT_CARD", from);
  ctl({{"cmd", "card.insert"},
       {"card", "visa-chip"},
       {"damage", "chip_intermittent"},
       {"failures", 2}});
  expect_prompt("PIN", from);
  keys("1234");
  Message r = result("T1", from);
  EXPECT_EQ(r.get("entry"), "chip");
  EXPECT_EQ(ecr().count(is_event("CHIP_READ_FAILED"), from), 2u);
  EXPECT_EQ(ecr().count(is_prompt("SWIPE"), from), 0u);
}

// Rule 8: a chip card swiped without a chip failure -> INSERT_CHIP, nothing sent.
TEST_P(VtermCard, Rule8SwipedChipCardMustBeInserted) {
  start_with("swipe-chip-card");
  const std::size_t from = ecr().mark();
  sale("T1", "5.00");
  expect_prompt("PRESENT_CARD", from);
  card("swipe", "visa-chip");
  if (!buggy()) {
    expect_prompt("INSERT_CHIP", from);
    EXPECT_TRUE(host_messages("0200").empty());
    card("insert", "visa-chip");
  }
  expect_prompt("PIN", from);
  keys("1234");
  Message r = result("T1", from);
  EXPECT_EQ(r.get("status"), "APPROVED");
  EXPECT_EQ(r.get("entry"), buggy() ? "swipe" : "chip");
  auto sent = host_messages("0200");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(field(sent[0], 22), buggy() ? "021" : "051");
}

// A stripe-only card swipes normally (service code 1xx).
TEST_F(VtermCardPlain, Rule8StripeOnlyCardSwipes) {
  start();
  const std::size_t from = ecr().mark();
  sale("T1", "5.00");
  expect_prompt("PRESENT_CARD", from);
  card("swipe", "mag-only");
  expect_prompt("PIN", from);
  keys("1234");
  Message r = result("T1", from);
  EXPECT_EQ(r.get("status"), "APPROVED");
  EXPECT_EQ(r.get("entry"), "swipe");
  EXPECT_EQ(ecr().count(is_prompt("INSERT_CHIP"), from), 0u);
}

// Rule 9: a garbled stripe -> read error and a retry prompt; nothing goes to the host.
TEST_P(VtermCard, Rule9GarbledStripeIsNotSent) {
  start_with("garbled-stripe-sent");
  const std::size_t from = ecr().mark();
  sale("T1", "5.00");
  expect_prompt("PRESENT_CARD", from);
  card("swipe", "mag-only", "mag_garbled");
  if (!buggy()) {
    expect(is_event("STRIPE_READ_FAILED"), "STRIPE_READ_FAILED", from);
    expect_prompt("RETRY_CARD", from);
    EXPECT_TRUE(host_messages("0200").empty());
    card("swipe", "mag-only");
    expect_prompt("PIN", from);
    keys("1234");
    EXPECT_EQ(result("T1", from).get("status"), "APPROVED");
    EXPECT_EQ(host_messages("0200").size(), 1u);
  } else {
    expect_prompt("PIN", from);
    keys("1234");
    Message r = result("T1", from);
    EXPECT_EQ(r.get("rc"), "14") << "the host got a track that matches no card";
    EXPECT_EQ(ecr().count(is_event("STRIPE_READ_FAILED"), from), 0u);
    EXPECT_EQ(ledger()["declines"], 1);
  }
}

// Rule 10: wrong PIN -> tries left, a last-try warning, blocked at zero (55, then 75).
TEST_P(VtermCard, Rule10WrongPinTriesAndBlock) {
  start_with("ignores-pin-limit");
  const std::size_t from = ecr().mark();
  sale("T1", "5.00");
  expect_prompt("PRESENT_CARD", from);
  card("insert", "visa-chip");
  std::size_t at = from;
  for (int i = 0; i < 3; ++i) {
    auto prompt = ecr().find(is_prompt("PIN"), kLong, at);
    ASSERT_TRUE(prompt.has_value()) << "PIN prompt " << i + 1 << "\n" << ecr().transcript(from);
    if (!buggy() && i > 0) {
      EXPECT_EQ(prompt->second.get("tries_left"), std::to_string(3 - i))
          << describe(prompt->second);
    }
    at = prompt->first + 1;
    keys("9999");
  }
  if (!buggy()) {
    expect(is_display("LAST PIN TRY"), "DISPLAY LAST PIN TRY", from);
    expect(is_event("PIN_BLOCKED"), "PIN_BLOCKED", from);
    Message r = result("T1", from);
    EXPECT_EQ(r.get("status"), "DECLINED");
    EXPECT_EQ(r.get("rc"), "55");
    EXPECT_EQ(ecr().count(is_event("PIN_WRONG"), from), 3u);
    EXPECT_EQ(ecr().count(is_prompt("PIN"), from), 3u);
    // The next sale with that card asks for no PIN and the host answers 75.
    const std::size_t next = ecr().mark();
    sale("T2", "5.00");
    expect_prompt("PRESENT_CARD", next);
    card("insert", "visa-chip");
    Message r2 = result("T2", next);
    EXPECT_EQ(r2.get("status"), "DECLINED");
    EXPECT_EQ(r2.get("rc"), "75");
    EXPECT_EQ(ecr().count(is_prompt("PIN"), next), 0u);
    expect(is_event("PIN_BLOCKED"), "PIN_BLOCKED", next);
  } else {
    // A fourth PIN prompt: the limit is ignored.
    expect(is_prompt("PIN"), "a fourth PIN prompt", at);
    EXPECT_EQ(ecr().count(is_event("PIN_BLOCKED"), from), 0u);
    ctl({{"cmd", "keypad.press"}, {"keys", {"CANCEL"}}});
    EXPECT_EQ(result("T1", from).get("status"), "CANCELLED");
  }
}

// Rule 11: expired (54), insufficient funds (51), restricted (62): a clear decline, no debit.
TEST_P(VtermCard, Rule11DeclinesAreClearAndDebitNothing) {
  start_with("ignores-decline-code");
  Message low = card_sale("T1", "20.00", "low-balance");
  if (!buggy()) {
    EXPECT_EQ(low.get("status"), "DECLINED");
    EXPECT_EQ(low.get("rc"), "51");
    EXPECT_EQ(low.get("text"), "DECLINED 51 INSUFFICIENT FUNDS");
    Message expired = card_sale("T2", "1.00", "expired");
    EXPECT_EQ(expired.get("status"), "DECLINED");
    EXPECT_EQ(expired.get("rc"), "54");
    EXPECT_EQ(expired.get("text"), "DECLINED 54 EXPIRED CARD");
    Message frozen = card_sale("T3", "1.00", "frozen");
    EXPECT_EQ(frozen.get("status"), "DECLINED");
    EXPECT_EQ(frozen.get("rc"), "62");
    EXPECT_EQ(frozen.get("text"), "DECLINED 62 RESTRICTED CARD");
    json l = ledger();
    EXPECT_EQ(l["debits"], 0) << l.dump();
    EXPECT_EQ(l["declines"], 3);
    EXPECT_EQ(ctl({{"cmd", "receipts.get"}})["receipts"].size(), 0u);
  } else {
    EXPECT_EQ(low.get("status"), "APPROVED") << "the defect shows a 51 as approved";
    EXPECT_EQ(low.get("text"), "APPROVED");
    EXPECT_EQ(ledger()["debits"], 0) << "and the money was never taken";
  }
}

INSTANTIATE_TEST_SUITE_P(CorrectAndBuggy, VtermCard, ::testing::Values(false, true), correct_or_bug);

}  // namespace
}  // namespace vterm_it
