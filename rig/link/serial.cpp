#include "rig/link/serial.h"

#include <fcntl.h>
#include <libserialport.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace rig::link {

namespace {

constexpr std::array<const char*, 5> kSettingKeys = {"baud", "data", "parity", "stop", "flow"};
constexpr std::array<Parity, 5> kParities = {Parity::none, Parity::odd, Parity::even, Parity::mark,
                                             Parity::space};
constexpr std::array<Flow, 4> kFlows = {Flow::none, Flow::xonxoff, Flow::rtscts, Flow::dtrdsr};

[[noreturn]] void bad_value(const char* key, std::string_view value, const char* expected) {
  throw std::invalid_argument("bad " + std::string(key) + " \"" + std::string(value) +
                              "\": expected " + expected);
}

// A positive decimal integer of at most 9 digits (no sign, no spaces), or -1.
int parse_positive(std::string_view text) {
  if (text.empty() || text.size() > 9) return -1;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value > 0 ? value : -1;
}

// Text of a failed libserialport call. Must be called right after the failure: the OS error
// behind SP_ERR_FAIL is only valid until the next call.
std::string sp_error_text(sp_return result) {
  switch (result) {
    case SP_ERR_FAIL:
      return std::strerror(sp_last_error_code());
    case SP_ERR_ARG:
      return "invalid argument";
    case SP_ERR_MEM:
      return "out of memory";
    case SP_ERR_SUPP:
      return "not supported by this port";
    case SP_OK:
      break;
  }
  return "libserialport error " + std::to_string(static_cast<int>(result));
}

std::string hex4(int value) {
  char text[8];
  std::snprintf(text, sizeof text, "%04x", value & 0xffff);
  return text;
}

std::string text_or_empty(const char* text) { return text ? text : ""; }

sp_parity to_sp(Parity parity) {
  switch (parity) {
    case Parity::none:
      return SP_PARITY_NONE;
    case Parity::odd:
      return SP_PARITY_ODD;
    case Parity::even:
      return SP_PARITY_EVEN;
    case Parity::mark:
      return SP_PARITY_MARK;
    case Parity::space:
      return SP_PARITY_SPACE;
  }
  return SP_PARITY_INVALID;
}

sp_flowcontrol to_sp(Flow flow) {
  switch (flow) {
    case Flow::none:
      return SP_FLOWCONTROL_NONE;
    case Flow::xonxoff:
      return SP_FLOWCONTROL_XONXOFF;
    case Flow::rtscts:
      return SP_FLOWCONTROL_RTSCTS;
    case Flow::dtrdsr:
      return SP_FLOWCONTROL_DTRDSR;
  }
  return SP_FLOWCONTROL_NONE;
}

}  // namespace

const char* to_string(Parity parity) {
  switch (parity) {
    case Parity::none:
      return "none";
    case Parity::odd:
      return "odd";
    case Parity::even:
      return "even";
    case Parity::mark:
      return "mark";
    case Parity::space:
      return "space";
  }
  return "?";
}

const char* to_string(Flow flow) {
  switch (flow) {
    case Flow::none:
      return "none";
    case Flow::xonxoff:
      return "xonxoff";
    case Flow::rtscts:
      return "rtscts";
    case Flow::dtrdsr:
      return "dtrdsr";
  }
  return "?";
}

bool SerialSettings::operator==(const SerialSettings& other) const {
  return baud == other.baud && data_bits == other.data_bits && parity == other.parity &&
         stop_bits == other.stop_bits && flow == other.flow;
}

void validate(const SerialSettings& settings) {
  if (settings.baud <= 0) {
    bad_value("baud", std::to_string(settings.baud), "a positive integer");
  }
  if (settings.data_bits < 5 || settings.data_bits > 8) {
    bad_value("data", std::to_string(settings.data_bits), "5, 6, 7 or 8");
  }
  if (std::find(kParities.begin(), kParities.end(), settings.parity) == kParities.end()) {
    bad_value("parity", std::to_string(static_cast<int>(settings.parity)),
              "none, odd, even, mark or space");
  }
  if (settings.stop_bits != 1 && settings.stop_bits != 2) {
    bad_value("stop", std::to_string(settings.stop_bits), "1 or 2");
  }
  if (std::find(kFlows.begin(), kFlows.end(), settings.flow) == kFlows.end()) {
    bad_value("flow", std::to_string(static_cast<int>(settings.flow)),
              "none, xonxoff, rtscts or dtrdsr");
  }
}

SerialSettings parse_serial_settings(std::string_view query) {
  if (query.empty()) return SerialSettings::rig_ecr_default();
  std::array<std::optional<std::string_view>, kSettingKeys.size()> values;
  while (true) {
    std::size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      throw std::invalid_argument("bad serial setting \"" + std::string(item) +
                                  "\": expected key=value");
    }
    std::string_view key = item.substr(0, eq);
    auto known = std::find(kSettingKeys.begin(), kSettingKeys.end(), key);
    if (known == kSettingKeys.end()) {
      throw std::invalid_argument("unknown serial setting \"" + std::string(key) +
                                  "\": expected baud, data, parity, stop or flow");
    }
    auto& slot = values[static_cast<std::size_t>(known - kSettingKeys.begin())];
    if (slot) {
      throw std::invalid_argument("serial setting \"" + std::string(key) + "\" given twice");
    }
    slot = item.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  for (std::size_t i = 0; i < kSettingKeys.size(); ++i) {
    if (!values[i]) {
      throw std::invalid_argument(std::string("missing ") + kSettingKeys[i] +
                                  " (serial settings need baud, data, parity, stop and flow)");
    }
  }

  SerialSettings settings = SerialSettings::rig_ecr_default();
  std::string_view baud = *values[0], data = *values[1], parity = *values[2], stop = *values[3],
                   flow = *values[4];
  settings.baud = parse_positive(baud);
  if (settings.baud < 0) bad_value("baud", baud, "a positive integer");
  if (data.size() != 1 || data[0] < '5' || data[0] > '8') bad_value("data", data, "5, 6, 7 or 8");
  settings.data_bits = data[0] - '0';
  auto parity_it = std::find_if(kParities.begin(), kParities.end(),
                                [&](Parity p) { return parity == to_string(p); });
  if (parity_it == kParities.end()) bad_value("parity", parity, "none, odd, even, mark or space");
  settings.parity = *parity_it;
  if (stop != "1" && stop != "2") bad_value("stop", stop, "1 or 2");
  settings.stop_bits = stop[0] - '0';
  auto flow_it =
      std::find_if(kFlows.begin(), kFlows.end(), [&](Flow f) { return flow == to_string(f); });
  if (flow_it == kFlows.end()) bad_value("flow", flow, "none, xonxoff, rtscts or dtrdsr");
  settings.flow = *flow_it;
  return settings;
}

std::string format_serial_settings(const SerialSettings& settings) {
  return "baud=" + std::to_string(settings.baud) + "&data=" + std::to_string(settings.data_bits) +
         "&parity=" + to_string(settings.parity) + "&stop=" + std::to_string(settings.stop_bits) +
         "&flow=" + to_string(settings.flow);
}

// ---------------------------------------------------------------------------------------------
// USB ids and enumeration

std::string UsbId::to_string() const {
  std::string text = "usb:" + hex4(vid) + ":" + hex4(pid);
  if (!serial.empty()) text += ":" + serial;
  return text;
}

UsbId parse_usb_id(std::string_view text) {
  const std::string original(text);
  auto fail = [&]() -> UsbId {
    throw std::invalid_argument("bad USB id \"" + original +
                                "\": expected VID:PID[:SERIAL] in hex, e.g. 0403:6001");
  };
  if (text.substr(0, 4) == "usb:") text.remove_prefix(4);
  auto parse_hex = [](std::string_view digits) {
    if (digits.empty() || digits.size() > 4) return -1;
    int value = 0;
    for (char c : digits) {
      int digit = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
      if (digit < 0) return -1;
      value = value * 16 + digit;
    }
    return value;
  };
  std::size_t first = text.find(':');
  if (first == std::string_view::npos) return fail();
  std::size_t second = text.find(':', first + 1);
  UsbId id;
  id.vid = parse_hex(text.substr(0, first));
  id.pid = parse_hex(text.substr(
      first + 1, second == std::string_view::npos ? std::string_view::npos : second - first - 1));
  if (id.vid < 0 || id.pid < 0) return fail();
  if (second != std::string_view::npos) {
    id.serial = std::string(text.substr(second + 1));
    if (id.serial.empty()) return fail();
  }
  return id;
}

std::vector<PortInfo> list_ports() {
  sp_port** list = nullptr;
  sp_return result = sp_list_ports(&list);
  if (result != SP_OK) {
    throw std::runtime_error("cannot list serial ports: " + sp_error_text(result));
  }
  std::vector<PortInfo> ports;
  for (sp_port** it = list; *it; ++it) {
    const sp_port* port = *it;
    PortInfo info;
    info.name = text_or_empty(sp_get_port_name(port));
    info.description = text_or_empty(sp_get_port_description(port));
    switch (sp_get_port_transport(port)) {
      case SP_TRANSPORT_USB: {
        info.transport = "usb";
        int vid = 0, pid = 0;
        if (sp_get_port_usb_vid_pid(port, &vid, &pid) == SP_OK) {
          info.usb_vid = vid;
          info.usb_pid = pid;
        }
        info.serial_number = text_or_empty(sp_get_port_usb_serial(port));
        info.manufacturer = text_or_empty(sp_get_port_usb_manufacturer(port));
        info.product = text_or_empty(sp_get_port_usb_product(port));
        break;
      }
      case SP_TRANSPORT_NATIVE:
        info.transport = "native";
        break;
      case SP_TRANSPORT_BLUETOOTH:
        info.transport = "bluetooth";
        break;
      default:
        info.transport = "unknown";
        break;
    }
    ports.push_back(std::move(info));
  }
  sp_free_port_list(list);
  // libserialport lists in directory order; people and tests want a stable one.
  std::sort(ports.begin(), ports.end(),
            [](const PortInfo& a, const PortInfo& b) { return a.name < b.name; });
  return ports;
}

std::string describe_port(const PortInfo& port) {
  std::string line = port.name;
  if (!port.description.empty()) line += "  " + port.description;
  if (port.usb_vid && port.usb_pid)
    line += "  usb=" + hex4(*port.usb_vid) + ":" + hex4(*port.usb_pid);
  if (!port.serial_number.empty()) line += "  serial=" + port.serial_number;
  return line;
}

namespace {

// "/dev/ttyUSB0 usb=0403:6001 serial=A50285BI", as the lookup errors list ports.
std::string describe_briefly(const PortInfo& port) {
  std::string text = port.name;
  if (port.usb_vid && port.usb_pid)
    text += " usb=" + hex4(*port.usb_vid) + ":" + hex4(*port.usb_pid);
  if (!port.serial_number.empty()) text += " serial=" + port.serial_number;
  return text;
}

std::string describe_all(const std::vector<const PortInfo*>& ports) {
  std::string text;
  for (const PortInfo* port : ports) {
    if (!text.empty()) text += ", ";
    text += describe_briefly(*port);
  }
  return text;
}

}  // namespace

std::string find_usb_port(const UsbId& id, const std::vector<PortInfo>& ports) {
  std::vector<const PortInfo*> matches, all;
  for (const PortInfo& port : ports) {
    all.push_back(&port);
    if (port.usb_vid == id.vid && port.usb_pid == id.pid &&
        (id.serial.empty() || port.serial_number == id.serial)) {
      matches.push_back(&port);
    }
  }
  if (matches.size() == 1) return matches.front()->name;
  // Picking one of several would let a station drive another station's terminal, and which
  // one comes first changes when adapters are re-plugged.
  if (matches.size() > 1) {
    throw std::runtime_error(id.to_string() + ": " + std::to_string(matches.size()) +
                             " serial ports have that USB id (" + describe_all(matches) +
                             "); add the serial number or name the port by path");
  }
  throw std::runtime_error(id.to_string() + ": no serial port with that USB id (found: " +
                           (all.empty() ? "none" : describe_all(all)) + ")");
}

// ---------------------------------------------------------------------------------------------
// SerialLink

SerialLink::SerialLink(std::string port_name, const SerialSettings& settings)
    : port_name_(std::move(port_name)), settings_(settings) {
  validate(settings_);
}

SerialLink::SerialLink(UsbId usb_id, const SerialSettings& settings)
    : usb_id_(std::move(usb_id)), settings_(settings) {
  validate(settings_);
}

// FdLink's destructor cannot reach before_close(), so the libserialport handle is freed here.
SerialLink::~SerialLink() { SerialLink::close(); }

std::string SerialLink::name() const {
  if (!usb_id_) return port_name_;
  if (port_name_.empty()) return usb_id_->to_string();
  return port_name_ + " (" + usb_id_->to_string() + ")";
}

Status SerialLink::open() {
  if (is_open()) return Status::success();
  if (usb_id_) {
    // Looked up on every open: a re-plugged adapter may come back as another ttyUSBn.
    port_name_.clear();
    try {
      port_name_ = find_usb_port(*usb_id_, list_ports());
    } catch (const std::runtime_error& e) {
      std::string why = e.what();
      // find_usb_port names the id itself; a failed enumeration does not.
      if (why.rfind(usb_id_->to_string() + ":", 0) != 0) why = usb_id_->to_string() + ": " + why;
      return {IoStatus::error, why};
    }
  }
  Status opened = open_port();
  if (!opened) return opened;
  Status configured = configure();
  if (!configured) close();
  return configured;
}

Status SerialLink::open_port() {
  sp_port* found = nullptr;
  sp_return result = sp_get_port_by_name(port_name_.c_str(), &found);
  if (result != SP_OK) {
    // libserialport's OS error is valid only now, before stat() below overwrites errno.
    int sp_err = result == SP_ERR_FAIL ? sp_last_error_code() : 0;
    // libserialport 0.1.1 reports a missing device, and a device without a sysfs entry (a pty,
    // /dev/null), as a bad argument with no OS error; the file system tells which it is, and a
    // missing file is reported as such whatever libserialport said.
    struct stat st {};
    int err = ::stat(port_name_.c_str(), &st) != 0 ? errno : sp_err;
    if (err != 0) return failure(IoStatus::error, "open", err);
    std::string why = name() + ": open failed: not a serial port libserialport knows";
    char resolved[PATH_MAX];
    if (::realpath(port_name_.c_str(), resolved) && std::strncmp(resolved, "/dev/pts/", 9) == 0) {
      why += " (for a pty use pty:" + port_name_ + ")";
    }
    return {IoStatus::error, why};
  }
  port_ = found;
  result = sp_open(port_, SP_MODE_READ_WRITE);
  if (result != SP_OK) {
    std::string why = sp_error_text(result);
    sp_free_port(port_);
    port_ = nullptr;
    return {IoStatus::error, name() + ": open failed: " + why};
  }
  int handle = -1;
  result = sp_get_port_handle(port_, &handle);
  // FdLink owns and closes its descriptor, and sp_close() closes libserialport's: each gets its
  // own, so neither closes a number the other (or a later open elsewhere) still uses.
  int own = result == SP_OK ? ::fcntl(handle, F_DUPFD_CLOEXEC, 0) : -1;
  if (own < 0) {
    std::string why = result == SP_OK ? std::strerror(errno) : sp_error_text(result);
    sp_close(port_);
    sp_free_port(port_);
    port_ = nullptr;
    return {IoStatus::error, name() + ": open failed: " + why};
  }
  adopt(own);
  return Status::success();
}

Status SerialLink::configure() {
  sp_port_config* raw_config = nullptr;
  if (sp_new_config(&raw_config) != SP_OK) {
    return {IoStatus::error, name() + ": configure failed: out of memory"};
  }
  std::unique_ptr<sp_port_config, decltype(&sp_free_config)> config(raw_config, sp_free_config);
  // A fresh config leaves every field "unchanged"; each one is set here so that nothing is
  // inherited from whoever used the port before. RTS and DTR are driven high unless they are
  // the flow-control lines, as a terminal's ECR port expects of a cash register.
  sp_return result = SP_OK;
  for (sp_return step : {sp_set_config_baudrate(config.get(), settings_.baud),
                         sp_set_config_bits(config.get(), settings_.data_bits),
                         sp_set_config_parity(config.get(), to_sp(settings_.parity)),
                         sp_set_config_stopbits(config.get(), settings_.stop_bits),
                         sp_set_config_flowcontrol(config.get(), to_sp(settings_.flow))}) {
    if (step != SP_OK && result == SP_OK) result = step;
  }
  if (result == SP_OK && settings_.flow != Flow::rtscts) {
    result = sp_set_config_rts(config.get(), SP_RTS_ON);
  }
  if (result == SP_OK && settings_.flow != Flow::dtrdsr) {
    result = sp_set_config_dtr(config.get(), SP_DTR_ON);
  }
  if (result == SP_OK) result = sp_set_config(port_, config.get());
  if (result != SP_OK) {
    return {IoStatus::error, name() + ": configure failed: " + sp_error_text(result) + " (" +
                                 format_serial_settings(settings_) + ")"};
  }
  // sp_open leaves VMIN = VTIME = 0, where a read with nothing to read returns 0 instead of
  // EAGAIN, which FdLink would take for a hang-up. VMIN = 1 makes an empty port wait in poll.
  termios tio{};
  if (::tcgetattr(fd(), &tio) != 0) return failure(IoStatus::error, "configure", errno);
  tio.c_cc[VMIN] = 1;
  tio.c_cc[VTIME] = 0;
  if (::tcsetattr(fd(), TCSANOW, &tio) != 0) return failure(IoStatus::error, "configure", errno);
  return Status::success();
}

void SerialLink::before_close() {
  if (!port_) return;
  sp_close(port_);
  sp_free_port(port_);
  port_ = nullptr;
}

}  // namespace rig::link
