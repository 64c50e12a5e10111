#include "rig/protocol/zvt_bmp.h"

#include <algorithm>
#include <iterator>

namespace rig::protocol::zvt {

namespace {

using F = BmpFormat;

// Formats and lengths as the specification's bitmap table gives them (13.x, chapter 4);
// names are ours. Sorted by id for the lookup.
constexpr BmpSpec kBmps[] = {
    {0x01, "timeout", F::binary, 1},
    {0x02, "max status infos", F::binary, 1},
    {0x03, "service byte", F::binary, 1},
    {0x04, "amount", F::bcd, 6},
    {0x05, "pump nr", F::binary, 1},
    {0x06, "TLV container", F::tlv, 0},
    {0x0B, "trace number", F::bcd, 3},
    {0x0C, "time", F::bcd, 3},
    {0x0D, "date", F::bcd, 2},
    {0x0E, "expiry date", F::bcd, 2},
    {0x17, "card sequence number", F::bcd, 2},
    {0x19, "payment type", F::binary, 1},
    {0x22, "PAN / EF_ID", F::llvar, 0},
    {0x23, "track 2 data", F::llvar, 0},
    {0x24, "track 3 data", F::lllvar, 0},
    {0x27, "result code", F::binary, 1},
    {0x29, "terminal ID", F::bcd, 4},
    {0x2A, "VU number", F::ascii, 15},
    {0x2D, "track 1 data", F::llvar, 0},
    {0x2E, "synchronous chip data", F::lllvar, 0},
    {0x37, "original trace number", F::bcd, 3},
    {0x3A, "CVV/CVC", F::bcd, 2},
    {0x3B, "AID (authorisation attribute)", F::ascii, 8},
    {0x3C, "additional text", F::lllvar, 0},
    {0x3D, "password", F::bcd, 3},
    {0x49, "currency code", F::bcd, 2},
    {0x4C, "blocked goods groups", F::llvar, 0},
    {0x60, "individual totals", F::lllvar, 0},
    {0x87, "receipt number", F::bcd, 2},
    {0x88, "turnover record number", F::bcd, 3},
    {0x8A, "card type", F::binary, 1},
    {0x8B, "card name", F::llvar, 0},
    {0x8C, "card type ID", F::binary, 1},
    {0x92, "additional data ec-Cash offline", F::lllvar, 0},
    {0x9A, "Geldkarte records", F::lllvar, 0},
    {0xA0, "result code AS", F::binary, 1},
    {0xA7, "chip data EF_ID", F::llvar, 0},
    {0xAA, "date YYMMDD", F::bcd, 3},
    {0xAF, "EF_Info", F::lllvar, 0},
    {0xBA, "AID parameter", F::binary, 5},
    {0xD0, "algorithm key", F::binary, 1},
    {0xD1, "card offset / PIN data", F::llvar, 0},
    {0xD2, "direction", F::binary, 1},
    {0xD3, "key position", F::binary, 1},
    {0xE0, "min input length", F::binary, 1},
    {0xE1, "text2 line 1", F::llvar, 0},
    {0xE2, "text2 line 2", F::llvar, 0},
    {0xE3, "text2 line 3", F::llvar, 0},
    {0xE4, "text2 line 4", F::llvar, 0},
    {0xE5, "text2 line 5", F::llvar, 0},
    {0xE6, "text2 line 6", F::llvar, 0},
    {0xE7, "text2 line 7", F::llvar, 0},
    {0xE8, "text2 line 8", F::llvar, 0},
    {0xE9, "max input length", F::binary, 1},
    {0xEA, "input echo", F::binary, 1},
    {0xEB, "MAC", F::binary, 8},
    {0xF0, "display duration", F::binary, 1},
    {0xF1, "text1 line 1", F::llvar, 0},
    {0xF2, "text1 line 2", F::llvar, 0},
    {0xF3, "text1 line 3", F::llvar, 0},
    {0xF4, "text1 line 4", F::llvar, 0},
    {0xF5, "text1 line 5", F::llvar, 0},
    {0xF6, "text1 line 6", F::llvar, 0},
    {0xF7, "text1 line 7", F::llvar, 0},
    {0xF8, "text1 line 8", F::llvar, 0},
    {0xF9, "beeps", F::binary, 1},
    {0xFA, "status", F::binary, 1},
    {0xFB, "OK required", F::binary, 1},
    {0xFC, "dialog control", F::binary, 1},
};

std::uint8_t byte_at(std::string_view s, std::size_t i) { return static_cast<std::uint8_t>(s[i]); }

std::string at_offset(std::uint8_t id, std::size_t offset) {
  return "BMP " + hex(id) + " at offset " + std::to_string(offset) + ": ";
}

// Reads an LLVAR/LLLVAR length of `digits` bytes at `pos`; error text empty on success.
std::string read_var_length(std::string_view data, std::size_t pos, int digits, std::size_t& out) {
  const char* kind = digits == 2 ? "LLVAR" : "LLLVAR";
  if (data.size() - pos < static_cast<std::size_t>(digits)) {
    return std::string("truncated ") + kind + " length: " + std::to_string(data.size() - pos) +
           " of " + std::to_string(digits) + " bytes";
  }
  out = 0;
  for (int i = 0; i < digits; ++i) {
    const std::uint8_t b = byte_at(data, pos + static_cast<std::size_t>(i));
    if ((b & 0xF0) != 0xF0 || (b & 0x0F) > 9) {
      return std::string(kind) + " length byte " + hex(b) + " is not F0-F9";
    }
    out = out * 10 + (b & 0x0F);
  }
  return {};
}

std::string var_length(std::size_t length, int digits) {
  std::string out;
  for (int i = digits - 1; i >= 0; --i) {
    std::size_t d = length;
    for (int k = 0; k < i; ++k) d /= 10;
    out.push_back(static_cast<char>(0xF0 | (d % 10)));
  }
  return out;
}

// Reads a BER length at `pos`; advances `pos`. Error text empty on success.
std::string read_ber_length(std::string_view data, std::size_t& pos, std::size_t& out) {
  if (pos >= data.size()) return "truncated length";
  const std::uint8_t first = byte_at(data, pos);
  if (first < 0x80) {
    out = first;
    pos += 1;
    return {};
  }
  const std::size_t extra = first == 0x81 ? 1 : first == 0x82 ? 2 : 0;
  if (extra == 0) return "bad length byte " + hex(first);
  if (data.size() - pos - 1 < extra) return "truncated length";
  out = 0;
  for (std::size_t i = 0; i < extra; ++i) out = out << 8 | byte_at(data, pos + 1 + i);
  pos += 1 + extra;
  return {};
}

TlvDecoded decode_tlv_at(std::string_view bytes, std::size_t base, int depth) {
  TlvDecoded out;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const std::size_t start = pos;
    const auto fail = [&](const std::string& what) {
      out.error = what;
      out.offset = base + start;
      out.objects.clear();
      return out;
    };
    // Tag: 1 byte, or more when the low five bits are all set.
    std::uint32_t tag = byte_at(bytes, pos++);
    if ((tag & 0x1F) == 0x1F) {
      for (;;) {
        if (pos >= bytes.size()) {
          return fail("TLV at offset " + std::to_string(base + start) + ": truncated tag");
        }
        if (pos - start >= 4) {
          return fail("TLV at offset " + std::to_string(base + start) +
                      ": tag longer than 4 bytes");
        }
        const std::uint8_t b = byte_at(bytes, pos++);
        tag = tag << 8 | b;
        if ((b & 0x80) == 0) break;
      }
    }
    const std::string where = "TLV " + hex(tag) + " at offset " + std::to_string(base + start);
    std::size_t length = 0;
    if (std::string e = read_ber_length(bytes, pos, length); !e.empty()) {
      return fail(where + ": " + e);
    }
    if (bytes.size() - pos < length) {
      return fail(where + ": truncated: " + std::to_string(bytes.size() - pos) + " of " +
                  std::to_string(length) + " bytes");
    }
    Tlv t;
    t.tag = tag;
    t.value = std::string(bytes.substr(pos, length));
    // A constructed object's content is decoded when it is well-formed TLV and not nested too
    // deep; otherwise it is kept as raw bytes (vendors' private tags do not always follow BER).
    if (t.constructed() && depth + 1 < kMaxTlvDepth) {
      TlvDecoded inner = decode_tlv_at(t.value, base + pos, depth + 1);
      if (inner.ok()) t.children = std::move(inner.objects);
    }
    pos += length;
    out.objects.push_back(std::move(t));
  }
  return out;
}

// The tag's bytes, or an error text.
std::string tag_bytes(std::uint32_t tag, std::string& error) {
  std::string b;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const auto v = static_cast<std::uint8_t>(tag >> shift);
    if (b.empty() && v == 0 && shift > 0) continue;
    b.push_back(static_cast<char>(v));
  }
  // A one-byte tag must not announce more bytes; a longer one must announce them, and every
  // byte but its last carries the continuation bit.
  const auto first = static_cast<std::uint8_t>(b[0]);
  const bool multi = (first & 0x1F) == 0x1F;
  if (multi != (b.size() > 1)) {
    error = "TLV tag " + hex(tag) + ": " +
            (multi ? "a tag " + hex(first) + " needs more bytes"
                   : std::string("only a first byte xxx1 1111 starts a longer tag"));
    return {};
  }
  for (std::size_t i = 1; i < b.size(); ++i) {
    const bool more = (static_cast<std::uint8_t>(b[i]) & 0x80) != 0;
    if (more != (i + 1 < b.size())) {
      error = "TLV tag " + hex(tag) + ": continuation bits do not match its length";
      return {};
    }
  }
  return b;
}

bool encode_tlv_into(const std::vector<Tlv>& objects, int depth, std::string& out,
                     std::string& error) {
  for (const Tlv& t : objects) {
    const std::string tag = tag_bytes(t.tag, error);
    if (!error.empty()) return false;
    std::string value;
    if (t.constructed() && !t.children.empty()) {
      if (depth + 1 >= kMaxTlvDepth) {
        error = "TLV " + hex(t.tag) + ": nested deeper than " + std::to_string(kMaxTlvDepth);
        return false;
      }
      if (!encode_tlv_into(t.children, depth + 1, value, error)) return false;
    } else {
      value = t.value;
    }
    if (value.size() > 0xFFFF) {
      error = "TLV " + hex(t.tag) + ": value of " + std::to_string(value.size()) +
              " bytes (at most 65535)";
      return false;
    }
    out += tag;
    out += tlv_length(value.size());
    out += value;
  }
  return true;
}

}  // namespace

std::string hex(std::uint32_t value, int min_digits) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[value & 0xF]);
    value >>= 4;
  } while (value != 0);
  while (static_cast<int>(out.size()) < min_digits) out.insert(out.begin(), '0');
  if (out.size() % 2 != 0) out.insert(out.begin(), '0');
  return "0x" + out;
}

// --- BCD --------------------------------------------------------------------------------------

std::optional<std::string> encode_bcd(std::string_view digits, std::size_t bytes) {
  if (digits.size() > bytes * 2) return std::nullopt;
  std::string padded(bytes * 2 - digits.size(), '0');
  padded.append(digits);
  std::string out;
  out.reserve(bytes);
  for (std::size_t i = 0; i < padded.size(); i += 2) {
    const char hi = padded[i];
    const char lo = padded[i + 1];
    if (hi < '0' || hi > '9' || lo < '0' || lo > '9') return std::nullopt;
    out.push_back(static_cast<char>((hi - '0') << 4 | (lo - '0')));
  }
  return out;
}

std::optional<std::string> decode_bcd(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<std::uint8_t>(c);
    if ((b >> 4) > 9 || (b & 0x0F) > 9) return std::nullopt;
    out.push_back(static_cast<char>('0' + (b >> 4)));
    out.push_back(static_cast<char>('0' + (b & 0x0F)));
  }
  return out;
}

std::optional<std::uint64_t> bcd_value(std::string_view bytes) {
  const auto digits = decode_bcd(bytes);
  if (!digits || digits->size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char d : *digits) v = v * 10 + static_cast<std::uint64_t>(d - '0');
  return v;
}

std::optional<std::string> bcd_bytes(std::uint64_t value, std::size_t bytes) {
  return encode_bcd(std::to_string(value), bytes);
}

std::optional<std::string> encode_pan(std::string_view pan) {
  if (pan.empty() || pan.size() > 19) return std::nullopt;
  std::string nibbles;
  for (char c : pan) {
    if (c >= '0' && c <= '9') {
      nibbles.push_back(static_cast<char>(c - '0'));
    } else if (c == '*') {
      nibbles.push_back(0x0E);
    } else {
      return std::nullopt;
    }
  }
  if (nibbles.size() % 2 != 0) nibbles.push_back(0x0F);
  std::string out;
  for (std::size_t i = 0; i < nibbles.size(); i += 2) {
    out.push_back(static_cast<char>(nibbles[i] << 4 | nibbles[i + 1]));
  }
  return out;
}

std::optional<std::string> decode_pan(std::string_view bytes) {
  std::string out;
  const std::size_t nibbles = bytes.size() * 2;
  for (std::size_t i = 0; i < nibbles; ++i) {
    const auto b = static_cast<std::uint8_t>(bytes[i / 2]);
    const std::uint8_t n = i % 2 == 0 ? b >> 4 : b & 0x0F;
    if (n <= 9) {
      out.push_back(static_cast<char>('0' + n));
    } else if (n == 0x0E) {
      out.push_back('*');
    } else if (n == 0x0F && i + 1 == nibbles && i > 0) {
      break;  // padding of an odd count
    } else {
      return std::nullopt;
    }
  }
  if (out.size() > 19) return std::nullopt;  // a PAN has 19 digits at most, as encode_pan says
  return out;
}

// --- BMPs -------------------------------------------------------------------------------------

const char* to_string(BmpFormat format) {
  switch (format) {
    case BmpFormat::binary:
      return "binary";
    case BmpFormat::bcd:
      return "bcd";
    case BmpFormat::ascii:
      return "ascii";
    case BmpFormat::llvar:
      return "llvar";
    case BmpFormat::lllvar:
      return "lllvar";
    case BmpFormat::tlv:
      return "tlv";
  }
  return "?";
}

const BmpSpec* find_bmp(std::uint8_t id) {
  const auto end = std::end(kBmps);
  const auto it = std::lower_bound(std::begin(kBmps), end, id,
                                   [](const BmpSpec& s, std::uint8_t v) { return s.id < v; });
  return it != end && it->id == id ? &*it : nullptr;
}

BmpsDecoded decode_bmps(std::string_view data) {
  BmpsDecoded out;
  std::size_t pos = 0;
  while (pos < data.size()) {
    const std::size_t start = pos;
    const std::uint8_t id = byte_at(data, pos++);
    const auto fail = [&](const std::string& what, std::size_t offset) {
      out.bmps.clear();
      out.error = what;
      out.offset = offset;
      return out;
    };
    const BmpSpec* spec = find_bmp(id);
    if (!spec) return fail("unknown BMP " + hex(id) + " at offset " + std::to_string(start), start);
    if (find(out.bmps, id)) return fail(at_offset(id, start) + "given twice", start);
    std::size_t length = spec->length;
    switch (spec->format) {
      case BmpFormat::binary:
      case BmpFormat::bcd:
      case BmpFormat::ascii:
        break;
      case BmpFormat::llvar:
      case BmpFormat::lllvar: {
        const int digits = spec->format == BmpFormat::llvar ? 2 : 3;
        if (std::string e = read_var_length(data, pos, digits, length); !e.empty()) {
          return fail(at_offset(id, start) + e, start);
        }
        pos += static_cast<std::size_t>(digits);
        break;
      }
      case BmpFormat::tlv: {
        if (std::string e = read_ber_length(data, pos, length); !e.empty()) {
          // "truncated length" / "bad length byte 0x83", said of the container
          return fail(at_offset(id, start) + e.insert(e.find("length"), "TLV "), start);
        }
        break;
      }
    }
    if (data.size() - pos < length) {
      return fail(at_offset(id, start) + "truncated: " + std::to_string(data.size() - pos) +
                      " of " + std::to_string(length) + " bytes",
                  start);
    }
    out.bmps.push_back(Bmp{id, std::string(data.substr(pos, length))});
    pos += length;
  }
  return out;
}

BmpsEncoded encode_bmps(const std::vector<Bmp>& bmps) {
  BmpsEncoded out;
  for (std::size_t i = 0; i < bmps.size(); ++i) {
    const Bmp& b = bmps[i];
    const auto fail = [&](const std::string& what) {
      out.bytes.clear();
      out.error = what;
      return out;
    };
    const BmpSpec* spec = find_bmp(b.id);
    if (!spec) return fail("unknown BMP " + hex(b.id));
    for (std::size_t k = 0; k < i; ++k) {
      if (bmps[k].id == b.id) return fail("BMP " + hex(b.id) + ": given twice");
    }
    const std::string size = std::to_string(b.value.size());
    out.bytes.push_back(static_cast<char>(b.id));
    switch (spec->format) {
      case BmpFormat::binary:
      case BmpFormat::bcd:
      case BmpFormat::ascii:
        if (b.value.size() != spec->length) {
          return fail("BMP " + hex(b.id) + ": value is " + size + " bytes (expected " +
                      std::to_string(spec->length) + ")");
        }
        break;
      case BmpFormat::llvar:
        if (b.value.size() > 99) {
          return fail("BMP " + hex(b.id) + ": value is " + size +
                      " bytes (LLVAR holds at most 99)");
        }
        out.bytes += var_length(b.value.size(), 2);
        break;
      case BmpFormat::lllvar:
        if (b.value.size() > 999) {
          return fail("BMP " + hex(b.id) + ": value is " + size +
                      " bytes (LLLVAR holds at most 999)");
        }
        out.bytes += var_length(b.value.size(), 3);
        break;
      case BmpFormat::tlv:
        if (b.value.size() > 0xFFFF) {
          return fail("BMP " + hex(b.id) + ": value is " + size +
                      " bytes (TLV holds at most 65535)");
        }
        out.bytes += tlv_length(b.value.size());
        break;
    }
    out.bytes += b.value;
  }
  return out;
}

const Bmp* find(const std::vector<Bmp>& bmps, std::uint8_t id) {
  for (const Bmp& b : bmps) {
    if (b.id == id) return &b;
  }
  return nullptr;
}

// --- TLV --------------------------------------------------------------------------------------

bool Tlv::constructed() const {
  std::uint32_t first = tag;
  while (first > 0xFF) first >>= 8;
  return (first & 0x20) != 0;
}

bool Tlv::operator==(const Tlv& o) const {
  if (tag != o.tag) return false;
  if (constructed() && (!children.empty() || !o.children.empty())) return children == o.children;
  return value == o.value;
}

TlvDecoded decode_tlv(std::string_view bytes) { return decode_tlv_at(bytes, 0, 0); }

TlvEncoded encode_tlv(const std::vector<Tlv>& objects) {
  TlvEncoded out;
  if (!encode_tlv_into(objects, 0, out.bytes, out.error)) out.bytes.clear();
  return out;
}

std::string tlv_length(std::size_t length) {
  if (length < 0x80) return std::string(1, static_cast<char>(length));
  if (length <= 0xFF) return std::string{'\x81', static_cast<char>(length)};
  return std::string{'\x82', static_cast<char>(length >> 8), static_cast<char>(length & 0xFF)};
}

const Tlv* find(const std::vector<Tlv>& objects, std::uint32_t tag) {
  for (const Tlv& t : objects) {
    if (t.tag == tag) return &t;
  }
  return nullptr;
}

}  // namespace rig::protocol::zvt
