// UTF-8 and printable-text checks (rig/protocol/utf8.h): offsets of the first bad byte.
#include <gtest/gtest.h>

#include <string>

#include "rig/protocol/utf8.h"

namespace {

using rig::protocol::printable_text_fault;
using rig::protocol::text_position;
using rig::protocol::utf8_invalid_at;
using rig::protocol::utf8_replace_invalid;
using rig::protocol::utf8_sequence_length;

TEST(Utf8, WellFormedTextHasNoInvalidByte) {
  EXPECT_EQ(utf8_invalid_at(""), std::nullopt);
  EXPECT_EQ(utf8_invalid_at("plain ascii\n"), std::nullopt);
  // é (2 bytes), € (3), U+1F4B3 credit card (4), U+10FFFF (the last code point).
  EXPECT_EQ(utf8_invalid_at("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x92\xB3 \xF4\x8F\xBF\xBF"),
            std::nullopt);
  EXPECT_EQ(utf8_sequence_length("\xF0\x9F\x92\xB3", 0), 4u);
  EXPECT_EQ(utf8_sequence_length("\xE2\x82\xAC", 0), 3u);
}

TEST(Utf8, GivesTheOffsetOfTheFirstBadByte) {
  EXPECT_EQ(utf8_invalid_at("ab\xFF"), 2u);                          // never in UTF-8
  EXPECT_EQ(utf8_invalid_at("a\x80z"), 1u);                          // stray continuation byte
  EXPECT_EQ(utf8_invalid_at("abc\xE2\x82"), 3u);                     // cut short at the end
  EXPECT_EQ(utf8_invalid_at("\xC3\xA9\xE2\x28\xA1"), 2u);            // continuation missing
  EXPECT_EQ(utf8_invalid_at("x\xC0\xAF"), 1u);                       // overlong '/'
  EXPECT_EQ(utf8_invalid_at("\xE0\x80\xAF"), 0u);                    // overlong, 3 bytes
  EXPECT_EQ(utf8_invalid_at("ok\xED\xA0\x80"), 2u);                  // surrogate U+D800
  EXPECT_EQ(utf8_invalid_at("\xF4\x90\x80\x80"), 0u);                // above U+10FFFF
  EXPECT_EQ(utf8_invalid_at(std::string("a\0b", 3)), std::nullopt);  // NUL is UTF-8
}

TEST(Utf8, ReplacesEachBadByte) {
  EXPECT_EQ(utf8_replace_invalid("a\xFF"
                                 "b\xC3\xA9"),
            "a\xEF\xBF\xBD"
            "b\xC3\xA9");
  EXPECT_EQ(utf8_replace_invalid("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(PrintableText, NamesTheFaultAndWhere) {
  EXPECT_EQ(printable_text_fault("name: x\n\tsteps: []\r\n"), std::nullopt);
  EXPECT_EQ(printable_text_fault("caf\xC3\xA9 \xC2\xA0"), std::nullopt);  // é, no-break space
  auto bad = printable_text_fault("name: \xFF");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->offset, 6u);
  EXPECT_EQ(bad->what, "invalid UTF-8 (byte 0xFF)");
  bad = printable_text_fault("a\x07");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->offset, 1u);
  EXPECT_EQ(bad->what, "control character U+0007");
  bad = printable_text_fault(std::string("ab\0", 3));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->what, "control character U+0000");
  bad = printable_text_fault("x\x7F");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->what, "control character U+007F");
  bad = printable_text_fault("\xC3\xA9\xC2\x9B");  // é then the C1 control CSI
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->offset, 2u);
  EXPECT_EQ(bad->what, "control character U+009B");
}

TEST(PrintableText, PositionsCountLinesAndCharacters) {
  const std::string text = "a: 1\nb: \xC3\xA9\xC3\xA9\xFF\n";
  EXPECT_EQ(text_position(text, 0).line, 1);
  EXPECT_EQ(text_position(text, 0).column, 1);
  const auto at = text_position(text, *utf8_invalid_at(text));
  EXPECT_EQ(at.line, 2);
  EXPECT_EQ(at.column, 6);  // "b: " and two é before it
  EXPECT_EQ(text_position(text, 5).line, 2);
  EXPECT_EQ(text_position(text, 5).column, 1);
}

}  // namespace
