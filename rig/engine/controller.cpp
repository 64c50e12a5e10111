#include "rig/engine/controller.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "rig/engine/plan.h"
#include "rig/engine/runner.h"
#include "rig/process/token_source.h"
#include "rig/report/history.h"
#include "rig/report/journal.h"
#include "rig/report/provenance.h"
#include "rig/report/render.h"
#include "rig/scenario/select.h"

namespace rig::engine {

namespace fs = std::filesystem;

namespace {

std::string executable_dir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path().string() : self.parent_path().string();
}

std::string format_scale(double s) {
  std::ostringstream o;
  o << s;
  return o.str();
}

}  // namespace

const char* to_string(Progress::Phase phase) {
  switch (phase) {
    case Progress::Phase::scenario_started:
      return "scenario_started";
    case Progress::Phase::step_started:
      return "step_started";
  }
  return "?";
}

Controller::Controller(bench::Bench bench, ControllerOptions options)
    : bench_(std::move(bench)),
      opt_(std::move(options)),
      seed_(opt_.seed ? *opt_.seed : scenario::fresh_seed()),
      interrupt_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Controller::~Controller() {
  down();
  if (interrupt_fd_ >= 0) ::close(interrupt_fd_);
}

std::vector<Station*> Controller::stations() {
  std::vector<Station*> out;
  for (auto& s : stations_) out.push_back(s.get());
  return out;
}

std::string Controller::up() {
  std::string err = bring_up();
  bench_error_ = err;
  return err;
}

std::string Controller::bring_up() {
  auto note = [&](const std::string& s) {
    if (opt_.on_note) opt_.on_note(s);
  };
  // What runs that died here left (run folders, their locks) goes first, and is said.
  const std::string lock_dir =
      bench_.lock_dir.empty() ? bench::default_lock_dir() : bench_.lock_dir;
  for (const std::string& line : clean_after_dead_runs(lock_dir)) note(line);
  try {
    run_folder_ = std::make_unique<RunFolder>(bench_.name, opt_.out_dir, lock_dir);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  run_dir_ = run_folder_->path();
  vars_.set("bench_dir", bench_.dir);
  vars_.set("rig_dir", opt_.rig_dir.empty() ? executable_dir() : opt_.rig_dir);
  vars_.set("run_dir", run_dir_);
  vars_.set("time_scale", format_scale(bench_.time_scale));
  vars_.set("cards", bench_.cards_dir);
  for (const auto& [k, v] : bench_.variables) vars_.set(k, v);
  for (const auto& [k, v] : opt_.overrides) {
    if (!bench_.variables.count(k)) {
      return "--var " + k + ": bench '" + bench_.name + "' has no such variable (its variables: " +
             [&] {
               std::string names;
               for (const auto& kv : bench_.variables) names += (names.empty() ? "" : ", ") + kv.first;
               return names.empty() ? std::string("none") : names;
             }() + ")";
    }
    vars_.set(k, v);
  }
  try {
    cards_ = bench::load_cards(bench_.cards_dir);
  } catch (const std::exception& e) {
    return e.what();
  }

  for (const auto& svc : bench_.services) {
    process::Spec spec;
    try {
      spec.argv = vars_.expand(svc.launch.argv);
    } catch (const std::invalid_argument& e) {
      return "service " + svc.name + ": " + e.what();
    }
    spec.name = svc.name;
    // The bench's token by environment, never on the command line (visible in ps).
    if (!bench_.token.empty()) spec.env.emplace_back(process::kTokenEnv, bench_.token);
    spec.env.emplace_back(kRunDirEnv, run_dir_);  // found by it should this run die
    if (!opt_.logs_dir.empty()) {
      spec.on_line =
          process::append_lines_to((fs::path(opt_.logs_dir) / (svc.name + ".log")).string());
    }
    auto child = std::make_unique<process::Child>(spec);
    process::Status s = child->start();
    if (!s) return "service " + svc.name + ": " + s.message;
    if (!svc.launch.ready.empty()) {
      const std::regex ready = bench::ready_regex(svc.launch.ready);
      process::LineResult r = child->wait_for_line(ready, process::after(svc.launch.ready_timeout));
      if (!r.status) return "service " + svc.name + ": " + r.status.message;
      vars_.add_ready_line(svc.name, r.line.text);
    }
    note("service " + svc.name + " up");
    services_.push_back(std::move(child));
  }

  // Stations come up in parallel: each waits for its own simulator.
  std::vector<std::unique_ptr<Station>> candidates;
  std::vector<std::string> errors(bench_.stations.size());
  for (const auto& st : bench_.stations) {
    candidates.push_back(std::make_unique<Station>(bench_, st, vars_, opt_.interactive));
    if (!opt_.logs_dir.empty()) candidates.back()->keep_output_in(opt_.logs_dir);
    watch(*candidates.back());
  }
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    threads.emplace_back([&, i] {
      Station& st = *candidates[i];
      std::string device;
      try {
        device = vars_.expand(st.wiring().terminal.link);
      } catch (const std::exception& e) {
        // A link known only once the station's own simulator is up (tcp:${terminal.ecr}): the
        // device is born with this run; the lock goes on the spec as written.
        if (st.wiring().terminal.launch.argv.empty()) {
          errors[i] = "station " + st.name() + ": " + e.what();
          return;
        }
        device = st.wiring().terminal.link;
      }
      bench::LockHolder me;
      me.bench = bench_.name;
      me.station = st.name();
      bench::StationLock::Options lock_options;
      lock_options.dir = bench_.lock_dir;
      lock_options.wait = opt_.wait_lock;
      lock_options.cancel = &interrupted_;
      lock_options.cancel_fd = interrupt_fd_;
      lock_options.note = note;
      std::string why;
      std::unique_ptr<bench::StationLock> held =
          bench::StationLock::take(device, me, lock_options, &why);
      if (!held) {
        errors[i] = "station " + st.name() + " is in use: " + device + " is " + why;
        return;
      }
      {
        std::lock_guard<std::mutex> lock(report_mu_);
        locks_.push_back(std::move(held));
      }
      errors[i] = st.up(opt_.up_timeout);
    });
  }
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (errors[i].empty()) {
      note("station " + candidates[i]->name() + " up");
      std::lock_guard<std::mutex> lock(stations_mu_);
      stations_.push_back(std::move(candidates[i]));
    } else {
      note(errors[i]);
      station_errors_.push_back(errors[i]);
      station_error_by_name_[candidates[i]->name()] = errors[i];
      candidates[i]->down();
    }
  }
  if (stations_.empty()) {
    std::string all;
    for (const auto& e : station_errors_) all += (all.empty() ? "" : "; ") + e;
    return "no station came up: " + all;
  }
  return "";
}

void Controller::watch(Station& station) {
  Activity* activity = &activity_[station.name()];
  const std::string name = station.name();
  station.observe([this, activity, name](const Entry& e) {
    if (opt_.on_entry) opt_.on_entry(name, e);
    // Step entries come from the station's worker thread, like scenario_started.
    if (e.kind != EntryKind::step || !opt_.on_progress || activity->scenario.empty()) return;
    Progress p;
    p.phase = Progress::Phase::step_started;
    p.station = name;
    p.scenario = activity->scenario;
    p.step = ++activity->step;
    p.steps = activity->steps;
    p.step_name = e.fields.value("step", "");
    p.where = e.fields.value("where", "");
    p.elapsed_ms = std::chrono::duration<double, std::milli>(e.at - activity->started).count();
    opt_.on_progress(p);
  });
}

void Controller::scenario_started(Station& station, const scenario::Scenario& sc) {
  Activity& a = activity_.at(station.name());
  a.scenario = sc.id();
  a.steps = static_cast<int>(sc.steps.size());
  a.step = 0;
  a.started = Clock::now();
  if (!opt_.on_progress) return;
  Progress p;
  p.station = station.name();
  p.scenario = a.scenario;
  p.steps = a.steps;
  opt_.on_progress(p);
}

void Controller::down() {
  for (auto& s : stations_) s->down();
  {
    std::lock_guard<std::mutex> lock(stations_mu_);
    stations_.clear();
  }
  for (auto& c : services_) c->stop();
  services_.clear();
  locks_.clear();  // each lock file goes away with its lock
  run_folder_.reset();
  run_dir_.clear();
}

void Controller::interrupt() {
  interrupted_ = true;
  if (interrupt_fd_ >= 0) {
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(interrupt_fd_, &one, sizeof one);
  }
  // Calls in progress first, then the waits: a station woken from its wait goes on to put itself
  // back, and an abort that came after would end those calls too.
  std::lock_guard<std::mutex> lock(stations_mu_);
  for (auto& s : stations_) s->abort_calls();
  for (auto& s : stations_) s->timeline()->interrupt();
}

namespace {

// The firmware version the terminal reported in its last STATUS (the engine sends STATUS or
// RESET, answered by STATUS, when it puts the station back after every scenario).
std::string terminal_version(const nlohmann::json& timeline) {
  std::string version;
  for (const auto& e : timeline) {
    if (e.value("kind", "") != "status") continue;
    const nlohmann::json& f = e.value("fields", nlohmann::json::object());
    if (f.is_object() && f.contains("version") && f["version"].is_string()) {
      version = f["version"].get<std::string>();
    }
  }
  return version;
}

report::ScenarioResult not_run(const scenario::Scenario& sc, int attempt, report::Status status,
                               const std::string& why) {
  report::ScenarioResult r = result_for(sc);
  r.attempt = attempt;
  r.status = status;
  r.message = why;
  return r;
}

report::ScenarioResult summary_of(const report::ScenarioResult& full) {
  report::ScenarioResult s = full;
  s.steps.clear();
  s.checks.clear();
  s.faults = nlohmann::json::array();
  s.transcript = nlohmann::json::array();
  s.timeline = nlohmann::json::array();
  return s;
}

}  // namespace

report::RunResult Controller::header(const std::vector<scenario::Scenario>& scenarios) const {
  report::RunResult r;
  r.run_id = fs::path(run_dir_.empty() ? "posrig-run" : run_dir_).filename().string();
  r.rig_version = POSRIG_VERSION_STRING;
  r.bench_name = bench_.name;
  r.bench_file = bench_.file;
  r.host = report::host_name();
  r.started_at = report::utc_now_iso8601();
  r.shard = opt_.shard;
  for (const auto& [k, v] : bench_.variables) {
    r.variables[k] = opt_.overrides.count(k) ? opt_.overrides.at(k) : v;
  }
  r.overrides = opt_.overrides;
  r.seed = std::to_string(seed_);
  r.shuffle = opt_.shuffle;
  if (!scenarios.empty()) {
    report::GitInfo git = report::git_info(scenarios.front().file);
    r.git_commit = git.commit;
    r.git_branch = git.branch;
  }
  r.rerun_of = opt_.rerun_of;
  r.bench_error = bench_error_;
  for (const auto& st : bench_.stations) {
    auto e = station_error_by_name_.find(st.name);
    // A simulator may say its version on its READY line (version=…: ${terminal.version}).
    std::string version;
    for (const auto& up : stations_) {
      if (up->name() == st.name && up->variables().has("terminal.version")) {
        version = up->variables().get("terminal.version");
      }
    }
    r.stations.push_back({st.name, st.terminal.driver, st.terminal.link,
                          e == station_error_by_name_.end() ? "" : e->second, version});
  }
  return r;
}

report::RunResult Controller::run(const std::vector<scenario::Scenario>& scenarios) {
  report::RunResult result = header(scenarios);
  auto start = Clock::now();

  // Which stations can serve each scenario: their fixture drivers' and terminal driver's
  // declarations (plan.h). One that no station of the bench can serve is skipped with the reason.
  PlanOptions plan;
  plan.cards = &cards_;
  plan.reach.interactive = opt_.interactive;
  std::vector<Coverage> covered;
  covered.reserve(scenarios.size());
  for (const auto& s : scenarios) covered.push_back(coverage(bench_, s, plan));

  // The attempts to make: each scenario `repeat` times, numbered on from its earlier attempts,
  // round by round, each round in the order given or, with --shuffle, one drawn from the seed.
  struct Item {
    const scenario::Scenario* sc;
    int attempt;
    const Coverage* where;  // the stations that can run it
  };
  std::deque<Item> queue;
  std::vector<Item> unservable;
  std::vector<report::PlannedAttempt> planned;
  scenario::RunOrder order(seed_, opt_.shuffle);
  for (int r = 0; r < std::max(1, opt_.repeat); ++r) {
    for (std::size_t i : order.next_round(scenarios.size())) {
      const auto& s = scenarios[i];
      auto before = opt_.attempts_before.find(s.id());
      int attempt = (before == opt_.attempts_before.end() ? 0 : before->second) + r + 1;
      (covered[i].runnable() ? queue.emplace_back(Item{&s, attempt, &covered[i]})
                             : unservable.emplace_back(Item{&s, attempt, &covered[i]}));
      planned.push_back({s.id(), attempt, s.name, s.family, s.file, s.tags});
    }
  }
  const int total = static_cast<int>(queue.size() + unservable.size());

  // The journal: created before anything runs, one line per finished attempt.
  std::unique_ptr<report::Journal> journal;
  std::string journal_path;
  if (!opt_.out_dir.empty()) {
    journal_path = (fs::path(opt_.out_dir) / "journal.jsonl").string();
    try {
      journal = std::make_unique<report::Journal>(journal_path, result, planned);
    } catch (const std::exception& e) {
      report_errors_.push_back(e.what());
      if (opt_.on_note) opt_.on_note(e.what());
    }
  }
  std::mutex journal_mu;  // guards `unjournaled` only
  std::vector<report::ScenarioResult> unjournaled;
  // Appends to the journal (its own lock, not the scheduler's); an attempt that cannot be
  // written is kept and tried again at the end.
  // Without a journal (no report folder, or it could not be made) the results stay in memory
  // whole when someone will read them: Python, or the report copies.
  const bool whole = !journal && (opt_.keep_timelines || !journal_path.empty());
  auto record = [&](const report::ScenarioResult& r) {
    if (!journal) return;
    try {
      journal->append(r);
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(journal_mu);
      if (unjournaled.empty() && opt_.on_note) opt_.on_note(e.what());
      if (unjournaled.empty()) report_errors_.push_back(e.what());
      unjournaled.push_back(r);
    }
  };
  // Attempts carried from the run being rerun come first.
  for (auto r : opt_.carried) {
    if (r.run_id.empty()) r.run_id = opt_.rerun_of;
    record(r);
    result.scenarios.push_back(whole ? r : summary_of(r));
  }

  std::mutex mu;  // the scheduler: queue, counters, result list
  int done = 0;
  bool stop = false;

  RunnerOptions ropt;
  ropt.interrupted = &interrupted_;
  ropt.cards = &cards_;
  ropt.run_tag = result.run_id.substr(result.run_id.size() > 6 ? result.run_id.size() - 6 : 0);
  ropt.scope_ids = true;  // scenario files: ids are names local to a scenario run

  // A shared service (vhost: the acquirer, wallet and ledger of every station) that ended
  // spoils what runs on it: a failure then is the bench's, not the terminal's.
  std::mutex service_mu;
  std::string service_down_said;
  auto service_down = [&]() -> std::string {
    // services_[i] was started from bench_.services[i] (up() stops at the first that fails).
    for (std::size_t i = 0; i < services_.size() && i < bench_.services.size(); ++i) {
      if (services_[i]->running()) continue;
      auto ended = services_[i]->exit_status();
      std::string why = "service " + bench_.services[i].name + " ended (" +
                        (ended ? ended->describe() : std::string("not running")) + ")";
      std::lock_guard<std::mutex> lock(service_mu);
      if (service_down_said.empty()) {
        service_down_said = why;
        if (opt_.on_note) opt_.on_note(why + ": the scenarios left are not run");
      }
      return why;
    }
    return "";
  };

  auto finish = [&](report::ScenarioResult r, int attempt, bool ran) {
    r.attempt = attempt;
    r.run_id = result.run_id;
    r.terminal_version = terminal_version(r.timeline);
    if (ran && (r.status == report::Status::fail || r.status == report::Status::error)) {
      if (std::string down = service_down(); !down.empty()) {
        r.status = report::Status::error;
        r.message =
            down + " during this scenario, so its outcome is not the terminal's: " + r.message;
      }
    }
    record(r);  // outside the scheduler lock: fsync per scenario does not hold up the others
    std::lock_guard<std::mutex> lock(mu);
    ++done;
    if (opt_.fail_fast && (r.status == report::Status::fail || r.status == report::Status::error)) {
      stop = true;
    }
    result.scenarios.push_back(whole ? std::move(r) : summary_of(r));
    if (opt_.on_result) opt_.on_result(result.scenarios.back(), done, total);
  };

  // What the bench cannot serve is known before anything runs.
  for (const Item& item : unservable) {
    finish(not_run(*item.sc, item.attempt, report::Status::skipped, item.where->skip_reason),
           item.attempt, false);
  }

  int jobs = opt_.jobs > 0 ? std::min<int>(opt_.jobs, static_cast<int>(stations_.size()))
                           : static_cast<int>(stations_.size());
  std::vector<std::thread> workers;
  for (int w = 0; w < jobs; ++w) {
    Station* st = stations_[static_cast<std::size_t>(w)].get();
    workers.emplace_back([&, st] {
      const auto can_run = [&](const Item& item) {
        const auto& names = item.where->stations;
        return std::find(names.begin(), names.end(), st->name()) != names.end();
      };
      for (;;) {
        Item item{nullptr, 0, nullptr};
        {
          std::lock_guard<std::mutex> lock(mu);
          if (stop || interrupted_) return;
          // A station in trouble leaves the rest to the others; a dead service to nobody.
          if (!st->trouble().empty() || !service_down().empty()) return;
          // The first scenario this station can serve; what is left needs another station.
          auto it = std::find_if(queue.begin(), queue.end(), can_run);
          if (it == queue.end()) return;
          item = *it;
          queue.erase(it);
        }
        scenario_started(*st, *item.sc);
        finish(run_scenario(*st, *item.sc, ropt), item.attempt, true);
      }
    });
  }
  for (auto& t : workers) t.join();

  // What no station could run: skipped after an interrupt or --fail-fast, else an error.
  std::string why = bench_error_;
  if (std::string down = service_down(); !down.empty()) why += (why.empty() ? "" : "; ") + down;
  for (const auto& e : station_errors_) why += (why.empty() ? "" : "; ") + e;
  for (auto& s : stations_) {
    if (!s->trouble().empty()) {
      why += (why.empty() ? "" : "; ") + ("station " + s->name() + ": " + s->trouble());
    }
  }
  while (!queue.empty()) {
    Item item = queue.front();
    queue.pop_front();
    if (interrupted_ || stop) {
      finish(not_run(*item.sc, item.attempt, report::Status::skipped,
                     interrupted_ ? "not run: interrupted before it ran" : "not run (--fail-fast)"),
             item.attempt, false);
    } else {
      finish(
          not_run(*item.sc, item.attempt, report::Status::error, "no station could run it: " + why),
          item.attempt, false);
    }
  }
  result.ended_at = report::utc_now_iso8601();
  result.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  result.interrupted = interrupted_;
  if (journal) {
    // Attempts that could not be written when they finished: once more now.
    std::vector<report::ScenarioResult> pending;
    pending.swap(unjournaled);
    for (const auto& r : pending) record(r);
    if (!unjournaled.empty()) {
      report_errors_.push_back(std::to_string(unjournaled.size()) +
                               " finished scenario(s) are missing from the journal " +
                               journal_path + " (shown on the console only)");
    }
    try {
      journal->finish(result);
    } catch (const std::exception& e) {
      report_errors_.push_back(e.what());
    }
  }
  finish_reports(result, journal ? journal_path : "");
  result.judge();
  result.report_dir = opt_.out_dir;
  return result;
}

void Controller::finish_reports(report::RunResult& result, const std::string& journal_path) {
  report::Outputs out;
  out.dir = opt_.out_dir;
  out.json_copy = opt_.json_path;
  out.junit_copy = opt_.junit_path;
  out.html_copy = opt_.html_path;
  out.allure_dir = opt_.allure_dir;
  if (!journal_path.empty()) {
    // The reports come from the journal, one attempt at a time (never every timeline at
    // once), and so do the results returned: the same attempts in the same order.
    try {
      report::RunResult journaled = report::read_journal(journal_path);
      result = std::move(journaled);
      if (opt_.keep_timelines) {
        for (std::size_t i = 0; i < result.scenarios.size(); ++i) {
          result.scenarios[i] = result.detail(i);
        }
        result.loader = nullptr;
      }
    } catch (const std::exception& e) {
      report_errors_.push_back(e.what());
    }
  }
  for (auto& p : report::render_reports(result, out)) report_errors_.push_back(std::move(p));
  if (!opt_.history_path.empty()) {
    try {
      report::record_history(opt_.history_path, result, opt_.out_dir);
    } catch (const std::exception& e) {
      report_errors_.push_back("history: " + std::string(e.what()));
    }
  }
}

}  // namespace rig::engine
