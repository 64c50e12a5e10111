// `rig adapter-check`: the conformance check an adapter author runs (docs/terminal-adapters.md).
// It starts the adapter the way the `adapter` driver does (`-- ARGV…`, or a bench station's
// settings.command with the station brought up around it), checks its hello and one status
// round trip, and says what it found and what is wrong.
#include <iostream>
#include <optional>

#include "rig/bench/bench.h"
#include "rig/bench/yaml_reader.h"
#include "rig/cli/commands.h"
#include "rig/engine/controller.h"
#include "rig/engine/station.h"
#include "rig/engine/timeline.h"
#include "rig/terminal/adapter_terminal.h"

namespace rig::cli {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string words(const json& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : " ") + n.get<std::string>();
  return out.empty() ? "(none)" : out;
}

// Checks an adapter driver that open() brought up: its hello, then `status` and the answer.
// Prints what it finds; returns kPassed or kFailed.
int check_adapter(terminal::TerminalDriver& driver, const engine::Timeline& timeline,
                  std::chrono::milliseconds answer_timeout, std::ostream& out) {
  std::vector<std::string> problems;
  const terminal::AdapterHello& hello = terminal::adapter_hello(driver);
  const json caps = terminal::capabilities_json(hello.capabilities);
  out << "hello: " << hello.name << " " << hello.version << " (protocol " << hello.protocol << ")\n"
      << "  commands:      " << words(caps["commands"]) << "\n"
      << "  observations:  " << words(caps["observations"]) << "\n"
      << "  status fields: " << words(caps["status_fields"]) << "\n";

  terminal::Command status;
  status.kind = terminal::CommandKind::status;
  status.id = "adapter-check-1";
  const std::size_t from = timeline.size();
  const auto sent = Clock::now();
  rig::link::Status s = driver.send(status, rig::link::after(answer_timeout));
  if (!s) {
    problems.push_back("status command: " + s.message);
  } else {
    json answer;
    bool got = timeline.wait_until(
        [&](const std::vector<engine::Entry>& es) {
          for (std::size_t i = from; i < es.size(); ++i) {
            if (es[i].kind == engine::EntryKind::status &&
                es[i].fields.value("id", "") == status.id) {
              answer = es[i].fields;
              return true;
            }
          }
          return false;
        },
        sent + answer_timeout);
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent).count();
    if (!got) {
      problems.push_back("status command accepted, but no status with id " + status.id +
                         " within " + std::to_string(answer_timeout.count()) + " ms");
    } else {
      out << "status: answered in " << took << " ms: " << answer.dump() << "\n";
      // A field without a value now (busy_id while idle) may be left out; say which were.
      std::string absent;
      for (const auto& field : hello.capabilities.status_fields) {
        if (!answer.contains(field)) absent += (absent.empty() ? "" : " ") + field;
      }
      if (!absent.empty()) {
        out << "  declared status fields not in this answer (allowed while they have no value): "
            << absent << "\n";
      }
      for (const auto& item : answer.items()) {
        if (item.key() != "id" && !hello.capabilities.status_fields.count(item.key())) {
          problems.push_back("the status answer carries " + item.key() +
                             ", which the hello does not declare in status_fields");
        }
      }
    }
  }
  if (std::string why = driver.trouble(); !why.empty()) problems.push_back(why);
  for (const auto& e : timeline.snapshot(0)) {
    if (e.kind == engine::EntryKind::note) out << "  note: " << e.fields.value("text", "") << "\n";
  }
  for (const auto& p : problems) out << "FAIL: " << p << "\n";
  if (!problems.empty()) return kFailed;
  out << "ok: the adapter said hello and answered status\n";
  return kPassed;
}

// `rig adapter-check -- ARGV…`
int check_command(const std::vector<std::string>& argv, const std::string& link,
                  std::chrono::milliseconds timeout) {
  terminal::TerminalOptions options;
  options.link_spec = link;
  options.list_settings["command"] = argv;
  options.settings["hello_timeout"] = std::to_string(timeout.count()) + "ms";
  options.settings["reply_timeout"] = std::to_string(timeout.count()) + "ms";
  auto timeline = std::make_shared<engine::Timeline>();
  terminal::TerminalSink sink;
  sink.on_observation = [timeline](const terminal::Observation& o,
                                   rig::link::Clock::time_point at) {
    timeline->add_at(at, engine::entry_kind_of(o), terminal::to_json(o));
  };
  std::unique_ptr<terminal::TerminalDriver> driver;
  try {
    driver = terminal::make_adapter_terminal(options, sink);
  } catch (const std::invalid_argument& e) {
    std::cerr << "rig adapter-check: " << e.what() << "\n";
    return kUsage;
  }
  rig::link::Status s = driver->open(rig::link::after(timeout));
  if (!s) {
    for (const auto& e : timeline->snapshot(0)) {
      if (e.kind == engine::EntryKind::note)
        std::cout << "  note: " << e.fields.value("text", "") << "\n";
    }
    std::cout << "FAIL: " << s.message << "\n";
    return kFailed;
  }
  int rc = check_adapter(*driver, *timeline, timeout, std::cout);
  driver->close();
  return rc;
}

// `rig adapter-check --bench B [--station S]`
int check_station(const std::string& bench_file, const std::string& station,
                  std::chrono::milliseconds timeout) {
  std::optional<bench::Bench> b;
  try {
    b = bench::load_bench(bench_file);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return kUsage;
  }
  const bench::Station* chosen = nullptr;
  for (const auto& st : b->stations) {
    if (station.empty() ? st.terminal.driver == "adapter" && !chosen : st.name == station) {
      chosen = &st;
    }
  }
  if (!chosen) {
    std::cerr << "rig adapter-check: "
              << (station.empty() ? "bench '" + b->name + "' has no station with driver adapter"
                                  : "bench '" + b->name + "' has no station '" + station + "'")
              << "\n";
    return kUsage;
  }
  if (chosen->terminal.driver != "adapter") {
    std::cerr << "rig adapter-check: station '" << chosen->name << "' has driver "
              << chosen->terminal.driver << ", not adapter\n";
    return kUsage;
  }
  bench::Station only = *chosen;
  b->stations = {only};
  engine::ControllerOptions o;
  o.on_note = [](const std::string& s) { std::cerr << "  " << s << "\n"; };
  engine::Controller controller(*b, o);
  std::string err = controller.up();
  auto stations = controller.stations();
  if (stations.empty()) {
    std::string why = err;
    for (const auto& e : controller.station_errors()) why = e;
    std::cout << "FAIL: " << why << "\n";
    // The adapter's own messages start with its name; anything else is the bench's trouble.
    const bool adapters_fault = why.find("station " + only.name + ": adapter ") == 0;
    controller.down();
    return adapters_fault ? kFailed : kInfrastructure;
  }
  engine::Station& st = *stations.front();
  int rc = check_adapter(st.terminal(), *st.timeline(), timeout, std::cout);
  controller.down();
  return rc;
}

}  // namespace

void add_adapter_commands(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("adapter-check",
                                 "Start a terminal adapter, check its hello and a status round "
                                 "trip (docs/terminal-adapters.md)");
  static std::string bench_file, station, link, timeout_text = "10s";
  static std::vector<std::string> argv;
  cmd->add_option("--bench", bench_file, "Bench file whose adapter station to check");
  cmd->add_option("--station", station,
                  "Station of the bench (default: the first adapter station)");
  cmd->add_option("--link", link,
                  "With -- ARGV: the link spec handed to the adapter (POSRIG_LINK)");
  cmd->add_option("--timeout", timeout_text, "Wait this long for the hello and each answer (10s)");
  cmd->add_option("argv", argv, "-- ARGV…: the adapter's command line");
  cmd->callback([&exit_code] {
    auto timeout = parse_duration(timeout_text);
    if (!timeout || timeout->count() <= 0) {
      std::cerr << "rig adapter-check: --timeout must be a duration (500ms, 10s), got '"
                << timeout_text << "'\n";
      exit_code = kUsage;
      return;
    }
    if (bench_file.empty() == argv.empty()) {
      std::cerr << "rig adapter-check: give either --bench FILE [--station S] or -- ARGV…\n";
      exit_code = kUsage;
      return;
    }
    exit_code = bench_file.empty() ? check_command(argv, link, *timeout)
                                   : check_station(bench_file, station, *timeout);
  });
}

}  // namespace rig::cli
