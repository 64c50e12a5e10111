#include "rig/scenario/loader.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "rig/bench/yaml_reader.h"
#include "rig/scenario/registry.h"
#include "rig/scenario/step_reader.h"

namespace rig::scenario {

namespace {

using nlohmann::json;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Lower-case name: a letter, then letters, digits and '-' (families); tags also allow '_'.
bool is_lower_name(const std::string& s, bool underscore) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || is_digit(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [underscore](char c) {
    return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || (underscore && c == '_');
  });
}

// The file's structure (scenario keys, the steps list, one step key per item); each step's
// own reading is its kind's (rig/scenario/registry.h).
class Parser {
 public:
  Parser(YamlReader& reader, const LoadOptions& options) : r_(reader), sr_(reader, options) {}

  Scenario parse(const std::optional<YAML::Node>& root);
  // One step on its own (load_step_text): what a list item of `steps:` holds. A `clear` may
  // name any fault, since the steps that armed it were not read here.
  std::optional<Step> parse_one(const std::optional<YAML::Node>& root);

 private:
  void parse_steps(const YAML::Node& list, Scenario& s);
  std::optional<Step> parse_item(const YAML::Node& item);

  YamlReader& r_;
  StepReader sr_;
  bool has_expect_ = false;
};

Scenario Parser::parse(const std::optional<YAML::Node>& root) {
  Scenario s;
  s.file = r_.file();
  s.loc.file = r_.file();
  s.loc.line = 1;
  s.loc.column = 1;
  if (!root) return s;  // syntax error, already recorded
  s.loc = sr_.loc_of(*root);

  MapReader m(r_, *root, "scenario");
  if (!m.valid()) return s;
  if (m.required("name", s.name) && s.name.empty()) r_.error(m.get("name"), "name is empty");
  if (YAML::Node n = m.get("family"); !n.IsDefined()) {
    m.missing("family");
  } else if (r_.read(n, s.family) && !is_lower_name(s.family, false)) {
    r_.error(n, "bad family '" + s.family +
                    "': expected lower-case letters, digits and '-', e.g. reversal");
  }
  if (YAML::Node n = m.get("tags"); n.IsDefined()) {
    if (!n.IsSequence()) {
      r_.error(n, "expected a list, got " + describe_value(n));
    } else {
      for (const auto& item : n) {
        std::string tag;
        if (!r_.read(item, tag)) continue;
        if (!is_lower_name(tag, true)) {
          r_.error(item, "bad tag '" + tag + "': expected lower-case letters, digits, '-', '_'");
        } else if (s.has_tag(tag)) {
          r_.error(item, "tag '" + tag + "' is listed twice");
        } else {
          s.tags.push_back(tag);
        }
      }
    }
  }
  m.optional("description", s.description);
  if (YAML::Node n = m.get("timeout"); n.IsDefined()) {
    Duration d{0};
    if (sr_.read_positive_duration(n, "timeout", d)) s.timeout = d;
  }
  if (YAML::Node n = m.get("steps"); !n.IsDefined()) {
    m.missing("steps");
  } else {
    parse_steps(n, s);
  }
  m.finish();
  return s;
}

std::optional<Step> Parser::parse_one(const std::optional<YAML::Node>& root) {
  if (!root) return std::nullopt;  // syntax error, already recorded
  sr_.set_clear_is_checked(false);
  if (!root->IsDefined() || root->IsNull()) {
    r_.error(*root, "expected a step, got nothing");
    return std::nullopt;
  }
  return parse_item(*root);
}

void Parser::parse_steps(const YAML::Node& list, Scenario& s) {
  if (!list.IsSequence()) {
    r_.error(list, "expected a list of steps, got " + describe_value(list));
    return;
  }
  if (list.size() == 0) {
    r_.error(list, "a scenario needs at least one step");
    return;
  }
  for (const auto& item : list) {
    if (auto step = parse_item(item)) s.steps.push_back(std::move(*step));
  }
  if (!has_expect_) {
    r_.error(list, "a scenario needs at least one expect step: it checks nothing");
  }
}

std::optional<Step> Parser::parse_item(const YAML::Node& item) {
  static const std::vector<std::string> step_names = names_of(steps());
  Step step;
  step.loc = sr_.loc_of(item);

  if (item.IsScalar()) {
    const StepKind* kind = kinds().step(item.Scalar());
    if (!kind) {
      r_.error(item,
               "unknown step '" + item.Scalar() + "' (known: " + join_names(step_names) + ")");
      return std::nullopt;
    }
    const StepInfo& info = kind->info();
    step.name = info.name;
    if (info.check) has_expect_ = true;
    if (!info.bare) {
      r_.error(item, "step '" + info.name + "' needs a value: " + info.form);
      return std::nullopt;
    }
    const std::size_t before = sr_.issue_count();
    kind->parse(sr_, item, YAML::Node(YAML::NodeType::Undefined), step);
    if (sr_.issue_count() != before) return std::nullopt;
    return step;
  }
  if (!item.IsMap()) {
    r_.error(item, "expected a step, got " + describe_value(item));
    return std::nullopt;
  }

  r_.check_unique_keys(item, "step");
  std::vector<YAML::Node> step_keys;
  for (const auto& kv : item) {
    if (!kv.first.IsScalar() || !kinds().step(kv.first.Scalar())) continue;
    bool repeat = std::any_of(step_keys.begin(), step_keys.end(),
                              [&](const YAML::Node& k) { return k.Scalar() == kv.first.Scalar(); });
    if (!repeat) step_keys.push_back(kv.first);
  }
  if (step_keys.size() > 1) {
    r_.error(step_keys[1], "a step has exactly one of: " + join_names(step_names) + "; found '" +
                               step_keys[0].Scalar() + "' and '" + step_keys[1].Scalar() + "'");
    return std::nullopt;
  }
  if (step_keys.empty()) {
    for (const auto& kv : item) {
      std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      if (key == "when" || key == "for" || key == "within") continue;
      r_.error(kv.first, "unknown step '" + key + "' (known: " + join_names(step_names) + ")");
      return std::nullopt;
    }
    r_.error(item, "a step needs one of: " + join_names(step_names));
    return std::nullopt;
  }

  const StepKind& kind = *kinds().step(step_keys[0].Scalar());
  const StepInfo& info = kind.info();
  step.name = info.name;
  if (info.check) has_expect_ = true;
  const YAML::Node& const_item = item;
  const YAML::Node value = const_item[step.name];
  if (!info.bare && value.IsNull()) {
    // yaml-cpp places an empty value on the next line; the key is where the mistake is.
    r_.error(step_keys[0], "step '" + info.name + "' needs a value: " + info.form);
    return std::nullopt;
  }
  if (kind.reads_siblings()) {
    kind.parse(sr_, item, value, step);
    return step;
  }
  for (const auto& kv : item) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (key == step.name) continue;
    if (key == "for" || key == "when") {
      r_.error(kv.first, "'" + key + "' is only for fault steps");
    } else if (key == "within") {
      r_.error(kv.first, info.check ? "'within' goes inside expect: {…, within: …}"
                                    : "'within' is only for expect steps");
    } else {
      r_.error(kv.first, "unknown key '" + key + "' next to step '" + step.name +
                             "': a list item holds one step; its arguments go inside it");
    }
  }
  const std::size_t before = sr_.issue_count();
  kind.parse(sr_, item, value, step);
  if (sr_.issue_count() != before) return std::nullopt;
  return step;
}

Scenario load_from(YamlReader& reader, const std::optional<YAML::Node>& root,
                   const LoadOptions& options) {
  Parser parser(reader, options);
  Scenario s = parser.parse(root);
  reader.throw_if_errors();
  return s;
}

}  // namespace

Scenario load_scenario(const std::string& path, const LoadOptions& options) {
  YamlReader reader(path);
  auto root = reader.load();
  return load_from(reader, root, options);
}

Scenario load_scenario_text(const std::string& text, const std::string& file_name,
                            const LoadOptions& options) {
  YamlReader reader(file_name);
  auto root = reader.load_string(text);
  return load_from(reader, root, options);
}

Step load_step_text(const std::string& yaml, const std::string& origin,
                    const LoadOptions& options) {
  YamlReader reader(origin);
  auto root = reader.load_string(yaml);
  Parser parser(reader, options);
  std::optional<Step> step = parser.parse_one(root);
  reader.throw_if_errors();
  // parse_item records an issue whenever it gives no step: no step and no issue is our bug.
  if (!step) throw std::logic_error("load_step_text: no step and no issue for " + origin);
  return std::move(*step);
}

std::vector<Scenario> load_scenarios(const std::vector<std::string>& paths_or_dirs,
                                     const LoadOptions& options) {
  namespace fs = std::filesystem;
  std::vector<ConfigIssue> issues;
  std::vector<std::string> files;
  std::set<std::string> seen;
  auto add_file = [&](const fs::path& p) {
    std::error_code ec;
    fs::path key = fs::weakly_canonical(p, ec);
    if (seen.insert(ec ? p.string() : key.string()).second) files.push_back(p.string());
  };
  for (const auto& path : paths_or_dirs) {
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (!fs::exists(st)) {
      issues.push_back({path, 0, 0, "no such file or folder"});
    } else if (fs::is_directory(st)) {
      std::vector<fs::path> found;
      for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
        const auto ext = it->path().extension();
        if ((ext == ".yaml" || ext == ".yml") && it->is_regular_file()) found.push_back(it->path());
      }
      if (ec) {
        issues.push_back({path, 0, 0, "cannot read folder: " + ec.message()});
      } else if (found.empty()) {
        issues.push_back({path, 0, 0, "no scenario files (*.yaml, *.yml)"});
      }
      std::sort(found.begin(), found.end());
      for (const auto& f : found) add_file(f);
    } else {
      add_file(path);
    }
  }

  std::vector<Scenario> out;
  std::map<std::string, std::string> ids;  // id -> file
  for (const auto& file : files) {
    try {
      Scenario s = load_scenario(file, options);
      auto [it, fresh] = ids.emplace(s.id(), file);
      if (!fresh) {
        issues.push_back(
            {file, 1, 1, "scenario id '" + s.id() + "' is also used by " + it->second});
        continue;
      }
      out.push_back(std::move(s));
    } catch (const ConfigError& e) {
      issues.insert(issues.end(), e.issues().begin(), e.issues().end());
    }
  }
  if (!issues.empty()) throw ConfigError(std::move(issues));
  return out;
}

}  // namespace rig::scenario
