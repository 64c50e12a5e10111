#include "rig/engine/station.h"

#include <filesystem>
#include <regex>

#include "rig/engine/run_folder.h"
#include "rig/fault/driver.h"
#include "rig/process/token_source.h"
#include "rig/protocol/redact.h"

namespace rig::engine {

using nlohmann::json;

EntryKind entry_kind_of(const terminal::Observation& o) {
  switch (terminal::kind_of(o)) {
    case terminal::ObservationKind::result:
      return EntryKind::result;
    case terminal::ObservationKind::display:
      return EntryKind::display;
    case terminal::ObservationKind::prompt:
      return EntryKind::prompt;
    case terminal::ObservationKind::receipt:
      return EntryKind::receipt;
    case terminal::ObservationKind::event:
      return EntryKind::event;
    case terminal::ObservationKind::status:
      return EntryKind::status;
    case terminal::ObservationKind::wire:
      return std::get<terminal::WireRecord>(o).direction == terminal::WireRecord::Direction::out
                 ? EntryKind::ecr_out
                 : EntryKind::ecr_in;
    case terminal::ObservationKind::note:
      return EntryKind::note;
  }
  return EntryKind::note;
}

std::string family_of(const std::string& action) { return fault::family_of(action); }

struct Station::Observers {
  std::mutex mu;
  std::vector<std::function<void(const Entry&)>> list;

  void notify(const Entry& e) {
    std::vector<std::function<void(const Entry&)>> copy;
    {
      std::lock_guard<std::mutex> lock(mu);
      copy = list;
    }
    for (const auto& o : copy) o(e);
  }
  std::shared_ptr<Timeline> watch(std::shared_ptr<Timeline> tl,
                                  const std::shared_ptr<Observers>& self) {
    tl->observe([self](const Entry& e) { self->notify(e); });
    return tl;
  }
};

Station::Station(const bench::Bench& bench, const bench::Station& wiring, bench::Variables vars,
                 bool interactive)
    : bench_(bench),
      wiring_(wiring),
      vars_(std::move(vars)),
      interactive_(interactive),
      observers_(std::make_shared<Observers>()),
      timeline_(observers_->watch(std::make_shared<Timeline>(), observers_)) {
  vars_.set("station", wiring_.name);
  vars_.set("terminal.tid", wiring_.terminal.tid);
  vars_.set("terminal.mid", wiring_.terminal.mid);
  for (const auto& [name, value] : bench::profile_variables(wiring_.terminal.profile)) {
    vars_.set(name, value);
  }
}

Station::~Station() { down(); }

void Station::attach(std::shared_ptr<Timeline> timeline) {
  std::lock_guard<std::mutex> lock(mu_);
  provenance_.next_scenario();
  timeline_ =
      observers_->watch(timeline ? std::move(timeline) : std::make_shared<Timeline>(), observers_);
}

void Station::observe(std::function<void(const Entry&)> observer) {
  std::lock_guard<std::mutex> lock(observers_->mu);
  observers_->list.push_back(std::move(observer));
}

std::shared_ptr<Timeline> Station::timeline() const {
  std::lock_guard<std::mutex> lock(mu_);
  return timeline_;
}

void Station::record(EntryKind kind, json fields) {
  provenance_.mark(kind, fields);
  timeline()->add(kind, std::move(fields));
}

void Station::set_trouble(std::string why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (trouble_.empty()) trouble_ = std::move(why);
}

std::string Station::trouble() const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!trouble_.empty()) return trouble_;
  }
  if (terminal_) {
    if (std::string why = terminal_->trouble(); !why.empty()) return why;
  }
  if (simulator_ && !simulator_->running()) {
    auto status = simulator_->exit_status();
    std::string why = simulator_->name() + " " + (status ? status->describe() : "ended");
    auto lines = simulator_->lines();
    if (!lines.empty()) why += "; last output: " + protocol::redact(lines.back().text);
    return why;
  }
  return "";
}

std::string Station::launch_terminal(std::chrono::milliseconds timeout) {
  const bench::Launch& launch = wiring_.terminal.launch;
  process::Spec spec;
  try {
    spec.argv = vars_.expand(launch.argv);
  } catch (const std::invalid_argument& e) {
    return std::string("terminal launch: ") + e.what();
  }
  const std::string program = std::filesystem::path(spec.argv[0]).filename().string();
  spec.name = program + "[" + wiring_.name + "]";
  // The bench's token by environment, never on the command line (visible in ps).
  if (!bench_.token.empty()) spec.env.emplace_back(process::kTokenEnv, bench_.token);
  // Its run folder, by which the next run finds what it left running should this run die.
  if (vars_.has("run_dir")) spec.env.emplace_back(kRunDirEnv, vars_.get("run_dir"));
  if (!output_dir_.empty()) {
    spec.on_line = process::append_lines_to(
        (std::filesystem::path(output_dir_) / (program + "-" + wiring_.name + ".log")).string());
  }
  simulator_ = std::make_unique<process::Child>(spec);
  process::Status s = simulator_->start();
  if (!s) return s.message;
  if (launch.ready.empty()) return "";
  auto wait = std::min(timeout, launch.ready_timeout);
  const std::regex ready = bench::ready_regex(launch.ready);
  process::LineResult r = simulator_->wait_for_line(ready, process::after(wait));
  if (!r.status) return r.status.message;
  vars_.add_ready_line("terminal", r.line.text);
  return "";
}

std::string Station::up(std::chrono::milliseconds timeout) {
  if (up_) return "";
  auto deadline = link::after(timeout);
  auto recorder = [this](const std::string& kind, json fields) {
    EntryKind k = kind == "fault_applied"    ? EntryKind::fault_applied
                  : kind == "fault_cleared"  ? EntryKind::fault_cleared
                  : kind == "host_message"   ? EntryKind::host_message
                  : kind == "wallet_message" ? EntryKind::wallet_message
                  : kind == "fixture"        ? EntryKind::fixture
                                             : EntryKind::note;
    fields["station"] = wiring_.name;
    record(k, std::move(fields));
  };
  try {
    // 1. Fault proxies in front of host and wallet.
    if (auto it = wiring_.faults.find("network");
        it != wiring_.faults.end() && it->second.driver == "proxy") {
      std::vector<std::string> allow_from;
      for (const auto& entry : it->second.settings.value("allow_from", nlohmann::json::array())) {
        allow_from.push_back(vars_.expand(entry.get<std::string>()));
      }
      network_ = std::make_shared<fault::NetworkFixture>(
          wiring_.name, vars_.expand(wiring_.host.iso), vars_.expand(wiring_.host.wallet),
          bench_.bind, link::AllowList::parse(allow_from), recorder);
      network_->start();
      vars_.set("network.iso", network_->iso_endpoint());
      vars_.set("network.wallet", network_->wallet_endpoint());
    } else {
      // Without a proxy the terminal talks to the host directly.
      vars_.set("network.iso", vars_.expand(wiring_.host.iso));
      vars_.set("network.wallet", vars_.expand(wiring_.host.wallet));
    }
    vars_.set("host.admin", wiring_.host.admin.empty() ? "" : vars_.expand(wiring_.host.admin));

    // 2. The simulator, when the bench launches one.
    if (!wiring_.terminal.launch.argv.empty()) {
      std::string err = launch_terminal(timeout);
      if (!err.empty()) return "station " + wiring_.name + ": " + err;
    }

    // 3. The terminal link.
    terminal::TerminalOptions options;
    options.link_spec = vars_.expand(wiring_.terminal.link);
    options.ack_timeout = wiring_.terminal.ack_timeout;
    options.attempts = wiring_.terminal.attempts;
    for (const auto& [key, value] : wiring_.terminal.settings) {
      options.settings[key] = vars_.expand(value);
    }
    for (const auto& [key, list] : wiring_.terminal.list_settings) {
      options.list_settings[key] = vars_.expand(list);
    }
    terminal::TerminalSink sink;
    sink.on_observation = [this](const terminal::Observation& o, link::Clock::time_point at) {
      if (flooded_ || flooded_by(o, at)) return;
      const EntryKind kind = entry_kind_of(o);
      json fields = terminal::to_json(o);
      provenance_.mark(kind, fields);
      timeline()->add_at(at, kind, std::move(fields));
    };
    sink.on_link_lost = [this](const std::string& why) {
      record(EntryKind::infra, {{"text", "ECR link lost: " + why}});
    };
    terminal_ = terminal::make_terminal_driver(wiring_.terminal.driver, options, sink);
    link::Status s = terminal_->open(deadline);
    if (!s) return "station " + wiring_.name + ": " + s.message;

    // 4. Fixture drivers, one per wired family.
    fault::FixtureContext context;
    context.station = wiring_.name;
    context.time_scale = bench_.time_scale;
    context.token = bench_.token;
    context.expand = [this](const std::string& t) { return vars_.expand(t); };
    context.record = recorder;
    context.interactive = interactive_;
    for (const auto& [family, wiring] : wiring_.faults) {
      if (family == "network" && network_) {
        fixtures_[family] = network_;
      } else {
        fixtures_[family] = fault::make_fixture(wiring, context);
      }
    }
    if (vars_.has("host.admin") && !vars_.get("host.admin").empty()) {
      admin_ = std::make_unique<link::HttpJsonClient>("vhost admin", vars_.get("host.admin"),
                                                      bench_.token);
    }
  } catch (const std::exception& e) {
    return "station " + wiring_.name + ": " + e.what();
  }
  up_ = true;
  return "";
}

bool Station::flooded_by(const terminal::Observation& o, link::Clock::time_point at) {
  std::uint64_t bytes = 0;
  if (const auto* w = std::get_if<terminal::WireRecord>(&o)) {
    if (w->direction == terminal::WireRecord::Direction::out) return false;
    bytes = w->kind == "noise"                     ? w->bytes
            : w->kind == "ack" || w->kind == "nak" ? 1
                                                   : w->payload.size() + 3;
  }
  std::string why;
  {
    std::lock_guard<std::mutex> lock(flood_mu_);
    if (flooded_ || !flood_.add(at, bytes)) return flooded_;
    flooded_ = true;
    why = "the terminal floods its link (" + flood_.describe() + "): the station leaves the run";
  }
  set_trouble(why);
  auto tl = timeline();
  tl->add(EntryKind::infra, {{"text", why}});
  tl->interrupt();  // the scenario running here ends now, as an error
  // Its own reader thread is calling us: the link is closed from another thread.
  quarantine_ = std::thread([this] {
    if (terminal_) terminal_->close();
  });
  return true;
}

void Station::down() {
  if (quarantine_.joinable()) quarantine_.join();
  if (terminal_) terminal_->close();
  if (simulator_) simulator_->stop();
  if (network_) network_->stop();
  up_ = false;
}

fault::FixtureDriver* Station::fixture_for(const std::string& action, std::string* why) {
  std::string family = family_of(action);
  if (family == "ecr") return terminal_.get();
  auto it = fixtures_.find(family);
  if (it == fixtures_.end()) {
    if (why) *why = "station " + wiring_.name + " has no " + family + " fixture wired in the bench";
    return nullptr;
  }
  if (!it->second->supports(action)) {
    if (why)
      *why = "station " + wiring_.name + ": " + it->second->describe() + " cannot do " + action;
    return nullptr;
  }
  return it->second.get();
}

void Station::abort_calls() {
  std::lock_guard<std::mutex> sweep(abort_sweep_);
  for (auto& [family, f] : fixtures_) f->abort();
  if (admin_) admin_->abort();
}

void Station::wait_for_abort_sweep() { std::lock_guard<std::mutex> sweep(abort_sweep_); }

std::vector<fault::FixtureDriver*> Station::fixtures() {
  std::vector<fault::FixtureDriver*> out;
  for (auto& [family, f] : fixtures_) out.push_back(f.get());
  if (terminal_) out.push_back(terminal_.get());
  return out;
}

}  // namespace rig::engine
