// What a fixture that opens and closes one contact can do — a relay channel (serial or USB HID
// relay board) or a switched outlet (network power switch). Wired to:
//  - power:   power.cut (the contact in its injecting state) and power.restore;
//  - printer: printer.paper_out, and paper steps with state out or ok (a contact holding the
//             paper sensor's lever cannot make "paper low");
//  - network: network.down (a cable or a switch port cut; every message, so probability 1).
// `active` says which contact state injects the fault: on (energised relay, outlet on) or off.
#pragma once

#include "rig/fault/driver.h"

namespace rig::fault {

// The families a contact serves, for DriverInfo::families.
std::vector<std::string> contact_families();
// DriverInfo::refuses of a contact driver.
std::string contact_refuses(const bench::FaultWiring& wiring, const Need& need, const Reach& reach);
// The `active` setting (default `fallback`).
Setting contact_active_setting(const std::string& fallback);

// A contact driver: act/revert/restore in terms of inject or not; subclasses switch the
// contact itself.
class ContactFixture : public DeclaredFixture {
 public:
  ContactFixture(const DriverInfo& info, const bench::FaultWiring& wiring, Reach reach);

  Outcome act(const std::string& action, const nlohmann::json& params,
              const scenario::Trigger* trigger, std::chrono::milliseconds hold,
              Deadline deadline) override;
  Outcome revert(const std::string& fault, Deadline deadline) override;
  Outcome restore(Deadline deadline) override;

 protected:
  // Puts the contact on (relay energised, outlet powered) or off.
  virtual Outcome switch_to(bool on, Deadline deadline) = 0;

 private:
  Outcome inject(bool yes, Deadline deadline);
  bool active_on_;
};

}  // namespace rig::fault
