// expect: {host_message: {mti, direction?, fields?, field_90_refers_to?, count?, absent?}} —
// an ISO 8583 message the network proxy saw. Needs nothing of the terminal driver.
#include "rig/checks/check_kind.h"

namespace rig::checks {

namespace {

const json& iso_fields(const Entry& e) {
  static const json none = json::object();
  auto it = e.fields.find("fields");
  return it != e.fields.end() ? *it : none;
}

// Field 90 (original data elements: MTI 4, STAN 6, transmission time 10, …) names a request
// that went to the host before the current transaction began.
bool refers_to_previous(const std::vector<Entry>& es, const Entry& e, std::size_t txn_start) {
  const std::string f90 = iso_fields(e).value("90", "");
  if (f90.size() < 20) return false;
  for (std::size_t j = 0; j < std::min(txn_start, es.size()); ++j) {
    const Entry& o = es[j];
    if (o.kind != EntryKind::host_message || o.fields.value("direction", "") != "to_host") continue;
    const json& of = iso_fields(o);
    if (o.fields.value("mti", "") == f90.substr(0, 4) && of.value("11", "") == f90.substr(4, 6) &&
        of.value("7", "") == f90.substr(10, 10)) {
      return true;
    }
  }
  return false;
}

class HostMessageCheck : public scenario::ExpectKind {
 public:
  HostMessageCheck()
      : ExpectKind(
            {"host_message",
             "an ISO 8583 message seen by the network proxy",
             scenario::Duration(5000),
             std::nullopt,
             {MakeParam("mti", ValueType::mti, "message type (\"0400\")").required(),
              MakeParam("direction", ValueType::text,
                        "to_host, to_terminal or both; default by MTI")
                  .choices({"to_host", "to_terminal", "both"}),
              MakeParam("fields", ValueType::iso_fields,
                        "field values the message carries: {39: \"98\"}"),
              MakeParam("field_90_refers_to", ValueType::text,
                        "previous: field 90 names the 0200 of an earlier transaction")
                  .choices({"previous"}),
              MakeParam("count", ValueType::count, "exactly this many such messages, or {min, max}")
                  .range(0),
              MakeParam("absent", ValueType::boolean, "true: no such message within the deadline")},
             false}) {}

  // The direction a message naturally travels, when none is written.
  void normalize(scenario::StepReader&, const YAML::Node&, scenario::Step& step) const override {
    json& a = step.args;
    if (a.contains("mti") && !a.contains("direction")) {
      a["direction"] = scenario::default_direction_for_mti(a["mti"]);
    }
  }

  // Read from the messages the network proxy saw.
  std::vector<scenario::FixtureNeed> fixture_needs(const scenario::Step& step) const override {
    return {scenario::need_of(step, "network.observe", nlohmann::json::object(), "expect " + step.expect)};
  }

  std::string check(engine::CheckContext& ctx, const scenario::Step& step) const override {
    const json& a = step.args;
    const std::string mti = a.value("mti", "");
    const std::string direction = a.value("direction", "");
    const json fields = a.value("fields", json::object());
    const bool previous = a.contains("field_90_refers_to");
    const std::size_t txn_start = ctx.transaction().start;
    auto matches = [&](const std::vector<Entry>& es, std::size_t i) {
      const Entry& e = es[i];
      if (e.kind != EntryKind::host_message || e.fields.value("mti", "") != mti) return false;
      if (direction != "both" && e.fields.value("direction", "") != direction) return false;
      if (e.fields.value("dropped", false)) return false;  // never reached the other side
      const json& have = iso_fields(e);
      for (const auto& [k, v] : fields.items()) {
        if (!have.contains(k) || !engine::field_matches(v, have[k])) return false;
      }
      return !previous || refers_to_previous(es, e, txn_start);
    };
    std::string what = "host message " + mti + " " + direction;
    if (!fields.empty()) what += " with " + engine::fields_text(fields);
    if (previous) what += " whose field 90 refers to the previous transaction";
    return engine::judge_occurrences(
        ctx, step, what, ctx.window_start(step), matches,
        [](const Entry& e) { return e.kind == EntryKind::host_message; });
  }
};

}  // namespace

void add_host_message(scenario::KindRegistry& r) { r.add<HostMessageCheck>(); }

}  // namespace rig::checks
