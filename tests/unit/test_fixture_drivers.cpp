// Fixture drivers that need no simulator: the relay board's frames over a real pty, the
// command driver's argv lists with the step's variables, the manual driver's prompts and its
// refusal when nobody can answer, the drivers' declarations (what they serve, and why not), and
// the wiring errors of make_fixture.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "rig/engine/plan.h"
#include "rig/fault/driver.h"
#include "rig/fault/fixture.h"
#include "rig/fault/manual.h"
#include "rig/fault/relay.h"
#include "rig/link/pty.h"
#include "rig/scenario/loader.h"

namespace {

using namespace std::chrono_literals;

std::string bytes_of(const std::string& s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    std::snprintf(buf, sizeof buf, "%02X ", c);
    out += buf;
  }
  return out;
}

TEST(RelayFrame, ChecksumIsTheByteSum) {
  EXPECT_EQ(bytes_of(rig::fault::relay_frame(1, true)), "A0 01 01 A2 ");
  EXPECT_EQ(bytes_of(rig::fault::relay_frame(1, false)), "A0 01 00 A1 ");
  EXPECT_EQ(bytes_of(rig::fault::relay_frame(2, true)), "A0 02 01 A3 ");
}

rig::fault::FixtureContext context(std::vector<std::string>* records = nullptr) {
  rig::fault::FixtureContext c;
  c.station = "lane9";
  c.expand = [](const std::string& s) { return s; };
  c.record = [records](const std::string& kind, nlohmann::json) {
    if (records) records->push_back(kind);
  };
  return c;
}

rig::bench::FaultWiring wiring(const std::string& family, const std::string& driver,
                               nlohmann::json settings) {
  rig::bench::FaultWiring w;
  w.family = family;
  w.driver = driver;
  w.settings = std::move(settings);
  return w;
}

TEST(RelayFixture, PowerCutAndRestoreSwitchTheChannelOverTheLink) {
  rig::link::PtyMaster board;
  ASSERT_TRUE(board.open());
  auto w = wiring("power", "relay",
                  {{"link", "pty:" + board.slave_path()}, {"channel", 3}, {"active", "off"}});
  auto relay = rig::fault::make_fixture(w, context());
  ASSERT_TRUE(relay->supports("power.cut"));
  auto deadline = rig::link::after(2s);
  // active: off — the relay switched off cuts the power.
  ASSERT_TRUE(relay->act("power.cut", {}, nullptr, 0ms, deadline).ok);
  auto c = board.read(rig::link::after(2s));
  ASSERT_TRUE(c.status.ok()) << c.status.message;
  EXPECT_EQ(bytes_of(c.bytes), "A0 03 00 A3 ");
  ASSERT_TRUE(relay->restore(deadline).ok);
  c = board.read(rig::link::after(2s));
  EXPECT_EQ(bytes_of(c.bytes), "A0 03 01 A4 ");
}

TEST(RelayFixture, UnpluggedBoardIsAnOutcomeNotACrash) {
  auto w = wiring("power", "relay",
                  {{"link", "serial:/dev/ttyPOSRIG-no-relay"}, {"channel", 1}, {"active", "on"}});
  auto relay = rig::fault::make_fixture(w, context());
  auto out = relay->act("power.cut", {}, nullptr, 0ms, rig::link::after(1s));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "/dev/ttyPOSRIG-no-relay: open failed: No such file or directory");
}

TEST(CommandFixture, RunsApplyAndClearArgvLists) {
  auto dir = std::filesystem::temp_directory_path() / ("posrig-cmd-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string marker = (dir / "down").string();
  auto w =
      wiring("network", "command",
             {{"faults",
               {{"network.down",
                 {{"apply", {"/usr/bin/touch", marker}}, {"clear", {"/bin/rm", "-f", marker}}}}}}});
  auto cmd = rig::fault::make_fixture(w, context());
  EXPECT_TRUE(cmd->supports("network.down"));
  EXPECT_FALSE(cmd->supports("network.latency"));
  ASSERT_TRUE(cmd->act("network.down", {}, nullptr, 0ms, rig::link::after(5s)).ok);
  EXPECT_TRUE(std::filesystem::exists(marker));
  ASSERT_TRUE(cmd->restore(rig::link::after(5s)).ok);
  EXPECT_FALSE(std::filesystem::exists(marker));
  std::filesystem::remove_all(dir);
}

TEST(CommandFixture, FailingToolIsReportedWithItsExit) {
  auto w =
      wiring("power", "command",
             {{"faults", {{"power.cut", {{"apply", {"/bin/false"}}, {"clear", {"/bin/true"}}}}}}});
  auto cmd = rig::fault::make_fixture(w, context());
  auto out = cmd->act("power.cut", {}, nullptr, 0ms, rig::link::after(5s));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "command (power): power.cut apply: /bin/false exited with code 1");
}

TEST(ManualFixture, RefusedWhenNotInteractive) {
  auto w = wiring(
      "card", "manual",
      {{"faults", {{"card.insert", {{"apply", "Insert the card"}, {"clear", "Remove it"}}}}}});
  auto manual = rig::fault::make_fixture(w, context());
  EXPECT_FALSE(manual->supports("card.insert"));
  auto out = manual->act("card.insert", {}, nullptr, 0ms, rig::link::after(1s));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message,
            "manual (card) cannot do card.insert: it needs an operator at the bench and rig is "
            "not interactive (stdin is not a terminal)");
}

TEST(ManualFixture, PromptNamesTheCardTheEntryAndTheDamage) {
  auto w = wiring("card", "manual",
                  {{"faults",
                    {{"card.swipe",
                      {{"apply", "Swipe ${card} through the reader"},
                       {"clear", "Put ${card} back in the kit"}}}}}});
  std::vector<std::string> prompts;
  auto c = context();
  c.interactive = true;
  c.ask_operator = [&](const std::string& p) {
    prompts.push_back(p);
    return true;
  };
  auto manual = rig::fault::make_fixture(w, c);
  ASSERT_TRUE(manual->supports("card.swipe"));
  EXPECT_FALSE(manual->supports("card.insert"));
  ASSERT_TRUE(manual
                  ->act("card.swipe", {{"card", "visa-chip"}, {"damage", "mag_garbled"}}, nullptr,
                        0ms, rig::link::after(1s))
                  .ok);
  // card.remove has no entry of its own: the swipe's clear, with the card that went in.
  ASSERT_TRUE(manual->supports("card.remove"));
  ASSERT_TRUE(manual->act("card.remove", {}, nullptr, 0ms, rig::link::after(1s)).ok);
  ASSERT_TRUE(manual->restore(rig::link::after(1s)).ok);  // nothing left to undo
  std::vector<std::string> want = {
      "Swipe visa-chip through the reader (card visa-chip, entry swipe, damage mag_garbled)",
      "Put visa-chip back in the kit (card visa-chip, entry swipe, damage mag_garbled)",
  };
  EXPECT_EQ(prompts, want);
  EXPECT_EQ(rig::fault::operator_prompt(
                "Insert the card", "card.insert",
                {{"card", "visa-chip"}, {"damage", "chip_intermittent"}, {"failures", 2}}),
            "Insert the card (card visa-chip, entry insert, damage chip_intermittent, failures 2)");
  EXPECT_EQ(rig::fault::operator_prompt("Type it", "keypad.press", {{"keys", {"1", "2", "ENTER"}}}),
            "Type it (keys 1 2 ENTER)");
}

TEST(CommandFixture, CardRobotGetsTheCardTheEntryAndTheDamage) {
  auto dir =
      std::filesystem::temp_directory_path() / ("posrig-robot-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string log = (dir / "robot.log").string();
  // The robot stand-in: appends its argv to a log file.
  auto robot = [&](const std::vector<std::string>& args) {
    nlohmann::json argv = {"/bin/sh", "-c", "echo \"$*\" >> " + log, "robot"};
    for (const auto& a : args) argv.push_back(a);
    return argv;
  };
  auto w = wiring(
      "card", "command",
      {{"faults",
        {{"card.insert",
          {{"apply", robot({"present", "${card}", "${entry}", "${damage}"})},
           {"clear", robot({"eject", "${card}"})}}},
         {"card.tap", {{"apply", robot({"present", "${card}", "${entry}", "${damage}"})}}}}}});
  auto cmd = rig::fault::make_fixture(w, context());
  EXPECT_TRUE(cmd->supports("card.insert"));
  EXPECT_TRUE(cmd->supports("card.remove"));  // the insert's clear
  EXPECT_FALSE(cmd->supports("card.swipe"));
  ASSERT_TRUE(cmd->act("card.insert", {{"card", "visa-chip"}, {"damage", "chip_mute"}}, nullptr,
                       0ms, rig::link::after(5s))
                  .ok);
  ASSERT_TRUE(cmd->act("card.remove", {}, nullptr, 0ms, rig::link::after(5s)).ok);
  ASSERT_TRUE(cmd->act("card.tap", {{"card", "mc-tap"}}, nullptr, 0ms, rig::link::after(5s)).ok);
  ASSERT_TRUE(cmd->act("card.insert", {{"card", "amex"}}, nullptr, 0ms, rig::link::after(5s)).ok);
  ASSERT_TRUE(cmd->restore(rig::link::after(5s)).ok);  // ejects the card still in
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text,
            "present visa-chip insert chip_mute\n"
            "eject visa-chip\n"
            "present mc-tap tap none\n"
            "present amex insert none\n"
            "eject amex\n");
  std::filesystem::remove_all(dir);
}

rig::bench::Station station_with(const std::string& family, rig::bench::FaultWiring w) {
  rig::bench::Station st;
  st.name = "counter3";
  w.family = family;
  st.faults[family] = std::move(w);
  return st;
}

rig::fault::Need need(const std::string& action, nlohmann::json params = nlohmann::json::object()) {
  rig::fault::Need n;
  n.action = action;
  n.params = std::move(params);
  return n;
}

TEST(Declarations, RefusalsNameWhatIsMissing) {
  using rig::fault::refusal;
  rig::fault::Reach operator_there{true};
  rig::bench::FaultWiring manual;
  manual.driver = "manual";
  manual.settings = {{"faults", {{"card.insert", {{"apply", "Insert it"}}}}}};
  auto st = station_with("card", manual);
  EXPECT_EQ(refusal(st, need("card.insert"), operator_there), "");
  EXPECT_EQ(refusal(st, need("card.swipe"), operator_there),
            "manual (card) cannot do card.swipe: the bench lists card.insert only under faults");
  EXPECT_EQ(refusal(st, need("keypad.press"), operator_there), "lacks fixture family keypad");

  rig::bench::FaultWiring relay;
  relay.driver = "relay";
  relay.settings = {{"link", "pty:/tmp/x"}, {"channel", 2}, {"active", "on"}};
  auto printer = station_with("printer", relay);
  EXPECT_EQ(refusal(printer, need("printer.paper", {{"state", "out"}}), {}), "");
  EXPECT_EQ(refusal(printer, need("printer.paper", {{"state", "low"}}), {}),
            "relay (printer) cannot do printer.paper: a contact on the paper sensor reads paper "
            "out or ok, never low");
  EXPECT_EQ(refusal(printer, need("printer.paper_low"), {}),
            "relay (printer) cannot do printer.paper_low: a contact only switches printer "
            "(printer.paper_out, paper out/ok)");
  auto network = station_with("network", relay);
  rig::fault::Need triggered = need("network.down", {{"probability", 1.0}});
  triggered.trigger = rig::scenario::Trigger::Kind::host_message;
  EXPECT_EQ(refusal(network, triggered, {}),
            "relay (network) cannot do network.down: it cannot wait for a message trigger (wire "
            "the network to the proxy)");
  EXPECT_EQ(refusal(network, need("network.observe"), {}),
            "relay (network) cannot do network.observe: host_message and wallet_message checks "
            "read what the proxy sees (wire the network to the proxy)");
  rig::bench::FaultWiring proxy;
  proxy.driver = "proxy";
  EXPECT_EQ(refusal(station_with("network", proxy), triggered, {}), "");
}

TEST(Declarations, ListedStepsStandInForTheirOpposites) {
  nlohmann::json listed = {{"power.cut", {{"apply", "a"}, {"clear", "b"}}},
                           {"printer.paper_out", {{"apply", "c"}, {"clear", "d"}}}};
  auto step = [&](const std::string& action, nlohmann::json params = nlohmann::json::object()) {
    auto s = rig::fault::listed_step(listed, action, params);
    return s ? s->entry + " " + s->half : std::string("none");
  };
  EXPECT_EQ(step("power.cut"), "power.cut apply");
  EXPECT_EQ(step("power.restore"), "power.cut clear");
  EXPECT_EQ(step("printer.paper", {{"state", "out"}}), "printer.paper_out apply");
  EXPECT_EQ(step("printer.paper", {{"state", "ok"}}), "printer.paper_out clear");
  EXPECT_EQ(step("printer.paper", {{"state", "low"}}), "none");
  EXPECT_EQ(step("card.remove"), "none");
}

TEST(Declarations, CardRemoveNeedsTheClearOfTheActionThatPutTheCardIn) {
  using rig::fault::refusal;
  // The robot inserts and ejects; a tapped card is never "in".
  rig::bench::FaultWiring robot;
  robot.driver = "command";
  robot.settings = {{"faults",
                     {{"card.insert", {{"apply", {"true", "in"}}, {"clear", {"true", "out"}}}},
                      {"card.tap", {{"apply", {"true", "tap"}}}}}}};
  auto st = station_with("card", robot);
  rig::fault::Need remove = need("card.remove");
  remove.inserted_by = "card.insert";
  EXPECT_EQ(refusal(st, remove, {}), "");
  remove.inserted_by = "card.tap";
  EXPECT_EQ(refusal(st, remove, {}),
            "command (card) cannot do card.remove: the card went in by card.tap and the bench "
            "lists no clear for card.tap under faults (it takes the card out)");

  // The plan says which action put the card in, as the driver tracks it at run time.
  auto sc = rig::scenario::load_scenario_text(
      "name: n\nfamily: card\nsteps:\n"
      "  - card: {tap: visa}\n  - card: remove\n"
      "  - card: {insert: visa}\n  - card: remove\n  - card: remove\n"
      "  - expect: {result: {status: APPROVED}}\n",
      "s.yaml");
  std::vector<std::string> removes;
  for (const auto& n : rig::engine::scenario_needs(sc, {})) {
    if (n.action == "card.remove") removes.push_back(n.inserted_by);
  }
  EXPECT_EQ(removes, (std::vector<std::string>{"card.tap", "card.insert", ""}));
  auto gaps = rig::engine::station_gaps(st, sc, {});
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].need.loc.line, 5);

  // And the built driver refuses that remove at run time with the same entries.
  auto cmd = rig::fault::make_fixture(wiring("card", "command", robot.settings), context());
  ASSERT_TRUE(cmd->act("card.tap", {{"card", "visa"}}, nullptr, 0ms, rig::link::after(5s)).ok);
  EXPECT_FALSE(cmd->act("card.remove", {}, nullptr, 0ms, rig::link::after(1s)).ok);
}

TEST(Declarations, ListedEntriesUseOnlyTheVariablesTheStepGives) {
  using rig::fault::refusal;
  rig::bench::FaultWiring robot;
  robot.driver = "command";
  robot.settings = {
      {"faults",
       {{"card.insert",
         {{"apply", {"robot", "in", "${card}", "${damage}", "${robot_host}"}},
          {"clear", {"robot", "out", "${card}"}}}},
        {"card.swipe", {{"apply", {"robot", "swipe", "${code}"}}}},
        {"card.tap", {{"apply", {"robot", "tap"}}, {"clear", {"robot", "back", "${keys}"}}}}}}};
  auto st = station_with("card", robot);
  // ${robot_host} is no step's parameter: it is the bench's variable.
  EXPECT_EQ(refusal(st, need("card.insert", {{"card", "visa"}}), {}), "");
  EXPECT_EQ(refusal(st, need("card.swipe", {{"card", "visa"}}), {}),
            "command (card) cannot do card.swipe: the apply of card.swipe uses ${code}, which "
            "this step does not give (it gives action, card, damage, entry, failures)");
  EXPECT_EQ(refusal(st, need("card.tap", {{"card", "visa"}}), {}),
            "command (card) cannot do card.tap: the clear of card.tap uses ${keys}, which this "
            "step does not give (it gives action, card, damage, entry, failures)");
  // A clear is checked with its apply: the remove itself gives no card.
  rig::fault::Need remove = need("card.remove");
  remove.inserted_by = "card.insert";
  EXPECT_EQ(refusal(st, remove, {}), "");
}

TEST(Declarations, EveryFamilyHasADriverAndEverySettingADoc) {
  for (const auto& family : rig::fault::families()) {
    EXPECT_FALSE(rig::fault::drivers_for(family.name).empty()) << family.name;
  }
  for (const auto* d : rig::fault::drivers()) {
    EXPECT_FALSE(d->doc.empty()) << d->name;
    EXPECT_FALSE(d->families.empty()) << d->name;
    EXPECT_TRUE(d->refuses) << d->name;
    for (const auto& s : d->settings) EXPECT_FALSE(s.doc.empty()) << d->name << " " << s.name;
  }
}

TEST(MakeFixture, UnknownDriverListsTheKnownOnes) {
  rig::bench::FaultWiring w;
  w.family = "power";
  w.driver = "wifi";
  try {
    rig::fault::make_fixture(w, context());
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "station 'lane9', power driver wifi: unknown driver (known: proxy, vterm, vhost, "
                 "relay, usbrelay, http-power, code-display, command, manual)");
  }
}

}  // namespace

namespace {

TEST(Declarations, EveryDriverAndSettingIsInTheDocs) {
  std::ifstream in(POSRIG_SOURCE_DIR "/docs/bench.md");
  std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto* d : rig::fault::drivers()) {
    EXPECT_NE(doc.find("| `" + d->name + "` |"), std::string::npos) << d->name;
    for (const auto& s : d->settings) {
      EXPECT_NE(doc.find("`" + s.name + "`"), std::string::npos) << d->name << " " << s.name;
    }
  }
  for (const auto& f : rig::fault::families()) {
    EXPECT_NE(doc.find("| `" + f.name + "` |"), std::string::npos) << f.name;
  }
}

}  // namespace
