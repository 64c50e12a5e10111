#include "rig/bench/card_profile.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>

#include "rig/bench/config_error.h"
#include "rig/protocol/amount.h"

namespace rig::bench {

std::string CardProfile::track2() const { return pan + "=" + expiry + service_code + "00000000"; }

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

CardProfile load_card(const std::string& path) {
  std::vector<ConfigIssue> issues;
  auto issue_at = [&](const YAML::Mark& mark, std::string message) {
    issues.push_back({path, mark.line + 1, mark.column + 1, std::move(message)});
  };
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ConfigError(ConfigIssue{path, 0, 0, "cannot read file"});
  } catch (const YAML::ParserException& e) {
    throw ConfigError(ConfigIssue{path, e.mark.line + 1, e.mark.column + 1, e.msg});
  }
  if (!root.IsMap()) throw ConfigError(ConfigIssue{path, 1, 1, "a card profile must be a mapping"});

  CardProfile card;
  using Setter = std::function<void(const YAML::Node&)>;
  auto text = [&](std::string& out, const std::function<bool(const std::string&)>& ok,
                  const char* want) -> Setter {
    return [&out, ok, want, &issue_at](const YAML::Node& n) {
      if (!n.IsScalar() || !ok(n.Scalar())) {
        issue_at(n.Mark(), std::string("expected ") + want);
        return;
      }
      out = n.Scalar();
    };
  };
  auto any = [](const std::string&) { return true; };
  auto digits = [](std::size_t lo, std::size_t hi) {
    return [lo, hi](const std::string& s) { return all_digits(s) && s.size() >= lo && s.size() <= hi; };
  };
  auto flag = [&](bool& out) -> Setter {
    return [&out, &issue_at](const YAML::Node& n) {
      if (!n.IsScalar() || (n.Scalar() != "true" && n.Scalar() != "false")) {
        issue_at(n.Mark(), "expected true or false");
        return;
      }
      out = n.Scalar() == "true";
    };
  };
  std::map<std::string, Setter> fields = {
      {"name", text(card.name, any, "a name")},
      {"description", text(card.description, any, "text")},
      {"pan", text(card.pan, digits(12, 19), "a PAN of 12 to 19 digits")},
      {"expiry", text(card.expiry, digits(4, 4), "an expiry as YYMM")},
      {"service_code", text(card.service_code, digits(3, 3), "a 3-digit service code")},
      {"pin", text(card.pin, digits(4, 12), "a PIN of 4 to 12 digits")},
      {"balance",
       [&](const YAML::Node& n) {
         auto v = n.IsScalar() ? protocol::parse_amount(n.Scalar()) : std::nullopt;
         if (!v) return issue_at(n.Mark(), "expected an amount with two fraction digits, e.g. \"100.00\"");
         card.balance = *v;
       }},
      {"chip", flag(card.chip)},
      {"stripe", flag(card.stripe)},
      {"status", text(card.status,
                      [](const std::string& s) { return s == "active" || s == "frozen" || s == "lost"; },
                      "active, frozen or lost")},
  };
  std::set<std::string> seen;
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    auto it = fields.find(key);
    if (it == fields.end()) {
      std::string known;
      for (const auto& f : fields) known += (known.empty() ? "" : ", ") + f.first;
      issue_at(kv.first.Mark(), "unknown key '" + key + "' (known: " + known + ")");
      continue;
    }
    seen.insert(key);
    it->second(kv.second);
  }
  for (const char* required : {"name", "pan", "expiry", "service_code", "pin", "balance"}) {
    if (!seen.count(required)) issues.push_back({path, 1, 1, std::string("missing key '") + required + "'"});
  }
  auto stem = std::filesystem::path(path).stem().string();
  if (seen.count("name") && card.name != stem) {
    issue_at(root["name"].Mark(), "name '" + card.name + "' must match the file name '" + stem + "'");
  }
  if (!card.chip && !card.stripe && seen.count("name")) {
    issues.push_back({path, 1, 1, "a card needs a chip, a stripe, or both"});
  }
  if (!issues.empty()) throw ConfigError(std::move(issues));
  return card;
}

std::map<std::string, CardProfile> load_cards(const std::string& dir) {
  std::map<std::string, CardProfile> cards;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  if (ec) throw ConfigError(ConfigIssue{dir, 0, 0, "cannot read card folder: " + ec.message()});
  std::sort(files.begin(), files.end());
  std::vector<ConfigIssue> issues;
  for (const auto& f : files) {
    try {
      CardProfile card = load_card(f.string());
      cards.emplace(card.name, std::move(card));
    } catch (const ConfigError& e) {
      issues.insert(issues.end(), e.issues().begin(), e.issues().end());
    }
  }
  if (!issues.empty()) throw ConfigError(std::move(issues));
  return cards;
}

}  // namespace rig::bench
