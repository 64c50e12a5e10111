// Terminal profiles (rig/bench/profile.h): figures checked against DOMAIN.md's ranges, wording
// patterns compiled at load time with their placeholders, the shipped profile files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "rig/bench/config_error.h"
#include "rig/bench/profile.h"

namespace rig::bench {
namespace {

using std::chrono::milliseconds;

std::vector<std::string> issues_of_file(const std::string& name, const std::string& text) {
  auto dir =
      std::filesystem::temp_directory_path() / ("posrig-profile-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::ofstream(path) << text;
  std::vector<std::string> out;
  try {
    load_profile(path.string());
  } catch (const ConfigError& e) {
    for (const auto& i : e.issues()) {
      std::string s = i.to_string();
      out.push_back(s.substr(s.find(".yaml:") + 6));
    }
  }
  std::filesystem::remove_all(dir);
  return out;
}

TEST(Profile, DefaultsAreDomainFigures) {
  TerminalProfile p;
  EXPECT_EQ(p.name, "defaults");
  EXPECT_EQ(p.host_timeout, milliseconds(30000));
  EXPECT_EQ(p.reversal_attempts, 3);
  EXPECT_EQ(p.chip_reads, 3);
  EXPECT_EQ(p.wallet_queries, 10);
  EXPECT_EQ(p.wallet_query_interval, milliseconds(2000));
  EXPECT_EQ(p.currency, "156");
  EXPECT_TRUE(p.operator_password.empty());
  EXPECT_TRUE(p.given.empty());
  EXPECT_EQ(p.wording.size(), profile_wording().size());
  for (const auto& f : profile_figures()) {
    EXPECT_TRUE(figure_text(p, f.name).has_value()) << f.name;
    EXPECT_FALSE(f.what.empty());
  }
}

TEST(Profile, FiguresAreCheckedAgainstTheirRanges) {
  TerminalProfile p;
  EXPECT_EQ(set_figure(p, "host_timeout", "100s"),
            "host_timeout must be 20s to 90s (DOMAIN rule 1), got 100s");
  EXPECT_EQ(set_figure(p, "host_timeout", "19999ms"),
            "host_timeout must be 20s to 90s (DOMAIN rule 1), got 19999ms");
  EXPECT_EQ(set_figure(p, "host_timeout", "soon"),
            "host_timeout: bad duration 'soon': expected a number followed by ms, s or m");
  EXPECT_EQ(set_figure(p, "chip_reads", "three"),
            "chip_reads: expected a whole number, got 'three'");
  EXPECT_EQ(set_figure(p, "wallet_queries", "0"),
            "wallet_queries must be 1 to 30 (DOMAIN rule 13), got 0");
  EXPECT_EQ(set_figure(p, "currency", "EUR"),
            "currency: expected 3 digits (ISO 4217 numeric, e.g. 156), got 'EUR'");
  EXPECT_EQ(set_figure(p, "operator_password", "12a4"),
            "operator_password: expected 4 to 12 digits (keypad keys)");
  EXPECT_EQ(set_figure(p, "host_timout", "30s").value().substr(0, 51),
            "unknown figure 'host_timout' (known: host_timeout, ");
  EXPECT_TRUE(p.given.empty());  // nothing above was set

  EXPECT_EQ(set_figure(p, "host_timeout", "1m"), std::nullopt);
  EXPECT_EQ(set_figure(p, "wallet_query_interval", "1500ms"), std::nullopt);
  EXPECT_EQ(set_figure(p, "currency", "978"), std::nullopt);
  EXPECT_EQ(p.host_timeout, milliseconds(60000));
  EXPECT_EQ(figure_text(p, "host_timeout"), "60s");
  EXPECT_EQ(figure_text(p, "wallet_query_interval"), "1500ms");
  EXPECT_EQ(figure_text(p, "nope"), std::nullopt);
  auto vars = profile_variables(p);
  EXPECT_EQ(vars.at("profile.host_timeout"), "60s");
  EXPECT_EQ(vars.at("profile.currency"), "978");
  EXPECT_EQ(vars.at("profile.operator_password"), "");
  EXPECT_EQ(vars.size(), profile_figures().size());
  EXPECT_EQ(p.given, (std::set<std::string>{"currency", "host_timeout", "wallet_query_interval"}));
}

TEST(Profile, WordingPlaceholdersAreFilledEscaped) {
  TerminalProfile p;
  EXPECT_EQ(set_wording(p, "receipt_amount", "TOTAL {currency} {amount}"), std::nullopt);
  EXPECT_EQ(wording_pattern(p, "receipt_amount", {"51.00", ""}), "TOTAL 156 51\\.00");
  EXPECT_TRUE(wording_matches(p, "receipt_amount", "HEADER|total 156 51.00|END", {"51.00", ""}));
  EXPECT_FALSE(wording_matches(p, "receipt_amount", "TOTAL 156 51x00", {"51.00", ""}));
  EXPECT_FALSE(wording_matches(p, "receipt_amount", "TOTAL 978 51.00", {"51.00", ""}));
  EXPECT_TRUE(wording_matches(p, "receipt_amount", "TOTAL 978 51.00", {"51.00", "978"}));
  // A quantifier is not a placeholder.
  EXPECT_EQ(set_wording(p, "locked_display", "LOCK{1,2}ED"), std::nullopt);
  EXPECT_TRUE(wording_matches(p, "locked_display", "locked"));

  EXPECT_EQ(set_wording(p, "receipt_amount", "TOTAL {total}"),
            "wording 'receipt_amount': unknown placeholder {total} (known: {amount}, {currency})");
  EXPECT_EQ(set_wording(p, "locked_display", "(LOCK"),
            "wording 'locked_display': not a regular expression: Mismatched '(' and ')' in regular "
            "expression");
  EXPECT_EQ(set_wording(p, "locked", "x").value().substr(0, 42),
            "unknown wording 'locked' (known: approved_");
  EXPECT_EQ(set_wording(p, "locked_display", ""), "wording 'locked_display' is empty");
  EXPECT_EQ(regex_escape("1.00 (x)|[y]*+?^$\\{}"),
            "1\\.00 \\(x\\)\\|\\[y\\]\\*\\+\\?\\^\\$\\\\\\{\\}");
}

TEST(Profile, DefaultReceiptAmountIsNotFooledByALongerAmount) {
  TerminalProfile p;
  const std::string receipt = "SHOP|AMOUNT 51.00 156|STAN 000001";
  EXPECT_TRUE(wording_matches(p, "receipt_amount", receipt, {"51.00", ""}));
  EXPECT_FALSE(wording_matches(p, "receipt_amount", receipt, {"1.00", ""}));
  EXPECT_FALSE(wording_matches(p, "receipt_amount", receipt, {"51.0", ""}));
  EXPECT_TRUE(wording_matches(p, "receipt_amount", "51.00", {"51.00", ""}));
}

TEST(Profile, ShippedProfilesGiveEveryFigureAndWording) {
  for (const char* name : {"vterm", "vterm-alt"}) {
    TerminalProfile p =
        load_profile(std::string(POSRIG_SOURCE_DIR "/fixtures/profiles/") + name + ".yaml");
    EXPECT_EQ(p.name, name);
    for (const auto& f : profile_figures())
      EXPECT_TRUE(p.given.count(std::string(f.name))) << f.name;
    for (const auto& w : profile_wording()) {
      EXPECT_TRUE(p.given.count("wording." + std::string(w.name))) << name << " " << w.name;
    }
    EXPECT_NE(describe_profile(p).find("host_timeout "), std::string::npos);
    EXPECT_NE(describe_profile(p).find("operator_password set"), std::string::npos);
  }
}

TEST(Profile, FileErrorsNameFileLineAndColumn) {
  EXPECT_EQ(issues_of_file("lane.yaml",
                           "name: other\n"
                           "chip_reads: 9\n"
                           "colour: red\n"
                           "wording:\n"
                           "  receipt_amount: \"{amt}\"\n"
                           "  receipt: x\n"
                           "operator_password: \"1234\"\n"
                           "supervisor_password: \"1234\"\n"),
            (std::vector<std::string>{
                "1:7: name 'other' must match the file name 'lane'",
                "2:13: chip_reads must be 1 to 5 (DOMAIN rule 7), got 9",
                "3:1: unknown key 'colour' in terminal profile (known: name, description, "
                "host_timeout, reversal_attempts, reversal_interval, chip_reads, stripe_reads, "
                "scan_tries, pin_tries, wallet_queries, wallet_query_interval, reverse_attempts, "
                "operator_tries, currency, operator_password, supervisor_password, wording)",
                "5:19: wording 'receipt_amount': unknown placeholder {amt} (known: {amount}, "
                "{currency})",
                "6:3: unknown key 'receipt' in wording of terminal profile (known: "
                "approved_result, declined_result, insufficient_funds_result, expired_card_result, "
                "restricted_card_result, query_settled_result, approved_display, declined_display, "
                "pin_blocked_display, last_pin_try_display, reversal_failed_display, "
                "locked_display, paper_out_display, receipt_amount, duplicate_marker)",
                "8:22: operator_password and supervisor_password must differ"}));
}

}  // namespace
}  // namespace rig::bench
