#include "rig/terminal/adapter_protocol.h"

#include <limits>
#include <set>
#include <stdexcept>

namespace rig::terminal {

namespace {

using nlohmann::json;

// A line that breaks the protocol; its text is the whole error message.
struct Bad : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

const char* type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "true/false";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "a whole number";
    case json::value_t::number_float:
      return "a fraction";
    case json::value_t::array:
      return "a list";
    case json::value_t::object:
      return "an object";
    default:
      return "null";
  }
}

// Reads the fields of one JSON object; every key must be read by someone (finish()).
class Fields {
 public:
  Fields(const json& object, std::string what) : j_(object), what_(std::move(what)) {}

  const json* get(const char* key) {
    known_.insert(key);
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }

  [[noreturn]] void wrong(const char* key, const char* want, const json& got) const {
    throw Bad(what_ + ": " + key + " must be " + want + ", got " + type_name(got));
  }

  std::string text(const char* key, bool required = false) {
    const json* v = get(key);
    if (!v) {
      if (required) throw Bad(what_ + ": missing " + key);
      return "";
    }
    if (!v->is_string()) wrong(key, "a string", *v);
    std::string s = v->get<std::string>();
    if (required && s.empty()) throw Bad(what_ + ": " + key + " is empty");
    return s;
  }

  std::optional<int> number(const char* key) {
    const json* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) wrong(key, "a whole number", *v);
    auto n = v->get<long long>();
    if (n < 0 || n > std::numeric_limits<int>::max()) {
      throw Bad(what_ + ": " + key + " must be 0 or more, got " + std::to_string(n));
    }
    return static_cast<int>(n);
  }

  std::optional<bool> flag(const char* key) {
    const json* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) wrong(key, "true or false", *v);
    return v->get<bool>();
  }

  std::vector<std::string> strings(const char* key, bool required) {
    const json* v = get(key);
    if (!v) {
      if (required) throw Bad(what_ + ": missing " + key);
      return {};
    }
    if (!v->is_array()) wrong(key, "a list of strings", *v);
    std::vector<std::string> out;
    for (const auto& item : *v) {
      if (!item.is_string()) wrong(key, "a list of strings", item);
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  std::uint64_t request(const char* key = "request") {
    const json* v = get(key);
    if (!v) throw Bad(what_ + ": missing " + key);
    if (!v->is_number_unsigned() || v->get<std::uint64_t>() == 0) {
      throw Bad(what_ + ": " + key + " must be a whole number from 1");
    }
    return v->get<std::uint64_t>();
  }

  // Every key of the object must have been asked for.
  void finish() const {
    for (const auto& item : j_.items()) {
      if (!known_.count(item.key())) {
        throw Bad(what_ + ": unknown field '" + item.key() +
                  "' (known: " + list({known_.begin(), known_.end()}) + ")");
      }
    }
  }

 private:
  const json& j_;
  std::string what_;
  std::set<std::string> known_;
};

// Observations an adapter may send (all but the wire).
const std::vector<ObservationKind>& adapter_observations() {
  static const std::vector<ObservationKind> kinds = {
      ObservationKind::result,  ObservationKind::display, ObservationKind::prompt,
      ObservationKind::receipt, ObservationKind::event,   ObservationKind::status,
      ObservationKind::note};
  return kinds;
}

Outcome read_outcome(Fields& f) {
  Outcome o;
  o.id = f.text("id", true);
  o.status = f.text("status", true);
  o.rc = f.text("rc");
  o.type = f.text("transaction");  // `type` is the message's
  o.amount = f.text("amount");
  o.currency = f.text("currency");
  o.method = f.text("method");
  o.entry = f.text("entry");
  o.pan = f.text("pan");
  o.stan = f.text("stan");
  o.rrn = f.text("rrn");
  o.auth = f.text("auth");
  o.order = f.text("order");
  o.text = f.text("text");
  o.ref = f.text("ref");
  return o;
}

TerminalEvent read_event(Fields& f) {
  TerminalEvent e;
  e.name = f.text("name", true);
  e.id = f.text("id");
  e.stan = f.text("stan");
  e.order = f.text("order");
  e.attempt = f.number("attempt");
  e.tries_left = f.number("tries_left");
  e.detail = f.text("detail");
  return e;
}

StatusSnapshot read_status(Fields& f) {
  StatusSnapshot s;
  s.id = f.text("id", true);
  s.state = f.text("state");
  s.paper = f.text("paper");
  s.pending_reversals = f.number("pending_reversals");
  s.failed_reversals = f.number("failed_reversals");
  s.manual_handling = f.number("manual_handling");
  s.locked = f.flag("locked");
  s.last_id = f.text("last_id");
  s.stan = f.text("stan");
  s.busy_id = f.text("busy_id");
  s.tid = f.text("tid");
  s.version = f.text("version");
  return s;
}

// Names in `got` must be among `known`; returns them as a set.
std::set<std::string> names_from(const std::vector<std::string>& got,
                                 const std::vector<std::string>& known, const std::string& what) {
  std::set<std::string> out;
  for (const auto& n : got) {
    bool ok = false;
    for (const auto& k : known) ok = ok || k == n;
    if (!ok) throw Bad("hello: unknown " + what + " '" + n + "' (known: " + list(known) + ")");
    out.insert(n);
  }
  return out;
}

AdapterHello read_hello(Fields& f) {
  AdapterHello h;
  const json* protocol = f.get("protocol");
  if (!protocol) throw Bad("hello: missing protocol");
  if (!protocol->is_number_integer()) f.wrong("protocol", "a whole number", *protocol);
  h.protocol = protocol->get<int>();
  if (h.protocol != kAdapterProtocol) {
    throw Bad("hello: the adapter speaks protocol " + protocol->dump() + "; this rig speaks " +
              std::to_string(kAdapterProtocol));
  }
  h.name = f.text("name", true);
  h.version = f.text("version", true);
  const json* caps = f.get("capabilities");
  if (!caps) throw Bad("hello: missing capabilities");
  if (!caps->is_object()) f.wrong("capabilities", "an object", *caps);
  Fields c(*caps, "hello: capabilities");
  std::vector<std::string> command_names;
  for (CommandKind k : all_commands()) command_names.push_back(to_string(k));
  std::vector<std::string> observation_names;
  for (ObservationKind k : adapter_observations()) observation_names.push_back(to_string(k));
  for (const auto& n : names_from(c.strings("commands", true), command_names, "command")) {
    for (CommandKind k : all_commands()) {
      if (n == to_string(k)) h.capabilities.commands.insert(k);
    }
  }
  for (const auto& n :
       names_from(c.strings("observations", true), observation_names, "observation")) {
    for (ObservationKind k : adapter_observations()) {
      if (n == to_string(k)) h.capabilities.observations.insert(k);
    }
  }
  h.capabilities.status_fields =
      names_from(c.strings("status_fields", false), status_field_names(), "status field");
  c.finish();
  if (!h.capabilities.commands.count(CommandKind::status)) {
    throw Bad("hello: capabilities.commands must include status (the rig's liveness check)");
  }
  if (!h.capabilities.observations.count(ObservationKind::status)) {
    throw Bad("hello: capabilities.observations must include status (the answer to status)");
  }
  return h;
}

Observation read_observation(const std::string& type, Fields& f) {
  if (type == "result") return read_outcome(f);
  if (type == "display") return Display{f.text("id"), f.strings("lines", true)};
  if (type == "prompt") {
    Prompt p;
    p.kind = f.text("kind", true);
    p.id = f.text("id");
    p.tries_left = f.number("tries_left");
    p.text = f.text("text");
    return p;
  }
  if (type == "receipt") {
    Receipt r;
    r.id = f.text("id", true);
    r.copy = f.text("copy");
    if (r.copy.empty()) r.copy = "original";
    r.lines = f.strings("lines", true);
    r.ref = f.text("ref");
    return r;
  }
  if (type == "event") return read_event(f);
  if (type == "status") return read_status(f);
  return Note{f.text("text", true)};  // type == "note"
}

json parse_object(std::string_view line) {
  if (line.size() > kAdapterMaxLine) {
    throw Bad("line longer than " + std::to_string(kAdapterMaxLine) + " bytes");
  }
  json j = json::parse(line.begin(), line.end(), nullptr, false);
  if (j.is_discarded()) throw Bad("not JSON");
  if (!j.is_object()) throw Bad(std::string("not a JSON object but ") + type_name(j));
  return j;
}

std::string type_of(Fields& f) {
  const json* t = f.get("type");
  if (!t) throw Bad("missing type");
  if (!t->is_string()) f.wrong("type", "a string", *t);
  return t->get<std::string>();
}

}  // namespace

AdapterDecoded<AdapterMessage> decode_adapter_line(std::string_view line) {
  try {
    json j = parse_object(line);
    Fields top(j, "line");
    const std::string type = type_of(top);
    Fields f(j, type);
    f.get("type");
    AdapterMessage m;
    if (type == "hello") {
      m = read_hello(f);
    } else if (type == "accepted" || type == "rejected") {
      AdapterReply r;
      r.request = f.request();
      r.accepted = type == "accepted";
      r.message = f.text("message", !r.accepted);
      m = r;
    } else if (type == "result" || type == "display" || type == "prompt" || type == "receipt" ||
               type == "event" || type == "status" || type == "note") {
      m = read_observation(type, f);
    } else {
      throw Bad("unknown type '" + type +
                "' (known: hello, accepted, rejected, result, display, prompt, receipt, event, "
                "status, note)");
    }
    f.finish();
    return {std::move(m), ""};
  } catch (const Bad& e) {
    return {std::nullopt, e.what()};
  }
}

std::string encode_command(const Command& c, std::uint64_t request) {
  json j = {
      {"type", "command"}, {"request", request}, {"command", to_string(c.kind)}, {"id", c.id}};
  if (c.kind == CommandKind::sale || c.kind == CommandKind::refund) {
    j["amount"] = c.amount;
    j["currency"] = c.currency;
    j["method"] = c.method;
    if (!c.original_id.empty()) j["original_id"] = c.original_id;
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

AdapterDecoded<AdapterRequest> decode_command(std::string_view line) {
  try {
    json j = parse_object(line);
    Fields f(j, "command");
    if (type_of(f) != "command") throw Bad("type must be command");
    AdapterRequest r;
    r.request = f.request();
    const std::string name = f.text("command", true);
    bool found = false;
    for (CommandKind k : all_commands()) {
      if (name == to_string(k)) {
        r.command.kind = k;
        found = true;
      }
    }
    if (!found) throw Bad("command: unknown command '" + name + "'");
    r.command.id = f.text("id", true);
    const bool money = r.command.kind == CommandKind::sale || r.command.kind == CommandKind::refund;
    r.command.amount = f.text("amount", money);
    r.command.currency = f.text("currency", money);
    r.command.method = f.text("method", money);
    r.command.original_id = f.text("original_id");
    f.finish();
    return {std::move(r), ""};
  } catch (const Bad& e) {
    return {std::nullopt, e.what()};
  }
}

nlohmann::json capabilities_json(const Capabilities& caps) {
  json commands = json::array();
  for (CommandKind k : all_commands()) {
    if (caps.commands.count(k)) commands.push_back(to_string(k));
  }
  json observations = json::array();
  for (ObservationKind k : adapter_observations()) {
    if (caps.observations.count(k)) observations.push_back(to_string(k));
  }
  json fields = json::array();
  for (const auto& n : status_field_names()) {
    if (caps.status_fields.count(n)) fields.push_back(n);
  }
  return {{"commands", commands}, {"observations", observations}, {"status_fields", fields}};
}

Capabilities adapter_protocol_capabilities() {
  Capabilities c;
  for (CommandKind k : all_commands()) c.commands.insert(k);
  for (ObservationKind k : adapter_observations()) c.observations.insert(k);
  for (const auto& n : status_field_names()) c.status_fields.insert(n);
  return c;
}

std::string encode_hello(const AdapterHello& h) {
  json j = {{"type", "hello"},
            {"protocol", h.protocol},
            {"name", h.name},
            {"version", h.version},
            {"capabilities", capabilities_json(h.capabilities)}};
  return j.dump();
}

std::string encode_reply(const AdapterReply& r) {
  json j = {{"type", r.accepted ? "accepted" : "rejected"}, {"request", r.request}};
  if (!r.message.empty()) j["message"] = r.message;
  return j.dump();
}

std::string encode_observation(const Observation& o) {
  json j = to_json(o);
  // Lines travel as a list: a receipt line may hold the '|' the timeline joins them with.
  if (const auto* d = std::get_if<Display>(&o)) j["lines"] = d->lines;
  if (const auto* r = std::get_if<Receipt>(&o)) j["lines"] = r->lines;
  if (j.contains("lines")) j.erase("text");
  // A result's transaction type travels as `transaction`: `type` is the message's.
  if (std::holds_alternative<Outcome>(o) && j.contains("type")) {
    j["transaction"] = j["type"];
    j.erase("type");
  }
  json out = {{"type", to_string(kind_of(o))}};
  out.update(j);
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace rig::terminal
