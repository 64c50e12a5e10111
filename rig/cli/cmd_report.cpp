// `rig report` and `rig merge`: work on results.json files after the run.
#include <fstream>
#include <iostream>
#include <sstream>

#include "rig/cli/commands.h"
#include "rig/report/html.h"
#include "rig/report/results.h"

namespace rig::cli {

namespace {

report::RunResult read_results(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded()) throw std::runtime_error(path + ": not JSON");
  try {
    return report::run_from_json(j);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace

void add_report_commands(CLI::App& app, int& exit_code) {
  auto* rep = app.add_subcommand("report", "Write report.html and junit.xml from a results.json");
  static std::string input, html, junit;
  rep->add_option("results", input, "results.json")->required();
  rep->add_option("--html", html, "Where to write the HTML page (default: beside results.json)");
  rep->add_option("--junit", junit, "Where to write JUnit XML");
  rep->callback([&exit_code] {
    try {
      report::RunResult r = read_results(input);
      std::string dir = input.find('/') == std::string::npos ? "." : input.substr(0, input.rfind('/'));
      std::string h = html.empty() ? dir + "/report.html" : html;
      report::write_atomically(h, report::to_html(r));
      std::cout << "wrote " << h << "\n";
      if (!junit.empty()) {
        report::write_atomically(junit, report::to_junit(r));
        std::cout << "wrote " << junit << "\n";
      }
      exit_code = r.exit_code();
    } catch (const std::exception& e) {
      std::cerr << "rig report: " << e.what() << "\n";
      exit_code = kUsage;
    }
  });

  auto* merge = app.add_subcommand("merge", "Join the results.json of shards into one run");
  static std::vector<std::string> inputs;
  static std::string out = "reports/merged";
  merge->add_option("results", inputs, "results.json of each shard")->required();
  merge->add_option("--out", out, "Folder for the merged results.json, junit.xml, report.html");
  merge->callback([&exit_code] {
    try {
      std::vector<report::RunResult> runs;
      for (const auto& p : inputs) runs.push_back(read_results(p));
      report::RunResult m = report::merge(runs);
      report::write_atomically(out + "/results.json", report::to_json(m).dump(1) + "\n");
      report::write_atomically(out + "/junit.xml", report::to_junit(m));
      report::write_atomically(out + "/report.html", report::to_html(m));
      auto c = m.counts();
      std::cout << "merged " << runs.size() << " run(s): " << c.total() << " scenarios, " << c.pass
                << " passed, " << c.fail << " failed, " << c.error << " errors -> " << out << "\n";
      exit_code = m.exit_code();
    } catch (const std::exception& e) {
      std::cerr << "rig merge: " << e.what() << "\n";
      exit_code = kUsage;
    }
  });
}

}  // namespace rig::cli
