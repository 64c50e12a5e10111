// The fixture drivers other than the network proxy: vterm (control port), vhost (admin
// endpoint), relay (USB serial relay board), command (argv lists) and manual (an operator).
#include <unistd.h>

#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

#include "rig/fault/fixture.h"
#include "rig/fault/relay.h"
#include "rig/link/json_clients.h"
#include "rig/protocol/redact.h"
#include "rig/process/supervisor.h"

namespace rig::fault {

namespace {

using nlohmann::json;

// Which actions and faults belong to which family (the scenario catalogue's names).
const std::map<std::string, std::set<std::string>>& family_actions() {
  static const std::map<std::string, std::set<std::string>> actions = {
      {"card", {"card.insert", "card.swipe", "card.tap", "card.remove"}},
      {"scanner", {"scanner.present", "scanner.clean", "scanner.dirty"}},
      {"keypad", {"keypad.press"}},
      {"printer", {"printer.paper", "printer.paper_out", "printer.paper_low"}},
      {"power", {"power.cut", "power.restore"}},
      {"acquirer",
       {"host.decline", "host.delay", "host.no_response", "host.refuse_reversal",
        "wallet.userpaying", "wallet.systemerror", "wallet.no_response", "wallet.reverse_fail"}},
  };
  return actions;
}

bool family_supports(const std::string& family, const std::string& action) {
  auto it = family_actions().find(family);
  return it != family_actions().end() && it->second.count(action) > 0;
}

// ---------------------------------------------------------------------------------------
// vterm: the virtual terminal's control port (docs/vterm.md), JSON lines.
class VtermFixture : public FixtureDriver {
 public:
  VtermFixture(std::string family, const std::string& endpoint, FixtureRecorder record)
      : family_(std::move(family)), client_("vterm control", endpoint), record_(std::move(record)) {}

  std::string describe() const override { return client_.name(); }
  bool supports(const std::string& action) const override {
    return family_supports(family_, action);
  }
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
      if (params.is_object() && params.contains("lines_left")) request["lines_left"] = params["lines_left"];
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
    std::vector<json> requests;
    if (family_ == "card") {
      requests.push_back({{"cmd", "card.remove"}});
      requests.push_back({{"cmd", "cards.reset"}});  // fresh cards: PIN try counters full
    }
    if (family_ == "scanner") requests.push_back({{"cmd", "scanner.clean"}});
    if (family_ == "printer") requests.push_back({{"cmd", "printer.paper"}, {"state", "ok"}});
    if (family_ == "power") requests.push_back({{"cmd", "power.restore"}});
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
    rig::link::JsonReply reply = client_.call(request, deadline);
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

  std::string family_;
  rig::link::JsonLineClient client_;
  FixtureRecorder record_;
  std::mutex mu_;
  std::set<std::string> applied_;
};

// ---------------------------------------------------------------------------------------
// vhost: scripted host and wallet behaviour over the admin endpoint (docs/host-protocol.md).
class VhostFixture : public FixtureDriver {
 public:
  VhostFixture(const std::string& endpoint, std::string tid, std::string token,
               FixtureRecorder record)
      : client_("vhost admin", endpoint, std::move(token)),
        tid_(std::move(tid)),
        record_(std::move(record)) {}

  std::string describe() const override { return client_.name(); }
  bool supports(const std::string& action) const override {
    return family_supports("acquirer", action);
  }
  void abort() override { client_.abort(); }

  Outcome act(const std::string& action, const json& params, const scenario::Trigger*,
              std::chrono::milliseconds, Deadline deadline) override {
    json rule = to_rule(action, params);
    rig::link::JsonReply reply = client_.request("POST", "/admin/script", rule, deadline);
    if (!reply.status) return Outcome::failure(reply.status.message);
    record_("fixture", {{"driver", "vhost"}, {"request", rule}, {"reply", reply.body}});
    if (reply.http_status != 200) {
      return Outcome::failure(client_.name() + ": " + action + ": " +
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
      return Outcome::failure(client_.name() + ": reset: HTTP " + std::to_string(reply.http_status));
    }
    return Outcome::success(reply.body);
  }

  rig::link::HttpJsonClient client_;
  std::string tid_;
  FixtureRecorder record_;
};

// ---------------------------------------------------------------------------------------
// relay: one channel of a USB serial relay board switching power, a paper sensor or a cable.
class RelayFixture : public FixtureDriver {
 public:
  RelayFixture(std::string family, std::string link_spec, int channel, bool active_on)
      : family_(std::move(family)), board_(std::move(link_spec)), channel_(channel),
        active_on_(active_on) {}

  std::string describe() const override {
    return "relay " + board_.name() + " channel " + std::to_string(channel_);
  }
  bool supports(const std::string& action) const override {
    // A relay can only make one fault: open or close its contact.
    return action == "power.cut" || action == "printer.paper_out" || action == "network.down" ||
           action == "power.restore" || (action == "printer.paper" && family_ == "printer");
  }
  Outcome act(const std::string& action, const json& params, const scenario::Trigger*,
              std::chrono::milliseconds, Deadline deadline) override {
    bool inject = true;
    if (action == "power.restore") inject = false;
    if (action == "printer.paper") inject = params.value("state", "ok") == "out";
    return set(inject, deadline);
  }
  Outcome revert(const std::string&, Deadline deadline) override { return set(false, deadline); }
  Outcome restore(Deadline deadline) override { return set(false, deadline); }

 private:
  Outcome set(bool inject, Deadline deadline) {
    bool on = inject == active_on_;
    rig::link::Status s = board_.set(channel_, on, deadline);
    if (!s) return Outcome::failure(s.message);
    return Outcome::success({{"channel", channel_}, {"on", on}});
  }

  std::string family_;
  RelayBoard board_;
  int channel_;
  bool active_on_;
};

// ---------------------------------------------------------------------------------------
// command: argv lists run with the process supervisor (tc, ip, snmpset, vendor tools).
class CommandFixture : public FixtureDriver {
 public:
  CommandFixture(const bench::FaultWiring& wiring, std::function<std::string(const std::string&)> expand)
      : wiring_(wiring), expand_(std::move(expand)) {}

  std::string describe() const override { return "command (" + wiring_.family + ")"; }
  bool supports(const std::string& action) const override {
    return wiring_.argv_settings.count(action + ".apply") > 0;
  }
  Outcome act(const std::string& action, const json&, const scenario::Trigger*,
              std::chrono::milliseconds, Deadline deadline) override {
    Outcome out = run(action, "apply", deadline);
    if (out.ok) {
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
    return run(fault, "clear", deadline);
  }
  Outcome restore(Deadline deadline) override {
    std::set<std::string> applied;
    {
      std::lock_guard<std::mutex> lock(mu_);
      applied.swap(applied_);
    }
    Outcome result = Outcome::success();
    for (const auto& f : applied) {
      Outcome out = run(f, "clear", deadline);
      if (!out.ok && result.ok) result = out;
    }
    return result;
  }

 private:
  Outcome run(const std::string& fault, const char* what, Deadline deadline) {
    auto it = wiring_.argv_settings.find(fault + "." + what);
    if (it == wiring_.argv_settings.end()) return Outcome::success();
    std::vector<std::string> argv;
    try {
      for (const auto& a : it->second) argv.push_back(expand_ ? expand_(a) : a);
    } catch (const std::exception& e) {
      return Outcome::failure(describe() + ": " + fault + " " + what + ": " + e.what());
    }
    process::RunResult r = process::run(argv, deadline);
    if (!r.status) return Outcome::failure(describe() + ": " + r.status.message);
    if (!r.exit.success()) {
      std::string out = r.text();
      if (out.size() > 300) out = out.substr(out.size() - 300);
      return Outcome::failure(describe() + ": " + fault + " " + what + ": " + argv[0] + " " +
                              r.exit.describe() + (out.empty() ? "" : ": " + out));
    }
    return Outcome::success({{"argv", argv}});
  }

  bench::FaultWiring wiring_;
  std::function<std::string(const std::string&)> expand_;
  std::mutex mu_;
  std::set<std::string> applied_;
};

// ---------------------------------------------------------------------------------------
// manual: the operator does it. Refused when nobody can answer (not a terminal).
class ManualFixture : public FixtureDriver {
 public:
  ManualFixture(const bench::FaultWiring& wiring, bool interactive)
      : wiring_(wiring), interactive_(interactive) {}

  std::string describe() const override { return "manual (" + wiring_.family + ")"; }
  bool supports(const std::string& action) const override {
    return wiring_.settings.count(action + ".apply") > 0;
  }
  Outcome act(const std::string& action, const json&, const scenario::Trigger*,
              std::chrono::milliseconds, Deadline) override {
    Outcome out = ask(action, "apply");
    if (out.ok) applied_.insert(action);
    return out;
  }
  Outcome revert(const std::string& fault, Deadline) override {
    if (!applied_.erase(fault)) return Outcome::success();
    return ask(fault, "clear");
  }
  Outcome restore(Deadline) override {
    std::set<std::string> applied;
    applied.swap(applied_);
    for (const auto& f : applied) {
      Outcome out = ask(f, "clear");
      if (!out.ok) return out;
    }
    return Outcome::success();
  }

 private:
  Outcome ask(const std::string& fault, const char* what) {
    auto it = wiring_.settings.find(fault + "." + what);
    if (it == wiring_.settings.end()) return Outcome::success();
    if (!interactive_) {
      return Outcome::failure("manual " + wiring_.family + " fault '" + fault +
                              "' needs an operator at the bench, but rig is not interactive "
                              "(stdin is not a terminal): " + it->second);
    }
    std::cout << "\n[operator] " << it->second << "\n[operator] press Enter when done: "
              << std::flush;
    std::string line;
    if (!std::getline(std::cin, line)) return Outcome::failure("manual: operator input closed");
    return Outcome::success();
  }

  bench::FaultWiring wiring_;
  bool interactive_;
  std::set<std::string> applied_;
};

}  // namespace

std::vector<std::string> fixture_driver_names() {
  return {"proxy", "vterm", "vhost", "relay", "command", "manual"};
}

FixturePtr make_fixture(const bench::FaultWiring& wiring, const FixtureContext& context) {
  auto where = "station '" + context.station + "', " + wiring.family + " driver " + wiring.driver;
  auto setting = [&](const std::string& key, const std::string& fallback) {
    auto it = wiring.settings.find(key);
    std::string value = it != wiring.settings.end() ? it->second : fallback;
    return context.expand ? context.expand(value) : value;
  };
  try {
    if (wiring.driver == "vterm") {
      return std::make_shared<VtermFixture>(wiring.family, setting("control", "${terminal.control}"),
                                            context.record);
    }
    if (wiring.driver == "vhost") {
      return std::make_shared<VhostFixture>(setting("admin", "${host.admin}"),
                                            context.expand ? context.expand("${terminal.tid}") : "",
                                            context.token, context.record);
    }
    if (wiring.driver == "relay") {
      return std::make_shared<RelayFixture>(wiring.family, setting("link", ""),
                                            std::stoi(setting("channel", "1")),
                                            setting("active", "on") == "on");
    }
    if (wiring.driver == "command") return std::make_shared<CommandFixture>(wiring, context.expand);
    if (wiring.driver == "manual") return std::make_shared<ManualFixture>(wiring, context.interactive);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(where + ": " + e.what());
  }
  throw std::invalid_argument(where + ": unknown driver (known: " +
                              [] {
                                std::string s;
                                for (const auto& n : fixture_driver_names()) s += (s.empty() ? "" : ", ") + n;
                                return s;
                              }() +
                              ")");
}

}  // namespace rig::fault
