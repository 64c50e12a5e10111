#include "rig/report/html.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "rig/report/html_assets.h"
#include "rig/report/text.h"

namespace rig::report {

using nlohmann::json;

namespace {

// HTML text and attribute values: the XML escaping serves both.
std::string esc(const std::string& text) { return xml_escape(text); }

// JSON for a <script type="application/json"> block: '<' escaped so that no string can end
// the block or open a comment.
std::string script_json(const json& j) {
  std::string s = dump_safe(j);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

int rank(Status s) {
  switch (s) {
    case Status::fail:
      return 0;
    case Status::error:
      return 1;
    case Status::flaky:
      return 2;
    case Status::skipped:
      return 3;
    case Status::pass:
      return 4;
  }
  return 5;
}

const char* verdict_word(const RunResult& r, const RunResult::Counts& c) {
  if (r.incomplete) return "INCOMPLETE";
  if (r.interrupted) return "INTERRUPTED";
  if (c.fail > 0) return "FAILED";
  if (c.error > 0) return "ERROR";
  if (c.total() == 0) return "EMPTY";
  if (c.flaky > 0) return "PASSED, FLAKY";
  return "PASSED";
}

const char* verdict_class(const RunResult& r, const RunResult::Counts& c) {
  if (c.fail > 0) return "fail";
  if (c.error > 0 || r.incomplete || r.interrupted || !r.bench_error.empty()) return "error";
  if (c.flaky > 0) return "flaky";
  return "pass";
}

std::string ms_text(double ms) {
  char buf[32];
  if (ms >= 60000) {
    std::snprintf(buf, sizeof buf, "%dm %02ds", static_cast<int>(ms / 60000),
                  static_cast<int>(ms / 1000) % 60);
  } else if (ms >= 1000) {
    std::snprintf(buf, sizeof buf, "%.2f s", ms / 1000);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f ms", ms);
  }
  return buf;
}

std::string pairs_text(const std::map<std::string, std::string>& m) {
  std::string out;
  for (const auto& [k, v] : m) out += (out.empty() ? "" : " ") + k + "=" + (v.empty() ? "\"\"" : v);
  return out;
}

// One table row: a scenario with all its attempts.
struct Row {
  std::string id;
  std::vector<std::size_t> attempts;  // indices into run.scenarios, in attempt order
  Status outcome = Status::skipped;
};

void fact(std::ostream& h, const std::string& name, const std::string& value_html) {
  h << "<div><dt>" << esc(name) << "</dt><dd>" << value_html << "</dd></div>";
}

void write_header(std::ostream& h, const RunResult& r, const RunResult::Counts& c) {
  const std::string vclass = verdict_class(r, c);
  h << "<header class=\"run " << vclass << "\"><div class=\"verdict\">" << verdict_word(r, c)
    << "</div><div class=\"title\"><h1>posrig &middot; bench " << esc(r.bench_name) << "</h1>"
    << "<div class=\"when\">" << esc(r.started_at) << " &rarr; " << esc(r.ended_at) << " &middot; "
    << ms_text(r.duration_ms) << " &middot; " << c.total() << " scenario(s)";
  if (c.attempts != c.total()) h << ", " << c.attempts << " attempts";
  h << "</div></div></header>";

  if (!r.overrides.empty()) {
    h << "<div class=\"banner vars changed\" id=\"overrides\"><b>Bench variables changed for this "
         "run:</b> <code>"
      << esc(pairs_text(r.overrides))
      << "</code> &mdash; results are not those of the bench's defaults.</div>";
  } else {
    h << "<div class=\"banner vars clean\" id=\"overrides\">Bench variables: defaults (no "
         "<code>--var</code>)</div>";
  }
  if (r.incomplete) {
    h << "<div class=\"banner bad\">Incomplete: the rig stopped before the end of the run (no end "
         "record in its journal). Scenarios it did not report are listed as skipped.</div>";
  }
  if (r.interrupted) {
    h << "<div class=\"banner bad\">Interrupted (Ctrl-C or SIGTERM): the scenario running then is "
         "an error, the scenarios after it were not run.</div>";
  }
  if (!r.bench_error.empty()) {
    h << "<div class=\"banner bad\">The bench did not come up: " << esc(r.bench_error) << "</div>";
  }
  for (const auto& st : r.stations) {
    if (!st.error.empty()) {
      h << "<div class=\"banner bad\">Station " << esc(st.name)
        << " did not come up: " << esc(st.error) << "</div>";
    }
  }

  h << "<dl class=\"facts\">";
  fact(h, "run", esc(r.run_id));
  fact(h, "rig", esc(r.rig_version));
  fact(h, "bench file", esc(r.bench_file));
  if (!r.git_commit.empty()) {
    fact(h, "git",
         "<code>" + esc(r.git_commit.substr(0, 12)) + "</code>" +
             (r.git_branch.empty() ? "" : " (" + esc(r.git_branch) + ")"));
  }
  if (!r.host.empty()) fact(h, "host", esc(r.host));
  if (!r.shard.empty()) fact(h, "shard", esc(r.shard));
  // What replays this run's order: `rig run … --seed N [--shuffle]`.
  if (!r.seed.empty()) {
    fact(h, "seed",
         "<code>" + esc(r.seed) + "</code>" +
             (r.shuffle ? " (shuffled order: replay with <code>--seed " + esc(r.seed) +
                              " --shuffle</code>)"
                        : " (scenarios in the order given)"));
  }
  if (!r.rerun_of.empty()) fact(h, "rerun of", esc(r.rerun_of));
  if (!r.merged_from.empty()) {
    std::string runs;
    for (const auto& m : r.merged_from) runs += (runs.empty() ? "" : ", ") + esc(m);
    fact(h, "merged from", runs);
  }
  const auto versions = terminal_versions(r);
  std::set<std::string> named;
  for (const auto& st : r.stations) {
    auto v = versions.find(st.name);
    std::string text = esc(st.driver) + " " + "<code>" + esc(st.link) + "</code>";
    if (v != versions.end()) text += " &middot; firmware <b>" + esc(v->second) + "</b>";
    if (!st.error.empty()) text += " &middot; <span class=\"st-error\">down</span>";
    fact(h, "station " + st.name, text);
    named.insert(st.name);
  }
  for (const auto& [station, version] : versions) {
    if (!named.count(station))
      fact(h, "station " + station, "firmware <b>" + esc(version) + "</b>");
  }
  std::string vars;
  for (const auto& [k, v] : r.variables) {
    const bool changed = r.overrides.count(k) > 0;
    vars += std::string("<code") + (changed ? " class=\"changed\"" : "") + ">" + esc(k) + "=" +
            esc(v.empty() ? "\"\"" : v) + "</code> ";
  }
  fact(h, "variables", vars.empty() ? "none" : vars);
  h << "</dl>";
}

void write_summary(std::ostream& h, const RunResult::Counts& c) {
  const std::pair<Status, int> parts[] = {{Status::fail, c.fail},
                                          {Status::error, c.error},
                                          {Status::flaky, c.flaky},
                                          {Status::skipped, c.skipped},
                                          {Status::pass, c.pass}};
  h << "<section class=\"summary\"><div class=\"bar\">";
  for (const auto& [s, n] : parts) {
    if (n == 0) continue;
    h << "<span class=\"seg " << to_string(s) << "\" style=\"flex:" << n << "\" title=\"" << n
      << " " << to_string(s) << "\"></span>";
  }
  h << "</div><div class=\"filters\" id=\"filters\">";
  for (const auto& [s, n] : parts) {
    h << "<label class=\"chip " << to_string(s)
      << "\"><input type=\"checkbox\" name=\"status\" value=\"" << to_string(s) << "\" checked> "
      << n << " " << to_string(s) << "</label>";
  }
  h << "<select id=\"f-family\" aria-label=\"family\"><option value=\"\">all "
       "families</option></select>"
    << "<select id=\"f-station\" aria-label=\"station\"><option value=\"\">all "
       "stations</option></select>"
    << "<select id=\"f-tag\" aria-label=\"tag\"><option value=\"\">all tags</option></select>"
    << "<input id=\"f-text\" type=\"search\" placeholder=\"search id, name, message\">"
    << "<span id=\"shown\"></span></div></section>";
}

json attempt_json(const ScenarioResult& s, bool with_detail) {
  json a = {{"attempt", s.attempt},
            {"status", to_string(s.status)},
            {"station", s.station},
            {"duration_ms", s.duration_ms},
            {"started_at", s.started_at},
            {"message", s.message},
            {"terminal_version", s.terminal_version},
            {"run_id", s.run_id}};
  if (!with_detail) {
    a["detail"] = nullptr;
    return a;
  }
  json record = to_json(s);
  a["detail"] = {{"steps", std::move(record["steps"])},
                 {"checks", std::move(record["checks"])},
                 {"timeline", std::move(record["timeline"])}};
  return a;
}

}  // namespace

void write_html(const RunResult& run, std::ostream& h) {
  RunResult r = run;  // summaries only when read from a journal
  r.judge();
  const RunResult::Counts c = r.counts();

  std::map<std::string, Row> by_id;
  for (std::size_t i = 0; i < r.scenarios.size(); ++i) {
    Row& row = by_id[r.scenarios[i].id];
    row.id = r.scenarios[i].id;
    row.attempts.push_back(i);
    row.outcome = r.scenarios[i].outcome;
  }
  std::vector<Row> rows;
  for (auto& [id, row] : by_id) {
    std::stable_sort(row.attempts.begin(), row.attempts.end(), [&](std::size_t a, std::size_t b) {
      return r.scenarios[a].attempt < r.scenarios[b].attempt;
    });
    rows.push_back(std::move(row));
  }
  // Failures first; within one status, the scenarios that ran before those that did not.
  auto ran = [&](const Row& row) {
    for (std::size_t i : row.attempts) {
      if (!r.scenarios[i].station.empty()) return true;
    }
    return false;
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    if (rank(a.outcome) != rank(b.outcome)) return rank(a.outcome) < rank(b.outcome);
    if (ran(a) != ran(b)) return ran(a);
    return a.id < b.id;
  });

  std::string title = std::string(verdict_word(r, c)) + " · " + r.bench_name;
  if (!r.overrides.empty()) title += " [" + pairs_text(r.overrides) + "]";
  title += " · " + r.started_at + " · posrig";
  h << "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
    << "<title>" << esc(title) << "</title><style>" << html_css() << "</style></head><body>";
  write_header(h, r, c);
  write_summary(h, c);

  h << "<table class=\"scenarios\" id=\"scenarios\"><thead><tr><th>status</th><th>scenario</th>"
       "<th>family</th><th>station</th><th>attempts</th><th>time</th><th>first failure / "
       "reason</th></tr></thead><tbody>";
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const Row& row = rows[k];
    const ScenarioResult& first = r.scenarios[row.attempts.front()];
    std::set<std::string> stations;
    double ms = 0;
    std::string message;
    std::string attempts_text;
    for (std::size_t i : row.attempts) {
      const ScenarioResult& a = r.scenarios[i];
      if (!a.station.empty()) stations.insert(a.station);
      ms += a.duration_ms;
      if (message.empty() && a.status != Status::pass) message = a.message;
      attempts_text += std::string(attempts_text.empty() ? "" : " ") + "<span class=\"dot " +
                       to_string(a.status) + "\" title=\"attempt " + std::to_string(a.attempt) +
                       ": " + to_string(a.status) + "\"></span>";
    }
    std::string station_list, tags;
    for (const auto& s : stations) station_list += (station_list.empty() ? "" : " ") + s;
    for (const auto& t : first.tags) tags += (tags.empty() ? "" : " ") + t;
    std::string text = row.id + " " + first.name + " " + message;
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    const char* st = to_string(row.outcome);
    h << "<tr class=\"sc " << st << "\" data-k=\"" << k << "\" data-status=\"" << st
      << "\" data-family=\"" << esc(first.family) << "\" data-station=\"" << esc(station_list)
      << "\" data-tags=\"" << esc(tags) << "\" data-text=\"" << esc(text) << "\" tabindex=\"0\">"
      << "<td><span class=\"badge " << st << "\">" << st << "</span></td><td><b>" << esc(row.id)
      << "</b><br><small>" << esc(first.name) << "</small></td><td>" << esc(first.family)
      << "</td><td>" << esc(station_list) << "</td><td>" << attempts_text << "</td><td>"
      << ms_text(ms) << "</td><td class=\"msg\">" << esc(message) << "</td></tr>"
      << "<tr class=\"detail\" id=\"detail-" << k << "\" hidden><td colspan=\"7\"></td></tr>";
  }
  h << "</tbody></table>";
  if (rows.empty()) h << "<p class=\"empty\">No scenario in this run.</p>";

  // Attempt details, one block per scenario, read one attempt at a time.
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const Row& row = rows[k];
    const ScenarioResult& first = r.scenarios[row.attempts.front()];
    json block = {{"id", row.id},
                  {"name", first.name},
                  {"file", first.file},
                  {"family", first.family},
                  {"tags", first.tags},
                  {"outcome", to_string(row.outcome)},
                  {"attempts", json::array()}};
    for (std::size_t n = 0; n < row.attempts.size(); ++n) {
      std::size_t i = row.attempts[n];
      const ScenarioResult& a = r.scenarios[i];
      // A scenario that always passed carries one attempt's detail (its last); any other
      // carries all, so that a flaky one's passes and failures can be compared.
      const bool with_detail = a.status != Status::skipped &&
                               (row.outcome != Status::pass || n + 1 == row.attempts.size());
      block["attempts"].push_back(attempt_json(with_detail ? r.detail(i) : a, with_detail));
    }
    h << "<script type=\"application/json\" id=\"sc-" << k << "\">" << script_json(block)
      << "</script>";
  }
  h << "<footer>posrig " << esc(r.rig_version) << " &middot; results.json holds the full record "
    << "&middot; " << esc(r.run_id) << "</footer>";
  h << "<script>" << html_script() << "</script></body></html>\n";
}

std::string to_html(const RunResult& run) {
  std::ostringstream h;
  write_html(run, h);
  return h.str();
}

}  // namespace rig::report
