// The `rig-ecr` terminal driver: RIG-ECR v1 (docs/ecr-protocol.md) over any Link, with the
// ACK/NAK layer of rig/terminal/ecr_link.h, behind the terminal model. Its own faults are the
// `ecr.*` faults of the catalogue (bad LRC, withheld ACKs, noise, a dropped link).
//
// The translation between the model and RIG-ECR messages is pure (below) and unit-tested; the
// driver adds the link and one pump thread that turns received messages into observations.
#pragma once

#include "rig/protocol/ecr.h"
#include "rig/terminal/ecr_link.h"
#include "rig/terminal/terminal.h"

namespace rig::terminal {

// The RIG-ECR command for `command` (docs/ecr-protocol.md §5): SALE, REFUND, QUERY, LAST,
// REPRINT, CANCEL, STATUS, RESET, LOGIN, UNLOCK with the fields their row lists.
protocol::ecr::Message rig_ecr_command(const Command& command);

// The observation a message from the terminal stands for (§6): RESULT -> Outcome, DISPLAY ->
// Display, PROMPT -> Prompt, RECEIPT -> Receipt, EVENT -> TerminalEvent, STATUS ->
// StatusSnapshot; any other message -> a Note naming it. Numbers that do not parse are left
// out (the wire record keeps the frame as it was).
Observation rig_ecr_observation(const protocol::ecr::Message& message);

// A frame or control byte of the EcrLink observer as a wire record (FS shown as '|').
WireRecord rig_ecr_wire_record(const EcrFrameEvent& event);

// What a rig-ecr driver can do: every command, every observation, every status field of §6,
// and the ecr.* faults.
Capabilities rig_ecr_capabilities();

void register_rig_ecr(DriverRegistry& registry);

}  // namespace rig::terminal
