#include "rig/fault/contact.h"

namespace rig::fault {

using nlohmann::json;

std::vector<std::string> contact_families() { return {"network", "printer", "power"}; }

std::string contact_refuses(const bench::FaultWiring& wiring, const Need& need, const Reach&) {
  const std::string& a = need.action;
  const std::string& family = wiring.family;
  const json params = need.params.is_object() ? need.params : json::object();  // null: any step
  if (family == "power" && (a == "power.cut" || a == "power.restore")) return "";
  if (family == "printer" && a == "printer.paper_out") return "";
  if (family == "printer" && a == "printer.paper") {
    std::string state = params.value("state", "ok");
    if (state == "ok" || state == "out") return "";
    return "a contact on the paper sensor reads paper out or ok, never " + state;
  }
  if (family == "network" && a == "network.down") {
    if (params.value("probability", 1.0) >= 1.0) return "";
    return "a cut contact drops every message; it cannot act with probability " +
           params["probability"].dump();
  }
  return "a contact only switches " + family +
         (family == "power"     ? " (power.cut, power.restore)"
          : family == "printer" ? " (printer.paper_out, paper out/ok)"
                                : " (network.down)");
}

Setting contact_active_setting(const std::string& fallback) {
  return MakeSetting("active", Setting::Type::choice,
                     "contact state that injects the fault: on (energised, powered) or off")
      .choices({"on", "off"})
      .fallback(fallback);
}

ContactFixture::ContactFixture(const DriverInfo& info, const bench::FaultWiring& wiring,
                               Reach reach)
    : DeclaredFixture(info, wiring, reach),
      active_on_(wiring.settings.value("active", "on") == "on") {}

Outcome ContactFixture::act(const std::string& action, const json& params, const scenario::Trigger*,
                            std::chrono::milliseconds, Deadline deadline) {
  if (std::string why = refused(action, params); !why.empty()) return Outcome::failure(why);
  bool yes = true;
  if (action == "power.restore") yes = false;
  if (action == "printer.paper") yes = params.value("state", "ok") == "out";
  return inject(yes, deadline);
}

Outcome ContactFixture::revert(const std::string&, Deadline deadline) {
  return inject(false, deadline);
}

Outcome ContactFixture::restore(Deadline deadline) { return inject(false, deadline); }

Outcome ContactFixture::inject(bool yes, Deadline deadline) {
  return switch_to(yes == active_on_, deadline);
}

}  // namespace rig::fault
