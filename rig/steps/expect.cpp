// expect: {KIND: …, within?, since?} — check what happened. The kinds are the registered
// expectation kinds (rig/checks); this step reads one and has the session's checks judge it.
#include "rig/engine/checks.h"
#include "rig/steps/step_kind.h"

namespace rig::steps {

namespace {

class ExpectStep : public scenario::StepKind {
 public:
  ExpectStep() : StepKind(make_info()) {}

  void parse(scenario::StepReader& r, const YAML::Node&, const YAML::Node& value,
             scenario::Step& step) const override {
    r.read_expect(value, step);
  }

  void run(engine::StepContext& ctx, const scenario::Step& step,
           report::StepResult& sr) const override {
    sr.summary = "expect " + step.expect;
    std::string failure = ctx.checks.run(step);
    if (!failure.empty()) {
      sr.ok = false;
      sr.message = failure;
    }
  }

 private:
  static StepInfo make_info() {
    StepInfo info = step_info("expect", "", "expect: {KIND: …, within?, since?}",
                              "wait for something to happen (or not) and check it");
    info.check = true;
    return info;
  }
};

}  // namespace

void add_expect_step(scenario::KindRegistry& r) { r.add<ExpectStep>(); }

}  // namespace rig::steps
