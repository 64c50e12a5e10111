// ZVT data elements: BCD numbers, LLVAR/LLLVAR lengths, the bitmaps (BMPs) that carry the fields
// of an APDU, and the TLV container (BMP 06). Pure functions over bytes: no I/O, no clocks, no
// exceptions from malformed input. The APDUs and messages built from these are in
// rig/protocol/zvt.h; docs/zvt.md lists the BMPs and their formats for people.
//
// Formats (ZVT protocol specification 13.x, "Bitmaps"):
//   binary  fixed number of bytes, taken as they are
//   bcd     fixed number of bytes, two decimal digits per byte, most significant first
//   ascii   fixed number of bytes of text
//   llvar   two length bytes F0-F9 F0-F9 (tens, units: the high nibble of each is F), then that
//           many bytes (0-99)
//   lllvar  three such length bytes (hundreds, tens, units), then 0-999 bytes
//   tlv     the TLV container: a BER length (below), then that many bytes of TLV objects
//
// TLV objects (the container's content and constructed objects' content) are BER-like:
//   tag     one byte; when its low five bits are all set (xxx1 1111) more tag bytes follow,
//           each with bit 8 set except the last. Bit 6 of the first byte marks a constructed
//           object, whose value is itself a sequence of TLV objects.
//   length  0x00-0x7F: that length; 0x81 LL: one length byte; 0x82 HH LL: two (big-endian).
// A tag is held as the integer of its bytes: 0x07, 0x24, 0x1F07.
//
// Error texts name the element and the byte offset (0-based, in the bytes handed to the
// decoder): "BMP 0x22 at offset 12: LLVAR length byte 0x3a is not F0-F9". They never echo field
// contents (a PAN stays out of logs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rig::protocol::zvt {

// ---------------------------------------------------------------------------------------------
// BCD

// "0978", 2 -> bytes 09 78. The digits are left-padded with '0' to 2*bytes; nullopt when
// `digits` holds anything but 0-9 or does not fit.
std::optional<std::string> encode_bcd(std::string_view digits, std::size_t bytes);
// Bytes 09 78 -> "0978"; nullopt when a nibble is above 9.
std::optional<std::string> decode_bcd(std::string_view bytes);
// Unsigned value of BCD bytes (at most 19 digits); nullopt when a nibble is above 9.
std::optional<std::uint64_t> bcd_value(std::string_view bytes);
// `value` as `bytes` BCD bytes; nullopt when it does not fit.
std::optional<std::string> bcd_bytes(std::uint64_t value, std::size_t bytes);

// A PAN as BMP 22 carries it: one digit per nibble, 'E' for a masked digit (shown '*'), an odd
// count padded with a final F nibble. "476173******0010" <-> 47 61 73 EE EE EE 00 10. Encoding
// takes digits and '*' only; nullopt otherwise or when longer than 19.
std::optional<std::string> encode_pan(std::string_view pan);
// Nullopt for a nibble A-D, an E after the padding, an F anywhere but the last nibble, or more
// than 19 characters (what encode_pan refuses).
std::optional<std::string> decode_pan(std::string_view bytes);

// ---------------------------------------------------------------------------------------------
// Bitmaps

enum class BmpFormat { binary, bcd, ascii, llvar, lllvar, tlv };

const char* to_string(BmpFormat format);

struct BmpSpec {
  std::uint8_t id = 0;
  std::string_view name;  // "amount"
  BmpFormat format = BmpFormat::binary;
  std::size_t length = 0;  // bytes, for the fixed formats
};

// The spec of a known BMP, or nullptr. Known: 01 02 03 04 05 06 0B 0C 0D 0E 17 19 22 23 24 27
// 29 2A 2D 2E 37 3A 3B 3C 3D 49 4C 60 87 88 8A 8B 8C 92 9A A0 A7 AA AF BA D0 D1 D2 D3 E0-EB
// F0-FC.
const BmpSpec* find_bmp(std::uint8_t id);

namespace bmp {
inline constexpr std::uint8_t kTimeout = 0x01;
inline constexpr std::uint8_t kMaxStatusInfos = 0x02;
inline constexpr std::uint8_t kServiceByte = 0x03;
inline constexpr std::uint8_t kAmount = 0x04;
inline constexpr std::uint8_t kPumpNr = 0x05;
inline constexpr std::uint8_t kTlv = 0x06;
inline constexpr std::uint8_t kTrace = 0x0B;
inline constexpr std::uint8_t kTime = 0x0C;
inline constexpr std::uint8_t kDate = 0x0D;
inline constexpr std::uint8_t kExpiry = 0x0E;
inline constexpr std::uint8_t kCardSequence = 0x17;
inline constexpr std::uint8_t kPaymentType = 0x19;  // also status byte / card type by command
inline constexpr std::uint8_t kPan = 0x22;
inline constexpr std::uint8_t kResultCode = 0x27;
inline constexpr std::uint8_t kTerminalId = 0x29;
inline constexpr std::uint8_t kVuNumber = 0x2A;
inline constexpr std::uint8_t kOriginalTrace = 0x37;
inline constexpr std::uint8_t kAid = 0x3B;  // authorisation attribute (approval code)
inline constexpr std::uint8_t kAdditionalText = 0x3C;
inline constexpr std::uint8_t kCurrency = 0x49;
inline constexpr std::uint8_t kReceiptNr = 0x87;
inline constexpr std::uint8_t kTurnoverNr = 0x88;
inline constexpr std::uint8_t kCardType = 0x8A;
inline constexpr std::uint8_t kCardName = 0x8B;
inline constexpr std::uint8_t kCardTypeId = 0x8C;
inline constexpr std::uint8_t kResultCodeAs = 0xA0;
inline constexpr std::uint8_t kAidParameter = 0xBA;
}  // namespace bmp

// One BMP as found in an APDU: its id and its value as on the wire, without the id byte and
// without the LLVAR/LLLVAR length bytes or the TLV container's length.
struct Bmp {
  std::uint8_t id = 0;
  std::string value;
  bool operator==(const Bmp& o) const { return id == o.id && value == o.value; }
  bool operator!=(const Bmp& o) const { return !(*this == o); }
};

struct BmpsDecoded {
  std::vector<Bmp> bmps;
  std::string error;
  std::size_t offset = 0;  // where the error is
  bool ok() const { return error.empty(); }
};

// A sequence of BMPs (the rest of an APDU's data). Errors, at the offset of the BMP byte or of
// the byte at fault:
//   "unknown BMP 0x5f at offset 7"
//   "BMP 0x04 at offset 0: truncated: 3 of 6 bytes"
//   "BMP 0x22 at offset 12: truncated LLVAR length: 1 of 2 bytes"
//   "BMP 0x22 at offset 12: LLVAR length byte 0x3a is not F0-F9"
//   "BMP 0x06 at offset 3: bad TLV length byte 0x83"
//   "BMP 0x04 at offset 9: given twice"
BmpsDecoded decode_bmps(std::string_view data);

struct BmpsEncoded {
  std::string bytes;
  std::string error;
  bool ok() const { return error.empty(); }
};

// The wire bytes of `bmps`, in the order given. Errors:
//   "unknown BMP 0x5f"
//   "BMP 0x04: value is 5 bytes (expected 6)"
//   "BMP 0x8b: value is 120 bytes (LLVAR holds at most 99)"  (LLLVAR: 999; TLV: 65535)
//   "BMP 0x04: given twice"
BmpsEncoded encode_bmps(const std::vector<Bmp>& bmps);

// The first BMP with `id`, or nullptr.
const Bmp* find(const std::vector<Bmp>& bmps, std::uint8_t id);

// ---------------------------------------------------------------------------------------------
// TLV

struct Tlv {
  std::uint32_t tag = 0;
  std::string value;          // the value bytes (for a constructed object: its encoded children)
  std::vector<Tlv> children;  // a constructed object's content, decoded

  Tlv() = default;
  Tlv(std::uint32_t t, std::string v) : tag(t), value(std::move(v)) {}
  Tlv(std::uint32_t t, std::vector<Tlv> c) : tag(t), children(std::move(c)) {}

  // Bit 6 of the tag's first byte.
  bool constructed() const;
  bool operator==(const Tlv& o) const;
  bool operator!=(const Tlv& o) const { return !(*this == o); }
};

namespace tlv {
inline constexpr std::uint32_t kTextLines = 0x07;  // one line of text
inline constexpr std::uint32_t kPermittedCommand = 0x0A;
inline constexpr std::uint32_t kCharsPerLine = 0x12;
inline constexpr std::uint32_t kDisplayTexts = 0x24;       // constructed: 07 lines
inline constexpr std::uint32_t kPrintTexts = 0x25;         // constructed: 07 lines, 1F07 type
inline constexpr std::uint32_t kPermittedCommands = 0x26;  // constructed: 0A commands
inline constexpr std::uint32_t kPaymentType = 0x2F;        // constructed
inline constexpr std::uint32_t kReceiptType = 0x1F07;      // 01 merchant, 02 customer, 03 admin
inline constexpr std::uint32_t kCardholderAuth = 0x1F10;
inline constexpr std::uint32_t kCardTechnology = 0x1F12;  // 00 stripe, 01 chip, 02 contactless
}  // namespace tlv

// Constructed objects nested deeper than this are kept raw when decoding, refused when encoding.
inline constexpr int kMaxTlvDepth = 8;

struct TlvDecoded {
  std::vector<Tlv> objects;
  std::string error;
  std::size_t offset = 0;
  bool ok() const { return error.empty(); }
};

// A sequence of TLV objects (the content of a container, without its length). Errors:
//   "TLV at offset 4: truncated tag"
//   "TLV at offset 4: tag longer than 4 bytes"
//   "TLV 0x1f07 at offset 4: truncated length"
//   "TLV 0x1f07 at offset 4: bad length byte 0x83"
//   "TLV 0x24 at offset 4: truncated: 3 of 20 bytes"
// A constructed object's content is decoded into `children` when it is itself a well-formed
// sequence nested at most kMaxTlvDepth deep; otherwise it stays raw in `value` (vendors' private
// tags do not always follow BER), which is no error.
TlvDecoded decode_tlv(std::string_view bytes);

struct TlvEncoded {
  std::string bytes;
  std::string error;
  bool ok() const { return error.empty(); }
};

// The wire bytes of `objects`. A constructed object with children is encoded from them (its
// `value` is ignored); otherwise from `value`. Errors: "TLV tag 0x1f: a tag 0x1f needs more
// bytes", "TLV tag 0x1f87: continuation bits ...", "TLV 0x07: value of 70000 bytes (at most
// 65535)", "TLV 0x24: nested deeper than 8".
TlvEncoded encode_tlv(const std::vector<Tlv>& objects);

// BER length (0x00-0x7F, 81 LL, 82 HH LL) of `length`; the caller keeps it at most 65535.
std::string tlv_length(std::size_t length);

// The first object with `tag` in `objects` (not searched recursively), or nullptr.
const Tlv* find(const std::vector<Tlv>& objects, std::uint32_t tag);

// "0x1f07", "0x07": how error texts show a tag (and "0x5f" a BMP id or byte).
std::string hex(std::uint32_t value, int min_digits = 2);

}  // namespace rig::protocol::zvt
