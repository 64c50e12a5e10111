// Serial transport (libserialport): settings grammar, USB id lookup, enumeration, open errors,
// make_link() over every spec kind, and the `rig ports` command.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "rig/link/pty.h"
#include "rig/link/serial.h"
#include "rig/link/tcp.h"

namespace rig::link {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string invalid_argument_text(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no std::invalid_argument thrown)";
}

// ---------------------------------------------------------------------------------------------
// Settings

TEST(SerialSettingsTest, EmptyQueryIsTheRigEcrDefault) {
  SerialSettings settings = parse_serial_settings("");
  EXPECT_EQ(settings.baud, 9600);
  EXPECT_EQ(settings.data_bits, 8);
  EXPECT_EQ(settings.parity, Parity::none);
  EXPECT_EQ(settings.stop_bits, 1);
  EXPECT_EQ(settings.flow, Flow::none);
  EXPECT_EQ(settings, SerialSettings::rig_ecr_default());
}

TEST(SerialSettingsTest, ParsesAllFiveInAnyOrder) {
  SerialSettings settings =
      parse_serial_settings("flow=rtscts&stop=2&parity=even&data=7&baud=115200");
  EXPECT_EQ(settings, (SerialSettings{115200, 7, Parity::even, 2, Flow::rtscts}));
}

TEST(SerialSettingsTest, FormatAndParseRoundTrip) {
  std::vector<SerialSettings> cases;
  for (Parity parity : {Parity::none, Parity::odd, Parity::even, Parity::mark, Parity::space}) {
    for (Flow flow : {Flow::none, Flow::xonxoff, Flow::rtscts, Flow::dtrdsr}) {
      cases.push_back({19200, 7, parity, 2, flow});
    }
  }
  for (int data = 5; data <= 8; ++data) cases.push_back({1200, data, Parity::odd, 1, Flow::none});
  cases.push_back({921600, 8, Parity::none, 1, Flow::none});
  for (const SerialSettings& settings : cases) {
    std::string text = format_serial_settings(settings);
    EXPECT_EQ(parse_serial_settings(text), settings) << text;
  }
  EXPECT_EQ(format_serial_settings({115200, 8, Parity::none, 1, Flow::none}),
            "baud=115200&data=8&parity=none&stop=1&flow=none");
  EXPECT_EQ(format_serial_settings({9600, 7, Parity::mark, 2, Flow::dtrdsr}),
            "baud=9600&data=7&parity=mark&stop=2&flow=dtrdsr");
}

TEST(SerialSettingsTest, EachBadSettingIsRejectedByName) {
  const std::string good_tail = "&data=8&parity=none&stop=1&flow=none";
  struct Case {
    std::string query, message;
  };
  const std::vector<Case> cases = {
      {"baud=fast" + good_tail, "bad baud \"fast\": expected a positive integer"},
      {"baud=0" + good_tail, "bad baud \"0\": expected a positive integer"},
      {"baud=-9600" + good_tail, "bad baud \"-9600\": expected a positive integer"},
      {"baud=" + good_tail, "bad baud \"\": expected a positive integer"},
      {"baud=9600&data=9&parity=none&stop=1&flow=none", "bad data \"9\": expected 5, 6, 7 or 8"},
      {"baud=9600&data=8bit&parity=none&stop=1&flow=none",
       "bad data \"8bit\": expected 5, 6, 7 or 8"},
      {"baud=9600&data=8&parity=N&stop=1&flow=none",
       "bad parity \"N\": expected none, odd, even, mark or space"},
      {"baud=9600&data=8&parity=none&stop=1.5&flow=none", "bad stop \"1.5\": expected 1 or 2"},
      {"baud=9600&data=8&parity=none&stop=0&flow=none", "bad stop \"0\": expected 1 or 2"},
      {"baud=9600&data=8&parity=none&stop=1&flow=hardware",
       "bad flow \"hardware\": expected none, xonxoff, rtscts or dtrdsr"},
      {"baud=9600", "missing data (serial settings need baud, data, parity, stop and flow)"},
      {"data=8&parity=none&stop=1&flow=none",
       "missing baud (serial settings need baud, data, parity, stop and flow)"},
      {"baud=9600&data=8&parity=none&stop=1",
       "missing flow (serial settings need baud, data, parity, stop and flow)"},
      {"speed=9600" + good_tail,
       "unknown serial setting \"speed\": expected baud, data, parity, stop or flow"},
      {"baud=9600&baud=9600" + good_tail, "serial setting \"baud\" given twice"},
      {"baud" + good_tail, "bad serial setting \"baud\": expected key=value"},
      {"baud=9600&&data=8&parity=none&stop=1&flow=none",
       "bad serial setting \"\": expected key=value"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(invalid_argument_text([&] { parse_serial_settings(c.query); }), c.message) << c.query;
  }
}

TEST(SerialSettingsTest, ValidateRejectsAStructWithAnUnsetField) {
  EXPECT_EQ(invalid_argument_text([] { validate(SerialSettings{}); }),
            "bad baud \"0\": expected a positive integer");
  EXPECT_EQ(invalid_argument_text([] {
              validate({9600, 4, Parity::none, 1, Flow::none});
            }),
            "bad data \"4\": expected 5, 6, 7 or 8");
  EXPECT_EQ(invalid_argument_text([] {
              validate({9600, 8, Parity::none, 3, Flow::none});
            }),
            "bad stop \"3\": expected 1 or 2");
  EXPECT_EQ(invalid_argument_text([] {
              validate({9600, 8, static_cast<Parity>(9), 1, Flow::none});
            }),
            "bad parity \"9\": expected none, odd, even, mark or space");
  EXPECT_EQ(invalid_argument_text([] { SerialLink link("/dev/ttyS0", SerialSettings{}); }),
            "bad baud \"0\": expected a positive integer");
  EXPECT_NO_THROW(validate(SerialSettings::rig_ecr_default()));
}

// ---------------------------------------------------------------------------------------------
// USB ids

std::vector<PortInfo> sample_ports() {
  PortInfo ftdi;
  ftdi.name = "/dev/ttyUSB0";
  ftdi.description = "FT232R USB UART";
  ftdi.usb_vid = 0x0403;
  ftdi.usb_pid = 0x6001;
  ftdi.serial_number = "A50285BI";
  ftdi.transport = "usb";
  PortInfo ftdi2 = ftdi;
  ftdi2.name = "/dev/ttyUSB1";
  ftdi2.serial_number = "B7";
  PortInfo cp210x;
  cp210x.name = "/dev/ttyUSB2";
  cp210x.usb_vid = 0x10c4;
  cp210x.usb_pid = 0xea60;
  cp210x.transport = "usb";
  PortInfo uart;
  uart.name = "/dev/ttyS0";
  uart.description = "ttyS0";
  uart.transport = "native";
  return {ftdi, ftdi2, cp210x, uart};
}

TEST(UsbIdTest, ParsesHexWithOrWithoutPrefixAndSerial) {
  UsbId id = parse_usb_id("usb:0403:6001");
  EXPECT_EQ(id.vid, 0x0403);
  EXPECT_EQ(id.pid, 0x6001);
  EXPECT_EQ(id.serial, "");
  UsbId upper = parse_usb_id("10C4:EA60:ab:cd");
  EXPECT_EQ(upper.vid, 0x10c4);
  EXPECT_EQ(upper.pid, 0xea60);
  EXPECT_EQ(upper.serial, "ab:cd");
  EXPECT_EQ(upper.to_string(), "usb:10c4:ea60:ab:cd");
  EXPECT_EQ(parse_usb_id("403:6001").to_string(), "usb:0403:6001");
}

TEST(UsbIdTest, RejectsMalformedIds) {
  for (std::string bad :
       {"", "0403", "0403:", ":6001", "zz:6001", "0403:60011", "0403:6001:", "usb:0403-6001"}) {
    EXPECT_EQ(invalid_argument_text([&] { parse_usb_id(bad); }),
              "bad USB id \"" + bad + "\": expected VID:PID[:SERIAL] in hex, e.g. 0403:6001")
        << bad;
  }
}

std::string lookup_error(const UsbId& id, const std::vector<PortInfo>& ports) {
  try {
    return "(found " + find_usb_port(id, ports) + ")";
  } catch (const std::runtime_error& e) {
    return e.what();
  }
}

TEST(UsbIdTest, FindsThePortByIdAndSerial) {
  auto ports = sample_ports();
  EXPECT_EQ(find_usb_port(parse_usb_id("0403:6001:A50285BI"), ports), "/dev/ttyUSB0");
  EXPECT_EQ(find_usb_port(parse_usb_id("0403:6001:B7"), ports), "/dev/ttyUSB1");
  EXPECT_EQ(find_usb_port(parse_usb_id("10c4:ea60"), ports), "/dev/ttyUSB2");
  // Without its twin, the adapter is found by VID:PID alone.
  ports.erase(ports.begin() + 1);
  EXPECT_EQ(find_usb_port(parse_usb_id("0403:6001"), ports), "/dev/ttyUSB0");
}

TEST(UsbIdTest, SeveralMatchesAreAnErrorNotAGuess) {
  auto ports = sample_ports();
  EXPECT_EQ(lookup_error(parse_usb_id("0403:6001"), ports),
            "usb:0403:6001: 2 serial ports have that USB id (/dev/ttyUSB0 usb=0403:6001 "
            "serial=A50285BI, /dev/ttyUSB1 usb=0403:6001 serial=B7); add the serial number or "
            "name the port by path");
  // Twins without serial numbers (common with cheap adapters) cannot be told apart by id.
  ports[0].serial_number = ports[1].serial_number = "";
  EXPECT_EQ(lookup_error(parse_usb_id("0403:6001"), ports),
            "usb:0403:6001: 2 serial ports have that USB id (/dev/ttyUSB0 usb=0403:6001, "
            "/dev/ttyUSB1 usb=0403:6001); add the serial number or name the port by path");
}

TEST(UsbIdTest, NoMatchListsWhatWasFound) {
  auto message = lookup_error;
  EXPECT_EQ(message(parse_usb_id("0403:6001"), {}),
            "usb:0403:6001: no serial port with that USB id (found: none)");
  EXPECT_EQ(message(parse_usb_id("0403:6001:XYZ"), sample_ports()),
            "usb:0403:6001:XYZ: no serial port with that USB id (found: /dev/ttyUSB0 "
            "usb=0403:6001 serial=A50285BI, /dev/ttyUSB1 usb=0403:6001 serial=B7, /dev/ttyUSB2 "
            "usb=10c4:ea60, /dev/ttyS0)");
}

TEST(UsbIdTest, SerialLinkReportsAnAbsentUsbIdOnOpen) {
  SerialLink link(parse_usb_id("fffe:fffd:POSRIG"), SerialSettings::rig_ecr_default());
  EXPECT_EQ(link.name(), "usb:fffe:fffd:POSRIG");
  Status status = link.open();
  EXPECT_EQ(status.code, IoStatus::error);
  // The listing is whatever this machine has; the id and the wording are fixed.
  EXPECT_EQ(
      status.message.rfind("usb:fffe:fffd:POSRIG: no serial port with that USB id (found: ", 0), 0u)
      << status.message;
  EXPECT_FALSE(link.is_open());
}

TEST(PortListing, DescribeShowsWhatIsKnown) {
  auto ports = sample_ports();
  EXPECT_EQ(describe_port(ports[0]),
            "/dev/ttyUSB0  FT232R USB UART  usb=0403:6001  serial=A50285BI");
  EXPECT_EQ(describe_port(ports[2]), "/dev/ttyUSB2  usb=10c4:ea60");
  EXPECT_EQ(describe_port(ports[3]), "/dev/ttyS0  ttyS0");
}

TEST(PortListing, ListPortsRunsAndDescribesEachPort) {
  std::vector<PortInfo> ports;
  ASSERT_NO_THROW(ports = list_ports());
  const std::set<std::string> transports = {"usb", "native", "bluetooth", "unknown"};
  for (const PortInfo& port : ports) {
    EXPECT_FALSE(port.name.empty());
    EXPECT_EQ(transports.count(port.transport), 1u) << port.name << ": " << port.transport;
    EXPECT_EQ(port.usb_vid.has_value(), port.usb_pid.has_value()) << port.name;
    if (port.transport != "usb") {
      EXPECT_FALSE(port.usb_vid.has_value()) << port.name;
    }
  }
  EXPECT_TRUE(std::is_sorted(ports.begin(), ports.end(),
                             [](const PortInfo& a, const PortInfo& b) { return a.name < b.name; }));
}

// ---------------------------------------------------------------------------------------------
// Opening

TEST(SerialLinkOpen, MissingPortGivesTheExactError) {
  SerialLink link("/dev/ttyPOSRIG-missing", SerialSettings::rig_ecr_default());
  Status status = link.open();
  EXPECT_EQ(status.code, IoStatus::error);
  EXPECT_EQ(status.message, "/dev/ttyPOSRIG-missing: open failed: No such file or directory");
  EXPECT_FALSE(link.is_open());
  // The error stays the same on a second try (no stale libserialport state).
  EXPECT_EQ(link.open().message, status.message);
}

TEST(SerialLinkOpen, PtyIsRefusedWithAHint) {
  // libserialport 0.1.1 finds no sysfs entry for a pty; ptys go through PtyLink.
  PtyMaster master;
  ASSERT_TRUE(master.open());
  SerialLink link(master.slave_path(), SerialSettings::rig_ecr_default());
  Status status = link.open();
  EXPECT_EQ(status.code, IoStatus::error);
  EXPECT_EQ(status.message, master.slave_path() +
                                ": open failed: not a serial port libserialport knows (for a pty "
                                "use pty:" +
                                master.slave_path() + ")");
}

TEST(SerialLinkOpen, NonSerialDeviceIsRefusedWithoutThePtyHint) {
  SerialLink link("/dev/null", SerialSettings::rig_ecr_default());
  Status status = link.open();
  EXPECT_EQ(status.code, IoStatus::error);
  EXPECT_EQ(status.message, "/dev/null: open failed: not a serial port libserialport knows");
  EXPECT_FALSE(link.is_open());
}

// Opt-in: POSRIG_TEST_SERIAL_PORT=/dev/ttyUSB0 runs open/close/read against a real port whose
// other end is silent (nothing attached, or a device that only answers requests).
TEST(SerialLinkOpen, RealPortOpensAndHonoursDeadlines) {
  const char* port = std::getenv("POSRIG_TEST_SERIAL_PORT");
  if (!port || !*port) GTEST_SKIP() << "set POSRIG_TEST_SERIAL_PORT to test a real port";
  SerialLink link(port, SerialSettings::rig_ecr_default());
  for (int round = 0; round < 2; ++round) {
    Status opened = link.open();
    ASSERT_TRUE(opened) << opened.message;
    auto start = Clock::now();
    Chunk chunk = link.read(start + milliseconds(200));
    EXPECT_EQ(chunk.status.code, IoStatus::timeout) << chunk.status.message;
    EXPECT_EQ(chunk.status.message, std::string(port) + ": read timed out");
    EXPECT_GE(Clock::now() - start, milliseconds(200));
    link.abort();
    EXPECT_EQ(link.read(after(seconds(10))).status.code, IoStatus::aborted);
    link.close();
    EXPECT_FALSE(link.is_open());
  }
}

// ---------------------------------------------------------------------------------------------
// make_link

TEST(MakeLink, PtySpecs) {
  PtyMaster master;
  ASSERT_TRUE(master.open());
  const std::string slave = master.slave_path();

  LinkPtr explicit_pty = make_link("pty:" + slave);
  ASSERT_NE(dynamic_cast<PtyLink*>(explicit_pty.get()), nullptr);
  EXPECT_EQ(explicit_pty->name(), slave);
  ASSERT_TRUE(explicit_pty->open());
  ASSERT_TRUE(master.write("hi", after(seconds(5))));
  EXPECT_EQ(explicit_pty->read(after(seconds(5))).bytes, "hi");

  LinkPtr plain = make_link(slave);
  EXPECT_NE(dynamic_cast<PtyLink*>(plain.get()), nullptr);

  std::string dir = ::testing::TempDir() + "posrig-spec-XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  const std::string symlink_path = dir + "/ecr";
  ASSERT_EQ(::symlink(slave.c_str(), symlink_path.c_str()), 0);
  LinkPtr via_symlink = make_link(symlink_path);
  EXPECT_NE(dynamic_cast<PtyLink*>(via_symlink.get()), nullptr);
  EXPECT_EQ(via_symlink->name(), symlink_path);
  ::unlink(symlink_path.c_str());

  // Not there yet: outside /dev it is a simulator's link to come, so a pty.
  LinkPtr future_link = make_link(dir + "/not-yet");
  EXPECT_NE(dynamic_cast<PtyLink*>(future_link.get()), nullptr);
  ::rmdir(dir.c_str());
}

TEST(MakeLink, SerialSpecs) {
  LinkPtr plain = make_link("/dev/ttyPOSRIG-missing");
  auto* plain_serial = dynamic_cast<SerialLink*>(plain.get());
  ASSERT_NE(plain_serial, nullptr);
  EXPECT_EQ(plain_serial->settings(), SerialSettings::rig_ecr_default());
  EXPECT_EQ(plain->open().message,
            "/dev/ttyPOSRIG-missing: open failed: No such file or directory");

  LinkPtr with_settings =
      make_link("serial:/dev/ttyUSB3?baud=115200&data=8&parity=none&stop=1&flow=rtscts");
  auto* serial = dynamic_cast<SerialLink*>(with_settings.get());
  ASSERT_NE(serial, nullptr);
  EXPECT_EQ(serial->name(), "/dev/ttyUSB3");
  EXPECT_EQ(serial->settings(), (SerialSettings{115200, 8, Parity::none, 1, Flow::rtscts}));

  LinkPtr defaults = make_link("serial:/dev/ttyUSB3");
  EXPECT_EQ(dynamic_cast<SerialLink&>(*defaults).settings(), SerialSettings::rig_ecr_default());

  LinkPtr usb = make_link("usb:0403:6001:A50285BI?baud=19200&data=7&parity=even&stop=1&flow=none");
  auto* usb_serial = dynamic_cast<SerialLink*>(usb.get());
  ASSERT_NE(usb_serial, nullptr);
  EXPECT_EQ(usb_serial->name(), "usb:0403:6001:A50285BI");
  EXPECT_EQ(usb_serial->settings(), (SerialSettings{19200, 7, Parity::even, 1, Flow::none}));
}

TEST(MakeLink, TcpSpecs) {
  LinkPtr link = make_link("tcp:127.0.0.1:4001");
  auto* tcp = dynamic_cast<TcpLink*>(link.get());
  ASSERT_NE(tcp, nullptr);
  EXPECT_EQ(tcp->name(), "tcp:127.0.0.1:4001");
  EXPECT_EQ(tcp->port(), 4001);
  EXPECT_EQ(make_link("tcp:[::1]:65535")->name(), "tcp:[::1]:65535");
  EXPECT_EQ(make_link("tcp:ser2net.lab:3001")->name(), "tcp:ser2net.lab:3001");

  // And it connects.
  TcpListener listener;
  ASSERT_TRUE(listener.listen());
  LinkPtr live = make_link("tcp:127.0.0.1:" + std::to_string(listener.port()));
  ASSERT_TRUE(live->open());
  EXPECT_TRUE(listener.accept(after(seconds(5))).status);
}

TEST(MakeLink, BadSpecsSayWhatIsExpected) {
  const std::string expected =
      ": expected pty:PATH, serial:PATH, usb:VID:PID[:SERIAL], tcp:HOST:PORT or "
      "rfc2217://HOST:PORT";
  struct Case {
    std::string spec, message;
  };
  const std::vector<Case> cases = {
      {"foo", "bad link spec \"foo\"" + expected},
      {"", "bad link spec \"\"" + expected},
      {"pty", "bad link spec \"pty\"" + expected},
      {"ttyUSB0", "bad link spec \"ttyUSB0\"" + expected},
      {"pty:", "bad link spec \"pty:\": missing path"},
      {"pty:/dev/pts/3?baud=9600",
       "bad link spec \"pty:/dev/pts/3?baud=9600\": a pty takes no "
       "line settings"},
      {"serial:", "bad link spec \"serial:\": missing path"},
      {"serial:?baud=9600", "bad link spec \"serial:?baud=9600\": missing path"},
      {"serial:/dev/ttyUSB0?baud=9600",
       "bad link spec \"serial:/dev/ttyUSB0?baud=9600\": missing data (serial settings need baud, "
       "data, parity, stop and flow)"},
      {"serial:/dev/ttyUSB0?baud=9600&data=8&parity=x&stop=1&flow=none",
       "bad link spec \"serial:/dev/ttyUSB0?baud=9600&data=8&parity=x&stop=1&flow=none\": bad "
       "parity \"x\": expected none, odd, even, mark or space"},
      {"/dev/ttyUSB0?baud=9600",
       "bad link spec \"/dev/ttyUSB0?baud=9600\": line settings need the serial: form "
       "(serial:PATH?baud=...)"},
      {"usb:0403",
       "bad link spec \"usb:0403\": bad USB id \"0403\": expected VID:PID[:SERIAL] in "
       "hex, e.g. 0403:6001"},
      {"usb:xyz:6001",
       "bad link spec \"usb:xyz:6001\": bad USB id \"xyz:6001\": expected "
       "VID:PID[:SERIAL] in hex, e.g. 0403:6001"},
      {"tcp:localhost", "bad link spec \"tcp:localhost\": expected tcp:HOST:PORT"},
      {"tcp::4001", "bad link spec \"tcp::4001\": missing host (expected tcp:HOST:PORT)"},
      {"tcp:host:0", "bad link spec \"tcp:host:0\": bad port \"0\": expected 1 to 65535"},
      {"tcp:host:65536",
       "bad link spec \"tcp:host:65536\": bad port \"65536\": expected 1 to "
       "65535"},
      {"tcp:host:http", "bad link spec \"tcp:host:http\": bad port \"http\": expected 1 to 65535"},
      {"tcp:host:", "bad link spec \"tcp:host:\": bad port \"\": expected 1 to 65535"},
      {"tcp:::1:4001",
       "bad link spec \"tcp:::1:4001\": an IPv6 host goes in brackets: "
       "tcp:[ADDRESS]:PORT"},
      {"rfc2217://", "bad link spec \"rfc2217://\": expected rfc2217://HOST:PORT"},
      {"rfc2217://bench1", "bad link spec \"rfc2217://bench1\": expected rfc2217://HOST:PORT"},
      {"rfc2217://:2000",
       "bad link spec \"rfc2217://:2000\": missing host (expected rfc2217://HOST:PORT)"},
      {"rfc2217://bench1:0",
       "bad link spec \"rfc2217://bench1:0\": bad port \"0\": expected 1 to 65535"},
      {"rfc2217://bench1:70000",
       "bad link spec \"rfc2217://bench1:70000\": bad port \"70000\": expected 1 to 65535"},
      {"rfc2217://::1:2000",
       "bad link spec \"rfc2217://::1:2000\": an IPv6 host goes in brackets: "
       "rfc2217://[ADDRESS]:PORT"},
      {"rfc2217://bench1:2000/ttyUSB0",
       "bad link spec \"rfc2217://bench1:2000/ttyUSB0\": expected rfc2217://HOST:PORT[?SETTINGS] "
       "(no path after the port)"},
      {"rfc2217://bench1:2000?baud=9600",
       "bad link spec \"rfc2217://bench1:2000?baud=9600\": missing data (serial settings need "
       "baud, data, parity, stop and flow)"},
      {"rfc2217:bench1:2000", "bad link spec \"rfc2217:bench1:2000\"" + expected},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(invalid_argument_text([&] { make_link(c.spec); }), c.message) << c.spec;
  }
}

// ---------------------------------------------------------------------------------------------
// rig ports

struct CommandResult {
  int exit_code = -1;
  std::string out;
};

CommandResult run(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

const std::string kRig = POSRIG_BUILD_DIR "/rig";

TEST(RigPorts, PrintsOneLinePerPortOrSaysNone) {
  ASSERT_EQ(::access(kRig.c_str(), X_OK), 0) << kRig << " is not built (target rig-cli)";
  CommandResult result = run(kRig + " ports");
  EXPECT_EQ(result.exit_code, 0);
  std::vector<std::string> lines;
  std::istringstream in(result.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);

  std::vector<PortInfo> ports = list_ports();
  if (ports.empty()) {
    EXPECT_EQ(lines, std::vector<std::string>{"no serial ports found"});
  } else {
    ASSERT_EQ(lines.size(), ports.size()) << result.out;
    for (std::size_t i = 0; i < ports.size(); ++i) {
      EXPECT_EQ(lines[i], describe_port(ports[i]));
      EXPECT_EQ(lines[i].rfind(ports[i].name, 0), 0u) << lines[i];
    }
  }
}

TEST(RigPorts, JsonIsAnArrayOfThePorts) {
  ASSERT_EQ(::access(kRig.c_str(), X_OK), 0) << kRig << " is not built (target rig-cli)";
  CommandResult result = run(kRig + " ports --json");
  EXPECT_EQ(result.exit_code, 0);
  nlohmann::json array = nlohmann::json::parse(result.out);
  ASSERT_TRUE(array.is_array());
  std::vector<PortInfo> ports = list_ports();
  ASSERT_EQ(array.size(), ports.size()) << result.out;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const auto& entry = array[i];
    EXPECT_EQ(entry.at("name"), ports[i].name);
    EXPECT_EQ(entry.at("description"), ports[i].description);
    EXPECT_EQ(entry.at("transport"), ports[i].transport);
    EXPECT_EQ(entry.at("serial_number"), ports[i].serial_number);
    EXPECT_EQ(entry.at("usb_vid").is_null(), !ports[i].usb_vid.has_value());
    if (ports[i].usb_vid) {
      EXPECT_EQ(entry.at("usb_vid").get<std::string>().size(), 4u);
      EXPECT_EQ(std::stoi(entry.at("usb_vid").get<std::string>(), nullptr, 16), *ports[i].usb_vid);
    }
  }
}

}  // namespace
}  // namespace rig::link
