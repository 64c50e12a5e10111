// RIG-ECR v1 link layer over real pseudo-terminals. Most tests put an EcrLink on the master side
// and drive the slave side raw, as a peer that NAKs, stays silent, repeats frames or sends
// garbage on purpose; the happy paths run an EcrLink at both ends.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "link_test_util.h"
#include "rig/link/pty.h"
#include "rig/protocol/ecr.h"
#include "rig/terminal/ecr_link.h"

namespace ecr = rig::protocol::ecr;
using namespace std::chrono_literals;
using rig::link::after;
using rig::link::Clock;
using rig::link::IoStatus;
using rig::link::PtyLink;
using rig::link::PtyMaster;
using rig::terminal::EcrFrameEvent;
using rig::terminal::EcrLink;
using rig::terminal::EcrLinkOptions;
using rig::terminal::EcrReceived;
using rig::terminal::EcrSent;
using Dir = EcrFrameEvent::Direction;
using Kind = EcrFrameEvent::Kind;

namespace {

// Generous bound for what must happen (a loaded 2-core machine); short windows are only used to
// check that something does not happen.
constexpr auto kLong = 10s;
constexpr auto kQuiet = 150ms;

const std::string kFs(1, ecr::kFs);

ecr::Message sale(const std::string& id) {
  ecr::Message m("SALE");
  m.set("id", id).set("amount", "1.00").set("currency", "156").set("method", "card");
  return m;
}

// The frame a correct sender puts on the wire for `m` with `seq`.
std::string wire(ecr::Message m, int seq) {
  m.set("seq", std::to_string(seq));
  ecr::Encoded e = ecr::encode(m);
  EXPECT_TRUE(e.ok()) << e.error;
  return ecr::encode_frame(e.payload);
}

using Recorder = rig::link::WireRecorder<EcrFrameEvent>;

// The raw side of the pty, read through a Deframer: the test plays a (faulty) peer with it.
class RawPeer {
 public:
  explicit RawPeer(rig::link::Link& link) : link_(link) {}

  // The next deframer event, or nullopt when nothing came before the deadline.
  std::optional<ecr::Event> next(rig::link::Deadline deadline) {
    for (;;) {
      if (auto e = deframer_.pop()) {
        return e;
      }
      rig::link::Chunk c = link_.read(deadline);
      if (!c.status.ok()) {
        return std::nullopt;
      }
      deframer_.feed(c.bytes);
    }
  }
  // The next frame's payload; fails the test if anything else comes first.
  std::string frame() {
    auto e = next(after(kLong));
    if (!e) {
      ADD_FAILURE() << "no frame";
      return {};
    }
    EXPECT_EQ(e->kind, ecr::Event::Kind::frame) << ecr::to_string(e->kind) << " " << e->reason;
    return e->bytes;
  }
  // Expects the next event to be `kind` (ack or nak).
  void expect(ecr::Event::Kind kind) {
    auto e = next(after(kLong));
    ASSERT_TRUE(e.has_value()) << "nothing came, expected " << ecr::to_string(kind);
    EXPECT_EQ(e->kind, kind) << ecr::to_string(e->kind) << " " << e->reason;
  }
  // True when nothing at all arrives for `d`.
  bool quiet_for(Clock::duration d) { return !next(after(d)).has_value(); }
  void write(const std::string& bytes) { ASSERT_TRUE(link_.write(bytes, after(kLong)).ok()); }
  void ack() { write(std::string(1, ecr::kAck)); }
  void nak() { write(std::string(1, ecr::kNak)); }

 private:
  rig::link::Link& link_;
  ecr::Deframer deframer_;
};

// EcrLink on the pty master, raw peer on the slave.
class EcrLinkRawPeer : public ::testing::Test {
 protected:
  // (Re)starts on a new pty pair: closing an EcrLink closes its link, and a PtyMaster that opens
  // again makes a new pair.
  void start(EcrLinkOptions options) {
    if (link_) {
      link_->close();
    }
    peer_.reset();
    slave_.reset();
    link_.reset();
    ASSERT_TRUE(master_.open().ok());
    link_ = std::make_unique<EcrLink>(master_, options);
    link_->set_observer(recorder_.observer());
    ASSERT_TRUE(link_->open().ok());
    slave_ = std::make_unique<PtyLink>(master_.slave_path());
    ASSERT_TRUE(slave_->open().ok());
    peer_ = std::make_unique<RawPeer>(*slave_);
  }
  void SetUp() override {
    EcrLinkOptions o;
    o.ack_timeout = 200ms;
    o.first_seq = 41;
    start(o);
  }
  void TearDown() override {
    if (link_) {
      link_->close();
    }
  }
  std::future<EcrSent> send_async(const ecr::Message& m, Clock::duration within = kLong) {
    return std::async(std::launch::async,
                      [this, m, within] { return link_->send(m, after(within)); });
  }
  std::string prefix() const { return "ECR link " + master_.name() + ": "; }

  PtyMaster master_;
  Recorder recorder_;
  std::unique_ptr<EcrLink> link_;
  std::unique_ptr<PtyLink> slave_;
  std::unique_ptr<RawPeer> peer_;
};

// EcrLink at both ends.
class EcrLinkPair : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(master_.open().ok());
    EcrLinkOptions o;
    o.ack_timeout = 1000ms;
    controller_ = std::make_unique<EcrLink>(master_, o);
    controller_->set_observer(controller_events_.observer());
    ASSERT_TRUE(controller_->open().ok());
    terminal_ = std::make_unique<EcrLink>(std::make_unique<PtyLink>(master_.slave_path()), o);
    terminal_->set_observer(terminal_events_.observer());
    ASSERT_TRUE(terminal_->open().ok());
  }

  PtyMaster master_;
  Recorder controller_events_, terminal_events_;
  std::unique_ptr<EcrLink> controller_, terminal_;
};

TEST_F(EcrLinkPair, RoundTripBothDirections) {
  EcrSent sent = controller_->send(sale("T1"), after(kLong));
  ASSERT_TRUE(sent.status.ok()) << sent.status.message;
  EXPECT_EQ(sent.attempts, 1);
  EcrReceived got = terminal_->receive(after(kLong));
  ASSERT_TRUE(got.status.ok()) << got.status.message;
  EXPECT_EQ(got.message, sale("T1"));  // seq stripped, fields in order

  ecr::Message result("RESULT");
  result.set("id", "T1").set("status", "APPROVED").set("rc", "00").set("amount", "1.00");
  sent = terminal_->send(result, after(kLong));
  ASSERT_TRUE(sent.status.ok()) << sent.status.message;
  got = controller_->receive(after(kLong));
  ASSERT_TRUE(got.status.ok()) << got.status.message;
  EXPECT_EQ(got.message, result);

  // Transcript on the controller side: SALE out, ACK in, RESULT in, ACK out.
  ASSERT_TRUE(controller_events_.wait_for(Dir::out, Kind::ack, 1));
  auto events = controller_events_.events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].direction, Dir::out);
  EXPECT_EQ(events[0].kind, Kind::frame);
  EXPECT_EQ(events[0].attempt, 1);
  EXPECT_EQ(events[0].bytes, ecr::encode_frame(events[0].payload));
  EXPECT_EQ(events[0].payload.rfind("SALE" + kFs + "id=T1" + kFs, 0), 0u);
  EXPECT_EQ(events[1].direction, Dir::in);
  EXPECT_EQ(events[1].kind, Kind::ack);
  EXPECT_EQ(events[2].direction, Dir::in);
  EXPECT_EQ(events[2].kind, Kind::frame);
  EXPECT_FALSE(events[2].duplicate);
  EXPECT_EQ(events[3].direction, Dir::out);
  EXPECT_EQ(events[3].kind, Kind::ack);
  EXPECT_LE(events[0].at, events[1].at);

  auto c = controller_->counters();
  EXPECT_EQ(c.frames_sent, 1u);
  EXPECT_EQ(c.resends, 0u);
  EXPECT_EQ(c.acks_sent, 1u);
  EXPECT_EQ(c.delivered, 1u);
  EXPECT_EQ(terminal_->counters().acks_sent, 1u);
}

TEST_F(EcrLinkPair, SimultaneousSendsInBothDirections) {
  constexpr int kEach = 20;
  auto from_controller = std::async(std::launch::async, [&] {
    for (int i = 0; i < kEach; ++i) {
      EcrSent s = controller_->send(sale("C" + std::to_string(i)), after(kLong));
      if (!s.status.ok()) {
        return s.status.message;
      }
    }
    return std::string();
  });
  auto from_terminal = std::async(std::launch::async, [&] {
    for (int i = 0; i < kEach; ++i) {
      ecr::Message m("DISPLAY");
      m.set("text", "line " + std::to_string(i));
      EcrSent s = terminal_->send(m, after(kLong));
      if (!s.status.ok()) {
        return s.status.message;
      }
    }
    return std::string();
  });
  for (int i = 0; i < kEach; ++i) {
    EcrReceived at_terminal = terminal_->receive(after(kLong));
    ASSERT_TRUE(at_terminal.status.ok()) << at_terminal.status.message;
    EXPECT_EQ(at_terminal.message.get("id"), "C" + std::to_string(i));
    EcrReceived at_controller = controller_->receive(after(kLong));
    ASSERT_TRUE(at_controller.status.ok()) << at_controller.status.message;
    EXPECT_EQ(at_controller.message.get("text"), "line " + std::to_string(i));
  }
  EXPECT_EQ(from_controller.get(), "");
  EXPECT_EQ(from_terminal.get(), "");
  EXPECT_EQ(controller_->counters().resends, 0u);
  EXPECT_EQ(terminal_->counters().resends, 0u);
}

TEST_F(EcrLinkRawPeer, FrameCarriesSeqAndAckCompletesSend) {
  auto sent = send_async(sale("T1"));
  EXPECT_EQ(peer_->frame(), "SALE" + kFs + "id=T1" + kFs + "amount=1.00" + kFs + "currency=156" +
                                kFs + "method=card" + kFs + "seq=41");
  peer_->ack();
  EcrSent s = sent.get();
  ASSERT_TRUE(s.status.ok()) << s.status.message;
  EXPECT_EQ(s.attempts, 1);
  EXPECT_NE(s.acked_at, Clock::time_point{});

  // A new message takes the next seq.
  sent = send_async(ecr::Message("STATUS").set("id", "S1"));
  EXPECT_EQ(peer_->frame(), "STATUS" + kFs + "id=S1" + kFs + "seq=42");
  peer_->ack();
  EXPECT_TRUE(sent.get().status.ok());
}

TEST_F(EcrLinkRawPeer, SeqWrapsFrom9999To1) {
  EcrLinkOptions o;
  o.first_seq = 9999;
  start(o);
  auto sent = send_async(ecr::Message("STATUS").set("id", "A"));
  EXPECT_EQ(peer_->frame(), "STATUS" + kFs + "id=A" + kFs + "seq=9999");
  peer_->ack();
  ASSERT_TRUE(sent.get().status.ok());
  sent = send_async(ecr::Message("STATUS").set("id", "B"));
  EXPECT_EQ(peer_->frame(), "STATUS" + kFs + "id=B" + kFs + "seq=1");
  peer_->ack();
  ASSERT_TRUE(sent.get().status.ok());
}

TEST_F(EcrLinkRawPeer, NakGetsTheIdenticalFrameAgain) {
  auto sent = send_async(sale("T1"));
  const std::string first = peer_->frame();
  peer_->nak();
  const std::string second = peer_->frame();
  EXPECT_EQ(second, first);
  peer_->ack();
  EcrSent s = sent.get();
  ASSERT_TRUE(s.status.ok()) << s.status.message;
  EXPECT_EQ(s.attempts, 2);

  auto events = recorder_.events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].kind, Kind::frame);
  EXPECT_EQ(events[0].attempt, 1);
  EXPECT_EQ(events[1].kind, Kind::nak);
  EXPECT_EQ(events[1].direction, Dir::in);
  EXPECT_EQ(events[2].kind, Kind::frame);
  EXPECT_EQ(events[2].attempt, 2);
  EXPECT_EQ(events[2].bytes, events[0].bytes);
  EXPECT_EQ(events[3].kind, Kind::ack);
  auto c = link_->counters();
  EXPECT_EQ(c.frames_sent, 2u);
  EXPECT_EQ(c.resends, 1u);
  EXPECT_EQ(c.naks_received, 1u);
}

TEST_F(EcrLinkRawPeer, LostAckGetsTheIdenticalFrameAfterAckTimeout) {
  auto sent = send_async(sale("T1"));
  const std::string first = peer_->frame();
  // Stay silent: the sender must come back on its own after ack_timeout (200 ms).
  const std::string second = peer_->frame();
  EXPECT_EQ(second, first);
  peer_->ack();
  EcrSent s = sent.get();
  ASSERT_TRUE(s.status.ok()) << s.status.message;
  EXPECT_EQ(s.attempts, 2);
  auto writes = recorder_.of(Dir::out, Kind::frame);
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_GE(writes[1].at - writes[0].at, 200ms);
}

TEST_F(EcrLinkRawPeer, ThreeNaksGiveTheLinkErrorAfterExactlyThreeFrames) {
  auto sent = send_async(sale("T1"));
  const std::string first = peer_->frame();
  peer_->nak();
  EXPECT_EQ(peer_->frame(), first);
  peer_->nak();
  EXPECT_EQ(peer_->frame(), first);
  peer_->nak();
  EcrSent s = sent.get();
  EXPECT_EQ(s.status.code, IoStatus::error);
  EXPECT_EQ(s.status.message, prefix() + "NAKed 3 times");
  EXPECT_EQ(s.attempts, 3);
  EXPECT_TRUE(peer_->quiet_for(kQuiet));  // no fourth frame
  auto c = link_->counters();
  EXPECT_EQ(c.frames_sent, 3u);
  EXPECT_EQ(c.naks_received, 3u);
}

TEST_F(EcrLinkRawPeer, ThreeSilencesGiveTheLinkErrorAfterExactlyThreeFrames) {
  auto sent = send_async(sale("T1"));
  const std::string first = peer_->frame();
  EXPECT_EQ(peer_->frame(), first);
  EXPECT_EQ(peer_->frame(), first);
  EcrSent s = sent.get();
  EXPECT_EQ(s.status.code, IoStatus::error);
  EXPECT_EQ(s.status.message, prefix() + "no ACK after 3 attempts");
  EXPECT_EQ(s.attempts, 3);
  EXPECT_TRUE(peer_->quiet_for(kQuiet));
  EXPECT_EQ(link_->counters().frames_sent, 3u);
}

TEST_F(EcrLinkRawPeer, NaksMixedWithSilenceCountAsNoAck) {
  auto sent = send_async(sale("T1"));
  peer_->frame();
  peer_->nak();
  peer_->frame();
  peer_->frame();  // the second was met with silence
  peer_->nak();
  EcrSent s = sent.get();
  EXPECT_EQ(s.status.message, prefix() + "no ACK after 3 attempts");
}

TEST_F(EcrLinkRawPeer, DeadlineBeforeAckTimeoutEndsTheSend) {
  EcrLinkOptions o;
  o.ack_timeout = 60s;
  start(o);
  auto sent = send_async(sale("T1"), 300ms);
  peer_->frame();
  EcrSent s = sent.get();
  EXPECT_EQ(s.status.code, IoStatus::timeout);
  EXPECT_EQ(s.status.message, prefix() + "no ACK before the deadline (attempt 1 of 3)");
  EXPECT_EQ(s.attempts, 1);
  EXPECT_TRUE(peer_->quiet_for(kQuiet));
}

TEST_F(EcrLinkRawPeer, DuplicateFrameIsAckedTwiceAndDeliveredOnce) {
  ecr::Message result("RESULT");
  result.set("id", "T1").set("status", "APPROVED");
  const std::string frame = wire(result, 7);
  peer_->write(frame);
  peer_->expect(ecr::Event::Kind::ack);
  peer_->write(frame);  // as if our ACK had been lost
  peer_->expect(ecr::Event::Kind::ack);
  peer_->write(wire(ecr::Message("STATUS").set("id", "S1"), 8));
  peer_->expect(ecr::Event::Kind::ack);

  EcrReceived first = link_->receive(after(kLong));
  ASSERT_TRUE(first.status.ok()) << first.status.message;
  EXPECT_EQ(first.message, result);
  EcrReceived second = link_->receive(after(kLong));
  ASSERT_TRUE(second.status.ok()) << second.status.message;
  EXPECT_EQ(second.message.name, "STATUS");
  auto c = link_->counters();
  EXPECT_EQ(c.duplicates_dropped, 1u);
  EXPECT_EQ(c.delivered, 2u);
  EXPECT_EQ(c.acks_sent, 3u);
  auto in = recorder_.of(Dir::in, Kind::frame);
  ASSERT_EQ(in.size(), 3u);
  EXPECT_FALSE(in[0].duplicate);
  EXPECT_TRUE(in[1].duplicate);
  EXPECT_FALSE(in[2].duplicate);
}

TEST_F(EcrLinkRawPeer, SameIdWithNewSeqIsANewMessage) {
  // Link-layer duplicates only; a repeated command under a new seq is the application's to judge.
  peer_->write(wire(sale("T1"), 7));
  peer_->expect(ecr::Event::Kind::ack);
  peer_->write(wire(sale("T1"), 8));
  peer_->expect(ecr::Event::Kind::ack);
  EXPECT_TRUE(link_->receive(after(kLong)).status.ok());
  EXPECT_TRUE(link_->receive(after(kLong)).status.ok());
  EXPECT_EQ(link_->counters().duplicates_dropped, 0u);
}

TEST_F(EcrLinkRawPeer, SameSeqWithAnotherIdIsANewMessage) {
  peer_->write(wire(sale("T1"), 7));
  peer_->expect(ecr::Event::Kind::ack);
  peer_->write(wire(sale("T2"), 7));  // a restarted peer may reuse a seq
  peer_->expect(ecr::Event::Kind::ack);
  EXPECT_EQ(link_->receive(after(kLong)).message.get("id"), "T1");
  EXPECT_EQ(link_->receive(after(kLong)).message.get("id"), "T2");
}

TEST_F(EcrLinkRawPeer, NoiseBeforeStxIsSkippedAndTheFrameDelivered) {
  const std::string noise("\xff\x00garbage", 9);
  peer_->write(noise + wire(sale("T1"), 3));
  peer_->expect(ecr::Event::Kind::ack);
  EcrReceived got = link_->receive(after(kLong));
  ASSERT_TRUE(got.status.ok()) << got.status.message;
  EXPECT_EQ(got.message, sale("T1"));
  std::string seen;
  for (const auto& e : recorder_.of(Dir::in, Kind::noise)) {
    seen += e.bytes;
  }
  EXPECT_EQ(seen, noise);
  EXPECT_EQ(link_->counters().noise_bytes, 9u);
  EXPECT_EQ(link_->counters().naks_sent, 0u);
}

TEST_F(EcrLinkRawPeer, BadLrcIsNakedAndNothingDelivered) {
  std::string frame = wire(sale("T1"), 3);
  const char good = frame.back();
  frame.back() = static_cast<char>(good ^ 0x01);
  peer_->write(frame);
  peer_->expect(ecr::Event::Kind::nak);
  EcrReceived none = link_->receive(after(kQuiet));
  EXPECT_EQ(none.status.code, IoStatus::timeout);
  auto bad = recorder_.of(Dir::in, Kind::bad);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].detail, "bad LRC (expected " + ecr::hex_byte(good) + ", got " +
                               ecr::hex_byte(frame.back()) + ")");
  EXPECT_EQ(bad[0].bytes, frame);
  // The sender's resend of the good frame goes through.
  peer_->write(wire(sale("T1"), 3));
  peer_->expect(ecr::Event::Kind::ack);
  EXPECT_TRUE(link_->receive(after(kLong)).status.ok());
  EXPECT_EQ(link_->counters().naks_sent, 1u);
}

TEST_F(EcrLinkRawPeer, TooLongFrameIsNakedOnce) {
  peer_->write(ecr::encode_frame("DISPLAY" + kFs + "text=" + std::string(2100, 'a')));
  peer_->expect(ecr::Event::Kind::nak);
  peer_->write(wire(ecr::Message("STATUS").set("id", "S1"), 4));
  peer_->expect(ecr::Event::Kind::ack);  // and no second NAK for the skipped tail
  EcrReceived got = link_->receive(after(kLong));
  ASSERT_TRUE(got.status.ok());
  EXPECT_EQ(got.message.name, "STATUS");
  auto bad = recorder_.of(Dir::in, Kind::bad);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].detail, "frame longer than 2048 bytes");
}

TEST_F(EcrLinkRawPeer, MalformedPayloadsAreNaked) {
  peer_->write(ecr::encode_frame("sale" + kFs + "seq=1"));
  peer_->expect(ecr::Event::Kind::nak);
  peer_->write(ecr::encode_frame("STATUS" + kFs + "id=1"));
  peer_->expect(ecr::Event::Kind::nak);
  peer_->write(ecr::encode_frame("STATUS" + kFs + "seq=0042"));
  peer_->expect(ecr::Event::Kind::nak);
  peer_->write(ecr::encode_frame(""));
  peer_->expect(ecr::Event::Kind::nak);
  auto bad = recorder_.of(Dir::in, Kind::bad);
  ASSERT_EQ(bad.size(), 4u);
  EXPECT_EQ(bad[0].detail, "message name \"sale\" has a byte other than A-Z and '_'");
  EXPECT_EQ(bad[1].detail, "missing field \"seq\"");
  EXPECT_EQ(bad[2].detail, "bad seq \"0042\" (expected 1 to 9999)");
  EXPECT_EQ(bad[3].detail, "empty payload");
  EXPECT_EQ(link_->receive(after(kQuiet)).status.code, IoStatus::timeout);
}

TEST_F(EcrLinkRawPeer, IncompleteFrameIsNakedAfterByteTimeout) {
  EcrLinkOptions o;
  o.byte_timeout = 100ms;
  start(o);
  peer_->write("\x02SALE");  // and then nothing
  peer_->expect(ecr::Event::Kind::nak);
  auto bad = recorder_.of(Dir::in, Kind::bad);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].detail, "incomplete frame: no byte for 100 ms");
  EXPECT_EQ(bad[0].bytes, "\x02SALE");
  peer_->write(wire(sale("T1"), 5));
  peer_->expect(ecr::Event::Kind::ack);
  EXPECT_EQ(link_->receive(after(kLong)).message, sale("T1"));
}

TEST_F(EcrLinkRawPeer, StrayAckDoesNotAcknowledgeTheNextSend) {
  peer_->ack();
  ASSERT_TRUE(recorder_.wait_for(Dir::in, Kind::ack, 1));
  auto sent = send_async(sale("T1"));
  peer_->frame();
  peer_->nak();
  peer_->frame();
  peer_->ack();
  EcrSent s = sent.get();
  ASSERT_TRUE(s.status.ok()) << s.status.message;
  EXPECT_EQ(s.attempts, 2);
  EXPECT_EQ(link_->counters().stray_controls, 1u);
}

TEST_F(EcrLinkRawPeer, ReceiveTimeoutIsHonoured) {
  const auto start = Clock::now();
  EcrReceived r = link_->receive(start + 150ms);
  EXPECT_EQ(r.status.code, IoStatus::timeout);
  EXPECT_EQ(r.status.message, prefix() + "no message before the deadline");
  EXPECT_GE(Clock::now() - start, 150ms);
}

TEST_F(EcrLinkRawPeer, AbortWakesABlockedReceive) {
  std::promise<void> calling;
  auto received = std::async(std::launch::async, [&] {
    calling.set_value();
    return link_->receive(after(60s));
  });
  calling.get_future().wait();
  const auto start = Clock::now();
  link_->abort();
  EcrReceived r = received.get();
  EXPECT_LT(Clock::now() - start, kLong);
  EXPECT_EQ(r.status.code, IoStatus::aborted);
  EXPECT_EQ(r.status.message, prefix() + "aborted");
  // Later calls too, until open() again.
  EXPECT_EQ(link_->receive(after(kLong)).status.code, IoStatus::aborted);
  EXPECT_EQ(link_->send(sale("T2"), after(kLong)).status.code, IoStatus::aborted);
}

TEST_F(EcrLinkRawPeer, AbortWakesASendWaitingForAck) {
  EcrLinkOptions o;
  o.ack_timeout = 60s;
  start(o);
  auto sent = send_async(sale("T1"), 120s);
  peer_->frame();  // the send now waits for an ACK that never comes
  const auto start = Clock::now();
  link_->abort();
  EcrSent s = sent.get();
  EXPECT_LT(Clock::now() - start, kLong);
  EXPECT_EQ(s.status.code, IoStatus::aborted);
  EXPECT_EQ(s.status.message, prefix() + "aborted");
}

TEST_F(EcrLinkRawPeer, SendRefusesMessagesItCannotEncode) {
  EcrSent s = link_->send(ecr::Message("STATUS").set("seq", "5"), after(kLong));
  EXPECT_EQ(s.status.code, IoStatus::error);
  EXPECT_EQ(s.status.message,
            prefix() + "cannot send: field \"seq\" in STATUS is reserved for the link layer");
  s = link_->send(ecr::Message("SALE").set("id", std::string(33, '1')), after(kLong));
  EXPECT_EQ(s.status.message,
            prefix() + "cannot send: field \"id\" in SALE is 33 characters long (at most 32)");
  s = link_->send(ecr::Message("DISPLAY").set("text", std::string(2030, 'a')), after(kLong));
  EXPECT_EQ(s.status.message,
            prefix() + "cannot send: DISPLAY payload is 2050 bytes (at most 2048)");
  EXPECT_EQ(s.attempts, 0);
  EXPECT_TRUE(peer_->quiet_for(kQuiet));
  // No seq was used up: the next message goes out with the first one.
  auto sent = send_async(ecr::Message("STATUS").set("id", "S1"));
  EXPECT_EQ(peer_->frame(), "STATUS" + kFs + "id=S1" + kFs + "seq=41");
  peer_->ack();
  EXPECT_TRUE(sent.get().status.ok());
}

TEST(EcrLinkState, CallsBeforeOpenAreRefused) {
  PtyMaster master;
  ASSERT_TRUE(master.open().ok());
  EcrLink link(master);
  EcrReceived r = link.receive(after(kLong));
  EXPECT_EQ(r.status.code, IoStatus::closed);
  EXPECT_EQ(r.status.message, "ECR link " + master.name() + ": not open");
  EXPECT_EQ(link.send(sale("T1"), after(kLong)).status.message,
            "ECR link " + master.name() + ": not open");
  EXPECT_FALSE(link.is_open());
}

TEST(EcrLinkState, OpenFailureIsTheTransportError) {
  EcrLink link(std::make_unique<PtyLink>("/dev/pts/no-such-pty"));
  rig::link::Status s = link.open();
  EXPECT_EQ(s.code, IoStatus::error);
  EXPECT_EQ(s.message, "/dev/pts/no-such-pty: open failed: No such file or directory");
}

TEST(EcrLinkState, PeerHangUpIsReportedAfterQueuedMessages) {
  // EcrLink on the slave side; the raw peer is the master, which then goes away.
  auto master = std::make_unique<PtyMaster>();
  ASSERT_TRUE(master->open().ok());
  const std::string slave_path = master->slave_path();
  EcrLink link(std::make_unique<PtyLink>(slave_path));
  ASSERT_TRUE(link.open().ok());
  RawPeer peer(*master);
  peer.write(wire(sale("T1"), 1));
  peer.expect(ecr::Event::Kind::ack);
  master.reset();

  EcrReceived first = link.receive(after(kLong));
  ASSERT_TRUE(first.status.ok()) << first.status.message;
  EXPECT_EQ(first.message, sale("T1"));
  EcrReceived gone = link.receive(after(60s));
  EXPECT_EQ(gone.status.code, IoStatus::closed);
  EXPECT_EQ(gone.status.message, slave_path + ": read failed: peer closed the link");
  EXPECT_FALSE(link.is_open());
  EXPECT_EQ(link.send(sale("T2"), after(kLong)).status.code, IoStatus::closed);
}

}  // namespace

namespace {

// misbehave(): the controller's deliberate faults (ecr.bad_lrc, ecr.no_ack, ecr.noise) and
// what a correct peer does with them.
TEST_F(EcrLinkPair, BadLrcOnPurposeIsNakedThenTheResendIsDeliveredOnce) {
  controller_->misbehave(1, 0, 0);
  EcrSent sent = controller_->send(sale("T7"), after(kLong));
  ASSERT_TRUE(sent.status.ok()) << sent.status.message;
  EXPECT_EQ(sent.attempts, 2);
  EcrReceived got = terminal_->receive(after(kLong));
  ASSERT_TRUE(got.status.ok()) << got.status.message;
  EXPECT_EQ(got.message, sale("T7"));
  EXPECT_EQ(terminal_->counters().naks_sent, 1u);
  EXPECT_EQ(terminal_->counters().delivered, 1u);
}

TEST_F(EcrLinkPair, WithheldAckMakesThePeerResendAndTheDuplicateIsDropped) {
  controller_->misbehave(0, 1, 0);
  ecr::Message event("EVENT");
  event.set("name", "BOOT");
  EcrSent sent = terminal_->send(event, after(kLong));
  ASSERT_TRUE(sent.status.ok()) << sent.status.message;
  EXPECT_EQ(sent.attempts, 2);
  EcrReceived got = controller_->receive(after(kLong));
  ASSERT_TRUE(got.status.ok());
  EXPECT_EQ(controller_->counters().duplicates_dropped, 1u);
  EXPECT_EQ(controller_->counters().delivered, 1u);
}

TEST_F(EcrLinkPair, NoiseOnPurposeIsSkippedByThePeer) {
  controller_->misbehave(0, 0, 12);
  EcrSent sent = controller_->send(sale("T8"), after(kLong));
  ASSERT_TRUE(sent.status.ok()) << sent.status.message;
  EXPECT_EQ(sent.attempts, 1);
  ASSERT_TRUE(terminal_->receive(after(kLong)).status.ok());
  EXPECT_EQ(terminal_->counters().noise_bytes, 12u);
}

}  // namespace
