// How step and expectation kinds (rig/scenario/registry.h) read their YAML: the loader's
// strict reading of values by their declared Param (types, bounds, names, normalisation), with
// every mistake recorded as "file:line:col: message" and reading going on.
//
// One StepReader reads one file (or one step, load_step_text); it also remembers the faults
// armed by earlier steps so that `clear` can refuse one nobody armed.
#pragma once

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

#include "rig/bench/yaml_reader.h"
#include "rig/scenario/catalogue.h"
#include "rig/scenario/loader.h"
#include "rig/scenario/scenario.h"

namespace rig::scenario {

class StepReader {
 public:
  StepReader(YamlReader& reader, const LoadOptions& options) : r_(reader), options_(options) {}

  YamlReader& yaml() { return r_; }
  const LoadOptions& options() const { return options_; }
  // Where `n` stands (1-based; 1:1 when it has no mark).
  SourceLoc loc_of(const YAML::Node& n) const;
  void error(const YAML::Node& at, const std::string& message) { r_.error(at, message); }
  // Issues so far: compare before and after reading to tell whether a part was good.
  std::size_t issue_count() const { return r_.issues().size(); }

  // Reads one value as `p` declares it into `out` (amounts normalised "100.00", durations in
  // whole ms, names checked against their lists). `what` names it in messages. False after an
  // error.
  bool read_value(const YAML::Node& n, const Param& p, nlohmann::json& out,
                  const std::string& what);
  // A duration above zero ("500ms", "2s"): within, for, wait, after, timeout.
  bool read_positive_duration(const YAML::Node& n, const std::string& what, Duration& out);
  // The `params` of mapping `m` into `out`: required ones reported missing, fallbacks filled in
  // for the others. The caller calls m.finish() (unknown keys) when done.
  void read_params(MapReader& m, const std::vector<Param>& params, nlohmann::json& out);
  // A fault's `when:` (catalogue.h trigger_kinds()).
  void read_trigger(const YAML::Node& node, Trigger& t);
  // The value of an `expect:` step, by the registered expectation kinds: the kind, its value
  // or mapping, `within` (the kind's default when not written) and `since`.
  void read_expect(const YAML::Node& value, Step& step);

  // Faults armed by earlier steps (for `clear`). When the step is read on its own
  // (load_step_text), clear_is_checked() is false and any fault may be cleared.
  void arm(const std::string& fault) { armed_.insert(fault); }
  bool armed(const std::string& fault) const { return armed_.count(fault) > 0; }
  bool clear_is_checked() const { return check_clear_; }
  void set_clear_is_checked(bool on) { check_clear_ = on; }

 private:
  void range_error(const YAML::Node& n, const Param& p);
  // A value with profile references (rig/scenario/profile_ref.h), as `p` allows them.
  bool read_reference(const YAML::Node& n, const Param& p, nlohmann::json& out);
  // Whether `text` (references aside) is a regular expression; reports it when not.
  bool check_pattern(const YAML::Node& n, const std::string& text);
  // ValueType::count: N or {min?, max?}.
  bool read_count(const YAML::Node& n, const Param& p, nlohmann::json& out);
  void read_message_trigger(const YAML::Node& v, bool iso, Trigger& t);
  void check_absent_and_count(const nlohmann::json& args, const YAML::Node& absent);

  YamlReader& r_;
  const LoadOptions& options_;
  std::set<std::string> armed_;
  bool check_clear_ = true;
  bool literal_texts_ = false;  // reading an expect with `match: literal`
};

}  // namespace rig::scenario
