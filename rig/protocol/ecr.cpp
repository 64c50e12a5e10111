#include "rig/protocol/ecr.h"

#include <algorithm>

namespace rig::protocol::ecr {
namespace {

bool printable(char c) { return c >= 0x20 && c <= 0x7E; }
bool name_char(char c) { return (c >= 'A' && c <= 'Z') || c == '_'; }
bool key_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Shared by encode() and decode() so that both accept and word exactly the same.
std::string check_name(std::string_view name) {
  if (name.empty()) {
    return "message name is empty";
  }
  if (!std::all_of(name.begin(), name.end(), name_char)) {
    return "message name " + quoted(name) + " has a byte other than A-Z and '_'";
  }
  return {};
}

std::string check_key(std::string_view key, std::string_view name) {
  if (!std::all_of(key.begin(), key.end(), key_char)) {
    return "field key " + quoted(key) + " in " + std::string(name) +
           " has a byte other than a-z, 0-9 and '_'";
  }
  return {};
}

std::string check_id(std::string_view key, std::string_view value, std::string_view name) {
  if (key == "id" && value.size() > kMaxIdLength) {
    return "field \"id\" in " + std::string(name) + " is " + std::to_string(value.size()) +
           " characters long (at most " + std::to_string(kMaxIdLength) + ")";
  }
  return {};
}

std::string duplicate(std::string_view key, std::string_view name) {
  return "duplicate field " + quoted(key) + " in " + std::string(name);
}

}  // namespace

std::string hex_byte(char byte) {
  static const char kDigits[] = "0123456789abcdef";
  auto b = static_cast<unsigned char>(byte);
  return std::string("0x") + kDigits[b >> 4] + kDigits[b & 0x0F];
}

char lrc(std::string_view payload) {
  char x = kEtx;
  for (char c : payload) {
    x = static_cast<char>(x ^ c);
  }
  return x;
}

std::string encode_frame(std::string_view payload) {
  std::string frame;
  frame.reserve(payload.size() + 3);
  frame += kStx;
  frame += payload;
  frame += kEtx;
  frame += lrc(payload);
  return frame;
}

const std::string* Message::find(std::string_view key) const {
  for (const auto& [k, v] : fields) {
    if (k == key) {
      return &v;
    }
  }
  return nullptr;
}

std::optional<std::string> Message::get(std::string_view key) const {
  if (const std::string* v = find(key)) {
    return *v;
  }
  return std::nullopt;
}

Message& Message::set(std::string_view key, std::string_view value) {
  for (auto& [k, v] : fields) {
    if (k == key) {
      v = value;
      return *this;
    }
  }
  fields.emplace_back(std::string(key), std::string(value));
  return *this;
}

bool Message::erase(std::string_view key) {
  auto it =
      std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == key; });
  if (it == fields.end()) {
    return false;
  }
  fields.erase(it);
  return true;
}

Encoded encode(const Message& message) {
  Encoded out;
  const std::string& name = message.name;
  if (out.error = check_name(name); !out.ok()) {
    return out;
  }
  std::size_t size = name.size();
  for (std::size_t i = 0; i < message.fields.size(); ++i) {
    const auto& [key, value] = message.fields[i];
    if (key.empty()) {
      out.error = "empty field key in " + name;
      return out;
    }
    if (out.error = check_key(key, name); !out.ok()) {
      return out;
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (message.fields[j].first == key) {
        out.error = duplicate(key, name);
        return out;
      }
    }
    for (std::size_t off = 0; off < value.size(); ++off) {
      if (!printable(value[off])) {
        out.error = "field " + quoted(key) + " in " + name + " has byte " + hex_byte(value[off]) +
                    " at offset " + std::to_string(off) + ", not printable ASCII";
        return out;
      }
    }
    if (out.error = check_id(key, value, name); !out.ok()) {
      return out;
    }
    size += 1 + key.size() + 1 + value.size();
  }
  if (size > kMaxPayload) {
    out.error = name + " payload is " + std::to_string(size) + " bytes (at most " +
                std::to_string(kMaxPayload) + ")";
    return out;
  }
  out.payload.reserve(size);
  out.payload = name;
  for (const auto& [key, value] : message.fields) {
    out.payload += kFs;
    out.payload += key;
    out.payload += '=';
    out.payload += value;
  }
  return out;
}

Decoded decode(std::string_view payload) {
  Decoded out;
  if (payload.empty()) {
    out.error = "empty payload";
    return out;
  }
  if (payload.size() > kMaxPayload) {
    out.error = "payload is " + std::to_string(payload.size()) + " bytes (at most " +
                std::to_string(kMaxPayload) + ")";
    return out;
  }
  for (std::size_t off = 0; off < payload.size(); ++off) {
    if (!printable(payload[off]) && payload[off] != kFs) {
      out.error = "byte " + hex_byte(payload[off]) + " at offset " + std::to_string(off) +
                  " is not printable ASCII";
      return out;
    }
  }
  std::size_t end = std::min(payload.find(kFs), payload.size());
  std::string_view name = payload.substr(0, end);
  if (out.error = check_name(name); !out.ok()) {
    return out;
  }
  Message& m = out.message;
  m.name = std::string(name);
  while (end < payload.size()) {
    std::size_t start = end + 1;
    end = std::min(payload.find(kFs, start), payload.size());
    std::string_view field = payload.substr(start, end - start);
    std::string at = std::to_string(start);
    if (field.empty()) {
      out.error = "empty field at offset " + at;
      return out;
    }
    std::size_t eq = field.find('=');
    if (eq == std::string_view::npos) {
      out.error = "field at offset " + at + " has no '='";
      return out;
    }
    if (eq == 0) {
      out.error = "empty field key at offset " + at;
      return out;
    }
    std::string_view key = field.substr(0, eq);
    std::string_view value = field.substr(eq + 1);
    if (out.error = check_key(key, name); !out.ok()) {
      return out;
    }
    if (m.has(key)) {
      out.error = duplicate(key, name);
      return out;
    }
    if (out.error = check_id(key, value, name); !out.ok()) {
      return out;
    }
    m.fields.emplace_back(std::string(key), std::string(value));
  }
  return out;
}

const char* to_string(Event::Kind kind) {
  switch (kind) {
    case Event::Kind::frame:
      return "frame";
    case Event::Kind::bad:
      return "bad";
    case Event::Kind::ack:
      return "ack";
    case Event::Kind::nak:
      return "nak";
    case Event::Kind::noise:
      return "noise";
  }
  return "?";
}

void Deframer::emit(Event::Kind kind, std::string bytes, std::string reason) {
  events_.push_back(Event{kind, std::move(bytes), std::move(reason)});
}

void Deframer::flush_noise() {
  if (noise_.empty()) {
    return;
  }
  noise_total_ += noise_.size();
  emit(Event::Kind::noise, std::move(noise_));
  noise_.clear();
}

void Deframer::start_frame() {
  frame_.assign(1, kStx);
  state_ = State::payload;
}

void Deframer::fail_frame(std::string reason, State next) {
  emit(Event::Kind::bad, std::move(frame_), std::move(reason));
  frame_.clear();
  state_ = next;
}

void Deframer::feed(std::string_view bytes) {
  for (char b : bytes) {
    switch (state_) {
      case State::between:
        if (b == kStx) {
          flush_noise();
          start_frame();
        } else if (b == kAck || b == kNak) {
          flush_noise();
          emit(b == kAck ? Event::Kind::ack : Event::Kind::nak, std::string(1, b));
        } else {
          noise_ += b;
        }
        break;
      case State::payload: {
        std::size_t offset = frame_.size() - 1;  // position of b in the payload
        if (b == kStx) {
          fail_frame("STX inside frame", State::between);
          start_frame();
        } else if (b == kEtx) {
          frame_ += b;
          state_ = State::lrc;
        } else if (!printable(b) && b != kFs) {
          frame_ += b;
          fail_frame(
              "byte " + hex_byte(b) + " at offset " + std::to_string(offset) + " inside frame",
              State::skip);
        } else if (offset >= kMaxPayload) {
          fail_frame("frame longer than " + std::to_string(kMaxPayload) + " bytes", State::skip);
          noise_ += b;
        } else {
          frame_ += b;
        }
        break;
      }
      case State::lrc: {
        std::string_view payload(frame_.data() + 1, frame_.size() - 2);
        char expected = lrc(payload);
        if (b == expected) {
          emit(Event::Kind::frame, std::string(payload));
          frame_.clear();
          state_ = State::between;
        } else {
          frame_ += b;
          fail_frame("bad LRC (expected " + hex_byte(expected) + ", got " + hex_byte(b) + ")",
                     State::between);
        }
        break;
      }
      case State::skip:
        if (b == kStx) {
          flush_noise();
          start_frame();
        } else {
          noise_ += b;
          if (b == kEtx) {
            state_ = State::skip_lrc;
          }
        }
        break;
      case State::skip_lrc:
        // The byte after a skipped frame's ETX is its LRC, whatever it looks like.
        noise_ += b;
        state_ = State::between;
        break;
    }
  }
  flush_noise();
}

std::optional<Event> Deframer::pop() {
  if (events_.empty()) {
    return std::nullopt;
  }
  Event e = std::move(events_.front());
  events_.pop_front();
  return e;
}

bool Deframer::in_frame() const { return state_ == State::payload || state_ == State::lrc; }

bool Deframer::abandon(std::string reason) {
  if (!in_frame()) {
    return false;
  }
  fail_frame(std::move(reason), State::between);
  return true;
}

}  // namespace rig::protocol::ecr
