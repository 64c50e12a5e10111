#include "rig/link/rfc2217.h"

#include <algorithm>
#include <utility>

namespace rig::link {

namespace telnet = rig::protocol::telnet;
namespace rfc2217 = rig::protocol::rfc2217;

namespace {

telnet::Session client_session() {
  return telnet::Session({telnet::kBinary, telnet::kSga, telnet::kComPort},
                         {telnet::kBinary, telnet::kSga});
}

// A server's parting words (ser2net says why it cannot open the device), printable only.
std::string printable(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\r' || c == '\n') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else if (c >= 0x20 && c < 0x7f) {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out.size() > 200 ? out.substr(0, 200) + "…" : out;
}

}  // namespace

rfc2217::LineSettings rfc2217_line(const SerialSettings& s) {
  rfc2217::LineSettings line;
  line.baud = static_cast<std::uint32_t>(s.baud);
  line.datasize = static_cast<std::uint8_t>(s.data_bits);
  switch (s.parity) {
    case Parity::none:
      line.parity = rfc2217::parity::none;
      break;
    case Parity::odd:
      line.parity = rfc2217::parity::odd;
      break;
    case Parity::even:
      line.parity = rfc2217::parity::even;
      break;
    case Parity::mark:
      line.parity = rfc2217::parity::mark;
      break;
    case Parity::space:
      line.parity = rfc2217::parity::space;
      break;
  }
  line.stopsize = static_cast<std::uint8_t>(s.stop_bits);
  switch (s.flow) {
    case Flow::none:
      line.control = rfc2217::control::no_flow;
      break;
    case Flow::xonxoff:
      line.control = rfc2217::control::xonxoff;
      break;
    case Flow::rtscts:
      line.control = rfc2217::control::hardware;
      break;
    case Flow::dtrdsr:
      line.control = rfc2217::control::dsr;
      break;
  }
  return line;
}

Rfc2217Link::Rfc2217Link(std::string host, std::uint16_t port, const SerialSettings& settings,
                         Clock::duration timeout)
    : host_(std::move(host)),
      port_(port),
      settings_(settings),
      timeout_(timeout),
      tcp_(host_, port_, timeout),
      session_(client_session()) {
  validate(settings_);
}

std::string Rfc2217Link::name() const { return "rfc2217://" + format_host_port(host_, port_); }

bool Rfc2217Link::is_open() const {
  std::lock_guard<std::mutex> l(mu_);
  return configured_ && tcp_.is_open();
}

void Rfc2217Link::close() {
  tcp_.close();
  std::lock_guard<std::mutex> l(mu_);
  configured_ = false;
  pending_.clear();
}

Rfc2217Link::Notices Rfc2217Link::notices() const {
  std::lock_guard<std::mutex> l(mu_);
  return notices_;
}

Status Rfc2217Link::renamed(Status s) const {
  const std::string tcp_name = tcp_.name();
  if (s.message.compare(0, tcp_name.size(), tcp_name) == 0) {
    s.message = name() + s.message.substr(tcp_name.size());
  }
  return s;
}

Status Rfc2217Link::fail(IoStatus code, const std::string& text) {
  tcp_.close();
  return {code, name() + ": " + text};
}

Status Rfc2217Link::send_raw(const std::string& bytes, Deadline deadline) {
  if (bytes.empty()) return Status::success();
  std::lock_guard<std::mutex> l(write_mu_);
  return renamed(tcp_.write(bytes, deadline));
}

std::string Rfc2217Link::take(std::string_view bytes, Deadline deadline,
                              rfc2217::ConfigCheck* check) {
  telnet::Input in;
  {
    std::lock_guard<std::mutex> l(mu_);
    in = session_.feed(bytes);
    for (const telnet::Subnegotiation& sub : in.subs) {
      auto reply = rfc2217::parse_reply(sub);
      if (!reply) continue;  // not ours to act on (another option, a malformed answer)
      auto value = rfc2217::byte_of(*reply);
      if (reply->command == rfc2217::Command::notify_linestate) {
        ++notices_.linestates;
        if (value) notices_.last_linestate = *value;
      } else if (reply->command == rfc2217::Command::notify_modemstate) {
        ++notices_.modemstates;
        if (value) notices_.last_modemstate = *value;
      }
      if (check) check->on_reply(*reply);
    }
  }
  // Best effort: a peer that stopped reading our answers shows up on the next write or read.
  (void)send_raw(in.reply, deadline);
  return std::move(in.data);
}

// Telnet options first (BINARY and SGA both ways, COM-PORT-OPTION ours), then the line.
Status Rfc2217Link::negotiate(Deadline deadline) {
  std::string start;
  {
    std::lock_guard<std::mutex> l(mu_);
    session_ = client_session();
    start = session_.start();
  }
  Status s = send_raw(start, deadline);
  if (!s) {
    tcp_.close();
    return s;
  }
  const rfc2217::LineSettings line = rfc2217_line(settings_);
  rfc2217::ConfigCheck check(line);
  bool heard = false;  // any Telnet command from the server
  bool line_sent = false;
  Status write_failed;
  while (!line_sent || !check.done()) {
    Chunk c = tcp_.read(deadline);
    if (c.status.code == IoStatus::timeout) {
      if (!write_failed) {
        tcp_.close();
        return write_failed;
      }
      if (!heard) {
        return fail(IoStatus::timeout,
                    "open timed out: no Telnet negotiation from the server (a raw TCP port? "
                    "use tcp:HOST:PORT)");
      }
      return fail(IoStatus::timeout,
                  line_sent ? "open timed out: the server did not answer: " + check.missing()
                            : "open timed out: option negotiation unfinished");
    }
    if (c.status.code == IoStatus::aborted) return fail(IoStatus::aborted, "open aborted");
    if (c.status.code == IoStatus::closed) {
      std::lock_guard<std::mutex> l(mu_);
      std::string said = printable(pending_);
      pending_.clear();
      tcp_.close();
      return {IoStatus::closed, name() + ": open failed: the server closed the connection" +
                                    (said.empty() ? "" : ": " + said)};
    }
    if (!c.status) {
      tcp_.close();
      return renamed(c.status);
    }
    std::string data = take(c.bytes, deadline, &check);
    telnet::Q com_port;
    bool settled;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!data.empty()) {
        pending_ += data;
        pending_at_ = c.at;
      }
      com_port = session_.us(telnet::kComPort);
      settled = session_.settled();
      for (std::uint8_t o : {telnet::kBinary, telnet::kSga}) {
        heard = heard || session_.us(o) != telnet::Q::want_yes ||
                session_.him(o) != telnet::Q::want_yes;
      }
      heard = heard || com_port != telnet::Q::want_yes;
    }
    if (com_port == telnet::Q::no) {
      return fail(IoStatus::error,
                  "open failed: the server refused COM-PORT-OPTION (a Telnet port without RFC "
                  "2217?)");
    }
    const bool ready = settled && com_port == telnet::Q::yes;
    if (ready && !line_sent) {
      // A server that cannot open its device says so and hangs up: the read that follows a
      // failed write reports that, with its words, rather than the broken pipe.
      write_failed = send_raw(rfc2217::configure(line), deadline);
      line_sent = true;
    }
  }
  if (!check.mismatches().empty()) {
    std::string text;
    for (const std::string& m : check.mismatches()) text += (text.empty() ? "" : "; ") + m;
    return fail(IoStatus::error, "configure failed: " + text);
  }
  return Status::success();
}

Status Rfc2217Link::open() {
  if (is_open()) return Status::success();
  const Deadline deadline = after(timeout_);
  {
    std::lock_guard<std::mutex> l(mu_);
    pending_.clear();
    notices_ = {};
  }
  Status s = renamed(tcp_.open());
  if (!s) return s;
  s = negotiate(deadline);
  if (!s) return s;
  std::lock_guard<std::mutex> l(mu_);
  configured_ = true;
  return s;
}

Status Rfc2217Link::write(std::string_view bytes, Deadline deadline) {
  std::string escaped;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!configured_) return {IoStatus::closed, name() + ": write failed: not open"};
    escaped = session_.escape(bytes);
  }
  return send_raw(escaped, deadline);
}

Chunk Rfc2217Link::read(Deadline deadline, std::size_t max) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!configured_) return {{IoStatus::closed, name() + ": read failed: not open"}, {}, {}};
    if (!pending_.empty()) {
      Chunk c{Status::success(), pending_at_, pending_.substr(0, max)};
      pending_.erase(0, c.bytes.size());
      return c;
    }
  }
  // A chunk of only Telnet commands is no data: read on until data or the deadline.
  for (;;) {
    Chunk c = tcp_.read(deadline, max);
    if (!c.status) {
      c.status = renamed(c.status);
      return c;
    }
    c.bytes = take(c.bytes, deadline, nullptr);
    if (!c.bytes.empty()) return c;
  }
}

}  // namespace rig::link
