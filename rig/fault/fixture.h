// Fixture drivers: what stands around a terminal on a bench and injects its faults — the
// network proxy, the virtual terminal's control port, the acquirer simulator's admin endpoint,
// a USB relay board, command-line tools, or an operator at the bench.
//
// A bench wires one driver per fault family (rig/bench/bench.h). The engine asks the driver
// of a family to perform fixture actions (insert a card, press keys, set the paper state) and
// to apply faults named in the scenario catalogue ("network.down", "printer.paper_out");
// revert() undoes one fault and restore() puts the fixture back to its base state, which the
// engine does after every scenario — also when it failed, errored or was interrupted.
//
// Results, never exceptions, for device trouble: a driver that cannot reach its device returns
// an Outcome with ok == false and a message naming the device; the engine turns that into an
// infrastructure error for the station. Configuration mistakes (a fault this driver cannot
// inject) are found before the run from the drivers' declarations (rig/fault/driver.h), which
// supports() answers from too.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rig/bench/bench.h"
#include "rig/link/link.h"
#include "rig/scenario/scenario.h"

namespace rig::fault {

using rig::link::Deadline;

struct Outcome {
  bool ok = true;
  std::string message;  // why not ok, naming the device
  nlohmann::json reply = nlohmann::json::object();

  static Outcome success(nlohmann::json reply = nlohmann::json::object()) {
    return {true, "", std::move(reply)};
  }
  static Outcome failure(std::string message) { return {false, std::move(message), {}}; }
};

// Where a fixture reports what it did (the station's timeline): kind is "fault_applied",
// "fault_cleared" or "fixture"; fields describe it.
using FixtureRecorder = std::function<void(const std::string& kind, nlohmann::json fields)>;

class FixtureDriver {
 public:
  virtual ~FixtureDriver() = default;

  // "vterm control 127.0.0.1:40001", "relay usb:1a86:7523 channel 1"
  virtual std::string describe() const = 0;
  // Whether this driver can perform `action` (a fixture action such as "card.insert" or a fault
  // name such as "printer.paper_out").
  virtual bool supports(const std::string& action) const = 0;
  // Whether it can wait for a message trigger itself (the proxy can); other triggers are
  // watched by the engine, which then calls act() at the right moment.
  virtual bool handles_trigger(const scenario::Trigger& trigger) const {
    (void)trigger;
    return false;
  }

  // Performs a fixture action or applies a fault. `params` are the step's checked arguments;
  // durations in them are already scaled by the bench's time_scale. `trigger` is set only
  // when handles_trigger() said yes. `hold` clears the fault that long after it fired (0: no).
  virtual Outcome act(const std::string& action, const nlohmann::json& params,
                      const scenario::Trigger* trigger, std::chrono::milliseconds hold,
                      Deadline deadline) = 0;
  // Undoes a fault applied by act(); a fault not applied is not an error.
  virtual Outcome revert(const std::string& fault, Deadline deadline) = 0;
  // Base state: every fault reverted, the fixture idle (card out, paper in, power on …).
  virtual Outcome restore(Deadline deadline) = 0;
  // Ctrl-C: wakes a call in progress in another thread (a device that does not answer), which
  // then returns a failure at once. Calls made after it work as before (revert and restore
  // follow it). Thread-safe; a no-op for drivers whose calls never block for long.
  virtual void abort() {}
};

using FixturePtr = std::shared_ptr<FixtureDriver>;

// Everything a driver may need to build itself.
struct FixtureContext {
  std::string station;
  double time_scale = 1.0;
  std::string token;  // bench token for endpoints beyond loopback
  // Variable expansion for the wiring's settings (${terminal.control} …).
  std::function<std::string(const std::string&)> expand;
  FixtureRecorder record;
  bool interactive = false;  // stdin is a terminal (manual driver)
  // Shows the operator a prompt and waits until they say it is done (false: nobody can
  // answer any more). Empty: the console (stdout, then a line on stdin).
  std::function<bool(const std::string& prompt)> ask_operator;
};

// Builds the driver a family is wired to, from its declaration (rig/fault/driver.h). Throws
// std::invalid_argument naming the station, family and driver when the wiring is unusable
// (unknown driver, a setting that does not expand). The `proxy` driver is built by the station
// itself (it owns the proxies).
FixturePtr make_fixture(const bench::FaultWiring& wiring, const FixtureContext& context);

}  // namespace rig::fault
