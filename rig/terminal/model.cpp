#include "rig/terminal/model.h"

namespace rig::terminal {

using nlohmann::json;

const char* to_string(CommandKind kind) {
  switch (kind) {
    case CommandKind::sale:
      return "sale";
    case CommandKind::refund:
      return "refund";
    case CommandKind::query:
      return "query";
    case CommandKind::last:
      return "last";
    case CommandKind::reprint:
      return "reprint";
    case CommandKind::cancel:
      return "cancel";
    case CommandKind::status:
      return "status";
    case CommandKind::reset:
      return "reset";
    case CommandKind::login:
      return "login";
    case CommandKind::unlock:
      return "unlock";
  }
  return "?";
}

const std::vector<CommandKind>& all_commands() {
  static const std::vector<CommandKind> list = {
      CommandKind::sale,    CommandKind::refund, CommandKind::query,  CommandKind::last,
      CommandKind::reprint, CommandKind::cancel, CommandKind::status, CommandKind::reset,
      CommandKind::login,   CommandKind::unlock};
  return list;
}

const char* to_string(ObservationKind kind) {
  switch (kind) {
    case ObservationKind::result:
      return "result";
    case ObservationKind::display:
      return "display";
    case ObservationKind::prompt:
      return "prompt";
    case ObservationKind::receipt:
      return "receipt";
    case ObservationKind::event:
      return "event";
    case ObservationKind::status:
      return "status";
    case ObservationKind::wire:
      return "wire";
    case ObservationKind::note:
      return "note";
  }
  return "?";
}

ObservationKind kind_of(const Observation& observation) {
  struct Kind {
    ObservationKind operator()(const Outcome&) const { return ObservationKind::result; }
    ObservationKind operator()(const Display&) const { return ObservationKind::display; }
    ObservationKind operator()(const Prompt&) const { return ObservationKind::prompt; }
    ObservationKind operator()(const Receipt&) const { return ObservationKind::receipt; }
    ObservationKind operator()(const TerminalEvent&) const { return ObservationKind::event; }
    ObservationKind operator()(const StatusSnapshot&) const { return ObservationKind::status; }
    ObservationKind operator()(const WireRecord&) const { return ObservationKind::wire; }
    ObservationKind operator()(const Note&) const { return ObservationKind::note; }
  };
  return std::visit(Kind{}, observation);
}

const std::vector<std::string>& status_field_names() {
  static const std::vector<std::string> names = {"state",
                                                 "paper",
                                                 "pending_reversals",
                                                 "failed_reversals",
                                                 "manual_handling",
                                                 "locked",
                                                 "last_id",
                                                 "stan",
                                                 "busy_id",
                                                 "tid",
                                                 "version"};
  return names;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '|';
    out += lines[i];
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t bar = text.find('|', start);
    out.push_back(text.substr(start, bar - start));
    if (bar == std::string::npos) return out;
    start = bar + 1;
  }
}

namespace {

// Only what is there: absent optional values stay out of the JSON.
void put(json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}
template <typename T>
void put(json& j, const char* key, const std::optional<T>& value) {
  if (value) j[key] = *value;
}

}  // namespace

json to_json(const Outcome& o) {
  json j = json::object();
  put(j, "id", o.id);
  put(j, "status", o.status);
  put(j, "rc", o.rc);
  put(j, "type", o.type);
  put(j, "amount", o.amount);
  put(j, "currency", o.currency);
  put(j, "method", o.method);
  put(j, "entry", o.entry);
  put(j, "pan", o.pan);
  put(j, "stan", o.stan);
  put(j, "rrn", o.rrn);
  put(j, "auth", o.auth);
  put(j, "order", o.order);
  put(j, "text", o.text);
  put(j, "ref", o.ref);
  return j;
}

json to_json(const Display& d) {
  json j = json::object();
  put(j, "id", d.id);
  j["text"] = join_lines(d.lines);
  return j;
}

json to_json(const Prompt& p) {
  json j = json::object();
  j["kind"] = p.kind;
  put(j, "id", p.id);
  put(j, "tries_left", p.tries_left);
  put(j, "text", p.text);
  return j;
}

json to_json(const Receipt& r) {
  json j = json::object();
  put(j, "id", r.id);
  put(j, "copy", r.copy);
  j["text"] = join_lines(r.lines);
  put(j, "ref", r.ref);
  return j;
}

json to_json(const TerminalEvent& e) {
  json j = json::object();
  j["name"] = e.name;
  put(j, "id", e.id);
  put(j, "stan", e.stan);
  put(j, "order", e.order);
  put(j, "attempt", e.attempt);
  put(j, "tries_left", e.tries_left);
  put(j, "detail", e.detail);
  return j;
}

json to_json(const StatusSnapshot& s) {
  json j = json::object();
  put(j, "id", s.id);
  put(j, "state", s.state);
  put(j, "paper", s.paper);
  put(j, "pending_reversals", s.pending_reversals);
  put(j, "failed_reversals", s.failed_reversals);
  put(j, "manual_handling", s.manual_handling);
  put(j, "locked", s.locked);
  put(j, "last_id", s.last_id);
  put(j, "stan", s.stan);
  put(j, "busy_id", s.busy_id);
  put(j, "tid", s.tid);
  put(j, "version", s.version);
  return j;
}

json to_json(const WireRecord& w) {
  json j = {{"direction", w.direction == WireRecord::Direction::in ? "in" : "out"},
            {"kind", w.kind}};
  put(j, "name", w.name);
  put(j, "payload", w.payload);
  put(j, "detail", w.detail);
  if (w.attempt) j["attempt"] = w.attempt;
  if (w.duplicate) j["duplicate"] = true;
  if (w.kind == "noise") j["bytes"] = w.bytes;
  return j;
}

json to_json(const Note& n) { return {{"text", n.text}}; }

json to_json(const Observation& observation) {
  return std::visit([](const auto& o) { return to_json(o); }, observation);
}

std::string lacking(const Need& need, const Capabilities& caps, const std::string& driver) {
  const std::string by = "driver " + driver;
  switch (need.kind) {
    case Need::Kind::command:
      for (CommandKind k : caps.commands) {
        if (need.name == to_string(k)) return "";
      }
      return "needs the " + need.name + " command; " + by + " cannot send it";
    case Need::Kind::observation: {
      for (ObservationKind k : caps.observations) {
        if (need.name == to_string(k)) return "";
      }
      static const std::pair<const char*, const char*> words[] = {
          {"result", "transaction results"}, {"display", "display texts"},
          {"prompt", "terminal prompts"},    {"receipt", "receipts"},
          {"event", "terminal events"},      {"status", "status snapshots"},
          {"wire", "the ECR wire"},          {"note", "notes"}};
      std::string what = need.name;
      for (const auto& [name, text] : words) {
        if (need.name == name) what = text;
      }
      return "needs " + what + "; " + by + " cannot observe " +
             (need.name == "wire" ? "it" : "them");
    }
    case Need::Kind::status_field:
      if (caps.status_fields.count(need.name)) return "";
      return "needs the status field " + need.name + "; " + by + " does not report it";
    case Need::Kind::fault:
      if (caps.faults.count(need.name)) return "";
      return "needs fault " + need.name + "; " + by + " cannot make it";
    case Need::Kind::prompt_kind:
      if (caps.prompt_kinds.empty() || caps.prompt_kinds.count(need.name)) return "";
      return "needs prompt " + need.name + "; " + by + " cannot observe it";
    case Need::Kind::prompt_tries_left:
      if (caps.prompt_tries_left) return "";
      return "needs the tries left of a prompt; " + by + " does not report them";
    case Need::Kind::event_kind:
      if (caps.event_kinds.empty() || caps.event_kinds.count(need.name)) return "";
      return "needs event " + need.name + "; " + by + " cannot observe it";
    case Need::Kind::method:
      if (caps.methods.empty() || caps.methods.count(need.name)) return "";
      return "needs payment method " + need.name + "; " + by + " cannot take it";
    case Need::Kind::transaction_ids:
      if (caps.transaction_ids) return "";
      return "sends a payment again under the same id; " + by + " carries no transaction ids";
  }
  return "";
}

}  // namespace rig::terminal
