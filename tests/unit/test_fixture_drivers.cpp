// Fixture drivers that need no simulator: the relay board's frames over a real pty, the
// command driver's argv lists, the manual driver's refusal when nobody can answer, and the
// wiring errors of make_fixture.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "rig/fault/fixture.h"
#include "rig/fault/relay.h"
#include "rig/link/pty.h"

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

TEST(RelayFixture, PowerCutAndRestoreSwitchTheChannelOverTheLink) {
  rig::link::PtyMaster board;
  ASSERT_TRUE(board.open());
  rig::bench::FaultWiring w;
  w.family = "power";
  w.driver = "relay";
  w.settings = {{"link", "pty:" + board.slave_path()}, {"channel", "3"}, {"active", "off"}};
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
  rig::bench::FaultWiring w;
  w.family = "power";
  w.driver = "relay";
  w.settings = {{"link", "serial:/dev/ttyPOSRIG-no-relay"}, {"channel", "1"}, {"active", "on"}};
  auto relay = rig::fault::make_fixture(w, context());
  auto out = relay->act("power.cut", {}, nullptr, 0ms, rig::link::after(1s));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "/dev/ttyPOSRIG-no-relay: open failed: No such file or directory");
}

TEST(CommandFixture, RunsApplyAndClearArgvLists) {
  auto dir = std::filesystem::temp_directory_path() / ("posrig-cmd-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string marker = (dir / "down").string();
  rig::bench::FaultWiring w;
  w.family = "network";
  w.driver = "command";
  w.argv_settings = {{"network.down.apply", {"/usr/bin/touch", marker}},
                     {"network.down.clear", {"/bin/rm", "-f", marker}}};
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
  rig::bench::FaultWiring w;
  w.family = "power";
  w.driver = "command";
  w.argv_settings = {{"power.cut.apply", {"/bin/false"}}};
  auto cmd = rig::fault::make_fixture(w, context());
  auto out = cmd->act("power.cut", {}, nullptr, 0ms, rig::link::after(5s));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "command (power): power.cut apply: /bin/false exited with code 1");
}

TEST(ManualFixture, RefusedWhenNotInteractive) {
  rig::bench::FaultWiring w;
  w.family = "card";
  w.driver = "manual";
  w.settings = {{"card.insert.apply", "Insert the card"}, {"card.insert.clear", "Remove it"}};
  auto manual = rig::fault::make_fixture(w, context());
  auto out = manual->act("card.insert", {}, nullptr, 0ms, rig::link::after(1s));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message,
            "manual card fault 'card.insert' needs an operator at the bench, but rig is not "
            "interactive (stdin is not a terminal): Insert the card");
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
                 "relay, command, manual)");
  }
}

}  // namespace
