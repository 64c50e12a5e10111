// expect: {ecr: KIND, from?, name?, count?, absent?} — something on the ECR wire, as the
// controller's end of the link saw it (rules 18, 19). Needs a driver with a wire.
#include "rig/checks/check_kind.h"

namespace rig::checks {

namespace {

class EcrCheck : public scenario::ExpectKind {
 public:
  EcrCheck()
      : ExpectKind(
            {"ecr",
             "something on the ECR wire: a frame, ACK, NAK, a bad frame or noise (rules 18-19)",
             scenario::Duration(5000),
             scenario::Param(MakeParam("kind", ValueType::text, "what went over the wire")
                                 .choices({"frame", "ack", "nak", "bad", "noise"})
                                 .required()),
             {MakeParam("from", ValueType::text, "who sent it: terminal (default) or controller")
                  .choices({"terminal", "controller"})
                  .fallback("terminal"),
              MakeParam("name", ValueType::text, "frames: the message name (SALE, RESULT)"),
              MakeParam("count", ValueType::count, "exactly this many, or {min, max}").range(0),
              MakeParam("absent", ValueType::boolean, "true: none within the deadline")},
             false}) {}

  std::vector<terminal::Need> needs(const scenario::Step&) const override {
    return {terminal::Need::observation(terminal::ObservationKind::wire)};
  }

  std::string check(engine::CheckContext& ctx, const scenario::Step& step) const override {
    const std::string from = step.args.value("from", "terminal");
    // The terminal's frames and control bytes are what the controller reads ("in").
    const EntryKind side = from == "terminal" ? EntryKind::ecr_in : EntryKind::ecr_out;
    const std::string kind = step.args.value("kind", "");
    const std::string name = step.args.value("name", "");
    auto matches = [&](const std::vector<Entry>& es, std::size_t i) {
      const Entry& e = es[i];
      return e.kind == side && e.fields.value("kind", "") == kind &&
             (name.empty() || e.fields.value("name", "") == name);
    };
    std::string what = "ECR " + kind + (name.empty() ? "" : " " + name) + " from " + from;
    return engine::judge_occurrences(ctx, step, what, ctx.window_start(step), matches,
                                     [side](const Entry& e) { return e.kind == side; });
  }
};

}  // namespace

void add_ecr(scenario::KindRegistry& r) { r.add<EcrCheck>(); }

}  // namespace rig::checks
