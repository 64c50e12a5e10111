// Fuzzes the Telnet / RFC 2217 codec (rig/protocol/telnet.h, rfc2217.h) with arbitrary bytes
// from a server. Properties checked (a violation aborts, which libFuzzer reports as a crash):
// - no input crashes the session or trips a sanitizer;
// - the session gives the same data, subnegotiations, answers and option states whether the
//   input comes at once or byte by byte;
// - data never grows: every data byte came from at least one input byte;
// - what escape() makes of any bytes comes back unchanged through a peer's session, binary or
//   not (IAC doubled, CR NUL), so the link never alters the serial data;
// - every COM-PORT-OPTION subnegotiation parses or says why, and ConfigCheck takes any reply.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rig/protocol/rfc2217.h"
#include "rig/protocol/telnet.h"

namespace telnet = rig::protocol::telnet;
namespace rfc2217 = rig::protocol::rfc2217;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

telnet::Session client() {
  telnet::Session s({telnet::kBinary, telnet::kSga, telnet::kComPort},
                    {telnet::kBinary, telnet::kSga});
  s.start();
  return s;
}

struct Total {
  std::string data, reply, subs;
  std::size_t dropped = 0;
  void add(const telnet::Input& in) {
    data += in.data;
    reply += in.reply;
    for (const auto& sub : in.subs)
      subs += std::string(1, static_cast<char>(sub.option)) + sub.payload + '|';
    dropped += in.dropped_subs;
  }
};

void check_round_trip(std::string_view data, bool binary) {
  telnet::Session peer = client();
  if (binary) peer.feed(telnet::command(telnet::kWill, telnet::kBinary));
  telnet::Input in = peer.feed(telnet::escape(data, binary));
  check(in.data == data && in.subs.empty() && in.reply.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  telnet::Session whole = client();
  telnet::Input all = whole.feed(input);
  Total at_once;
  at_once.add(all);
  check(all.data.size() <= input.size());

  telnet::Session bytewise = client();
  Total by_byte;
  for (char c : input) by_byte.add(bytewise.feed(std::string_view(&c, 1)));
  check(at_once.data == by_byte.data && at_once.reply == by_byte.reply &&
        at_once.subs == by_byte.subs && at_once.dropped == by_byte.dropped);
  for (int o = 0; o < 256; ++o) {
    auto option = static_cast<std::uint8_t>(o);
    check(whole.us(option) == bytewise.us(option) && whole.him(option) == bytewise.him(option));
  }

  rfc2217::ConfigCheck config({9600, 8, rfc2217::parity::none, 1, rfc2217::control::no_flow});
  for (const telnet::Subnegotiation& sub : all.subs) {
    check(sub.payload.size() <= telnet::kMaxSubnegotiation);
    std::string error;
    auto reply = rfc2217::parse_reply(sub, &error);
    check(reply.has_value() != !error.empty());
    if (reply) config.on_reply(*reply);
  }
  (void)config.missing();

  check_round_trip(input, true);
  check_round_trip(input, false);
  return 0;
}
