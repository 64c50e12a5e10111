// Steps that arm and clear faults from the fault catalogue: `fault: NAME` (+ when:, for:, its
// parameters beside it) and `clear: NAME | all`. A fault needs its bench family, or, for the
// `ecr` faults, a terminal driver that makes it.
#include <map>

#include "rig/engine/fault_arming.h"
#include "rig/steps/step_kind.h"

namespace rig::steps {

namespace {

using scenario::FaultInfo;

class FaultStep : public scenario::StepKind {
 public:
  FaultStep()
      : StepKind(step_info("fault", "", "fault: NAME (+ when:, for:, the fault's parameters)",
                           "arm a fault from the fault catalogue")) {}

  bool reads_siblings() const override { return true; }

  void parse(scenario::StepReader& r, const YAML::Node& item, const YAML::Node&,
             scenario::Step& step) const override {
    const YAML::Node& node = item;
    json& args = step.args;
    std::string name;
    const FaultInfo* info = nullptr;
    const YAML::Node value = node["fault"];
    if (r.yaml().read(value, name)) {
      info = scenario::find_fault(name);
      if (!info) {
        r.error(value, "unknown fault '" + name +
                           "' (known: " + join_names(scenario::names_of(scenario::faults())) + ")");
      }
    }
    if (YAML::Node when = node["when"]; when.IsDefined()) r.read_trigger(when, step.when);
    if (YAML::Node hold = node["for"]; hold.IsDefined()) {
      scenario::Duration d{0};
      if (r.read_positive_duration(hold, "for", d)) step.hold = d;
    }
    if (!info) return;  // its parameters cannot be told apart from typos
    args["fault"] = name;

    std::vector<std::string> known = scenario::names_of(info->params);
    known.push_back("when");
    known.push_back("for");
    std::map<std::string, YAML::Node> given;
    for (const auto& kv : node) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      if (key == "fault" || key == "when" || key == "for") continue;
      if (std::find(known.begin(), known.end(), key) != known.end()) {
        given.emplace(key, kv.second);
        continue;
      }
      if (key == "within") {
        r.error(kv.first, "'within' is only for expect steps");
        continue;
      }
      std::vector<std::string> owners;
      for (const auto& f : scenario::faults()) {
        for (const auto& p : f.params) {
          if (p.name == key) owners.push_back(f.name);
        }
      }
      if (owners.empty()) {
        r.error(kv.first, "unknown parameter '" + key + "' for fault " + name +
                              " (known: " + join_names(known) + ")");
      } else {
        r.error(kv.first, "parameter '" + key + "' belongs to " + join_names(owners) + ", not " +
                              name + " (known: " + join_names(known) + ")");
      }
    }
    for (const Param& p : info->params) {
      auto it = given.find(p.name);
      if (it == given.end()) {
        if (p.required) {
          r.error(item, "missing parameter '" + p.name + "' for fault " + name);
        } else if (!p.fallback.is_null()) {
          args[p.name] = p.fallback;
        }
        continue;
      }
      json v;
      if (r.read_value(it->second, p, v, p.name)) args[p.name] = v;
    }
    if (!info->one_of.empty()) {
      std::vector<std::string> present;
      for (const auto& k : info->one_of) {
        if (given.count(k)) present.push_back(k);
      }
      if (present.empty()) {
        r.error(item, "fault " + name + " needs one of: " + join_names(info->one_of));
      } else if (present.size() > 1) {
        r.error(given.at(present[1]), "fault " + name +
                                          " takes one of: " + join_names(info->one_of) +
                                          "; found '" + present[0] + "' and '" + present[1] + "'");
      }
    }
    if (name == "network.latency" && args.contains("ms") && args["ms"] == 0 &&
        args.value("jitter_ms", 0) == 0) {
      r.error(given.at("ms"), "network.latency needs ms or jitter_ms above 0");
    }
    if (name == "network.down" && step.when.kind != scenario::Trigger::Kind::now &&
        given.count("probability")) {
      r.error(given.at("probability"),
              "a network.down with when: cuts at its trigger and takes no probability");
    }
    r.arm(name);
  }

  // The fault, armed on the fixture of its family (ecr faults are the terminal driver's).
  std::vector<scenario::FixtureNeed> fixture_needs(const scenario::Step& step) const override {
    const FaultInfo* f = scenario::find_fault(step.args.value("fault", ""));
    if (!f) return {};
    const scenario::Trigger::Kind trigger = step.when.kind;
    const bool message_trigger = trigger == scenario::Trigger::Kind::host_message ||
                                 trigger == scenario::Trigger::Kind::wallet_message;
    std::vector<scenario::FixtureNeed> out;
    if (f->family != "ecr") {
      json params = step.args;
      params.erase("fault");
      scenario::FixtureNeed n = scenario::need_of(step, f->name, params);
      // A fault of another family than network fires on the proxy's record of the message
      // (FaultArming): its own fixture applies it as any other.
      n.trigger = f->family == "network" ? trigger : scenario::Trigger::Kind::now;
      out.push_back(n);
    }
    // ... and the proxy must see the messages.
    if (message_trigger && f->family != "network") {
      out.push_back(scenario::need_of(step, "network.observe", json::object(), "fault (its trigger)"));
    }
    return out;
  }

  std::vector<terminal::Need> needs(const scenario::Step& step) const override {
    std::vector<terminal::Need> out;
    const FaultInfo* f = scenario::find_fault(step.args.value("fault", ""));
    if (f && f->family == "ecr") out.push_back(terminal::Need::fault(f->name));
    if (step.when.kind == scenario::Trigger::Kind::event) {
      out.push_back(terminal::Need::observation(terminal::ObservationKind::event));
      out.push_back(terminal::Need::event_kind(step.when.value));
    }
    if (step.when.kind == scenario::Trigger::Kind::prompt) {
      out.push_back(terminal::Need::observation(terminal::ObservationKind::prompt));
      out.push_back(terminal::Need::prompt_kind(step.when.value));
    }
    return out;
  }

  void run(engine::StepContext& ctx, const scenario::Step& step,
           report::StepResult& sr) const override {
    sr.summary = "fault " + step.args.value("fault", "");
    if (step.when.kind != scenario::Trigger::Kind::now) {
      sr.summary +=
          std::string(" when ") + scenario::to_string(step.when.kind) + " " + step.when.value;
    }
    ctx.faults.arm(step);
  }
};

class ClearStep : public scenario::StepKind {
 public:
  ClearStep()
      : StepKind(
            step_info("clear", "", "clear: NAME | all", "clear an armed fault, or every one")) {}

  void parse(scenario::StepReader& r, const YAML::Node&, const YAML::Node& value,
             scenario::Step& step) const override {
    std::vector<std::string> known = {"all"};
    for (const auto& n : scenario::names_of(scenario::faults())) known.push_back(n);
    std::string fault;
    if (!r.yaml().read_choice(value, known, "fault", fault)) return;
    if (r.clear_is_checked() && fault != "all" && !r.armed(fault)) {
      r.error(value, "clear '" + fault + "': no earlier step arms this fault");
    }
    step.args["fault"] = fault;
  }

  std::vector<scenario::FixtureNeed> fixture_needs(const scenario::Step& step) const override {
    const FaultInfo* f = scenario::find_fault(step.args.value("fault", "all"));
    if (!f || f->family == "ecr") return {};
    return {scenario::need_of(step, f->name)};
  }

  void run(engine::StepContext& ctx, const scenario::Step& step,
           report::StepResult& sr) const override {
    const std::string fault = step.args.value("fault", "all");
    sr.summary = "clear " + fault;
    ctx.faults.clear(fault);
  }
};

}  // namespace

void add_fault_steps(scenario::KindRegistry& r) {
  r.add<FaultStep>();
  r.add<ClearStep>();
}

}  // namespace rig::steps
