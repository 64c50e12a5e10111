// make_link(): the bench link spec grammar (link.h, docs/links.md) mapped onto the transports.
#include <climits>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "rig/link/link.h"
#include "rig/link/pty.h"
#include "rig/link/rfc2217.h"
#include "rig/link/serial.h"
#include "rig/link/tcp.h"

namespace rig::link {

namespace {

constexpr const char* kExpected =
    "expected pty:PATH, serial:PATH, usb:VID:PID[:SERIAL], tcp:HOST:PORT or "
    "rfc2217://HOST:PORT";

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Whether a plain path names a pty (PtyLink) rather than a real serial port (SerialLink).
bool is_pty_path(const std::string& path) {
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved)) return starts_with(resolved, "/dev/pts/");
  // Not there yet. A simulator creates its symlink (vterm --ecr-link) when it starts, and such
  // links live outside /dev; a missing /dev path is an unplugged device, which must keep its
  // serial settings when it comes back.
  return starts_with(path, "/dev/pts/") || !starts_with(path, "/dev/");
}

class SpecError {
 public:
  explicit SpecError(const std::string& spec) : spec_(spec) {}
  [[noreturn]] void operator()(const std::string& detail) const {
    throw std::invalid_argument("bad link spec \"" + spec_ + "\": " + detail);
  }

 private:
  const std::string& spec_;
};

// Splits "PATH?QUERY"; the query is empty when there is no '?'.
std::pair<std::string, std::string> split_query(std::string_view text) {
  std::size_t mark = text.find('?');
  if (mark == std::string_view::npos) return {std::string(text), {}};
  return {std::string(text.substr(0, mark)), std::string(text.substr(mark + 1))};
}

SerialSettings settings_of(const std::string& query, const SpecError& fail) {
  try {
    return parse_serial_settings(query);
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

// "HOST:PORT" of a tcp: or rfc2217:// spec; `form` is how the error spells the whole spec.
std::pair<std::string, std::uint16_t> host_port(std::string_view rest, const std::string& form,
                                                const SpecError& fail) {
  std::size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) fail("expected " + form);
  std::string_view host = rest.substr(0, colon);
  std::string_view port_text = rest.substr(colon + 1);
  const std::string scheme = form.substr(0, form.find("HOST"));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);  // IPv6 literal: tcp:[::1]:5000
  } else if (host.find(':') != std::string_view::npos) {
    fail("an IPv6 host goes in brackets: " + scheme + "[ADDRESS]:PORT");
  }
  if (host.empty()) fail("missing host (expected " + form + ")");
  long port = 0;
  bool digits = !port_text.empty() && port_text.size() <= 5;
  for (char c : port_text) {
    if (c < '0' || c > '9') digits = false;
  }
  if (digits) port = std::stol(std::string(port_text));
  if (!digits || port < 1 || port > 65535) {
    fail("bad port \"" + std::string(port_text) + "\": expected 1 to 65535");
  }
  return {std::string(host), static_cast<std::uint16_t>(port)};
}

LinkPtr make_tcp(std::string_view rest, const SpecError& fail) {
  auto [host, port] = host_port(rest, "tcp:HOST:PORT", fail);
  return std::make_unique<TcpLink>(host, port);
}

// rfc2217://HOST:PORT[?SETTINGS]: a serial port behind an RFC 2217 server (ser2net).
LinkPtr make_rfc2217(std::string_view rest, const SpecError& fail) {
  auto [address, query] = split_query(rest);
  if (address.find('/') != std::string::npos) {
    fail("expected rfc2217://HOST:PORT[?SETTINGS] (no path after the port)");
  }
  auto [host, port] = host_port(address, "rfc2217://HOST:PORT", fail);
  return std::make_unique<Rfc2217Link>(host, port, settings_of(query, fail));
}

}  // namespace

LinkPtr make_link(const std::string& spec) {
  SpecError fail(spec);
  std::string_view text = spec;

  if (starts_with(text, "pty:")) {
    text.remove_prefix(4);
    if (text.empty()) fail("missing path");
    if (text.find('?') != std::string_view::npos) fail("a pty takes no line settings");
    return std::make_unique<PtyLink>(std::string(text));
  }
  if (starts_with(text, "serial:")) {
    auto [path, query] = split_query(text.substr(7));
    if (path.empty()) fail("missing path");
    return std::make_unique<SerialLink>(path, settings_of(query, fail));
  }
  if (starts_with(text, "usb:")) {
    auto [id_text, query] = split_query(text.substr(4));
    UsbId id;
    try {
      id = parse_usb_id(id_text);
    } catch (const std::invalid_argument& e) {
      fail(e.what());
    }
    return std::make_unique<SerialLink>(id, settings_of(query, fail));
  }
  if (starts_with(text, "tcp:")) return make_tcp(text.substr(4), fail);
  if (starts_with(text, "rfc2217://")) return make_rfc2217(text.substr(10), fail);
  if (starts_with(text, "/")) {
    if (text.find('?') != std::string_view::npos) {
      fail("line settings need the serial: form (serial:PATH?baud=...)");
    }
    if (is_pty_path(spec)) return std::make_unique<PtyLink>(spec);
    return std::make_unique<SerialLink>(spec, SerialSettings::rig_ecr_default());
  }
  fail(kExpected);
}

}  // namespace rig::link
