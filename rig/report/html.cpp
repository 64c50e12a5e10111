#include "rig/report/html.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace rig::report {

namespace {

std::string esc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

const char* css() {
  return "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
         "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;"
         "padding:4px 8px;text-align:left;vertical-align:top}"
         ".pass{color:#176f2c}.fail{color:#b00020}.error{color:#a35200}.skipped{color:#666}"
         ".flaky{color:#7a5c00}pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:12px}"
         "details{margin:0.5em 0}summary{cursor:pointer}";
}

}  // namespace

std::string to_html(const RunResult& run) {
  RunResult::Counts c = run.counts();
  std::ostringstream h;
  h << "<!doctype html><html><head><meta charset=\"utf-8\"><title>posrig " << esc(run.bench_name)
    << " " << esc(run.started_at) << "</title><style>" << css() << "</style></head><body>";
  h << "<h1>posrig run on bench " << esc(run.bench_name) << "</h1>";
  h << "<p>" << esc(run.started_at) << " &ndash; " << esc(run.ended_at) << " ("
    << static_cast<long long>(run.duration_ms) << " ms)" << (run.interrupted ? ", <b>interrupted</b>" : "")
    << (run.shard.empty() ? "" : ", shard " + esc(run.shard)) << "</p>";
  h << "<p><b>" << c.total() << "</b> scenarios: <span class=pass>" << c.pass
    << " passed</span>, <span class=fail>" << c.fail << " failed</span>, <span class=error>"
    << c.error << " errors</span>, <span class=skipped>" << c.skipped << " skipped</span></p>";
  h << "<table><tr><th>status</th><th>scenario</th><th>station</th><th>time</th><th>message</th></tr>";
  for (const auto& s : run.scenarios) {
    h << "<tr><td class=" << to_string(s.status) << ">" << to_string(s.status) << "</td><td>"
      << esc(s.id) << "<br><small>" << esc(s.name) << "</small></td><td>" << esc(s.station)
      << "</td><td>" << static_cast<long long>(s.duration_ms) << " ms</td><td>" << esc(s.message)
      << "</td></tr>";
  }
  h << "</table>";
  for (const auto& s : run.scenarios) {
    if (s.status != Status::fail && s.status != Status::error) continue;
    h << "<h2 class=" << to_string(s.status) << ">" << esc(s.id) << "</h2><p>" << esc(s.message)
      << "</p><details><summary>steps</summary><table>";
    for (const auto& st : s.steps) {
      h << "<tr><td>" << st.start_ms << " ms</td><td>" << esc(st.where) << "</td><td>"
        << esc(st.summary) << "</td><td>" << (st.ok ? "" : esc(st.message)) << "</td></tr>";
    }
    h << "</table></details><details><summary>timeline (" << s.timeline.size()
      << " entries)</summary><pre>";
    for (const auto& e : s.timeline) {
      h << esc(std::to_string(e.value("t_ms", 0.0))) << " ms  " << esc(e.value("kind", "")) << "  "
        << esc(e.value("fields", nlohmann::json::object()).dump()) << "\n";
    }
    h << "</pre></details>";
  }
  h << "</body></html>\n";
  return h.str();
}

RunResult merge(const std::vector<RunResult>& runs) {
  if (runs.empty()) throw std::runtime_error("nothing to merge");
  RunResult out = runs.front();
  out.scenarios.clear();
  out.shard.clear();
  out.duration_ms = 0;
  for (const auto& r : runs) {
    if (r.bench_name != out.bench_name) {
      throw std::runtime_error("cannot merge runs of bench '" + r.bench_name + "' and '" +
                               out.bench_name + "'");
    }
    out.started_at = std::min(out.started_at, r.started_at);
    out.ended_at = std::max(out.ended_at, r.ended_at);
    out.duration_ms = std::max(out.duration_ms, r.duration_ms);
    out.interrupted = out.interrupted || r.interrupted;
    out.scenarios.insert(out.scenarios.end(), r.scenarios.begin(), r.scenarios.end());
  }
  std::stable_sort(out.scenarios.begin(), out.scenarios.end(),
                   [](const ScenarioResult& a, const ScenarioResult& b) { return a.id < b.id; });
  return out;
}

}  // namespace rig::report
