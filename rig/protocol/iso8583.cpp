#include "rig/protocol/iso8583.h"

#include <array>
#include <stdexcept>
#include <utility>

#include "rig/protocol/amount.h"

namespace rig::protocol::iso8583 {
namespace {

constexpr std::size_t kMtiSize = 4;
constexpr std::size_t kBitmapSize = 8;

constexpr std::array<FieldSpec, 20> kFields = {{
    {2, "primary account number", "n..19", Charset::numeric, LengthType::llvar, 19},
    {3, "processing code", "n6", Charset::numeric, LengthType::fixed, 6},
    {4, "amount, transaction", "n12", Charset::numeric, LengthType::fixed, 12},
    {7, "transmission date and time", "n10", Charset::numeric, LengthType::fixed, 10},
    {11, "systems trace audit number", "n6", Charset::numeric, LengthType::fixed, 6},
    {12, "time, local transaction", "n6", Charset::numeric, LengthType::fixed, 6},
    {13, "date, local transaction", "n4", Charset::numeric, LengthType::fixed, 4},
    {14, "date, expiration", "n4", Charset::numeric, LengthType::fixed, 4},
    {22, "point of service entry mode", "n3", Charset::numeric, LengthType::fixed, 3},
    {25, "point of service condition code", "n2", Charset::numeric, LengthType::fixed, 2},
    {35, "track 2 data", "z..37", Charset::track2, LengthType::llvar, 37},
    {37, "retrieval reference number", "an12", Charset::alphanumeric, LengthType::fixed, 12},
    {38, "authorization identification response", "an6", Charset::alphanumeric, LengthType::fixed,
     6},
    {39, "response code", "an2", Charset::alphanumeric, LengthType::fixed, 2},
    {41, "card acceptor terminal identification", "ans8", Charset::printable, LengthType::fixed, 8},
    {42, "card acceptor identification code", "ans15", Charset::printable, LengthType::fixed, 15},
    {49, "currency code, transaction", "n3", Charset::numeric, LengthType::fixed, 3},
    {52, "personal identification number data", "b64", Charset::hex, LengthType::fixed, 16},
    {55, "ICC system related data", "b..255", Charset::hex, LengthType::lllvar, 510},
    {90, "original data elements", "n42", Charset::numeric, LengthType::fixed, 42},
}};

// Field number -> index into kFields + 1 (0: not supported), so that lookups cost nothing.
constexpr std::array<std::uint8_t, 129> kFieldIndex = [] {
  std::array<std::uint8_t, 129> index{};
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    index[static_cast<std::size_t>(kFields[i].number)] = static_cast<std::uint8_t>(i + 1);
  }
  return index;
}();

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view text) {
  for (char c : text) {
    if (!is_digit(c)) {
      return false;
    }
  }
  return true;
}

bool in_charset(Charset charset, char c) {
  switch (charset) {
    case Charset::numeric:
      return is_digit(c);
    case Charset::alphanumeric:
      return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    case Charset::printable:
      return c >= 0x20 && c <= 0x7E;
    case Charset::track2:
      return is_digit(c) || c == 'D' || c == '=';
    case Charset::hex:
      return is_digit(c) || (c >= 'A' && c <= 'F');
  }
  return false;
}

// "not a digit", completing "'A' is ..." in error texts.
const char* charset_violation(Charset charset) {
  switch (charset) {
    case Charset::numeric:
      return "not a digit";
    case Charset::alphanumeric:
      return "not a letter or digit";
    case Charset::printable:
      return "not a printable character";
    case Charset::track2:
      return "not a track 2 character (0-9, D, =)";
    case Charset::hex:
      return "not a hex digit (0-9, A-F)";
  }
  return "not allowed";
}

// Unit of a fixed length in "expected 12 digits".
const char* charset_unit(Charset charset) {
  switch (charset) {
    case Charset::numeric:
      return "digits";
    case Charset::alphanumeric:
      return "letters or digits";
    case Charset::printable:
      return "characters";
    case Charset::track2:
      return "track 2 characters";
    case Charset::hex:
      return "hex digits";
  }
  return "characters";
}

std::string plural(std::size_t count, const char* singular, const char* plural_form) {
  return std::to_string(count) + " " + (count == 1 ? singular : plural_form);
}

// A byte as shown in errors: printable ones quoted, others in hex, never raw.
std::string show_byte(char c) {
  if (c >= 0x20 && c <= 0x7E) {
    return std::string("'") + c + "'";
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  auto byte = static_cast<unsigned char>(c);
  return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 0x0F];
}

std::size_t length_digits(LengthType type) {
  switch (type) {
    case LengthType::fixed:
      return 0;
    case LengthType::llvar:
      return 2;
    case LengthType::lllvar:
      return 3;
  }
  return 0;
}

const char* length_name(LengthType type) { return type == LengthType::llvar ? "LLVAR" : "LLLVAR"; }

bool bit_is_set(std::string_view bitmaps, int field) {
  auto byte = static_cast<unsigned char>(bitmaps[static_cast<std::size_t>(field - 1) / 8]);
  return (byte & (0x80u >> ((field - 1) % 8))) != 0;
}

std::string field_prefix(int field) { return "field " + std::to_string(field) + ": "; }

// The error text for `value` in `spec`, or empty when it fits.
std::string check_value(const FieldSpec& spec, const std::string& value) {
  std::string prefix = field_prefix(spec.number);
  if (spec.length_type == LengthType::fixed) {
    if (value.size() != spec.length) {
      return prefix + "expected " + std::to_string(spec.length) + " " + charset_unit(spec.charset) +
             ", got " + plural(value.size(), "character", "characters");
    }
  } else {
    if (value.size() > spec.length) {
      return prefix + "length " + std::to_string(value.size()) + " exceeds maximum " +
             std::to_string(spec.length);
    }
    if (spec.charset == Charset::hex && value.size() % 2 != 0) {
      return prefix + "hex data needs two digits per byte, got " +
             plural(value.size(), "digit", "digits");
    }
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!in_charset(spec.charset, value[i])) {
      return prefix + "character " + std::to_string(i + 1) + " (" + show_byte(value[i]) + ") is " +
             charset_violation(spec.charset);
    }
  }
  return {};
}

EncodeResult encode_failure(int field, std::string error) {
  EncodeResult result;
  result.field = field;
  result.error = std::move(error);
  return result;
}

// A cursor over a body; take() never reads past its end.
class Reader {
 public:
  explicit Reader(std::string_view body) : body_(body) {}

  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return body_.size() - offset_; }
  std::string_view take(std::size_t count) {
    std::string_view part = body_.substr(offset_, count);
    offset_ += part.size();
    return part;
  }

 private:
  std::string_view body_;
  std::size_t offset_ = 0;
};

DecodeResult decode_failure(int field, std::size_t offset, const std::string& what) {
  DecodeResult result;
  result.field = field;
  result.offset = offset;
  result.error = (field != 0 ? "field " + std::to_string(field) + " at " : std::string()) +
                 "offset " + std::to_string(offset) + ": " + what;
  return result;
}

// Decodes the field at the reader's position into `value`; returns an error result or nullopt.
std::optional<DecodeResult> decode_field(const FieldSpec& spec, Reader& reader,
                                         std::string& value) {
  std::size_t length = spec.length;
  if (spec.length_type != LengthType::fixed) {
    std::size_t digits = length_digits(spec.length_type);
    std::size_t at = reader.offset();
    if (reader.remaining() < digits) {
      return decode_failure(spec.number, at,
                            std::string("truncated ") + length_name(spec.length_type) +
                                " length: " + std::to_string(reader.remaining()) + " of " +
                                plural(digits, "byte", "bytes"));
    }
    std::string_view length_text = reader.take(digits);
    if (!all_digits(length_text)) {
      return decode_failure(spec.number, at,
                            std::string(length_name(spec.length_type)) + " length must be " +
                                std::to_string(digits) + " digits");
    }
    length = 0;
    for (char c : length_text) {
      length = length * 10 + static_cast<std::size_t>(c - '0');
    }
    if (length > spec.length) {
      return decode_failure(spec.number, at,
                            std::string(length_name(spec.length_type)) + " length " +
                                std::to_string(length) + " exceeds maximum " +
                                std::to_string(spec.length));
    }
    if (spec.charset == Charset::hex && length % 2 != 0) {
      return decode_failure(spec.number, at,
                            std::string(length_name(spec.length_type)) + " length " +
                                std::to_string(length) +
                                " is odd; hex data needs two digits per byte");
    }
  }
  std::size_t start = reader.offset();
  if (reader.remaining() < length) {
    return decode_failure(spec.number, start,
                          "truncated: " + std::to_string(reader.remaining()) + " of " +
                              plural(length, "byte", "bytes"));
  }
  std::string_view data = reader.take(length);
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (!in_charset(spec.charset, data[i])) {
      return decode_failure(spec.number, start + i,
                            show_byte(data[i]) + " is " + charset_violation(spec.charset));
    }
  }
  value.assign(data.data(), data.size());
  return std::nullopt;
}

// Keeps describe() on one line whatever a hand-built message holds.
std::string printable(std::string_view value) {
  std::string out(value);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7E) {
      c = '?';
    }
  }
  return out;
}

std::string two_digits(int value) {
  return std::string{static_cast<char>('0' + (value / 10) % 10),
                     static_cast<char>('0' + value % 10)};
}

void require_digits(std::string_view value, std::size_t count, const char* what) {
  if (value.size() != count || !all_digits(value)) {
    throw std::invalid_argument(std::string("field 90: original ") + what + " must be " +
                                std::to_string(count) + " digits");
  }
}

}  // namespace

const FieldSpec* find_field(int number) {
  if (number < 0 || number >= static_cast<int>(kFieldIndex.size())) {
    return nullptr;
  }
  std::uint8_t index = kFieldIndex[static_cast<std::size_t>(number)];
  return index == 0 ? nullptr : &kFields[index - 1];
}

const std::string& Message::get(int field) const {
  auto it = fields.find(field);
  if (it == fields.end()) {
    throw std::out_of_range("ISO 8583 " + mti + ": no field " + std::to_string(field));
  }
  return it->second;
}

Message& Message::set(int field, std::string value) {
  fields[field] = std::move(value);
  return *this;
}

Message& Message::erase(int field) {
  fields.erase(field);
  return *this;
}

EncodeResult try_encode(const Message& message) {
  if (message.mti.size() != kMtiSize || !all_digits(message.mti)) {
    return encode_failure(0, "MTI must be 4 digits");
  }
  bool secondary = false;
  for (const auto& [number, value] : message.fields) {
    const FieldSpec* spec = find_field(number);
    if (spec == nullptr) {
      return encode_failure(number, field_prefix(number) + "field not supported");
    }
    std::string error = check_value(*spec, value);
    if (!error.empty()) {
      return encode_failure(number, std::move(error));
    }
    if (number > 64) {
      secondary = true;
    }
  }

  std::string bitmaps(secondary ? 2 * kBitmapSize : kBitmapSize, '\0');
  if (secondary) {
    bitmaps[0] = static_cast<char>(0x80);
  }
  for (const auto& entry : message.fields) {
    int bit = entry.first - 1;
    bitmaps[static_cast<std::size_t>(bit / 8)] |= static_cast<char>(0x80u >> (bit % 8));
  }

  EncodeResult result;
  result.ok = true;
  result.body.reserve(kMtiSize + bitmaps.size() + 128);
  result.body += message.mti;
  result.body += bitmaps;
  // std::map iterates in ascending field order, which is the wire order.
  for (const auto& [number, value] : message.fields) {
    const FieldSpec* spec = find_field(number);
    std::size_t digits = length_digits(spec->length_type);
    if (digits != 0) {
      std::string length = std::to_string(value.size());
      result.body.append(digits - length.size(), '0');
      result.body += length;
    }
    result.body += value;
  }
  return result;
}

std::string encode(const Message& message) {
  EncodeResult result = try_encode(message);
  if (!result.ok) {
    throw std::invalid_argument(result.error);
  }
  return std::move(result.body);
}

DecodeResult decode(std::string_view body) {
  Reader reader(body);
  if (reader.remaining() < kMtiSize || !all_digits(body.substr(0, kMtiSize))) {
    return decode_failure(0, 0, "MTI must be 4 digits");
  }
  std::string_view mti = reader.take(kMtiSize);

  if (reader.remaining() < kBitmapSize) {
    return decode_failure(
        0, reader.offset(),
        "truncated primary bitmap: " + std::to_string(reader.remaining()) + " of 8 bytes");
  }
  std::string bitmaps(reader.take(kBitmapSize));
  int last_field = 64;
  if (bit_is_set(bitmaps, 1)) {
    if (reader.remaining() < kBitmapSize) {
      return decode_failure(
          0, reader.offset(),
          "truncated secondary bitmap: " + std::to_string(reader.remaining()) + " of 8 bytes");
    }
    bitmaps += reader.take(kBitmapSize);
    last_field = 128;
  }

  // Every bit is checked before any field is read: a field we cannot parse makes the offsets
  // of all later fields unknowable, so it is reported as the first problem.
  for (int field = 2; field <= last_field; ++field) {
    if (bit_is_set(bitmaps, field) && find_field(field) == nullptr) {
      return decode_failure(field, kMtiSize + static_cast<std::size_t>(field - 1) / 8,
                            "field not supported");
    }
  }

  DecodeResult result;
  result.message.mti.assign(mti.data(), mti.size());
  for (const FieldSpec& spec : kFields) {
    if (spec.number > last_field || !bit_is_set(bitmaps, spec.number)) {
      continue;
    }
    std::string value;
    if (auto failure = decode_field(spec, reader, value)) {
      return std::move(*failure);
    }
    result.message.fields.emplace(spec.number, std::move(value));
  }

  if (reader.remaining() != 0) {
    return decode_failure(
        0, reader.offset(),
        plural(reader.remaining(), "trailing byte", "trailing bytes") + " after last field");
  }
  result.ok = true;
  return result;
}

std::string describe(const Message& message) {
  std::string line = printable(message.mti);
  for (const auto& [number, value] : message.fields) {
    line += ' ';
    line += std::to_string(number);
    line += '=';
    const FieldSpec* spec = find_field(number);
    if (spec == nullptr) {
      // Unknown content may be sensitive; its size is enough to spot it.
      line += "<" + plural(value.size(), "character", "characters") + ">";
    } else if (number == 2) {
      line += printable(mask_pan(value));
    } else if (number == 35 || number == 52) {
      line += "***";
    } else if (number == 55) {
      line += "<" + plural(value.size() / 2, "byte", "bytes") + ">";
    } else if (number == 4 && parse_amount_field(value)) {
      line += format_amount(*parse_amount_field(value));
    } else if (spec->charset == Charset::printable) {
      line += '"' + printable(value) + '"';
    } else {
      line += printable(value);
    }
  }
  return line;
}

std::string frame(std::string_view body) {
  if (body.size() > kMaxBodySize) {
    throw std::length_error("ISO 8583 body of " + std::to_string(body.size()) +
                            " bytes exceeds the 65535-byte frame limit");
  }
  std::string framed;
  framed.reserve(kLengthPrefixSize + body.size());
  framed += static_cast<char>(body.size() >> 8);
  framed += static_cast<char>(body.size() & 0xFF);
  framed += body;
  return framed;
}

void Deframer::feed(std::string_view bytes) {
  // Compact only when the popped prefix dominates, so that a steady stream costs O(1) per byte.
  if (start_ != 0 && start_ >= buffer_.size() / 2) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  buffer_.append(bytes.data(), bytes.size());
}

std::optional<std::string> Deframer::pop() {
  if (buffered() < kLengthPrefixSize) {
    return std::nullopt;
  }
  std::size_t length = (static_cast<unsigned char>(buffer_[start_]) << 8) |
                       static_cast<unsigned char>(buffer_[start_ + 1]);
  if (buffered() < kLengthPrefixSize + length) {
    return std::nullopt;
  }
  std::string body = buffer_.substr(start_ + kLengthPrefixSize, length);
  start_ += kLengthPrefixSize + length;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  }
  return body;
}

std::optional<std::string> Deframer::incomplete() const {
  std::size_t at = start_;
  // Skip complete frames that are still waiting to be popped.
  while (buffer_.size() - at >= kLengthPrefixSize) {
    std::size_t length = (static_cast<unsigned char>(buffer_[at]) << 8) |
                         static_cast<unsigned char>(buffer_[at + 1]);
    std::size_t available = buffer_.size() - at - kLengthPrefixSize;
    if (available < length) {
      return "incomplete frame: " + std::to_string(available) + " of " +
             plural(length, "body byte", "body bytes");
    }
    at += kLengthPrefixSize + length;
  }
  if (at == buffer_.size()) {
    return std::nullopt;
  }
  return "incomplete frame: " + std::to_string(buffer_.size() - at) + " of 2 length prefix bytes";
}

std::string amount_field(std::int64_t minor_units) {
  if (minor_units < 0 || minor_units > 999999999999) {
    throw std::invalid_argument("field 4: amount " + std::to_string(minor_units) +
                                " is outside 0..999999999999 minor units");
  }
  std::string digits = std::to_string(minor_units);
  return std::string(12 - digits.size(), '0') + digits;
}

std::optional<std::int64_t> parse_amount_field(std::string_view value) {
  if (value.size() != 12 || !all_digits(value)) {
    return std::nullopt;
  }
  std::int64_t minor_units = 0;
  for (char c : value) {
    minor_units = minor_units * 10 + (c - '0');
  }
  return minor_units;
}

std::string transmission_date_time(const std::tm& when) {
  return local_date(when) + local_time(when);
}

std::string local_time(const std::tm& when) {
  return two_digits(when.tm_hour) + two_digits(when.tm_min) + two_digits(when.tm_sec);
}

std::string local_date(const std::tm& when) {
  return two_digits(when.tm_mon + 1) + two_digits(when.tm_mday);
}

std::string build_original_data(const OriginalData& data) {
  require_digits(data.mti, 4, "MTI");
  require_digits(data.stan, 6, "STAN");
  require_digits(data.transmission_date_time, 10, "transmission date and time");
  require_digits(data.acquirer_id, 11, "acquirer institution id");
  require_digits(data.forwarding_id, 11, "forwarding institution id");
  return data.mti + data.stan + data.transmission_date_time + data.acquirer_id + data.forwarding_id;
}

std::string build_original_data(const Message& original) {
  for (int field : {11, 7}) {
    if (!original.has(field)) {
      throw std::invalid_argument("field 90: original " + original.mti + " has no field " +
                                  std::to_string(field));
    }
  }
  OriginalData data;
  data.mti = original.mti;
  data.stan = original.get(11);
  data.transmission_date_time = original.get(7);
  return build_original_data(data);
}

std::optional<OriginalData> parse_original_data(std::string_view value) {
  if (value.size() != 42 || !all_digits(value)) {
    return std::nullopt;
  }
  OriginalData data;
  data.mti = std::string(value.substr(0, 4));
  data.stan = std::string(value.substr(4, 6));
  data.transmission_date_time = std::string(value.substr(10, 10));
  data.acquirer_id = std::string(value.substr(20, 11));
  data.forwarding_id = std::string(value.substr(31, 11));
  return data;
}

bool refers_to(const Message& reversal, const Message& original) {
  if (!reversal.has(90) || !original.has(11) || !original.has(7)) {
    return false;
  }
  auto data = parse_original_data(reversal.get(90));
  return data && data->mti == original.mti && data->stan == original.get(11) &&
         data->transmission_date_time == original.get(7);
}

StanCounter::StanCounter(int last_issued) : last_(last_issued) {
  if (last_issued < 0 || last_issued > 999999) {
    throw std::invalid_argument("STAN " + std::to_string(last_issued) + " is outside 0..999999");
  }
}

std::string StanCounter::next() {
  last_ = last_ >= 999999 ? 1 : last_ + 1;
  std::string digits = std::to_string(last_);
  return std::string(6 - digits.size(), '0') + digits;
}

std::string make_rrn(const std::tm& when, std::string_view stan) {
  if (stan.size() != 6 || !all_digits(stan)) {
    throw std::invalid_argument("RRN: STAN must be 6 digits");
  }
  int day_of_year = when.tm_yday + 1;
  std::string rrn;
  rrn += static_cast<char>('0' + ((when.tm_year + 1900) % 10 + 10) % 10);
  rrn += static_cast<char>('0' + (day_of_year / 100) % 10);
  rrn += two_digits(day_of_year % 100);
  rrn += two_digits(when.tm_hour);
  rrn += stan;
  return rrn;
}

bool is_request(std::string_view mti) {
  return mti.size() == kMtiSize && all_digits(mti) && (mti[2] == '0' || mti[2] == '2');
}

bool is_response(std::string_view mti) {
  return mti.size() == kMtiSize && all_digits(mti) && (mti[2] == '1' || mti[2] == '3');
}

std::optional<std::string> response_mti(std::string_view request_mti) {
  if (!is_request(request_mti)) {
    return std::nullopt;
  }
  std::string response(request_mti);
  response[2] = static_cast<char>(response[2] + 1);
  response[3] = '0';  // the answer to a repeat is an ordinary response
  return response;
}

std::optional<std::string> response_mismatch(const Message& request, const Message& response) {
  auto expected = response_mti(request.mti);
  if (!expected || response.mti != *expected) {
    return "MTI " + printable(response.mti) + " does not answer " + printable(request.mti) +
           (expected ? " (expected " + *expected + ")" : std::string(", which is no request"));
  }
  for (int field : {11, 41, 42}) {
    if (!request.has(field)) {
      continue;
    }
    const std::string& asked = request.get(field);
    if (!response.has(field)) {
      return field_prefix(field) + "response has none, request has \"" + printable(asked) + "\"";
    }
    if (response.get(field) != asked) {
      return field_prefix(field) + "response has \"" + printable(response.get(field)) +
             "\", request has \"" + printable(asked) + "\"";
    }
  }
  return std::nullopt;
}

}  // namespace rig::protocol::iso8583
