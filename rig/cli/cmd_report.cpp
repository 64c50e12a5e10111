// `rig report`, `rig merge` and `rig history`: work on results after the run.
#include <filesystem>
#include <iostream>

#include "rig/cli/commands.h"
#include "rig/report/files.h"
#include "rig/report/history.h"
#include "rig/report/merge.h"
#include "rig/report/render.h"

namespace rig::cli {

namespace fs = std::filesystem;

namespace {

// Prints what was written, or what could not be; the exit code.
int say_written(const char* cmd, const report::Outputs& out,
                const std::vector<std::string>& problems) {
  if (!problems.empty()) {
    for (const auto& p : problems) std::cerr << "rig " << cmd << ": " << p << "\n";
    return kInfrastructure;
  }
  if (!out.dir.empty()) {
    std::cout << "wrote " << (fs::path(out.dir) / "report.html").string() << ", "
              << (fs::path(out.dir) / "junit.xml").string() << ", "
              << (fs::path(out.dir) / "results.json").string() << "\n";
  }
  for (const std::string* f : {&out.json_copy, &out.junit_copy, &out.html_copy, &out.allure_dir}) {
    if (!f->empty()) std::cout << "wrote " << *f << "\n";
  }
  return kPassed;
}

void add_output_options(CLI::App* cmd, report::Outputs& out) {
  cmd->add_option("--json", out.json_copy, "Also write results.json here");
  cmd->add_option("--junit", out.junit_copy, "Also write junit.xml here");
  cmd->add_option("--html", out.html_copy, "Also write report.html here");
  cmd->add_option("--allure", out.allure_dir, "Write Allure results into this folder");
}

}  // namespace

void add_report_commands(CLI::App& app, int& exit_code) {
  // ---- rig report
  auto* rep = app.add_subcommand(
      "report", "Render results.json, junit.xml and report.html from a run's journal or results");
  static std::string input;
  static report::Outputs rep_out;
  rep->add_option("results", input,
                  "A report folder, its journal.jsonl (also after a crash) or a results.json")
      ->required();
  rep->add_option("--out", rep_out.dir, "Folder for the reports (default: the input's folder)");
  add_output_options(rep, rep_out);
  rep->callback([&exit_code] {
    // A run still writing this folder holds its lock: say so (its journal has no end yet).
    // A lock file left by a killed run is cleaned up here.
    {
      std::error_code ec;
      const std::string folder =
          fs::is_directory(input, ec) ? input : fs::path(input).parent_path().string();
      report::OutLock probe;
      std::string busy = probe.acquire(folder.empty() ? "." : folder, "rig report");
      if (busy.find(" is in use by ") != std::string::npos) {
        std::cerr << "rig report: " << busy << "; rendering its journal as it stands (the run "
                  << "has not ended)\n";
      }
    }
    report::RunResult r;
    try {
      r = report::read_results(input);
    } catch (const std::exception& e) {
      std::cerr << "rig report: " << e.what() << "\n";
      exit_code = kUsage;
      return;
    }
    if (rep_out.dir.empty()) {
      std::error_code ec;
      rep_out.dir = fs::is_directory(input, ec) ? input : fs::path(input).parent_path().string();
      if (rep_out.dir.empty()) rep_out.dir = ".";
    }
    auto c = r.counts();
    std::cout << "run " << r.run_id << " on bench " << r.bench_name << ": " << c.total()
              << " scenario(s), " << c.pass << " passed, " << c.fail << " failed, " << c.error
              << " errors, " << c.skipped << " skipped, " << c.flaky << " flaky"
              << (r.incomplete ? "; INCOMPLETE (the rig stopped before the end)" : "")
              << (r.interrupted ? "; interrupted" : "") << "\n";
    exit_code = say_written("report", rep_out, report::render_reports(r, rep_out));
  });

  // ---- rig merge
  auto* merge = app.add_subcommand("merge", "Join the results of shards and reruns into one run");
  static std::vector<std::string> inputs;
  static report::Outputs merge_out{"reports/merged", "", "", "", ""};
  merge->add_option("results", inputs, "results.json, journal or report folder of each run")
      ->required();
  merge->add_option("--out", merge_out.dir,
                    "Folder for the merged reports (default reports/merged)");
  add_output_options(merge, merge_out);
  merge->callback([&exit_code] {
    report::RunResult m;
    std::size_t runs = inputs.size();
    try {
      std::vector<report::RunResult> all;
      for (const auto& p : inputs) all.push_back(report::read_results(p));
      m = report::merge(all, inputs);
    } catch (const std::exception& e) {
      std::cerr << "rig merge: " << e.what() << "\n";
      exit_code = kUsage;
      return;
    }
    auto c = m.counts();
    std::cout << "merged " << runs << " run(s): " << c.total() << " scenarios, " << c.pass
              << " passed, " << c.fail << " failed, " << c.error << " errors, " << c.flaky
              << " flaky, " << c.skipped << " skipped (" << c.attempts << " attempts)\n";
    exit_code = say_written("merge", merge_out, report::render_reports(m, merge_out));
  });

  // ---- rig history
  auto* hist = app.add_subcommand(
      "history", "Pass rate per scenario over recent runs, newly failing and flaky scenarios");
  static std::string db = "reports/history.sqlite";
  static int last = 20;
  static std::string bench;
  static bool as_json = false;
  hist->add_option("--db", db, "History database (default reports/history.sqlite)");
  hist->add_option("--last", last, "Runs to look back over, per configuration (default 20)")
      ->check(CLI::Range(1, 100000));
  hist->add_option("--bench", bench, "Only runs of this bench (its name)");
  hist->add_flag("--json", as_json, "Print JSON instead of text");
  hist->callback([&exit_code] {
    try {
      auto h = report::read_history(db, last, bench);
      if (as_json) {
        std::cout << report::history_json(h).dump(2) << "\n";
      } else {
        std::cout << report::history_text(h, last);
      }
      exit_code = kPassed;
    } catch (const std::exception& e) {
      std::cerr << "rig history: " << e.what() << "\n";
      exit_code = kUsage;
    }
  });
}

}  // namespace rig::cli
