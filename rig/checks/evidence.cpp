// The evidence checks every scenario gets without asking (docs/kinds.md, "Evidence checks"):
// each invariant of rig/checks/invariants.h as an EvidenceKind over the scenario's evidence.
#include "rig/checks/check_kind.h"
#include "rig/checks/invariants.h"

namespace rig::checks {

namespace {

using Judge = Verdict (*)(const engine::Evidence&);

class InvariantCheck : public scenario::EvidenceKind {
 public:
  InvariantCheck(std::string name, std::string doc, Judge judge, std::vector<Need> needs)
      : EvidenceKind(std::move(name), std::move(doc)), judge_(judge), needs_(std::move(needs)) {}

  std::vector<Need> needs() const override { return needs_; }
  std::string check(engine::CheckContext& ctx) const override { return verdict(ctx).failure; }
  Verdict verdict(engine::CheckContext& ctx) const override { return judge_(ctx.evidence()); }

 private:
  Judge judge_;
  std::vector<Need> needs_;
};

}  // namespace

void add_evidence(scenario::KindRegistry& r) {
  const Need result = Need::observation(ObservationKind::result);
  r.add<InvariantCheck>("money_conserved",
                        "every APPROVED result has its standing debit, credit or paid order of the "
                        "amount asked for, and every standing one has its APPROVED result",
                        &money_conserved, std::vector<Need>{result});
  r.add<InvariantCheck>("charged_once",
                        "reversals carry their original's fields and apply once; one charge per "
                        "transaction id; no wallet order paid twice",
                        &charged_once, std::vector<Need>{result});
  r.add<InvariantCheck>("reversal_fields",
                        "every reversal on the wire carries its original's amount, currency, STAN, "
                        "TID, MID and field 90",
                        &reversal_fields, std::vector<Need>{});
  r.add<InvariantCheck>(
      "display_agrees", "the display and the RESULT text say the outcome the RESULT's status says",
      &display_agrees, std::vector<Need>{result, Need::observation(ObservationKind::display)});
  r.add<InvariantCheck>("receipts_for_approvals",
                        "receipts only for transactions that ended APPROVED (or decline slips)",
                        &receipts_for_approvals,
                        std::vector<Need>{result, Need::observation(ObservationKind::receipt)});
}

}  // namespace rig::checks
