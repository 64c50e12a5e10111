// Serial transport for real ports (UARTs, USB adapters) through libserialport, its line
// settings, and port enumeration with USB ids.
//
// libserialport 0.1.1 refuses pseudo-terminals (sp_get_port_by_name needs a sysfs entry), so
// ptys go through PtyLink (pty.h) instead; make_link() picks the right one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rig/link/fd_link.h"

struct sp_port;  // <libserialport.h>

namespace rig::link {

enum class Parity { none, odd, even, mark, space };
enum class Flow { none, xonxoff, rtscts, dtrdsr };

const char* to_string(Parity parity);
const char* to_string(Flow flow);

// Line settings of a serial port. There are no member defaults: every field is written to the
// port on open(), never left as the port happened to be. rig_ecr_default() is the one
// documented default (9600 8N1, no flow control), used when a spec gives no settings.
struct SerialSettings {
  int baud;       // > 0
  int data_bits;  // 5..8
  Parity parity;
  int stop_bits;  // 1 or 2
  Flow flow;

  static SerialSettings rig_ecr_default() { return {9600, 8, Parity::none, 1, Flow::none}; }
  bool operator==(const SerialSettings& other) const;
  bool operator!=(const SerialSettings& other) const { return !(*this == other); }
};

// Throws std::invalid_argument naming the bad field, with the texts parse_serial_settings uses
// ("bad baud \"0\": expected a positive integer", ...).
void validate(const SerialSettings& settings);

// Parses the query of a serial spec: "baud=115200&data=8&parity=none&stop=1&flow=none".
// An empty query gives rig_ecr_default(). Otherwise all five keys are required, each once, in
// any order. Throws std::invalid_argument:
//   missing data (serial settings need baud, data, parity, stop and flow)
//   bad baud "fast": expected a positive integer
//   bad data "9": expected 5, 6, 7 or 8
//   bad parity "x": expected none, odd, even, mark or space
//   bad stop "3": expected 1 or 2
//   bad flow "x": expected none, xonxoff, rtscts or dtrdsr
//   unknown serial setting "speed": expected baud, data, parity, stop or flow
//   serial setting "baud" given twice
//   bad serial setting "baud": expected key=value
SerialSettings parse_serial_settings(std::string_view query);

// The query form of `settings`, keys in the order baud, data, parity, stop, flow; parsing it
// gives `settings` back.
std::string format_serial_settings(const SerialSettings& settings);

// A USB serial adapter identified by vendor id, product id and optionally its serial number.
struct UsbId {
  int vid = 0;
  int pid = 0;
  std::string serial;  // empty: any

  // "usb:0403:6001" or "usb:0403:6001:A50285BI" (lower-case, 4 hex digits each).
  std::string to_string() const;
};

// Parses "VID:PID[:SERIAL]" (hex, 1 to 4 digits each; the "usb:" prefix is optional).
// Throws std::invalid_argument: bad USB id "zz:1": expected VID:PID[:SERIAL] in hex, e.g.
// 0403:6001
UsbId parse_usb_id(std::string_view text);

// One serial port as the system describes it.
struct PortInfo {
  std::string name;         // /dev/ttyUSB0
  std::string description;  // "FT232R USB UART"
  std::optional<int> usb_vid, usb_pid;
  std::string serial_number, manufacturer, product;  // USB string descriptors, may be empty
  std::string transport;                             // usb | native | bluetooth | unknown
};

// Every serial port libserialport finds (it may find none). Throws std::runtime_error
// ("cannot list serial ports: ...") when the enumeration itself fails.
std::vector<PortInfo> list_ports();

// The name of the one port in `ports` that matches `id`. Throws std::runtime_error when none
// does, or when several do (never a guess: it could be another station's terminal):
//   usb:0403:6001: no serial port with that USB id (found: none)
//   usb:0403:6001: no serial port with that USB id (found: /dev/ttyUSB0 usb=10c4:ea60
//   serial=0001, /dev/ttyS0)
//   usb:0403:6001: 2 serial ports have that USB id (/dev/ttyUSB0 usb=0403:6001 serial=A5,
//   /dev/ttyUSB1 usb=0403:6001 serial=B7); add the serial number or name the port by path
std::string find_usb_port(const UsbId& id, const std::vector<PortInfo>& ports);

// One port as `rig ports` prints it: name, description, usb=VID:PID and serial=SN when
// present, separated by two spaces.
std::string describe_port(const PortInfo& port);

// A real serial port through libserialport. Reads, writes and abort() go through FdLink's poll
// loop on a duplicate of the descriptor libserialport opened, so they honour deadlines and abort.
//
// open() errors:
//   "/dev/ttyUSB3: open failed: No such file or directory"        (no such device)
//   "/dev/pts/4: open failed: not a serial port libserialport knows (for a pty use
//   pty:/dev/pts/4)"
//   "/dev/null: open failed: not a serial port libserialport knows"
//   "/dev/ttyS0: open failed: Permission denied"                  (sp_open refused)
//   "/dev/ttyS0: configure failed: ..."                           (a setting was refused)
//   "usb:0403:6001: no serial port with that USB id (found: none)"
//   "usb:0403:6001: 2 serial ports have that USB id (...); add the serial number or name the
//   port by path"
class SerialLink : public FdLink {
 public:
  // `settings` are validated here (std::invalid_argument, see validate()).
  SerialLink(std::string port_name, const SerialSettings& settings);
  // The port is looked up by USB id on every open(), so a re-plugged adapter that came back
  // under another /dev name is found again.
  SerialLink(UsbId usb_id, const SerialSettings& settings);
  ~SerialLink() override;

  // The port name ("/dev/ttyUSB0"); for a USB id, "usb:0403:6001" until open() resolves it and
  // "/dev/ttyUSB0 (usb:0403:6001)" afterwards.
  std::string name() const override;
  Status open() override;

  const SerialSettings& settings() const { return settings_; }

 protected:
  // Closes and frees the libserialport handle (FdLink closes its own duplicate descriptor).
  void before_close() override;

 private:
  Status open_port();
  Status configure();

  std::optional<UsbId> usb_id_;
  std::string port_name_;  // empty until a USB id is resolved
  SerialSettings settings_;
  sp_port* port_ = nullptr;
};

}  // namespace rig::link
