#include "rig/cli/run_reports.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "rig/cli/commands.h"
#include "rig/report/render.h"

namespace rig::cli {

namespace fs = std::filesystem;

void add_report_options(CLI::App* run, ReportArgs& args, engine::ControllerOptions& copt) {
  run->add_option("--out", args.out_dir,
                  "Report folder (default reports/<UTC time>-<n>, linked as reports/latest)");
  run->add_option("--junit", copt.junit_path, "Also write a copy of junit.xml here");
  run->add_option("--json", copt.json_path, "Also write a copy of results.json here");
  run->add_option("--html", copt.html_path, "Also write a copy of report.html here");
  run->add_option("--allure", copt.allure_dir, "Write Allure results into this folder");
  run->add_option("--history", args.history,
                  "Run history database (default: history.sqlite beside the report folder)");
  run->add_flag("--no-history", args.no_history, "Do not add this run to the history");
  run->add_option("--rerun-failed", args.rerun_failed,
                  "Run again the scenarios that failed or errored in this results.json "
                  "(or journal, or report folder)");
}

int prepare_reports(ReportArgs& args, engine::ControllerOptions& copt, report::OutLock& lock) {
  const bool default_out = args.out_dir.empty();
  try {
    copt.out_dir = default_out ? report::make_unique_report_dir("reports") : args.out_dir;
    std::error_code ec;
    fs::create_directories(copt.out_dir, ec);
    if (ec) throw std::runtime_error("cannot create " + copt.out_dir + ": " + ec.message());
  } catch (const std::exception& e) {
    std::cerr << "rig: " << e.what() << "\n";
    return kInfrastructure;
  }
  report::Outputs out{copt.out_dir, copt.json_path, copt.junit_path, copt.html_path,
                      copt.allure_dir};
  std::vector<std::string> problems = report::check_report_paths(out);
  if (::access(copt.out_dir.c_str(), W_OK | X_OK) != 0) {
    problems.insert(problems.begin(),
                    "cannot write reports in " + copt.out_dir + ": " + std::strerror(errno));
  }
  if (!problems.empty()) {
    for (const auto& p : problems) std::cerr << "rig: " << p << "\n";
    std::cerr << "rig: nothing was run\n";
    if (default_out) {
      std::error_code ec;
      fs::remove(copt.out_dir, ec);  // the new folder, still empty: no trace of a refused run
    }
    return kInfrastructure;
  }
  const std::string who =
      "pid " + std::to_string(::getpid()) + " (rig run) since " + report::utc_now_iso8601();
  std::string busy = report::claim_report_dir(copt.out_dir, who, lock);
  if (!busy.empty()) {
    std::cerr << "rig: " << busy << "; two runs cannot share one --out (choose another folder)\n";
    return kUsage;
  }
  if (!args.no_history) {
    copt.history_path = !args.history.empty() ? args.history : report::history_beside(copt.out_dir);
  }
  return kPassed;
}

int prepare_rerun(const ReportArgs& args, std::vector<scenario::Scenario>& selected,
                  engine::ControllerOptions& copt, bool* nothing) {
  *nothing = false;
  if (args.rerun_failed.empty()) return kPassed;
  report::RunResult before;
  try {
    before = report::read_results(args.rerun_failed);
  } catch (const std::exception& e) {
    std::cerr << "rig: --rerun-failed " << e.what() << "\n";
    return kUsage;
  }
  if (before.overrides != copt.overrides) {
    auto text = [](const std::map<std::string, std::string>& m) {
      std::string out;
      for (const auto& [k, v] : m) out += (out.empty() ? "" : " ") + k + "=" + v;
      return out.empty() ? std::string("no --var") : "--var " + out;
    };
    std::cerr << "rig: --rerun-failed: " << args.rerun_failed << " ran with "
              << text(before.overrides) << ", this run with " << text(copt.overrides)
              << "; rerun with the same settings (a rerun's attempts join the earlier ones)\n";
    return kUsage;
  }
  std::set<std::string> failed;
  std::map<std::string, int> last_attempt;
  for (const auto& s : before.scenarios) {
    if (s.outcome == report::Status::fail || s.outcome == report::Status::error)
      failed.insert(s.id);
    last_attempt[s.id] = std::max(last_attempt[s.id], s.attempt);
  }
  std::vector<scenario::Scenario> kept;
  std::set<std::string> found;
  for (auto& sc : selected) {
    if (!failed.count(sc.id())) continue;
    found.insert(sc.id());
    kept.push_back(std::move(sc));
  }
  for (const auto& id : failed) {
    if (!found.count(id)) {
      std::cerr << "rig: --rerun-failed: " << id << " failed in " << args.rerun_failed
                << " but is not among the selected scenarios; not rerun\n";
    }
  }
  selected = std::move(kept);
  if (selected.empty()) {
    std::cout << "rig: nothing to rerun: no failed or errored scenario of " << args.rerun_failed
              << " is selected\n";
    *nothing = true;
    return kPassed;
  }
  copt.rerun_of = before.run_id;
  for (std::size_t i = 0; i < before.scenarios.size(); ++i) {
    const std::string& id = before.scenarios[i].id;
    if (!found.count(id)) continue;
    copt.carried.push_back(before.detail(i));
    copt.attempts_before[id] = last_attempt[id];
  }
  return kPassed;
}

int finish_run_reports(const ReportArgs& args, const engine::ControllerOptions& copt,
                       const engine::Controller& controller, int run_exit) {
  const auto& errors = controller.report_errors();
  const fs::path dir(copt.out_dir);
  if (!errors.empty()) {
    for (const auto& e : errors) std::cerr << "rig: " << e << "\n";
    std::cerr << "rig: the reports are not complete; the results are kept in "
              << (dir / "journal.jsonl").string() << " (render them again with `rig report "
              << copt.out_dir << "`)\n";
    return kInfrastructure;
  }
  std::cout << "reports: " << (dir / "report.html").string() << ", " << (dir / "junit.xml").string()
            << ", " << (dir / "results.json").string() << "\n";
  for (const std::string* copy : {&copt.json_path, &copt.junit_path, &copt.html_path}) {
    if (!copy->empty()) std::cout << "copy:    " << *copy << "\n";
  }
  if (!copt.allure_dir.empty()) std::cout << "allure:  " << copt.allure_dir << "\n";
  if (args.out_dir.empty()) {
    // reports/latest moves only now, when the reports it points at are written.
    try {
      report::point_link((dir.parent_path() / "latest").string(), dir.filename().string());
    } catch (const std::exception& e) {
      std::cerr << "rig: " << e.what() << "\n";
    }
  }
  return run_exit;
}

}  // namespace rig::cli
