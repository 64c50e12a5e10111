// The `rig` command: one subcommand per cmd_<name>.cpp, registered here.
#include <signal.h>

#include <iostream>

#include "posrig_version.h"  // generated: rig/cli/version.cmake
#include "rig/cli/commands.h"
#include "rig/cli/logging.h"

namespace rig::cli {

CLI::Option* add_repeatable(CLI::App* cmd, const std::string& name, std::vector<std::string>& into,
                            const std::string& help) {
  return cmd->add_option(name, into, help)->expected(1)->allow_extra_args(false)->take_all();
}

}  // namespace rig::cli

int main(int argc, char** argv) {
  CLI::App app{"posrig: hardware-in-the-loop test rig controller for payment terminals", "rig"};
  app.set_version_flag(
      "--version", std::string("rig ") + POSRIG_VERSION_TEXT + " (git " + POSRIG_GIT_COMMIT + ")");
  app.require_subcommand(1);
  // SIGINT/SIGTERM are taken by a signal thread (sigwait) in the commands that drive a
  // bench; block them in every thread, which inherit this mask. SIGUSR1 wakes that thread.
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGINT);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
  // A peer that hangs up must not kill the controller; writes report it instead.
  signal(SIGPIPE, SIG_IGN);
  // A file size limit (ulimit -f) makes a report write fail with EFBIG, reported as such,
  // instead of killing the run.
  signal(SIGXFSZ, SIG_IGN);

  // Global options, accepted after the subcommand too (`rig run ... --verbose`).
  rig::cli::add_log_options(app, rig::cli::log_options());
  app.fallthrough();

  int exit_code = rig::cli::kPassed;
  rig::cli::add_ports_command(app, exit_code);
  rig::cli::add_run_commands(app, exit_code);
  rig::cli::add_explore_command(app, exit_code);
  rig::cli::add_report_commands(app, exit_code);
  rig::cli::add_proxy_command(app, exit_code);
  rig::cli::add_locks_command(app, exit_code);
  rig::cli::add_adapter_commands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : rig::cli::kUsage;
  }
  return exit_code;
}
