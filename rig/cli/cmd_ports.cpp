// Placeholder until the serial transport lands: the links helper replaces this file.
#include "rig/cli/commands.h"

namespace rig::cli {
void add_ports_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("ports", "List serial ports");
  cmd->callback([&exit_code] { exit_code = kPassed; });
}
}  // namespace rig::cli
