#include "rig/scenario/select.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>

namespace rig::scenario {

struct KeywordExpr::Node {
  enum class Kind { word, op_not, op_and, op_or };
  Kind kind = Kind::word;
  std::string word;  // lower-cased
  std::unique_ptr<Node> left, right;
};

namespace {

using Node = KeywordExpr::Node;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

struct Token {
  std::string text;        // "(" ")" or a word (keywords included)
  std::size_t column = 0;  // 1-based
};

std::vector<Token> tokenize(const std::string& expr) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < expr.size()) {
    char c = expr[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '(' || c == ')') {
      out.push_back({std::string(1, c), i + 1});
      ++i;
    } else {
      std::size_t start = i;
      while (i < expr.size() && !std::isspace(static_cast<unsigned char>(expr[i])) &&
             expr[i] != '(' && expr[i] != ')') {
        ++i;
      }
      out.push_back({expr.substr(start, i - start), start + 1});
    }
  }
  return out;
}

// Recursive descent: or := and ('or' and)*; and := not ('and' not)*; not := 'not' not | atom;
// atom := '(' or ')' | word.
class KParser {
 public:
  explicit KParser(const std::string& expr) : expr_(expr), tokens_(tokenize(expr)) {}

  std::unique_ptr<Node> parse() {
    if (tokens_.empty()) return nullptr;
    auto root = parse_or();
    if (pos_ < tokens_.size()) {
      const Token& t = tokens_[pos_];
      if (t.text == ")") fail("unexpected ')' at column " + std::to_string(t.column));
      fail("expected 'and' or 'or' at column " + std::to_string(t.column) + ", got '" + t.text +
           "'");
    }
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::invalid_argument("bad -k expression '" + expr_ + "': " + what);
  }
  bool at(const char* text) const { return pos_ < tokens_.size() && tokens_[pos_].text == text; }

  std::unique_ptr<Node> binary(Node::Kind kind, std::unique_ptr<Node> l, std::unique_ptr<Node> r) {
    auto n = std::make_unique<Node>();
    n->kind = kind;
    n->left = std::move(l);
    n->right = std::move(r);
    return n;
  }

  std::unique_ptr<Node> parse_or() {
    auto left = parse_and();
    while (at("or")) {
      ++pos_;
      left = binary(Node::Kind::op_or, std::move(left), parse_and());
    }
    return left;
  }

  std::unique_ptr<Node> parse_and() {
    auto left = parse_not();
    while (at("and")) {
      ++pos_;
      left = binary(Node::Kind::op_and, std::move(left), parse_not());
    }
    return left;
  }

  std::unique_ptr<Node> parse_not() {
    if (at("not")) {
      ++pos_;
      return binary(Node::Kind::op_not, parse_not(), nullptr);
    }
    return parse_atom();
  }

  std::unique_ptr<Node> parse_atom() {
    if (pos_ == tokens_.size()) fail("expected a word, 'not' or '(' at the end");
    const Token& t = tokens_[pos_];
    if (t.text == "(") {
      ++pos_;
      auto inner = parse_or();
      if (pos_ == tokens_.size()) fail("missing ')' at the end");
      if (!at(")")) {
        const Token& got = tokens_[pos_];
        fail("expected 'and', 'or' or ')' at column " + std::to_string(got.column) + ", got '" +
             got.text + "'");
      }
      ++pos_;
      return inner;
    }
    if (t.text == ")" || t.text == "and" || t.text == "or") {
      fail("expected a word, 'not' or '(' at column " + std::to_string(t.column) + ", got '" +
           t.text + "'");
    }
    ++pos_;
    auto n = std::make_unique<Node>();
    n->word = lower(t.text);
    return n;
  }

  const std::string& expr_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
};

bool eval(const Node& n, const std::string& id, const std::string& name) {
  switch (n.kind) {
    case Node::Kind::word:
      return id.find(n.word) != std::string::npos || name.find(n.word) != std::string::npos;
    case Node::Kind::op_not:
      return !eval(*n.left, id, name);
    case Node::Kind::op_and:
      return eval(*n.left, id, name) && eval(*n.right, id, name);
    case Node::Kind::op_or:
      return eval(*n.left, id, name) || eval(*n.right, id, name);
  }
  return false;
}

}  // namespace

KeywordExpr::KeywordExpr(const std::string& expr) : root_(KParser(expr).parse()) {}
KeywordExpr::~KeywordExpr() = default;
KeywordExpr::KeywordExpr(KeywordExpr&&) noexcept = default;
KeywordExpr& KeywordExpr::operator=(KeywordExpr&&) noexcept = default;

bool KeywordExpr::matches(const Scenario& scenario) const {
  if (!root_) return true;
  return eval(*root_, lower(scenario.id()), lower(scenario.name));
}

bool matches_k(const Scenario& scenario, const std::string& expr) {
  return KeywordExpr(expr).matches(scenario);
}

bool has_any_tag(const Scenario& scenario, const std::vector<std::string>& tags) {
  if (tags.empty()) return true;
  return std::any_of(tags.begin(), tags.end(),
                     [&](const std::string& t) { return scenario.has_tag(t); });
}

std::uint64_t fnv1a64(const std::string& text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::vector<const Scenario*> shard(const std::vector<Scenario>& scenarios, int k, int n) {
  const std::string which = "shard " + std::to_string(k) + "/" + std::to_string(n);
  if (n < 1) throw std::invalid_argument(which + ": N must be at least 1");
  if (k < 1 || k > n) throw std::invalid_argument(which + ": K must be from 1 to N");

  // Deal the scenarios out in hash order (ties by id, then position) so that shards differ in
  // size by at most one, whatever the hash values.
  std::vector<std::size_t> order(scenarios.size());
  std::vector<std::uint64_t> hashes(scenarios.size());
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    order[i] = i;
    hashes[i] = fnv1a64(scenarios[i].id());
  }
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (hashes[a] != hashes[b]) return hashes[a] < hashes[b];
    const std::string ia = scenarios[a].id(), ib = scenarios[b].id();
    return ia != ib ? ia < ib : a < b;
  });
  std::vector<bool> mine(scenarios.size(), false);
  for (std::size_t rank = 0; rank < order.size(); ++rank) {
    if (static_cast<int>(rank % static_cast<std::size_t>(n)) == k - 1) mine[order[rank]] = true;
  }
  std::vector<const Scenario*> out;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    if (mine[i]) out.push_back(&scenarios[i]);
  }
  return out;
}

std::pair<int, int> parse_shard(const std::string& text) {
  auto bad = [&]() {
    return std::invalid_argument("bad --shard '" + text +
                                 "': expected K/N with 1 <= K <= N, e.g. 2/4");
  };
  const std::size_t slash = text.find('/');
  if (slash == std::string::npos) throw bad();
  auto number = [&](const std::string& s) {
    if (s.empty() || s.size() > 6 ||
        !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      throw bad();
    }
    return std::stoi(s);
  };
  const int k = number(text.substr(0, slash));
  const int n = number(text.substr(slash + 1));
  if (n < 1 || k < 1 || k > n) throw bad();
  return {k, n};
}

std::vector<std::size_t> RunOrder::next_round(std::size_t n) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  if (!shuffle_) return order;
  // Fisher–Yates from the back: position i takes an index drawn uniformly from [0, i].
  for (std::size_t i = n; i > 1; --i) {
    const std::uint32_t bound = static_cast<std::uint32_t>(i);
    // Rejection: words at or above the largest multiple of `bound` would favour small values.
    const std::uint32_t limit = static_cast<std::uint32_t>(0xFFFFFFFFu - (0xFFFFFFFFu % bound));
    std::uint32_t word = 0;
    do {
      word = static_cast<std::uint32_t>(rng_());
    } while (word >= limit);
    std::swap(order[i - 1], order[word % bound]);
  }
  return order;
}

std::uint32_t fresh_seed() {
  std::random_device device;
  return static_cast<std::uint32_t>(device());
}

std::uint32_t parse_seed(const std::string& text) {
  const bool digits =
      !text.empty() && text.size() <= 10 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  const unsigned long long value = digits ? std::stoull(text) : 0;
  if (!digits || value > 0xFFFFFFFFull) {
    throw std::invalid_argument("bad --seed '" + text +
                                "': expected a whole number from 0 to 4294967295");
  }
  return static_cast<std::uint32_t>(value);
}

std::vector<Scenario> select_scenarios(const std::vector<Scenario>& all,
                                       const Selection& selection) {
  std::optional<KeywordExpr> k;
  if (!selection.k_expr.empty()) k.emplace(selection.k_expr);
  std::vector<Scenario> chosen;
  for (const auto& sc : all) {
    if (k && !k->matches(sc)) continue;
    if (!has_any_tag(sc, selection.tags)) continue;
    chosen.push_back(sc);
  }
  if (selection.shard.empty()) return chosen;
  auto [kk, n] = parse_shard(selection.shard);
  std::vector<Scenario> out;
  for (const auto* sc : shard(chosen, kk, n)) out.push_back(*sc);
  return out;
}

}  // namespace rig::scenario
