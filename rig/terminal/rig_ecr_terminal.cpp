#include "rig/terminal/rig_ecr_terminal.h"

#include "rig/terminal/link_driver.h"

#include <cctype>

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

class RigEcrTerminal : public LinkDriver<EcrLink> {
 public:
  RigEcrTerminal(const TerminalOptions& options, TerminalSink sink)
      : LinkDriver(std::move(sink), rig_ecr_capabilities(), link_of(options)) {
    link().set_observer([this](const EcrFrameEvent& e) { emit(rig_ecr_wire_record(e), e.at); });
  }
  // Qualified: no virtual dispatch from a destructor.
  ~RigEcrTerminal() override { shut(); }

  std::string driver_name() const override { return "rig-ecr"; }
  std::string describe() const override { return "rig-ecr " + link().name(); }

  rig::link::Status send(const Command& command, rig::link::Deadline deadline) override {
    rig::link::Status s = ensure_open(deadline);
    if (!s) return s;
    return link().send(rig_ecr_command(command), deadline).status;
  }

 private:
  static std::unique_ptr<EcrLink> link_of(const TerminalOptions& options) {
    EcrLinkOptions o;
    o.ack_timeout = options.ack_timeout;
    o.attempts = options.attempts;
    return std::make_unique<EcrLink>(rig::link::make_link(options.link_spec), o);
  }

  void on_received(EcrReceived& r) override { emit(rig_ecr_observation(r.message), r.at); }
};

}  // namespace

void register_rig_ecr(DriverRegistry& registry) {
  DriverInfo info;
  info.name = "rig-ecr";
  info.doc = "RIG-ECR v1 over pty, serial or TCP (docs/ecr-protocol.md)";
  info.make = [](const TerminalOptions& options, TerminalSink sink) {
    return std::make_unique<RigEcrTerminal>(options, std::move(sink));
  };
  info.capabilities = [](const TerminalOptions&) { return rig_ecr_capabilities(); };
  info.faults = link_fault_infos();
  registry.add(std::move(info));
}

}  // namespace rig::terminal
