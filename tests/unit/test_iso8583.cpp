// ISO 8583 codec: a hand-written wire vector, round trips of every message kind, one test per
// malformed-input class with its exact error text, framing, and the field helpers.
#include "rig/protocol/iso8583.h"

#include <gtest/gtest.h>

#include <ctime>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace iso = rig::protocol::iso8583;

namespace {

using namespace std::string_literals;

const std::string kPan = "4761739001010119";
const std::string kTrack2 = "4761739001010119D2512201123456789";  // 33 characters
const std::string kPinBlock = "0123456789ABCDEF";
const std::string kIccData = "9F02060000000100005F2A020978";  // 14 bytes as 28 hex digits

// Bitmap of the sale below, fields 2 3 4 7 11 12 13 14 22 25 35 41 42 49 52 55. Bit n lives in
// byte (n-1)/8 under mask 0x80 >> ((n-1)%8):
//   byte 0 (bits  1- 8): 2=0x40 3=0x20 4=0x10 7=0x02          -> 0x72
//   byte 1 (bits  9-16): 11=0x20 12=0x10 13=0x08 14=0x04      -> 0x3C
//   byte 2 (bits 17-24): 22=0x04                               -> 0x04
//   byte 3 (bits 25-32): 25=0x80                               -> 0x80
//   byte 4 (bits 33-40): 35=0x20                               -> 0x20
//   byte 5 (bits 41-48): 41=0x80 42=0x40                       -> 0xC0
//   byte 6 (bits 49-56): 49=0x80 52=0x10 55=0x02               -> 0x92
//   byte 7 (bits 57-64): none, and bit 1 clear: no secondary   -> 0x00
// Field offsets in the body: 2 (LL) 12, 3 30, 4 36, 7 48, 11 58, 12 64, 13 70, 14 74, 22 78,
// 25 81, 35 (LL) 83, 41 118, 42 126, 49 141, 52 144, 55 (LLL) 160; 191 bytes in all.
const std::string kSaleBody = "0200"s +                              // MTI
                              "\x72\x3C\x04\x80\x20\xC0\x92\x00"s +  // primary bitmap
                              "16" + "4761739001010119" +            // 2  PAN, LLVAR
                              "000000" +                             // 3  processing code: purchase
                              "000000010000" +  // 4  amount 100.00 in minor units
                              "0612143005" +    // 7  transmission 06-12 14:30:05
                              "000123" +        // 11 STAN
                              "143005" +        // 12 local time
                              "0612" +          // 13 local date
                              "2512" +          // 14 expiry YYMM
                              "051" +           // 22 entry mode: chip
                              "00" +            // 25 condition: normal
                              "33" + "4761739001010119D2512201123456789" +  // 35 track 2, LLVAR
                              "TERM0001" +                                  // 41 terminal id
                              "MERCHANT0000001" +                           // 42 merchant id
                              "978" +                                       // 49 currency EUR
                              "0123456789ABCDEF" +                          // 52 PIN block as hex
                              "028" + "9F02060000000100005F2A020978";  // 55 ICC data, LLLVAR hex

iso::Message sale() {
  iso::Message m;
  m.mti = "0200";
  m.set(2, kPan)
      .set(3, "000000")
      .set(4, "000000010000")
      .set(7, "0612143005")
      .set(11, "000123")
      .set(12, "143005")
      .set(13, "0612")
      .set(14, "2512")
      .set(22, "051")
      .set(25, "00")
      .set(35, kTrack2)
      .set(41, "TERM0001")
      .set(42, "MERCHANT0000001")
      .set(49, "978")
      .set(52, kPinBlock)
      .set(55, kIccData);
  return m;
}

iso::Message approval() {
  iso::Message m;
  m.mti = "0210";
  m.set(3, "000000")
      .set(4, "000000010000")
      .set(7, "0612143005")
      .set(11, "000123")
      .set(37, "516314000123")
      .set(38, "A1B2C3")
      .set(39, "00")
      .set(41, "TERM0001")
      .set(42, "MERCHANT0000001")
      .set(49, "978");
  return m;
}

iso::Message reversal(const std::string& mti) {
  iso::Message m;
  m.mti = mti;
  m.set(3, "000000")
      .set(4, "000000010000")
      .set(7, "0612143115")
      .set(11, "000123")
      .set(39, "98")
      .set(41, "TERM0001")
      .set(42, "MERCHANT0000001")
      .set(49, "978")
      .set(90, iso::build_original_data(sale()));
  return m;
}

iso::Message network(const std::string& mti) {
  iso::Message m;
  m.mti = mti;
  m.set(7, "0612143005").set(11, "000007").set(41, "TERM0001");
  if (mti == "0810") {
    m.set(39, "00");
  }
  return m;
}

std::string decode_error(const std::string& body) {
  iso::DecodeResult result = iso::decode(body);
  EXPECT_FALSE(result.ok);
  return result.error;
}

std::string encode_error(const iso::Message& m) {
  iso::EncodeResult result = iso::try_encode(m);
  EXPECT_FALSE(result.ok);
  return result.error;
}

std::string with_byte(std::string body, std::size_t offset, char c) {
  body.at(offset) = c;
  return body;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Hand-written vector

TEST(Iso8583Vector, EncodeProducesTheHandWrittenBytes) {
  ASSERT_EQ(kSaleBody.size(), 191u);
  EXPECT_EQ(iso::encode(sale()), kSaleBody);
  // 191 = 0x00BF, big-endian.
  EXPECT_EQ(iso::frame(iso::encode(sale())), "\x00\xBF"s + kSaleBody);
}

TEST(Iso8583Vector, DecodeGivesBackEveryField) {
  iso::DecodeResult result = iso::decode(kSaleBody);
  ASSERT_TRUE(result.ok) << result.error;
  const iso::Message& m = result.message;
  EXPECT_EQ(m.mti, "0200");
  EXPECT_EQ(m.fields.size(), 16u);
  EXPECT_EQ(m.get(2), kPan);
  EXPECT_EQ(m.get(4), "000000010000");
  EXPECT_EQ(m.get(7), "0612143005");
  EXPECT_EQ(m.get(11), "000123");
  EXPECT_EQ(m.get(22), "051");
  EXPECT_EQ(m.get(35), kTrack2);
  EXPECT_EQ(m.get(41), "TERM0001");
  EXPECT_EQ(m.get(42), "MERCHANT0000001");
  EXPECT_EQ(m.get(52), kPinBlock);
  EXPECT_EQ(m.get(55), kIccData);
  EXPECT_EQ(m, sale());
}

// ---------------------------------------------------------------------------------------------
// Round trips and bitmaps

TEST(Iso8583RoundTrip, EveryMessageKind) {
  for (const iso::Message& m : {sale(), approval(), reversal("0400"), reversal("0401"),
                                [] {
                                  iso::Message r = approval();
                                  r.mti = "0410";
                                  return r.erase(38).erase(37);
                                }(),
                                network("0800"), network("0810")}) {
    SCOPED_TRACE(m.mti);
    std::string body = iso::encode(m);
    iso::DecodeResult result = iso::decode(body);
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.message, m);
    EXPECT_EQ(iso::encode(result.message), body);
  }
}

TEST(Iso8583RoundTrip, SecondaryBitmapExactlyWhenAFieldAbove64IsPresent) {
  std::string with_90 = iso::encode(reversal("0400"));
  EXPECT_EQ(static_cast<unsigned char>(with_90[4]) & 0x80, 0x80);
  // Field 90 is bit 26 of the secondary bitmap: byte 3, mask 0x40.
  EXPECT_EQ(with_90.substr(12, 8), "\x00\x00\x00\x40\x00\x00\x00\x00"s);
  iso::Message without_90 = reversal("0400").erase(90);
  std::string body = iso::encode(without_90);
  EXPECT_EQ(static_cast<unsigned char>(body[4]) & 0x80, 0);
  EXPECT_EQ(with_90.size(), body.size() + 8 + 42);
  EXPECT_EQ(static_cast<unsigned char>(iso::encode(sale())[4]) & 0x80, 0);
}

TEST(Iso8583RoundTrip, MessageWithoutFields) {
  iso::Message m;
  m.mti = "0800";
  std::string body = iso::encode(m);
  EXPECT_EQ(body, "0800"s + std::string(8, '\0'));
  iso::DecodeResult result = iso::decode(body);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.message, m);
}

TEST(Iso8583RoundTrip, EmptySecondaryBitmapIsAcceptedAndDropped) {
  std::string body =
      "0800"s + "\x80\x20\x00\x00\x00\x00\x00\x00"s + std::string(8, '\0') + "000007";
  iso::DecodeResult result = iso::decode(body);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.message.get(11), "000007");
  EXPECT_EQ(iso::encode(result.message), "0800"s + "\x00\x20\x00\x00\x00\x00\x00\x00"s + "000007");
}

TEST(Iso8583RoundTrip, RandomValidMessagesOfEverySupportedField) {
  std::mt19937 random(8583);
  auto pick = [&](const std::string& alphabet, std::size_t length) {
    std::string value;
    for (std::size_t i = 0; i < length; ++i) {
      value += alphabet[random() % alphabet.size()];
    }
    return value;
  };
  const std::string digits = "0123456789";
  const std::string alnum = digits + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string printable;
  for (char c = 0x20; c <= 0x7E; ++c) {
    printable += c;
  }
  for (int round = 0; round < 200; ++round) {
    iso::Message m;
    m.mti = pick(digits, 4);
    for (int number = 1; number <= 128; ++number) {
      const iso::FieldSpec* spec = iso::find_field(number);
      if (spec == nullptr || random() % 2 == 0) {
        continue;
      }
      std::size_t length = spec->length;
      if (spec->length_type != iso::LengthType::fixed) {
        length = random() % (spec->length + 1);
      }
      if (spec->charset == iso::Charset::hex) {
        length -= length % 2;
      }
      switch (spec->charset) {
        case iso::Charset::numeric:
          m.set(number, pick(digits, length));
          break;
        case iso::Charset::alphanumeric:
          m.set(number, pick(alnum, length));
          break;
        case iso::Charset::printable:
          m.set(number, pick(printable, length));
          break;
        case iso::Charset::track2:
          m.set(number, pick(digits + "D=", length));
          break;
        case iso::Charset::hex:
          m.set(number, pick("0123456789ABCDEF", length));
          break;
      }
    }
    std::string body = iso::encode(m);
    iso::DecodeResult result = iso::decode(body);
    ASSERT_TRUE(result.ok) << result.error;
    ASSERT_EQ(result.message, m) << iso::describe(m);
    ASSERT_EQ((static_cast<unsigned char>(body[4]) & 0x80) != 0, m.has(90));
  }
}

TEST(Iso8583Message, GetOfAMissingFieldNamesIt) {
  try {
    approval().get(90);
    FAIL() << "no exception";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "ISO 8583 0210: no field 90");
  }
}

TEST(Iso8583Fields, TableCoversTheDialect) {
  for (int number : {2, 3, 4, 7, 11, 12, 13, 14, 22, 25, 35, 37, 38, 39, 41, 42, 49, 52, 55, 90}) {
    const iso::FieldSpec* spec = iso::find_field(number);
    ASSERT_NE(spec, nullptr) << number;
    EXPECT_EQ(spec->number, number);
  }
  for (int number : {-1, 0, 1, 5, 48, 64, 65, 70, 128, 129, 1000}) {
    EXPECT_EQ(iso::find_field(number), nullptr) << number;
  }
  EXPECT_EQ(iso::find_field(35)->length_type, iso::LengthType::llvar);
  EXPECT_EQ(iso::find_field(35)->length, 37u);
  EXPECT_EQ(iso::find_field(55)->length_type, iso::LengthType::lllvar);
}

// ---------------------------------------------------------------------------------------------
// Malformed input: one test per class, exact texts

TEST(Iso8583Decode, BadMti) {
  EXPECT_EQ(decode_error(""), "offset 0: MTI must be 4 digits");
  EXPECT_EQ(decode_error("020"), "offset 0: MTI must be 4 digits");
  EXPECT_EQ(decode_error(with_byte(kSaleBody, 2, 'A')), "offset 0: MTI must be 4 digits");
  iso::DecodeResult result = iso::decode("02X0");
  EXPECT_EQ(result.offset, 0u);
  EXPECT_EQ(result.field, 0);
}

TEST(Iso8583Decode, TruncatedBitmaps) {
  EXPECT_EQ(decode_error(kSaleBody.substr(0, 7)),
            "offset 4: truncated primary bitmap: 3 of 8 bytes");
  EXPECT_EQ(decode_error("0200"), "offset 4: truncated primary bitmap: 0 of 8 bytes");
  std::string reversal_body = iso::encode(reversal("0400"));
  EXPECT_EQ(decode_error(reversal_body.substr(0, 14)),
            "offset 12: truncated secondary bitmap: 2 of 8 bytes");
}

TEST(Iso8583Decode, UnsupportedFieldNamedWithItsBitmapByte) {
  // Field 70 is bit 6 of the secondary bitmap: byte 12 of the body, mask 0x04.
  std::string body =
      "0800"s + "\x80\x00\x00\x00\x00\x00\x00\x00"s + "\x04\x00\x00\x00\x00\x00\x00\x00"s + "301";
  iso::DecodeResult result = iso::decode(body);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error, "field 70 at offset 12: field not supported");
  EXPECT_EQ(result.field, 70);
  EXPECT_EQ(result.offset, 12u);
  // Field 64 (MAC) is the last bit of the primary bitmap; field 5 is in its first byte.
  EXPECT_EQ(decode_error(with_byte(kSaleBody, 11, '\x01')),
            "field 64 at offset 11: field not supported");
  EXPECT_EQ(decode_error(with_byte(kSaleBody, 4, '\x7A')),
            "field 5 at offset 4: field not supported");
  // Bit 65 would announce a tertiary bitmap, which the dialect does not have.
  std::string tertiary =
      "0800"s + "\x80\x00\x00\x00\x00\x00\x00\x00"s + "\x80\x00\x00\x00\x00\x00\x00\x00"s;
  EXPECT_EQ(decode_error(tertiary), "field 65 at offset 12: field not supported");
}

TEST(Iso8583Decode, BadVariableLengthDigits) {
  EXPECT_EQ(decode_error(with_byte(kSaleBody, 13, 'x')),
            "field 2 at offset 12: LLVAR length must be 2 digits");
  EXPECT_EQ(decode_error(with_byte(kSaleBody, 160, ' ')),
            "field 55 at offset 160: LLLVAR length must be 3 digits");
  EXPECT_EQ(decode_error(kSaleBody.substr(0, 13)),
            "field 2 at offset 12: truncated LLVAR length: 1 of 2 bytes");
  EXPECT_EQ(decode_error(kSaleBody.substr(0, 162)),
            "field 55 at offset 160: truncated LLLVAR length: 2 of 3 bytes");
}

TEST(Iso8583Decode, VariableLengthAboveMaximum) {
  std::string body = kSaleBody;
  body.replace(83, 2, "45");
  iso::DecodeResult result = iso::decode(body);
  EXPECT_EQ(result.error, "field 35 at offset 83: LLVAR length 45 exceeds maximum 37");
  EXPECT_EQ(result.field, 35);
  EXPECT_EQ(result.offset, 83u);
  body = kSaleBody;
  body.replace(12, 2, "20");
  EXPECT_EQ(decode_error(body), "field 2 at offset 12: LLVAR length 20 exceeds maximum 19");
  body = kSaleBody;
  body.replace(160, 3, "512");
  EXPECT_EQ(decode_error(body), "field 55 at offset 160: LLLVAR length 512 exceeds maximum 510");
  body = kSaleBody;
  body.replace(160, 3, "027");
  EXPECT_EQ(decode_error(body),
            "field 55 at offset 160: LLLVAR length 27 is odd; hex data needs two digits per byte");
}

TEST(Iso8583Decode, TruncatedFields) {
  EXPECT_EQ(decode_error(kSaleBody.substr(0, 41)),
            "field 4 at offset 36: truncated: 5 of 12 bytes");
  EXPECT_EQ(decode_error(kSaleBody.substr(0, 20)),
            "field 2 at offset 14: truncated: 6 of 16 bytes");
  EXPECT_EQ(decode_error(kSaleBody.substr(0, 30)), "field 3 at offset 30: truncated: 0 of 6 bytes");
  EXPECT_EQ(decode_error(kSaleBody.substr(0, 190)),
            "field 55 at offset 163: truncated: 27 of 28 bytes");
}

TEST(Iso8583Decode, CharacterOutsideTheFieldCharset) {
  iso::DecodeResult result = iso::decode(with_byte(kSaleBody, 40, 'A'));
  EXPECT_EQ(result.error, "field 4 at offset 40: 'A' is not a digit");
  EXPECT_EQ(result.field, 4);
  EXPECT_EQ(result.offset, 40u);
  EXPECT_EQ(decode_error(with_byte(kSaleBody, 20, '\x07')),
            "field 2 at offset 20: byte 0x07 is not a digit");
  EXPECT_EQ(decode_error(with_byte(kSaleBody, 101, 'X')),
            "field 35 at offset 101: 'X' is not a track 2 character (0-9, D, =)");
  EXPECT_EQ(decode_error(with_byte(kSaleBody, 150, 'g')),
            "field 52 at offset 150: 'g' is not a hex digit (0-9, A-F)");
  EXPECT_EQ(decode_error(with_byte(kSaleBody, 120, '\x7F')),
            "field 41 at offset 120: byte 0x7F is not a printable character");
  std::string body = iso::encode(approval());
  std::size_t rc = body.find("00TERM0001");
  ASSERT_NE(rc, std::string::npos);
  EXPECT_EQ(decode_error(with_byte(body, rc + 1, '-')),
            "field 39 at offset " + std::to_string(rc + 1) + ": '-' is not a letter or digit");
}

TEST(Iso8583Decode, TrailingBytes) {
  EXPECT_EQ(decode_error(kSaleBody + "abc"), "offset 191: 3 trailing bytes after last field");
  EXPECT_EQ(decode_error(kSaleBody + "\n"), "offset 191: 1 trailing byte after last field");
}

TEST(Iso8583Encode, ValueThatDoesNotFitNamesTheField) {
  iso::Message m = sale();
  EXPECT_EQ(encode_error(m.set(4, "10000")), "field 4: expected 12 digits, got 5 characters");
  EXPECT_EQ(encode_error(m.set(4, "00000001000A")), "field 4: character 12 ('A') is not a digit");
  m = sale();
  EXPECT_EQ(encode_error(m.set(2, std::string(20, '4'))), "field 2: length 20 exceeds maximum 19");
  m = sale();
  EXPECT_EQ(encode_error(m.set(35, kPan + "=2512X")),
            "field 35: character 22 ('X') is not a track 2 character (0-9, D, =)");
  m = sale();
  EXPECT_EQ(encode_error(m.set(52, "0123456789abcdef")),
            "field 52: character 11 ('a') is not a hex digit (0-9, A-F)");
  EXPECT_EQ(encode_error(m.set(52, "0123")), "field 52: expected 16 hex digits, got 4 characters");
  m = sale();
  EXPECT_EQ(encode_error(m.set(55, "9F020")),
            "field 55: hex data needs two digits per byte, got 5 digits");
  m = sale();
  EXPECT_EQ(encode_error(m.set(41, "TERM1")), "field 41: expected 8 characters, got 5 characters");
  EXPECT_EQ(encode_error(approval().set(39, "0")),
            "field 39: expected 2 letters or digits, got 1 character");
  iso::EncodeResult result = iso::try_encode(sale().set(70, "301"));
  EXPECT_EQ(result.error, "field 70: field not supported");
  EXPECT_EQ(result.field, 70);
  EXPECT_EQ(encode_error(sale().set(1, "")), "field 1: field not supported");
  m = sale();
  m.mti = "200";
  EXPECT_EQ(encode_error(m), "MTI must be 4 digits");
  m.mti = "02a0";
  EXPECT_EQ(encode_error(m), "MTI must be 4 digits");
}

TEST(Iso8583Encode, ThrowingVariantCarriesTheSameText) {
  try {
    iso::encode(sale().set(4, "10000"));
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "field 4: expected 12 digits, got 5 characters");
  }
}

// ---------------------------------------------------------------------------------------------
// Framing

TEST(Iso8583Frame, LengthPrefixIsBigEndianAndBounded) {
  EXPECT_EQ(iso::frame(""), "\x00\x00"s);
  std::string largest(65535, 'x');
  std::string framed = iso::frame(largest);
  EXPECT_EQ(framed.substr(0, 2), "\xFF\xFF"s);
  EXPECT_EQ(framed.size(), 65537u);
  EXPECT_EQ(iso::frame(std::string(258, 'x')).substr(0, 2), "\x01\x02"s);
  try {
    iso::frame(std::string(70000, 'x'));
    FAIL() << "no exception";
  } catch (const std::length_error& e) {
    EXPECT_STREQ(e.what(), "ISO 8583 body of 70000 bytes exceeds the 65535-byte frame limit");
  }
}

TEST(Iso8583Deframer, SplitsAStreamFedByteByByte) {
  std::string first = iso::encode(sale());
  std::string second = iso::encode(approval());
  std::string stream = iso::frame(first) + iso::frame(second);
  iso::Deframer deframer;
  std::vector<std::string> bodies;
  std::vector<std::size_t> completed_at;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    deframer.feed(stream.substr(i, 1));
    while (auto body = deframer.pop()) {
      bodies.push_back(*body);
      completed_at.push_back(i + 1);
    }
  }
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[0], first);
  EXPECT_EQ(bodies[1], second);
  // Each body pops exactly when its last byte arrives, not earlier and not later.
  EXPECT_EQ(completed_at[0], 2 + first.size());
  EXPECT_EQ(completed_at[1], stream.size());
  EXPECT_EQ(deframer.buffered(), 0u);
  EXPECT_EQ(deframer.incomplete(), std::nullopt);
}

TEST(Iso8583Deframer, EverySplitPointOfTwoMessages) {
  std::string first = iso::encode(reversal("0400"));
  std::string second = iso::encode(network("0800"));
  std::string stream = iso::frame(first) + iso::frame(second);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    SCOPED_TRACE(cut);
    iso::Deframer deframer;
    std::vector<std::string> bodies;
    deframer.feed(std::string_view(stream).substr(0, cut));
    while (auto body = deframer.pop()) {
      bodies.push_back(*body);
    }
    deframer.feed(std::string_view(stream).substr(cut));
    while (auto body = deframer.pop()) {
      bodies.push_back(*body);
    }
    ASSERT_EQ(bodies.size(), 2u);
    EXPECT_EQ(bodies[0], first);
    EXPECT_EQ(bodies[1], second);
  }
}

TEST(Iso8583Deframer, ManyMessagesInOneChunkAndAnEmptyFrame) {
  iso::Deframer deframer;
  std::string chunk;
  for (int i = 0; i < 5; ++i) {
    chunk += iso::frame(iso::encode(network("0800")));
  }
  chunk += iso::frame("");
  chunk += "\x00"s;  // first byte of a next prefix
  deframer.feed(chunk);
  for (int i = 0; i < 5; ++i) {
    auto body = deframer.pop();
    ASSERT_TRUE(body.has_value()) << i;
    EXPECT_TRUE(iso::decode(*body).ok);
  }
  auto empty = deframer.pop();
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, "");
  EXPECT_EQ(iso::decode(*empty).error, "offset 0: MTI must be 4 digits");
  EXPECT_EQ(deframer.pop(), std::nullopt);
  EXPECT_EQ(deframer.buffered(), 1u);
}

TEST(Iso8583Deframer, DescribesAFrameCutShort) {
  iso::Deframer deframer;
  EXPECT_EQ(deframer.incomplete(), std::nullopt);
  deframer.feed("\x00"s);
  EXPECT_EQ(deframer.incomplete(), "incomplete frame: 1 of 2 length prefix bytes");
  deframer.feed("\x39"s + "0800");  // 57 bytes announced, 4 there
  EXPECT_EQ(deframer.incomplete(), "incomplete frame: 4 of 57 body bytes");
  EXPECT_EQ(deframer.pop(), std::nullopt);
  iso::Deframer complete_then_partial;
  complete_then_partial.feed(iso::frame("0800"s + std::string(8, '\0')) + "\x00\x01"s);
  EXPECT_EQ(complete_then_partial.incomplete(), "incomplete frame: 0 of 1 body byte");
}

// ---------------------------------------------------------------------------------------------
// Field helpers

TEST(Iso8583OriginalData, BuildFromTheOriginalAndParseBack) {
  std::string field_90 = iso::build_original_data(sale());
  EXPECT_EQ(field_90,
            "0200"
            "000123"
            "0612143005"
            "00000000000"
            "00000000000");
  EXPECT_EQ(field_90.size(), 42u);
  auto parsed = iso::parse_original_data(field_90);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->mti, "0200");
  EXPECT_EQ(parsed->stan, "000123");
  EXPECT_EQ(parsed->transmission_date_time, "0612143005");
  EXPECT_EQ(parsed->acquirer_id, "00000000000");
  EXPECT_EQ(parsed->forwarding_id, "00000000000");

  iso::OriginalData data = *parsed;
  data.acquirer_id = "12345678901";
  auto with_ids = iso::parse_original_data(iso::build_original_data(data));
  ASSERT_TRUE(with_ids.has_value());
  EXPECT_EQ(with_ids->acquirer_id, "12345678901");
  EXPECT_EQ(with_ids->forwarding_id, "00000000000");

  EXPECT_EQ(iso::parse_original_data(field_90.substr(1)), std::nullopt);
  EXPECT_EQ(iso::parse_original_data(with_byte(field_90, 7, 'X')), std::nullopt);
}

TEST(Iso8583OriginalData, ErrorsNameThePart) {
  iso::OriginalData data;
  data.mti = "0200";
  data.stan = "123";
  data.transmission_date_time = "0612143005";
  try {
    iso::build_original_data(data);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "field 90: original STAN must be 6 digits");
  }
  try {
    iso::build_original_data(sale().erase(7));
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "field 90: original 0200 has no field 7");
  }
}

TEST(Iso8583OriginalData, RefersToMatchesMtiStanAndTransmissionTime) {
  EXPECT_TRUE(iso::refers_to(reversal("0400"), sale()));
  EXPECT_TRUE(iso::refers_to(reversal("0401"), sale()));
  iso::Message other = sale().set(11, "000124");
  EXPECT_FALSE(iso::refers_to(reversal("0400"), other));
  EXPECT_FALSE(iso::refers_to(reversal("0400"), sale().set(7, "0612143006")));
  iso::Message refund = sale();
  refund.mti = "0220";
  EXPECT_FALSE(iso::refers_to(reversal("0400"), refund));
  EXPECT_FALSE(iso::refers_to(reversal("0400").erase(90), sale()));
}

TEST(Iso8583Stan, CountsFromOneAndWrapsPast999999ToOne) {
  iso::StanCounter fresh;
  EXPECT_EQ(fresh.last_issued(), 0);
  EXPECT_EQ(fresh.next(), "000001");
  EXPECT_EQ(fresh.next(), "000002");
  EXPECT_EQ(fresh.last_issued(), 2);

  iso::StanCounter resumed(999998);
  EXPECT_EQ(resumed.next(), "999999");
  EXPECT_EQ(resumed.next(), "000001");
  EXPECT_EQ(resumed.last_issued(), 1);
  EXPECT_EQ(iso::StanCounter(999999).next(), "000001");
  EXPECT_EQ(iso::StanCounter(41).next(), "000042");

  EXPECT_THROW(iso::StanCounter(-1), std::invalid_argument);
  try {
    iso::StanCounter too_big(1000000);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "STAN 1000000 is outside 0..999999");
  }
}

TEST(Iso8583Rrn, YearDigitDayOfYearHourAndStan) {
  std::tm when{};
  when.tm_year = 2025 - 1900;
  when.tm_yday = 59;  // 1 March 2025, day 060
  when.tm_hour = 14;
  EXPECT_EQ(iso::make_rrn(when, "000123"), "506014000123");
  when.tm_year = 2030 - 1900;
  when.tm_yday = 0;
  when.tm_hour = 0;
  EXPECT_EQ(iso::make_rrn(when, "999999"), "000100999999");
  when.tm_yday = 365;
  when.tm_hour = 23;
  std::string rrn = iso::make_rrn(when, "000001");
  EXPECT_EQ(rrn, "036623000001");
  EXPECT_EQ(iso::try_encode(approval().set(37, rrn)).ok, true);
  EXPECT_THROW(iso::make_rrn(when, "12345"), std::invalid_argument);
}

TEST(Iso8583Time, FieldsSevenTwelveAndThirteen) {
  std::tm when{};
  when.tm_mon = 5;  // June
  when.tm_mday = 12;
  when.tm_hour = 14;
  when.tm_min = 30;
  when.tm_sec = 5;
  EXPECT_EQ(iso::transmission_date_time(when), "0612143005");
  EXPECT_EQ(iso::local_time(when), "143005");
  EXPECT_EQ(iso::local_date(when), "0612");
}

TEST(Iso8583Amount, FieldFourInMinorUnits) {
  EXPECT_EQ(iso::amount_field(10000), "000000010000");
  EXPECT_EQ(iso::amount_field(0), "000000000000");
  EXPECT_EQ(iso::amount_field(999999999999), "999999999999");
  EXPECT_THROW(iso::amount_field(-1), std::invalid_argument);
  EXPECT_THROW(iso::amount_field(1000000000000), std::invalid_argument);
  EXPECT_EQ(iso::parse_amount_field("000000010000"), 10000);
  EXPECT_EQ(iso::parse_amount_field("10000"), std::nullopt);
  EXPECT_EQ(iso::parse_amount_field("00000001000A"), std::nullopt);
}

TEST(Iso8583Mti, RequestsResponsesAndTheirPairs) {
  EXPECT_EQ(iso::response_mti("0200"), "0210");
  EXPECT_EQ(iso::response_mti("0400"), "0410");
  EXPECT_EQ(iso::response_mti("0401"), "0410");
  EXPECT_EQ(iso::response_mti("0800"), "0810");
  EXPECT_EQ(iso::response_mti("0210"), std::nullopt);
  EXPECT_EQ(iso::response_mti("02"), std::nullopt);
  for (const char* mti : {"0200", "0400", "0401", "0800", "0220"}) {
    EXPECT_TRUE(iso::is_request(mti)) << mti;
    EXPECT_FALSE(iso::is_response(mti)) << mti;
  }
  for (const char* mti : {"0210", "0410", "0810", "0230"}) {
    EXPECT_TRUE(iso::is_response(mti)) << mti;
    EXPECT_FALSE(iso::is_request(mti)) << mti;
  }
  for (const char* mti : {"", "021", "02A0", "02100"}) {
    EXPECT_FALSE(iso::is_request(mti)) << mti;
    EXPECT_FALSE(iso::is_response(mti)) << mti;
  }
}

TEST(Iso8583Mti, ResponseMismatchNamesWhatDiffers) {
  EXPECT_EQ(iso::response_mismatch(sale(), approval()), std::nullopt);
  iso::Message wrong_mti = approval();
  wrong_mti.mti = "0410";
  EXPECT_EQ(iso::response_mismatch(sale(), wrong_mti),
            "MTI 0410 does not answer 0200 (expected 0210)");
  EXPECT_EQ(iso::response_mismatch(approval(), approval()),
            "MTI 0210 does not answer 0210, which is no request");
  EXPECT_EQ(iso::response_mismatch(sale(), approval().set(11, "000124")),
            "field 11: response has \"000124\", request has \"000123\"");
  EXPECT_EQ(iso::response_mismatch(sale(), approval().set(41, "TERM0002")),
            "field 41: response has \"TERM0002\", request has \"TERM0001\"");
  EXPECT_EQ(iso::response_mismatch(sale(), approval().erase(42)),
            "field 42: response has none, request has \"MERCHANT0000001\"");
}

// ---------------------------------------------------------------------------------------------
// describe()

TEST(Iso8583Describe, MasksPanAndHidesTrackTwoPinBlockAndIccData) {
  std::string line = iso::describe(sale());
  EXPECT_EQ(line,
            "0200 2=476173******0119 3=000000 4=100.00 7=0612143005 11=000123 12=143005 "
            "13=0612 14=2512 22=051 25=00 35=*** 41=\"TERM0001\" 42=\"MERCHANT0000001\" 49=978 "
            "52=*** 55=<14 bytes>");
  EXPECT_EQ(line.find(kPan), std::string::npos);
  EXPECT_EQ(line.find("739001010"), std::string::npos);
  EXPECT_EQ(line.find("2512201123456789"), std::string::npos);
  EXPECT_EQ(line.find(kPinBlock), std::string::npos);
  EXPECT_EQ(line.find("9F02"), std::string::npos);
}

TEST(Iso8583Describe, StaysOnOneLineForHandBuiltMessages) {
  iso::Message m;
  m.mti = "02\n0";
  m.set(41, "TERM\r\n01").set(4, "12").set(70, "secret");
  EXPECT_EQ(iso::describe(m), "02?0 4=12 41=\"TERM??01\" 70=<6 characters>");
}
