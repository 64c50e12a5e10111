// Drivers for lab hardware, driven by `rig run` on the virtual bench with the device replaced by
// a stand-in: the usbrelay driver runs a fake `usbrelay` found on PATH (the same command line
// and listing as Debian's tool, relays kept in files), so the run switches and checks real
// relays of a pretend board; a board that is not there makes the scenario an error naming the
// relay and what the tool listed. A programmable card simulator through the command driver (its
// tool stand-in, data/hardware/cardsim.py, drives vterm's card reader) gets each step's card,
// entry and damage as arguments, and the card scenarios pass through it.
#include <cstdlib>
#include <string>

#include "rig_run_test.h"

namespace {

using namespace rig_run_test;

const std::string kData = POSRIG_SOURCE_DIR "/tests/integration/data/hardware";

class HardwareDriversTest : public RigRunTest {
 protected:
  void SetUp() override {
    RigRunTest::SetUp();
    fs::create_directories(dir_ / "bin");
    // The fake usbrelay: relays PSUIO_1..2 and DRAW0_1 start off; each call is logged.
    fs::path tool = dir_ / "bin" / "usbrelay";
    std::ofstream(tool)
        << "#!/bin/sh\n"
           "dir=$(dirname \"$0\")/relays\n"
           "mkdir -p \"$dir\"\n"
           "for r in PSUIO_1 PSUIO_2 DRAW0_1; do\n"
           "  [ -f \"$dir/$r\" ] || echo 0 > \"$dir/$r\"\n"
           "done\n"
           "echo \"usbrelay $*\" >> \"$(dirname \"$0\")/calls\"\n"
           "if [ $# -eq 0 ]; then\n"
           "  for f in \"$dir\"/*; do echo \"$(basename \"$f\")=$(cat \"$f\")\"; done\n"
           "  echo 'enumerate_relay_boards()Found 2 devices' >&2\n"
           "  exit 0\n"
           "fi\n"
           "for a in \"$@\"; do\n"
           "  r=${a%%=*}\n"
           "  [ -f \"$dir/$r\" ] && echo \"${a#*=}\" > \"$dir/$r\"\n"
           "done\n"
           "exit 0\n";  // as Debian's usbrelay: 0 even for a relay it lacks
    fs::permissions(tool, fs::perms::owner_all);
    const char* path = std::getenv("PATH");
    saved_path_ = path ? path : "";
    ::setenv("PATH", ((dir_ / "bin").string() + ":" + saved_path_).c_str(), 1);
  }
  void TearDown() override {
    ::setenv("PATH", saved_path_.c_str(), 1);
    RigRunTest::TearDown();
  }
  // The virtual bench with each station's power on relay `relays[i]` of the fake board.
  std::string relay_bench(const std::vector<std::string>& relays) {
    std::string text = bench_text();
    const std::string vterm_power = "    power: {driver: vterm}\n";
    for (const auto& relay : relays) {
      text.replace(text.find(vterm_power), vterm_power.size(),
                   "    power: {driver: usbrelay, relay: " + relay + ", active: off}\n");
    }
    return write_bench(text);
  }
  std::string calls() { return read_file(dir_ / "bin" / "calls"); }
  std::string relay(const std::string& name) { return read_file(dir_ / "bin" / "relays" / name); }

  std::string saved_path_;
};

TEST_F(HardwareDriversTest, UsbRelaySwitchesThePowerAndChecksTheBoard) {
  std::string output;
  int rc = rig("run " + kData + "/relay-power-cycle.yaml --bench " +
                   relay_bench({"PSUIO_1", "PSUIO_2"}) + " --out " + out(),
               &output);
  EXPECT_EQ(rc, 0) << output;
  json r = results();
  const json& s = scenario(r, "hardware/relay-power-cycle");
  EXPECT_EQ(s["status"], "pass") << output;
  const std::string relay_of = s["station"] == "lane1" ? "PSUIO_1" : "PSUIO_2";
  // Cut: active off, so the relay goes off; each switch is followed by a listing.
  const std::string log = calls();
  std::size_t cut = log.find("usbrelay " + relay_of + "=0\nusbrelay \n");
  ASSERT_NE(cut, std::string::npos) << log;
  EXPECT_NE(log.find("usbrelay " + relay_of + "=1\nusbrelay \n", cut), std::string::npos) << log;
  EXPECT_EQ(relay(relay_of), "1\n");  // powered when the run ended
}

TEST_F(HardwareDriversTest, UsbRelayBoardThatIsNotThereIsAnErrorNamingTheRelay) {
  std::string output;
  int rc = rig("run " + kData + "/relay-power-cycle.yaml --bench " +
                   relay_bench({"GONE0_1", "GONE0_2"}) + " --out " + out(),
               &output);
  EXPECT_EQ(rc, 3) << output;  // an infrastructure error, not a failed terminal
  json r = results();
  const json& s = scenario(r, "hardware/relay-power-cycle");
  EXPECT_EQ(s["status"], "error") << output;
  const std::string msg = s["message"];
  EXPECT_NE(msg.find("usbrelay GONE0_"), std::string::npos) << msg;
  EXPECT_NE(msg.find(": usbrelay lists no relay GONE0_"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(it lists DRAW0_1=0\nPSUIO_1=0\nPSUIO_2=0)"), std::string::npos) << msg;
}

TEST_F(HardwareDriversTest, ValidateNamesABadRelayWhereItIsWritten) {
  std::string text = bench_text();
  text.replace(text.find("    power: {driver: vterm}\n"), 27,
               "    power: {driver: usbrelay, relay: PSUIO9}\n");
  std::string output;
  EXPECT_EQ(rig("validate " + kData + " --bench " + write_bench(text), &output), 2) << output;
  EXPECT_NE(output.find("bench.yaml:55:38: "), std::string::npos) << output;
  EXPECT_NE(output.find("relay must read SERIAL_N (the board's serial and the relay number: "
                        "BITFT_2), got 'PSUIO9'"),
            std::string::npos)
      << output;
}

TEST_F(HardwareDriversTest, CardSimulatorThroughTheCommandDriverGetsTheCardEntryAndDamage) {
  // Both stations' cards go through the simulator's tool; ${terminal.control} is the bench's
  // variable (the simulator's address), the others the step's.
  const std::string tool = "[/usr/bin/python3, " + kData + "/cardsim.py, \"${terminal.control}\"";
  const std::string present =
      tool + ", present, \"${card}\", \"${entry}\", \"${damage}\", " + "\"${failures}\"]";
  const std::string remove = tool + ", remove]";
  std::string text = bench_text();
  const std::string vterm_card = "    card: {driver: vterm}\n";
  for (std::size_t at; (at = text.find(vterm_card)) != std::string::npos;) {
    text.replace(at, vterm_card.size(),
                 "    card:\n      driver: command\n      faults:\n"
                 "        card.insert: {apply: " +
                     present + ", clear: " + remove +
                     "}\n"
                     "        card.swipe: {apply: " +
                     present + ", clear: " + remove +
                     "}\n"
                     "        card.tap: {apply: " +
                     present + ", clear: " + remove + "}\n");
  }
  const std::string log = (dir_ / "cardsim.log").string();
  ::setenv("CARDSIM_LOG", log.c_str(), 1);
  std::string output;
  int rc = rig("run " POSRIG_SOURCE_DIR "/scenarios/card/chip-mute-fallback.yaml " POSRIG_SOURCE_DIR
               "/scenarios/card/worn-stripe.yaml --bench " +
                   write_bench(text) + " --out " + out(),
               &output);
  ::unsetenv("CARDSIM_LOG");
  EXPECT_EQ(rc, 0) << output;
  json r = results();
  EXPECT_EQ(scenario(r, "card/chip-mute-fallback")["status"], "pass") << output;
  EXPECT_EQ(scenario(r, "card/worn-stripe")["status"], "pass") << output;
  // The simulator was told which card, how, and what is wrong with it (the two stations'
  // calls interleave in the log).
  const std::string calls = read_file(log);
  for (const char* call :
       {"present visa-chip insert chip_mute 0\n", "present visa-chip swipe none 0\n",
        "present mag-only swipe mag_blank 0\n", "present mag-only swipe mag_garbled 0\n",
        "present mag-only swipe none 0\n", "remove\n"}) {
    EXPECT_NE(calls.find(call), std::string::npos) << call << " not in\n" << calls;
  }
}

}  // namespace
