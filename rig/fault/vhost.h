// The `vhost` fixture driver: scripted behaviour of the virtual acquirer and wallet over vhost's
// admin endpoint (docs/host-protocol.md) — the host.* and wallet.* faults — and its ledger,
// which ledger checks read. Rules are scoped to the station's terminal id, so that stations
// sharing one vhost do not disturb each other.
//
// Settings: admin (HOST:PORT; default the station's host.admin).
#pragma once

#include "rig/fault/driver.h"

namespace rig::fault {

const DriverInfo& vhost_driver();

}  // namespace rig::fault
