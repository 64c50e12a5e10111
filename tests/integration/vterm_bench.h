// A small virtual bench for the vterm integration tests (tests/integration/test_vterm_*.cpp):
// the real vhost and vterm binaries started with rig/process/supervisor.h on loopback, vterm's
// ECR port driven over its real pty with rig::terminal::EcrLink, its control port over TCP
// (JSON lines) and vhost's admin endpoint over HTTP (ledger, scripts, message log).
//
// Every wait is event-driven with a deadline: terminal messages are collected by a reader thread
// and waited for on a condition variable; vhost's message log is read with its long poll.
// Deadlines are generous for what must happen and short for what must not.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "rig/link/json_clients.h"
#include "rig/link/pty.h"
#include "rig/process/supervisor.h"
#include "rig/protocol/ecr.h"
#include "rig/terminal/ecr_link.h"

namespace vterm_it {

using json = nlohmann::json;
using Message = rig::protocol::ecr::Message;
using Pred = std::function<bool(const Message&)>;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

inline const std::string kBuildDir = POSRIG_BUILD_DIR;
inline const std::string kCards = POSRIG_SOURCE_DIR "/fixtures/cards";
inline const std::string kTid = "VTERM001";
inline const std::string kMid = "MERCHANT0000001";
inline constexpr milliseconds kLong = 15000ms;  // what must happen
inline constexpr milliseconds kShort = 600ms;   // what must not

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vterm-it-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// "READY a=1 b=2" -> {a: 1, b: 2}
inline std::map<std::string, std::string> ready_fields(const std::string& line) {
  std::map<std::string, std::string> out;
  std::istringstream in(line);
  std::string word;
  while (in >> word) {
    auto eq = word.find('=');
    if (eq != std::string::npos) out[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return out;
}

// --- message matchers
inline Pred is_result(const std::string& id) {
  return [id](const Message& m) { return m.name == "RESULT" && m.get("id") == id; };
}
inline Pred is_event(const std::string& name) {
  return [name](const Message& m) { return m.name == "EVENT" && m.get("name") == name; };
}
inline Pred is_prompt(const std::string& kind) {
  return [kind](const Message& m) { return m.name == "PROMPT" && m.get("kind") == kind; };
}
inline Pred is_display(const std::string& part) {
  return [part](const Message& m) {
    return m.name == "DISPLAY" && m.get("text").value_or("").find(part) != std::string::npos;
  };
}
inline Pred is_receipt(const std::string& id) {
  return [id](const Message& m) { return m.name == "RECEIPT" && m.get("id") == id; };
}
inline Pred is_named(const std::string& name) {
  return [name](const Message& m) { return m.name == name; };
}

inline std::string describe(const Message& m) {
  std::string s = m.name;
  for (const auto& [k, v] : m.fields) s += " " + k + "=" + v;
  return s;
}

// The controller's end of the ECR link: sends commands, and collects every message the terminal
// sends, in order, on a reader thread.
class EcrTap {
 public:
  explicit EcrTap(std::string path) : path_(std::move(path)) { open(); }
  ~EcrTap() { close(); }

  void open() {
    link_ = std::make_unique<rig::terminal::EcrLink>(std::make_unique<rig::link::PtyLink>(path_));
    auto st = link_->open();
    ASSERT_TRUE(st.ok()) << st.message;
    reader_ = std::thread([this] {
      for (;;) {
        auto in = link_->receive(rig::link::after(std::chrono::hours(1)));
        if (in.status.code == rig::link::IoStatus::timeout) continue;
        if (!in.status.ok()) return;
        {
          std::lock_guard<std::mutex> lock(mu_);
          messages_.push_back(std::move(in.message));
          times_.push_back(std::chrono::steady_clock::now());
        }
        cv_.notify_all();
      }
    });
  }

  // Drops the controller's end of the link (the pty slave is closed).
  void close() {
    if (!link_) return;
    link_->close();
    if (reader_.joinable()) reader_.join();
    link_.reset();
  }

  rig::terminal::EcrSent send(const Message& m) {
    auto sent = link_->send(m, rig::link::after(10s));
    EXPECT_TRUE(sent.status.ok()) << describe(m) << ": " << sent.status.message;
    return sent;
  }

  std::size_t mark() const {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_.size();
  }

  // The first message from index `from` on that matches, waiting up to `wait`.
  std::optional<std::pair<std::size_t, Message>> find(const Pred& pred, milliseconds wait,
                                                      std::size_t from = 0) {
    std::unique_lock<std::mutex> lock(mu_);
    std::size_t next = from;
    std::optional<std::pair<std::size_t, Message>> hit;
    cv_.wait_for(lock, wait, [&] {
      for (; next < messages_.size(); ++next) {
        if (pred(messages_[next])) {
          hit = std::make_pair(next, messages_[next]);
          return true;
        }
      }
      return false;
    });
    return hit;
  }

  // When message `index` arrived.
  std::chrono::steady_clock::time_point at(std::size_t index) const {
    std::lock_guard<std::mutex> lock(mu_);
    return times_.at(index);
  }
  // Indexes of the messages from `from` on that match.
  std::vector<std::size_t> indexes(const Pred& pred, std::size_t from = 0) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::size_t> out;
    for (std::size_t i = from; i < messages_.size(); ++i) {
      if (pred(messages_[i])) out.push_back(i);
    }
    return out;
  }

  std::size_t count(const Pred& pred, std::size_t from = 0) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::size_t n = 0;
    for (std::size_t i = from; i < messages_.size(); ++i) n += pred(messages_[i]) ? 1 : 0;
    return n;
  }

  std::string transcript(std::size_t from = 0) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (std::size_t i = from; i < messages_.size(); ++i) {
      out += "  [" + std::to_string(i) + "] " + describe(messages_[i]) + "\n";
    }
    return out;
  }

 private:
  std::string path_;
  std::unique_ptr<rig::terminal::EcrLink> link_;
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Message> messages_;
  std::vector<std::chrono::steady_clock::time_point> times_;  // arrival of each message
};

struct BenchOptions {
  double time_scale = 0.05;
  std::vector<std::string> bugs;
  std::string host;  // ISO endpoint for vterm instead of vhost's (a fake host)
  std::vector<std::string> extra;  // more vterm options (profile figures, --text)
  std::string currency = "156";    // of the SALEs sale() sends
};

// One vhost and one vterm per test.
class VBench : public ::testing::Test {
 protected:
  void TearDown() override {
    ecr_.reset();
    if (vterm_) {
      auto status = vterm_->stop();
      if (HasFailure()) dump(*vterm_);
      EXPECT_TRUE(status.success()) << "vterm " << status.describe();
    }
    if (vhost_) {
      vhost_->stop();
      if (HasFailure()) dump(*vhost_);
    }
  }

  static void dump(const rig::process::Child& child) {
    auto lines = child.lines();
    std::string out;
    for (std::size_t i = lines.size() > 80 ? lines.size() - 80 : 0; i < lines.size(); ++i) {
      out += "  " + lines[i].text + "\n";
    }
    std::cerr << child.name() << " output (last lines):\n" << out;
  }

  void start(BenchOptions o = {}) {
    options_ = o;
    start_vhost();
    start_vterm();
  }

  void start_vhost() {
    rig::process::Spec spec;
    spec.name = "vhost";
    spec.argv = {kBuildDir + "/vhost",
                 "--iso",
                 "127.0.0.1:0",
                 "--wallet",
                 "127.0.0.1:0",
                 "--admin",
                 "127.0.0.1:0",
                 "--db",
                 dir_.file("ledger.sqlite"),
                 "--cards",
                 kCards,
                 "--time-scale",
                 std::to_string(options_.time_scale)};
    vhost_ = std::make_unique<rig::process::Child>(spec);
    ASSERT_TRUE(vhost_->start().ok());
    auto ready = vhost_->wait_for_line(std::regex("^READY "), rig::process::after(kLong));
    ASSERT_TRUE(ready.status.ok()) << ready.status.message;
    vhost_addr_ = ready_fields(ready.line.text);
    admin_ = std::make_unique<rig::link::HttpJsonClient>("vhost admin", vhost_addr_["admin"]);
  }

  std::vector<std::string> vterm_argv() const {
    std::vector<std::string> argv = {kBuildDir + "/vterm",
                                     "--ecr-link",
                                     dir_.file("ecr"),
                                     "--host",
                                     options_.host.empty() ? vhost_addr_.at("iso") : options_.host,
                                     "--wallet",
                                     "http://" + vhost_addr_.at("wallet"),
                                     "--control",
                                     "127.0.0.1:0",
                                     "--tid",
                                     kTid,
                                     "--mid",
                                     kMid,
                                     "--state",
                                     dir_.file("flash"),
                                     "--cards",
                                     kCards,
                                     "--time-scale",
                                     std::to_string(options_.time_scale)};
    for (const auto& b : options_.bugs) {
      argv.push_back("--bug");
      argv.push_back(b);
    }
    argv.insert(argv.end(), options_.extra.begin(), options_.extra.end());
    return argv;
  }

  void start_vterm() {
    rig::process::Spec spec;
    spec.name = "vterm";
    spec.argv = vterm_argv();
    vterm_ = std::make_unique<rig::process::Child>(spec);
    ASSERT_TRUE(vterm_->start().ok());
    auto ready = vterm_->wait_for_line(std::regex("^READY "), rig::process::after(kLong));
    ASSERT_TRUE(ready.status.ok()) << ready.status.message;
    vterm_addr_ = ready_fields(ready.line.text);
    control_ = std::make_unique<rig::link::JsonLineClient>("vterm control", vterm_addr_["control"]);
    ecr_ = std::make_unique<EcrTap>(dir_.file("ecr"));
    // The terminal is up once it has said so.
    ASSERT_TRUE(ecr_->find(is_event("BOOT"), kLong).has_value()) << ecr_->transcript();
  }

  EcrTap& ecr() { return *ecr_; }

  // --- ECR
  void send(Message m) { ecr_->send(m); }
  void sale(const std::string& id, const std::string& amount, const std::string& method = "card") {
    Message m("SALE");
    m.set("id", id).set("amount", amount).set("currency", options_.currency).set("method", method);
    ecr_->send(m);
  }
  void command(const std::string& name, const std::string& id) {
    Message m(name);
    m.set("id", id);
    ecr_->send(m);
  }
  // The first matching message after `from`; fails the test when none comes in time.
  Message expect(const Pred& pred, const std::string& what, std::size_t from = 0,
                 milliseconds wait = kLong) {
    auto hit = ecr_->find(pred, wait, from);
    EXPECT_TRUE(hit.has_value()) << "no " << what << " from the terminal; transcript:\n"
                                 << ecr_->transcript(from);
    return hit ? hit->second : Message();
  }
  std::size_t index_of(const Pred& pred, const std::string& what, std::size_t from = 0) {
    auto hit = ecr_->find(pred, kLong, from);
    EXPECT_TRUE(hit.has_value()) << "no " << what << "; transcript:\n" << ecr_->transcript(from);
    return hit ? hit->first : static_cast<std::size_t>(-1);
  }
  // True when nothing matching comes within `wait`.
  bool absent(const Pred& pred, std::size_t from = 0, milliseconds wait = kShort) {
    return !ecr_->find(pred, wait, from).has_value();
  }
  Message result(const std::string& id, std::size_t from = 0) {
    return expect(is_result(id), "RESULT " + id, from);
  }
  void expect_prompt(const std::string& kind, std::size_t from = 0) {
    expect(is_prompt(kind), "PROMPT " + kind, from);
  }

  // --- control port
  json ctl_reply(json request) {
    auto r = control_->call(request, rig::link::after(kLong));
    EXPECT_TRUE(r.status.ok()) << r.status.message;
    return r.body;
  }
  json ctl(json request) {
    json reply = ctl_reply(request);
    EXPECT_EQ(reply.value("ok", false), true) << request.dump() << " -> " << reply.dump();
    return reply;
  }
  void card(const std::string& how, const std::string& name, const std::string& damage = "none") {
    ctl({{"cmd", "card." + how}, {"card", name}, {"damage", damage}});
  }
  void keys(const std::string& digits, bool enter = true) {
    json list = json::array();
    for (char c : digits) list.push_back(std::string(1, c));
    if (enter) list.push_back("ENTER");
    ctl({{"cmd", "keypad.press"}, {"keys", list}});
  }
  void present(const std::string& code, std::optional<double> dirt = std::nullopt) {
    json r = {{"cmd", "scanner.present"}, {"code", code}};
    if (dirt) r["dirt"] = *dirt;
    ctl(r);
  }
  json state() { return ctl({{"cmd", "state.get"}}); }

  // A card sale up to its RESULT: card presented after PRESENT_CARD, PIN after PROMPT PIN.
  Message card_sale(const std::string& id, const std::string& amount,
                    const std::string& card_name = "visa-chip", const std::string& pin = "1234") {
    const std::size_t from = ecr_->mark();
    sale(id, amount);
    expect_prompt("PRESENT_CARD", from);
    card("insert", card_name);
    expect_prompt("PIN", from);
    keys(pin);
    return result(id, from);
  }

  // LOGIN `id`, then `n` wrong operator passwords (1111), each after its prompt; returns the
  // index just after the last prompt.
  std::size_t login_wrong(const std::string& id, int n, std::size_t from) {
    command("LOGIN", id);
    std::size_t at = from;
    for (int i = 0; i < n; ++i) {
      at = index_of(is_prompt("OPERATOR_PASSWORD"), "PROMPT OPERATOR_PASSWORD", at) + 1;
      keys("1111");
    }
    return at;
  }

  // --- vhost
  json admin(const std::string& method, const std::string& target, json body = json::object()) {
    auto r = admin_->request(method, target, body, rig::link::after(kLong));
    EXPECT_TRUE(r.status.ok()) << r.status.message;
    EXPECT_EQ(r.http_status, 200) << target << " -> " << r.body.dump();
    return r.body;
  }
  void script(json rule) { admin("POST", "/admin/script", rule); }
  json ledger() { return admin("GET", "/admin/ledger?tid=" + kTid); }
  // Texts of vhost's logged messages on `channel` ("iso", "wallet") and `direction` ("in",
  // "out") that start with `prefix`.
  std::vector<std::string> host_messages(const std::string& prefix,
                                         const std::string& channel = "iso",
                                         const std::string& direction = "in") {
    json all = admin("GET", "/admin/messages?since=0&limit=1000");
    std::vector<std::string> out;
    for (const auto& m : all.value("messages", json::array())) {
      if (m.value("channel", "") != channel || m.value("direction", "") != direction) continue;
      const std::string text = m.value("text", "");
      if (text.rfind(prefix, 0) == 0) out.push_back(text);
    }
    return out;
  }
  // Waits (vhost's long poll) until a logged message on `channel`/`direction` starts with
  // `prefix` or contains `part`.
  bool wait_host_message(const std::string& part, const std::string& channel = "iso",
                         const std::string& direction = "in", milliseconds wait = kLong) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    std::int64_t since = 0;
    for (;;) {
      auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      json page = admin("GET", "/admin/messages?since=" + std::to_string(since) +
                                   "&limit=1000&wait_ms=" + std::to_string(left.count()));
      for (const auto& m : page.value("messages", json::array())) {
        since = std::max<std::int64_t>(since, m.value("seq", std::int64_t{0}));
        if (m.value("channel", "") == channel && m.value("direction", "") == direction &&
            m.value("text", "").find(part) != std::string::npos) {
          return true;
        }
      }
      since = std::max<std::int64_t>(since, page.value("last", since));
    }
  }

  // "11=000001" out of a describe() text, "" when the field is absent.
  static std::string field(const std::string& text, int number) {
    std::smatch m;
    std::regex re("(^| )" + std::to_string(number) + "=(\"[^\"]*\"|[^ ]*)");
    if (!std::regex_search(text, m, re)) return "";
    return m[2].str();
  }

  TempDir dir_;
  BenchOptions options_;
  std::unique_ptr<rig::process::Child> vhost_, vterm_;
  std::map<std::string, std::string> vhost_addr_, vterm_addr_;
  std::unique_ptr<rig::link::HttpJsonClient> admin_;
  std::unique_ptr<rig::link::JsonLineClient> control_;
  std::unique_ptr<EcrTap> ecr_;
};

// A rule checked twice: on the correct terminal (param false) and with the --bug that breaks it
// (param true); instantiate with ::testing::Values(false, true), correct_or_bug.
class CorrectOrBuggy : public VBench, public ::testing::WithParamInterface<bool> {
 protected:
  bool buggy() const { return GetParam(); }
  void start_with(const std::string& bug, double time_scale = BenchOptions{}.time_scale) {
    BenchOptions o;
    o.time_scale = time_scale;
    if (buggy()) o.bugs = {bug};
    start(o);
  }
};

inline std::string correct_or_bug(const ::testing::TestParamInfo<bool>& info) {
  return info.param ? "Bug" : "Correct";
}

}  // namespace vterm_it
