// expect: {display: TEXT} — the terminal's display showed this text.
#include "rig/checks/check_kind.h"

namespace rig::checks {

namespace {

class DisplayCheck : public scenario::ExpectKind {
 public:
  DisplayCheck()
      : ExpectKind({"display",
                    "a DISPLAY whose text matches this pattern",
                    scenario::Duration(5000),
                    scenario::Param(
                        MakeParam("text", ValueType::pattern, "what the display shows (a pattern)")
                            .required()),
                    {},
                    false}) {}

  std::vector<terminal::Need> needs(const scenario::Step&) const override {
    return {terminal::Need::observation(terminal::ObservationKind::display)};
  }

  std::string check(engine::CheckContext& ctx, const scenario::Step& step) const override {
    const std::string text = step.args.value("text", "");
    return engine::judge_occurrences(
        ctx, step, "DISPLAY matching \"" + text + "\"", ctx.window_start(step),
        [&](const std::vector<Entry>& es, std::size_t i) {
          return es[i].kind == EntryKind::display &&
                 engine::text_matches(es[i].fields.value("text", ""), text, step.match);
        },
        [](const Entry& e) { return e.kind == EntryKind::display; });
  }
};

}  // namespace

void add_display(scenario::KindRegistry& r) { r.add<DisplayCheck>(); }

}  // namespace rig::checks
