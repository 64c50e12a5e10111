// The virtual card reader (damage matrix, attempt counting, card events with deadlines), the
// keypad (PIN entry paths) and the event queue they share.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "fixtures/sim/vterm/card_reader.h"
#include "fixtures/sim/vterm/event_queue.h"
#include "fixtures/sim/vterm/keypad.h"
#include "rig/bench/card_profile.h"

namespace vterm {
namespace {

using namespace std::chrono_literals;
using rig::bench::CardProfile;

const std::map<std::string, CardProfile>& cards() {
  static const auto all = rig::bench::load_cards(POSRIG_SOURCE_DIR "/fixtures/cards");
  return all;
}

const CardProfile& card(const std::string& name) { return cards().at(name); }

TEST(EventQueue, FifoTimeoutAndInterrupt) {
  EventQueue<int> q;
  q.push(1);
  q.push(2);
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.pop(after(1s)).value, 1);
  EXPECT_EQ(q.try_pop(), 2);
  EXPECT_EQ(q.try_pop(), std::nullopt);
  const auto t0 = Clock::now();
  const Waited<int> w = q.pop(after(25ms));
  EXPECT_EQ(w.status, WaitStatus::timeout);
  EXPECT_FALSE(w.value.has_value());
  EXPECT_GE(Clock::now() - t0, 25ms);

  q.push(3);
  q.interrupt();  // an interrupt wins over queued events, and sticks
  EXPECT_EQ(q.pop(after(1s)).status, WaitStatus::interrupted);
  EXPECT_EQ(q.pop(after(1s)).status, WaitStatus::interrupted);
  q.resume();
  EXPECT_EQ(q.pop(after(1s)).value, 3);
  EXPECT_STREQ(to_string(WaitStatus::interrupted), "interrupted");
}

TEST(CardReader, NamesParseAndPrint) {
  EXPECT_EQ(parse_card_entry("swipe"), CardEntry::swipe);
  EXPECT_EQ(parse_card_entry("dip"), std::nullopt);
  EXPECT_EQ(parse_card_damage("chip_intermittent"), CardDamage::chip_intermittent);
  EXPECT_EQ(parse_card_damage("chip-mute"), std::nullopt);
  EXPECT_EQ(card_damage_names(),
            "none, chip_mute, chip_error, chip_intermittent, mag_garbled, mag_blank");
  for (CardDamage d :
       {CardDamage::none, CardDamage::chip_mute, CardDamage::chip_error,
        CardDamage::chip_intermittent, CardDamage::mag_garbled, CardDamage::mag_blank}) {
    EXPECT_EQ(parse_card_damage(to_string(d)), d);
  }
}

TEST(CardReader, EmptyReaderReadsNoCard) {
  CardReader r;
  EXPECT_FALSE(r.has_card());
  EXPECT_EQ(r.read_chip().status, ChipStatus::no_card);
  EXPECT_EQ(r.read_stripe().status, StripeStatus::no_card);
  EXPECT_FALSE(r.remove());
}

// Every presentation x damage on a chip-and-stripe card, and the no-chip / no-stripe cases.
TEST(CardReader, DamageMatrix) {
  struct Case {
    const char* card;
    CardEntry how;
    CardDamage damage;
    ChipStatus chip;
    StripeStatus stripe;
  };
  using CE = CardEntry;
  using CD = CardDamage;
  using CS = ChipStatus;
  using SS = StripeStatus;
  const std::vector<Case> cases = {
      {"visa-chip", CE::insert, CD::none, CS::ok, SS::no_card},
      {"visa-chip", CE::tap, CD::none, CS::ok, SS::no_card},
      {"visa-chip", CE::swipe, CD::none, CS::no_card, SS::ok},
      {"visa-chip", CE::insert, CD::chip_mute, CS::mute, SS::no_card},
      {"visa-chip", CE::tap, CD::chip_mute, CS::mute, SS::no_card},
      {"visa-chip", CE::insert, CD::chip_error, CS::error, SS::no_card},
      {"visa-chip", CE::insert, CD::chip_intermittent, CS::mute, SS::no_card},
      {"visa-chip", CE::insert, CD::mag_garbled, CS::ok, SS::no_card},
      {"visa-chip", CE::swipe, CD::mag_garbled, CS::no_card, SS::garbled},
      {"visa-chip", CE::swipe, CD::mag_blank, CS::no_card, SS::blank},
      {"visa-chip", CE::swipe, CD::chip_mute, CS::no_card, SS::ok},
      {"mag-only", CE::insert, CD::none, CS::mute, SS::no_card},  // no chip: no ATR
      {"mag-only", CE::swipe, CD::none, CS::no_card, SS::ok},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.card) + " " + to_string(c.how) + " " + to_string(c.damage));
    CardReader r;
    r.present(card(c.card), c.how, c.damage);
    const ChipRead chip = r.read_chip();
    EXPECT_EQ(chip.status, c.chip) << to_string(chip.status);
    EXPECT_EQ(chip.data.has_value(), c.chip == ChipStatus::ok);
    EXPECT_EQ(chip.status_word, c.chip == CS::ok ? "9000" : c.chip == CS::error ? "6F00" : "");
    const StripeRead stripe = r.read_stripe();
    EXPECT_EQ(stripe.status, c.stripe) << to_string(stripe.status);
    EXPECT_EQ(stripe.track2.empty(), c.stripe != StripeStatus::ok);
  }

  CardProfile chip_only = card("visa-chip");
  chip_only.stripe = false;
  CardReader r;
  r.present(chip_only, CardEntry::swipe);
  EXPECT_EQ(r.read_stripe().status, StripeStatus::no_stripe);
}

TEST(CardReader, GoodReadsCarryTheCardData) {
  CardReader r;
  const CardProfile& visa = card("visa-chip");
  r.present(visa, CardEntry::insert);
  const ChipRead chip = r.read_chip();
  ASSERT_TRUE(chip.data.has_value());
  EXPECT_EQ(chip.data->pan, visa.pan);
  EXPECT_EQ(chip.data->expiry, "3012");
  EXPECT_EQ(chip.data->service_code, "201");
  EXPECT_EQ(chip.data->track2, visa.track2());

  r.present(visa, CardEntry::swipe);
  const StripeRead stripe = r.read_stripe();
  EXPECT_EQ(stripe.track2, visa.track2());
  // A swiped chip card is recognisable by its service code (DOMAIN rule 8): the core's check.
  EXPECT_TRUE(r.card()->profile.chip_required());
}

TEST(CardReader, CountsAttemptsPerPresentation) {
  CardReader r;
  r.present(card("visa-chip"), CardEntry::insert, CardDamage::chip_mute);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(r.read_chip().status, ChipStatus::mute);
  EXPECT_EQ(r.chip_attempts(), 3);
  EXPECT_EQ(r.stripe_attempts(), 0);
  // Fallback: the operator swipes the same card; counters start again.
  r.present(card("visa-chip"), CardEntry::swipe);
  EXPECT_EQ(r.chip_attempts(), 0);
  EXPECT_EQ(r.read_stripe().status, StripeStatus::ok);
  EXPECT_EQ(r.stripe_attempts(), 1);
  // Counts survive removal, so a test can check them afterwards.
  EXPECT_TRUE(r.remove());
  EXPECT_EQ(r.stripe_attempts(), 1);
}

TEST(CardReader, IntermittentChipSucceedsAfterItsFailures) {
  CardReader r;
  r.present(card("unionpay-chip"), CardEntry::insert, CardDamage::chip_intermittent, 2);
  EXPECT_EQ(r.read_chip().status, ChipStatus::mute);
  EXPECT_EQ(r.read_chip().status, ChipStatus::mute);
  EXPECT_EQ(r.read_chip().status, ChipStatus::ok);
  EXPECT_EQ(r.read_chip().status, ChipStatus::ok);
  EXPECT_EQ(r.chip_attempts(), 4);
  EXPECT_THROW(r.present(card("visa-chip"), CardEntry::insert, CardDamage::chip_intermittent, 0),
               std::invalid_argument);
}

TEST(CardReader, EventsPresentReplaceRemove) {
  CardReader r;
  r.present(card("visa-chip"), CardEntry::insert);
  r.present(card("visa-chip"), CardEntry::swipe);  // taken out of the slot, then swiped
  EXPECT_TRUE(r.remove());
  std::vector<std::string> seen;
  for (;;) {
    const Waited<CardEvent> e = r.wait_event(after(0ms));
    if (!e.ok()) break;
    seen.push_back(std::string(to_string(e.value->kind)) + ":" + to_string(e.value->how) + ":" +
                   e.value->card);
  }
  EXPECT_EQ(seen,
            (std::vector<std::string>{"presented:insert:visa-chip", "removed:insert:visa-chip",
                                      "presented:swipe:visa-chip", "removed:swipe:visa-chip"}));
  r.present(card("mag-only"), CardEntry::swipe);
  r.clear_events();
  EXPECT_EQ(r.wait_event(after(0ms)).status, WaitStatus::timeout);
  EXPECT_TRUE(r.has_card());  // the state query still shows the card
}

TEST(CardReader, WaitForCardWithDeadline) {
  CardReader r;
  const auto t0 = Clock::now();
  EXPECT_EQ(r.wait_event(after(30ms)).status, WaitStatus::timeout);
  EXPECT_GE(Clock::now() - t0, 30ms);

  // The control thread inserts while the terminal thread waits.
  std::thread robot([&] { r.present(card("visa-chip"), CardEntry::tap); });
  const Waited<CardEvent> e = r.wait_event(after(10s));
  robot.join();
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e.value->kind, CardEventKind::presented);
  EXPECT_EQ(e.value->how, CardEntry::tap);

  std::thread power([&] { r.interrupt(); });
  EXPECT_EQ(r.wait_event(after(10s)).status, WaitStatus::interrupted);
  power.join();
  r.resume();
  EXPECT_EQ(r.wait_event(after(0ms)).status, WaitStatus::timeout);
}

// ---------------------------------------------------------------------------------------------

TEST(Keypad, ValidatesKeysAllOrNothing) {
  Keypad k;
  EXPECT_TRUE(valid_key("0"));
  EXPECT_TRUE(valid_key("CLEAR"));
  EXPECT_FALSE(valid_key("10"));
  EXPECT_FALSE(valid_key("enter"));
  try {
    k.press({"1", "2", "OK"});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "unknown key 'OK' (valid: 0-9, ENTER, CANCEL, CLEAR)");
  }
  EXPECT_EQ(k.pending(), 0u);
  k.press({"7", "ENTER"});
  EXPECT_EQ(k.pending(), 2u);
  EXPECT_EQ(k.next_key(after(1s)).value, "7");
  EXPECT_EQ(k.next_key(after(1s)).value, "ENTER");
  EXPECT_EQ(k.next_key(after(0ms)).status, WaitStatus::timeout);
}

TEST(Keypad, ReadPinPaths) {
  struct Case {
    std::vector<std::string> keys;
    EntryStatus status;
    std::string pin;
  };
  const std::vector<Case> cases = {
      {{"1", "2", "3", "4", "ENTER"}, EntryStatus::entered, "1234"},
      {{"9", "9", "CLEAR", "1", "2", "3", "4", "ENTER"}, EntryStatus::entered, "1234"},
      // ENTER with too few digits is ignored; the entry goes on.
      {{"1", "2", "ENTER", "3", "4", "ENTER"}, EntryStatus::entered, "1234"},
      {{"1", "2", "CANCEL", "3", "4", "ENTER"}, EntryStatus::cancelled, ""},
      {{"CLEAR", "8", "8", "8", "8", "8", "8", "ENTER"}, EntryStatus::entered, "888888"},
      // The 13th digit is ignored.
      {{"1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "1", "2", "3", "ENTER"},
       EntryStatus::entered,
       "123456789012"},
      {{"1", "2", "3"}, EntryStatus::timeout, ""},
  };
  for (const auto& c : cases) {
    Keypad k;
    k.press(c.keys);
    const Entry e = k.read_pin(after(40ms));
    EXPECT_EQ(e.status, c.status) << to_string(e.status);
    EXPECT_EQ(e.digits, c.pin);
  }
}

TEST(Keypad, ReadDigitsReportsProgressAndLeavesLaterKeys) {
  Keypad k;
  k.press({"2", "8", "CLEAR", "2", "8", "6", "ENTER", "5"});
  std::vector<std::size_t> progress;
  const Entry e = k.read_digits(after(1s), 3, 24, [&](std::size_t n) { progress.push_back(n); });
  EXPECT_EQ(e.status, EntryStatus::entered);
  EXPECT_EQ(e.digits, "286");
  EXPECT_EQ(progress, (std::vector<std::size_t>{1, 2, 0, 1, 2, 3}));
  EXPECT_EQ(k.pending(), 1u);  // the key after ENTER belongs to the next entry
  k.clear();
  EXPECT_EQ(k.pending(), 0u);
}

TEST(Keypad, PinTypedWhileWaitingAndInterrupt) {
  Keypad k;
  std::thread robot([&] { k.press({"4", "3", "2", "1", "ENTER"}); });
  const Entry e = k.read_pin(after(10s));
  robot.join();
  EXPECT_EQ(e.status, EntryStatus::entered);
  EXPECT_EQ(e.digits, "4321");

  std::thread power([&] { k.interrupt(); });
  EXPECT_EQ(k.read_pin(after(10s)).status, EntryStatus::interrupted);
  power.join();
  k.resume();
  EXPECT_EQ(k.read_pin(after(0ms)).status, EntryStatus::timeout);
}

}  // namespace
}  // namespace vterm
