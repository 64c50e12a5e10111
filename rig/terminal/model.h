// The terminal model: what the engine asks a payment terminal and what it hears back, in the
// terms of the domain, not of a wire protocol. Every terminal driver (rig/terminal/terminal.h)
// translates between this model and its protocol: `rig-ecr` (RIG-ECR v1) first, ZVT and the
// JSON-lines adapter next. The engine, the checks, the timeline, the reports and the Python
// bindings see only this model. docs/terminal-drivers.md is the contract.
//
// - Commands (Command): sale, refund, query, last, reprint, cancel, status, reset, login,
//   unlock. Each carries the id the engine chose; every command gets one final answer
//   (an Outcome, or a StatusSnapshot for status and reset; a duplicate Receipt for reprint).
// - Observations (Observation): an Outcome (the result of a transaction), a Display text, a
//   Prompt (the terminal waits for someone), a Receipt, a TerminalEvent, a StatusSnapshot, a
//   WireRecord (a frame or control byte on the ECR link, for drivers that have a wire) and a
//   Note (anything else worth keeping, e.g. a message the driver does not understand).
// - Capabilities: which commands a driver can send, which observations it produces, which
//   status fields its snapshots carry and which faults of its own link it can make. A scenario
//   that needs more than the station's driver has is skipped with the reason (Need, lacking()).
//
// Each observation has one JSON form (to_json), the `fields` of its timeline entry in
// results.json and Python; the names are fixed here and listed in docs/terminal-drivers.md.
// Optional values are left out of the JSON when absent. Multi-line texts (display, receipt)
// join their lines with '|'.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace rig::terminal {

// ---------------------------------------------------------------------------------------------
// Commands

// Ids the engine puts on commands are 1 to kMaxIdLength printable ASCII characters. A driver
// whose protocol carries no ids (or shorter ones) keeps the mapping itself.
inline constexpr std::size_t kMaxIdLength = 32;

enum class CommandKind { sale, refund, query, last, reprint, cancel, status, reset, login, unlock };

// "sale", "refund", …: the names scenarios use for the steps that send them.
const char* to_string(CommandKind kind);
// Every command kind, in the order above.
const std::vector<CommandKind>& all_commands();

struct Command {
  CommandKind kind = CommandKind::status;
  // sale, refund: the transaction's id; query, cancel: the id of the transaction asked about;
  // the others: the id of this request (its answer carries it).
  std::string id;
  std::string amount;       // sale, refund: "100.00"
  std::string currency;     // sale, refund: ISO 4217 numeric ("156")
  std::string method;       // sale, refund: "card" | "qr"
  std::string original_id;  // refund: the id of the sale refunded ("" when not given)
};

// ---------------------------------------------------------------------------------------------
// Observations

// Closed vocabularies (docs/terminal-drivers.md). A driver reports what its terminal said; a
// value outside these lists is kept as it came (the checks then fail with it in their text).
//   Outcome::status  APPROVED DECLINED FAILED UNKNOWN CANCELLED
//   Outcome::method  card qr
//   Outcome::entry   chip swipe fallback qr manual
//   Receipt::copy    original duplicate

// The result of a transaction (or of a command that could not run).
struct Outcome {
  std::string id;        // the transaction's id
  std::string status;    // APPROVED | DECLINED | FAILED | UNKNOWN | CANCELLED
  std::string rc;        // response code: the host's field 39, "00" for an approved QR
                         // payment, or the terminal's own two-letter code
  std::string type;      // "sale" | "refund" | "" (an answer to a command that did not run)
  std::string amount;    // "100.00"
  std::string currency;  // ISO 4217 numeric
  std::string method;    // card | qr
  std::string entry;     // chip | swipe | fallback | qr | manual
  std::string pan;       // masked: first six, last four ("476173******0010")
  std::string stan;      // ISO 8583 field 11 the terminal used
  std::string rrn;       // field 37 from the host response
  std::string auth;      // field 38 (approvals)
  std::string order;     // QR: the wallet out_trade_no
  std::string text;      // for people ("DECLINED 51 insufficient funds")
  std::string ref;       // answer to `last`: the id of the LAST request
};

// The display changed; `lines` is all of it.
struct Display {
  std::string id;  // the transaction it concerns, "" when none
  std::vector<std::string> lines;
};

// The terminal waits for the customer or the operator.
struct Prompt {
  std::string kind;  // PRESENT_CARD, PIN, … (rig/scenario/catalogue.h prompt_kinds())
  std::string id;
  std::optional<int> tries_left;  // PIN, from the second try on
  std::string text;               // e.g. "LAST PIN TRY", "SUPERVISOR"
};

// A receipt that finished printing.
struct Receipt {
  std::string id;                 // the transaction's id
  std::string copy = "original";  // original | duplicate
  std::vector<std::string> lines;
  std::string ref;  // a duplicate for `reprint`: the id of the REPRINT request
};

// Something the terminal reports about its own work (REVERSAL_STORED, PAPER_OUT, …).
struct TerminalEvent {
  std::string name;
  std::string id;     // the transaction it concerns, "" when none
  std::string stan;   // the original's STAN (reversal events)
  std::string order;  // QR events: the out_trade_no
  std::optional<int> attempt;
  std::optional<int> tries_left;
  std::string detail;
};

// The terminal's state, as the answer to `status` or `reset`. Drivers fill what their terminal
// reports and say which fields in Capabilities::status_fields.
struct StatusSnapshot {
  std::string id;     // the request's id
  std::string state;  // idle | busy | locked | offline
  std::string paper;  // ok | low | out
  std::optional<int> pending_reversals;
  std::optional<int> failed_reversals;
  std::optional<int> manual_handling;
  std::optional<bool> locked;
  std::string last_id;
  std::string stan;
  std::string busy_id;
  std::string tid;
  std::string version;
};

// Every field a StatusSnapshot can carry (the names of Capabilities::status_fields), in the
// order of docs/terminal-drivers.md.
const std::vector<std::string>& status_field_names();

// A frame or control byte on the ECR link, as the controller's end saw it.
struct WireRecord {
  enum class Direction { in, out };  // in: from the terminal
  Direction direction = Direction::in;
  std::string kind;     // frame | ack | nak | bad | noise
  std::string payload;  // printable form of a frame's payload (frames, bad frames)
  std::string name;     // frames: the message name ("SALE", "RESULT"; ZVT: "06 01")
  std::string detail;   // why a frame was bad, …
  int attempt = 0;      // out: which write of the frame (1 …); 0: not counted
  bool duplicate = false;
  std::size_t bytes = 0;  // noise: how many bytes
};

// Anything else worth keeping on the timeline (a message the driver does not know).
struct Note {
  std::string text;
};

using Observation = std::variant<Outcome, Display, Prompt, Receipt, TerminalEvent, StatusSnapshot,
                                 WireRecord, Note>;

// What a driver can observe; also the timeline entry kind each observation becomes.
enum class ObservationKind { result, display, prompt, receipt, event, status, wire, note };

const char* to_string(ObservationKind kind);
ObservationKind kind_of(const Observation& observation);

// The observation's fields as they appear on the timeline and in results.json.
nlohmann::json to_json(const Outcome& o);
nlohmann::json to_json(const Display& d);
nlohmann::json to_json(const Prompt& p);
nlohmann::json to_json(const Receipt& r);
nlohmann::json to_json(const TerminalEvent& e);
nlohmann::json to_json(const StatusSnapshot& s);
nlohmann::json to_json(const WireRecord& w);
nlohmann::json to_json(const Note& n);
nlohmann::json to_json(const Observation& observation);

// Lines joined with '|' (the text form of displays and receipts), and split again.
std::string join_lines(const std::vector<std::string>& lines);
std::vector<std::string> split_lines(const std::string& text);

// ---------------------------------------------------------------------------------------------
// Capabilities

struct Capabilities {
  std::set<CommandKind> commands;
  std::set<ObservationKind> observations;
  // Fields a StatusSnapshot of this driver carries ("state", "pending_reversals", …).
  std::set<std::string> status_fields;
  // Faults the driver makes on its own link ("ecr.no_ack", …; family `ecr` of the catalogue).
  std::set<std::string> faults;
  // The kinds its prompts can take (a protocol that names only some, as ZVT's intermediate
  // status codes do); empty: any kind the terminal names.
  std::set<std::string> prompt_kinds;
  // The prompts say how many tries are left (a PIN prompt's tries_left); false when the
  // protocol has no place for it (ZVT's intermediate status).
  bool prompt_tries_left = true;
  // The names its terminal events can take, when it reports events (a protocol that signals
  // only some, as ZVT's intermediate status codes do); empty: any name the terminal reports.
  std::set<std::string> event_kinds;
  // The payment methods a sale or refund may use ("card", "qr"); empty: any.
  std::set<std::string> methods;
  // The terminal knows the engine's transaction ids, so that a payment sent again with the same
  // id is answered from its record (RIG-ECR); false when the protocol carries no ids (ZVT).
  bool transaction_ids = true;
};

// One thing a step or a check needs from the station's terminal driver.
struct Need {
  enum class Kind {
    command,
    observation,
    status_field,
    fault,
    prompt_kind,        // a prompt of this kind (a trigger or an expectation)
    prompt_tries_left,  // a prompt's tries left
    event_kind,         // a terminal event of this name (a trigger or an expectation)
    method,             // a payment with this method
    transaction_ids     // a payment sent again under an id used before
  };
  Kind kind = Kind::observation;
  std::string name;  // to_string(CommandKind), to_string(ObservationKind), a field, a fault

  static Need command(CommandKind k) { return {Kind::command, to_string(k)}; }
  static Need observation(ObservationKind k) { return {Kind::observation, to_string(k)}; }
  static Need status_field(std::string field) { return {Kind::status_field, std::move(field)}; }
  static Need fault(std::string name) { return {Kind::fault, std::move(name)}; }
  static Need prompt_kind(std::string kind) { return {Kind::prompt_kind, std::move(kind)}; }
  static Need prompt_tries_left() { return {Kind::prompt_tries_left, "tries_left"}; }
  static Need event_kind(std::string name) { return {Kind::event_kind, std::move(name)}; }
  static Need method(std::string method) { return {Kind::method, std::move(method)}; }
  static Need transaction_ids() { return {Kind::transaction_ids, "transaction ids"}; }

  bool operator==(const Need& o) const { return kind == o.kind && name == o.name; }
  bool operator<(const Need& o) const { return kind != o.kind ? kind < o.kind : name < o.name; }
};

// "" when `caps` covers `need`; otherwise why not, naming the driver:
//   "needs terminal events; driver zvt cannot observe them"
//   "needs the refund command; driver zvt cannot send it"
//   "needs the status field pending_reversals; driver zvt does not report it"
//   "needs fault ecr.no_ack; driver zvt cannot make it"
//   "needs event REVERSAL_STORED; driver zvt cannot observe it"
std::string lacking(const Need& need, const Capabilities& caps, const std::string& driver);

}  // namespace rig::terminal
