// vhost's admin endpoint (fixtures/sim/vhost/admin.h) without HTTP, and its command line
// (options.h).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <string>

#include "fixtures/sim/vhost/admin.h"
#include "fixtures/sim/vhost/options.h"
#include "rig/protocol/iso8583.h"
#include "rig/protocol/wallet.h"

using namespace rig::vhost;
using nlohmann::json;

namespace {

class AdminTest : public ::testing::Test {
 protected:
  AdminTest()
      : ledger_(":memory:"),
        wallet_(io_, ledger_, script_, log_, 1.0),
        acquirer_(ledger_, rig::bench::load_cards(POSRIG_SOURCE_DIR "/fixtures/cards"), script_),
        admin_(io_, ledger_, script_, log_, wallet_, acquirer_) {}

  // Status and parsed body.
  std::pair<unsigned, json> call(const std::string& method, const std::string& target,
                                 const std::string& body = "") {
    auto [status, text] = admin_.handle(method, target, body);
    return {status, json::parse(text)};
  }

  boost::asio::io_context io_;
  Ledger ledger_;
  Script script_;
  MessageLog log_;
  WalletGateway wallet_;
  Acquirer acquirer_;
  AdminApi admin_;
};

Authorisation approved(const std::string& tid, const std::string& stan, std::int64_t amount) {
  Authorisation a;
  a.tid = tid;
  a.stan = stan;
  a.masked_pan = "476173******0010";
  a.card = "visa-chip";
  a.amount_minor = amount;
  a.rc = "00";
  a.status = "approved";
  return a;
}

std::string usage_error(const std::vector<std::string>& args) {
  try {
    parse_options(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_F(AdminTest, LedgerFiguresAsDecimalStrings) {
  Authorisation a = approved("T1", "000001", 10000);
  Authorisation b = approved("T1", "000002", 100);
  ledger_.record_authorisation(a);
  ledger_.record_authorisation(b);
  ledger_.apply_reversal("T1", "000001");
  Reversal r;
  r.tid = "T1";
  r.stan = r.original_stan = "000001";
  r.mti = "0400";
  r.rc = "00";
  r.applied = true;
  ledger_.record_reversal(r);
  auto [status, body] = call("GET", "/admin/ledger?tid=T1");
  EXPECT_EQ(status, 200u);
  EXPECT_EQ(body, json::parse(R"({"tid":"T1","net":"1.00","net_minor":100,"debits":1,
      "reversals":1,"declines":0,"refunds":0,"wallet_payments":0,"wallet_net":"0.00",
      "fees":"0.01","seq":0})"));
  auto [s2, unknown] = call("GET", "/admin/ledger?tid=NOBODY");
  EXPECT_EQ(unknown["net"], "0.00");
  EXPECT_EQ(unknown["debits"], 0);
  auto [s3, all] = call("GET", "/admin/ledger");
  ASSERT_EQ(all["terminals"].size(), 1u);
  EXPECT_EQ(all["seq"], 0);
  EXPECT_EQ(all["terminals"][0]["tid"], "T1");
  auto [s4, encoded] = call("GET", "/admin/ledger?tid=T%31");  // percent-encoded "T1"
  EXPECT_EQ(encoded["debits"], 1);
}

TEST_F(AdminTest, ScriptAndReset) {
  auto [status, added] =
      call("POST", "/admin/script", R"({"target":"iso","action":"decline","rc":"05","count":1})");
  EXPECT_EQ(status, 200u);
  EXPECT_EQ(added["ids"], json::array({1}));
  EXPECT_EQ(added["rules"].size(), 1u);
  auto [bad_status, bad] = call("POST", "/admin/script", R"({"target":"iso","action":"x"})");
  EXPECT_EQ(bad_status, 400u);
  EXPECT_EQ(bad["error"],
            "rule 1: unknown action 'x' for target iso (known: decline, delay, no_response, "
            "refuse_reversal)");
  Authorisation a = approved("T1", "000001", 100);
  ledger_.record_authorisation(a);
  ledger_.set_pin_failures("visa-chip", 3, "T1");
  auto [reset_status, reset] = call("POST", "/admin/reset", "");
  EXPECT_EQ(reset_status, 200u);
  EXPECT_EQ(reset["cleared"], json::array({"scripts"}));
  EXPECT_TRUE(script_.rules().empty());
  EXPECT_EQ(ledger_.summary("T1").debits, 1);  // the ledger stays unless asked
  auto [s2, full] = call("POST", "/admin/reset", R"({"ledger":true,"pin_counters":true})");
  EXPECT_EQ(full["cleared"], json::array({"scripts", "ledger", "pin_counters"}));
  EXPECT_EQ(ledger_.summary("T1").debits, 0);
  EXPECT_EQ(ledger_.pin_failures("visa-chip"), 0);
  // One terminal's reset: its rules and the PIN counters it changed, nobody else's.
  ledger_.set_pin_failures("visa-chip", 3, "T1");
  ledger_.set_pin_failures("mag-only", 3, "T2");
  auto [s5, one] = call("POST", "/admin/reset", R"({"tid":"T2","pin_counters":true})");
  EXPECT_EQ(s5, 200u);
  EXPECT_EQ(one["cleared"], json::array({"scripts", "pin_counters"}));
  EXPECT_EQ(ledger_.pin_failures("mag-only"), 0);
  EXPECT_EQ(ledger_.pin_failures("visa-chip"), 3);
  auto [s3, wrong] = call("POST", "/admin/reset", R"({"everything":true})");
  EXPECT_EQ(s3, 400u);
  EXPECT_EQ(wrong["error"], "unknown key 'everything' (known: ledger, messages, pin_counters, tid)");
  auto [s4, not_bool] = call("POST", "/admin/reset", R"({"ledger":1})");
  EXPECT_EQ(not_bool["error"], "'ledger' must be true or false");
}

// GET /admin/evidence: every request of one terminal since a ledger sequence number, with its
// fate, each authorisation with its reversals, each wallet order with its payments.
TEST_F(AdminTest, EvidenceOfOneTerminalSinceASequenceNumber) {
  namespace iso = rig::protocol::iso8583;
  const auto cards = rig::bench::load_cards(POSRIG_SOURCE_DIR "/fixtures/cards");
  auto sale = [&](const std::string& card, const std::string& stan, std::int64_t amount) {
    iso::Message m;
    m.mti = "0200";
    m.set(2, cards.at(card).pan).set(3, "000000").set(4, iso::amount_field(amount));
    m.set(7, "0615120000").set(11, stan).set(41, "T1").set(42, "M1").set(49, "156");
    return m;
  };
  auto reversal = [](const iso::Message& original, const std::string& mti) {
    iso::Message r;
    r.mti = mti;
    for (int f : {3, 4, 7, 11, 41, 42, 49}) r.set(f, original.get(f));
    r.set(39, "98").set(90, iso::build_original_data(original));
    return r;
  };
  iso::Message before = sale("visa-chip", "000001", 100);
  acquirer_.handle(before);
  auto [s0, start] = call("GET", "/admin/ledger?tid=T1");
  const std::int64_t since = start["seq"];
  EXPECT_EQ(since, 1);

  iso::Message kept = sale("visa-chip", "000002", 5100);
  iso::Message undone = sale("visa-chip", "000003", 2000);
  acquirer_.handle(kept);
  acquirer_.handle(undone);
  iso::Message short_amount = reversal(undone, "0400");
  short_amount.set(4, iso::amount_field(20));
  acquirer_.handle(short_amount);
  acquirer_.handle(reversal(undone, "0401"));
  acquirer_.handle(reversal(undone, "0401"));
  acquirer_.handle(sale("low-balance", "000004", 999999));
  acquirer_.handle(reversal(before, "0400"));  // a reversal left over from before `since`
  namespace w = rig::protocol::wallet;
  wallet_.handle(
      "POST", "/micropay",
      w::encode(w::MicropayRequest{"T1-1-0001", "134567890123456789", 4200, "T1", "M1"}));
  wallet_.handle("POST", "/orderquery", w::encode(w::OrderQueryRequest{"T1-1-0001"}));
  acquirer_.handle(sale("visa-chip", "000001", 100));  // another terminal's? no: T1's duplicate

  auto [status, e] = call("GET", "/admin/evidence?tid=T1&since=" + std::to_string(since));
  EXPECT_EQ(status, 200u);
  EXPECT_EQ(e["tid"], "T1");
  EXPECT_EQ(e["since"], since);
  EXPECT_EQ(e["last"], ledger_.last_seq());
  // The 0200s, 0400/0401s and wallet requests after `since`, with their answers.
  std::vector<std::string> kinds, answers;
  for (const auto& m : e["messages"]) {
    kinds.push_back(m["kind"]);
    answers.push_back(m["answer"].is_null() ? "-" : m["answer"].get<std::string>());
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"0200", "0200", "0400", "0401", "0401", "0200", "0400",
                                             "micropay", "orderquery", "0200"}));
  EXPECT_EQ(answers, (std::vector<std::string>{"00", "00", "64", "00", "00", "51", "00", "SUCCESS",
                                               "SUCCESS SUCCESS", "94"}));
  // Transactions: the two sales and the decline after `since`, and the older one a reversal
  // after `since` undid.
  const json& t = e["transactions"];
  ASSERT_EQ(t.size(), 4u) << e.dump(1);
  EXPECT_EQ(t[0]["stan"], "000001");
  EXPECT_EQ(t[0]["before_since"], true);
  EXPECT_EQ(t[0]["status"], "reversed");
  EXPECT_EQ(t[1]["stan"], "000002");
  EXPECT_EQ(t[1]["debited"], true);
  EXPECT_EQ(t[1]["amount"], "51.00");
  EXPECT_EQ(t[1]["net"], "51.00");
  EXPECT_EQ(t[1]["reversals"].size(), 0u);
  EXPECT_EQ(t[2]["stan"], "000003");
  EXPECT_EQ(t[2]["status"], "reversed");
  EXPECT_EQ(t[2]["debited"], false);
  EXPECT_EQ(t[2]["net"], "0.00");
  EXPECT_EQ(t[2]["reversals_applied"], 1);
  ASSERT_EQ(t[2]["reversals"].size(), 3u);
  EXPECT_EQ(t[2]["reversals"][0]["amount"], "0.20");
  EXPECT_EQ(t[2]["reversals"][0]["rc"], "64");
  EXPECT_EQ(t[2]["reversals"][0]["applied"], false);
  EXPECT_EQ(t[2]["reversals"][0]["reason"], "field 4 (amount) 0.20 is not the original's 20.00");
  EXPECT_EQ(t[2]["reversals"][1]["applied"], true);
  EXPECT_EQ(t[2]["reversals"][1]["original_seq"], t[2]["seq"]);
  EXPECT_EQ(t[2]["reversals"][1]["original_stan"], "000003");
  EXPECT_EQ(t[2]["reversals"][1]["original_transmission"], "0615120000");
  EXPECT_EQ(t[2]["reversals"][2]["reason"], "already reversed");
  EXPECT_EQ(t[3]["status"], "declined");
  EXPECT_EQ(t[3]["net"], "0.00");
  EXPECT_EQ(e["reversals"].size(), 4u);
  // The wallet order and its payment.
  ASSERT_EQ(e["wallet"].size(), 1u);
  EXPECT_EQ(e["wallet"][0]["out_trade_no"], "T1-1-0001");
  EXPECT_EQ(e["wallet"][0]["paid"], true);
  EXPECT_EQ(e["wallet"][0]["payments"], 1);
  EXPECT_EQ(e["wallet"][0]["requests"]["micropay"], 1);
  EXPECT_EQ(e["wallet"][0]["requests"]["orderquery"], 1);
  EXPECT_EQ(e["totals"], json::parse(R"({"debits":1,"net":"50.00","reversals_applied":2,
      "reversals_refused":1,"wallet_payments":1,"wallet_net":"42.00"})"));
  // Later than everything: nothing.
  auto [s2, none] =
      call("GET", "/admin/evidence?tid=T1&since=" + std::to_string(ledger_.last_seq()));
  EXPECT_TRUE(none["messages"].empty());
  EXPECT_TRUE(none["transactions"].empty());
  auto [s3, bad] = call("GET", "/admin/evidence?since=1");
  EXPECT_EQ(s3, 400u);
  EXPECT_EQ(bad["error"], "'tid' is required");
}

TEST_F(AdminTest, MerchantFeeClass) {
  auto [status, body] =
      call("POST", "/admin/merchant", R"({"mid":"SUPERMARKET","fee_class":"preferential"})");
  EXPECT_EQ(status, 200u);
  EXPECT_EQ(body["fee_class"], "preferential");
  EXPECT_EQ(ledger_.fee_class("SUPERMARKET"), FeeClass::preferential);
  auto [s2, bad] = call("POST", "/admin/merchant", R"({"mid":"X","fee_class":"gold"})");
  EXPECT_EQ(s2, 400u);
  EXPECT_EQ(bad["error"], "'fee_class' must be standard, preferential or public_welfare");
  auto [s3, no_mid] = call("POST", "/admin/merchant", R"({"fee_class":"standard"})");
  EXPECT_EQ(no_mid["error"], "'mid' must be a non-empty string");
  auto [s4, not_json] = call("POST", "/admin/merchant", "{");
  EXPECT_EQ(not_json["error"], "body is not valid JSON");
}

TEST_F(AdminTest, MessagesSinceAndLimit) {
  log_.add("iso", "in", "p", "0800 11=000001");
  log_.add("iso", "out", "p", "0810 11=000001 39=00");
  log_.add("iso", "in", "p", "0800 11=000002");
  auto [status, body] = call("GET", "/admin/messages?since=1&limit=1");
  EXPECT_EQ(status, 200u);
  ASSERT_EQ(body["messages"].size(), 1u);
  EXPECT_EQ(body["messages"][0]["seq"], 2);
  EXPECT_EQ(body["messages"][0]["text"], "0810 11=000001 39=00");
  EXPECT_EQ(body["last"], 3);
  auto [s2, bad] = call("GET", "/admin/messages?since=-1");
  EXPECT_EQ(s2, 400u);
  EXPECT_EQ(bad["error"], "'since' must be a whole number");
}

TEST_F(AdminTest, CardsHealthAndRouting) {
  auto [status, cards] = call("GET", "/admin/cards");
  EXPECT_EQ(status, 200u);
  bool found = false;
  for (const auto& c : cards["cards"]) {
    if (c["name"] == "visa-chip") {
      found = true;
      EXPECT_EQ(c["pan"].get<std::string>().find("******"), 6u);
      EXPECT_EQ(c["pin_blocked"], false);
    }
  }
  EXPECT_TRUE(found);
  admin_.set_info({"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "x.db", 0.5});
  auto [s2, health] = call("GET", "/admin/health");
  EXPECT_EQ(health["ok"], true);
  EXPECT_EQ(health["iso"], "127.0.0.1:1");
  EXPECT_EQ(health["time_scale"], 0.5);
  auto [s3, missing] = call("GET", "/admin/nothing");
  EXPECT_EQ(s3, 404u);
  auto [s4, method] = call("DELETE", "/admin/ledger");
  EXPECT_EQ(s4, 405u);
  EXPECT_EQ(method["error"], "/admin/ledger takes GET, not DELETE");
}

TEST(VhostOptions, DefaultsAndForms) {
  Options o = parse_options({"--db", "x.db", "--cards=fixtures/cards"});
  EXPECT_EQ(o.iso.host, "127.0.0.1");
  EXPECT_EQ(o.iso.port, 0);
  EXPECT_EQ(o.wallet.port, 0);
  EXPECT_EQ(o.admin.port, 0);
  EXPECT_EQ(o.db, "x.db");
  EXPECT_EQ(o.cards, "fixtures/cards");
  EXPECT_EQ(o.time_scale, 1.0);
  o = parse_options({"--db", "x", "--cards", "c", "--iso", "localhost:5000", "--wallet", "[::1]:0",
                     "--time-scale", "0.05"});
  EXPECT_EQ(o.iso.host, "127.0.0.1");
  EXPECT_EQ(o.iso.port, 5000);
  EXPECT_EQ(o.wallet.host, "::1");
  EXPECT_EQ(o.time_scale, 0.05);
  o = parse_options({"--db", "x", "--cards", "c", "--admin", "0.0.0.0:0", "--token", "s3cret"});
  EXPECT_EQ(o.admin.host, "0.0.0.0");
  EXPECT_EQ(o.token, "s3cret");
  EXPECT_TRUE(parse_options({"--help"}).help);
}

TEST(VhostOptions, ErrorsAreExact) {
  EXPECT_EQ(usage_error({"--db", "x", "--cards", "c", "--isoo", "1"}), "unknown option '--isoo'");
  EXPECT_EQ(usage_error({"--db", "x", "--cards", "c", "--iso", "localhost"}),
            "--iso: expected HOST:PORT, got 'localhost'");
  EXPECT_EQ(usage_error({"--db", "x", "--cards", "c", "--iso", "example.com:1"}),
            "--iso: 'example.com' is not an IP address or localhost");
  EXPECT_EQ(usage_error({"--db", "x", "--cards", "c", "--wallet", "127.0.0.1:70000"}),
            "--wallet: port '70000' is not 0 to 65535");
  EXPECT_EQ(usage_error({"--db", "x", "--cards", "c", "--time-scale", "fast"}),
            "--time-scale: expected a number above 0, got 'fast'");
  EXPECT_EQ(usage_error({"--db", "x", "--cards", "c", "--time-scale", "0"}),
            "--time-scale: expected a number above 0, got '0'");
  EXPECT_EQ(usage_error({"--cards", "c"}), "missing --db FILE");
  EXPECT_EQ(usage_error({"--db", "x"}), "missing --cards DIR");
  EXPECT_EQ(usage_error({"--db"}), "--db needs a value");
  EXPECT_EQ(usage_error({"--db", "x", "--cards", "c", "--admin", "0.0.0.0:0"}),
            "--admin 0.0.0.0:0 listens beyond loopback; give --token T");
  EXPECT_EQ(usage_error({"--db", "x", "--cards", "c", "--iso", "[::]:7"}),
            "--iso [::]:7 listens beyond loopback; give --token T");
}
