#include "rig/fault/network_fixture.h"

#include "rig/link/json_clients.h"
#include "rig/protocol/amount.h"

namespace rig::fault {

using nlohmann::json;

json safe_iso_fields(const std::map<int, std::string>& fields) {
  json out = json::object();
  for (const auto& [number, value] : fields) {
    std::string key = std::to_string(number);
    if (number == 2) {
      out[key] = protocol::mask_pan(value);
    } else if (number == 35 || number == 52 || number == 55) {
      out[key] = "***";
    } else {
      out[key] = value;
    }
  }
  return out;
}

json message_fields(const ProxyMessage& m, Framing framing) {
  json fields = {{"direction", scenario_direction_name(m.direction)}, {"summary", m.summary}};
  if (m.faulted()) fields["fault"] = m.fault_note;
  if (m.dropped) fields["dropped"] = true;
  if (framing == Framing::iso8583) {
    fields["mti"] = m.mti;
    fields["fields"] = safe_iso_fields(m.fields);
    if (!m.decode_error.empty()) fields["decode_error"] = m.decode_error;
  } else if (framing == Framing::http) {
    fields["method"] = m.method;
    fields["path"] = m.path;
    fields["status"] = m.status;
    json body = json::parse(m.body, nullptr, false);
    fields["body"] = body.is_discarded() ? json(m.body.substr(0, 200)) : body;
  }
  return fields;
}

const char* scenario_direction_name(Direction d) {
  switch (d) {
    case Direction::to_upstream:
      return "to_host";
    case Direction::to_client:
      return "to_terminal";
    case Direction::both:
      return "both";
  }
  return "?";
}

namespace {

Direction parse_scenario_direction(const std::string& s) {
  if (s == "to_host") return Direction::to_upstream;
  if (s == "to_terminal") return Direction::to_client;
  return Direction::both;
}

std::unique_ptr<NetworkProxy> make_proxy(const std::string& name, const std::string& upstream,
                                         const std::string& bind, const link::AllowList& allow_from,
                                         Framing framing) {
  if (upstream.empty()) return nullptr;
  auto [host, port] = rig::link::split_host_port(upstream);
  ProxyConfig config;
  config.name = name;
  config.listen_host = bind;
  config.allow_from = allow_from;
  config.upstream_host = host;
  config.upstream_port = port;
  config.framing = framing;
  return std::make_unique<NetworkProxy>(config);
}

}  // namespace

NetworkFixture::NetworkFixture(std::string station, const std::string& host_iso,
                               const std::string& wallet, std::string bind,
                               const link::AllowList& allow_from, FixtureRecorder record)
    : station_(std::move(station)), bind_(std::move(bind)), record_(std::move(record)) {
  iso_ = make_proxy("host", host_iso, bind_, allow_from, Framing::iso8583);
  wallet_ = make_proxy("wallet", wallet, bind_, allow_from, Framing::http);
}

NetworkFixture::~NetworkFixture() { stop(); }

void NetworkFixture::observe(NetworkProxy& proxy, bool iso) {
  ProxyObserver observer;
  observer.on_message = [this, iso](const ProxyMessage& m) {
    record_(iso ? "host_message" : "wallet_message",
            message_fields(m, iso ? Framing::iso8583 : Framing::http));
  };
  observer.on_event = [this, iso](const ProxyEvent& e) {
    const char* kind = nullptr;
    switch (e.kind) {
      case ProxyEvent::Kind::fault_fired:
        kind = "fault_applied";
        break;
      case ProxyEvent::Kind::fault_cleared:
      case ProxyEvent::Kind::fault_expired:
        kind = "fault_cleared";
        break;
      default:
        kind = "note";
        break;
    }
    record_(kind, {{"driver", "proxy"}, {"link", iso ? "host" : "wallet"}, {"text", e.text}});
  };
  proxy.set_observer(observer);
}

void NetworkFixture::start() {
  for (auto* p : {iso_.get(), wallet_.get()}) {
    if (!p) continue;
    observe(*p, p == iso_.get());
    p->start();
  }
}

void NetworkFixture::stop() {
  if (iso_) iso_->stop();
  if (wallet_) wallet_->stop();
}

std::string NetworkFixture::iso_endpoint() const {
  return iso_ ? iso_->listen_endpoint().to_string() : "";
}
std::string NetworkFixture::wallet_endpoint() const {
  return wallet_ ? wallet_->listen_endpoint().to_string() : "";
}

std::string NetworkFixture::describe() const {
  return "proxy (host " + iso_endpoint() + ", wallet " + wallet_endpoint() + ")";
}

bool NetworkFixture::supports(const std::string& action) const {
  bench::FaultWiring wiring;
  wiring.family = "network";
  wiring.driver = "proxy";
  Need need;
  need.action = action;
  return proxy_driver().refuses(wiring, need, {}).empty();
}

const DriverInfo& proxy_driver() {
  static const DriverInfo info = [] {
    DriverInfo d;
    d.name = "proxy";
    d.doc = "the built-in network fault proxy between the terminal and its host and wallet";
    d.families = {"network"};
    d.watches_messages = true;
    d.settings = {
        MakeSetting("allow_from", Setting::Type::list,
                    "sources (CIDR blocks or addresses) that may connect; required when the "
                    "bench's bind is beyond loopback, since a terminal cannot send the token")};
    d.check = [](const std::string&, const json& settings, const SettingError& error) {
      if (!settings.contains("allow_from")) return;
      for (const auto& entry : settings["allow_from"]) {
        const std::string text = entry.get<std::string>();
        if (text.find("${") != std::string::npos) continue;  // checked when expanded
        try {
          (void)link::parse_cidr(text);
        } catch (const std::invalid_argument& e) {
          error("allow_from", std::string("allow_from: ") + e.what());
        }
      }
    };
    d.refuses = serves_family;
    // No make: the station builds the proxies first, since the terminal is pointed at them.
    return d;
  }();
  return info;
}

bool NetworkFixture::handles_trigger(const scenario::Trigger& trigger) const {
  using K = scenario::Trigger::Kind;
  return (trigger.kind == K::host_message && iso_) ||
         (trigger.kind == K::wallet_message && wallet_);
}

FaultSpec network_fault_spec(const std::string& action, const json& p,
                             const scenario::Trigger* trigger, std::chrono::milliseconds hold) {
  auto kind = action.rfind("network.", 0) == 0 ? parse_fault_kind(action.substr(8)) : std::nullopt;
  if (!kind) throw std::invalid_argument("unknown network fault '" + action + "'");
  FaultSpec spec;
  spec.kind = *kind;
  spec.direction = parse_scenario_direction(p.value("direction", "both"));
  spec.probability = p.value("probability", 1.0);
  spec.seed = p.value("seed", 0u);
  spec.duration = hold;
  spec.latency = Millis(p.value("ms", 0));
  spec.jitter = Millis(p.value("jitter_ms", 0));
  spec.bytes_per_second = p.value("bytes_per_s", 0ull);
  if (*kind == FaultKind::slice) {
    spec.slice_bytes = p.value("bytes", 1u);
    spec.slice_gap = Millis(p.value("gap_ms", 0));
  }
  if (*kind == FaultKind::corrupt) {
    // `byte_probability` (each byte's chance) or `bytes` (a count per message); `probability`
    // stays the chance that a message is corrupted at all (docs/scenarios.md).
    if (p.contains("byte_probability")) {
      spec.corrupt_byte_probability = p.value("byte_probability", 0.0);
    } else {
      spec.corrupt_bytes = p.value("bytes", 1u);
    }
  }
  if (*kind == FaultKind::limit) spec.limit_bytes = p.value("bytes", 0ull);
  using K = scenario::Trigger::Kind;
  if (trigger && trigger->kind == K::host_message) {
    spec.trigger =
        on_mti(trigger->value, parse_scenario_direction(trigger->direction), trigger->occurrence);
  } else if (trigger && trigger->kind == K::wallet_message) {
    spec.trigger =
        on_path(trigger->value, parse_scenario_direction(trigger->direction), trigger->occurrence);
  }
  return spec;
}

Outcome NetworkFixture::act(const std::string& action, const json& p,
                            const scenario::Trigger* trigger, std::chrono::milliseconds hold,
                            Deadline) {
  FaultSpec spec;
  try {
    spec = network_fault_spec(action, p, trigger, hold);
  } catch (const std::invalid_argument& e) {
    return Outcome::failure(std::string("proxy: ") + e.what());
  }
  std::vector<NetworkProxy*> targets;
  std::string link = p.value("link", "both");
  using K = scenario::Trigger::Kind;
  if (trigger && trigger->kind == K::host_message) {
    targets = {iso_.get()};
  } else if (trigger && trigger->kind == K::wallet_message) {
    targets = {wallet_.get()};
  } else {
    if (link != "wallet") targets.push_back(iso_.get());
    if (link != "host") targets.push_back(wallet_.get());
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (NetworkProxy* proxy : targets) {
    if (!proxy) continue;
    try {
      armed_.emplace(action, std::make_pair(proxy, proxy->arm(spec)));
    } catch (const std::invalid_argument& e) {
      return Outcome::failure("proxy " + proxy->config().name + ": " + e.what());
    }
  }
  return Outcome::success();
}

Outcome NetworkFixture::revert(const std::string& fault, Deadline) {
  std::lock_guard<std::mutex> lock(mu_);
  auto range = armed_.equal_range(fault);
  for (auto it = range.first; it != range.second; ++it) it->second.first->clear(it->second.second);
  armed_.erase(range.first, range.second);
  return Outcome::success();
}

Outcome NetworkFixture::restore(Deadline) {
  std::lock_guard<std::mutex> lock(mu_);
  armed_.clear();
  if (iso_) iso_->clear_all();
  if (wallet_) wallet_->clear_all();
  return Outcome::success();
}

}  // namespace rig::fault
