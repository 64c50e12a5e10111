#include "rig/fault/proxy_record.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace rig::fault {

namespace iso = protocol::iso8583;
namespace http = protocol::http;

const char* to_string(ProxyEvent::Kind kind) {
  switch (kind) {
    case ProxyEvent::Kind::fault_armed:
      return "fault_armed";
    case ProxyEvent::Kind::fault_fired:
      return "fault_fired";
    case ProxyEvent::Kind::fault_cleared:
      return "fault_cleared";
    case ProxyEvent::Kind::fault_expired:
      return "fault_expired";
    case ProxyEvent::Kind::connection_opened:
      return "connection_opened";
    case ProxyEvent::Kind::connection_closed:
      return "connection_closed";
    case ProxyEvent::Kind::connection_refused:
      return "connection_refused";
    case ProxyEvent::Kind::error:
      return "error";
  }
  return "?";
}

namespace {

constexpr std::size_t kSummaryBodyLimit = 160;

std::string printable(std::string_view text, std::size_t limit) {
  std::string out;
  const std::size_t n = std::min(text.size(), limit);
  out.reserve(n + 16);
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[i];
    out.push_back(c >= 0x20 && c <= 0x7E ? c : '?');
  }
  if (text.size() > limit) out += fmt::format("... (+{} bytes)", text.size() - limit);
  return out;
}

}  // namespace

std::string summarize(const ProxyMessage& message) {
  switch (message.framing) {
    case Framing::iso8583: {
      if (!message.decode_error.empty() || message.mti.empty()) {
        return fmt::format("ISO 8583 message of {} bytes that does not decode: {}", message.size,
                           message.decode_error);
      }
      iso::Message decoded;
      decoded.mti = message.mti;
      decoded.fields = message.fields;
      return iso::describe(decoded);
    }
    case Framing::http: {
      std::string text;
      if (message.status == 0) {
        text = printable(message.method, 32) + " " + printable(message.path, 200);
      } else {
        text = std::to_string(message.status);
        if (!message.path.empty()) {
          text += " for " + printable(message.method, 32) + " " + printable(message.path, 200);
        }
      }
      if (!message.body.empty()) text += " " + printable(message.body, kSummaryBodyLimit);
      return text;
    }
    case Framing::raw:
      break;
  }
  return fmt::format("raw {} bytes", message.size);
}

StreamSplitter::StreamSplitter(Framing framing, Direction direction) : framing_(framing) {
  if (framing_ == Framing::http) {
    http_.emplace(direction == Direction::to_upstream ? http::Kind::request : http::Kind::response);
  }
}

void StreamSplitter::feed(std::string_view bytes) {
  switch (framing_) {
    case Framing::raw:
      raw_.append(bytes.data(), bytes.size());
      break;
    case Framing::iso8583:
      // The deframer keeps its own copy; iso_pending_ mirrors the unpopped bytes so that a
      // frame cut short at the end of the stream can still be forwarded as it was.
      iso_.feed(bytes);
      iso_pending_.append(bytes.data(), bytes.size());
      break;
    case Framing::http:
      http_->feed(bytes);
      break;
  }
}

std::optional<ProxyMessage> StreamSplitter::pop() {
  ProxyMessage message;
  switch (framing_) {
    case Framing::raw:
      if (raw_.empty()) return std::nullopt;
      message.framing = Framing::raw;
      message.bytes = std::move(raw_);
      raw_.clear();
      break;
    case Framing::iso8583: {
      std::optional<std::string> body = iso_.pop();
      if (!body) return std::nullopt;
      const std::size_t size = iso::kLengthPrefixSize + body->size();
      message.framing = Framing::iso8583;
      if (size == iso_pending_.size()) {
        message.bytes = std::move(iso_pending_);
        iso_pending_.clear();
      } else {
        message.bytes = iso_pending_.substr(0, size);
        iso_pending_.erase(0, size);
      }
      iso::DecodeResult decoded = iso::decode(*body);
      if (decoded.ok) {
        message.mti = std::move(decoded.message.mti);
        message.fields = std::move(decoded.message.fields);
      } else {
        message.decode_error = std::move(decoded.error);
      }
      break;
    }
    case Framing::http: {
      std::optional<http::Piece> piece = http_->pop();
      if (!piece) return std::nullopt;
      if (piece->type == http::Piece::Type::message) {
        message.framing = Framing::http;
        message.method = piece->head.method;
        message.path = std::string(piece->head.path());
        message.status = piece->head.status;
        message.body = std::string(piece->body());
        message.bytes = std::move(piece->bytes);
      } else {
        message.framing = Framing::raw;
        message.bytes = std::move(piece->bytes);
        message.size = message.bytes.size();
        message.summary = summarize(message);
        if (!piece->reason.empty()) message.summary += " (unframed: " + piece->reason + ")";
        return message;
      }
      break;
    }
  }
  message.size = message.bytes.size();
  message.summary = summarize(message);
  return message;
}

std::optional<ProxyMessage> StreamSplitter::finish() {
  ProxyMessage message;
  message.framing = Framing::raw;
  std::string why;
  switch (framing_) {
    case Framing::raw:
      if (raw_.empty()) return std::nullopt;
      message.bytes = std::move(raw_);
      raw_.clear();
      break;
    case Framing::iso8583:
      if (iso_pending_.empty()) return std::nullopt;
      why = iso_.incomplete().value_or("");
      message.bytes = std::move(iso_pending_);
      iso_pending_.clear();
      iso_ = iso::Deframer();
      break;
    case Framing::http: {
      std::optional<http::Piece> piece = http_->drain("stream ended inside a message");
      if (!piece) return std::nullopt;
      why = piece->reason;
      message.bytes = std::move(piece->bytes);
      break;
    }
  }
  message.size = message.bytes.size();
  message.summary = summarize(message);
  if (!why.empty()) message.summary += " (" + why + ")";
  return message;
}

void StreamSplitter::expect_response_to(std::string_view method) {
  if (http_) http_->expect_response_to(method);
}

bool StreamSplitter::passthrough() const { return http_ && http_->passthrough(); }

}  // namespace rig::fault
