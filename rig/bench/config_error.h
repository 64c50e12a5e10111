// Errors in user-written configuration (bench, scenario, card YAML). what() reads
// "file:line:col: message" with 1-based line and column, as editors expect.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace rig {

struct ConfigIssue {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  std::string message;

  // "file:line:col: message" (or "file: message" without a position).
  std::string to_string() const;
};

// One or more issues found in one go; what() lists them one per line.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<ConfigIssue> issues);
  explicit ConfigError(ConfigIssue issue) : ConfigError(std::vector<ConfigIssue>{std::move(issue)}) {}
  const std::vector<ConfigIssue>& issues() const { return issues_; }

 private:
  std::vector<ConfigIssue> issues_;
};

}  // namespace rig
