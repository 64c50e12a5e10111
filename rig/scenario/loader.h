// Strict loading of scenario files (docs/scenarios.md) into the model of scenario.h, checked
// against the catalogue (catalogue.h). The loader reads the file's structure; each step is read
// by its registered kind (registry.h, StepKind::parse, with the StepReader of step_reader.h).
//
// Every mistake is a rig::ConfigIssue "file:line:col: message" (1-based), and a file is read to
// its end so that all of its mistakes come out together, in file order, in one ConfigError:
// unknown keys, wrong types, unknown step/fault/expectation/prompt/status/card names (the
// message lists the known ones), bad durations and amounts, missing keys, two step keys in one
// list item, a parameter that belongs to another fault, `for:`/`when:` on a step that is not a
// fault, `within:` outside an expect, clearing a fault no earlier step arms, a scenario without
// any expect step.
//
// Defaults are applied here, so the engine never needs to: Step::within is the catalogue's
// default when not written, Step::since "transaction", host_message directions follow the MTI,
// parameters with a catalogue fallback are stored with it (see catalogue.h for Step::args).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "rig/bench/config_error.h"
#include "rig/scenario/scenario.h"

namespace rig::scenario {

struct LoadOptions {
  // Card profile names a scenario may use (rig::bench::load_cards). Empty: names not checked.
  std::set<std::string> known_cards;
};

// Loads one file; throws rig::ConfigError with every issue of the file.
Scenario load_scenario(const std::string& path, const LoadOptions& options = {});

// Loads a scenario from text; `file_name` is used in messages and as Scenario::file (and so
// in the id). For tests and the Python bindings.
Scenario load_scenario_text(const std::string& text, const std::string& file_name,
                            const LoadOptions& options = {});

// Loads one step, written as one item of a scenario's `steps:` list, e.g.
//   sale: {amount: "1.00", method: card, card: visa-chip}
//   fault: network.down
//   when: {host_message: "0210"}
// or a bare name (`last`). The checks are those of a step in a file, with the same messages,
// except that `clear` may name any fault (the steps that armed it are not in `yaml`). `origin`
// is the file name of Step::loc and of the messages; lines and columns count in `yaml`. Throws
// rig::ConfigError with every issue. For the Python bindings, which build steps from keyword
// arguments and leave their validation to this loader.
Step load_step_text(const std::string& yaml, const std::string& origin,
                    const LoadOptions& options = {});

// Loads files and folders. A folder is searched recursively for *.yaml and *.yml, sorted by
// path; a file is loaded whatever its extension; a path met twice is loaded once. Scenarios come
// back in that order. Throws one ConfigError holding the issues of every bad file (each file's
// in file order), plus: a path that does not exist ("PATH: no such file or folder"), a folder
// without scenario files ("DIR: no scenario files (*.yaml, *.yml)"), and two files with the
// same id ("FILE:1:1: scenario id 'card/x' is also used by OTHER").
std::vector<Scenario> load_scenarios(const std::vector<std::string>& paths_or_dirs,
                                     const LoadOptions& options = {});

}  // namespace rig::scenario
