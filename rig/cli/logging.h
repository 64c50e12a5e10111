// `--verbose` and `--log-file` (spdlog), for every subcommand.
//
// One logger, the default one: its console part writes to stderr — warnings and errors, and
// with --verbose everything down to debug (each step, each timeline entry: ECR frames, host
// and wallet messages, faults) — and goes through the live console while `rig run` draws one,
// so that log lines do not break the station lines. --log-file FILE gets everything down to
// debug whatever --verbose says, appended, with time stamps, flushed line by line.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace rig::report {
class Console;
}

namespace rig::cli {

struct LogOptions {
  bool verbose = false;
  std::string file;
};

// The options of this process (set by the app's parse).
LogOptions& log_options();

// Adds --verbose/-v and --log-file to the app (accepted before or after the subcommand).
void add_log_options(CLI::App& app, LogOptions& options);

// Sets up the default logger from `options`. Returns "" or why the log file cannot be opened.
std::string start_logging(const LogOptions& options);

// While set, console log lines are printed through `console` (nullptr: stderr again).
void route_console_log(report::Console* console);

}  // namespace rig::cli
