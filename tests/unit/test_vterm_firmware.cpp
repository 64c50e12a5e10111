// vterm's firmware core in process (firmware.h): real peripherals, flash in memory, messages to
// the controller captured, and a host nobody listens on. Covers what needs no acquirer: boot
// from flash after a cut, STATUS/LAST/QUERY/CANCEL, refusals, a refused host connection, and
// that stop() ends every wait at once.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "fixtures/sim/vterm/firmware.h"
#include "rig/link/tcp.h"
#include "rig/protocol/iso8583.h"

namespace vterm {
namespace {

using Message = rig::protocol::ecr::Message;
using namespace std::chrono_literals;

std::uint16_t closed_port() {
  rig::link::TcpListener l;
  EXPECT_TRUE(l.listen().ok());
  return l.port();  // nobody listens once `l` is gone
}

class FirmwareTest : public ::testing::Test {
 protected:
  FirmwareTest() : store_("") {
    cfg_.tid = "VTERM001";
    cfg_.mid = "MERCHANT0000001";
    cfg_.host = {"127.0.0.1", closed_port()};
    cfg_.wallet = {"127.0.0.1", closed_port()};
  }
  ~FirmwareTest() override {
    if (fw_) fw_->stop();
  }

  void boot() {
    fw_ = std::make_unique<Firmware>(cfg_, p_, store_, bugs_, wakeup_, [this](Message m) {
      if (on_sent_) on_sent_(m);  // on the firmware's thread, before it goes on
      {
        std::lock_guard<std::mutex> lock(mu_);
        sent_.push_back(std::move(m));
      }
      cv_.notify_all();
    });
    fw_->start();
    wait_for([](const Message& m) { return m.name == "DISPLAY"; });
  }

  // The first message from `from` on that matches, or a failed test.
  Message wait_for(const std::function<bool(const Message&)>& pred, std::size_t from = 0) {
    std::unique_lock<std::mutex> lock(mu_);
    Message hit;
    bool found = cv_.wait_for(lock, 10s, [&] {
      for (std::size_t i = from; i < sent_.size(); ++i) {
        if (pred(sent_[i])) {
          hit = sent_[i];
          return true;
        }
      }
      return false;
    });
    EXPECT_TRUE(found) << "message not sent";
    return hit;
  }
  std::size_t mark() {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_.size();
  }
  static std::function<bool(const Message&)> result(const std::string& id) {
    return [id](const Message& m) { return m.name == "RESULT" && m.get("id") == id; };
  }
  void ecr(const std::string& name, const std::string& id,
           const std::vector<std::pair<std::string, std::string>>& fields = {}) {
    Message m(name);
    m.set("id", id);
    for (const auto& [k, v] : fields) m.set(k, v);
    fw_->on_ecr(m);
  }
  void press(const std::vector<std::string>& keys) {
    p_.keypad.press(keys);
    wakeup_.notify();
  }

  FirmwareConfig cfg_;
  Peripherals p_;
  FlashStore store_;
  BugSet bugs_;
  Wakeup wakeup_;
  std::unique_ptr<Firmware> fw_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Message> sent_;
  std::function<void(const Message&)> on_sent_;
};

const std::vector<std::pair<std::string, std::string>> kSale = {
    {"amount", "5.00"}, {"currency", "156"}, {"method", "card"}};

TEST_F(FirmwareTest, BootsAndAnswersStatusAndLast) {
  boot();
  Message boot = wait_for([](const Message& m) { return m.get("name") == "BOOT"; });
  EXPECT_EQ(boot.get("detail"), "pending_reversals=0");
  ecr("STATUS", "S1");
  Message st = wait_for([](const Message& m) { return m.name == "STATUS"; });
  EXPECT_EQ(st.get("state"), "idle");
  EXPECT_EQ(st.get("stan"), "000000");
  EXPECT_EQ(st.get("paper"), "ok");
  EXPECT_EQ(st.get("tid"), "VTERM001");
  ecr("LAST", "L1");
  EXPECT_EQ(wait_for(result("L1")).get("rc"), "NF");
  EXPECT_EQ(fw_->display(), "READY");
}

TEST_F(FirmwareTest, CancelWhileWaitingForTheCard) {
  boot();
  const std::size_t from = mark();
  ecr("SALE", "T1", kSale);
  wait_for([](const Message& m) { return m.get("kind") == "PRESENT_CARD"; }, from);
  ecr("SALE", "T2", kSale);
  EXPECT_EQ(wait_for(result("T2"), from).get("rc"), "BZ");
  ecr("CANCEL", "T1");
  Message r = wait_for(result("T1"), from);
  EXPECT_EQ(r.get("status"), "CANCELLED");
  EXPECT_EQ(r.get("rc"), "CX");
  const std::size_t later = mark();
  ecr("QUERY", "T1");
  EXPECT_EQ(wait_for(result("T1"), later).get("status"), "CANCELLED");
  // A finished id is never run again: the stored RESULT answers.
  const std::size_t again = mark();
  ecr("SALE", "T1", kSale);
  EXPECT_EQ(wait_for(result("T1"), again).get("rc"), "CX");
}

rig::bench::CardProfile visa_chip() {
  return rig::bench::CardProfile{"visa-chip", "", "4761739001010010", "3012", "201",
                                 "1234",      0,  true,               true,   "active"};
}

// A card put in the moment the PRESENT_CARD prompt goes out is both in the reader and queued
// as an event when the firmware starts waiting: it is read once, not once more after the
// fallback prompt (6 CHIP_READ_FAILED on a loaded CI machine, card/chip-mute-fallback).
TEST_F(FirmwareTest, ACardPutInAsThePromptGoesOutIsReadOnce) {
  on_sent_ = [this](const Message& m) {
    if (m.get("kind") == "PRESENT_CARD") {
      p_.card_reader.present(visa_chip(), CardEntry::insert, CardDamage::chip_mute);
    }
  };
  boot();
  const std::size_t from = mark();
  ecr("SALE", "T1", kSale);
  wait_for([](const Message& m) { return m.get("kind") == "SWIPE"; }, from);
  // As vterm's fixture handlers do: an input the firmware may be asleep waiting for wakes it.
  p_.card_reader.present(visa_chip(), CardEntry::swipe);
  wakeup_.notify();
  wait_for([](const Message& m) { return m.get("kind") == "PIN"; }, from);
  std::lock_guard<std::mutex> lock(mu_);
  int chip_failures = 0;
  for (std::size_t i = from; i < sent_.size(); ++i) {
    if (sent_[i].get("name") == "CHIP_READ_FAILED") ++chip_failures;
  }
  EXPECT_EQ(chip_failures, 3);
}

TEST_F(FirmwareTest, RefusedHostConnectionFailsTheSaleAndStoresNoReversal) {
  boot();
  p_.card_reader.present(rig::bench::CardProfile{"visa-chip", "", "4761739001010010", "3012", "201",
                                                 "1234", 0, true, true, "active"},
                         CardEntry::insert);
  const std::size_t from = mark();
  ecr("SALE", "T1", kSale);
  wait_for([](const Message& m) { return m.get("kind") == "PIN"; }, from);
  press({"1", "2", "3", "4", "ENTER"});
  Message r = wait_for(result("T1"), from);
  EXPECT_EQ(r.get("status"), "FAILED");
  EXPECT_EQ(r.get("rc"), "NC");
  EXPECT_EQ(r.get("stan"), "000001");
  EXPECT_EQ(fw_->state()["pending_reversals"], 0);
  EXPECT_TRUE(fw_->state()["reversals"].empty());
  EXPECT_EQ(fw_->state()["state"], "offline");
}

TEST_F(FirmwareTest, StartAfterACutMakesArmedReversalsPendingAndRunningSalesPowerLost) {
  FlashState flash;
  flash.stan = 7;
  ReversalRecord armed;
  armed.id = "T7";
  armed.stan = "000007";
  armed.transmission = "0101120000";
  armed.processing = "000000";
  armed.amount = "000000000500";
  armed.currency = "156";
  armed.state = ReversalRecord::State::armed;
  flash.pending_reversals = nlohmann::json::array({to_json(armed)});
  TxnRecord running;
  running.id = "T7";
  running.amount = "5.00";
  running.currency = "156";
  running.online = true;
  running.stan = "000007";
  flash.extra["log"] = nlohmann::json::array({to_json(running)});
  flash.last_transaction = to_json(running);
  store_.save(flash);

  boot();
  Message boot = wait_for([](const Message& m) { return m.get("name") == "BOOT"; });
  EXPECT_EQ(boot.get("detail"), "pending_reversals=1");
  Message stored = wait_for([](const Message& m) { return m.get("name") == "REVERSAL_STORED"; });
  EXPECT_EQ(stored.get("stan"), "000007");
  ecr("LAST", "L1");
  Message last = wait_for([](const Message& m) { return m.get("ref") == "L1"; });
  EXPECT_EQ(last.get("id"), "T7");
  EXPECT_EQ(last.get("status"), "FAILED");
  EXPECT_EQ(last.get("rc"), "PW");
  // The host is unreachable: the reversal stays pending, in flash.
  ecr("STATUS", "S1");
  EXPECT_EQ(wait_for([](const Message& m) { return m.name == "STATUS"; }).get("pending_reversals"),
            "1");
  EXPECT_EQ(store_.load().state.pending_reversals.at(0).at("state"), "pending");
}

TEST_F(FirmwareTest, StopEndsAWaitAtOnceAndNothingIsSentAfterwards) {
  boot();
  const std::size_t from = mark();
  ecr("SALE", "T1", kSale);
  wait_for([](const Message& m) { return m.get("kind") == "PRESENT_CARD"; }, from);
  const auto t0 = std::chrono::steady_clock::now();
  fw_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  const std::size_t after = mark();
  fw_->on_ecr(Message("STATUS"));
  EXPECT_EQ(mark(), after);
  // The interrupted sale is in flash as running; the next power-up reports it lost.
  EXPECT_TRUE(store_.load().state.last_transaction.at("running").get<bool>());
}

TEST_F(FirmwareTest, LockedTerminalRefusesSales) {
  FlashState flash;
  flash.locked = true;
  store_.save(flash);
  boot();
  EXPECT_EQ(fw_->display(), "LOCKED - CONTACT SUPERVISOR");
  ecr("SALE", "T1", kSale);
  Message r = wait_for(result("T1"));
  EXPECT_EQ(r.get("rc"), "LK");
  EXPECT_EQ(r.get("text"), "LOCKED - CONTACT SUPERVISOR");
  ecr("LOGIN", "O1");
  EXPECT_EQ(wait_for(result("O1")).get("rc"), "LK");
}

// Rules 14 and 15, found by rig explore (power.cut at /micropay to_host): a QR sale cut after its
// micropay left may have been paid. The power-up does not report it FAILED (the customer's
// money would be gone unnoticed) but UNKNOWN and flagged for manual handling.
TEST_F(FirmwareTest, AQrSaleCutAfterItsMicropayIsUnknownAndFlaggedAtPowerUp) {
  FlashState flash;
  TxnRecord running;
  running.id = "Q7";
  running.amount = "5.00";
  running.currency = "156";
  running.method = "qr";
  running.online = true;
  running.order = "VTERM001-1-0007";
  flash.extra["log"] = nlohmann::json::array({to_json(running)});
  flash.last_transaction = to_json(running);
  store_.save(flash);

  boot();
  Message flagged = wait_for([](const Message& m) { return m.get("name") == "MANUAL_HANDLING"; });
  EXPECT_EQ(flagged.get("id"), "Q7");
  EXPECT_EQ(flagged.get("order"), "VTERM001-1-0007");
  ecr("LAST", "L1");
  Message last = wait_for([](const Message& m) { return m.get("ref") == "L1"; });
  EXPECT_EQ(last.get("id"), "Q7");
  EXPECT_EQ(last.get("status"), "UNKNOWN");
  EXPECT_EQ(last.get("rc"), "PW");
  ecr("STATUS", "S1");
  EXPECT_EQ(wait_for([](const Message& m) { return m.name == "STATUS"; }).get("manual_handling"),
            "1");
}

// An acquirer that approves the first 0200 it gets, on one connection.
class ApprovingHost {
 public:
  ApprovingHost() {
    EXPECT_TRUE(listener_.listen().ok());
    thread_ = std::thread([this] {
      auto acc = listener_.accept(rig::link::after(20s));
      if (!acc.status.ok()) return;
      std::string got;
      auto framed = [&] {
        if (got.size() < 2) return false;
        const std::size_t body = (static_cast<std::size_t>(static_cast<unsigned char>(got[0])) << 8) |
                                 static_cast<unsigned char>(got[1]);
        return got.size() >= 2 + body;
      };
      while (!framed()) {
        auto chunk = acc.link->read(rig::link::after(20s));
        if (!chunk.status.ok()) return;
        got += chunk.bytes;
      }
      namespace iso = rig::protocol::iso8583;
      iso::DecodeResult req = iso::decode(std::string_view(got).substr(2));
      if (!req.ok) return;
      iso::Message resp;
      resp.mti = "0210";
      for (int f : {3, 4, 7, 11, 12, 13, 41, 42, 49}) {
        if (req.message.has(f)) resp.set(f, req.message.get(f));
      }
      resp.set(37, "000000000001").set(38, "123456").set(39, "00");
      acc.link->write(iso::frame(iso::encode(resp)), rig::link::after(5s));
      acc.link->read(rig::link::after(5s));  // until the terminal hangs up
    });
  }
  ~ApprovingHost() {
    listener_.abort();
    thread_.join();
  }
  std::uint16_t port() const { return listener_.port(); }

 private:
  rig::link::TcpListener listener_;
  std::thread thread_;
};

// Rule 6, found by rig explore (power.cut at prompt REMOVE_CARD): the approval is in, the sale
// not yet committed (the card still in, the receipt to print). Its reversal stays armed in
// flash until the commit, so that a power cut there leaves the sale running with its reversal
// (the power-up reports "POWER LOST - REVERSAL STORED" and sends it); the commit removes it.
TEST_F(FirmwareTest, AnApprovalKeepsItsReversalArmedUntilTheSaleIsCommitted) {
  ApprovingHost host;
  cfg_.host = {"127.0.0.1", host.port()};
  nlohmann::json at_remove_card;
  on_sent_ = [&](const Message& m) {
    if (m.get("kind") == "REMOVE_CARD") at_remove_card = store_.load().state.pending_reversals;
  };
  boot();
  p_.card_reader.present(visa_chip(), CardEntry::insert);
  const std::size_t from = mark();
  ecr("SALE", "T1", kSale);
  wait_for([](const Message& m) { return m.get("kind") == "PIN"; }, from);
  press({"1", "2", "3", "4", "ENTER"});
  Message r = wait_for(result("T1"), from);
  EXPECT_EQ(r.get("status"), "APPROVED");
  // What a power cut at REMOVE_CARD would have left in flash: the sale's reversal, armed.
  ASSERT_EQ(at_remove_card.size(), 1u) << at_remove_card.dump();
  EXPECT_EQ(at_remove_card[0].value("id", ""), "T1");
  EXPECT_EQ(at_remove_card[0].value("state", ""), "armed");
  // Committed: nothing left to reverse.
  EXPECT_TRUE(store_.load().state.pending_reversals.empty());
  EXPECT_EQ(fw_->state()["pending_reversals"], 0);
}

}  // namespace
}  // namespace vterm
