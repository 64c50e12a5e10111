// The terminal model (rig/terminal/model.h), the driver registry, and the rig-ecr driver: its
// pure translation between the model and RIG-ECR messages, and the driver itself over a real
// pty against an EcrLink playing the terminal.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "rig/engine/plan.h"
#include "rig/link/pty.h"
#include "rig/protocol/ecr.h"
#include "rig/scenario/catalogue.h"
#include "rig/scenario/loader.h"
#include "rig/terminal/rig_ecr_terminal.h"

namespace ecr = rig::protocol::ecr;
using namespace std::chrono_literals;
using nlohmann::json;
using rig::terminal::Capabilities;
using rig::terminal::Command;
using rig::terminal::CommandKind;
using rig::terminal::Need;
using rig::terminal::Observation;
using rig::terminal::ObservationKind;

namespace {

ecr::Message msg(const std::string& name, std::vector<std::pair<std::string, std::string>> fields) {
  ecr::Message m(name);
  for (const auto& [k, v] : fields) m.set(k, v);
  return m;
}

json fields_of(const ecr::Message& m) {
  return rig::terminal::to_json(rig::terminal::rig_ecr_observation(m));
}

TEST(RigEcrCommand, SaleAndRefundCarryTheirAmountsEveryOtherCommandOnlyItsId) {
  Command sale{CommandKind::sale, "T1", "100.00", "156", "card", ""};
  EXPECT_EQ(
      rig::terminal::rig_ecr_command(sale),
      msg("SALE", {{"id", "T1"}, {"amount", "100.00"}, {"currency", "156"}, {"method", "card"}}));
  Command refund{CommandKind::refund, "R1", "5.00", "156", "card", "T1"};
  EXPECT_EQ(rig::terminal::rig_ecr_command(refund), msg("REFUND", {{"id", "R1"},
                                                                   {"amount", "5.00"},
                                                                   {"currency", "156"},
                                                                   {"method", "card"},
                                                                   {"orig_id", "T1"}}));
  const std::vector<std::pair<CommandKind, std::string>> plain = {
      {CommandKind::query, "QUERY"},     {CommandKind::last, "LAST"},
      {CommandKind::reprint, "REPRINT"}, {CommandKind::cancel, "CANCEL"},
      {CommandKind::status, "STATUS"},   {CommandKind::reset, "RESET"},
      {CommandKind::login, "LOGIN"},     {CommandKind::unlock, "UNLOCK"}};
  ASSERT_EQ(plain.size() + 2, rig::terminal::all_commands().size());
  for (const auto& [kind, name] : plain) {
    Command c;
    c.kind = kind;
    c.id = "X9";
    c.amount = "1.00";  // not part of these commands
    EXPECT_EQ(rig::terminal::rig_ecr_command(c), msg(name, {{"id", "X9"}})) << name;
  }
}

TEST(RigEcrObservation, ResultBecomesAnOutcomeWithTheModelsFieldNames) {
  ecr::Message m = msg("RESULT", {{"id", "T1"},
                                  {"status", "APPROVED"},
                                  {"rc", "00"},
                                  {"type", "sale"},
                                  {"stan", "000042"},
                                  {"rrn", "000000000042"},
                                  {"auth", "A1B2C3"},
                                  {"amount", "100.00"},
                                  {"currency", "156"},
                                  {"method", "card"},
                                  {"entry", "chip"},
                                  {"pan", "476173******0010"},
                                  {"text", "APPROVED"},
                                  {"vendor_extra", "dropped"}});
  Observation o = rig::terminal::rig_ecr_observation(m);
  ASSERT_EQ(rig::terminal::kind_of(o), ObservationKind::result);
  const auto& outcome = std::get<rig::terminal::Outcome>(o);
  EXPECT_EQ(outcome.status, "APPROVED");
  EXPECT_EQ(outcome.pan, "476173******0010");
  EXPECT_EQ(rig::terminal::to_json(o), json({{"id", "T1"},
                                             {"status", "APPROVED"},
                                             {"rc", "00"},
                                             {"type", "sale"},
                                             {"amount", "100.00"},
                                             {"currency", "156"},
                                             {"method", "card"},
                                             {"entry", "chip"},
                                             {"pan", "476173******0010"},
                                             {"stan", "000042"},
                                             {"rrn", "000000000042"},
                                             {"auth", "A1B2C3"},
                                             {"text", "APPROVED"}}));
}

TEST(RigEcrObservation, EveryTerminalMessageHasItsObservation) {
  EXPECT_EQ(fields_of(msg("DISPLAY", {{"id", "T1"}, {"text", "SALE 1.00|INSERT CARD"}})),
            json({{"id", "T1"}, {"text", "SALE 1.00|INSERT CARD"}}));
  auto display = std::get<rig::terminal::Display>(
      rig::terminal::rig_ecr_observation(msg("DISPLAY", {{"text", "A|B"}})));
  EXPECT_EQ(display.lines, (std::vector<std::string>{"A", "B"}));

  EXPECT_EQ(fields_of(msg(
                "PROMPT",
                {{"id", "T1"}, {"kind", "PIN"}, {"tries_left", "1"}, {"text", "LAST PIN TRY"}})),
            json({{"kind", "PIN"}, {"id", "T1"}, {"tries_left", 1}, {"text", "LAST PIN TRY"}}));
  // A count that is not a number is left out; the wire record still has the frame.
  EXPECT_EQ(fields_of(msg("PROMPT", {{"kind", "PIN"}, {"tries_left", "one"}})),
            json({{"kind", "PIN"}}));

  auto receipt = std::get<rig::terminal::Receipt>(rig::terminal::rig_ecr_observation(
      msg("RECEIPT", {{"id", "T1"}, {"copy", "duplicate"}, {"text", "SHOP|COPY"}, {"ref", "P1"}})));
  EXPECT_EQ(receipt.copy, "duplicate");
  EXPECT_EQ(receipt.lines, (std::vector<std::string>{"SHOP", "COPY"}));
  EXPECT_EQ(rig::terminal::to_json(receipt),
            json({{"id", "T1"}, {"copy", "duplicate"}, {"text", "SHOP|COPY"}, {"ref", "P1"}}));

  EXPECT_EQ(fields_of(msg(
                "EVENT",
                {{"name", "REVERSAL_SENT"}, {"id", "T1"}, {"stan", "000042"}, {"attempt", "2"}})),
            json({{"name", "REVERSAL_SENT"}, {"id", "T1"}, {"stan", "000042"}, {"attempt", 2}}));

  EXPECT_EQ(fields_of(msg("STATUS", {{"id", "S1"},
                                     {"state", "idle"},
                                     {"paper", "ok"},
                                     {"pending_reversals", "1"},
                                     {"manual_handling", "0"},
                                     {"last_id", "T1"},
                                     {"stan", "000042"},
                                     {"locked", "0"}})),
            json({{"id", "S1"},
                  {"state", "idle"},
                  {"paper", "ok"},
                  {"pending_reversals", 1},
                  {"manual_handling", 0},
                  {"locked", false},
                  {"last_id", "T1"},
                  {"stan", "000042"}}));

  EXPECT_EQ(fields_of(msg("HELLO", {{"x", "1"}})),
            json({{"text", "terminal sent an unknown RIG-ECR message HELLO"}}));
}

TEST(RigEcrWire, FramesAreNamedAndShownOnOneLine) {
  rig::terminal::EcrFrameEvent e;
  e.direction = rig::terminal::EcrFrameEvent::Direction::out;
  e.kind = rig::terminal::EcrFrameEvent::Kind::frame;
  e.payload = "SALE" + std::string(1, ecr::kFs) + "id=T1" + std::string(1, ecr::kFs) + "seq=4";
  e.attempt = 2;
  EXPECT_EQ(rig::terminal::to_json(rig::terminal::rig_ecr_wire_record(e)),
            json({{"direction", "out"},
                  {"kind", "frame"},
                  {"name", "SALE"},
                  {"payload", "SALE|id=T1|seq=4"},
                  {"attempt", 2}}));
  rig::terminal::EcrFrameEvent noise;
  noise.kind = rig::terminal::EcrFrameEvent::Kind::noise;
  noise.bytes = "xyz";
  EXPECT_EQ(rig::terminal::to_json(rig::terminal::rig_ecr_wire_record(noise)),
            json({{"direction", "in"}, {"kind", "noise"}, {"bytes", 3}}));
}

TEST(Capabilities, WhatIsLackingIsSaidInTheDomainsWords) {
  Capabilities zvt;
  zvt.commands = {CommandKind::sale, CommandKind::status};
  zvt.observations = {ObservationKind::result, ObservationKind::display, ObservationKind::status};
  zvt.status_fields = {"state"};
  EXPECT_EQ(rig::terminal::lacking(Need::observation(ObservationKind::event), zvt, "zvt"),
            "needs terminal events; driver zvt cannot observe them");
  EXPECT_EQ(rig::terminal::lacking(Need::observation(ObservationKind::wire), zvt, "zvt"),
            "needs the ECR wire; driver zvt cannot observe it");
  EXPECT_EQ(rig::terminal::lacking(Need::command(CommandKind::refund), zvt, "zvt"),
            "needs the refund command; driver zvt cannot send it");
  EXPECT_EQ(rig::terminal::lacking(Need::status_field("pending_reversals"), zvt, "zvt"),
            "needs the status field pending_reversals; driver zvt does not report it");
  EXPECT_EQ(rig::terminal::lacking(Need::fault("ecr.no_ack"), zvt, "zvt"),
            "needs fault ecr.no_ack; driver zvt cannot make it");
  EXPECT_EQ(rig::terminal::lacking(Need::observation(ObservationKind::result), zvt, "zvt"), "");
  EXPECT_EQ(rig::terminal::lacking(Need::command(CommandKind::sale), zvt, "zvt"), "");
  EXPECT_EQ(rig::terminal::lacking(Need::status_field("state"), zvt, "zvt"), "");

  // rig-ecr has everything the catalogue asks for.
  Capabilities all = rig::terminal::rig_ecr_capabilities();
  for (CommandKind k : rig::terminal::all_commands()) {
    EXPECT_EQ(rig::terminal::lacking(Need::command(k), all, "rig-ecr"), "");
  }
  for (const auto& f : rig::scenario::faults()) {
    if (f.family == "ecr") {
      EXPECT_EQ(rig::terminal::lacking(Need::fault(f.name), all, "rig-ecr"), "");
    }
  }
}

// The skip decision: the first step that needs more than the driver has, at its position.
TEST(Capabilities, AScenarioNeedingMoreIsSkippedWithTheFirstReason) {
  rig::scenario::Scenario s = rig::scenario::load_scenario_text(
      "name: n\nfamily: reversal\nsteps:\n"
      "  - sale: {amount: \"1.00\", method: card}\n"
      "  - expect: {result: {status: APPROVED}}\n"
      "  - expect: {host_message: {mti: \"0200\"}}\n"
      "  - expect: {event: REVERSAL_ACKED, before: result}\n"
      "  - expect: {state: {pending_reversals: 0}}\n",
      "s.yaml");
  Capabilities zvt;
  zvt.commands = {CommandKind::sale, CommandKind::status};
  zvt.observations = {ObservationKind::result, ObservationKind::status};
  zvt.status_fields = {"state"};
  EXPECT_EQ(rig::engine::unmet_need(s, zvt, "zvt"),
            "s.yaml:7:5: expect event needs terminal events; driver zvt cannot observe them");
  zvt.observations.insert(ObservationKind::event);
  EXPECT_EQ(rig::engine::unmet_need(s, zvt, "zvt"),
            "s.yaml:8:5: expect state needs the status field pending_reversals; driver zvt does "
            "not report it");
  zvt.status_fields.insert("pending_reversals");
  EXPECT_EQ(rig::engine::unmet_need(s, zvt, "zvt"), "");
  EXPECT_EQ(rig::engine::unmet_need(s, rig::terminal::rig_ecr_capabilities(), "rig-ecr"), "");

  rig::scenario::Scenario ecr = rig::scenario::load_scenario_text(
      "name: n\nfamily: ecr\nsteps:\n"
      "  - fault: ecr.no_ack\n    count: 1\n    when: {prompt: PIN}\n"
      "  - refund: {amount: \"1.00\"}\n"
      "  - expect: {ecr: nak, count: 0}\n",
      "e.yaml");
  Capabilities none;
  EXPECT_EQ(rig::engine::unmet_need(ecr, none, "x"),
            "e.yaml:4:5: fault needs fault ecr.no_ack; driver x cannot make it");
  none.faults = {"ecr.no_ack"};
  EXPECT_EQ(rig::engine::unmet_need(ecr, none, "x"),
            "e.yaml:4:5: fault needs terminal prompts; driver x cannot observe them");
  none.observations = {ObservationKind::prompt};
  EXPECT_EQ(rig::engine::unmet_need(ecr, none, "x"),
            "e.yaml:7:5: refund needs the refund command; driver x cannot send it");
  none.commands = {CommandKind::refund};
  EXPECT_EQ(rig::engine::unmet_need(ecr, none, "x"),
            "e.yaml:8:5: expect ecr needs the ECR wire; driver x cannot observe it");
}

// The first need of a scenario made of `steps` that `caps` does not meet, as the skip says it.
// (Each scenario ends with a check, as the loader wants.)
std::string unmet_in(const Capabilities& caps, const std::string& steps) {
  return rig::engine::unmet_need(
      rig::scenario::load_scenario_text("name: n\nfamily: ecr\nsteps:\n" + steps +
                                            "  - expect: {host_message: {mti: \"0200\"}}\n",
                                        "p.yaml"),
      caps, "zvt");
}

// Prompt kinds, payment methods and transaction ids: what a protocol may lack besides whole
// commands and observations (ZVT names three prompt kinds, takes cards only and carries no ids).
TEST(Capabilities, PromptKindsMethodsAndTransactionIds) {
  Capabilities c;
  c.commands = {CommandKind::sale};
  c.observations = {ObservationKind::result, ObservationKind::prompt};
  c.prompt_kinds = {"PRESENT_CARD", "PIN"};
  c.methods = {"card"};
  c.transaction_ids = false;
  EXPECT_EQ(rig::terminal::lacking(Need::prompt_kind("INSERT_CHIP"), c, "zvt"),
            "needs prompt INSERT_CHIP; driver zvt cannot observe it");
  EXPECT_EQ(rig::terminal::lacking(Need::prompt_kind("PIN"), c, "zvt"), "");
  EXPECT_EQ(rig::terminal::lacking(Need::method("qr"), c, "zvt"),
            "needs payment method qr; driver zvt cannot take it");
  EXPECT_EQ(rig::terminal::lacking(Need::transaction_ids(), c, "zvt"),
            "sends a payment again under the same id; driver zvt carries no transaction ids");
  // Empty lists mean any.
  Capabilities any;
  EXPECT_EQ(rig::terminal::lacking(Need::prompt_kind("INSERT_CHIP"), any, "x"), "");
  EXPECT_EQ(rig::terminal::lacking(Need::method("qr"), any, "x"), "");

  auto unmet = [&](const std::string& steps) { return unmet_in(c, steps); };
  EXPECT_EQ(unmet("  - sale: {amount: \"1.00\", method: qr}\n"),
            "p.yaml:4:5: sale needs payment method qr; driver zvt cannot take it");
  EXPECT_EQ(unmet("  - sale: {amount: \"1.00\", method: card}\n"
                  "  - expect: {prompt: INSERT_CHIP}\n"),
            "p.yaml:5:5: expect prompt needs prompt INSERT_CHIP; driver zvt cannot observe it");
  c.faults = {"ecr.disconnect"};
  c.faults = {"ecr.disconnect"};
  EXPECT_EQ(unmet("  - fault: ecr.disconnect\n    when: {prompt: SWIPE}\n"),
            "p.yaml:4:5: fault needs prompt SWIPE; driver zvt cannot observe it");
  EXPECT_EQ(unmet("  - sale: {amount: \"1.00\", method: card, id: a}\n"
                  "  - sale: {amount: \"1.00\", method: card, id: b}\n"
                  "  - sale: {amount: \"1.00\", method: card, id: a}\n"),
            "p.yaml:6:5: sale sends a payment again under the same id; driver zvt carries no "
            "transaction ids");
  EXPECT_EQ(unmet("  - sale: {amount: \"1.00\", method: card, id: a}\n"
                  "  - expect: {prompt: PIN}\n"),
            "");
}

// Event names and a prompt's tries left: ZVT signals two events by status codes and has no
// place for a count. A scenario needing another event, or a count, is skipped (never run to
// fail on a terminal that cannot say it).
TEST(Capabilities, EventKindsAndPromptTriesLeft) {
  Capabilities c;
  c.commands = {CommandKind::sale};
  c.observations = {ObservationKind::result, ObservationKind::prompt, ObservationKind::event};
  c.event_kinds = {"PIN_WRONG", "PIN_BLOCKED"};
  c.prompt_tries_left = false;
  EXPECT_EQ(rig::terminal::lacking(Need::event_kind("BOOT"), c, "zvt"),
            "needs event BOOT; driver zvt cannot observe it");
  EXPECT_EQ(rig::terminal::lacking(Need::event_kind("PIN_WRONG"), c, "zvt"), "");
  EXPECT_EQ(rig::terminal::lacking(Need::prompt_tries_left(), c, "zvt"),
            "needs the tries left of a prompt; driver zvt does not report them");
  Capabilities any;  // empty event_kinds: any name; tries left by default
  EXPECT_EQ(rig::terminal::lacking(Need::event_kind("BOOT"), any, "x"), "");
  EXPECT_EQ(rig::terminal::lacking(Need::prompt_tries_left(), any, "x"), "");

  auto unmet = [&](const std::string& steps) { return unmet_in(c, steps); };
  const std::string sale = "  - sale: {amount: \"1.00\", method: card}\n";
  EXPECT_EQ(unmet(sale + "  - expect: {event: PIN_BLOCKED, before: result}\n"), "");
  EXPECT_EQ(unmet(sale + "  - expect: {event: BOOT}\n"),
            "p.yaml:5:5: expect event needs event BOOT; driver zvt cannot observe it");
  EXPECT_EQ(unmet(sale + "  - expect: {event: PIN_WRONG, after: REVERSAL_SENT}\n"),
            "p.yaml:5:5: expect event needs event REVERSAL_SENT; driver zvt cannot observe it");
  EXPECT_EQ(unmet(sale + "  - fault: power.cut\n    when: {event: CHIP_READ_FAILED}\n"),
            "p.yaml:5:5: fault needs event CHIP_READ_FAILED; driver zvt cannot observe it");
  EXPECT_EQ(unmet(sale + "  - expect: {prompt: PIN, tries_left: 2}\n"),
            "p.yaml:5:5: expect prompt needs the tries left of a prompt; driver zvt does not "
            "report them");
  EXPECT_EQ(unmet(sale + "  - expect: {prompt: PIN}\n"), "");
}

TEST(DriverRegistry, KnowsRigEcrAndNamesTheKnownOnesForAnUnknownDriver) {
  EXPECT_EQ(rig::terminal::drivers().names(),
            (std::vector<std::string>{"rig-ecr", "zvt", "adapter"}));
  try {
    rig::terminal::make_terminal_driver("opi", {}, {});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "unknown terminal driver 'opi' (known: rig-ecr, zvt, adapter)");
  }
  EXPECT_THROW(rig::terminal::driver_capabilities("opi", {}), std::invalid_argument);
  Capabilities c = rig::terminal::driver_capabilities("rig-ecr", {});
  EXPECT_TRUE(c.observations.count(ObservationKind::event));
  // Its link faults are in the scenario catalogue, family ecr.
  const rig::scenario::FaultInfo* f = rig::scenario::find_fault("ecr.no_ack");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->family, "ecr");
  EXPECT_TRUE(c.faults.count("ecr.no_ack"));
  rig::terminal::DriverRegistry r;
  rig::terminal::register_builtin_drivers(r);
  EXPECT_THROW(rig::terminal::register_rig_ecr(r), std::logic_error);
}

// Collects a driver's observations; the test waits on it instead of sleeping.
class Collector {
 public:
  rig::terminal::TerminalSink sink() {
    rig::terminal::TerminalSink s;
    s.on_observation = [this](const Observation& o, rig::link::Clock::time_point) {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(o);
      cv_.notify_all();
    };
    return s;
  }
  // The first observation of `kind` (after `skip` of them), waiting up to 10 s.
  std::optional<Observation> wait(ObservationKind kind, int skip = 0) {
    std::unique_lock<std::mutex> lock(mu_);
    std::optional<Observation> found;
    cv_.wait_for(lock, 10s, [&] {
      int n = 0;
      for (const auto& o : seen_) {
        if (rig::terminal::kind_of(o) == kind && n++ == skip) {
          found = o;
          return true;
        }
      }
      return false;
    });
    return found;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Observation> seen_;
};

TEST(RigEcrDriver, SendsCommandsAndHearsObservationsOverAPty) {
  auto master = std::make_unique<rig::link::PtyMaster>();
  ASSERT_TRUE(master->open());
  const std::string slave = master->slave_path();
  rig::terminal::EcrLink terminal_end(std::move(master));
  ASSERT_TRUE(terminal_end.open());

  Collector seen;
  rig::terminal::TerminalOptions options;
  options.link_spec = "pty:" + slave;
  auto driver = rig::terminal::make_terminal_driver("rig-ecr", options, seen.sink());
  EXPECT_EQ(driver->driver_name(), "rig-ecr");
  ASSERT_TRUE(driver->open(rig::link::after(5s)));

  Command sale{CommandKind::sale, "T1", "1.00", "156", "card", ""};
  ASSERT_TRUE(driver->send(sale, rig::link::after(5s)));
  rig::terminal::EcrReceived got = terminal_end.receive(rig::link::after(10s));
  ASSERT_TRUE(got.status) << got.status.message;
  EXPECT_EQ(got.message, rig::terminal::rig_ecr_command(sale));

  ecr::Message result = msg("RESULT", {{"id", "T1"}, {"status", "DECLINED"}, {"rc", "51"}});
  ASSERT_TRUE(terminal_end.send(result, rig::link::after(5s)).status);
  auto outcome = seen.wait(ObservationKind::result);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(std::get<rig::terminal::Outcome>(*outcome).rc, "51");
  // The wire was recorded: our SALE went out as a frame, the terminal's ACK came in.
  auto out = seen.wait(ObservationKind::wire);
  ASSERT_TRUE(out);
  EXPECT_EQ(std::get<rig::terminal::WireRecord>(*out).name, "SALE");

  // ecr.no_ack is the driver's own fault: the terminal's next frame goes unanswered and is
  // written again, identical.
  ASSERT_TRUE(driver->supports("ecr.no_ack"));
  EXPECT_FALSE(driver->supports("network.down"));
  ASSERT_TRUE(driver->act("ecr.no_ack", {{"count", 1}}, nullptr, 0ms, rig::link::after(1s)).ok);
  rig::terminal::EcrSent sent =
      terminal_end.send(msg("EVENT", {{"name", "PAPER_OUT"}}), rig::link::after(10s));
  ASSERT_TRUE(sent.status) << sent.status.message;
  EXPECT_EQ(sent.attempts, 2);
  auto event = seen.wait(ObservationKind::event);
  ASSERT_TRUE(event);
  EXPECT_EQ(std::get<rig::terminal::TerminalEvent>(*event).name, "PAPER_OUT");
  driver->close();
}

}  // namespace
