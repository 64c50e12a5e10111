// expect: {prompt: KIND, tries_left?, count?, absent?} — the terminal waits for the customer or the
// operator.
#include "rig/checks/check_kind.h"

namespace rig::checks {

namespace {

class PromptCheck : public scenario::ExpectKind {
 public:
  PromptCheck()
      : ExpectKind(
            {"prompt",
             "a PROMPT of this kind",
             scenario::Duration(5000),
             scenario::Param(MakeParam("kind", ValueType::text, "prompt kind")
                                 .choices(scenario::names_of(scenario::prompt_kinds()))
                                 .required()),
             {MakeParam("tries_left", ValueType::integer, "the prompt's tries_left (PIN)").range(0),
              MakeParam("count", ValueType::count, "exactly this many such prompts, or {min, max}")
                  .range(0),
              MakeParam("absent", ValueType::boolean, "true: no such prompt within the deadline")},
             false}) {}

  // The prompts and the kind asked for (a driver may observe only some kinds).
  std::vector<terminal::Need> needs(const scenario::Step& step) const override {
    std::vector<terminal::Need> out{terminal::Need::observation(terminal::ObservationKind::prompt)};
    const std::string kind = step.args.value("kind", "");
    if (!kind.empty()) out.push_back(terminal::Need::prompt_kind(kind));
    if (step.args.contains("tries_left")) out.push_back(terminal::Need::prompt_tries_left());
    return out;
  }

  std::string check(engine::CheckContext& ctx, const scenario::Step& step) const override {
    const json& a = step.args;
    const std::string kind = a.value("kind", "");
    std::string what = "PROMPT " + kind;
    if (a.contains("tries_left")) what += " tries_left=" + a["tries_left"].dump();
    auto matches = [&](const std::vector<Entry>& es, std::size_t i) {
      const Entry& e = es[i];
      if (e.kind != EntryKind::prompt || e.fields.value("kind", "") != kind) return false;
      return !a.contains("tries_left") ||
             engine::field_matches(a["tries_left"], e.fields.value("tries_left", json("")));
    };
    const bool counting = engine::Occurrences::of(a).counting();
    return engine::judge_occurrences(
        ctx, step, what, ctx.window_start(step), matches, [counting](const Entry& e) {
          return e.kind == EntryKind::prompt || (!counting && e.kind == EntryKind::result);
        });
  }
};

}  // namespace

void add_prompt(scenario::KindRegistry& r) { r.add<PromptCheck>(); }

}  // namespace rig::checks
