#include "rig/engine/provenance.h"

#include <vector>

namespace rig::engine {

using nlohmann::json;

bool of_earlier_scenario(const Entry& e) { return e.fields.value(kEarlierScenario, false); }

namespace {

std::string text_of(const json& fields, const char* key) {
  auto it = fields.find(key);
  if (it == fields.end()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// What an entry names ("stan:…", "id:…") and whether it starts a transaction of the scenario
// it is in (`origin`) or refers to one that may be older (`follows`).
struct Names {
  std::vector<std::string> keys;
  bool origin = false;
  bool follows = false;
  bool settles = false;  // the reversal of what it names is over (answered, or given up)
};

Names names_of(EntryKind kind, const json& f) {
  Names n;
  auto add = [&n](const std::string& prefix, const std::string& value) {
    if (!value.empty()) n.keys.push_back(prefix + value);
  };
  if (kind == EntryKind::host_message) {
    const std::string mti = text_of(f, "mti");
    const json iso = f.value("fields", json::object());
    add("stan:", text_of(iso, "11"));
    const bool request = text_of(f, "direction") == "to_host";
    n.origin = request && (mti == "0100" || mti == "0200" || mti == "0220");
    n.follows = mti.rfind("04", 0) == 0;
    n.settles = n.follows && !request;
  } else if (kind == EntryKind::result) {
    add("stan:", text_of(f, "stan"));
    add("id:", text_of(f, "id"));
    n.origin = true;
  } else if (kind == EntryKind::event) {
    const std::string name = text_of(f, "name");
    if (name.rfind("REVERSAL_", 0) != 0) return n;
    add("stan:", text_of(f, "stan"));
    add("id:", text_of(f, "id"));
    n.origin = name == "REVERSAL_STORED";
    n.follows = !n.origin;
    n.settles = name == "REVERSAL_ACKED" || name == "REVERSAL_FAILED";
  }
  return n;
}

}  // namespace

void Provenance::next_scenario() {
  std::lock_guard<std::mutex> lock(mu_);
  earlier_.insert(current_.begin(), current_.end());
  current_.clear();
  settled_.insert(settling_.begin(), settling_.end());
  settling_.clear();
}

void Provenance::mark(EntryKind kind, json& fields) {
  if (!fields.is_object()) return;
  const Names n = names_of(kind, fields);
  if (n.keys.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (n.origin) {
    current_.insert(n.keys.begin(), n.keys.end());
    return;
  }
  if (!n.follows) return;
  bool earlier = false;
  for (const auto& k : n.keys) {
    if (n.settles) settling_.insert(k);
    // Names a transaction of this scenario, or a reversal settled before: this scenario's.
    if (current_.count(k) || settled_.count(k)) return;
    earlier = earlier || earlier_.count(k) > 0;
  }
  if (earlier) fields[kEarlierScenario] = true;
}

}  // namespace rig::engine
