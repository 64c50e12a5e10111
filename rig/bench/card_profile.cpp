#include "rig/bench/card_profile.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>

#include "rig/bench/config_error.h"
#include "rig/bench/yaml_reader.h"

namespace rig::bench {

std::string CardProfile::track2() const { return pan + "=" + expiry + service_code + "00000000"; }

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

CardProfile load_card(const std::string& path) {
  YamlReader reader(path);
  CardProfile card;
  auto root = reader.load();
  if (!root) reader.throw_if_errors();
  MapReader m(reader, *root, "card profile");
  auto digits = [&](const char* key, std::size_t lo, std::size_t hi, const char* want,
                    std::string& out) {
    YAML::Node n = m.get(key);
    if (!n.IsDefined()) return m.missing(key);
    if (!n.IsScalar() || !all_digits(n.Scalar()) || n.Scalar().size() < lo || n.Scalar().size() > hi) {
      return reader.error(n, std::string("expected ") + want);
    }
    out = n.Scalar();
  };
  m.required("name", card.name);
  m.optional("description", card.description);
  digits("pan", 12, 19, "a PAN of 12 to 19 digits", card.pan);
  digits("expiry", 4, 4, "an expiry as YYMM", card.expiry);
  digits("service_code", 3, 3, "a 3-digit service code", card.service_code);
  digits("pin", 4, 12, "a PIN of 4 to 12 digits", card.pin);
  if (YAML::Node n = m.get("balance"); n.IsDefined()) {
    reader.read_amount(n, card.balance);
  } else {
    m.missing("balance");
  }
  m.optional("chip", card.chip);
  m.optional("stripe", card.stripe);
  m.optional_choice("status", {"active", "frozen", "lost"}, card.status);
  m.finish();
  auto stem = std::filesystem::path(path).stem().string();
  if (m.has("name") && !card.name.empty() && card.name != stem) {
    reader.error(m.get("name"), "name '" + card.name + "' must match the file name '" + stem + "'");
  }
  if (m.valid() && !card.chip && !card.stripe) {
    reader.error(*root, "a card needs a chip, a stripe, or both");
  }
  reader.throw_if_errors();
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
