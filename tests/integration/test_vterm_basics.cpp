// vterm as a program and on its ECR link: a card sale end to end with the ledger checked, the
// command line, the control port's core commands, the RIG-ECR link rules (DOMAIN 18-20) and the
// operator lockout (rule 21), each shown holding and, where a --bug breaks it, broken.
#include <sys/stat.h>
#include <unistd.h>

#include "rig/protocol/ecr.h"
#include "tests/integration/vterm_bench.h"

namespace vterm_it {
namespace {

namespace ecr = rig::protocol::ecr;

class VtermBasics : public VBench {};

TEST_F(VtermBasics, CardSaleIsApprovedEndToEndAndLandsInTheLedger) {
  start();
  const std::size_t from = ecr().mark();
  Message r = card_sale("T1", "12.34");
  EXPECT_EQ(r.get("status"), "APPROVED") << describe(r);
  EXPECT_EQ(r.get("rc"), "00");
  EXPECT_EQ(r.get("type"), "sale");
  EXPECT_EQ(r.get("stan"), "000001");
  EXPECT_EQ(r.get("entry"), "chip");
  EXPECT_EQ(r.get("pan"), "476173******0010");
  EXPECT_EQ(r.get("amount"), "12.34");
  EXPECT_EQ(r.get("rrn").value_or("").size(), 12u);
  EXPECT_EQ(r.get("auth").value_or("").size(), 6u);
  // The receipt is out before the result, with the transaction's facts.
  const std::size_t receipt = index_of(is_receipt("T1"), "RECEIPT T1", from);
  const std::size_t result_at = index_of(is_result("T1"), "RESULT T1", from);
  EXPECT_LT(receipt, result_at);
  Message slip = expect(is_receipt("T1"), "RECEIPT", from);
  EXPECT_EQ(slip.get("copy"), "original");
  EXPECT_NE(slip.get("text").value_or("").find("AMOUNT 12.34 156"), std::string::npos);

  json l = ledger();
  EXPECT_EQ(l["net"], "12.34") << l.dump();
  EXPECT_EQ(l["debits"], 1);
  EXPECT_EQ(l["reversals"], 0);
  // What went to the host: chip entry, the PIN block, our ids; the PAN masked in the log.
  auto sent = host_messages("0200");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(field(sent[0], 22), "051") << sent[0];
  EXPECT_EQ(field(sent[0], 52), "***") << sent[0];
  EXPECT_EQ(field(sent[0], 41), "\"VTERM001\"") << sent[0];
  EXPECT_EQ(field(sent[0], 42), "\"MERCHANT0000001\"") << sent[0];
  EXPECT_EQ(field(sent[0], 11), "000001") << sent[0];

  command("STATUS", "S1");
  Message st = expect(is_named("STATUS"), "STATUS", from);
  EXPECT_EQ(st.get("id"), "S1");
  EXPECT_EQ(st.get("state"), "idle");
  EXPECT_EQ(st.get("last_id"), "T1");
  EXPECT_EQ(st.get("stan"), "000001");
  EXPECT_EQ(st.get("pending_reversals"), "0");
  json receipts = ctl({{"cmd", "receipts.get"}});
  ASSERT_EQ(receipts["receipts"].size(), 1u);
  EXPECT_EQ(receipts["receipts"][0]["id"], "T1");
  EXPECT_EQ(receipts["receipts"][0]["complete"], true);
}

TEST_F(VtermBasics, CommandLineErrorsExitWithCode2AndNameTheProblem) {
  auto run = [](std::vector<std::string> args) {
    args.insert(args.begin(), kBuildDir + "/vterm");
    return rig::process::run(args, rig::process::after(kLong));
  };
  auto unknown_bug = run({"--ecr-link", "/tmp/x", "--host", "127.0.0.1:1", "--wallet",
                          "http://127.0.0.1:2", "--tid", "T1", "--mid", "M1", "--bug", "nope"});
  EXPECT_EQ(unknown_bug.exit.code, 2);
  EXPECT_NE(unknown_bug.text().find("unknown bug 'nope' (known: no-reversal, fields-90-wrong"),
            std::string::npos)
      << unknown_bug.text();
  auto missing = run({"--ecr-link", "/tmp/x", "--wallet", "http://127.0.0.1:2"});
  EXPECT_EQ(missing.exit.code, 2);
  EXPECT_NE(missing.text().find("vterm: missing --host HOST:PORT"), std::string::npos)
      << missing.text();
  auto bad_scale = run({"--ecr-link", "/tmp/x", "--host", "127.0.0.1:1", "--wallet",
                        "http://127.0.0.1:2", "--tid", "T1", "--mid", "M1", "--time-scale", "0"});
  EXPECT_EQ(bad_scale.exit.code, 2);
  EXPECT_NE(bad_scale.text().find("--time-scale: expected a number above 0"), std::string::npos);
  auto help = run({"--help"});
  EXPECT_EQ(help.exit.code, 0);
  EXPECT_NE(help.text().find("usage: vterm (--ecr-link PATH | --ecr-listen HOST:PORT)"), std::string::npos);
}

TEST_F(VtermBasics, StaleSymlinkIsReplacedAndSigtermRemovesItWithExitCode0) {
  ASSERT_EQ(::symlink("/nonexistent/pts/99", dir_.file("ecr").c_str()), 0);
  start();
  char buf[256];
  ssize_t n = ::readlink(dir_.file("ecr").c_str(), buf, sizeof buf - 1);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), vterm_addr_["ecr"]);
  ecr_.reset();
  auto status = vterm_->stop();
  EXPECT_TRUE(status.success()) << status.describe();
  struct stat st {};
  EXPECT_NE(::lstat(dir_.file("ecr").c_str(), &st), 0) << "symlink left behind";
}

TEST_F(VtermBasics, ControlPortCoreCommands) {
  start();
  json d = ctl({{"cmd", "display.get"}});
  EXPECT_EQ(d["text"], "READY");
  EXPECT_EQ(d["power"], "on");
  json bad = ctl_reply({{"cmd", "bug.set"}, {"name", "no-such-bug"}});
  EXPECT_EQ(bad["ok"], false);
  EXPECT_NE(bad.value("error", "").find("bug.set: unknown bug \"no-such-bug\" (known: "),
            std::string::npos)
      << bad.dump();
  EXPECT_EQ(ctl({{"cmd", "bug.set"}, {"name", "no-reversal"}})["bugs"], json({"no-reversal"}));
  EXPECT_EQ(state()["bugs"], json({"no-reversal"}));
  EXPECT_EQ(ctl({{"cmd", "bug.clear"}})["bugs"], json::array());
  EXPECT_EQ(ctl({{"cmd", "scanner.dirt"}, {"level", 0.7}})["dirt"], 0.7);
  EXPECT_EQ(state()["scanner_dirt"], 0.7);
  EXPECT_EQ(ctl({{"cmd", "scanner.clean"}})["dirt"], 0.0);

  // Power off: the terminal answers nothing on its ECR link, and keeps its flash.
  EXPECT_EQ(ctl({{"cmd", "power.cut"}})["power"], "off");
  json off = state();
  EXPECT_EQ(off["power"], "off");
  EXPECT_EQ(ctl({{"cmd", "display.get"}})["text"], "");
  const std::size_t from = ecr().mark();
  // A link of our own with a short ACK timeout, in place of the tap.
  ecr_->close();
  {
    rig::terminal::EcrLinkOptions o;
    o.ack_timeout = 300ms;
    rig::terminal::EcrLink raw(std::make_unique<rig::link::PtyLink>(dir_.file("ecr")), o);
    ASSERT_TRUE(raw.open().ok());
    Message m("STATUS");
    m.set("id", "S-off");
    auto sent = raw.send(m, rig::link::after(kLong));
    EXPECT_FALSE(sent.status.ok()) << "an unpowered terminal ACKed";
    EXPECT_NE(sent.status.message.find("no ACK after 3 attempts"), std::string::npos)
        << sent.status.message;
  }
  ecr_->open();
  EXPECT_EQ(ctl({{"cmd", "power.restore"}})["power"], "on");
  expect(is_event("BOOT"), "EVENT BOOT after power.restore", from);
  command("STATUS", "S-on");
  Message st = expect(is_named("STATUS"), "STATUS", from);
  EXPECT_EQ(st.get("id"), "S-on");
  EXPECT_EQ(ecr().count([](const Message& m) { return m.get("id") == "S-off"; }, from), 0u);
}

TEST_F(VtermBasics, CommandsItCannotRunAreRefusedWithLocalCodes) {
  start();
  const std::size_t from = ecr().mark();
  command("TELEPORT", "X1");
  Message r = result("X1", from);
  EXPECT_EQ(r.get("status"), "FAILED");
  EXPECT_EQ(r.get("rc"), "IV");
  EXPECT_EQ(r.get("text"), "unknown command TELEPORT");
  sale("X2", "1");
  r = result("X2", from);
  EXPECT_EQ(r.get("rc"), "IV");
  EXPECT_EQ(r.get("text"), "bad amount \"1\"");
  command("QUERY", "nobody");
  EXPECT_EQ(result("nobody", from).get("rc"), "NF");
  command("LAST", "L0");
  EXPECT_EQ(result("L0", from).get("rc"), "NF");
  // Busy: a second SALE while the first waits for its card; CANCEL ends the first.
  sale("B1", "1.00");
  expect_prompt("PRESENT_CARD", from);
  sale("B2", "1.00");
  EXPECT_EQ(result("B2", from).get("rc"), "BZ");
  command("QUERY", "B1");
  EXPECT_EQ(result("B1", from).get("rc"), "IP");
  command("CANCEL", "B1");
  Message c = expect(
      [](const Message& m) {
        return m.name == "RESULT" && m.get("id") == "B1" && m.get("rc") == "CX";
      },
      "RESULT B1 CANCELLED", from);
  EXPECT_EQ(c.get("status"), "CANCELLED");
  EXPECT_TRUE(host_messages("0200").empty());
}

TEST_F(VtermBasics, RefundOfAnApprovedSaleGoesOnlineAsProcessingCode20) {
  start();
  ASSERT_EQ(card_sale("T1", "8.00").get("status"), "APPROVED");
  const std::size_t from = ecr().mark();
  Message too_much("REFUND");
  too_much.set("id", "R0").set("amount", "9.00").set("currency", "156").set("method", "card");
  too_much.set("orig_id", "T1");
  send(too_much);
  EXPECT_EQ(result("R0", from).get("rc"), "IV");
  Message refund("REFUND");
  refund.set("id", "R1").set("amount", "3.00").set("currency", "156").set("method", "card");
  refund.set("orig_id", "T1");
  send(refund);
  expect_prompt("PRESENT_CARD", from);
  card("insert", "visa-chip");
  Message r = result("R1", from);
  EXPECT_EQ(r.get("status"), "APPROVED") << describe(r);
  EXPECT_EQ(r.get("type"), "refund");
  EXPECT_EQ(ecr().count(is_prompt("PIN"), from), 0u) << "a refund asks for no PIN";
  auto sent = host_messages("0200");
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(field(sent[1], 3), "200000");
  json l = ledger();
  EXPECT_EQ(l["refunds"], 1) << l.dump();
  EXPECT_EQ(l["net"], "5.00");
}

TEST_F(VtermBasics, ResetCancelsAWaitingSaleThenAnswersStatus) {
  start();
  const std::size_t from = ecr().mark();
  sale("T1", "1.00");
  expect_prompt("PRESENT_CARD", from);
  command("RESET", "X1");
  const std::size_t cancelled = index_of(is_result("T1"), "RESULT T1", from);
  const std::size_t status = index_of(is_named("STATUS"), "STATUS", from);
  EXPECT_LT(cancelled, status);
  EXPECT_EQ(result("T1", from).get("rc"), "CX");
  Message st = expect(is_named("STATUS"), "STATUS", from);
  EXPECT_EQ(st.get("id"), "X1");
  EXPECT_EQ(st.get("state"), "idle");
}

// Rule 18: a bad frame is NAKed and never acted on; the terminal's own frame is written at most
// 3 times, identically, when the controller does not acknowledge it.
TEST_F(VtermBasics, Rule18BadLrcIsNakedAndOwnFramesAreResentAtMostThreeTimes) {
  start();
  ecr_->close();
  rig::link::PtyLink raw(dir_.file("ecr"));
  ASSERT_TRUE(raw.open().ok());
  auto read_until = [&](std::string& got, const std::function<bool()>& done, milliseconds wait) {
    const auto deadline = rig::link::after(wait);
    while (!done()) {
      auto chunk = raw.read(deadline);
      if (!chunk.status.ok()) return false;
      got += chunk.bytes;
    }
    return true;
  };
  std::string got;
  // Acknowledge whatever the terminal still says (BOOT, DISPLAY) until it has been quiet for
  // longer than its ACK timeout (1 s), so that nothing is pending; a fixed window was too short
  // on a loaded machine.
  {
    ecr::Deframer deframer;
    const auto give_up = rig::link::after(kLong);
    for (;;) {
      auto chunk = raw.read(std::min(rig::link::after(1500ms), give_up));
      if (!chunk.status.ok()) break;
      deframer.feed(chunk.bytes);
      while (auto e = deframer.pop()) {
        if (e->kind == ecr::Event::Kind::frame) {
          ASSERT_TRUE(raw.write(std::string(1, ecr::kAck), rig::link::after(kLong)).ok());
        }
      }
    }
  }
  const std::string payload = std::string("STATUS") + ecr::kFs + "id=S1" + ecr::kFs + "seq=7";
  std::string frame = ecr::encode_frame(payload);
  std::string bad = frame;
  bad.back() = static_cast<char>(bad.back() ^ 0x01);
  ASSERT_TRUE(raw.write(bad, rig::link::after(kLong)).ok());
  ASSERT_TRUE(read_until(
      got, [&] { return got.find(ecr::kNak) != std::string::npos; }, kLong))
      << "no NAK for a bad LRC";
  EXPECT_EQ(got.find(ecr::kStx), std::string::npos) << "the bad frame was acted on";
  got.clear();
  ASSERT_TRUE(raw.write(frame, rig::link::after(kLong)).ok());
  // ACK, then the STATUS answer, which we never acknowledge: it comes 3 times, identical.
  auto frames_of = [&](const std::string& name) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while ((pos = got.find(ecr::kStx, pos)) != std::string::npos) {
      auto end = got.find(ecr::kEtx, pos);
      if (end == std::string::npos || end + 1 >= got.size()) break;
      std::string f = got.substr(pos, end + 2 - pos);
      if (f.compare(1, name.size(), name) == 0) out.push_back(f);
      pos = end + 2;
    }
    return out;
  };
  // Any other frame the terminal still had to say (a late DISPLAY) is acknowledged, so that it
  // cannot stand in front of the STATUS answer; only STATUS goes unacknowledged.
  std::size_t others_acked = 0;
  ASSERT_TRUE(read_until(
      got,
      [&] {
        std::size_t others = 0;
        for (const char* name : {"DISPLAY", "EVENT", "PROMPT"}) others += frames_of(name).size();
        for (; others_acked < others; ++others_acked) {
          if (!raw.write(std::string(1, ecr::kAck), rig::link::after(kLong)).ok()) return true;
        }
        return frames_of("STATUS").size() >= 3;
      },
      kLong));
  EXPECT_EQ(got[0], ecr::kAck);
  // Once it gives up on that frame the terminal reports the link error in a new frame.
  auto link_error_reported = [&] {
    for (const auto& f : frames_of("EVENT")) {
      if (f.find("name=LINK_ERROR") != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(read_until(got, link_error_reported, kLong));
  ASSERT_TRUE(raw.write(std::string(1, ecr::kAck), rig::link::after(kLong)).ok());
  auto status_frames = frames_of("STATUS");
  ASSERT_EQ(status_frames.size(), 3u) << "the terminal gives up after 3 writes";
  EXPECT_EQ(status_frames[0], status_frames[1]);
  EXPECT_EQ(status_frames[1], status_frames[2]);
}

// Rule 18 with and without acts-on-bad-lrc, on the raw line: the correct terminal NAKs a frame
// whose LRC is wrong and does not act on it; the defective one ACKs it and executes it. The
// defect follows bug.set / bug.clear at run time.
class VtermBadLrc : public VBench, public ::testing::WithParamInterface<bool> {};

TEST_P(VtermBadLrc, Rule18FrameWithABadLrcIsNakedNeverExecuted) {
  const bool buggy = GetParam();
  BenchOptions o;
  if (buggy) o.bugs = {"acts-on-bad-lrc"};
  start(o);
  ecr_->close();
  rig::link::PtyLink raw(dir_.file("ecr"));
  ASSERT_TRUE(raw.open().ok());
  ecr::Deframer deframer;
  // The next frame, ACK or NAK the terminal puts on the line; nullopt when `wait` passes first.
  auto next = [&](milliseconds wait) -> std::optional<ecr::Event> {
    const auto deadline = rig::link::after(wait);
    for (;;) {
      while (auto e = deframer.pop()) {
        if (e->kind != ecr::Event::Kind::noise) return e;
      }
      auto chunk = raw.read(deadline);
      if (!chunk.status.ok()) return std::nullopt;
      deframer.feed(chunk.bytes);
    }
  };
  auto ack = [&] {
    ASSERT_TRUE(raw.write(std::string(1, ecr::kAck), rig::link::after(kLong)).ok());
  };
  // Whatever the terminal still says (BOOT, DISPLAY) is acknowledged until it has been quiet for
  // longer than its ACK timeout (1 s), so that nothing of it is pending.
  const auto give_up = std::chrono::steady_clock::now() + kLong;
  while (auto e = next(1500ms)) {
    if (e->kind == ecr::Event::Kind::frame) ack();
    ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "the terminal never went quiet";
  }
  auto status_frame = [](const std::string& id, int seq) {
    return ecr::encode_frame("STATUS" + std::string(1, ecr::kFs) + "id=" + id +
                             std::string(1, ecr::kFs) + "seq=" + std::to_string(seq));
  };
  auto with_bad_lrc = [](std::string frame) {
    frame.back() = static_cast<char>(frame.back() ^ 0x01);
    return frame;
  };
  // The STATUS answer to `id` (acknowledged), or a failure when another frame or nothing comes.
  auto expect_answer = [&](const std::string& id) {
    auto e = next(kLong);
    ASSERT_TRUE(e.has_value()) << "no answer to STATUS " << id;
    ASSERT_EQ(e->kind, ecr::Event::Kind::frame) << ecr::to_string(e->kind);
    ack();
    ecr::Decoded d = ecr::decode(e->bytes);
    ASSERT_TRUE(d.ok()) << d.error;
    EXPECT_EQ(d.message.name, "STATUS");
    EXPECT_EQ(d.message.get("id"), id);
  };
  // Sends STATUS `id` with a bad LRC; what the terminal answers first ("nak", "ack", ...).
  auto send_bad = [&](const std::string& id, int seq) -> std::string {
    if (!raw.write(with_bad_lrc(status_frame(id, seq)), rig::link::after(kLong)).ok()) {
      return "write failed";
    }
    auto reply = next(kLong);
    return reply ? ecr::to_string(reply->kind) : "nothing";
  };
  auto expect_naked = [&](const std::string& id, int seq) {
    EXPECT_EQ(send_bad(id, seq), "nak") << "a bad LRC is NAKed";
    EXPECT_FALSE(next(kShort).has_value()) << "the bad frame was acted on";
  };
  auto expect_executed = [&](const std::string& id, int seq) {
    EXPECT_EQ(send_bad(id, seq), "ack") << "acts-on-bad-lrc ACKs a bad frame";
    expect_answer(id);
  };
  if (!buggy) {
    expect_naked("S1", 7);
    // The good copy (same seq) is the one executed.
    ASSERT_TRUE(raw.write(status_frame("S1", 7), rig::link::after(kLong)).ok());
    auto reply = next(kLong);
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->kind, ecr::Event::Kind::ack);
    expect_answer("S1");
    ctl({{"cmd", "bug.set"}, {"name", "acts-on-bad-lrc"}});
    expect_executed("S2", 8);
  } else {
    expect_executed("S1", 7);
    ctl({{"cmd", "bug.clear"}, {"name", "acts-on-bad-lrc"}});
    expect_naked("S2", 8);
  }
}

INSTANTIATE_TEST_SUITE_P(CorrectAndBuggy, VtermBadLrc, ::testing::Values(false, true),
                         correct_or_bug);

// Rule 19: the same SALE id sent again as a new message is not executed twice.
class VtermDuplicates : public VBench, public ::testing::WithParamInterface<bool> {};

TEST_P(VtermDuplicates, Rule19SaleIdSentTwice) {
  const bool buggy = GetParam();
  BenchOptions o;
  if (buggy) o.bugs = {"ecr-duplicate-executed"};
  start(o);
  Message first = card_sale("D1", "7.00");
  ASSERT_EQ(first.get("status"), "APPROVED");
  const std::size_t from = ecr().mark();
  sale("D1", "7.00");
  if (!buggy) {
    Message again = result("D1", from);
    EXPECT_EQ(again.get("stan"), first.get("stan"));
    EXPECT_EQ(again.get("rrn"), first.get("rrn"));
    EXPECT_TRUE(absent(is_prompt("PRESENT_CARD"), from));
    EXPECT_EQ(host_messages("0200").size(), 1u);
    EXPECT_EQ(ledger()["debits"], 1);
  } else {
    // The defect runs the sale again.
    expect_prompt("PRESENT_CARD", from);
    card("insert", "visa-chip");
    expect_prompt("PIN", from);
    keys("1234");
    Message again = result("D1", from);
    EXPECT_NE(again.get("stan"), first.get("stan"));
    EXPECT_EQ(host_messages("0200").size(), 2u);
    EXPECT_EQ(ledger()["debits"], 2) << "double charge";
  }
}

INSTANTIATE_TEST_SUITE_P(CorrectAndBuggy, VtermDuplicates, ::testing::Values(false, true),
                         correct_or_bug);

// Rule 20: the controller's link drops mid-transaction; the terminal finishes, keeps the result
// for LAST, and starts nothing on its own. With restarts-sale-after-link-loss it runs the sale
// again by itself once the link is back: a second 0200 under a new STAN, a second debit.
class VtermLinkLoss : public VBench, public ::testing::WithParamInterface<bool> {};

TEST_P(VtermLinkLoss, Rule20LinkLostMidTransactionLastGivesTheResult) {
  const bool buggy = GetParam();
  BenchOptions o;
  if (buggy) o.bugs = {"restarts-sale-after-link-loss"};
  start(o);
  const std::size_t from = ecr().mark();
  sale("T1", "3.00");
  expect_prompt("PRESENT_CARD", from);
  ecr_->close();
  card("insert", "visa-chip");
  keys("1234");  // queued for the PIN prompt
  // The terminal finishes on its own; its log line says when.
  const std::regex approved("-> RESULT id=T1 status=APPROVED");
  auto done = vterm_->wait_for_line(approved, rig::process::after(kLong));
  ASSERT_TRUE(done.status.ok()) << done.status.message;
  std::smatch stan;
  ASSERT_TRUE(std::regex_search(done.line.text, stan, std::regex("stan=([0-9]+)")));
  // The sale once more: a RESULT of T1 under another STAN (LAST and QUERY answer with the first).
  const std::regex rerun_result("-> RESULT id=T1 status=APPROVED rc=00 type=sale stan=(?!" +
                                stan[1].str() + ")");
  ecr_->open();
  const std::size_t again = ecr().mark();
  if (buggy) {
    auto rerun = vterm_->wait_for_line(rerun_result, rig::process::after(kLong), done.line.seq);
    ASSERT_TRUE(rerun.status.ok()) << "the defect did not run the sale again";
    auto sales = host_messages("0200");
    ASSERT_EQ(sales.size(), 2u);
    EXPECT_NE(field(sales[0], 11), field(sales[1], 11)) << "a new STAN";
    EXPECT_EQ(field(sales[0], 2), field(sales[1], 2)) << "the same card";
    EXPECT_EQ(field(sales[0], 4), field(sales[1], 4)) << "the same amount";
    EXPECT_EQ(ledger()["debits"], 2) << "the customer paid twice";
    EXPECT_EQ(ecr().count(is_prompt("PRESENT_CARD"), again), 0u) << "nobody was asked";
    return;
  }
  command("LAST", "L1");
  Message r = expect([](const Message& m) { return m.name == "RESULT" && m.get("ref") == "L1"; },
                     "LAST answer", again);
  EXPECT_EQ(r.get("id"), "T1");
  EXPECT_EQ(r.get("status"), "APPROVED");
  command("QUERY", "T1");
  EXPECT_EQ(expect(
                [](const Message& m) {
                  return m.name == "RESULT" && m.get("id") == "T1" && !m.has("ref") &&
                         m.get("status") == "APPROVED";
                },
                "QUERY answer", again)
                .get("rc"),
            "00");
  EXPECT_TRUE(absent(is_prompt("PRESENT_CARD"), again, 1000ms)) << "a sale started on its own";
  EXPECT_FALSE(
      vterm_->wait_for_line(rerun_result, rig::process::after(2000ms), done.line.seq).status.ok())
      << "the sale ran again on its own";
  EXPECT_EQ(host_messages("0200").size(), 1u);
  EXPECT_EQ(ledger()["debits"], 1);
}

INSTANTIATE_TEST_SUITE_P(CorrectAndBuggy, VtermLinkLoss, ::testing::Values(false, true),
                         correct_or_bug);

// Rule 21: three wrong operator passwords lock the terminal until the supervisor unlocks it.
TEST_F(VtermBasics, Rule21WrongOperatorPasswordsLockTheTerminal) {
  start();
  const std::size_t from = ecr().mark();
  command("LOGIN", "O1");
  for (int i = 0; i < 3; ++i) {
    std::size_t at = index_of(is_prompt("OPERATOR_PASSWORD"), "PROMPT OPERATOR_PASSWORD", from);
    ASSERT_NE(at, static_cast<std::size_t>(-1));
    keys("1111");
    if (i < 2) expect(is_prompt("OPERATOR_PASSWORD"), "another password prompt", at + 1);
  }
  expect(is_event("LOCKED"), "EVENT LOCKED", from);
  expect(is_display("LOCKED - CONTACT SUPERVISOR"), "DISPLAY LOCKED", from);
  Message r = result("O1", from);
  EXPECT_EQ(r.get("status"), "DECLINED");
  EXPECT_EQ(r.get("rc"), "LK");
  command("STATUS", "S1");
  EXPECT_EQ(expect(is_named("STATUS"), "STATUS", from).get("state"), "locked");
  sale("T1", "1.00");
  Message refused = result("T1", from);
  EXPECT_EQ(refused.get("status"), "FAILED");
  EXPECT_EQ(refused.get("rc"), "LK");
  EXPECT_EQ(refused.get("text"), "LOCKED - CONTACT SUPERVISOR");
  // The lock is in flash: a power cycle does not lift it.
  ctl({{"cmd", "power.cut"}});
  ctl({{"cmd", "power.restore"}});
  const std::size_t after_boot = index_of(is_event("BOOT"), "BOOT", from + 1);
  EXPECT_TRUE(state()["locked"].get<bool>());
  command("UNLOCK", "U1");
  expect_prompt("OPERATOR_PASSWORD", after_boot);
  keys("9999");
  expect(is_event("UNLOCKED"), "EVENT UNLOCKED", after_boot);
  EXPECT_EQ(result("U1", after_boot).get("status"), "APPROVED");
  EXPECT_EQ(card_sale("T2", "1.00").get("status"), "APPROVED");
}

TEST_F(VtermBasics, Rule21BrokenByNoOperatorLockout) {
  start({0.05, {"no-operator-lockout"}});
  const std::size_t from = ecr().mark();
  std::size_t at = login_wrong("O1", 3, from);
  // A fourth chance, and the right password still works: no lockout.
  expect(is_prompt("OPERATOR_PASSWORD"), "a fourth password prompt", at);
  keys("0000");
  EXPECT_EQ(result("O1", from).get("status"), "APPROVED");
  EXPECT_EQ(ecr().count(is_event("LOCKED"), from), 0u);
  EXPECT_FALSE(state()["locked"].get<bool>());
}

}  // namespace
}  // namespace vterm_it
