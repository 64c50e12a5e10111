// expect: {receipt: {copy?, contains?, amount?, currency?, count?}} — a receipt finished
// printing.
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
              MakeParam("contains", ValueType::pattern, "the receipt's text matches this pattern"),
              MakeParam("amount", ValueType::amount,
                        "the receipt shows this amount, as the profile's receipt_amount wording "
                        "writes it"),
              MakeParam("currency", ValueType::currency,
                        "with `amount`: its currency; default: the profile's"),
              MakeParam("count", ValueType::count, "exactly this many such receipts, or {min, max}")
                  .range(0)},
             false}) {}

  std::vector<terminal::Need> needs(const scenario::Step&) const override {
    return {terminal::Need::observation(terminal::ObservationKind::receipt)};
  }

  std::string check(engine::CheckContext& ctx, const scenario::Step& step) const override {
    const std::string copy = step.args.value("copy", "");
    const std::string contains = step.args.value("contains", "");
    const std::string amount = step.args.value("amount", "");
    const bench::WordingValues values{amount, step.args.value("currency", "")};
    auto matches = [&](const std::vector<Entry>& es, std::size_t i) {
      const Entry& e = es[i];
      const std::string text = e.fields.value("text", "");
      return e.kind == EntryKind::receipt && (copy.empty() || e.fields.value("copy", "") == copy) &&
             (contains.empty() || engine::text_matches(text, contains, step.match)) &&
             (amount.empty() ||
              bench::wording_matches(ctx.profile(), "receipt_amount", text, values));
    };
    std::string what =
        "RECEIPT" + (copy.empty() ? "" : " copy=" + copy) +
        (contains.empty() ? "" : " matching \"" + contains + "\"") +
        (amount.empty()
             ? ""
             : " with the amount line /" +
                   bench::wording_pattern(ctx.profile(), "receipt_amount", values) + "/");
    return engine::judge_occurrences(ctx, step, what, ctx.window_start(step), matches,
                                     [](const Entry& e) { return e.kind == EntryKind::receipt; });
  }
};

}  // namespace

void add_receipt(scenario::KindRegistry& r) { r.add<ReceiptCheck>(); }

}  // namespace rig::checks
