#include "rig/terminal/ecr_link.h"

#include <algorithm>
#include <random>
#include <utility>

namespace rig::terminal {

namespace ecr = rig::protocol::ecr;

namespace {

constexpr int kMaxSeq = 9999;

// Seq as the protocol allows it: 1 to 9999, decimal, no sign or leading zero.
bool valid_seq(const std::string& s) {
  if (s.empty() || s.size() > 4 || s[0] == '0') {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int pick_first_seq(int configured) {
  if (configured >= 1 && configured <= kMaxSeq) {
    return configured;
  }
  std::random_device rd;
  return std::uniform_int_distribution<int>(1, kMaxSeq)(rd);
}

}  // namespace

const char* to_string(EcrFrameEvent::Direction d) {
  return d == EcrFrameEvent::Direction::in ? "in" : "out";
}

const char* to_string(EcrFrameEvent::Kind k) {
  switch (k) {
    case EcrFrameEvent::Kind::frame:
      return "frame";
    case EcrFrameEvent::Kind::ack:
      return "ack";
    case EcrFrameEvent::Kind::nak:
      return "nak";
    case EcrFrameEvent::Kind::bad:
      return "bad";
    case EcrFrameEvent::Kind::noise:
      return "noise";
  }
  return "?";
}

EcrLink::EcrLink(rig::link::Link& link, EcrLinkOptions options)
    : link_(&link), options_(options), next_seq_(pick_first_seq(options.first_seq)) {}

EcrLink::EcrLink(rig::link::LinkPtr link, EcrLinkOptions options)
    : owned_(std::move(link)),
      link_(owned_.get()),
      options_(options),
      next_seq_(pick_first_seq(options.first_seq)) {}

EcrLink::~EcrLink() { close(); }

void EcrLink::set_observer(EcrObserver observer) {
  std::lock_guard<std::mutex> lk(observer_mu_);
  observer_ = std::move(observer);
}

Status EcrLink::open() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (open_ && !aborted_ && reader_status_.ok()) {
      return Status::success();
    }
  }
  // After abort() or a hang-up the old reader must be gone, and the link reopened, before a
  // new reader starts.
  close();
  if (!link_->is_open()) {
    Status s = link_->open();
    if (!s) {
      return s;
    }
  }
  {
    std::lock_guard<std::mutex> lk(mu_);
    open_ = true;
    aborted_ = false;
    reader_status_ = Status::success();
    queue_.clear();
    ack_ = Ack::none;
    waiting_ack_ = false;
    reading_ = false;
    background_reading_ = false;
    deframer_ = ecr::Deframer();
  }
  reader_ = std::thread(&EcrLink::reader_loop, this);
  return Status::success();
}

void EcrLink::abort() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    aborted_ = true;
  }
  cv_.notify_all();
  background_cv_.notify_all();
  link_->abort();
}

void EcrLink::close() {
  bool was_open;
  {
    std::lock_guard<std::mutex> lk(mu_);
    was_open = open_ || reader_.joinable();
  }
  if (!was_open) {
    return;
  }
  abort();
  if (reader_.joinable()) {
    reader_.join();
  }
  link_->close();
  std::lock_guard<std::mutex> lk(mu_);
  open_ = false;
}

bool EcrLink::is_open() const {
  std::lock_guard<std::mutex> lk(mu_);
  return open_ && !aborted_ && reader_status_.ok();
}

EcrCounters EcrLink::counters() const {
  std::lock_guard<std::mutex> lk(mu_);
  return counters_;
}

Status EcrLink::error_status(IoStatus code, const std::string& what) const {
  return {code, "ECR link " + link_->name() + ": " + what};
}

Status EcrLink::unusable() const {
  if (aborted_) {
    return error_status(IoStatus::aborted, "aborted");
  }
  if (!open_) {
    return error_status(IoStatus::closed, "not open");
  }
  return reader_status_;
}

void EcrLink::notify(const EcrFrameEvent& event) {
  std::lock_guard<std::mutex> lk(observer_mu_);
  if (observer_) {
    observer_(event);
  }
}

void EcrLink::misbehave(int frames_with_bad_lrc, int acks_to_withhold, int noise_bytes) {
  std::lock_guard<std::mutex> lk(mu_);
  bad_lrc_left_ = frames_with_bad_lrc;
  acks_to_withhold_ = acks_to_withhold;
  noise_left_ = noise_bytes;
}

Status EcrLink::write_control(char byte) {
  EcrFrameEvent e;
  e.direction = EcrFrameEvent::Direction::out;
  e.kind = byte == ecr::kAck ? EcrFrameEvent::Kind::ack : EcrFrameEvent::Kind::nak;
  e.bytes = std::string(1, byte);
  e.at = Clock::now();
  notify(e);
  Status s;
  {
    std::lock_guard<std::mutex> lk(write_mu_);
    s = link_->write(e.bytes, rig::link::after(options_.ack_timeout));
  }
  if (s) {
    std::lock_guard<std::mutex> lk(mu_);
    ++(byte == ecr::kAck ? counters_.acks_sent : counters_.naks_sent);
  }
  return s;
}

EcrSent EcrLink::send(const Message& message, Deadline deadline) {
  EcrSent out;
  if (message.has("seq")) {
    out.status = error_status(IoStatus::error, "cannot send: field \"seq\" in " + message.name +
                                                   " is reserved for the link layer");
    return out;
  }
  std::unique_lock<std::timed_mutex> one_send(send_mu_, std::defer_lock);
  if (!one_send.try_lock_until(deadline)) {
    out.status = error_status(IoStatus::timeout, "send timed out waiting for the previous send");
    return out;
  }

  int seq;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (Status s = unusable(); !s) {
      out.status = s;
      return out;
    }
    seq = next_seq_;
  }
  Message wire = message;
  wire.set("seq", std::to_string(seq));
  ecr::Encoded encoded = ecr::encode(wire);
  if (!encoded.ok()) {
    out.status = error_status(IoStatus::error, "cannot send: " + encoded.error);
    return out;
  }
  {
    // Only a message that goes on the wire uses up a seq number.
    std::lock_guard<std::mutex> lk(mu_);
    next_seq_ = seq % kMaxSeq + 1;
  }
  const std::string frame = ecr::encode_frame(encoded.payload);
  const int attempts = std::max(1, options_.attempts);
  int naks = 0;

  for (int attempt = 1; attempt <= attempts; ++attempt) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (Status s = unusable(); !s) {
        out.status = s;
        return out;
      }
      if (attempt > 1 && Clock::now() >= deadline) {
        out.status = error_status(IoStatus::timeout, "no ACK before the deadline (attempt " +
                                                         std::to_string(attempt - 1) + " of " +
                                                         std::to_string(attempts) + ")");
        return out;
      }
      // Armed before the write: an ACK can come back before write() returns.
      ack_ = Ack::none;
      waiting_ack_ = true;
    }
    // Reported before the write, so that a transcript never shows the ACK ahead of its frame.
    EcrFrameEvent e;
    e.direction = EcrFrameEvent::Direction::out;
    e.kind = EcrFrameEvent::Kind::frame;
    e.bytes = frame;
    e.payload = encoded.payload;
    e.at = Clock::now();
    e.attempt = attempt;
    notify(e);
    // Injected faults (misbehave()): garbage ahead of the frame, or a frame with a wrong LRC.
    std::string wire = frame;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (noise_left_ > 0) {
        wire.insert(0, static_cast<std::size_t>(noise_left_), '\x7f');
        noise_left_ = 0;
      }
      if (bad_lrc_left_ > 0) {
        --bad_lrc_left_;
        wire.back() = static_cast<char>(wire.back() ^ 0x5a);
      }
    }
    Status w;
    {
      std::lock_guard<std::mutex> lk(write_mu_);
      w = link_->write(wire, deadline);
    }
    const Clock::time_point written = Clock::now();
    if (!w) {
      std::lock_guard<std::mutex> lk(mu_);
      waiting_ack_ = false;
      out.status = w.code == IoStatus::aborted ? error_status(IoStatus::aborted, "aborted") : w;
      return out;
    }
    out.attempts = attempt;
    {
      std::lock_guard<std::mutex> lk(mu_);
      ++counters_.frames_sent;
      if (attempt > 1) {
        ++counters_.resends;
      }
    }

    const Deadline wait_end = std::min<Deadline>(written + options_.ack_timeout, deadline);
    std::unique_lock<std::mutex> lk(mu_);
    wait_reading(lk, wait_end, [&] { return ack_ != Ack::none; });
    waiting_ack_ = false;
    if (aborted_) {
      out.status = error_status(IoStatus::aborted, "aborted");
      return out;
    }
    if (ack_ == Ack::ack) {
      out.acked_at = ack_at_;
      return out;
    }
    if (ack_ == Ack::nak) {
      ++naks;
      continue;
    }
    if (!reader_status_.ok()) {
      out.status = reader_status_;
      return out;
    }
    if (wait_end == deadline && Clock::now() >= deadline) {
      out.status = error_status(IoStatus::timeout, "no ACK before the deadline (attempt " +
                                                       std::to_string(attempt) + " of " +
                                                       std::to_string(attempts) + ")");
      return out;
    }
  }
  out.status =
      naks == attempts
          ? error_status(IoStatus::error, "NAKed " + std::to_string(attempts) + " times")
          : error_status(IoStatus::error, "no ACK after " + std::to_string(attempts) + " attempts");
  return out;
}

EcrReceived EcrLink::receive(Deadline deadline) {
  EcrReceived out;
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    if (aborted_ || !open_) {
      out.status = unusable();
      return out;
    }
    if (!queue_.empty()) {
      out = std::move(queue_.front());
      queue_.pop_front();
      return out;
    }
    if (!reader_status_.ok()) {
      out.status = reader_status_;
      return out;
    }
    if (Clock::now() >= deadline) {
      out.status = error_status(IoStatus::timeout, "no message before the deadline");
      return out;
    }
    wait_reading(lk, deadline, [&] { return !queue_.empty(); });
  }
}

void EcrLink::wait_reading(std::unique_lock<std::mutex>& lk, Deadline until,
                           const std::function<bool()>& ready) {
  ++callers_waiting_;
  while (!ready() && !aborted_ && open_ && reader_status_.ok() && Clock::now() < until) {
    if (!reading_) {
      reading_ = true;
      lk.unlock();
      read_once(until);
      lk.lock();
      reading_ = false;
      cv_.notify_all();
      continue;
    }
    // Another thread reads: the background reader steps aside when asked; a caller that
    // reads hands over what it reads for us and the turn when its own wait ends.
    if (background_reading_) link_->wake();
    cv_.wait_until(lk, until);
  }
  --callers_waiting_;
  if (callers_waiting_ == 0 && background_waits_for_idle_) {
    background_cv_.notify_one();  // the background reader may take the turn again
  }
}

void EcrLink::read_once(Deadline until) {
  // Inside a frame, a line quiet for byte_timeout ends it (dropped and NAKed).
  const Deadline limit = deframer_.in_frame() ? std::min(until, last_byte_ + options_.byte_timeout)
                                              : until;
  rig::link::Chunk chunk = link_->read(limit);
  if (chunk.status.ok()) {
    last_byte_ = chunk.at;
    deframer_.feed(chunk.bytes);
    while (auto event = deframer_.pop()) {
      handle(std::move(*event), chunk.at);
    }
    return;
  }
  if (chunk.status.code == IoStatus::timeout) {
    const Clock::time_point now = Clock::now();
    if (deframer_.in_frame() && now >= last_byte_ + options_.byte_timeout &&
        deframer_.abandon("incomplete frame: no byte for " +
                          std::to_string(options_.byte_timeout.count()) + " ms")) {
      while (auto event = deframer_.pop()) {
        handle(std::move(*event), now);
      }
    }
    return;
  }
  {
    std::lock_guard<std::mutex> lk(mu_);
    // Our own abort() is reported by the waiters; anything else is the transport's word.
    if (!aborted_) {
      reader_status_ = chunk.status;
    }
  }
  cv_.notify_all();
  background_cv_.notify_all();
}

void EcrLink::reader_loop() {
  // How long the background reader leaves the turn to callers after the last one is done: a
  // reply usually follows its request at once, and the caller that sends it reads its ACK.
  constexpr auto kLinger = std::chrono::milliseconds(5);
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    if (aborted_ || !reader_status_.ok()) {
      return;
    }
    if (callers_waiting_ > 0) {  // the turn is theirs (reading_ too, then)
      background_waits_for_idle_ = true;
      background_cv_.wait(lk);
      background_waits_for_idle_ = false;
      continue;
    }
    // Callers arriving during the linger do not tell: it ends on its timeout.
    if (background_cv_.wait_for(lk, kLinger, [&] {
          return aborted_ || !reader_status_.ok() || callers_waiting_ > 0;
        })) {
      continue;
    }
    reading_ = true;
    background_reading_ = true;
    lk.unlock();
    // Idle, the wait only ends on bytes, hang-up, abort or a caller's wake(); the long
    // deadline is no poll.
    read_once(Clock::now() + std::chrono::hours(24));
    lk.lock();
    reading_ = false;
    background_reading_ = false;
    cv_.notify_all();
  }
}

void EcrLink::handle(ecr::Event event, Clock::time_point at) {
  using Kind = ecr::Event::Kind;
  EcrFrameEvent e;
  e.direction = EcrFrameEvent::Direction::in;
  e.at = at;
  switch (event.kind) {
    case Kind::frame:
      handle_frame(event.bytes, at);
      return;
    case Kind::bad:
      reject(std::move(event.bytes), std::move(event.reason), at);
      return;
    case Kind::noise: {
      {
        std::lock_guard<std::mutex> lk(mu_);
        counters_.noise_bytes += event.bytes.size();
      }
      e.kind = EcrFrameEvent::Kind::noise;
      e.bytes = std::move(event.bytes);
      notify(e);
      return;
    }
    case Kind::ack:
    case Kind::nak: {
      const bool is_ack = event.kind == Kind::ack;
      e.kind = is_ack ? EcrFrameEvent::Kind::ack : EcrFrameEvent::Kind::nak;
      e.bytes = std::move(event.bytes);
      {
        // The observer lock is held from the hand-over to the report, so that the waiting
        // sender's resend cannot be reported before this ACK/NAK.
        std::lock_guard<std::mutex> ob(observer_mu_);
        {
          std::lock_guard<std::mutex> lk(mu_);
          if (waiting_ack_ && ack_ == Ack::none) {
            ack_ = is_ack ? Ack::ack : Ack::nak;
            ack_at_ = at;
            if (!is_ack) {
              ++counters_.naks_received;
            }
          } else {
            // Late: an ACK for a resend that was already acknowledged, or line noise.
            ++counters_.stray_controls;
          }
        }
        if (observer_) {
          observer_(e);
        }
      }
      cv_.notify_all();
      return;
    }
  }
}

void EcrLink::reject(std::string bytes, std::string reason, Clock::time_point at) {
  EcrFrameEvent e;
  e.direction = EcrFrameEvent::Direction::in;
  e.kind = EcrFrameEvent::Kind::bad;
  e.bytes = std::move(bytes);
  e.detail = std::move(reason);
  e.at = at;
  notify(e);
  write_control(ecr::kNak);
}

void EcrLink::handle_frame(const std::string& payload, Clock::time_point at) {
  ecr::Decoded decoded = ecr::decode(payload);
  if (!decoded.ok()) {
    return reject(ecr::encode_frame(payload), decoded.error, at);
  }
  Message& m = decoded.message;
  const std::string* seq = m.find("seq");
  if (!seq) {
    return reject(ecr::encode_frame(payload), "missing field \"seq\"", at);
  }
  if (!valid_seq(*seq)) {
    return reject(ecr::encode_frame(payload), "bad seq \"" + *seq + "\" (expected 1 to 9999)", at);
  }
  const std::string seq_value = *seq;
  const std::string id = m.get("id").value_or("");

  bool duplicate;
  {
    std::lock_guard<std::mutex> lk(mu_);
    duplicate = have_last_ && last_name_ == m.name && last_id_ == id && last_seq_ == seq_value;
    if (duplicate) {
      ++counters_.duplicates_dropped;
    } else {
      have_last_ = true;
      last_name_ = m.name;
      last_id_ = id;
      last_seq_ = seq_value;
    }
  }
  EcrFrameEvent e;
  e.direction = EcrFrameEvent::Direction::in;
  e.kind = EcrFrameEvent::Kind::frame;
  e.bytes = ecr::encode_frame(payload);
  e.payload = payload;
  e.at = at;
  e.duplicate = duplicate;
  notify(e);
  // ACK before delivery: the sender's wait is what bounds the exchange.
  bool withhold = false;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (acks_to_withhold_ > 0) {
      --acks_to_withhold_;
      withhold = true;
    }
  }
  if (!withhold) write_control(ecr::kAck);
  if (duplicate) {
    return;
  }

  m.erase("seq");
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (queue_.size() >= kMaxQueued) {
      queue_.pop_front();
      ++counters_.dropped;
    }
    queue_.push_back(EcrReceived{Status::success(), std::move(m), at});
    ++counters_.delivered;
  }
  cv_.notify_all();
}

}  // namespace rig::terminal
