// RIG-ECR v1 codec: frames, messages and an incremental deframer. Pure functions over bytes (no
// I/O, no clocks), shared by the controller's terminal driver, vterm and the fuzzer. The full
// protocol, including the link layer built on this (rig/terminal/ecr_link.h), is specified in
// docs/ecr-protocol.md.
//
// Wire format
//   frame   = STX payload ETX LRC          LRC = XOR of every payload byte and ETX
//   payload = NAME *(FS key "=" value)      at most 2048 bytes
//   NAME    = [A-Z_]+   key = [a-z0-9_]+    value = printable ASCII 0x20-0x7E, may be empty
// A value may contain '='; the key ends at the first '='. The field `id`, when present, is at
// most 32 characters. Field order is kept; a key appears at most once.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rig::protocol::ecr {

inline constexpr char kStx = 0x02;
inline constexpr char kEtx = 0x03;
inline constexpr char kAck = 0x06;
inline constexpr char kNak = 0x15;
inline constexpr char kFs = 0x1C;
inline constexpr std::size_t kMaxPayload = 2048;
inline constexpr std::size_t kMaxIdLength = 32;

// XOR of every byte of `payload` and ETX.
char lrc(std::string_view payload);

// STX payload ETX LRC. Does not validate the payload.
std::string encode_frame(std::string_view payload);

// One message: its name and its fields in wire order.
struct Message {
  std::string name;
  std::vector<std::pair<std::string, std::string>> fields;

  Message() = default;
  explicit Message(std::string message_name) : name(std::move(message_name)) {}

  // The value of `key`, or nullopt when the field is absent.
  std::optional<std::string> get(std::string_view key) const;
  // The value of `key`, or nullptr; valid until the message is modified.
  const std::string* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }
  // Replaces the value of `key` in place, or appends the field. Returns *this for chaining.
  Message& set(std::string_view key, std::string_view value);
  // Removes `key`; returns whether it was there.
  bool erase(std::string_view key);

  bool operator==(const Message& other) const {
    return name == other.name && fields == other.fields;
  }
  bool operator!=(const Message& other) const { return !(*this == other); }
};

// Outcome of encode(): the payload, or an error text (empty on success).
struct Encoded {
  std::string payload;
  std::string error;
  bool ok() const { return error.empty(); }
};

// Outcome of decode(): the message, or an error text (empty on success).
struct Decoded {
  Message message;
  std::string error;
  bool ok() const { return error.empty(); }
};

// Message -> payload (not framed). Error texts, checked in this order:
//   message name is empty
//   message name "Sale" has a byte other than A-Z and '_'
//   empty field key in SALE
//   field key "Amount" in SALE has a byte other than a-z, 0-9 and '_'
//   duplicate field "id" in SALE
//   field "text" in DISPLAY has byte 0x0a at offset 5, not printable ASCII
//   field "id" in SALE is 33 characters long (at most 32)
//   SALE payload is 2051 bytes (at most 2048)
Encoded encode(const Message& message);

// Payload -> message. Accepts exactly what encode() produces, so that
// encode(decode(p).message).payload == p whenever decode succeeds. Error texts (offsets are
// 0-based positions in the payload), checked in this order:
//   empty payload
//   payload is 2049 bytes (at most 2048)
//   byte 0x07 at offset 3 is not printable ASCII
//   message name is empty
//   message name "Sale" has a byte other than A-Z and '_'
//   empty field at offset 5
//   field at offset 5 has no '='
//   empty field key at offset 5
//   field key "Amount" in SALE has a byte other than a-z, 0-9 and '_'
//   duplicate field "id" in SALE
//   field "id" in SALE is 33 characters long (at most 32)
Decoded decode(std::string_view payload);

// "0x07": how error texts show a byte.
std::string hex_byte(char byte);

// What the deframer found on the line.
struct Event {
  enum class Kind {
    frame,  // a complete frame with a good LRC; `bytes` is its payload (not yet decoded)
    bad,    // a broken frame; `bytes` holds what was received of it, `reason` says what broke
    ack,    // an ACK byte between frames
    nak,    // a NAK byte between frames
    noise,  // bytes skipped outside any frame; `bytes` holds them
  };
  Kind kind = Kind::frame;
  std::string bytes;
  std::string reason;
};

const char* to_string(Event::Kind kind);

// Incremental deframer. Feed it bytes as they arrive, in any split, then pop events in order.
//
// Between frames: STX starts a frame, ACK and NAK are events, every other byte is noise.
// Inside a frame: printable bytes and FS are payload, ETX means the next byte is the LRC.
// Bad frames and their reasons (offsets are 0-based positions in the payload):
//   bad LRC (expected 0x41, got 0x42)        the frame is complete; back to between frames
//   byte 0x07 at offset 3 inside frame       any other byte, ACK and NAK included
//   frame longer than 2048 bytes             a payload byte past the limit
//   STX inside frame                         the new STX starts the next frame
// After a bad byte or an over-long payload the rest of that frame is skipped as noise: every
// byte up to and including the next ETX and the byte after it (its LRC, which may look like
// ACK), or up to the next STX, which starts a frame.
//
// Noise is reported as one event per run; a run ends at STX, ACK, NAK, at the start of skipping
// and at the end of each feed(), so that nothing seen waits for the next read to be reported.
class Deframer {
 public:
  void feed(std::string_view bytes);
  // The next event in line order, or nullopt when none is ready.
  std::optional<Event> pop();
  // True while a frame has started (STX seen) and is not finished.
  bool in_frame() const;
  // Ends a frame in progress: queues it as bad with `reason` (the link layer calls this when the
  // line has gone quiet mid-frame) and goes back to between frames. Returns false, and does
  // nothing, when no frame is in progress.
  bool abandon(std::string reason);
  // Total bytes reported as noise so far.
  std::size_t noise_bytes() const { return noise_total_; }

 private:
  enum class State { between, payload, lrc, skip, skip_lrc };

  void emit(Event::Kind kind, std::string bytes, std::string reason = {});
  void flush_noise();
  void start_frame();
  void fail_frame(std::string reason, State next);

  State state_ = State::between;
  std::string frame_;  // raw bytes of the frame in progress, STX included
  std::string noise_;  // the current run of skipped bytes
  std::size_t noise_total_ = 0;
  std::deque<Event> events_;
};

}  // namespace rig::protocol::ecr
