// The zvt terminal driver (rig/terminal/zvt_terminal.h): its pure translation between the
// terminal model and ZVT (ZvtEcr), its capabilities, and the driver itself over loopback TCP
// against a ZvtLink playing the payment terminal.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "rig/link/tcp.h"
#include "rig/protocol/zvt.h"
#include "rig/terminal/zvt_terminal.h"

namespace zvt = rig::protocol::zvt;
using namespace std::chrono_literals;
using rig::terminal::Capabilities;
using rig::terminal::Command;
using rig::terminal::CommandKind;
using rig::terminal::Observation;
using rig::terminal::ObservationKind;
using rig::terminal::ZvtEcr;

namespace {

// One line per observation: its kind and JSON fields.
std::vector<std::string> show(const std::vector<Observation>& seen) {
  std::vector<std::string> out;
  for (const Observation& o : seen) {
    out.push_back(std::string(rig::terminal::to_string(rig::terminal::kind_of(o))) + " " +
                  rig::terminal::to_json(o).dump());
  }
  return out;
}

Command command(CommandKind kind, const std::string& id, const std::string& amount = "",
                const std::string& original = "") {
  Command c;
  c.kind = kind;
  c.id = id;
  c.amount = amount;
  c.currency = amount.empty() ? "" : "978";
  c.method = amount.empty() ? "" : "card";
  c.original_id = original;
  return c;
}

zvt::IntermediateStatus intermediate(std::uint8_t code, std::vector<std::string> lines = {}) {
  zvt::IntermediateStatus s;
  s.status = code;
  if (!lines.empty()) {
    s.timeout = 0;
    s.tlv = std::vector<zvt::Tlv>{zvt::text_lines_tlv(zvt::tlv::kDisplayTexts, lines)};
  }
  return s;
}

zvt::StatusInformation approved_info(std::uint32_t trace) {
  zvt::StatusInformation s;
  s.result_code = 0;
  s.amount = 1234;
  s.trace = trace;
  s.receipt_nr = static_cast<std::uint16_t>(trace);
  s.pan = "476173******0010";
  s.aid = std::string("A1B2C3\0\0", 8);
  s.currency = 978;
  s.additional_text = "APPROVED";
  s.tlv = std::vector<zvt::Tlv>{zvt::Tlv(
      zvt::tlv::kPaymentType, std::vector<zvt::Tlv>{zvt::Tlv(zvt::tlv::kCardTechnology, "\x01")})};
  return s;
}

zvt::PrintLine line(const std::string& text, bool last = false) {
  zvt::PrintLine p;
  p.text = text;
  p.attribute = last ? zvt::attribute::kLastLine : zvt::attribute::kNormal;
  return p;
}

// Runs a whole approved sale `id` through `ecr` (its receipt number is `trace`).
void approve(ZvtEcr& ecr, const std::string& id, std::uint32_t trace) {
  auto plan = ecr.on_command(command(CommandKind::sale, id, "12.34"));
  ecr.on_accepted(plan.to_pt.at(0));
  ecr.on_message(approved_info(trace));
  ecr.on_message(line("SALE", true));
  ecr.on_message(zvt::Completion{});
}

TEST(ZvtEcr, ApprovedSaleInTheOrderThePtSpeaks) {
  ZvtEcr ecr({});
  ZvtEcr::Plan plan = ecr.on_command(command(CommandKind::sale, "T1", "12.34"));
  ASSERT_EQ(plan.to_pt.size(), 1u);
  EXPECT_EQ(zvt::describe(plan.to_pt[0]), "Authorization amount=1234 currency=978");
  EXPECT_TRUE(plan.now.empty());
  EXPECT_TRUE(ecr.on_accepted(plan.to_pt[0]).empty());
  EXPECT_EQ(show(ecr.on_message(intermediate(0xFF, {"SALE 12.34", "INSERT CARD"}))),
            std::vector<std::string>{R"(display {"id":"T1","text":"SALE 12.34|INSERT CARD"})"});
  // The same texts again with a code: only the prompt the code names.
  EXPECT_EQ(show(ecr.on_message(intermediate(0x0A, {"SALE 12.34", "INSERT CARD"}))),
            std::vector<std::string>{R"(prompt {"id":"T1","kind":"PRESENT_CARD"})"});
  EXPECT_EQ(show(ecr.on_message(intermediate(0x01, {"ENTER PIN"}))),
            (std::vector<std::string>{R"(display {"id":"T1","text":"ENTER PIN"})",
                                      R"(prompt {"id":"T1","kind":"PIN"})"}));
  // A code without texts shows the specification's meaning; an unnamed code is no prompt.
  // 15 (incorrect PIN) names a terminal event.
  EXPECT_EQ(show(ecr.on_message(intermediate(0x15))),
            (std::vector<std::string>{R"(display {"id":"T1","text":"incorrect PIN"})",
                                      R"(event {"id":"T1","name":"PIN_WRONG"})"}));
  EXPECT_TRUE(ecr.on_message(approved_info(42)).empty());
  EXPECT_TRUE(ecr.on_message(line("SHOP")).empty());
  EXPECT_EQ(
      show(ecr.on_message(line("APPROVED", true))),
      std::vector<std::string>{R"(receipt {"copy":"original","id":"T1","text":"SHOP|APPROVED"})"});
  EXPECT_EQ(
      show(ecr.on_message(zvt::Completion{})),
      std::vector<std::string>{
          R"(result {"amount":"12.34","auth":"A1B2C3","currency":"978","entry":"chip","id":"T1","method":"card","pan":"476173******0010","rc":"00","stan":"000042","status":"APPROVED","text":"APPROVED","type":"sale"})"});
  EXPECT_FALSE(ecr.busy());
}

// The terminal events ZVT names by an intermediate status code, with or without "please remove
// card" (41-5D); other codes name none, and the driver says so in its capabilities.
TEST(ZvtEcr, PinEventsFromIntermediateStatusCodes) {
  ZvtEcr ecr({});
  ZvtEcr::Plan plan = ecr.on_command(command(CommandKind::sale, "T1", "18.00"));
  ecr.on_accepted(plan.to_pt.at(0));
  auto events = [&](std::uint8_t code) {
    std::vector<std::string> out;
    for (const std::string& o : show(ecr.on_message(intermediate(code, {"TEXT"})))) {
      if (o.rfind("event ", 0) == 0) out.push_back(o);
    }
    return out;
  };
  EXPECT_EQ(events(0x15), std::vector<std::string>{R"(event {"id":"T1","name":"PIN_WRONG"})"});
  EXPECT_EQ(events(0x55), std::vector<std::string>{R"(event {"id":"T1","name":"PIN_WRONG"})"});
  EXPECT_EQ(events(0x18), std::vector<std::string>{R"(event {"id":"T1","name":"PIN_BLOCKED"})"});
  EXPECT_EQ(events(0x58), std::vector<std::string>{R"(event {"id":"T1","name":"PIN_BLOCKED"})"});
  for (std::uint8_t code : {0x01, 0x05, 0x0A, 0x0C, 0x1D, 0x45, 0xFF}) {
    EXPECT_TRUE(events(code).empty()) << int(code);
  }
  rig::terminal::TerminalOptions tcp;
  tcp.link_spec = "tcp:127.0.0.1:20007";
  const Capabilities c = rig::terminal::zvt_capabilities(tcp);
  EXPECT_EQ(c.event_kinds, (std::set<std::string>{"PIN_BLOCKED", "PIN_WRONG"}));
  EXPECT_FALSE(c.prompt_tries_left);
}

TEST(ZvtEcr, DeclineAndRefusals) {
  ZvtEcr ecr({});
  auto plan = ecr.on_command(command(CommandKind::sale, "T2", "9000.00"));
  ecr.on_accepted(plan.to_pt[0]);
  zvt::StatusInformation info;
  info.result_code = 0x33;
  info.trace = 43;
  ecr.on_message(info);
  const auto out = show(ecr.on_message(zvt::Abort{0x33, std::nullopt}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].find(R"("rc":"51","stan":"000043","status":"DECLINED")"), std::string::npos)
      << out[0];
  // Refused with 84 9C: busy.
  plan = ecr.on_command(command(CommandKind::sale, "T3", "1.00"));
  EXPECT_NE(show(ecr.on_refused(plan.to_pt[0], 0x9C))[0].find(R"("rc":"BZ","status":"FAILED")"),
            std::string::npos);
  // What ZVT has no command for is answered at once.
  Command qr = command(CommandKind::sale, "Q1", "1.00");
  qr.method = "qr";
  EXPECT_EQ(
      show(ecr.on_command(qr).now),
      std::vector<std::string>{
          R"(result {"id":"Q1","rc":"NS","status":"FAILED","text":"ZVT has no qr payment"})"});
  EXPECT_EQ(show(ecr.on_command(command(CommandKind::login, "L1")).now),
            std::vector<std::string>{
                R"(result {"id":"L1","rc":"NS","status":"FAILED","text":"ZVT has no login"})"});
  EXPECT_TRUE(ecr.on_command(command(CommandKind::query, "T9")).to_pt.empty());
}

TEST(ZvtEcr, RefundIsAReversalOfTheWholeSaleElseARefund) {
  ZvtEcr ecr({});
  approve(ecr, "T1", 42);
  auto plan = ecr.on_command(command(CommandKind::refund, "R1", "12.34", "T1"));
  EXPECT_EQ(zvt::describe(plan.to_pt.at(0)), "Reversal receipt=42");
  ecr.on_unsent();
  plan = ecr.on_command(command(CommandKind::refund, "R2", "2.00", "T1"));
  EXPECT_EQ(zvt::describe(plan.to_pt.at(0)), "Refund amount=200 currency=978 receipt=42");
  ecr.on_unsent();
  plan = ecr.on_command(command(CommandKind::refund, "R3", "2.00"));
  EXPECT_EQ(zvt::describe(plan.to_pt.at(0)), "Refund amount=200 currency=978");
  ecr.on_accepted(plan.to_pt[0]);
  ecr.on_message(approved_info(44));
  const auto out = show(ecr.on_message(zvt::Completion{}));
  EXPECT_NE(out.at(0).find(R"("id":"R3")"), std::string::npos);
  EXPECT_NE(out.at(0).find(R"("type":"refund")"), std::string::npos);
}

TEST(ZvtEcr, LastAndReprintAreARepeatReceipt) {
  ZvtEcr ecr({});
  approve(ecr, "T1", 42);
  auto plan = ecr.on_command(command(CommandKind::last, "L1"));
  EXPECT_EQ(zvt::describe(plan.to_pt.at(0)), "Repeat receipt");
  ecr.on_accepted(plan.to_pt[0]);
  ecr.on_message(approved_info(42));
  EXPECT_TRUE(ecr.on_message(line("COPY", true)).empty());  // LAST: the outcome only
  auto out = show(ecr.on_message(zvt::Completion{}));
  EXPECT_NE(out.at(0).find(R"("id":"T1")"), std::string::npos) << out[0];
  EXPECT_NE(out.at(0).find(R"("ref":"L1")"), std::string::npos) << out[0];
  plan = ecr.on_command(command(CommandKind::reprint, "P1"));
  ecr.on_accepted(plan.to_pt[0]);
  ecr.on_message(approved_info(42));
  EXPECT_EQ(show(ecr.on_message(line("*** DUPLICATE ***", true))),
            std::vector<std::string>{
                R"(receipt {"copy":"duplicate","id":"T1","ref":"P1","text":"*** DUPLICATE ***"})"});
  EXPECT_TRUE(ecr.on_message(zvt::Completion{}).empty());
  // LAST while a sale runs: still in progress.
  plan = ecr.on_command(command(CommandKind::sale, "T5", "1.00"));
  ecr.on_accepted(plan.to_pt[0]);
  plan = ecr.on_command(command(CommandKind::last, "L2"));
  EXPECT_EQ(
      show(ecr.on_refused(plan.to_pt[0], 0x9C)),
      std::vector<std::string>{
          R"(result {"id":"T5","rc":"IP","ref":"L2","status":"UNKNOWN","text":"in progress"})"});
}

TEST(ZvtEcr, StatusResetAndCancel) {
  ZvtEcr ecr({});
  auto plan = ecr.on_command(command(CommandKind::status, "S1"));
  EXPECT_EQ(zvt::describe(plan.to_pt.at(0)), "Status enquiry");
  ecr.on_accepted(plan.to_pt[0]);
  zvt::Completion c;
  c.sw_version = "vterm-1.0";
  c.terminal_status = 0x00;
  c.terminal_id = "52000001";
  EXPECT_EQ(
      show(ecr.on_message(c)),
      std::vector<std::string>{
          R"(status {"id":"S1","locked":false,"paper":"ok","state":"idle","tid":"52000001","version":"vterm-1.0"})"});
  for (auto [code, want] : std::vector<std::pair<std::uint8_t, std::string>>{
           {0xCC, R"("paper":"out","state":"idle")"}, {0xDF, R"("state":"locked")"}}) {
    plan = ecr.on_command(command(CommandKind::status, "S2"));
    ecr.on_accepted(plan.to_pt[0]);
    c.terminal_status = code;
    EXPECT_NE(show(ecr.on_message(c)).at(0).find(want), std::string::npos);
  }
  // Reset while a sale runs: abort it, then ask; the PT is still busy.
  plan = ecr.on_command(command(CommandKind::sale, "T1", "1.00"));
  ecr.on_accepted(plan.to_pt[0]);
  plan = ecr.on_command(command(CommandKind::reset, "S3"));
  ASSERT_EQ(plan.to_pt.size(), 2u);
  EXPECT_EQ(zvt::describe(plan.to_pt[0]), "Abort request");
  EXPECT_TRUE(ecr.on_accepted(plan.to_pt[0]).empty());
  EXPECT_EQ(show(ecr.on_refused(plan.to_pt[1], 0x9C)),
            std::vector<std::string>{R"(status {"id":"S3","state":"busy"})"});
  // Cancel of the running sale: an abort request; its outcome ends it.
  plan = ecr.on_command(command(CommandKind::cancel, "T1"));
  EXPECT_EQ(zvt::describe(plan.to_pt.at(0)), "Abort request");
  EXPECT_NE(show(ecr.on_message(zvt::Abort{0x6C, std::nullopt}))
                .at(0)
                .find(R"("rc":"CX","status":"CANCELLED")"),
            std::string::npos);
  // Cancel of a finished one: its outcome again; of an unknown one: NF.
  EXPECT_NE(show(ecr.on_command(command(CommandKind::cancel, "T1")).now).at(0).find("CANCELLED"),
            std::string::npos);
  EXPECT_NE(show(ecr.on_command(command(CommandKind::cancel, "T7")).now).at(0).find(R"("rc":"NF")"),
            std::string::npos);
}

TEST(ZvtEcr, ANewCommandTakenByThePtEndsAStaleTransaction) {
  ZvtEcr ecr({});
  auto plan = ecr.on_command(command(CommandKind::sale, "T1", "1.00"));
  ecr.on_accepted(plan.to_pt[0]);
  // After a power cut the PT takes a status enquiry: the sale is no longer running there.
  plan = ecr.on_command(command(CommandKind::status, "S1"));
  EXPECT_EQ(
      show(ecr.on_accepted(plan.to_pt[0])),
      std::vector<std::string>{R"(note {"text":"the PT took a new command; T1 ends unreported"})"});
  // The enquiry aborted: an answer without a state (the engine asks again).
  EXPECT_EQ(show(ecr.on_message(zvt::Abort{})), std::vector<std::string>{R"(status {"id":"S1"})"});
  EXPECT_EQ(
      show(ecr.on_message(zvt::Completion{})),
      std::vector<std::string>{R"(note {"text":"the PT sent Completion outside any command"})"});
}

// The session ends with a log-off (06 02) only when it began with a registration the PT
// completed, and only once.
TEST(ZvtEcr, LogsOffOnlyARegisteredSessionOnce) {
  ZvtEcr ecr({});
  EXPECT_FALSE(ecr.log_off().has_value());
  zvt::Registration r = ecr.registration();
  ecr.on_accepted(r);
  ecr.on_message(zvt::Completion{});
  ASSERT_TRUE(ecr.registered());
  EXPECT_TRUE(ecr.log_off().has_value());
  EXPECT_FALSE(ecr.registered());
  EXPECT_FALSE(ecr.log_off().has_value());
}

TEST(ZvtDriver, CapabilitiesDependOnTheTransport) {
  rig::terminal::TerminalOptions tcp;
  tcp.link_spec = "tcp:127.0.0.1:20007";
  const Capabilities c = rig::terminal::zvt_capabilities(tcp);
  EXPECT_TRUE(c.commands.count(CommandKind::sale));
  EXPECT_FALSE(c.commands.count(CommandKind::query));
  EXPECT_FALSE(c.commands.count(CommandKind::login));
  EXPECT_TRUE(c.observations.count(ObservationKind::event));
  EXPECT_TRUE(c.observations.count(ObservationKind::prompt));
  EXPECT_FALSE(c.status_fields.count("pending_reversals"));
  EXPECT_EQ(c.prompt_kinds, (std::set<std::string>{"PIN", "PRESENT_CARD", "REMOVE_CARD"}));
  EXPECT_EQ(c.methods, std::set<std::string>{"card"});
  EXPECT_FALSE(c.transaction_ids);
  EXPECT_EQ(c.faults, std::set<std::string>{"ecr.disconnect"});
  rig::terminal::TerminalOptions pty;
  pty.link_spec = "pty:/tmp/zvt";
  EXPECT_EQ(rig::terminal::zvt_capabilities(pty).faults,
            (std::set<std::string>{"ecr.bad_lrc", "ecr.disconnect", "ecr.no_ack", "ecr.noise"}));
  ASSERT_NE(rig::terminal::drivers().find("zvt"), nullptr);
  rig::terminal::TerminalOptions bad = tcp;
  bad.settings["password"] = "12";
  EXPECT_THROW(rig::terminal::make_terminal_driver("zvt", bad, {}), std::invalid_argument);
  bad.settings = {{"colour", "red"}};
  EXPECT_THROW(rig::terminal::make_terminal_driver("zvt", bad, {}), std::invalid_argument);
}

// The driver over loopback TCP, a ZvtLink playing the PT by script.
TEST(ZvtDriver, RegistersThenPaysOverTcp) {
  rig::link::TcpListener listener;
  ASSERT_TRUE(listener.listen().ok());
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> seen;
  rig::terminal::TerminalSink sink;
  sink.on_observation = [&](const Observation& o, rig::link::Clock::time_point) {
    if (rig::terminal::kind_of(o) == ObservationKind::wire) return;
    std::lock_guard<std::mutex> lk(mu);
    seen.push_back(show({o})[0]);
    cv.notify_all();
  };
  rig::terminal::TerminalOptions options;
  options.link_spec = "tcp:127.0.0.1:" + std::to_string(listener.port());
  options.settings = {{"currency", "978"}};
  auto driver = rig::terminal::make_terminal_driver("zvt", options, sink);

  std::thread pt([&] {
    rig::link::Accepted a = listener.accept(rig::link::after(10s));
    ASSERT_TRUE(a.status.ok());
    rig::terminal::ZvtLinkOptions o;
    o.role = rig::terminal::ZvtRole::pt;
    rig::terminal::ZvtLink link(std::move(a.link), o);
    ASSERT_TRUE(link.open().ok());
    auto reg = link.receive(rig::link::after(10s));
    ASSERT_TRUE(std::holds_alternative<zvt::Registration>(reg.decoded.message));
    EXPECT_EQ(std::get<zvt::Registration>(reg.decoded.message).config, 0x8A);
    link.acknowledge(zvt::Ack{}, rig::link::after(10s));
    EXPECT_TRUE(link.request(zvt::Completion{}, rig::link::after(10s)).positive());
    auto sale = link.receive(rig::link::after(10s));
    ASSERT_TRUE(std::holds_alternative<zvt::Authorization>(sale.decoded.message));
    link.acknowledge(zvt::Ack{}, rig::link::after(10s));
    for (const zvt::Message& m :
         std::vector<zvt::Message>{intermediate(0x0A, {"INSERT CARD"}), approved_info(7),
                                   line("APPROVED", true), zvt::Completion{}}) {
      EXPECT_TRUE(link.request(m, rig::link::after(10s)).positive());
    }
    // The driver's close() ends the session with a log-off before it closes the link.
    auto off = link.receive(rig::link::after(10s));
    EXPECT_TRUE(std::holds_alternative<zvt::LogOff>(off.decoded.message))
        << off.status.message;
    link.acknowledge(zvt::Ack{}, rig::link::after(10s));
  });
  ASSERT_TRUE(driver->open(rig::link::after(10s)).ok());
  ASSERT_TRUE(driver->send(command(CommandKind::sale, "T1", "12.34"), rig::link::after(10s)).ok());
  {
    std::unique_lock<std::mutex> lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, 10s, [&] { return seen.size() >= 4; }));
  }
  driver->close();
  pt.join();
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0], R"(display {"id":"T1","text":"INSERT CARD"})");
  EXPECT_EQ(seen[1], R"(prompt {"id":"T1","kind":"PRESENT_CARD"})");
  EXPECT_EQ(seen[2], R"(receipt {"copy":"original","id":"T1","text":"APPROVED"})");
  EXPECT_EQ(seen[3].rfind(R"(result {"amount":"12.34","auth":"A1B2C3")", 0), 0u) << seen[3];
}

}  // namespace
