// wait: DURATION — let time pass (scaled by the bench's time_scale).
#include "rig/steps/step_kind.h"

namespace rig::steps {

namespace {

class WaitStep : public scenario::StepKind {
 public:
  WaitStep()
      : StepKind(step_info("wait", "", "wait: DURATION",
                           "do nothing for this long (scaled by time_scale)")) {}

  void parse(scenario::StepReader& r, const YAML::Node&, const YAML::Node& value,
             scenario::Step& step) const override {
    scenario::Duration d{0};
    if (r.read_positive_duration(value, "wait", d)) step.args["duration_ms"] = d.count();
  }

  void run(engine::StepContext& ctx, const scenario::Step& step,
           report::StepResult& sr) const override {
    const std::chrono::milliseconds d =
        ctx.scaled(std::chrono::milliseconds(step.args.value("duration_ms", 0)));
    sr.summary = "wait " + std::to_string(d.count()) + "ms";
    ctx.sleep_for(d);
  }
};

}  // namespace

void add_wait_step(scenario::KindRegistry& r) { r.add<WaitStep>(); }

}  // namespace rig::steps
