// Terminal drivers: how the controller drives a terminal under test and hears what it says, in
// the terms of the terminal model (rig/terminal/model.h). One driver per protocol: `rig-ecr`
// (RIG-ECR v1, docs/ecr-protocol.md) first; ZVT and the JSON-lines adapter next. How to add
// one: docs/terminal-drivers.md.
//
// A driver sends typed Commands and hands every Observation (results, display texts, prompts,
// receipts, events, status snapshots, and the frames on its wire when it has one) to its sink,
// with the time it was read. It says what it can do in its Capabilities; the engine skips a
// scenario that needs more. It is also the fixture of the faults of its own link (family `ecr`
// of the catalogue: lost ACKs, bad frames, noise, a dropped link), which only the controller's
// end of the link can make; it lists them in Capabilities::faults and in DriverInfo::faults.
//
// Results, never exceptions, for device trouble: open() and send() return a link::Status whose
// message names the device. Configuration mistakes throw std::invalid_argument from the factory.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rig/fault/fixture.h"
#include "rig/link/link.h"
#include "rig/scenario/catalogue.h"
#include "rig/terminal/model.h"

namespace rig::terminal {

struct TerminalSink {
  // One observation, with the time it was read off the link.
  std::function<void(const Observation&, rig::link::Clock::time_point)> on_observation;
  // The link went away (peer closed, device unplugged): the message says how.
  std::function<void(const std::string&)> on_link_lost;
};

class TerminalDriver : public fault::FixtureDriver {
 public:
  // The registered name ("rig-ecr").
  virtual std::string driver_name() const = 0;
  // What this driver can send and observe. Fixed once the driver is built.
  virtual const Capabilities& capabilities() const = 0;

  // Opens the link and starts listening. Errors name the device.
  virtual rig::link::Status open(rig::link::Deadline deadline) = 0;
  virtual void close() = 0;
  virtual bool is_open() const = 0;
  // Sends one command; ok once the terminal has taken it (for RIG-ECR: its ACK). The answer
  // comes later as observations. A command outside capabilities() is our bug, not the
  // terminal's: the engine never sends one (it skips the scenario before).
  virtual rig::link::Status send(const Command& command, rig::link::Deadline deadline) = 0;
  // Why the driver cannot go on ("" while it can): a part of the driver itself broke (an
  // adapter process that died, went silent or wrote garbage). The station reports it as an
  // infrastructure error of its own and takes no more scenarios.
  virtual std::string trouble() const { return ""; }
};

// What a driver is built from: the bench's `terminal:` entry of its station.
struct TerminalOptions {
  std::string link_spec;  // rig/link make_link spec (pty, serial:…, tcp:HOST:PORT)
  std::chrono::milliseconds ack_timeout{1000};
  int attempts = 3;
  // Driver-specific settings (a ZVT password, an adapter's argv …), as written in the bench.
  std::map<std::string, std::string> settings;
  // Settings whose value is a list (DriverSetting::Type::argv): an adapter's command line.
  std::map<std::string, std::vector<std::string>> list_settings;
};

// A setting a driver reads from the `settings:` of its station's `terminal:` entry. A driver
// that declares its settings has them checked when the bench loads (an unknown key, a missing
// required one, a wrong type are errors at file:line:col); one that declares none takes any
// key, as text, and checks it itself when built.
struct DriverSetting {
  enum class Type {
    text,      // a string (${…} expanded at bring-up)
    argv,      // a non-empty list of strings, each ${…} expanded (TerminalOptions::list_settings)
    duration,  // "500ms", "10s" (docs/bench.md), kept as written in TerminalOptions::settings
  };
  std::string name;
  Type type = Type::text;
  bool required = false;
  std::string doc;  // one line, with the default when there is one
};

// A registered driver. Adding one: a file pair rig/terminal/NAME_terminal.{h,cpp} defining
// `void register_NAME(DriverRegistry&)`, and one line in register_builtin_drivers()
// (rig/terminal/drivers.cpp).
struct DriverInfo {
  std::string name;  // as the bench names it: `terminal: {driver: NAME}`
  std::string doc;   // one line, for docs and messages
  std::function<std::unique_ptr<TerminalDriver>(const TerminalOptions&, TerminalSink)> make;
  // What a driver built with these options will be able to do, known without building it
  // (`rig validate --bench`, and the skip decision before a run).
  std::function<Capabilities(const TerminalOptions&)> capabilities;
  // The faults it makes on its own link, with their parameters, for the scenario catalogue
  // (family "ecr"). Two drivers may offer the same fault name with the same parameters.
  std::vector<scenario::FaultInfo> faults;
  // Its settings (see DriverSetting); empty: any key, unchecked.
  std::vector<DriverSetting> settings;
};

class DriverRegistry {
 public:
  // Throws std::logic_error when `name` is taken.
  void add(DriverInfo info);
  const DriverInfo* find(const std::string& name) const;
  const std::vector<DriverInfo>& all() const { return drivers_; }
  std::vector<std::string> names() const;

 private:
  std::vector<DriverInfo> drivers_;
};

// The registry with every built-in driver, filled on first use.
const DriverRegistry& drivers();
// Registers one more driver in drivers(): for tests and for builds that bring their own driver
// without touching the built-in list. Call it before any bench is loaded (not thread-safe
// against readers). Throws std::logic_error when the name is taken.
void add_driver(DriverInfo info);
// Adds the built-in drivers (rig/terminal/drivers.cpp): the one list to extend.
void register_builtin_drivers(DriverRegistry& registry);

// Builds the driver named `driver`; throws std::invalid_argument listing the known drivers for
// any other name.
std::unique_ptr<TerminalDriver> make_terminal_driver(const std::string& driver,
                                                     const TerminalOptions& options,
                                                     TerminalSink sink);

// The capabilities a driver named `driver` will have with `options`; throws like
// make_terminal_driver for an unknown name.
Capabilities driver_capabilities(const std::string& driver, const TerminalOptions& options);

}  // namespace rig::terminal
