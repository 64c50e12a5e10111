#include "rig/scenario/scenario.h"

#include <algorithm>
#include <filesystem>

namespace rig::scenario {

std::string SourceLoc::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const char* to_string(Trigger::Kind kind) {
  switch (kind) {
    case Trigger::Kind::now: return "now";
    case Trigger::Kind::host_message: return "host_message";
    case Trigger::Kind::wallet_message: return "wallet_message";
    case Trigger::Kind::event: return "event";
    case Trigger::Kind::prompt: return "prompt";
    case Trigger::Kind::after: return "after";
  }
  return "?";
}

std::string Scenario::id() const {
  return family + "/" + std::filesystem::path(file).stem().string();
}

bool Scenario::has_tag(const std::string& tag) const {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

std::string family_of(const std::string& action) {
  std::string prefix = action.substr(0, action.find('.'));
  if (prefix == "host" || prefix == "wallet") return "acquirer";
  return prefix;
}

}  // namespace rig::scenario
