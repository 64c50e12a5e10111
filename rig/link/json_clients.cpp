#include "rig/link/json_clients.h"

#include <cstdio>
#include <optional>
#include <stdexcept>

#include "rig/protocol/http_framing.h"
#include "rig/protocol/utf8.h"

namespace rig::link {

std::pair<std::string, std::uint16_t> split_host_port(const std::string& endpoint) {
  auto colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= endpoint.size()) {
    throw std::invalid_argument("bad endpoint '" + endpoint + "': expected HOST:PORT");
  }
  std::string host = endpoint.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  std::string port = endpoint.substr(colon + 1);
  unsigned long value = 0;
  for (char c : port) {
    if (c < '0' || c > '9')
      throw std::invalid_argument("bad endpoint '" + endpoint + "': expected HOST:PORT");
    value = value * 10 + static_cast<unsigned long>(c - '0');
    if (value > 65535)
      throw std::invalid_argument("bad endpoint '" + endpoint + "': port out of range");
  }
  return {host, static_cast<std::uint16_t>(value)};
}

namespace {

Status prefixed(const std::string& who, Status s) {
  s.message = who + ": " + s.message;
  return s;
}

Status failed(const std::string& who, const std::string& what) {
  return {IoStatus::error, who + ": " + what};
}

// The start of a peer's text for a message, valid UTF-8 however it was cut.
std::string excerpt(const std::string& text) {
  return protocol::utf8_replace_invalid(std::string_view(text).substr(0, 200));
}

// "… is not UTF-8 (byte 0xFF at offset 22)" for `text` that is not; nullopt for text that is.
std::optional<std::string> not_utf8(const std::string& text) {
  const std::optional<std::size_t> at = protocol::utf8_invalid_at(text);
  if (!at) return std::nullopt;
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[*at]));
  return std::string("is not UTF-8 (byte ") + byte + " at offset " + std::to_string(*at) + ")";
}

const std::string kTooLong = "longer than " + std::to_string(kMaxReplyBytes) + " bytes";

// Creates `link` on first use.
void make_link(std::unique_ptr<TcpLink>& link, const std::string& endpoint, Deadline deadline) {
  if (link) return;
  auto [host, port] = split_host_port(endpoint);
  auto left = deadline - Clock::now();
  link = std::make_unique<TcpLink>(host, port,
                                   left > Clock::duration::zero() ? left : Clock::duration(1));
}

// Opens `link` unless it is open; creates it on first use.
Status ensure_open(std::unique_ptr<TcpLink>& link, const std::string& endpoint, Deadline deadline) {
  make_link(link, endpoint, deadline);
  if (link->is_open()) return Status::success();
  return link->open();
}

// Marks `link` as used by a call, for abort() from another thread; an abort that came after
// the call took the client's mutex and before this mark still ends the call.
class BusyMark {
 public:
  BusyMark(std::atomic<TcpLink*>& slot, std::atomic<bool>& abort_requested, TcpLink& link)
      : slot_(slot), abort_requested_(abort_requested) {
    slot_ = &link;
    if (abort_requested.exchange(false)) link.abort();
  }
  // An abort asked for this call is spent with it: it must not end the next call (the revert
  // that follows a Ctrl-C).
  ~BusyMark() {
    slot_ = nullptr;
    abort_requested_ = false;
  }
  BusyMark(const BusyMark&) = delete;
  BusyMark& operator=(const BusyMark&) = delete;

 private:
  std::atomic<TcpLink*>& slot_;
  std::atomic<bool>& abort_requested_;
};

// The shared half of abort(): `mu` is free when no call is in progress.
void abort_call(std::mutex& mu, std::atomic<bool>& abort_requested,
                const std::atomic<TcpLink*>& busy) {
  std::unique_lock<std::mutex> lock(mu, std::try_to_lock);
  if (lock.owns_lock()) return;
  abort_requested = true;
  if (TcpLink* link = busy.load()) link->abort();
}

}  // namespace

JsonLineClient::JsonLineClient(std::string label, const std::string& endpoint)
    : label_(std::move(label)), endpoint_(endpoint) {
  split_host_port(endpoint_);  // reject a bad endpoint now
}

void JsonLineClient::abort() {
  // Only a call in progress: an abort left on an idle link would fail the next call (the
  // revert after Ctrl-C).
  abort_call(mu_, abort_requested_, busy_link_);
}

JsonReply JsonLineClient::call(const nlohmann::json& request, Deadline deadline) {
  std::lock_guard<std::mutex> lock(mu_);
  JsonReply reply;
  std::string line = request.dump() + "\n";
  make_link(link_, endpoint_, deadline);
  BusyMark busy(busy_link_, abort_requested_, *link_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    reply.status = ensure_open(link_, endpoint_, deadline);
    if (!reply.status) return {prefixed(name(), reply.status), {}, 0};
    Status w = link_->write(line, deadline);
    if (!w) {
      link_->close();
      pending_.clear();
      if (w.code == IoStatus::closed && attempt == 0) continue;  // stale connection: reopen once
      return {prefixed(name(), w), {}, 0};
    }
    for (;;) {
      auto nl = pending_.find('\n');
      if ((nl == std::string::npos ? pending_.size() : nl) > kMaxReplyBytes) {
        link_->close();
        pending_.clear();
        return {failed(name(), "reply line " + kTooLong), {}, 0};
      }
      if (nl != std::string::npos) {
        std::string text = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        if (auto bad = not_utf8(text)) return {failed(name(), "reply " + *bad), {}, 0};
        try {
          reply.body = nlohmann::json::parse(text);
        } catch (const nlohmann::json::parse_error&) {
          return {failed(name(), "reply is not JSON: " + excerpt(text)), {}, 0};
        }
        reply.status = Status::success();
        return reply;
      }
      Chunk c = link_->read(deadline);
      if (!c.status) {
        link_->close();
        pending_.clear();
        return {prefixed(name(), c.status), {}, 0};
      }
      pending_ += c.bytes;
    }
  }
  return {{IoStatus::error, name() + ": connection lost twice"}, {}, 0};
}

HttpClient::HttpClient(std::string label, const std::string& endpoint)
    : label_(std::move(label)), endpoint_(endpoint) {
  split_host_port(endpoint_);
}

void HttpClient::abort() { abort_call(mu_, abort_requested_, busy_link_); }

namespace {

// An answer whose body runs to the end of the connection (no Content-Length: HTTP/1.0
// devices): its head and everything after it once the server closed.
HttpReply read_to_close(const std::string& who, TcpLink& link, std::string bytes,
                        Deadline deadline) {
  for (;;) {
    Chunk c = link.read(deadline);
    if (!c.status) {
      link.close();
      if (c.status.code != IoStatus::closed) return {prefixed(who, c.status), 0, ""};
      break;
    }
    bytes += c.bytes;
    if (bytes.size() > protocol::http::kMaxHeadSize + kMaxReplyBytes) {
      link.close();
      return {failed(who, "HTTP answer " + kTooLong), 0, ""};
    }
  }
  std::size_t end = bytes.find("\r\n\r\n");
  protocol::http::HeadResult head = protocol::http::parse_head(
      std::string_view(bytes).substr(0, end == std::string::npos ? bytes.size() : end + 4),
      protocol::http::Kind::response);
  if (!head.ok) return {{IoStatus::error, who + ": bad HTTP response: " + head.error}, 0, ""};
  return {Status::success(), head.head.status, bytes.substr(end + 4)};
}

}  // namespace

HttpReply HttpClient::request(const std::string& method, const std::string& target,
                              const std::vector<std::string>& headers, const std::string& body,
                              Deadline deadline) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string req =
      method + " " + target + " HTTP/1.1\r\nHost: " + endpoint_ + "\r\nConnection: keep-alive\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  make_link(link_, endpoint_, deadline);
  BusyMark busy(busy_link_, abort_requested_, *link_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    Status s = ensure_open(link_, endpoint_, deadline);
    if (!s) return {prefixed(name(), s), 0, ""};
    s = link_->write(req, deadline);
    if (!s) {
      link_->close();
      if (s.code == IoStatus::closed && attempt == 0) continue;
      return {prefixed(name(), s), 0, ""};
    }
    protocol::http::Splitter splitter(protocol::http::Kind::response);
    splitter.expect_response_to(method);
    for (;;) {
      if (auto piece = splitter.pop()) {
        if (piece->type != protocol::http::Piece::Type::message) {
          if (piece->reason.find("delimited by connection close") != std::string::npos) {
            return read_to_close(name(), *link_, piece->bytes, deadline);
          }
          link_->close();
          return {{IoStatus::error, name() + ": bad HTTP response: " + piece->reason}, 0, ""};
        }
        const std::string* conn = piece->head.header("Connection");
        if (conn && *conn == "close") link_->close();
        if (piece->body().size() > kMaxReplyBytes) {
          link_->close();
          return {failed(name(), "HTTP answer " + kTooLong), 0, ""};
        }
        return {Status::success(), piece->head.status, std::string(piece->body())};
      }
      // The framing takes bodies up to its own limit: this client stops at its smaller one.
      if (splitter.buffered() > protocol::http::kMaxHeadSize + kMaxReplyBytes) {
        link_->close();
        return {failed(name(), "HTTP answer " + kTooLong), 0, ""};
      }
      Chunk c = link_->read(deadline);
      if (!c.status) {
        link_->close();
        // A kept-alive connection the server closed before answering: reopen once.
        if (c.status.code == IoStatus::closed && attempt == 0 && splitter.buffered() == 0) break;
        return {prefixed(name(), c.status), 0, ""};
      }
      splitter.feed(c.bytes);
    }
  }
  return {{IoStatus::error, name() + ": connection lost twice"}, 0, ""};
}

HttpJsonClient::HttpJsonClient(std::string label, const std::string& endpoint, std::string token)
    : http_(std::move(label), endpoint), token_(std::move(token)) {}

JsonReply HttpJsonClient::request(const std::string& method, const std::string& target,
                                  const nlohmann::json& body, Deadline deadline) {
  std::vector<std::string> headers = {"Content-Type: application/json"};
  if (!token_.empty()) headers.push_back("Authorization: Bearer " + token_);
  HttpReply r =
      http_.request(method, target, headers, method == "GET" ? "" : body.dump(), deadline);
  if (!r.status) return {r.status, {}, 0};
  JsonReply reply;
  reply.http_status = r.http_status;
  const std::string what = "HTTP " + std::to_string(r.http_status) + " body ";
  if (r.body.empty()) {
    reply.body = nlohmann::json::object();
  } else if (auto bad = not_utf8(r.body)) {
    return {failed(name(), what + *bad), {}, r.http_status};
  } else {
    try {
      reply.body = nlohmann::json::parse(r.body);
    } catch (const nlohmann::json::parse_error&) {
      return {failed(name(), what + "is not JSON: " + excerpt(r.body)), {}, r.http_status};
    }
  }
  reply.status = Status::success();
  return reply;
}

}  // namespace rig::link
