// vterm's receipt printer (DOMAIN rules 16-17): paper out while printing keeps the sale approved
// and prints the same receipt after reloading; a reprint is the last receipt, marked duplicate.
// Each rule on the correct terminal and with the --bug that breaks it.
#include "tests/integration/vterm_bench.h"

namespace vterm_it {
namespace {

class VtermPrinter : public CorrectOrBuggy {
 protected:
  // The slips receipts.get reports for `id`.
  std::vector<json> slips(const std::string& id) {
    std::vector<json> out;
    const json reply = ctl({{"cmd", "receipts.get"}});
    for (const auto& r : reply["receipts"]) {
      if (r["id"] == id) out.push_back(r);
    }
    return out;
  }
};

// Rule 16: the paper runs out in the middle of the receipt.
TEST_P(VtermPrinter, Rule16PaperOutKeepsTheSaleAndReprintsTheSameReceipt) {
  start_with("receipt-lost-on-paper-out");
  ctl({{"cmd", "printer.paper"}, {"state", "low"}, {"lines_left", 3}});
  const std::size_t from = ecr().mark();
  Message r = card_sale("T1", "9.00");
  EXPECT_EQ(r.get("status"), "APPROVED") << "paper out does not undo the sale";
  expect(is_event("PAPER_OUT"), "PAPER_OUT", from);
  expect_prompt("RELOAD_PAPER", from);
  EXPECT_EQ(ecr().count(is_receipt("T1"), from), 0u) << "a torn slip is not a receipt";
  EXPECT_EQ(ledger()["debits"], 1);
  auto torn = slips("T1");
  ASSERT_EQ(torn.size(), 1u);
  EXPECT_EQ(torn[0]["complete"], false);

  const std::size_t reload = ecr().mark();
  ctl({{"cmd", "printer.paper"}, {"state", "ok"}});
  expect(is_event("PAPER_LOADED"), "PAPER_LOADED", reload);
  if (!buggy()) {
    Message slip = expect(is_receipt("T1"), "RECEIPT T1 after reloading", reload);
    EXPECT_EQ(slip.get("copy"), "original");
    auto all = slips("T1");
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[1]["complete"], true);
    EXPECT_NE(all[1]["text"].get<std::string>().find("AMOUNT 9.00 156"), std::string::npos);
  } else {
    EXPECT_TRUE(absent(is_receipt("T1"), reload)) << "the defect printed the receipt";
    EXPECT_EQ(slips("T1").size(), 1u);
  }
}

// Rule 17: REPRINT prints the last receipt only, marked as a duplicate.
TEST_P(VtermPrinter, Rule17ReprintIsTheLastReceiptMarkedDuplicate) {
  start_with("reprint-not-marked");
  ASSERT_EQ(card_sale("T1", "1.00").get("status"), "APPROVED");
  ASSERT_EQ(card_sale("T2", "2.00").get("status"), "APPROVED");
  const std::size_t from = ecr().mark();
  command("REPRINT", "R1");
  Message slip =
      expect([](const Message& m) { return m.name == "RECEIPT" && m.get("ref") == "R1"; },
             "RECEIPT for REPRINT", from);
  EXPECT_EQ(slip.get("id"), "T2") << "the last receipt only";
  const std::string text = slip.get("text").value_or("");
  EXPECT_NE(text.find("AMOUNT 2.00"), std::string::npos);
  auto printed = slips("T2");
  ASSERT_EQ(printed.size(), 2u);
  if (!buggy()) {
    EXPECT_EQ(slip.get("copy"), "duplicate");
    EXPECT_EQ(text.rfind("*** DUPLICATE COPY ***", 0), 0u) << text;
    EXPECT_EQ(printed[1]["copy"], "duplicate");
  } else {
    EXPECT_EQ(slip.get("copy"), "original") << "the defect prints a second original";
    EXPECT_EQ(text.find("DUPLICATE"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(CorrectAndBuggy, VtermPrinter, ::testing::Values(false, true), correct_or_bug);

class VtermPrinterPlain : public VBench {};

// A reprint held at paper out keeps its ref when it prints after reloading (docs/ecr-protocol.md
// §5 REPRINT): the cash register matches it to its REPRINT.
TEST_F(VtermPrinterPlain, ReprintHeldAtPaperOutKeepsItsRef) {
  start();
  ASSERT_EQ(card_sale("T1", "3.00").get("status"), "APPROVED");
  ctl({{"cmd", "printer.paper"}, {"state", "out"}});
  const std::size_t from = ecr().mark();
  command("REPRINT", "R1");
  expect(is_event("PAPER_OUT"), "PAPER_OUT", from);
  ctl({{"cmd", "printer.paper"}, {"state", "ok"}});
  Message slip = expect(is_receipt("T1"), "RECEIPT T1 after reloading", from);
  EXPECT_EQ(slip.get("copy"), "duplicate");
  EXPECT_EQ(slip.get("ref"), "R1");
}

TEST_F(VtermPrinterPlain, Rule17NothingToReprintIsRefused) {
  start();
  const std::size_t from = ecr().mark();
  command("REPRINT", "R1");
  Message r = result("R1", from);
  EXPECT_EQ(r.get("status"), "FAILED");
  EXPECT_EQ(r.get("rc"), "NF");
}

}  // namespace
}  // namespace vterm_it
