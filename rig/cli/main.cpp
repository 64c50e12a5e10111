// The `rig` command: one subcommand per cmd_<name>.cpp, registered here.
#include <iostream>

#include "rig/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"posrig: hardware-in-the-loop test rig controller for payment terminals", "rig"};
  app.set_version_flag("--version", POSRIG_VERSION);
  app.require_subcommand(1);
  int exit_code = rig::cli::kPassed;
  rig::cli::add_ports_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : rig::cli::kUsage;
  }
  return exit_code;
}
