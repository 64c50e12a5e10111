// expect: {receipt: {copy?, contains?, count?}} — a receipt finished printing.
#include "rig/checks/check_kind.h"

namespace rig::checks {

namespace {

class ReceiptCheck : public scenario::ExpectKind {
 public:
  ReceiptCheck()
      : ExpectKind(
            {"receipt",
             "a RECEIPT",
             scenario::Duration(5000),
             std::nullopt,
             {MakeParam("copy", ValueType::text, "original or duplicate")
                  .choices({"original", "duplicate"}),
              MakeParam("contains", ValueType::text, "text the receipt contains"),
              MakeParam("count", ValueType::integer, "exactly this many such receipts").range(0)},
             false}) {}

  std::vector<terminal::Need> needs(const scenario::Step&) const override {
    return {terminal::Need::observation(terminal::ObservationKind::receipt)};
  }

  std::string check(engine::CheckContext& ctx, const scenario::Step& step) const override {
    const std::string copy = step.args.value("copy", "");
    const std::string contains = step.args.value("contains", "");
    auto matches = [&](const std::vector<Entry>& es, std::size_t i) {
      const Entry& e = es[i];
      return e.kind == EntryKind::receipt && (copy.empty() || e.fields.value("copy", "") == copy) &&
             (contains.empty() || engine::text_matches(e.fields.value("text", ""), contains));
    };
    std::string what = "RECEIPT" + (copy.empty() ? "" : " copy=" + copy) +
                       (contains.empty() ? "" : " containing \"" + contains + "\"");
    return engine::judge_occurrences(ctx, step, what, ctx.window_start(step), matches,
                                     [](const Entry& e) { return e.kind == EntryKind::receipt; });
  }
};

}  // namespace

void add_receipt(scenario::KindRegistry& r) { r.add<ReceiptCheck>(); }

}  // namespace rig::checks
