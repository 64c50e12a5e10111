#include "rig/report/allure.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <random>

#include "rig/report/files.h"
#include "rig/report/text.h"

namespace rig::report {

using nlohmann::json;

namespace {

// A random (version 4) UUID.
std::string uuid4(std::mt19937_64& rng) {
  std::uint64_t a = rng(), b = rng();
  a = (a & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;
  b = (b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  char out[40];
  std::snprintf(out, sizeof out, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return out;
}

// A stable identifier of a text (FNV-1a, 64 bits, as 16 hex digits): the same scenario id
// gives the same testCaseId and historyId in every run.
std::string stable_id(const std::string& text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char out[20];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

const char* allure_status(Status s) {
  switch (s) {
    case Status::pass:
      return "passed";
    case Status::fail:
      return "failed";
    case Status::error:
      return "broken";
    case Status::skipped:
      return "skipped";
    case Status::flaky:
      return "passed";
  }
  return "unknown";
}

json label(const std::string& name, const std::string& value) {
  return {{"name", name}, {"value", value}};
}

std::string properties_value(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\n') {
      out += "\\n";
    } else {
      if (c == '\\' || c == '=' || c == ':') out += '\\';
      out += c;
    }
  }
  return out;
}

}  // namespace

long long epoch_ms(const std::string& iso) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<long long>(::timegm(&tm)) * 1000 + ms;
}

void write_allure(const RunResult& run, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create " + dir + ": " + ec.message());
  RunResult r = run;  // summaries only when read from a journal
  r.judge();
  std::mt19937_64 rng(
      std::random_device{}() ^
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  char host_buf[256] = {0};
  std::string host = r.host;
  if (host.empty() && ::gethostname(host_buf, sizeof host_buf - 1) == 0) host = host_buf;

  for (std::size_t i = 0; i < r.scenarios.size(); ++i) {
    const ScenarioResult s = r.detail(i);
    const std::string uuid = uuid4(rng);
    const long long start = epoch_ms(s.started_at);
    const long long stop = start + static_cast<long long>(s.duration_ms);

    json steps = json::array();
    for (const auto& st : s.steps) {
      json step = {{"name", st.summary.empty() ? st.name : st.summary},
                   {"status", st.ok ? "passed" : (s.status == Status::error ? "broken" : "failed")},
                   {"stage", "finished"},
                   {"start", start + static_cast<long long>(st.start_ms)},
                   {"stop", start + static_cast<long long>(st.end_ms)},
                   {"parameters", json::array({{{"name", "where"}, {"value", st.where}}})}};
      if (!st.ok) step["statusDetails"] = {{"message", st.message}};
      steps.push_back(std::move(step));
    }

    json attachments = json::array();
    if (!s.timeline.empty()) {
      const std::string file = uuid + "-timeline.txt";
      write_atomically((fs::path(dir) / file).string(), timeline_text(s.timeline));
      attachments.push_back({{"name", "timeline"}, {"source", file}, {"type", "text/plain"}});
    }
    if (!s.transcript.empty()) {
      const std::string file = uuid + "-transcript.json";
      write_atomically((fs::path(dir) / file).string(), dump_safe(s.transcript, 1) + "\n");
      attachments.push_back({{"name", "transcript (ECR, host, wallet)"},
                             {"source", file},
                             {"type", "application/json"}});
    }

    json labels = json::array({label("parentSuite", "posrig." + r.bench_name),
                               label("suite", s.family), label("subSuite", s.station),
                               label("host", host), label("framework", "posrig"),
                               label("language", "yaml"), label("package", s.family),
                               label("testClass", s.family), label("testMethod", s.id)});
    for (const auto& t : s.tags) labels.push_back(label("tag", t));
    if (!r.overrides.empty()) {
      for (const auto& [k, v] : r.overrides) labels.push_back(label("tag", "var:" + k + "=" + v));
    }

    json details = json::object();
    if (s.status != Status::pass) {
      details["message"] = s.message;
      std::string trace = failure_text(s);
      if (!s.steps.empty()) {
        trace += "\nsteps:\n";
        for (const auto& st : s.steps) {
          trace += "  " + st.where + "  " + (st.ok ? "ok    " : "FAIL  ") +
                   (st.summary.empty() ? st.name : st.summary) +
                   (st.ok ? "" : " -- " + st.message) + "\n";
        }
      }
      details["trace"] = trace;
    }
    if (s.outcome == Status::flaky) details["flaky"] = true;

    json result = {
        {"uuid", uuid},
        {"historyId", stable_id(r.bench_name + "/" + s.id)},
        {"testCaseId", stable_id(s.id)},
        {"fullName", s.id},
        {"name", s.name.empty() ? s.id : s.name},
        {"description", s.file},
        {"status", allure_status(s.status)},
        {"statusDetails", details},
        {"stage", "finished"},
        {"start", start},
        {"stop", stop},
        {"labels", labels},
        {"links", json::array()},
        {"parameters",
         json::array(
             {{{"name", "station"}, {"value", s.station}, {"excluded", true}},
              {{"name", "attempt"}, {"value", std::to_string(s.attempt)}, {"excluded", true}}})},
        {"steps", steps},
        {"attachments", attachments}};
    write_atomically((fs::path(dir) / (uuid + "-result.json")).string(),
                     dump_safe(result, 1) + "\n");
  }

  std::string env;
  env += "bench=" + properties_value(r.bench_name) + "\n";
  env += "bench_file=" + properties_value(r.bench_file) + "\n";
  env += "run_id=" + properties_value(r.run_id) + "\n";
  env += "rig_version=" + properties_value(r.rig_version) + "\n";
  if (!r.git_commit.empty()) env += "git_commit=" + properties_value(r.git_commit) + "\n";
  std::string overrides;
  for (const auto& [k, v] : r.overrides) overrides += (overrides.empty() ? "" : " ") + k + "=" + v;
  env += "overrides=" + properties_value(overrides.empty() ? "none" : overrides) + "\n";
  for (const auto& [k, v] : r.variables)
    env += "var." + properties_value(k) + "=" + properties_value(v) + "\n";
  for (const auto& [station, version] : terminal_versions(r)) {
    env += "terminal." + properties_value(station) + "=" + properties_value(version) + "\n";
  }
  write_atomically((fs::path(dir) / "environment.properties").string(), env);
}

}  // namespace rig::report
