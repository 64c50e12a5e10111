#include "rig/report/junit.h"

#include <unistd.h>

#include <map>
#include <set>
#include <sstream>

#include "rig/report/text.h"

namespace rig::report {

namespace {

constexpr std::size_t kTimelineTail = 40;

std::string attr(const std::string& s) { return "\"" + xml_escape(s) + "\""; }

void property(std::ostream& x, const std::string& name, const std::string& value) {
  x << "      <property name=" << attr(name) << " value=" << attr(value) << "/>\n";
}

std::string pairs_text(const std::map<std::string, std::string>& m) {
  std::string out;
  for (const auto& [k, v] : m) out += (out.empty() ? "" : " ") + k + "=" + v;
  return out;
}

struct SuiteCounts {
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  double ms = 0;
};

// Whether an attempt that did not pass belongs to a flaky scenario (reported as a rerun).
bool rerun_of_flaky(const ScenarioResult& s) {
  return s.outcome == Status::flaky && (s.status == Status::fail || s.status == Status::error);
}

void count(SuiteCounts& c, const ScenarioResult& s) {
  ++c.tests;
  c.ms += s.duration_ms;
  if (rerun_of_flaky(s)) return;
  if (s.status == Status::fail) ++c.failures;
  if (s.status == Status::error) ++c.errors;
  if (s.status == Status::skipped) ++c.skipped;
}

void testcase(std::ostream& x, const ScenarioResult& s) {
  x << "    <testcase classname=" << attr(s.family.empty() ? "scenario" : s.family)
    << " name=" << attr(junit_name(s)) << " time=\"" << seconds_text(s.duration_ms) << "\"";
  if (!s.started_at.empty()) x << " timestamp=" << attr(s.started_at);
  x << ">\n";
  const std::string first_line = s.message.substr(0, s.message.find('\n'));
  const bool rerun = rerun_of_flaky(s);
  switch (s.status) {
    case Status::fail:
    case Status::error: {
      // A failed check is a failure, infrastructure trouble an error; a flaky scenario's are
      // reruns.
      const bool fail = s.status == Status::fail;
      const char* element =
          fail ? (rerun ? "rerunFailure" : "failure") : (rerun ? "rerunError" : "error");
      x << "      <" << element << " message=" << attr(first_line) << " type=\""
        << (fail ? "check" : "infrastructure") << "\">" << xml_escape(failure_text(s)) << "</"
        << element << ">\n";
      break;
    }
    case Status::skipped:
      x << "      <skipped message=" << attr(s.message.empty() ? "not run" : s.message) << "/>\n";
      break;
    case Status::pass:
    case Status::flaky:
      break;
  }
  std::ostringstream out;
  out << "scenario  " << s.id << "  " << s.name << "\n"
      << "file      " << s.file << "\n"
      << "station   " << (s.station.empty() ? "-" : s.station) << "\n"
      << "attempt   " << s.attempt << " of " << s.attempts << "; scenario " << to_string(s.outcome)
      << "\n";
  if (!s.terminal_version.empty()) out << "terminal  " << s.terminal_version << "\n";
  if (!s.tags.empty()) {
    out << "tags     ";
    for (const auto& t : s.tags) out << " " << t;
    out << "\n";
  }
  if (s.status == Status::fail || s.status == Status::error) {
    out << "\nsteps:\n";
    for (const auto& st : s.steps) {
      char at[32];
      std::snprintf(at, sizeof at, "+%.1f ms", st.start_ms);
      out << "  " << at << "  " << (st.ok ? "ok  " : "FAIL") << "  " << st.where << "  "
          << (st.summary.empty() ? st.name : st.summary) << (st.ok ? "" : "  -- " + st.message)
          << "\n";
    }
    out << "\n" << timeline_tail(s.timeline, kTimelineTail);
  }
  x << "      <system-out>" << xml_escape(out.str()) << "</system-out>\n";
  x << "    </testcase>\n";
}

}  // namespace

std::string junit_name(const ScenarioResult& s) {
  return s.attempts > 1 ? s.id + "#" + std::to_string(s.attempt) : s.id;
}

void write_junit(const RunResult& run, std::ostream& x) {
  RunResult r = run;  // summaries only when read from a journal
  r.judge();
  std::map<int, std::vector<std::size_t>> by_attempt;
  for (std::size_t i = 0; i < r.scenarios.size(); ++i)
    by_attempt[r.scenarios[i].attempt].push_back(i);
  if (by_attempt.empty()) by_attempt[1];
  std::vector<const StationInfo*> down;
  for (const auto& st : r.stations) {
    if (!st.error.empty()) down.push_back(&st);
  }
  const std::map<std::string, std::string> versions = terminal_versions(r);
  char host[256] = {0};
  std::string hostname = r.host;
  if (hostname.empty() && ::gethostname(host, sizeof host - 1) == 0) hostname = host;

  std::map<int, SuiteCounts> counts;
  SuiteCounts all;
  for (const auto& [attempt, idx] : by_attempt) {
    SuiteCounts& c = counts[attempt];
    for (std::size_t i : idx) count(c, r.scenarios[i]);
    if (attempt == by_attempt.begin()->first) {
      c.tests += static_cast<int>(down.size());
      c.errors += static_cast<int>(down.size());
    }
    all.tests += c.tests;
    all.failures += c.failures;
    all.errors += c.errors;
    all.ms += c.ms;
  }

  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x << "<testsuites name=\"posrig\" tests=\"" << all.tests << "\" failures=\"" << all.failures
    << "\" errors=\"" << all.errors << "\" time=\"" << seconds_text(r.duration_ms) << "\">\n";
  const bool several = by_attempt.size() > 1;
  for (const auto& [attempt, idx] : by_attempt) {
    const SuiteCounts& c = counts[attempt];
    std::string name = "posrig." + (r.bench_name.empty() ? std::string("bench") : r.bench_name);
    if (several) name += " attempt " + std::to_string(attempt);
    x << "  <testsuite name=" << attr(name) << " id=\"" << attempt << "\" tests=\"" << c.tests
      << "\" failures=\"" << c.failures << "\" errors=\"" << c.errors << "\" skipped=\""
      << c.skipped << "\" time=\"" << seconds_text(c.ms) << "\" timestamp=" << attr(r.started_at)
      << " hostname=" << attr(hostname) << ">\n";
    x << "    <properties>\n";
    property(x, "bench", r.bench_name);
    property(x, "bench_file", r.bench_file);
    property(x, "run_id", r.run_id);
    property(x, "rig_version", r.rig_version);
    property(x, "attempt", std::to_string(attempt));
    property(x, "seed", r.seed.empty() ? "none" : r.seed);
    property(x, "shuffle", r.shuffle ? "true" : "false");
    property(x, "overrides", pairs_text(r.overrides));
    for (const auto& [k, v] : r.variables) property(x, "var." + k, v);
    if (!r.git_commit.empty()) property(x, "git_commit", r.git_commit);
    if (!r.git_branch.empty()) property(x, "git_branch", r.git_branch);
    if (!r.shard.empty()) property(x, "shard", r.shard);
    if (!r.rerun_of.empty()) property(x, "rerun_of", r.rerun_of);
    for (const auto& [station, version] : versions) property(x, "terminal." + station, version);
    if (r.interrupted) property(x, "interrupted", "true");
    if (r.incomplete) property(x, "incomplete", "true");
    x << "    </properties>\n";
    if (attempt == by_attempt.begin()->first) {
      for (const StationInfo* st : down) {
        x << "    <testcase classname=\"bench\" name=" << attr("station " + st->name)
          << " time=\"0.000\">\n"
          << "      <error message=" << attr(st->error) << " type=\"infrastructure\">"
          << xml_escape(st->error) << "</error>\n    </testcase>\n";
      }
    }
    for (std::size_t i : idx) {
      const ScenarioResult& summary = r.scenarios[i];
      // Full records only where the text needs them (steps and timeline of a failure).
      if (summary.status == Status::fail || summary.status == Status::error) {
        testcase(x, r.detail(i));
      } else {
        testcase(x, summary);
      }
    }
    x << "  </testsuite>\n";
  }
  x << "</testsuites>\n";
}

std::string to_junit(const RunResult& r) {
  std::ostringstream x;
  write_junit(r, x);
  return x.str();
}

}  // namespace rig::report
