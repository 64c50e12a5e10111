// vterm's command line (fixtures/sim/vterm/options.h) and firmware defect names (bugs.h).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "fixtures/sim/vterm/bugs.h"
#include "fixtures/sim/vterm/options.h"

namespace vterm {
namespace {

std::vector<std::string> base() {
  return {
      "--ecr-link", "/tmp/ecr", "--host", "127.0.0.1:5000", "--wallet", "http://127.0.0.1:5001/",
      "--tid",      "RIG00001", "--mid",  "POSRIG000000001"};
}

std::string error_of(const std::vector<std::string>& args) {
  try {
    parse_options(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(VtermOptions, ParsesACompleteCommandLine) {
  auto args = base();
  for (std::string a : {"--control=127.0.0.1:7000", "--state", "/tmp/flash", "--time-scale", "0.05",
                        "--bug", "no-reversal,swipe-chip-card", "--bug=ignores-pin-limit"}) {
    args.push_back(a);
  }
  Options o = parse_options(args);
  EXPECT_EQ(o.ecr_link, "/tmp/ecr");
  EXPECT_EQ(o.host.host, "127.0.0.1");
  EXPECT_EQ(o.host.port, 5000);
  EXPECT_EQ(o.wallet.port, 5001);
  EXPECT_EQ(o.control.port, 7000);
  EXPECT_EQ(o.state_dir, "/tmp/flash");
  EXPECT_DOUBLE_EQ(o.time_scale, 0.05);
  EXPECT_EQ(o.bugs,
            (std::vector<Bug>{Bug::no_reversal, Bug::swipe_chip_card, Bug::ignores_pin_limit}));
  EXPECT_EQ(o.figures.operator_password, "0000");
  EXPECT_EQ(o.figures.supervisor_password, "9999");
  EXPECT_EQ(o.figures.host_timeout, std::chrono::seconds(30));
  EXPECT_EQ(o.wording.say("approved"), "APPROVED");
}

TEST(VtermOptions, FiguresAndWordsOfAProfile) {
  auto args = base();
  for (std::string a : {"--host-timeout",
                        "60s",
                        "--reversal-attempts=5",
                        "--reversal-interval",
                        "2s",
                        "--chip-reads",
                        "2",
                        "--wallet-queries",
                        "5",
                        "--wallet-query-interval",
                        "5s",
                        "--currency",
                        "978",
                        "--operator-password",
                        "2468",
                        "--supervisor-password",
                        "13579",
                        "--text",
                        "approved=Transaction accepted",
                        "--text=receipt_amount=Total {currency} {amount}"}) {
    args.push_back(a);
  }
  Options o = parse_options(args);
  EXPECT_EQ(o.figures.host_timeout, std::chrono::seconds(60));
  EXPECT_EQ(o.figures.reversal_attempts, 5);
  EXPECT_EQ(o.figures.reversal_interval, std::chrono::seconds(2));
  EXPECT_EQ(o.figures.chip_reads, 2);
  EXPECT_EQ(o.figures.wallet_queries, 5);
  EXPECT_EQ(o.figures.wallet_query_interval, std::chrono::seconds(5));
  EXPECT_EQ(o.figures.currency, "978");
  EXPECT_EQ(o.figures.operator_password, "2468");
  EXPECT_EQ(o.wording.say("approved"), "Transaction accepted");
  EXPECT_EQ(o.wording.say("receipt_amount", {{"amount", "1.00"}, {"currency", "978"}}),
            "Total 978 1.00");
  // Every figure of a profile is an option, and the usage text lists it.
  for (const auto& f : rig::bench::profile_figures()) {
    EXPECT_NE(usage().find(figure_option(f.name)), std::string::npos) << f.name;
  }
  EXPECT_EQ(figure_option("wallet_query_interval"), "--wallet-query-interval");
}

TEST(VtermOptions, ZvtOnThePtyOrOnATcpPort) {
  Options rig = parse_options(base());
  EXPECT_EQ(rig.protocol, Protocol::rig_ecr);
  EXPECT_FALSE(rig.ecr_listen.has_value());
  auto args = base();
  for (std::string a : {"--protocol", "zvt", "--zvt-password", "123456", "--currency", "978"}) {
    args.push_back(a);
  }
  Options zvt = parse_options(args);
  EXPECT_EQ(zvt.protocol, Protocol::zvt);
  EXPECT_EQ(zvt.ecr_link, "/tmp/ecr");
  EXPECT_EQ(zvt.zvt_password, "123456");
  EXPECT_EQ(zvt.figures.currency, "978");  // the profile figure is the ZVT terminal's currency
  Options tcp =
      parse_options({"--protocol=zvt", "--ecr-listen", "127.0.0.1:0", "--host", "127.0.0.1:5000",
                     "--wallet", "http://127.0.0.1:5001", "--tid", "52000001", "--mid", "4711"});
  ASSERT_TRUE(tcp.ecr_listen.has_value());
  EXPECT_EQ(tcp.ecr_listen->port, 0);
  EXPECT_TRUE(tcp.ecr_link.empty());
  EXPECT_EQ(tcp.zvt_password, "000000");
  const std::vector<std::string> rest = {
      "--host", "127.0.0.1:5000", "--wallet", "http://127.0.0.1:5001", "--tid", "T", "--mid", "M"};
  const auto plus = [&](std::vector<std::string> head) {
    head.insert(head.end(), rest.begin(), rest.end());
    return error_of(head);
  };
  EXPECT_EQ(plus({"--protocol", "zvt"}),
            "missing --ecr-link PATH (or, with --protocol zvt, --ecr-listen HOST:PORT)");
  EXPECT_EQ(plus({"--ecr-listen", "127.0.0.1:0"}), "--ecr-listen needs --protocol zvt");
  EXPECT_EQ(plus({"--protocol", "zvt", "--ecr-listen", "127.0.0.1:0", "--ecr-link", "/x"}),
            "--ecr-link and --ecr-listen exclude each other");
  EXPECT_EQ(plus({"--protocol", "opi", "--ecr-link", "/x"}),
            "--protocol: expected rig-ecr or zvt, got 'opi'");
  EXPECT_EQ(plus({"--protocol", "zvt", "--ecr-listen", "localhost"}),
            "--ecr-listen: expected HOST:PORT, got 'localhost'");
  EXPECT_EQ(plus({"--ecr-link", "/x", "--zvt-password", "1234"}),
            "--zvt-password: expected 6 digits");
}

TEST(VtermOptions, ErrorsNameTheProblem) {
  auto with = [](std::vector<std::string> extra) {
    auto a = base();
    a.insert(a.end(), extra.begin(), extra.end());
    return error_of(a);
  };
  EXPECT_EQ(with({"--hots", "x"}), "unknown option '--hots'");
  EXPECT_EQ(with({"--bug", "no-reversals"}).substr(0, 45),
            "unknown bug 'no-reversals' (known: no-reversa");
  EXPECT_EQ(with({"--time-scale", "fast"}),
            "--time-scale: expected a number above 0 (at most 1000), got 'fast'");
  EXPECT_EQ(with({"--control", "localhost"}), "--control: expected HOST:PORT, got 'localhost'");
  EXPECT_EQ(with({"--control", "127.0.0.1:70000"}), "--control: port '70000' is not 0 to 65535");
  EXPECT_EQ(with({"--operator-password", "12"}),
            "--operator-password: operator_password: expected 4 to 12 digits (keypad keys)");
  EXPECT_EQ(with({"--host-timeout", "100s"}),
            "--host-timeout: host_timeout must be 20s to 90s (DOMAIN rule 1), got 100s");
  EXPECT_EQ(with({"--chip-reads", "0"}),
            "--chip-reads: chip_reads must be 1 to 5 (DOMAIN rule 7), got 0");
  EXPECT_EQ(
      with({"--wallet-query-interval", "20s"}),
      "--wallet-query-interval: wallet_query_interval must be 1s to 10s (DOMAIN rule 13), got 20s");
  EXPECT_EQ(with({"--currency", "EUR"}),
            "--currency: currency: expected 3 digits (ISO 4217 numeric, e.g. 156), got 'EUR'");
  EXPECT_EQ(with({"--text", "declined=No {total}"}),
            "--text: declined: unknown placeholder {total} (known: {rc}, {reason})");
  EXPECT_EQ(with({"--text", "approved"}), "--text: expected NAME=TEMPLATE, got 'approved'");
  // An empty password (a profile that does not know it) keeps vterm's.
  auto keeps = base();
  keeps.insert(keeps.end(), {"--supervisor-password", ""});
  EXPECT_EQ(parse_options(keeps).figures.supervisor_password, "9999");
  EXPECT_EQ(with({"--operator-password", "9999"}),
            "the operator and supervisor passwords must differ");
  EXPECT_EQ(with({"--state"}), "--state: missing value");
  EXPECT_EQ(with({"--tid", "X"}), "--tid given twice");
  EXPECT_EQ(error_of({"--ecr-link", "/x", "--host", "127.0.0.1:1"}),
            "missing --wallet http://HOST:PORT");
  auto bad_wallet = base();
  bad_wallet[5] = "https://127.0.0.1:5001";
  EXPECT_EQ(error_of(bad_wallet),
            "--wallet: expected http://HOST:PORT, got 'https://127.0.0.1:5001'");
  auto bad_tid = base();
  bad_tid[7] = "TERM-0001";
  EXPECT_EQ(error_of(bad_tid), "--tid: expected 1 to 8 letters or digits, got 'TERM-0001'");
}

TEST(VtermOptions, Ipv6NeedsBrackets) {
  EXPECT_EQ(parse_endpoint("--host", "[::1]:80").host, "::1");
  EXPECT_THROW(parse_endpoint("--host", "::1:80"), UsageError);
}

TEST(VtermOptions, CardsAreFoundFromTheEnvironmentOrBesideTheBuild) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("vterm-opt-" + std::to_string(::getpid()));
  fs::create_directories(root / "src" / "fixtures" / "cards");
  fs::create_directories(root / "out");
  std::ofstream(root / "out" / "CMakeCache.txt")
      << "FOO:BOOL=ON\nCMAKE_HOME_DIRECTORY:INTERNAL=" << (root / "src").string() << "\n";
  ::unsetenv("POSRIG_CARDS");
  EXPECT_EQ(find_cards_dir((root / "out" / "vterm").string()),
            (root / "src" / "fixtures" / "cards").string());
  EXPECT_EQ(find_cards_dir((root / "src" / "build" / "vterm").string()),
            (root / "src" / "fixtures" / "cards").string());
  EXPECT_EQ(find_cards_dir((root / "nowhere" / "vterm").string()), "");
  ::setenv("POSRIG_CARDS", "/some/cards", 1);
  EXPECT_EQ(find_cards_dir((root / "out" / "vterm").string()), "/some/cards");
  ::unsetenv("POSRIG_CARDS");
  fs::remove_all(root);
}

TEST(VtermBugs, EveryBugHasANameAndARuleAndParsesBack) {
  EXPECT_GE(known_bugs().size(), 31u);
  std::set<std::string> names;
  for (const auto& b : known_bugs()) {
    EXPECT_TRUE(names.insert(std::string(b.name)).second) << "two bugs named " << b.name;
    EXPECT_EQ(parse_bug(b.name), b.bug) << b.name;
    EXPECT_GE(b.rule, 1);
    EXPECT_LE(b.rule, 22);
    EXPECT_FALSE(b.what.empty());
  }
  EXPECT_FALSE(parse_bug("declines-as-approved").has_value());
  EXPECT_EQ(info(Bug::reprint_not_marked).rule, 17);
  EXPECT_EQ(info(Bug::query_pays_again).rule, 15);
  EXPECT_EQ(info(Bug::acts_on_bad_lrc).rule, 18);
  EXPECT_EQ(info(Bug::restarts_sale_after_link_loss).rule, 20);
  EXPECT_EQ(parse_bug("restarts-sale-after-link-loss"), Bug::restarts_sale_after_link_loss);
  EXPECT_EQ(info(Bug::full_pan_in_result).rule, 22);
  EXPECT_EQ(bug_names().substr(0, 29), "no-reversal, fields-90-wrong,");
}

TEST(VtermBugs, SetClearAndNamesInRuleOrder) {
  BugSet s;
  EXPECT_TRUE(s.empty());
  s.set(Bug::no_operator_lockout);
  s.set(Bug::no_reversal);
  EXPECT_TRUE(s.has(Bug::no_reversal));
  EXPECT_FALSE(s.has(Bug::swipe_chip_card));
  EXPECT_EQ(s.names(), (std::vector<std::string>{"no-reversal", "no-operator-lockout"}));
  s.clear(Bug::no_reversal);
  EXPECT_EQ(s.names(), std::vector<std::string>{"no-operator-lockout"});
  s.clear_all();
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace vterm
