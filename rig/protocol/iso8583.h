// ISO 8583:1987 codec for the host link (terminal <-> acquirer), in the rig's ASCII dialect.
// Pure functions over bytes: no I/O, no clocks, no globals. Used by the network fault proxy (to
// split a TCP stream into messages and match them), by vterm (the terminal side) and by vhost
// (the acquirer side). docs/host-protocol.md describes the dialect for people.
//
// Wire format of one message:
//   length prefix  2 bytes, big-endian, number of bytes that follow (frame() / Deframer)
//   MTI            4 ASCII digits ("0200")
//   bitmap         8 bytes, binary, bit 1 = most significant bit of the first byte; bit 1 set
//                  means that a secondary bitmap of 8 more bytes follows (fields 65-128)
//   fields         in ascending order; numeric fields as ASCII digits; LLVAR/LLLVAR fields start
//                  with 2/3 ASCII digits giving the number of characters that follow
//
// Field values are held as their ASCII text, without LLVAR/LLLVAR length digits. Binary fields
// are carried as upper-case hex text: field 52 (PIN block, b64) as 16 hex digits, field 55 (ICC
// data, b..255) as up to 510 hex digits whose LLL counts hex digits.
//
// Errors users read are exact texts naming the field and, when decoding, the byte offset in
// the body (the length prefix excluded):
//   "field 35 at offset 42: LLVAR length 45 exceeds maximum 37"
//   "field 4: expected 12 digits, got 5 characters"
// Error texts never echo a field value (PAN, track 2 and PIN block stay out of logs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace rig::protocol::iso8583 {

// ---------------------------------------------------------------------------------------------
// Field table

// Characters a field may hold.
enum class Charset {
  numeric,       // n:   0-9
  alphanumeric,  // an:  A-Z a-z 0-9
  printable,     // ans: any printable ASCII 0x20-0x7E
  track2,        // z:   0-9, the separator 'D' or '='
  hex,           // b:   binary carried as upper-case hex digits 0-9 A-F
};

enum class LengthType { fixed, llvar, lllvar };

struct FieldSpec {
  int number = 0;
  std::string_view name;    // "primary account number"
  std::string_view format;  // as written in the standard: "n..19", "an12", "b64"
  Charset charset = Charset::numeric;
  LengthType length_type = LengthType::fixed;
  std::size_t length = 0;  // exact length (fixed) or maximum length (LLVAR/LLLVAR), in characters
};

// The spec of a supported field, or nullptr. Supported: 2 3 4 7 11 12 13 14 22 25 35 37 38 39
// 41 42 49 52 55 90. Field 1 (the secondary bitmap) is derived from the fields by encode().
const FieldSpec* find_field(int number);

// Values of field 22 (POS entry mode, n3): two digits for how the PAN was read, one digit for
// the terminal's PIN entry capability (1 = can take a PIN, 2 = cannot).
namespace entry_mode {
inline constexpr std::string_view chip = "051";      // ICC read, PIN capable
inline constexpr std::string_view swipe = "021";     // magnetic stripe, PIN capable
inline constexpr std::string_view fallback = "801";  // chip failed, then magnetic stripe
inline constexpr std::string_view manual = "012";    // PAN keyed in, no PIN taken
}  // namespace entry_mode

// Values of field 3 (processing code, n6) used by the rig.
namespace processing_code {
inline constexpr std::string_view purchase = "000000";
inline constexpr std::string_view refund = "200000";
}  // namespace processing_code

// Values of field 39 (response code, an2) used by the rig (DESIGN.md, DOMAIN.md).
namespace response_code {
inline constexpr std::string_view approved = "00";
inline constexpr std::string_view invalid_merchant = "03";  // a reversal for another merchant
inline constexpr std::string_view do_not_honour = "05";
inline constexpr std::string_view invalid_transaction = "12";  // a reversal that names another
inline constexpr std::string_view invalid_card = "14";
inline constexpr std::string_view original_not_found = "25";
inline constexpr std::string_view format_error = "30";  // a reversal without field 4 or 90
inline constexpr std::string_view insufficient_funds = "51";
inline constexpr std::string_view expired_card = "54";
inline constexpr std::string_view wrong_pin = "55";
inline constexpr std::string_view restricted_card = "62";
inline constexpr std::string_view original_amount_incorrect = "64";  // a reversal's 4 or 49
inline constexpr std::string_view pin_tries_exceeded = "75";
inline constexpr std::string_view issuer_unavailable = "91";
inline constexpr std::string_view duplicate = "94";
inline constexpr std::string_view system_malfunction = "96";
inline constexpr std::string_view no_response = "98";  // terminal's reason in a 0400
}  // namespace response_code

// ---------------------------------------------------------------------------------------------
// Messages

struct Message {
  std::string mti;                    // 4 digits, e.g. "0200"
  std::map<int, std::string> fields;  // field number -> value text (no length digits)

  bool has(int field) const { return fields.count(field) != 0; }
  // The value of `field`; throws std::out_of_range("ISO 8583 0210: no field 39") when absent.
  const std::string& get(int field) const;
  // Sets (or replaces) a field; returns *this so that calls chain. Values are checked by encode.
  Message& set(int field, std::string value);
  Message& erase(int field);

  bool operator==(const Message& other) const { return mti == other.mti && fields == other.fields; }
  bool operator!=(const Message& other) const { return !(*this == other); }
};

struct EncodeResult {
  bool ok = false;
  std::string body;   // MTI + bitmap(s) + fields, without the length prefix
  std::string error;  // "field 4: expected 12 digits, got 5 characters"
  int field = 0;      // the field at fault, 0 for the MTI
};

// Encodes `message`. Refuses (naming the field) an unsupported field number, a value of the
// wrong length, a character outside the field's charset, an odd number of hex digits in field
// 55, and an MTI that is not 4 digits ("MTI must be 4 digits"). The secondary bitmap is written
// exactly when a field above 64 is present.
EncodeResult try_encode(const Message& message);

// As try_encode(); throws std::invalid_argument with the error text instead.
std::string encode(const Message& message);

struct DecodeResult {
  bool ok = false;
  Message message;
  std::string error;       // "field 35 at offset 42: LLVAR length 45 exceeds maximum 37"
  std::size_t offset = 0;  // byte offset in the body where the problem is
  int field = 0;           // the field at fault, 0 when the problem is not in a field
};

// Decodes one body (the bytes after the length prefix). Never throws on any input. Errors:
//   "offset 0: MTI must be 4 digits"
//   "offset 4: truncated primary bitmap: 3 of 8 bytes"
//   "offset 12: truncated secondary bitmap: 2 of 8 bytes"
//   "field 70 at offset 12: field not supported"         (offset of the bitmap byte holding
//                                                           the bit; checked before any field)
//   "field 4 at offset 12: truncated: 5 of 12 bytes"
//   "field 2 at offset 12: truncated LLVAR length: 1 of 2 bytes"
//   "field 2 at offset 12: LLVAR length must be 2 digits"   (LLLVAR: 3 digits)
//   "field 35 at offset 42: LLVAR length 45 exceeds maximum 37"
//   "field 55 at offset 60: LLLVAR length 5 is odd; hex data needs two digits per byte"
//   "field 4 at offset 15: 'A' is not a digit"           (offset of the bad byte; a byte that is
//                                                           not printable shows as "byte 0x07")
//   "offset 20: 3 trailing bytes after last field"
// A secondary bitmap with no bit set is accepted (it re-encodes without one).
DecodeResult decode(std::string_view body);

// One line for logs and reports: the MTI then "number=value" for each field. The PAN is masked
// (first six, last four), track 2 (35) and the PIN block (52) show as "***", ICC data (55, which
// may hold track 2 equivalent data) as its size only, the amount as "100.00", ans fields quoted:
//   0200 2=476173******0119 3=000000 4=100.00 11=000123 35=*** 41="TERM0001" 52=*** 55=<12 bytes>
// Control characters in values are shown as '?', so the result is always one line.
std::string describe(const Message& message);

// ---------------------------------------------------------------------------------------------
// Framing

inline constexpr std::size_t kLengthPrefixSize = 2;
inline constexpr std::size_t kMaxBodySize = 65535;

// Prefixes `body` with its length as 2 bytes, big-endian. Throws std::length_error
// ("ISO 8583 body of 70000 bytes exceeds the 65535-byte frame limit") when it does not fit.
std::string frame(std::string_view body);

// Splits a byte stream (e.g. one direction of a TCP connection) into bodies. Feed bytes as they
// arrive, in any chunking; pop() returns each complete body, in order, without its length
// prefix. A zero length prefix yields an empty body (decode() rejects it). Memory held is what
// was fed and not yet popped. Not thread-safe.
class Deframer {
 public:
  void feed(std::string_view bytes);
  // The next complete body, or nullopt until more bytes arrive.
  std::optional<std::string> pop();
  // Bytes fed and not yet returned by pop().
  std::size_t buffered() const { return buffer_.size() - start_; }
  // Describes a frame cut short, for when the stream ends: nullopt at a frame boundary, else
  // "incomplete frame: 1 of 2 length prefix bytes" or "incomplete frame: 10 of 57 body bytes".
  // Complete frames not popped yet do not count.
  std::optional<std::string> incomplete() const;

 private:
  std::string buffer_;
  std::size_t start_ = 0;  // first byte not yet popped; buffer_ is compacted lazily
};

// ---------------------------------------------------------------------------------------------
// Field helpers

// Field 4 (n12, minor units): 10000 -> "000000010000". Throws std::invalid_argument for a
// negative value or one above 999999999999.
std::string amount_field(std::int64_t minor_units);
// "000000010000" -> 10000; nullopt unless exactly 12 digits.
std::optional<std::int64_t> parse_amount_field(std::string_view value);

// Field 7 (MMDDhhmmss, GMT by convention), field 12 (hhmmss) and field 13 (MMDD) from a broken
// down time (tm_mon 0-11, tm_mday, tm_hour, tm_min, tm_sec as std::tm defines them).
std::string transmission_date_time(const std::tm& when);
std::string local_time(const std::tm& when);
std::string local_date(const std::tm& when);

// Field 90 (original data elements, n42): the identity of the message a reversal undoes.
struct OriginalData {
  std::string mti;                            // n4, MTI of the original ("0200")
  std::string stan;                           // n6, field 11 of the original
  std::string transmission_date_time;         // n10, field 7 of the original
  std::string acquirer_id = "00000000000";    // n11, acquirer institution id
  std::string forwarding_id = "00000000000";  // n11, forwarding institution id
};

// The field 90 text of `data` (mti + stan + transmission time + acquirer + forwarding). Throws
// std::invalid_argument naming the part: "field 90: original STAN must be 6 digits".
std::string build_original_data(const OriginalData& data);
// Field 90 for a reversal of `original`: its MTI, field 11 and field 7, ids zero-filled.
// Throws std::invalid_argument ("field 90: original 0200 has no field 11") when one is missing.
std::string build_original_data(const Message& original);
// Splits field 90; nullopt unless exactly 42 digits.
std::optional<OriginalData> parse_original_data(std::string_view value);
// True when `reversal` carries a field 90 naming `original` (same MTI, field 11 and field 7).
bool refers_to(const Message& reversal, const Message& original);

// Systems trace audit number (field 11) source: 000001..999999, then 000001 again; never
// 000000. Not thread-safe.
class StanCounter {
 public:
  // `last_issued` is the STAN issued last: 0 for a fresh terminal, or the value persisted
  // before a restart. Throws std::invalid_argument outside 0..999999.
  explicit StanCounter(int last_issued = 0);
  // Issues the next STAN as 6 digits.
  std::string next();
  // The STAN issued last (0 if none yet); persist this to resume after a restart.
  int last_issued() const { return last_; }

 private:
  int last_;
};

// Retrieval reference number (field 37, an12): "YDDDhh" + STAN, where Y is the last digit of
// the year, DDD the day of the year (001-366) and hh the hour (00-23) of `when`. Unique per
// STAN source as long as its STANs do not wrap within the same hour. Throws
// std::invalid_argument unless `stan` is 6 digits.
std::string make_rrn(const std::tm& when, std::string_view stan);

// ---------------------------------------------------------------------------------------------
// MTI helpers (ISO 8583:1987: the third digit is the function, even = request or advice,
// odd = its response; the fourth is the origin, 1 = repeat).

bool is_request(std::string_view mti);   // 4 digits, third digit 0 or 2 ("0200", "0401")
bool is_response(std::string_view mti);  // 4 digits, third digit 1 or 3 ("0210", "0410")
// The MTI answering `request_mti`: 0200 -> 0210, 0400 and 0401 -> 0410, 0800 -> 0810;
// nullopt if `request_mti` is not a request.
std::optional<std::string> response_mti(std::string_view request_mti);

// Why `response` does not answer `request`, or nullopt when it does. It must carry the
// response MTI of the request and the same STAN (11), terminal id (41) and merchant id (42) as
// far as the request has them: "field 11: response has \"000124\", request has \"000123\"" or
// "MTI 0210 does not answer 0400 (expected 0410)".
std::optional<std::string> response_mismatch(const Message& request, const Message& response);

}  // namespace rig::protocol::iso8583
