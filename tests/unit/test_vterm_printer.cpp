// The virtual receipt printer: paper states, paper out before and in the middle of a receipt,
// and the same receipt printed in full after a reload (DOMAIN rule 16).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "fixtures/sim/vterm/printer.h"

namespace vterm {
namespace {

using namespace std::chrono_literals;

Receipt sale_receipt(const std::string& id, Copy copy = Copy::original) {
  return {id,
          copy,
          {"POSRIG TEST MERCHANT", "SALE", "CARD 476173******0010", "AMOUNT 100.00",
           "APPROVED 123456", "THANK YOU"}};
}

std::string text_of(const Receipt& r) {
  std::string out;
  for (const auto& l : r.lines) out += l + "\n";
  return out;
}

TEST(Printer, NamesParseAndPrint) {
  EXPECT_EQ(parse_paper_state("low"), PaperState::low);
  EXPECT_EQ(parse_paper_state("empty"), std::nullopt);
  EXPECT_EQ(parse_copy("duplicate"), Copy::duplicate);
  EXPECT_STREQ(to_string(PrintStatus::paper_out), "paper_out");
}

TEST(Printer, PrintsWithPaperOkOrLowAndLogsInOrder) {
  Printer p;
  EXPECT_EQ(p.paper(), PaperState::ok);
  EXPECT_EQ(p.print(sale_receipt("T1")), PrintStatus::printed);
  p.set_paper(PaperState::low);
  EXPECT_EQ(p.print(sale_receipt("T1", Copy::duplicate)), PrintStatus::printed);
  EXPECT_EQ(p.paper(), PaperState::low);
  const auto log = p.receipts();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].id, "T1");
  EXPECT_EQ(log[0].copy, Copy::original);
  EXPECT_EQ(log[1].copy, Copy::duplicate);
  EXPECT_EQ(log[0].text, text_of(sale_receipt("T1")));
  EXPECT_TRUE(log[0].complete);
  EXPECT_LE(log[0].at, log[1].at);
  EXPECT_GT(monotonic_ms(log[1].at), 0);
  EXPECT_FALSE(p.pending().has_value());
  p.clear_receipts();
  EXPECT_TRUE(p.receipts().empty());
}

TEST(Printer, PaperOutHoldsTheReceiptUntilReload) {
  Printer p;
  p.set_paper(PaperState::out);
  EXPECT_EQ(p.print(sale_receipt("T2")), PrintStatus::paper_out);
  EXPECT_TRUE(p.receipts().empty());  // nothing came out
  ASSERT_TRUE(p.pending().has_value());
  EXPECT_EQ(p.pending()->id, "T2");
  EXPECT_EQ(p.reprint_pending(), PrintStatus::paper_out);  // still no paper

  p.set_paper(PaperState::ok);
  EXPECT_EQ(p.reprint_pending(), PrintStatus::printed);
  EXPECT_FALSE(p.pending().has_value());
  ASSERT_EQ(p.receipts().size(), 1u);
  EXPECT_EQ(p.receipts()[0].text, text_of(sale_receipt("T2")));
  EXPECT_EQ(p.reprint_pending(), PrintStatus::nothing_pending);
}

TEST(Printer, PaperRunsOutMidReceiptThenTheSameReceiptPrintsInFull) {
  Printer p;
  p.set_paper(PaperState::low, 3);  // the roll ends after 3 more lines
  const Receipt r = sale_receipt("T3");
  EXPECT_EQ(p.print(r), PrintStatus::paper_out);
  EXPECT_EQ(p.paper(), PaperState::out);

  auto log = p.receipts();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_FALSE(log[0].complete);
  EXPECT_EQ(log[0].text, "POSRIG TEST MERCHANT\nSALE\nCARD 476173******0010\n");
  ASSERT_TRUE(p.pending().has_value());
  EXPECT_EQ(p.pending()->lines, r.lines);

  p.set_paper(PaperState::ok);
  EXPECT_EQ(p.reprint_pending(), PrintStatus::printed);
  log = p.receipts();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_TRUE(log[1].complete);
  EXPECT_EQ(log[1].id, "T3");
  EXPECT_EQ(log[1].copy, Copy::original);
  EXPECT_EQ(log[1].text, text_of(r));
}

TEST(Printer, RollEndingOnTheLastLineCompletesTheReceipt) {
  Printer p;
  p.set_paper(PaperState::low, 6);
  EXPECT_EQ(p.print(sale_receipt("T4")), PrintStatus::printed);
  EXPECT_EQ(p.paper(), PaperState::out);
  EXPECT_EQ(p.print(sale_receipt("T5")), PrintStatus::paper_out);
  EXPECT_EQ(p.pending()->id, "T5");
  p.drop_pending();
  EXPECT_FALSE(p.pending().has_value());
}

TEST(Printer, RejectsBadPaperSettings) {
  Printer p;
  EXPECT_THROW(p.set_paper(PaperState::ok, 3), std::invalid_argument);
  EXPECT_THROW(p.set_paper(PaperState::low, -1), std::invalid_argument);
  p.set_paper(PaperState::low, 0);
  EXPECT_EQ(p.paper(), PaperState::out);
}

TEST(Printer, PaperOutCutsASlowLineShort) {
  Printer p;
  p.set_line_time(30s);  // a line would take 30 s: only the paper-out event can end it early
  std::thread relay([&] { p.set_paper(PaperState::out); });
  const auto t0 = Clock::now();
  EXPECT_EQ(p.print(sale_receipt("T6")), PrintStatus::paper_out);
  relay.join();
  EXPECT_LT(Clock::now() - t0, 20s);
  EXPECT_EQ(p.pending()->id, "T6");
}

TEST(Printer, WaitForPaperLoaded) {
  Printer p;
  EXPECT_EQ(p.wait_paper_loaded(after(0ms)), WaitStatus::ok);
  p.set_paper(PaperState::out);
  const auto t0 = Clock::now();
  EXPECT_EQ(p.wait_paper_loaded(after(30ms)), WaitStatus::timeout);
  EXPECT_GE(Clock::now() - t0, 30ms);

  std::thread relay([&] { p.set_paper(PaperState::low); });
  EXPECT_EQ(p.wait_paper_loaded(after(10s)), WaitStatus::ok);
  relay.join();

  p.set_paper(PaperState::out);
  std::thread power([&] { p.interrupt(); });
  EXPECT_EQ(p.wait_paper_loaded(after(10s)), WaitStatus::interrupted);
  power.join();
  p.resume();
}

}  // namespace
}  // namespace vterm
