// The fixture driver registry: every driver's declaration, listed once by name. A new driver is
// one file pair (rig/fault/<driver>.{h,cpp}) and one line here.
#include "rig/bench/yaml_reader.h"
#include "rig/fault/code_display.h"
#include "rig/fault/command.h"
#include "rig/fault/driver.h"
#include "rig/fault/http_power.h"
#include "rig/fault/manual.h"
#include "rig/fault/network_fixture.h"
#include "rig/fault/relay.h"
#include "rig/fault/usb_relay.h"
#include "rig/fault/vhost.h"
#include "rig/fault/vterm.h"

namespace rig::fault {

const std::vector<const DriverInfo*>& drivers() {
  static const std::vector<const DriverInfo*> list = {
      &proxy_driver(),        &vterm_driver(),     &vhost_driver(),
      &relay_driver(),        &usb_relay_driver(), &http_power_driver(),
      &code_display_driver(), &command_driver(),   &manual_driver(),
  };
  return list;
}

FixturePtr make_fixture(const bench::FaultWiring& wiring, const FixtureContext& context) {
  const std::string where =
      "station '" + context.station + "', " + wiring.family + " driver " + wiring.driver;
  const DriverInfo* info = find_driver(wiring.driver);
  if (!info || !info->make) {
    throw std::invalid_argument(where + ": unknown driver (known: " + join_names(driver_names()) +
                                ")");
  }
  FixtureContext c = context;
  if (!c.expand) c.expand = [](const std::string& text) { return text; };
  if (!c.record) c.record = [](const std::string&, nlohmann::json) {};
  try {
    return info->make(wiring, c);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(where + ": " + e.what());
  }
}

}  // namespace rig::fault
