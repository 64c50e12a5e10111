// The real vhost binary, started as a process (rig/process/supervisor.h) on loopback with
// ephemeral ports: ISO 8583 over TCP, the wallet gateway and the admin endpoint over HTTP, and
// the SQLite ledger read directly. Every test also checks that SIGTERM ends vhost with code 0.
//
// Clients: ISO 8583 on rig::link::TcpLink (reads with deadlines) and the iso8583 codec; HTTP
// with Boost.Beast on a tcp_stream whose operations carry a deadline (expires_after), each
// request run to completion before request() returns.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <regex>
#include <string>

#include "rig/bench/card_profile.h"
#include "rig/link/tcp.h"
#include "rig/process/supervisor.h"
#include "rig/protocol/amount.h"
#include "rig/protocol/iso8583.h"
#include "rig/protocol/pin_block.h"
#include "rig/protocol/wallet.h"

namespace iso = rig::protocol::iso8583;
namespace w = rig::protocol::wallet;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string kVhost = POSRIG_BUILD_DIR "/vhost";
const std::string kCards = POSRIG_SOURCE_DIR "/fixtures/cards";

std::pair<std::string, std::uint16_t> split(const std::string& host_port) {
  auto colon = host_port.rfind(':');
  return {host_port.substr(0, colon),
          static_cast<std::uint16_t>(std::stoi(host_port.substr(colon + 1)))};
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vhost-it-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A terminal's host link: one persistent TCP connection, framed ISO 8583.
class IsoClient {
 public:
  explicit IsoClient(const std::string& host_port) {
    auto [host, port] = split(host_port);
    link_ = std::make_unique<rig::link::TcpLink>(host, port);
    auto st = link_->open();
    EXPECT_TRUE(st.ok()) << st.message;
  }

  void send_raw(const std::string& bytes) {
    auto st = link_->write(bytes, rig::link::after(5s));
    ASSERT_TRUE(st.ok()) << st.message;
  }
  void send(const iso::Message& m) { send_raw(iso::frame(iso::encode(m))); }

  // The next message, or nullopt when none arrives within `wait`.
  std::optional<iso::Message> receive(std::chrono::milliseconds wait = 10000ms) {
    const auto deadline = rig::link::after(wait);
    while (true) {
      if (auto body = deframer_.pop()) {
        auto d = iso::decode(*body);
        EXPECT_TRUE(d.ok) << d.error;
        return d.message;
      }
      auto chunk = link_->read(deadline);
      if (chunk.status.code == rig::link::IoStatus::timeout) return std::nullopt;
      EXPECT_TRUE(chunk.status.ok()) << chunk.status.message;
      if (!chunk.status.ok()) return std::nullopt;
      deframer_.feed(chunk.bytes);
    }
  }

  iso::Message exchange(const iso::Message& m) {
    send(m);
    auto r = receive();
    EXPECT_TRUE(r.has_value()) << "no answer to " << iso::describe(m);
    return r.value_or(iso::Message{});
  }

  std::string rc(const iso::Message& m) {
    iso::Message r = exchange(m);
    EXPECT_EQ(iso::response_mismatch(m, r), std::nullopt);
    return r.has(39) ? r.get(39) : "<none>";
  }

 private:
  std::unique_ptr<rig::link::TcpLink> link_;
  iso::Deframer deframer_;
};

struct HttpReply {
  unsigned status = 0;
  std::string body;
  bool timed_out = false;
  json j() const { return json::parse(body); }
};

// HTTP/1.1 keep-alive client on Boost.Beast; each request must finish within its deadline.
class HttpClient {
 public:
  explicit HttpClient(const std::string& host_port, std::string token = "")
      : stream_(io_), host_(host_port), token_(std::move(token)) {
    auto [host, port] = split(host_port);
    stream_.expires_after(5s);
    stream_.connect(asio::ip::tcp::endpoint(asio::ip::make_address(host), port));
  }

  HttpReply request(http::verb verb, const std::string& target, const std::string& body = "",
                    std::chrono::milliseconds timeout = 10000ms) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, host_);
    if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
    if (verb == http::verb::post) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    HttpReply reply;
    http::response<http::string_body> res;
    beast::flat_buffer buffer;
    beast::error_code result;
    stream_.expires_after(timeout);
    http::async_write(stream_, req, [&](beast::error_code ec, std::size_t) {
      if (ec) {
        result = ec;
        return;
      }
      http::async_read(stream_, buffer, res,
                       [&](beast::error_code ec2, std::size_t) { result = ec2; });
    });
    io_.restart();
    io_.run();
    if (result == beast::error::timeout) {
      reply.timed_out = true;
      return reply;
    }
    EXPECT_FALSE(result) << result.message();
    reply.status = res.result_int();
    reply.body = res.body();
    return reply;
  }

  HttpReply post(const std::string& target, const std::string& body,
                 std::chrono::milliseconds timeout = 10000ms) {
    return request(http::verb::post, target, body, timeout);
  }
  HttpReply get(const std::string& target) { return request(http::verb::get, target); }

 private:
  asio::io_context io_;
  beast::tcp_stream stream_;
  std::string host_;
  std::string token_;
};

class VhostTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }

  void start(std::vector<std::string> extra) {
    db_ = dir_.file("ledger.db");
    rig::process::Spec spec;
    spec.argv = {kVhost, "--db", db_, "--cards", kCards, "--time-scale", "0.05"};
    spec.argv.insert(spec.argv.end(), extra.begin(), extra.end());
    spec.name = "vhost";
    vhost_ = std::make_unique<rig::process::Child>(spec);
    auto st = vhost_->start();
    ASSERT_TRUE(st.ok()) << st.message;
    auto ready = vhost_->wait_for_line(std::regex("^READY "), rig::process::after(20s));
    ASSERT_TRUE(ready.status.ok()) << ready.status.message;
    std::smatch m;
    const std::string& line = ready.line.text;
    ASSERT_TRUE(std::regex_match(
        line, m, std::regex(R"(READY iso=(\S+:\d+) wallet=(\S+:\d+) admin=(\S+:\d+))")))
        << line;
    iso_ = m[1];
    wallet_ = m[2];
    admin_ = m[3];
    cards_ = rig::bench::load_cards(kCards);
  }

  void TearDown() override {
    if (!vhost_) return;
    auto exit = vhost_->stop(10s);  // SIGTERM first: vhost must end cleanly on it
    EXPECT_TRUE(exit.success()) << "vhost " << exit.describe();
  }

  iso::Message sale(const std::string& card, const std::string& stan, std::int64_t amount,
                    bool with_pin = false, const std::string& pin = "",
                    const std::string& tid = "TERM0001") {
    const auto& c = cards_.at(card);
    iso::Message m;
    m.mti = "0200";
    m.set(3, "000000").set(4, iso::amount_field(amount)).set(7, "0615120000").set(11, stan);
    m.set(22, "051").set(35, c.track2()).set(41, tid).set(42, "MERCHANT0000001").set(49, "978");
    m.set(2, c.pan);
    if (with_pin) m.set(52, rig::protocol::pin_block::build(pin.empty() ? c.pin : pin, c.pan));
    return m;
  }

  static iso::Message reversal(const iso::Message& original, const std::string& mti = "0400") {
    iso::Message r;
    r.mti = mti;
    for (int f : {2, 3, 4, 7, 11, 41, 42, 49}) r.set(f, original.get(f));
    r.set(39, "98");
    r.set(90, iso::build_original_data(original));
    return r;
  }

  json ledger(const std::string& tid = "TERM0001") {
    HttpClient admin(admin_);
    auto r = admin.get("/admin/ledger?tid=" + tid);
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.j();
  }

  void script(const std::string& rules) {
    HttpClient admin(admin_);
    auto r = admin.post("/admin/script", rules);
    ASSERT_EQ(r.status, 200u) << r.body;
  }

  // One row of `sql` (read-only, straight from the file vhost writes), as text.
  std::vector<std::string> sql_row(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(db_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    std::vector<std::string> row;
    if (st && sqlite3_step(st) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        auto t = sqlite3_column_text(st, i);
        row.push_back(t ? reinterpret_cast<const char*>(t) : "NULL");
      }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return row;
  }

  TempDir dir_;
  std::string db_;
  std::unique_ptr<rig::process::Child> vhost_;
  std::string iso_, wallet_, admin_;
  std::map<std::string, rig::bench::CardProfile> cards_;
};

}  // namespace

TEST_F(VhostTest, ApprovedSaleIsInTheLedgerByEndpointAndBySql) {
  IsoClient term(iso_);
  iso::Message signon;
  signon.mti = "0800";
  signon.set(7, "0615115959").set(11, "000001").set(41, "TERM0001");
  EXPECT_EQ(term.rc(signon), "00");
  iso::Message req = sale("visa-chip", "000002", 10000, true);
  iso::Message resp = term.exchange(req);
  EXPECT_EQ(resp.mti, "0210");
  EXPECT_EQ(resp.get(39), "00");
  EXPECT_EQ(resp.get(38).size(), 6u);
  EXPECT_EQ(resp.get(37).size(), 12u);
  EXPECT_EQ(iso::response_mismatch(req, resp), std::nullopt);

  json l = ledger();
  EXPECT_EQ(l["net"], "100.00");
  EXPECT_EQ(l["debits"], 1);
  EXPECT_EQ(l["reversals"], 0);
  EXPECT_EQ(l["declines"], 0);
  EXPECT_EQ(l["fees"], "0.60");

  EXPECT_EQ(sql_row("SELECT net_minor, debits, reversals, declines FROM terminal_summary "
                    "WHERE tid = 'TERM0001'"),
            (std::vector<std::string>{"10000", "1", "0", "0"}));
  auto row = sql_row(
      "SELECT masked_pan, rrn, auth_code, status, rc FROM authorisations "
      "WHERE tid = 'TERM0001' AND stan = '000002'");
  ASSERT_EQ(row.size(), 5u);
  EXPECT_EQ(row[0], rig::protocol::mask_pan(cards_.at("visa-chip").pan));
  EXPECT_EQ(row[1], resp.get(37));
  EXPECT_EQ(row[2], resp.get(38));
  EXPECT_EQ(row[3], "approved");
  // No full PAN anywhere in the ledger file.
  EXPECT_EQ(sql_row("SELECT COUNT(*) FROM authorisations WHERE masked_pan = '" +
                    cards_.at("visa-chip").pan + "'"),
            (std::vector<std::string>{"0"}));
}

TEST_F(VhostTest, DeclinesWithoutDebit) {
  IsoClient term(iso_);
  EXPECT_EQ(term.rc(sale("low-balance", "000001", 1001)), "51");
  EXPECT_EQ(term.rc(sale("expired", "000002", 100)), "54");
  EXPECT_EQ(term.rc(sale("frozen", "000003", 100)), "62");
  iso::Message unknown = sale("visa-chip", "000004", 100);
  unknown.set(2, "4000000000000002").erase(35);
  EXPECT_EQ(term.rc(unknown), "14");
  json l = ledger();
  EXPECT_EQ(l["declines"], 4);
  EXPECT_EQ(l["debits"], 0);
  EXPECT_EQ(l["net"], "0.00");
}

TEST_F(VhostTest, WrongPinThreeTimesThen75UntilReset) {
  IsoClient term(iso_);
  for (const char* stan : {"000001", "000002", "000003"}) {
    EXPECT_EQ(term.rc(sale("visa-chip", stan, 100, true, "0000")), "55");
  }
  EXPECT_EQ(term.rc(sale("visa-chip", "000004", 100, true)), "75");
  EXPECT_EQ(term.rc(sale("visa-chip", "000005", 100, true, "0000")), "75");
  HttpClient admin(admin_);
  auto cards = admin.get("/admin/cards").j();
  for (const auto& c : cards["cards"]) {
    if (c["name"] == "visa-chip") {
      EXPECT_EQ(c["pin_blocked"], true);
    }
  }
  EXPECT_EQ(admin.post("/admin/reset", R"({"pin_counters":true})").status, 200u);
  EXPECT_EQ(term.rc(sale("visa-chip", "000006", 100, true)), "00");
}

TEST_F(VhostTest, DuplicateStanAnswers94AndIsNotAppliedTwice) {
  IsoClient term(iso_);
  iso::Message req = sale("visa-chip", "000009", 2500);
  EXPECT_EQ(term.rc(req), "00");
  EXPECT_EQ(term.rc(req), "94");
  json l = ledger();
  EXPECT_EQ(l["debits"], 1);
  EXPECT_EQ(l["net"], "25.00");
  EXPECT_EQ(sql_row("SELECT COUNT(*) FROM authorisations"), (std::vector<std::string>{"1"}));
}

TEST_F(VhostTest, ReversalAppliedOnceEvenWhenRepeatedAs0401) {
  IsoClient term(iso_);
  iso::Message original = sale("visa-chip", "000010", 10000);
  EXPECT_EQ(term.rc(original), "00");
  EXPECT_EQ(term.rc(reversal(original)), "00");
  EXPECT_EQ(term.rc(reversal(original, "0401")), "00");
  EXPECT_EQ(term.rc(reversal(original, "0401")), "00");
  EXPECT_EQ(term.rc(sale("visa-chip", "000011", 100)), "00");
  json l = ledger();
  EXPECT_EQ(l["net"], "1.00");
  EXPECT_EQ(l["debits"], 1);
  EXPECT_EQ(l["reversals"], 1);
  EXPECT_EQ(sql_row("SELECT COUNT(*), SUM(applied) FROM reversals WHERE tid = 'TERM0001'"),
            (std::vector<std::string>{"3", "1"}));
  EXPECT_EQ(sql_row("SELECT status FROM authorisations WHERE stan = '000010'"),
            (std::vector<std::string>{"reversed"}));
}

// A strict acquirer: a reversal whose fields disagree with its original gets an error code and
// is not applied; GET /admin/evidence shows each request with its fate.
TEST_F(VhostTest, DisagreeingReversalIsRefusedAndTheEvidenceShowsIt) {
  IsoClient term(iso_);
  const std::int64_t since = ledger()["seq"];
  iso::Message original = sale("visa-chip", "000020", 3000);
  EXPECT_EQ(term.rc(original), "00");
  iso::Message wrong_amount = reversal(original);
  wrong_amount.set(4, iso::amount_field(30));
  EXPECT_EQ(term.rc(wrong_amount), "64");
  iso::Message wrong_currency = reversal(original, "0401");
  wrong_currency.set(49, "840");
  EXPECT_EQ(term.rc(wrong_currency), "64");
  iso::Message wrong_stan = reversal(original, "0401");
  wrong_stan.set(11, "000021");
  EXPECT_EQ(term.rc(wrong_stan), "12");
  json l = ledger();
  EXPECT_EQ(l["reversals"], 0);
  EXPECT_EQ(l["net"], "30.00");
  EXPECT_EQ(term.rc(reversal(original, "0401")), "00");
  EXPECT_EQ(ledger()["net"], "0.00");
  EXPECT_EQ(
      sql_row("SELECT rc, applied, reason FROM reversals ORDER BY id LIMIT 1"),
      (std::vector<std::string>{"64", "0", "field 4 (amount) 0.30 is not the original's 30.00"}));

  HttpClient admin(admin_);
  auto r = admin.get("/admin/evidence?tid=TERM0001&since=" + std::to_string(since));
  ASSERT_EQ(r.status, 200u) << r.body;
  json e = r.j();
  ASSERT_EQ(e["transactions"].size(), 1u) << e.dump(1);
  const json& t = e["transactions"][0];
  EXPECT_EQ(t["stan"], "000020");
  EXPECT_EQ(t["amount"], "30.00");
  EXPECT_EQ(t["currency"], "978");
  EXPECT_EQ(t["status"], "reversed");
  EXPECT_EQ(t["net"], "0.00");
  EXPECT_EQ(t["reversals_applied"], 1);
  ASSERT_EQ(t["reversals"].size(), 4u);
  EXPECT_EQ(t["reversals"][1]["currency"], "840");
  EXPECT_EQ(t["reversals"][2]["reason"], "field 11 (STAN) 000021 is not the original's 000020");
  EXPECT_EQ(t["reversals"][3]["applied"], true);
  EXPECT_EQ(e["messages"].size(), 5u);
  EXPECT_EQ(e["totals"]["reversals_refused"], 3);
}

TEST_F(VhostTest, ReversalOfUnknownOriginalAnswers25AndIsRecorded) {
  IsoClient term(iso_);
  EXPECT_EQ(term.rc(reversal(sale("visa-chip", "000500", 100))), "25");
  EXPECT_EQ(sql_row("SELECT rc, applied FROM reversals WHERE original_stan = '000500'"),
            (std::vector<std::string>{"25", "0"}));
}

TEST_F(VhostTest, ManyTerminalsAtOnceAndBadBytesDoNotHurt) {
  IsoClient a(iso_);
  IsoClient b(iso_);
  iso::Message sale_a = sale("visa-chip", "000001", 100, false, "", "TERMA001");
  iso::Message sale_b = sale("mag-only", "000001", 200, false, "", "TERMB001");
  a.send(sale_a);
  b.send(sale_b);
  auto ra = a.receive();
  auto rb = b.receive();
  ASSERT_TRUE(ra && rb);
  EXPECT_EQ(ra->get(41), "TERMA001");
  EXPECT_EQ(rb->get(41), "TERMB001");
  EXPECT_EQ(ra->get(39), "00");
  EXPECT_EQ(rb->get(39), "00");
  // Garbage in a valid frame: logged, not answered, and the connection goes on.
  const std::string garbage = "02XXnot an ISO message";
  a.send_raw(iso::frame(garbage));
  EXPECT_EQ(a.rc(sale("visa-chip", "000002", 100, false, "", "TERMA001")), "00");
  HttpClient admin(admin_);
  auto messages = admin.get("/admin/messages").j();
  bool noted = false;
  for (const auto& m : messages["messages"]) {
    std::string text = m["text"];
    if (text.find("undecodable message of " + std::to_string(garbage.size()) + " bytes") !=
        std::string::npos) {
      noted = true;
    }
    EXPECT_EQ(text.find(cards_.at("visa-chip").pan), std::string::npos) << text;
  }
  EXPECT_TRUE(noted);
}

TEST_F(VhostTest, ScriptedDeclineOnlyForTheNextOne) {
  script(R"({"target":"iso","action":"decline","rc":"05","count":1})");
  IsoClient term(iso_);
  EXPECT_EQ(term.rc(sale("visa-chip", "000001", 100)), "05");
  EXPECT_EQ(term.rc(sale("visa-chip", "000002", 100)), "00");
  EXPECT_EQ(ledger()["declines"], 1);
}

TEST_F(VhostTest, ScriptedDelayHoldsTheAnswerBack) {
  script(R"({"target":"iso","action":"delay","ms":400,"count":1})");
  IsoClient term(iso_);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(term.rc(sale("visa-chip", "000001", 100)), "00");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 400ms);
}

TEST_F(VhostTest, ScriptedNoResponseTimesOutThenTheReversalApplies) {
  script(R"({"target":"iso","action":"no_response","count":1})");
  IsoClient term(iso_);
  iso::Message lost = sale("visa-chip", "000001", 10000);
  term.send(lost);
  EXPECT_FALSE(term.receive(300ms).has_value());  // the terminal's response timeout
  EXPECT_EQ(ledger()["debits"], 1);               // approved at the host, answer lost
  EXPECT_EQ(term.rc(reversal(lost)), "00");       // DOMAIN rule 1: reversal before new work
  json l = ledger();
  EXPECT_EQ(l["net"], "0.00");
  EXPECT_EQ(l["reversals"], 1);
}

TEST_F(VhostTest, RefusedReversalsAreResentUntilApplied) {
  IsoClient term(iso_);
  iso::Message original = sale("visa-chip", "000001", 700);
  EXPECT_EQ(term.rc(original), "00");
  script(R"({"target":"iso","action":"refuse_reversal","count":2})");
  term.send(reversal(original));
  EXPECT_FALSE(term.receive(300ms).has_value());
  term.send(reversal(original, "0401"));
  EXPECT_FALSE(term.receive(300ms).has_value());
  EXPECT_EQ(ledger()["reversals"], 0);
  EXPECT_EQ(term.rc(reversal(original, "0401")), "00");
  EXPECT_EQ(ledger()["reversals"], 1);
  EXPECT_EQ(ledger()["net"], "0.00");
}

TEST_F(VhostTest, WalletMicropayPaysOnceForOneOrderNumber) {
  HttpClient wallet(wallet_);
  w::MicropayRequest m{"ORDER-1", "134567890123456789", 2000, "TERM0001", ""};
  auto first = wallet.post("/micropay", w::encode(m));
  ASSERT_EQ(first.status, 200u);
  auto r1 = w::decode_micropay_response(first.body);
  ASSERT_TRUE(r1.ok) << r1.error;
  EXPECT_EQ(r1.value.result, w::Result::success);
  auto second = w::decode_micropay_response(wallet.post("/micropay", w::encode(m)).body);
  EXPECT_EQ(second.value.result, w::Result::success);
  EXPECT_EQ(second.value.transaction_id, r1.value.transaction_id);
  json l = ledger();
  EXPECT_EQ(l["wallet_payments"], 1);
  EXPECT_EQ(l["wallet_net"], "20.00");
  EXPECT_EQ(sql_row("SELECT COUNT(*), state FROM wallet_orders"),
            (std::vector<std::string>{"1", "SUCCESS"}));
}

TEST_F(VhostTest, WalletInvalidCodeAndMalformedJson) {
  HttpClient wallet(wallet_);
  w::MicropayRequest m{"ORDER-2", "123", 100, "", ""};
  auto r = w::decode_micropay_response(wallet.post("/micropay", w::encode(m)).body);
  EXPECT_EQ(r.value.result, w::Result::fail);
  EXPECT_EQ(r.value.err_code, "AUTH_CODE_INVALID");
  auto bad = wallet.post("/micropay", "{\"out_trade_no\":");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(bad.j()["error"].get<std::string>().rfind("invalid JSON: ", 0), 0u) << bad.body;
  auto missing = wallet.post("/micropay", R"({"out_trade_no":"A","amount":"1.00"})");
  EXPECT_EQ(missing.status, 400u);
  EXPECT_EQ(missing.j()["error"], "missing field 'auth_code'");
  EXPECT_EQ(sql_row("SELECT COUNT(*) FROM wallet_orders"), (std::vector<std::string>{"0"}));
}

TEST_F(VhostTest, WalletUserpayingTurnsSuccessAfterTheScaledTime) {
  // 20 s scripted x time scale 0.05 = 1 s.
  script(R"({"target":"wallet","action":"userpaying","seconds":20,"count":1})");
  HttpClient wallet(wallet_);
  HttpClient admin(admin_);
  const auto start = std::chrono::steady_clock::now();
  w::MicropayRequest m{"ORDER-3", "284567890123456789", 1500, "TERM0001", ""};
  auto r = w::decode_micropay_response(wallet.post("/micropay", w::encode(m)).body);
  EXPECT_EQ(r.value.result, w::Result::userpaying);
  auto q = w::decode_order_query_response(
      wallet.post("/orderquery", w::encode(w::OrderQueryRequest{"ORDER-3"})).body);
  EXPECT_EQ(q.value.trade_state, w::TradeState::userpaying);
  // Long-poll the message log for the order's change instead of querying in a loop.
  std::int64_t since = admin.get("/admin/messages?limit=1").j()["last"];
  bool turned = false;
  const auto deadline = start + 15s;
  while (!turned && std::chrono::steady_clock::now() < deadline) {
    auto page = admin.get("/admin/messages?wait_ms=5000&since=" + std::to_string(since)).j();
    for (const auto& msg : page["messages"]) {
      if (msg["text"] == "order ORDER-3 turned SUCCESS") turned = true;
    }
    since = page["last"];
  }
  ASSERT_TRUE(turned);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 1000ms);
  EXPECT_LT(elapsed, 10s);  // scaled: the unscaled 20 s would be far beyond this
  q = w::decode_order_query_response(
      wallet.post("/orderquery", w::encode(w::OrderQueryRequest{"ORDER-3"})).body);
  EXPECT_EQ(q.value.trade_state, w::TradeState::success);
  EXPECT_EQ(ledger()["wallet_payments"], 1);
}

TEST_F(VhostTest, WalletReverseRevokesAndRefusalsAreScripted) {
  HttpClient wallet(wallet_);
  w::MicropayRequest m{"ORDER-4", "134567890123456789", 900, "TERM0001", ""};
  wallet.post("/micropay", w::encode(m));
  script(R"({"target":"wallet","action":"reverse_fail","count":1})");
  auto failed = w::decode_reverse_response(
      wallet.post("/reverse", w::encode(w::ReverseRequest{"ORDER-4"})).body);
  EXPECT_EQ(failed.value.result, w::ReverseResult::fail);
  EXPECT_TRUE(failed.value.recall);
  auto ok = w::decode_reverse_response(
      wallet.post("/reverse", w::encode(w::ReverseRequest{"ORDER-4"})).body);
  EXPECT_EQ(ok.value.result, w::ReverseResult::success);
  auto q = w::decode_order_query_response(
      wallet.post("/orderquery", w::encode(w::OrderQueryRequest{"ORDER-4"})).body);
  EXPECT_EQ(q.value.trade_state, w::TradeState::revoked);
  EXPECT_EQ(ledger()["wallet_payments"], 0);
}

TEST_F(VhostTest, WalletNoResponseLeavesTheClientWaiting) {
  script(R"({"target":"wallet","action":"no_response","count":1})");
  HttpClient wallet(wallet_);
  w::MicropayRequest m{"ORDER-5", "134567890123456789", 100, "", ""};
  auto r = wallet.post("/micropay", w::encode(m), 300ms);
  EXPECT_TRUE(r.timed_out);
  HttpClient other(wallet_);  // the terminal queries on a new connection (DOMAIN rule 13)
  auto q = w::decode_order_query_response(
      other.post("/orderquery", w::encode(w::OrderQueryRequest{"ORDER-5"})).body);
  EXPECT_EQ(q.value.trade_state, w::TradeState::success);  // applied: paid, answer lost
}

TEST_F(VhostTest, SigtermEndsWithCodeZeroAndTheLedgerSurvives) {
  IsoClient term(iso_);
  EXPECT_EQ(term.rc(sale("visa-chip", "000001", 100)), "00");
  auto exit = vhost_->stop(10s);
  EXPECT_TRUE(exit.exited());
  EXPECT_EQ(exit.code, 0);
  vhost_.reset();
  EXPECT_EQ(sql_row("SELECT debits FROM terminal_summary WHERE tid = 'TERM0001'"),
            (std::vector<std::string>{"1"}));
}

TEST(VhostProcess, TokenIsRequiredBeyondLoopbackAndChecked) {
  TempDir dir;
  auto bad = rig::process::run(std::vector<std::string>{kVhost, "--db", dir.file("a.db"), "--cards",
                                                        kCards, "--admin", "0.0.0.0:0"},
                               rig::process::after(20s));
  ASSERT_TRUE(bad.status.ok()) << bad.status.message;
  EXPECT_EQ(bad.exit.code, 2);
  EXPECT_NE(bad.text(rig::process::Stream::err)
                .find("vhost: --admin 0.0.0.0:0 listens beyond loopback; give --token T"),
            std::string::npos)
      << bad.text();

  rig::process::Spec spec;
  spec.argv = {kVhost, "--db", dir.file("b.db"), "--cards", kCards, "--token", "s3cret"};
  spec.name = "vhost";
  rig::process::Child child(spec);
  ASSERT_TRUE(child.start().ok());
  auto ready = child.wait_for_line(std::regex("^READY "), rig::process::after(20s));
  ASSERT_TRUE(ready.status.ok()) << ready.status.message;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(ready.line.text, m, std::regex(R"(admin=(\S+))")));
  HttpClient anonymous(m[1]);
  auto refused = anonymous.get("/admin/health");
  EXPECT_EQ(refused.status, 401u);
  EXPECT_EQ(refused.j()["error"], "missing or wrong bearer token");
  HttpClient wrong(m[1], "guess");
  EXPECT_EQ(wrong.get("/admin/health").status, 401u);
  HttpClient allowed(m[1], "s3cret");
  EXPECT_EQ(allowed.get("/admin/health").status, 200u);
  EXPECT_EQ(child.stop(10s).code, 0);
}

TEST(VhostProcess, BadArgumentsExit2AndBindFailuresExit3) {
  TempDir dir;
  auto usage = rig::process::run(std::vector<std::string>{kVhost, "--db", dir.file("a.db")},
                                 rig::process::after(20s));
  EXPECT_EQ(usage.exit.code, 2);
  EXPECT_NE(usage.text().find("vhost: missing --cards DIR"), std::string::npos) << usage.text();

  auto cards = rig::process::run(
      std::vector<std::string>{kVhost, "--db", dir.file("a.db"), "--cards", dir.file("none")},
      rig::process::after(20s));
  EXPECT_EQ(cards.exit.code, 2);
  EXPECT_NE(cards.text().find("cannot read card folder"), std::string::npos) << cards.text();

  rig::link::TcpListener taken;
  ASSERT_TRUE(taken.listen().ok());
  const std::string busy = "127.0.0.1:" + std::to_string(taken.port());
  auto bind = rig::process::run(
      std::vector<std::string>{kVhost, "--db", dir.file("b.db"), "--cards", kCards, "--iso", busy},
      rig::process::after(20s));
  EXPECT_EQ(bind.exit.code, 3);
  EXPECT_NE(bind.text().find("vhost: cannot listen on --iso " + busy + ": Address already in use"),
            std::string::npos)
      << bind.text();
}
