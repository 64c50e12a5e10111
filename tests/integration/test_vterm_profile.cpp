// vterm behaves per its configured figures and words: started with the options that
// fixtures/benches/virtual-alt.yaml gives it (the figures of fixtures/profiles/vterm-alt.yaml
// and its --text words), it polls the wallet 5 times 5 s apart, reads a chip twice before the
// fallback, sends a reversal 5 times, waits 60 s for the host, prints its own receipt line and
// uses its own passwords — and what it says matches that profile's wording patterns.
#include "fixtures/sim/vterm/options.h"
#include "rig/bench/bench.h"
#include "rig/bench/profile.h"
#include "rig/bench/variables.h"
#include "tests/integration/vterm_bench.h"

namespace vterm_it {
namespace {

using rig::bench::TerminalProfile;

constexpr double kScale = 0.05;

const rig::bench::Bench& alt_bench() {
  static const rig::bench::Bench b =
      rig::bench::load_bench(POSRIG_SOURCE_DIR "/fixtures/benches/virtual-alt.yaml");
  return b;
}

const TerminalProfile& alt_profile() { return alt_bench().stations.at(0).terminal.profile; }

// The vterm options of virtual-alt.yaml's first station from --host-timeout on (its profile's
// figures and its words), with ${profile.NAME} expanded as the bench expands them.
std::vector<std::string> alt_options() {
  const auto& argv = alt_bench().stations.at(0).terminal.launch.argv;
  auto first = std::find(argv.begin(), argv.end(), "--host-timeout");
  EXPECT_NE(first, argv.end());
  rig::bench::Variables vars;
  for (const auto& [k, v] : rig::bench::profile_variables(alt_profile())) vars.set(k, v);
  return vars.expand(std::vector<std::string>(first, argv.end()));
}

// Real milliseconds of a bench duration under kScale.
milliseconds scaled(milliseconds d) {
  return milliseconds(static_cast<std::int64_t>(static_cast<double>(d.count()) * kScale));
}

// Gaps between the arrivals of the messages at `indexes`.
std::vector<milliseconds> gaps(const EcrTap& tap, const std::vector<std::size_t>& indexes) {
  std::vector<milliseconds> out;
  for (std::size_t i = 1; i < indexes.size(); ++i) {
    out.push_back(
        std::chrono::duration_cast<milliseconds>(tap.at(indexes[i]) - tap.at(indexes[i - 1])));
  }
  return out;
}

class VtermProfile : public VBench {
 protected:
  void start_alt() {
    BenchOptions o;
    o.time_scale = kScale;
    o.extra = alt_options();
    o.currency = alt_profile().currency;
    start(o);
  }
  bool says(const std::string& wording, const std::string& text, const std::string& amount = "") {
    return rig::bench::wording_matches(alt_profile(), wording, text, {amount, ""});
  }
};

// The options the bench gives vterm are its profile's figures (test_bench_load checks the
// figures themselves).
TEST_F(VtermProfile, BenchPassesTheProfilesFiguresToVterm) {
  auto opts = alt_options();
  for (const auto& f : rig::bench::profile_figures()) {
    auto at = std::find(opts.begin(), opts.end(), vterm::figure_option(f.name));
    ASSERT_NE(at, opts.end()) << f.name;
    EXPECT_EQ(*(at + 1), rig::bench::figure_text(alt_profile(), f.name)) << f.name;
  }
}

// Rule 13 with 5 queries 5 s apart, rule 14 with 2 reverse attempts.
TEST_F(VtermProfile, WalletIsQueriedFiveTimesFiveSecondsApart) {
  start_alt();
  script({{"target", "wallet"}, {"action", "userpaying"}, {"seconds", 80000}, {"count", 1}});
  script({{"target", "wallet"}, {"action", "reverse_fail"}, {"endpoint", "reverse"}});
  const std::size_t from = ecr().mark();
  sale("Q1", "43.00", "qr");
  expect_prompt("SCAN_CODE", from);
  present("134567890123456789");
  Message r = result("Q1", from);
  EXPECT_EQ(r.get("status"), "UNKNOWN") << ecr().transcript(from);
  const auto queries = ecr().indexes(is_event("WALLET_QUERY"), from);
  EXPECT_EQ(queries.size(), static_cast<std::size_t>(alt_profile().wallet_queries));
  for (auto gap : gaps(ecr(), queries)) {
    EXPECT_GE(gap.count(), scaled(alt_profile().wallet_query_interval).count() * 9 / 10);
  }
  EXPECT_EQ(ecr().count(is_event("WALLET_REVERSE"), from),
            static_cast<std::size_t>(alt_profile().reverse_attempts));
  EXPECT_EQ(host_messages("POST /orderquery", "wallet").size(), 5u);
}

// Rule 7 with 2 chip reads; rule 9 with 2 failed swipes.
TEST_F(VtermProfile, ChipIsReadTwiceThenTheSwipeIsAFallback) {
  start_alt();
  std::size_t from = ecr().mark();
  sale("C1", "11.00");
  expect_prompt("PRESENT_CARD", from);
  card("insert", "visa-chip", "chip_mute");
  const std::size_t swipe = index_of(is_prompt("SWIPE"), "PROMPT SWIPE", from);
  EXPECT_EQ(ecr().count(is_event("CHIP_READ_FAILED"), from), 2u);
  card("swipe", "visa-chip");
  expect_prompt("PIN", swipe);
  keys("1234");
  Message r = result("C1", from);
  EXPECT_EQ(r.get("status"), "APPROVED");
  EXPECT_EQ(r.get("entry"), "fallback");

  from = ecr().mark();
  sale("C2", "12.00");
  expect_prompt("PRESENT_CARD", from);
  card("swipe", "mag-only", "mag_garbled");
  expect_prompt("RETRY_CARD", from);
  card("swipe", "mag-only", "mag_garbled");
  Message failed = result("C2", from);
  EXPECT_EQ(failed.get("status"), "FAILED");
  EXPECT_EQ(failed.get("rc"), "CE");
  EXPECT_EQ(ecr().count(is_event("STRIPE_READ_FAILED"), from), 2u);
}

// Rule 3 with 5 attempts, 2 s apart; the alert in the terminal's own words.
TEST_F(VtermProfile, ReversalIsSentFiveTimesThenTheAlert) {
  start_alt();
  script({{"target", "iso"}, {"action", "no_response"}, {"count", 1}});
  ASSERT_EQ(card_sale("R1", "40.00").get("rc"), "TO");
  script({{"target", "iso"}, {"action", "refuse_reversal"}, {"answer", "96"}});
  const std::size_t from = ecr().mark();
  EXPECT_EQ(card_sale("R2", "3.00").get("status"), "APPROVED");
  const auto sent = ecr().indexes(is_event("REVERSAL_SENT"), from);
  EXPECT_EQ(sent.size(), 5u);
  for (auto gap : gaps(ecr(), sent)) {
    EXPECT_GE(gap.count(), scaled(alt_profile().reversal_interval).count() * 9 / 10);
  }
  EXPECT_EQ(host_messages("0400").size(), 1u);
  EXPECT_EQ(host_messages("0401").size(), 4u);
  Message failed = expect(is_event("REVERSAL_FAILED"), "REVERSAL_FAILED", from);
  EXPECT_EQ(failed.get("attempt"), "5");
  Message shown = expect(is_display("help desk"), "DISPLAY of the alert", from);
  EXPECT_TRUE(says("reversal_failed_display", shown.get("text").value_or("")));
}

// Rule 1 with a 60 s host timeout: a 45 s answer is taken, a 65 s one is not waited for.
TEST_F(VtermProfile, HostTimeoutIsSixtySeconds) {
  start_alt();
  script({{"target", "iso"},
          {"action", "delay"},
          {"ms", scaled(milliseconds(45000)).count()},
          {"count", 1}});
  std::size_t from = ecr().mark();
  EXPECT_EQ(card_sale("H1", "7.00").get("status"), "APPROVED");
  EXPECT_EQ(ecr().count(is_event("REVERSAL_STORED"), from), 0u);

  script({{"target", "iso"},
          {"action", "delay"},
          {"ms", scaled(milliseconds(65000)).count()},
          {"count", 1}});
  from = ecr().mark();
  Message r = card_sale("H2", "70.00");
  EXPECT_EQ(r.get("status"), "FAILED");
  EXPECT_EQ(r.get("rc"), "TO");
  const std::size_t online = index_of(is_display("PROCESSING"), "DISPLAY PROCESSING", from);
  const std::size_t done = index_of(is_result("H2"), "RESULT H2", from);
  const auto waited = std::chrono::duration_cast<milliseconds>(ecr().at(done) - ecr().at(online));
  EXPECT_GE(waited.count(), scaled(alt_profile().host_timeout).count() * 95 / 100);
  expect(is_event("REVERSAL_STORED"), "REVERSAL_STORED", from);
}

// The same 45 s answer is too late for vterm's default 30 s.
TEST_F(VtermProfile, DefaultHostTimeoutIsThirtySeconds) {
  start({kScale});
  script({{"target", "iso"},
          {"action", "delay"},
          {"ms", scaled(milliseconds(45000)).count()},
          {"count", 1}});
  const std::size_t from = ecr().mark();
  EXPECT_EQ(card_sale("H1", "7.00").get("status"), "FAILED");
  expect(is_event("REVERSAL_STORED"), "REVERSAL_STORED", from);
}

// Currency, receipt line, approval and decline words.
TEST_F(VtermProfile, CurrencyReceiptAndWordsAreTheTerminals) {
  start_alt();
  const std::string currency = alt_profile().currency;
  std::size_t from = ecr().mark();
  Message wrong("SALE");
  wrong.set("id", "W1").set("amount", "1.00").set("currency", "156").set("method", "card");
  send(wrong);
  Message refused = result("W1", from);
  EXPECT_EQ(refused.get("rc"), "IV");
  EXPECT_EQ(refused.get("text"), "currency 156 is not the terminal's (" + currency + ")");

  from = ecr().mark();
  Message r = card_sale("A1", "12.34");
  EXPECT_EQ(r.get("status"), "APPROVED");
  EXPECT_EQ(r.get("text"), "Transaction accepted");
  EXPECT_TRUE(says("approved_result", r.get("text").value_or("")));
  Message slip = expect(is_receipt("A1"), "RECEIPT A1", from);
  const std::string text = slip.get("text").value_or("");
  EXPECT_NE(text.find("Total " + currency + " 12.34"), std::string::npos) << text;
  EXPECT_TRUE(says("receipt_amount", text, "12.34")) << text;
  EXPECT_FALSE(says("receipt_amount", text, "2.34")) << text;
  auto requests = host_messages("0200");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(field(requests[0], 49), currency);

  from = ecr().mark();
  Message declined = card_sale("D1", "25.00", "low-balance");
  EXPECT_EQ(declined.get("status"), "DECLINED");
  EXPECT_EQ(declined.get("text"), "Refused (51): INSUFFICIENT FUNDS");
  EXPECT_TRUE(says("insufficient_funds_result", declined.get("text").value_or("")));
  EXPECT_TRUE(says("declined_result", declined.get("text").value_or("")));
  Message shown = expect(is_display("Refused"), "DISPLAY of the decline", from);
  EXPECT_TRUE(says("declined_display", shown.get("text").value_or("")));
  EXPECT_FALSE(says("approved_display", shown.get("text").value_or("")));
}

// Rule 21 with 4 tries and the terminal's own passwords.
TEST_F(VtermProfile, OperatorTriesAndPasswordsAreTheTerminals) {
  start_alt();
  const TerminalProfile& p = alt_profile();
  const std::size_t from = ecr().mark();
  command("LOGIN", "O1");
  std::size_t at = from;
  for (int i = 0; i < p.operator_tries; ++i) {
    at = index_of(is_prompt("OPERATOR_PASSWORD"), "PROMPT OPERATOR_PASSWORD", at) + 1;
    EXPECT_EQ(ecr().count(is_event("LOCKED"), from), 0u) << "locked after " << i << " tries";
    keys("0000");  // vterm's default password is not this terminal's
  }
  expect(is_event("LOCKED"), "EVENT LOCKED", from);
  Message locked = result("O1", from);
  EXPECT_EQ(locked.get("rc"), "LK");
  EXPECT_TRUE(says("locked_display", locked.get("text").value_or("")));
  command("UNLOCK", "U1");
  const std::size_t unlock = index_of(is_prompt("OPERATOR_PASSWORD"), "UNLOCK prompt", at);
  keys(p.supervisor_password);
  EXPECT_EQ(result("U1", unlock).get("status"), "APPROVED");
  command("LOGIN", "O2");
  expect_prompt("OPERATOR_PASSWORD", unlock + 1);
  keys(p.operator_password);
  EXPECT_EQ(result("O2", unlock).get("status"), "APPROVED");
}

}  // namespace
}  // namespace vterm_it
