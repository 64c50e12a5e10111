// Wallet gateway messages (rig/protocol/wallet.h): round trips, the payment-code check, and the
// exact error texts of the decoders.
#include <gtest/gtest.h>

#include <string>

#include "rig/protocol/wallet.h"

namespace w = rig::protocol::wallet;

TEST(WalletProtocol, MicropayRequestRoundTrip) {
  w::MicropayRequest m;
  m.out_trade_no = "ORD-0001";
  m.auth_code = "134567890123456789";
  m.amount = 10000;
  m.device_info = "TERM0001";
  m.mch_id = "MERCHANT0000001";
  std::string text = w::encode(m);
  EXPECT_NE(text.find("\"amount\":\"100.00\""), std::string::npos) << text;
  auto d = w::decode_micropay_request(text);
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.value.out_trade_no, "ORD-0001");
  EXPECT_EQ(d.value.auth_code, "134567890123456789");
  EXPECT_EQ(d.value.amount, 10000);
  EXPECT_EQ(d.value.device_info, "TERM0001");
  EXPECT_EQ(d.value.mch_id, "MERCHANT0000001");
}

TEST(WalletProtocol, ResponsesRoundTrip) {
  w::MicropayResponse mp;
  mp.result = w::Result::userpaying;
  mp.out_trade_no = "A1";
  mp.amount = 5;
  mp.err_code = "USERPAYING";
  auto mpd = w::decode_micropay_response(w::encode(mp));
  ASSERT_TRUE(mpd.ok) << mpd.error;
  EXPECT_EQ(mpd.value.result, w::Result::userpaying);
  EXPECT_EQ(mpd.value.amount, 5);
  EXPECT_EQ(mpd.value.err_code, "USERPAYING");

  w::OrderQueryResponse q;
  q.result = w::Result::success;
  q.trade_state = w::TradeState::revoked;
  q.out_trade_no = "A1";
  q.transaction_id = "4200";
  auto qd = w::decode_order_query_response(w::encode(q));
  ASSERT_TRUE(qd.ok) << qd.error;
  EXPECT_EQ(qd.value.trade_state, w::TradeState::revoked);
  EXPECT_EQ(qd.value.transaction_id, "4200");
  EXPECT_FALSE(qd.value.amount.has_value());

  w::ReverseResponse r;
  r.result = w::ReverseResult::fail;
  r.recall = true;
  r.out_trade_no = "A1";
  auto rd = w::decode_reverse_response(w::encode(r));
  ASSERT_TRUE(rd.ok) << rd.error;
  EXPECT_EQ(rd.value.result, w::ReverseResult::fail);
  EXPECT_TRUE(rd.value.recall);

  auto e = w::decode_error_response(w::encode(w::ErrorResponse{"boom"}));
  ASSERT_TRUE(e.ok);
  EXPECT_EQ(e.value.error, "boom");
}

TEST(WalletProtocol, EnumsRoundTripThroughText) {
  for (auto r :
       {w::Result::success, w::Result::userpaying, w::Result::fail, w::Result::system_error}) {
    EXPECT_EQ(w::parse_result(w::to_string(r)), r);
  }
  for (auto s : {w::TradeState::success, w::TradeState::userpaying, w::TradeState::notpay,
                 w::TradeState::closed, w::TradeState::revoked, w::TradeState::payerror}) {
    EXPECT_EQ(w::parse_trade_state(w::to_string(s)), s);
  }
  EXPECT_EQ(std::string(w::to_string(w::Result::system_error)), "SYSTEMERROR");
  EXPECT_FALSE(w::parse_result("success").has_value());
}

TEST(WalletProtocol, PaymentCodeCheck) {
  EXPECT_TRUE(w::is_valid_payment_code("100000000000000000"));          // 18 digits, 10
  EXPECT_TRUE(w::is_valid_payment_code("159999999999999999"));          // 18 digits, 15
  EXPECT_FALSE(w::is_valid_payment_code("16999999999999999"));          // 17 digits
  EXPECT_FALSE(w::is_valid_payment_code("160000000000000000"));         // 16 is no prefix
  EXPECT_FALSE(w::is_valid_payment_code("1345678901234567890"));        // 19 digits, 13
  EXPECT_TRUE(w::is_valid_payment_code("2500000000000000"));            // 16 digits, 25
  EXPECT_TRUE(w::is_valid_payment_code("300000000000000000000000"));    // 24 digits, 30
  EXPECT_FALSE(w::is_valid_payment_code("3000000000000000000000000"));  // 25 digits
  EXPECT_FALSE(w::is_valid_payment_code("250000000000000"));            // 15 digits
  EXPECT_FALSE(w::is_valid_payment_code("310000000000000000"));         // 31
  EXPECT_FALSE(w::is_valid_payment_code("090000000000000000"));         // 09
  EXPECT_FALSE(w::is_valid_payment_code("13456789012345678X"));
  EXPECT_FALSE(w::is_valid_payment_code(" 134567890123456789"));
  EXPECT_FALSE(w::is_valid_payment_code(""));
}

TEST(WalletProtocol, MaskPaymentCode) {
  EXPECT_EQ(w::mask_payment_code("134567890123456789"), "1345************89");
  EXPECT_EQ(w::mask_payment_code("123456"), "******");
  EXPECT_EQ(w::mask_payment_code("1234567"), "1234*67");
}

TEST(WalletProtocol, DecodeErrorsAreExact) {
  EXPECT_EQ(w::decode_micropay_request("[1]").error, "expected a JSON object");
  EXPECT_EQ(w::decode_micropay_request("{\"auth_code\":\"1\",\"amount\":\"1.00\"}").error,
            "missing field 'out_trade_no'");
  EXPECT_EQ(w::decode_micropay_request("{\"out_trade_no\":\"A\",\"amount\":\"1.00\"}").error,
            "missing field 'auth_code'");
  EXPECT_EQ(
      w::decode_micropay_request("{\"out_trade_no\":\"A\",\"auth_code\":\"1\",\"amount\":1}").error,
      "field 'amount' must be a string");
  EXPECT_EQ(
      w::decode_micropay_request("{\"out_trade_no\":\"A\",\"auth_code\":\"1\",\"amount\":\"1.5\"}")
          .error,
      "field 'amount' must be an amount with two fraction digits, e.g. \"100.00\"");
  EXPECT_EQ(w::decode_order_query_request("{\"out_trade_no\":\"has space\"}").error,
            "field 'out_trade_no' must be 1 to 32 characters of A-Z a-z 0-9 _ - | *");
  EXPECT_EQ(w::decode_order_query_request("{\"out_trade_no\":\"\"}").error,
            "field 'out_trade_no' must be 1 to 32 characters of A-Z a-z 0-9 _ - | *");
  EXPECT_EQ(
      w::decode_order_query_request("{\"out_trade_no\":\"" + std::string(33, 'A') + "\"}").error,
      "field 'out_trade_no' must be 1 to 32 characters of A-Z a-z 0-9 _ - | *");
  EXPECT_EQ(w::decode_micropay_response("{\"result\":\"OK\",\"out_trade_no\":\"A\"}").error,
            "field 'result' must be one of SUCCESS, USERPAYING, FAIL, SYSTEMERROR");
  EXPECT_EQ(w::decode_order_query_response(
                "{\"result\":\"SUCCESS\",\"trade_state\":\"PAID\",\"out_trade_no\":\"A\"}")
                .error,
            "field 'trade_state' must be one of SUCCESS, USERPAYING, NOTPAY, CLOSED, REVOKED, "
            "PAYERROR");
  EXPECT_EQ(w::decode_reverse_response(
                "{\"result\":\"SUCCESS\",\"recall\":\"yes\",\"out_trade_no\":\"A\"}")
                .error,
            "field 'recall' must be Y or N");
  EXPECT_EQ(
      w::decode_micropay_request("{\"out_trade_no\":\"A\",\"auth_code\":\"\",\"amount\":\"1.00\"}")
          .error,
      "field 'auth_code' must be 1 to 128 printable characters");
}

TEST(WalletProtocol, InvalidJsonSaysWhereButNotWhat) {
  auto d = w::decode_micropay_request("{\"out_trade_no\":\"A\",\"auth_code\":\"1345678901");
  ASSERT_FALSE(d.ok);
  EXPECT_EQ(d.error.rfind("invalid JSON: parse error at line 1, column ", 0), 0u) << d.error;
  // The payment code (a bearer credential) must not come back in the error.
  EXPECT_EQ(d.error.find("1345678901"), std::string::npos) << d.error;
  // A number too large for a double is an error, not an exception (found by fuzzing).
  auto overflow = w::decode_reverse_request("97e977");
  EXPECT_FALSE(overflow.ok);
  EXPECT_EQ(overflow.error.rfind("invalid JSON: ", 0), 0u) << overflow.error;
  EXPECT_FALSE(w::decode_reverse_request("").ok);
  EXPECT_FALSE(w::decode_reverse_request("\xff\xfe").ok);
}

TEST(WalletProtocol, UnknownKeysAreIgnoredAndOptionalTextsMayBeAbsent) {
  auto d = w::decode_micropay_response(
      "{\"result\":\"SUCCESS\",\"out_trade_no\":\"A\",\"sign\":\"x\",\"total_fee\":100}");
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.value.transaction_id, "");
  EXPECT_EQ(d.value.err_code, "");
}

TEST(WalletProtocol, EncodersSurviveInvalidUtf8) {
  std::string text = w::encode(w::ErrorResponse{std::string("bad \xff byte")});
  EXPECT_TRUE(w::decode_error_response(text).ok) << text;
}
