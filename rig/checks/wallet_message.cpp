// expect: {wallet_message: {path, direction?, count?, absent?}} — a wallet HTTP request the
// network proxy saw. Needs nothing of the terminal driver.
#include "rig/checks/check_kind.h"

namespace rig::checks {

namespace {

class WalletMessageCheck : public scenario::ExpectKind {
 public:
  WalletMessageCheck()
      : ExpectKind(
            {"wallet_message",
             "a wallet HTTP request seen by the network proxy",
             scenario::Duration(5000),
             std::nullopt,
             {MakeParam("path", ValueType::text, "endpoint")
                  .choices(scenario::names_of(scenario::wallet_paths()))
                  .required(),
              MakeParam("direction", ValueType::text,
                        "to_host (the request, default), to_terminal, both")
                  .choices({"to_host", "to_terminal", "both"})
                  .fallback("to_host"),
              MakeParam("count", ValueType::count, "exactly this many such messages, or {min, max}")
                  .range(0),
              MakeParam("absent", ValueType::boolean, "true: no such message within the deadline")},
             false}) {}

  // Read from the messages the network proxy saw.
  std::vector<scenario::FixtureNeed> fixture_needs(const scenario::Step& step) const override {
    return {scenario::need_of(step, "network.observe", nlohmann::json::object(), "expect " + step.expect)};
  }

  std::string check(engine::CheckContext& ctx, const scenario::Step& step) const override {
    const std::string path = step.args.value("path", "");
    const std::string direction = step.args.value("direction", "to_host");
    auto matches = [&](const std::vector<Entry>& es, std::size_t i) {
      const Entry& e = es[i];
      return e.kind == EntryKind::wallet_message && e.fields.value("path", "") == path &&
             (direction == "both" || e.fields.value("direction", "") == direction) &&
             !e.fields.value("dropped", false);  // never reached the other side
    };
    return engine::judge_occurrences(
        ctx, step, "wallet message " + path + " " + direction, ctx.window_start(step), matches,
        [](const Entry& e) { return e.kind == EntryKind::wallet_message; });
  }
};

}  // namespace

void add_wallet_message(scenario::KindRegistry& r) { r.add<WalletMessageCheck>(); }

}  // namespace rig::checks
