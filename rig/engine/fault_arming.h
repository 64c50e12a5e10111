// The session's faults: arms a fault step's fault at once or at its trigger, clears it after
// its `for:`, and clears faults on `clear`. Message triggers are left to the fixture that sees
// the messages (the network proxy) when it applies the fault; event, prompt and delay triggers
// are watched here, on the timeline, and so are the message triggers of other fixtures' faults
// (a power cut as the 0210 passes), on the proxy's record of the message.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "rig/engine/timeline.h"
#include "rig/engine/watchers.h"
#include "rig/scenario/scenario.h"

namespace rig::engine {

class Station;
class Fixtures;

// Whether timeline entry `e` is what an event, prompt or message trigger waits for (its name,
// kind, MTI or path, and for messages its direction); the occurrence is counted by the caller.
bool trigger_matches(const scenario::Trigger& when, const Entry& e);

class FaultArming {
 public:
  // `scaled` turns scenario time into bench time.
  FaultArming(Station& station, Timeline& timeline, Fixtures& fixtures,
              std::function<std::chrono::milliseconds(std::chrono::milliseconds)> scaled);

  // Arms `step`'s fault (step.args["fault"], its parameters, step.when, step.hold). Throws
  // InfrastructureError when no fixture can apply it or the fixture refused.
  void arm(const scenario::Step& step);
  // Reverts one fault, or with "all" puts every fixture back to its base state.
  void clear(const std::string& fault);

  // Stops the trigger watchers; armed faults not fired by then never fire.
  void stop() { watchers_.stop(); }
  // Why a triggered fault could not be applied, "" when every one could.
  std::string trouble() const { return watchers_.trouble(); }

 private:
  Station& st_;
  Timeline& tl_;
  Fixtures& fixtures_;
  std::function<std::chrono::milliseconds(std::chrono::milliseconds)> scaled_;
  Watchers watchers_;
};

}  // namespace rig::engine
