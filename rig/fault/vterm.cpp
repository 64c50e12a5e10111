#include "rig/fault/vterm.h"

#include <mutex>
#include <set>

#include "rig/link/json_clients.h"
#include "rig/protocol/redact.h"

namespace rig::fault {

namespace {

using nlohmann::json;

class VtermFixture : public DeclaredFixture {
 public:
  VtermFixture(const bench::FaultWiring& wiring, const FixtureContext& context)
      : DeclaredFixture(vterm_driver(), wiring, {context.interactive}),
        client_("vterm control", context.expand(wiring.settings.value("control", ""))),
        token_(context.token),
        record_(context.record) {}

  std::string describe() const override { return client_.name(); }
  void abort() override { client_.abort(); }

  Outcome act(const std::string& action, const json& params, const scenario::Trigger*,
              std::chrono::milliseconds, Deadline deadline) override {
    json request = params.is_object() ? params : json::object();
    request.erase("fault");
    std::string cmd = action;
    bool is_fault = false;
    if (action == "scanner.dirty") {
      cmd = "scanner.dirt";
      is_fault = true;
    } else if (action == "printer.paper_out" || action == "printer.paper_low") {
      cmd = "printer.paper";
      request = {{"state", action == "printer.paper_out" ? "out" : "low"}};
      // paper_low may say how many lines are left before the roll ends mid-receipt.
      if (params.is_object() && params.contains("lines_left")) {
        request["lines_left"] = params["lines_left"];
      }
      is_fault = true;
    } else if (action == "power.cut") {
      is_fault = true;
    }
    request["cmd"] = cmd;
    Outcome out = call(request, deadline);
    if (out.ok && is_fault) {
      std::lock_guard<std::mutex> lock(mu_);
      applied_.insert(action);
    }
    return out;
  }

  Outcome revert(const std::string& fault, Deadline deadline) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!applied_.erase(fault)) return Outcome::success();
    }
    return call(undo(fault), deadline);
  }

  Outcome restore(Deadline deadline) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      applied_.clear();
    }
    // The base state of this family, whatever the scenario did with fixture actions.
    const std::string& family = wiring_.family;
    std::vector<json> requests;
    if (family == "card") {
      requests.push_back({{"cmd", "card.remove"}});
      requests.push_back({{"cmd", "cards.reset"}});  // fresh cards: PIN try counters full
    }
    if (family == "scanner") requests.push_back({{"cmd", "scanner.clean"}});
    if (family == "printer") requests.push_back({{"cmd", "printer.paper"}, {"state", "ok"}});
    if (family == "power") requests.push_back({{"cmd", "power.restore"}});
    for (const auto& r : requests) {
      Outcome out = call(r, deadline);
      if (!out.ok) return out;
    }
    return Outcome::success();
  }

 private:
  static json undo(const std::string& fault) {
    if (fault == "scanner.dirty") return {{"cmd", "scanner.clean"}};
    if (fault == "power.cut") return {{"cmd", "power.restore"}};
    return {{"cmd", "printer.paper"}, {"state", "ok"}};
  }

  Outcome call(const json& request, Deadline deadline) {
    json sent = request;
    if (!token_.empty()) sent["token"] = token_;  // vterm started with the bench's token wants it
    rig::link::JsonReply reply = client_.call(sent, deadline);
    if (!reply.status) return Outcome::failure(reply.status.message);
    // PIN digits and passwords are never recorded (docs/reliability.md).
    json shown = request;
    if (shown.contains("keys")) shown["keys"] = protocol::mask_keys(shown["keys"]);
    record_("fixture", {{"driver", "vterm"}, {"request", shown}, {"reply", reply.body}});
    if (!reply.body.value("ok", false)) {
      return Outcome::failure(client_.name() + ": " + request.value("cmd", "?") + ": " +
                              reply.body.value("error", std::string("refused")));
    }
    return Outcome::success(reply.body);
  }

  rig::link::JsonLineClient client_;
  std::string token_;
  FixtureRecorder record_;
  std::mutex mu_;
  std::set<std::string> applied_;
};

}  // namespace

const DriverInfo& vterm_driver() {
  static const DriverInfo info = [] {
    DriverInfo d;
    d.name = "vterm";
    d.doc = "the virtual terminal's control port: every fixture of a virtual bench";
    d.families = {"scanner", "card", "keypad", "printer", "power"};
    d.settings = {MakeSetting("control", Setting::Type::text, "HOST:PORT of vterm's control port")
                      .fallback("${terminal.control}")};
    d.refuses = serves_family;
    d.make = build_fixture<VtermFixture>;
    return d;
  }();
  return info;
}

}  // namespace rig::fault
