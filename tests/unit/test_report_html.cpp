// report.html: self-contained, failures first, the run header tells a run with --var from a
// clean one, each scenario's detail travels as JSON that cannot break out of its block. (The
// page's script is exercised in Chromium by tests/integration/test_report_pages.cpp.)
#include <gtest/gtest.h>

#include <regex>

#include "report_test_util.h"
#include "rig/report/html.h"

namespace {

using namespace report_test;

TEST(Html, SelfContained) {
  std::string h = rig::report::to_html(sample_run());
  EXPECT_EQ(h.rfind("<!doctype html>", 0), 0u);
  // Nothing is loaded: no src= or href= at all, no url( in the style, a CSP that forbids it.
  EXPECT_EQ(h.find(" src="), std::string::npos);
  EXPECT_EQ(h.find(" href="), std::string::npos);
  EXPECT_EQ(h.find("url("), std::string::npos);
  EXPECT_NE(h.find("default-src 'none'"), std::string::npos);
}

TEST(Html, FailuresFirst) {
  std::string h = rig::report::to_html(sample_run());
  std::regex row("<tr class=\"sc (\\w+)\"");
  std::vector<std::string> order;
  for (auto it = std::sregex_iterator(h.begin(), h.end(), row); it != std::sregex_iterator();
       ++it) {
    order.push_back((*it)[1]);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"fail", "error", "skipped", "pass"}));
}

TEST(Html, RunWithVarIsToldApartFromACleanOne) {
  RunResult bugged = sample_run();
  std::string h = rig::report::to_html(bugged);
  EXPECT_NE(h.find("<title>FAILED · virtual [bugs=no-reversal] · "), std::string::npos);
  EXPECT_NE(h.find("Bench variables changed for this run:</b> <code>bugs=no-reversal</code>"),
            std::string::npos);
  RunResult clean = sample_run();
  clean.overrides.clear();
  clean.variables = {{"bugs", ""}};
  std::string c = rig::report::to_html(clean);
  EXPECT_EQ(c.find("Bench variables changed"), std::string::npos);
  EXPECT_NE(c.find("Bench variables: defaults"), std::string::npos);
  EXPECT_NE(c.find("<title>FAILED · virtual · "), std::string::npos);
}

TEST(Html, HeaderNamesVersionsCommitAndStationsDown) {
  RunResult r = sample_run();
  r.stations[1].error = "open failed";
  r.incomplete = true;
  std::string h = rig::report::to_html(r);
  EXPECT_NE(h.find("firmware <b>vterm-1.0</b>"), std::string::npos);
  EXPECT_NE(h.find("<code>0123456789ab</code> (main)"), std::string::npos);
  EXPECT_NE(h.find("Station lane2 did not come up: open failed"), std::string::npos);
  EXPECT_NE(h.find("Incomplete: the rig stopped before the end of the run"), std::string::npos);
  EXPECT_NE(h.find(">INCOMPLETE<"), std::string::npos);
}

TEST(Html, TextCannotEndItsBlock) {
  RunResult r = sample_run();
  r.scenarios[1].message = "</script><script>alert(1)</script><!--";
  r.scenarios[1].timeline.push_back(
      {{"t_ms", 3}, {"kind", "display"}, {"fields", {{"text", "</script><b>x</b>"}}}});
  std::string h = rig::report::to_html(r);
  // Only the page's own script tags: one data block per scenario and the script.
  std::size_t n = 0;
  for (std::size_t at = h.find("</script>"); at != std::string::npos;
       at = h.find("</script>", at + 1))
    ++n;
  EXPECT_EQ(n, 4u + 1u);
  EXPECT_EQ(h.find("<script>alert"), std::string::npos);
  EXPECT_NE(h.find("&lt;/script&gt;&lt;script&gt;alert(1)"), std::string::npos);  // in the table
}

TEST(Html, AttemptDetailsOfFlakyScenariosAreAllKept) {
  RunResult r;
  r.bench_name = "virtual";
  r.scenarios = {attempt("qr/paid", Status::pass, 1), attempt("qr/paid", Status::fail, 2),
                 attempt("card/ok", Status::pass, 1), attempt("card/ok", Status::pass, 2)};
  std::string h = rig::report::to_html(r);
  auto block = [&](const std::string& id) {
    std::regex re("<script type=\"application/json\" id=\"sc-\\d+\">([^<]*\"id\":\"" + id +
                  "\"[^<]*)</script>");
    std::smatch m;
    EXPECT_TRUE(std::regex_search(h, m, re)) << id;
    return nlohmann::json::parse(m[1].str());
  };
  nlohmann::json flaky = block("qr/paid");
  EXPECT_EQ(flaky["outcome"], "flaky");
  ASSERT_EQ(flaky["attempts"].size(), 2u);
  EXPECT_FALSE(flaky["attempts"][0]["detail"].is_null());
  EXPECT_FALSE(flaky["attempts"][1]["detail"].is_null());
  nlohmann::json passed = block("card/ok");
  EXPECT_TRUE(passed["attempts"][0]["detail"].is_null());  // one passed attempt is enough
  EXPECT_FALSE(passed["attempts"][1]["detail"].is_null());
  EXPECT_NE(h.find("<header class=\"run flaky\"><div class=\"verdict\">PASSED, FLAKY</div>"),
            std::string::npos);
  // The flaky row comes before the passed one.
  EXPECT_LT(h.find("<tr class=\"sc flaky\""), h.find("<tr class=\"sc pass\""));
}

}  // namespace
