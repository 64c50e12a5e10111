// ISO 9564 format 0 PIN blocks (rig/protocol/pin_block.h): hand-checked vectors, round trips
// and the exact error texts.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "rig/protocol/pin_block.h"

namespace pb = rig::protocol::pin_block;

namespace {

std::string build_error(const std::string& pin, const std::string& pan) {
  try {
    pb::build(pin, pan);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// Worked by hand:
//   PIN field  0 4 1 2 3 4 F F F F F F F F F F          = 04 12 34 FF FF FF FF FF
//   PAN 4761739001010010 without its check digit: 476173900101001; rightmost 12: 173900101001
//   PAN field  0 0 0 0 1 7 3 9 0 0 1 0 1 0 0 1          = 00 00 17 39 00 10 10 01
//   XOR                                                   = 04 12 23 C6 FF EF EF FE
TEST(PinBlock, HandCheckedVectorFourDigitPin) {
  EXPECT_EQ(pb::build("1234", "4761739001010010"), "041223C6FFEFEFFE");
}

// PIN field 06 88 88 88 FF FF FF FF; PAN 6212345678901232 -> 621234567890123 -> 234567890123;
// PAN field 00 00 23 45 67 89 01 23; XOR 06 88 AB CD 98 76 FE DC.
TEST(PinBlock, HandCheckedVectorSixDigitPin) {
  EXPECT_EQ(pb::build("888888", "6212345678901232"), "0688ABCD9876FEDC");
}

// A 12-digit PAN leaves 11 digits before the check digit, padded on the left with a zero:
// PAN field 00 00 01 23 45 67 89 01; 04 12 34 FF FF FF FF FF XOR it = 04 12 35 DC BA 98 76 FE.
TEST(PinBlock, ShortPanIsPaddedOnTheLeft) {
  EXPECT_EQ(pb::build("1234", "123456789012"), "041235DCBA9876FE");
}

TEST(PinBlock, RoundTripsEveryPinLength) {
  const std::string pan = "4761739001010010";
  for (std::size_t n = 4; n <= 12; ++n) {
    std::string pin = std::string("907856341290").substr(0, n);
    std::string block = pb::build(pin, pan);
    ASSERT_EQ(block.size(), 16u);
    auto r = pb::extract(block, pan);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.pin, pin);
    EXPECT_TRUE(pb::verify(block, pan, pin));
  }
}

TEST(PinBlock, VerifyRejectsAnotherPinOrAnotherPan) {
  std::string block = pb::build("1234", "4761739001010010");
  EXPECT_FALSE(pb::verify(block, "4761739001010010", "1235"));
  EXPECT_FALSE(pb::verify(block, "4761739001010010", "12345"));
  EXPECT_FALSE(pb::verify(block, "5413330089010434", "1234"));
}

TEST(PinBlock, AcceptsLowerCaseHex) {
  EXPECT_TRUE(pb::verify("041223c6ffefeffe", "4761739001010010", "1234"));
}

TEST(PinBlock, BuildRejectsBadInput) {
  EXPECT_EQ(build_error("123", "4761739001010010"), "PIN must be 4 to 12 digits");
  EXPECT_EQ(build_error("1234567890123", "4761739001010010"), "PIN must be 4 to 12 digits");
  EXPECT_EQ(build_error("12a4", "4761739001010010"), "PIN must be 4 to 12 digits");
  EXPECT_EQ(build_error("1234", "12345678901"), "PAN must be 12 to 19 digits");
  EXPECT_EQ(build_error("1234", "47617390010100101234"), "PAN must be 12 to 19 digits");
  EXPECT_EQ(build_error("1234", "4761 739001010010"), "PAN must be 12 to 19 digits");
}

TEST(PinBlock, ExtractErrorsNameTheProblemWithoutTheSecret) {
  const std::string pan = "4761739001010010";
  // 041223C6FFEFEFFE is the block of PIN 1234 (see above); each case alters one nibble.
  EXPECT_EQ(pb::extract("041223C6FFEFEF", pan).error, "PIN block must be 16 hex digits");
  EXPECT_EQ(pb::extract("041223C6FFEFEFFG", pan).error, "PIN block must be 16 hex digits");
  EXPECT_EQ(pb::extract("041223C6FFEFEFFE", "1234").error, "PAN must be 12 to 19 digits");
  EXPECT_EQ(pb::extract("341223C6FFEFEFFE", pan).error, "PIN block format 3 is not format 0");
  EXPECT_EQ(pb::extract("021223C6FFEFEFFE", pan).error, "PIN length 2 is outside 4 to 12");
  EXPECT_EQ(pb::extract("0D1223C6FFEFEFFE", pan).error, "PIN length 13 is outside 4 to 12");
  EXPECT_EQ(pb::extract("04A223C6FFEFEFFE", pan).error, "PIN digit 1 is not decimal");
  EXPECT_EQ(pb::extract("041223C6FFEFEF0E", pan).error, "PIN block padding is not all F");
  auto r = pb::extract("041223C6FFEFEFFE", pan);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.error, "");
}
