// vhost's wallet gateway logic (fixtures/sim/vhost/wallet_gateway.h) without HTTP: micropay,
// orderquery, reverse, scripted outcomes and the USERPAYING timer on a real io_context.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <string>

#include "fixtures/sim/vhost/wallet_gateway.h"
#include "rig/protocol/wallet.h"

using namespace rig::vhost;
namespace w = rig::protocol::wallet;

namespace {

constexpr const char* kGoodCode = "134567890123456789";

class WalletTest : public ::testing::Test {
 protected:
  WalletGateway& gateway(double time_scale = 1.0) {
    if (!gateway_)
      gateway_ = std::make_unique<WalletGateway>(io_, ledger_, script_, log_, time_scale);
    return *gateway_;
  }

  w::MicropayResponse pay(const std::string& no, std::int64_t amount,
                          const std::string& code = kGoodCode) {
    w::MicropayRequest m{no, code, amount, "TERM0001", ""};
    WalletReply r = gateway().handle("POST", "/micropay", w::encode(m));
    EXPECT_EQ(r.status, 200u) << r.body;
    auto d = w::decode_micropay_response(r.body);
    EXPECT_TRUE(d.ok) << d.error << ": " << r.body;
    return d.value;
  }

  w::OrderQueryResponse query(const std::string& no) {
    WalletReply r = gateway().handle("POST", "/orderquery", w::encode(w::OrderQueryRequest{no}));
    EXPECT_EQ(r.status, 200u) << r.body;
    auto d = w::decode_order_query_response(r.body);
    EXPECT_TRUE(d.ok) << d.error << ": " << r.body;
    return d.value;
  }

  w::ReverseResponse reverse(const std::string& no) {
    WalletReply r = gateway().handle("POST", "/reverse", w::encode(w::ReverseRequest{no}));
    EXPECT_EQ(r.status, 200u) << r.body;
    auto d = w::decode_reverse_response(r.body);
    EXPECT_TRUE(d.ok) << d.error << ": " << r.body;
    return d.value;
  }

  void script(const std::string& rules) { script_.add(Script::parse(rules)); }

  boost::asio::io_context io_;
  Ledger ledger_{":memory:"};
  Script script_;
  MessageLog log_;
  std::unique_ptr<WalletGateway> gateway_;
};

}  // namespace

TEST_F(WalletTest, MicropayPaysOnceAndQueryShowsIt) {
  auto r = pay("Q1", 10000);
  EXPECT_EQ(r.result, w::Result::success);
  EXPECT_EQ(r.transaction_id.size(), 28u);
  EXPECT_EQ(r.amount, 10000);
  auto again = pay("Q1", 10000);
  EXPECT_EQ(again.result, w::Result::success);
  EXPECT_EQ(again.transaction_id, r.transaction_id);
  auto s = ledger_.summary("TERM0001");
  EXPECT_EQ(s.wallet_payments, 1);
  EXPECT_EQ(s.wallet_net_minor, 10000);
  EXPECT_EQ(s.fees_minor, 38);  // QR defaults to the preferential 0.38 %
  auto q = query("Q1");
  EXPECT_EQ(q.result, w::Result::success);
  EXPECT_EQ(q.trade_state, w::TradeState::success);
  EXPECT_EQ(q.transaction_id, r.transaction_id);
  EXPECT_EQ(ledger_.find_order("Q1")->masked_auth_code, "1345************89");
}

TEST_F(WalletTest, SameOrderNumberWithAnotherAmountIsRefused) {
  pay("Q1", 100);
  auto r = pay("Q1", 200);
  EXPECT_EQ(r.result, w::Result::fail);
  EXPECT_EQ(r.err_code, "OUT_TRADE_NO_USED");
  EXPECT_EQ(ledger_.summary("TERM0001").wallet_net_minor, 100);
}

TEST_F(WalletTest, InvalidPaymentCodeFailsWithoutAnOrder) {
  for (const char* code : {"12345", "994567890123456789", "13456789012345678A"}) {
    auto r = pay("Q1", 100, code);
    EXPECT_EQ(r.result, w::Result::fail);
    EXPECT_EQ(r.err_code, "AUTH_CODE_INVALID");
  }
  EXPECT_FALSE(ledger_.find_order("Q1"));
  auto zero = pay("Q2", 0);
  EXPECT_EQ(zero.err_code, "PARAM_ERROR");
}

TEST_F(WalletTest, HttpLevelErrors) {
  WalletReply bad = gateway().handle("POST", "/micropay", "{\"out_trade_no\":1}");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(bad.body, R"({"error":"field 'out_trade_no' must be a string"})");
  WalletReply missing = gateway().handle("POST", "/pay", "{}");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(missing.body,
            R"x({"error":"no such endpoint: /pay (known: POST /micropay, POST /orderquery, )x"
            R"x(POST /reverse)"})x");
  WalletReply method = gateway().handle("GET", "/orderquery?x=1", "");
  EXPECT_EQ(method.status, 405u);
  EXPECT_EQ(method.body, R"({"error":"/orderquery takes POST, not GET"})");
}

TEST_F(WalletTest, UnknownOrderQueryAndReverse) {
  auto q = query("NOPE");
  EXPECT_EQ(q.result, w::Result::fail);
  EXPECT_EQ(q.err_code, "ORDERNOTEXIST");
  EXPECT_EQ(q.trade_state, w::TradeState::notpay);
  // Reversing an order never seen closes its number: a late micropay cannot pay under it.
  auto r = reverse("LATE");
  EXPECT_EQ(r.result, w::ReverseResult::success);
  EXPECT_FALSE(r.recall);
  auto late = pay("LATE", 500);
  EXPECT_EQ(late.result, w::Result::fail);
  EXPECT_EQ(late.err_code, "ORDERREVERSED");
  EXPECT_EQ(ledger_.summary("TERM0001").wallet_payments, 0);
}

TEST_F(WalletTest, ReverseRevokesOnceAndTheFeeGoes) {
  pay("Q1", 10000);
  EXPECT_EQ(reverse("Q1").result, w::ReverseResult::success);
  EXPECT_EQ(reverse("Q1").result, w::ReverseResult::success);  // repeat: same answer
  EXPECT_EQ(query("Q1").trade_state, w::TradeState::revoked);
  auto s = ledger_.summary("TERM0001");
  EXPECT_EQ(s.wallet_payments, 0);
  EXPECT_EQ(s.fees_minor, 0);
  EXPECT_EQ(pay("Q1", 10000).err_code, "ORDERREVERSED");
}

TEST_F(WalletTest, ScriptedReverseFailuresThenSuccess) {
  pay("Q1", 100);
  script(R"({"target":"wallet","action":"reverse_fail","count":2})");
  for (int i = 0; i < 2; ++i) {
    auto r = reverse("Q1");
    EXPECT_EQ(r.result, w::ReverseResult::fail);
    EXPECT_TRUE(r.recall);
    EXPECT_EQ(r.err_code, "SYSTEMERROR");
    EXPECT_EQ(query("Q1").trade_state, w::TradeState::success);
  }
  EXPECT_EQ(reverse("Q1").result, w::ReverseResult::success);
  EXPECT_EQ(query("Q1").trade_state, w::TradeState::revoked);
}

TEST_F(WalletTest, ScriptedSystemErrorWithAndWithoutPayment) {
  script(R"([{"target":"wallet","action":"system_error","count":1},
             {"target":"wallet","action":"system_error","apply":true,"count":1}])");
  auto unpaid = pay("Q1", 100);
  EXPECT_EQ(unpaid.result, w::Result::system_error);
  EXPECT_EQ(query("Q1").err_code, "ORDERNOTEXIST");
  auto paid = pay("Q2", 100);
  EXPECT_EQ(paid.result, w::Result::system_error);
  EXPECT_EQ(query("Q2").trade_state, w::TradeState::success);  // "paid but not credited"
  EXPECT_EQ(pay("Q2", 100).result, w::Result::success);        // asking again pays nothing
  EXPECT_EQ(ledger_.summary("TERM0001").wallet_payments, 1);
}

TEST_F(WalletTest, ScriptedNoResponseAndDelay) {
  script(R"([{"target":"wallet","action":"no_response","count":1},
             {"target":"wallet","action":"no_response","apply":false,"count":1},
             {"target":"wallet","action":"delay","ms":300,"endpoint":"orderquery","count":1}])");
  w::MicropayRequest m{"Q1", kGoodCode, 100, "", ""};
  WalletReply applied = gateway().handle("POST", "/micropay", w::encode(m));
  EXPECT_FALSE(applied.respond);
  EXPECT_TRUE(ledger_.find_order("Q1"));
  m.out_trade_no = "Q2";
  WalletReply dropped = gateway().handle("POST", "/micropay", w::encode(m));
  EXPECT_FALSE(dropped.respond);
  EXPECT_FALSE(ledger_.find_order("Q2"));
  WalletReply slow = gateway().handle("POST", "/orderquery", w::encode(w::OrderQueryRequest{"Q1"}));
  EXPECT_TRUE(slow.respond);
  EXPECT_EQ(slow.delay.count(), 300);
}

TEST_F(WalletTest, UserpayingTurnsSuccessAfterTheScaledTime) {
  gateway(0.01);  // 5 s scripted -> 50 ms
  script(R"({"target":"wallet","action":"userpaying","seconds":5,"count":1})");
  const auto start = std::chrono::steady_clock::now();
  auto r = pay("Q1", 2500);
  EXPECT_EQ(r.result, w::Result::userpaying);
  EXPECT_EQ(r.err_code, "USERPAYING");
  EXPECT_EQ(ledger_.find_order("Q1")->state, w::TradeState::userpaying);
  EXPECT_EQ(pay("Q1", 2500).result, w::Result::userpaying);  // asked again: still waiting
  // The timer is the only work: run() returns once it has fired.
  io_.run_for(std::chrono::seconds(10));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(50));
  EXPECT_LT(elapsed, std::chrono::seconds(5));  // scaled, not the scripted 5 s
  EXPECT_EQ(ledger_.find_order("Q1")->state, w::TradeState::success);
  auto q = query("Q1");
  EXPECT_EQ(q.trade_state, w::TradeState::success);
  EXPECT_EQ(q.transaction_id.size(), 28u);
  EXPECT_EQ(ledger_.summary("TERM0001").wallet_payments, 1);
}

TEST_F(WalletTest, UserpayingOrderReversedBeforeItCompletesStaysRevoked) {
  gateway(0.01);
  script(R"({"target":"wallet","action":"userpaying","seconds":2})");
  pay("Q1", 100);
  EXPECT_EQ(reverse("Q1").result, w::ReverseResult::success);
  io_.run_for(std::chrono::seconds(5));  // nothing pending: returns at once
  EXPECT_EQ(query("Q1").trade_state, w::TradeState::revoked);
  EXPECT_EQ(ledger_.summary("TERM0001").wallet_payments, 0);
}

TEST_F(WalletTest, UserpayingThatNeverCompletesAndResetCancelsTimers) {
  script(R"([{"target":"wallet","action":"userpaying","then":"USERPAYING","count":1},
             {"target":"wallet","action":"userpaying","seconds":3600,"count":1}])");
  pay("Q1", 100);
  pay("Q2", 100);
  gateway().reset();
  io_.run_for(std::chrono::seconds(5));  // the cancelled timer ends at once
  EXPECT_EQ(query("Q1").trade_state, w::TradeState::userpaying);
  EXPECT_EQ(query("Q2").trade_state, w::TradeState::userpaying);
}

TEST(VhostWalletLog, MaskedBodies) {
  EXPECT_EQ(masked_wallet_body(R"({"auth_code":"134567890123456789","out_trade_no":"A"})"),
            R"({"auth_code":"1345************89","out_trade_no":"A"})");
  EXPECT_EQ(masked_wallet_body("not json"), "<8 bytes, not JSON>");
}
