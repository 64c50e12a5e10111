// `rig run`, `rig validate`, `rig list` and `rig bench up`: the commands that load scenarios
// and benches and drive stations.
#include <signal.h>
#include <sys/resource.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "rig/bench/bench.h"
#include "rig/bench/card_profile.h"
#include "rig/bench/yaml_reader.h"
#include "rig/cli/commands.h"
#include "rig/cli/logging.h"
#include "rig/cli/run_reports.h"
#include "rig/cli/signals.h"
#include "rig/engine/controller.h"
#include "rig/engine/plan.h"
#include "rig/engine/station.h"
#include "rig/process/supervisor.h"
#include "rig/report/console.h"
#include "rig/scenario/catalogue.h"
#include "rig/scenario/loader.h"
#include "rig/scenario/select.h"

namespace rig::cli {

namespace fs = std::filesystem;

namespace {

// One line per station: its name and its terminal's profile (rig/bench/profile.h).
void print_stations(const bench::Bench& b) {
  for (const auto& st : b.stations) {
    std::cout << "  station " << st.name << ": profile "
              << bench::describe_profile(st.terminal.profile) << "\n";
  }
}

struct Selection {
  std::vector<std::string> paths;
  std::string bench_file;
  scenario::Selection pick;  // -k, --tag, --shard
};

void add_selection_options(CLI::App* cmd, Selection& s, bool bench_required) {
  cmd->add_option("paths", s.paths, "Scenario files or folders (default: scenarios)");
  auto* bench = cmd->add_option("--bench", s.bench_file, "Bench file (fixtures/benches/*.yaml)");
  if (bench_required) bench->required();
  cmd->add_option("-k", s.pick.k_expr,
                  "Select scenarios whose id or name matches EXPR (and/or/not)");
  add_repeatable(cmd, "--tag", s.pick.tags,
                 "Select scenarios with this tag (repeatable; T1,T2 for either)")
      ->delimiter(',');
  cmd->add_option("--shard", s.pick.shard, "Run shard K of N (K/N), deterministic by scenario id");
}

// VmHWM of /proc/self/status in kB: the peak resident memory of this program image.
std::optional<double> own_peak_rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr);
  }
  return std::nullopt;
}

// "seed 42 (scenarios in the order given)" / "seed 42 (shuffled; replay: --seed 42 --shuffle)"
std::string seed_text(std::uint32_t seed, bool shuffle) {
  const std::string n = std::to_string(seed);
  return "seed " + n +
         (shuffle ? " (shuffled; replay: --seed " + n + " --shuffle)"
                  : " (scenarios in the order given)");
}

void print_config_error(const std::exception& e) {
  std::cerr << e.what() << "\n";
}

// Loads bench (optional), cards and scenarios, applies the selection. Exit code on failure.
struct Loaded {
  std::optional<bench::Bench> bench;
  std::vector<scenario::Scenario> all;
  std::vector<scenario::Scenario> selected;
};

int load(const Selection& s, Loaded& out) {
  std::vector<std::string> paths = s.paths.empty() ? std::vector<std::string>{"scenarios"} : s.paths;
  scenario::LoadOptions options;
  try {
    std::string cards_dir;
    if (!s.bench_file.empty()) {
      out.bench = bench::load_bench(s.bench_file);
      cards_dir = out.bench->cards_dir;
    } else if (fs::exists("fixtures/cards")) {
      cards_dir = "fixtures/cards";
    }
    if (!cards_dir.empty()) {
      for (const auto& [name, card] : bench::load_cards(cards_dir)) options.known_cards.insert(name);
    }
    out.all = scenario::load_scenarios(paths, options);
  } catch (const ConfigError& e) {
    print_config_error(e);
    return kUsage;
  } catch (const std::exception& e) {
    std::cerr << "rig: " << e.what() << "\n";
    return kUsage;
  }
  try {
    out.selected = scenario::select_scenarios(out.all, s.pick);
  } catch (const std::invalid_argument& e) {
    std::cerr << "rig: " << e.what() << "\n";
    return kUsage;
  }
  return kPassed;
}

// What the bench cannot serve, as `rig validate` and `rig run --strict-bench` print it: one line
// per step that needs what no station has. Empty: every scenario can run.
std::vector<std::string> unservable(const bench::Bench& bench,
                                    const std::vector<scenario::Scenario>& scenarios,
                                    const char* level, std::size_t* scenario_count) {
  engine::PlanOptions plan;
  std::map<std::string, bench::CardProfile> cards;
  try {
    cards = bench::load_cards(bench.cards_dir);
    plan.cards = &cards;
  } catch (const std::exception&) {
    // Card files were checked when the scenarios loaded; without them the PIN need is unknown.
  }
  plan.reach.interactive = ::isatty(STDIN_FILENO) != 0;
  std::vector<std::string> lines;
  *scenario_count = 0;
  for (const auto& sc : scenarios) {
    engine::Coverage c = engine::coverage(bench, sc, plan);
    if (c.runnable()) continue;
    ++*scenario_count;
    for (const auto& issue : engine::skip_issues(bench, c)) {
      ConfigIssue at = issue;
      at.message = std::string(level) + ": " + at.message;
      lines.push_back(at.to_string());
    }
  }
  return lines;
}

}  // namespace

int read_vars(const std::vector<std::string>& args, const bench::Bench& bench,
              std::map<std::string, std::string>& overrides) {
  for (const auto& v : args) {
    auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "rig: bad --var '" << v << "': expected NAME=VALUE\n";
      return kUsage;
    }
    const std::string name = v.substr(0, eq);
    if (!bench.variables.count(name)) {
      std::string names;
      for (const auto& kv : bench.variables) names += (names.empty() ? "" : ", ") + kv.first;
      std::cerr << "rig: --var " << name << ": bench '" << bench.name
                << "' has no such variable (its variables: " << (names.empty() ? "none" : names)
                << ")\n";
      return kUsage;
    }
    overrides[name] = v.substr(eq + 1);
  }
  return kPassed;
}

void add_run_commands(CLI::App& app, int& exit_code) {
  // ---- rig run
  auto* run = app.add_subcommand("run", "Run scenarios on a bench");
  static Selection sel;
  static engine::ControllerOptions copt;
  static ReportArgs report_args;
  static bool dry_run = false;
  add_selection_options(run, sel, true);
  add_report_options(run, report_args, copt);
  run->add_option("--jobs,-j", copt.jobs, "Stations used at once (default: all)");
  run->add_option("--repeat", copt.repeat, "Run each scenario N times")->check(CLI::Range(1, 1000));
  static std::vector<std::string> var_args;
  add_repeatable(run, "--var", var_args, "Set a bench variable: NAME=VALUE (repeatable)");
  run->add_flag("--dry-run", dry_run, "Load and check everything, print the plan, run nothing");
  run->add_flag("--fail-fast", copt.fail_fast, "Stop after the first failed or errored scenario");
  static std::string seed_arg;
  run->add_option("--seed", seed_arg,
                  "The run's seed, 0 to 4294967295 (default: a new one, printed and recorded)");
  run->add_flag("--shuffle", copt.shuffle,
                "Run the scenarios in an order drawn from the seed (replay: the same --seed)");
  static std::string color = "auto";
  run->add_option("--color", color, "Colour: auto (a terminal, NO_COLOR unset), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  static std::string progress_interval = "10s";
  run->add_option("--progress-interval", progress_interval,
                  "Without a terminal: a progress line per busy station at most this often "
                  "(default 10s; 0s: every scenario and step)");
  static std::string wait_lock;
  run->add_option("--wait-lock", wait_lock,
                  "Wait up to DURATION (30s, 10m) for stations another run holds (default: refuse)");
  static bool strict_bench = false;
  run->add_flag("--strict-bench", strict_bench,
                "Refuse to run when the bench cannot serve a selected scenario (default: skip it)");
  run->callback([&exit_code] {
    Loaded loaded;
    if (int rc = load(sel, loaded); rc != kPassed) {
      exit_code = rc;
      return;
    }
    if (strict_bench) {
      std::size_t count = 0;
      auto lines = unservable(*loaded.bench, loaded.selected, "error", &count);
      if (!lines.empty()) {
        for (const auto& l : lines) std::cerr << l << "\n";
        std::cerr << "rig: --strict-bench: bench " << loaded.bench->name << " cannot serve "
                  << count << " of the " << loaded.selected.size() << " selected scenario(s)\n";
        exit_code = kUsage;
        return;
      }
    }
    if (loaded.selected.empty()) {
      std::cerr << "rig: no scenario selected (" << loaded.all.size() << " loaded)\n";
      exit_code = kUsage;
      return;
    }
    if (int rc = read_vars(var_args, *loaded.bench, copt.overrides); rc != kPassed) {
      exit_code = rc;
      return;
    }
    if (!wait_lock.empty()) {
      auto d = parse_duration(wait_lock);
      if (!d) {
        std::cerr << "rig: bad --wait-lock '" << wait_lock << "': expected a duration (30s, 10m)\n";
        exit_code = kUsage;
        return;
      }
      copt.wait_lock = *d;
    }
    if (!seed_arg.empty()) {
      try {
        copt.seed = scenario::parse_seed(seed_arg);
      } catch (const std::invalid_argument& e) {
        std::cerr << "rig: " << e.what() << "\n";
        exit_code = kUsage;
        return;
      }
    } else {
      copt.seed = scenario::fresh_seed();
    }
    bool nothing_to_rerun = false;
    if (int rc = prepare_rerun(report_args, loaded.selected, copt, &nothing_to_rerun);
        rc != kPassed || nothing_to_rerun) {
      exit_code = rc;
      return;
    }
    if (dry_run) {
      std::cout << "bench " << loaded.bench->name << ": " << loaded.bench->stations.size()
                << " station(s), time_scale " << loaded.bench->time_scale << "\n";
      print_stations(*loaded.bench);
      std::cout << seed_text(*copt.seed, copt.shuffle) << "\n";
      // The first round's order, as the run would make it (rounds of --repeat each draw their own).
      for (std::size_t i :
           scenario::RunOrder(*copt.seed, copt.shuffle).next_round(loaded.selected.size())) {
        const auto& sc = loaded.selected[i];
        std::cout << "  " << sc.id() << "  " << sc.name << "\n";
      }
      std::cout << loaded.selected.size() << " scenario(s) would run";
      if (copt.repeat > 1) {
        std::cout << ", " << copt.repeat << " times each (" << loaded.selected.size() * copt.repeat
                  << " runs)";
      }
      std::cout << "\n";
      exit_code = kPassed;
      return;
    }
    // The report folder, locked for this run; reports/latest moves when the reports are written.
    report::OutLock out_lock;
    if (int rc = prepare_reports(report_args, copt, out_lock); rc != kPassed) {
      exit_code = rc;
      return;
    }
    copt.shard = sel.pick.shard;
    copt.interactive = ::isatty(STDIN_FILENO) != 0;
    copt.logs_dir = (fs::path(copt.out_dir) / "logs").string();
    report::ConsoleStyle style;
    try {
      style = report::detect_console_style(STDOUT_FILENO, color);
    } catch (const std::invalid_argument& e) {
      std::cerr << "rig: " << e.what() << "\n";
      exit_code = kUsage;
      return;
    }
    auto interval = parse_duration(progress_interval);
    if (!interval) {
      std::cerr << "rig: bad --progress-interval '" << progress_interval
                << "': expected e.g. 10s, 500ms, 0s\n";
      exit_code = kUsage;
      return;
    }
    style.interval = *interval;
    if (std::string err = start_logging(log_options()); !err.empty()) {
      std::cerr << "rig: " << err << "\n";
      exit_code = kUsage;
      return;
    }
    std::fflush(stdout);
    report::Console console(stdout, style);
    // Log lines on the terminal go through the live console (not across its station lines);
    // in a pipe they stay on stderr.
    if (style.live) route_console_log(&console);
    // The console goes before anything that reports to it, whatever way the run ends.
    struct Unroute {
      ~Unroute() { route_console_log(nullptr); }
    } unroute;
    copt.on_note = [&console](const std::string& s) {
      spdlog::info("{}", s);
      console.line("  " + s);
    };
    copt.on_progress = [&console](const engine::Progress& p) {
      if (p.phase == engine::Progress::Phase::scenario_started) {
        spdlog::info("{}: {} started ({} steps)", p.station, p.scenario, p.steps);
        console.scenario_started(p.station, p.scenario, p.steps);
      } else {
        spdlog::debug("{}: {} step {}/{} {} at {}", p.station, p.scenario, p.step, p.steps,
                      p.step_name, p.where);
        console.step_started(p.station, p.scenario, p.step, p.steps, p.step_name, p.where);
      }
    };
    if (spdlog::should_log(spdlog::level::debug)) {
      copt.on_entry = [](const std::string& station, const engine::Entry& e) {
        if (e.kind == engine::EntryKind::step) return;  // logged by on_progress
        spdlog::debug("{}: {} {}", station, engine::to_string(e.kind), e.fields.dump());
      };
    }
    copt.on_result = [&console](const report::ScenarioResult& r, int done, int total) {
      console.scenario_finished(r.station);
      char line[512];
      std::snprintf(line, sizeof line, "[%*d/%d] %s %-44s %-8s %6.2fs", total >= 100 ? 3 : 2, done,
                    total, console.status_word(r.status).c_str(), r.id.c_str(), r.station.c_str(),
                    r.duration_ms / 1000.0);
      std::string text = line;
      if (r.attempt > 1) text += "  attempt " + std::to_string(r.attempt);
      // Failures, errors and skips say why.
      const bool why = r.status == report::Status::fail || r.status == report::Status::error ||
                       r.status == report::Status::skipped;
      if (why) text += "\n        " + r.message;
      console.line(text);
      spdlog::info("{} {} on {} in {:.2f}s{}{}", report::to_string(r.status), r.id, r.station,
                   r.duration_ms / 1000.0, r.message.empty() ? "" : ": ", r.message);
    };
    engine::Controller controller(*loaded.bench, copt);
    SignalWatcher signals([&controller](int) { controller.interrupt(); });
    console.line("rig: bench " + loaded.bench->name + ", " +
                 std::to_string(loaded.selected.size()) + " scenario(s), " +
                 seed_text(controller.seed(), copt.shuffle) + ", reports in " + copt.out_dir);
    std::string err = controller.up();
    if (!err.empty()) {
      // Nothing can run; the reports still say so, scenario by scenario.
      spdlog::error("{}", err);
      console.line("rig: " + err);
    }
    report::RunResult result = controller.run(loaded.selected);
    std::size_t controller_station_count = controller.stations().size();
    controller.down();
    console.stop();
    route_console_log(nullptr);
    auto c = result.counts();
    auto count = [&console](int n, const char* what, report::Paint paint) {
      return console.paint(std::to_string(n) + what, n > 0 ? paint : report::Paint::none);
    };
    // Peak memory and CPU time of the controller itself (children excluded): DESIGN's 20 MB
    // target; tests/bench/bench_python_cost.py reads both. The peak is VmHWM, this program's
    // own: getrusage's ru_maxrss also counts the memory of the process that started it, as it
    // was when it forked (Linux keeps it across exec), so under a large parent it says that.
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const double peak_kb = own_peak_rss_kb().value_or(static_cast<double>(usage.ru_maxrss));
    std::ostringstream summary;
    summary << c.total() << " scenario(s): " << count(c.pass, " passed", report::Paint::green)
            << ", " << count(c.fail, " failed", report::Paint::red) << ", "
            << count(c.error, " errors", report::Paint::red) << ", " << c.skipped << " skipped";
    if (c.flaky > 0) summary << ", " << count(c.flaky, " flaky", report::Paint::yellow);
    if (c.attempts != c.total()) summary << " (" << c.attempts << " attempts)";
    summary << " in " << static_cast<int>(result.duration_ms / 100) / 10.0 << "s on "
            << controller_station_count << " station(s); controller peak RSS " << std::fixed
            << std::setprecision(1) << peak_kb / 1024.0 << " MB, CPU " << std::setprecision(2)
            << static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                   static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
            << " s";
    spdlog::info("{}", summary.str());
    std::cout << "\n" << summary.str() << "\n";
    int run_exit = controller.interrupted() ? kInterrupted
                   : !err.empty()           ? kInfrastructure
                                            : result.exit_code();
    exit_code = finish_run_reports(report_args, copt, controller, run_exit);
  });

  // ---- rig validate
  auto* validate = app.add_subcommand("validate", "Check scenario files (and a bench) without running");
  static Selection vsel;
  add_selection_options(validate, vsel, false);
  static bool vstrict = false;
  validate->add_flag("--strict-bench", vstrict,
                     "Scenarios the bench cannot serve are errors (exit 2), not warnings");
  validate->callback([&exit_code] {
    Loaded loaded;
    if (int rc = load(vsel, loaded); rc != kPassed) {
      exit_code = rc;
      return;
    }
    std::size_t unserved = 0;
    if (loaded.bench) {
      auto lines = unservable(*loaded.bench, loaded.all, vstrict ? "error" : "warning", &unserved);
      for (const auto& l : lines) std::cerr << l << "\n";
    }
    std::cout << loaded.all.size() << " scenario(s) valid"
              << (loaded.bench ? " for bench " + loaded.bench->name : "");
    if (unserved > 0) {
      std::cout << "; " << unserved << " would be skipped there (the bench cannot serve them"
                << (vstrict ? ", refused by --strict-bench" : "") << ")";
    }
    std::cout << "\n";
    if (loaded.bench) print_stations(*loaded.bench);
    exit_code = vstrict && unserved > 0 ? kUsage : kPassed;
  });

  // ---- rig list
  auto* list = app.add_subcommand("list", "List scenarios (id, tags, name)");
  static Selection lsel;
  add_selection_options(list, lsel, false);
  list->callback([&exit_code] {
    Loaded loaded;
    if (int rc = load(lsel, loaded); rc != kPassed) {
      exit_code = rc;
      return;
    }
    for (const auto& sc : loaded.selected) {
      std::string tags;
      for (const auto& t : sc.tags) tags += (tags.empty() ? "" : ",") + t;
      std::printf("%-44s %-24s %s\n", sc.id().c_str(), tags.c_str(), sc.name.c_str());
    }
    exit_code = kPassed;
  });

  // ---- rig bench up
  auto* bench_cmd = app.add_subcommand("bench", "Bench commands");
  auto* up = bench_cmd->add_subcommand("up", "Start what the bench launches and keep it up until Ctrl-C");
  static std::string up_bench;
  up->add_option("--bench", up_bench, "Bench file")->required();
  bench_cmd->require_subcommand(1);
  up->callback([&exit_code] {
    std::optional<bench::Bench> b;
    try {
      b = bench::load_bench(up_bench);
    } catch (const std::exception& e) {
      print_config_error(e);
      exit_code = kUsage;
      return;
    }
    if (std::string err = start_logging(log_options()); !err.empty()) {
      std::cerr << "rig: " << err << "\n";
      exit_code = kUsage;
      return;
    }
    engine::ControllerOptions o;
    o.on_note = [](const std::string& s) {
      spdlog::info("{}", s);
      std::cerr << "  " << s << "\n";
    };
    if (spdlog::should_log(spdlog::level::debug)) {
      o.on_entry = [](const std::string& station, const engine::Entry& e) {
        spdlog::debug("{}: {} {}", station, engine::to_string(e.kind), e.fields.dump());
      };
    }
    engine::Controller controller(*b, o);
    std::mutex mu;
    std::condition_variable cv;
    bool stop = false;
    SignalWatcher signals([&](int) {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
      cv.notify_all();
    });
    std::string err = controller.up();
    if (!err.empty()) {
      std::cerr << "rig: " << err << "\n";
      exit_code = kInfrastructure;
      return;
    }
    for (auto* st : controller.stations()) {
      const auto& v = st->variables();
      auto get = [&](const char* k) { return v.has(k) ? v.get(k) : std::string("-"); };
      std::cout << "station=" << st->name() << " ecr=" << get("terminal.ecr")
                << " control=" << get("terminal.control") << " proxy=" << get("network.iso")
                << " wallet_proxy=" << get("network.wallet")
                << " iso=" << v.expand(st->wiring().host.iso)
                << " wallet=" << v.expand(st->wiring().host.wallet)
                << " profile=" << st->wiring().terminal.profile.name << "\n";
    }
    std::cout << "READY" << std::endl;
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return stop; });
    controller.down();
    exit_code = kPassed;
  });
}

}  // namespace rig::cli
