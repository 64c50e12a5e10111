// vterm's words (fixtures/sim/vterm/wording.h) against the terminal profiles that describe them:
// fixtures/profiles/vterm.yaml matches vterm's default texts, vterm-alt.yaml the texts
// fixtures/benches/virtual-alt.yaml gives it, and the default (neutral) patterns match both.
#include <gtest/gtest.h>

#include "fixtures/sim/vterm/records.h"
#include "fixtures/sim/vterm/wording.h"
#include "rig/bench/bench.h"
#include "rig/bench/profile.h"

namespace vterm {
namespace {

using rig::bench::TerminalProfile;
using rig::bench::wording_matches;

// The texts a vterm with `w` produces for each wording name of a profile, for a sale of 51.00.
std::map<std::string, std::string> texts_of(const Wording& w, const std::string& currency) {
  auto declined = [&](const char* rc, const char* reason) {
    return w.say("declined", {{"rc", rc}, {"reason", reason}});
  };
  TxnRecord r;
  r.id = "T1";
  r.amount = "51.00";
  r.currency = currency;
  r.status = "APPROVED";
  r.stan = "000001";
  const auto receipt =
      receipt_lines(r, {"RIG00001", "M1", "2026-01-01 10:00:00",
                        w.say("receipt_amount", {{"amount", r.amount}, {"currency", currency}})});
  std::vector<std::string> duplicate = receipt;
  duplicate.insert(duplicate.begin(), w.say("duplicate"));
  return {
      {"approved_result", w.say("approved")},
      {"declined_result", declined("05", "DO NOT HONOUR")},
      {"insufficient_funds_result", declined("51", "INSUFFICIENT FUNDS")},
      {"expired_card_result", declined("54", "EXPIRED CARD")},
      {"restricted_card_result", declined("62", "RESTRICTED CARD")},
      {"query_settled_result", w.say("query_settled")},
      {"approved_display", w.say("approved")},
      {"declined_display", declined("51", "INSUFFICIENT FUNDS")},
      {"pin_blocked_display", w.say("pin_blocked")},
      {"last_pin_try_display", "WRONG PIN|" + w.say("last_pin_try")},
      {"reversal_failed_display", w.say("reversal_failed")},
      {"locked_display", w.say("locked")},
      {"paper_out_display", w.say("paper_out")},
      {"receipt_amount", join_lines(receipt)},
      {"duplicate_marker", join_lines(duplicate)},
  };
}

// The wording of the alternative virtual bench: its vterms' --text options.
Wording alt_wording() {
  auto bench = rig::bench::load_bench(POSRIG_SOURCE_DIR "/fixtures/benches/virtual-alt.yaml");
  const auto& argv = bench.stations.at(0).terminal.launch.argv;
  Wording w;
  for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] != "--text") continue;
    const auto eq = argv[i + 1].find('=');
    EXPECT_EQ(w.set(argv[i + 1].substr(0, eq), argv[i + 1].substr(eq + 1)), std::nullopt);
  }
  return w;
}

void expect_profile_matches(const TerminalProfile& p, const Wording& w, const std::string& currency,
                            const std::string& label) {
  const auto texts = texts_of(w, currency);
  ASSERT_EQ(texts.size(), rig::bench::profile_wording().size());
  for (const auto& [name, text] : texts) {
    EXPECT_TRUE(wording_matches(p, name, text, {"51.00", currency}))
        << label << ": " << name << " /"
        << rig::bench::wording_pattern(p, name, {"51.00", currency}) << "/ does not match \""
        << text << "\"";
  }
  // The amount is the sale's, not any amount; approvals and declines are told apart.
  EXPECT_FALSE(wording_matches(p, "receipt_amount", texts.at("receipt_amount"), {"1.00", currency}))
      << label;
  EXPECT_FALSE(wording_matches(p, "approved_result", texts.at("declined_result"))) << label;
  EXPECT_FALSE(wording_matches(p, "declined_result", texts.at("approved_result"))) << label;
  EXPECT_FALSE(wording_matches(p, "approved_display", texts.at("declined_display"))) << label;
  EXPECT_FALSE(wording_matches(p, "declined_display", texts.at("approved_display"))) << label;
}

TEST(VtermWording, ProfilesMatchTheWordsOfTheirTerminals) {
  const auto vterm = rig::bench::load_profile(POSRIG_SOURCE_DIR "/fixtures/profiles/vterm.yaml");
  const auto alt = rig::bench::load_profile(POSRIG_SOURCE_DIR "/fixtures/profiles/vterm-alt.yaml");
  expect_profile_matches(vterm, Wording(), vterm.currency, "vterm.yaml");
  expect_profile_matches(alt, alt_wording(), alt.currency, "vterm-alt.yaml");
  // The two profiles really differ: vterm's patterns do not fit the alternative words.
  EXPECT_FALSE(wording_matches(vterm, "locked_display", alt_wording().say("locked")));
  EXPECT_FALSE(wording_matches(alt, "locked_display", Wording().say("locked")));
}

TEST(VtermWording, DefaultPatternsMatchBothTerminals) {
  TerminalProfile neutral;
  expect_profile_matches(neutral, Wording(), "156", "defaults with vterm's words");
  expect_profile_matches(neutral, alt_wording(), "978", "defaults with vterm-alt's words");
}

TEST(VtermWording, TemplatesAreChecked) {
  Wording w;
  EXPECT_EQ(w.say("declined", {{"rc", "51"}, {"reason", "INSUFFICIENT FUNDS"}}),
            "DECLINED 51 INSUFFICIENT FUNDS");
  EXPECT_EQ(w.say("receipt_amount", {{"amount", "1.00"}, {"currency", "156"}}), "AMOUNT 1.00 156");
  EXPECT_EQ(w.set("declined", "No {total}"),
            "declined: unknown placeholder {total} (known: {rc}, {reason})");
  EXPECT_EQ(w.set("approved", "OK {amount}"),
            "approved: unknown placeholder {amount} (known: none)");
  EXPECT_EQ(w.set("approved", ""), "approved: empty");
  EXPECT_EQ(w.set("approved", "caf\xc3\xa9"), "approved: only printable ASCII");
  EXPECT_EQ(w.set("aproved", "x").value().substr(0, 37), "unknown text 'aproved' (known: approv");
  EXPECT_EQ(w.set("approved", "Accepted"), std::nullopt);
  EXPECT_EQ(w.say("approved"), "Accepted");
}

}  // namespace
}  // namespace vterm
