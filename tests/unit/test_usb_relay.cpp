// The usbrelay fixture driver's command lines and its reading of `usbrelay`'s listing; the
// driver running a stand-in `usbrelay` is tests/integration/test_hardware_drivers.cpp.
#include <gtest/gtest.h>

#include "rig/fault/usb_relay.h"

namespace {

using nlohmann::json;
using Argv = std::vector<std::string>;

TEST(UsbRelay, CommandLines) {
  json s = {{"relay", "BITFT_2"}};
  EXPECT_EQ(rig::fault::usbrelay_switch_argv(s, true), (Argv{"usbrelay", "BITFT_2=1"}));
  EXPECT_EQ(rig::fault::usbrelay_switch_argv(s, false), (Argv{"usbrelay", "BITFT_2=0"}));
  EXPECT_EQ(rig::fault::usbrelay_list_argv(s), (Argv{"usbrelay"}));
  s["command"] = {"sudo", "-n", "/usr/bin/usbrelay"};
  EXPECT_EQ(rig::fault::usbrelay_switch_argv(s, true),
            (Argv{"sudo", "-n", "/usr/bin/usbrelay", "BITFT_2=1"}));
  EXPECT_EQ(rig::fault::usbrelay_list_argv(s), (Argv{"sudo", "-n", "/usr/bin/usbrelay"}));
}

TEST(UsbRelay, ReadsTheListing) {
  // As usbrelay 1.0 prints it: one SERIAL_N=STATE line per relay of every board.
  const std::string listing = "BITFT_1=0\nBITFT_2=1\r\nQAAMZ_1=1\nQAAMZ_10=0\n";
  EXPECT_EQ(rig::fault::usbrelay_state(listing, "BITFT_1"), false);
  EXPECT_EQ(rig::fault::usbrelay_state(listing, "BITFT_2"), true);
  EXPECT_EQ(rig::fault::usbrelay_state(listing, "QAAMZ_1"), true);  // not QAAMZ_10
  EXPECT_EQ(rig::fault::usbrelay_state(listing, "BITFT_3"), std::nullopt);
  EXPECT_EQ(rig::fault::usbrelay_state("", "BITFT_1"), std::nullopt);
  EXPECT_EQ(rig::fault::usbrelay_state("BITFT_1=x\n", "BITFT_1"), std::nullopt);
}

TEST(UsbRelay, RelayNamesAreCheckedWhenBuilt) {
  rig::bench::FaultWiring w;
  w.family = "power";
  w.driver = "usbrelay";
  w.settings = {{"relay", "${board}_9"}};
  rig::fault::FixtureContext c;
  c.station = "lane9";
  c.expand = [](const std::string& s) { return s == "${board}_9" ? "BITFT_9" : s; };
  try {
    rig::fault::make_fixture(w, c);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "station 'lane9', power driver usbrelay: relays of a board are numbered 1 to 8, "
                 "got '9'");
  }
}

}  // namespace
