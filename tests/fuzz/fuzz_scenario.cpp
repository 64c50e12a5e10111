// Fuzzes the strict YAML reader (rig/bench/yaml_reader.h: UTF-8 and control characters, one
// document, duplicate keys, typed conversions) and the scenario loader with every registered step
// and check kind (rig/scenario/loader.h) on arbitrary file text.
// Checks: no crash, hang or sanitizer report; a file is either a scenario or a ConfigError whose
// issues each name the file, have a message and read as UTF-8 (they are printed and reported).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "rig/bench/config_error.h"
#include "rig/protocol/utf8.h"
#include "rig/scenario/loader.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

const char kFile[] = "fuzz/scenario.yaml";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  rig::scenario::LoadOptions options;
  options.known_cards = {"visa-chip", "mag-only", "expired"};
  try {
    rig::scenario::Scenario s = rig::scenario::load_scenario_text(text, kFile, options);
    check(!s.steps.empty());
  } catch (const rig::ConfigError& e) {
    check(!e.issues().empty());
    for (const rig::ConfigIssue& issue : e.issues()) {
      check(issue.file == kFile);
      check(!issue.message.empty());
      check(issue.line >= 0 && issue.column >= 0);
      check(!rig::protocol::utf8_invalid_at(issue.to_string()).has_value());
    }
  }
  return 0;
}
