#include "rig/bench/yaml_reader.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml-cpp/eventhandler.h>

#include "rig/protocol/amount.h"
#include "rig/protocol/utf8.h"

namespace rig {

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0 || i == text.size()) return std::nullopt;
  std::string number = text.substr(0, i);
  std::string unit = text.substr(i);
  if (std::count(number.begin(), number.end(), '.') > 1 || number.front() == '.' ||
      number.back() == '.') {
    return std::nullopt;
  }
  double value = std::strtod(number.c_str(), nullptr);
  double ms;
  if (unit == "ms") {
    ms = value;
  } else if (unit == "s") {
    ms = value * 1000.0;
  } else if (unit == "m" || unit == "min") {
    ms = value * 60000.0;
  } else {
    return std::nullopt;
  }
  if (ms > 24.0 * 3600 * 1000) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::optional<std::string> read_config_text(const std::string& path, std::string& problem) {
  // O_NONBLOCK: opening a FIFO without a writer must not wait; only a regular file is read.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    problem = std::string("cannot read file: ") + std::strerror(errno);
    return std::nullopt;
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    problem = std::string("cannot read file: ") + std::strerror(errno);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    const char* kind = S_ISDIR(st.st_mode)    ? "a folder"
                       : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : "not a file";
    problem = std::string("cannot read file: not a regular file (") + kind + ")";
    return std::nullopt;
  }
  const auto too_big = [&](std::uintmax_t size) {
    problem = "cannot read file: " + std::to_string(size) + " bytes, more than the " +
              std::to_string(kMaxConfigFileBytes) + " a configuration file may have";
  };
  if (static_cast<std::uintmax_t>(st.st_size) > kMaxConfigFileBytes) {
    too_big(static_cast<std::uintmax_t>(st.st_size));
    return std::nullopt;
  }
  // Read at most one byte past the limit: a file that grows while it is read is caught too.
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      problem = std::string("cannot read file: ") + std::strerror(errno);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxConfigFileBytes) {
      too_big(text.size());
      return std::nullopt;
    }
  }
  return text;
}

namespace {

// Notes where each document starts; builds nothing.
class DocumentMarks : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

YamlReader::YamlReader(std::string file) : file_(std::move(file)) {}

std::optional<YAML::Node> YamlReader::load() {
  std::string problem;
  std::optional<std::string> text = read_config_text(file_, problem);
  if (!text) {
    issues_.push_back({file_, 0, 0, problem});
    return std::nullopt;
  }
  return load_string(*text);
}

std::optional<YAML::Node> YamlReader::load_string(const std::string& text) {
  if (auto fault = protocol::printable_text_fault(text)) {
    const protocol::TextPosition at = protocol::text_position(text, fault->offset);
    error_at(at.line, at.column,
             fault->what + ": a YAML file is UTF-8 text without control characters");
    return std::nullopt;
  }
  try {
    YAML::Node root = YAML::Load(text);
    // yaml-cpp reads the first document only: a second one would be ignored without a word.
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentMarks marks;
    while (marks.starts.size() < 2 && parser.HandleNextDocument(marks)) {
    }
    if (marks.starts.size() > 1) {
      error_at(marks.starts[1].line + 1, marks.starts[1].column + 1,
               "a second YAML document: a file holds one");
      return std::nullopt;
    }
    return root;
  } catch (const YAML::ParserException& e) {
    error_at(e.mark.line + 1, e.mark.column + 1, e.msg);
  } catch (const YAML::Exception& e) {
    error_at(e.mark.line + 1, e.mark.column + 1, e.msg);
  }
  return std::nullopt;
}

void YamlReader::error(const YAML::Node& at, std::string message) {
  if (!at.IsDefined() || at.Mark().is_null()) {
    error_at(1, 1, std::move(message));
    return;
  }
  error_at(at.Mark().line + 1, at.Mark().column + 1, std::move(message));
}

void YamlReader::error_at(int line, int column, std::string message) {
  issues_.push_back({file_, line, column, std::move(message)});
}

void YamlReader::add_issues(const std::vector<ConfigIssue>& issues) {
  issues_.insert(issues_.end(), issues.begin(), issues.end());
}

void YamlReader::throw_if_errors() const {
  if (issues_.empty()) return;
  std::vector<ConfigIssue> sorted = issues_;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [this](const ConfigIssue& a, const ConfigIssue& b) {
                     const bool a_other = a.file != file_;
                     const bool b_other = b.file != file_;
                     if (a_other != b_other) return b_other;
                     if (a.file != b.file) return a.file < b.file;
                     return a.line != b.line ? a.line < b.line : a.column < b.column;
                   });
  throw ConfigError(std::move(sorted));
}

std::string describe_value(const YAML::Node& n) {
  if (n.IsScalar()) return "'" + n.Scalar() + "'";
  if (n.IsMap()) return "a mapping";
  if (n.IsSequence()) return "a list";
  return "nothing";
}

bool YamlReader::read(const YAML::Node& n, std::string& out) {
  if (!n.IsScalar()) {
    error(n, "expected text, got " + describe_value(n));
    return false;
  }
  out = n.Scalar();
  return true;
}

bool YamlReader::read(const YAML::Node& n, bool& out) {
  if (n.IsScalar() && (n.Scalar() == "true" || n.Scalar() == "false")) {
    out = n.Scalar() == "true";
    return true;
  }
  error(n, "expected true or false, got " + describe_value(n));
  return false;
}

bool YamlReader::read(const YAML::Node& n, std::int64_t& out) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && end == s.c_str() + s.size() && errno == 0) {
      out = v;
      return true;
    }
  }
  error(n, "expected a whole number, got " + describe_value(n));
  return false;
}

bool YamlReader::read(const YAML::Node& n, int& out) {
  std::int64_t v = 0;
  if (!read(n, v)) return false;
  if (v < INT32_MIN || v > INT32_MAX) {
    error(n, "number out of range");
    return false;
  }
  out = static_cast<int>(v);
  return true;
}

bool YamlReader::read(const YAML::Node& n, double& out) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(v)) {
      out = v;
      return true;
    }
  }
  error(n, "expected a number, got " + describe_value(n));
  return false;
}

bool YamlReader::read(const YAML::Node& n, std::chrono::milliseconds& out) {
  if (n.IsScalar()) {
    if (auto d = parse_duration(n.Scalar())) {
      out = *d;
      return true;
    }
  }
  error(n, "bad duration " + describe_value(n) + ": expected a number followed by ms, s or m");
  return false;
}

bool YamlReader::read(const YAML::Node& n, std::vector<std::string>& out) {
  if (!n.IsSequence()) {
    error(n, "expected a list, got " + describe_value(n));
    return false;
  }
  out.clear();
  bool ok = true;
  for (const auto& item : n) {
    std::string s;
    if (read(item, s)) {
      out.push_back(s);
    } else {
      ok = false;
    }
  }
  return ok;
}

bool YamlReader::read_amount(const YAML::Node& n, std::int64_t& minor_units) {
  if (n.IsScalar()) {
    if (auto v = protocol::parse_amount(n.Scalar())) {
      minor_units = *v;
      return true;
    }
  }
  error(n, "expected an amount with two fraction digits, e.g. \"100.00\", got " +
               describe_value(n));
  return false;
}

bool YamlReader::read_choice(const YAML::Node& n, const std::vector<std::string>& choices,
                             const std::string& what, std::string& out) {
  std::string s;
  if (!read(n, s)) return false;
  if (std::find(choices.begin(), choices.end(), s) == choices.end()) {
    error(n, "unknown " + what + " '" + s + "' (known: " + join_names(choices) + ")");
    return false;
  }
  out = s;
  return true;
}

bool YamlReader::check_unique_keys(const YAML::Node& map, const std::string& what) {
  if (!map.IsMap()) return true;
  std::set<std::string> seen;
  bool unique = true;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) continue;
    if (!seen.insert(kv.first.Scalar()).second) {
      error(kv.first, "duplicate key '" + kv.first.Scalar() + "' in " + what);
      unique = false;
    }
  }
  return unique;
}

MapReader::MapReader(YamlReader& reader, const YAML::Node& node, std::string what)
    : reader_(reader), node_(node), what_(std::move(what)) {
  valid_ = node.IsMap();
  if (!valid_) {
    reader_.error(node, "expected a mapping for " + what_ + ", got " + describe_value(node));
  }
}

bool MapReader::has(const std::string& key) const { return valid_ && node_[key].IsDefined(); }

YAML::Node MapReader::get(const std::string& key) {
  if (!known_.count(key)) {
    known_.insert(key);
    known_in_order_.push_back(key);
  }
  if (!valid_) return YAML::Node(YAML::NodeType::Undefined);
  // const access so that a missing key is not inserted into the node.
  const YAML::Node& const_node = node_;
  return const_node[key];
}

void MapReader::allow(const std::vector<std::string>& keys) {
  for (const auto& k : keys) get(k);
}

bool MapReader::required_choice(const std::string& key, const std::vector<std::string>& choices,
                                std::string& out) {
  YAML::Node n = get(key);
  if (!n.IsDefined()) {
    missing(key);
    return false;
  }
  return reader_.read_choice(n, choices, key, out);
}

bool MapReader::optional_choice(const std::string& key, const std::vector<std::string>& choices,
                                std::string& out) {
  YAML::Node n = get(key);
  return n.IsDefined() && reader_.read_choice(n, choices, key, out);
}

void MapReader::missing(const std::string& key) {
  if (!valid_) return;
  reader_.error(node_, "missing key '" + key + "' in " + what_);
}

void MapReader::finish() {
  if (!valid_) return;
  reader_.check_unique_keys(node_, what_);
  for (const auto& kv : node_) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (!known_.count(key)) {
      reader_.error(kv.first, "unknown key '" + key + "' in " + what_ + " (known: " +
                                  join_names(known_in_order_) + ")");
    }
  }
}

}  // namespace rig
