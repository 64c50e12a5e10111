// ZVT link layer (rig/terminal/zvt_link.h) over real pseudo-terminals (serial blocks) and real
// loopback TCP. Most tests put a ZvtLink on one end and drive the other raw, as a peer that
// NAKs, stays silent, sends broken blocks or never answers; the happy paths run a ZvtLink as ECR
// against a ZvtLink as PT.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "link_test_util.h"
#include "rig/link/pty.h"
#include "rig/link/tcp.h"
#include "rig/protocol/zvt.h"
#include "rig/protocol/zvt_transport.h"
#include "rig/terminal/zvt_link.h"

namespace zvt = rig::protocol::zvt;
using namespace std::chrono_literals;
using rig::link::after;
using rig::link::Clock;
using rig::link::IoStatus;
using rig::link::PtyLink;
using rig::link::PtyMaster;
using rig::link::TcpLink;
using rig::link::TcpListener;
using rig::terminal::ZvtLink;
using rig::terminal::ZvtLinkOptions;
using rig::terminal::ZvtReceived;
using rig::terminal::ZvtReply;
using rig::terminal::ZvtRole;
using rig::terminal::ZvtTransport;
using rig::terminal::ZvtWireEvent;
using Dir = ZvtWireEvent::Direction;
using Kind = ZvtWireEvent::Kind;

namespace {

constexpr auto kLong = 10s;

std::string hex(const std::string& text) { return *zvt::from_hex(text); }

zvt::Authorization authorization(std::uint64_t amount) {
  zvt::Authorization a;
  a.amount = amount;
  a.currency = 978;
  return a;
}

using Recorder = rig::link::WireRecorder<ZvtWireEvent>;

// The raw serial side: reads through a SerialDeframer.
class SerialPeer {
 public:
  explicit SerialPeer(rig::link::Link& link) : link_(link) {}
  std::optional<zvt::SerialEvent> next(rig::link::Deadline deadline) {
    for (;;) {
      if (auto e = deframer_.pop()) return e;
      rig::link::Chunk c = link_.read(deadline);
      if (!c.status.ok()) return std::nullopt;
      deframer_.feed(c.bytes);
    }
  }
  // The next block's APDU bytes; fails the test when anything else comes first.
  std::string block() {
    auto e = next(after(kLong));
    if (!e) {
      ADD_FAILURE() << "no block";
      return {};
    }
    EXPECT_EQ(e->kind, zvt::SerialEvent::Kind::block) << zvt::to_string(e->kind) << e->reason;
    return e->bytes;
  }
  void expect(zvt::SerialEvent::Kind kind) {
    auto e = next(after(kLong));
    ASSERT_TRUE(e.has_value()) << "nothing came, expected " << zvt::to_string(kind);
    EXPECT_EQ(e->kind, kind) << zvt::to_string(e->kind) << " " << e->reason;
  }
  bool quiet_for(Clock::duration d) { return !next(after(d)).has_value(); }
  void write(const std::string& bytes) { ASSERT_TRUE(link_.write(bytes, after(kLong)).ok()); }
  void send(const std::string& apdu) { write(zvt::encode_block(apdu)); }
  void ack() { write(std::string(1, zvt::kAck)); }
  void nak() { write(std::string(1, zvt::kNak)); }

 private:
  rig::link::Link& link_;
  zvt::SerialDeframer deframer_;
};

// ZvtLink (ECR, serial) on the pty master; a raw PT on the slave.
class ZvtSerialRawPt : public ::testing::Test {
 protected:
  void start(ZvtLinkOptions o) {
    if (link_) link_->close();
    peer_.reset();
    slave_.reset();
    link_.reset();
    ASSERT_TRUE(master_.open().ok());
    link_ = std::make_unique<ZvtLink>(master_, o);
    link_->set_observer(recorder_.observer());
    ASSERT_TRUE(link_->open().ok());
    slave_ = std::make_unique<PtyLink>(master_.slave_path());
    ASSERT_TRUE(slave_->open().ok());
    peer_ = std::make_unique<SerialPeer>(*slave_);
  }
  void SetUp() override {
    ZvtLinkOptions o;
    o.transport = ZvtTransport::serial;
    o.ack_timeout = 200ms;
    o.reply_timeout = 300ms;
    o.byte_timeout = 100ms;
    start(o);
  }
  void TearDown() override {
    if (link_) link_->close();
  }
  std::future<ZvtReply> request_async(const zvt::Message& m, Clock::duration within = kLong) {
    return std::async(std::launch::async,
                      [this, m, within] { return link_->request(m, after(within)); });
  }
  std::string prefix() const { return "ZVT link " + master_.name() + ": "; }

  PtyMaster master_;
  Recorder recorder_;
  std::unique_ptr<ZvtLink> link_;
  std::unique_ptr<PtyLink> slave_;
  std::unique_ptr<SerialPeer> peer_;
};

TEST_F(ZvtSerialRawPt, CommandGoesAsABlockWithDleDoubledAndThePtsReplyEndsTheRequest) {
  auto reply = request_async(authorization(1000));
  // 10.00 EUR: the amount's byte 0x10 is doubled on the wire; the block's APDU is unchanged.
  const std::string apdu = peer_->block();
  EXPECT_EQ(zvt::hex_bytes(apdu), "06 01 0a 04 00 00 00 00 10 00 49 09 78");
  peer_->ack();
  peer_->send(hex("80 00 00"));
  peer_->expect(zvt::SerialEvent::Kind::ack);
  ZvtReply r = reply.get();
  ASSERT_TRUE(r.status.ok()) << r.status.message;
  EXPECT_TRUE(r.positive());
  const auto out = recorder_.of(Dir::out, Kind::apdu);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].bytes.find(hex("10 10 00")), std::string::npos);
  EXPECT_EQ(out[0].detail, "Authorization amount=1000 currency=978");
}

TEST_F(ZvtSerialRawPt, NegativeReplyIsReturned) {
  auto reply = request_async(zvt::Registration{});
  peer_->block();
  peer_->ack();
  peer_->send(hex("84 83 00"));
  ZvtReply r = reply.get();
  ASSERT_TRUE(r.status.ok());
  EXPECT_FALSE(r.positive());
  EXPECT_EQ(std::get<zvt::Nack>(r.reply).code, 0x83);
}

TEST_F(ZvtSerialRawPt, NakGetsTheIdenticalBlockAgain) {
  auto reply = request_async(zvt::LogOff{});
  const std::string first = peer_->block();
  peer_->nak();
  EXPECT_EQ(peer_->block(), first);
  peer_->ack();
  peer_->send(hex("80 00 00"));
  EXPECT_TRUE(reply.get().positive());
  EXPECT_EQ(link_->counters().repeats, 1u);
  EXPECT_EQ(link_->counters().naks_received, 1u);
}

TEST_F(ZvtSerialRawPt, SilenceGetsTheIdenticalBlockAfterTheAckTimeout) {
  auto reply = request_async(zvt::LogOff{});
  const std::string first = peer_->block();
  const auto t0 = Clock::now();
  EXPECT_EQ(peer_->block(), first);
  EXPECT_GE(Clock::now() - t0, 150ms);
  peer_->ack();
  peer_->send(hex("80 00 00"));
  EXPECT_TRUE(reply.get().positive());
}

TEST_F(ZvtSerialRawPt, ThreeNaksEndTheSendAfterExactlyThreeBlocks) {
  auto reply = request_async(zvt::LogOff{});
  for (int i = 0; i < 3; ++i) {
    peer_->block();
    peer_->nak();
  }
  ZvtReply r = reply.get();
  EXPECT_EQ(r.status.code, IoStatus::error);
  EXPECT_EQ(r.status.message, prefix() + "NAKed 3 times");
  EXPECT_TRUE(peer_->quiet_for(300ms));
  EXPECT_EQ(link_->counters().blocks_sent, 3u);
}

TEST_F(ZvtSerialRawPt, ThreeSilencesEndTheSend) {
  auto reply = request_async(zvt::LogOff{});
  for (int i = 0; i < 3; ++i) peer_->block();
  ZvtReply r = reply.get();
  EXPECT_EQ(r.status.message, prefix() + "no ACK after 3 attempts");
  EXPECT_TRUE(peer_->quiet_for(300ms));
}

TEST_F(ZvtSerialRawPt, NoReplyWithinT3) {
  auto reply = request_async(zvt::LogOff{});
  peer_->block();
  peer_->ack();
  ZvtReply r = reply.get();
  EXPECT_EQ(r.status.code, IoStatus::timeout);
  EXPECT_EQ(r.status.message, prefix() + "no reply (80 00 or 84 XX) within 300 ms");
  // A reply that comes too late is stray.
  peer_->send(hex("80 00 00"));
  peer_->expect(zvt::SerialEvent::Kind::ack);
  ASSERT_TRUE(recorder_.wait_for(Dir::in, Kind::apdu, 1));
  EXPECT_EQ(link_->counters().stray_replies, 1u);
}

TEST_F(ZvtSerialRawPt, PtMessagesAreAckedAndAnswered8000) {
  // Intermediate status, status information, completion: each ACKed on the line, then
  // answered 80 00 00 by receive(), which returns once that answer is ACKed in turn.
  const std::vector<std::string> from_pt = {"04 FF 02 0A 01", "04 0F 09 27 00 04 00 00 00 00 10 00",
                                            "06 0F 00"};
  for (const std::string& m : from_pt) {
    peer_->send(hex(m));
    peer_->expect(zvt::SerialEvent::Kind::ack);
    auto got = std::async(std::launch::async, [this] { return link_->receive(after(kLong)); });
    EXPECT_EQ(zvt::hex_bytes(peer_->block()), "80 00 00");
    peer_->ack();
    ZvtReceived r = got.get();
    ASSERT_TRUE(r.status.ok()) << r.status.message;
    EXPECT_TRUE(r.decoded.ok()) << r.decoded.error;
    EXPECT_TRUE(r.ack_status.ok()) << r.ack_status.message;
    EXPECT_EQ(zvt::hex_bytes(*zvt::encode_apdu(r.apdu)), zvt::hex_bytes(hex(m)));
  }
}

TEST_F(ZvtSerialRawPt, BadCrcIsNakedAndNotDelivered) {
  std::string block = zvt::encode_block(hex("06 0F 00"));
  block.back() = static_cast<char>(block.back() ^ 1);
  peer_->write(block);
  peer_->expect(zvt::SerialEvent::Kind::nak);
  ASSERT_TRUE(recorder_.wait_for(Dir::in, Kind::bad, 1));
  EXPECT_EQ(recorder_.of(Dir::in, Kind::bad)[0].detail.rfind("bad CRC (expected ", 0), 0u);
  EXPECT_EQ(link_->counters().received, 0u);
  // The repeat, intact, is delivered.
  peer_->send(hex("06 0F 00"));
  peer_->expect(zvt::SerialEvent::Kind::ack);
  auto got = std::async(std::launch::async, [this] { return link_->receive(after(kLong)); });
  peer_->block();
  peer_->ack();
  EXPECT_TRUE(got.get().status.ok());
}

TEST_F(ZvtSerialRawPt, BlockCutOffIsNakedAfterT1) {
  peer_->write(hex("10 02 06 0F"));
  const auto t0 = Clock::now();
  peer_->expect(zvt::SerialEvent::Kind::nak);
  EXPECT_GE(Clock::now() - t0, 80ms);
  ASSERT_TRUE(recorder_.wait_for(Dir::in, Kind::bad, 1));
  EXPECT_EQ(recorder_.of(Dir::in, Kind::bad)[0].detail, "incomplete block: no byte for 100 ms");
}

TEST_F(ZvtSerialRawPt, NoiseBetweenBlocksIsSkipped) {
  peer_->write("garbage" + zvt::encode_block(hex("06 0F 00")));
  peer_->expect(zvt::SerialEvent::Kind::ack);
  ASSERT_TRUE(recorder_.wait_for(Dir::in, Kind::apdu, 1));
  EXPECT_EQ(link_->counters().noise_bytes, 7u);
  EXPECT_EQ(link_->counters().received, 1u);
}

TEST_F(ZvtSerialRawPt, ApduThatDoesNotDecodeIsDeliveredWithItsError) {
  ZvtLinkOptions o;
  o.transport = ZvtTransport::serial;
  o.auto_ack = false;
  start(o);
  peer_->send(hex("06 01 03 49 09 78"));
  peer_->expect(zvt::SerialEvent::Kind::ack);
  ZvtReceived got = link_->receive(after(kLong));
  ASSERT_TRUE(got.status.ok());
  EXPECT_EQ(got.decoded.error, "Authorization: no amount (BMP 04)");
  // A block whose APDU length is wrong: delivered with the APDU's error.
  peer_->send(hex("06 0F 05 00"));
  peer_->expect(zvt::SerialEvent::Kind::ack);
  got = link_->receive(after(kLong));
  EXPECT_EQ(got.decoded.error, "APDU length field says 5 bytes of data, 1 follow");
  EXPECT_EQ(got.apdu.command(), 0x060F);
  // Without auto_ack nothing was answered.
  EXPECT_TRUE(peer_->quiet_for(150ms));
}

TEST_F(ZvtSerialRawPt, MisbehaviourOnPurpose) {
  link_->misbehave(1, 1, 4);
  auto reply = request_async(zvt::LogOff{});
  // Noise, then a block with a wrong CRC: the peer sees a bad block and NAKs.
  auto e = peer_->next(after(kLong));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->kind, zvt::SerialEvent::Kind::noise);
  peer_->expect(zvt::SerialEvent::Kind::bad);
  peer_->nak();
  peer_->block();
  peer_->ack();
  // Our ACK for the peer's reply is withheld once (a real PT would repeat the block); the
  // reply is taken all the same.
  peer_->send(hex("80 00 00"));
  EXPECT_TRUE(peer_->quiet_for(150ms));
  EXPECT_TRUE(reply.get().positive());
}

TEST_F(ZvtSerialRawPt, AbortWakesBlockedCalls) {
  auto receive = rig::link::start_in_thread([this] { return link_->receive(after(kLong)); });
  auto reply = request_async(zvt::LogOff{});
  peer_->block();
  link_->abort();
  EXPECT_EQ(receive.get().status.code, IoStatus::aborted);
  EXPECT_EQ(reply.get().status.message, prefix() + "aborted");
}

TEST_F(ZvtSerialRawPt, SendRefusesWhatCannotBeEncoded) {
  zvt::Registration r;
  r.password = "x";
  EXPECT_EQ(link_->request(r, after(kLong)).status.message,
            prefix() + "cannot send: Registration: password must be 6 digits");
  EXPECT_EQ(link_->acknowledge(zvt::LogOff{}, after(kLong)).message,
            prefix() + "cannot send: acknowledge() takes 80 00 or 84 XX");
}

TEST(ZvtLinkState, CallsBeforeOpenAreRefusedAndQueuedMessagesSurviveThePeer) {
  PtyMaster master;
  ZvtLinkOptions o;
  o.transport = ZvtTransport::serial;
  o.ack_timeout = 100ms;
  ZvtLink link(master, o);
  EXPECT_EQ(link.receive(after(10ms)).status.code, IoStatus::closed);
  ASSERT_TRUE(link.open().ok());
  {
    PtyLink slave(master.slave_path());
    ASSERT_TRUE(slave.open().ok());
    ASSERT_TRUE(slave.write(zvt::encode_block(hex("06 0F 00")), after(kLong)).ok());
    ASSERT_TRUE(rig::link::read_exactly(slave, 1, after(kLong)).status.ok());  // our ACK
  }
  // The slave is closed; the message it sent is still there. (Our 80 00 00 goes unanswered.)
  ZvtReceived r = link.receive(after(kLong));
  EXPECT_TRUE(r.status.ok()) << r.status.message;
  EXPECT_EQ(r.apdu.command(), 0x060F);
  EXPECT_FALSE(r.ack_status.ok());
}

// --- TCP ----------------------------------------------------------------------------------------

class ZvtTcpRawPt : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(listener_.listen().ok());
    ZvtLinkOptions o;
    o.reply_timeout = 300ms;
    link_ = std::make_unique<ZvtLink>(std::make_unique<TcpLink>("127.0.0.1", listener_.port()), o);
    link_->set_observer(recorder_.observer());
    ASSERT_TRUE(link_->open().ok());
    rig::link::Accepted a = listener_.accept(after(kLong));
    ASSERT_TRUE(a.status.ok()) << a.status.message;
    pt_ = std::move(a.link);
  }
  void TearDown() override {
    if (link_) link_->close();
  }
  std::string read(std::size_t n) {
    rig::link::Chunk c = rig::link::read_exactly(*pt_, n, after(kLong));
    EXPECT_TRUE(c.status.ok()) << c.status.message;
    return c.bytes;
  }

  TcpListener listener_;
  Recorder recorder_;
  std::unique_ptr<ZvtLink> link_;
  rig::link::LinkPtr pt_;
};

TEST_F(ZvtTcpRawPt, ApdusGoAsTheyAreAndReplyMayComeInPieces) {
  auto reply = std::async(std::launch::async,
                          [this] { return link_->request(authorization(1000), after(kLong)); });
  EXPECT_EQ(zvt::hex_bytes(read(13)), "06 01 0a 04 00 00 00 00 10 00 49 09 78");
  ASSERT_TRUE(pt_->write(hex("80 00"), after(kLong)).ok());
  ASSERT_TRUE(pt_->write(hex("00"), after(kLong)).ok());
  EXPECT_TRUE(reply.get().positive());
  // Two PT messages in one segment: each received and answered 80 00 00.
  ASSERT_TRUE(pt_->write(hex("04 FF 02 0A 01 06 0F 00"), after(kLong)).ok());
  ZvtReceived a = link_->receive(after(kLong));
  ZvtReceived b = link_->receive(after(kLong));
  EXPECT_EQ(a.apdu.command(), 0x04FF);
  EXPECT_EQ(b.apdu.command(), 0x060F);
  EXPECT_EQ(zvt::hex_bytes(read(6)), "80 00 00 80 00 00");
}

TEST_F(ZvtTcpRawPt, NoReplyWithinT3AndPeerHangUp) {
  ZvtReply r = link_->request(zvt::LogOff{}, after(kLong));
  EXPECT_EQ(r.status.message,
            "ZVT link " + link_->name() + ": no reply (80 00 or 84 XX) within 300 ms");
  ASSERT_TRUE(pt_->write(hex("06 1E 01 6C"), after(kLong)).ok());
  pt_->close();
  ZvtReceived abort = link_->receive(after(kLong));
  ASSERT_TRUE(abort.status.ok());
  EXPECT_EQ(std::get<zvt::Abort>(abort.decoded.message).result_code, 0x6C);
  ZvtReceived after_close = link_->receive(after(kLong));
  EXPECT_EQ(after_close.status.code, IoStatus::closed) << after_close.status.message;
}

// --- Both ends ------------------------------------------------------------------------------

// One payment as the specification orders it, ZvtLink (ECR) against ZvtLink (PT).
void pay_through(ZvtLink& ecr, ZvtLink& pt) {
  auto ecr_side = std::async(std::launch::async, [&] {
    std::vector<std::string> seen;
    ZvtReply r = ecr.request(authorization(2500), after(kLong));
    EXPECT_TRUE(r.positive()) << r.status.message;
    for (;;) {
      ZvtReceived m = ecr.receive(after(kLong));
      if (!m.status.ok()) {
        ADD_FAILURE() << m.status.message;
        return seen;
      }
      seen.push_back(zvt::describe(m.decoded.message));
      if (m.apdu.command() == 0x060F || m.apdu.command() == 0x061E) return seen;
    }
  });
  ZvtReceived cmd = pt.receive(after(kLong));
  ASSERT_TRUE(cmd.status.ok()) << cmd.status.message;
  ASSERT_EQ(std::get<zvt::Authorization>(cmd.decoded.message).amount, 2500u);
  ASSERT_TRUE(pt.acknowledge(zvt::Ack{}, after(kLong)).ok());
  zvt::IntermediateStatus insert;
  insert.status = zvt::status::kInsertCard;
  EXPECT_TRUE(pt.request(insert, after(kLong)).positive());
  zvt::StatusInformation info;
  info.result_code = 0;
  info.amount = 2500;
  info.pan = "476173******0010";
  info.receipt_nr = 7;
  EXPECT_TRUE(pt.request(info, after(kLong)).positive());
  zvt::PrintLine line;
  line.attribute = zvt::attribute::kLastLine;
  line.text = "APPROVED";
  EXPECT_TRUE(pt.request(line, after(kLong)).positive());
  EXPECT_TRUE(pt.request(zvt::Completion{}, after(kLong)).positive());
  const std::vector<std::string> seen = ecr_side.get();
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "Intermediate status status=0x0a (insert card)",
                      "Status information result=0x00 amount=2500 pan=476173******0010 receipt=7",
                      "Print line attribute=0x80 text=APPROVED", "Completion"}));
}

TEST(ZvtLinkPair, PaymentOverAPty) {
  PtyMaster master;
  ASSERT_TRUE(master.open().ok());
  ZvtLinkOptions o;
  o.transport = ZvtTransport::serial;
  ZvtLink ecr(master, o);
  o.role = ZvtRole::pt;
  ZvtLink pt(std::make_unique<PtyLink>(master.slave_path()), o);
  ASSERT_TRUE(ecr.open().ok());
  ASSERT_TRUE(pt.open().ok());
  pay_through(ecr, pt);
  EXPECT_EQ(ecr.counters().repeats + pt.counters().repeats, 0u);
}

TEST(ZvtLinkPair, PaymentOverTcp) {
  TcpListener listener;
  ASSERT_TRUE(listener.listen().ok());
  ZvtLinkOptions o;
  ZvtLink ecr(std::make_unique<TcpLink>("127.0.0.1", listener.port()), o);
  ASSERT_TRUE(ecr.open().ok());
  rig::link::Accepted a = listener.accept(after(kLong));
  ASSERT_TRUE(a.status.ok());
  o.role = ZvtRole::pt;
  ZvtLink pt(std::move(a.link), o);
  ASSERT_TRUE(pt.open().ok());
  pay_through(ecr, pt);
}

}  // namespace
