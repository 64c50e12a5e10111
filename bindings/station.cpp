// Station sessions: one station driven step by step from Python (the engine's Session), with
// waits on its timeline, its ledger, and the revert-everything close.
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "bindings/handles.h"
#include "bindings/posrig_py.h"
#include "rig/bench/config_error.h"
#include "rig/engine/judge.h"
#include "rig/scenario/catalogue.h"

namespace posrig_py {

namespace engine = rig::engine;
namespace report = rig::report;
namespace scenario = rig::scenario;
using nlohmann::json;

namespace {

constexpr std::size_t kRecentEntries = 25;

std::string as_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

json entry_json(const engine::Entry& e, engine::Clock::time_point start) {
  double ms = std::chrono::duration<double, std::milli>(e.at - start).count();
  return {{"t_ms", std::round(ms * 1000.0) / 1000.0},
          {"kind", engine::to_string(e.kind)},
          {"fields", e.fields}};
}

// EntryKind::infra is the last kind of timeline.h.
std::optional<engine::EntryKind> kind_from(const std::string& name) {
  for (int k = 0; k <= static_cast<int>(engine::EntryKind::infra); ++k) {
    auto kind = static_cast<engine::EntryKind>(k);
    if (name == engine::to_string(kind)) return kind;
  }
  return std::nullopt;
}

std::string kind_names() {
  std::string out;
  for (int k = 0; k <= static_cast<int>(engine::EntryKind::infra); ++k) {
    out += (out.empty() ? "" : ", ") +
           std::string(engine::to_string(static_cast<engine::EntryKind>(k)));
  }
  return out;
}

std::string fields_text(const json& fields) {
  std::string out;
  for (const auto& [k, v] : fields.items()) out += (out.empty() ? "" : " ") + k + "=" + as_text(v);
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// SessionHandle

SessionHandle::SessionHandle(std::shared_ptr<BenchHandle> bench, engine::Station& station,
                             std::string run_tag)
    : bench_(std::move(bench)),
      station_(station),
      name_(station.name()),
      time_scale_(station.time_scale()) {
  options_.interrupted = &interrupted_;
  options_.cards = &bench_->cards();
  options_.run_tag = std::move(run_tag);
  session_ = std::make_unique<engine::Session>(station_, options_);
  timeline_ = session_->timeline();
}

SessionHandle::~SessionHandle() {
  // Dropped by Python without close(): revert the faults without holding the GIL.
  try {
    std::optional<py::gil_scoped_release> release;
    if (Py_IsInitialized() && PyGILState_Check()) release.emplace();
    close();
  } catch (...) {
    // Reverting reports its trouble as text; only a failed allocation can land here, and a
    // destructor has no one to tell.
  }
}

void SessionHandle::check_open() const {
  if (!closed_) return;
  if (interrupted_) {
    throw UsageError("station " + name_ + ": the session was closed by Ctrl-C (faults reverted)");
  }
  throw UsageError("station " + name_ + ": the session is closed");
}

report::StepResult SessionHandle::step(const scenario::Step& step) {
  std::lock_guard<std::mutex> lock(call_mu_);
  check_open();
  report::StepResult result;
  try {
    result = session_->step(step);
  } catch (const engine::InfrastructureError&) {
    if (!interrupted_) throw;
    // Ctrl-C cut the step short: KeyboardInterrupt follows in Python, not an engine error.
    result.where = step.loc.to_string();
    result.name = step.name;
    result.ok = false;
    result.message = "interrupted (Ctrl-C)";
    return result;
  }
  if (!result.ok && !session_->checks().empty() && !interrupted_) {
    const report::CheckResult& check = session_->checks().back();
    std::string text = check.where + ": check failed: expect " + check.what +
                       "\n  expected: " + check.expected + "\n  actual:   " + check.actual + "\n" +
                       recent_text(kRecentEntries);
    throw CheckFailedError(text, check, recent(kRecentEntries));
  }
  return result;
}

json SessionHandle::wait_for(const std::string& kind, const json& match,
                             std::chrono::milliseconds timeout, const std::string& since,
                             long long first) {
  std::optional<engine::EntryKind> wanted = kind_from(kind);
  if (!wanted) {
    throw rig::ConfigError(rig::ConfigIssue{
        "wait_for", 0, 0, "unknown entry kind '" + kind + "' (known: " + kind_names() + ")"});
  }
  if (!match.is_object()) {
    throw rig::ConfigError(rig::ConfigIssue{"wait_for", 0, 0, "match must be a mapping"});
  }
  if (since != "transaction" && since != "now" && since != "session") {
    throw rig::ConfigError(rig::ConfigIssue{
        "wait_for", 0, 0, "unknown since '" + since + "' (known: transaction, now, session)"});
  }
  std::lock_guard<std::mutex> lock(call_mu_);
  check_open();
  // The current transaction as the engine keeps it (the last step that started one).
  const engine::Transaction txn = session_->transaction();
  std::size_t from = since == "session" ? 0 : since == "now" ? timeline_->size() : txn.start;
  if (first >= 0) from = static_cast<std::size_t>(first);
  // Results of the current transaction only, as `expect: {result: …}` does.
  const std::string& txn_id = txn.id;
  bool own_result = *wanted == engine::EntryKind::result && !match.contains("id") && !txn.any_id &&
                    !txn_id.empty();
  auto matches = [&](const engine::Entry& e) {
    if (e.kind != *wanted) return false;
    if (own_result && e.fields.value("id", "") != txn_id) return false;
    for (const auto& [k, v] : match.items()) {
      if (!e.fields.contains(k)) return false;
      const bool contains = k == "text" && (*wanted == engine::EntryKind::display ||
                                            *wanted == engine::EntryKind::receipt);
      const std::string have = as_text(e.fields[k]);
      const std::string want = as_text(v);
      if (contains ? !engine::text_matches(have, want) : have != want) return false;
    }
    return true;
  };
  auto scaled =
      std::chrono::milliseconds(std::llround(static_cast<double>(timeout.count()) * time_scale_));
  scaled = std::max(scaled, options_.min_within);
  std::optional<engine::Entry> found;
  timeline_->wait_until(
      [&](const std::vector<engine::Entry>& entries) {
        for (std::size_t i = from; i < entries.size(); ++i) {
          if (matches(entries[i])) {
            found = entries[i];
            return true;
          }
        }
        return false;
      },
      engine::Clock::now() + scaled);
  if (found) return entry_json(*found, timeline_->start());
  if (interrupted_) return nullptr;
  std::string what = kind + (match.empty() ? "" : " with " + fields_text(match));
  if (own_result) what += " for transaction " + txn_id;
  throw TimeoutError("station " + name_ + ": no " + what + " within " +
                         std::to_string(scaled.count()) + "ms (" + std::to_string(timeout.count()) +
                         "ms scenario time, since " + since + ")\n" + recent_text(kRecentEntries),
                     recent(kRecentEntries));
}

json SessionHandle::capabilities() const {
  const rig::terminal::TerminalDriver& term = station_.terminal();
  const rig::terminal::Capabilities& caps = term.capabilities();
  json j = {{"driver", term.driver_name()},
            {"commands", json::array()},
            {"observations", json::array()},
            {"status_fields", caps.status_fields},
            {"faults", caps.faults},
            {"prompt_kinds", caps.prompt_kinds},
            {"prompt_tries_left", caps.prompt_tries_left},
            {"event_kinds", caps.event_kinds},
            {"methods", caps.methods},
            {"transaction_ids", caps.transaction_ids}};
  for (auto k : caps.commands) j["commands"].push_back(rig::terminal::to_string(k));
  for (auto k : caps.observations) j["observations"].push_back(rig::terminal::to_string(k));
  return j;
}

std::size_t SessionHandle::size() const { return timeline_->size(); }

json SessionHandle::timeline(std::size_t first) const { return timeline_->to_json(first); }

json SessionHandle::recent(std::size_t count) const {
  std::size_t size = timeline_->size();
  return timeline_->to_json(size > count ? size - count : 0);
}

std::string SessionHandle::recent_text(std::size_t count) const {
  std::vector<engine::Entry> shown;
  for (const auto& e : timeline_->snapshot()) {
    if (e.kind != engine::EntryKind::ecr_in && e.kind != engine::EntryKind::ecr_out) {
      shown.push_back(e);
    }
  }
  std::size_t first = shown.size() > count ? shown.size() - count : 0;
  std::string out = "recent timeline of station " + name_ + " (ECR frames left out):";
  if (shown.empty()) out += " empty";
  for (std::size_t i = first; i < shown.size(); ++i) {
    const engine::Entry& e = shown[i];
    double ms = std::chrono::duration<double, std::milli>(e.at - timeline_->start()).count();
    char head[64];
    std::snprintf(head, sizeof head, "\n  %10.1fms  %-14s ", ms, engine::to_string(e.kind));
    std::string line = fields_text(e.fields);
    if (line.size() > 200) line = line.substr(0, 197) + "...";
    out += head + line;
  }
  return out;
}

json SessionHandle::ledger() {
  std::lock_guard<std::mutex> lock(call_mu_);
  check_open();
  return session_->ledger();
}

std::vector<report::CheckResult> SessionHandle::checks() const {
  std::lock_guard<std::mutex> lock(call_mu_);
  return session_ ? session_->checks() : final_checks_;
}

std::string SessionHandle::transaction_id() const {
  std::lock_guard<std::mutex> lock(call_mu_);
  return session_ ? session_->transaction_id() : std::string();
}

std::string SessionHandle::restore() {
  std::lock_guard<std::mutex> lock(call_mu_);
  check_open();
  return session_->restore();
}

void SessionHandle::verify(const scenario::SourceLoc& where) {
  std::lock_guard<std::mutex> lock(call_mu_);
  check_open();
  if (verified_) return;
  verified_ = true;
  const std::string error = session_->restore();
  if (interrupted_) return;
  if (!error.empty()) throw engine::InfrastructureError("station " + name_ + ": " + error);
  const std::size_t before = session_->checks().size();
  if (session_->finish(where).empty()) return;
  const auto& all = session_->checks();
  for (std::size_t i = before; i < all.size(); ++i) {
    if (all[i].passed) continue;
    const report::CheckResult& check = all[i];
    throw CheckFailedError(check.where + ": check failed: " + check.what +
                               "\n  expected: " + check.expected + "\n  actual:   " + check.actual +
                               "\n" + recent_text(kRecentEntries),
                           check, recent(kRecentEntries));
  }
}

std::string SessionHandle::close() {
  std::string error;
  {
    std::lock_guard<std::mutex> lock(call_mu_);
    if (closed_) return "";
    closed_ = true;
    error = session_->restore();
    final_checks_ = session_->checks();
    session_.reset();  // detaches its timeline from the station
  }
  bench_->release(name_);
  return error;
}

bool SessionHandle::closed() const {
  std::lock_guard<std::mutex> lock(call_mu_);
  return closed_;
}

void SessionHandle::interrupt() {
  interrupted_ = true;
  timeline_->interrupt();
}

void SessionHandle::close_if_interrupted() {
  if (interrupted_) close();
}

// ---------------------------------------------------------------------------------------------

void DefineStation(py::module_& m) {
  py::class_<SessionHandle, std::shared_ptr<SessionHandle>>(
      m, "SessionHandle",
      "One station driven step by step (native part of posrig.Station); made by "
      "BenchHandle.open().")
      .def_property_readonly("name", &SessionHandle::name)
      .def_property_readonly("time_scale", &SessionHandle::time_scale)
      .def_property_readonly("capabilities", &SessionHandle::capabilities,
                             "The terminal driver and what it can do: {driver, commands, "
                             "observations, status_fields, faults, prompt_kinds, "
                             "prompt_tries_left, event_kinds, methods, transaction_ids}.")
      // Sends ECR frames, drives fixtures over sockets, waits for the terminal.
      .def(
          "step",
          [](SessionHandle& s, const scenario::Step& step) {
            report::StepResult result;
            {
              CtrlC ctrl_c([&s] { s.interrupt(); });
              result = s.step(step);
            }
            s.close_if_interrupted();
            return result;
          },
          py::arg("step"), py::call_guard<py::gil_scoped_release>(),
          "Performs one Step; CheckFailed when an expect does not hold.")
      // Waits for the terminal's messages on the station's timeline.
      .def(
          "wait_for",
          [](SessionHandle& s, const std::string& kind, const json& match, long long timeout_ms,
             const std::string& since, long long first) {
            json entry;
            {
              CtrlC ctrl_c([&s] { s.interrupt(); });
              entry = s.wait_for(kind, match, std::chrono::milliseconds(timeout_ms), since, first);
            }
            s.close_if_interrupted();
            return entry;
          },
          py::arg("kind"), py::arg("match"), py::arg("timeout_ms"),
          py::arg("since") = "transaction", py::arg("first") = -1,
          py::call_guard<py::gil_scoped_release>(),
          "Waits for a timeline entry of `kind` whose fields hold `match`; returns it as a\n"
          "dict {t_ms, kind, fields}, None after Ctrl-C; Timeout when none came. `first`, when\n"
          "0 or more, is the entry index to look from instead of `since`.")
      .def("size", &SessionHandle::size, "number of timeline entries so far")
      .def("timeline", &SessionHandle::timeline, py::arg("first") = 0,
           "The session's timeline as results.json writes it: [{t_ms, kind, fields}, …].")
      .def("recent", &SessionHandle::recent, py::arg("count") = kRecentEntries)
      .def("recent_text", &SessionHandle::recent_text, py::arg("count") = kRecentEntries)
      // HTTP request to vhost's admin endpoint.
      .def("ledger", &SessionHandle::ledger, py::call_guard<py::gil_scoped_release>(),
           "vhost's ledger figures for this terminal now.")
      // Waits while another thread's call holds the session.
      .def("checks", &SessionHandle::checks, py::call_guard<py::gil_scoped_release>())
      // Waits while another thread's call holds the session.
      .def("transaction_id", &SessionHandle::transaction_id,
           py::call_guard<py::gil_scoped_release>())
      // Reverts faults through the fixtures' sockets and processes.
      .def("restore", &SessionHandle::restore, py::call_guard<py::gil_scoped_release>(),
           "Reverts every fault; returns \"\" or why it could not.")
      // Puts the station back (fixtures' sockets, the terminal) and asks the host's evidence.
      .def(
          "verify",
          [](SessionHandle& s, const std::string& file, int line) {
            scenario::SourceLoc where;
            where.file = file;
            where.line = line;
            where.column = 1;
            {
              CtrlC ctrl_c([&s] { s.interrupt(); });
              s.verify(where);
            }
            s.close_if_interrupted();
          },
          py::arg("file"), py::arg("line"), py::call_guard<py::gil_scoped_release>(),
          "Ends the session's scenario as `rig run` does: puts the station back, then runs the\n"
          "evidence checks (money conserved, charged once, reversal fields, display agrees,\n"
          "receipts for approvals) over the whole session; CheckFailed for the first that\n"
          "fails, at file:line. Once per session.")
      // Reverts faults through the fixtures' sockets and processes.
      .def("close", &SessionHandle::close, py::call_guard<py::gil_scoped_release>(),
           "Reverts every fault and releases the station; returns \"\" or why it could not\n"
           "revert.")
      .def_property_readonly("closed", &SessionHandle::closed);
}

}  // namespace posrig_py
