// The `proxy` fixture driver: a station's network fault injector. It runs two fault proxies
// (rig/fault/proxy.h), one framing ISO 8583 in front of the acquirer host and one framing HTTP
// in front of the wallet gateway; the terminal is pointed at them (${network.iso},
// ${network.wallet}). Every message they see goes to the station's timeline as a
// host_message / wallet_message entry, with sensitive fields masked.
//
// Settings: `allow_from` (CIDR blocks), the sources its proxies accept; required when the
// bench binds beyond loopback (rig/link/allow_list.h). It serves every network.* fault, waits
// for message triggers itself, and is what host_message and wallet_message checks read
// (network.observe).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "rig/fault/driver.h"
#include "rig/fault/fixture.h"
#include "rig/fault/proxy.h"

namespace rig::fault {

const DriverInfo& proxy_driver();

class NetworkFixture : public FixtureDriver {
 public:
  // Endpoints are HOST:PORT; an empty one gets no proxy. `bind` is the listen address, and
  // `allow_from` the sources that may connect (empty: any).
  NetworkFixture(std::string station, const std::string& host_iso, const std::string& wallet,
                 std::string bind, const link::AllowList& allow_from, FixtureRecorder record);
  ~NetworkFixture() override;

  // Starts the proxies; throws std::runtime_error when one cannot listen or resolve.
  void start();
  void stop();
  std::string iso_endpoint() const;  // "127.0.0.1:40100" (empty without an ISO proxy)
  std::string wallet_endpoint() const;

  std::string describe() const override;
  bool supports(const std::string& action) const override;
  bool handles_trigger(const scenario::Trigger& trigger) const override;
  // params: direction (to_host|to_terminal|both), probability, seed, link (host|wallet|both),
  // ms, jitter_ms, bytes_per_s, bytes, gap_ms, probability (corrupt per byte).
  Outcome act(const std::string& action, const nlohmann::json& params,
              const scenario::Trigger* trigger, std::chrono::milliseconds hold,
              Deadline deadline) override;
  Outcome revert(const std::string& fault, Deadline deadline) override;
  Outcome restore(Deadline deadline) override;

  // The proxies, for tests and benchmarks.
  NetworkProxy* iso_proxy() { return iso_.get(); }
  NetworkProxy* wallet_proxy() { return wallet_.get(); }

 private:
  void observe(NetworkProxy& proxy, bool iso);

  std::string station_;
  std::string bind_;
  FixtureRecorder record_;
  std::unique_ptr<NetworkProxy> iso_, wallet_;
  std::mutex mu_;
  // Armed faults by scenario name: (proxy, id) pairs.
  std::multimap<std::string, std::pair<NetworkProxy*, FaultId>> armed_;
};

// The fields of a proxy message as a station's timeline records them (host_message with an
// iso8583 `framing`, wallet_message with http): direction (to_host|to_terminal), summary,
// fault and dropped when a fault acted; mti, fields (safe_iso_fields) and decode_error, or
// method, path, status and body (parsed when it is JSON). Raw framing: the first four only.
nlohmann::json message_fields(const ProxyMessage& m, Framing framing);

// "to_host", "to_terminal", "both": a direction as scenarios write it.
const char* scenario_direction_name(Direction d);

// The proxy fault a scenario's `fault: network.KIND` step asks for: `action` its name
// ("network.latency"), `params` its checked parameters (rig/scenario/catalogue.h: direction
// to_host|to_terminal|both, probability, seed, ms, jitter_ms, bytes_per_s, bytes, gap_ms,
// byte_probability; times as the proxy is to use them), `trigger` a host_message (MTI) or
// wallet_message (path) trigger, or null for none, `hold` its `for:` (zero: until cleared).
// Not validated: NetworkProxy::arm() does that. Throws std::invalid_argument for a name that is
// not a network fault. Shared by this driver and `rig proxy`'s control socket.
FaultSpec network_fault_spec(const std::string& action, const nlohmann::json& params,
                             const scenario::Trigger* trigger, std::chrono::milliseconds hold);

// Timeline fields of an ISO 8583 message with PAN masked and track 2, PIN block and ICC data
// hidden ("***"), so that reports never carry them.
nlohmann::json safe_iso_fields(const std::map<int, std::string>& fields);

}  // namespace rig::fault
