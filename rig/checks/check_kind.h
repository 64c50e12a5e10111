// What every expectation kind of this folder builds on: the registry's ExpectKind, the judge
// helpers and the names the kinds use. A kind is a class deriving from scenario::ExpectKind in
// its own file, with an add_NAME() that builtin.cpp calls (docs/kinds.md).
#pragma once

#include "rig/bench/profile.h"
#include "rig/engine/judge.h"
#include "rig/scenario/registry.h"

namespace rig::checks {

using engine::Clock;
using engine::Entry;
using engine::EntryKind;
using nlohmann::json;
using scenario::MakeParam;
using scenario::ValueType;
using terminal::Need;
using terminal::ObservationKind;

}  // namespace rig::checks
