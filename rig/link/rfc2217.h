// Remote serial port over RFC 2217 (Telnet Com Port Control): a terminal plugged into a small
// bench host running ser2net (`accepter: telnet(rfc2217),tcp,PORT`) or labgrid's exporter, driven
// from a controller elsewhere, line settings included. Link spec: `rfc2217://HOST:PORT[?SETTINGS]`
// (docs/links.md). The protocol is rig/protocol/telnet.h and rfc2217.h; this is the plumbing: a
// TcpLink underneath, the Telnet session in between.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "rig/link/serial.h"
#include "rig/link/tcp.h"
#include "rig/protocol/rfc2217.h"
#include "rig/protocol/telnet.h"

namespace rig::link {

// The RFC 2217 codes of serial settings (dtrdsr asks for DSR flow control, code 19).
protocol::rfc2217::LineSettings rfc2217_line(const SerialSettings& settings);

// A serial port behind an RFC 2217 server.
//
// open() connects, negotiates BINARY and SGA both ways and COM-PORT-OPTION on our side, then sets
// all five line settings and waits until the server has answered each with the value asked for;
// only then is the link open. The whole open has one budget (the connect timeout). Errors:
//   "rfc2217://127.0.0.1:9: open failed: Connection refused"
//   "rfc2217://127.0.0.1:7000: open failed: the server refused COM-PORT-OPTION (a Telnet port
//    without RFC 2217?)"
//   "rfc2217://127.0.0.1:7000: open timed out: no Telnet negotiation from the server (a raw TCP
//    port? use tcp:HOST:PORT)"
//   "rfc2217://127.0.0.1:7000: open timed out: the server did not answer: parity, flow control"
//   "rfc2217://127.0.0.1:7000: open failed: the server closed the connection: <what it said>"
//   "rfc2217://127.0.0.1:7000: configure failed: flow control: asked DSR, the server set ..."
//   "rfc2217://127.0.0.1:7000: open aborted"                (abort() during connect or negotiation)
// After open, read() returns only the serial data: Telnet commands, answers and the server's
// NOTIFY-LINESTATE / NOTIFY-MODEMSTATE are consumed (and counted), IAC IAC is one 0xFF; write()
// doubles 0xFF. Negotiation the server starts later is answered from read().
class Rfc2217Link : public Link {
 public:
  Rfc2217Link(std::string host, std::uint16_t port, const SerialSettings& settings,
              Clock::duration timeout = TcpLink::kDefaultConnectTimeout);

  // "rfc2217://HOST:PORT"
  std::string name() const override;
  Status open() override;
  bool is_open() const override;
  void close() override;
  Status write(std::string_view bytes, Deadline deadline) override;
  Chunk read(Deadline deadline, std::size_t max = 4096) override;
  void abort() override { tcp_.abort(); }
  void wake() override { tcp_.wake(); }

  const SerialSettings& settings() const { return settings_; }
  // What the server reported: counts of NOTIFY-LINESTATE / NOTIFY-MODEMSTATE and their last
  // values (-1: none yet).
  struct Notices {
    int linestates = 0, modemstates = 0;
    int last_linestate = -1, last_modemstate = -1;
  };
  Notices notices() const;

 private:
  // Feeds bytes from the server through the session: answers negotiation at once, records
  // notifications, hands COM-PORT-OPTION answers to `check` when given; returns the data.
  std::string take(std::string_view bytes, Deadline deadline,
                   protocol::rfc2217::ConfigCheck* check);
  Status send_raw(const std::string& bytes, Deadline deadline);
  Status negotiate(Deadline deadline);
  // `s` with TcpLink's name replaced by ours.
  Status renamed(Status s) const;
  Status fail(IoStatus code, const std::string& text);

  std::string host_;
  std::uint16_t port_;
  SerialSettings settings_;
  Clock::duration timeout_;
  TcpLink tcp_;
  mutable std::mutex mu_;  // session_, pending_, notices_
  std::mutex write_mu_;    // one write to the socket at a time (writer and reader's answers)
  protocol::telnet::Session session_;
  std::string pending_;  // data that arrived before open() finished
  Clock::time_point pending_at_{};
  Notices notices_;
  bool configured_ = false;
};

}  // namespace rig::link
