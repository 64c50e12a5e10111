// The terminal driver registry and the list of built-in drivers.
#include <stdexcept>

#include "rig/terminal/adapter_terminal.h"
#include "rig/terminal/rig_ecr_terminal.h"
#include "rig/terminal/terminal.h"
#include "rig/terminal/zvt_terminal.h"

namespace rig::terminal {

// The one list of built-in drivers: a new driver adds its register_NAME() here.
void register_builtin_drivers(DriverRegistry& registry) {
  register_rig_ecr(registry);
  register_zvt(registry);
  register_adapter(registry);
}

void DriverRegistry::add(DriverInfo info) {
  if (find(info.name))
    throw std::logic_error("terminal driver '" + info.name + "' registered twice");
  drivers_.push_back(std::move(info));
}

const DriverInfo* DriverRegistry::find(const std::string& name) const {
  for (const auto& d : drivers_) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

std::vector<std::string> DriverRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& d : drivers_) out.push_back(d.name);
  return out;
}

namespace {

DriverRegistry& global_registry() {
  static DriverRegistry registry = [] {
    DriverRegistry r;
    register_builtin_drivers(r);
    return r;
  }();
  return registry;
}

}  // namespace

const DriverRegistry& drivers() { return global_registry(); }

void add_driver(DriverInfo info) { global_registry().add(std::move(info)); }

namespace {

const DriverInfo& known(const std::string& driver) {
  if (const DriverInfo* info = drivers().find(driver)) return *info;
  std::string names;
  for (const auto& n : drivers().names()) names += (names.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown terminal driver '" + driver + "' (known: " + names + ")");
}

}  // namespace

std::unique_ptr<TerminalDriver> make_terminal_driver(const std::string& driver,
                                                     const TerminalOptions& options,
                                                     TerminalSink sink) {
  return known(driver).make(options, std::move(sink));
}

Capabilities driver_capabilities(const std::string& driver, const TerminalOptions& options) {
  return known(driver).capabilities(options);
}

}  // namespace rig::terminal
