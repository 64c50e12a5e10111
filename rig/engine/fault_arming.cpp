#include "rig/engine/fault_arming.h"

#include <algorithm>

#include "rig/engine/fixtures.h"
#include "rig/engine/runner.h"
#include "rig/engine/station.h"

namespace rig::engine {

using nlohmann::json;
using scenario::Trigger;
using std::chrono::milliseconds;

bool trigger_matches(const Trigger& when, const Entry& e) {
  switch (when.kind) {
    case Trigger::Kind::event:
      return e.kind == EntryKind::event && e.fields.value("name", "") == when.value;
    case Trigger::Kind::prompt:
      return e.kind == EntryKind::prompt && e.fields.value("kind", "") == when.value;
    case Trigger::Kind::host_message:
    case Trigger::Kind::wallet_message: {
      const bool iso = when.kind == Trigger::Kind::host_message;
      if (e.kind != (iso ? EntryKind::host_message : EntryKind::wallet_message)) return false;
      if (e.fields.value(iso ? "mti" : "path", "") != when.value) return false;
      return when.direction == "both" || e.fields.value("direction", "") == when.direction;
    }
    case Trigger::Kind::now:
    case Trigger::Kind::after:
      return false;
  }
  return false;
}

FaultArming::FaultArming(Station& station, Timeline& timeline, Fixtures& fixtures,
                         std::function<milliseconds(milliseconds)> scaled)
    : st_(station),
      tl_(timeline),
      fixtures_(fixtures),
      scaled_(std::move(scaled)),
      watchers_(timeline) {}

void FaultArming::arm(const scenario::Step& step) {
  const std::string name = step.args.value("fault", "");
  json params = step.args;
  params.erase("fault");
  // Durations of the fault itself are scenario time too.
  for (const char* key : {"ms", "jitter_ms", "gap_ms"}) {
    if (!params.contains(key)) continue;
    long long given = params[key].get<long long>();
    // A small delay must not vanish under a small time_scale: keep at least 1 ms.
    params[key] = given > 0 ? std::max<long long>(1, scaled_(milliseconds(given)).count()) : 0;
  }
  const milliseconds hold = step.hold ? scaled_(*step.hold) : milliseconds(0);
  fault::FixtureDriver& f = fixtures_.fixture(name);
  const Trigger& when = step.when;
  const bool message_trigger =
      when.kind == Trigger::Kind::host_message || when.kind == Trigger::Kind::wallet_message;
  if (when.kind == Trigger::Kind::now || (message_trigger && f.handles_trigger(when))) {
    const Trigger* trigger = when.kind == Trigger::Kind::now ? nullptr : &when;
    fault::Outcome out = f.act(name, params, trigger, hold, link::after(std::chrono::seconds(10)));
    if (!out.ok) throw InfrastructureError(out.message);
    if (when.kind == Trigger::Kind::now && hold.count() > 0 && !f.handles_trigger(when)) {
      // Drivers that cannot time a fault themselves: the engine clears it after `for`.
      fault::FixtureDriver* fp = &f;
      watchers_.spawn([this, fp, name, hold] {
        watchers_.sleep_for(hold);
        if (!watchers_.stopping()) fp->revert(name, link::after(std::chrono::seconds(10)));
      });
    }
    return;
  }
  if (message_trigger && family_of(name) == "network") {
    // A network fault cuts or holds the trigger message itself: only the proxy can time it.
    throw InfrastructureError("station " + st_.name() + ": " + f.describe() +
                              " cannot wait for a message trigger (wire the network to the proxy)");
  }
  // Event, prompt and delay triggers are watched here, on the timeline; so are message triggers
  // of faults whose fixture does not see the messages (power.cut, printer.paper_out, host.*):
  // they fire on the proxy's record of the message, just after it passed.
  const std::size_t from = tl_.size();
  fault::FixtureDriver* fp = &f;
  const milliseconds delay = scaled_(when.delay);
  watchers_.spawn([this, fp, name, params, hold, when, from, delay] {
    if (when.kind == Trigger::Kind::after) {
      watchers_.sleep_for(delay);
    } else {
      const int wanted = std::max(1, when.occurrence);
      tl_.wait_until(
          [&](const std::vector<Entry>& es) {
            int n = 0;
            for (std::size_t i = from; i < es.size(); ++i) {
              // An earlier scenario's reversal events and messages do not fire this one's faults.
              if (trigger_matches(when, es[i]) && !of_earlier_scenario(es[i]) && ++n >= wanted) {
                return true;
              }
            }
            return false;
          },
          Clock::now() + std::chrono::hours(1));
    }
    if (watchers_.stopping()) return;
    fault::Outcome out =
        fp->act(name, params, nullptr, hold, link::after(std::chrono::seconds(10)));
    if (!out.ok) {
      watchers_.fail(out.message);
      return;
    }
    if (hold.count() > 0) {
      watchers_.sleep_for(hold);
      if (!watchers_.stopping()) fp->revert(name, link::after(std::chrono::seconds(10)));
    }
  });
}

void FaultArming::clear(const std::string& fault) {
  if (fault == "all") {
    for (auto* fx : st_.fixtures()) {
      fault::Outcome out = fx->restore(link::after(std::chrono::seconds(10)));
      if (!out.ok) throw InfrastructureError(out.message);
    }
    return;
  }
  fault::Outcome out =
      fixtures_.fixture(fault).revert(fault, link::after(std::chrono::seconds(10)));
  if (!out.ok) throw InfrastructureError(out.message);
}

}  // namespace rig::engine
