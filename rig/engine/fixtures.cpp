#include "rig/engine/fixtures.h"

#include <algorithm>

#include "rig/engine/runner.h"
#include "rig/engine/station.h"

namespace rig::engine {

using nlohmann::json;
using std::chrono::milliseconds;

Fixtures::Fixtures(Station& station, Timeline& timeline)
    : st_(station), tl_(timeline), watchers_(timeline) {}

fault::FixtureDriver& Fixtures::fixture(const std::string& action) {
  std::string why;
  fault::FixtureDriver* f = st_.fixture_for(action, &why);
  if (!f) throw InfrastructureError(why);
  return *f;
}

void Fixtures::act(const std::string& action, const json& params) {
  fault::Outcome out = fixture(action).act(action, params, nullptr, milliseconds(0),
                                           link::after(std::chrono::seconds(10)));
  if (!out.ok) throw InfrastructureError(out.message);
}

void Fixtures::answer_pins(std::vector<std::string> pins, const Transaction& txn) {
  if (pins.empty()) return;
  // From the start of the transaction: the PIN prompt may come before the card fixture has
  // even answered that the card is in.
  const std::size_t from = txn.start;
  const std::string id = txn.id;
  watchers_.spawn([this, pins, from, id] {
    std::size_t seen = from;
    std::size_t answered = 0;
    while (!watchers_.stopping()) {
      std::size_t prompt_index = 0;
      bool got = tl_.wait_until(
          [&](const std::vector<Entry>& es) {
            for (std::size_t i = seen; i < es.size(); ++i) {
              const Entry& e = es[i];
              if (e.kind == EntryKind::result && e.fields.value("id", "") == id) return true;
              if (e.kind == EntryKind::prompt && e.fields.value("kind", "") == "PIN" &&
                  e.fields.value("id", id) == id) {
                prompt_index = i;
                return true;
              }
            }
            return false;
          },
          Clock::now() + std::chrono::hours(1));
      if (!got || watchers_.stopping()) return;
      if (prompt_index == 0) return;  // the transaction ended
      seen = prompt_index + 1;
      const std::string& pin = pins[std::min(answered, pins.size() - 1)];
      ++answered;
      json keys = json::array();
      for (char c : pin) keys.push_back(std::string(1, c));
      keys.push_back("ENTER");
      std::string why;
      fault::FixtureDriver* f = st_.fixture_for("keypad.press", &why);
      fault::Outcome out = f ? f->act("keypad.press", {{"keys", keys}}, nullptr, milliseconds(0),
                                      link::after(std::chrono::seconds(10)))
                             : fault::Outcome::failure(why);
      if (!out.ok) {
        watchers_.fail("cardholder could not enter the PIN: " + out.message);
        return;
      }
    }
  });
}

}  // namespace rig::engine
