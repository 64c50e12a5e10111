// The terminal adapter protocol's codec (rig/terminal/adapter_protocol.h): the lines of
// docs/terminal-adapters.md in both directions, and exact errors for lines that break it.
#include <gtest/gtest.h>

#include "rig/terminal/adapter_protocol.h"

namespace rig::terminal {
namespace {

using nlohmann::json;

AdapterMessage ok(const std::string& line) {
  auto d = decode_adapter_line(line);
  EXPECT_TRUE(d.value) << line << ": " << d.error;
  return d.value ? *d.value : AdapterMessage{};
}

std::string error_of(const std::string& line) {
  auto d = decode_adapter_line(line);
  EXPECT_FALSE(d.value) << line;
  return d.error;
}

const char* kHello =
    R"({"type":"hello","protocol":1,"name":"x","version":"2.1","capabilities":{"commands":["sale","status"],"observations":["result","status"],"status_fields":["state","locked"]}})";

TEST(AdapterProtocol, DecodesTheHelloOfTheDocs) {
  auto m = ok(kHello);
  const auto& h = std::get<AdapterHello>(m);
  EXPECT_EQ(h.protocol, 1);
  EXPECT_EQ(h.name, "x");
  EXPECT_EQ(h.version, "2.1");
  EXPECT_EQ(h.capabilities.commands,
            (std::set<CommandKind>{CommandKind::sale, CommandKind::status}));
  EXPECT_EQ(h.capabilities.observations,
            (std::set<ObservationKind>{ObservationKind::result, ObservationKind::status}));
  EXPECT_EQ(h.capabilities.status_fields, (std::set<std::string>{"state", "locked"}));
  EXPECT_TRUE(h.capabilities.faults.empty());
  // What the driver lacks is said the usual way.
  EXPECT_EQ(lacking(Need::observation(ObservationKind::event), h.capabilities, "adapter"),
            "needs terminal events; driver adapter cannot observe them");
  // And it goes back to the same line.
  EXPECT_EQ(json::parse(encode_hello(h)), json::parse(kHello));
}

TEST(AdapterProtocol, RefusesHellosThatCannotWork) {
  EXPECT_EQ(error_of(R"({"type":"hello","protocol":2,"name":"x","version":"1","capabilities":{}})"),
            "hello: the adapter speaks protocol 2; this rig speaks 1");
  EXPECT_EQ(error_of(R"({"type":"hello","protocol":1,"name":"","version":"1","capabilities":{}})"),
            "hello: name is empty");
  EXPECT_EQ(
      error_of(
          R"({"type":"hello","protocol":1,"name":"x","version":"1","capabilities":{"commands":["sale","pay"],"observations":[]}})"),
      "hello: unknown command 'pay' (known: sale, refund, query, last, reprint, cancel, status, "
      "reset, login, unlock)");
  EXPECT_EQ(
      error_of(
          R"({"type":"hello","protocol":1,"name":"x","version":"1","capabilities":{"commands":["sale"],"observations":["status"]}})"),
      "hello: capabilities.commands must include status (the rig's liveness check)");
  EXPECT_EQ(
      error_of(
          R"({"type":"hello","protocol":1,"name":"x","version":"1","capabilities":{"commands":["status"],"observations":["wire"]}})"),
      "hello: unknown observation 'wire' (known: result, display, prompt, receipt, event, "
      "status, note)");
  EXPECT_EQ(
      error_of(
          R"({"type":"hello","protocol":1,"name":"x","version":"1","capabilities":{"commands":["status"],"observations":["status"],"faults":[]}})"),
      "hello: capabilities: unknown field 'faults' (known: commands, observations, status_fields)");
  EXPECT_EQ(error_of(R"({"type":"hello","protocol":"1","name":"x"})"),
            "hello: protocol must be a whole number, got a string");
}

TEST(AdapterProtocol, EncodesEveryCommandWithItsFields) {
  Command sale{CommandKind::sale, "s-1", "100.00", "978", "card", ""};
  EXPECT_EQ(
      encode_command(sale, 7),
      R"({"amount":"100.00","command":"sale","currency":"978","id":"s-1","method":"card","request":7,"type":"command"})");
  Command refund{CommandKind::refund, "r-1", "5.00", "978", "card", "s-1"};
  EXPECT_EQ(json::parse(encode_command(refund, 8))["original_id"], "s-1");
  Command status{CommandKind::status, "st-1", "", "", "", ""};
  EXPECT_EQ(encode_command(status, 9),
            R"({"command":"status","id":"st-1","request":9,"type":"command"})");
  // Each one decodes back to itself (what an adapter written in C++ does).
  for (CommandKind k : all_commands()) {
    Command c{k, "id-" + std::string(to_string(k)), "", "", "", ""};
    if (k == CommandKind::sale || k == CommandKind::refund) {
      c.amount = "1.00";
      c.currency = "156";
      c.method = "qr";
    }
    auto back = decode_command(encode_command(c, 3));
    ASSERT_TRUE(back.value) << back.error;
    EXPECT_EQ(back.value->request, 3u);
    EXPECT_EQ(back.value->command.kind, k);
    EXPECT_EQ(back.value->command.id, c.id);
    EXPECT_EQ(back.value->command.method, c.method);
  }
  EXPECT_EQ(decode_command(R"({"type":"command","request":1,"command":"sale","id":"a"})").error,
            "command: missing amount");
}

TEST(AdapterProtocol, DecodesRepliesByRequest) {
  auto a = std::get<AdapterReply>(ok(R"({"type":"accepted","request":7})"));
  EXPECT_EQ(a.request, 7u);
  EXPECT_TRUE(a.accepted);
  auto r = std::get<AdapterReply>(ok(R"({"type":"rejected","request":8,"message":"no link"})"));
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.message, "no link");
  EXPECT_EQ(error_of(R"({"type":"rejected","request":8})"), "rejected: missing message");
  EXPECT_EQ(error_of(R"({"type":"accepted","request":0})"),
            "accepted: request must be a whole number from 1");
  EXPECT_EQ(error_of(R"({"type":"accepted","request":-3})"),
            "accepted: request must be a whole number from 1");
  EXPECT_EQ(json::parse(encode_reply(r)),
            json::parse(R"({"type":"rejected","request":8,"message":"no link"})"));
}

TEST(AdapterProtocol, DecodesEveryObservationIntoTheModel) {
  auto o = std::get<Outcome>(std::get<Observation>(ok(
      R"({"type":"result","id":"s-1","status":"APPROVED","rc":"00","transaction":"sale","amount":"12.50","currency":"978","method":"card","entry":"chip","pan":"476173******0010","stan":"000001","rrn":"000000000001","auth":"A00001","order":"","text":"APPROVED","ref":"l-1"})")));
  EXPECT_EQ(o.id, "s-1");
  EXPECT_EQ(o.status, "APPROVED");
  EXPECT_EQ(o.type, "sale");
  EXPECT_EQ(o.pan, "476173******0010");
  EXPECT_EQ(o.ref, "l-1");

  auto d = std::get<Display>(std::get<Observation>(
      ok(R"({"type":"display","lines":["AMOUNT 12.50","PRESENT CARD"],"id":"s-1"})")));
  EXPECT_EQ(d.lines, (std::vector<std::string>{"AMOUNT 12.50", "PRESENT CARD"}));
  EXPECT_EQ(to_json(d)["text"], "AMOUNT 12.50|PRESENT CARD");

  auto p = std::get<Prompt>(
      std::get<Observation>(ok(R"({"type":"prompt","kind":"PIN","id":"s-1","tries_left":2})")));
  EXPECT_EQ(p.kind, "PIN");
  EXPECT_EQ(p.tries_left, 2);

  auto r = std::get<Receipt>(
      std::get<Observation>(ok(R"({"type":"receipt","id":"s-1","lines":["A|B","C"]})")));
  EXPECT_EQ(r.copy, "original");
  EXPECT_EQ(r.lines, (std::vector<std::string>{"A|B", "C"}));

  auto e = std::get<TerminalEvent>(std::get<Observation>(
      ok(R"({"type":"event","name":"REVERSAL_SENT","stan":"000004","attempt":2})")));
  EXPECT_EQ(e.name, "REVERSAL_SENT");
  EXPECT_EQ(e.attempt, 2);
  EXPECT_FALSE(e.tries_left);

  auto s = std::get<StatusSnapshot>(std::get<Observation>(ok(
      R"({"type":"status","id":"q","state":"locked","paper":"ok","pending_reversals":1,"locked":true})")));
  EXPECT_EQ(s.state, "locked");
  EXPECT_EQ(s.pending_reversals, 1);
  EXPECT_EQ(s.locked, true);
  EXPECT_FALSE(s.failed_reversals);

  auto n = std::get<Note>(std::get<Observation>(ok(R"({"type":"note","text":"hi"})")));
  EXPECT_EQ(n.text, "hi");
}

TEST(AdapterProtocol, ObservationsGoBackToTheSameLine) {
  for (
      const char* line : {
          R"({"type":"result","id":"s-1","status":"DECLINED","rc":"51","transaction":"refund","text":"x"})",
          R"({"type":"display","lines":["A","B"]})",
          R"({"type":"prompt","kind":"PIN","tries_left":1,"text":"LAST PIN TRY"})",
          R"({"type":"receipt","id":"s","copy":"duplicate","lines":["X|Y"],"ref":"rp"})",
          R"({"type":"event","name":"LOCKED","id":"l","tries_left":0,"detail":"d"})",
          R"({"type":"status","id":"q","state":"idle","failed_reversals":0,"locked":false,"tid":"T"})",
          R"({"type":"note","text":"n"})",
      }) {
    auto m = ok(line);
    EXPECT_EQ(json::parse(encode_observation(std::get<Observation>(m))), json::parse(line)) << line;
  }
}

TEST(AdapterProtocol, NamesWhatIsWrongWithABadLine) {
  EXPECT_EQ(error_of("hello"), "not JSON");
  EXPECT_EQ(error_of("[1,2]"), "not a JSON object but a list");
  EXPECT_EQ(error_of(R"({"id":"x"})"), "missing type");
  EXPECT_EQ(error_of(R"({"type":"sale"})"),
            "unknown type 'sale' (known: hello, accepted, rejected, result, display, prompt, "
            "receipt, event, status, note)");
  EXPECT_EQ(error_of(R"({"type":"result","id":"x"})"), "result: missing status");
  EXPECT_EQ(error_of(R"({"type":"result","id":"x","status":"APPROVED","colour":"red"})"),
            "result: unknown field 'colour' (known: amount, auth, currency, entry, id, method, "
            "order, pan, rc, ref, rrn, stan, status, text, transaction, type)");
  EXPECT_EQ(error_of(R"({"type":"prompt","kind":"PIN","tries_left":"2"})"),
            "prompt: tries_left must be a whole number, got a string");
  EXPECT_EQ(error_of(R"({"type":"status","id":"q","locked":1})"),
            "status: locked must be true or false, got a whole number");
  EXPECT_EQ(error_of(R"({"type":"display","lines":"A|B"})"),
            "display: lines must be a list of strings, got a string");
  EXPECT_EQ(error_of(R"({"type":"display","lines":["A",2]})"),
            "display: lines must be a list of strings, got a whole number");
  EXPECT_EQ(error_of(R"({"type":"event","name":"X","attempt":-1})"),
            "event: attempt must be 0 or more, got -1");
  EXPECT_EQ(error_of(R"({"type":"note","text":null})"), "note: text must be a string, got null");
  EXPECT_EQ(error_of(std::string(kAdapterMaxLine + 1, ' ')), "line longer than 65536 bytes");
}

TEST(AdapterProtocol, ValidateAssumesEverythingTheProtocolCarries) {
  Capabilities c = adapter_protocol_capabilities();
  EXPECT_EQ(c.commands.size(), all_commands().size());
  EXPECT_FALSE(c.observations.count(ObservationKind::wire));
  EXPECT_TRUE(c.status_fields.count("pending_reversals"));
  EXPECT_EQ(capabilities_json(c)["status_fields"].size(), 11u);
}

}  // namespace
}  // namespace rig::terminal
