// vterm's ZVT front end logic (fixtures/sim/vterm/zvt_pt.h): the ECR's commands in, the
// firmware's RIG-ECR messages in, and what goes to the ECR and to the firmware, in order.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fixtures/sim/vterm/zvt_pt.h"

namespace zvt = rig::protocol::zvt;
using rig::protocol::ecr::Message;
using vterm::ZvtPt;
using vterm::ZvtStep;
using Kind = ZvtStep::Kind;

namespace {

std::tm fixed_time() {
  std::tm t{};
  t.tm_hour = 14;
  t.tm_min = 5;
  t.tm_sec = 9;
  t.tm_mon = 10;
  t.tm_mday = 22;
  return t;
}

ZvtPt make_pt() {
  vterm::ZvtPtConfig c;
  c.password = "123456";
  c.currency = 978;
  c.tid = "52000001";
  c.mid = "4711";
  return ZvtPt(c, "ZT", fixed_time);
}

std::vector<ZvtStep> command(ZvtPt& pt, const zvt::Message& m) {
  zvt::Encoded e = zvt::encode(m);
  EXPECT_TRUE(e.ok()) << e.error;
  return pt.on_command(e.apdu, zvt::decode(e.apdu));
}

// One line per step: "reply Acknowledgement", "ecr Completion ...", "fw SALE id=ZT-1 ...".
std::vector<std::string> show(const std::vector<ZvtStep>& steps) {
  std::vector<std::string> out;
  for (const ZvtStep& s : steps) {
    if (s.kind == Kind::to_firmware) {
      std::string line = "fw " + s.firmware.name;
      for (const auto& [k, v] : s.firmware.fields) line += " " + k + "=" + v;
      out.push_back(line);
    } else {
      out.push_back(std::string(s.kind == Kind::reply ? "reply " : "ecr ") + zvt::describe(s.zvt));
    }
  }
  return out;
}

Message fw(const std::string& name, std::vector<std::pair<std::string, std::string>> fields) {
  Message m(name);
  for (const auto& [k, v] : fields) m.set(k, v);
  return m;
}

zvt::Registration registration(std::uint8_t config) {
  zvt::Registration r;
  r.password = "123456";
  r.config = config;
  r.currency = 978;
  return r;
}

zvt::Authorization authorization(std::uint64_t amount) {
  zvt::Authorization a;
  a.amount = amount;
  return a;
}

Message approved(const std::string& id) {
  return fw("RESULT", {{"id", id},
                       {"status", "APPROVED"},
                       {"rc", "00"},
                       {"type", "sale"},
                       {"stan", "000042"},
                       {"rrn", "123456000042"},
                       {"auth", "A1B2C3"},
                       {"amount", "12.34"},
                       {"currency", "978"},
                       {"method", "card"},
                       {"entry", "chip"},
                       {"pan", "476173******0010"},
                       {"text", "APPROVED"}});
}

TEST(VtermZvtPt, RegistrationChecksPasswordAndCurrency) {
  ZvtPt pt = make_pt();
  zvt::Registration r = registration(0x8A);
  r.password = "000000";
  EXPECT_EQ(show(command(pt, r)),
            std::vector<std::string>{"reply Negative acknowledgement code=0x83"});
  r = registration(0x8A);
  r.currency = 756;
  EXPECT_EQ(show(command(pt, r)),
            std::vector<std::string>{"reply Negative acknowledgement code=0x6f"});
  EXPECT_FALSE(pt.registered());
  EXPECT_EQ(show(command(pt, registration(0x8A))),
            (std::vector<std::string>{"reply Acknowledgement",
                                      "ecr Completion status_byte=0x00 tid=52000001"}));
  EXPECT_TRUE(pt.registered());
  EXPECT_EQ(pt.config_byte(), 0x8A);
  const ZvtStep done = command(pt, registration(0x8A))[1];
  EXPECT_EQ(std::get<zvt::Completion>(done.zvt).currency, 978);
}

TEST(VtermZvtPt, ApprovedPaymentInTheSpecificationsOrder) {
  ZvtPt pt = make_pt();
  command(pt, registration(0x8A));  // print lines, intermediate status, ECR prints receipts
  EXPECT_EQ(show(command(pt, authorization(1234))),
            (std::vector<std::string>{"reply Acknowledgement",
                                      "fw SALE id=ZT-1 amount=12.34 currency=978 method=card"}));
  EXPECT_TRUE(pt.busy());
  EXPECT_EQ(
      show(pt.on_firmware(fw("DISPLAY", {{"id", "ZT-1"}, {"text", "SALE 12.34|INSERT CARD"}}))),
      std::vector<std::string>{
          "ecr Intermediate status status=0xff (see display texts) text=SALE 12.34|INSERT CARD"});
  EXPECT_EQ(show(pt.on_firmware(fw("PROMPT", {{"id", "ZT-1"}, {"kind", "PRESENT_CARD"}}))),
            std::vector<std::string>{
                "ecr Intermediate status status=0x0a (insert card) text=SALE 12.34|INSERT CARD"});
  // Not about this job: nothing.
  EXPECT_TRUE(pt.on_firmware(fw("DISPLAY", {{"text", "READY"}})).empty());
  EXPECT_TRUE(pt.on_firmware(fw("EVENT", {{"name", "BOOT"}})).empty());
  EXPECT_EQ(show(pt.on_firmware(fw("EVENT", {{"id", "ZT-1"}, {"name", "PIN_WRONG"}}))),
            std::vector<std::string>{"ecr Intermediate status status=0x15 (incorrect PIN)"});
  EXPECT_TRUE(pt.on_firmware(fw("RECEIPT", {{"id", "ZT-1"},
                                            {"copy", "original"},
                                            {"text", "SHOP|SALE 12.34|APPROVED"}}))
                  .empty());
  const std::vector<ZvtStep> end = pt.on_firmware(approved("ZT-1"));
  EXPECT_EQ(show(end),
            (std::vector<std::string>{
                "ecr Status information result=0x00 amount=1234 trace=42 pan=476173******0010 "
                "tid=52000001 aid=A1B2C3 currency=978 receipt=42 card_type=0x0a card=VISA",
                "ecr Print line attribute=0x00 text=SHOP",
                "ecr Print line attribute=0x00 text=SALE 12.34",
                "ecr Print line attribute=0x80 text=APPROVED", "ecr Completion"}));
  const auto& info = std::get<zvt::StatusInformation>(end[0].zvt);
  EXPECT_EQ(info.time, "140509");
  EXPECT_EQ(info.date, "1122");
  EXPECT_EQ(info.vu_number, "4711           ");
  EXPECT_EQ(info.aid, std::string("A1B2C3\0\0", 8));
  EXPECT_EQ(info.turnover_nr, 42u);
  ASSERT_TRUE(info.tlv.has_value());
  EXPECT_EQ(
      zvt::find(zvt::find(*info.tlv, zvt::tlv::kPaymentType)->children, zvt::tlv::kCardTechnology)
          ->value,
      std::string(1, '\x01'));
  EXPECT_FALSE(pt.busy());
  // Every step the ECR sees re-encodes.
  for (const ZvtStep& s : end) EXPECT_TRUE(zvt::encode(s.zvt).ok());
}

TEST(VtermZvtPt, ConfigByteDecidesStatusAndReceipts) {
  {
    ZvtPt pt = make_pt();  // unregistered: no intermediate status, the PT prints itself
    command(pt, authorization(1234));
    EXPECT_TRUE(pt.on_firmware(fw("PROMPT", {{"id", "ZT-1"}, {"kind", "PIN"}})).empty());
    pt.on_firmware(fw("RECEIPT", {{"id", "ZT-1"}, {"copy", "original"}, {"text", "A|B"}}));
    EXPECT_EQ(show(pt.on_firmware(approved("ZT-1"))).back(), "ecr Completion");
    EXPECT_EQ(pt.on_firmware(approved("ZT-1")).size(), 0u);
  }
  {
    ZvtPt pt = make_pt();
    command(pt, registration(0x02));  // receipts to the ECR, as a text block
    command(pt, authorization(1234));
    pt.on_firmware(fw("RECEIPT", {{"id", "ZT-1"}, {"copy", "original"}, {"text", "A|B"}}));
    const auto steps = pt.on_firmware(approved("ZT-1"));
    ASSERT_EQ(steps.size(), 3u);
    const auto& block = std::get<zvt::PrintTextBlock>(steps[1].zvt);
    EXPECT_EQ(block.lines, (std::vector<std::string>{"A", "B"}));
    EXPECT_EQ(block.receipt_type, zvt::receipt_type::kCustomer);
  }
}

TEST(VtermZvtPt, DeclineAndFailureAreStatusInformationThenAbort) {
  ZvtPt pt = make_pt();
  command(pt, authorization(900000));
  EXPECT_EQ(show(pt.on_firmware(fw("RESULT", {{"id", "ZT-1"},
                                              {"status", "DECLINED"},
                                              {"rc", "51"},
                                              {"amount", "9000.00"},
                                              {"stan", "000043"},
                                              {"currency", "978"}}))),
            (std::vector<std::string>{
                "ecr Status information result=0x33 amount=900000 trace=43 tid=52000001 "
                "currency=978 receipt=43",
                "ecr Abort result=0x33 (error code from the authorisation host)"}));
  command(pt, authorization(100));
  EXPECT_EQ(show(pt.on_firmware(fw("RESULT", {{"id", "ZT-2"}, {"status", "FAILED"}, {"rc", "TO"}})))
                .back(),
            "ecr Abort result=0xa1 (remote station does not respond)");
  // To an ECR that prints, what the firmware printed for a decline comes before the abort (a
  // firmware printing an approval's receipt for it is seen there: vterm --bug receipt-for-decline).
  command(pt, registration(0x8A));
  command(pt, authorization(2500));
  pt.on_firmware(fw("RECEIPT", {{"id", "ZT-3"}, {"copy", "original"}, {"text", "SHOP|DECLINED"}}));
  EXPECT_EQ(
      show(pt.on_firmware(fw("RESULT", {{"id", "ZT-3"}, {"status", "DECLINED"}, {"rc", "51"}}))),
      (std::vector<std::string>{"ecr Status information result=0x33 tid=52000001",
                                "ecr Print line attribute=0x00 text=SHOP",
                                "ecr Print line attribute=0x80 text=DECLINED",
                                "ecr Abort result=0x33 (error code from the authorisation host)"}));
}

TEST(VtermZvtPt, BusyAbortAndRefusals) {
  ZvtPt pt = make_pt();
  command(pt, authorization(100));
  EXPECT_EQ(show(command(pt, authorization(200))),
            std::vector<std::string>{"reply Negative acknowledgement code=0x9c"});
  EXPECT_EQ(show(command(pt, zvt::AbortRequest{})),
            (std::vector<std::string>{"reply Acknowledgement", "fw CANCEL id=ZT-1"}));
  EXPECT_EQ(
      show(pt.on_firmware(fw("RESULT", {{"id", "ZT-1"}, {"status", "CANCELLED"}, {"rc", "CX"}})))
          .back(),
      "ecr Abort result=0x6c (abort via timeout or abort key)");
  // Idle: an abort request is only acknowledged.
  EXPECT_EQ(show(command(pt, zvt::AbortRequest{})),
            std::vector<std::string>{"reply Acknowledgement"});
  // What this terminal does not do, and what it cannot read.
  EXPECT_EQ(show(command(pt, zvt::EndOfDay{"123456", {}})),
            std::vector<std::string>{"reply Negative acknowledgement code=0x83"});
  zvt::Apdu init(0x06, 0x93, std::string(3, '\0'));
  EXPECT_EQ(show(pt.on_command(init, zvt::decode(init))),
            std::vector<std::string>{"reply Negative acknowledgement code=0x83"});
  zvt::Apdu broken(0x06, 0x01, "\x49\x09\x78");
  EXPECT_EQ(show(pt.on_command(broken, zvt::decode(broken))),
            std::vector<std::string>{"reply Negative acknowledgement code=0x9a"});
  EXPECT_EQ(show(command(pt, zvt::LogOff{})), std::vector<std::string>{"reply Acknowledgement"});
}

TEST(VtermZvtPt, ReversalOfAReceiptAndRefunds) {
  ZvtPt pt = make_pt();
  command(pt, authorization(1234));
  pt.on_firmware(approved("ZT-1"));
  zvt::Reversal rv;
  rv.password = "123456";
  rv.receipt_nr = 41;
  EXPECT_EQ(show(command(pt, rv)),
            (std::vector<std::string>{"reply Acknowledgement",
                                      "ecr Abort result=0xb5 (reversal not possible)"}));
  rv.receipt_nr = 42;
  EXPECT_EQ(show(command(pt, rv)),
            (std::vector<std::string>{
                "reply Acknowledgement",
                "fw REFUND id=ZT-2 amount=12.34 currency=978 method=card orig_id=ZT-1"}));
  Message back = approved("ZT-2");
  back.set("stan", "000044");
  EXPECT_EQ(show(pt.on_firmware(back)).back(), "ecr Completion");
  EXPECT_EQ(show(command(pt, rv)).back(), "ecr Abort result=0xb4 (already reversed)");
  rv.password = "000000";
  EXPECT_EQ(show(command(pt, rv)),
            std::vector<std::string>{"reply Negative acknowledgement code=0x83"});
  zvt::Refund rf;
  rf.password = "123456";
  rf.amount = 500;
  EXPECT_EQ(show(command(pt, rf)).back(),
            "fw REFUND id=ZT-3 amount=5.00 currency=978 method=card orig_rrn=000000000000");
  pt.on_ecr_lost();
  rf.receipt_nr = 42;
  EXPECT_EQ(show(command(pt, rf)).back(),
            "fw REFUND id=ZT-4 amount=5.00 currency=978 method=card orig_id=ZT-1");
}

TEST(VtermZvtPt, RepeatReceipt) {
  ZvtPt pt = make_pt();
  command(pt, registration(0x8A));
  zvt::RepeatReceipt rr;
  rr.password = "123456";
  EXPECT_EQ(show(command(pt, rr)),
            (std::vector<std::string>{"reply Acknowledgement", "fw LAST id=ZT-1"}));
  Message last = approved("T9");
  last.set("ref", "ZT-1");
  const auto steps = show(pt.on_firmware(last));
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].rfind("ecr Status information result=0x00 amount=1234", 0), 0u);
  EXPECT_EQ(steps[1], "fw REPRINT id=ZT-2");
  EXPECT_EQ(
      show(pt.on_firmware(fw("RECEIPT", {{"id", "T9"},
                                         {"copy", "duplicate"},
                                         {"ref", "ZT-2"},
                                         {"text", "*** DUPLICATE COPY ***|SALE"}}))),
      (std::vector<std::string>{"ecr Print line attribute=0x00 text=*** DUPLICATE COPY ***",
                                "ecr Print line attribute=0x80 text=SALE", "ecr Completion"}));
  // Nothing to repeat: LAST answers NF.
  command(pt, rr);
  EXPECT_EQ(
      show(pt.on_firmware(fw("RESULT", {{"id", "ZT-3"}, {"status", "FAILED"}, {"rc", "NF"}}))),
      std::vector<std::string>{"ecr Abort result=0x83 (function not possible)"});
}

TEST(VtermZvtPt, StatusEnquiryAndDiagnosis) {
  ZvtPt pt = make_pt();
  zvt::StatusEnquiry se;
  EXPECT_EQ(show(command(pt, se)),
            (std::vector<std::string>{"reply Acknowledgement", "fw STATUS id=ZT-1"}));
  EXPECT_EQ(show(pt.on_firmware(fw(
                "STATUS",
                {{"id", "ZT-1"}, {"state", "idle"}, {"paper", "ok"}, {"version", "vterm-1.0"}}))),
            std::vector<std::string>{
                "ecr Completion version=vterm-1.0 terminal_status=0x00 tid=52000001"});
  command(pt, se);
  EXPECT_EQ(
      show(pt.on_firmware(
          fw("STATUS", {{"id", "ZT-2"}, {"state", "idle"}, {"paper", "out"}, {"version", "v"}}))),
      std::vector<std::string>{"ecr Completion version=v terminal_status=0xcc tid=52000001"});
  se.password = "999999";
  EXPECT_EQ(show(command(pt, se)),
            std::vector<std::string>{"reply Negative acknowledgement code=0x83"});
  command(pt, zvt::Diagnosis{});
  EXPECT_EQ(show(pt.on_firmware(fw("STATUS", {{"id", "ZT-3"}, {"state", "offline"}}))),
            std::vector<std::string>{"ecr Abort result=0xa3 (no connection)"});
}

}  // namespace
