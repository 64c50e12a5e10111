// `rig proxy`: the network fault proxy on its own, in front of a real host, without a bench
// file; faults are applied and cleared through its control socket (docs/proxy.md).
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

#include "rig/bench/bench.h"
#include "rig/cli/commands.h"
#include "rig/cli/logging.h"
#include "rig/fault/network_fixture.h"
#include "rig/fault/proxy.h"
#include "rig/fault/proxy_control.h"
#include "rig/link/json_clients.h"

namespace rig::cli {

namespace {

struct ProxyOptions {
  std::string listen = "127.0.0.1:0";
  std::string upstream;
  std::string framing = "iso8583";
  std::string control = "127.0.0.1:0";
  std::string token;
  std::string name = "proxy";
  std::vector<std::string> allow_from;
};

int run_proxy(const ProxyOptions& o) {
  if (std::string err = start_logging(log_options()); !err.empty()) {
    std::cerr << "rig proxy: " << err << "\n";
    return kUsage;
  }
  fault::ProxyConfig config;
  config.name = o.name;
  std::string token = o.token;
  if (token.empty()) {
    if (const char* env = std::getenv("POSRIG_PROXY_TOKEN")) token = env;
  }
  std::pair<std::string, std::uint16_t> control;
  try {
    std::tie(config.listen_host, config.listen_port) = link::split_host_port(o.listen);
    std::tie(config.upstream_host, config.upstream_port) = link::split_host_port(o.upstream);
    control = link::split_host_port(o.control);
  } catch (const std::exception& e) {
    std::cerr << "rig proxy: " << e.what() << "\n";
    return kUsage;
  }
  config.framing = *fault::parse_framing(o.framing);  // checked by the option
  for (const auto& [what, host] :
       {std::pair<const char*, std::string>{"--listen", config.listen_host},
        {"--control", control.first}}) {
    if (!bench::is_loopback(host) && token.empty()) {
      std::cerr << "rig proxy: " << what << " beyond loopback (" << host
                << ") needs --token or $POSRIG_PROXY_TOKEN\n";
      return kUsage;
    }
  }
  try {
    config.allow_from = link::AllowList::parse(o.allow_from);
  } catch (const std::invalid_argument& e) {
    std::cerr << "rig proxy: --allow-from " << e.what() << "\n";
    return kUsage;
  }
  // Terminals cannot send the token: beyond loopback, only the listed sources get through.
  if (!bench::is_loopback(config.listen_host) && config.allow_from.empty()) {
    std::cerr << "rig proxy: --listen beyond loopback (" << config.listen_host
              << ") needs --allow-from CIDR (the sources terminals connect from): terminals "
                 "cannot send the token\n";
    return kUsage;
  }

  fault::NetworkProxy proxy(config);
  fault::ProxyObserver observer;
  observer.on_message = [](const fault::ProxyMessage& m) {
    spdlog::info("message {} conn {} {} {}{}{}", m.index, m.connection,
                 fault::scenario_direction_name(m.direction), m.summary, m.faulted() ? " | " : "",
                 m.fault_note);
  };
  observer.on_event = [](const fault::ProxyEvent& e) { spdlog::info("{}", e.text); };
  proxy.set_observer(observer);
  fault::ProxyControlServer server(proxy, control.first, control.second, token);
  try {
    proxy.start();
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "rig proxy: " << e.what() << "\n";
    return kInfrastructure;
  }
  std::cout << "READY listen=" << proxy.listen_endpoint().to_string()
            << " control=" << server.endpoint().to_string() << " upstream=" << o.upstream
            << " framing=" << fault::to_string(config.framing) << std::endl;

  // SIGINT and SIGTERM are blocked in every thread (main); take them here.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  server.stop();
  proxy.clear_all();
  proxy.stop();
  std::cerr << "rig proxy: stopped (" << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ")\n";
  return kPassed;
}

}  // namespace

void add_proxy_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "proxy", "Run the network fault proxy in front of a host; faults through its control socket");
  static ProxyOptions o;
  cmd->add_option("--listen", o.listen, "Where terminals connect, HOST:PORT (default 127.0.0.1:0)");
  cmd->add_option("--upstream", o.upstream, "The host to relay to, HOST:PORT")->required();
  cmd->add_option("--framing", o.framing,
                  "How messages are split: iso8583 (2-byte length), http, raw")
      ->check(CLI::IsMember({"iso8583", "http", "raw"}));
  cmd->add_option("--control", o.control,
                  "Control socket, HOST:PORT (JSON lines; default 127.0.0.1:0)");
  cmd->add_option("--token", o.token,
                  "Token every control request carries (needed beyond loopback; or "
                  "$POSRIG_PROXY_TOKEN)");
  cmd->add_option("--name", o.name, "Name used in messages (default proxy)");
  cmd->add_option("--allow-from", o.allow_from,
                  "Sources that may connect, CIDR or address (repeat; needed when --listen is "
                  "beyond loopback)");
  cmd->callback([&exit_code] { exit_code = run_proxy(o); });
}

}  // namespace rig::cli
