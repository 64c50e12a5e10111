#include "rig/protocol/zvt_transport.h"

namespace rig::protocol::zvt {

std::uint16_t crc16(std::string_view bytes) {
  std::uint16_t crc = 0;
  for (char c : bytes) {
    crc ^= static_cast<std::uint8_t>(c);
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 1) ? static_cast<std::uint16_t>((crc >> 1) ^ 0x8408)
                      : static_cast<std::uint16_t>(crc >> 1);
    }
  }
  return crc;
}

std::string encode_block(std::string_view apdu_bytes) {
  std::string out;
  out.reserve(apdu_bytes.size() + 8);
  out.push_back(kDle);
  out.push_back(kStx);
  for (char c : apdu_bytes) {
    out.push_back(c);
    if (c == kDle) out.push_back(kDle);
  }
  out.push_back(kDle);
  out.push_back(kEtx);
  std::string covered(apdu_bytes);
  covered.push_back(kEtx);
  const std::uint16_t crc = crc16(covered);
  out.push_back(static_cast<char>(crc & 0xFF));
  out.push_back(static_cast<char>(crc >> 8));
  return out;
}

const char* to_string(SerialEvent::Kind kind) {
  switch (kind) {
    case SerialEvent::Kind::block:
      return "block";
    case SerialEvent::Kind::bad:
      return "bad";
    case SerialEvent::Kind::ack:
      return "ack";
    case SerialEvent::Kind::nak:
      return "nak";
    case SerialEvent::Kind::noise:
      return "noise";
  }
  return "?";
}

void SerialDeframer::feed(std::string_view bytes) {
  for (char c : bytes) step(c);
  flush_noise();
}

std::optional<SerialEvent> SerialDeframer::pop() {
  if (events_.empty()) return std::nullopt;
  SerialEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

bool SerialDeframer::in_block() const {
  return state_ == State::data || state_ == State::data_dle || state_ == State::crc_low ||
         state_ == State::crc_high;
}

bool SerialDeframer::abandon(std::string reason) {
  if (!in_block()) return false;
  emit(SerialEvent::Kind::bad, std::move(raw_), std::move(reason));
  raw_.clear();
  apdu_.clear();
  state_ = State::between;
  return true;
}

void SerialDeframer::emit(SerialEvent::Kind kind, std::string bytes, std::string reason) {
  events_.push_back(SerialEvent{kind, std::move(bytes), std::move(reason)});
}

void SerialDeframer::flush_noise() {
  if (noise_.empty()) return;
  emit(SerialEvent::Kind::noise, std::move(noise_));
  noise_.clear();
}

void SerialDeframer::start_block() {
  flush_noise();
  raw_ = std::string{kDle, kStx};
  apdu_.clear();
  state_ = State::data;
}

void SerialDeframer::fail_block(std::string reason) {
  emit(SerialEvent::Kind::bad, std::move(raw_), std::move(reason));
  raw_.clear();
  apdu_.clear();
  state_ = State::skip;
}

void SerialDeframer::step(char c) {
  switch (state_) {
    case State::between:
      if (c == kDle) {
        state_ = State::between_dle;  // held back: noise unless STX follows
      } else if (c == kAck || c == kNak) {
        flush_noise();
        emit(c == kAck ? SerialEvent::Kind::ack : SerialEvent::Kind::nak, std::string(1, c));
      } else {
        noise_.push_back(c);
      }
      return;
    case State::between_dle:
      if (c == kStx) {
        start_block();
      } else if (c == kDle) {
        noise_.push_back(kDle);  // the earlier DLE was noise; this one may start a block
      } else {
        noise_.push_back(kDle);
        state_ = State::between;
        step(c);
      }
      return;
    case State::data:
      raw_.push_back(c);
      if (c == kDle) {
        state_ = State::data_dle;
        return;
      }
      if (apdu_.size() >= kMaxApduBytes) {
        return fail_block("block longer than " + std::to_string(kMaxApduBytes) + " bytes");
      }
      apdu_.push_back(c);
      return;
    case State::data_dle:
      if (c == kDle) {
        raw_.push_back(c);
        if (apdu_.size() >= kMaxApduBytes) {
          return fail_block("block longer than " + std::to_string(kMaxApduBytes) + " bytes");
        }
        apdu_.push_back(c);
        state_ = State::data;
      } else if (c == kEtx) {
        raw_.push_back(c);
        state_ = State::crc_low;
      } else if (c == kStx) {
        raw_.pop_back();  // the DLE belongs to the next block
        emit(SerialEvent::Kind::bad, std::move(raw_), "DLE STX inside block");
        start_block();
      } else {
        raw_.push_back(c);
        const std::size_t offset = apdu_.size();
        fail_block("DLE followed by " + hex(static_cast<std::uint8_t>(c)) + " at offset " +
                   std::to_string(offset));
      }
      return;
    case State::crc_low:
      raw_.push_back(c);
      state_ = State::crc_high;
      return;
    case State::crc_high: {
      raw_.push_back(c);
      const std::uint16_t got = static_cast<std::uint16_t>(
          static_cast<std::uint8_t>(raw_[raw_.size() - 2]) | static_cast<std::uint8_t>(c) << 8);
      std::string covered = apdu_;
      covered.push_back(kEtx);
      const std::uint16_t expected = crc16(covered);
      if (got == expected) {
        emit(SerialEvent::Kind::block, std::move(apdu_));
      } else {
        emit(SerialEvent::Kind::bad, std::move(raw_),
             "bad CRC (expected " + hex(expected, 4) + ", got " + hex(got, 4) + ")");
      }
      raw_.clear();
      apdu_.clear();
      state_ = State::between;
      return;
    }
    case State::skip:
      if (c == kDle) {
        state_ = State::skip_dle;  // held back: DLE STX starts a block
      } else {
        noise_.push_back(c);
      }
      return;
    case State::skip_dle:
      if (c == kStx) {
        start_block();
        return;
      }
      noise_.push_back(kDle);
      noise_.push_back(c);
      state_ = c == kEtx ? State::skip_crc_low : State::skip;
      return;
    case State::skip_crc_low:
      noise_.push_back(c);
      state_ = State::skip_crc_high;
      return;
    case State::skip_crc_high:
      noise_.push_back(c);
      state_ = State::between;
      return;
  }
}

void StreamReader::feed(std::string_view bytes) {
  // Compact once what was consumed outweighs what is left.
  if (start_ > 0 && start_ >= buffer_.size() / 2) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  buffer_.append(bytes);
}

std::optional<Apdu> StreamReader::pop() {
  ApduParsed p = parse_apdu(std::string_view(buffer_).substr(start_));
  if (p.status != ApduParsed::Status::ok) return std::nullopt;
  start_ += p.consumed;
  return std::move(p.apdu);
}

}  // namespace rig::protocol::zvt
