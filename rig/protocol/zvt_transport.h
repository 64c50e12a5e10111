// ZVT transports: how APDUs (rig/protocol/zvt.h) travel between ECR and PT. Pure functions and
// incremental parsers over bytes; the link layer that reads and writes devices is
// rig/terminal/zvt_link.h. docs/zvt.md describes both for people.
//
// Serial (RS-232, USB serial, a pty):
//   block = DLE STX apdu' DLE ETX CRC-L CRC-H
//   apdu'   the APDU with every DLE (0x10) doubled
//   CRC     CRC-16/KERMIT (the CCITT polynomial x^16 + x^12 + x^5 + 1 taken reflected, 0x8408;
//           initial value 0x0000, input and output reflected, no final XOR) over the APDU
//           bytes as they are (not doubled) followed by ETX; sent low byte first. Check value:
//           crc16("123456789") = 0x2189.
//   The receiver answers every block with ACK (0x06) when its CRC is right, else NAK (0x15);
//   the sender repeats a NAKed or unanswered block.
//
// TCP (port 20007 by convention): the APDUs themselves, back to back, with no framing, CRC or
// ACK/NAK; their length fields delimit them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "rig/protocol/zvt.h"

namespace rig::protocol::zvt {

inline constexpr char kStx = 0x02;
inline constexpr char kEtx = 0x03;
inline constexpr char kAck = 0x06;
inline constexpr char kDle = 0x10;
inline constexpr char kNak = 0x15;

// The longest APDU: 5 header bytes and 65535 bytes of data.
inline constexpr std::size_t kMaxApduBytes = 5 + kMaxApduData;

// CRC-16/KERMIT of `bytes` (see above).
std::uint16_t crc16(std::string_view bytes);

// The serial block carrying `apdu_bytes` (an encoded APDU).
std::string encode_block(std::string_view apdu_bytes);

// What the serial deframer found on the line.
struct SerialEvent {
  enum class Kind {
    block,  // a block with a good CRC; `bytes` is the APDU it carries (DLEs no longer doubled)
    bad,    // a broken block; `bytes` holds what was received of it, `reason` says what broke
    ack,    // an ACK byte between blocks
    nak,    // a NAK byte between blocks
    noise,  // bytes skipped outside any block
  };
  Kind kind = Kind::block;
  std::string bytes;
  std::string reason;
};

const char* to_string(SerialEvent::Kind kind);

// Incremental serial deframer: feed bytes as they arrive, in any split, then pop events in
// order.
//
// Between blocks: DLE STX starts a block, ACK and NAK are events, anything else is noise.
// Inside a block: DLE DLE is one data byte 0x10, DLE ETX ends the data and the next two bytes are
// the CRC. Bad blocks and their reasons (offsets count the APDU's bytes, from 0):
//   bad CRC (expected 0x11b1, got 0x11b2)      the block is complete
//   DLE followed by 0x41 at offset 3            any byte but DLE, ETX or STX after a DLE
//   DLE STX inside block                        the DLE STX starts the next block
//   block longer than 65540 bytes               more APDU bytes than an APDU can have
// After a bad DLE pair or an over-long block the rest of that block is skipped as noise, up to and
// including DLE ETX and its two CRC bytes, or up to a DLE STX, which starts a block.
// Noise is one event per run; a run ends at DLE STX, ACK, NAK and at the end of each feed(),
// except a final DLE, which is held back until the next byte says whether it starts a block.
class SerialDeframer {
 public:
  void feed(std::string_view bytes);
  std::optional<SerialEvent> pop();
  // A block has started (DLE STX seen) and is not finished.
  bool in_block() const;
  // Ends a block in progress as bad with `reason` (the line went quiet mid-block); false, and
  // nothing done, when none is in progress.
  bool abandon(std::string reason);

 private:
  enum class State {
    between,
    between_dle,
    data,
    data_dle,
    crc_low,
    crc_high,
    skip,
    skip_dle,
    skip_crc_low,
    skip_crc_high
  };

  void step(char c);
  void emit(SerialEvent::Kind kind, std::string bytes, std::string reason = {});
  void flush_noise();
  void start_block();
  void fail_block(std::string reason);

  State state_ = State::between;
  std::string raw_;   // the block in progress as on the wire, from DLE STX
  std::string apdu_;  // its APDU bytes, DLEs undoubled
  std::string noise_;
  std::deque<SerialEvent> events_;
};

// Splits a TCP byte stream into APDUs. Any bytes form an APDU header, so it never fails; it
// only waits for the rest of an APDU.
class StreamReader {
 public:
  void feed(std::string_view bytes);
  std::optional<Apdu> pop();
  // Bytes fed and not yet returned as part of an APDU.
  std::size_t buffered() const { return buffer_.size() - start_; }

 private:
  std::string buffer_;
  std::size_t start_ = 0;
};

}  // namespace rig::protocol::zvt
