#include "rig/report/results.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace rig::report {

const char* to_string(Status s) {
  switch (s) {
    case Status::pass: return "pass";
    case Status::fail: return "fail";
    case Status::error: return "error";
    case Status::skipped: return "skipped";
    case Status::flaky: return "flaky";
  }
  return "?";
}

std::optional<Status> status_from_string(const std::string& s) {
  for (Status st : {Status::pass, Status::fail, Status::error, Status::skipped, Status::flaky}) {
    if (s == to_string(st)) return st;
  }
  return std::nullopt;
}

RunResult::Counts RunResult::counts() const {
  Counts c;
  for (const auto& s : scenarios) {
    switch (s.status) {
      case Status::pass: ++c.pass; break;
      case Status::fail: ++c.fail; break;
      case Status::error: ++c.error; break;
      case Status::skipped: ++c.skipped; break;
      case Status::flaky: ++c.flaky; break;
    }
  }
  return c;
}

int RunResult::exit_code() const {
  Counts c = counts();
  if (c.fail > 0) return 1;
  if (c.error > 0) return 3;
  return 0;
}

void compact(ScenarioResult& s) {
  if (!s.json_text.empty()) return;
  s.json_text = to_json(s).dump(1);
  s.faults = nlohmann::json::array();
  s.transcript = nlohmann::json::array();
  s.timeline = nlohmann::json::array();
}

nlohmann::json to_json(const ScenarioResult& s) {
  if (!s.json_text.empty()) return nlohmann::json::parse(s.json_text);
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& st : s.steps) {
    steps.push_back({{"where", st.where},
                     {"name", st.name},
                     {"summary", st.summary},
                     {"start_ms", st.start_ms},
                     {"end_ms", st.end_ms},
                     {"ok", st.ok},
                     {"message", st.message}});
  }
  nlohmann::json checks = nlohmann::json::array();
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
          {"status", to_string(s.status)},
          {"attempts", s.attempts},
          {"message", s.message},
          {"started_at", s.started_at},
          {"duration_ms", s.duration_ms},
          {"steps", steps},
          {"checks", checks},
          {"faults", s.faults},
          {"transcript", s.transcript},
          {"timeline", s.timeline}};
}

namespace {

// results.json without its scenarios.
nlohmann::json document_head(const RunResult& r) {
  RunResult::Counts c = r.counts();
  return {{"schema", "posrig.results"},
          {"schema_version", kSchemaVersion},
          {"run_id", r.run_id},
          {"rig_version", r.rig_version},
          {"bench", {{"name", r.bench_name}, {"file", r.bench_file}}},
          {"started_at", r.started_at},
          {"ended_at", r.ended_at},
          {"duration_ms", r.duration_ms},
          {"interrupted", r.interrupted},
          {"shard", r.shard},
          {"summary",
           {{"total", c.total()},
            {"pass", c.pass},
            {"fail", c.fail},
            {"error", c.error},
            {"skipped", c.skipped},
            {"flaky", c.flaky}}}};
}

}  // namespace

nlohmann::json to_json(const RunResult& r) {
  nlohmann::json doc = document_head(r);
  nlohmann::json scenarios = nlohmann::json::array();
  for (const auto& s : r.scenarios) scenarios.push_back(to_json(s));
  doc["scenarios"] = std::move(scenarios);
  return doc;
}

std::string to_json_text(const RunResult& r) {
  // The document without its scenarios, then the scenarios' texts spliced in where a
  // placeholder stands (a string no scenario text can contain: JSON escapes control bytes).
  nlohmann::json doc = document_head(r);
  const std::string placeholder = "\x01scenarios\x01";
  doc["scenarios"] = placeholder;
  std::string text = doc.dump(1) + "\n";
  std::string list = "[";
  for (std::size_t i = 0; i < r.scenarios.size(); ++i) {
    const ScenarioResult& s = r.scenarios[i];
    list += i ? ",\n" : "\n";
    list += s.json_text.empty() ? to_json(s).dump(1) : s.json_text;
  }
  list += r.scenarios.empty() ? "]" : "\n]";
  const std::string quoted = nlohmann::json(placeholder).dump();
  text.replace(text.find(quoted), quoted.size(), list);
  return text;
}

RunResult run_from_json(const nlohmann::json& j) {
  if (j.value("schema", "") != "posrig.results") {
    throw std::runtime_error("not a posrig results document (schema is not \"posrig.results\")");
  }
  int version = j.value("schema_version", 0);
  if (version != kSchemaVersion) {
    throw std::runtime_error("results schema_version " + std::to_string(version) +
                             " is not supported (this rig reads " +
                             std::to_string(kSchemaVersion) + ")");
  }
  RunResult r;
  r.run_id = j.value("run_id", "");
  r.rig_version = j.value("rig_version", "");
  r.bench_name = j["bench"].value("name", "");
  r.bench_file = j["bench"].value("file", "");
  r.started_at = j.value("started_at", "");
  r.ended_at = j.value("ended_at", "");
  r.duration_ms = j.value("duration_ms", 0.0);
  r.interrupted = j.value("interrupted", false);
  r.shard = j.value("shard", "");
  for (const auto& sj : j.at("scenarios")) {
    ScenarioResult s;
    s.id = sj.value("id", "");
    s.name = sj.value("name", "");
    s.family = sj.value("family", "");
    s.file = sj.value("file", "");
    s.tags = sj.value("tags", std::vector<std::string>{});
    s.station = sj.value("station", "");
    auto st = status_from_string(sj.value("status", ""));
    if (!st) throw std::runtime_error("scenario " + s.id + ": unknown status");
    s.status = *st;
    s.attempts = sj.value("attempts", 0);
    s.message = sj.value("message", "");
    s.started_at = sj.value("started_at", "");
    s.duration_ms = sj.value("duration_ms", 0.0);
    for (const auto& stj : sj.value("steps", nlohmann::json::array())) {
      s.steps.push_back({stj.value("where", ""), stj.value("name", ""), stj.value("summary", ""),
                         stj.value("start_ms", 0.0), stj.value("end_ms", 0.0),
                         stj.value("ok", true), stj.value("message", "")});
    }
    for (const auto& cj : sj.value("checks", nlohmann::json::array())) {
      s.checks.push_back({cj.value("where", ""), cj.value("what", ""), cj.value("passed", false),
                          cj.value("expected", ""), cj.value("actual", ""),
                          cj.value("at_ms", 0.0)});
    }
    s.faults = sj.value("faults", nlohmann::json::array());
    s.transcript = sj.value("transcript", nlohmann::json::array());
    s.timeline = sj.value("timeline", nlohmann::json::array());
    r.scenarios.push_back(std::move(s));
  }
  return r;
}

namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids most control characters even when escaped.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string seconds(double ms) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(3);
  o << ms / 1000.0;
  return o.str();
}

}  // namespace

std::string to_junit(const RunResult& r) {
  RunResult::Counts c = r.counts();
  std::ostringstream x;
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x << "<testsuites name=\"posrig\" tests=\"" << c.total() << "\" failures=\"" << c.fail
    << "\" errors=\"" << c.error << "\" skipped=\"" << c.skipped << "\" time=\""
    << seconds(r.duration_ms) << "\">\n";
  x << "  <testsuite name=\"" << xml_escape(r.bench_name.empty() ? "posrig" : r.bench_name)
    << "\" tests=\"" << c.total() << "\" failures=\"" << c.fail << "\" errors=\"" << c.error
    << "\" skipped=\"" << c.skipped << "\" time=\"" << seconds(r.duration_ms)
    << "\" timestamp=\"" << xml_escape(r.started_at) << "\">\n";
  for (const auto& s : r.scenarios) {
    x << "    <testcase classname=\"" << xml_escape(s.family) << "\" name=\"" << xml_escape(s.name)
      << "\" file=\"" << xml_escape(s.file) << "\" time=\"" << seconds(s.duration_ms) << "\">\n";
    switch (s.status) {
      case Status::fail:
        x << "      <failure message=\"" << xml_escape(s.message) << "\" type=\"check\">"
          << xml_escape(s.message) << "</failure>\n";
        break;
      case Status::error:
        x << "      <error message=\"" << xml_escape(s.message) << "\" type=\"infrastructure\">"
          << xml_escape(s.message) << "</error>\n";
        break;
      case Status::skipped:
        x << "      <skipped message=\"" << xml_escape(s.message) << "\"/>\n";
        break;
      case Status::pass:
      case Status::flaky:
        break;
    }
    x << "      <system-out>station=" << xml_escape(s.station) << " attempts=" << s.attempts
      << " status=" << to_string(s.status) << "</system-out>\n";
    x << "    </testcase>\n";
  }
  x << "  </testsuite>\n</testsuites>\n";
  return x.str();
}

void write_atomically(const std::string& path, const std::string& content) {
  namespace fs = std::filesystem;
  fs::path target(path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::string tmp = (dir / ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid())))
                        .string();
  auto fail = [&](const char* what) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + path + ": " + what + ": " + std::strerror(err));
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("open");
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      fail("write");
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("fsync");
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename");
}

std::string utc_now_iso8601() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

}  // namespace rig::report
