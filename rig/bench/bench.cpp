#include "rig/bench/bench.h"

#include <boost/asio/ip/address.hpp>

#include <filesystem>
#include <set>

#include "rig/bench/user_regex.h"
#include "rig/bench/yaml_reader.h"
#include "rig/fault/driver.h"
#include "rig/link/link.h"
#include "rig/terminal/terminal.h"

namespace rig::bench {

namespace fs = std::filesystem;

const Station* Bench::station(const std::string& wanted) const {
  for (const auto& s : stations) {
    if (s.name == wanted) return &s;
  }
  return nullptr;
}

std::regex ready_regex(const std::string& ready) {
  check_regex_length(ready);
  return std::regex("^" + ready + "( |$)");
}

bool is_loopback(const std::string& address) {
  if (address == "localhost") return true;
  boost::system::error_code ec;
  const boost::asio::ip::address parsed = boost::asio::ip::make_address(address, ec);
  if (ec) return false;
  if (parsed.is_v6() && parsed.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, parsed.to_v6())
        .is_loopback();
  }
  return parsed.is_loopback();
}

namespace {

void read_launch(YamlReader& reader, const YAML::Node& node, const std::string& what, Launch& out) {
  MapReader m(reader, node, what);
  m.required("argv", out.argv);
  if (m.optional("ready", out.ready)) {
    // Compiled now, so that a bad one is an error of the file, not an abort of the run.
    try {
      (void)ready_regex(out.ready);
    } catch (const std::regex_error& e) {
      reader.error(m.get("ready"), "ready of " + what + " is not a regular expression: " +
                                       describe_value(m.get("ready")) + " (" + e.what() + ")");
    }
  }
  m.optional("ready_timeout", out.ready_timeout);
  m.finish();
  if (m.has("argv") && out.argv.empty())
    reader.error(m.get("argv"), "argv of " + what + " is empty");
}

// The family's entry: `driver` names a registered fixture driver, whose declaration reads and
// checks the other keys (rig/fault/driver.h).
void read_fault_wiring(YamlReader& reader, const std::string& family, const YAML::Node& node,
                       const std::string& station, FaultWiring& out) {
  out.family = family;
  out.line = node.Mark().line + 1;
  out.column = node.Mark().column + 1;
  MapReader m(reader, node, family + " of station '" + station + "'");
  if (!m.valid()) return;
  if (!m.required_choice("driver", fault::drivers_for(family), out.driver)) {
    // Its other keys cannot be judged without a driver.
    for (const auto& kv : node) m.get(kv.first.Scalar());
    m.finish();
    return;
  }
  fault::read_settings(*fault::find_driver(out.driver), reader, m, out);
  m.finish();
}

// `profile:` of a station's terminal: the path of a profile file (relative to the bench file) or
// a mapping.
void read_terminal_profile(YamlReader& reader, const YAML::Node& node, const std::string& bench_dir,
                           const std::string& what, TerminalProfile& out) {
  if (node.IsMap()) {
    out = read_profile(reader, node, "profile of " + what);
    return;
  }
  std::string path;
  if (!reader.read(node, path)) return;
  const fs::path file = (fs::path(bench_dir) / path).lexically_normal();
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    reader.error(node,
                 "profile '" + path + "' of " + what + ": no such file (" + file.string() + ")");
    return;
  }
  try {
    out = load_profile(file.string());
  } catch (const ConfigError& e) {
    reader.add_issues(e.issues());
  }
}

// `settings:` of a terminal whose driver declares them (terminal::DriverSetting): each key
// known, each required one there, each value of its type.
void read_declared_settings(YamlReader& reader, const YAML::Node& set, const YAML::Node& terminal,
                            const terminal::DriverInfo& driver, const std::string& what,
                            TerminalWiring& out) {
  using Type = terminal::DriverSetting::Type;
  const std::string where = "settings of the terminal of " + what;
  if (!set.IsDefined()) {
    for (const auto& s : driver.settings) {
      if (s.required) {
        reader.error(terminal, "missing key 'settings' in terminal of " + what + " (driver " +
                                   driver.name + " needs settings." + s.name + ")");
        return;
      }
    }
    return;
  }
  MapReader sm(reader, set, where);
  if (!sm.valid()) return;
  for (const auto& s : driver.settings) {
    YAML::Node n = sm.get(s.name);
    if (!n.IsDefined()) {
      if (s.required) sm.missing(s.name);
      continue;
    }
    if (s.type == Type::argv) {
      std::vector<std::string> argv;
      if (!reader.read(n, argv)) continue;
      if (argv.empty()) reader.error(n, s.name + " of " + where + " is empty");
      out.list_settings[s.name] = argv;
      continue;
    }
    std::string text;
    if (!reader.read(n, text)) continue;
    if (s.type == Type::duration && !parse_duration(text)) {
      reader.error(
          n, s.name + " of " + where + " must be a duration (500ms, 10s), got '" + text + "'");
      continue;
    }
    out.settings[s.name] = text;
  }
  sm.finish();
}

// A link spec written out in full is checked now (a bad host, port or line setting is an error
// at its file:line:col); one with ${…} is known only when the station comes up, and a bare `pty`
// is the pair the bench creates for a launched simulator.
void check_link(YamlReader& reader, const YAML::Node& node, const std::string& spec) {
  if (spec == "pty" || spec.find("${") != std::string::npos) return;
  try {
    (void)rig::link::make_link(spec);  // builds, never opens
  } catch (const std::invalid_argument& e) {
    reader.error(node, e.what());
  }
}

void read_station(YamlReader& reader, const YAML::Node& node, std::size_t index,
                  const std::string& bench_dir, Station& st) {
  st.line = node.Mark().line + 1;
  MapReader m(reader, node, "station " + std::to_string(index + 1));
  m.required("name", st.name);
  std::string what = "station '" + st.name + "'";

  if (YAML::Node t = m.get("terminal"); t.IsDefined()) {
    MapReader tm(reader, t, "terminal of " + what);
    tm.optional_choice("driver", terminal::drivers().names(), st.terminal.driver);
    const terminal::DriverInfo* driver = terminal::drivers().find(st.terminal.driver);
    if (tm.required("link", st.terminal.link)) check_link(reader, tm.get("link"), st.terminal.link);
    tm.optional("ack_timeout", st.terminal.ack_timeout);
    tm.optional("attempts", st.terminal.attempts);
    tm.optional("tid", st.terminal.tid);
    tm.optional("mid", st.terminal.mid);
    if (YAML::Node p = tm.get("profile"); p.IsDefined()) {
      read_terminal_profile(reader, p, bench_dir, what, st.terminal.profile);
    }
    // Deprecated: the profile's supervisor_password. Kept so that older bench files load.
    if (YAML::Node pw = tm.get("supervisor_password"); pw.IsDefined()) {
      std::string text;
      if (reader.read(pw, text)) {
        TerminalProfile& profile = st.terminal.profile;
        const std::string before = profile.supervisor_password;
        if (auto problem = set_figure(profile, "supervisor_password", text)) {
          reader.error(pw, *problem);
        } else if (!before.empty() && before != text) {
          reader.error(pw, "supervisor_password differs from the one of the profile (" +
                               profile.name + "); give it in the profile only");
        }
      }
    }
    if (YAML::Node l = tm.get("launch"); l.IsDefined()) {
      read_launch(reader, l, "launch of " + what, st.terminal.launch);
    }
    YAML::Node set = tm.get("settings");
    if (driver && !driver->settings.empty()) {
      read_declared_settings(reader, set, t, *driver, what, st.terminal);
    } else if (set.IsDefined()) {
      MapReader sm(reader, set, "settings of the terminal of " + what);
      if (sm.valid()) {
        for (const auto& kv : set) {
          std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
          std::string value;
          if (!key.empty() && reader.read(kv.second, value)) st.terminal.settings[key] = value;
          sm.allow({key});
        }
        sm.finish();
      }
    }
    tm.finish();
    if (st.terminal.attempts < 1 || st.terminal.attempts > 10) {
      reader.error(tm.get("attempts"), "attempts must be 1 to 10");
    }
  } else {
    m.missing("terminal");
  }
  if (YAML::Node h = m.get("host"); h.IsDefined()) {
    MapReader hm(reader, h, "host of " + what);
    hm.optional("iso", st.host.iso);
    hm.optional("wallet", st.host.wallet);
    hm.optional("admin", st.host.admin);
    hm.finish();
  }
  for (const auto& family : fault::families()) {
    YAML::Node f = m.get(family.name);
    if (!f.IsDefined()) continue;
    FaultWiring wiring;
    read_fault_wiring(reader, family.name, f, st.name, wiring);
    st.faults[family.name] = std::move(wiring);
  }
  m.finish();
}

Bench load_from(YamlReader& reader, const std::optional<YAML::Node>& root) {
  Bench bench;
  bench.file = reader.file();
  bench.dir = fs::absolute(fs::path(bench.file)).parent_path().lexically_normal().string();
  if (!root) reader.throw_if_errors();
  MapReader m(reader, *root, "bench");
  m.required("name", bench.name);
  if (m.optional("time_scale", bench.time_scale) &&
      !(bench.time_scale > 0.0 && bench.time_scale <= 1.0)) {
    reader.error(m.get("time_scale"), "time_scale must be above 0 and at most 1");
  }
  std::string cards = "../cards";
  m.optional("cards", cards);
  bench.cards_dir = (fs::path(bench.dir) / cards).lexically_normal().string();
  if (std::string locks; m.optional("lock_dir", locks)) {
    bench.lock_dir = (fs::path(bench.dir) / locks).lexically_normal().string();
  }
  m.optional("bind", bench.bind);
  m.optional("token", bench.token);
  if (!is_loopback(bench.bind) && bench.token.empty()) {
    reader.error(m.get("bind"), "binding to '" + bench.bind + "' (beyond loopback) needs a token");
  }

  if (YAML::Node vars = m.get("variables"); vars.IsDefined()) {
    MapReader vm(reader, vars, "variables");
    if (vm.valid()) {
      for (const auto& kv : vars) {
        std::string name = kv.first.Scalar();
        std::string value;
        if (vm.optional(name, value)) bench.variables[name] = value;
      }
    }
  }
  if (YAML::Node services = m.get("services"); services.IsDefined()) {
    MapReader sm(reader, services, "services");
    if (sm.valid()) {
      for (const auto& kv : services) {
        Service svc;
        svc.name = kv.first.Scalar();
        sm.get(svc.name);
        read_launch(reader, kv.second, "service '" + svc.name + "'", svc.launch);
        bench.services.push_back(std::move(svc));
      }
    }
  }
  YAML::Node stations = m.get("stations");
  if (!stations.IsDefined()) {
    m.missing("stations");
  } else if (!stations.IsSequence() || stations.size() == 0) {
    reader.error(stations, "stations must be a non-empty list");
  } else {
    std::set<std::string> names;
    for (std::size_t i = 0; i < stations.size(); ++i) {
      Station st;
      read_station(reader, stations[i], i, bench.dir, st);
      if (!st.name.empty() && !names.insert(st.name).second) {
        reader.error(stations[i]["name"], "station name '" + st.name + "' is used twice");
      }
      // A terminal cannot send the token: beyond loopback, the proxy's data path is open only to
      // the sources the bench lists.
      if (auto net = st.faults.find("network");
          !is_loopback(bench.bind) && net != st.faults.end() && net->second.driver == "proxy" &&
          !net->second.settings.contains("allow_from")) {
        const YAML::Node station_node = stations[i];
        reader.error(station_node["network"],
                     "the network proxy of station '" + st.name + "' would listen on '" +
                         bench.bind +
                         "' (beyond loopback), where terminals cannot send the token: list the "
                         "sources it accepts, allow_from: [CIDR, …]");
      }
      bench.stations.push_back(std::move(st));
    }
  }
  m.finish();
  reader.throw_if_errors();
  return bench;
}

}  // namespace

Bench load_bench(const std::string& path) {
  YamlReader reader(path);
  auto root = reader.load();
  return load_from(reader, root);
}

Bench load_bench_text(const std::string& text, const std::string& path) {
  YamlReader reader(path);
  auto root = reader.load_string(text);
  return load_from(reader, root);
}

}  // namespace rig::bench
