#include "rig/report/history.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>

namespace rig::report {

using nlohmann::json;

namespace {

constexpr const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS runs(
  run_id TEXT PRIMARY KEY, started_at TEXT, ended_at TEXT, bench TEXT, bench_file TEXT,
  overrides TEXT, shard TEXT, git_commit TEXT, rig_version TEXT, interrupted INTEGER,
  incomplete INTEGER, rerun_of TEXT, report_dir TEXT);
CREATE TABLE IF NOT EXISTS results(
  run_id TEXT, scenario TEXT, family TEXT, outcome TEXT, attempts INTEGER,
  failed_attempts INTEGER, station TEXT, duration_ms REAL, message TEXT,
  PRIMARY KEY(run_id, scenario));
CREATE INDEX IF NOT EXISTS results_by_scenario ON results(scenario);
)SQL";

struct Db {
  sqlite3* db = nullptr;
  std::string path;
  ~Db() {
    if (db) sqlite3_close(db);
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(path + ": " + what + ": " + (db ? sqlite3_errmsg(db) : "cannot open"));
  }
  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string e = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error(path + ": " + e);
    }
  }
};

struct Stmt {
  sqlite3_stmt* st = nullptr;
  Stmt(Db& db, const char* sql) {
    if (sqlite3_prepare_v2(db.db, sql, -1, &st, nullptr) != SQLITE_OK) db.fail("prepare");
  }
  ~Stmt() { sqlite3_finalize(st); }
  void bind(int i, const std::string& s) {
    sqlite3_bind_text(st, i, s.c_str(), -1, SQLITE_TRANSIENT);
  }
  void bind(int i, long long v) { sqlite3_bind_int64(st, i, v); }
  void bind(int i, double v) { sqlite3_bind_double(st, i, v); }
  std::string text(int i) {
    const unsigned char* t = sqlite3_column_text(st, i);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
};

void open(Db& db, const std::string& path, bool create) {
  db.path = path;
  int flags = create ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) : SQLITE_OPEN_READONLY;
  if (sqlite3_open_v2(path.c_str(), &db.db, flags, nullptr) != SQLITE_OK) db.fail("cannot open");
  sqlite3_busy_timeout(db.db, 10000);  // another run recording at the same moment
}

std::string pairs_text(const std::map<std::string, std::string>& m) {
  std::string out;
  for (const auto& [k, v] : m) out += (out.empty() ? "" : " ") + k + "=" + v;
  return out;
}

char letter(const std::string& outcome) {
  if (outcome == "pass") return 'P';
  if (outcome == "fail") return 'F';
  if (outcome == "error") return 'E';
  if (outcome == "flaky") return '~';
  return '-';
}

}  // namespace

double ScenarioHistory::pass_rate() const {
  int counted = 0, passed = 0;
  for (const auto& o : outcomes) {
    if (o == "skipped") continue;
    ++counted;
    if (o == "pass") ++passed;
  }
  return counted ? static_cast<double>(passed) / counted : 0.0;
}

bool ScenarioHistory::newly_failing() const {
  std::vector<std::string> ran;
  for (const auto& o : outcomes) {
    if (o != "skipped") ran.push_back(o);
  }
  if (ran.size() < 2) return false;
  const std::string& last = ran.back();
  const std::string& before = ran[ran.size() - 2];
  return (last == "fail" || last == "error") && (before == "pass" || before == "flaky");
}

bool ScenarioHistory::flaky() const {
  // A flaky outcome, or passing and failing back and forth: two changes or more between pass
  // and fail (P F P is flaky; P P F is newly failing; F F P is fixed).
  int changes = 0;
  std::string last;
  for (const auto& o : outcomes) {
    if (o == "flaky") return true;
    if (o == "skipped") continue;
    const std::string kind = o == "pass" ? "pass" : "fail";
    if (!last.empty() && kind != last) ++changes;
    last = kind;
  }
  return changes >= 2;
}

void record_history(const std::string& db_path, const RunResult& run,
                    const std::string& report_dir) {
  std::error_code ec;
  std::filesystem::path p(db_path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  Db db;
  open(db, db_path, true);
  db.exec(kSchema);
  db.exec("BEGIN IMMEDIATE");
  try {
    {
      Stmt st(db, "INSERT OR REPLACE INTO runs VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)");
      st.bind(1, run.run_id);
      st.bind(2, run.started_at);
      st.bind(3, run.ended_at);
      st.bind(4, run.bench_name);
      st.bind(5, run.bench_file);
      st.bind(6, pairs_text(run.overrides));
      st.bind(7, run.shard);
      st.bind(8, run.git_commit);
      st.bind(9, run.rig_version);
      st.bind(10, static_cast<long long>(run.interrupted));
      st.bind(11, static_cast<long long>(run.incomplete));
      st.bind(12, run.rerun_of);
      st.bind(13, report_dir);
      if (sqlite3_step(st.st) != SQLITE_DONE) db.fail("insert run");
    }
    {
      Stmt del(db, "DELETE FROM results WHERE run_id = ?1");
      del.bind(1, run.run_id);
      if (sqlite3_step(del.st) != SQLITE_DONE) db.fail("delete results");
    }
    // One row per scenario: its outcome over its attempts.
    struct Agg {
      const ScenarioResult* first = nullptr;
      std::vector<Status> statuses;
      int failed = 0;
      double ms = 0;
      std::string station, message;
    };
    std::map<std::string, Agg> by_id;
    for (const auto& s : run.scenarios) {
      Agg& a = by_id[s.id];
      if (!a.first) a.first = &s;
      a.statuses.push_back(s.status);
      if (s.status == Status::fail || s.status == Status::error) {
        ++a.failed;
        if (a.message.empty()) a.message = s.message;
      }
      a.ms += s.duration_ms;
      if (a.station.empty()) a.station = s.station;
    }
    Stmt ins(db, "INSERT INTO results VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)");
    for (const auto& [id, a] : by_id) {
      sqlite3_reset(ins.st);
      ins.bind(1, run.run_id);
      ins.bind(2, id);
      ins.bind(3, a.first->family);
      ins.bind(4, std::string(to_string(outcome_of(a.statuses))));
      ins.bind(5, static_cast<long long>(a.statuses.size()));
      ins.bind(6, static_cast<long long>(a.failed));
      ins.bind(7, a.station);
      ins.bind(8, a.ms);
      ins.bind(9, a.message.substr(0, 2000));
      if (sqlite3_step(ins.st) != SQLITE_DONE) db.fail("insert result");
    }
    db.exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db.db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<ConfigHistory> read_history(const std::string& db_path, int last_runs,
                                        const std::string& bench) {
  if (!std::filesystem::exists(db_path)) {
    throw std::runtime_error(db_path + ": no history yet (every `rig run` adds to it)");
  }
  Db db;
  open(db, db_path, false);
  // Configurations, most recently run first.
  std::vector<ConfigHistory> out;
  {
    Stmt st(
        db,
        "SELECT bench, overrides, COUNT(*), MIN(started_at), MAX(started_at) FROM runs "
        "WHERE (?1 = '' OR bench = ?1) GROUP BY bench, overrides ORDER BY MAX(started_at) DESC");
    st.bind(1, bench);
    while (sqlite3_step(st.st) == SQLITE_ROW) {
      ConfigHistory c;
      c.bench = st.text(0);
      c.overrides = st.text(1);
      c.runs = sqlite3_column_int(st.st, 2);
      c.first_started_at = st.text(3);
      c.last_started_at = st.text(4);
      out.push_back(std::move(c));
    }
  }
  for (auto& c : out) {
    // The last N runs of this configuration, then each scenario's outcomes in them.
    Stmt st(db,
            "SELECT r.scenario, r.outcome, r.run_id, r.message FROM results r JOIN ("
            "  SELECT run_id, started_at FROM runs WHERE bench = ?1 AND overrides = ?2"
            "  ORDER BY started_at DESC LIMIT ?3) w ON r.run_id = w.run_id "
            "ORDER BY r.scenario, w.started_at");
    st.bind(1, c.bench);
    st.bind(2, c.overrides);
    st.bind(3, static_cast<long long>(last_runs));
    std::map<std::string, ScenarioHistory> by_id;
    while (sqlite3_step(st.st) == SQLITE_ROW) {
      ScenarioHistory& h = by_id[st.text(0)];
      h.id = st.text(0);
      h.outcomes.push_back(st.text(1));
      h.run_ids.push_back(st.text(2));
      if (h.outcomes.back() != "pass" && h.outcomes.back() != "skipped")
        h.last_message = st.text(3);
    }
    for (auto& [id, h] : by_id) c.scenarios.push_back(std::move(h));
    std::stable_sort(c.scenarios.begin(), c.scenarios.end(),
                     [](const ScenarioHistory& a, const ScenarioHistory& b) {
                       return a.pass_rate() != b.pass_rate() ? a.pass_rate() < b.pass_rate()
                                                             : a.id < b.id;
                     });
    c.runs = std::min(c.runs, last_runs);
  }
  return out;
}

std::string history_text(const std::vector<ConfigHistory>& h, int last_runs) {
  std::string out;
  char line[1024];
  for (const auto& c : h) {
    std::snprintf(line, sizeof line, "bench %s, %s: last %d run(s), %s .. %s\n", c.bench.c_str(),
                  c.overrides.empty() ? "bench defaults" : ("--var " + c.overrides).c_str(), c.runs,
                  c.first_started_at.c_str(), c.last_started_at.c_str());
    out += line;
    auto recent = [](const ScenarioHistory& s) {
      std::string r;
      for (const auto& o : s.outcomes) r += letter(o);
      return r;
    };
    int newly = 0, flaky = 0;
    for (const auto& s : c.scenarios) {
      if (s.newly_failing()) {
        if (newly++ == 0)
          out += "  newly failing (failed in its latest run, passed the run before):\n";
        std::snprintf(line, sizeof line, "    %-44s %s  %s\n", s.id.c_str(), recent(s).c_str(),
                      s.last_message.substr(0, 160).c_str());
        out += line;
      }
    }
    for (const auto& s : c.scenarios) {
      if (s.flaky()) {
        if (flaky++ == 0) out += "  flaky (a flaky run, or passed and failed back and forth):\n";
        std::snprintf(line, sizeof line, "    %-44s %5.0f%%  %s\n", s.id.c_str(),
                      s.pass_rate() * 100, recent(s).c_str());
        out += line;
      }
    }
    if (newly == 0) out += "  newly failing: none\n";
    if (flaky == 0) out += "  flaky: none\n";
    std::snprintf(line, sizeof line,
                  "  pass rate per scenario (last %d runs; P pass, F fail, E error, ~ flaky, - "
                  "skipped; oldest first):\n",
                  last_runs);
    out += line;
    for (const auto& s : c.scenarios) {
      std::snprintf(line, sizeof line, "    %-44s %4d run(s) %5.0f%%  %s\n", s.id.c_str(), s.runs(),
                    s.pass_rate() * 100, recent(s).c_str());
      out += line;
    }
    out += "\n";
  }
  if (h.empty()) out += "no runs recorded\n";
  return out;
}

json history_json(const std::vector<ConfigHistory>& h) {
  json out = json::array();
  for (const auto& c : h) {
    json scenarios = json::array();
    for (const auto& s : c.scenarios) {
      scenarios.push_back({{"id", s.id},
                           {"runs", s.runs()},
                           {"pass_rate", s.pass_rate()},
                           {"outcomes", s.outcomes},
                           {"run_ids", s.run_ids},
                           {"newly_failing", s.newly_failing()},
                           {"flaky", s.flaky()},
                           {"last_message", s.last_message}});
    }
    out.push_back({{"bench", c.bench},
                   {"overrides", c.overrides},
                   {"runs", c.runs},
                   {"first_started_at", c.first_started_at},
                   {"last_started_at", c.last_started_at},
                   {"scenarios", scenarios}});
  }
  return out;
}

}  // namespace rig::report
