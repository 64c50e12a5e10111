#include "rig/terminal/rig_ecr_terminal.h"

#include <atomic>
#include <cctype>
#include <mutex>
#include <thread>

namespace rig::terminal {

namespace {

using nlohmann::json;
using protocol::ecr::Message;

std::string upper(const char* name) {
  std::string out = name;
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// A whole decimal number, or nullopt (a terminal's typo stays visible in the wire record).
std::optional<int> number(const Message& m, const char* key) {
  const std::string* v = m.find(key);
  if (!v || v->empty() || v->size() > 9) return std::nullopt;
  for (char c : *v) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::stoi(*v);
}

std::string text(const Message& m, const char* key) {
  const std::string* v = m.find(key);
  return v ? *v : std::string();
}

// The payload shown in transcripts: FS as '|' so that it reads as one line.
std::string printable(const std::string& payload) {
  std::string out = payload;
  for (char& c : out) {
    if (c == protocol::ecr::kFs) c = '|';
  }
  return out;
}

}  // namespace

Message rig_ecr_command(const Command& command) {
  Message m(upper(to_string(command.kind)));
  m.set("id", command.id);
  if (command.kind == CommandKind::sale || command.kind == CommandKind::refund) {
    m.set("amount", command.amount);
    m.set("currency", command.currency);
    m.set("method", command.method);
    if (!command.original_id.empty()) m.set("orig_id", command.original_id);
  }
  return m;
}

Observation rig_ecr_observation(const Message& m) {
  if (m.name == "RESULT") {
    Outcome o;
    o.id = text(m, "id");
    o.status = text(m, "status");
    o.rc = text(m, "rc");
    o.type = text(m, "type");
    o.amount = text(m, "amount");
    o.currency = text(m, "currency");
    o.method = text(m, "method");
    o.entry = text(m, "entry");
    o.pan = text(m, "pan");
    o.stan = text(m, "stan");
    o.rrn = text(m, "rrn");
    o.auth = text(m, "auth");
    o.order = text(m, "order");
    o.text = text(m, "text");
    o.ref = text(m, "ref");
    return o;
  }
  if (m.name == "DISPLAY") return Display{text(m, "id"), split_lines(text(m, "text"))};
  if (m.name == "PROMPT") {
    return Prompt{text(m, "kind"), text(m, "id"), number(m, "tries_left"), text(m, "text")};
  }
  if (m.name == "RECEIPT") {
    return Receipt{text(m, "id"), text(m, "copy"), split_lines(text(m, "text")), text(m, "ref")};
  }
  if (m.name == "EVENT") {
    TerminalEvent e;
    e.name = text(m, "name");
    e.id = text(m, "id");
    e.stan = text(m, "stan");
    e.order = text(m, "order");
    e.attempt = number(m, "attempt");
    e.tries_left = number(m, "tries_left");
    e.detail = text(m, "detail");
    return e;
  }
  if (m.name == "STATUS") {
    StatusSnapshot s;
    s.id = text(m, "id");
    s.state = text(m, "state");
    s.paper = text(m, "paper");
    s.pending_reversals = number(m, "pending_reversals");
    s.failed_reversals = number(m, "failed_reversals");
    s.manual_handling = number(m, "manual_handling");
    if (auto locked = number(m, "locked")) s.locked = *locked != 0;
    s.last_id = text(m, "last_id");
    s.stan = text(m, "stan");
    s.busy_id = text(m, "busy_id");
    s.tid = text(m, "tid");
    s.version = text(m, "version");
    return s;
  }
  return Note{"terminal sent an unknown RIG-ECR message " + m.name};
}

WireRecord rig_ecr_wire_record(const EcrFrameEvent& e) {
  WireRecord w;
  w.direction = e.direction == EcrFrameEvent::Direction::in ? WireRecord::Direction::in
                                                            : WireRecord::Direction::out;
  w.kind = to_string(e.kind);
  if (!e.payload.empty()) {
    w.payload = printable(e.payload);
    if (e.kind == EcrFrameEvent::Kind::frame) w.name = w.payload.substr(0, w.payload.find('|'));
  }
  w.detail = e.detail;
  w.attempt = e.attempt;
  w.duplicate = e.duplicate;
  if (e.kind == EcrFrameEvent::Kind::noise) w.bytes = e.bytes.size();
  return w;
}

Capabilities rig_ecr_capabilities() {
  Capabilities c;
  for (CommandKind k : all_commands()) c.commands.insert(k);
  c.observations = {ObservationKind::result,  ObservationKind::display, ObservationKind::prompt,
                    ObservationKind::receipt, ObservationKind::event,   ObservationKind::status,
                    ObservationKind::wire,    ObservationKind::note};
  c.status_fields = {status_field_names().begin(), status_field_names().end()};
  c.faults = {"ecr.disconnect", "ecr.bad_lrc", "ecr.no_ack", "ecr.noise"};
  return c;
}

namespace {

class RigEcrTerminal : public TerminalDriver {
 public:
  RigEcrTerminal(const TerminalOptions& options, TerminalSink sink)
      : sink_(std::move(sink)), caps_(rig_ecr_capabilities()) {
    EcrLinkOptions o;
    o.ack_timeout = options.ack_timeout;
    o.attempts = options.attempts;
    link_ = std::make_unique<EcrLink>(rig::link::make_link(options.link_spec), o);
    link_->set_observer([this](const EcrFrameEvent& e) {
      if (sink_.on_observation) sink_.on_observation(rig_ecr_wire_record(e), e.at);
    });
  }
  // Qualified: no virtual dispatch from a destructor.
  ~RigEcrTerminal() override { RigEcrTerminal::close(); }

  std::string driver_name() const override { return "rig-ecr"; }
  const Capabilities& capabilities() const override { return caps_; }
  std::string describe() const override { return "rig-ecr " + link_->name(); }

  rig::link::Status open(rig::link::Deadline) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (link_->is_open() && pump_.joinable()) return rig::link::Status::success();
    stop_pump();
    rig::link::Status s = link_->open();
    if (!s) return s;
    stopping_ = false;
    pump_ = std::thread([this] { pump(); });
    return s;
  }

  void close() override {
    std::lock_guard<std::mutex> lock(mu_);
    stop_pump();
  }

  bool is_open() const override { return link_->is_open(); }

  rig::link::Status send(const Command& command, rig::link::Deadline deadline) override {
    if (!link_->is_open()) {
      rig::link::Status s = open(deadline);
      if (!s) return s;
    }
    return link_->send(rig_ecr_command(command), deadline).status;
  }

  // The `ecr` faults: the controller's own end of the link misbehaves.
  bool supports(const std::string& action) const override { return caps_.faults.count(action) > 0; }
  fault::Outcome act(const std::string& action, const json& params, const scenario::Trigger*,
                     std::chrono::milliseconds, rig::link::Deadline) override {
    if (action == "ecr.disconnect") {
      close();
      return fault::Outcome::success();
    }
    int count = params.value("count", 1);
    if (action == "ecr.bad_lrc") link_->misbehave(count, 0, 0);
    if (action == "ecr.no_ack") link_->misbehave(0, count, 0);
    if (action == "ecr.noise") link_->misbehave(0, 0, params.value("bytes", 16));
    return fault::Outcome::success();
  }
  fault::Outcome revert(const std::string& fault, rig::link::Deadline deadline) override {
    if (fault != "ecr.disconnect") {
      link_->misbehave(0, 0, 0);
      return fault::Outcome::success();
    }
    rig::link::Status s = open(deadline);
    return s ? fault::Outcome::success() : fault::Outcome::failure(s.message);
  }
  fault::Outcome restore(rig::link::Deadline deadline) override {
    link_->misbehave(0, 0, 0);
    if (!link_->is_open()) {
      rig::link::Status s = open(deadline);
      if (!s) return fault::Outcome::failure(s.message);
    }
    return fault::Outcome::success();
  }

 private:
  void stop_pump() {
    stopping_ = true;
    link_->close();
    if (pump_.joinable()) pump_.join();
  }

  void pump() {
    for (;;) {
      // No deadline is needed to end this wait: close() aborts it.
      EcrReceived r = link_->receive(rig::link::after(std::chrono::hours(24)));
      if (r.status.ok()) {
        if (sink_.on_observation) sink_.on_observation(rig_ecr_observation(r.message), r.at);
        continue;
      }
      if (r.status.code == rig::link::IoStatus::timeout) continue;
      if (!stopping_ && sink_.on_link_lost) sink_.on_link_lost(r.status.message);
      return;
    }
  }

  TerminalSink sink_;
  const Capabilities caps_;
  std::unique_ptr<EcrLink> link_;
  std::mutex mu_;
  std::atomic<bool> stopping_{false};
  std::thread pump_;
};

scenario::Param count_of(const std::string& what) {
  scenario::Param p;
  p.name = "count";
  p.type = scenario::ValueType::integer;
  p.required = true;
  p.min = 1;
  p.doc = what;
  return p;
}

}  // namespace

void register_rig_ecr(DriverRegistry& registry) {
  DriverInfo info;
  info.name = "rig-ecr";
  info.doc = "RIG-ECR v1 over pty, serial or TCP (docs/ecr-protocol.md)";
  info.make = [](const TerminalOptions& options, TerminalSink sink) {
    return std::make_unique<RigEcrTerminal>(options, std::move(sink));
  };
  info.capabilities = [](const TerminalOptions&) { return rig_ecr_capabilities(); };
  scenario::Param bytes;
  bytes.name = "bytes";
  bytes.type = scenario::ValueType::integer;
  bytes.required = true;
  bytes.min = 1;
  bytes.doc = "how many";
  info.faults = {
      {"ecr.no_ack",
       "ecr",
       "the rig does not ACK the terminal's next frames",
       {count_of("frames left unacknowledged")},
       {}},
      {"ecr.bad_lrc",
       "ecr",
       "the rig sends its next frames with a wrong LRC",
       {count_of("frames sent broken")},
       {}},
      {"ecr.noise", "ecr", "the rig writes random bytes on the ECR line", {bytes}, {}},
      {"ecr.disconnect", "ecr", "the rig drops the ECR link until cleared", {}, {}},
  };
  registry.add(std::move(info));
}

}  // namespace rig::terminal
