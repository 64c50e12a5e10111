// The faults a terminal driver makes on its own ECR link (family `ecr` of the scenario
// catalogue): a dropped link, frames sent broken, the terminal's frames left unacknowledged,
// noise on the line. Drivers whose link layer can misbehave this way (rig-ecr, zvt over serial)
// offer them with the same names and parameters and carry them out the same way.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rig/fault/fixture.h"
#include "rig/scenario/catalogue.h"

namespace rig::terminal {

// ecr.no_ack {count}, ecr.bad_lrc {count}, ecr.noise {bytes}, ecr.disconnect.
std::vector<scenario::FaultInfo> link_fault_infos();

// What a driver's link does for these faults.
struct LinkFaultHooks {
  std::function<void()> disconnect;  // close the link
  // Until cleared (all zero): the next `broken` frames sent with a bad check value, the next
  // `unacked` frames of the terminal not acknowledged, `noise` bytes before the next frame.
  std::function<void(int broken, int unacked, int noise)> misbehave;
  std::function<rig::link::Status(rig::link::Deadline)> reopen;
};

fault::Outcome act_link_fault(const std::string& action, const nlohmann::json& params,
                              const LinkFaultHooks& hooks);
fault::Outcome revert_link_fault(const std::string& fault, rig::link::Deadline deadline,
                                 const LinkFaultHooks& hooks);
// Clears misbehaviour and reopens a link that is not `open`.
fault::Outcome restore_link(rig::link::Deadline deadline, const LinkFaultHooks& hooks, bool open);

}  // namespace rig::terminal
