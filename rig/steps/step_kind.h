// What every step kind of this folder builds on: the registry's StepKind, the session's parts
// (StepContext) and a builder for its catalogue entry. A kind is a class deriving from
// scenario::StepKind with an add_…() that builtin.cpp calls (docs/kinds.md).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "rig/engine/context.h"
#include "rig/report/results.h"
#include "rig/scenario/registry.h"
#include "rig/scenario/step_reader.h"

namespace rig::steps {

using nlohmann::json;
using scenario::MakeParam;
using scenario::Param;
using scenario::StepInfo;
using scenario::ValueType;

// A step's catalogue entry; set the flags (transaction, bare, check) on the result.
inline StepInfo step_info(std::string name, std::string family, std::string form, std::string doc,
                          std::vector<Param> params = {}) {
  StepInfo info;
  info.name = std::move(name);
  info.family = std::move(family);
  info.form = std::move(form);
  info.doc = std::move(doc);
  info.params = std::move(params);
  return info;
}

// Performs the fixture actions `kind` declares for `step` (StepKind::fixture_needs), in order:
// what rig validate checked is what the step does.
void act(engine::StepContext& ctx, const scenario::StepKind& kind, const scenario::Step& step);

}  // namespace rig::steps
