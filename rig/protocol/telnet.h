// Telnet (RFC 854) as an RFC 2217 client needs it: the byte stream split into data, option
// negotiation and subnegotiations, IAC escaping both ways, and option negotiation by the
// Q method of RFC 1143 (no loops, every request answered once). Pure functions over bytes; the
// TCP plumbing is rig/link/rfc2217.h.
//
// Contract
// - Session::feed() takes the bytes off the connection in any chunking (a command split across
//   two reads is completed by the next one) and returns the data bytes, the subnegotiations,
//   and the bytes to send back (answers to the peer's WILL/WONT/DO/DONT).
// - Data written through Session::escape() reaches the peer's application unchanged: IAC (0xFF)
//   is doubled, and while the BINARY option is off in that direction a CR is sent as CR NUL
//   (NVT rule); received CR NUL is CR again while the peer does not send binary.
// - An option we do not want is refused (DONT / WONT); one we want is accepted.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rig::protocol::telnet {

// Commands (RFC 854).
constexpr std::uint8_t kIac = 255;
constexpr std::uint8_t kDont = 254;
constexpr std::uint8_t kDo = 253;
constexpr std::uint8_t kWont = 252;
constexpr std::uint8_t kWill = 251;
constexpr std::uint8_t kSb = 250;
constexpr std::uint8_t kSe = 240;

// Options.
constexpr std::uint8_t kBinary = 0;    // RFC 856
constexpr std::uint8_t kEcho = 1;      // RFC 857
constexpr std::uint8_t kSga = 3;       // RFC 858, suppress go-ahead
constexpr std::uint8_t kComPort = 44;  // RFC 2217

// A subnegotiation longer than this (payload bytes) is dropped.
constexpr std::size_t kMaxSubnegotiation = 512;

// "IAC <verb> <option>"
std::string command(std::uint8_t verb, std::uint8_t option);
// "IAC SB <option> <payload with IAC doubled> IAC SE"
std::string subnegotiation(std::uint8_t option, std::string_view payload);
// `data` with every IAC doubled and, unless `binary`, every CR followed by NUL.
std::string escape(std::string_view data, bool binary);

// State of one side of one option (RFC 1143).
enum class Q { no, yes, want_no, want_yes };
const char* to_string(Q q);
// "BINARY", "ECHO", "SGA", "COM-PORT-OPTION" or the number.
std::string option_name(std::uint8_t option);

struct Subnegotiation {
  std::uint8_t option = 0;
  std::string payload;  // IAC IAC already undone
};

// What one feed() found.
struct Input {
  std::string data;                  // application bytes, unescaped
  std::vector<Subnegotiation> subs;  // in arrival order
  std::string reply;                 // negotiation answers to send to the peer now
  std::size_t dropped_subs = 0;      // subnegotiations dropped: malformed or oversized
};

// The client's half of a Telnet session. Not thread-safe: one reader feeds it; escape() reads
// the option state, so a writer thread calls it under the same lock as feed().
class Session {
 public:
  // `local`: options we offer to enable on our side (WILL); `remote`: options we ask the peer to
  // enable on its side (DO). Everything else is refused.
  Session(std::vector<std::uint8_t> local, std::vector<std::uint8_t> remote);

  // The requests that open the session: WILL for each local option, DO for each remote one.
  // Call once, before feeding.
  std::string start();
  Input feed(std::string_view bytes);

  Q us(std::uint8_t option) const { return us_[option]; }
  Q him(std::uint8_t option) const { return him_[option]; }
  // No option is waiting for the peer's answer.
  bool settled() const;

  // Data to send, escaped for the current state of BINARY on our side.
  std::string escape(std::string_view data) const {
    return telnet::escape(data, us_[kBinary] == Q::yes);
  }

 private:
  enum class State { data, cr, iac, verb, sb_option, sb, sb_iac };
  void negotiate(std::uint8_t verb, std::uint8_t option, std::string& reply);
  bool wanted_local(std::uint8_t option) const;
  bool wanted_remote(std::uint8_t option) const;

  std::vector<std::uint8_t> local_, remote_;
  std::array<Q, 256> us_{};
  std::array<Q, 256> him_{};
  State state_ = State::data;
  std::uint8_t verb_ = 0;
  Subnegotiation sub_;
  bool sub_too_long_ = false;
};

}  // namespace rig::protocol::telnet
