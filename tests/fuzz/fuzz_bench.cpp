// Fuzzes the bench loader (rig/bench/bench.h load_bench: stations, links, launches and their
// `ready:` regular expressions, terminal profiles, fixture drivers' settings) through the strict
// YAML reader, on arbitrary file text read as if it lay beside the virtual bench
// (fixtures/benches), so that a `profile:` naming a file there loads it.
// Checks: no crash, hang or sanitizer report; a file is either a bench with stations, each `ready:`
// of which compiles, or a ConfigError whose issues each have a message and read as UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "rig/bench/bench.h"
#include "rig/bench/config_error.h"
#include "rig/protocol/utf8.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

const std::string kFile = POSRIG_SOURCE_DIR "/fixtures/benches/fuzz.yaml";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    rig::bench::Bench bench = rig::bench::load_bench_text(text, kFile);
    check(!bench.stations.empty());
    // A loaded bench never throws when it comes up (bench.h ready_regex).
    for (const auto& service : bench.services) (void)rig::bench::ready_regex(service.launch.ready);
    for (const auto& station : bench.stations) {
      (void)rig::bench::ready_regex(station.terminal.launch.ready);
    }
  } catch (const rig::ConfigError& e) {
    check(!e.issues().empty());
    for (const rig::ConfigIssue& issue : e.issues()) {
      check(!issue.message.empty());
      check(issue.line >= 0 && issue.column >= 0);
      check(!rig::protocol::utf8_invalid_at(issue.to_string()).has_value());
    }
  }
  return 0;
}
