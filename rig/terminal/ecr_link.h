// RIG-ECR v1 link layer: ACK/NAK, resends, sequence numbers and duplicate suppression over a
// byte transport. Both ends use it: the controller's rig-ecr terminal driver and vterm. The
// protocol it implements is docs/ecr-protocol.md ("Link layer"); the codec is
// rig/protocol/ecr.h.
//
// Contract
// - One thread at a time reads the link, deframes, answers every good frame with ACK and every
//   bad or malformed one with NAK, drops duplicates, queues new messages for receive() and hands
//   ACK/NAK to the send() waiting for them. That thread is preferably the caller that waits:
//   send() reads its own ACK and receive() its own message, so that an exchange costs no
//   hand-over between threads (DESIGN: ECR round trip within 1.5x of a raw pty loop). A
//   background reader (started by open()) reads while nobody waits, so that the peer's frames
//   are ACKed at any time; a caller that wants to read wakes it (Link::wake) and takes over.
// - send() adds `seq=N` to the message, writes the frame and waits up to ack_timeout for an ACK;
//   on NAK or silence it writes the identical bytes again, `attempts` writes in all. One send
//   at a time; a second caller waits for the first (until its own deadline).
// - receive() returns the next delivered message, `seq` removed. At most kMaxQueued messages
//   wait unread; beyond that the oldest is dropped (counted in EcrCounters::dropped), so that a
//   peer sending faster than its frames are read cannot grow the queue without bound.
// - Duplicates: a good frame whose (name, id, seq) equals that of the last frame delivered is
//   ACKed again and not delivered (`id` empty when absent). This memory and the seq counter live
//   as long as the EcrLink object, across close() and open().
// - The link is full duplex: ACK/NAK for the peer's frames may be written between our frames,
//   never inside one (all writes go through one mutex).
// - Every wait has a deadline; abort() wakes every blocked call at once.
// - Errors name the device. Texts, with D = Link::name():
//     send   error    "ECR link D: NAKed 3 times"               every attempt answered with NAK
//            error    "ECR link D: no ACK after 3 attempts"     otherwise, attempts exhausted
//            timeout  "ECR link D: no ACK before the deadline (attempt 2 of 3)"
//            timeout  "ECR link D: send timed out waiting for the previous send"
//            error    "ECR link D: cannot send: <codec error>"       see ecr::encode()
//            error    "ECR link D: cannot send: field \"seq\" in SALE is reserved for the link
//                      layer"
//            other    the transport's write status, unchanged
//     receive timeout "ECR link D: no message before the deadline"
//     both    aborted "ECR link D: aborted"                     abort() or close() was called;
//                                                               until the next open()
//             closed  "ECR link D: not open"                    before the first open()
//             closed / error: the transport's own status, unchanged, once the reader has met
//                     it ("/dev/pts/3: read failed: peer closed the link"); messages queued
//                     before are still returned first.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "rig/link/link.h"
#include "rig/protocol/ecr.h"

namespace rig::terminal {

using rig::link::Clock;
using rig::link::Deadline;
using rig::link::IoStatus;
using rig::link::Status;
using rig::protocol::ecr::Message;

struct EcrLinkOptions {
  // How long a sender waits for ACK/NAK after each write.
  std::chrono::milliseconds ack_timeout{1000};
  // Writes of one frame in all (the first one included).
  int attempts = 3;
  // Line quiet for this long inside a frame: the partial frame is dropped and NAKed. Must be
  // shorter than the peer's ack_timeout so that the NAK reaches it while it still waits.
  std::chrono::milliseconds byte_timeout{500};
  // Seq of the first message sent; 0 picks a random one in 1..9999 so that a restarted peer
  // does not repeat the seq of its last frame before the restart.
  int first_seq = 0;
};

// One thing seen on or put on the wire, for transcripts.
struct EcrFrameEvent {
  enum class Direction { in, out };
  enum class Kind {
    frame,  // a good frame (out: each write of it; in: delivered or duplicate)
    ack,
    nak,
    bad,    // in only, and NAKed. `detail` is the Deframer's reason ("bad LRC (expected 0x41,
            // got 0x42)"), "incomplete frame: no byte for 500 ms", a decode() error, or
            // "missing field \"seq\"" / "bad seq \"0042\" (expected 1 to 9999)"
    noise,  // in only: bytes skipped outside frames
  };
  Direction direction = Direction::in;
  Kind kind = Kind::frame;
  std::string bytes;       // exactly as on the wire (whole frame, one control byte, noise)
  std::string payload;     // frame: the payload as on the wire, seq included; else empty
  std::string detail;      // bad: the reason ("bad LRC (expected 0x41, got 0x42)")
  Clock::time_point at{};  // in: when read off the link; out: when the write started
  int attempt = 0;         // out frame: 1..attempts; otherwise 0
  bool duplicate = false;  // in frame: ACKed again and not delivered
};

const char* to_string(EcrFrameEvent::Direction d);
const char* to_string(EcrFrameEvent::Kind k);

// Called for every event, from the reader thread and from the thread in send(). Calls are
// serialized and in causal order (an out event is reported just before its bytes are written,
// so a frame always comes before its ACK); keep them short and do not call back into the
// EcrLink. An out event whose write then fails is still reported; send() returns the failure.
using EcrObserver = std::function<void(const EcrFrameEvent&)>;

struct EcrReceived {
  Status status;
  Message message;         // valid when status.ok(); seq removed
  Clock::time_point at{};  // when its last byte was read
};

struct EcrSent {
  Status status;
  int attempts = 0;              // writes made (1 when the first one was ACKed)
  Clock::time_point acked_at{};  // when the ACK was read; valid when status.ok()
};

struct EcrCounters {
  std::uint64_t frames_sent = 0;  // every write of a frame, resends included
  std::uint64_t resends = 0;      // writes after the first of a message
  std::uint64_t naks_received = 0;
  std::uint64_t acks_sent = 0;
  std::uint64_t naks_sent = 0;
  std::uint64_t delivered = 0;  // messages queued for receive()
  std::uint64_t duplicates_dropped = 0;
  std::uint64_t stray_controls = 0;  // ACK/NAK read while no send was waiting
  std::uint64_t noise_bytes = 0;
  std::uint64_t dropped = 0;  // delivered messages thrown away unread (queue full)
};

class EcrLink {
 public:
  static constexpr std::size_t kMaxQueued = 1024;

  // Over a link owned by the caller, which must outlive this object.
  explicit EcrLink(rig::link::Link& link, EcrLinkOptions options = {});
  // Over a link this object owns.
  explicit EcrLink(rig::link::LinkPtr link, EcrLinkOptions options = {});
  ~EcrLink();  // close()
  EcrLink(const EcrLink&) = delete;
  EcrLink& operator=(const EcrLink&) = delete;

  // Set before open().
  void set_observer(EcrObserver observer);

  // Opens the link unless it is open already, and starts the reader. Returns the link's error
  // if it cannot be opened. Does nothing while open and healthy; after abort() or a hang-up it
  // first does close() (so a PtyMaster link gets a new pair) and then opens again.
  Status open();
  // Wakes every blocked call (they return `aborted`) and stops the reader by aborting the link;
  // later calls return `aborted` until open(). Any thread.
  void abort();
  // abort(), joins the reader and closes the link (owned or not). Idempotent. Later calls
  // return `aborted` until open().
  void close();
  // Open, not aborted, and the transport has not hung up.
  bool is_open() const;

  EcrSent send(const Message& message, Deadline deadline);
  EcrReceived receive(Deadline deadline);

  EcrCounters counters() const;

  // Deliberate misbehaviour of this end, for the controller's `ecr.*` faults (DOMAIN rules
  // 18-19): the next `frames` frame writes carry a wrong LRC (the peer must NAK them); the next
  // `acks` good frames from the peer are not ACKed (the peer must resend the identical frame);
  // `noise` bytes of garbage go out before the next frame (the peer must skip them). Zero
  // clears. Thread-safe.
  void misbehave(int frames_with_bad_lrc, int acks_to_withhold, int noise_bytes);
  const EcrLinkOptions& options() const { return options_; }
  std::string name() const { return link_->name(); }

 private:
  enum class Ack { none, ack, nak };

  void reader_loop();
  // Waits (lk held on entry and return) until `ready()` holds, the deadline passes, or the link
  // is aborted or lost; reads the link itself whenever no other thread does.
  void wait_reading(std::unique_lock<std::mutex>& lk, Deadline until,
                    const std::function<bool()>& ready);
  // One read of the link and what it brings (the caller holds the read turn, not mu_).
  void read_once(Deadline until);
  void handle(rig::protocol::ecr::Event event, Clock::time_point at);
  void handle_frame(const std::string& payload, Clock::time_point at);
  void reject(std::string bytes, std::string reason, Clock::time_point at);
  Status write_control(char byte);
  void notify(const EcrFrameEvent& event);
  Status error_status(IoStatus code, const std::string& what) const;
  // The status a call returns when the EcrLink cannot serve it; ok when it can. Holds mu_.
  Status unusable() const;

  rig::link::LinkPtr owned_;
  rig::link::Link* link_;
  const EcrLinkOptions options_;

  std::mutex observer_mu_;
  EcrObserver observer_;

  std::mutex write_mu_;       // every write to the link
  std::timed_mutex send_mu_;  // one send() at a time

  mutable std::mutex mu_;  // everything below
  std::condition_variable cv_;
  bool open_ = false;
  bool aborted_ = false;
  Status reader_status_;  // closed/error met by the reader
  std::deque<EcrReceived> queue_;
  Ack ack_ = Ack::none;
  bool waiting_ack_ = false;
  Clock::time_point ack_at_{};
  int next_seq_ = 1;
  bool have_last_ = false;
  std::string last_name_, last_id_, last_seq_;
  EcrCounters counters_;
  int bad_lrc_left_ = 0;      // misbehave(): frames to corrupt
  int acks_to_withhold_ = 0;  // misbehave(): ACKs to leave out
  int noise_left_ = 0;        // misbehave(): garbage bytes before the next frame

  // The read turn: one thread at a time is in read_once().
  bool reading_ = false;
  bool background_reading_ = false;  // ... and it is the background reader
  int callers_waiting_ = 0;          // send()/receive() calls waiting for input
  // The background reader waits on its own condition, told only when the last caller is done
  // (and it waits for that), so that the callers' hand-overs never wake it.
  std::condition_variable background_cv_;
  bool background_waits_for_idle_ = false;
  // Owned by the thread that has the read turn.
  rig::protocol::ecr::Deframer deframer_;
  Clock::time_point last_byte_{};

  std::thread reader_;
};

}  // namespace rig::terminal
