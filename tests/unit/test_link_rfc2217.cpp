// Rfc2217Link (rig/link/rfc2217.h): against an in-process server speaking scripted bytes (the
// error paths), and against Debian's ser2net serving one end of a pty pair (the real thing:
// line settings reach the pty's termios, every byte value passes both ways).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "rig/fault/relay.h"
#include "rig/link/pty.h"
#include "rig/link/rfc2217.h"
#include "rig/link/tcp.h"
#include "rig/process/supervisor.h"
#include "rig/protocol/rfc2217.h"
#include "rig/protocol/telnet.h"
#include "tests/unit/link_test_util.h"

namespace rig::link {
namespace {

namespace telnet = rig::protocol::telnet;
namespace rfc2217 = rig::protocol::rfc2217;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::uint8_t kComPort = telnet::kComPort;

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// A server answer "IAC SB 44 <command + 100> <value> IAC SE".
std::string answer(rfc2217::Command c, const std::string& value) {
  return telnet::subnegotiation(
      kComPort, std::string(1, static_cast<char>(static_cast<int>(c) + 100)) + value);
}

// ser2net 4.3's greeting as seen on the wire.
const std::string kGreeting =
    telnet::command(telnet::kWill, telnet::kSga) + telnet::command(telnet::kDo, telnet::kSga) +
    telnet::command(telnet::kWill, telnet::kEcho) + telnet::command(telnet::kDo, telnet::kBinary) +
    telnet::command(telnet::kWill, telnet::kBinary) + telnet::command(telnet::kDo, kComPort);

// The five answers a correct server gives to rig_ecr_default() (9600 8N1, no flow control).
std::string default_answers() {
  return answer(rfc2217::Command::set_baudrate, bytes({0, 0, 0x25, 0x80})) +
         answer(rfc2217::Command::set_datasize, bytes({8})) +
         answer(rfc2217::Command::set_parity, bytes({1})) +
         answer(rfc2217::Command::set_stopsize, bytes({1})) +
         answer(rfc2217::Command::set_control, bytes({1}));
}

// One scripted server connection: the test accepts, reads and writes the server side itself
// while the link opens on another thread.
struct Scripted {
  TcpListener listener;
  std::unique_ptr<Rfc2217Link> link;
  std::future<Status> opened;
  LinkPtr server;

  void start(const SerialSettings& settings = SerialSettings::rig_ecr_default(),
             milliseconds timeout = milliseconds(5000)) {
    ASSERT_TRUE(listener.listen());
    link = std::make_unique<Rfc2217Link>("127.0.0.1", listener.port(), settings, timeout);
    Rfc2217Link* l = link.get();
    opened = std::async(std::launch::async, [l] { return l->open(); });
    Accepted a = listener.accept(after(seconds(5)));
    ASSERT_TRUE(a.status) << a.status.message;
    server = std::move(a.link);
  }
  // Reads what the client sent until `count` bytes arrived.
  std::string client_sent(std::size_t count) {
    Chunk c = read_exactly(*server, count, after(seconds(5)));
    EXPECT_TRUE(c.status) << c.status.message;
    return c.bytes;
  }
  std::string name() const { return "rfc2217://127.0.0.1:" + std::to_string(listener.port()); }
};

// WILL BINARY, WILL SGA, WILL COM-PORT-OPTION, DO BINARY, DO SGA.
constexpr std::size_t kStartBytes = 15;
// The five settings subnegotiations of 9600 8N1 none: 10 + 4 * 7 bytes.
constexpr std::size_t kConfigureBytes = 38;

TEST(Rfc2217Link, OpensOnceTheLineIsSetAndKeepsTelnetOutOfTheData) {
  Scripted s;
  s.start();
  EXPECT_EQ(s.client_sent(kStartBytes),
            bytes({255, 251, 0, 255, 251, 3, 255, 251, 44, 255, 253, 0, 255, 253, 3}));
  // Data before the line is set is kept for the first read; the greeting settles the options.
  ASSERT_TRUE(s.server->write(kGreeting + "early", after(seconds(1))));
  // Our refusal of ECHO, then the line exactly as RFC 2217 spells it.
  EXPECT_EQ(s.client_sent(3), bytes({255, 254, 1}));
  EXPECT_EQ(s.client_sent(kConfigureBytes),
            rfc2217::configure({9600, 8, rfc2217::parity::none, 1, rfc2217::control::no_flow}));
  EXPECT_EQ(s.opened.wait_for(milliseconds(100)), std::future_status::timeout)
      << "open() returned before the server answered the settings";
  ASSERT_TRUE(s.server->write(
      answer(rfc2217::Command::notify_modemstate, bytes({0x30})) + default_answers(),
      after(seconds(1))));
  Status opened = s.opened.get();
  ASSERT_TRUE(opened) << opened.message;
  EXPECT_TRUE(s.link->is_open());
  EXPECT_EQ(s.link->name(), s.name());

  Chunk early = s.link->read(after(seconds(1)));
  EXPECT_EQ(early.bytes, "early");
  // IAC IAC is one 0xFF; a NOTIFY-LINESTATE in the middle of the data is not data.
  ASSERT_TRUE(s.server->write(bytes({'a', 255, 255, 'b'}) +
                                  answer(rfc2217::Command::notify_linestate, bytes({0x60})) + "c" +
                                  telnet::command(telnet::kDo, telnet::kSga),
                              after(seconds(1))));
  Chunk data = read_exactly(*s.link, 4, after(seconds(2)));
  ASSERT_TRUE(data.status) << data.status.message;
  EXPECT_EQ(data.bytes, bytes({'a', 255, 'b', 'c'}));
  Rfc2217Link::Notices n = s.link->notices();
  EXPECT_EQ(n.modemstates, 1);
  EXPECT_EQ(n.last_modemstate, 0x30);
  EXPECT_EQ(n.linestates, 1);
  EXPECT_EQ(n.last_linestate, 0x60);
  // A frame ending in a 0xFF LRC goes out with the 0xFF doubled; so does every other 0xFF.
  const std::string all = every_byte_value();
  ASSERT_TRUE(s.link->write(all, after(seconds(1))));
  EXPECT_EQ(s.client_sent(257), all + bytes({255}));
  // Nothing but Telnet until the deadline: a timeout, not an empty chunk.
  ASSERT_TRUE(s.server->write(telnet::command(telnet::kWill, telnet::kSga), after(seconds(1))));
  Chunk none = s.link->read(after(milliseconds(100)));
  EXPECT_EQ(none.status.code, IoStatus::timeout);
  EXPECT_EQ(none.status.message, s.name() + ": read timed out");
}

TEST(Rfc2217Link, ARefusedComPortOptionIsAClearError) {
  Scripted s;
  s.start();
  s.client_sent(kStartBytes);
  ASSERT_TRUE(s.server->write(telnet::command(telnet::kDont, kComPort), after(seconds(1))));
  Status opened = s.opened.get();
  EXPECT_EQ(opened.code, IoStatus::error);
  EXPECT_EQ(opened.message, s.name() +
                                ": open failed: the server refused COM-PORT-OPTION (a Telnet port "
                                "without RFC 2217?)");
  EXPECT_FALSE(s.link->is_open());
}

TEST(Rfc2217Link, ARawTcpPortTimesOutWithAHint) {
  Scripted s;
  s.start(SerialSettings::rig_ecr_default(), milliseconds(300));
  Status opened = s.opened.get();
  EXPECT_EQ(opened.code, IoStatus::timeout);
  EXPECT_EQ(opened.message, s.name() +
                                ": open timed out: no Telnet negotiation from the server (a raw "
                                "TCP port? use tcp:HOST:PORT)");
}

TEST(Rfc2217Link, UnansweredSettingsAreNamed) {
  Scripted s;
  s.start(SerialSettings::rig_ecr_default(), milliseconds(500));
  s.client_sent(kStartBytes);
  ASSERT_TRUE(s.server->write(kGreeting, after(seconds(1))));
  s.client_sent(3 + kConfigureBytes);
  ASSERT_TRUE(s.server->write(answer(rfc2217::Command::set_baudrate, bytes({0, 0, 0x25, 0x80})) +
                                  answer(rfc2217::Command::set_datasize, bytes({8})),
                              after(seconds(1))));
  Status opened = s.opened.get();
  EXPECT_EQ(opened.code, IoStatus::timeout);
  EXPECT_EQ(opened.message,
            s.name() +
                ": open timed out: the server did not answer: parity, stop size, flow "
                "control");
}

TEST(Rfc2217Link, AServerThatHangsUpIsQuotedWhenItSaidWhy) {
  Scripted s;
  s.start();
  s.client_sent(kStartBytes);
  ASSERT_TRUE(s.server->write(kGreeting + "\r\nPort already in use\r\n", after(seconds(1))));
  s.server->close();
  Status opened = s.opened.get();
  EXPECT_EQ(opened.code, IoStatus::closed);
  EXPECT_EQ(opened.message,
            s.name() + ": open failed: the server closed the connection: Port already in use");
}

TEST(Rfc2217Link, ASettingTheServerChangedIsAConfigureError) {
  Scripted s;
  s.start(SerialSettings{19200, 7, Parity::even, 1, Flow::none});
  s.client_sent(kStartBytes);
  ASSERT_TRUE(s.server->write(kGreeting, after(seconds(1))));
  s.client_sent(3 + kConfigureBytes);
  ASSERT_TRUE(s.server->write(answer(rfc2217::Command::set_baudrate, bytes({0, 0, 0x4b, 0x00})) +
                                  answer(rfc2217::Command::set_datasize, bytes({7})) +
                                  answer(rfc2217::Command::set_parity, bytes({1})) +
                                  answer(rfc2217::Command::set_stopsize, bytes({1})) +
                                  answer(rfc2217::Command::set_control, bytes({1})),
                              after(seconds(1))));
  Status opened = s.opened.get();
  EXPECT_EQ(opened.code, IoStatus::error);
  EXPECT_EQ(opened.message,
            s.name() + ": configure failed: parity: asked EVEN, the server set NONE");
  EXPECT_FALSE(s.link->is_open());
}

TEST(Rfc2217Link, AbortWakesAnOpenWaitingForTheServer) {
  Scripted s;
  s.start();
  s.client_sent(kStartBytes);
  s.link->abort();
  Status opened = s.opened.get();
  EXPECT_EQ(opened.code, IoStatus::aborted);
  EXPECT_EQ(opened.message, s.name() + ": open aborted");
  EXPECT_FALSE(s.link->is_open());
}

// A server that will not do BINARY: CR travels as CR NUL both ways, and the data is unchanged.
TEST(Rfc2217Link, WithoutBinaryCrIsSentAsCrNulAndDataStillArrivesUnchanged) {
  Scripted s;
  s.start();
  s.client_sent(kStartBytes);
  ASSERT_TRUE(s.server->write(telnet::command(telnet::kDont, telnet::kBinary) +
                                  telnet::command(telnet::kWont, telnet::kBinary) +
                                  telnet::command(telnet::kDo, telnet::kSga) +
                                  telnet::command(telnet::kWill, telnet::kSga) +
                                  telnet::command(telnet::kDo, kComPort),
                              after(seconds(1))));
  s.client_sent(kConfigureBytes);
  ASSERT_TRUE(s.server->write(default_answers(), after(seconds(1))));
  Status opened = s.opened.get();
  ASSERT_TRUE(opened) << opened.message;
  ASSERT_TRUE(s.link->write(bytes({0x02, '\r', 0xff, 0x03}), after(seconds(1))));
  EXPECT_EQ(s.client_sent(6), bytes({0x02, '\r', 0, 0xff, 0xff, 0x03}));
  ASSERT_TRUE(s.server->write(bytes({'\r', 0, '\r', '\n', 0xff, 0xff}), after(seconds(1))));
  Chunk c = read_exactly(*s.link, 4, after(seconds(2)));
  ASSERT_TRUE(c.status) << c.status.message;
  EXPECT_EQ(c.bytes, bytes({'\r', '\r', '\n', 0xff}));
}

TEST(Rfc2217Link, NoServerIsConnectionRefusedUnderItsOwnName) {
  std::uint16_t port;
  {
    TcpListener gone;
    ASSERT_TRUE(gone.listen());
    port = gone.port();
  }
  LinkPtr link = make_link("rfc2217://127.0.0.1:" + std::to_string(port));
  Status opened = link->open();
  EXPECT_EQ(opened.code, IoStatus::error);
  EXPECT_EQ(opened.message,
            "rfc2217://127.0.0.1:" + std::to_string(port) + ": open failed: Connection refused");
}

TEST(MakeLink, Rfc2217Specs) {
  LinkPtr link = make_link("rfc2217://bench-host.lab:2001");
  auto* remote = dynamic_cast<Rfc2217Link*>(link.get());
  ASSERT_NE(remote, nullptr);
  EXPECT_EQ(remote->name(), "rfc2217://bench-host.lab:2001");
  EXPECT_EQ(remote->settings(), SerialSettings::rig_ecr_default());
  LinkPtr with =
      make_link("rfc2217://[::1]:2001?baud=115200&data=8&parity=odd&stop=2&flow=xonxoff");
  EXPECT_EQ(with->name(), "rfc2217://[::1]:2001");
  EXPECT_EQ(dynamic_cast<Rfc2217Link&>(*with).settings(),
            (SerialSettings{115200, 8, Parity::odd, 2, Flow::xonxoff}));
}

// ---------------------------------------------------------------------------------------------
// Against ser2net

const std::string kServe = POSRIG_SOURCE_DIR "/fixtures/sim/ser2net_serve.py";

bool have_ser2net() { return ::access("/usr/sbin/ser2net", X_OK) == 0; }

// ser2net serving the slave of a pty pair; the test holds the master (the "terminal").
struct Ser2net {
  PtyMaster terminal;
  std::unique_ptr<process::Child> server;
  std::uint16_t port = 0;

  // Serves the pty's slave, or `device` when given.
  void start(const std::string& device = "") {
    ASSERT_TRUE(terminal.open());
    server = std::make_unique<process::Child>(process::Spec{
        {"/usr/bin/python3", kServe, "--device", device.empty() ? terminal.slave_path() : device},
        "ser2net",
        {},
        {}});
    ASSERT_TRUE(server->start());
    process::LineResult ready =
        server->wait_for_line([](const process::Line& l) { return l.text.rfind("READY ", 0) == 0; },
                              process::after(seconds(10)));
    ASSERT_TRUE(ready.status) << ready.status.message;
    port = static_cast<std::uint16_t>(
        std::stoi(ready.line.text.substr(ready.line.text.rfind('=') + 1)));
  }
  std::string spec(const std::string& query = "") const {
    return "rfc2217://127.0.0.1:" + std::to_string(port) + (query.empty() ? "" : "?" + query);
  }
  // The line as the pty has it now (ser2net applied it with tcsetattr on the slave).
  termios line() const {
    termios t{};
    int fd = ::open(terminal.slave_path().c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::tcgetattr(fd, &t), 0);
    ::close(fd);
    return t;
  }
};

TEST(Rfc2217Ser2net, LineSettingsReachThePtyAndEveryByteValuePassesBothWays) {
  if (!have_ser2net()) GTEST_SKIP() << "ser2net is not installed (scripts/deps.sh installs it)";
  Ser2net bench;
  bench.start();
  LinkPtr link = make_link(bench.spec("baud=19200&data=7&parity=even&stop=2&flow=rtscts"));
  Status opened = link->open();
  ASSERT_TRUE(opened) << opened.message;
  // ser2net acknowledged all five (open() checks each answer); on the pty, Linux keeps the baud
  // rate, stop bits and flow control, but its pty driver forces CS8 and clears PARENB on every
  // tcsetattr (drivers/tty/pty.c, pty_set_termios), so data size and parity show only on a UART.
  termios t = bench.line();
  EXPECT_EQ(::cfgetospeed(&t), B19200);
  EXPECT_EQ(::cfgetispeed(&t), B19200);
  EXPECT_TRUE(t.c_cflag & CSTOPB);
  EXPECT_TRUE(t.c_cflag & CRTSCTS);
  EXPECT_FALSE(t.c_iflag & (IXON | IXOFF));
  link->close();

  link = make_link(bench.spec("baud=115200&data=8&parity=none&stop=1&flow=xonxoff"));
  opened = link->open();
  ASSERT_TRUE(opened) << opened.message;
  t = bench.line();
  EXPECT_EQ(::cfgetospeed(&t), B115200);
  EXPECT_FALSE(t.c_cflag & (CSTOPB | CRTSCTS));
  EXPECT_TRUE(t.c_iflag & IXON);
  EXPECT_TRUE(t.c_iflag & IXOFF);
  link->close();

  // Reopened with the defaults: every setting is written again, nothing inherited.
  link = make_link(bench.spec());
  opened = link->open();
  ASSERT_TRUE(opened) << opened.message;
  t = bench.line();
  EXPECT_EQ(::cfgetospeed(&t), B9600);
  EXPECT_EQ(t.c_cflag & CSIZE, static_cast<tcflag_t>(CS8));
  EXPECT_FALSE(t.c_cflag & (PARENB | CSTOPB | CRTSCTS));
  EXPECT_FALSE(t.c_iflag & (IXON | IXOFF));

  const std::string all = every_byte_value();
  ASSERT_TRUE(link->write(all, after(seconds(2))));
  Chunk at_terminal = read_exactly(bench.terminal, all.size(), after(seconds(5)));
  ASSERT_TRUE(at_terminal.status) << at_terminal.status.message;
  EXPECT_EQ(at_terminal.bytes, all);
  ASSERT_TRUE(bench.terminal.write(all + all, after(seconds(2))));
  Chunk at_rig = read_exactly(*link, 2 * all.size(), after(seconds(5)));
  ASSERT_TRUE(at_rig.status) << at_rig.status.message;
  EXPECT_EQ(at_rig.bytes, all + all);
}

TEST(Rfc2217Ser2net, FlowControlTheServerCannotDoIsRefusedByName) {
  if (!have_ser2net()) GTEST_SKIP() << "ser2net is not installed (scripts/deps.sh installs it)";
  Ser2net bench;
  bench.start();
  LinkPtr link = make_link(bench.spec("baud=9600&data=8&parity=none&stop=1&flow=dtrdsr"));
  Status opened = link->open();
  EXPECT_EQ(opened.code, IoStatus::error);
  EXPECT_EQ(opened.message, bench.spec() +
                                ": configure failed: flow control: asked DSR, the server set no "
                                "inbound flow control");
}

TEST(Rfc2217Ser2net, ABusyPortAStoppedServerAndAMissingDeviceAreNamed) {
  if (!have_ser2net()) GTEST_SKIP() << "ser2net is not installed (scripts/deps.sh installs it)";
  Ser2net bench;
  bench.start();
  LinkPtr link = make_link(bench.spec());
  ASSERT_TRUE(link->open());
  // A second controller is turned away while the first holds the port (ser2net's default).
  LinkPtr second = make_link(bench.spec());
  Status busy = second->open();
  EXPECT_EQ(busy.code, IoStatus::closed);
  EXPECT_EQ(busy.message,
            bench.spec() + ": open failed: the server closed the connection: Port already in use");
  // The server goes away under an open link: reads see the hang-up.
  bench.server->stop();
  Chunk c = link->read(after(seconds(5)));
  EXPECT_EQ(c.status.code, IoStatus::closed) << c.status.message;
  link->close();
  Status again = link->open();
  EXPECT_EQ(again.code, IoStatus::error);
  EXPECT_EQ(again.message, bench.spec() + ": open failed: Connection refused");

  // The bench host is up but the terminal's port is not there: ser2net's own words.
  Ser2net unplugged;
  unplugged.start("/dev/ttyUSB-posrig-missing");
  link = make_link(unplugged.spec());
  Status missing = link->open();
  EXPECT_EQ(missing.code, IoStatus::closed);
  EXPECT_EQ(missing.message, unplugged.spec() +
                                 ": open failed: the server closed the connection: Device open "
                                 "failure: Value or file not found");
}

// Every user of make_link takes rfc2217:// specs: a relay board plugged into the bench host.
TEST(Rfc2217Ser2net, ARelayBoardAtTheBenchHostIsSwitchedThroughIt) {
  if (!have_ser2net()) GTEST_SKIP() << "ser2net is not installed (scripts/deps.sh installs it)";
  Ser2net bench;
  bench.start();
  fault::RelayBoard board(bench.spec("baud=9600&data=8&parity=none&stop=1&flow=none"));
  Status on = board.set(3, true, after(seconds(5)));
  ASSERT_TRUE(on) << on.message;
  Chunk frame = read_exactly(bench.terminal, 4, after(seconds(5)));
  ASSERT_TRUE(frame.status) << frame.status.message;
  EXPECT_EQ(frame.bytes, fault::relay_frame(3, true));
}

}  // namespace
}  // namespace rig::link
