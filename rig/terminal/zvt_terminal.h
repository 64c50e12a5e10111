// The `zvt` terminal driver: a ZVT payment terminal (docs/zvt.md) behind the terminal model, the
// controller playing the cash register (ECR). Over TCP (`link: tcp:HOST:PORT`; 20007 is the
// usual port) or a serial line or pty (serial blocks). The translation between the model and
// ZVT is ZvtEcr (below), pure and unit-tested; the driver adds the link layer
// (rig/terminal/zvt_link.h, ECR role: every PT message answered 80 00 00) and one pump thread.
// It registers with the PT when it opens the link.
//
// What ZVT can and cannot say (zvt_capabilities(), docs/terminal-drivers.md):
//   commands      sale (card), refund (a reversal 06 30 of the sale's receipt when the whole
//                 amount goes back, else refund 06 31), last and reprint (repeat receipt 06 20),
//                 cancel (abort 06 B0), status and reset (status enquiry 05 01; reset aborts a
//                 running transaction first). No query, login or unlock: ZVT has none.
//   observations  results (status information 04 0F, then completion 06 0F or abort 06 1E),
//                 displays (intermediate status texts), prompts (what an intermediate status
//                 code names, and only that: PRESENT_CARD 0A, PIN 01/02, REMOVE_CARD 0B; no
//                 tries left), receipts (print lines 06 D1 / text block 06 D3), status, the
//                 wire, notes, and the terminal events a status code names: PIN_WRONG 15,
//                 PIN_BLOCKED 18 (and 55, 58 with "remove card"). ZVT has no event stream: no
//                 other event (BOOT, REVERSAL_STORED, PAPER_OUT, ...).
//   payments      card only (no QR); no transaction ids on the wire, so a payment is never sent
//                 twice under one id (the engine skips scenarios that do).
//   status        state, paper, locked, tid, version (the completion's terminal status byte,
//                 BMP 29, the software version). No reversal counts, last id, STAN or busy id.
//   outcomes      status and rc from the result code (zvt::rig_result: host codes as they are,
//                 local codes where ZVT has one; CX and NT are both 6C and read CX), amount,
//                 currency, STAN (trace), masked PAN, approval code, entry chip or swipe (a
//                 fallback reads swipe), text. No RRN, no wallet order.
//   faults        ecr.disconnect; over a serial line or pty also ecr.bad_lrc (a wrong CRC),
//                 ecr.no_ack and ecr.noise.
// Bench settings (`terminal: {settings: {...}}`): `password` (six digits, default 000000),
// `currency` (ISO 4217 numeric, the registration's; default 978).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rig/protocol/zvt.h"
#include "rig/terminal/terminal.h"
#include "rig/terminal/zvt_link.h"

namespace rig::terminal {

struct ZvtEcrConfig {
  std::string password = "000000";
  std::uint16_t currency = 978;
  // Registration config byte: receipts of payments to the ECR (02) as print lines (80), and
  // intermediate status (08).
  std::uint8_t config = 0x8A;
};

// The ECR's side of ZVT in the terms of the terminal model. The PT works on one command at a
// time: `current` is the one it accepted (80 00) and is answering, `next` the one sent and not
// yet accepted. Not thread-safe: the driver holds a lock around it.
class ZvtEcr {
 public:
  explicit ZvtEcr(ZvtEcrConfig config);

  // What a command becomes: ZVT commands to send, in order, and observations that answer it at
  // once (ZVT has no command for it, or the answer is known here).
  struct Plan {
    std::vector<protocol::zvt::Message> to_pt;
    std::vector<Observation> now;
  };
  Plan on_command(const Command& command);
  // The registration to send when the link opens; forgets a command the PT was working on.
  protocol::zvt::Registration registration();
  // The log-off (06 02) to send before the ECR closes the link, when it registered; the ECR is
  // unregistered from then on. None when it never registered (nothing to end).
  std::optional<protocol::zvt::LogOff> log_off();
  // The PT's answer to a command of the plan: 80 00 (accepted) or 84 XX (refused), or none
  // (the link failed; the command is dropped).
  std::vector<Observation> on_accepted(const protocol::zvt::Message& sent);
  std::vector<Observation> on_refused(const protocol::zvt::Message& sent, std::uint8_t code);
  void on_unsent();
  // A message of the PT, or one that does not decode.
  std::vector<Observation> on_message(const protocol::zvt::Message& message);
  std::vector<Observation> on_undecodable(const std::string& error);

  bool registered() const { return registered_; }
  // A command was sent and its 80 00 / 84 XX has not been handed over yet.
  bool awaiting_answer() const { return next_.has_value(); }
  // The PT is working on a command of ours or is about to.
  bool busy() const { return current_.has_value() || next_.has_value(); }

 private:
  enum class JobKind { registration, sale, refund, last, reprint, status };
  struct Job {
    JobKind kind = JobKind::sale;
    std::string id;
    std::string amount, currency;
    std::optional<protocol::zvt::StatusInformation> info;
    std::vector<std::string> lines;
    bool receipt_done = false;
    std::string last_display;
  };

  bool transaction(const std::optional<Job>& j) const {
    return j && (j->kind == JobKind::sale || j->kind == JobKind::refund);
  }
  Outcome outcome_of(const Job& job, std::optional<std::uint8_t> abort_code) const;
  std::vector<Observation> finish(std::optional<std::uint8_t> abort_code);
  std::string id_of_receipt(const Job& job) const;

  ZvtEcrConfig cfg_;
  std::optional<Job> current_;
  std::optional<Job> next_;
  bool registered_ = false;
  std::map<std::string, Outcome> outcomes_;          // by id: cancel of a finished one, query
  std::map<std::uint16_t, std::string> receipts_;    // receipt number -> sale id
  std::map<std::string, std::uint16_t> receipt_of_;  // sale id -> receipt number
};

// A wire record of the ZvtLink observer: frames are named by CLASS INSTR ("06 01") and shown
// as the message described.
WireRecord zvt_wire_record(const ZvtWireEvent& event);

// What a zvt driver with these options can do (its faults depend on the transport).
Capabilities zvt_capabilities(const TerminalOptions& options);

void register_zvt(DriverRegistry& registry);

}  // namespace rig::terminal
