// The http-power fixture driver against a network power switch stand-in on 127.0.0.1: a real
// TCP server answering as each model does (Shelly Gen1 and Gen2, Tasmota, Gude, NETIO, a
// written-out model http), keeping its outlets' states. Power cut and restore switch the
// outlet; answers that contradict the request, refused logins and an unreachable switch are
// failures naming the switch; an HTTP/1.0 answer that ends with the connection is read.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "bench_test_util.h"
#include "rig/bench/bench.h"
#include "rig/bench/config_error.h"
#include "rig/fault/driver.h"
#include "rig/fault/fixture.h"
#include "rig/fault/http_power.h"
#include "rig/link/tcp.h"
#include "rig/protocol/http_framing.h"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace http = rig::protocol::http;

// A network power switch on 127.0.0.1 speaking `model`'s HTTP interface. Outlets start on.
class SwitchStandIn {
 public:
  explicit SwitchStandIn(std::string model) : model_(std::move(model)) {
    EXPECT_TRUE(listener_.listen().ok());
    thread_ = std::thread([this] { serve(); });
  }
  ~SwitchStandIn() {
    done_ = true;
    listener_.abort();
    thread_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& link : links_) link->abort();
    }
    for (auto& t : connections_) t.join();
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(listener_.port()); }
  bool outlet(int index) {
    std::lock_guard<std::mutex> lock(mu_);
    return !off_.count(index);
  }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::string last_authorization() {
    std::lock_guard<std::mutex> lock(mu_);
    return authorization_;
  }
  // What the switch does wrong, for the failure tests.
  bool lies = false;          // answers the opposite state
  bool wants_login = false;   // 401 without the right Basic authorization
  bool http10_close = false;  // HTTP/1.0 answers without Content-Length, then closes

 private:
  // A thread per connection, as a real switch serves several clients.
  void serve() {
    while (!done_) {
      auto acc = listener_.accept(rig::link::after(20s));
      if (!acc.status.ok()) return;
      std::shared_ptr<rig::link::Link> link = std::move(acc.link);
      {
        std::lock_guard<std::mutex> lock(mu_);
        links_.push_back(link);
      }
      connections_.emplace_back([this, link] { converse(*link); });
    }
  }

  void converse(rig::link::Link& link) {
    http::Splitter splitter(http::Kind::request);
    bool open = true;
    while (open && !done_) {
      auto piece = splitter.pop();
      if (!piece) {
        auto chunk = link.read(rig::link::after(20s));
        if (!chunk.status.ok()) break;
        splitter.feed(chunk.bytes);
        continue;
      }
      std::string reply = answer(piece->head, std::string(piece->body()));
      link.write(reply, rig::link::after(5s));
      if (http10_close) open = false;
    }
    link.close();
  }

  void set(int index, bool on) {
    if (on) {
      off_.erase(index);
    } else {
      off_.insert(index);
    }
  }

  std::string answer(const http::Head& head, const std::string& body) {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(head.method + " " + head.target + (body.empty() ? "" : " " + body));
    const std::string* auth = head.header("Authorization");
    authorization_ = auth ? *auth : "";
    if (wants_login && authorization_ != "Basic " + http::base64("admin:s3cret")) {
      return respond(401, "text/plain", "login needed");
    }
    const std::string t = head.target;
    auto query = [&](const std::string& key) {
      std::size_t at = t.find(key + "=");
      if (at == std::string::npos) return std::string();
      std::size_t end = t.find('&', at);
      return t.substr(at + key.size() + 1,
                      end == std::string::npos ? end : end - at - key.size() - 1);
    };
    if (model_ == "shelly" && t.rfind("/relay/", 0) == 0) {
      int index = std::stoi(t.substr(7));
      set(index, query("turn") == "on");
      return respond(200, "application/json", json{{"ison", outlet_state(index)}}.dump());
    }
    if (model_ == "shelly-rpc" && t.rfind("/rpc/Switch.Set", 0) == 0) {
      int index = std::stoi(query("id"));
      bool was = !off_.count(index);
      set(index, query("on") == "true");
      return respond(200, "application/json", json{{"was_on", was}}.dump());
    }
    if (model_ == "tasmota" && t.rfind("/cm?", 0) == 0) {
      if (wants_login && query("password") != "s3cret") {
        return respond(401, "application/json",
                       R"({"WARNING":"Need user=<username>&password=<password>"})");
      }
      std::string cmnd = query("cmnd");  // Power2%20On
      int index = std::stoi(cmnd.substr(5));
      set(index, cmnd.find("%20On") != std::string::npos);
      return respond(
          200, "application/json",
          json{{"POWER" + std::to_string(index), outlet_state(index) ? "ON" : "OFF"}}.dump());
    }
    if (model_ == "gude" && t.rfind("/?cmd=1", 0) == 0) {
      set(std::stoi(query("p")), query("s") == "1");
      return respond(200, "text/html", "<html>ok</html>");
    }
    if (model_ == "netio" && head.method == "POST" && t == "/netio.json") {
      json j = json::parse(body);
      json outputs = json::array();
      for (const auto& o : j["Outputs"]) {
        set(o["ID"], o["Action"] == 1);
        outputs.push_back({{"ID", o["ID"]}, {"State", outlet_state(o["ID"]) ? 1 : 0}});
      }
      return respond(200, "application/json", json{{"Outputs", outputs}}.dump());
    }
    if (model_ == "http" && t.rfind("/api/outlet/", 0) == 0) {
      set(std::stoi(t.substr(12)), json::parse(body).value("on", false));
      return respond(204, "", "");
    }
    return respond(404, "text/plain", "no such page");
  }

  // The state the switch reports (the opposite when it lies).
  bool outlet_state(int index) const { return lies == static_cast<bool>(off_.count(index)); }

  std::string respond(int status, const std::string& type, const std::string& body) const {
    std::string r =
        std::string(http10_close ? "HTTP/1.0 " : "HTTP/1.1 ") + std::to_string(status) + " X\r\n";
    if (!type.empty()) r += "Content-Type: " + type + "\r\n";
    if (!http10_close) r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    return r + "\r\n" + body;
  }

  std::string model_;
  rig::link::TcpListener listener_;
  std::atomic<bool> done_{false};
  std::mutex mu_;
  std::set<int> off_;
  std::vector<std::string> requests_;
  std::string authorization_;
  std::vector<std::shared_ptr<rig::link::Link>> links_;
  std::vector<std::thread> connections_;  // serve()'s, joined after it
  std::thread thread_;
};

rig::fault::FixtureContext context() {
  rig::fault::FixtureContext c;
  c.station = "lane9";
  c.expand = [](const std::string& s) { return s; };
  c.record = [](const std::string&, json) {};
  return c;
}

rig::fault::FixturePtr outlet(const std::string& family, json settings) {
  rig::bench::FaultWiring w;
  w.family = family;
  w.driver = "http-power";
  if (!settings.contains("active")) settings["active"] = "off";
  w.settings = std::move(settings);
  return rig::fault::make_fixture(w, context());
}

rig::fault::Outcome act(rig::fault::FixtureDriver& d, const std::string& action) {
  return d.act(action, json::object(), nullptr, 0ms, rig::link::after(5s));
}

struct ModelCase {
  std::string model;
  int index;
  std::string cut_request;  // what the switch receives for power.cut (outlet off)
};

class EveryModel : public testing::TestWithParam<ModelCase> {};

TEST_P(EveryModel, PowerCutAndRestoreSwitchTheOutlet) {
  const ModelCase& m = GetParam();
  SwitchStandIn sw(m.model);
  json settings = {{"model", m.model}, {"host", sw.host()}};
  if (m.model == "http") {
    settings["on"] = "PUT /api/outlet/" + std::to_string(m.index) + R"( {"on": true})";
    settings["off"] = "PUT /api/outlet/" + std::to_string(m.index) + R"( {"on": false})";
  } else {
    settings["index"] = m.index;
  }
  auto power = outlet("power", settings);
  ASSERT_TRUE(power->supports("power.cut"));
  ASSERT_TRUE(sw.outlet(m.index));
  auto cut = act(*power, "power.cut");
  ASSERT_TRUE(cut.ok) << cut.message;
  EXPECT_FALSE(sw.outlet(m.index));
  ASSERT_FALSE(sw.requests().empty());
  EXPECT_EQ(sw.requests().front(), m.cut_request);
  auto restore = act(*power, "power.restore");
  ASSERT_TRUE(restore.ok) << restore.message;
  EXPECT_TRUE(sw.outlet(m.index));
  // After a scenario the outlet is put back on, whatever happened.
  ASSERT_TRUE(act(*power, "power.cut").ok);
  ASSERT_TRUE(power->restore(rig::link::after(5s)).ok);
  EXPECT_TRUE(sw.outlet(m.index));
  EXPECT_EQ(sw.requests().size(), 4u);  // one kept-alive connection or not, one request each
}

INSTANTIATE_TEST_SUITE_P(
    HttpPower, EveryModel,
    testing::Values(ModelCase{"shelly", 0, "GET /relay/0?turn=off"},
                    ModelCase{"shelly-rpc", 1, "GET /rpc/Switch.Set?id=1&on=false"},
                    ModelCase{"tasmota", 2, "GET /cm?cmnd=Power2%20Off"},
                    ModelCase{"gude", 3, "GET /?cmd=1&p=3&s=0"},
                    ModelCase{"netio", 4, R"(POST /netio.json {"Outputs":[{"Action":0,"ID":4}]})"},
                    ModelCase{"http", 5, R"(PUT /api/outlet/5 {"on": false})"}),
    [](const testing::TestParamInfo<ModelCase>& i) {
      std::string n = i.param.model;
      n.erase(std::remove(n.begin(), n.end(), '-'), n.end());
      return n;
    });

TEST(HttpPower, AnswerThatContradictsTheRequestIsAFailure) {
  SwitchStandIn sw("tasmota");
  sw.lies = true;
  auto power = outlet("power", {{"model", "tasmota"}, {"host", sw.host()}, {"index", 1}});
  auto cut = act(*power, "power.cut");
  EXPECT_FALSE(cut.ok);
  EXPECT_EQ(cut.message, "http-power tasmota " + sw.host() +
                             " outlet 1: outlet off asked, but the switch says POWER1 is ON");
}

TEST(HttpPower, BasicLoginAndTasmotaQueryLogin) {
  SwitchStandIn sw("shelly");
  sw.wants_login = true;
  auto anonymous = outlet("power", {{"model", "shelly"}, {"host", sw.host()}, {"index", 0}});
  auto refused = act(*anonymous, "power.cut");
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(refused.message, "http-power shelly " + sw.host() +
                                 " outlet 0: GET /relay/0 answered HTTP 401 (check user and "
                                 "password): login needed");
  auto admin = outlet("power", {{"model", "shelly"},
                                {"host", sw.host()},
                                {"index", 0},
                                {"user", "admin"},
                                {"password", "s3cret"}});
  ASSERT_TRUE(act(*admin, "power.cut").ok);
  EXPECT_EQ(sw.last_authorization(), "Basic YWRtaW46czNjcmV0");
  EXPECT_FALSE(sw.outlet(0));

  // Tasmota takes them as query parameters, percent-encoded.
  auto tasmota = rig::fault::power_request(
      {{"model", "tasmota"}, {"index", 1}, {"user", "admin"}, {"password", "a&b c"}}, true);
  EXPECT_EQ(tasmota.target, "/cm?cmnd=Power1%20On&user=admin&password=a%26b%20c");
  EXPECT_TRUE(tasmota.headers.empty());
}

TEST(HttpPower, Http10AnswerEndingWithTheConnectionIsRead) {
  SwitchStandIn sw("shelly");
  sw.http10_close = true;
  auto power = outlet("power", {{"model", "shelly"}, {"host", sw.host()}, {"index", 0}});
  auto cut = act(*power, "power.cut");
  ASSERT_TRUE(cut.ok) << cut.message;
  auto restore = act(*power, "power.restore");  // a new connection
  ASSERT_TRUE(restore.ok) << restore.message;
  EXPECT_TRUE(sw.outlet(0));
}

TEST(HttpPower, UnreachableSwitchIsAnOutcomeNotACrash) {
  std::uint16_t port = 0;
  {
    rig::link::TcpListener l;
    ASSERT_TRUE(l.listen().ok());
    port = l.port();
  }  // nobody listens there now
  auto power = outlet(
      "network", {{"model", "gude"}, {"host", "127.0.0.1:" + std::to_string(port)}, {"index", 1}});
  ASSERT_TRUE(power->supports("network.down"));
  EXPECT_FALSE(power->supports("network.latency"));
  auto down = act(*power, "network.down");
  EXPECT_FALSE(down.ok);
  EXPECT_NE(down.message.find("power switch 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << down.message;
  EXPECT_NE(down.message.find("refused"), std::string::npos) << down.message;
}

TEST(HttpPower, ActiveOnInvertsTheOutlet) {
  SwitchStandIn sw("gude");
  auto power =
      outlet("power", {{"model", "gude"}, {"host", sw.host()}, {"index", 2}, {"active", "on"}});
  ASSERT_TRUE(act(*power, "power.cut").ok);  // e.g. a relay that opens the feed when energised
  EXPECT_EQ(sw.requests().back(), "GET /?cmd=1&p=2&s=1");
}

std::vector<std::string> bench_issues(const std::string& power) {
  return rig::bench::bench_load_issues(
      "name: b\nstations:\n  - name: a\n    terminal: {link: pty}\n    power: " + power + "\n");
}

TEST(HttpPower, SettingsAreCheckedAtLoad) {
  EXPECT_EQ(bench_issues("{driver: http-power, model: tasmota, host: 10.0.0.7, index: 1}"),
            std::vector<std::string>{});
  EXPECT_EQ(bench_issues("{driver: http-power, model: tasmota, host: 10.0.0.7}"),
            std::vector<std::string>{"5:12: model tasmota needs index (the outlet)"});
  EXPECT_EQ(bench_issues("{driver: http-power, model: gude, host: 10.0.0.7, index: 0}"),
            std::vector<std::string>{"5:69: the outlets of model gude count from 1"});
  EXPECT_EQ(bench_issues("{driver: http-power, model: http, host: 10.0.0.7, on: \"GET /on\"}"),
            std::vector<std::string>{"5:12: model http needs 'off': \"METHOD /TARGET[ BODY]\""});
  EXPECT_EQ(
      bench_issues("{driver: http-power, model: http, host: 10.0.0.7, on: on, off: \"GET off\"}"),
      (std::vector<std::string>{"5:66: on: expected \"METHOD /TARGET[ BODY]\"",
                                "5:75: off: the target must start with '/'"}));
  EXPECT_EQ(bench_issues("{driver: http-power, model: shelly, host: \"10.0.0.7:http\", index: 0}"),
            std::vector<std::string>{"5:54: bad endpoint '10.0.0.7:http': expected HOST:PORT"});
  EXPECT_EQ(bench_issues("{driver: http-power, model: hue, host: h, index: 1}"),
            std::vector<std::string>{
                "5:40: unknown model 'hue' (known: shelly, shelly-rpc, tasmota, gude, netio, "
                "http)"});
}

}  // namespace
