// `rig ports`: the serial ports of this machine, so that a bench file can name the right one.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "rig/cli/commands.h"
#include "rig/link/serial.h"

namespace rig::cli {

namespace {

nlohmann::json hex_or_null(const std::optional<int>& id) {
  if (!id) return nullptr;
  return fmt::format("{:04x}", *id);  // the form bench files use in usb:VID:PID
}

nlohmann::json to_json(const rig::link::PortInfo& port) {
  return {{"name", port.name},
          {"description", port.description},
          {"transport", port.transport},
          {"usb_vid", hex_or_null(port.usb_vid)},
          {"usb_pid", hex_or_null(port.usb_pid)},
          {"serial_number", port.serial_number},
          {"manufacturer", port.manufacturer},
          {"product", port.product}};
}

}  // namespace

void add_ports_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("ports", "List serial ports (name, description, USB id, serial)");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print a JSON array instead of one line per port");
  cmd->callback([&exit_code, json] {
    std::vector<rig::link::PortInfo> ports;
    try {
      ports = rig::link::list_ports();
    } catch (const std::runtime_error& e) {
      std::cerr << "rig ports: " << e.what() << "\n";
      exit_code = kInfrastructure;
      return;
    }
    if (*json) {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& port : ports) array.push_back(to_json(port));
      std::cout << array.dump(2) << "\n";
    } else if (ports.empty()) {
      std::cout << "no serial ports found\n";
    } else {
      for (const auto& port : ports) std::cout << rig::link::describe_port(port) << "\n";
    }
    exit_code = kPassed;
  });
}

}  // namespace rig::cli
