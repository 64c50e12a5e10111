#include "rig/report/text.h"

#include <cstdio>
#include <sstream>

#include "rig/protocol/utf8.h"

namespace rig::report {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxLine = 400;

std::string scalar_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// key=value pairs of an object, skipping `skip` keys.
std::string pairs(const json& fields, std::initializer_list<const char*> skip) {
  std::string out;
  if (!fields.is_object()) return fields.is_null() ? "" : fields.dump();
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    bool skipped = false;
    for (const char* k : skip) skipped = skipped || it.key() == k;
    if (skipped) continue;
    if (!out.empty()) out += ' ';
    out += it.key() + "=" + scalar_text(it.value());
  }
  return out;
}

std::string join(const std::string& a, const std::string& b) {
  return a.empty() ? b : b.empty() ? a : a + " " + b;
}

std::string summary(const std::string& kind, const json& f) {
  if (!f.is_object()) return scalar_text(f);
  if (kind == "ecr_out" || kind == "ecr_in") {
    std::string s = f.value("payload", "");
    if (s.empty()) s = f.value("name", "");
    return s.empty() ? pairs(f, {"direction"}) : s;
  }
  if (kind == "host_message") {
    std::string s = f.value("mti", "") + " " + f.value("direction", "");
    if (f.contains("fields")) s += " " + pairs(f["fields"], {});
    return s;
  }
  if (kind == "wallet_message") {
    std::string s = f.value("direction", "");
    for (const char* k : {"method", "path", "status"}) {
      if (f.contains(k)) s += " " + scalar_text(f[k]);
    }
    if (f.contains("body")) s += " " + scalar_text(f["body"]);
    return s;
  }
  if (kind == "display") return f.value("text", "");
  if (kind == "event") return join(f.value("name", ""), pairs(f, {"name"}));
  if (kind == "prompt") return join(f.value("kind", ""), pairs(f, {"kind"}));
  if (kind == "step") return f.value("step", "") + " " + f.value("where", "");
  if (kind == "note" || kind == "infra") return f.value("text", "");
  if (kind == "fault_applied" || kind == "fault_cleared") {
    return join(f.value("fault", ""), pairs(f, {"fault"}));
  }
  return pairs(f, {});
}

}  // namespace

std::string entry_line(const json& e) {
  char at[32];
  std::snprintf(at, sizeof at, "+%.1f ms", e.value("t_ms", 0.0));
  std::string kind = e.value("kind", "");
  std::string text = summary(kind, e.value("fields", json::object()));
  while (!text.empty() && text.back() == ' ') text.pop_back();
  std::string line = std::string(at);
  line.resize(std::max<std::size_t>(line.size() + 2, 13), ' ');
  line += kind;
  line.resize(std::max<std::size_t>(line.size() + 1, 29), ' ');
  line += text;
  if (line.size() > kMaxLine) line = line.substr(0, kMaxLine - 3) + "...";
  return line;
}

std::string timeline_tail(const json& timeline, std::size_t count) {
  if (!timeline.is_array() || timeline.empty()) return "timeline: empty\n";
  std::size_t n = timeline.size();
  std::size_t from = n > count ? n - count : 0;
  std::string out = from == 0 ? "timeline (" + std::to_string(n) + " entries):\n"
                              : "end of timeline (last " + std::to_string(n - from) + " of " +
                                    std::to_string(n) + " entries):\n";
  for (std::size_t i = from; i < n; ++i) out += "  " + entry_line(timeline[i]) + "\n";
  return out;
}

std::string timeline_text(const json& timeline) {
  std::string out;
  if (!timeline.is_array()) return out;
  for (const auto& e : timeline) out += entry_line(e) + "\n";
  return out;
}

const CheckResult* failed_check(const ScenarioResult& s) {
  for (const auto& c : s.checks) {
    if (!c.passed) return &c;
  }
  return nullptr;
}

std::string failure_text(const ScenarioResult& s) {
  std::string out = s.message + "\n";
  if (const CheckResult* c = failed_check(s)) {
    out += "\ncheck     " + c->where + "  " + c->what + "\n";
    out += "expected  " + c->expected + "\n";
    out += "actual    " + c->actual + "\n";
    char at[48];
    std::snprintf(at, sizeof at, "at        +%.1f ms\n", c->at_ms);
    out += at;
  }
  return out;
}

std::string valid_utf8(const std::string& s) { return protocol::utf8_replace_invalid(s); }

std::string dump_safe(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string xml_escape(const std::string& text) {
  const std::string s = valid_utf8(text);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          out += "\xEF\xBF\xBD";
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string seconds_text(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", ms / 1000.0);
  return buf;
}

}  // namespace rig::report
