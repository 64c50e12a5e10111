// Helpers shared by the tests that load bench files (test_bench_load.cpp, test_http_power.cpp).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "rig/bench/bench.h"
#include "rig/bench/config_error.h"

namespace rig::bench {

// Loads bench `text` from a scratch file and returns its issues as "line:col: message" (the
// scratch path dropped); empty when it loads.
inline std::vector<std::string> bench_load_issues(const std::string& text) {
  auto path = std::filesystem::temp_directory_path() /
              ("posrig-bench-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << text;
  std::vector<std::string> out;
  try {
    load_bench(path.string());
  } catch (const rig::ConfigError& e) {
    for (const auto& i : e.issues()) {
      std::string s = i.to_string();
      out.push_back(s.substr(s.find(".yaml:") + 6));  // drop the scratch path
    }
  }
  std::filesystem::remove(path);
  return out;
}

}  // namespace rig::bench
