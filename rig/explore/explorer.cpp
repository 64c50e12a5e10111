#include "rig/explore/explorer.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

#include "rig/bench/card_profile.h"
#include "rig/bench/config_error.h"
#include "rig/engine/controller.h"
#include "rig/report/files.h"
#include "rig/report/journal.h"
#include "rig/report/render.h"
#include "rig/scenario/loader.h"
#include "rig/scenario/select.h"

namespace rig::explore {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

std::string seconds_text(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fs", ms / 1000.0);
  return buf;
}

const char* kFindings = "findings";
const char* kJournal = "journal.jsonl";

std::string run_id_of(const std::string& flow) { return "explore-" + flow; }

}  // namespace

int Outcome::violations() const {
  int n = clean.verdict == "violated" ? 1 : 0;
  for (const Run& r : runs) n += r.verdict == "violated" ? 1 : 0;
  return n;
}

int Outcome::exit_code() const {
  if (interrupted) return 130;
  if (violations() > 0) return 1;
  if (!error.empty() || !written.empty()) return 3;
  for (const Run& r : runs) {
    if (r.verdict == "error") return 3;
  }
  return 0;
}

Run verdict_of(const report::ScenarioResult& r) {
  Run run;
  run.id = r.id.substr(r.id.find('/') + 1);
  run.station = r.station;
  run.duration_ms = r.duration_ms;
  switch (r.status) {
    case report::Status::pass:
    case report::Status::flaky:
      run.verdict = "held";
      return run;
    case report::Status::error:
      run.verdict = "error";
      run.evidence = r.message;
      return run;
    case report::Status::skipped:
      run.verdict = "skipped";
      run.evidence = r.message;
      return run;
    case report::Status::fail:
      break;
  }
  run.verdict = "violated";
  // The evidence checks first: they say what went wrong with the money; the recovery's checks
  // (the flow's answer, LAST, the follow-up approved) say the terminal did not come back.
  std::vector<const report::CheckResult*> failed;
  for (const auto& c : r.checks) {
    if (!c.passed && c.what.rfind("evidence ", 0) == 0) failed.push_back(&c);
  }
  for (const auto& c : r.checks) {
    if (!c.passed && c.what.rfind("evidence ", 0) != 0) failed.push_back(&c);
  }
  for (const auto* c : failed) {
    run.failed_checks.push_back(c->what);
    // Evidence checks say their name after the scenario's position: said once here.
    std::string said = c->actual.empty() ? c->expected : c->actual;
    if (std::size_t at = said.find(c->what + ": "); at != std::string::npos) {
      said = said.substr(at + c->what.size() + 2);
    }
    std::string line = c->what + ": " + said;
    run.evidence += (run.evidence.empty() ? "" : "\n") + line;
  }
  if (run.evidence.empty()) run.evidence = r.message;
  return run;
}

json to_json(const Outcome& o) {
  auto run_json = [](const Run& r) {
    json j = {{"id", r.id},          {"boundary", r.boundary}, {"fault", r.fault},
              {"verdict", r.verdict}, {"evidence", r.evidence}, {"station", r.station},
              {"duration_ms", r.duration_ms}};
    j["failed_checks"] = r.failed_checks;
    if (!r.finding.empty()) j["finding"] = r.finding;
    return j;
  };
  json boundaries = json::array();
  for (const Boundary& b : o.boundaries) {
    json faults = json::array();
    for (const FaultCase& f : faults_for(b)) faults.push_back(f.fault);
    boundaries.push_back({{"id", b.id()}, {"what", b.describe()}, {"when", b.trigger()},
                          {"faults", faults}});
  }
  // The matrix: boundary -> fault -> verdict, for the runs made.
  json matrix = json::object();
  for (const Run& r : o.runs) matrix[r.boundary][r.fault] = r.verdict;
  json runs = json::array();
  for (const Run& r : o.runs) runs.push_back(run_json(r));
  int held = 0, violated = 0, errors = 0, skipped = 0;
  for (const Run& r : o.runs) {
    held += r.verdict == "held";
    violated += r.verdict == "violated";
    errors += r.verdict == "error";
    skipped += r.verdict == "skipped";
  }
  return {{"flow", o.flow},
          {"bench", o.bench},
          {"seed", o.seed},
          {"error", o.error},
          {"interrupted", o.interrupted},
          {"duration_ms", o.duration_ms},
          {"clean", run_json(o.clean)},
          {"boundaries", boundaries},
          {"summary",
           {{"boundaries", o.boundaries.size()},
            {"planned", o.planned},
            {"runs", o.runs.size()},
            {"left", o.left},
            {"resumed", o.resumed},
            {"depth", o.depth},
            {"pruned", o.pruned},
            {"held", held},
            {"violated", violated},
            {"errors", errors},
            {"skipped", skipped}}},
          {"matrix", matrix},
          {"runs", runs}};
}

Previous previous_exploration(const std::string& out_dir, const std::string& flow,
                              const std::string& bench_name) {
  const std::string path = (fs::path(out_dir) / kJournal).string();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw std::invalid_argument("--resume: no exploration to resume in " + out_dir + " (no " +
                                kJournal + ")");
  }
  report::RunResult earlier;
  try {
    earlier = report::read_journal(path);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("--resume: ") + e.what());
  }
  if (earlier.run_id.rfind("explore-", 0) != 0) {
    throw std::invalid_argument("--resume: " + path + " is the journal of a rig run, not of an "
                                "exploration");
  }
  if (earlier.run_id != run_id_of(flow)) {
    throw std::invalid_argument("--resume: " + out_dir + " holds an exploration of flow " +
                                earlier.run_id.substr(8) + ", not " + flow);
  }
  if (earlier.bench_name != bench_name) {
    throw std::invalid_argument("--resume: " + out_dir + " holds an exploration on bench " +
                                earlier.bench_name + ", not " + bench_name);
  }
  Previous p;
  try {
    p.seed = scenario::parse_seed(earlier.seed);
  } catch (const std::exception& e) {
    throw std::invalid_argument("--resume: " + path + ": bad seed '" + earlier.seed + "'");
  }
  for (std::size_t i = 0; i < earlier.scenarios.size(); ++i) {
    const report::Status st = earlier.scenarios[i].status;
    if (st != report::Status::pass && st != report::Status::fail) continue;
    p.judged.push_back(earlier.detail(i));
  }
  return p;
}

Explorer::Explorer(bench::Bench bench, Options options)
    : bench_(std::move(bench)), opt_(std::move(options)), flow_(find_flow(opt_.flow)) {
  if (!flow_) {
    std::string names;
    for (const Flow& f : flows()) names += (names.empty() ? "" : ", ") + f.name;
    throw std::invalid_argument("unknown flow '" + opt_.flow + "' (known: " + names + ")");
  }
}

void Explorer::interrupt() {
  interrupted_ = true;
  std::lock_guard<std::mutex> lock(mu_);
  if (controller_) controller_->interrupt();
}

std::vector<report::ScenarioResult> Explorer::run_batch(engine::Controller& c,
                                                        const std::vector<std::string>& texts,
                                                        const std::vector<std::string>& names,
                                                        std::vector<std::string>* load_errors) {
  scenario::LoadOptions load;
  try {
    for (const auto& [name, card] : bench::load_cards(bench_.cards_dir)) load.known_cards.insert(name);
  } catch (const std::exception&) {
    // The controller reports the card folder when it comes up.
  }
  std::vector<scenario::Scenario> scenarios;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    try {
      scenarios.push_back(scenario::load_scenario_text(texts[i], names[i], load));
      load_errors->push_back("");
    } catch (const std::exception& e) {
      load_errors->push_back(e.what());
    }
  }
  if (scenarios.empty()) return {};
  report::RunResult result = c.run(scenarios);
  return result.scenarios;
}

Outcome Explorer::run() {
  const auto start = std::chrono::steady_clock::now();
  auto say = [&](const std::string& line) {
    if (opt_.progress) opt_.progress(line);
  };
  Outcome out;
  out.flow = flow_->name;
  out.bench = bench_.name;
  out.seed = opt_.seed;
  out.depth = opt_.depth;
  out.clean.id = "clean";
  out.clean.boundary = "none";
  out.clean.fault = "none";
  out.clean.yaml = clean_text(*flow_);
  std::vector<report::ScenarioResult> results;

  std::error_code ec;
  if (!opt_.out_dir.empty()) fs::create_directories(opt_.out_dir, ec);

  engine::ControllerOptions copt;
  copt.keep_timelines = true;  // the clean run's timeline gives the boundaries
  copt.seed = opt_.seed;
  copt.overrides = opt_.overrides;
  copt.rig_dir = opt_.rig_dir;
  if (!opt_.out_dir.empty()) copt.logs_dir = (fs::path(opt_.out_dir) / "logs").string();
  copt.on_note = [&](const std::string& s) { say("  " + s); };
  // Each run's verdict as it finishes (the controller calls this under its scheduler's lock).
  std::function<void(const report::ScenarioResult&)> finished;
  copt.on_result = [&finished](const report::ScenarioResult& r, int, int) {
    if (finished) finished(r);
  };
  engine::Controller controller(bench_, copt);
  {
    std::lock_guard<std::mutex> lock(mu_);
    controller_ = &controller;
  }
  struct Forget {
    Explorer* self;
    ~Forget() {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->controller_ = nullptr;
    }
  } forget{this};

  out.error = controller.up();
  if (!out.error.empty()) {
    out.clean.verdict = "error";
    out.clean.evidence = out.error;
    out.duration_ms = ms_since(start);
    write_outputs(out, results);
    return out;
  }

  // The clean run: its timeline gives the boundaries, and it is judged like every run.
  std::vector<std::string> load_errors;
  std::vector<report::ScenarioResult> clean =
      run_batch(controller, {out.clean.yaml}, {"clean.yaml"}, &load_errors);
  if (clean.empty()) {
    out.error = "the clean run of " + flow_->name + " did not load: " + load_errors.front();
  } else {
    const report::ScenarioResult& r = clean.front();
    Run v = verdict_of(r);
    v.boundary = "none";
    v.fault = "none";
    v.yaml = out.clean.yaml;
    out.clean = v;
    say("[clean] " + v.verdict + " " + flow_->name + " " + r.station + " " +
        seconds_text(r.duration_ms) + (v.evidence.empty() ? "" : "\n        " + v.evidence));
    if (!r.steps.empty()) {
      out.boundaries = boundaries_of(r.timeline, r.steps.front().start_ms, r.steps.back().end_ms);
    }
    if (v.verdict == "error" || v.verdict == "skipped") {
      out.error = "the clean run of " + flow_->name + " did not run: " + v.evidence;
    }
    results.push_back(r);
  }
  if (!out.error.empty() || interrupted_) {
    out.interrupted = interrupted_;
    out.duration_ms = ms_since(start);
    write_outputs(out, results);
    return out;
  }
  std::string listed;
  for (const Boundary& b : out.boundaries) listed += (listed.empty() ? "" : ", ") + b.describe();
  say("rig explore: " + flow_->name + ": " + std::to_string(out.boundaries.size()) +
      " boundaries: " + listed);

  // A run: its faults, one (depth 1) or two (depth 2: the second at a boundary the first
  // brought about).
  struct Case {
    std::vector<Injection> faults;
    std::string id() const { return case_id(faults); }
  };
  auto joined = [](const Case& c, bool boundaries) {
    std::string text;
    for (const Injection& i : c.faults) {
      text += (text.empty() ? "" : "+") + (boundaries ? i.at.id() : i.fault.fault);
    }
    return text;
  };
  // Every boundary x fault, in an order drawn from the seed.
  std::vector<Case> cases;
  for (const Boundary& b : out.boundaries) {
    for (FaultCase& f : faults_for(b)) cases.push_back({{Injection{b, std::move(f)}}});
  }
  out.planned = static_cast<int>(cases.size());
  const std::vector<std::size_t> first_order =
      scenario::RunOrder(opt_.seed, true).next_round(cases.size());

  // The journal: every judged run, fsynced as it finishes, so that a killed exploration can
  // be resumed (and `rig report` renders its reports).
  std::unique_ptr<report::Journal> journal;
  auto journal_append = [&](const report::ScenarioResult& r) {
    if (!journal) return;
    try {
      journal->append(r);
    } catch (const std::exception& e) {
      out.written.push_back(e.what());
      journal.reset();  // said once; the reports are still written at the end
    }
  };
  if (!opt_.out_dir.empty()) {
    std::vector<report::PlannedAttempt> planned;
    planned.push_back({"explore/clean", 1, "", "explore", "", {}});
    for (const Case& c : cases) planned.push_back({"explore/" + c.id(), 1, "", "explore", "", {}});
    try {
      journal = std::make_unique<report::Journal>((fs::path(opt_.out_dir) / kJournal).string(),
                                                  run_header(out), planned);
    } catch (const std::exception& e) {
      out.written.push_back(e.what());
    }
    for (const report::ScenarioResult& r : results) journal_append(r);
  }

  // Resuming: the runs the earlier exploration judged are taken over, not run again (the same
  // seed gives the same order).
  std::map<std::string, report::ScenarioResult> earlier;  // by scenario id
  if (opt_.resume) {
    for (const report::ScenarioResult& r : opt_.resume->judged) {
      if (r.id != "explore/clean") earlier[r.id] = r;  // this exploration made its own clean run
    }
  }
  auto take_over = [&](std::vector<std::size_t>& to_run) {
    std::vector<std::size_t> rest;
    for (std::size_t i : to_run) {
      auto it = earlier.find("explore/" + cases[i].id());
      if (it == earlier.end()) {
        rest.push_back(i);
        continue;
      }
      Run v = verdict_of(it->second);
      v.boundary = joined(cases[i], true);
      v.fault = joined(cases[i], false);
      v.yaml = scenario_text(*flow_, cases[i].faults);
      out.runs.push_back(std::move(v));
      results.push_back(it->second);
      journal_append(it->second);
      earlier.erase(it);
      ++out.resumed;
    }
    to_run = std::move(rest);
  };
  std::vector<std::size_t> order = first_order;
  if (opt_.resume) {
    take_over(order);
    say("rig explore: resuming: " + std::to_string(out.resumed) + " of " +
        std::to_string(cases.size()) + " runs judged before, " + std::to_string(order.size()) +
        " to run");
  }

  const std::size_t allowed = opt_.budget_runs > 0 ? static_cast<std::size_t>(opt_.budget_runs)
                                                   : std::numeric_limits<std::size_t>::max();
  std::size_t started = 0;  // runs started by this invocation
  std::size_t total = 0;    // of them planned so far, for the progress lines
  auto time_over = [&] {
    return opt_.budget_time.count() > 0 && ms_since(start) >= opt_.budget_time.count();
  };
  std::map<std::string, std::size_t> running;  // scenario id -> index into cases
  std::map<std::size_t, std::string> texts_of;
  int done = 0;
  auto record = [&](const Case& c, Run v, const std::string& text) {
    v.boundary = joined(c, true);
    v.fault = joined(c, false);
    v.yaml = text;
    ++done;
    char head[64];
    std::snprintf(head, sizeof head, "[%*d/%zu] ", total >= 100 ? 3 : 2, done, total);
    say(head + v.verdict + " " + v.id + " " + v.station + " " + seconds_text(v.duration_ms) +
        (v.evidence.empty() ? "" : "\n        " + v.evidence));
    out.runs.push_back(std::move(v));
  };
  finished = [&](const report::ScenarioResult& r) {
    auto it = running.find(r.id);
    if (it == running.end()) return;
    results.push_back(r);
    journal_append(r);
    record(cases[it->second], verdict_of(r), texts_of[it->second]);
  };
  // Runs `to_run` in its order within the budget: all at once on the bench's stations; with a
  // time budget, in batches of one run per station, so that the budget stops between batches.
  auto run_cases = [&](const std::vector<std::size_t>& to_run) {
    const std::size_t n = std::min(to_run.size(), allowed - std::min(allowed, started));
    total += n;
    const std::size_t batch = opt_.budget_time.count() > 0
                                  ? std::max<std::size_t>(1, controller.stations().size())
                                  : std::max<std::size_t>(1, n);
    std::size_t next = 0;
    while (next < n && !interrupted_ && !time_over()) {
      std::vector<std::string> texts, names;
      std::vector<std::size_t> batch_cases;
      running.clear();
      for (std::size_t k = next; k < std::min(n, next + batch); ++k) {
        const std::size_t i = to_run[k];
        batch_cases.push_back(i);
        texts_of[i] = scenario_text(*flow_, cases[i].faults);
        texts.push_back(texts_of[i]);
        names.push_back(cases[i].id() + ".yaml");
        running["explore/" + cases[i].id()] = i;
      }
      next += batch_cases.size();
      started += batch_cases.size();
      load_errors.clear();
      run_batch(controller, texts, names, &load_errors);
      for (std::size_t k = 0; k < batch_cases.size(); ++k) {
        if (load_errors[k].empty()) continue;
        // A scenario the explorer wrote that does not load is the explorer's mistake: an error.
        const Case& c = cases[batch_cases[k]];
        Run v;
        v.id = c.id();
        v.verdict = "error";
        v.evidence = "the explorer's scenario did not load: " + load_errors[k];
        record(c, v, texts[k]);
      }
    }
  };

  const std::size_t first_budget = std::min(order.size(), allowed);
  say("rig explore: " + std::to_string(cases.size()) + " runs planned" +
      (first_budget < order.size() ? ", " + std::to_string(first_budget) + " within the budget"
                                   : ""));
  run_cases(order);

  // Depth 2: after each first fault that held (and was answered), the next transaction meets
  // what the fault left behind (a stored reversal goes out with it: 0400, 0410, REVERSAL_SENT
  // …); a second fault goes at each of those boundaries. First faults that left the same behind (the next
  // transaction showed the same new boundaries) are equivalent: only the first of them in the
  // seed's order is paired.
  if (opt_.depth >= 2 && !interrupted_ && !time_over()) {
    std::map<std::string, std::size_t> result_of;  // scenario id -> index into results
    for (std::size_t k = 0; k < results.size(); ++k) result_of[results[k].id] = k;
    std::set<std::string> paths;
    std::vector<std::size_t> pairs;
    int paired = 0;
    for (std::size_t i : first_order) {
      auto it = result_of.find("explore/" + cases[i].id());
      if (it == result_of.end()) continue;  // not run: the budget
      const report::ScenarioResult& r = results[it->second];
      if ((r.status != report::Status::pass && r.status != report::Status::flaky) ||
          r.steps.empty()) {
        continue;  // a violation is a finding already; an error shows nothing
      }
      // Only faults the terminal recovered from by answering: it keeps what they left for the
      // next transaction. After a power cut or a lost link it may act on it at once (a stored
      // reversal sent at power-up), before or after the second fault is armed: not a
      // reproducible boundary.
      if (cases[i].faults.front().fault.recovery != Recovery::answer) continue;
      // The next transaction: from the first prompt after the run's last `sale` step (its
      // follow-up) to its end. Before that prompt come the ends of the first fault's clearing
      // (PAPER_LOADED, …), whose timing against the next sale is not the terminal's doing.
      double from_ms = -1;
      for (const report::StepResult& st : r.steps) {
        if (st.name == "sale") from_ms = st.start_ms;
      }
      if (from_ms < 0) continue;
      double prompt_ms = -1;
      for (const auto& e : r.timeline) {
        const double t = e.value("t_ms", -1.0);
        if (t >= from_ms && e.value("kind", "") == "prompt" && (prompt_ms < 0 || t < prompt_ms)) {
          prompt_ms = t;
        }
      }
      if (prompt_ms < 0) continue;
      from_ms = prompt_ms;
      const std::vector<Boundary> later = brought_about(
          out.boundaries, boundaries_of(r.timeline, from_ms, r.steps.back().end_ms));
      if (later.empty()) continue;
      std::string path;
      for (const Boundary& b : later) path += b.id() + " ";
      if (!paths.insert(path).second) {
        ++out.pruned;
        continue;
      }
      ++paired;
      const Injection first = cases[i].faults.front();
      for (const Boundary& b : later) {
        for (FaultCase& f : faults_for(b)) cases.push_back({{first, Injection{b, std::move(f)}}});
      }
    }
    for (std::size_t k = first_order.size(); k < cases.size(); ++k) pairs.push_back(k);
    std::vector<std::size_t> pair_order;
    for (std::size_t k : scenario::RunOrder(opt_.seed, true).next_round(pairs.size())) {
      pair_order.push_back(pairs[k]);
    }
    out.planned += static_cast<int>(pairs.size());
    take_over(pair_order);
    say("rig explore: depth 2: " + std::to_string(paired) +
        " first faults left something behind for the next transaction (" +
        std::to_string(out.pruned) + " more left the same: pruned); " +
        std::to_string(pairs.size()) + " runs planned" +
        (pair_order.size() < pairs.size()
             ? ", " + std::to_string(pairs.size() - pair_order.size()) + " judged before"
             : ""));
    run_cases(pair_order);
  }
  if (!earlier.empty()) {
    say("rig explore: " + std::to_string(earlier.size()) +
        " runs of the resumed exploration match no run of this one (dropped)");
  }
  finished = nullptr;
  out.left = out.planned - static_cast<int>(out.runs.size());
  out.interrupted = interrupted_;
  controller.down();
  out.duration_ms = ms_since(start);
  if (journal) {
    try {
      journal->finish(run_header(out));
    } catch (const std::exception& e) {
      out.written.push_back(e.what());
    }
  }
  write_outputs(out, results);
  return out;
}

void Explorer::write_outputs(Outcome& out, const std::vector<report::ScenarioResult>& results) {
  if (opt_.out_dir.empty()) return;
  const fs::path dir = opt_.out_dir;
  // Findings: every violation's scenario, ready to `rig run`, with what it violated on top.
  std::string rerun_options =
      " --bench " + (opt_.bench_file.empty() ? "BENCH" : opt_.bench_file);
  for (const auto& [k, v] : opt_.overrides) rerun_options += " --var " + k + "=" + v;
  auto write_finding = [&](Run& r) {
    if (r.verdict != "violated") return;
    std::error_code ec;
    fs::create_directories(dir / kFindings, ec);
    r.finding = (fs::path(kFindings) / (r.id + ".yaml")).string();
    std::string text = "# Found by rig explore (" + out.flow + ", bench " + out.bench + ", seed " +
                       std::to_string(out.seed) + "): the scenario below failed with\n" +
                       prefix_lines(r.evidence, "#   ") + "# Reproduce: rig run " +
                       (dir / r.finding).string() + rerun_options + "\n" + r.yaml;
    try {
      report::write_atomically((dir / r.finding).string(), text);
    } catch (const std::exception& e) {
      out.written.push_back(e.what());
    }
  };
  write_finding(out.clean);
  for (Run& r : out.runs) write_finding(r);
  try {
    report::write_atomically((dir / "explore.json").string(), to_json(out).dump(2) + "\n");
  } catch (const std::exception& e) {
    out.written.push_back(e.what());
  }
  // results.json, junit.xml and report.html of the runs, as `rig run` writes them: one testcase
  // per run, the failure message its first failed check.
  report::RunResult run = run_header(out);
  run.scenarios = results;
  run.judge();
  report::Outputs outputs;
  outputs.dir = dir.string();
  for (auto& problem : report::render_reports(run, outputs)) out.written.push_back(problem);
}

report::RunResult Explorer::run_header(const Outcome& out) const {
  report::RunResult run;
  run.run_id = run_id_of(out.flow);
  run.rig_version = POSRIG_VERSION_STRING;
  run.bench_name = bench_.name;
  run.bench_file = bench_.file;
  run.seed = std::to_string(out.seed);
  run.overrides = opt_.overrides;
  for (const auto& [k, v] : bench_.variables) {
    run.variables[k] = opt_.overrides.count(k) ? opt_.overrides.at(k) : v;
  }
  run.bench_error = out.error;
  run.interrupted = out.interrupted;
  run.duration_ms = out.duration_ms;
  return run;
}

}  // namespace rig::explore
