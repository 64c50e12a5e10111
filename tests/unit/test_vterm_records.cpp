// vterm's records (fixtures/sim/vterm/records.h): transaction records and the RESULT built from
// them, the transaction log, reversal records and the ISO 8583 reversal built from them.
#include <gtest/gtest.h>

#include "fixtures/sim/vterm/records.h"

namespace vterm {
namespace {

namespace iso = rig::protocol::iso8583;

TxnRecord approved() {
  TxnRecord r;
  r.id = "T1";
  r.amount = "12.34";
  r.currency = "156";
  r.running = false;
  r.online = true;
  r.status = "APPROVED";
  r.rc = "00";
  r.stan = "000042";
  r.rrn = "632602000042";
  r.auth = "A1B2C3";
  r.entry = "chip";
  r.pan = "476173******0010";
  r.text = "APPROVED";
  r.receipt = {"LINE 1", "LINE|2"};
  return r;
}

TEST(VtermRecords, ResultMessageHasTheDocumentedFieldsInOrder) {
  auto m = result_message(approved(), "L1");
  std::vector<std::string> keys;
  for (const auto& [k, v] : m.fields) keys.push_back(k);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"id", "status", "rc", "ref", "type", "stan", "rrn", "auth",
                                      "amount", "currency", "method", "entry", "pan", "text"}));
  EXPECT_EQ(m.name, "RESULT");
  EXPECT_EQ(m.get("ref"), "L1");
}

TEST(VtermRecords, RunningRecordAnswersInProgress) {
  TxnRecord r = approved();
  r.running = true;
  auto m = result_message(r);
  EXPECT_EQ(m.get("status"), "UNKNOWN");
  EXPECT_EQ(m.get("rc"), "IP");
  EXPECT_EQ(m.get("text"), "in progress");
  EXPECT_FALSE(m.has("ref"));
}

TEST(VtermRecords, RecordRoundTripsThroughJson) {
  TxnRecord r = approved();
  r.order = "VTERM001-1-0001";
  r.manual_handling = true;
  EXPECT_EQ(txn_from_json(to_json(r)), r);
  EXPECT_THROW(txn_from_json(nlohmann::json{{"id", 7}}), std::invalid_argument);
  EXPECT_THROW(txn_from_json(nlohmann::json::array()), std::invalid_argument);
}

TEST(VtermRecords, RefusalCarriesTheLocalCode) {
  auto m = refusal("X1", "BZ", "busy with T1");
  EXPECT_EQ(m.get("status"), "FAILED");
  EXPECT_EQ(m.get("rc"), "BZ");
  EXPECT_EQ(m.get("text"), "busy with T1");
  EXPECT_FALSE(refusal("", "IV", "missing field id").has("id"));
}

TEST(VtermRecords, LogKeepsTheNewestAndReplacesById) {
  nlohmann::json log;
  for (int i = 0; i < 5; ++i) {
    TxnRecord r = approved();
    r.id = "T" + std::to_string(i);
    log_upsert(log, r, 3);
  }
  ASSERT_EQ(log.size(), 3u);
  EXPECT_FALSE(log_find(log, "T1").has_value());
  EXPECT_TRUE(log_find(log, "T4").has_value());
  TxnRecord again = approved();
  again.id = "T2";
  again.status = "FAILED";
  log_upsert(log, again, 3);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log.back()["id"], "T2");
  EXPECT_EQ(log_find(log, "T2")->status, "FAILED");
}

ReversalRecord reversal() {
  ReversalRecord r;
  r.id = "T1";
  r.stan = "000042";
  r.transmission = "0612143005";
  r.processing = "000000";
  r.amount = "000000001234";
  r.currency = "156";
  r.state = ReversalRecord::State::pending;
  return r;
}

TEST(VtermRecords, ReversalRoundTripsAndRejectsBadRecords) {
  ReversalRecord r = reversal();
  r.tries = 2;
  EXPECT_EQ(reversal_from_json(to_json(r)), r);
  auto j = to_json(r);
  j["state"] = "failed";
  EXPECT_THROW(reversal_from_json(j), std::invalid_argument);
  j = to_json(r);
  j["tries"] = -1;
  EXPECT_THROW(reversal_from_json(j), std::invalid_argument);
}

TEST(VtermRecords, FirstReversalIs0400ThenRepeatsAre0401WithTheSameStanAnd90) {
  ReversalRecord r = reversal();
  iso::Message first = build_reversal(r, "VTERM001", "MERCHANT0000001", "0612143100");
  EXPECT_EQ(first.mti, "0400");
  EXPECT_EQ(first.get(11), "000042");
  EXPECT_EQ(first.get(39), "98");
  EXPECT_EQ(first.get(7), "0612143100");
  EXPECT_EQ(first.get(90), "0200000042061214300500000000000" + std::string(11, '0'));
  r.tries = 1;
  iso::Message repeat = build_reversal(r, "VTERM001", "MERCHANT0000001", "0612143200");
  EXPECT_EQ(repeat.mti, "0401");
  EXPECT_EQ(repeat.get(11), first.get(11));
  EXPECT_EQ(repeat.get(90), first.get(90));
  EXPECT_TRUE(iso::try_encode(repeat).ok) << iso::try_encode(repeat).error;
  // The fields-90-wrong defect names the next STAN.
  iso::Message wrong = build_reversal(r, "VTERM001", "MERCHANT0000001", "0612143200", true);
  EXPECT_EQ(wrong.get(90).substr(0, 10), "0200000043");
}

TEST(VtermRecords, StanTextWrapsAfter999999) {
  EXPECT_EQ(next_stan_text("000001"), "000002");
  EXPECT_EQ(next_stan_text("999999"), "000001");
  EXPECT_EQ(pad_right("TERM1", 8), "TERM1   ");
  EXPECT_EQ(pad_right("MERCHANT00000012", 15), "MERCHANT0000001");
}

TEST(VtermRecords, ReceiptLinesAndTextsAreEcrSafe) {
  TxnRecord r = approved();
  auto lines = receipt_lines(r, {"VTERM001", "M1", "2026-01-01 10:00:00"});
  EXPECT_EQ(lines.front(), "POSRIG VIRTUAL TERMINAL");
  EXPECT_NE(std::find(lines.begin(), lines.end(), "CARD 476173******0010 chip"), lines.end());
  EXPECT_EQ(join_lines({"A|B", "C\n"}), "A/B|C?");
  EXPECT_EQ(response_meaning("51"), "INSUFFICIENT FUNDS");
  EXPECT_EQ(response_meaning("54"), "EXPIRED CARD");
  EXPECT_EQ(response_meaning("62"), "RESTRICTED CARD");
  EXPECT_EQ(response_meaning("77"), "DECLINED");
}

}  // namespace
}  // namespace vterm
