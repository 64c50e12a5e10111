// vterm's ECR port (ecr_port.h): the pty's power switch and the outbox that sends the
// firmware's messages through the link layer.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "fixtures/sim/vterm/ecr_port.h"
#include "rig/protocol/zvt_transport.h"

namespace vterm {
namespace {

using Message = rig::protocol::ecr::Message;
using namespace std::chrono_literals;

TEST(VtermPoweredPty, WithoutPowerNothingGoesEitherWay) {
  PoweredPty pty;
  ASSERT_TRUE(pty.open().ok());
  rig::link::PtyLink peer(pty.slave_path());
  ASSERT_TRUE(peer.open().ok());

  ASSERT_TRUE(peer.write("abc", rig::link::after(2s)).ok());
  auto in = pty.read(rig::link::after(2s));
  ASSERT_TRUE(in.status.ok());
  EXPECT_EQ(in.bytes, "abc");

  pty.set_powered(false);
  ASSERT_TRUE(peer.write("lost", rig::link::after(2s)).ok());
  EXPECT_EQ(pty.read(rig::link::after(200ms)).status.code, rig::link::IoStatus::timeout);
  ASSERT_TRUE(pty.write("dropped", rig::link::after(2s)).ok());
  EXPECT_EQ(peer.read(rig::link::after(200ms)).status.code, rig::link::IoStatus::timeout);

  pty.set_powered(true);
  ASSERT_TRUE(peer.write("back", rig::link::after(2s)).ok());
  in = pty.read(rig::link::after(2s));
  ASSERT_TRUE(in.status.ok());
  EXPECT_EQ(in.bytes, "back");
}

// The controller closing its end of the line is what the firmware calls a lost link: seen on
// the next call, whoever reads first; opening, using the line or power do not count.
TEST(VtermPoweredPty, SeesTheControllerCloseItsEnd) {
  PoweredPty pty;
  ASSERT_TRUE(pty.open().ok());
  EXPECT_EQ(pty.peer_losses(), 0u);
  rig::link::PtyLink peer(pty.slave_path());
  ASSERT_TRUE(peer.open().ok());
  ASSERT_TRUE(peer.write("abc", rig::link::after(2s)).ok());
  ASSERT_TRUE(pty.read(rig::link::after(2s)).status.ok());
  EXPECT_EQ(pty.peer_losses(), 0u);
  peer.close();
  const std::uint64_t first = pty.peer_losses();
  EXPECT_GE(first, 1u);
  pty.set_powered(false);
  ASSERT_TRUE(peer.open().ok());
  EXPECT_EQ(pty.peer_losses(), first);
  peer.close();
  EXPECT_GT(pty.peer_losses(), first);
}

// Writes `bytes` at the controller's end and returns what the terminal's end reads of them.
std::string through(rig::link::Link& peer, PoweredPty& pty, const std::string& bytes) {
  EXPECT_TRUE(peer.write(bytes, rig::link::after(2s)).ok());
  std::string got;
  const auto deadline = rig::link::after(5s);
  while (got.size() < bytes.size()) {
    auto in = pty.read(deadline);
    if (!in.status.ok()) break;
    got += in.bytes;
  }
  return got;
}

// acts-on-bad-lrc: incoming frames get the right LRC before the link layer sees them, whatever
// way the bytes are split, from the moment the bug is set; nothing else is touched.
TEST(VtermPoweredPty, ActsOnBadLrcRepairsTheLrcOfIncomingFrames) {
  namespace ecr = rig::protocol::ecr;
  BugSet bugs;
  PoweredPty pty;
  pty.set_bugs(&bugs);
  ASSERT_TRUE(pty.open().ok());
  rig::link::PtyLink peer(pty.slave_path());
  ASSERT_TRUE(peer.open().ok());
  const std::string good = ecr::encode_frame("STATUS" + std::string(1, ecr::kFs) + "id=S1");
  std::string bad = good;
  bad.back() = static_cast<char>(bad.back() ^ 0x5a);
  const std::string line = std::string(1, ecr::kAck) + "noise" + bad;
  auto pass = [&](const std::string& first, const std::string& second) {
    std::string got = through(peer, pty, first);  // in this order: two statements
    return got + through(peer, pty, second);
  };
  const std::size_t split = line.size() - 4;  // inside the payload
  EXPECT_EQ(pass(line.substr(0, split), line.substr(split)), line) << "correct: left alone";
  bugs.set(Bug::acts_on_bad_lrc);
  const std::string repaired = std::string(1, ecr::kAck) + "noise" + good;
  EXPECT_EQ(pass(line.substr(0, split), line.substr(split)), repaired);
  EXPECT_EQ(pass(line.substr(0, line.size() - 1), line.substr(line.size() - 1)), repaired)
      << "LRC byte alone";
  bugs.clear(Bug::acts_on_bad_lrc);
  EXPECT_EQ(pass(line.substr(0, 3), line.substr(3)), line);
}

// The same defect on a ZVT pty: the CRC of incoming serial blocks is repaired (DLEs in the APDU
// doubled on the wire, the CRC over the APDU as it is).
TEST(VtermPoweredPty, ActsOnBadLrcRepairsTheCrcOfIncomingZvtBlocks) {
  namespace zvt = rig::protocol::zvt;
  BugSet bugs;
  PoweredPty pty;
  pty.set_bugs(&bugs);
  pty.set_framing(PoweredPty::Framing::zvt);
  ASSERT_TRUE(pty.open().ok());
  rig::link::PtyLink peer(pty.slave_path());
  ASSERT_TRUE(peer.open().ok());
  // Authorization of 10.00: the amount holds a DLE.
  const std::string good = zvt::encode_block(*zvt::from_hex("06 01 07 04 00 00 00 00 10 00"));
  std::string bad = good;
  bad[bad.size() - 2] = static_cast<char>(bad[bad.size() - 2] ^ 0x5a);
  const std::string line = std::string(1, zvt::kAck) + bad;
  auto pass = [&](const std::string& bytes) { return through(peer, pty, bytes); };
  EXPECT_EQ(pass(line), line) << "correct: left alone";
  bugs.set(Bug::acts_on_bad_lrc);
  EXPECT_EQ(zvt::hex_bytes(pass(line)), zvt::hex_bytes(std::string(1, zvt::kAck) + good));
}

class OutboxTest : public ::testing::Test {
 protected:
  OutboxTest() {
    EXPECT_TRUE(pty_.open().ok());
    rig::terminal::EcrLinkOptions o;
    o.ack_timeout = 100ms;
    o.byte_timeout = 50ms;
    link_ = std::make_unique<rig::terminal::EcrLink>(pty_, o);
    EXPECT_TRUE(link_->open().ok());
    outbox_ = std::make_unique<Outbox>(*link_);
    outbox_->set_on_error([this](const std::string& name) {
      std::lock_guard<std::mutex> lock(mu_);
      errors_.push_back(name);
    });
    outbox_->start();
  }
  ~OutboxTest() override {
    link_->abort();
    outbox_->stop();
    link_->close();
  }
  static Message event(const std::string& name) {
    Message m("EVENT");
    m.set("name", name);
    return m;
  }

  PoweredPty pty_;
  std::unique_ptr<rig::terminal::EcrLink> link_;
  std::unique_ptr<Outbox> outbox_;
  std::mutex mu_;
  std::vector<std::string> errors_;
};

TEST_F(OutboxTest, SendsInOrderToAnAcknowledgingPeer) {
  rig::terminal::EcrLink peer(std::make_unique<rig::link::PtyLink>(pty_.slave_path()));
  ASSERT_TRUE(peer.open().ok());
  for (const char* n : {"A", "B", "C"}) outbox_->send(event(n));
  for (const char* n : {"A", "B", "C"}) {
    auto in = peer.receive(rig::link::after(5s));
    ASSERT_TRUE(in.status.ok()) << in.status.message;
    EXPECT_EQ(in.message.get("name"), n);
  }
  EXPECT_EQ(outbox_->failures(), 0u);
}

TEST_F(OutboxTest, SaysWhenItIsThroughWithEverything) {
  std::condition_variable cv;
  int idles = 0;
  outbox_->set_on_idle([&] {
    std::lock_guard<std::mutex> lock(mu_);
    ++idles;
    cv.notify_all();
  });
  EXPECT_TRUE(outbox_->idle());
  // Queued or on the line, unacknowledged: not idle until a peer comes and acknowledges it (or
  // the link gives up and the LINK_ERROR behind it is through).
  outbox_->send(event("A"));
  EXPECT_FALSE(outbox_->idle());
  rig::terminal::EcrLink peer(std::make_unique<rig::link::PtyLink>(pty_.slave_path()));
  ASSERT_TRUE(peer.open().ok());
  std::unique_lock<std::mutex> lock(mu_);
  ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return idles > 0; }));
  lock.unlock();
  EXPECT_TRUE(outbox_->idle());
}

TEST_F(OutboxTest, AFrameNobodyAcknowledgesIsDroppedAndReportedOnce) {
  // Nobody on the line: the first message fails after its attempts, what was queued behind it
  // is dropped, and a LINK_ERROR event is tried once.
  outbox_->send(event("FIRST"));
  outbox_->send(event("SECOND"));
  rig::link::PtyLink raw(pty_.slave_path());
  ASSERT_TRUE(raw.open().ok());
  std::string seen;
  const auto deadline = rig::link::after(5s);
  while (seen.find("LINK_ERROR") == std::string::npos) {
    auto chunk = raw.read(deadline);
    ASSERT_TRUE(chunk.status.ok()) << "no LINK_ERROR frame: " << seen;
    seen += chunk.bytes;
  }
  EXPECT_EQ(seen.find("SECOND"), std::string::npos) << "the backlog should have been dropped";
  EXPECT_NE(seen.find("detail=EVENT not acknowledged"), std::string::npos);
  // Let the LINK_ERROR fail too; it is not repeated.
  std::string more;
  while (true) {
    auto chunk = raw.read(rig::link::after(600ms));
    if (!chunk.status.ok()) break;
    more += chunk.bytes;
  }
  EXPECT_EQ(outbox_->failures(), 2u);
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_EQ(errors_, (std::vector<std::string>{"EVENT", "EVENT"}));
}

TEST_F(OutboxTest, DisabledOutboxDropsEverything) {
  outbox_->set_enabled(false);
  outbox_->send(event("OFF"));
  EXPECT_EQ(outbox_->queued(), 0u);
  outbox_->set_enabled(true);
  rig::terminal::EcrLink peer(std::make_unique<rig::link::PtyLink>(pty_.slave_path()));
  ASSERT_TRUE(peer.open().ok());
  outbox_->send(event("ON"));
  auto in = peer.receive(rig::link::after(5s));
  ASSERT_TRUE(in.status.ok());
  EXPECT_EQ(in.message.get("name"), "ON");
}

// Found by rig explore (power.cut at prompt PRESENT_CARD): the PROMPT on the line when the power
// went was given up after its attempts once the power was back, and took the new power-up's
// BOOT with it (queue dropped, LINK_ERROR said instead).
TEST_F(OutboxTest, AFrameCutOffByThePowerDoesNotTakeTheNextPowerUpsMessagesWithIt) {
  outbox_->send(event("CUT"));
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (outbox_->queued() > 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(5ms);  // until CUT is on the line, waiting for its ACK
  }
  outbox_->set_enabled(false);
  outbox_->set_enabled(true);
  outbox_->send(event("BOOT"));
  // CUT runs out of attempts with nobody on the line.
  while (outbox_->failures() == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(outbox_->failures(), 1u);
  rig::terminal::EcrLink peer(std::make_unique<rig::link::PtyLink>(pty_.slave_path()));
  ASSERT_TRUE(peer.open().ok());
  // The pty kept CUT's attempts (this test's pty has no power switch off); then BOOT comes.
  std::vector<std::string> names;
  while (names.empty() || names.back() != "BOOT") {
    auto in = peer.receive(rig::link::after(2s));
    if (!in.status.ok()) break;
    names.push_back(in.message.get("name").value_or(""));
  }
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.back(), "BOOT");
  EXPECT_EQ(std::count(names.begin(), names.end(), "LINK_ERROR"), 0);
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_TRUE(errors_.empty());
}

}  // namespace
}  // namespace vterm
