#include "rig/protocol/telnet.h"

#include <algorithm>
#include <utility>

namespace rig::protocol::telnet {

namespace {

constexpr char kCr = '\r';

char byte(std::uint8_t b) { return static_cast<char>(b); }

}  // namespace

std::string command(std::uint8_t verb, std::uint8_t option) {
  return {byte(kIac), byte(verb), byte(option)};
}

std::string subnegotiation(std::uint8_t option, std::string_view payload) {
  std::string out{byte(kIac), byte(kSb), byte(option)};
  out += escape(payload, true);
  out += byte(kIac);
  out += byte(kSe);
  return out;
}

std::string escape(std::string_view data, bool binary) {
  std::string out;
  out.reserve(data.size() + 8);
  for (char c : data) {
    out += c;
    if (static_cast<std::uint8_t>(c) == kIac) out += c;
    if (c == kCr && !binary) out += '\0';
  }
  return out;
}

const char* to_string(Q q) {
  switch (q) {
    case Q::no:
      return "no";
    case Q::yes:
      return "yes";
    case Q::want_no:
      return "want-no";
    case Q::want_yes:
      return "want-yes";
  }
  return "?";
}

std::string option_name(std::uint8_t option) {
  switch (option) {
    case kBinary:
      return "BINARY";
    case kEcho:
      return "ECHO";
    case kSga:
      return "SGA";
    case kComPort:
      return "COM-PORT-OPTION";
    default:
      return std::to_string(option);
  }
}

Session::Session(std::vector<std::uint8_t> local, std::vector<std::uint8_t> remote)
    : local_(std::move(local)), remote_(std::move(remote)) {
  us_.fill(Q::no);
  him_.fill(Q::no);
}

bool Session::wanted_local(std::uint8_t option) const {
  return std::find(local_.begin(), local_.end(), option) != local_.end();
}

bool Session::wanted_remote(std::uint8_t option) const {
  return std::find(remote_.begin(), remote_.end(), option) != remote_.end();
}

std::string Session::start() {
  std::string out;
  for (std::uint8_t o : local_) {
    if (us_[o] != Q::no) continue;
    us_[o] = Q::want_yes;
    out += command(kWill, o);
  }
  for (std::uint8_t o : remote_) {
    if (him_[o] != Q::no) continue;
    him_[o] = Q::want_yes;
    out += command(kDo, o);
  }
  return out;
}

bool Session::settled() const {
  auto pending = [](Q q) { return q == Q::want_yes || q == Q::want_no; };
  return std::none_of(us_.begin(), us_.end(), pending) &&
         std::none_of(him_.begin(), him_.end(), pending);
}

// RFC 1143 without the queue bit: this client never changes its mind while a request of its own
// is pending, so an answer always settles the option and nothing is sent twice.
void Session::negotiate(std::uint8_t verb, std::uint8_t option, std::string& reply) {
  const bool about_him = verb == kWill || verb == kWont;  // the peer's side of the option
  const bool enable = verb == kWill || verb == kDo;
  Q& q = about_him ? him_[option] : us_[option];
  const std::uint8_t yes = about_him ? kDo : kWill;
  const std::uint8_t no = about_him ? kDont : kWont;
  if (enable) {
    switch (q) {
      case Q::no:
        if (about_him ? wanted_remote(option) : wanted_local(option)) {
          q = Q::yes;
          reply += command(yes, option);
        } else {
          reply += command(no, option);
        }
        break;
      case Q::yes:
        break;
      case Q::want_no:  // our refusal answered by an offer: the peer is wrong, stay off
        q = Q::no;
        break;
      case Q::want_yes:
        q = Q::yes;
        break;
    }
  } else {
    if (q == Q::yes) reply += command(no, option);
    q = Q::no;
  }
}

Input Session::feed(std::string_view bytes) {
  Input in;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<std::uint8_t>(bytes[i]);
    switch (state_) {
      case State::cr:
        state_ = State::data;
        if (b == 0) break;  // CR NUL is a CR (NVT)
        [[fallthrough]];
      case State::data:
        if (b == kIac) {
          state_ = State::iac;
        } else {
          in.data += byte(b);
          if (byte(b) == kCr && him_[kBinary] != Q::yes) state_ = State::cr;
        }
        break;
      case State::iac:
        if (b == kIac) {
          in.data += byte(kIac);
          state_ = State::data;
        } else if (b == kWill || b == kWont || b == kDo || b == kDont) {
          verb_ = b;
          state_ = State::verb;
        } else if (b == kSb) {
          state_ = State::sb_option;
        } else {
          state_ = State::data;  // NOP, GA, DM, BRK, AYT, a stray SE…: nothing for us
        }
        break;
      case State::verb:
        negotiate(verb_, b, in.reply);
        state_ = State::data;
        break;
      case State::sb_option:
        sub_ = Subnegotiation{b, {}};
        sub_too_long_ = false;
        state_ = State::sb;
        break;
      case State::sb:
        if (b == kIac) {
          state_ = State::sb_iac;
        } else if (sub_.payload.size() < kMaxSubnegotiation) {
          sub_.payload += byte(b);
        } else {
          sub_too_long_ = true;
        }
        break;
      case State::sb_iac:
        if (b == kIac) {
          if (sub_.payload.size() < kMaxSubnegotiation) {
            sub_.payload += byte(kIac);
          } else {
            sub_too_long_ = true;
          }
          state_ = State::sb;
        } else if (b == kSe) {
          if (sub_too_long_) {
            ++in.dropped_subs;
          } else {
            in.subs.push_back(std::move(sub_));
          }
          sub_ = {};
          state_ = State::data;
        } else {
          // "IAC x" inside a subnegotiation is not Telnet: drop the subnegotiation and take x
          // as the command it names.
          ++in.dropped_subs;
          sub_ = {};
          state_ = State::iac;
          --i;
        }
        break;
    }
  }
  return in;
}

}  // namespace rig::protocol::telnet
