// Text that came from outside (files, peers) checked before anything is done with it. Pure:
// bytes in, the offset of the first problem out (docs/reliability.md, "Inputs").
//
// Well-formed UTF-8 is that of RFC 3629: no overlong forms, no surrogates (U+D800 to U+DFFF),
// nothing above U+10FFFF.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace rig::protocol {

// The length (1 to 4) of the well-formed UTF-8 sequence that starts at byte `at` of `text`, or 0
// when none starts there (a stray continuation byte, a sequence cut short, an overlong form, …).
std::size_t utf8_sequence_length(std::string_view text, std::size_t at);

// The byte offset of the first byte that is not part of well-formed UTF-8; nullopt when all is.
std::optional<std::size_t> utf8_invalid_at(std::string_view text);

// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD.
std::string utf8_replace_invalid(std::string_view text);

// The first thing in `text` that a text file must not hold.
struct TextFault {
  std::size_t offset = 0;  // byte offset in the text
  std::string what;        // "invalid UTF-8 (byte 0xFF)", "control character U+0007"
};
// Text is printable when it is well-formed UTF-8 without control characters (C0, DEL and C1)
// other than tab, line feed and carriage return. Returns the first fault; nullopt when none.
std::optional<TextFault> printable_text_fault(std::string_view text);

// 1-based line and column of byte `offset` of `text`; lines end at "\n", columns count
// characters (a UTF-8 sequence is one; a byte that is not UTF-8 is one too).
struct TextPosition {
  int line = 1;
  int column = 1;
};
TextPosition text_position(std::string_view text, std::size_t offset);

}  // namespace rig::protocol
