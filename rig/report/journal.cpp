#include "rig/report/journal.h"

#include "rig/report/text.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

namespace rig::report {

using nlohmann::json;

namespace {

constexpr const char* kJournalSchema = "posrig.journal";
constexpr int kJournalVersion = 1;

[[noreturn]] void fail(const std::string& path, const char* what, int err) {
  throw std::runtime_error("cannot write " + path + ": " + what + ": " + std::strerror(err));
}

json planned_json(const PlannedAttempt& p) {
  return {{"id", p.id},         {"attempt", p.attempt}, {"name", p.name},
          {"family", p.family}, {"file", p.file},       {"tags", p.tags}};
}

// The summary of an attempt: everything but its steps, checks and timeline.
ScenarioResult summary_of(ScenarioResult s) {
  s.steps.clear();
  s.steps.shrink_to_fit();
  s.checks.clear();
  s.checks.shrink_to_fit();
  s.faults = json::array();
  s.transcript = json::array();
  s.timeline = json::array();
  return s;
}

std::string iso_of(std::time_t t) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

}  // namespace

Journal::Journal(std::string path, const RunResult& header,
                 const std::vector<PlannedAttempt>& planned)
    : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(path_, "open", errno);
  json plan = json::array();
  for (const auto& p : planned) plan.push_back(planned_json(p));
  json line = {{"journal", kJournalSchema},
               {"version", kJournalVersion},
               {"run", header_json(header)},
               {"planned", std::move(plan)}};
  write_line(dump_safe(line));
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

void Journal::write_line(const std::string& text) {
  std::string line = text + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) throw std::runtime_error("cannot write " + path_ + ": the journal is closed");
  const char* p = line.data();
  std::size_t left = line.size();
  // One write() for the whole line in the common case: a reader never sees half a line from
  // a rig killed between two writes of one line, only (after a power cut) a torn last line.
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path_, "write", errno);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
    bytes_ += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0) fail(path_, "fsync", errno);
}

void Journal::append(const ScenarioResult& s) {
  // Serialised before the lock: stations finishing at once only queue for the write itself.
  write_line(dump_safe(json{{"scenario", to_json(s)}}));
}

void Journal::finish(const RunResult& r) {
  write_line(dump_safe(json{{"end",
                             {{"ended_at", r.ended_at},
                              {"duration_ms", r.duration_ms},
                              {"interrupted", r.interrupted},
                              {"bench_error", r.bench_error}}}}));
  std::lock_guard<std::mutex> lock(mu_);
  ::close(fd_);
  fd_ = -1;
}

std::size_t Journal::bytes_written() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

bool is_journal(const std::string& path) {
  std::ifstream in(path);
  std::string first;
  if (!in || !std::getline(in, first)) return false;
  json j = json::parse(first, nullptr, false);
  return !j.is_discarded() && j.is_object() && j.value("journal", "") == kJournalSchema;
}

RunResult read_journal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read: " + std::strerror(errno));
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(path + ": empty, not a journal");
  json head = json::parse(line, nullptr, false);
  if (head.is_discarded() || !head.is_object() || head.value("journal", "") != kJournalSchema) {
    throw std::runtime_error(path + ": not a posrig journal (first line)");
  }
  if (head.value("version", 0) != kJournalVersion) {
    throw std::runtime_error(
        path + ": journal version " + std::to_string(head.value("version", 0)) +
        " is not supported (this rig reads " + std::to_string(kJournalVersion) + ")");
  }
  RunResult r;
  read_header(head.value("run", json::object()), r);

  auto offsets = std::make_shared<std::vector<std::streamoff>>();
  bool ended = false;
  std::streamoff at = in.tellg();
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    const std::streamoff this_line = at;
    at = in.tellg();
    const bool last = in.peek() == std::char_traits<char>::eof();
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      if (last) break;  // torn by a crash mid-write
      throw std::runtime_error(path + ":" + std::to_string(line_no) + ": not a journal record");
    }
    if (j.contains("scenario")) {
      ScenarioResult s;
      try {
        s = scenario_from_json(j.at("scenario"));
      } catch (const std::exception& e) {
        throw std::runtime_error(path + ":" + std::to_string(line_no) + ": " + e.what());
      }
      if (s.run_id.empty()) s.run_id = r.run_id;
      r.scenarios.push_back(summary_of(std::move(s)));
      offsets->push_back(this_line);
    } else if (j.contains("end")) {
      const json& e = j.at("end");
      r.ended_at = e.value("ended_at", "");
      r.duration_ms = e.value("duration_ms", 0.0);
      r.interrupted = e.value("interrupted", false);
      if (r.bench_error.empty()) r.bench_error = e.value("bench_error", "");
      ended = true;
    }
  }
  if (!ended) {
    r.incomplete = true;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) r.ended_at = iso_of(st.st_mtime);
  }

  // Every planned attempt the journal does not report: not run.
  std::set<std::pair<std::string, int>> done;
  for (const auto& s : r.scenarios) done.insert({s.id, s.attempt});
  for (const auto& pj : head.value("planned", json::array())) {
    PlannedAttempt p{pj.value("id", ""),   pj.value("attempt", 1),
                     pj.value("name", ""), pj.value("family", ""),
                     pj.value("file", ""), pj.value("tags", std::vector<std::string>{})};
    if (p.id.empty() || done.count({p.id, p.attempt})) continue;
    ScenarioResult s;
    s.id = p.id;
    s.attempt = p.attempt;
    s.name = p.name;
    s.family = p.family;
    s.file = p.file;
    s.tags = p.tags;
    s.run_id = r.run_id;
    s.status = Status::skipped;
    s.message = !ended ? "no result: the rig stopped (or could not write its journal) before "
                         "this scenario's result was recorded"
                : r.interrupted ? "not run: interrupted before it ran"
                                : "not run";
    r.scenarios.push_back(std::move(s));
    offsets->push_back(-1);
  }
  r.judge();

  // Full records are read back one at a time, by offset.
  auto synthesized = std::make_shared<std::map<std::size_t, ScenarioResult>>();
  for (std::size_t i = 0; i < offsets->size(); ++i) {
    if ((*offsets)[i] < 0) (*synthesized)[i] = r.scenarios[i];
  }
  r.loader = [path, offsets, synthesized](std::size_t i) {
    if ((*offsets).at(i) < 0) return synthesized->at(i);
    std::ifstream f(path, std::ios::binary);
    f.seekg((*offsets)[i]);
    std::string text;
    if (!f || !std::getline(f, text))
      throw std::runtime_error(path + ": cannot read back a record");
    ScenarioResult s = scenario_from_json(json::parse(text).at("scenario"));
    return s;
  };
  return r;
}

}  // namespace rig::report
