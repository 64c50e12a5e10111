// Bench files (fixtures/benches/*.yaml): the stations of a bench, what each is wired to, and
// what the controller launches for it. Format and an annotated example: docs/bench.md.
//
// Text values may refer to variables as ${name}; they are expanded when the bench comes up,
// in launch order (see rig/bench/variables.h):
//   ${bench_dir}  folder of the bench file        ${rig_dir}   folder of the rig executable
//   ${run_dir}    scratch folder of this run      ${time_scale}
//   ${cards}      the card folder                 ${station}   the station's name
//   ${SERVICE.KEY} key=value pairs of a service's ready line (e.g. ${vhost.iso})
//   ${terminal.KEY} key=value pairs of the station's terminal ready line (e.g. ${terminal.control})
//   ${network.iso} ${network.wallet}  the station's fault proxy listen addresses
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "rig/bench/profile.h"

namespace rig::bench {

// A process the controller starts and stops (a simulator or a shared service).
struct Launch {
  std::vector<std::string> argv;  // empty: nothing to launch
  // First word of the line that says the process is ready; its KEY=VALUE pairs become
  // variables. Empty: ready as soon as started.
  std::string ready = "READY";
  std::chrono::milliseconds ready_timeout{10000};
};

// What a ready line must match: `ready` at the start of the line, then a space or its end.
// Throws std::regex_error for a `ready` that is not a regular expression or is too long to
// compile safely (rig/bench/user_regex.h); the bench loader reports it at its file:line:col, so
// a loaded bench never throws here.
std::regex ready_regex(const std::string& ready);

struct Service {
  std::string name;
  Launch launch;
};

// One fault family's wiring (network, scanner, card, printer, power, keypad, acquirer).
struct FaultWiring {
  std::string family;
  std::string driver;  // a fixture driver's name (rig/fault/driver.h drivers())
  int line = 0, column = 0;
  // The driver's settings as its declaration read them (rig/fault/driver.h Setting): one key
  // per setting written or defaulted; text may hold ${variables}, expanded when it is built.
  nlohmann::json settings = nlohmann::json::object();
};

struct TerminalWiring {
  std::string driver = "rig-ecr";  // a registered terminal driver (rig/terminal/terminal.h)
  std::string link;                          // see rig/link/link.h make_link
  std::chrono::milliseconds ack_timeout{1000};
  int attempts = 3;
  std::string tid;                           // terminal id (ledger checks)
  std::string mid;                           // merchant id
  // What the terminal is configured to do and how it words it (rig/bench/profile.h): the
  // `profile:` of the bench (a file or a mapping), else the defaults. Its supervisor_password
  // lets the rig unlock a terminal that a scenario left locked; without it such a station stops
  // taking scenarios. The old key terminal.supervisor_password still sets it (deprecated).
  TerminalProfile profile;
  Launch launch;                             // a simulator to start (virtual bench)
  // `settings:` driver-specific values (TerminalOptions::settings), ${…} expanded at bring-up;
  // list values (an adapter's command) in list_settings, each item expanded.
  std::map<std::string, std::string> settings;
  std::map<std::string, std::vector<std::string>> list_settings;
};

struct HostWiring {
  std::string iso;     // HOST:PORT of the acquirer (the proxy forwards here)
  std::string wallet;  // HOST:PORT of the wallet gateway
  std::string admin;   // HOST:PORT of vhost's admin endpoint (ledger, scripted host faults)
};

struct Station {
  std::string name;
  int line = 0;
  TerminalWiring terminal;
  HostWiring host;
  std::map<std::string, FaultWiring> faults;  // by family
};

struct Bench {
  std::string file;
  std::string dir;  // folder of the file
  std::string name;
  double time_scale = 1.0;
  std::string cards_dir;  // resolved against dir
  std::string bind = "127.0.0.1";
  std::string token;  // required when bind is not loopback
  // Folder of the station locks (rig/bench/station_lock.h), resolved against dir; empty: the
  // default ($POSRIG_LOCK_DIR, else /tmp/posrig-locks). Benches shared by several hosts name a
  // folder on shared storage.
  std::string lock_dir;
  // `variables:` of the file: defaults that `rig run --var NAME=VALUE` may override
  // (e.g. the firmware defects a virtual terminal is started with).
  std::map<std::string, std::string> variables;
  std::vector<Service> services;
  std::vector<Station> stations;

  const Station* station(const std::string& name) const;
};

// Loads and checks a bench file; throws rig::ConfigError listing every issue.
Bench load_bench(const std::string& path);
// The same for the bench text `text` as if read from `path` (messages, Bench::file and dir; a
// profile file is looked up beside it). For the loader fuzzer (tests/fuzz/fuzz_bench.cpp).
Bench load_bench_text(const std::string& text, const std::string& path);

// True for 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) and the name "localhost": an address
// that servers may bind without a token (a bench's `bind`, `rig proxy`'s --listen and
// --control). Decided on the parsed address only: no other name is resolved, so
// "127.evil.example" is not loopback.
bool is_loopback(const std::string& address);

}  // namespace rig::bench
