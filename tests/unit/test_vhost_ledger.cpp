// vhost's SQLite ledger (fixtures/sim/vhost/ledger.h): authorisations, reversals applied once,
// duplicates refused, the terminal_summary view, fees per merchant class, wallet orders, the
// one-writer lock.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "fixtures/sim/vhost/ledger.h"

using namespace rig::vhost;
using rig::protocol::wallet::TradeState;

namespace {

Authorisation sale(const std::string& tid, const std::string& stan, std::int64_t amount,
                   const std::string& status = "approved", const std::string& mid = "M1") {
  Authorisation a;
  a.tid = tid;
  a.mid = mid;
  a.stan = stan;
  a.rrn = "612345" + stan;
  a.auth_code = status == "approved" ? "000001" : "";
  a.masked_pan = "476173******0010";
  a.card = "visa-chip";
  a.amount_minor = amount;
  a.rc = status == "approved" ? "00" : "51";
  a.status = status;
  return a;
}

// Applies and records a reversal the way the acquirer does.
ReversalOutcome reverse(Ledger& l, const std::string& tid, const std::string& stan) {
  auto r = l.apply_reversal(tid, stan);
  Reversal row;
  row.tid = tid;
  row.stan = stan;
  row.original_stan = stan;
  row.mti = "0400";
  row.rc = r.outcome == ReversalOutcome::not_found ? "25" : "00";
  row.applied = r.outcome == ReversalOutcome::applied;
  l.record_reversal(row);
  return r.outcome;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vhost-ledger-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace

TEST(VhostLedger, ApprovedSaleCountsInTheSummaryWithItsFee) {
  Ledger l(":memory:");
  Authorisation a = sale("T1", "000001", 10000);
  l.record_authorisation(a);
  EXPECT_GT(a.id, 0);
  EXPECT_EQ(a.created_at.size(), 24u) << a.created_at;  // 2026-01-02T03:04:05.678Z
  auto s = l.summary("T1");
  EXPECT_EQ(s.tid, "T1");
  EXPECT_EQ(s.net_minor, 10000);
  EXPECT_EQ(s.debits, 1);
  EXPECT_EQ(s.reversals, 0);
  EXPECT_EQ(s.declines, 0);
  EXPECT_EQ(s.fees_minor, 60);  // 0.60 % of 100.00
  EXPECT_EQ(l.card_net_debits("visa-chip"), 10000);
  auto found = l.find_authorisation("T1", "000001");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->masked_pan, "476173******0010");
  EXPECT_EQ(found->status, "approved");
}

TEST(VhostLedger, DuplicateTerminalAndStanIsRefused) {
  Ledger l(":memory:");
  Authorisation a = sale("T1", "000001", 100);
  l.record_authorisation(a);
  Authorisation again = sale("T1", "000001", 100);
  EXPECT_THROW(l.record_authorisation(again), LedgerError);
  Authorisation other_terminal = sale("T2", "000001", 100);
  EXPECT_NO_THROW(l.record_authorisation(other_terminal));
  EXPECT_EQ(l.summary("T1").debits, 1);
}

TEST(VhostLedger, ReversalAppliesOnceAndCreditsBack) {
  Ledger l(":memory:");
  Authorisation big = sale("T1", "000001", 10000);
  Authorisation small = sale("T1", "000002", 100);
  l.record_authorisation(big);
  l.record_authorisation(small);
  EXPECT_EQ(reverse(l, "T1", "000001"), ReversalOutcome::applied);
  EXPECT_EQ(reverse(l, "T1", "000001"), ReversalOutcome::already_reversed);
  EXPECT_EQ(reverse(l, "T1", "000099"), ReversalOutcome::not_found);
  auto s = l.summary("T1");
  EXPECT_EQ(s.net_minor, 100);
  EXPECT_EQ(s.debits, 1);
  EXPECT_EQ(s.reversals, 1);
  EXPECT_EQ(s.fees_minor, 1);  // only the 1.00 sale's fee stands (0.006 rounds to 0.01)
  EXPECT_EQ(l.card_net_debits("visa-chip"), 100);
  auto original = l.find_authorisation("T1", "000001");
  EXPECT_EQ(original->status, "reversed");
  EXPECT_FALSE(original->reversed_at.empty());
  auto rows = l.reversals("T1");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_TRUE(rows[0].applied);
  EXPECT_FALSE(rows[1].applied);
  EXPECT_EQ(rows[2].rc, "25");
}

TEST(VhostLedger, DeclinesRefundsAndUnansweredReversals) {
  Ledger l(":memory:");
  Authorisation declined = sale("T1", "000001", 5000, "declined");
  l.record_authorisation(declined);
  EXPECT_EQ(reverse(l, "T1", "000001"), ReversalOutcome::original_declined);
  Authorisation refund = sale("T1", "000002", 300);
  refund.kind = "refund";
  l.record_authorisation(refund);
  Reversal unanswered;
  unanswered.tid = "T1";
  unanswered.stan = unanswered.original_stan = "000002";
  unanswered.mti = "0400";
  l.record_reversal(unanswered);
  auto s = l.summary("T1");
  EXPECT_EQ(s.declines, 1);
  EXPECT_EQ(s.refunds, 1);
  EXPECT_EQ(s.net_minor, -300);
  EXPECT_EQ(s.debits, 0);
  EXPECT_EQ(s.reversals, 0);
  EXPECT_EQ(s.fees_minor, 0);  // no fee on declines or refunds
  EXPECT_FALSE(l.reversals("T1").back().rc.has_value());
}

TEST(VhostLedger, FeeRatesAndRounding) {
  EXPECT_EQ(fee_rate_bp(FeeClass::standard), 60);
  EXPECT_EQ(fee_rate_bp(FeeClass::preferential), 38);
  EXPECT_EQ(fee_rate_bp(FeeClass::public_welfare), 0);
  EXPECT_EQ(fee_minor(10000, 60), 60);
  EXPECT_EQ(fee_minor(100, 38), 0);     // 0.0038 rounds down
  EXPECT_EQ(fee_minor(200, 38), 1);     // 0.0076 rounds up
  EXPECT_EQ(fee_minor(12500, 38), 48);  // 0.475 rounds up (half up)
  EXPECT_EQ(parse_fee_class("public_welfare"), FeeClass::public_welfare);
  EXPECT_FALSE(parse_fee_class("gold").has_value());
}

TEST(VhostLedger, FeesFollowTheMerchantClass) {
  Ledger l(":memory:");
  l.set_fee_class("SUPERMARKET", FeeClass::preferential);
  l.set_fee_class("CHARITY", FeeClass::public_welfare);
  EXPECT_EQ(l.fee_class("CHARITY"), FeeClass::public_welfare);
  EXPECT_FALSE(l.fee_class("UNKNOWN").has_value());
  Authorisation std_sale = sale("T1", "000001", 10000, "approved", "SHOP");
  Authorisation pref_sale = sale("T1", "000002", 10000, "approved", "SUPERMARKET");
  Authorisation welfare_sale = sale("T1", "000003", 10000, "approved", "CHARITY");
  l.record_authorisation(std_sale);
  l.record_authorisation(pref_sale);
  l.record_authorisation(welfare_sale);
  auto fees = l.fees("T1");
  ASSERT_EQ(fees.size(), 3u);
  EXPECT_EQ(fees[0].fee_class, FeeClass::standard);
  EXPECT_EQ(fees[0].rate_bp, 60);
  EXPECT_EQ(fees[0].fee_minor, 60);
  EXPECT_EQ(fees[1].fee_class, FeeClass::preferential);
  EXPECT_EQ(fees[1].fee_minor, 38);
  EXPECT_EQ(fees[2].fee_class, FeeClass::public_welfare);
  EXPECT_EQ(fees[2].fee_minor, 0);
  EXPECT_EQ(l.summary("T1").fees_minor, 98);
  l.set_fee_class("SUPERMARKET", FeeClass::standard);  // changes later payments only
  EXPECT_EQ(l.fees("T1")[1].fee_minor, 38);
}

TEST(VhostLedger, WalletOrdersDefaultToPreferentialAndRevokeTheirFee) {
  Ledger l(":memory:");
  WalletOrder paid;
  paid.out_trade_no = "Q1";
  paid.tid = "T1";
  paid.amount_minor = 10000;
  paid.state = TradeState::success;
  paid.transaction_id = "4200X";
  l.insert_order(paid);
  WalletOrder waiting;
  waiting.out_trade_no = "Q2";
  waiting.tid = "T1";
  waiting.mid = "SHOP";
  waiting.amount_minor = 5000;
  waiting.state = TradeState::userpaying;
  l.insert_order(waiting);
  EXPECT_THROW(l.insert_order(waiting), LedgerError);
  l.set_fee_class("SHOP", FeeClass::standard);
  auto s = l.summary("T1");
  EXPECT_EQ(s.wallet_payments, 1);
  EXPECT_EQ(s.wallet_net_minor, 10000);
  EXPECT_EQ(s.fees_minor, 38);
  l.set_order_state("Q2", TradeState::success, "4200Y");
  auto q2 = l.find_order("Q2");
  EXPECT_EQ(q2->state, TradeState::success);
  EXPECT_EQ(q2->transaction_id, "4200Y");
  EXPECT_EQ(l.summary("T1").fees_minor, 38 + 30);  // Q2 at SHOP's standard 0.60 %
  l.set_order_state("Q1", TradeState::revoked);
  s = l.summary("T1");
  EXPECT_EQ(s.wallet_payments, 1);
  EXPECT_EQ(s.wallet_net_minor, 5000);
  EXPECT_EQ(s.fees_minor, 30);
  EXPECT_EQ(l.find_order("Q1")->transaction_id, "4200X");  // kept when not replaced
  EXPECT_THROW(l.set_order_state("NOPE", TradeState::closed), LedgerError);
}

TEST(VhostLedger, PinCountersAndResets) {
  Ledger l(":memory:");
  EXPECT_EQ(l.pin_failures("visa-chip"), 0);
  l.set_pin_failures("visa-chip", 2, "T1");
  l.set_pin_failures("visa-chip", 3, "T1");
  EXPECT_EQ(l.pin_failures("visa-chip"), 3);
  // A terminal's reset clears only the counters its requests changed last.
  l.set_pin_failures("mag-only", 1, "T2");
  l.clear_pin_counters("T2");
  EXPECT_EQ(l.pin_failures("mag-only"), 0);
  EXPECT_EQ(l.pin_failures("visa-chip"), 3);
  l.set_fee_class("SHOP", FeeClass::preferential);
  Authorisation a = sale("T1", "000001", 100);
  l.record_authorisation(a);
  l.clear_transactions();
  EXPECT_EQ(l.summary("T1").debits, 0);
  EXPECT_TRUE(l.summaries().empty());
  EXPECT_EQ(l.pin_failures("visa-chip"), 3);
  EXPECT_EQ(l.fee_class("SHOP"), FeeClass::preferential);  // configuration stays
  l.clear_pin_counters();
  EXPECT_EQ(l.pin_failures("visa-chip"), 0);
}

TEST(VhostLedger, UnknownTerminalHasZeroFigures) {
  Ledger l(":memory:");
  auto s = l.summary("NOBODY");
  EXPECT_EQ(s.tid, "NOBODY");
  EXPECT_EQ(s.net_minor, 0);
  EXPECT_EQ(s.debits, 0);
}

TEST(VhostLedger, FileIsWalReadableBySqliteAndHasOneWriter) {
  TempDir dir;
  const std::string path = dir.file("ledger.db");
  {
    Ledger l(path);
    Authorisation a = sale("T9", "000001", 250);
    l.record_authorisation(a);
    try {
      Ledger second(path);
      FAIL() << "a second writer was allowed";
    } catch (const LedgerError& e) {
      EXPECT_EQ(std::string(e.what()), "ledger " + path + " is in use by another vhost");
    }
    // A reader sees the committed row through the documented view while the writer is open.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT net_minor, debits, reversals, declines FROM "
                                 "terminal_summary WHERE tid = 'T9'",
                                 -1, &st, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int64(st, 0), 250);
    EXPECT_EQ(sqlite3_column_int64(st, 1), 1);
    sqlite3_finalize(st);
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
  }
  Ledger reopened(path);  // the lock went with the first writer; the data stayed
  EXPECT_EQ(reopened.summary("T9").net_minor, 250);
}

TEST(VhostLedger, RefusesAnotherSchemaVersionAndUnopenableFiles) {
  TempDir dir;
  const std::string path = dir.file("future.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "PRAGMA user_version = 7", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  try {
    Ledger l(path);
    FAIL() << "opened a ledger of schema version 7";
  } catch (const LedgerError& e) {
    EXPECT_EQ(std::string(e.what()), "ledger " + path + ": schema version 7 is not 3");
  }
  const std::string missing = dir.file("no/such/dir/x.db");
  try {
    Ledger l(missing);
    FAIL() << "opened a ledger in a missing folder";
  } catch (const LedgerError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("ledger " + missing + ": cannot create lock file: ", 0),
              0u)
        << e.what();
  }
}
