// expect: {event: NAME, before?, after?, count?, absent?} — what the terminal reports about its
// own work, optionally ordered against another event or the transaction's outcome.
#include "rig/checks/check_kind.h"

namespace rig::checks {

namespace {

class EventCheck : public scenario::ExpectKind {
 public:
  EventCheck()
      : ExpectKind(
            {"event",
             "an EVENT, optionally ordered against another event or the result",
             scenario::Duration(5000),
             scenario::Param(MakeParam("name", ValueType::event, "event name").required()),
             {MakeParam("before", ValueType::event_or_result,
                        "it comes before this event or the result"),
              MakeParam("after", ValueType::event_or_result,
                        "it comes after this event or the result"),
              MakeParam("count", ValueType::count, "exactly this many such events, or {min, max}")
                  .range(0),
              MakeParam("absent", ValueType::boolean, "true: no such event within the deadline")},
             false}) {}

  std::vector<Need> needs(const scenario::Step& step) const override {
    std::vector<Need> out = {Need::observation(ObservationKind::event),
                             Need::event_kind(step.args.value("name", ""))};
    for (const char* order : {"before", "after"}) {
      const std::string ref = step.args.value(order, "");
      if (ref == "result") {
        out.push_back(Need::observation(ObservationKind::result));
      } else if (!ref.empty()) {
        out.push_back(Need::event_kind(ref));
      }
    }
    return out;
  }

  std::string check(engine::CheckContext& ctx, const scenario::Step& step) const override {
    const json& a = step.args;
    const std::string name = a.value("name", "");
    const std::string before = a.value("before", "");
    const std::string after = a.value("after", "");
    const engine::Transaction txn = ctx.transaction();
    const std::size_t from = ctx.window_start(step);
    // An event about an earlier scenario's transaction is not this scenario's (provenance.h).
    auto is_event = [&](const Entry& e) {
      return e.kind == EntryKind::event && e.fields.value("name", "") == name &&
             !engine::of_earlier_scenario(e);
    };
    std::string what = "EVENT " + name;
    if (!before.empty()) what += " before " + before;
    if (!after.empty()) what += " after " + after;

    const engine::Occurrences want = engine::Occurrences::of(a);
    if (want.counting()) {
      return engine::judge_occurrences(
          ctx, step, what, from,
          [&](const std::vector<Entry>& es, std::size_t i) { return is_event(es[i]); },
          [](const Entry& e) { return e.kind == EntryKind::event; });
    }
    // Index of the first reference point: `result` is the transaction's outcome.
    auto first_of = [&](const std::vector<Entry>& es, const std::string& ref) {
      for (std::size_t i = from; i < es.size(); ++i) {
        const Entry& e = es[i];
        bool hit =
            ref == "result"
                ? e.kind == EntryKind::result && (txn.any_id || e.fields.value("id", "") == txn.id)
                : e.kind == EntryKind::event && e.fields.value("name", "") == ref &&
                      !engine::of_earlier_scenario(e);
        if (hit) return i;
      }
      return es.size();
    };
    auto relevant = [&](const Entry& e) {
      return e.kind == EntryKind::event || e.kind == EntryKind::result;
    };
    auto eval = [&](const std::vector<Entry>& es) -> std::string {
      for (std::size_t i = from; i < es.size(); ++i) {
        if (!is_event(es[i])) continue;
        if (!before.empty() && first_of(es, before) < i) {
          return "it came after " + before + "; " + engine::seen_list(es, from, relevant);
        }
        // One that came before the `after` reference does not count; a later one may.
        if (!after.empty() && first_of(es, after) > i) continue;
        return "";
      }
      return engine::seen_list(es, from, relevant);
    };
    return engine::judge(ctx, step, what, eval, true);
  }
};

}  // namespace

void add_event(scenario::KindRegistry& r) { r.add<EventCheck>(); }

}  // namespace rig::checks
