// Bench files: the shipped ones load, and mistakes are reported with file:line:col.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "rig/bench/bench.h"
#include "rig/bench/config_error.h"
#include "rig/bench/variables.h"

namespace {

std::vector<std::string> issues_of(const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / ("posrig-bench-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << text;
  std::vector<std::string> out;
  try {
    rig::bench::load_bench(path.string());
  } catch (const rig::ConfigError& e) {
    for (const auto& i : e.issues()) {
      std::string s = i.to_string();
      out.push_back(s.substr(s.find(".yaml:") + 6));  // drop the temp path
    }
  }
  std::filesystem::remove(path);
  return out;
}

TEST(BenchLoad, VirtualBench) {
  auto bench = rig::bench::load_bench(POSRIG_SOURCE_DIR "/fixtures/benches/virtual.yaml");
  EXPECT_EQ(bench.name, "virtual");
  EXPECT_DOUBLE_EQ(bench.time_scale, 0.05);
  ASSERT_EQ(bench.stations.size(), 2u);
  ASSERT_EQ(bench.services.size(), 1u);
  EXPECT_EQ(bench.services[0].name, "vhost");
  const auto& lane1 = bench.stations[0];
  EXPECT_EQ(lane1.name, "lane1");
  EXPECT_EQ(lane1.terminal.tid, "RIG00001");
  EXPECT_FALSE(lane1.terminal.launch.argv.empty());
  EXPECT_EQ(lane1.faults.at("network").driver, "proxy");
  EXPECT_EQ(lane1.faults.at("power").driver, "vterm");
  EXPECT_EQ(lane1.faults.at("acquirer").driver, "vhost");
  EXPECT_EQ(bench.cards_dir, POSRIG_SOURCE_DIR "/fixtures/cards");
  EXPECT_EQ(lane1.terminal.supervisor_password, "9999");
}

TEST(BenchLoad, HardwareExample) {
  auto bench = rig::bench::load_bench(POSRIG_SOURCE_DIR "/fixtures/benches/hardware-example.yaml");
  const auto& st = bench.stations.at(0);
  EXPECT_EQ(st.faults.at("power").driver, "relay");
  EXPECT_EQ(st.faults.at("power").settings.at("active"), "off");
  EXPECT_EQ(st.faults.at("card").driver, "manual");
  EXPECT_TRUE(st.terminal.launch.argv.empty());
}

TEST(BenchLoad, ReportsEveryMistake) {
  auto issues = issues_of(
      "name: b\n"
      "time_scale: 2\n"
      "bind: 0.0.0.0\n"
      "stations:\n"
      "  - name: a\n"
      "    terminal: {link: pty, attempts: 0, supervisor_password: 12ab}\n"
      "    network: {driver: wifi}\n"
      "    power: {driver: relay, channel: 9}\n"
      "    colour: red\n"
      "  - name: a\n"
      "    terminal: {link: pty}\n");
  std::vector<std::string> want = {
      "2:13: time_scale must be above 0 and at most 1",
      "3:7: binding to '0.0.0.0' (beyond loopback) needs a token",
      "6:37: attempts must be 1 to 10",
      "6:61: supervisor_password must be digits (keypad keys)",
      "7:23: unknown driver 'wifi' (known: proxy, command, relay, manual)",
      "8:12: missing key 'link' in power of station 'a'",
      "8:37: relay channel must be 1 to 8, got '9'",
      "9:5: unknown key 'colour' in station 1 (known: name, terminal, host, acquirer, card, "
      "keypad, network, power, printer, scanner)",
      "10:11: station name 'a' is used twice",
  };
  EXPECT_EQ(issues, want);
}

TEST(Variables, ExpandsAndNamesUnknownOnes) {
  rig::bench::Variables vars;
  vars.set("run_dir", "/tmp/r");
  vars.add_ready_line("vhost", "READY iso=127.0.0.1:4000 wallet=127.0.0.1:4001");
  EXPECT_EQ(vars.expand("${run_dir}/a ${vhost.iso} $$5"), "/tmp/r/a 127.0.0.1:4000 $5");
  EXPECT_EQ(vars.get("vhost.wallet"), "127.0.0.1:4001");
  try {
    vars.expand("${vhost.admin}");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "unknown variable ${vhost.admin} in '${vhost.admin}' (known: run_dir, vhost.iso, "
                 "vhost.wallet)");
  }
  EXPECT_THROW(vars.expand("${oops"), std::invalid_argument);
}

}  // namespace
