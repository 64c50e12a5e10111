// Scenarios and results: the strict loader (files, text, one step), selection (-k, tags,
// shards) and the result objects of a run, whose to_json() is the results.json document.
#include <pybind11/stl.h>

#include "bindings/posrig_py.h"
#include "rig/bench/yaml_reader.h"
#include "rig/report/files.h"
#include "rig/report/html.h"
#include "rig/report/junit.h"
#include "rig/report/merge.h"
#include "rig/report/results.h"
#include "rig/scenario/loader.h"
#include "rig/scenario/scenario.h"
#include "rig/scenario/select.h"

namespace posrig_py {

namespace {

namespace report = rig::report;
namespace scenario = rig::scenario;

// Errors of the report readers are about the user's files: std::runtime_error -> posrig.Error.
template <typename F>
auto user_errors(F f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
}

// An attempt of a run whose record stays in the run's journal until a script asks for its
// details (steps, checks, faults, transcript, timeline): a RunResult then costs the memory of
// its summaries, not that of every timeline of the run. The record is read on first use and
// kept by this object.
class JournaledResult : public report::ScenarioResult {
 public:
  JournaledResult(std::shared_ptr<const report::RunResult> run, std::size_t index)
      : report::ScenarioResult(run->scenarios.at(index)), run_(std::move(run)), index_(index) {}

  const report::ScenarioResult& full() const {
    if (!full_) {
      full_ = std::make_shared<report::ScenarioResult>(
          user_errors([&] { return run_->detail(index_); }));
    }
    return *full_;
  }

 private:
  std::shared_ptr<const report::RunResult> run_;  // its summaries and loader, shared
  std::size_t index_;
  mutable std::shared_ptr<report::ScenarioResult> full_;
};

void define_model(py::module_& m) {
  py::class_<scenario::LoadOptions>(m, "LoadOptions", "Options of the scenario loader.")
      .def(py::init<>())
      .def(py::init([](std::set<std::string> known_cards) {
             scenario::LoadOptions o;
             o.known_cards = std::move(known_cards);
             return o;
           }),
           py::arg("known_cards"))
      .def_readwrite("known_cards", &scenario::LoadOptions::known_cards,
                     "card profile names a step may use; empty: not checked");

  py::class_<scenario::SourceLoc>(m, "SourceLoc", "Where a step or scenario stands in its file.")
      .def_readonly("file", &scenario::SourceLoc::file)
      .def_readonly("line", &scenario::SourceLoc::line, "1-based")
      .def_readonly("column", &scenario::SourceLoc::column, "1-based")
      .def("__str__", &scenario::SourceLoc::to_string, "\"file:line:col\"");

  py::class_<scenario::Trigger>(m, "Trigger", "When an armed fault fires (`when:`).")
      .def_property_readonly(
          "kind",
          [](const scenario::Trigger& t) { return std::string(scenario::to_string(t.kind)); },
          "now, host_message, wallet_message, event, prompt or after")
      .def_readonly("value", &scenario::Trigger::value, "MTI, wallet path, event or prompt")
      .def_readonly("direction", &scenario::Trigger::direction)
      .def_readonly("occurrence", &scenario::Trigger::occurrence)
      .def_property_readonly(
          "delay_ms", [](const scenario::Trigger& t) { return t.delay.count(); },
          "kind after: the delay, scenario time");

  py::class_<scenario::Step>(m, "Step",
                             "One checked step, as the loader stores it (see load_step_text).")
      .def_readonly("loc", &scenario::Step::loc)
      .def_readonly("name", &scenario::Step::name, "the step key: sale, fault, expect, …")
      .def_readonly("args", &scenario::Step::args, "checked arguments (docs/scenarios.md)")
      .def_readonly("when", &scenario::Step::when)
      .def_property_readonly(
          "hold_ms",
          [](const scenario::Step& s) -> py::object {
            if (!s.hold) return py::none();
            return py::int_(s.hold->count());
          },
          "fault `for:` in ms, or None")
      .def_readonly("expect", &scenario::Step::expect, "expect steps: the kind checked")
      .def_property_readonly(
          "within_ms", [](const scenario::Step& s) { return s.within.count(); },
          "expect steps: the deadline in ms, scenario time")
      .def_readonly("since", &scenario::Step::since)
      .def("__repr__", [](const scenario::Step& s) {
        return "<Step " + s.name + " " + s.args.dump() + " at " + s.loc.to_string() + ">";
      });

  py::class_<scenario::Scenario>(m, "Scenario", "A loaded scenario file.")
      .def_readonly("file", &scenario::Scenario::file)
      .def_readonly("name", &scenario::Scenario::name)
      .def_readonly("family", &scenario::Scenario::family)
      .def_readonly("tags", &scenario::Scenario::tags)
      .def_readonly("description", &scenario::Scenario::description)
      .def_property_readonly("timeout_ms",
                             [](const scenario::Scenario& s) -> py::object {
                               if (!s.timeout) return py::none();
                               return py::int_(s.timeout->count());
                             })
      .def_readonly("steps", &scenario::Scenario::steps)
      .def_readonly("loc", &scenario::Scenario::loc)
      .def_property_readonly("id", &scenario::Scenario::id, "\"family/file-stem\"")
      .def("has_tag", &scenario::Scenario::has_tag, py::arg("tag"))
      .def("__repr__",
           [](const scenario::Scenario& s) { return "<Scenario " + s.id() + ": " + s.name + ">"; });
}

void define_loading(py::module_& m) {
  m.def("load_step_text", &scenario::load_step_text, py::arg("yaml"), py::arg("origin"),
        py::arg("options") = scenario::LoadOptions{},
        "Checks one step written as YAML (one item of a scenario's steps: list, e.g.\n"
        "'sale: {amount: \"1.00\", method: card}') exactly as the file loader does; raises\n"
        "ConfigError. Lines and columns count in `yaml`; `origin` is the file name used.");
  m.def("load_scenario", &scenario::load_scenario, py::arg("path"),
        py::arg("options") = scenario::LoadOptions{},
        "Loads one scenario file; raises ConfigError with every issue of the file.");
  m.def("load_scenario_text", &scenario::load_scenario_text, py::arg("text"), py::arg("file_name"),
        py::arg("options") = scenario::LoadOptions{},
        "Loads a scenario from text; file_name is used in messages and ids.");
  m.def("load_scenarios", &scenario::load_scenarios, py::arg("paths_or_dirs"),
        py::arg("options") = scenario::LoadOptions{},
        "Loads files and folders (*.yaml, *.yml, recursively, sorted) like `rig validate`;\n"
        "raises one ConfigError with the issues of every bad file.");
  m.def(
      "parse_duration",
      [](const std::string& text) {
        auto d = rig::parse_duration(text);
        if (!d) {
          throw rig::ConfigError(rig::ConfigIssue{
              "duration", 0, 0, "bad duration '" + text + "': expected e.g. 500ms, 2s, 1.5s, 1m"});
        }
        return d->count();
      },
      py::arg("text"),
      "\"500ms\", \"2s\", \"1.5s\", \"1m\" -> milliseconds; ConfigError otherwise.");
}

void define_selection(py::module_& m) {
  m.def(
      "matches_k",
      [](const scenario::Scenario& s, const std::string& expr) {
        try {
          return scenario::matches_k(s, expr);
        } catch (const std::invalid_argument& e) {
          throw rig::ConfigError(rig::ConfigIssue{"-k", 0, 0, e.what()});
        }
      },
      py::arg("scenario"), py::arg("expr"),
      "Whether a -k expression (words, and, or, not, parentheses) selects the scenario.");
  m.def("has_any_tag", &scenario::has_any_tag, py::arg("scenario"), py::arg("tags"),
        "True when the scenario has one of `tags` or `tags` is empty.");
  m.def(
      "shard",
      [](const std::vector<scenario::Scenario>& scenarios, int k, int n) {
        try {
          std::vector<scenario::Scenario> out;
          for (const auto* s : scenario::shard(scenarios, k, n)) out.push_back(*s);
          return out;
        } catch (const std::invalid_argument& e) {
          throw rig::ConfigError(rig::ConfigIssue{"--shard", 0, 0, e.what()});
        }
      },
      py::arg("scenarios"), py::arg("k"), py::arg("n"),
      "The scenarios of shard k of n, split by scenario id as `rig run --shard K/N` does.");
}

void define_results(py::module_& m) {
  py::class_<report::CheckResult>(m, "CheckResult", "One check of a scenario or session.")
      .def_readonly("where", &report::CheckResult::where, "\"file:line:col\" of the check")
      .def_readonly("what", &report::CheckResult::what)
      .def_readonly("passed", &report::CheckResult::passed)
      .def_readonly("expected", &report::CheckResult::expected)
      .def_readonly("actual", &report::CheckResult::actual, "\"\" when it passed, else why not")
      .def_readonly("at_ms", &report::CheckResult::at_ms)
      .def("__repr__", [](const report::CheckResult& c) {
        return std::string("<CheckResult ") + (c.passed ? "passed " : "FAILED ") + c.where + " " +
               c.what + ">";
      });

  py::class_<report::StepResult>(m, "StepResult", "One performed step.")
      .def_readonly("where", &report::StepResult::where)
      .def_readonly("name", &report::StepResult::name)
      .def_readonly("summary", &report::StepResult::summary)
      .def_readonly("start_ms", &report::StepResult::start_ms)
      .def_readonly("end_ms", &report::StepResult::end_ms)
      .def_readonly("ok", &report::StepResult::ok)
      .def_readonly("message", &report::StepResult::message)
      .def("__repr__", [](const report::StepResult& s) {
        return "<StepResult " + s.summary + (s.ok ? "" : " FAILED: " + s.message) + ">";
      });

  py::class_<report::ScenarioResult>(m, "ScenarioResult",
                                     "The outcome of one scenario, as in results.json.")
      .def_readonly("id", &report::ScenarioResult::id)
      .def_readonly("name", &report::ScenarioResult::name)
      .def_readonly("family", &report::ScenarioResult::family)
      .def_readonly("file", &report::ScenarioResult::file)
      .def_readonly("tags", &report::ScenarioResult::tags)
      .def_readonly("station", &report::ScenarioResult::station)
      .def_property_readonly(
          "status", [](const report::ScenarioResult& s) { return report::to_string(s.status); },
          "this attempt's status: pass, fail, error or skipped")
      .def_readonly("attempt", &report::ScenarioResult::attempt, "1, 2, … (--repeat, reruns)")
      .def_readonly("attempts", &report::ScenarioResult::attempts,
                    "attempts of this scenario in the results")
      .def_property_readonly(
          "outcome", [](const report::ScenarioResult& s) { return report::to_string(s.outcome); },
          "the scenario's outcome over all its attempts: pass, fail, error, skipped or flaky")
      .def_readonly("message", &report::ScenarioResult::message, "first failed check or error")
      .def_readonly("started_at", &report::ScenarioResult::started_at)
      .def_readonly("duration_ms", &report::ScenarioResult::duration_ms)
      .def_readonly("steps", &report::ScenarioResult::steps)
      .def_readonly("checks", &report::ScenarioResult::checks)
      .def_readonly("faults", &report::ScenarioResult::faults)
      .def_readonly("transcript", &report::ScenarioResult::transcript)
      .def_readonly("timeline", &report::ScenarioResult::timeline)
      .def(
          "to_json", [](const report::ScenarioResult& s) { return report::to_json(s); },
          "This scenario's entry of results.json, as a dict.")
      .def("__repr__", [](const report::ScenarioResult& s) {
        return std::string("<ScenarioResult ") + s.id + " " + report::to_string(s.status) + ">";
      });

  // A ScenarioResult to Python: the details of a journaled one come from its record.
  py::class_<JournaledResult, report::ScenarioResult>(
      m, "_JournaledScenarioResult", "A ScenarioResult whose details are read from the journal.")
      .def_property_readonly("steps", [](const JournaledResult& s) { return s.full().steps; })
      .def_property_readonly("checks", [](const JournaledResult& s) { return s.full().checks; })
      .def_property_readonly("faults", [](const JournaledResult& s) { return s.full().faults; })
      .def_property_readonly("transcript",
                             [](const JournaledResult& s) { return s.full().transcript; })
      .def_property_readonly("timeline", [](const JournaledResult& s) { return s.full().timeline; })
      .def("to_json", [](const JournaledResult& s) { return report::to_json(s.full()); });

  py::class_<report::RunResult>(m, "RunResult", "The outcome of a run, as in results.json.")
      .def_readonly("run_id", &report::RunResult::run_id)
      .def_readonly("rig_version", &report::RunResult::rig_version)
      .def_readonly("bench_name", &report::RunResult::bench_name)
      .def_readonly("bench_file", &report::RunResult::bench_file)
      .def_readonly("started_at", &report::RunResult::started_at)
      .def_readonly("ended_at", &report::RunResult::ended_at)
      .def_readonly("duration_ms", &report::RunResult::duration_ms)
      .def_readonly("interrupted", &report::RunResult::interrupted)
      .def_readonly("shard", &report::RunResult::shard)
      .def_property_readonly(
          "seed",
          [](const report::RunResult& r) -> std::optional<std::uint64_t> {
            if (r.seed.empty()) return std::nullopt;
            return std::stoull(r.seed);
          },
          "the run's seed (replay its order with seed=, `rig run --seed`); None when the\n"
          "results do not say (older results, a merge of runs with different seeds)")
      .def_readonly("shuffle", &report::RunResult::shuffle,
                    "the attempts ran in an order drawn from the seed")
      .def_property_readonly(
          "scenarios",
          [](const report::RunResult& r) {
            py::list out;
            if (!r.loader) {
              for (const auto& s : r.scenarios) out.append(py::cast(s));
              return out;
            }
            auto shared = std::make_shared<const report::RunResult>(r);
            for (std::size_t i = 0; i < r.scenarios.size(); ++i) {
              out.append(py::cast(JournaledResult(shared, i)));
            }
            return out;
          },
          "every attempt, as ScenarioResult; the details of a run's attempts are read from its\n"
          "journal when first asked for")
      .def_readonly("report_dir", &report::RunResult::report_dir,
                    "the folder the run's reports were written to (\"\" when not known)")
      .def(
          "counts",
          [](const report::RunResult& r) {
            auto c = r.counts();
            py::dict d;
            d["pass"] = c.pass;
            d["fail"] = c.fail;
            d["error"] = c.error;
            d["skipped"] = c.skipped;
            d["flaky"] = c.flaky;
            d["total"] = c.total();
            return d;
          },
          "{pass, fail, error, skipped, flaky, total}")
      .def("exit_code", &report::RunResult::exit_code,
           "What `rig run` exits with: 0 all passed, 1 a failure, 3 infrastructure error")
      .def(
          "to_json", [](const report::RunResult& r) { return report::to_json(r); },
          "The results.json document, as a dict.")
      .def_static(
          "from_json",
          [](const nlohmann::json& j) {
            return user_errors([&] { return report::run_from_json(j); });
          },
          py::arg("j"), "Reads a results.json document (a dict) back.")
      .def(
          "to_junit", [](const report::RunResult& r) { return report::to_junit(r); },
          "junit.xml text")
      .def(
          "to_html", [](const report::RunResult& r) { return report::to_html(r); },
          "report.html text")
      .def("__repr__", [](const report::RunResult& r) {
        auto c = r.counts();
        return "<RunResult " + r.bench_name + ": " + std::to_string(c.pass) + " passed, " +
               std::to_string(c.fail) + " failed, " + std::to_string(c.error) + " errors of " +
               std::to_string(c.total()) + ">";
      });

  m.def(
      "merge",
      [](const std::vector<report::RunResult>& runs) {
        return user_errors([&] { return report::merge(runs); });
      },
      py::arg("runs"), "Joins the results of shards into one run, as `rig merge` does.");
  m.def(
      "write_atomically",
      [](const std::string& path, const std::string& content) {
        user_errors([&] {
          report::write_atomically(path, content);
          return 0;
        });
      },
      py::arg("path"), py::arg("content"),
      "Writes a file through a temporary file and a rename, as the reports are written.");
}

}  // namespace

void DefineScenario(py::module_& m) {
  define_model(m);
  define_loading(m);
  define_selection(m);
  define_results(m);
}

}  // namespace posrig_py
