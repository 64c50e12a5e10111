// ZVT link layer: APDUs (rig/protocol/zvt.h) over a byte transport, for either end. Over TCP
// the APDUs go as they are; over a serial line or a pty each goes in a DLE STX ... DLE ETX CRC
// block (rig/protocol/zvt_transport.h) that the receiver answers with ACK or NAK. On top of
// that the application's acknowledgements: every APDU that is not itself 80 00 / 84 XX is
// answered by the other end with one of those, within T3. docs/zvt.md ("Link layer") is the
// contract for people.
//
// Roles
// - ecr (the controller): request() sends a command and waits up to T3 for the PT's 80 00 or
//   84 XX. receive() returns the PT's messages (04 FF, 04 0F, 06 D1, 06 D3, 06 0F, 06 1E) and
//   answers each with 80 00 00 before it returns it (the ECR's duty; with auto_ack off the
//   caller sends it with acknowledge()).
// - pt (the terminal): receive() returns the ECR's commands unanswered; the caller answers each
//   with acknowledge(Ack or Nack), then sends its messages with request(), each waiting for the
//   ECR's 80 00.
//
// Serial blocks: send() writes a block and waits up to ack_timeout for ACK or NAK; NAK or
// silence -> the identical block again, block_attempts writes in all. A received block with a
// good CRC is ACKed at once (before it is delivered), a bad one NAKed; a block cut off for
// byte_timeout (T1) is dropped and NAKed. ZVT blocks carry no sequence number: a block repeated
// because our ACK was lost is delivered again (the transcript shows both).
//
// Threads: one reader thread (open() .. close()) reads the transport, answers ACK/NAK, hands
// replies to the waiting request() and queues everything else for receive(). Any thread may
// call send/request/receive/acknowledge; one block is on the wire at a time (sends wait for
// each other up to their deadline). Every wait has a deadline; abort() wakes all at once.
//
// Errors name the device D (Link::name()):
//   "ZVT link D: no ACK after 3 attempts", "ZVT link D: NAKed 3 times"
//   "ZVT link D: no reply (80 00 or 84 XX) within 5000 ms"          request(), T3
//   "ZVT link D: no reply before the deadline"
//   "ZVT link D: send timed out waiting for the previous send"
//   "ZVT link D: no message before the deadline"                     receive()
//   "ZVT link D: cannot send: <codec error>"
//   "ZVT link D: aborted", "ZVT link D: not open"
//   the transport's own status once the reader met it ("/dev/pts/3: read failed: peer closed
//   the link"); APDUs queued before are still returned first.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "rig/link/link.h"
#include "rig/protocol/zvt.h"
#include "rig/protocol/zvt_transport.h"

namespace rig::terminal {

using rig::link::Clock;
using rig::link::Deadline;
using rig::link::IoStatus;
using rig::link::Status;

enum class ZvtTransport { tcp, serial };
enum class ZvtRole { ecr, pt };

const char* to_string(ZvtTransport t);

struct ZvtLinkOptions {
  ZvtTransport transport = ZvtTransport::tcp;
  ZvtRole role = ZvtRole::ecr;
  // T3: a command (or a PT message) unanswered by 80 00 / 84 XX for this long has failed.
  std::chrono::milliseconds reply_timeout{5000};
  // Serial: how long a sender waits for ACK/NAK after a block, and writes of a block in all.
  std::chrono::milliseconds ack_timeout{1000};
  int block_attempts = 3;
  // Serial, T1: quiet for this long inside a block, the block is dropped and NAKed.
  std::chrono::milliseconds byte_timeout{200};
  // ECR role: receive() answers each PT message with 80 00 00 before returning it.
  bool auto_ack = true;
};

// One thing seen on or put on the wire, for transcripts.
struct ZvtWireEvent {
  enum class Direction { in, out };
  enum class Kind {
    apdu,   // an APDU (serial: a good block; out: each write of it)
    ack,    // serial ACK byte
    nak,    // serial NAK byte
    bad,    // in only: a broken block (NAKed) or an APDU that does not decode
    noise,  // in only: serial bytes outside blocks
  };
  Direction direction = Direction::in;
  Kind kind = Kind::apdu;
  std::string bytes;   // as on the wire (serial: the whole block)
  std::string apdu;    // apdu: the APDU's bytes
  std::string detail;  // apdu: describe() of the message, or its decode error; bad: reason
  Clock::time_point at{};
  int attempt = 0;  // out apdu over serial: 1..block_attempts
};

const char* to_string(ZvtWireEvent::Direction d);
const char* to_string(ZvtWireEvent::Kind k);

using ZvtObserver = std::function<void(const ZvtWireEvent&)>;

struct ZvtReceived {
  Status status;
  rig::protocol::zvt::Apdu apdu;
  rig::protocol::zvt::Decoded decoded;  // decoded.error set for an APDU that does not decode
  Clock::time_point at{};
  Status ack_status;  // ECR role with auto_ack: how sending our 80 00 00 went
};

struct ZvtReply {
  Status status;
  // The peer's answer when status.ok(): Ack or Nack.
  rig::protocol::zvt::Message reply;
  bool positive() const {
    return status.ok() && std::holds_alternative<rig::protocol::zvt::Ack>(reply);
  }
};

struct ZvtCounters {
  std::uint64_t blocks_sent = 0;  // every write of a block, repeats included
  std::uint64_t repeats = 0;
  std::uint64_t naks_received = 0;
  std::uint64_t acks_sent = 0;
  std::uint64_t naks_sent = 0;
  std::uint64_t received = 0;       // APDUs delivered (replies included)
  std::uint64_t stray_replies = 0;  // 80 00 / 84 XX nobody waited for
  std::uint64_t noise_bytes = 0;
};

class ZvtLink {
 public:
  ZvtLink(rig::link::Link& link, ZvtLinkOptions options);
  ZvtLink(rig::link::LinkPtr link, ZvtLinkOptions options);
  ~ZvtLink();  // close()
  ZvtLink(const ZvtLink&) = delete;
  ZvtLink& operator=(const ZvtLink&) = delete;

  void set_observer(ZvtObserver observer);  // before open()

  // Opens the transport unless open and starts the reader; after abort() or a hang-up it
  // closes first (a PtyMaster gets a new pair, a TCP link connects again).
  Status open();
  void abort();
  void close();
  bool is_open() const;

  // Puts one APDU on the wire (serial: until ACKed). Does not wait for an application reply.
  Status send(const rig::protocol::zvt::Message& message, Deadline deadline);
  // send() and then the peer's 80 00 / 84 XX within reply_timeout (and the deadline).
  ZvtReply request(const rig::protocol::zvt::Message& message, Deadline deadline);
  // send() of Ack (80 00 00) or Nack (84 XX 00).
  Status acknowledge(const rig::protocol::zvt::Message& ack_or_nack, Deadline deadline);
  // The next APDU from the peer that is not a reply (ECR role: answered already, see above).
  ZvtReceived receive(Deadline deadline);

  ZvtCounters counters() const;
  const ZvtLinkOptions& options() const { return options_; }
  std::string name() const { return link_->name(); }

  // Deliberate misbehaviour of this end (serial only), for the controller's `ecr.*` faults: the
  // next `blocks` block writes carry a wrong CRC, the next `acks` good blocks from the peer get
  // no ACK, `noise` garbage bytes go out before the next block. Zero clears. Thread-safe.
  void misbehave(int blocks_with_bad_crc, int acks_to_withhold, int noise_bytes);

 private:
  enum class Ack { none, ack, nak };

  void reader_loop();
  void on_bytes(const std::string& bytes, Clock::time_point at);
  void on_apdu(const std::string& apdu_bytes, Clock::time_point at, bool ack_block);
  void on_bad(std::string bytes, std::string reason, Clock::time_point at);
  Status write_control(char byte);
  Status write_raw(const std::string& bytes, Deadline deadline);
  Status send_bytes(const std::string& apdu_bytes, const std::string& detail, Deadline deadline);
  void notify(const ZvtWireEvent& e);
  Status error(IoStatus code, const std::string& what) const;
  Status unusable() const;  // holds mu_

  rig::link::LinkPtr owned_;
  rig::link::Link* link_;
  const ZvtLinkOptions options_;

  std::mutex observer_mu_;
  ZvtObserver observer_;

  std::mutex write_mu_;          // every write to the transport
  std::timed_mutex send_mu_;     // one APDU on the wire at a time
  std::timed_mutex request_mu_;  // one request waiting for its reply at a time

  mutable std::mutex mu_;  // everything below
  std::condition_variable cv_;
  bool open_ = false;
  bool aborted_ = false;
  Status reader_status_;
  std::deque<ZvtReceived> queue_;
  // The block ACK/NAK a serial send waits for.
  Ack ack_ = Ack::none;
  bool waiting_ack_ = false;
  // The application reply a request waits for.
  bool waiting_reply_ = false;
  std::optional<rig::protocol::zvt::Message> reply_;
  ZvtCounters counters_;
  int bad_crc_left_ = 0;
  int acks_to_withhold_ = 0;
  int noise_left_ = 0;

  // Reader thread only.
  rig::protocol::zvt::SerialDeframer deframer_;
  rig::protocol::zvt::StreamReader stream_;
  Clock::time_point last_byte_{};

  std::thread reader_;
};

}  // namespace rig::terminal
