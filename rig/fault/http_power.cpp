#include "rig/fault/http_power.h"

#include "rig/fault/contact.h"
#include "rig/link/json_clients.h"
#include "rig/protocol/http_framing.h"

namespace rig::fault {

namespace {

using nlohmann::json;
namespace http = rig::protocol::http;

const std::vector<std::string> kModels = {"shelly", "shelly-rpc", "tasmota",
                                          "gude",   "netio",      "http"};

// "HOST" -> "HOST:80"; "HOST:PORT" and "[::1]:PORT" as they are.
std::string with_port(const std::string& host) {
  const bool bracketed = !host.empty() && host.front() == '[';
  const std::size_t colon = host.rfind(':');
  const bool has_port = bracketed ? host.find("]:") != std::string::npos
                                  : colon != std::string::npos && host.find(':') == colon;
  return has_port ? host : host + ":80";
}

// "METHOD /TARGET[ BODY]" of model http: "" when it reads so, else what is wrong.
std::string request_text_error(const std::string& text) {
  const std::size_t sp = text.find(' ');
  if (sp == std::string::npos || sp == 0) return "expected \"METHOD /TARGET[ BODY]\"";
  for (char c : text.substr(0, sp)) {
    if (c < 'A' || c > 'Z') return "the method must be capital letters (GET, POST, PUT)";
  }
  if (text.size() <= sp + 1 || text[sp + 1] != '/') return "the target must start with '/'";
  return "";
}

std::string query_word(bool on) { return on ? "on" : "off"; }

int index_of(const json& s) { return s.value("index", 0); }

// Parses an answer that must be JSON: the value, or null with `why` set.
json answer_json(const std::string& body, std::string& why) {
  try {
    return json::parse(body);
  } catch (const json::parse_error&) {
    why = "the answer is not JSON: " + body.substr(0, 120);
    return json();
  }
}

class HttpPowerFixture : public ContactFixture {
 public:
  HttpPowerFixture(const bench::FaultWiring& wiring, const FixtureContext& context)
      : ContactFixture(http_power_driver(), wiring, {context.interactive}),
        settings_(expanded_settings(wiring.settings, context.expand)),
        client_("power switch", with_port(settings_.value("host", ""))),
        record_(context.record) {}

  void abort() override { client_.abort(); }

  std::string describe() const override {
    std::string d =
        "http-power " + settings_.value("model", "") + " " + settings_.value("host", "");
    if (settings_.contains("index")) d += " outlet " + std::to_string(index_of(settings_));
    return d;
  }

 protected:
  Outcome switch_to(bool on, Deadline deadline) override {
    const PowerRequest req = power_request(settings_, on);
    // The target without its query: tasmota's carries the password.
    const std::string shown = req.method + " " + req.target.substr(0, req.target.find('?'));
    rig::link::HttpReply r =
        client_.request(req.method, req.target, req.headers, req.body, deadline);
    if (!r.status) return Outcome::failure(describe() + ": " + r.status.message);
    record_(
        "fixture",
        {{"driver", "http-power"}, {"request", shown}, {"on", on}, {"http_status", r.http_status}});
    if (r.http_status < 200 || r.http_status > 299) {
      return Outcome::failure(describe() + ": " + shown + " answered HTTP " +
                              std::to_string(r.http_status) +
                              (r.http_status == 401 ? " (check user and password)" : "") +
                              (r.body.empty() ? "" : ": " + r.body.substr(0, 120)));
    }
    if (std::string why = power_answer_mismatch(settings_, on, r.body); !why.empty()) {
      return Outcome::failure(describe() + ": outlet " + query_word(on) + " asked, but " + why);
    }
    return Outcome::success({{"on", on}});
  }

 private:
  json settings_;
  rig::link::HttpClient client_;
  FixtureRecorder record_;
};

}  // namespace

PowerRequest power_request(const json& s, bool on) {
  const std::string model = s.value("model", "");
  const std::string index = std::to_string(index_of(s));
  const std::string user = s.value("user", "");
  const std::string password = s.value("password", "");
  PowerRequest r;
  r.method = "GET";
  if (model == "shelly") {
    r.target = "/relay/" + index + "?turn=" + query_word(on);
  } else if (model == "shelly-rpc") {
    r.target = "/rpc/Switch.Set?id=" + index + "&on=" + (on ? "true" : "false");
  } else if (model == "tasmota") {
    r.target = "/cm?cmnd=" + http::percent_encode("Power" + index + (on ? " On" : " Off"));
    if (!user.empty()) {
      r.target +=
          "&user=" + http::percent_encode(user) + "&password=" + http::percent_encode(password);
    }
  } else if (model == "gude") {
    r.target = "/?cmd=1&p=" + index + "&s=" + (on ? "1" : "0");
  } else if (model == "netio") {
    r.method = "POST";
    r.target = "/netio.json";
    r.headers.push_back("Content-Type: application/json");
    r.body = json{{"Outputs", {{{"ID", index_of(s)}, {"Action", on ? 1 : 0}}}}}.dump();
  } else {  // http: "METHOD /TARGET[ BODY]"
    const std::string text = s.value(on ? "on" : "off", "");
    const std::size_t sp = text.find(' ');
    const std::size_t sp2 = text.find(' ', sp + 1);
    r.method = text.substr(0, sp);
    r.target = text.substr(sp + 1, sp2 == std::string::npos ? std::string::npos : sp2 - sp - 1);
    if (sp2 != std::string::npos) r.body = text.substr(sp2 + 1);
  }
  if (!user.empty() && model != "tasmota") {
    r.headers.push_back("Authorization: Basic " + http::base64(user + ":" + password));
  }
  return r;
}

std::string power_answer_mismatch(const json& s, bool on, const std::string& body) {
  const std::string model = s.value("model", "");
  const int index = index_of(s);
  std::string why;
  if (model == "shelly") {
    json a = answer_json(body, why);
    if (!why.empty()) return why;
    if (!a.is_object() || !a.contains("ison")) return "the answer has no ison: " + a.dump();
    if (a["ison"] != on) return "the switch says ison " + a["ison"].dump();
  } else if (model == "tasmota") {
    json a = answer_json(body, why);
    if (!why.empty()) return why;
    const std::string key = "POWER" + std::to_string(index);
    const char* want = on ? "ON" : "OFF";
    for (const std::string& k : {key, std::string("POWER")}) {
      if (k == "POWER" && index != 1) continue;  // a one-relay device answers POWER
      if (a.is_object() && a.contains(k)) {
        if (a[k] != want) return "the switch says " + k + " is " + a[k].get<std::string>();
        return "";
      }
    }
    return "the answer names no " + key + ": " + a.dump();
  } else if (model == "netio") {
    json a = answer_json(body, why);
    if (!why.empty()) return why;
    if (!a.is_object() || !a.contains("Outputs") || !a["Outputs"].is_array()) return "";
    for (const auto& o : a["Outputs"]) {
      if (o.value("ID", -1) != index || !o.contains("State")) continue;
      if (o["State"] != (on ? 1 : 0)) return "the switch says output State " + o["State"].dump();
    }
  }
  return "";
}

const DriverInfo& http_power_driver() {
  static const DriverInfo info = [] {
    DriverInfo d;
    d.name = "http-power";
    d.doc = "an outlet of a network power switch over HTTP (Shelly, Tasmota, Gude, NETIO, any)";
    d.families = {"network", "power"};
    d.settings = {
        MakeSetting("model", Setting::Type::choice,
                    "shelly, shelly-rpc, tasmota, gude, netio, or http (requests written out)")
            .choices(kModels)
            .required(),
        MakeSetting("host", Setting::Type::text, "the switch: HOST or HOST:PORT (port 80)")
            .required(),
        MakeSetting("index", Setting::Type::integer,
                    "the outlet: from 0 for the Shellys, from 1 for the others")
            .range(0, 64),
        MakeSetting("user", Setting::Type::text, "HTTP Basic user (tasmota: its user parameter)"),
        MakeSetting("password", Setting::Type::text, "the user's password"),
        MakeSetting("on", Setting::Type::text,
                    "model http: the request that puts the outlet on, \"METHOD /TARGET[ BODY]\""),
        MakeSetting("off", Setting::Type::text, "model http: the request that puts it off"),
        contact_active_setting("off"),
    };
    d.check = [](const std::string&, const json& s, const SettingError& error) {
      const std::string model = s.value("model", "");
      if (model.empty()) return;  // reported as missing
      if (model == "http") {
        for (const char* key : {"on", "off"}) {
          if (!s.contains(key)) {
            error("", std::string("model http needs '") + key + "': \"METHOD /TARGET[ BODY]\"");
          } else if (std::string why = request_text_error(s[key]); !why.empty()) {
            error(key, std::string(key) + ": " + why);
          }
        }
        if (s.contains("index")) error("index", "model http takes no index: on and off name it");
      } else {
        if (!s.contains("index")) {
          error("", "model " + model + " needs index (the outlet)");
        } else if (model.rfind("shelly", 0) != 0 && index_of(s) < 1) {
          error("index", "the outlets of model " + model + " count from 1");
        }
        for (const char* key : {"on", "off"}) {
          if (s.contains(key)) {
            error(key, std::string(key) + " is for model http; model " + model +
                           " builds its own requests");
          }
        }
      }
      check_written(s, "host", error, [](const std::string& host) {
        rig::link::split_host_port(with_port(host));  // throws std::invalid_argument
        return std::string();
      });
    };
    d.refuses = contact_refuses;
    d.make = build_fixture<HttpPowerFixture>;
    return d;
  }();
  return info;
}

}  // namespace rig::fault
