// RFC 2217 (Telnet Com Port Control Option): the subnegotiations an RFC 2217 client sends to set
// a remote serial port's line (baud rate, data size, parity, stop size, flow control) and reads
// back, and the server's notifications (NOTIFY-LINESTATE, NOTIFY-MODEMSTATE). Pure functions
// over bytes on top of telnet.h; rig/link/rfc2217.h is the link that uses them.
//
// Wire facts (RFC 2217): COM-PORT-OPTION is Telnet option 44. A client command is
// "IAC SB 44 <command> <value…> IAC SE"; the server answers with <command + 100> and the value it
// actually set. Baud rate is 4 bytes in network order; data size 5-8; parity 1 NONE, 2 ODD,
// 3 EVEN, 4 MARK, 5 SPACE; stop size 1, 2, 3 (1.5); SET-CONTROL 1 no flow control, 2 XON/XOFF,
// 3 HARDWARE, 17 DCD, 18 DTR (inbound), 19 DSR. Value 0 asks for the current setting.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rig/protocol/telnet.h"

namespace rig::protocol::rfc2217 {

enum class Command : std::uint8_t {
  signature = 0,
  set_baudrate = 1,
  set_datasize = 2,
  set_parity = 3,
  set_stopsize = 4,
  set_control = 5,
  notify_linestate = 6,
  notify_modemstate = 7,
  flowcontrol_suspend = 8,
  flowcontrol_resume = 9,
  set_linestate_mask = 10,
  set_modemstate_mask = 11,
  purge_data = 12,
};
// "SET-BAUDRATE", …, or the number.
std::string to_string(Command c);

// The server's answers carry the client command number plus this.
constexpr std::uint8_t kServerOffset = 100;

// Parity and SET-CONTROL values used here.
namespace parity {
constexpr std::uint8_t none = 1, odd = 2, even = 3, mark = 4, space = 5;
}
namespace control {
constexpr std::uint8_t no_flow = 1, xonxoff = 2, hardware = 3, dcd = 17, dtr_in = 18, dsr = 19;
}

// The line as the client wants it, in RFC 2217 codes.
struct LineSettings {
  std::uint32_t baud = 0;
  std::uint8_t datasize = 0;
  std::uint8_t parity = 0;
  std::uint8_t stopsize = 0;
  std::uint8_t control = 0;  // flow control
};

// "IAC SB 44 <command> <value> IAC SE" (value IAC-escaped).
std::string client_command(Command c, std::string_view value);
std::string set_baudrate(std::uint32_t baud);
// For the one-byte commands (data size, parity, stop size, control, masks, purge).
std::string set_byte(Command c, std::uint8_t value);
// The five commands that set `line`, in the order baud, data size, parity, stop size, control.
std::string configure(const LineSettings& line);

// One server → client subnegotiation of COM-PORT-OPTION.
struct Reply {
  Command command = Command::signature;  // the command it answers or notifies (without +100)
  std::string value;
};
// Parses a COM-PORT-OPTION subnegotiation from the server. Errors (nullopt, `error` set): not
// COM-PORT-OPTION, empty, a client command number (below 100), a number past PURGE-DATA.
std::optional<Reply> parse_reply(const telnet::Subnegotiation& sub, std::string* error = nullptr);

// Values of a reply: the baud rate (4 bytes) or the one byte; nullopt when the length is wrong.
std::optional<std::uint32_t> baud_of(const Reply& r);
std::optional<std::uint8_t> byte_of(const Reply& r);

// Names of values as errors print them: "EVEN", "1.5", "XON/XOFF", "value 9".
std::string parity_name(std::uint8_t code);
std::string stopsize_name(std::uint8_t code);
std::string control_name(std::uint8_t code);

// Follows the server's answers to configure(): each of the five settings is acknowledged once
// its answer arrives. An answer that differs from what was asked is a mismatch, worded for the
// user: "parity: asked EVEN, the server set NONE". Notifications and other answers are ignored.
class ConfigCheck {
 public:
  explicit ConfigCheck(const LineSettings& wanted) : wanted_(wanted) {}
  void on_reply(const Reply& r);
  bool done() const { return answered_ == kAll; }
  // The settings not answered yet: "data size, parity".
  std::string missing() const;
  const std::vector<std::string>& mismatches() const { return mismatches_; }

 private:
  static constexpr unsigned kAll = 0x1f;
  LineSettings wanted_;
  unsigned answered_ = 0;  // bit (command - 1) per setting
  std::vector<std::string> mismatches_;
};

}  // namespace rig::protocol::rfc2217
