#include "rig/report/results.h"

#include "rig/report/text.h"

#include <ctime>
#include <ostream>
#include <set>
#include <stdexcept>

namespace rig::report {

using nlohmann::json;

const char* to_string(Status s) {
  switch (s) {
    case Status::pass:
      return "pass";
    case Status::fail:
      return "fail";
    case Status::error:
      return "error";
    case Status::skipped:
      return "skipped";
    case Status::flaky:
      return "flaky";
  }
  return "?";
}

std::optional<Status> status_from_string(const std::string& s) {
  for (Status st : {Status::pass, Status::fail, Status::error, Status::skipped, Status::flaky}) {
    if (s == to_string(st)) return st;
  }
  return std::nullopt;
}

Status outcome_of(const std::vector<Status>& attempts) {
  bool passed = false, failed = false, errored = false;
  for (Status s : attempts) {
    passed = passed || s == Status::pass || s == Status::flaky;
    failed = failed || s == Status::fail || s == Status::flaky;
    errored = errored || s == Status::error;
  }
  if (passed && (failed || errored)) return Status::flaky;
  if (passed) return Status::pass;
  if (failed) return Status::fail;
  if (errored) return Status::error;
  return Status::skipped;
}

ScenarioResult RunResult::detail(std::size_t i) const {
  if (!loader) return scenarios.at(i);
  ScenarioResult full = loader(i);
  // The judged fields live on the summaries.
  full.attempts = scenarios.at(i).attempts;
  full.outcome = scenarios.at(i).outcome;
  if (full.run_id.empty()) full.run_id = scenarios.at(i).run_id;
  return full;
}

void RunResult::judge() {
  std::map<std::string, std::vector<Status>> by_id;
  for (const auto& s : scenarios) by_id[s.id].push_back(s.status);
  for (auto& s : scenarios) {
    const auto& all = by_id[s.id];
    s.attempts = static_cast<int>(all.size());
    s.outcome = outcome_of(all);
  }
}

RunResult::Counts RunResult::counts() const {
  std::map<std::string, std::vector<Status>> by_id;
  for (const auto& s : scenarios) by_id[s.id].push_back(s.status);
  Counts c;
  c.attempts = static_cast<int>(scenarios.size());
  for (const auto& [id, all] : by_id) {
    switch (outcome_of(all)) {
      case Status::pass:
        ++c.pass;
        break;
      case Status::fail:
        ++c.fail;
        break;
      case Status::error:
        ++c.error;
        break;
      case Status::skipped:
        ++c.skipped;
        break;
      case Status::flaky:
        ++c.flaky;
        break;
    }
  }
  return c;
}

int RunResult::exit_code() const {
  Counts c = counts();
  if (c.fail > 0) return 1;
  if (c.error > 0) return 3;
  // An attempt the rig could not judge (a service died, a station fell out) is an infrastructure
  // error even when another attempt of the scenario passed: "flaky" must not turn it into 0.
  // Attempts carried from an earlier run (--rerun-failed) were that run's verdict, not this one's.
  for (const auto& s : scenarios)
    if (s.status == Status::error && (s.run_id.empty() || s.run_id == run_id)) return 3;
  return 0;
}

std::map<std::string, std::string> terminal_versions(const RunResult& r) {
  std::map<std::string, std::set<std::string>> seen;
  for (const auto& s : r.scenarios) {
    if (!s.terminal_version.empty() && !s.station.empty())
      seen[s.station].insert(s.terminal_version);
  }
  for (const auto& st : r.stations) {
    if (!st.version.empty() && !seen.count(st.name)) seen[st.name].insert(st.version);
  }
  std::map<std::string, std::string> out;
  for (const auto& [station, versions] : seen) {
    std::string text;
    for (const auto& v : versions) text += (text.empty() ? "" : ", ") + v;
    out[station] = text;
  }
  return out;
}

json to_json(const ScenarioResult& s) {
  json steps = json::array();
  for (const auto& st : s.steps) {
    steps.push_back({{"where", st.where},
                     {"name", st.name},
                     {"summary", st.summary},
                     {"start_ms", st.start_ms},
                     {"end_ms", st.end_ms},
                     {"ok", st.ok},
                     {"message", st.message}});
  }
  json checks = json::array();
  for (const auto& c : s.checks) {
    checks.push_back({{"where", c.where},
                      {"what", c.what},
                      {"passed", c.passed},
                      {"expected", c.expected},
                      {"actual", c.actual},
                      {"at_ms", c.at_ms}});
  }
  return {{"id", s.id},
          {"name", s.name},
          {"family", s.family},
          {"file", s.file},
          {"tags", s.tags},
          {"station", s.station},
          {"attempt", s.attempt},
          {"status", to_string(s.status)},
          {"run_id", s.run_id},
          {"message", s.message},
          {"started_at", s.started_at},
          {"duration_ms", s.duration_ms},
          {"terminal_version", s.terminal_version},
          {"steps", steps},
          {"checks", checks},
          {"faults", s.faults},
          {"transcript", s.transcript},
          {"timeline", s.timeline}};
}

ScenarioResult scenario_from_json(const json& sj) {
  if (!sj.is_object()) throw std::runtime_error("a scenario entry is not an object");
  ScenarioResult s;
  s.id = sj.value("id", "");
  if (s.id.empty()) throw std::runtime_error("a scenario entry has no id");
  s.name = sj.value("name", "");
  s.family = sj.value("family", "");
  s.file = sj.value("file", "");
  s.tags = sj.value("tags", std::vector<std::string>{});
  s.station = sj.value("station", "");
  s.attempt = sj.value("attempt", 1);
  if (s.attempt < 1) throw std::runtime_error("scenario " + s.id + ": attempt must be 1 or more");
  auto st = status_from_string(sj.value("status", ""));
  if (!st) throw std::runtime_error("scenario " + s.id + ": unknown status");
  s.status = *st;
  s.outcome = s.status;
  s.run_id = sj.value("run_id", "");
  s.message = sj.value("message", "");
  s.started_at = sj.value("started_at", "");
  s.duration_ms = sj.value("duration_ms", 0.0);
  s.terminal_version = sj.value("terminal_version", "");
  for (const auto& stj : sj.value("steps", json::array())) {
    s.steps.push_back({stj.value("where", ""), stj.value("name", ""), stj.value("summary", ""),
                       stj.value("start_ms", 0.0), stj.value("end_ms", 0.0), stj.value("ok", true),
                       stj.value("message", "")});
  }
  for (const auto& cj : sj.value("checks", json::array())) {
    s.checks.push_back({cj.value("where", ""), cj.value("what", ""), cj.value("passed", false),
                        cj.value("expected", ""), cj.value("actual", ""), cj.value("at_ms", 0.0)});
  }
  s.faults = sj.value("faults", json::array());
  s.transcript = sj.value("transcript", json::array());
  s.timeline = sj.value("timeline", json::array());
  return s;
}

json header_json(const RunResult& r) {
  json stations = json::array();
  for (const auto& st : r.stations) {
    stations.push_back({{"name", st.name},
                        {"driver", st.driver},
                        {"link", st.link},
                        {"error", st.error},
                        {"version", st.version}});
  }
  return {{"schema", "posrig.results"},
          {"schema_version", kSchemaVersion},
          {"run_id", r.run_id},
          {"rig_version", r.rig_version},
          {"bench", {{"name", r.bench_name}, {"file", r.bench_file}}},
          {"host", r.host},
          {"started_at", r.started_at},
          {"ended_at", r.ended_at},
          {"duration_ms", r.duration_ms},
          {"interrupted", r.interrupted},
          {"incomplete", r.incomplete},
          {"shard", r.shard},
          {"variables", r.variables},
          {"overrides", r.overrides},
          {"seed", r.seed},
          {"shuffle", r.shuffle},
          {"git", {{"commit", r.git_commit}, {"branch", r.git_branch}}},
          {"rerun_of", r.rerun_of},
          {"merged_from", r.merged_from},
          {"bench_error", r.bench_error},
          {"stations", stations}};
}

void read_header(const json& j, RunResult& r) {
  r.run_id = j.value("run_id", "");
  r.rig_version = j.value("rig_version", "");
  json bench = j.value("bench", json::object());
  r.bench_name = bench.value("name", "");
  r.bench_file = bench.value("file", "");
  r.host = j.value("host", "");
  r.started_at = j.value("started_at", "");
  r.ended_at = j.value("ended_at", "");
  r.duration_ms = j.value("duration_ms", 0.0);
  r.interrupted = j.value("interrupted", false);
  r.incomplete = j.value("incomplete", false);
  r.shard = j.value("shard", "");
  r.variables = j.value("variables", std::map<std::string, std::string>{});
  r.overrides = j.value("overrides", std::map<std::string, std::string>{});
  r.seed = j.value("seed", "");
  r.shuffle = j.value("shuffle", false);
  json git = j.value("git", json::object());
  r.git_commit = git.value("commit", "");
  r.git_branch = git.value("branch", "");
  r.rerun_of = j.value("rerun_of", "");
  r.merged_from = j.value("merged_from", std::vector<std::string>{});
  r.bench_error = j.value("bench_error", "");
  r.stations.clear();
  for (const auto& sj : j.value("stations", json::array())) {
    r.stations.push_back({sj.value("name", ""), sj.value("driver", ""), sj.value("link", ""),
                          sj.value("error", ""), sj.value("version", "")});
  }
}

namespace {

json summary_json(const RunResult& r) {
  RunResult::Counts c = r.counts();
  return {{"total", c.total()},   {"pass", c.pass},   {"fail", c.fail},        {"error", c.error},
          {"skipped", c.skipped}, {"flaky", c.flaky}, {"attempts", c.attempts}};
}

json judged(const ScenarioResult& s) {
  json j = to_json(s);
  j["attempts"] = s.attempts;
  j["outcome"] = to_string(s.outcome);
  return j;
}

}  // namespace

json to_json(const RunResult& r) {
  RunResult run = r;
  run.judge();
  json doc = header_json(run);
  doc["summary"] = summary_json(run);
  json scenarios = json::array();
  for (std::size_t i = 0; i < run.scenarios.size(); ++i) scenarios.push_back(judged(run.detail(i)));
  doc["scenarios"] = std::move(scenarios);
  return doc;
}

void write_json(const RunResult& r, std::ostream& out) {
  // The header, then one attempt at a time (read from the journal when `r` holds summaries):
  // the document is never held whole. Judging copies the summaries only. The scenarios go
  // where a placeholder stands.
  RunResult judged_run = r;
  judged_run.judge();
  const RunResult* run = &judged_run;
  json doc = header_json(*run);
  doc["summary"] = summary_json(*run);
  const std::string placeholder = "\x01scenarios\x01";
  doc["scenarios"] = placeholder;
  std::string text = dump_safe(doc, 1);
  const std::string quoted = json(placeholder).dump();
  std::size_t at = text.find(quoted);
  out << text.substr(0, at) << "[";
  for (std::size_t i = 0; i < run->scenarios.size(); ++i) {
    out << (i ? ",\n" : "\n") << dump_safe(judged(run->detail(i)), 1);
  }
  out << (run->scenarios.empty() ? "]" : "\n]") << text.substr(at + quoted.size()) << "\n";
}

RunResult run_from_json(const json& j) {
  if (!j.is_object() || j.value("schema", "") != "posrig.results") {
    throw std::runtime_error("not a posrig results document (schema is not \"posrig.results\")");
  }
  int version = j.value("schema_version", 0);
  if (version != 1 && version != kSchemaVersion) {
    throw std::runtime_error("results schema_version " + std::to_string(version) +
                             " is not supported (this rig reads 1 and " +
                             std::to_string(kSchemaVersion) + ")");
  }
  RunResult r;
  read_header(j, r);
  if (!j.contains("scenarios") || !j.at("scenarios").is_array()) {
    throw std::runtime_error("results document has no scenarios list");
  }
  for (const auto& sj : j.at("scenarios")) {
    ScenarioResult s = scenario_from_json(sj);
    if (version == 1) s.attempt = 1;
    if (s.run_id.empty()) s.run_id = r.run_id;
    r.scenarios.push_back(std::move(s));
  }
  r.judge();
  return r;
}

std::string utc_now(const char* format) {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, format, &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

std::string utc_now_iso8601() { return utc_now("%Y-%m-%dT%H:%M:%S"); }

}  // namespace rig::report
