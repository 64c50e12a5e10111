// Strict reading of user-written YAML (bench, scenario, card files) into plain structs.
//
// Every problem becomes a ConfigIssue "file:line:col: message" (1-based) and reading goes on,
// so that one pass reports all the errors of a file. A mapping is read through MapReader: each
// key the caller asks for is marked as known, and finish() reports every other key as unknown,
// listing the known ones. Conversions (text, numbers, booleans, durations, amounts, one-of
// choices) report wrong types at the offending node.
//
//   YamlReader reader(path);
//   auto root = reader.load();                     // syntax errors are recorded, not thrown
//   MapReader m(reader, *root, "bench");
//   m.required("name", bench.name);
//   m.optional("time_scale", bench.time_scale);
//   m.finish();
//   reader.throw_if_errors();                      // ConfigError with every issue
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rig/bench/config_error.h"

namespace rig {

// "500ms", "2s", "1.5s", "1m" -> milliseconds; nullopt for anything else.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);

// "a, b, c" for messages that list the known names.
std::string join_names(const std::vector<std::string>& names);

// How messages show a value: "'text'", "a mapping", "a list" or "nothing".
std::string describe_value(const YAML::Node& n);

// The most a configuration file (bench, scenario, profile, card file) may hold.
inline constexpr std::size_t kMaxConfigFileBytes = std::size_t{1} << 20;  // 1 MiB

// The text of configuration file `path`: only a regular file (a FIFO, a device or a folder is
// refused without waiting on it) of at most kMaxConfigFileBytes. On failure, nullopt and
// `problem` says why ("cannot read file: not a regular file (a FIFO)").
std::optional<std::string> read_config_text(const std::string& path, std::string& problem);

class YamlReader {
 public:
  explicit YamlReader(std::string file);

  const std::string& file() const { return file_; }

  // Parses the file (read_config_text) or `text`; a syntax error or an unreadable file is
  // recorded and nullopt returned. The text must be printable UTF-8 (tab, line feed and carriage
  // return the only control characters) and hold one YAML document: the first bad byte or the
  // start of a second document is recorded at its line and column.
  std::optional<YAML::Node> load();
  std::optional<YAML::Node> load_string(const std::string& text);

  // Records an issue at `at` (or at the start of the file for a null node).
  void error(const YAML::Node& at, std::string message);
  void error_at(int line, int column, std::string message);
  // Records issues found in another file (one this file refers to, e.g. a profile).
  void add_issues(const std::vector<ConfigIssue>& issues);

  bool ok() const { return issues_.empty(); }
  const std::vector<ConfigIssue>& issues() const { return issues_; }
  // Throws ConfigError with every recorded issue when there is any: this file's in line order,
  // then those of other files (add_issues()) in theirs.
  void throw_if_errors() const;

  // Typed conversions: on a wrong type they record "expected …" at the node and return false.
  bool read(const YAML::Node& n, std::string& out);
  bool read(const YAML::Node& n, bool& out);
  bool read(const YAML::Node& n, int& out);
  bool read(const YAML::Node& n, std::int64_t& out);
  bool read(const YAML::Node& n, double& out);
  bool read(const YAML::Node& n, std::chrono::milliseconds& out);
  bool read(const YAML::Node& n, std::vector<std::string>& out);
  // An amount with two fraction digits ("100.00") into minor units.
  bool read_amount(const YAML::Node& n, std::int64_t& minor_units);
  // One of `choices`; otherwise "unknown <what> 'x' (known: …)".
  bool read_choice(const YAML::Node& n, const std::vector<std::string>& choices,
                   const std::string& what, std::string& out);
  // yaml-cpp keeps both entries of a repeated key; this records "duplicate key 'k' in <what>"
  // at every repeat. Returns false when there was one. MapReader::finish() calls it.
  bool check_unique_keys(const YAML::Node& map, const std::string& what);

 private:
  std::string file_;
  std::vector<ConfigIssue> issues_;
};

// Reads one mapping; see the file comment.
class MapReader {
 public:
  // `what` names the mapping in messages ("bench", "station 'a'", "sale").
  MapReader(YamlReader& reader, const YAML::Node& node, std::string what);

  bool valid() const { return valid_; }
  const YAML::Node& node() const { return node_; }
  bool has(const std::string& key) const;
  // The value node of `key`, marking the key as known; an undefined node when absent.
  YAML::Node get(const std::string& key);
  // Marks keys as known without reading them (read by someone else).
  void allow(const std::vector<std::string>& keys);

  template <typename T>
  bool required(const std::string& key, T& out) {
    YAML::Node n = get(key);
    if (!n.IsDefined()) {
      missing(key);
      return false;
    }
    return reader_.read(n, out);
  }
  template <typename T>
  bool optional(const std::string& key, T& out) {
    YAML::Node n = get(key);
    return n.IsDefined() && reader_.read(n, out);
  }
  template <typename T>
  bool optional(const std::string& key, std::optional<T>& out) {
    YAML::Node n = get(key);
    if (!n.IsDefined()) return false;
    T value{};
    if (!reader_.read(n, value)) return false;
    out = std::move(value);
    return true;
  }
  bool required_choice(const std::string& key, const std::vector<std::string>& choices,
                       std::string& out);
  bool optional_choice(const std::string& key, const std::vector<std::string>& choices,
                       std::string& out);

  // Records "missing key 'k' in <what>" at the mapping.
  void missing(const std::string& key);
  // Reports every key not asked for: "unknown key 'x' in <what> (known: …)", and every
  // repeated key: "duplicate key 'x' in <what>".
  void finish();

 private:
  YamlReader& reader_;
  YAML::Node node_;
  std::string what_;
  bool valid_ = false;
  std::set<std::string> known_;
  std::vector<std::string> known_in_order_;
};

}  // namespace rig
