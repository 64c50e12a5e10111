// `rig explore`: a fault at every boundary of a flow (docs/explore.md), run by the normal engine
// and judged by the evidence checks; rig/explore/ does the work.
#include <iostream>
#include <regex>

#include "rig/bench/bench.h"
#include "rig/bench/config_error.h"
#include "rig/bench/yaml_reader.h"
#include "rig/cli/commands.h"
#include "rig/cli/logging.h"
#include "rig/cli/signals.h"
#include "rig/explore/explorer.h"
#include "rig/report/results.h"
#include "rig/scenario/select.h"

namespace rig::cli {

void add_explore_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "explore", "Inject each fault at each boundary of a flow; judge by the evidence checks");
  static std::string bench_file;
  static std::string flow = "card-sale";
  static std::string budget;
  static std::string seed_arg;
  static std::string out_dir;
  static std::vector<std::string> var_args;
  static bool resume = false;
  static int depth = 1;
  cmd->add_option("--bench", bench_file, "Bench file (fixtures/benches/*.yaml)")->required();
  std::vector<std::string> flow_names;
  for (const auto& f : explore::flows()) flow_names.push_back(f.name);
  cmd->add_option("--flow", flow, "The transaction explored (default card-sale)")
      ->check(CLI::IsMember(flow_names));
  cmd->add_option("--budget", budget,
                  "At most N fault runs, or start none after DURATION (5m, 90s); default: all");
  cmd->add_option("--seed", seed_arg,
                  "Seed of the order of the runs, 0 to 4294967295 (default: a new one, printed)");
  cmd->add_option("--out", out_dir,
                  "Output folder: explore.json, findings/, junit.xml, results.json, report.html "
                  "(default reports/explore-<UTC time>)");
  add_repeatable(cmd, "--var", var_args, "Set a bench variable: NAME=VALUE (repeatable)");
  cmd->add_option("--depth", depth,
                  "1: one fault per run (default); 2: also a second fault at each boundary the "
                  "first brought about (its reversal, repeat, events)")
      ->check(CLI::Range(1, 2));
  cmd->add_flag("--resume", resume,
                "Continue the exploration whose --out folder is given: runs judged there are "
                "kept, the rest run (its seed unless --seed)");
  cmd->callback([&exit_code] {
    explore::Options opt;
    opt.flow = flow;
    opt.depth = depth;
    opt.bench_file = bench_file;
    if (!budget.empty()) {
      if (std::regex_match(budget, std::regex("[0-9]+"))) {
        opt.budget_runs = std::stoi(budget);
      } else if (auto d = parse_duration(budget)) {
        opt.budget_time = *d;
      }
      if (opt.budget_runs <= 0 && opt.budget_time.count() <= 0) {
        std::cerr << "rig: bad --budget '" << budget
                  << "': expected a number of runs (20) or a duration (5m, 90s)\n";
        exit_code = kUsage;
        return;
      }
    }
    try {
      opt.seed = seed_arg.empty() ? scenario::fresh_seed() : scenario::parse_seed(seed_arg);
    } catch (const std::invalid_argument& e) {
      std::cerr << "rig: " << e.what() << "\n";
      exit_code = kUsage;
      return;
    }
    std::optional<bench::Bench> bench;
    try {
      bench = bench::load_bench(bench_file);
    } catch (const std::exception& e) {
      std::cerr << e.what() << "\n";
      exit_code = kUsage;
      return;
    }
    if (resume) {
      if (out_dir.empty()) {
        std::cerr << "rig: --resume needs the --out folder of the exploration to continue\n";
        exit_code = kUsage;
        return;
      }
      try {
        opt.resume = explore::previous_exploration(out_dir, flow, bench->name);
      } catch (const std::invalid_argument& e) {
        std::cerr << "rig: " << e.what() << "\n";
        exit_code = kUsage;
        return;
      }
      if (seed_arg.empty()) {
        opt.seed = opt.resume->seed;
      } else if (opt.seed != opt.resume->seed) {
        std::cerr << "rig: --resume: " << out_dir << " was explored with --seed "
                  << opt.resume->seed << ", not " << opt.seed << "\n";
        exit_code = kUsage;
        return;
      }
    }
    if (int rc = read_vars(var_args, *bench, opt.overrides); rc != kPassed) {
      exit_code = rc;
      return;
    }
    opt.out_dir = out_dir.empty() ? "reports/explore-" + report::utc_now("%Y%m%dT%H%M%S") : out_dir;
    if (std::string err = start_logging(log_options()); !err.empty()) {
      std::cerr << "rig: " << err << "\n";
      exit_code = kUsage;
      return;
    }
    opt.progress = [](const std::string& line) { std::cerr << line << "\n" << std::flush; };
    explore::Explorer explorer(*bench, opt);
    SignalWatcher signals([&explorer](int) { explorer.interrupt(); });
    std::cerr << "rig explore: bench " << bench->name << ", flow " << flow << ", seed "
              << opt.seed << " (replay: --seed " << opt.seed << "), output in " << opt.out_dir
              << "\n";
    explore::Outcome o = explorer.run();
    const int held = static_cast<int>(std::count_if(
        o.runs.begin(), o.runs.end(), [](const explore::Run& r) { return r.verdict == "held"; }));
    const int errors = static_cast<int>(std::count_if(
        o.runs.begin(), o.runs.end(), [](const explore::Run& r) { return r.verdict == "error"; }));
    if (!o.error.empty()) std::cerr << "rig explore: " << o.error << "\n";
    for (const auto& w : o.written) std::cerr << "rig explore: " << w << "\n";
    std::cout << "explore " << o.flow << ": " << o.boundaries.size() << " boundaries, "
              << o.runs.size() << " of " << o.planned << " runs";
    if (o.resumed > 0) std::cout << " (" << o.resumed << " judged before --resume)";
    if (o.left > 0) std::cout << " (" << o.left << " left by the budget)";
    std::cout << ": " << o.violations() << " violated, " << held << " held, " << errors
              << " errors in " << static_cast<int>(o.duration_ms / 100) / 10.0 << "s\n";
    for (const explore::Run* r : [&] {
           std::vector<const explore::Run*> v{&o.clean};
           for (const auto& x : o.runs) v.push_back(&x);
           return v;
         }()) {
      if (r->verdict == "violated") std::cout << "  finding: " << opt.out_dir << "/" << r->finding << "\n";
    }
    std::cout << "output: " << opt.out_dir << "/explore.json\n";
    exit_code = o.exit_code();
  });
}

}  // namespace rig::cli
