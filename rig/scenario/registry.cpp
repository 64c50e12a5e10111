#include "rig/scenario/registry.h"

#include <algorithm>
#include <stdexcept>

#include "rig/scenario/step_reader.h"

namespace rig::scenario {

void StepKind::parse(StepReader& r, const YAML::Node&, const YAML::Node& value, Step& step) const {
  const StepInfo& info = info_;
  const bool empty = !value.IsDefined() || value.IsNull() || (value.IsMap() && value.size() == 0);
  if (info.bare && info.params.empty()) {
    // `- last`, `- last:` or `- last: {}`.
    if (!empty) {
      r.error(value, "step '" + info.name + "' takes no arguments, got " + describe_value(value));
    }
    return;
  }
  if (info.bare && empty) return;  // e.g. `- query`: the last transaction
  MapReader m(r.yaml(), value, info.name);
  if (!m.valid()) return;
  r.read_params(m, info.params, step.args);
  m.finish();
}

FixtureNeed need_of(const Step& step, std::string action, nlohmann::json params,
                    std::string step_name) {
  FixtureNeed n;
  n.action = std::move(action);
  n.params = std::move(params);
  n.loc = step.loc;
  n.step = step_name.empty() ? step.name : std::move(step_name);
  return n;
}

std::vector<FixtureNeed> StepKind::fixture_needs(const Step&) const { return {}; }

std::vector<std::string> StepKind::families(const Step& step) const {
  std::vector<std::string> out;
  for (const auto& n : fixture_needs(step)) {
    std::string family = family_of(n.action);
    if (std::find(out.begin(), out.end(), family) == out.end()) out.push_back(family);
  }
  return out;
}

std::vector<terminal::Need> StepKind::needs(const Step&) const { return {}; }

void ExpectKind::normalize(StepReader&, const YAML::Node&, Step&) const {}

std::vector<terminal::Need> ExpectKind::needs(const Step&) const { return {}; }

std::vector<FixtureNeed> ExpectKind::fixture_needs(const Step&) const { return {}; }

namespace {

template <typename T>
const T* find_kind(const std::vector<std::unique_ptr<T>>& list, const std::string& name) {
  for (const auto& k : list) {
    if (k->name() == name) return k.get();
  }
  return nullptr;
}

template <typename T>
void add_unique(std::vector<std::unique_ptr<T>>& list, std::unique_ptr<T> kind, const char* what) {
  if (find_kind(list, kind->name())) {
    throw std::logic_error(std::string(what) + " '" + kind->name() + "' registered twice");
  }
  list.push_back(std::move(kind));
}

}  // namespace

void KindRegistry::add_kind(std::unique_ptr<StepKind> kind) {
  add_unique(steps_, std::move(kind), "step kind");
}
void KindRegistry::add_kind(std::unique_ptr<ExpectKind> kind) {
  add_unique(expects_, std::move(kind), "expectation kind");
}
void KindRegistry::add_kind(std::unique_ptr<EvidenceKind> kind) {
  add_unique(evidence_, std::move(kind), "evidence check");
}

const StepKind* KindRegistry::step(const std::string& name) const {
  return find_kind(steps_, name);
}
const ExpectKind* KindRegistry::expectation(const std::string& name) const {
  return find_kind(expects_, name);
}

const KindRegistry& kinds() {
  static const KindRegistry registry = [] {
    KindRegistry r;
    register_builtin_steps(r);
    register_builtin_checks(r);
    return r;
  }();
  return registry;
}

}  // namespace rig::scenario
