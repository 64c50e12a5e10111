// RIG-ECR v1 codec: frame bytes, message encoding and decoding, and the deframer, with the exact
// error texts users read in transcripts.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rig/protocol/ecr.h"

namespace ecr = rig::protocol::ecr;
using ecr::Event;
using ecr::Message;

namespace {

const std::string kFs(1, ecr::kFs);

std::string frame_of(const std::string& payload) { return ecr::encode_frame(payload); }

// Everything the deframer has ready, in order.
std::vector<Event> drain(ecr::Deframer& d) {
  std::vector<Event> out;
  while (auto e = d.pop()) {
    out.push_back(*e);
  }
  return out;
}

std::string expect_encode_error(const Message& m) {
  ecr::Encoded e = ecr::encode(m);
  EXPECT_FALSE(e.ok());
  EXPECT_TRUE(e.payload.empty());
  return e.error;
}

std::string expect_decode_error(const std::string& payload) {
  ecr::Decoded d = ecr::decode(payload);
  EXPECT_FALSE(d.ok());
  return d.error;
}

TEST(EcrFrame, KnownFrameBytes) {
  // Payload "LAST" FS "id=7". LRC by hand, starting from ETX 0x03:
  //   0x03^'L'0x4c=0x4f ^'A'0x41=0x0e ^'S'0x53=0x5d ^'T'0x54=0x09 ^FS 0x1c=0x15
  //   ^'i'0x69=0x7c ^'d'0x64=0x18 ^'='0x3d=0x25 ^'7'0x37=0x12
  const std::string payload = "LAST" + kFs + "id=7";
  EXPECT_EQ(ecr::lrc(payload), '\x12');
  EXPECT_EQ(ecr::encode_frame(payload), std::string("\x02LAST\x1cid=7\x03\x12"));
}

TEST(EcrFrame, DocumentedExample) {
  // The worked example of docs/ecr-protocol.md section 2.
  const std::string payload = "STATUS" + kFs + "id=S1" + kFs + "seq=1";
  EXPECT_EQ(ecr::lrc(payload), '\x2e');
  EXPECT_EQ(ecr::encode_frame(payload), "\002STATUS\034id=S1\034seq=1\003\056");
}

TEST(EcrFrame, EmptyPayloadLrcIsEtx) {
  EXPECT_EQ(ecr::lrc(""), '\x03');
  EXPECT_EQ(ecr::encode_frame(""), std::string("\x02\x03\x03"));
}

TEST(EcrMessage, FieldAccess) {
  Message m("SALE");
  m.set("id", "T1").set("amount", "100.00");
  EXPECT_TRUE(m.has("id"));
  EXPECT_FALSE(m.has("currency"));
  EXPECT_EQ(m.get("amount"), std::optional<std::string>("100.00"));
  EXPECT_EQ(m.get("currency"), std::nullopt);
  ASSERT_NE(m.find("id"), nullptr);
  EXPECT_EQ(*m.find("id"), "T1");
  m.set("id", "T2");  // replaced in place, order kept
  ASSERT_EQ(m.fields.size(), 2u);
  EXPECT_EQ(m.fields[0], std::make_pair(std::string("id"), std::string("T2")));
  EXPECT_TRUE(m.erase("id"));
  EXPECT_FALSE(m.erase("id"));
  EXPECT_FALSE(m.has("id"));
}

TEST(EcrEncode, ExactPayload) {
  Message m("SALE");
  m.set("id", "T1").set("amount", "100.00").set("currency", "156").set("method", "card");
  ecr::Encoded e = ecr::encode(m);
  ASSERT_TRUE(e.ok()) << e.error;
  EXPECT_EQ(e.payload, "SALE" + kFs + "id=T1" + kFs + "amount=100.00" + kFs + "currency=156" + kFs +
                           "method=card");
}

TEST(EcrEncode, NameOnly) {
  ecr::Encoded e = ecr::encode(Message("STATUS"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e.payload, "STATUS");
}

TEST(EcrEncode, RoundTripEveryPrintableByteEmptyValueAndEquals) {
  std::string all;
  for (char c = 0x20; c <= 0x7E; ++c) {
    all += c;
  }
  Message m("RECEIPT");
  m.set("id", std::string(32, 'x')).set("text", all).set("empty", "").set("eq", "a=b=c");
  ecr::Encoded e = ecr::encode(m);
  ASSERT_TRUE(e.ok()) << e.error;
  ecr::Decoded d = ecr::decode(e.payload);
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.message, m);
  EXPECT_EQ(ecr::encode(d.message).payload, e.payload);
}

TEST(EcrEncode, LargestPayloadAccepted) {
  Message m("DISPLAY");
  // "DISPLAY" FS "text=" is 13 bytes.
  m.set("text", std::string(ecr::kMaxPayload - 13, 'a'));
  ecr::Encoded e = ecr::encode(m);
  ASSERT_TRUE(e.ok()) << e.error;
  EXPECT_EQ(e.payload.size(), ecr::kMaxPayload);
  EXPECT_TRUE(ecr::decode(e.payload).ok());
}

TEST(EcrEncode, ErrorTexts) {
  EXPECT_EQ(expect_encode_error(Message("")), "message name is empty");
  EXPECT_EQ(expect_encode_error(Message("Sale")),
            "message name \"Sale\" has a byte other than A-Z and '_'");
  EXPECT_EQ(expect_encode_error(Message("SALE").set("", "x")), "empty field key in SALE");
  EXPECT_EQ(expect_encode_error(Message("SALE").set("Amount", "1.00")),
            "field key \"Amount\" in SALE has a byte other than a-z, 0-9 and '_'");
  EXPECT_EQ(expect_encode_error(Message("SALE").set("a=b", "1")),
            "field key \"a=b\" in SALE has a byte other than a-z, 0-9 and '_'");
  Message dup("SALE");
  dup.fields = {{"id", "1"}, {"id", "2"}};
  EXPECT_EQ(expect_encode_error(dup), "duplicate field \"id\" in SALE");
  EXPECT_EQ(expect_encode_error(Message("DISPLAY").set("text", "line1\nline2")),
            "field \"text\" in DISPLAY has byte 0x0a at offset 5, not printable ASCII");
  EXPECT_EQ(expect_encode_error(Message("DISPLAY").set("text", "a" + kFs + "b=c")),
            "field \"text\" in DISPLAY has byte 0x1c at offset 1, not printable ASCII");
  EXPECT_EQ(expect_encode_error(Message("DISPLAY").set("text", "\xc3\xa9")),
            "field \"text\" in DISPLAY has byte 0xc3 at offset 0, not printable ASCII");
  EXPECT_EQ(expect_encode_error(Message("SALE").set("id", std::string(33, '9'))),
            "field \"id\" in SALE is 33 characters long (at most 32)");
  EXPECT_EQ(expect_encode_error(Message("DISPLAY").set("text", std::string(2036, 'a'))),
            "DISPLAY payload is 2049 bytes (at most 2048)");
}

TEST(EcrDecode, Fields) {
  ecr::Decoded d = ecr::decode("RESULT" + kFs + "id=T1" + kFs + "status=APPROVED" + kFs + "text=");
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.message.name, "RESULT");
  ASSERT_EQ(d.message.fields.size(), 3u);
  EXPECT_EQ(d.message.get("status"), std::optional<std::string>("APPROVED"));
  EXPECT_EQ(d.message.get("text"), std::optional<std::string>(""));
}

TEST(EcrDecode, ErrorTexts) {
  EXPECT_EQ(expect_decode_error(""), "empty payload");
  EXPECT_EQ(expect_decode_error(std::string(2049, 'A')), "payload is 2049 bytes (at most 2048)");
  EXPECT_EQ(expect_decode_error(std::string("ACK\x07", 4)),
            "byte 0x07 at offset 3 is not printable ASCII");
  EXPECT_EQ(expect_decode_error(std::string("SALE\x1cid=\x7f", 9)),
            "byte 0x7f at offset 8 is not printable ASCII");
  EXPECT_EQ(expect_decode_error(kFs + "id=1"), "message name is empty");
  EXPECT_EQ(expect_decode_error("Sale" + kFs + "id=1"),
            "message name \"Sale\" has a byte other than A-Z and '_'");
  EXPECT_EQ(expect_decode_error("SALE" + kFs), "empty field at offset 5");
  EXPECT_EQ(expect_decode_error("SALE" + kFs + "id=1" + kFs + kFs + "a=1"),
            "empty field at offset 10");
  EXPECT_EQ(expect_decode_error("SALE" + kFs + "id=1" + kFs + "amount"),
            "field at offset 10 has no '='");
  EXPECT_EQ(expect_decode_error("SALE" + kFs + "=1"), "empty field key at offset 5");
  EXPECT_EQ(expect_decode_error("SALE" + kFs + "Amount=1.00"),
            "field key \"Amount\" in SALE has a byte other than a-z, 0-9 and '_'");
  EXPECT_EQ(expect_decode_error("SALE" + kFs + "id=1" + kFs + "id=2"),
            "duplicate field \"id\" in SALE");
  EXPECT_EQ(expect_decode_error("SALE" + kFs + "id=" + std::string(33, '1')),
            "field \"id\" in SALE is 33 characters long (at most 32)");
}

TEST(EcrDeframer, OneFrameFedByteByByte) {
  ecr::Deframer d;
  const std::string payload = "LAST" + kFs + "id=7";
  for (char c : frame_of(payload)) {
    EXPECT_TRUE(drain(d).empty());
    d.feed(std::string(1, c));
  }
  auto events = drain(d);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Event::Kind::frame);
  EXPECT_EQ(events[0].bytes, payload);
  EXPECT_FALSE(d.in_frame());
}

TEST(EcrDeframer, FramesAndControlBytesInOrder) {
  ecr::Deframer d;
  d.feed(std::string(1, ecr::kAck) + frame_of("A") + std::string(1, ecr::kNak) + frame_of("B"));
  auto events = drain(d);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].kind, Event::Kind::ack);
  EXPECT_EQ(events[1].kind, Event::Kind::frame);
  EXPECT_EQ(events[1].bytes, "A");
  EXPECT_EQ(events[2].kind, Event::Kind::nak);
  EXPECT_EQ(events[3].kind, Event::Kind::frame);
  EXPECT_EQ(events[3].bytes, "B");
}

TEST(EcrDeframer, NoiseBeforeStxIsSkippedAndCounted) {
  ecr::Deframer d;
  d.feed(std::string("xy\x00\xff", 4));
  d.feed("z" + frame_of("STATUS"));
  auto events = drain(d);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, Event::Kind::noise);  // reported at the end of the first feed
  EXPECT_EQ(events[0].bytes, std::string("xy\x00\xff", 4));
  EXPECT_EQ(events[1].kind, Event::Kind::noise);
  EXPECT_EQ(events[1].bytes, "z");
  EXPECT_EQ(events[2].kind, Event::Kind::frame);
  EXPECT_EQ(events[2].bytes, "STATUS");
  EXPECT_EQ(d.noise_bytes(), 5u);
}

TEST(EcrDeframer, BadLrc) {
  ecr::Deframer d;
  // "A": LRC 0x41^0x03 = 0x42; send 0x43 instead.
  const std::string wire("\002A\003\103");  // octal escapes: STX 'A' ETX 0x43
  d.feed(wire + frame_of("B"));
  auto events = drain(d);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Event::Kind::bad);
  EXPECT_EQ(events[0].reason, "bad LRC (expected 0x42, got 0x43)");
  EXPECT_EQ(events[0].bytes, wire);
  EXPECT_EQ(events[1].kind, Event::Kind::frame);
  EXPECT_EQ(events[1].bytes, "B");
}

TEST(EcrDeframer, BadByteSkipsRestOfFrameIncludingAnLrcThatLooksLikeAck) {
  ecr::Deframer d;
  // The rest of the frame is "D" ETX and an LRC byte; "AD" has LRC 0x41^0x44^0x03 = 0x06 = ACK,
  // which must be skipped, not taken as an ACK.
  d.feed("\002AB\007D\003\006");
  auto events = drain(d);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Event::Kind::bad);
  EXPECT_EQ(events[0].reason, "byte 0x07 at offset 2 inside frame");
  EXPECT_EQ(events[0].bytes, "\002AB\007");
  EXPECT_EQ(events[1].kind, Event::Kind::noise);
  EXPECT_EQ(events[1].bytes, std::string("D\x03\x06", 3));
  // Back between frames: a real ACK now counts.
  d.feed(std::string(1, ecr::kAck));
  events = drain(d);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Event::Kind::ack);
}

TEST(EcrDeframer, AckInsideFrameIsABadByte) {
  ecr::Deframer d;
  d.feed("\002SA\006" + frame_of("STATUS"));
  auto events = drain(d);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].reason, "byte 0x06 at offset 2 inside frame");
  EXPECT_EQ(events[1].kind, Event::Kind::frame);
}

TEST(EcrDeframer, StxInsideFrameStartsTheNextFrame) {
  ecr::Deframer d;
  d.feed("\x02SAL" + frame_of("STATUS"));
  auto events = drain(d);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Event::Kind::bad);
  EXPECT_EQ(events[0].reason, "STX inside frame");
  EXPECT_EQ(events[0].bytes, "\x02SAL");
  EXPECT_EQ(events[1].kind, Event::Kind::frame);
  EXPECT_EQ(events[1].bytes, "STATUS");
}

TEST(EcrDeframer, LongestFrameAcceptedOneMoreRejected) {
  ecr::Deframer d;
  d.feed(frame_of(std::string(ecr::kMaxPayload, 'A')));
  auto events = drain(d);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Event::Kind::frame);
  EXPECT_EQ(events[0].bytes.size(), ecr::kMaxPayload);

  d.feed(frame_of(std::string(ecr::kMaxPayload + 1, 'A')) + frame_of("STATUS"));
  events = drain(d);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, Event::Kind::bad);
  EXPECT_EQ(events[0].reason, "frame longer than 2048 bytes");
  EXPECT_EQ(events[0].bytes.size(), 1 + ecr::kMaxPayload);
  EXPECT_EQ(events[1].kind, Event::Kind::noise);  // 'A', ETX, LRC
  EXPECT_EQ(events[1].bytes.size(), 3u);
  EXPECT_EQ(events[2].kind, Event::Kind::frame);
  EXPECT_EQ(events[2].bytes, "STATUS");
}

TEST(EcrDeframer, EmptyFrameIsAFrame) {
  ecr::Deframer d;
  d.feed(frame_of(""));
  auto events = drain(d);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Event::Kind::frame);
  EXPECT_EQ(events[0].bytes, "");
  EXPECT_EQ(ecr::decode(events[0].bytes).error, "empty payload");
}

TEST(EcrDeframer, AbandonPartialFrame) {
  ecr::Deframer d;
  EXPECT_FALSE(d.abandon("quiet"));
  d.feed("\x02SALE");
  EXPECT_TRUE(d.in_frame());
  EXPECT_TRUE(drain(d).empty());
  EXPECT_TRUE(d.abandon("incomplete frame: no byte for 500 ms"));
  EXPECT_FALSE(d.in_frame());
  auto events = drain(d);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Event::Kind::bad);
  EXPECT_EQ(events[0].bytes, "\x02SALE");
  EXPECT_EQ(events[0].reason, "incomplete frame: no byte for 500 ms");
  // Waiting for the LRC counts as in a frame too.
  d.feed("\x02X\x03");
  EXPECT_TRUE(d.in_frame());
}

TEST(EcrDeframer, EncodeDeframeDecodeRoundTrip) {
  Message m("RESULT");
  m.set("id", "T-42").set("status", "APPROVED").set("amount", "12.30").set("text", "OK | thanks");
  ecr::Encoded e = ecr::encode(m);
  ASSERT_TRUE(e.ok());
  ecr::Deframer d;
  d.feed(frame_of(e.payload));
  auto events = drain(d);
  ASSERT_EQ(events.size(), 1u);
  ecr::Decoded back = ecr::decode(events[0].bytes);
  ASSERT_TRUE(back.ok()) << back.error;
  EXPECT_EQ(back.message, m);
}

TEST(EcrHexByte, Format) {
  EXPECT_EQ(ecr::hex_byte('\x00'), "0x00");
  EXPECT_EQ(ecr::hex_byte('A'), "0x41");
  EXPECT_EQ(ecr::hex_byte('\xff'), "0xff");
}

}  // namespace
