// The registry of step kinds and expectation (check) kinds: one home per kind.
//
// Each kind is one class that declares, in one place, everything about it:
//   - its catalogue entry: name, the form it is written in, a one-line doc, its parameters with
//     their types, bounds, defaults and docs (StepInfo / ExpectInfo, rig/scenario/catalogue.h);
//     `rig list`, the Python catalogue and the docs test read these;
//   - how its YAML is read and normalised (parse / normalize; the default reads the declared
//     parameters, so a kind with parameters can never load with them dropped);
//   - what it needs: the bench fixture families it drives and what the station's terminal
//     driver must be able to do (rig/terminal/model.h Need; a scenario with an unmet need is
//     skipped on that station);
//   - how it runs (StepKind::run) or how it judges (ExpectKind::check).
// Kinds are registered once, by name, in the built-in lists (rig/steps/builtin.cpp,
// rig/checks/builtin.cpp): adding a step kind is a class in rig/steps plus one line there; an
// expectation kind, a class in rig/checks plus one line there. The loader, the catalogue and
// the engine all read this registry; none of them lists kinds.
//
// This is the model of BehaviorTree.CPP's factory (registerNodeType<T>(name)): registration
// takes a type, and the registry refuses a name twice.
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "rig/scenario/catalogue.h"
#include "rig/scenario/scenario.h"
#include "rig/terminal/model.h"

namespace rig::report {
struct StepResult;
}
namespace rig::engine {
class StepContext;
class CheckContext;
}  // namespace rig::engine

namespace rig::scenario {

class StepReader;

// A FixtureNeed of `step`: `action` with `params`, named after the step (or `step_name`).
FixtureNeed need_of(const Step& step, std::string action,
                    nlohmann::json params = nlohmann::json::object(), std::string step_name = "");

class StepKind {
 public:
  explicit StepKind(StepInfo info) : info_(std::move(info)) {}
  virtual ~StepKind() = default;
  StepKind(const StepKind&) = delete;
  StepKind& operator=(const StepKind&) = delete;

  const StepInfo& info() const { return info_; }
  const std::string& name() const { return info_.name; }

  // Whether keys beside the step's own in its list item belong to it (a fault's parameters,
  // `when:`, `for:`). When false the loader reports every other key there.
  virtual bool reads_siblings() const { return false; }
  // Reads the step: `item` is its whole list item, `value` what follows its key (undefined for
  // a bare `- last`). Fills step.args (and step.when/hold/expect/within/since where they
  // apply); reports mistakes through `r`. The default: a bare kind without parameters takes
  // nothing (`- last`, `- last:`, `- last: {}`); a bare kind with parameters may be empty; any
  // other value is a mapping of info().params.
  virtual void parse(StepReader& r, const YAML::Node& item, const YAML::Node& value,
                     Step& step) const;

  // What it asks of the station's fixtures, in the order it asks (rig/fault/driver.h serves
  // them; rig/engine/plan.h decides from them which station can run a scenario); run() performs
  // its fixture actions from this list. Default: nothing.
  virtual std::vector<FixtureNeed> fixture_needs(const Step& step) const;
  // The bench fixture families of fixture_needs() ("card", "scanner", …).
  std::vector<std::string> families(const Step& step) const;
  // What it needs from the station's terminal driver; default: nothing.
  virtual std::vector<terminal::Need> needs(const Step& step) const;

  // Performs it. Throws engine::InfrastructureError for infrastructure trouble; a check that
  // does not hold sets out.ok = false and out.message.
  virtual void run(engine::StepContext& ctx, const Step& step, report::StepResult& out) const = 0;

 private:
  StepInfo info_;
};

class ExpectKind {
 public:
  explicit ExpectKind(ExpectInfo info) : info_(std::move(info)) {}
  virtual ~ExpectKind() = default;
  ExpectKind(const ExpectKind&) = delete;
  ExpectKind& operator=(const ExpectKind&) = delete;

  const ExpectInfo& info() const { return info_; }
  const std::string& name() const { return info_.name; }

  // After the loader has read the declared value and parameters into step.args: rules between
  // fields and normalisation (host_message's default direction). `at` is the kind's node, for
  // messages. Default: nothing.
  virtual void normalize(StepReader& r, const YAML::Node& at, Step& step) const;
  // What it needs from the station's terminal driver; default: nothing (host, wallet, ledger).
  virtual std::vector<terminal::Need> needs(const Step& step) const;
  // What it reads from the station's fixtures (the proxy's messages, vhost's ledger); default:
  // nothing.
  virtual std::vector<FixtureNeed> fixture_needs(const Step& step) const;
  // Judges it, waiting through `ctx` up to the step's `within`: "" when it held, else the
  // failure text ("file:line:col: expected … within …ms; saw …"). Throws
  // engine::InfrastructureError when what it reads cannot be reached.
  virtual std::string check(engine::CheckContext& ctx, const Step& step) const = 0;

 private:
  ExpectInfo info_;
};

// What an evidence check found.
struct EvidenceVerdict {
  bool ran = true;  // false: this bench cannot tell (no host admin endpoint); `failure` is empty
  std::string why_not_run;
  std::string failure;             // "" when the evidence agrees; else both sides shown
  std::vector<std::string> notes;  // what held only by an allowance of DOMAIN.md
};

// A check that runs at the end of every scenario without being asked for (evidence the bench
// has: terminal outcomes against the host, the wallet and the ledger; rig/checks/evidence.cpp).
// The engine runs every registered one whose needs the station's driver meets, after the steps
// and after the station is put back.
class EvidenceKind {
 public:
  EvidenceKind(std::string name, std::string doc) : name_(std::move(name)), doc_(std::move(doc)) {}
  virtual ~EvidenceKind() = default;
  const std::string& name() const { return name_; }
  const std::string& doc() const { return doc_; }
  virtual std::vector<terminal::Need> needs() const { return {}; }
  // "" when the evidence agrees, else what disagrees, both sides shown. `ctx` looks at the
  // whole scenario (its timeline, `ctx.evidence()`).
  virtual std::string check(engine::CheckContext& ctx) const = 0;
  // What the engine records: check()'s answer by default; a kind that may not be able to judge
  // on every bench, or holds only by an allowance of DOMAIN.md, overrides it.
  virtual EvidenceVerdict verdict(engine::CheckContext& ctx) const {
    EvidenceVerdict v;
    v.failure = check(ctx);
    return v;
  }

 private:
  std::string name_;
  std::string doc_;
};

class KindRegistry {
 public:
  // Registers a kind built with `args` (its constructor declares its StepInfo/ExpectInfo).
  // Throws std::logic_error when the name is taken.
  template <typename T, typename... Args>
  void add(Args&&... args) {
    static_assert(std::is_base_of_v<StepKind, T> || std::is_base_of_v<ExpectKind, T> ||
                      std::is_base_of_v<EvidenceKind, T>,
                  "a registered kind derives from StepKind, ExpectKind or EvidenceKind");
    add_kind(std::make_unique<T>(std::forward<Args>(args)...));
  }
  void add_kind(std::unique_ptr<StepKind> kind);
  void add_kind(std::unique_ptr<ExpectKind> kind);
  void add_kind(std::unique_ptr<EvidenceKind> kind);

  const StepKind* step(const std::string& name) const;
  const ExpectKind* expectation(const std::string& name) const;
  // In registration order (the order of the docs).
  const std::vector<std::unique_ptr<StepKind>>& steps() const { return steps_; }
  const std::vector<std::unique_ptr<ExpectKind>>& expectations() const { return expects_; }
  const std::vector<std::unique_ptr<EvidenceKind>>& evidence() const { return evidence_; }

 private:
  std::vector<std::unique_ptr<StepKind>> steps_;
  std::vector<std::unique_ptr<ExpectKind>> expects_;
  std::vector<std::unique_ptr<EvidenceKind>> evidence_;
};

// The registry of every built-in kind, filled on first use.
const KindRegistry& kinds();
// The built-in lists: rig/steps/builtin.cpp and rig/checks/builtin.cpp.
void register_builtin_steps(KindRegistry& registry);
void register_builtin_checks(KindRegistry& registry);

}  // namespace rig::scenario
