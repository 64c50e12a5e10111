#include "rig/engine/controller.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "rig/engine/plan.h"
#include "rig/engine/runner.h"
#include "rig/report/html.h"

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

int lock_station(const std::string& bench_name, const std::string& station,
                 const std::string& device, std::string* holder) {
  fs::path dir = fs::temp_directory_path() / "posrig-locks";
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::string key;
  for (char c : device) key += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  fs::path path = dir / (key + ".lock");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    if (holder) *holder = "cannot open lock file " + path.string() + ": " + std::strerror(errno);
    return -1;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::ifstream in(path);
    std::string who;
    std::getline(in, who);
    if (holder) *holder = who.empty() ? "another rig process" : who;
    ::close(fd);
    return -1;
  }
  std::string me = "pid " + std::to_string(::getpid()) + " (rig, bench " + bench_name + ", station " +
                   station + ") since " + report::utc_now_iso8601();
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] ssize_t n = ::pwrite(fd, me.data(), me.size(), 0);
  }
  return fd;
}

Controller::Controller(bench::Bench bench, ControllerOptions options)
    : bench_(std::move(bench)), opt_(std::move(options)) {}

Controller::~Controller() { down(); }

std::vector<Station*> Controller::stations() {
  std::vector<Station*> out;
  for (auto& s : stations_) out.push_back(s.get());
  return out;
}

std::string Controller::up() {
  auto note = [&](const std::string& s) {
    if (opt_.on_note) opt_.on_note(s);
  };
  std::string tmpl = (fs::temp_directory_path() / "posrig-run-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) return std::string("cannot create run folder: ") + std::strerror(errno);
  run_dir_ = buf.data();
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
    auto child = std::make_unique<process::Child>(spec);
    process::Status s = child->start();
    if (!s) return "service " + svc.name + ": " + s.message;
    if (!svc.launch.ready.empty()) {
      std::regex ready("^" + svc.launch.ready + "( |$)");
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
  }
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    threads.emplace_back([&, i] {
      Station& st = *candidates[i];
      std::string device;
      try {
        device = vars_.expand(st.wiring().terminal.link);
      } catch (const std::exception& e) {
        errors[i] = "station " + st.name() + ": " + e.what();
        return;
      }
      std::string holder;
      int fd = lock_station(bench_.name, st.name(), device, &holder);
      if (fd < 0) {
        errors[i] = "station " + st.name() + " is in use: " + device + " is held by " + holder;
        return;
      }
      {
        std::lock_guard<std::mutex> lock(report_mu_);
        lock_fds_.push_back(fd);
      }
      errors[i] = st.up(opt_.up_timeout);
    });
  }
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (errors[i].empty()) {
      note("station " + candidates[i]->name() + " up");
      stations_.push_back(std::move(candidates[i]));
    } else {
      note(errors[i]);
      station_errors_.push_back(errors[i]);
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

void Controller::down() {
  for (auto& s : stations_) s->down();
  stations_.clear();
  for (auto& c : services_) c->stop();
  services_.clear();
  for (int fd : lock_fds_) ::close(fd);
  lock_fds_.clear();
  if (!run_dir_.empty() && std::getenv("POSRIG_KEEP_RUN_DIR") == nullptr) {
    std::error_code ec;
    fs::remove_all(run_dir_, ec);
  }
  run_dir_.clear();
}

void Controller::interrupt() {
  interrupted_ = true;
  for (auto& s : stations_) s->timeline()->interrupt();
}

void Controller::write_reports(const report::RunResult& result) {
  std::lock_guard<std::mutex> lock(report_mu_);
  std::string json_path = opt_.json_path;
  std::string junit_path = opt_.junit_path;
  std::string html_path = opt_.html_path;
  if (!opt_.out_dir.empty()) {
    if (json_path.empty()) json_path = (fs::path(opt_.out_dir) / "results.json").string();
    if (junit_path.empty()) junit_path = (fs::path(opt_.out_dir) / "junit.xml").string();
    if (html_path.empty()) html_path = (fs::path(opt_.out_dir) / "report.html").string();
  }
  if (!json_path.empty()) report::write_atomically(json_path, report::to_json_text(result));
  if (!junit_path.empty()) report::write_atomically(junit_path, report::to_junit(result));
  if (!html_path.empty()) report::write_atomically(html_path, report::to_html(result));
}

report::RunResult Controller::run(const std::vector<scenario::Scenario>& scenarios) {
  report::RunResult result;
  result.run_id = fs::path(run_dir_).filename().string();
  result.rig_version = POSRIG_VERSION_STRING;
  result.bench_name = bench_.name;
  result.bench_file = bench_.file;
  result.started_at = report::utc_now_iso8601();
  result.shard = opt_.shard;
  auto start = Clock::now();

  std::deque<const scenario::Scenario*> queue;
  for (int r = 0; r < std::max(1, opt_.repeat); ++r) {
    for (const auto& s : scenarios) queue.push_back(&s);
  }
  const int total = static_cast<int>(queue.size());
  std::mutex mu;
  int done = 0;
  bool stop = false;

  RunnerOptions ropt;
  ropt.interrupted = &interrupted_;
  ropt.cards = &cards_;
  ropt.run_tag = result.run_id.substr(result.run_id.size() > 6 ? result.run_id.size() - 6 : 0);
  ropt.scope_ids = true;  // scenario files: ids are names local to a scenario run

  auto finish = [&](report::ScenarioResult r) {
    std::lock_guard<std::mutex> lock(mu);
    ++done;
    if (opt_.fail_fast && (r.status == report::Status::fail || r.status == report::Status::error)) stop = true;
    const bool keep = opt_.keep_timelines || r.status == report::Status::fail ||
                      r.status == report::Status::error;  // report.html shows their timelines
    result.scenarios.push_back(std::move(r));
    if (!keep) report::compact(result.scenarios.back());
    result.ended_at = report::utc_now_iso8601();
    result.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    result.interrupted = interrupted_;
    // Finished scenarios survive a crash of the controller.
    try {
      write_reports(result);
    } catch (const std::exception& e) {
      if (opt_.on_note) opt_.on_note(e.what());
    }
    if (opt_.on_result) opt_.on_result(result.scenarios.back(), done, total);
  };

  int jobs = opt_.jobs > 0 ? std::min<int>(opt_.jobs, static_cast<int>(stations_.size()))
                           : static_cast<int>(stations_.size());
  // A scenario goes to a station whose terminal driver can do what it needs; one that no
  // station can run is taken by any, which reports it skipped with the reason.
  std::vector<Station*> used;
  for (int w = 0; w < jobs; ++w) used.push_back(stations_[static_cast<std::size_t>(w)].get());
  auto can_run = [](const Station& st, const scenario::Scenario& sc) {
    return unmet_need(sc, st.terminal().capabilities(), st.terminal().driver_name()).empty();
  };
  auto take_for = [&](const Station& st) -> const scenario::Scenario* {
    for (auto it = queue.begin(); it != queue.end(); ++it) {
      bool here = can_run(st, **it);
      bool elsewhere = false;
      for (const Station* other : used) {
        if (!here && other != &st && other->trouble().empty() && can_run(*other, **it)) {
          elsewhere = true;
        }
      }
      if (here || !elsewhere) {
        const scenario::Scenario* sc = *it;
        queue.erase(it);
        return sc;
      }
    }
    return nullptr;
  };
  std::vector<std::thread> workers;
  for (Station* st : used) {
    workers.emplace_back([&, st] {
      for (;;) {
        const scenario::Scenario* sc = nullptr;
        {
          std::lock_guard<std::mutex> lock(mu);
          if (queue.empty() || stop || interrupted_) return;
          // A station in trouble leaves the rest to the others.
          if (!st->trouble().empty()) return;
          sc = take_for(*st);
          if (!sc) return;  // what is left needs another station's driver
        }
        finish(run_scenario(*st, *sc, ropt));
      }
    });
  }
  for (auto& t : workers) t.join();

  // What no station could run: skipped after an interrupt or --fail-fast, else an error.
  std::string why;
  for (const auto& e : station_errors_) why += (why.empty() ? "" : "; ") + e;
  for (auto& s : stations_) {
    if (!s->trouble().empty()) why += (why.empty() ? "" : "; ") + ("station " + s->name() + ": " + s->trouble());
  }
  while (!queue.empty()) {
    const scenario::Scenario* sc = queue.front();
    queue.pop_front();
    report::ScenarioResult r;
    r.id = sc->id();
    r.name = sc->name;
    r.family = sc->family;
    r.file = sc->file;
    r.tags = sc->tags;
    r.started_at = report::utc_now_iso8601();
    if (interrupted_ || stop) {
      r.status = report::Status::skipped;
      r.message = interrupted_ ? "interrupted before it ran" : "not run (--fail-fast)";
    } else {
      r.status = report::Status::error;
      r.message = "no station could run it: " + why;
    }
    finish(std::move(r));
  }
  result.ended_at = report::utc_now_iso8601();
  result.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  result.interrupted = interrupted_;
  write_reports(result);
  return result;
}

}  // namespace rig::engine
