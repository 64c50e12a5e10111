// Wallet gateway messages (terminal <-> QR payment gateway, HTTP/1.1 + JSON): the request and
// response bodies of micropay, orderquery and reverse, modelled on the public WeChat Pay and
// Alipay face-to-face APIs and reduced to what the rig needs. Pure code: JSON text in and out,
// no HTTP, no I/O. vterm encodes requests and decodes responses; vhost does the opposite.
//
// Endpoints (all POST, body and answer application/json):
//   /micropay   {"out_trade_no","auth_code","amount"[,"device_info","mch_id"]}
//               -> {"result","out_trade_no","transaction_id","amount","err_code","err_code_des"}
//   /orderquery {"out_trade_no"}
//               -> {"result","trade_state","out_trade_no","transaction_id","amount","err_code",
//                   "err_code_des"}
//   /reverse    {"out_trade_no"} -> {"result","recall","out_trade_no","err_code","err_code_des"}
//   any error   HTTP 4xx/5xx with {"error": "..."}
//
// Field rules
// - Amounts are decimal strings with two fraction digits ("100.00"); in C++ they are minor units.
// - out_trade_no: the merchant's order number, 1 to 32 characters of A-Z a-z 0-9 _ - | *.
//   A terminal keeps one order number for one payment, through queries and the reverse.
// - auth_code: the customer's payment code as scanned; the decoder only checks it is a string
//   of 1 to 128 printable characters. Whether it is a valid payment code is a business check
//   (is_valid_payment_code()), answered by the gateway with FAIL / AUTH_CODE_INVALID.
// - err_code, err_code_des, transaction_id: empty when there is none; encoded as "" and
//   accepted as absent when decoding.
// - Keys the decoder does not know are ignored (gateways add fields over time); a known key
//   with the wrong type or value is an error.
//
// Decoders never throw. Their errors name the problem and never echo a value (a payment code
// is a bearer credential):
//   "invalid JSON: parse error at line 1, column 9: syntax error while parsing value - ..."
//   "expected a JSON object"
//   "missing field 'out_trade_no'"
//   "field 'amount' must be a string"
//   "field 'amount' must be an amount with two fraction digits, e.g. \"100.00\""
//   "field 'out_trade_no' must be 1 to 32 characters of A-Z a-z 0-9 _ - | *"
//   "field 'result' must be one of SUCCESS, USERPAYING, FAIL, SYSTEMERROR"
//   "field 'recall' must be Y or N"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rig::protocol::wallet {

inline constexpr std::string_view kMicropayPath = "/micropay";
inline constexpr std::string_view kOrderQueryPath = "/orderquery";
inline constexpr std::string_view kReversePath = "/reverse";

// Error codes the gateway puts in err_code.
namespace err_code {
inline constexpr std::string_view auth_code_invalid = "AUTH_CODE_INVALID";  // fails the code check
inline constexpr std::string_view user_paying = "USERPAYING";    // customer must confirm on phone
inline constexpr std::string_view system_error = "SYSTEMERROR";  // outcome unknown: query
inline constexpr std::string_view order_not_exist = "ORDERNOTEXIST";  // no such out_trade_no
inline constexpr std::string_view order_reversed = "ORDERREVERSED";   // order was reversed
inline constexpr std::string_view order_closed = "ORDERCLOSED";
inline constexpr std::string_view out_trade_no_used =
    "OUT_TRADE_NO_USED";                                        // same no., other amount
inline constexpr std::string_view param_error = "PARAM_ERROR";  // e.g. amount 0.00
inline constexpr std::string_view trade_error = "TRADE_ERROR";  // payment failed
}  // namespace err_code

// "result" of micropay and orderquery: SUCCESS, USERPAYING (micropay only: waiting for the
// customer), FAIL (definite: nothing was paid by this call), SYSTEMERROR (outcome unknown).
enum class Result { success, userpaying, fail, system_error };
// "trade_state" of an order.
enum class TradeState { success, userpaying, notpay, closed, revoked, payerror };
// "result" of reverse.
enum class ReverseResult { success, fail };

const char* to_string(Result r);         // "SUCCESS", "USERPAYING", "FAIL", "SYSTEMERROR"
const char* to_string(TradeState s);     // "SUCCESS", "USERPAYING", "NOTPAY", "CLOSED", ...
const char* to_string(ReverseResult r);  // "SUCCESS", "FAIL"
std::optional<Result> parse_result(std::string_view text);
std::optional<TradeState> parse_trade_state(std::string_view text);
std::optional<ReverseResult> parse_reverse_result(std::string_view text);

// The payment-code format check (DESIGN.md): 18 digits starting 10-15, or 16 to 24 digits
// starting 25-30. Anything else (letters, spaces, other prefixes or lengths) is false.
bool is_valid_payment_code(std::string_view code);

// Payment code for logs: first four and last two characters kept, the rest '*'; codes of six
// characters or fewer are fully masked.
std::string mask_payment_code(std::string_view code);

struct MicropayRequest {
  std::string out_trade_no;
  std::string auth_code;
  std::int64_t amount = 0;  // minor units
  // Optional: the terminal id (ISO field 41) and merchant id (field 42) of the payer's terminal.
  // The ledger attributes the payment to them (per-terminal figures, merchant fee class).
  std::string device_info;
  std::string mch_id;
};

struct MicropayResponse {
  Result result = Result::fail;
  std::string out_trade_no;
  std::string transaction_id;          // the gateway's id when paid
  std::optional<std::int64_t> amount;  // the order's amount when known
  std::string err_code;
  std::string err_code_des;  // human text for err_code
};

struct OrderQueryRequest {
  std::string out_trade_no;
};

// result SUCCESS: the query worked and trade_state is the order's state. result FAIL with
// err_code ORDERNOTEXIST: no such order (trade_state NOTPAY: nothing was paid). result
// SYSTEMERROR: ask again.
struct OrderQueryResponse {
  Result result = Result::success;
  TradeState trade_state = TradeState::notpay;
  std::string out_trade_no;
  std::string transaction_id;
  std::optional<std::int64_t> amount;
  std::string err_code;
  std::string err_code_des;
};

struct ReverseRequest {
  std::string out_trade_no;
};

// result SUCCESS: the order is reversed (revoked) and stays so. result FAIL: not reversed;
// recall Y means "try the reverse again", N means "do not".
struct ReverseResponse {
  ReverseResult result = ReverseResult::fail;
  bool recall = false;
  std::string out_trade_no;
  std::string err_code;
  std::string err_code_des;
};

// The body of an HTTP error answer (400 malformed request, 401, 404, 405, ...).
struct ErrorResponse {
  std::string error;
};

// Encoders produce compact JSON. They do not validate: encoding a value the decoder would
// reject (e.g. an empty out_trade_no) is allowed so that tests can build bad requests.
std::string encode(const MicropayRequest& m);
std::string encode(const MicropayResponse& m);
std::string encode(const OrderQueryRequest& m);
std::string encode(const OrderQueryResponse& m);
std::string encode(const ReverseRequest& m);
std::string encode(const ReverseResponse& m);
std::string encode(const ErrorResponse& m);

template <typename T>
struct Decoded {
  bool ok = false;
  T value;
  std::string error;  // when !ok, one of the texts listed at the top of this file
};

Decoded<MicropayRequest> decode_micropay_request(std::string_view json);
Decoded<MicropayResponse> decode_micropay_response(std::string_view json);
Decoded<OrderQueryRequest> decode_order_query_request(std::string_view json);
Decoded<OrderQueryResponse> decode_order_query_response(std::string_view json);
Decoded<ReverseRequest> decode_reverse_request(std::string_view json);
Decoded<ReverseResponse> decode_reverse_response(std::string_view json);
Decoded<ErrorResponse> decode_error_response(std::string_view json);

}  // namespace rig::protocol::wallet
