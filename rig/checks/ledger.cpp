// expect: {ledger: {net?, debits?, …}} — the acquirer's figures for this terminal, counted since
// the scenario began. Needs nothing of the terminal driver; needs the host's admin endpoint.
#include "rig/checks/check_kind.h"

namespace rig::checks {

namespace {

class LedgerCheck : public scenario::ExpectKind {
 public:
  LedgerCheck()
      : ExpectKind(
            {"ledger",
             "the acquirer's ledger figures for this terminal",
             scenario::Duration(5000),
             std::nullopt,
             {MakeParam("net", ValueType::signed_amount, "debits minus reversals and refunds"),
              MakeParam("debits", ValueType::integer, "approved sales").range(0),
              MakeParam("reversals", ValueType::integer, "applied reversals").range(0),
              MakeParam("declines", ValueType::integer, "declined requests").range(0),
              MakeParam("refunds", ValueType::integer, "approved refunds").range(0),
              MakeParam("wallet_payments", ValueType::integer, "wallet orders paid").range(0),
              MakeParam("wallet_net", ValueType::signed_amount, "wallet money taken"),
              MakeParam("fees", ValueType::amount, "merchant fees")},
             true}) {}

  // Read from the acquirer's ledger (vhost).
  std::vector<scenario::FixtureNeed> fixture_needs(const scenario::Step& step) const override {
    return {scenario::need_of(step, "acquirer.ledger", nlohmann::json::object(), "expect " + step.expect)};
  }

  std::string check(engine::CheckContext& ctx, const scenario::Step& step) const override {
    auto mismatch = [&](const json& figures) {
      std::string out;
      for (const auto& [k, v] : step.args.items()) {
        if (figures.contains(k) && engine::field_matches(v, figures[k])) continue;
        const json seen = figures.value(k, json("?"));
        out += (out.empty() ? "" : ", ") + k + "=" +
               (seen.is_string() ? seen.get<std::string>() : seen.dump());
      }
      return out;
    };
    const std::chrono::milliseconds within = ctx.within(step, true);
    const Clock::time_point deadline = Clock::now() + within;
    std::string last;
    for (;;) {
      const std::size_t seen = ctx.timeline().size();
      last = mismatch(ctx.ledger_since_start());
      if (last.empty()) return "";
      // Look again when something new happens on the station, until the deadline; once more
      // at the deadline.
      bool more = ctx.timeline().wait_until(
          [seen](const std::vector<Entry>& es) { return es.size() > seen; }, deadline);
      if (!more || Clock::now() >= deadline) {
        last = mismatch(ctx.ledger_since_start());
        if (last.empty()) return "";
        break;
      }
    }
    return step.loc.to_string() + ": expected ledger " + engine::fields_text(step.args) +
           " (since the scenario began) within " + std::to_string(within.count()) + "ms; saw " +
           last;
  }
};

}  // namespace

void add_ledger(scenario::KindRegistry& r) { r.add<LedgerCheck>(); }

}  // namespace rig::checks
