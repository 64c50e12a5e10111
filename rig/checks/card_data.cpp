// evidence pan_masked — run after every scenario: the terminal showed no full PAN and no track
// data on its ECR link (RESULT, RECEIPT, DISPLAY, … and the frames that carried them; docs/
// ecr-protocol.md). The rig masks what it records whatever the terminal sends
// (rig/protocol/redact.h): an entry it had to mask carries `rig_masked`, and that is what this
// check reads — so the scenario fails and still no full PAN reaches a file.
#include <cmath>

#include "rig/checks/check_kind.h"

namespace rig::checks {

namespace {

class PanMasked : public scenario::EvidenceKind {
 public:
  PanMasked()
      : EvidenceKind("pan_masked",
                     "the terminal shows no full PAN or track data on its ECR link (first six "
                     "and last four digits at most)") {}

  std::string check(engine::CheckContext& ctx) const override {
    const auto entries = ctx.timeline().snapshot();
    int count = 0;
    std::string first;
    for (const Entry& e : entries) {
      if (!e.fields.is_object() || !e.fields.contains("rig_masked")) continue;
      if (++count > 1) continue;
      const double ms =
          std::chrono::duration<double, std::milli>(e.at - ctx.timeline().start()).count();
      json shown = e.fields;
      shown.erase("rig_masked");
      first = std::string(engine::to_string(e.kind)) + " " + engine::fields_text(shown) + " at +" +
              std::to_string(static_cast<long long>(std::llround(ms))) + " ms";
    }
    if (count == 0) return "";
    return "the terminal sent a full PAN or track data on its ECR link (" + std::to_string(count) +
           " entr" + (count == 1 ? "y" : "ies") + ", masked by the rig; the first: " + first +
           "); it may show the first six and last four digits at most";
  }
};

}  // namespace

void add_pan_masked(scenario::KindRegistry& r) { r.add<PanMasked>(); }

}  // namespace rig::checks
