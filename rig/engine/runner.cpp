#include "rig/engine/runner.h"

#include <cmath>
#include <stdexcept>

#include "rig/engine/checks.h"
#include "rig/engine/context.h"
#include "rig/engine/fault_arming.h"
#include "rig/engine/fixtures.h"
#include "rig/engine/plan.h"
#include "rig/engine/settle.h"
#include "rig/engine/terminal_port.h"
#include "rig/scenario/profile_ref.h"
#include "rig/scenario/registry.h"

namespace rig::engine {

namespace {

using nlohmann::json;
using scenario::Step;
using std::chrono::milliseconds;

double ms_since(Clock::time_point start, Clock::time_point t) {
  return std::round(std::chrono::duration<double, std::milli>(t - start).count() * 1000.0) / 1000.0;
}

}  // namespace

milliseconds StepContext::scaled(milliseconds d) const {
  return milliseconds(
      static_cast<long long>(std::llround(static_cast<double>(d.count()) * station.time_scale())));
}

void StepContext::sleep_for(milliseconds d) const {
  timeline.wait_until([](const std::vector<Entry>&) { return false; }, Clock::now() + d);
}

// The session: its parts, each with one job, and the step loop over the registered kinds.
class Session::Impl {
 public:
  Impl(Station& station, const RunnerOptions& options)
      : st_(station),
        opt_(options),
        tl_(std::make_shared<Timeline>()),
        terminal_(station, options, *tl_),
        fixtures_(station, *tl_),
        faults_(station, *tl_, fixtures_, [this](milliseconds d) { return scaled(d); }),
        checks_(station, options, *tl_, terminal_),
        settler_(station, options, *tl_, terminal_, fixtures_,
                 [this](milliseconds d) { return scaled(d); }),
        ctx_(station, options, *tl_, terminal_, fixtures_, faults_, checks_) {
    st_.attach(tl_);
    checks_.start();  // throws InfrastructureError
  }
  ~Impl() {
    // A destructor must not throw: restore() says what went wrong in its answer and on the
    // timeline; anything else (no memory) is dropped here rather than terminating the run.
    try {
      restore();
    } catch (...) {
    }
    st_.attach(nullptr);
  }

  report::StepResult step(const Step& step);
  std::string finish(const scenario::SourceLoc& where);
  std::string restore();

  std::shared_ptr<Timeline> timeline() const { return tl_; }
  const std::vector<report::CheckResult>& checks() const { return checks_.results(); }
  const Transaction& transaction() const { return terminal_.transaction(); }
  json ledger_now(milliseconds timeout, std::string* error) {
    return checks_.ledger_now(timeout, error);
  }

 private:
  // Durations in scenarios are in real-bench time; the bench's time_scale shrinks them.
  milliseconds scaled(milliseconds d) const { return ctx_.scaled(d); }
  bool interrupted() const { return opt_.interrupted && opt_.interrupted->load(); }

  Station& st_;
  const RunnerOptions& opt_;
  std::shared_ptr<Timeline> tl_;
  TerminalPort terminal_;
  Fixtures fixtures_;
  FaultArming faults_;
  Checks checks_;
  Settler settler_;
  StepContext ctx_;
  bool restored_ = false;
};

report::StepResult Session::Impl::step(const Step& written) {
  report::StepResult sr;
  sr.where = written.loc.to_string();
  sr.name = written.name;
  // Profile values (${profile.…}, ${wording.…}) take this station's figures and words.
  Step step;
  try {
    step = scenario::resolve_step(written, st_.wiring().terminal.profile);
  } catch (const std::invalid_argument& e) {
    throw InfrastructureError(e.what());
  }
  sr.where = step.loc.to_string();
  sr.name = step.name;
  sr.start_ms = ms_since(tl_->start(), Clock::now());
  tl_->add(EntryKind::step, {{"step", step.name}, {"where", sr.where}});
  if (interrupted()) throw InfrastructureError("interrupted");
  const scenario::StepKind* kind = scenario::kinds().step(step.name);
  if (!kind) throw InfrastructureError("engine does not know step '" + step.name + "'");
  // Scenario runs were checked before they started (unmet_need); scripts meet it here.
  const terminal::TerminalDriver& term = st_.terminal();
  for (const auto& need : scenario::terminal_needs(step)) {
    std::string why = terminal::lacking(need, term.capabilities(), term.driver_name());
    if (!why.empty()) throw InfrastructureError(sr.where + ": " + step.name + " " + why);
  }
  kind->run(ctx_, step, sr);  // throws InfrastructureError
  sr.end_ms = ms_since(tl_->start(), Clock::now());
  // A wait cut short by Ctrl-C is not the terminal's fault.
  if (interrupted()) throw InfrastructureError("interrupted");
  for (const std::string& trouble : {faults_.trouble(), fixtures_.trouble()}) {
    if (!trouble.empty()) throw InfrastructureError(trouble);
  }
  if (std::string trouble = st_.trouble(); !trouble.empty()) {
    throw InfrastructureError("station " + st_.name() + ": " + trouble);
  }
  return sr;
}

std::string Session::Impl::finish(const scenario::SourceLoc& where) {
  std::vector<const scenario::EvidenceKind*> evidence;
  for (const auto& e : scenario::kinds().evidence()) evidence.push_back(e.get());
  return checks_.run_evidence(evidence, where);
}

std::string Session::Impl::restore() {
  if (restored_) return "";
  restored_ = true;
  // Ctrl-C (or an engine stop) interrupted the timeline: revert the faults and go, nothing more.
  const bool stopping = interrupted() || tl_->interrupted();
  faults_.stop();
  fixtures_.stop();
  std::string revert_error = settler_.restore_fixtures();
  if (stopping || !st_.trouble().empty()) return revert_error;
  // The watchers are gone; the terminal's answers can be waited for again.
  tl_->resume();
  std::string settle_error = settler_.settle_terminal();
  if (!settle_error.empty()) {
    // Whatever runs next on this terminal would fail for the wrong reason: the station leaves
    // the run and the other stations take the remaining scenarios.
    st_.set_trouble(settle_error);
    tl_->add(EntryKind::infra, {{"text", settle_error}});
    if (revert_error.empty()) revert_error = settle_error;
  } else {
    tl_->add(EntryKind::note, {{"text", "terminal idle"}});
  }
  return revert_error;
}

Session::Session(Station& station, const RunnerOptions& options)
    : impl_(std::make_unique<Impl>(station, options)) {}
Session::~Session() = default;
report::StepResult Session::step(const scenario::Step& step) { return impl_->step(step); }
std::string Session::finish(const scenario::SourceLoc& where) { return impl_->finish(where); }
std::shared_ptr<Timeline> Session::timeline() const { return impl_->timeline(); }
const std::vector<report::CheckResult>& Session::checks() const { return impl_->checks(); }
std::string Session::transaction_id() const { return impl_->transaction().id; }
Transaction Session::transaction() const { return impl_->transaction(); }
std::string Session::restore() { return impl_->restore(); }
nlohmann::json Session::ledger() {
  std::string error;
  json j = impl_->ledger_now(milliseconds(5000), &error);
  if (j.is_null()) throw InfrastructureError(error);
  return j;
}

report::ScenarioResult result_for(const scenario::Scenario& sc) {
  report::ScenarioResult res;
  res.id = sc.id();
  res.name = sc.name;
  res.family = sc.family;
  res.file = sc.file;
  res.tags = sc.tags;
  res.started_at = report::utc_now_iso8601();
  return res;
}

report::ScenarioResult run_scenario(Station& station, const scenario::Scenario& sc,
                                    const RunnerOptions& options) {
  report::ScenarioResult res = result_for(sc);
  res.station = station.name();
  res.attempts = 1;
  auto interrupted = [&] { return options.interrupted && options.interrupted->load(); };
  if (std::string trouble = station.trouble(); !trouble.empty()) {
    res.status = report::Status::error;
    res.message = "station " + station.name() + ": " + trouble;
    return res;
  }
  // What the station's terminal driver cannot do is decided before anything runs.
  terminal::TerminalDriver& term = station.terminal();
  if (std::string why = unmet_need(sc, term.capabilities(), term.driver_name()); !why.empty()) {
    res.status = report::Status::skipped;
    res.message = "station " + station.name() + ": " + why;
    return res;
  }
  std::unique_ptr<Session> session;
  bool failed = false;
  std::string error;
  std::string revert_error;
  bool restored = false;
  auto start = Clock::now();
  try {
    session = std::make_unique<Session>(station, options);
    start = session->timeline()->start();
    auto deadline =
        sc.timeout ? Clock::now() +
                         milliseconds(static_cast<long long>(
                             static_cast<double>(sc.timeout->count()) * station.time_scale())) +
                         std::chrono::seconds(5)
                   : Clock::time_point::max();
    for (const Step& step : sc.steps) {
      if (interrupted()) {
        error = "interrupted";
        break;
      }
      if (Clock::now() > deadline) {
        failed = true;
        res.message = sc.loc.to_string() + ": scenario timed out";
        break;
      }
      report::StepResult sr;
      try {
        sr = session->step(step);
      } catch (const InfrastructureError& e) {
        sr.where = step.loc.to_string();
        sr.name = step.name;
        sr.ok = false;
        sr.message = e.what();
        error = interrupted() ? "interrupted" : e.what();
        // A station taken out meanwhile (a flooding terminal) is the reason, not its effect.
        std::string trouble = station.trouble();
        if (!interrupted() && !trouble.empty() && error.find(trouble) == std::string::npos) {
          error = "station " + station.name() + ": " + trouble + " (" + error + ")";
        }
      }
      res.steps.push_back(sr);
      if (!error.empty()) break;
      if (!sr.ok) {
        failed = true;
        res.message = sr.message;
        break;
      }
    }
    // The station is put back before the evidence is judged: what recovery drains (a stored
    // reversal sent, an online transaction finished) belongs to the scenario that left it.
    revert_error = session->restore();
    restored = true;
    // The evidence checks every scenario gets, unasked (rig/checks/evidence.cpp).
    if (error.empty() && !interrupted() && station.trouble().empty()) {
      std::string evidence = session->finish(sc.loc);
      if (!evidence.empty() && !failed) {
        failed = true;
        res.message = evidence;
      }
    }
  } catch (const InfrastructureError& e) {
    error = e.what();
  } catch (const std::exception& e) {
    error = std::string("engine: ") + e.what();
  }

  // Always put the station back, whatever happened above.
  if (session && !restored) revert_error = session->restore();
  // A station taken out meanwhile (a flooding terminal) is the reason, not its effect.
  if (std::string trouble = station.trouble();
      !error.empty() && error != "interrupted" && !trouble.empty() &&
      error.find(trouble) == std::string::npos) {
    error = "station " + station.name() + ": " + trouble + " (" + error + ")";
  }
  if (!error.empty()) {
    res.status = report::Status::error;
    res.message = error != "interrupted"  ? error
                  : revert_error.empty() ? "interrupted (SIGINT/SIGTERM); faults reverted"
                                         : "interrupted (SIGINT/SIGTERM); " + revert_error;
  } else if (failed) {
    res.status = report::Status::fail;
  } else if (!revert_error.empty()) {
    res.status = report::Status::error;
    res.message = revert_error;
  } else {
    res.status = report::Status::pass;
  }
  res.duration_ms = ms_since(start, Clock::now());
  if (session) {
    res.checks = session->checks();
    res.timeline = session->timeline()->to_json();
    for (const auto& e : res.timeline) {
      std::string k = e.value("kind", "");
      if (k == "fault_applied" || k == "fault_cleared") res.faults.push_back(e);
      if (k == "ecr_in" || k == "ecr_out" || k == "host_message" || k == "wallet_message") {
        res.transcript.push_back(e);
      }
    }
  }
  return res;
}

}  // namespace rig::engine
