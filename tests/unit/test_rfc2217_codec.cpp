// The Telnet / RFC 2217 codec (rig/protocol/telnet.h, rfc2217.h) on byte sequences spelled out
// from RFC 854 (commands), RFC 1143 (option negotiation) and RFC 2217 (COM-PORT-OPTION).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rig/protocol/rfc2217.h"
#include "rig/protocol/telnet.h"

namespace {

namespace telnet = rig::protocol::telnet;
namespace rfc2217 = rig::protocol::rfc2217;
using telnet::Q;

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

constexpr int IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, SE = 240;
constexpr int NOP = 241, BINARY = 0, ECHO = 1, SGA = 3, COM = 44;

telnet::Session client() {
  return telnet::Session({telnet::kBinary, telnet::kSga, telnet::kComPort},
                         {telnet::kBinary, telnet::kSga});
}

TEST(TelnetEscape, DoublesIacAndStuffsCrOutsideBinary) {
  EXPECT_EQ(telnet::escape(bytes({0x02, 0xff, 0x03}), true), bytes({0x02, 0xff, 0xff, 0x03}));
  EXPECT_EQ(telnet::escape(bytes({0xff, 0xff}), true), bytes({0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(telnet::escape("a\rb", true), "a\rb");
  EXPECT_EQ(telnet::escape("a\rb", false), bytes({'a', '\r', 0, 'b'}));
  EXPECT_EQ(telnet::escape("", true), "");
}

TEST(TelnetSession, StartAsksForEveryWantedOption) {
  telnet::Session s = client();
  EXPECT_EQ(s.start(), bytes({IAC, WILL, BINARY, IAC, WILL, SGA, IAC, WILL, COM, IAC, DO, BINARY,
                              IAC, DO, SGA}));
  EXPECT_EQ(s.us(telnet::kComPort), Q::want_yes);
  EXPECT_EQ(s.him(telnet::kBinary), Q::want_yes);
  EXPECT_FALSE(s.settled());
}

// ser2net 4.3's greeting (seen on the wire), then its answers to our requests.
TEST(TelnetSession, Ser2netGreetingSettlesWithoutLoops) {
  telnet::Session s = client();
  s.start();
  telnet::Input in =
      s.feed(bytes({IAC,  WILL, SGA, IAC,    DO,  SGA,  IAC,    WILL, ECHO, IAC, DONT,
                    ECHO, IAC,  DO,  BINARY, IAC, WILL, BINARY, IAC,  DO,   COM}));
  EXPECT_EQ(in.data, "");
  // Our own requests crossed the server's: nothing is answered twice; only ECHO is refused.
  EXPECT_EQ(in.reply, bytes({IAC, DONT, ECHO}));
  EXPECT_TRUE(s.settled());
  for (int o : {BINARY, SGA}) {
    EXPECT_EQ(s.us(static_cast<std::uint8_t>(o)), Q::yes) << o;
    EXPECT_EQ(s.him(static_cast<std::uint8_t>(o)), Q::yes) << o;
  }
  EXPECT_EQ(s.us(telnet::kComPort), Q::yes);
  EXPECT_EQ(s.him(telnet::kEcho), Q::no);
  // The server repeats itself (its DO SGA crossing our WILL SGA): ignored, no answer.
  in = s.feed(bytes({IAC, DO, SGA, IAC, WILL, BINARY}));
  EXPECT_EQ(in.reply, "");
}

TEST(TelnetSession, UnwantedOptionsAreRefusedAndTurnedOffOptionsAcknowledged) {
  telnet::Session s = client();
  s.start();
  telnet::Input in = s.feed(bytes({IAC, DO, 24, IAC, WILL, 31}));  // TERMINAL-TYPE, NAWS
  EXPECT_EQ(in.reply, bytes({IAC, WONT, 24, IAC, DONT, 31}));
  s.feed(bytes({IAC, DO, BINARY, IAC, WILL, BINARY}));
  in = s.feed(bytes({IAC, DONT, BINARY, IAC, WONT, BINARY}));
  EXPECT_EQ(in.reply, bytes({IAC, WONT, BINARY, IAC, DONT, BINARY}));
  EXPECT_EQ(s.us(telnet::kBinary), Q::no);
  // Saying no again is no news.
  in = s.feed(bytes({IAC, DONT, BINARY, IAC, WONT, BINARY}));
  EXPECT_EQ(in.reply, "");
}

TEST(TelnetSession, RefusedComPortIsVisible) {
  telnet::Session s = client();
  s.start();
  telnet::Input in = s.feed(bytes({IAC, DONT, COM}));
  EXPECT_EQ(in.reply, "");
  EXPECT_EQ(s.us(telnet::kComPort), Q::no);
}

TEST(TelnetSession, DataIacIacIsOneByteAndCommandsAreNotData) {
  telnet::Session s = client();
  s.start();
  s.feed(bytes({IAC, WILL, BINARY}));
  telnet::Input in = s.feed(bytes({'x', IAC, IAC, 'y', IAC, NOP, 'z', IAC, 249}));  // 249 GA
  EXPECT_EQ(in.data, bytes({'x', 0xff, 'y', 'z'}));
}

TEST(TelnetSession, CommandsSplitAcrossReadsAreCompleted) {
  const std::string wire =
      bytes({'a', IAC, IAC, IAC, WILL, ECHO, IAC, SB, COM, 107, 0x30, IAC, SE, 'b', IAC});
  const std::string rest = bytes({IAC});
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    telnet::Session s = client();
    s.start();
    telnet::Input a = s.feed(wire.substr(0, cut));
    telnet::Input b = s.feed(wire.substr(cut));
    telnet::Input c = s.feed(rest);
    EXPECT_EQ(a.data + b.data + c.data, bytes({'a', 0xff, 'b', 0xff})) << cut;
    EXPECT_EQ(a.reply + b.reply, bytes({IAC, DONT, ECHO})) << cut;
    ASSERT_EQ(a.subs.size() + b.subs.size(), 1u) << cut;
    const telnet::Subnegotiation& sub = a.subs.empty() ? b.subs[0] : a.subs[0];
    EXPECT_EQ(sub.option, COM);
    EXPECT_EQ(sub.payload, bytes({107, 0x30}));
  }
}

TEST(TelnetSession, CrNulIsCrUnlessThePeerSendsBinary) {
  telnet::Session s = client();
  s.start();
  EXPECT_EQ(s.feed(bytes({'a', '\r', 0, 'b', '\r', '\n'})).data, "a\rb\r\n");
  s.feed(bytes({IAC, WILL, BINARY}));
  EXPECT_EQ(s.feed(bytes({'\r', 0})).data, bytes({'\r', 0}));
  // Our side: CR NUL until the server agreed to our WILL BINARY.
  EXPECT_EQ(s.escape("\r"), bytes({'\r', 0}));
  s.feed(bytes({IAC, DO, BINARY}));
  EXPECT_EQ(s.escape(bytes({'\r', 0xff})), bytes({'\r', 0xff, 0xff}));
}

TEST(TelnetSession, SubnegotiationIacIacAndMalformedEnds) {
  telnet::Session s = client();
  s.start();
  telnet::Input in = s.feed(bytes({IAC, SB, COM, 101, 0, 0, IAC, IAC, 0, IAC, SE}));
  ASSERT_EQ(in.subs.size(), 1u);
  EXPECT_EQ(in.subs[0].payload, bytes({101, 0, 0, 0xff, 0}));
  // "IAC WILL" inside a subnegotiation: the subnegotiation is dropped, the command is taken.
  in = s.feed(bytes({IAC, SB, COM, 106, IAC, WILL, ECHO, 'q'}));
  EXPECT_TRUE(in.subs.empty());
  EXPECT_EQ(in.reply, bytes({IAC, DONT, ECHO}));
  EXPECT_EQ(in.data, "q");
  EXPECT_EQ(in.dropped_subs, 1u);
  // An endless subnegotiation is bounded and dropped at its end.
  std::string long_sub = bytes({IAC, SB, COM, 106});
  long_sub += std::string(telnet::kMaxSubnegotiation + 10, 'x');
  long_sub += bytes({IAC, SE, 'k'});
  in = s.feed(long_sub);
  EXPECT_TRUE(in.subs.empty());
  EXPECT_EQ(in.data, "k");
  EXPECT_EQ(in.dropped_subs, 1u);
}

// RFC 2217 section 2: "IAC SB COM-PORT-OPTION SET-BAUDRATE <value(4)> IAC SE", network order.
TEST(Rfc2217, ClientCommandsAsTheRfcSpellsThem) {
  EXPECT_EQ(rfc2217::set_baudrate(9600), bytes({IAC, SB, COM, 1, 0, 0, 0x25, 0x80, IAC, SE}));
  EXPECT_EQ(rfc2217::set_baudrate(115200), bytes({IAC, SB, COM, 1, 0, 1, 0xc2, 0x00, IAC, SE}));
  // A value byte of 255 is doubled inside the subnegotiation.
  EXPECT_EQ(rfc2217::set_baudrate(0xff), bytes({IAC, SB, COM, 1, 0, 0, 0, IAC, IAC, IAC, SE}));
  EXPECT_EQ(rfc2217::set_byte(rfc2217::Command::set_datasize, 7),
            bytes({IAC, SB, COM, 2, 7, IAC, SE}));
  rfc2217::LineSettings line{19200, 7, rfc2217::parity::even, 2, rfc2217::control::hardware};
  EXPECT_EQ(rfc2217::configure(line),
            bytes({IAC, SB, COM, 1,   0,   0,   0x4b, 0x00, IAC, SE,  IAC, SB,  COM,
                   2,   7,  IAC, SE,  IAC, SB,  COM,  3,    3,   IAC, SE,  IAC, SB,
                   COM, 4,  2,   IAC, SE,  IAC, SB,   COM,  5,   3,   IAC, SE}));
}

TEST(Rfc2217, ServerRepliesParseAndBadOnesSayWhy) {
  auto reply = rfc2217::parse_reply({telnet::kComPort, bytes({101, 0, 0, 0x4b, 0})});
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->command, rfc2217::Command::set_baudrate);
  EXPECT_EQ(rfc2217::baud_of(*reply), 19200u);
  EXPECT_FALSE(rfc2217::byte_of(*reply));
  reply = rfc2217::parse_reply({telnet::kComPort, bytes({107, 0xb0})});
  ASSERT_TRUE(reply);
  EXPECT_EQ(rfc2217::to_string(reply->command), "NOTIFY-MODEMSTATE");
  EXPECT_EQ(rfc2217::byte_of(*reply), 0xb0);

  std::string error;
  EXPECT_FALSE(rfc2217::parse_reply({telnet::kComPort, bytes({1, 0})}, &error));
  EXPECT_EQ(error, "client command 1 sent by the server");
  EXPECT_FALSE(rfc2217::parse_reply({telnet::kComPort, ""}, &error));
  EXPECT_EQ(error, "empty COM-PORT-OPTION subnegotiation");
  EXPECT_FALSE(rfc2217::parse_reply({telnet::kComPort, bytes({113})}, &error));
  EXPECT_EQ(error, "unknown server command 113");
  EXPECT_FALSE(rfc2217::parse_reply({24, bytes({0})}, &error));
  EXPECT_EQ(error, "not COM-PORT-OPTION (option 24)");
}

TEST(Rfc2217, ConfigCheckWaitsForAllFiveAndNamesMismatches) {
  rfc2217::LineSettings line{9600, 8, rfc2217::parity::none, 1, rfc2217::control::dsr};
  rfc2217::ConfigCheck check(line);
  EXPECT_EQ(check.missing(), "baud rate, data size, parity, stop size, flow control");
  check.on_reply({rfc2217::Command::notify_modemstate, bytes({0})});
  check.on_reply({rfc2217::Command::set_baudrate, bytes({0, 0, 0x25, 0x80})});
  check.on_reply({rfc2217::Command::set_datasize, bytes({8})});
  check.on_reply({rfc2217::Command::set_parity, bytes({1})});
  EXPECT_FALSE(check.done());
  EXPECT_EQ(check.missing(), "stop size, flow control");
  check.on_reply({rfc2217::Command::set_stopsize, bytes({3})});
  // ser2net answers a request for DSR flow control with 14.
  check.on_reply({rfc2217::Command::set_control, bytes({14})});
  EXPECT_TRUE(check.done());
  EXPECT_EQ(check.mismatches(),
            (std::vector<std::string>{"stop size: asked 1, the server set 1.5",
                                      "flow control: asked DSR, the server set no inbound flow "
                                      "control"}));
  // A second answer for a setting already answered is not ours.
  check.on_reply({rfc2217::Command::set_parity, bytes({2})});
  EXPECT_EQ(check.mismatches().size(), 2u);
}

}  // namespace
