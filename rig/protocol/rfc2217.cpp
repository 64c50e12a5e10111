#include "rig/protocol/rfc2217.h"

namespace rig::protocol::rfc2217 {

namespace {

constexpr std::uint8_t kLastCommand = static_cast<std::uint8_t>(Command::purge_data);

std::string value_name(std::uint8_t code) { return "value " + std::to_string(code); }

}  // namespace

std::string to_string(Command c) {
  switch (c) {
    case Command::signature:
      return "SIGNATURE";
    case Command::set_baudrate:
      return "SET-BAUDRATE";
    case Command::set_datasize:
      return "SET-DATASIZE";
    case Command::set_parity:
      return "SET-PARITY";
    case Command::set_stopsize:
      return "SET-STOPSIZE";
    case Command::set_control:
      return "SET-CONTROL";
    case Command::notify_linestate:
      return "NOTIFY-LINESTATE";
    case Command::notify_modemstate:
      return "NOTIFY-MODEMSTATE";
    case Command::flowcontrol_suspend:
      return "FLOWCONTROL-SUSPEND";
    case Command::flowcontrol_resume:
      return "FLOWCONTROL-RESUME";
    case Command::set_linestate_mask:
      return "SET-LINESTATE-MASK";
    case Command::set_modemstate_mask:
      return "SET-MODEMSTATE-MASK";
    case Command::purge_data:
      return "PURGE-DATA";
  }
  return std::to_string(static_cast<int>(c));
}

std::string client_command(Command c, std::string_view value) {
  std::string payload(1, static_cast<char>(c));
  payload += value;
  return telnet::subnegotiation(telnet::kComPort, payload);
}

std::string set_baudrate(std::uint32_t baud) {
  const char value[4] = {static_cast<char>(baud >> 24), static_cast<char>(baud >> 16),
                         static_cast<char>(baud >> 8), static_cast<char>(baud)};
  return client_command(Command::set_baudrate, std::string_view(value, 4));
}

std::string set_byte(Command c, std::uint8_t value) {
  const char v = static_cast<char>(value);
  return client_command(c, std::string_view(&v, 1));
}

std::string configure(const LineSettings& line) {
  return set_baudrate(line.baud) + set_byte(Command::set_datasize, line.datasize) +
         set_byte(Command::set_parity, line.parity) +
         set_byte(Command::set_stopsize, line.stopsize) +
         set_byte(Command::set_control, line.control);
}

std::optional<Reply> parse_reply(const telnet::Subnegotiation& sub, std::string* error) {
  auto fail = [&](std::string text) -> std::optional<Reply> {
    if (error) *error = std::move(text);
    return std::nullopt;
  };
  if (sub.option != telnet::kComPort) {
    return fail("not COM-PORT-OPTION (option " + telnet::option_name(sub.option) + ")");
  }
  if (sub.payload.empty()) return fail("empty COM-PORT-OPTION subnegotiation");
  const auto number = static_cast<std::uint8_t>(sub.payload[0]);
  if (number < kServerOffset) {
    return fail("client command " + std::to_string(number) + " sent by the server");
  }
  if (number > kServerOffset + kLastCommand) {
    return fail("unknown server command " + std::to_string(number));
  }
  return Reply{static_cast<Command>(number - kServerOffset), sub.payload.substr(1)};
}

std::optional<std::uint32_t> baud_of(const Reply& r) {
  if (r.value.size() != 4) return std::nullopt;
  std::uint32_t baud = 0;
  for (char c : r.value) baud = (baud << 8) | static_cast<std::uint8_t>(c);
  return baud;
}

std::optional<std::uint8_t> byte_of(const Reply& r) {
  if (r.value.size() != 1) return std::nullopt;
  return static_cast<std::uint8_t>(r.value[0]);
}

std::string parity_name(std::uint8_t code) {
  switch (code) {
    case parity::none:
      return "NONE";
    case parity::odd:
      return "ODD";
    case parity::even:
      return "EVEN";
    case parity::mark:
      return "MARK";
    case parity::space:
      return "SPACE";
    default:
      return value_name(code);
  }
}

std::string stopsize_name(std::uint8_t code) {
  switch (code) {
    case 1:
      return "1";
    case 2:
      return "2";
    case 3:
      return "1.5";
    default:
      return value_name(code);
  }
}

std::string control_name(std::uint8_t code) {
  switch (code) {
    case control::no_flow:
      return "no flow control";
    case control::xonxoff:
      return "XON/XOFF";
    case control::hardware:
      return "HARDWARE (RTS/CTS)";
    case 14:
      return "no inbound flow control";
    case 15:
      return "inbound XON/XOFF";
    case 16:
      return "inbound HARDWARE";
    case control::dcd:
      return "DCD";
    case control::dtr_in:
      return "DTR (inbound)";
    case control::dsr:
      return "DSR";
    default:
      return value_name(code);
  }
}

void ConfigCheck::on_reply(const Reply& r) {
  const auto number = static_cast<std::uint8_t>(r.command);
  if (number < 1 || number > 5) return;  // notifications, signature, …
  const unsigned bit = 1u << (number - 1);
  if (answered_ & bit) return;  // a later answer (another client changed it) is not ours
  answered_ |= bit;
  auto mismatch = [&](const char* what, const std::string& asked, const std::string& got) {
    mismatches_.push_back(std::string(what) + ": asked " + asked + ", the server set " + got);
  };
  if (r.command == Command::set_baudrate) {
    auto baud = baud_of(r);
    if (!baud) {
      mismatch("baud rate", std::to_string(wanted_.baud), "a malformed answer");
    } else if (*baud != wanted_.baud) {
      mismatch("baud rate", std::to_string(wanted_.baud), std::to_string(*baud));
    }
    return;
  }
  auto value = byte_of(r);
  std::uint8_t asked = 0;
  std::string (*name)(std::uint8_t) = nullptr;
  const char* what = "";
  switch (r.command) {
    case Command::set_datasize:
      asked = wanted_.datasize, what = "data size";
      name = [](std::uint8_t c) { return std::to_string(c); };
      break;
    case Command::set_parity:
      asked = wanted_.parity, what = "parity", name = parity_name;
      break;
    case Command::set_stopsize:
      asked = wanted_.stopsize, what = "stop size", name = stopsize_name;
      break;
    default:
      asked = wanted_.control, what = "flow control", name = control_name;
      break;
  }
  if (!value) {
    mismatch(what, name(asked), "a malformed answer");
  } else if (*value != asked) {
    mismatch(what, name(asked), name(*value));
  }
}

std::string ConfigCheck::missing() const {
  static const char* const kNames[] = {"baud rate", "data size", "parity", "stop size",
                                       "flow control"};
  std::string out;
  for (unsigned i = 0; i < 5; ++i) {
    if (answered_ & (1u << i)) continue;
    if (!out.empty()) out += ", ";
    out += kNames[i];
  }
  return out;
}

}  // namespace rig::protocol::rfc2217
