#include "rig/explore/matrix.h"

#include <map>
#include <set>
#include <tuple>

namespace rig::explore {

using nlohmann::json;

namespace {

bool is_message(Boundary::Kind k) {
  return k == Boundary::Kind::host_message || k == Boundary::Kind::wallet_message;
}

// "/micropay" -> "micropay": paths in file names.
std::string path_word(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '/') {
      if (!out.empty()) out += '_';
      continue;
    }
    out += c;
  }
  return out;
}

// The request an ISO 8583 response answers: "0210" -> "0200", "0410" -> "0400".
std::string request_mti(const std::string& mti) {
  if (mti.size() != 4 || mti[2] < '1' || mti[2] > '9' || (mti[2] - '0') % 2 == 0) return mti;
  std::string out = mti;
  out[2] = static_cast<char>(out[2] - 1);
  return out;
}

FaultCase at_once(std::string fault, std::string params, Recovery r = Recovery::answer) {
  return FaultCase{std::move(fault), std::move(params), false, r};
}
FaultCase triggered(std::string fault, std::string params = "", Recovery r = Recovery::answer) {
  return FaultCase{std::move(fault), std::move(params), true, r};
}

}  // namespace

std::string Boundary::id() const {
  std::string base;
  switch (kind) {
    case Kind::host_message:
      base = value + "-" + direction;
      break;
    case Kind::wallet_message:
      base = path_word(value) + "-" + direction;
      break;
    case Kind::prompt:
      base = "prompt-" + value;
      break;
    case Kind::event:
      base = "event-" + value;
      break;
  }
  return occurrence > 1 ? base + "-" + std::to_string(occurrence) : base;
}

std::string Boundary::describe() const {
  std::string base;
  switch (kind) {
    case Kind::host_message:
    case Kind::wallet_message:
      base = value + " " + direction;
      break;
    case Kind::prompt:
      base = "prompt " + value;
      break;
    case Kind::event:
      base = "event " + value;
      break;
  }
  return occurrence > 1 ? base + " #" + std::to_string(occurrence) : base;
}

std::string Boundary::trigger() const {
  switch (kind) {
    case Kind::host_message:
      return "{host_message: {mti: \"" + value + "\", direction: " + direction +
             ", occurrence: " + std::to_string(occurrence) + "}}";
    case Kind::wallet_message:
      return "{wallet_message: {path: " + value + ", direction: " + direction +
             ", occurrence: " + std::to_string(occurrence) + "}}";
    case Kind::prompt:
      return "{prompt: " + value + "}";
    case Kind::event:
      return "{event: " + value + "}";
  }
  return "";
}

std::vector<Boundary> boundaries_of(const json& timeline, double from_ms, double to_ms) {
  std::vector<Boundary> out;
  if (!timeline.is_array()) return out;
  std::map<std::tuple<int, std::string, std::string>, int> seen;
  for (const json& e : timeline) {
    if (!e.is_object()) continue;
    const double t = e.value("t_ms", -1.0);
    if (t < from_ms || t > to_ms) continue;
    const json fields = e.value("fields", json::object());
    if (!fields.is_object() || fields.value("earlier_scenario", false)) continue;
    const std::string kind = e.value("kind", "");
    Boundary b;
    if (kind == "host_message") {
      b.kind = Boundary::Kind::host_message;
      b.value = fields.value("mti", "");
      b.direction = fields.value("direction", "");
    } else if (kind == "wallet_message") {
      b.kind = Boundary::Kind::wallet_message;
      b.value = fields.value("path", "");
      b.direction = fields.value("direction", "");
    } else if ((kind == "prompt" || kind == "event") && fields.value("id", "").empty()) {
      continue;  // not the flow's: a BOOT, a READY after a restart
    } else if (kind == "prompt") {
      b.kind = Boundary::Kind::prompt;
      b.value = fields.value("kind", "");
    } else if (kind == "event") {
      b.kind = Boundary::Kind::event;
      b.value = fields.value("name", "");
    } else {
      continue;
    }
    if (b.value.empty() || (is_message(b.kind) && b.direction != "to_host" &&
                            b.direction != "to_terminal")) {
      continue;
    }
    b.occurrence = ++seen[{static_cast<int>(b.kind), b.value, b.direction}];
    out.push_back(b);
  }
  return out;
}

const std::vector<Flow>& flows() {
  // 16.31, not a round amount: times 100 in binary floating point it is 1630.99…, so a
  // terminal that computes minor units that way shows it on the ledger.
  static const std::vector<Flow> list = {
      {"card-sale", "a chip card sale with its PIN, online to the acquirer",
       "  - sale: {amount: \"16.31\", method: card, card: visa-chip}\n",
       "  - sale: {amount: \"1.00\", method: card, card: visa-chip}\n"
       "  - expect: {result: {status: APPROVED}, within: \"${profile.host_timeout} + 10s\"}\n",
       "${profile.host_timeout} + 40s"},
      {"qr-sale", "a QR sale: the customer's payment code, paid through the wallet",
       "  - sale: {amount: \"16.31\", method: qr, code: \"134567890123456789\"}\n",
       "  - sale: {amount: \"1.00\", method: qr, code: \"134567890123456789\"}\n"
       "  - expect: {result: {status: APPROVED}, within: \"${profile.host_timeout} + 10s\"}\n",
       "(${profile.wallet_queries} + ${profile.reverse_attempts} + 1) * "
       "(${profile.wallet_query_interval} + ${profile.host_timeout}) + 30s"},
  };
  return list;
}

const Flow* find_flow(const std::string& name) {
  for (const Flow& f : flows()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::vector<FaultCase> faults_for(const Boundary& b) {
  std::vector<FaultCase> out;
  if (is_message(b.kind)) {
    // The message itself is lost: never sent on, or the link cut or reset as it passes.
    out.push_back(triggered("network.down"));
    out.push_back(triggered("network.blackhole"));
    out.push_back(triggered("network.reset"));
  }
  const bool first = b.occurrence == 1;
  const bool request = b.direction == "to_host";
  if (b.kind == Boundary::Kind::host_message && first) {
    // The acquirer acts on the next request of an MTI by itself: armed at once, count 1.
    const std::string mti = request_mti(b.value);
    const std::string on = "mti: \"" + mti + "\"\ncount: 1\n";
    const bool financial = mti == "0200" || mti == "0100";
    const bool reversal = mti == "0400" || mti == "0401";
    if (request) {
      out.push_back(at_once("host.no_response", on + "apply: false\n"));
      if (financial) out.push_back(at_once("host.decline", on + "rc: \"51\"\n"));
      if (reversal) out.push_back(at_once("host.refuse_reversal", "count: 1\n"));
    } else if (financial || reversal) {
      // Its answer lost after the request took effect, or late beyond the terminal's wait.
      out.push_back(at_once("host.no_response", on + "apply: true\n"));
      out.push_back(at_once("host.delay", on + "ms: 35000\n"));
    }
  }
  if (b.kind == Boundary::Kind::wallet_message && first) {
    std::string endpoint = path_word(b.value);
    if (endpoint == "micropay" || endpoint == "orderquery" || endpoint == "reverse") {
      const std::string on = "endpoint: " + endpoint + "\ncount: 1\n";
      out.push_back(at_once("wallet.no_response", on + (request ? "apply: false\n" : "apply: true\n")));
      out.push_back(
          at_once("wallet.systemerror", on + (request ? "apply: false\n" : "apply: true\n")));
      if (request && endpoint == "micropay") {
        out.push_back(at_once("wallet.userpaying", "seconds: 6\ncount: 1\n"));
      }
      if (request && endpoint == "reverse") out.push_back(at_once("wallet.reverse_fail", "count: 1\n"));
    }
  }
  const bool prompt_or_event = b.kind == Boundary::Kind::prompt || b.kind == Boundary::Kind::event;
  // Prompt and event triggers fire on the first occurrence only.
  if (prompt_or_event && !first) return out;
  if (prompt_or_event) out.push_back(triggered("network.down"));
  out.push_back(triggered("power.cut", "", Recovery::power));
  out.push_back(triggered("printer.paper_out"));
  if (prompt_or_event) {
    // The terminal's next frame is not ACKed (it resends it: rule 19); the link drops (rule 20).
    out.push_back(triggered("ecr.no_ack", "count: 1\n"));
    out.push_back(triggered("ecr.disconnect", "", Recovery::link));
  }
  return out;
}

std::string case_id(const Boundary& b, const FaultCase& f) { return b.id() + "-" + f.fault; }

std::string case_id(const std::vector<Injection>& faults) {
  std::string out;
  for (const Injection& i : faults) out += (out.empty() ? "" : "+") + case_id(i.at, i.fault);
  return out;
}

std::vector<Boundary> brought_about(const std::vector<Boundary>& clean,
                                    const std::vector<Boundary>& faulted) {
  std::set<std::tuple<int, std::string, std::string>> known;
  for (const Boundary& b : clean) known.insert({static_cast<int>(b.kind), b.value, b.direction});
  std::vector<Boundary> out;
  for (const Boundary& b : faulted) {
    if (!known.count({static_cast<int>(b.kind), b.value, b.direction})) out.push_back(b);
  }
  return out;
}

std::string prefix_lines(const std::string& text, const std::string& prefix) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    out += prefix + text.substr(at, nl - at) + "\n";
    at = nl + 1;
  }
  return out;
}

namespace {

std::string header(const std::string& name) {
  return "name: \"" + name + "\"\nfamily: explore\ntags: [explore]\nsteps:\n";
}

}  // namespace

std::string clean_text(const Flow& flow) {
  return "# rig explore: the clean run of " + flow.name + ", whose boundaries are explored\n" +
         header("explore " + flow.name + ": clean run") + flow.steps +
         "  - expect: {result: {status: APPROVED}, within: \"${profile.host_timeout} + 10s\"}\n";
}

std::string scenario_text(const Flow& flow, const Boundary& b, const FaultCase& f) {
  return scenario_text(flow, std::vector<Injection>{{b, f}});
}

std::string scenario_text(const Flow& flow, const std::vector<Injection>& faults) {
  std::string what;
  for (const Injection& i : faults) {
    what += (what.empty() ? "" : ", then ") + i.fault.fault + " at " + i.at.describe();
  }
  std::string s = "# rig explore: " + flow.name + ", " + what + "\n";
  s += header("explore " + flow.name + ": " + what);
  // One transaction per fault, each with its fault armed just before it and its recovery
  // after it; a second fault meets what the first left behind (a stored reversal sent, …).
  for (std::size_t k = 0; k < faults.size(); ++k) {
    const Injection& i = faults[k];
    // After the first fault the terminal may first send what it left behind (a stored
    // reversal: each attempt may wait out the host) before the transaction goes online.
    const std::string settle =
        k == 0 ? flow.settle_within
               : "(" + flow.settle_within +
                     ") + ${profile.reversal_attempts} * (${profile.host_timeout} + "
                     "${profile.reversal_interval})";
    s += "  - fault: " + i.fault.fault + "\n" + prefix_lines(i.fault.params, "    ");
    if (i.fault.triggered) s += "    when: " + i.at.trigger() + "\n";
    s += flow.steps;
    switch (i.fault.recovery) {
      case Recovery::answer:
        // The flow's answer, however the fault ended it; then the fault goes.
        s += "  - expect: {result: {}, within: \"" + settle + "\"}\n";
        s += "  - clear: " + i.fault.fault + "\n";
        break;
      case Recovery::power:
        // No answer comes from a terminal without power: the flow's time passes, then power
        // comes back and the terminal boots.
        s += "  - wait: 40s\n";
        s += "  - clear: " + i.fault.fault + "\n";
        s += "  - expect: {event: BOOT, within: 60s}\n";
        break;
      case Recovery::link:
        // The terminal goes on without the rig (its frames wait for the link); once the link
        // is back, the flow ends as it would have.
        s += "  - wait: 40s\n";
        s += "  - clear: " + i.fault.fault + "\n";
        s += "  - expect: {result: {}, within: \"" + settle + "\"}\n";
        break;
    }
    // The cash register asks how the flow ended (rule 20). 30 s: the answer may wait behind
    // a frame whose ACK a fault took, resent after the link's own ack_timeout, which
    // time_scale does not shorten.
    s += "  - last\n";
    s += "  - expect: {result: {}, within: 30s}\n";
  }
  // Then the terminal must be usable.
  s += flow.follow_up;
  return s;
}

}  // namespace rig::explore
