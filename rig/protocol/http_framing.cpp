#include "rig/protocol/http_framing.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace rig::protocol::http {
namespace {

bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "HTTP/1.1"
bool is_version(std::string_view text) {
  return text.size() == 8 && text.substr(0, 5) == "HTTP/" && is_digit(text[5]) && text[6] == '.' &&
         is_digit(text[7]);
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool parse_request_line(std::string_view line, Head& head) {
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return false;
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method) || target.empty() || !is_version(version)) return false;
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return false;
  }
  head.method = std::string(method);
  head.target = std::string(target);
  head.version = std::string(version);
  return true;
}

bool parse_status_line(std::string_view line, Head& head) {
  if (line.size() < 12 || !is_version(line.substr(0, 8)) || line[8] != ' ') return false;
  if (!is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11])) return false;
  if (line.size() > 12 && line[12] != ' ') return false;
  head.version = std::string(line.substr(0, 8));
  head.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  head.reason = line.size() > 13 ? std::string(line.substr(13)) : std::string();
  return true;
}

// Whether the start of a start line (no newline seen yet) can still become a valid one, so that
// a stream that is plainly not HTTP goes to pass-through without waiting for kMaxHeadSize bytes.
bool plausible_start(std::string_view partial, Kind kind) {
  if (kind == Kind::response) {
    static constexpr std::string_view kPrefix = "HTTP/";
    const std::size_t n = std::min(partial.size(), kPrefix.size());
    return partial.substr(0, n) == kPrefix.substr(0, n);
  }
  for (char c : partial) {
    if (c == ' ') return true;
    if (!is_tchar(c)) return false;
  }
  return true;
}

// Content-Length: digits, possibly repeated (in several headers or as a list) with one value.
// Returns false when invalid; `length` is untouched when there is no such header.
bool content_length(const Head& head, std::optional<std::uint64_t>& length) {
  for (const auto& [name, value] : head.headers) {
    if (!iequals(name, "content-length")) continue;
    std::string_view rest = value;
    while (true) {
      const std::size_t comma = rest.find(',');
      const std::string_view item = trim(rest.substr(0, comma));
      if (item.empty() || item.size() > 18) return false;
      std::uint64_t parsed = 0;
      for (char c : item) {
        if (!is_digit(c)) return false;
        parsed = parsed * 10 + static_cast<std::uint64_t>(c - '0');
      }
      if (length && *length != parsed) return false;
      length = parsed;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return true;
}

}  // namespace

const char* to_string(Kind kind) { return kind == Kind::request ? "request" : "response"; }

const char* to_string(Piece::Type type) {
  return type == Piece::Type::message ? "message" : "passthrough";
}

const std::string* Head::header(std::string_view name) const {
  for (const auto& entry : headers) {
    if (iequals(entry.first, name)) return &entry.second;
  }
  return nullptr;
}

std::string_view Head::path() const {
  std::string_view view = target;
  return view.substr(0, view.find('?'));
}

HeadResult parse_head(std::string_view bytes, Kind kind) {
  HeadResult result;
  std::size_t pos = 0;
  int line_number = 0;  // 0 until the start line is seen
  while (pos < bytes.size()) {
    const std::size_t newline = bytes.find('\n', pos);
    if (newline == std::string_view::npos) break;
    std::string_view line = bytes.substr(pos, newline - pos);
    pos = newline + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_number == 0) {
      if (line.empty()) continue;  // blank lines before the start line are allowed
      line_number = 1;
      const bool ok = kind == Kind::request ? parse_request_line(line, result.head)
                                            : parse_status_line(line, result.head);
      if (!ok) {
        result.error = kind == Kind::request ? "malformed request line" : "malformed status line";
        return result;
      }
      continue;
    }
    ++line_number;
    if (line.empty()) {
      result.ok = true;
      return result;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      result.error = "obsolete line folding in line " + std::to_string(line_number);
      return result;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
      result.error = "malformed header line " + std::to_string(line_number);
      return result;
    }
    result.head.headers.emplace_back(std::string(line.substr(0, colon)),
                                     std::string(trim(line.substr(colon + 1))));
  }
  result.error = line_number == 0 ? "empty head" : "head not terminated by an empty line";
  return result;
}

void Splitter::feed(std::string_view bytes) {
  if (bytes.empty()) return;
  // Compact lazily: handed-out bytes are dropped once they dominate the buffer.
  if (start_ == buffer_.size()) {
    buffer_.clear();
    scan_ -= start_;
    start_ = 0;
  } else if (start_ > kMaxHeadSize && start_ * 2 > buffer_.size()) {
    buffer_.erase(0, start_);
    scan_ -= start_;
    start_ = 0;
  }
  buffer_.append(bytes.data(), bytes.size());
}

void Splitter::expect_response_to(std::string_view method) {
  head_requests_.push_back(method == "HEAD");
}

std::optional<Piece> Splitter::pop() {
  while (ready_.empty() && split_one()) {
  }
  if (ready_.empty()) return std::nullopt;
  Piece piece = std::move(ready_.front());
  ready_.pop_front();
  return piece;
}

std::optional<Piece> Splitter::drain(std::string reason) {
  if (buffered() == 0) return std::nullopt;
  pending_reason_ = std::move(reason);
  emit_passthrough();
  reset_message_state();
  Piece piece = std::move(ready_.back());
  ready_.pop_back();
  return piece;
}

void Splitter::reset_message_state() {
  scan_ = start_;
  seen_start_line_ = false;
  have_head_ = false;
  head_ = Head();
  head_size_ = 0;
  total_size_ = 0;
  final_response_ = false;
}

void Splitter::fail(std::string reason) {
  passthrough_ = true;
  pending_reason_ = std::move(reason);
  emit_passthrough();
  reset_message_state();
}

void Splitter::emit_passthrough() {
  Piece piece;
  piece.type = Piece::Type::passthrough;
  piece.bytes = buffer_.substr(start_);
  piece.reason = std::move(pending_reason_);
  pending_reason_.clear();
  start_ = buffer_.size();
  scan_ = start_;
  ready_.push_back(std::move(piece));
}

std::size_t Splitter::find_head_end() {
  const std::string_view buffer(buffer_);
  while (true) {
    const std::size_t newline = buffer.find('\n', scan_);
    if (newline == std::string_view::npos) {
      if (!seen_start_line_) {
        // Only the first bytes are looked at, so that a long partial line costs nothing more.
        std::string_view partial = buffer.substr(scan_, 32);
        if (!partial.empty() && partial.front() == '\r') partial.remove_prefix(1);
        if (!plausible_start(partial, kind_)) {
          fail(kind_ == Kind::request ? "malformed request line" : "malformed status line");
          return 0;
        }
      }
      if (buffered() > kMaxHeadSize) {
        fail("head exceeds " + std::to_string(kMaxHeadSize) + " bytes");
      }
      return 0;
    }
    std::string_view line = buffer.substr(scan_, newline - scan_);
    scan_ = newline + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (scan_ - start_ > kMaxHeadSize) {
      fail("head exceeds " + std::to_string(kMaxHeadSize) + " bytes");
      return 0;
    }
    if (!line.empty()) {
      seen_start_line_ = true;
    } else if (seen_start_line_) {
      return scan_;
    }
  }
}

bool Splitter::take_head(std::size_t head_end) {
  HeadResult parsed =
      parse_head(std::string_view(buffer_).substr(start_, head_end - start_), kind_);
  if (!parsed.ok) {
    fail(parsed.error);
    return false;
  }
  const Head& head = parsed.head;
  bool bodiless = false;
  if (kind_ == Kind::response) {
    final_response_ = head.status >= 200;
    const bool head_request = final_response_ && !head_requests_.empty() && head_requests_.front();
    bodiless = head.status < 200 || head.status == 204 || head.status == 304 || head_request;
  }
  std::optional<std::uint64_t> length;
  if (!bodiless) {
    if (head.header("transfer-encoding") != nullptr) {
      fail("Transfer-Encoding is not supported");
      return false;
    }
    if (!content_length(head, length)) {
      fail("invalid Content-Length");
      return false;
    }
    // A request without Content-Length has no body (RFC 9112 6.3); a response would run to the
    // end of the connection, which cannot be framed.
    if (!length && kind_ == Kind::response) {
      fail("response body delimited by connection close is not supported");
      return false;
    }
    if (length && *length > kMaxBodySize) {
      fail("body of " + std::to_string(*length) + " bytes exceeds " + std::to_string(kMaxBodySize));
      return false;
    }
  }
  have_head_ = true;
  head_ = std::move(parsed.head);
  head_size_ = head_end - start_;
  total_size_ = head_size_ + static_cast<std::size_t>(length.value_or(0));
  return true;
}

bool Splitter::split_one() {
  if (buffered() == 0) return false;
  if (passthrough_) {
    emit_passthrough();
    return true;
  }
  if (!have_head_) {
    const std::size_t head_end = find_head_end();
    if (head_end == 0) return !ready_.empty();
    if (!take_head(head_end)) return true;
  }
  if (buffered() < total_size_) return false;
  Piece piece;
  piece.type = Piece::Type::message;
  piece.bytes = buffer_.substr(start_, total_size_);
  piece.head = std::move(head_);
  piece.body_offset = head_size_;
  start_ += total_size_;
  if (final_response_ && !head_requests_.empty()) head_requests_.pop_front();
  reset_message_state();
  ready_.push_back(std::move(piece));
  return true;
}

std::string base64(std::string_view bytes) {
  static const char* const kDigits =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      v = (v << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    }
    for (std::size_t k = 0; k < 4; ++k) {
      out += k <= n ? kDigits[(v >> (18 - 6 * k)) & 0x3F] : '=';
    }
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0x0F];
    }
  }
  return out;
}

}  // namespace rig::protocol::http
