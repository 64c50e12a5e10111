// Each `rig` subcommand lives in its own cmd_<name>.cpp and registers itself on the app.
#pragma once

#include <CLI/CLI.hpp>

#include <map>
#include <string>
#include <vector>

namespace rig::bench {
struct Bench;
}

namespace rig::cli {

// Exit codes (DESIGN.md): 0 all passed, 1 a scenario failed, 2 usage or configuration error,
// 3 infrastructure error, 130 interrupted.
enum ExitCode { kPassed = 0, kFailed = 1, kUsage = 2, kInfrastructure = 3, kInterrupted = 130 };

// An option that takes one value per occurrence and may be repeated (`--tag a --tag b`). One
// value only, so that `rig run --tag smoke scenarios/decline` leaves the path to the
// positional arguments instead of reading it as a second tag.
CLI::Option* add_repeatable(CLI::App* cmd, const std::string& name, std::vector<std::string>& into,
                            const std::string& help);

// `--var NAME=VALUE` arguments of `rig run` and `rig explore` into `overrides`, each checked
// against the bench's variables; prints the problem and returns kUsage, or kPassed.
int read_vars(const std::vector<std::string>& args, const bench::Bench& bench,
              std::map<std::string, std::string>& overrides);

// `rig explore`: a fault at every message boundary of a flow, judged by the evidence checks.
void add_explore_command(CLI::App& app, int& exit_code);

// `rig ports`: lists serial ports (name, description, USB VID:PID, serial number).
void add_ports_command(CLI::App& app, int& exit_code);

// `rig run`, `rig validate`, `rig list`, `rig bench up`.
void add_run_commands(CLI::App& app, int& exit_code);

// `rig locks`: who holds the station locks (pid, host, user, since).
void add_locks_command(CLI::App& app, int& exit_code);

// `rig report` (results.json -> report.html / junit.xml) and `rig merge` (join shard results).
void add_report_commands(CLI::App& app, int& exit_code);

// `rig proxy`: the network fault proxy alone, in front of a host, with a control socket.
void add_proxy_command(CLI::App& app, int& exit_code);

// `rig adapter-check`: a terminal adapter's hello and status round trip.
void add_adapter_commands(CLI::App& app, int& exit_code);

}  // namespace rig::cli
