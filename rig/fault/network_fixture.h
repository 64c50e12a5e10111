// The `proxy` fixture driver: a station's network fault injector. It runs two fault proxies
// (rig/fault/proxy.h), one framing ISO 8583 in front of the acquirer host and one framing HTTP
// in front of the wallet gateway; the terminal is pointed at them (${network.iso},
// ${network.wallet}). Every message they see goes to the station's timeline as a
// host_message / wallet_message entry, with sensitive fields masked.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "rig/fault/fixture.h"
#include "rig/fault/proxy.h"

namespace rig::fault {

class NetworkFixture : public FixtureDriver {
 public:
  // Endpoints are HOST:PORT; an empty one gets no proxy. `bind` is the listen address.
  NetworkFixture(std::string station, const std::string& host_iso, const std::string& wallet,
                 std::string bind, FixtureRecorder record);
  ~NetworkFixture() override;

  // Starts the proxies; throws std::runtime_error when one cannot listen or resolve.
  void start();
  void stop();
  std::string iso_endpoint() const;     // "127.0.0.1:40100" (empty without an ISO proxy)
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

// Timeline fields of an ISO 8583 message with PAN masked and track 2, PIN block and ICC data
// hidden ("***"), so that reports never carry them.
nlohmann::json safe_iso_fields(const std::map<int, std::string>& fields);

}  // namespace rig::fault
