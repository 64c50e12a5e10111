// Choosing scenarios (rig/scenario/select.h): -k expressions, --tag, --shard K/N.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "rig/scenario/select.h"

namespace {

using rig::scenario::Scenario;

Scenario make(const std::string& family, const std::string& stem, const std::string& name,
              std::vector<std::string> tags = {}) {
  Scenario s;
  s.file = "scenarios/" + family + "/" + stem + ".yaml";
  s.family = family;
  s.name = name;
  s.tags = std::move(tags);
  return s;
}

const std::vector<Scenario>& library() {
  static const std::vector<Scenario> list = {
      make("card", "chip-mute", "Mute chip falls back to swipe", {"nightly", "smoke"}),
      make("reversal", "after-approval", "Network drops after host approval", {"nightly"}),
      make("qr", "userpaying", "Wallet says USERPAYING, terminal queries", {"network"}),
  };
  return list;
}

// The ids of the library's scenarios that `expr` selects.
std::vector<std::string> selected(const std::string& expr) {
  rig::scenario::KeywordExpr k(expr);
  std::vector<std::string> out;
  for (const auto& s : library()) {
    if (k.matches(s)) out.push_back(s.id());
  }
  return out;
}

std::string k_error(const std::string& expr) {
  try {
    rig::scenario::KeywordExpr k(expr);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

using Ids = std::vector<std::string>;

TEST(KeywordExpr, WordsMatchIdOrNameIgnoringCase) {
  EXPECT_EQ(selected("chip"), (Ids{"card/chip-mute"}));
  EXPECT_EQ(selected("CHIP"), (Ids{"card/chip-mute"}));
  EXPECT_EQ(selected("card/"), (Ids{"card/chip-mute"}));          // id only
  EXPECT_EQ(selected("host"), (Ids{"reversal/after-approval"}));  // name only
  EXPECT_EQ(selected("userPaying"), (Ids{"qr/userpaying"}));
  EXPECT_EQ(selected("USERPAYING,"), (Ids{"qr/userpaying"}));  // punctuation is part of a word
  EXPECT_EQ(selected("nightly"), Ids{});                       // tags are --tag's business
  EXPECT_EQ(selected(""), (Ids{"card/chip-mute", "reversal/after-approval", "qr/userpaying"}));
  EXPECT_EQ(selected("  "), (Ids{"card/chip-mute", "reversal/after-approval", "qr/userpaying"}));
}

TEST(KeywordExpr, Operators) {
  EXPECT_EQ(selected("not chip"), (Ids{"reversal/after-approval", "qr/userpaying"}));
  EXPECT_EQ(selected("chip or qr/"), (Ids{"card/chip-mute", "qr/userpaying"}));
  EXPECT_EQ(selected("reversal and not approval"), Ids{});
  EXPECT_EQ(selected("network and not qr"), (Ids{"reversal/after-approval"}));
  EXPECT_EQ(selected("(chip or userpaying) and not card"), (Ids{"qr/userpaying"}));
  EXPECT_EQ(selected("not not chip"), (Ids{"card/chip-mute"}));
  // `and` binds tighter than `or`: chip or (network and wallet).
  EXPECT_EQ(selected("chip or network and wallet"), (Ids{"card/chip-mute"}));
  EXPECT_EQ(selected("(chip or network) and mute"), (Ids{"card/chip-mute"}));
  EXPECT_EQ(selected("((qr))"), (Ids{"qr/userpaying"}));
  // Keywords are lower-case, as in pytest; AND is a word.
  EXPECT_EQ(selected("AND"), Ids{});
  EXPECT_TRUE(rig::scenario::matches_k(library()[0], "mute and swipe"));
  EXPECT_FALSE(rig::scenario::matches_k(library()[0], "mute and tap"));
}

TEST(KeywordExpr, BadExpressions) {
  EXPECT_EQ(k_error("a and"),
            "bad -k expression 'a and': expected a word, 'not' or '(' at the end");
  EXPECT_EQ(k_error("not"), "bad -k expression 'not': expected a word, 'not' or '(' at the end");
  EXPECT_EQ(k_error("a b"), "bad -k expression 'a b': expected 'and' or 'or' at column 3, got 'b'");
  EXPECT_EQ(k_error("(a b)"),
            "bad -k expression '(a b)': expected 'and', 'or' or ')' at column 4, got 'b'");
  EXPECT_EQ(k_error("(a"), "bad -k expression '(a': missing ')' at the end");
  EXPECT_EQ(k_error("a)"), "bad -k expression 'a)': unexpected ')' at column 2");
  EXPECT_EQ(k_error("and a"),
            "bad -k expression 'and a': expected a word, 'not' or '(' at column 1, got 'and'");
  EXPECT_EQ(k_error("()"),
            "bad -k expression '()': expected a word, 'not' or '(' at column 2, got ')'");
  EXPECT_EQ(k_error("a or or b"),
            "bad -k expression 'a or or b': expected a word, 'not' or '(' at column 6, got 'or'");
  EXPECT_EQ(k_error("chip AND mute"),
            "bad -k expression 'chip AND mute': expected 'and' or 'or' at column 6, got 'AND'");
  EXPECT_THROW(rig::scenario::matches_k(library()[0], "a and"), std::invalid_argument);
}

TEST(Tags, AnyOfTheGivenTags) {
  const Scenario& chip = library()[0];
  EXPECT_TRUE(rig::scenario::has_any_tag(chip, {}));
  EXPECT_TRUE(rig::scenario::has_any_tag(chip, {"smoke"}));
  EXPECT_TRUE(rig::scenario::has_any_tag(chip, {"network", "nightly"}));
  EXPECT_FALSE(rig::scenario::has_any_tag(chip, {"network"}));
  EXPECT_FALSE(rig::scenario::has_any_tag(chip, {"Smoke"}));
}

TEST(Shard, HashIsFnv1a64) {
  // Published FNV-1a 64-bit test vectors.
  EXPECT_EQ(rig::scenario::fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(rig::scenario::fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(rig::scenario::fnv1a64("foobar"), 0x85944171f73967e8ull);
}

std::vector<Scenario> many(int count) {
  std::vector<Scenario> out;
  const char* families[] = {"scan", "card", "reversal", "qr", "printer", "ecr", "pin"};
  for (int i = 0; i < count; ++i) {
    out.push_back(make(families[i % 7], "case-" + std::to_string(i), "case " + std::to_string(i)));
  }
  return out;
}

std::vector<std::string> ids(const std::vector<const Scenario*>& list) {
  std::vector<std::string> out;
  for (const auto* s : list) out.push_back(s->id());
  return out;
}

TEST(Shard, EveryScenarioInExactlyOneShardAndShardsBalanced) {
  const auto all = many(53);
  for (int n = 1; n <= 8; ++n) {
    std::multiset<std::string> seen;
    std::size_t smallest = all.size(), largest = 0;
    for (int k = 1; k <= n; ++k) {
      auto part = rig::scenario::shard(all, k, n);
      smallest = std::min(smallest, part.size());
      largest = std::max(largest, part.size());
      // Kept in the input's order.
      EXPECT_TRUE(std::is_sorted(part.begin(), part.end())) << k << "/" << n;
      for (const auto* s : part) seen.insert(s->id());
    }
    EXPECT_EQ(seen.size(), all.size()) << n;
    for (const auto& s : all) EXPECT_EQ(seen.count(s.id()), 1u) << s.id() << " in " << n;
    EXPECT_LE(largest - smallest, 1u) << n;
  }
}

TEST(Shard, DependsOnlyOnTheIds) {
  auto all = many(20);
  auto reversed = all;
  std::reverse(reversed.begin(), reversed.end());
  for (int k = 1; k <= 3; ++k) {
    auto a = ids(rig::scenario::shard(all, k, 3));
    auto b = ids(rig::scenario::shard(reversed, k, 3));
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b) << k;
  }
  // Pinned, so that a change of the split (which would reshuffle CI jobs) is deliberate.
  EXPECT_EQ(ids(rig::scenario::shard(library(), 1, 2)),
            (Ids{"card/chip-mute", "reversal/after-approval"}));
}

TEST(Shard, BadArguments) {
  auto message = [](int k, int n) -> std::string {
    try {
      rig::scenario::shard(library(), k, n);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_EQ(message(0, 2), "shard 0/2: K must be from 1 to N");
  EXPECT_EQ(message(3, 2), "shard 3/2: K must be from 1 to N");
  EXPECT_EQ(message(1, 0), "shard 1/0: N must be at least 1");
  EXPECT_EQ(ids(rig::scenario::shard({}, 1, 4)), Ids{});
}

TEST(Shard, ParsesKOverN) {
  EXPECT_EQ(rig::scenario::parse_shard("2/4"), std::make_pair(2, 4));
  EXPECT_EQ(rig::scenario::parse_shard("1/1"), std::make_pair(1, 1));
  for (const char* bad :
       {"3", "0/4", "5/4", "a/b", "1/", "/4", "-1/4", "1/4/5", " 1/4", "1/0", "9999999/9999999"}) {
    try {
      rig::scenario::parse_shard(bad);
      ADD_FAILURE() << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()),
                std::string("bad --shard '") + bad + "': expected K/N with 1 <= K <= N, e.g. 2/4");
    }
  }
}

}  // namespace

namespace {

using Order = std::vector<std::size_t>;

Order round_of(std::uint32_t seed, std::size_t n, bool shuffle = true) {
  return rig::scenario::RunOrder(seed, shuffle).next_round(n);
}

TEST(RunOrder, UnshuffledIsTheOrderGiven) {
  rig::scenario::RunOrder order(12345, false);
  EXPECT_EQ(order.next_round(4), (Order{0, 1, 2, 3}));
  EXPECT_EQ(order.next_round(4), (Order{0, 1, 2, 3}));
  EXPECT_EQ(order.next_round(0), Order{});
}

TEST(RunOrder, SameSeedSameOrderOtherSeedOtherOrder) {
  EXPECT_EQ(round_of(7, 46), round_of(7, 46));
  EXPECT_NE(round_of(7, 46), round_of(8, 46));
  // Every order is a permutation of 0..n-1.
  for (std::uint32_t seed : {0u, 1u, 7u, 4294967295u}) {
    Order o = round_of(seed, 46);
    std::sort(o.begin(), o.end());
    for (std::size_t i = 0; i < o.size(); ++i) EXPECT_EQ(o[i], i) << seed;
  }
  // Seeds 0..199 give (almost) as many orders; none of them is the order given.
  std::set<Order> seen;
  for (std::uint32_t seed = 0; seed < 200; ++seed) {
    EXPECT_NE(round_of(seed, 46), round_of(seed, 46, false));
    seen.insert(round_of(seed, 46));
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(RunOrder, TheSameOnEveryMachine) {
  // Pinned: std::mt19937 is fixed by the standard and the draw is our own, so a seed replays on
  // any machine and standard library. A change here breaks `--seed` replay of earlier runs.
  // (The same orders came out of an independent MT19937 written in Python from the paper.)
  EXPECT_EQ(round_of(7, 10), (Order{9, 0, 8, 3, 2, 6, 7, 1, 4, 5}));
  EXPECT_EQ(round_of(42, 5), (Order{4, 0, 1, 3, 2}));
}

TEST(RunOrder, RoundsDrawTheirOwnOrder) {
  rig::scenario::RunOrder order(7, true);
  Order first = order.next_round(46);
  Order second = order.next_round(46);
  EXPECT_EQ(first, round_of(7, 46));
  EXPECT_NE(first, second);
  rig::scenario::RunOrder again(7, true);
  again.next_round(46);
  EXPECT_EQ(again.next_round(46), second);
}

TEST(RunOrder, UniformOverSmallLists) {
  // 3 elements, 6000 seeds: each of the 6 orders about 1000 times.
  std::map<Order, int> counts;
  for (std::uint32_t seed = 0; seed < 6000; ++seed) ++counts[round_of(seed, 3)];
  EXPECT_EQ(counts.size(), 6u);
  for (const auto& [order, n] : counts) {
    EXPECT_GT(n, 850);
    EXPECT_LT(n, 1150);
  }
}

TEST(Seed, Parses) {
  EXPECT_EQ(rig::scenario::parse_seed("0"), 0u);
  EXPECT_EQ(rig::scenario::parse_seed("4294967295"), 4294967295u);
  EXPECT_EQ(rig::scenario::parse_seed("007"), 7u);
  for (const char* bad : {"", "-1", "4294967296", "99999999999", "1e3", " 7", "7 ", "x"}) {
    try {
      rig::scenario::parse_seed(bad);
      ADD_FAILURE() << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()), std::string("bad --seed '") + bad +
                                           "': expected a whole number from 0 to 4294967295");
    }
  }
}

}  // namespace
