// Benches: loading a bench file, bringing it up and down, opening station sessions, running
// scenario suites as `rig run` does, and listing the serial ports of the machine.
#include <pybind11/stl.h>

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>

#include "bindings/handles.h"
#include "bindings/posrig_py.h"
#include "rig/engine/plan.h"
#include "rig/engine/runner.h"
#include "rig/engine/station.h"
#include "rig/link/serial.h"
#include "rig/report/files.h"
#include "rig/report/results.h"
#include "rig/scenario/catalogue.h"
#include "rig/scenario/select.h"

namespace posrig_py {

namespace fs = std::filesystem;
namespace bench = rig::bench;
namespace engine = rig::engine;
namespace report = rig::report;
namespace scenario = rig::scenario;

namespace {

bool has_vterm(const std::string& dir) {
  std::error_code ec;
  return !dir.empty() && fs::is_regular_file(fs::path(dir) / "vterm", ec);
}

// Where this native module was loaded from, "" when the loader cannot say.
std::string module_path() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&module_path), &info) == 0 || !info.dli_fname) return "";
  std::error_code ec;
  return fs::weakly_canonical(fs::path(info.dli_fname), ec).string();
}

// <prefix>/bin of an installed module: the module is <prefix>/lib/python3/dist-packages/posrig/
// (or lib/python3.X/…, lib64/…), so the first ancestor with bin/vterm, a few levels up.
std::string installed_bin_dir() {
  const std::string self = module_path();
  if (self.empty()) return "";
  fs::path dir = fs::path(self).parent_path();
  for (int up = 0; up < 6 && dir.has_parent_path() && dir != dir.root_path(); ++up) {
    dir = dir.parent_path();
    if (has_vterm((dir / "bin").string())) return (dir / "bin").string();
  }
  return "";
}

// Why a bench that launches simulators could not start them: said after `error` when no
// folder of simulators was found.
std::string rig_dir_hint(const std::string& rig_dir, const std::string& error) {
  if (!rig_dir.empty() || error.find("cannot start") == std::string::npos) return "";
  return "; no folder with vterm and vhost was found for ${rig_dir} (looked in $POSRIG_RIG_DIR, "
         "beside the installed module (<prefix>/bin), the build tree, " +
         std::string(POSRIG_INSTALL_BINDIR) + " and PATH): set POSRIG_RIG_DIR or pass rig_dir=";
}

}  // namespace

std::string default_rig_dir() {
  if (const char* env = std::getenv("POSRIG_RIG_DIR"); env && *env) return env;
  if (std::string bin = installed_bin_dir(); !bin.empty()) return bin;
#ifdef POSRIG_BUILD_DIR
  // Only a module in its build tree uses that tree's simulators; an installed one does not
  // depend on a build tree that may be stale or gone.
  if (module_path().rfind(POSRIG_BUILD_DIR "/", 0) == 0 && has_vterm(POSRIG_BUILD_DIR)) {
    return POSRIG_BUILD_DIR;
  }
#endif
#ifdef POSRIG_INSTALL_BINDIR
  if (has_vterm(POSRIG_INSTALL_BINDIR)) return POSRIG_INSTALL_BINDIR;
#endif
  if (const char* path = std::getenv("PATH")) {
    std::istringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (has_vterm(dir)) return dir;
    }
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// BenchHandle

BenchHandle::BenchHandle(bench::Bench b, std::map<std::string, std::string> overrides,
                         std::string rig_dir)
    : bench_(std::move(b)), overrides_(std::move(overrides)), rig_dir_(std::move(rig_dir)) {
  cards_ = bench::load_cards(bench_.cards_dir);
  for (const auto& [name, card] : cards_) load_options_.known_cards.insert(name);
}

std::shared_ptr<BenchHandle> BenchHandle::load(const std::string& path,
                                               std::map<std::string, std::string> overrides,
                                               std::string rig_dir) {
  bench::Bench b = bench::load_bench(path);
  std::vector<rig::ConfigIssue> issues;
  for (const auto& [name, value] : overrides) {
    if (!b.variables.count(name)) {
      std::string known;
      for (const auto& kv : b.variables) known += (known.empty() ? "" : ", ") + kv.first;
      issues.push_back({b.file, 0, 0,
                        "vars: bench '" + b.name + "' has no variable '" + name +
                            "' (its variables: " + (known.empty() ? "none" : known) + ")"});
    }
  }
  if (!issues.empty()) throw rig::ConfigError(std::move(issues));
  if (rig_dir.empty()) rig_dir = default_rig_dir();
  return std::shared_ptr<BenchHandle>(
      new BenchHandle(std::move(b), std::move(overrides), std::move(rig_dir)));
}

BenchHandle::~BenchHandle() {
  // Dropped by Python without down(): stop the processes without holding the GIL.
  try {
    std::optional<py::gil_scoped_release> release;
    if (Py_IsInitialized() && PyGILState_Check()) release.emplace();
    down();
  } catch (...) {
    // down() reports nothing; only a failed allocation can land here.
  }
}

void BenchHandle::up(std::chrono::milliseconds up_timeout) {
  std::lock_guard<std::mutex> lock(mu_);
  if (controller_) return;
  bench::Bench b = bench_;
  // The controller's ${rig_dir} is the folder of its executable, python3's here: a bench
  // variable of the same name takes its place.
  if (!rig_dir_.empty()) b.variables["rig_dir"] = rig_dir_;
  engine::ControllerOptions options;
  options.overrides = overrides_;
  options.up_timeout = up_timeout;
  auto controller = std::make_unique<engine::Controller>(std::move(b), options);
  std::string error = controller->up();
  if (!error.empty()) {
    controller->down();
    throw engine::InfrastructureError("bench " + bench_.name + ": " + error +
                                      rig_dir_hint(rig_dir_, error));
  }
  controller_ = std::move(controller);
}

void BenchHandle::down() {
  std::vector<std::shared_ptr<SessionHandle>> open;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, weak] : sessions_) {
      if (auto s = weak.lock()) open.push_back(std::move(s));
    }
  }
  for (auto& s : open) s->close();  // takes mu_ to release its station
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.clear();
  busy_.clear();
  if (controller_) controller_->down();
  controller_.reset();
}

bool BenchHandle::is_up() const {
  std::lock_guard<std::mutex> lock(mu_);
  return controller_ != nullptr;
}

std::vector<std::string> BenchHandle::station_names() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> names;
  if (controller_) {
    for (auto* st : controller_->stations()) names.push_back(st->name());
  }
  return names;
}

std::vector<std::string> BenchHandle::station_errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return controller_ ? controller_->station_errors() : std::vector<std::string>{};
}

engine::Station* BenchHandle::reserve(const std::string& station, std::string* run_tag) {
  engine::Station* chosen = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!controller_) throw UsageError("bench " + bench_.name + " is not up: call up() first");
    auto busy = [&](const std::string& name) { return busy_.count(name) > 0; };
    std::vector<std::string> names;
    for (auto* st : controller_->stations()) {
      names.push_back(st->name());
      if (station.empty() ? !busy(st->name()) : st->name() == station) {
        chosen = st;
        break;
      }
    }
    if (!chosen) {
      if (station.empty()) {
        throw UsageError("bench " + bench_.name + ": every station is in use");
      }
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      throw UsageError("bench " + bench_.name + " has no station '" + station +
                       "' that is up (up: " + known + ")");
    }
    if (busy(chosen->name())) {
      throw UsageError("station " + chosen->name() +
                       " is in use by another session; close that one first");
    }
    if (std::string trouble = chosen->trouble(); !trouble.empty()) {
      throw engine::InfrastructureError("station " + chosen->name() + ": " + trouble);
    }
    // The terminal remembers transaction ids for duplicate detection: every session of this
    // bench gets ids of its own.
    *run_tag = "py" + std::to_string(++opened_);
    busy_.insert(chosen->name());  // reserved until released
  }
  return chosen;
}

std::shared_ptr<SessionHandle> BenchHandle::open(const std::string& station) {
  std::string run_tag;
  engine::Station* chosen = reserve(station, &run_tag);
  try {
    auto session = std::make_shared<SessionHandle>(shared_from_this(), *chosen, run_tag);
    std::lock_guard<std::mutex> lock(mu_);
    sessions_[chosen->name()] = session;
    return session;
  } catch (...) {
    release(chosen->name());
    throw;
  }
}

void BenchHandle::release(const std::string& station) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(station);
  busy_.erase(station);
}

report::ScenarioResult BenchHandle::run_scenario(const scenario::Scenario& sc,
                                                 const std::string& station) {
  // What the bench cannot serve is skipped with the reason, as `rig run` skips it; without a
  // station named, the scenario goes to one that can serve it.
  engine::PlanOptions plan;
  plan.cards = &cards_;
  plan.reach.interactive = ::isatty(STDIN_FILENO) != 0;
  const engine::Coverage cover = engine::coverage(bench_, sc, plan);
  auto skipped = [&](const std::string& why) {
    report::ScenarioResult r = engine::result_for(sc);
    r.status = report::Status::skipped;
    r.message = why;
    return r;
  };
  if (!cover.runnable()) return skipped(cover.skip_reason);
  const auto& able = cover.stations;
  if (!station.empty() && std::find(able.begin(), able.end(), station) == able.end()) {
    for (const auto& st : bench_.stations) {
      if (st.name != station) continue;
      std::vector<engine::Gap> gaps = engine::station_gaps(st, sc, plan);
      if (!gaps.empty()) {
        return skipped("station " + station + ": " + gaps.front().why + " (" +
                       gaps.front().need.step + " at " + gaps.front().need.loc.to_string() + ")");
      }
    }
  }
  std::string run_tag;
  engine::Station* chosen = reserve(
      station.empty() && able.size() < bench_.stations.size() ? able.front() : station, &run_tag);
  std::atomic<bool> interrupted{false};
  engine::RunnerOptions options;
  options.interrupted = &interrupted;
  options.cards = &cards_;
  options.run_tag = run_tag;
  options.scope_ids = true;  // a scenario file, as `rig run` runs it
  report::ScenarioResult result;
  try {
    CtrlC ctrl_c([&] {
      interrupted = true;
      chosen->timeline()->interrupt();
    });
    result = engine::run_scenario(*chosen, sc, options);
  } catch (...) {
    release(chosen->name());
    throw;
  }
  release(chosen->name());
  return result;
}

// ---------------------------------------------------------------------------------------------
// Suites

namespace {

// `rig run`: load, select, bring the bench up, run, bring it down. See DefineBench for the
// arguments.
report::RunResult run(const std::vector<std::string>& paths, const std::string& bench_file,
                      const std::vector<std::string>& tags, const std::string& k_expr, int jobs,
                      const std::string& out_arg, int repeat, bool fail_fast,
                      const std::string& shard, const std::map<std::string, std::string>& overrides,
                      const std::string& rig_dir, const std::string& junit_path,
                      const std::string& json_path, const std::string& html_path,
                      const std::string& history_path, bool no_history,
                      bool strict_bench, std::optional<std::uint32_t> seed, bool shuffle,
                      const std::function<void(const nlohmann::json&)>& on_progress) {
  std::shared_ptr<BenchHandle> handle = BenchHandle::load(bench_file, overrides, rig_dir);
  const bench::Bench& b = handle->bench();
  std::vector<scenario::Scenario> all = scenario::load_scenarios(
      paths.empty() ? std::vector<std::string>{"scenarios"} : paths, handle->load_options());

  std::vector<scenario::Scenario> selected;
  try {
    selected = scenario::select_scenarios(all, {k_expr, tags, shard});
  } catch (const std::invalid_argument& e) {
    throw rig::ConfigError(rig::ConfigIssue{"posrig.run", 0, 0, e.what()});
  }
  if (strict_bench) {
    // As `rig run --strict-bench`: what the bench cannot serve is an error, not a skip.
    std::map<std::string, bench::CardProfile> cards = bench::load_cards(b.cards_dir);
    engine::PlanOptions plan;
    plan.cards = &cards;
    std::vector<rig::ConfigIssue> problems;
    for (const auto& sc : selected) {
      auto p = engine::skip_issues(b, engine::coverage(b, sc, plan));
      problems.insert(problems.end(), p.begin(), p.end());
    }
    if (!problems.empty()) throw rig::ConfigError(std::move(problems));
  }
  if (selected.empty()) {
    throw UsageError("no scenario selected (" + std::to_string(all.size()) + " loaded)");
  }

  // The report folder: `out`, or one of this run's own as `rig run` makes it
  // (reports/<UTC time>-<n>, linked as reports/latest once its reports are written). Absolute,
  // so that the results can read their details from its journal after a chdir.
  const bool default_out = out_arg.empty();
  std::string out_dir;
  try {
    out_dir = fs::absolute(default_out ? report::make_unique_report_dir("reports") : out_arg)
                  .lexically_normal()
                  .string();
  } catch (const std::exception& e) {
    throw UsageError(e.what());
  }

  engine::ControllerOptions options;
  options.jobs = jobs;
  options.fail_fast = fail_fast;
  options.repeat = repeat;
  options.out_dir = out_dir;
  options.junit_path = junit_path;
  options.json_path = json_path;
  options.html_path = html_path;
  options.shard = shard;
  options.overrides = overrides;
  // The results keep summaries; a script reads an attempt's details from the journal when it
  // asks for them (memory as `rig run`'s, not every timeline of the run).
  options.keep_timelines = false;
  options.seed = seed;
  options.shuffle = shuffle;
  options.logs_dir = (fs::path(out_dir) / "logs").string();
  // on_progress: the first exception it raises stops the run (faults put back, as on Ctrl-C)
  // and is raised by run() once the bench is down.
  std::mutex progress_mu;
  std::exception_ptr progress_error;
  engine::Controller* running = nullptr;
  auto report_progress = [&](const nlohmann::json& event) {
    {
      std::lock_guard<std::mutex> lock(progress_mu);
      if (progress_error || !on_progress) return;
    }
    try {
      on_progress(event);
    } catch (...) {
      std::lock_guard<std::mutex> lock(progress_mu);
      if (!progress_error) {
        progress_error = std::current_exception();
        if (running) running->interrupt();
      }
    }
  };
  if (on_progress) {
    options.on_progress = [&](const engine::Progress& p) {
      nlohmann::json event = {{"event", engine::to_string(p.phase)},
                              {"station", p.station},
                              {"scenario", p.scenario},
                              {"steps", p.steps},
                              {"elapsed_ms", p.elapsed_ms}};
      if (p.phase == engine::Progress::Phase::step_started) {
        event["step"] = p.step;
        event["step_name"] = p.step_name;
        event["where"] = p.where;
      }
      report_progress(event);
    };
    options.on_result = [&](const report::ScenarioResult& r, int done, int total) {
      report_progress({{"event", "scenario_finished"},
                       {"station", r.station},
                       {"scenario", r.id},
                       {"status", report::to_string(r.status)},
                       {"message", r.message},
                       {"duration_ms", r.duration_ms},
                       {"done", done},
                       {"total", total}});
    };
  }
  // `out` as `rig run --out`: locked for this run, earlier reports removed, the run added to
  // history.sqlite beside it (or `history`; none with no_history or without either).
  report::OutLock out_lock;
  {
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) throw UsageError("cannot create " + out_dir + ": " + ec.message());
    const std::string who =
        "pid " + std::to_string(::getpid()) + " (posrig.run) since " + report::utc_now_iso8601();
    std::string busy = report::claim_report_dir(out_dir, who, out_lock);
    if (!busy.empty()) {
      throw UsageError(busy + "; two runs cannot share one out (choose another folder)");
    }
  }
  if (!no_history) {
    options.history_path = !history_path.empty() ? history_path : report::history_beside(out_dir);
  }
  bench::Bench wired = b;
  if (!handle->rig_dir().empty()) wired.variables["rig_dir"] = handle->rig_dir();
  engine::Controller controller(std::move(wired), options);
  {
    std::lock_guard<std::mutex> lock(progress_mu);
    running = &controller;
  }
  CtrlC ctrl_c([&controller] { controller.interrupt(); });
  std::string error = controller.up();
  if (!error.empty()) {
    controller.down();
    throw engine::InfrastructureError("bench " + b.name + ": " + error +
                                      rig_dir_hint(handle->rig_dir(), error) +
                                      " (the simulators' output: " + options.logs_dir + ")");
  }
  report::RunResult result = controller.run(selected);
  controller.down();
  if (progress_error) std::rethrow_exception(progress_error);
  if (default_out && controller.report_errors().empty()) {
    // reports/latest moves only now, when the reports it points at are written.
    const fs::path dir(out_dir);
    try {
      report::point_link((dir.parent_path() / "latest").string(), dir.filename().string());
    } catch (const std::exception&) {
      // The reports are written and result.report_dir says where; latest is a convenience.
    }
  }
  return result;
}

py::list ports() {
  std::vector<rig::link::PortInfo> found;
  try {
    found = rig::link::list_ports();
  } catch (const std::runtime_error& e) {
    throw LinkError(e.what());
  }
  py::list out;
  for (const auto& p : found) {
    py::dict d;
    d["name"] = p.name;
    d["description"] = p.description;
    d["transport"] = p.transport;
    d["usb_vid"] = p.usb_vid ? py::object(py::int_(*p.usb_vid)) : py::object(py::none());
    d["usb_pid"] = p.usb_pid ? py::object(py::int_(*p.usb_pid)) : py::object(py::none());
    d["serial_number"] = p.serial_number;
    d["manufacturer"] = p.manufacturer;
    d["product"] = p.product;
    d["summary"] = rig::link::describe_port(p);
    out.append(std::move(d));
  }
  return out;
}

}  // namespace

void DefineBench(py::module_& m) {
  m.def("default_rig_dir", &default_rig_dir,
        "Where vterm, vhost and rig are looked for: $POSRIG_RIG_DIR, the bin folder of the\n"
        "prefix this module is installed under, the build tree (a module in it), the\n"
        "configured install bin folder, then PATH.");

  py::class_<BenchHandle, std::shared_ptr<BenchHandle>>(
      m, "BenchHandle",
      "A loaded bench file (native part of posrig.Bench). Not up until up() is called.")
      .def_static("load", &BenchHandle::load, py::arg("path"),
                  py::arg("overrides") = std::map<std::string, std::string>{},
                  py::arg("rig_dir") = "",
                  "Loads and checks a bench file and its card profiles (ConfigError).\n"
                  "overrides: bench variables to replace, like rig run --var NAME=VALUE.\n"
                  "rig_dir: folder of vterm/vhost; \"\" = default_rig_dir().")
      .def_property_readonly("name", [](const BenchHandle& h) { return h.bench().name; })
      .def_property_readonly("file", [](const BenchHandle& h) { return h.bench().file; })
      .def_property_readonly("time_scale",
                             [](const BenchHandle& h) { return h.bench().time_scale; })
      .def_property_readonly("variables", [](const BenchHandle& h) { return h.bench().variables; })
      .def_property_readonly("overrides", &BenchHandle::overrides)
      .def_property_readonly("rig_dir", &BenchHandle::rig_dir)
      .def_property_readonly(
          "configured_stations",
          [](const BenchHandle& h) {
            std::vector<std::string> names;
            for (const auto& st : h.bench().stations) names.push_back(st.name);
            return names;
          },
          "every station of the file")
      .def_property_readonly("load_options", &BenchHandle::load_options,
                             "LoadOptions knowing this bench's card names")
      // Waits for simulators and services to print their ready lines (processes, sockets).
      .def(
          "up",
          [](BenchHandle& h, long long up_timeout_ms) {
            h.up(std::chrono::milliseconds(up_timeout_ms));
          },
          py::arg("up_timeout_ms") = 20000, py::call_guard<py::gil_scoped_release>(),
          "Starts services and stations; InfrastructureError when none came up.")
      // Reverts open sessions' faults and stops processes (fixture sockets, process exits).
      .def("down", &BenchHandle::down, py::call_guard<py::gil_scoped_release>(),
           "Closes open sessions, stops stations and services.")
      .def_property_readonly("is_up", &BenchHandle::is_up)
      .def("station_names", &BenchHandle::station_names, "stations that came up")
      .def("station_errors", &BenchHandle::station_errors, "why the other stations did not come up")
      // Reads the ledger base figures from vhost's admin endpoint (socket).
      .def("open", &BenchHandle::open, py::arg("station") = "",
           py::call_guard<py::gil_scoped_release>(),
           "Opens a session on a station (\"\" = the first free one).")
      // Drives the station through a whole scenario (terminal link, fixtures, simulators).
      .def("run_scenario", &BenchHandle::run_scenario, py::arg("scenario"), py::arg("station") = "",
           py::call_guard<py::gil_scoped_release>(),
           "Runs one loaded scenario on a station (\"\" = the first free one) as `rig run`\n"
           "does and returns its ScenarioResult; the station is put back after it.");

  // Brings a bench up, runs scenarios, brings it down (processes, sockets, terminal links):
  // without the GIL, which on_progress takes back for each call from the stations' threads.
  m.def(
      "run",
      [](const std::vector<std::string>& paths, const std::string& bench_file,
         const std::vector<std::string>& tags, const std::string& k_expr, int jobs,
         const std::string& out_dir, int repeat, bool fail_fast, const std::string& shard,
         const std::map<std::string, std::string>& overrides, const std::string& rig_dir,
         const std::string& junit_path, const std::string& json_path, const std::string& html_path,
         const std::string& history_path, bool no_history, bool strict_bench,
         std::optional<std::uint32_t> seed, bool shuffle, const py::object& on_progress) {
        std::function<void(const nlohmann::json&)> callback;
        if (!on_progress.is_none()) {
          // Holds a reference to on_progress, not a copy: nothing here decrements a Python
          // reference count without the GIL.
          callback = [&on_progress](const nlohmann::json& event) {
            py::gil_scoped_acquire gil;
            on_progress(to_py(event));
          };
        }
        py::gil_scoped_release no_gil;
        return run(paths, bench_file, tags, k_expr, jobs, out_dir, repeat, fail_fast, shard,
                   overrides, rig_dir, junit_path, json_path, html_path, history_path, no_history,
                   strict_bench, seed, shuffle, callback);
      },
      py::arg("paths"), py::arg("bench_file"), py::arg("tags") = std::vector<std::string>{},
      py::arg("k_expr") = "", py::arg("jobs") = 0, py::arg("out_dir") = "", py::arg("repeat") = 1,
      py::arg("fail_fast") = false, py::arg("shard") = "",
      py::arg("overrides") = std::map<std::string, std::string>{}, py::arg("rig_dir") = "",
      py::arg("junit_path") = "", py::arg("json_path") = "", py::arg("html_path") = "",
      py::arg("history_path") = "", py::arg("no_history") = false,
      py::arg("strict_bench") = false, py::arg("seed") = py::none(), py::arg("shuffle") = false,
      py::arg("on_progress") = py::none(),
      "Runs scenario files and folders on a bench as `rig run` does and returns the\n"
      "RunResult; its reports are written to out_dir (\"\": a new reports/<UTC time>-<n>,\n"
      "RunResult.report_dir). Scenarios the bench cannot serve are skipped with the reason;\n"
      "strict_bench=True raises ConfigError instead. seed: the run's seed (None: a\n"
      "new one, in RunResult.seed); shuffle: run in an order drawn from it.\n"
      "on_progress(event: dict) is called from the stations' threads as scenarios and steps\n"
      "start and scenarios end; an\n"
      "exception it raises stops the run and is raised here. Ctrl-C stops the run after\n"
      "reverting faults; the pending KeyboardInterrupt is raised when it returns.");

  // Listing walks sysfs and opens no device: quick, and it builds Python objects, so the GIL
  // stays.
  m.def("ports", &ports,
        "Serial ports of this machine (as `rig ports --json`, plus summary); LinkError when\n"
        "they cannot be listed.");
}

}  // namespace posrig_py
