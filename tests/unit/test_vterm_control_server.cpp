// The vterm control port: request handling as a pure function, then the real server over
// loopback TCP (ephemeral ports) with the peripheral commands behind it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "fixtures/sim/vterm/control_server.h"
#include "fixtures/sim/vterm/peripherals.h"
#include "rig/bench/card_profile.h"

namespace vterm {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

// A blocking line client whose every read has a deadline (poll), as a test harness should.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }

  void send(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }

  // The next line without its "\n"; nothing on timeout or EOF.
  std::optional<std::string> line(std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string out = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return out;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return std::nullopt;
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  Json request(const std::string& line_text) {
    send(line_text + "\n");
    auto reply = line();
    if (!reply) return Json{{"ok", false}, {"error", "test: no reply"}};
    return Json::parse(*reply);
  }

  // True when the server closed the connection (EOF) before the deadline.
  bool closed_by_peer(std::chrono::milliseconds timeout = 5s) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

HandlerTable test_handlers() {
  HandlerTable t;
  t["echo"] = [](const Json& args) -> Json { return {{"args", args}}; };
  t["refuse"] = [](const Json&) -> Json { throw ControlError("not now"); };
  t["crash"] = [](const Json&) -> Json { throw std::logic_error("bug"); };
  t["count"] = [](const Json&) -> Json { return 3; };
  t["nothing"] = [](const Json&) -> Json { return nullptr; };
  return t;
}

std::string error_of(const Json& reply) {
  EXPECT_EQ(reply.value("ok", true), false) << reply.dump();
  return reply.value("error", "");
}

TEST(ControlRequest, DispatchesAndWrapsReplies) {
  const HandlerTable h = test_handlers();
  Json r = handle_request(h, R"({"cmd":"echo","card":"visa-chip"})");
  EXPECT_EQ(r, (Json{{"ok", true}, {"args", {{"card", "visa-chip"}}}}));  // "cmd" is not an arg
  EXPECT_EQ(handle_request(h, R"({"cmd":"count"})"), (Json{{"ok", true}, {"result", 3}}));
  EXPECT_EQ(handle_request(h, R"({"cmd":"nothing"})"), (Json{{"ok", true}}));
}

TEST(ControlRequest, ErrorTexts) {
  const HandlerTable h = test_handlers();
  EXPECT_EQ(error_of(handle_request(h, R"({"cmd":"fly"})")),
            "unknown command \"fly\" (known: count, crash, echo, nothing, refuse)");
  EXPECT_EQ(error_of(handle_request(h, R"({"card":"x"})")),
            "missing \"cmd\" (known commands: count, crash, echo, nothing, refuse)");
  EXPECT_EQ(error_of(handle_request(h, R"({"cmd":7})")), "\"cmd\" must be a string");
  EXPECT_EQ(error_of(handle_request(h, R"(["echo"])")),
            "a request must be a JSON object like {\"cmd\":\"state.get\"}");
  EXPECT_EQ(error_of(handle_request(h, R"({"cmd":"refuse"})")), "refuse: not now");
  EXPECT_EQ(error_of(handle_request(h, R"({"cmd":"crash"})")), "crash: internal error: bug");
  const std::string malformed = error_of(handle_request(h, R"({"cmd":"echo",})"));
  EXPECT_EQ(malformed.rfind("malformed JSON at column 15: syntax error", 0), 0u) << malformed;
  EXPECT_EQ(error_of(handle_request(h, "")).rfind("malformed JSON at column 1: ", 0), 0u);
}

TEST(ControlRequest, TokenWhenConfigured) {
  const HandlerTable h = test_handlers();
  EXPECT_EQ(error_of(handle_request(h, R"({"cmd":"echo"})", "s3cret")), "missing or wrong token");
  EXPECT_EQ(error_of(handle_request(h, R"({"cmd":"echo","token":"nope"})", "s3cret")),
            "missing or wrong token");
  EXPECT_EQ(handle_request(h, R"({"cmd":"echo","token":"s3cret"})", "s3cret"),
            (Json{{"ok", true}, {"args", Json::object()}}));
}

TEST(ControlRequest, ReplyLinePutsOkFirst) {
  EXPECT_EQ(reply_line(Json{{"zeta", 1}, {"ok", true}, {"alpha", "a"}}),
            "{\"ok\":true,\"alpha\":\"a\",\"zeta\":1}\n");
  EXPECT_EQ(reply_line(Json{{"ok", false}, {"error", "bad \xff byte"}}),
            "{\"ok\":false,\"error\":\"bad \xEF\xBF\xBD byte\"}\n");
}

TEST(ControlRequest, ArgumentHelpers) {
  const Json args = {{"card", "visa-chip"}, {"dirt", 0.5}, {"keys", {"1", "ENTER"}}, {"n", 3}};
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const ControlError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([&] {
              arg_check_keys(args, {"card", "dirt"});
            }),
            "unknown argument \"keys\" (accepted: card, dirt)");
  EXPECT_EQ(message([&] { arg_check_keys(args, {}); }),
            "unknown argument \"card\" (this command takes none)");
  EXPECT_EQ(arg_string(args, "card"), "visa-chip");
  EXPECT_EQ(message([&] { arg_string(args, "code"); }), "missing argument \"code\"");
  EXPECT_EQ(message([&] { arg_string(args, "dirt"); }), "argument \"dirt\" must be a string");
  EXPECT_EQ(arg_opt_number(args, "dirt", 0, 1), 0.5);
  EXPECT_EQ(arg_opt_number(args, "blur", 0, 1), std::nullopt);
  EXPECT_EQ(message([&] {
              arg_opt_number(Json{{"dirt", 2}}, "dirt", 0, 1);
            }),
            "argument \"dirt\" must be a number from 0.0 to 1.0, got 2");
  EXPECT_EQ(message([&] {
              arg_opt_number(Json{{"dirt", "x"}}, "dirt", 0, 1);
            }),
            "argument \"dirt\" must be a number from 0.0 to 1.0, got \"x\"");
  EXPECT_EQ(arg_opt_int(args, "n", 1, 5), 3);
  EXPECT_EQ(message([&] {
              arg_opt_int(Json{{"n", 1.5}}, "n", 1, 5);
            }),
            "argument \"n\" must be an integer from 1 to 5, got 1.5");
  EXPECT_EQ(arg_string_list(args, "keys"), (std::vector<std::string>{"1", "ENTER"}));
  EXPECT_EQ(message([&] {
              arg_string_list(Json{{"keys", "1234"}}, "keys");
            }),
            "argument \"keys\" must be a list of strings");
}

// ---------------------------------------------------------------------------------------------

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HandlerTable t =
        peripheral_commands(devices_, rig::bench::load_cards(POSRIG_SOURCE_DIR "/fixtures/cards"));
    for (auto& [name, handler] : test_handlers()) t[name] = handler;
    server_ = std::make_unique<ControlServer>(std::move(t));
    server_->start();
    ASSERT_NE(server_->port(), 0);
  }
  void TearDown() override { server_->stop(); }

  Peripherals devices_;
  std::unique_ptr<ControlServer> server_;
};

TEST_F(ControlServerTest, BindsLoopbackEphemeral) {
  EXPECT_EQ(server_->address(), "127.0.0.1:" + std::to_string(server_->port()));
}

TEST_F(ControlServerTest, GoodRequest) {
  Client c(server_->port());
  ASSERT_TRUE(c.connected());
  c.send(R"({"cmd":"card.insert","card":"visa-chip","damage":"chip_mute"})"
         "\n");
  const auto raw = c.line();
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(*raw, R"({"ok":true,"card":"visa-chip","damage":"chip_mute","how":"insert",)"
                  R"("pan":"476173******0010"})");
  const auto card = devices_.card_reader.card();
  ASSERT_TRUE(card.has_value());
  EXPECT_EQ(card->profile.name, "visa-chip");
  EXPECT_EQ(card->damage, CardDamage::chip_mute);
  EXPECT_EQ(devices_.card_reader.read_chip().status, ChipStatus::mute);
}

TEST_F(ControlServerTest, ErrorsKeepTheConnectionUsable) {
  Client c(server_->port());
  EXPECT_EQ(error_of(c.request(R"({"cmd":"teleport"})"))
                .rfind("unknown command \"teleport\" "
                       "(known: card.insert, card.remove,",
                       0),
            0u);
  EXPECT_EQ(error_of(c.request(R"({"cmd":"card.insert" "card":"x"})")),
            "malformed JSON at column 27: syntax error while parsing object - unexpected string "
            "literal; expected '}'");
  EXPECT_EQ(c.request(R"({"cmd":"card.remove"})"), (Json{{"ok", true}, {"removed", false}}));
}

TEST_F(ControlServerTest, BadArgumentsNameTheValidValues) {
  Client c(server_->port());
  EXPECT_EQ(error_of(c.request(R"({"cmd":"card.insert","card":"visa-gold"})")),
            "card.insert: unknown card \"visa-gold\" (known: expired, frozen, low-balance, "
            "mag-only, unionpay-chip, visa-chip)");
  EXPECT_EQ(error_of(c.request(R"({"cmd":"card.swipe","card":"visa-chip","damage":"bent"})")),
            "card.swipe: unknown damage \"bent\" (valid: none, chip_mute, chip_error, "
            "chip_intermittent, mag_garbled, mag_blank)");
  EXPECT_EQ(error_of(c.request(R"({"cmd":"card.tap"})")), "card.tap: missing argument \"card\"");
  EXPECT_EQ(error_of(c.request(R"({"cmd":"card.tap","card":"visa-chip","colour":"red"})")),
            "card.tap: unknown argument \"colour\" (accepted: card, damage, failures)");
  EXPECT_EQ(error_of(c.request(R"({"cmd":"card.insert","card":"visa-chip","failures":2})")),
            "card.insert: argument \"failures\" applies to damage chip_intermittent only");
  EXPECT_EQ(error_of(c.request(R"({"cmd":"keypad.press","keys":["1","OK"]})")),
            "keypad.press: unknown key 'OK' (valid: 0-9, ENTER, CANCEL, CLEAR)");
  EXPECT_EQ(error_of(c.request(R"({"cmd":"keypad.press","keys":"1234"})")),
            "keypad.press: argument \"keys\" must be a list of strings");
  EXPECT_EQ(error_of(c.request(R"({"cmd":"printer.paper","state":"empty"})")),
            "printer.paper: unknown paper state \"empty\" (valid: ok, low, out)");
  EXPECT_EQ(error_of(c.request(R"({"cmd":"scanner.present","code":"1","dirt":1.2})")),
            "scanner.present: argument \"dirt\" must be a number from 0.0 to 1.0, got 1.2");
  EXPECT_EQ(error_of(c.request(R"({"cmd":"scanner.present","code":""})")),
            "scanner.present: argument \"code\" must not be empty");
  EXPECT_EQ(error_of(c.request(R"({"cmd":"scanner.present","code":"1","seed":-1})")),
            "scanner.present: argument \"seed\" must be an integer from 0 to 4294967295, got -1");
  // Nothing reached the devices.
  EXPECT_FALSE(devices_.card_reader.has_card());
  EXPECT_EQ(devices_.keypad.pending(), 0u);
  EXPECT_EQ(devices_.scanner.queued(), 0u);
  EXPECT_EQ(devices_.printer.paper(), PaperState::ok);
}

TEST_F(ControlServerTest, TwoRequestsOnOneConnectionAnswerInOrder) {
  Client c(server_->port());
  // Both lines in one write, plus a blank line and a CRLF ending: two replies, in order.
  c.send("{\"cmd\":\"echo\",\"n\":1}\n\n{\"cmd\":\"echo\",\"n\":2}\r\n");
  const auto first = c.line();
  const auto second = c.line();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(Json::parse(*first)["args"]["n"], 1);
  EXPECT_EQ(Json::parse(*second)["args"]["n"], 2);
  EXPECT_EQ(c.line(100ms), std::nullopt);  // the blank line got no reply
}

TEST_F(ControlServerTest, TwoConnections) {
  Client a(server_->port());
  Client b(server_->port());
  ASSERT_TRUE(a.connected() && b.connected());
  EXPECT_EQ(a.request(R"({"cmd":"keypad.press","keys":["1","2"]})"),
            (Json{{"ok", true}, {"pressed", 2}}));
  EXPECT_EQ(b.request(R"({"cmd":"keypad.press","keys":["3"]})"),
            (Json{{"ok", true}, {"pressed", 1}}));
  EXPECT_EQ(a.request(R"({"cmd":"echo","from":"a"})")["args"]["from"], "a");
  EXPECT_EQ(devices_.keypad.pending(), 3u);
  EXPECT_EQ(devices_.keypad.next_key(after(1s)).value, "1");
}

TEST_F(ControlServerTest, PeripheralCommandsReachTheDevices) {
  Client c(server_->port());
  Json r = c.request(R"({"cmd":"scanner.present","code":"134567890123456789","dirt":0.8})");
  EXPECT_EQ(r, (Json{{"ok", true}, {"dirt", 0.8}, {"blur", 0.0}, {"seed", Scanner::kDefaultSeed}}));
  EXPECT_EQ(devices_.scanner.next_scan(after(5s)).decoded, std::nullopt);
  EXPECT_EQ(c.request(R"({"cmd":"scanner.clean"})"), (Json{{"ok", true}, {"dirt", 0.0}}));
  r = c.request(R"({"cmd":"scanner.present","code":"134567890123456789","seed":7})");
  EXPECT_EQ(r["seed"], 7);
  EXPECT_EQ(devices_.scanner.next_scan(after(5s)).decoded, "134567890123456789");

  EXPECT_EQ(c.request(R"({"cmd":"card.swipe","card":"mag-only"})")["how"], "swipe");
  EXPECT_EQ(devices_.card_reader.read_stripe().status, StripeStatus::ok);
  EXPECT_EQ(c.request(R"({"cmd":"card.remove"})")["removed"], true);
  EXPECT_EQ(c.request(R"({"cmd":"card.insert","card":"visa-chip","damage":"chip_intermittent",)"
                      R"("failures":2})")["damage"],
            "chip_intermittent");
  EXPECT_EQ(devices_.card_reader.card()->failures, 2);

  EXPECT_EQ(c.request(R"({"cmd":"printer.paper","state":"low","lines_left":1})"),
            (Json{{"ok", true}, {"paper", "low"}}));
  EXPECT_EQ(devices_.printer.print({"T9", Copy::original, {"LINE 1", "LINE 2"}}),
            PrintStatus::paper_out);
  r = c.request(R"({"cmd":"receipts.get"})");
  EXPECT_EQ(r["paper"], "out");
  EXPECT_EQ(r["pending"], (Json{{"id", "T9"}, {"copy", "original"}}));
  ASSERT_EQ(r["receipts"].size(), 1u);
  EXPECT_EQ(r["receipts"][0]["text"], "LINE 1\n");
  EXPECT_EQ(r["receipts"][0]["complete"], false);
  EXPECT_TRUE(r["receipts"][0]["at_ms"].is_number_integer());
  EXPECT_EQ(c.request(R"({"cmd":"printer.paper","state":"ok"})")["paper"], "ok");
  EXPECT_EQ(devices_.printer.reprint_pending(), PrintStatus::printed);
  r = c.request(R"({"cmd":"receipts.get"})");
  EXPECT_EQ(r["pending"], nullptr);
  EXPECT_EQ(r["receipts"][1]["text"], "LINE 1\nLINE 2\n");
}

TEST_F(ControlServerTest, OverlongLineGetsAnErrorAndTheConnectionCloses) {
  Client c(server_->port());
  c.send(std::string(kMaxLineBytes + 10, 'x'));
  const auto reply = c.line();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(error_of(Json::parse(*reply)), "request line longer than 65536 bytes");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(ControlServerTest, StopClosesConnectionsAndJoins) {
  Client c(server_->port());
  EXPECT_EQ(c.request(R"({"cmd":"nothing"})"), (Json{{"ok", true}}));
  server_->stop();
  EXPECT_TRUE(c.closed_by_peer());
  Client late(server_->port());
  EXPECT_FALSE(late.connected());
  server_->stop();  // idempotent
}

TEST(ControlServer, RefusesNonLoopbackWithoutTokenAndBusyPorts) {
  ControlServer open_to_all(test_handlers());
  ControlServer::Options wide;
  wide.host = "0.0.0.0";
  try {
    open_to_all.start(wide);
    FAIL() << "expected a refusal";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "control: 0.0.0.0:0 is beyond loopback; binding there needs a token");
  }

  ControlServer first(test_handlers());
  first.start();
  ControlServer second(test_handlers());
  ControlServer::Options same;
  same.port = first.port();
  try {
    second.start(same);
    FAIL() << "expected a bind error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "control: cannot listen on 127.0.0.1:" +
                                         std::to_string(first.port()) + ": Address already in use");
  }
}

}  // namespace
}  // namespace vterm
