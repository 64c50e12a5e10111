// Choosing which scenarios run: `-k EXPR`, `--tag T` and `--shard K/N` of `rig run`.
//
// -k works like pytest's: a word matches a scenario when it is a case-insensitive substring of
// the scenario's id ("family/file-stem") or of its name; words combine with `and`, `or`, `not`
// and parentheses, `not` binding tightest, then `and`, then `or`. A word is any run of
// characters other than spaces and parentheses, so "card/chip-mute" and "0210" are words.
// An empty or blank expression matches everything.
//
// Sharding splits a list of scenarios into N parts that CI jobs on different machines run
// separately: every scenario lands in exactly one shard, the shards' sizes differ by at most
// one, and the split depends only on the scenario ids (a 64-bit FNV-1a hash of each id orders
// them, then they are dealt out in turn), so every machine computes the same split.
//
// Shuffling (`rig run --shuffle`) runs the selected scenarios in an order drawn from the run's
// seed (`--seed N`), so that a scenario that passes only after another one shows up; the same
// seed gives the same order on every machine and standard library (see RunOrder).
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "rig/scenario/scenario.h"

namespace rig::scenario {

// A parsed -k expression. Parse once, match many.
class KeywordExpr {
 public:
  // Throws std::invalid_argument for a bad expression. Texts (columns are 1-based):
  //   bad -k expression 'a and': expected a word, 'not' or '(' at the end
  //   bad -k expression 'a b': expected 'and' or 'or' at column 3, got 'b'
  //   bad -k expression '(a b)': expected 'and', 'or' or ')' at column 4, got 'b'
  //   bad -k expression '(a': missing ')' at the end
  //   bad -k expression 'a)': unexpected ')' at column 2
  //   bad -k expression 'and a': expected a word, 'not' or '(' at column 1, got 'and'
  explicit KeywordExpr(const std::string& expr);
  ~KeywordExpr();
  KeywordExpr(KeywordExpr&&) noexcept;
  KeywordExpr& operator=(KeywordExpr&&) noexcept;

  bool matches(const Scenario& scenario) const;

  struct Node;

 private:
  std::unique_ptr<Node> root_;  // null: matches everything
};

// One-shot form of KeywordExpr(expr).matches(scenario); throws like it.
bool matches_k(const Scenario& scenario, const std::string& expr);

// True when the scenario has at least one of `tags`, or `tags` is empty (no --tag given).
bool has_any_tag(const Scenario& scenario, const std::vector<std::string>& tags);

// 64-bit FNV-1a of `text`: the same on every machine.
std::uint64_t fnv1a64(const std::string& text);

// The scenarios of shard k of n (1 <= k <= n), in their order in `scenarios`. See the file
// comment. Throws std::invalid_argument: "shard 5/4: K must be from 1 to N" or
// "shard 1/0: N must be at least 1".
std::vector<const Scenario*> shard(const std::vector<Scenario>& scenarios, int k, int n);

// What `rig run`, `rig list` and posrig.run choose from the scenarios loaded from the paths
// given: -k, then --tag, then --shard (docs/cli.md). Empty fields select everything.
struct Selection {
  std::string k_expr;
  std::vector<std::string> tags;
  std::string shard;  // "K/N" or ""
};

// The scenarios of `all` that `selection` chooses, in their order in `all`. Throws
// std::invalid_argument for a bad -k expression or --shard (the texts above).
std::vector<Scenario> select_scenarios(const std::vector<Scenario>& all,
                                       const Selection& selection);

// The order in which a run makes its attempts: for each round (`--repeat N` makes N), a
// permutation of the scenario indexes 0..n-1. Unshuffled, every round is 0, 1, …, n-1. Shuffled,
// each round is a Fisher–Yates shuffle driven by one std::mt19937 seeded with `seed` (its
// output is fixed by the standard) with each index drawn by rejection from raw 32-bit words —
// not std::shuffle or std::uniform_int_distribution, whose algorithms the standard leaves to
// the library — so a seed means the same order everywhere. Rounds continue the same stream:
// round 2 is another order than round 1.
class RunOrder {
 public:
  RunOrder(std::uint32_t seed, bool shuffle) : rng_(seed), shuffle_(shuffle) {}
  std::vector<std::size_t> next_round(std::size_t n);

 private:
  std::mt19937 rng_;
  bool shuffle_;
};

// A seed for a run given none (--seed): drawn from std::random_device.
std::uint32_t fresh_seed();

// "N" (0 to 4294967295, decimal) -> N. Throws std::invalid_argument:
//   bad --seed 'x': expected a whole number from 0 to 4294967295
std::uint32_t parse_seed(const std::string& text);

// "K/N" -> {K, N}. Throws std::invalid_argument:
//   bad --shard '3': expected K/N with 1 <= K <= N, e.g. 2/4
std::pair<int, int> parse_shard(const std::string& text);

}  // namespace rig::scenario
