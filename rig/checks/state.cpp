// expect: {state: {state?, paper?, pending_reversals?, …}} — the terminal's status snapshot;
// the check asks for one (the status command) until it agrees or the deadline passes.
#include "rig/checks/check_kind.h"

namespace rig::checks {

namespace {

class StateCheck : public scenario::ExpectKind {
 public:
  StateCheck()
      : ExpectKind(
            {"state",
             "the terminal's STATUS (ask with a status step, or the engine asks)",
             scenario::Duration(5000),
             std::nullopt,
             {MakeParam("state", ValueType::text, "terminal state, as STATUS reports it"),
              MakeParam("paper", ValueType::text, "paper sensor").choices({"ok", "low", "out"}),
              MakeParam("pending_reversals", ValueType::integer,
                        "stored reversals not yet acknowledged")
                  .range(0),
              MakeParam("failed_reversals", ValueType::integer,
                        "reversals whose attempts ran out, kept as evidence (rule 3)")
                  .range(0),
              MakeParam("manual_handling", ValueType::integer,
                        "QR orders flagged for manual handling (rule 14)")
                  .range(0)},
             true}) {}

  // It asks (the status command), reads snapshots, and compares the fields it names.
  std::vector<Need> needs(const scenario::Step& step) const override {
    std::vector<Need> out = {Need::command(terminal::CommandKind::status),
                             Need::observation(terminal::ObservationKind::status)};
    for (const auto& [field, value] : step.args.items()) {
      (void)value;
      out.push_back(Need::status_field(field));
    }
    return out;
  }

  std::string check(engine::CheckContext& ctx, const scenario::Step& step) const override {
    const std::chrono::milliseconds within = ctx.within(step, true);
    const Clock::time_point deadline = Clock::now() + within;
    std::string last = "no STATUS reply";
    while (Clock::now() < deadline && !ctx.interrupted()) {
      json status = ctx.ask_status(deadline);
      if (status.is_null()) break;
      bool agrees = true;
      for (const auto& [k, v] : step.args.items()) {
        agrees = agrees && status.contains(k) && engine::field_matches(v, status[k]);
      }
      if (agrees) return "";
      last = "STATUS " + engine::fields_text(status);
      // Ask again once something else has happened.
      const std::size_t seen = ctx.timeline().size();
      ctx.timeline().wait_until([seen](const std::vector<Entry>& es) { return es.size() > seen; },
                                deadline);
    }
    return step.loc.to_string() + ": expected terminal state " + engine::fields_text(step.args) +
           " within " + std::to_string(within.count()) + "ms; saw " + last;
  }
};

}  // namespace

void add_state(scenario::KindRegistry& r) { r.add<StateCheck>(); }

}  // namespace rig::checks
