// The session's hands at the bench: fixture actions (a card in the reader, a code before the
// scanner, keys, paper, power) through the station's fixture drivers, and the cardholder, who
// types the card's PIN whenever the terminal asks for it during a transaction.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "rig/engine/context.h"
#include "rig/engine/watchers.h"
#include "rig/fault/fixture.h"

namespace rig::engine {

class Station;

class Fixtures {
 public:
  Fixtures(Station& station, Timeline& timeline);

  // The fixture driver that performs `action` (a fixture action or a fault name). Throws
  // InfrastructureError naming what is missing.
  fault::FixtureDriver& fixture(const std::string& action);
  // Performs a fixture action now. Throws InfrastructureError when it could not.
  void act(const std::string& action, const nlohmann::json& params);

  // The cardholder: from the start of transaction `txn` until its outcome, answers each PIN
  // prompt of that transaction with the next of `pins` (the last repeats) and ENTER on the
  // keypad. Needs prompts from the terminal driver; without them nothing is typed.
  void answer_pins(std::vector<std::string> pins, const Transaction& txn);

  // Stops the cardholder.
  void stop() { watchers_.stop(); }
  // Why the cardholder could not do its part, "" when it could.
  std::string trouble() const { return watchers_.trouble(); }

 private:
  Station& st_;
  Timeline& tl_;
  Watchers watchers_;
};

}  // namespace rig::engine
