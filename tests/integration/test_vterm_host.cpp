// vterm's host link (DOMAIN rules 1-6): response timeout, stored reversals and their resends,
// field 90, response matching, no retry under a new STAN, reversals across a power cut. Every
// rule runs twice: on the correct terminal (it holds) and with the --bug that breaks it.
#include <atomic>

#include "rig/link/tcp.h"
#include "rig/protocol/iso8583.h"
#include "tests/integration/vterm_bench.h"

namespace vterm_it {
namespace {

namespace iso = rig::protocol::iso8583;

class VtermHost : public CorrectOrBuggy {
 protected:
  // The 0200 the host saw for `stan`.
  std::string financial(const std::string& stan) {
    for (const auto& m : host_messages("0200")) {
      if (field(m, 11) == stan) return m;
    }
    ADD_FAILURE() << "no 0200 with STAN " << stan;
    return "";
  }
};

// Rule 1: no answer -> FAILED, reversal stored, sent (0400, 39=98) before the next sale.
TEST_P(VtermHost, Rule1NoResponseStoresAReversalSentBeforeTheNextSale) {
  start_with("no-reversal");
  script({{"target", "iso"}, {"action", "no_response"}, {"count", 1}});
  const std::size_t from = ecr().mark();
  Message r1 = card_sale("T1", "10.00");
  EXPECT_EQ(r1.get("status"), "FAILED");
  EXPECT_EQ(r1.get("rc"), "TO");
  Message r2 = card_sale("T2", "1.00");
  EXPECT_EQ(r2.get("status"), "APPROVED");
  json l = ledger();
  if (!buggy()) {
    EXPECT_LT(index_of(is_event("REVERSAL_STORED"), "REVERSAL_STORED", from),
              index_of(is_result("T1"), "RESULT T1", from));
    const std::size_t acked = index_of(is_event("REVERSAL_ACKED"), "REVERSAL_ACKED", from);
    EXPECT_LT(acked, index_of(is_result("T2"), "RESULT T2", from));
    auto reversals = host_messages("0400");
    ASSERT_EQ(reversals.size(), 1u);
    EXPECT_EQ(field(reversals[0], 39), "98") << reversals[0];
    EXPECT_EQ(field(reversals[0], 11), "000001");
    EXPECT_EQ(field(reversals[0], 90),
              "0200000001" + field(financial("000001"), 7) + std::string(22, '0'));
    EXPECT_EQ(l["net"], "1.00") << l.dump();
    EXPECT_EQ(l["reversals"], 1);
  } else {
    EXPECT_EQ(ecr().count(is_event("REVERSAL_STORED"), from), 0u);
    EXPECT_TRUE(host_messages("0400").empty());
    EXPECT_EQ(l["net"], "11.00") << "the unanswered sale stays charged: " << l.dump();
    EXPECT_EQ(l["reversals"], 0);
  }
}

// Rule 2: field 90 names the original; a repeat (0401) keeps the STAN and field 90.
TEST_P(VtermHost, Rule2ReversalNamesTheOriginalAndRepeatsKeepIt) {
  start_with("fields-90-wrong", 0.03);
  script({{"target", "iso"}, {"action", "no_response"}, {"count", 1}});
  ASSERT_EQ(card_sale("T1", "10.00").get("rc"), "TO");
  const std::string original_7 = field(financial("000001"), 7);
  if (!buggy()) {
    // The first reversal goes unanswered, so it is repeated.
    script({{"target", "iso"}, {"action", "refuse_reversal"}, {"count", 1}});
    EXPECT_EQ(card_sale("T2", "1.00").get("status"), "APPROVED");
    auto first = host_messages("0400");
    auto repeat = host_messages("0401");
    ASSERT_EQ(first.size(), 1u);
    ASSERT_EQ(repeat.size(), 1u);
    const std::string expected_90 = "0200000001" + original_7 + std::string(22, '0');
    EXPECT_EQ(field(first[0], 90), expected_90);
    EXPECT_EQ(field(repeat[0], 90), expected_90);
    EXPECT_EQ(field(first[0], 11), "000001");
    EXPECT_EQ(field(repeat[0], 11), "000001");
    json l = ledger();
    EXPECT_EQ(l["reversals"], 1) << l.dump();
    EXPECT_EQ(l["net"], "1.00");
  } else {
    EXPECT_EQ(card_sale("T2", "1.00").get("status"), "APPROVED");
    auto first = host_messages("0400");
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(field(first[0], 90).substr(0, 10), "0200000002") << "the defect names STAN+1";
    json l = ledger();
    EXPECT_EQ(l["reversals"], 0) << "the host found no original: " << l.dump();
    EXPECT_EQ(l["net"], "11.00");
  }
}

// Rule 3: resends are bounded (3); when they run out the terminal alerts and keeps the record.
TEST_P(VtermHost, Rule3ExhaustedReversalAlertsAndIsKeptAsEvidence) {
  start_with("reversal-deleted-silently", 0.03);
  script({{"target", "iso"}, {"action", "no_response"}, {"count", 1}});
  ASSERT_EQ(card_sale("T1", "10.00").get("rc"), "TO");
  script({{"target", "iso"}, {"action", "refuse_reversal"}, {"count", 3}});
  const std::size_t from = ecr().mark();
  EXPECT_EQ(card_sale("T2", "1.00").get("status"), "APPROVED");
  EXPECT_EQ(host_messages("0400").size(), 1u);
  EXPECT_EQ(host_messages("0401").size(), 2u);
  EXPECT_EQ(ecr().count(is_event("REVERSAL_SENT"), from), 3u);
  json s = state();
  EXPECT_EQ(s["pending_reversals"], 0);
  if (!buggy()) {
    Message failed = expect(is_event("REVERSAL_FAILED"), "REVERSAL_FAILED", from);
    EXPECT_EQ(failed.get("stan"), "000001");
    EXPECT_EQ(failed.get("attempt"), "3");
    expect(is_prompt("CONTACT_SUPPORT"), "PROMPT CONTACT_SUPPORT", from);
    expect(is_display("REVERSAL FAILED"), "DISPLAY REVERSAL FAILED", from);
    ASSERT_EQ(s["failed_reversals"].size(), 1u) << s.dump();
    EXPECT_EQ(s["failed_reversals"][0]["stan"], "000001");
    command("STATUS", "S1");
    EXPECT_EQ(expect(is_named("STATUS"), "STATUS", from).get("failed_reversals"), "1");
  } else {
    EXPECT_EQ(ecr().count(is_event("REVERSAL_FAILED"), from), 0u);
    EXPECT_EQ(ecr().count(is_prompt("CONTACT_SUPPORT"), from), 0u);
    EXPECT_TRUE(s["failed_reversals"].empty()) << s.dump();
  }
}

// Rules 2-3: a reversal the host refuses (0410 with an error code: 03, 12, 30, 64, 96) is not
// done: it is repeated as a 0401 until the host answers 00; 25 (no such original) clears it.
TEST_P(VtermHost, Rule3RefusedReversalIsRepeatedUntilApplied) {
  start_with("reversal-refusal-taken-as-done", 0.03);
  script({{"target", "iso"}, {"action", "no_response"}, {"count", 1}});
  ASSERT_EQ(card_sale("T1", "10.00").get("rc"), "TO");
  script({{"target", "iso"}, {"action", "decline"}, {"rc", "64"}, {"mti", "0400"}, {"count", 1}});
  const std::size_t from = ecr().mark();
  EXPECT_EQ(card_sale("T2", "1.00").get("status"), "APPROVED");
  EXPECT_EQ(host_messages("0400").size(), 1u);
  json l = ledger();
  if (!buggy()) {
    EXPECT_EQ(host_messages("0401").size(), 1u);
    EXPECT_EQ(ecr().count(is_event("REVERSAL_SENT"), from), 2u);
    EXPECT_EQ(l["reversals"], 1) << l.dump();
    EXPECT_EQ(l["net"], "1.00") << l.dump();
  } else {
    EXPECT_TRUE(host_messages("0401").empty());
    EXPECT_EQ(l["reversals"], 0) << l.dump();
    EXPECT_EQ(l["net"], "11.00") << "the refused reversal left the debit: " << l.dump();
  }
}

// An acquirer that answers every 0200 "approved" under the wrong STAN (rule 4) and
// acknowledges reversals properly.
class MismatchingHost {
 public:
  MismatchingHost() {
    auto st = listener_.listen();
    EXPECT_TRUE(st.ok()) << st.message;
    thread_ = std::thread([this] { run(); });
  }
  ~MismatchingHost() {
    stop_ = true;
    listener_.abort();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (current_) current_->abort();
    }
    thread_.join();
  }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(listener_.port()); }
  int financial() const { return financial_.load(); }
  int reversals() const { return reversals_.load(); }

 private:
  void run() {
    while (!stop_) {
      auto accepted = listener_.accept(rig::link::after(std::chrono::hours(1)));
      if (!accepted.status.ok()) return;
      {
        std::lock_guard<std::mutex> lock(mu_);
        current_ = accepted.link.get();
      }
      serve(*accepted.link);
      std::lock_guard<std::mutex> lock(mu_);
      current_ = nullptr;
    }
  }
  void serve(rig::link::Link& link) {
    iso::Deframer deframer;
    for (;;) {
      auto chunk = link.read(rig::link::after(std::chrono::hours(1)));
      if (!chunk.status.ok()) return;
      deframer.feed(chunk.bytes);
      while (auto body = deframer.pop()) {
        auto d = iso::decode(*body);
        if (!d.ok) continue;
        const iso::Message& req = d.message;
        iso::Message resp;
        resp.mti = iso::response_mti(req.mti).value_or("0810");
        for (int f : {3, 4, 7, 11, 41, 42, 49}) {
          if (req.has(f)) resp.set(f, req.get(f));
        }
        resp.set(39, "00");
        if (req.mti == "0200") {
          ++financial_;
          resp.set(11, req.get(11) == "000001" ? "000002" : "000001");
          resp.set(37, "000000000001");
          resp.set(38, "AB1234");
        } else {
          ++reversals_;
        }
        link.write(iso::frame(iso::encode(resp)), rig::link::after(5s));
      }
    }
  }

  rig::link::TcpListener listener_;
  std::atomic<bool> stop_{false};
  std::atomic<int> financial_{0};
  std::atomic<int> reversals_{0};
  std::mutex mu_;
  rig::link::Link* current_ = nullptr;
  std::thread thread_;
};

// Rule 4: a response whose STAN does not match is rejected, never applied.
TEST_P(VtermHost, Rule4MismatchedResponseIsRejected) {
  MismatchingHost host;
  BenchOptions o;
  o.host = host.endpoint();
  if (buggy()) o.bugs = {"accepts-mismatched-response"};
  start(o);
  const std::size_t from = ecr().mark();
  Message r = card_sale("T1", "10.00");
  EXPECT_EQ(host.financial(), 1);
  if (!buggy()) {
    Message rejected = expect(is_event("RESPONSE_REJECTED"), "RESPONSE_REJECTED", from);
    EXPECT_NE(rejected.get("detail").value_or("").find("field 11"), std::string::npos)
        << describe(rejected);
    EXPECT_EQ(r.get("status"), "FAILED");
    EXPECT_EQ(r.get("rc"), "TO");
    expect(is_event("REVERSAL_STORED"), "REVERSAL_STORED", from);
  } else {
    EXPECT_EQ(r.get("status"), "APPROVED") << "the defect applied a foreign response";
    EXPECT_EQ(ecr().count(is_event("RESPONSE_REJECTED"), from), 0u);
  }
}

// Rule 5: a timed-out sale is never retried as a new sale with a new STAN.
TEST_P(VtermHost, Rule5TimedOutSaleIsNotRetriedUnderANewStan) {
  start_with("new-stan-on-retry");
  script({{"target", "iso"}, {"action", "no_response"}, {"count", 1}});
  Message r = card_sale("T1", "10.00");
  auto sent = host_messages("0200");
  json l = ledger();
  if (!buggy()) {
    EXPECT_EQ(r.get("status"), "FAILED");
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(l["debits"], 1) << "only the unanswered one, to be reversed: " << l.dump();
  } else {
    EXPECT_EQ(r.get("status"), "APPROVED");
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_NE(field(sent[0], 11), field(sent[1], 11));
    EXPECT_EQ(l["debits"], 2) << "double charge: " << l.dump();
    EXPECT_EQ(l["net"], "20.00");
  }
}

// Rule 6: power cut while the 0200 is out; on restart the reversal is still there and sent.
TEST_P(VtermHost, Rule6PowerCutDuringOnlineSaleReversalSurvives) {
  start_with("reversal-lost-on-power-cut");
  script({{"target", "iso"}, {"action", "no_response"}, {"count", 1}});
  const std::size_t from = ecr().mark();
  sale("T1", "10.00");
  expect_prompt("PRESENT_CARD", from);
  card("insert", "visa-chip");
  expect_prompt("PIN", from);
  keys("1234");
  ASSERT_TRUE(wait_host_message("0200")) << "the sale never reached the host";
  ctl({{"cmd", "power.cut"}});
  EXPECT_EQ(state()["pending_reversals"], buggy() ? 0 : 1);
  ctl({{"cmd", "power.restore"}});
  Message boot = expect(is_event("BOOT"), "BOOT", from + 1);
  command("LAST", "L1");
  Message last = expect([](const Message& m) { return m.name == "RESULT" && m.get("ref") == "L1"; },
                        "LAST", from);
  EXPECT_EQ(last.get("id"), "T1");
  EXPECT_EQ(last.get("status"), "FAILED");
  EXPECT_EQ(last.get("rc"), "PW");
  if (!buggy()) {
    EXPECT_EQ(boot.get("detail"), "pending_reversals=1");
    expect(is_event("REVERSAL_ACKED"), "REVERSAL_ACKED after the restart", from);
    json l = ledger();
    EXPECT_EQ(l["net"], "0.00") << l.dump();
    EXPECT_EQ(l["reversals"], 1);
  } else {
    EXPECT_EQ(boot.get("detail"), "pending_reversals=0");
    EXPECT_TRUE(absent(is_event("REVERSAL_SENT"), from));
    json l = ledger();
    EXPECT_EQ(l["net"], "10.00") << "charged, never reversed: " << l.dump();
    EXPECT_EQ(l["reversals"], 0);
  }
}

INSTANTIATE_TEST_SUITE_P(CorrectAndBuggy, VtermHost, ::testing::Values(false, true), correct_or_bug);

}  // namespace
}  // namespace vterm_it
