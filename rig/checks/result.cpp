// expect: {result: {…}} — the outcome of the current transaction.
#include "rig/checks/check_kind.h"

namespace rig::checks {

namespace {

class ResultCheck : public scenario::ExpectKind {
 public:
  ResultCheck()
      : ExpectKind(
            {"result",
             "a RESULT with these fields (all given fields must match)",
             scenario::Duration(10000),
             std::nullopt,
             {MakeParam("status", ValueType::text, "result status")
                  .choices(scenario::names_of(scenario::result_statuses())),
              MakeParam("rc", ValueType::response_code, "host response code (\"05\")"),
              MakeParam("entry", ValueType::text, "how the card or code was read")
                  .choices(scenario::names_of(scenario::entry_modes())),
              MakeParam("method", ValueType::text, "card or qr").choices({"card", "qr"}),
              MakeParam("amount", ValueType::amount, "amount"),
              MakeParam("text", ValueType::pattern, "the result's text matches this pattern"),
              MakeParam("id", ValueType::transaction_id, "transaction id; default: any")},
             false}) {}

  std::vector<terminal::Need> needs(const scenario::Step&) const override {
    return {terminal::Need::observation(terminal::ObservationKind::result)};
  }

  std::string check(engine::CheckContext& ctx, const scenario::Step& step) const override {
    const json& want = step.args;
    const engine::Transaction txn = ctx.transaction();
    const std::size_t from = ctx.window_start(step);
    // The current transaction's outcomes (last, reprint: any id).
    auto is_mine = [&](const Entry& e) {
      return e.kind == EntryKind::result && (txn.any_id || e.fields.value("id", "") == txn.id);
    };
    auto agrees = [&](const Entry& e) {
      for (const auto& [k, v] : want.items()) {
        if (!e.fields.contains(k)) return false;
        if (k == "id") {
          if (e.fields.value("id", "") != ctx.scoped(v.get<std::string>())) return false;
        } else if (k == "text") {
          if (!engine::text_matches(e.fields.value("text", ""), v.get<std::string>(), step.match)) {
            return false;
          }
        } else if (!engine::field_matches(v, e.fields[k])) {
          return false;
        }
      }
      return true;
    };
    auto eval = [&](const std::vector<Entry>& es) -> std::string {
      for (std::size_t i = from; i < es.size(); ++i) {
        if (is_mine(es[i]) && agrees(es[i])) return "";
      }
      return engine::seen_list(es, from,
                               [](const Entry& e) { return e.kind == EntryKind::result; });
    };
    return engine::judge(ctx, step, "RESULT " + engine::fields_text(want), eval, true);
  }
};

}  // namespace

void add_result(scenario::KindRegistry& r) { r.add<ResultCheck>(); }

}  // namespace rig::checks
