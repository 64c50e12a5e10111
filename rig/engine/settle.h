// Recovery after a scenario: every fixture back to its base state (faults reverted, card out,
// paper in, power on), then the terminal left idle for whatever runs next — RESET (it cancels
// what has not gone online), the host's time for an online transaction to finish, a power cycle
// for a terminal still busy after that (when the station has a power fixture), the supervisor
// procedure for a locked one (rule 21, with the bench's supervisor_password), and a power cycle
// for a terminal that still holds stored reversals, which it sends at power-up (rule 6), so that
// they count for the scenario that left them and not for the next one's first sale.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "rig/engine/context.h"

namespace rig::engine {

class Settler {
 public:
  Settler(Station& station, const RunnerOptions& options, Timeline& timeline,
          TerminalPort& terminal, Fixtures& fixtures,
          std::function<std::chrono::milliseconds(std::chrono::milliseconds)> scaled);

  // Restores every fixture; "" or why one could not be put back.
  std::string restore_fixtures();
  // Leaves the terminal idle; "" or why it could not.
  std::string settle_terminal();

 private:
  // Asks (RESET, or STATUS when the driver cannot reset) until the terminal is not busy:
  // "idle" (any settled state), "locked", or "busy" at the deadline, `last` saying what was
  // seen.
  std::string ask_until_idle(Clock::time_point deadline, std::string* last,
                             nlohmann::json* status = nullptr);
  // Power-cycles an idle terminal whose `status` says it holds stored reversals and waits until
  // it has sent them; notes what it drained. "" or why the terminal could not be brought back.
  std::string drain_reversals(const nlohmann::json& status, Clock::time_point deadline);
  std::string unlock(Clock::time_point deadline);
  bool interrupted() const;
  void sleep_for(std::chrono::milliseconds d);

  Station& st_;
  const RunnerOptions& opt_;
  Timeline& tl_;
  TerminalPort& terminal_;
  Fixtures& fixtures_;
  std::function<std::chrono::milliseconds(std::chrono::milliseconds)> scaled_;
};

}  // namespace rig::engine
