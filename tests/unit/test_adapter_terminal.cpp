// The `adapter` terminal driver's plumbing (rig/terminal/adapter_terminal.h) with real adapter
// processes: small Python programs that follow docs/terminal-adapters.md, or break it on
// purpose. The codec itself is tested in test_adapter_protocol.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "rig/terminal/adapter_terminal.h"

namespace rig::terminal {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// The start of every fake adapter: a hello and a helper to write lines.
const char* kPrelude = R"(
import json, sys
def out(m):
    sys.stdout.write(json.dumps(m) + "\n"); sys.stdout.flush()
HELLO = {"type": "hello", "protocol": 1, "name": "fake", "version": "0.1",
         "capabilities": {"commands": ["sale", "status"], "observations": ["result", "status"],
                          "status_fields": ["state"]}}
)";

// Collects what the driver hands to its sink.
struct Seen {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Observation> observations;
  std::vector<std::string> lost;

  TerminalSink sink() {
    TerminalSink s;
    s.on_observation = [this](const Observation& o, rig::link::Clock::time_point) {
      std::lock_guard<std::mutex> lock(mu);
      observations.push_back(o);
      cv.notify_all();
    };
    s.on_link_lost = [this](const std::string& why) {
      std::lock_guard<std::mutex> lock(mu);
      lost.push_back(why);
      cv.notify_all();
    };
    return s;
  }
  // Waits for an observation of type T that `match` accepts.
  template <typename T>
  std::optional<T> wait(const std::function<bool(const T&)>& match) {
    std::unique_lock<std::mutex> lock(mu);
    std::optional<T> found;
    cv.wait_for(lock, 5s, [&] {
      for (const auto& o : observations) {
        if (const T* t = std::get_if<T>(&o); t && match(*t)) found = *t;
      }
      return found.has_value();
    });
    return found;
  }
  bool wait_lost() {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, 5s, [&] { return !lost.empty(); });
  }
};

TerminalOptions options_for(const std::string& body, const std::string& reply_timeout = "2s") {
  TerminalOptions o;
  o.link_spec = "pty:/tmp/nowhere";
  o.list_settings["command"] = {"/usr/bin/python3", "-c", std::string(kPrelude) + body};
  o.settings["hello_timeout"] = "3s";
  o.settings["reply_timeout"] = reply_timeout;
  return o;
}

Command status_command(const std::string& id) { return {CommandKind::status, id, "", "", "", ""}; }

// Answers every command as a well-behaved adapter; says what it got on stderr.
const char* kGood = R"(
import os
sys.stderr.write("link is " + os.environ["POSRIG_LINK"] + "\n"); sys.stderr.flush()
out(HELLO)
for line in sys.stdin:
    c = json.loads(line)
    if c["command"] == "sale" and c["amount"] == "9.99":
        out({"type": "rejected", "request": c["request"], "message": "terminal unreachable"})
        continue
    out({"type": "accepted", "request": c["request"]})
    if c["command"] == "status":
        out({"type": "status", "id": c["id"], "state": "idle"})
sys.stderr.write("stdin closed\n")
)";

TEST(AdapterTerminal, TakesItsCapabilitiesFromTheHelloAndCarriesCommandsAndAnswers) {
  Seen seen;
  auto driver = make_terminal_driver("adapter", options_for(kGood), seen.sink());
  EXPECT_EQ(driver->driver_name(), "adapter");
  EXPECT_EQ(driver->describe(), "adapter python3");
  // Before the hello: whatever the protocol can carry.
  EXPECT_TRUE(driver->capabilities().observations.count(ObservationKind::event));
  ASSERT_TRUE(driver->open(rig::link::after(5s)).ok());
  EXPECT_TRUE(driver->is_open());
  EXPECT_EQ(adapter_hello(*driver).name, "fake");
  EXPECT_EQ(driver->capabilities().commands,
            (std::set<CommandKind>{CommandKind::sale, CommandKind::status}));
  EXPECT_FALSE(driver->capabilities().observations.count(ObservationKind::event));

  ASSERT_TRUE(driver->send(status_command("st-1"), rig::link::after(5s)).ok());
  auto status = seen.wait<StatusSnapshot>([](const StatusSnapshot& s) { return s.id == "st-1"; });
  ASSERT_TRUE(status);
  EXPECT_EQ(status->state, "idle");
  // Its stderr is kept as notes; the rig told it where the terminal is.
  EXPECT_TRUE(seen.wait<Note>(
      [](const Note& n) { return n.text == "adapter python3 stderr: link is pty:/tmp/nowhere"; }));

  rig::link::Status rejected =
      driver->send({CommandKind::sale, "s-1", "9.99", "978", "card", ""}, rig::link::after(5s));
  EXPECT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.message, "adapter python3 rejected sale (request 2): terminal unreachable");
  // A rejected command is the terminal's link, not a broken adapter.
  EXPECT_EQ(driver->trouble(), "");
  ASSERT_TRUE(driver->send(status_command("st-2"), rig::link::after(5s)).ok());

  // Closing is the adapter's cue to end: no trouble, and it saw its stdin close.
  driver->close();
  EXPECT_FALSE(driver->is_open());
  EXPECT_EQ(driver->trouble(), "");
  EXPECT_TRUE(seen.wait<Note>(
      [](const Note& n) { return n.text.find("stdin closed") != std::string::npos; }));
  EXPECT_TRUE(seen.lost.empty());
}

TEST(AdapterTerminal, ABadLineIsTroubleThatNamesItAndStopsTheDriver) {
  Seen seen;
  auto driver = make_terminal_driver("adapter", options_for(R"(
out(HELLO)
for line in sys.stdin:
    c = json.loads(line)
    out({"type": "accepted", "request": c["request"]})
    sys.stdout.write("{\"type\": \"result\", \"id\": \"s-1\"}\n"); sys.stdout.flush()
)"),
                                     seen.sink());
  ASSERT_TRUE(driver->open(rig::link::after(5s)).ok());
  EXPECT_TRUE(driver->send(status_command("st-1"), rig::link::after(5s)).ok());
  ASSERT_TRUE(seen.wait_lost());
  const std::string why =
      "adapter python3 wrote a bad line 3: result: missing status: {\"type\": \"result\", \"id\": "
      "\"s-1\"}";
  EXPECT_EQ(seen.lost.front(), why);
  EXPECT_EQ(driver->trouble(), why);
  EXPECT_FALSE(driver->is_open());
  rig::link::Status again = driver->send(status_command("st-2"), rig::link::after(5s));
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(again.message, why);
}

TEST(AdapterTerminal, AnAdapterThatEndsIsTroubleWithItsLastStderr) {
  Seen seen;
  auto driver = make_terminal_driver("adapter", options_for(R"(
out(HELLO)
sys.stdin.readline()
sys.stderr.write("serial port vanished\n")
sys.exit(3)
)"),
                                     seen.sink());
  ASSERT_TRUE(driver->open(rig::link::after(5s)).ok());
  rig::link::Status s = driver->send(status_command("st-1"), rig::link::after(5s));
  EXPECT_FALSE(s.ok());
  ASSERT_TRUE(seen.wait_lost());
  EXPECT_EQ(driver->trouble(),
            "adapter python3 exited with code 3; last stderr: serial port vanished");
}

TEST(AdapterTerminal, ASilentAdapterIsTroubleAfterReplyTimeout) {
  Seen seen;
  auto driver = make_terminal_driver("adapter",
                                     options_for(R"(
out(HELLO)
for line in sys.stdin:
    pass
)",
                                                 "300ms"),
                                     seen.sink());
  ASSERT_TRUE(driver->open(rig::link::after(5s)).ok());
  const auto start = std::chrono::steady_clock::now();
  rig::link::Status s = driver->send(status_command("st-1"), rig::link::after(5s));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(s.code, rig::link::IoStatus::timeout);
  EXPECT_THAT(s.message, StartsWith("adapter python3 did not answer status (request 1) within "));
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 3s);
  EXPECT_EQ(driver->trouble(), s.message);
}

TEST(AdapterTerminal, OpenFailsWithoutAGoodHello) {
  {
    Seen seen;
    auto driver = make_terminal_driver("adapter", options_for(R"(
sys.stderr.write("warming up\n"); sys.stderr.flush()
import time; time.sleep(30)
)"),
                                       seen.sink());
    rig::link::Status s = driver->open(rig::link::after(500ms));
    EXPECT_EQ(s.code, rig::link::IoStatus::timeout);
    EXPECT_THAT(s.message, testing::MatchesRegex("adapter python3 sent no hello within [0-9]+ ms; "
                                                 "last stderr: warming up"));
  }
  {
    Seen seen;
    auto driver = make_terminal_driver(
        "adapter", options_for(R"(out({"type": "status", "id": "x"}); sys.stdin.read())"),
        seen.sink());
    rig::link::Status s = driver->open(rig::link::after(5s));
    EXPECT_FALSE(s.ok());
    EXPECT_THAT(s.message, StartsWith("adapter python3 line 1: expected hello first, got {"));
  }
  {
    Seen seen;
    auto driver = make_terminal_driver(
        "adapter", options_for(R"(HELLO["protocol"] = 2; out(HELLO); sys.stdin.read())"),
        seen.sink());
    rig::link::Status s = driver->open(rig::link::after(5s));
    EXPECT_THAT(s.message, HasSubstr("hello: the adapter speaks protocol 2; this rig speaks 1"));
  }
  {
    TerminalOptions o;
    o.list_settings["command"] = {"/no/such/adapter"};
    auto driver = make_terminal_driver("adapter", o, {});
    rig::link::Status s = driver->open(rig::link::after(5s));
    EXPECT_EQ(s.message, "adapter adapter: cannot start: No such file or directory");
  }
}

TEST(AdapterTerminal, SettingsAreCheckedWhenTheDriverIsBuilt) {
  TerminalOptions none;
  EXPECT_THROW(
      {
        try {
          make_terminal_driver("adapter", none, {});
        } catch (const std::invalid_argument& e) {
          EXPECT_STREQ(e.what(),
                       "terminal driver adapter needs settings.command (the adapter's argv)");
          throw;
        }
      },
      std::invalid_argument);
  TerminalOptions bad = options_for("");
  bad.settings["reply_timeout"] = "soon";
  EXPECT_THROW(make_terminal_driver("adapter", bad, {}), std::invalid_argument);
  AdapterSettings s = adapter_settings(options_for("", "750ms"));
  EXPECT_EQ(s.reply_timeout, 750ms);
  EXPECT_EQ(s.hello_timeout, 3s);
  // The registry declares them, for the bench loader.
  const DriverInfo* info = drivers().find("adapter");
  ASSERT_NE(info, nullptr);
  ASSERT_EQ(info->settings.size(), 3u);
  EXPECT_EQ(info->settings[0].name, "command");
  EXPECT_EQ(info->settings[0].type, DriverSetting::Type::argv);
  EXPECT_TRUE(info->settings[0].required);
}

}  // namespace
}  // namespace rig::terminal
