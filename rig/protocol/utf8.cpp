#include "rig/protocol/utf8.h"

#include <cstdio>

namespace rig::protocol {

std::size_t utf8_sequence_length(std::string_view text, std::size_t at) {
  if (at >= text.size()) return 0;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char c = byte(at);
  const std::size_t len = c < 0x80           ? 1
                          : (c >> 5) == 0x6  ? 2
                          : (c >> 4) == 0xE  ? 3
                          : (c >> 3) == 0x1E ? 4
                                             : 0;
  if (len <= 1) return len;
  if (at + len > text.size()) return 0;
  unsigned cp = c & (0xFFu >> (len + 1));
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(at + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(at + k) & 0x3F);
  }
  const bool overlong =
      (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
  if (overlong || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 0;
  return len;
}

std::optional<std::size_t> utf8_invalid_at(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = utf8_sequence_length(text, i);
    if (len == 0) return i;
    i += len;
  }
  return std::nullopt;
}

std::string utf8_replace_invalid(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = utf8_sequence_length(text, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text, i, len);
      i += len;
    }
  }
  return out;
}

namespace {

std::string hex_code(const char* format, unsigned value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

}  // namespace

std::optional<TextFault> printable_text_fault(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = utf8_sequence_length(text, i);
    const auto c = static_cast<unsigned char>(text[i]);
    if (len == 0) return TextFault{i, hex_code("invalid UTF-8 (byte 0x%02X)", c)};
    if (len == 1 && ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)) {
      return TextFault{i, hex_code("control character U+%04X", c)};
    }
    if (len == 2 && c == 0xC2) {
      // U+0080 to U+009F: the C1 controls.
      const auto second = static_cast<unsigned char>(text[i + 1]);
      if (second <= 0x9F) return TextFault{i, hex_code("control character U+%04X", second)};
    }
    i += len;
  }
  return std::nullopt;
}

TextPosition text_position(std::string_view text, std::size_t offset) {
  TextPosition p;
  for (std::size_t i = 0; i < text.size() && i < offset;) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
      ++i;
      continue;
    }
    const std::size_t len = utf8_sequence_length(text, i);
    ++p.column;
    i += len == 0 ? 1 : len;
  }
  return p;
}

}  // namespace rig::protocol
