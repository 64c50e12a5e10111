#include "rig/fault/vhost.h"

#include "rig/link/json_clients.h"

namespace rig::fault {

namespace {

using nlohmann::json;

// vhost: scripted host and wallet behaviour over the admin endpoint (docs/host-protocol.md).
class VhostFixture : public DeclaredFixture {
 public:
  VhostFixture(const bench::FaultWiring& wiring, const FixtureContext& context)
      : DeclaredFixture(vhost_driver(), wiring, {context.interactive}),
        client_("vhost admin", context.expand(wiring.settings.value("admin", "")), context.token),
        tid_(context.expand("${terminal.tid}")),
        record_(context.record) {}

  std::string describe() const override { return client_.name(); }
  void abort() override { client_.abort(); }

  Outcome act(const std::string& action, const json& params, const scenario::Trigger*,
              std::chrono::milliseconds, Deadline deadline) override {
    json rule = to_rule(action, params);
    rig::link::JsonReply reply = client_.request("POST", "/admin/script", rule, deadline);
    if (!reply.status) return Outcome::failure(reply.status.message);
    record_("fixture", {{"driver", "vhost"}, {"request", rule}, {"reply", reply.body}});
    if (reply.http_status != 200) {
      return Outcome::failure(
          client_.name() + ": " + action + ": " +
          reply.body.value("error", "HTTP " + std::to_string(reply.http_status)));
    }
    return Outcome::success(reply.body);
  }

  Outcome revert(const std::string&, Deadline deadline) override { return reset(deadline); }
  Outcome restore(Deadline deadline) override { return reset(deadline); }

 private:
  // Scenario fault -> vhost script rule. Durations in params are already scaled.
  json to_rule(const std::string& action, const json& p) const {
    json rule;
    auto copy = [&](const char* from, const char* to) {
      if (p.contains(from)) rule[to] = p[from];
    };
    if (action.rfind("host.", 0) == 0) {
      rule["target"] = "iso";
      if (!tid_.empty()) rule["tid"] = tid_;
      copy("count", "count");
      copy("mti", "mti");
      if (action == "host.decline") {
        rule["action"] = "decline";
        copy("rc", "rc");
      } else if (action == "host.delay") {
        rule["action"] = "delay";
        copy("ms", "ms");
      } else if (action == "host.no_response") {
        rule["action"] = "no_response";
        copy("apply", "apply");
      } else {
        rule["action"] = "refuse_reversal";
        copy("answer", "answer");
      }
    } else {
      rule["target"] = "wallet";
      if (!tid_.empty()) rule["tid"] = tid_;
      copy("count", "count");
      if (action == "wallet.userpaying") {
        rule["action"] = "userpaying";
        copy("seconds", "seconds");
        copy("then", "then");
      } else if (action == "wallet.systemerror") {
        rule["action"] = "system_error";
        copy("endpoint", "endpoint");
        copy("apply", "apply");
      } else if (action == "wallet.no_response") {
        rule["action"] = "no_response";
        copy("endpoint", "endpoint");
        copy("apply", "apply");
      } else {
        rule["action"] = "reverse_fail";
        rule["endpoint"] = "reverse";
      }
    }
    return rule;
  }

  Outcome reset(Deadline deadline) {
    json body = json::object();
    // Other stations may share this vhost: only this terminal's rules, and the PIN counters its
    // requests changed (a scenario that blocked a card leaves it usable for the next one).
    if (!tid_.empty()) body = {{"tid", tid_}, {"pin_counters", true}};
    rig::link::JsonReply reply = client_.request("POST", "/admin/reset", body, deadline);
    if (!reply.status) return Outcome::failure(reply.status.message);
    if (reply.http_status != 200) {
      return Outcome::failure(client_.name() + ": reset: HTTP " +
                              std::to_string(reply.http_status));
    }
    return Outcome::success(reply.body);
  }

  rig::link::HttpJsonClient client_;
  std::string tid_;
  FixtureRecorder record_;
};

}  // namespace

const DriverInfo& vhost_driver() {
  static const DriverInfo info = [] {
    DriverInfo d;
    d.name = "vhost";
    d.doc = "the virtual acquirer's admin endpoint: scripted host and wallet faults, the ledger";
    d.families = {"acquirer"};
    d.settings = {MakeSetting("admin", Setting::Type::text, "HOST:PORT of vhost's admin endpoint")
                      .fallback("${host.admin}")};
    d.refuses = serves_family;
    d.make = build_fixture<VhostFixture>;
    return d;
  }();
  return info;
}

}  // namespace rig::fault
