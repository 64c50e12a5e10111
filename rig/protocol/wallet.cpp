#include "rig/protocol/wallet.h"

#include <nlohmann/json.hpp>

#include "rig/protocol/amount.h"

namespace rig::protocol::wallet {

namespace {

using nlohmann::json;

constexpr std::string_view kResultNames[] = {"SUCCESS", "USERPAYING", "FAIL", "SYSTEMERROR"};
constexpr std::string_view kTradeStateNames[] = {"SUCCESS", "USERPAYING", "NOTPAY",
                                                 "CLOSED",  "REVOKED",    "PAYERROR"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return !s.empty();
}

bool valid_trade_no(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' ||
              c == '-' || c == '|' || c == '*';
    if (!ok) return false;
  }
  return true;
}

// nlohmann's text without its "[json.exception...] " tag and without the "last read" token,
// which may be part of a payment code.
std::string describe_parse_error(std::string what) {
  auto close = what.find("] ");
  if (close != std::string::npos) what.erase(0, close + 2);
  auto last_read = what.find("; last read:");
  if (last_read != std::string::npos) {
    auto expected = what.rfind("; expected ");
    std::string tail = expected != std::string::npos && expected > last_read ? what.substr(expected)
                                                                             : std::string();
    what = what.substr(0, last_read) + tail;
  }
  return what;
}

// Output stays valid JSON even if a caller put invalid UTF-8 into a string.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Reads the fields of one JSON object and remembers the first problem; later reads after a
// problem are no-ops, so that a decoder is a flat list of reads followed by one check.
class Reader {
 public:
  explicit Reader(std::string_view text) {
    // parse() with exceptions gives the position of a syntax error; the decoders promise not to
    // throw, so the exception ends here.
    try {
      root_ = json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {
      error_ = "invalid JSON: " + describe_parse_error(e.what());
      return;
    }
    if (!root_.is_object()) error_ = "expected a JSON object";
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // A string field; nullopt when absent (and optional) or after an error.
  std::optional<std::string> text(const char* key, bool required) {
    if (!ok()) return std::nullopt;
    auto it = root_.find(key);
    if (it == root_.end()) {
      if (required) fail(std::string("missing field '") + key + "'");
      return std::nullopt;
    }
    if (!it->is_string()) {
      fail(std::string("field '") + key + "' must be a string");
      return std::nullopt;
    }
    return it->get<std::string>();
  }

  void trade_no(std::string& out) {
    auto v = text("out_trade_no", true);
    if (!v) return;
    if (!valid_trade_no(*v)) {
      return fail("field 'out_trade_no' must be 1 to 32 characters of A-Z a-z 0-9 _ - | *");
    }
    out = *v;
  }

  void optional_text(const char* key, std::string& out) {
    if (auto v = text(key, false)) out = *v;
  }

  std::optional<std::int64_t> amount(bool required) {
    auto v = text("amount", required);
    if (!v) return std::nullopt;
    auto minor = parse_amount(*v);
    if (!minor) {
      fail("field 'amount' must be an amount with two fraction digits, e.g. \"100.00\"");
    }
    return minor;
  }

  // A required field holding one of `names`, stored in `out` when valid.
  template <typename E, std::size_t N>
  void choice(const char* key, std::optional<E> (*parse)(std::string_view),
              const std::string_view (&names)[N], E& out) {
    auto v = text(key, true);
    if (!v) return;
    auto parsed = parse(*v);
    if (!parsed) {
      std::string list;
      for (std::size_t i = 0; i < N; ++i) list += (i ? ", " : "") + std::string(names[i]);
      return fail(std::string("field '") + key + "' must be one of " + list);
    }
    out = *parsed;
  }

  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

 private:
  json root_;
  std::string error_;
};

// Decodes `text` as a T: `read_fields(reader, value)` reads the fields in order, so that the
// first problem found is the one reported.
template <typename T, typename ReadFields>
Decoded<T> decode(std::string_view text, ReadFields read_fields) {
  Reader r(text);
  T value;
  read_fields(r, value);
  Decoded<T> d;
  d.ok = r.ok();
  if (d.ok) {
    d.value = std::move(value);
  } else {
    d.error = r.error();
  }
  return d;
}

// The two error fields every answer ends with.
template <typename Answer>
void read_error_fields(Reader& r, Answer& m) {
  r.optional_text("err_code", m.err_code);
  r.optional_text("err_code_des", m.err_code_des);
}

// What micropay and orderquery answers share after their result (and trade_state).
template <typename Answer>
void read_order_fields(Reader& r, Answer& m) {
  r.trade_no(m.out_trade_no);
  r.optional_text("transaction_id", m.transaction_id);
  m.amount = r.amount(false);
  read_error_fields(r, m);
}

// Order query and reverse requests: nothing but the order number.
template <typename Request>
void read_trade_no_only(Reader& r, Request& m) {
  r.trade_no(m.out_trade_no);
}

void put_amount(json& j, const std::optional<std::int64_t>& amount) {
  if (amount) j["amount"] = format_amount(*amount);
}

}  // namespace

const char* to_string(Result r) {
  switch (r) {
    case Result::success:
      return "SUCCESS";
    case Result::userpaying:
      return "USERPAYING";
    case Result::fail:
      return "FAIL";
    case Result::system_error:
      return "SYSTEMERROR";
  }
  return "FAIL";
}

const char* to_string(TradeState s) {
  switch (s) {
    case TradeState::success:
      return "SUCCESS";
    case TradeState::userpaying:
      return "USERPAYING";
    case TradeState::notpay:
      return "NOTPAY";
    case TradeState::closed:
      return "CLOSED";
    case TradeState::revoked:
      return "REVOKED";
    case TradeState::payerror:
      return "PAYERROR";
  }
  return "NOTPAY";
}

const char* to_string(ReverseResult r) { return r == ReverseResult::success ? "SUCCESS" : "FAIL"; }

std::optional<Result> parse_result(std::string_view text) {
  for (Result r : {Result::success, Result::userpaying, Result::fail, Result::system_error}) {
    if (text == to_string(r)) return r;
  }
  return std::nullopt;
}

std::optional<TradeState> parse_trade_state(std::string_view text) {
  for (TradeState s : {TradeState::success, TradeState::userpaying, TradeState::notpay,
                       TradeState::closed, TradeState::revoked, TradeState::payerror}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

std::optional<ReverseResult> parse_reverse_result(std::string_view text) {
  if (text == "SUCCESS") return ReverseResult::success;
  if (text == "FAIL") return ReverseResult::fail;
  return std::nullopt;
}

bool is_valid_payment_code(std::string_view code) {
  if (!all_digits(code) || code.size() < 2) return false;
  int prefix = (code[0] - '0') * 10 + (code[1] - '0');
  if (prefix >= 10 && prefix <= 15) return code.size() == 18;
  if (prefix >= 25 && prefix <= 30) return code.size() >= 16 && code.size() <= 24;
  return false;
}

std::string mask_payment_code(std::string_view code) {
  std::string out(code);
  if (out.size() <= 6) return std::string(out.size(), '*');
  for (std::size_t i = 4; i + 2 < out.size(); ++i) out[i] = '*';
  return out;
}

std::string encode(const MicropayRequest& m) {
  json j = {{"out_trade_no", m.out_trade_no},
            {"auth_code", m.auth_code},
            {"amount", format_amount(m.amount)}};
  if (!m.device_info.empty()) j["device_info"] = m.device_info;
  if (!m.mch_id.empty()) j["mch_id"] = m.mch_id;
  return dump(j);
}

std::string encode(const MicropayResponse& m) {
  json j = {{"result", to_string(m.result)},
            {"out_trade_no", m.out_trade_no},
            {"transaction_id", m.transaction_id},
            {"err_code", m.err_code},
            {"err_code_des", m.err_code_des}};
  put_amount(j, m.amount);
  return dump(j);
}

std::string encode(const OrderQueryRequest& m) {
  return dump(json{{"out_trade_no", m.out_trade_no}});
}

std::string encode(const OrderQueryResponse& m) {
  json j = {{"result", to_string(m.result)},  {"trade_state", to_string(m.trade_state)},
            {"out_trade_no", m.out_trade_no}, {"transaction_id", m.transaction_id},
            {"err_code", m.err_code},         {"err_code_des", m.err_code_des}};
  put_amount(j, m.amount);
  return dump(j);
}

std::string encode(const ReverseRequest& m) { return dump(json{{"out_trade_no", m.out_trade_no}}); }

std::string encode(const ReverseResponse& m) {
  return dump(json{{"result", to_string(m.result)},
                   {"recall", m.recall ? "Y" : "N"},
                   {"out_trade_no", m.out_trade_no},
                   {"err_code", m.err_code},
                   {"err_code_des", m.err_code_des}});
}

std::string encode(const ErrorResponse& m) { return dump(json{{"error", m.error}}); }

Decoded<MicropayRequest> decode_micropay_request(std::string_view text) {
  return decode<MicropayRequest>(text, [](Reader& r, MicropayRequest& m) {
    r.trade_no(m.out_trade_no);
    if (auto code = r.text("auth_code", true)) {
      bool printable = !code->empty() && code->size() <= 128;
      for (char c : *code) printable = printable && c >= 0x20 && c <= 0x7E;
      if (!printable) r.fail("field 'auth_code' must be 1 to 128 printable characters");
      m.auth_code = *code;
    }
    if (auto a = r.amount(true)) m.amount = *a;
    r.optional_text("device_info", m.device_info);
    r.optional_text("mch_id", m.mch_id);
  });
}

Decoded<MicropayResponse> decode_micropay_response(std::string_view text) {
  return decode<MicropayResponse>(text, [](Reader& r, MicropayResponse& m) {
    r.choice("result", parse_result, kResultNames, m.result);
    read_order_fields(r, m);
  });
}

Decoded<OrderQueryRequest> decode_order_query_request(std::string_view text) {
  return decode<OrderQueryRequest>(text, read_trade_no_only<OrderQueryRequest>);
}

Decoded<OrderQueryResponse> decode_order_query_response(std::string_view text) {
  return decode<OrderQueryResponse>(text, [](Reader& r, OrderQueryResponse& m) {
    r.choice("result", parse_result, kResultNames, m.result);
    r.choice("trade_state", parse_trade_state, kTradeStateNames, m.trade_state);
    read_order_fields(r, m);
  });
}

Decoded<ReverseRequest> decode_reverse_request(std::string_view text) {
  return decode<ReverseRequest>(text, read_trade_no_only<ReverseRequest>);
}

Decoded<ReverseResponse> decode_reverse_response(std::string_view text) {
  return decode<ReverseResponse>(text, [](Reader& r, ReverseResponse& m) {
    static constexpr std::string_view kNames[] = {"SUCCESS", "FAIL"};
    r.choice("result", parse_reverse_result, kNames, m.result);
    if (auto recall = r.text("recall", true)) {
      if (*recall == "Y" || *recall == "N") {
        m.recall = *recall == "Y";
      } else {
        r.fail("field 'recall' must be Y or N");
      }
    }
    r.trade_no(m.out_trade_no);
    read_error_fields(r, m);
  });
}

Decoded<ErrorResponse> decode_error_response(std::string_view text) {
  return decode<ErrorResponse>(text, [](Reader& r, ErrorResponse& m) {
    if (auto v = r.text("error", true)) m.error = *v;
  });
}

}  // namespace rig::protocol::wallet
