// Bench files: the shipped ones load, and mistakes are reported with file:line:col.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "bench_test_util.h"
#include "rig/bench/bench.h"
#include "rig/bench/config_error.h"
#include "rig/bench/variables.h"

namespace {

std::vector<std::string> issues_of(const std::string& text) {
  return rig::bench::bench_load_issues(text);
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
  EXPECT_EQ(lane1.terminal.profile.name, "vterm");
  EXPECT_EQ(lane1.terminal.profile.file, POSRIG_SOURCE_DIR "/fixtures/profiles/vterm.yaml");
  EXPECT_EQ(lane1.terminal.profile.supervisor_password, "9999");
  EXPECT_EQ(lane1.terminal.profile.operator_password, "0000");
}

TEST(BenchLoad, AlternativeVirtualBenchCarriesItsProfile) {
  auto bench = rig::bench::load_bench(POSRIG_SOURCE_DIR "/fixtures/benches/virtual-alt.yaml");
  EXPECT_EQ(bench.name, "virtual-alt");
  ASSERT_EQ(bench.stations.size(), 2u);
  for (const auto& st : bench.stations) {
    const auto& p = st.terminal.profile;
    EXPECT_EQ(p.name, "vterm-alt");
    EXPECT_EQ(p.host_timeout, std::chrono::seconds(60));
    EXPECT_EQ(p.reversal_attempts, 5);
    EXPECT_EQ(p.chip_reads, 2);
    EXPECT_EQ(p.wallet_queries, 5);
    EXPECT_EQ(p.wallet_query_interval, std::chrono::seconds(5));
    EXPECT_EQ(p.currency, "978");
    // vterm gets the profile's figures and its own words.
    const auto& argv = st.terminal.launch.argv;
    auto at = std::find(argv.begin(), argv.end(), "--host-timeout");
    ASSERT_NE(at, argv.end());
    EXPECT_EQ(*(at + 1), "${profile.host_timeout}");
    EXPECT_NE(std::find(argv.begin(), argv.end(), "receipt_amount=Total {currency} {amount}"),
              argv.end());
  }
}

TEST(BenchLoad, ProfileInlineFileOrDeprecatedKey) {
  auto bench = [](const std::string& terminal) {
    return "name: b\nstations:\n  - name: a\n    terminal: " + terminal + "\n";
  };
  // No profile: the defaults; the old key still gives the supervisor password.
  auto path = std::filesystem::temp_directory_path() /
              ("posrig-bench-p-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << bench("{link: pty, supervisor_password: \"9999\"}");
  auto b = rig::bench::load_bench(path.string());
  EXPECT_EQ(b.stations[0].terminal.profile.name, "defaults");
  EXPECT_EQ(b.stations[0].terminal.profile.supervisor_password, "9999");
  EXPECT_EQ(b.stations[0].terminal.profile.host_timeout, std::chrono::seconds(30));
  std::ofstream(path) << bench("{link: pty, profile: {host_timeout: 45s, chip_reads: 2}}");
  b = rig::bench::load_bench(path.string());
  EXPECT_EQ(b.stations[0].terminal.profile.name, "inline");
  EXPECT_EQ(b.stations[0].terminal.profile.host_timeout, std::chrono::seconds(45));
  EXPECT_EQ(b.stations[0].terminal.profile.chip_reads, 2);
  std::filesystem::remove(path);

  EXPECT_EQ(issues_of(bench(
                "{link: pty, profile: {host_timeout: 100s, wording: {locked_display: \"(\"}}}")),
            (std::vector<std::string>{
                "4:51: host_timeout must be 20s to 90s (DOMAIN rule 1), got 100s",
                "4:83: wording 'locked_display': not a regular expression: Mismatched '(' and ')' "
                "in regular expression"}));
  EXPECT_EQ(issues_of(bench("{link: pty, profile: nowhere.yaml}")).at(0).substr(0, 59),
            "4:36: profile 'nowhere.yaml' of station 'a': no such file (");
  EXPECT_EQ(issues_of(bench("{link: pty, profile: {supervisor_password: \"1111\"}, "
                            "supervisor_password: \"2222\"}")),
            (std::vector<std::string>{"4:88: supervisor_password differs from the one of the "
                                      "profile (inline); give it in the profile only"}));
}

TEST(BenchLoad, HardwareExample) {
  auto bench = rig::bench::load_bench(POSRIG_SOURCE_DIR "/fixtures/benches/hardware-example.yaml");
  const auto& st = bench.stations.at(0);
  EXPECT_EQ(st.faults.at("power").driver, "relay");
  EXPECT_EQ(st.faults.at("power").settings.at("active"), "off");
  EXPECT_EQ(st.faults.at("card").driver, "manual");
  EXPECT_EQ(st.faults.at("scanner").driver, "code-display");
  EXPECT_EQ(st.faults.at("scanner").settings.at("show"), 3000);
  EXPECT_EQ(st.faults.at("scanner").settings.at("confirm"), 5000);  // the default
  EXPECT_TRUE(st.terminal.launch.argv.empty());
}

TEST(BenchLoad, CodeDisplaySettingsAreCheckedWhereWritten) {
  auto issues = issues_of(
      "name: b\n"
      "stations:\n"
      "  - name: a\n"
      "    terminal: {link: pty}\n"
      "    scanner: {driver: code-display, listen: display.lan:8470, show: 2, seed: -1}\n"
      "    card: {driver: code-display, listen: 127.0.0.1:0}\n");
  std::vector<std::string> want = {
      "5:45: listen 'display.lan:8470': the host must be an IP address (0.0.0.0 for every "
      "interface), not a name",
      "5:69: bad duration '2': expected a number followed by ms, s or m",
      "5:78: seed must be 0 to 4294967295, got -1",
      "6:20: unknown driver 'code-display' (known: vterm, command, manual)",
  };
  EXPECT_EQ(issues, want);
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
      "6:61: supervisor_password: expected 4 to 12 digits (keypad keys)",
      "7:23: unknown driver 'wifi' (known: proxy, relay, usbrelay, http-power, command, manual)",
      "8:12: missing key 'link' in power of station 'a'",
      "8:37: channel must be 1 to 8, got 9",
      "9:5: unknown key 'colour' in station 1 (known: name, terminal, host, network, scanner, "
      "card, keypad, printer, power, acquirer)",
      "10:11: station name 'a' is used twice",
  };
  EXPECT_EQ(issues, want);
}

// Beyond loopback the proxy's data path is open only to listed sources (a terminal cannot send
// the token): without allow_from the bench is refused at the station's network entry.
TEST(BenchLoad, ProxyBeyondLoopbackNeedsAnAllowList) {
  const std::string head =
      "name: b\n"
      "bind: 0.0.0.0\n"
      "token: s3cret\n"
      "stations:\n"
      "  - name: lane1\n"
      "    terminal: {link: pty}\n";
  EXPECT_EQ(issues_of(head + "    network: {driver: proxy}\n"),
            std::vector<std::string>{
                "7:14: the network proxy of station 'lane1' would listen on '0.0.0.0' (beyond "
                "loopback), where terminals cannot send the token: list the sources it accepts, "
                "allow_from: [CIDR, …]"});
  EXPECT_EQ(issues_of(head + "    network: {driver: proxy, allow_from: [10.1.2.0/24, \"::1\"]}\n"),
            std::vector<std::string>{});
  EXPECT_EQ(issues_of(head + "    network: {driver: proxy, allow_from: [10.1.2.0/33]}\n"),
            std::vector<std::string>{
                "7:42: allow_from: '10.1.2.0/33': the prefix of an IPv4 block is 0 to 32"});
  EXPECT_EQ(issues_of(head + "    network: {driver: proxy, allow_from: []}\n"),
            (std::vector<std::string>{
                "7:14: the network proxy of station 'lane1' would listen on '0.0.0.0' (beyond "
                "loopback), where terminals cannot send the token: list the sources it accepts, "
                "allow_from: [CIDR, …]",
                "7:42: allow_from of network driver proxy is empty"}));
  // On loopback it is optional, and applies when given.
  EXPECT_EQ(issues_of("name: b\nstations:\n  - name: lane1\n    terminal: {link: pty}\n"
                      "    network: {driver: proxy, allow_from: [127.0.0.1]}\n"),
            std::vector<std::string>{});
}

// The terminal driver is one the registry knows; its own settings are kept as text.
TEST(BenchLoad, TerminalDriverAndItsSettings) {
  auto issues = issues_of(
      "name: b\n"
      "stations:\n"
      "  - name: a\n"
      "    terminal: {driver: opi, link: pty}\n"
      "  - name: b\n"
      "    terminal: {link: pty, settings: {password: [1]}}\n");
  std::vector<std::string> want = {
      "4:24: unknown driver 'opi' (known: rig-ecr, zvt, adapter)",
      "6:48: expected text, got a list",
  };
  EXPECT_EQ(issues, want);

  auto path = std::filesystem::temp_directory_path() /
              ("posrig-bench-settings-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "name: b\nstations:\n  - name: a\n    terminal:\n      driver: rig-ecr\n"
                         "      link: pty\n      settings: {password: \"000000\", port: 20007}\n";
  auto bench = rig::bench::load_bench(path.string());
  std::filesystem::remove(path);
  EXPECT_EQ(bench.stations.at(0).terminal.settings,
            (std::map<std::string, std::string>{{"password", "000000"}, {"port", "20007"}}));
}

// A driver that declares its settings (adapter) has them checked when the bench loads.
TEST(BenchLoad, DeclaredTerminalSettingsAreChecked) {
  auto issues = issues_of(
      "name: b\n"
      "stations:\n"
      "  - name: a\n"
      "    terminal: {driver: adapter, link: pty}\n"
      "  - name: b\n"
      "    terminal: {driver: adapter, link: pty, settings: {reply_timeout: 5s}}\n"
      "  - name: c\n"
      "    terminal:\n"
      "      driver: adapter\n"
      "      link: pty\n"
      "      settings: {command: python3 x.py, hello_timeout: soon, colour: red}\n"
      "  - name: d\n"
      "    terminal: {driver: adapter, link: pty, settings: {command: []}}\n");
  std::vector<std::string> want = {
      "4:15: missing key 'settings' in terminal of station 'a' (driver adapter needs "
      "settings.command)",
      "6:54: missing key 'command' in settings of the terminal of station 'b'",
      "11:27: expected a list, got 'python3 x.py'",
      "11:56: hello_timeout of settings of the terminal of station 'c' must be a duration "
      "(500ms, 10s), got 'soon'",
      "11:62: unknown key 'colour' in settings of the terminal of station 'c' (known: command, "
      "hello_timeout, reply_timeout)",
      "13:64: command of settings of the terminal of station 'd' is empty",
  };
  EXPECT_EQ(issues, want);

  auto bench = rig::bench::load_bench(POSRIG_SOURCE_DIR "/fixtures/benches/virtual-adapter.yaml");
  const auto& t = bench.stations.at(0).terminal;
  EXPECT_EQ(t.driver, "adapter");
  EXPECT_EQ(t.list_settings.at("command"),
            (std::vector<std::string>{"/usr/bin/python3",
                                      "${bench_dir}/../adapters/rig_ecr_adapter.py"}));
  EXPECT_EQ(t.settings.at("reply_timeout"), "5s");
}

// Loopback is decided on the parsed address: no name but "localhost" is looked up or trusted.
// std::regex compiles by recursion: a pattern nested this deep overflowed the stack (SIGSEGV)
// before it was refused for its length (rig/bench/user_regex.h, found by fuzz_bench).
TEST(BenchLoad, ARegularExpressionTooLongToCompileIsAnErrorNotACrash) {
  const std::string deep = std::string(50000, '(') + "READY" + std::string(50000, ')');
  const std::string too_long =
      "(a pattern of 100005 bytes, more than the 1000 a regular expression may have)";
  std::vector<std::string> issues = issues_of("name: b\nservices:\n  s: {argv: [x], ready: '" +
                                              deep + "'}\nstations:\n  - name: a\n" +
                                              "    terminal: {link: pty}\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].rfind("3:25: ready of service 's' is not a regular expression: '((", 0), 0u)
      << issues[0].substr(0, 200);
  EXPECT_EQ(issues[0].substr(issues[0].size() - too_long.size()), too_long);

  issues = issues_of("name: b\nstations:\n  - name: a\n    terminal: {link: pty, profile: "
                     "{wording: {locked_display: '" + deep + "'}}}\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0], "4:63: wording 'locked_display': not a regular expression: " +
                           too_long.substr(1, too_long.size() - 2));
  // The longest pattern allowed compiles.
  const std::string longest = std::string(497, '(') + "READY!" + std::string(497, ')');
  EXPECT_EQ(issues_of("name: b\nservices:\n  s: {argv: [x], ready: '" + longest +
                      "'}\nstations:\n  - name: a\n    terminal: {link: pty}\n"),
            std::vector<std::string>{});
}

TEST(BenchLoad, LoopbackIsTheParsedAddressOnly) {
  for (const char* yes :
       {"127.0.0.1", "127.1.2.3", "127.255.255.254", "::1", "localhost", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(rig::bench::is_loopback(yes)) << yes;
  }
  for (const char* no :
       {"127.evil.example", "127.0.0.1.nip.io", "127.", "127.0.0.256", "0.0.0.0", "::", "10.0.0.1",
        "::ffff:10.0.0.1", "localhost.evil.example", "LOCALHOST.", "", " 127.0.0.1"}) {
    EXPECT_FALSE(rig::bench::is_loopback(no)) << no;
  }
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

// A link written out in full is checked at load time, at its file:line:col; one with ${…} waits
// for the station to come up.
TEST(BenchLoad, BadLinkSpecsAreReportedWhereTheyAre) {
  auto issues = issues_of(
      "name: b\n"
      "stations:\n"
      "  - name: a\n"
      "    terminal: {link: \"rfc2217://bench-host\"}\n"
      "  - name: b\n"
      "    terminal: {link: \"rfc2217://bench-host:99999\"}\n"
      "  - name: c\n"
      "    terminal: {link: \"rfc2217://bench-host:2001?baud=fast&data=8&parity=none&stop=1&"
      "flow=none\"}\n"
      "  - name: d\n"
      "    terminal: {link: \"rfc2217://${bench_host}:2001\"}\n"
      "  - name: e\n"
      "    terminal: {link: \"rfc2217://[::1]:2001?baud=115200&data=8&parity=none&stop=1&"
      "flow=rtscts\"}\n"
      "  - name: f\n"
      "    terminal: {link: \"tcp:host\"}\n");
  std::vector<std::string> want = {
      "4:22: bad link spec \"rfc2217://bench-host\": expected rfc2217://HOST:PORT",
      "6:22: bad link spec \"rfc2217://bench-host:99999\": bad port \"99999\": expected 1 to "
      "65535",
      "8:22: bad link spec \"rfc2217://bench-host:2001?baud=fast&data=8&parity=none&stop=1&"
      "flow=none\": bad baud \"fast\": expected a positive integer",
      "14:22: bad link spec \"tcp:host\": expected tcp:HOST:PORT",
  };
  EXPECT_EQ(issues, want);
}
