#include "rig/terminal/zvt_terminal.h"

#include <condition_variable>
#include <mutex>
#include <stdexcept>

#include "rig/protocol/amount.h"
#include "rig/terminal/link_driver.h"
#include "rig/terminal/link_faults.h"

namespace rig::terminal {

namespace zvt = rig::protocol::zvt;

namespace {

std::string padded(std::uint64_t v, std::size_t digits) {
  std::string s = std::to_string(v);
  return s.size() >= digits ? s : std::string(digits - s.size(), '0') + s;
}

std::string without_padding(std::string s) {
  while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
}

// The prompt an intermediate status code stands for; ZVT names no other.
const char* prompt_for(std::uint8_t code) {
  switch (code) {
    case zvt::status::kInsertCard:
      return "PRESENT_CARD";
    case zvt::status::kWatchPinPad:
    case 0x02:
      return "PIN";
    case zvt::status::kRemoveCard:
      return "REMOVE_CARD";
    default:
      return nullptr;
  }
}

// The terminal event an intermediate status code stands for (zvt_capabilities().event_kinds), or
// nullptr. Codes 0x41-0x5D are those of 0x01-0x1D with "please remove card" added.
const char* event_for(std::uint8_t code) {
  const std::uint8_t base = code >= 0x41 && code <= 0x5D ? code - 0x40 : code;
  switch (base) {
    case zvt::status::kIncorrectPin:
      return "PIN_WRONG";
    case zvt::status::kPinTryLimitExceeded:
      return "PIN_BLOCKED";
    default:
      return nullptr;
  }
}

// The completion of a status enquiry as a snapshot: the terminal status byte says ready (00),
// busy (9C), printer not ready (CC) or out of order (DF).
StatusSnapshot snapshot(const std::string& id, const zvt::Completion& c) {
  StatusSnapshot s;
  s.id = id;
  const std::uint8_t t = c.terminal_status.value_or(0x00);
  s.locked = t == 0xDF;
  s.state = t == 0xDF ? "locked" : t == zvt::result::kPleaseWait ? "busy" : "idle";
  s.paper = t == zvt::result::kPrinterNotReady ? "out" : "ok";
  s.tid = c.terminal_id.value_or("");
  s.version = c.sw_version.value_or("");
  return s;
}

Outcome answer(const std::string& id, const std::string& status, const std::string& rc,
               const std::string& text) {
  Outcome o;
  o.id = id;
  o.status = status;
  o.rc = rc;
  o.text = text;
  return o;
}

}  // namespace

ZvtEcr::ZvtEcr(ZvtEcrConfig config) : cfg_(std::move(config)) {}

zvt::Registration ZvtEcr::registration() {
  zvt::Registration r;
  r.password = cfg_.password;
  r.config = cfg_.config;
  r.currency = cfg_.currency;
  current_.reset();
  next_ = Job{JobKind::registration, "", "", "", std::nullopt, {}, false, ""};
  return r;
}

std::optional<zvt::LogOff> ZvtEcr::log_off() {
  if (!registered_) return std::nullopt;
  registered_ = false;
  return zvt::LogOff{};
}

ZvtEcr::Plan ZvtEcr::on_command(const Command& c) {
  Plan plan;
  switch (c.kind) {
    case CommandKind::sale:
    case CommandKind::refund: {
      if (c.method != "card") {
        plan.now.push_back(answer(c.id, "FAILED", "NS", "ZVT has no " + c.method + " payment"));
        return plan;
      }
      const auto minor = protocol::parse_amount(c.amount);
      if (!minor) {
        plan.now.push_back(answer(c.id, "FAILED", "IV", "bad amount " + c.amount));
        return plan;
      }
      Job job;
      job.kind = c.kind == CommandKind::sale ? JobKind::sale : JobKind::refund;
      job.id = c.id;
      job.amount = c.amount;
      job.currency = c.currency;
      std::optional<std::uint16_t> currency;
      if (c.currency.size() == 3) currency = static_cast<std::uint16_t>(std::stoi(c.currency));
      if (c.kind == CommandKind::sale) {
        zvt::Authorization a;
        a.amount = static_cast<std::uint64_t>(*minor);
        a.currency = currency;
        plan.to_pt.push_back(a);
      } else {
        const auto receipt = receipt_of_.find(c.original_id);
        const auto original = outcomes_.find(c.original_id);
        if (receipt != receipt_of_.end() && original != outcomes_.end() &&
            original->second.amount == c.amount) {
          zvt::Reversal r;  // the whole sale back: a reversal of its receipt
          r.password = cfg_.password;
          r.receipt_nr = receipt->second;
          plan.to_pt.push_back(r);
        } else {
          zvt::Refund r;
          r.password = cfg_.password;
          r.amount = static_cast<std::uint64_t>(*minor);
          r.currency = currency;
          if (receipt != receipt_of_.end()) r.receipt_nr = receipt->second;
          plan.to_pt.push_back(r);
        }
      }
      next_ = job;
      return plan;
    }
    case CommandKind::last:
    case CommandKind::reprint: {
      Job job;
      job.kind = c.kind == CommandKind::last ? JobKind::last : JobKind::reprint;
      job.id = c.id;
      zvt::RepeatReceipt r;
      r.password = cfg_.password;
      plan.to_pt.push_back(r);
      next_ = job;
      return plan;
    }
    case CommandKind::cancel:
      if (current_ && current_->id == c.id && transaction(current_)) {
        plan.to_pt.push_back(zvt::AbortRequest{});  // its outcome ends the transaction
      } else if (auto it = outcomes_.find(c.id); it != outcomes_.end()) {
        plan.now.push_back(it->second);
      } else {
        plan.now.push_back(answer(c.id, "FAILED", "NF", "no such transaction"));
      }
      return plan;
    case CommandKind::status:
    case CommandKind::reset: {
      if (c.kind == CommandKind::reset && transaction(current_)) {
        plan.to_pt.push_back(zvt::AbortRequest{});
      }
      Job job;
      job.kind = JobKind::status;
      job.id = c.id;
      zvt::StatusEnquiry s;
      s.password = cfg_.password;
      plan.to_pt.push_back(s);
      next_ = job;
      return plan;
    }
    case CommandKind::query:
      if (auto it = outcomes_.find(c.id); it != outcomes_.end()) {
        plan.now.push_back(it->second);
      } else {
        plan.now.push_back(answer(c.id, "FAILED", "NF", "ZVT cannot ask for a transaction by id"));
      }
      return plan;
    case CommandKind::login:
    case CommandKind::unlock:
      plan.now.push_back(
          answer(c.id, "FAILED", "NS", std::string("ZVT has no ") + to_string(c.kind)));
      return plan;
  }
  return plan;
}

void ZvtEcr::on_unsent() { next_.reset(); }

std::vector<Observation> ZvtEcr::on_accepted(const zvt::Message& sent) {
  std::vector<Observation> out;
  if (std::holds_alternative<zvt::AbortRequest>(sent) || !next_) return out;
  // The PT took a new command: whatever it worked on for us before is over (after a power cut,
  // say, its outcome is the terminal's record, for LAST).
  if (current_ && current_->kind != JobKind::registration) {
    out.push_back(Note{"the PT took a new command; " + current_->id + " ends unreported"});
  }
  current_ = std::move(next_);
  next_.reset();
  return out;
}

std::vector<Observation> ZvtEcr::on_refused(const zvt::Message& sent, std::uint8_t code) {
  if (std::holds_alternative<zvt::AbortRequest>(sent) || !next_) return {};
  const Job job = std::move(*next_);
  next_.reset();
  const bool busy = code == zvt::result::kPleaseWait;
  switch (job.kind) {
    case JobKind::registration:
      return {Note{"the PT refused the registration: " + zvt::result_text(code)}};
    case JobKind::status: {
      StatusSnapshot s;
      s.id = job.id;
      if (busy) s.state = "busy";
      return {s};
    }
    case JobKind::last:
      if (busy && transaction(current_)) {
        // As RIG-ECR's LAST of a running transaction: still in progress.
        Outcome o = answer(current_->id, "UNKNOWN", "IP", "in progress");
        o.ref = job.id;
        return {o};
      }
      break;
    default:
      break;
  }
  Outcome o = outcome_of(job, code);
  if (transaction(job)) outcomes_[o.id] = o;
  return {o};
}

std::vector<Observation> ZvtEcr::on_undecodable(const std::string& error) {
  return {Note{"the PT sent what does not decode: " + error}};
}

std::string ZvtEcr::id_of_receipt(const Job& job) const {
  if (job.info && job.info->receipt_nr) {
    if (auto it = receipts_.find(*job.info->receipt_nr); it != receipts_.end()) return it->second;
  }
  return {};
}

std::vector<Observation> ZvtEcr::on_message(const zvt::Message& m) {
  if (!current_) return {Note{"the PT sent " + zvt::describe(m) + " outside any command"}};
  Job& job = *current_;
  const std::string id = transaction(current_) ? job.id : "";
  std::vector<Observation> out;
  if (const auto* s = std::get_if<zvt::IntermediateStatus>(&m)) {
    std::vector<std::string> lines;
    if (s->tlv) {
      if (const zvt::Tlv* texts = zvt::find(*s->tlv, zvt::tlv::kDisplayTexts)) {
        lines = zvt::text_lines(texts->children);
      }
    }
    if (lines.empty() && s->status != zvt::status::kSeeTexts) lines = {zvt::status_text(s->status)};
    const std::string shown = join_lines(lines);
    if (!lines.empty() && shown != job.last_display) {
      job.last_display = shown;
      out.push_back(Display{id, lines});
    }
    if (const char* kind = prompt_for(s->status)) {
      Prompt p;
      p.kind = kind;
      p.id = id;
      out.push_back(p);
    }
    if (const char* name = event_for(s->status)) {
      TerminalEvent e;
      e.name = name;
      e.id = id;
      out.push_back(e);
    }
    return out;
  }
  if (const auto* info = std::get_if<zvt::StatusInformation>(&m)) {
    job.info = *info;
    return out;
  }
  const auto receipt = [&](std::vector<std::string> lines) {
    job.receipt_done = true;
    if (job.kind == JobKind::last) return;  // LAST answers with the outcome only
    Receipt r;
    r.id = job.id;
    r.lines = std::move(lines);
    if (job.kind == JobKind::reprint) {
      // A duplicate of the last transaction's receipt: its id when known, and the request's.
      r.copy = "duplicate";
      r.ref = job.id;
      if (std::string of = id_of_receipt(job); !of.empty()) r.id = of;
    }
    out.push_back(std::move(r));
  };
  if (const auto* line = std::get_if<zvt::PrintLine>(&m)) {
    job.lines.push_back(line->text);
    if (line->attribute & zvt::attribute::kLastLine) {
      receipt(std::move(job.lines));
      job.lines.clear();
    }
    return out;
  }
  if (const auto* block = std::get_if<zvt::PrintTextBlock>(&m)) {
    receipt(block->lines);
    return out;
  }
  if (const auto* completion = std::get_if<zvt::Completion>(&m)) {
    if (job.kind == JobKind::status) {
      out.push_back(snapshot(job.id, *completion));
      current_.reset();
      return out;
    }
    if (job.kind == JobKind::registration) {
      registered_ = true;
      current_.reset();
      return out;
    }
    for (Observation& o : finish(std::nullopt)) out.push_back(std::move(o));
    return out;
  }
  if (const auto* abort = std::get_if<zvt::Abort>(&m)) {
    for (Observation& o : finish(abort->result_code.value_or(zvt::result::kSystemError))) {
      out.push_back(std::move(o));
    }
    return out;
  }
  out.push_back(Note{"the PT sent " + zvt::describe(m)});
  return out;
}

std::vector<Observation> ZvtEcr::finish(std::optional<std::uint8_t> abort_code) {
  const Job job = std::move(*current_);
  current_.reset();
  switch (job.kind) {
    case JobKind::registration:
      return {Note{"the PT aborted the registration: " +
                   zvt::result_text(abort_code.value_or(zvt::result::kSystemError))}};
    case JobKind::status: {
      StatusSnapshot s;
      s.id = job.id;
      return {s};
    }
    case JobKind::reprint:
      if (job.receipt_done && !abort_code) return {};
      return {outcome_of(job, abort_code.value_or(zvt::result::kFunctionNotPossible))};
    case JobKind::last: {
      // The last transaction, under its own id when this driver saw it, with the request's.
      Outcome o = outcome_of(job, abort_code);
      o.ref = job.id;
      o.id = id_of_receipt(job);
      if (o.id.empty()) o.id = job.id;
      return {o};
    }
    case JobKind::sale:
    case JobKind::refund:
      break;
  }
  Outcome o = outcome_of(job, abort_code);
  outcomes_[o.id] = o;
  if (job.kind == JobKind::sale && o.status == "APPROVED" && job.info && job.info->receipt_nr) {
    receipts_[*job.info->receipt_nr] = o.id;
    receipt_of_[o.id] = *job.info->receipt_nr;
  }
  return {o};
}

Outcome ZvtEcr::outcome_of(const Job& job, std::optional<std::uint8_t> abort_code) const {
  Outcome o;
  o.id = job.id;
  if (transaction(job)) {
    o.type = job.kind == JobKind::refund ? "refund" : "sale";
    o.method = "card";
  }
  o.amount = job.amount;
  o.currency = job.currency;
  std::uint8_t code = abort_code.value_or(zvt::result::kSuccess);
  if (const auto& info = job.info) {
    if (!abort_code && info->result_code) code = *info->result_code;
    if (info->amount) o.amount = protocol::format_amount(static_cast<std::int64_t>(*info->amount));
    if (info->currency) o.currency = padded(*info->currency, 3);
    if (info->trace) o.stan = padded(*info->trace, 6);
    if (info->pan) o.pan = *info->pan;
    if (info->aid) o.auth = without_padding(*info->aid);
    if (info->additional_text) o.text = *info->additional_text;
    if (info->tlv) {
      if (const zvt::Tlv* pt = zvt::find(*info->tlv, zvt::tlv::kPaymentType)) {
        if (const zvt::Tlv* tech = zvt::find(pt->children, zvt::tlv::kCardTechnology)) {
          o.entry = tech->value == std::string(1, '\0') ? "swipe" : "chip";
        }
      }
    }
  }
  const zvt::RigResult r = zvt::rig_result(code);
  o.status = r.status;
  o.rc = r.rc;
  if (o.text.empty() && code != zvt::result::kSuccess) o.text = zvt::result_text(code);
  return o;
}

WireRecord zvt_wire_record(const ZvtWireEvent& e) {
  WireRecord w;
  w.direction = e.direction == ZvtWireEvent::Direction::in ? WireRecord::Direction::in
                                                           : WireRecord::Direction::out;
  w.kind = e.kind == ZvtWireEvent::Kind::apdu ? "frame" : to_string(e.kind);
  if (e.apdu.size() >= 2) w.name = zvt::hex_bytes(e.apdu.substr(0, 2));
  if (e.kind == ZvtWireEvent::Kind::apdu) w.payload = e.detail;
  if (e.kind == ZvtWireEvent::Kind::bad) {
    w.detail = e.detail;
    w.payload = zvt::hex_bytes(e.bytes);
  }
  w.attempt = e.attempt;
  if (e.kind == ZvtWireEvent::Kind::noise) w.bytes = e.bytes.size();
  return w;
}

namespace {

// How long a request can wait for the PT's 80 00 / 84 XX: its block's ACK attempts, then T3.
std::chrono::milliseconds answer_wait(const ZvtLinkOptions& o) {
  return o.ack_timeout * o.block_attempts + o.reply_timeout;
}

// A log-off at close is a courtesy: a PT that does not take it in this time is closed anyway
// (short: a run's end and Ctrl-C wait for it).
constexpr std::chrono::seconds kLogOffWait{1};

bool over_tcp(const TerminalOptions& options) { return options.link_spec.rfind("tcp:", 0) == 0; }

ZvtEcrConfig config_of(const TerminalOptions& options) {
  ZvtEcrConfig c;
  if (auto it = options.settings.find("password"); it != options.settings.end()) {
    const std::string& p = it->second;
    if (p.size() != 6 || p.find_first_not_of("0123456789") != std::string::npos) {
      throw std::invalid_argument("zvt setting password: expected 6 digits, got '" + p + "'");
    }
    c.password = p;
  }
  if (auto it = options.settings.find("currency"); it != options.settings.end()) {
    const std::string& cc = it->second;
    if (cc.size() != 3 || cc.find_first_not_of("0123456789") != std::string::npos) {
      throw std::invalid_argument("zvt setting currency: expected 3 digits, got '" + cc + "'");
    }
    c.currency = static_cast<std::uint16_t>(std::stoi(cc));
  }
  for (const auto& [key, value] : options.settings) {
    if (key != "password" && key != "currency") {
      throw std::invalid_argument("zvt setting " + key + ": unknown (known: password, currency)");
    }
  }
  return c;
}

class ZvtTerminal : public LinkDriver<ZvtLink> {
 public:
  ZvtTerminal(const TerminalOptions& options, TerminalSink sink)
      : LinkDriver(std::move(sink), zvt_capabilities(options), link_of(options)),
        ecr_(config_of(options)) {
    link().set_observer([this](const ZvtWireEvent& e) { emit(zvt_wire_record(e), e.at); });
  }
  // Qualified: no virtual dispatch from a destructor.
  // No log-off here: the sink may be gone already; the station closes the driver first.
  ~ZvtTerminal() override { shut(); }

  // The ECR ends its session (06 02) before it closes the link; an `ecr.disconnect` fault
  // closes it without one (link_driver.h), as a pulled cable would.
  void close() override {
    log_off();
    LinkDriver::close();
  }

  std::string driver_name() const override { return "zvt"; }
  std::string describe() const override { return "zvt " + link().name(); }

  rig::link::Status send(const Command& command, rig::link::Deadline deadline) override {
    rig::link::Status s = ensure_open(deadline);
    if (!s) return s;
    ZvtEcr::Plan plan;
    {
      std::lock_guard<std::mutex> l(mu_);
      plan = ecr_.on_command(command);
    }
    for (const Observation& o : plan.now) emit(o, rig::link::Clock::now());
    for (const zvt::Message& m : plan.to_pt) {
      s = request(m, deadline);
      if (!s) return s;
    }
    return rig::link::Status::success();
  }

 private:
  static std::unique_ptr<ZvtLink> link_of(const TerminalOptions& options) {
    ZvtLinkOptions o;
    o.transport = over_tcp(options) ? ZvtTransport::tcp : ZvtTransport::serial;
    o.role = ZvtRole::ecr;
    o.ack_timeout = options.ack_timeout;
    o.block_attempts = options.attempts;
    return std::make_unique<ZvtLink>(rig::link::make_link(options.link_spec), o);
  }

  // Registration first: the PT answers 80 00, then with its completion.
  rig::link::Status after_open(rig::link::Deadline deadline) override {
    zvt::Registration r;
    {
      std::lock_guard<std::mutex> l(mu_);
      r = ecr_.registration();
    }
    rig::link::Status s = request(r, deadline);
    if (!s) return s;
    std::unique_lock<std::mutex> l(mu_);
    if (!ecr_.registered() &&
        !cv_.wait_until(l, deadline, [&] { return ecr_.registered() || !ecr_.busy(); })) {
      return {rig::link::IoStatus::timeout,
              "ZVT link " + link().name() + ": no completion of the registration"};
    }
    if (!ecr_.registered()) {
      return {rig::link::IoStatus::error,
              "ZVT link " + link().name() + ": the PT did not complete the registration"};
    }
    return rig::link::Status::success();
  }

  void log_off() {
    if (!link().is_open()) return;
    std::optional<zvt::LogOff> off;
    {
      std::lock_guard<std::mutex> l(mu_);
      off = ecr_.log_off();
    }
    if (off) request(*off, rig::link::after(kLogOffWait));
  }

  // Sends one ZVT command and hands the PT's answer to ZvtEcr; a refusal is an answer, not a
  // link error.
  rig::link::Status request(const zvt::Message& m, rig::link::Deadline deadline) {
    ZvtReply reply = link().request(m, deadline);
    std::vector<Observation> seen;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!reply.status) {
        ecr_.on_unsent();
      } else if (reply.positive()) {
        seen = ecr_.on_accepted(m);
      } else {
        seen = ecr_.on_refused(m, std::get<zvt::Nack>(reply.reply).code);
      }
    }
    cv_.notify_all();
    for (const Observation& o : seen) emit(o, rig::link::Clock::now());
    return reply.status;
  }

  void on_received(ZvtReceived& r) override {
    std::vector<Observation> seen;
    {
      std::unique_lock<std::mutex> l(mu_);
      // A message that comes while a command of ours waits for its 80 00 / 84 XX belongs to that
      // command if the PT takes it, else to the one before: wait for the answer (the link layer
      // delivers it on its own thread; the request's own timeouts bound it).
      cv_.wait_until(l, rig::link::after(answer_wait(link().options())),
                     [&] { return !ecr_.awaiting_answer(); });
      seen = r.decoded.ok() ? ecr_.on_message(r.decoded.message)
                            : ecr_.on_undecodable(r.decoded.error);
    }
    cv_.notify_all();
    for (const Observation& o : seen) emit(o, r.at);
  }

  std::mutex mu_;  // ecr_
  std::condition_variable cv_;
  ZvtEcr ecr_;
};

}  // namespace

Capabilities zvt_capabilities(const TerminalOptions& options) {
  Capabilities c;
  c.commands = {CommandKind::sale,   CommandKind::refund, CommandKind::last, CommandKind::reprint,
                CommandKind::cancel, CommandKind::status, CommandKind::reset};
  c.observations = {ObservationKind::result,  ObservationKind::display, ObservationKind::prompt,
                    ObservationKind::receipt, ObservationKind::event,   ObservationKind::status,
                    ObservationKind::wire,    ObservationKind::note};
  c.status_fields = {"state", "paper", "locked", "tid", "version"};
  c.prompt_kinds = {"PRESENT_CARD", "PIN", "REMOVE_CARD"};
  c.prompt_tries_left = false;  // no intermediate status carries a count
  c.event_kinds = {"PIN_WRONG", "PIN_BLOCKED"};
  c.methods = {"card"};
  c.transaction_ids = false;
  c.faults = {"ecr.disconnect"};
  if (!over_tcp(options)) c.faults.insert({"ecr.bad_lrc", "ecr.no_ack", "ecr.noise"});
  return c;
}

void register_zvt(DriverRegistry& registry) {
  DriverInfo info;
  info.name = "zvt";
  info.doc =
      "ZVT (German ECR protocol) over TCP or serial, the rig as the cash register "
      "(docs/zvt.md)";
  info.make = [](const TerminalOptions& options, TerminalSink sink) {
    return std::make_unique<ZvtTerminal>(options, std::move(sink));
  };
  info.capabilities = [](const TerminalOptions& options) { return zvt_capabilities(options); };
  info.faults = link_fault_infos();
  registry.add(std::move(info));
}

}  // namespace rig::terminal
