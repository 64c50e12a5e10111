#include "rig/terminal/zvt_link.h"

#include <algorithm>
#include <utility>

namespace rig::terminal {

namespace zvt = rig::protocol::zvt;

namespace {

bool is_reply(const zvt::Apdu& a) { return a.cls == 0x80 || a.cls == 0x84; }

}  // namespace

const char* to_string(ZvtTransport t) { return t == ZvtTransport::tcp ? "tcp" : "serial"; }

const char* to_string(ZvtWireEvent::Direction d) {
  return d == ZvtWireEvent::Direction::in ? "in" : "out";
}

const char* to_string(ZvtWireEvent::Kind k) {
  switch (k) {
    case ZvtWireEvent::Kind::apdu:
      return "apdu";
    case ZvtWireEvent::Kind::ack:
      return "ack";
    case ZvtWireEvent::Kind::nak:
      return "nak";
    case ZvtWireEvent::Kind::bad:
      return "bad";
    case ZvtWireEvent::Kind::noise:
      return "noise";
  }
  return "?";
}

ZvtLink::ZvtLink(rig::link::Link& link, ZvtLinkOptions options) : link_(&link), options_(options) {}

ZvtLink::ZvtLink(rig::link::LinkPtr link, ZvtLinkOptions options)
    : owned_(std::move(link)), link_(owned_.get()), options_(options) {}

ZvtLink::~ZvtLink() { close(); }

void ZvtLink::set_observer(ZvtObserver observer) {
  std::lock_guard<std::mutex> lk(observer_mu_);
  observer_ = std::move(observer);
}

void ZvtLink::notify(const ZvtWireEvent& e) {
  std::lock_guard<std::mutex> lk(observer_mu_);
  if (observer_) observer_(e);
}

Status ZvtLink::error(IoStatus code, const std::string& what) const {
  return {code, "ZVT link " + link_->name() + ": " + what};
}

Status ZvtLink::unusable() const {
  if (aborted_) return error(IoStatus::aborted, "aborted");
  if (!open_) return error(IoStatus::closed, "not open");
  return reader_status_;
}

Status ZvtLink::open() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (open_ && !aborted_ && reader_status_.ok()) return Status::success();
  }
  close();
  if (!link_->is_open()) {
    Status s = link_->open();
    if (!s) return s;
  }
  {
    std::lock_guard<std::mutex> lk(mu_);
    open_ = true;
    aborted_ = false;
    reader_status_ = Status::success();
    queue_.clear();
    ack_ = Ack::none;
    waiting_ack_ = false;
    waiting_reply_ = false;
    reply_.reset();
    deframer_ = zvt::SerialDeframer();
    stream_ = zvt::StreamReader();
  }
  reader_ = std::thread(&ZvtLink::reader_loop, this);
  return Status::success();
}

void ZvtLink::abort() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    aborted_ = true;
  }
  cv_.notify_all();
  link_->abort();
}

void ZvtLink::close() {
  bool was_open;
  {
    std::lock_guard<std::mutex> lk(mu_);
    was_open = open_ || reader_.joinable();
  }
  if (!was_open) return;
  abort();
  if (reader_.joinable()) reader_.join();
  link_->close();
  std::lock_guard<std::mutex> lk(mu_);
  open_ = false;
}

bool ZvtLink::is_open() const {
  std::lock_guard<std::mutex> lk(mu_);
  return open_ && !aborted_ && reader_status_.ok();
}

ZvtCounters ZvtLink::counters() const {
  std::lock_guard<std::mutex> lk(mu_);
  return counters_;
}

void ZvtLink::misbehave(int blocks_with_bad_crc, int acks_to_withhold, int noise_bytes) {
  std::lock_guard<std::mutex> lk(mu_);
  bad_crc_left_ = blocks_with_bad_crc;
  acks_to_withhold_ = acks_to_withhold;
  noise_left_ = noise_bytes;
}

// --- Reading ----------------------------------------------------------------------------------

void ZvtLink::reader_loop() {
  const bool serial = options_.transport == ZvtTransport::serial;
  for (;;) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (aborted_) return;
    }
    // Idle, the read ends only on bytes, hang-up or abort; the long deadline is no poll. Inside
    // a serial block, T1 bounds it.
    Deadline until = Clock::now() + std::chrono::hours(24);
    if (serial && deframer_.in_block()) until = std::min(until, last_byte_ + options_.byte_timeout);
    rig::link::Chunk chunk = link_->read(until);
    if (chunk.status.ok()) {
      last_byte_ = chunk.at;
      on_bytes(chunk.bytes, chunk.at);
      continue;
    }
    if (chunk.status.code == IoStatus::timeout) {
      const Clock::time_point now = Clock::now();
      if (serial && deframer_.in_block() && now >= last_byte_ + options_.byte_timeout &&
          deframer_.abandon("incomplete block: no byte for " +
                            std::to_string(options_.byte_timeout.count()) + " ms")) {
        on_bytes({}, now);
      }
      continue;
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (!aborted_) reader_status_ = chunk.status;
    }
    cv_.notify_all();
    return;
  }
}

void ZvtLink::on_bytes(const std::string& bytes, Clock::time_point at) {
  if (options_.transport == ZvtTransport::tcp) {
    stream_.feed(bytes);
    while (auto apdu = stream_.pop()) on_apdu(*zvt::encode_apdu(*apdu), at, false);
    return;
  }
  deframer_.feed(bytes);
  while (auto event = deframer_.pop()) {
    ZvtWireEvent e;
    e.direction = ZvtWireEvent::Direction::in;
    e.at = at;
    switch (event->kind) {
      case zvt::SerialEvent::Kind::block: {
        bool withhold = false;
        {
          std::lock_guard<std::mutex> lk(mu_);
          if (acks_to_withhold_ > 0) {
            --acks_to_withhold_;
            withhold = true;
          }
        }
        on_apdu(event->bytes, at, !withhold);
        break;
      }
      case zvt::SerialEvent::Kind::bad:
        on_bad(std::move(event->bytes), std::move(event->reason), at);
        write_control(zvt::kNak);
        break;
      case zvt::SerialEvent::Kind::ack:
      case zvt::SerialEvent::Kind::nak: {
        const bool is_ack = event->kind == zvt::SerialEvent::Kind::ack;
        e.kind = is_ack ? ZvtWireEvent::Kind::ack : ZvtWireEvent::Kind::nak;
        e.bytes = std::move(event->bytes);
        // The observer lock spans the hand-over and the report, so that a repeat cannot be
        // reported before the NAK that caused it.
        std::lock_guard<std::mutex> ob(observer_mu_);
        {
          std::lock_guard<std::mutex> lk(mu_);
          if (waiting_ack_ && ack_ == Ack::none) {
            ack_ = is_ack ? Ack::ack : Ack::nak;
            if (!is_ack) ++counters_.naks_received;
          }
        }
        if (observer_) observer_(e);
        cv_.notify_all();
        break;
      }
      case zvt::SerialEvent::Kind::noise: {
        {
          std::lock_guard<std::mutex> lk(mu_);
          counters_.noise_bytes += event->bytes.size();
        }
        e.kind = ZvtWireEvent::Kind::noise;
        e.bytes = std::move(event->bytes);
        notify(e);
        break;
      }
    }
  }
}

void ZvtLink::on_bad(std::string bytes, std::string reason, Clock::time_point at) {
  ZvtWireEvent e;
  e.direction = ZvtWireEvent::Direction::in;
  e.kind = ZvtWireEvent::Kind::bad;
  e.bytes = std::move(bytes);
  e.detail = std::move(reason);
  e.at = at;
  notify(e);
}

void ZvtLink::on_apdu(const std::string& apdu_bytes, Clock::time_point at, bool ack_block) {
  {
    // Counted before it is reported or ACKed: whoever sees the report or the ACK sees the count.
    std::lock_guard<std::mutex> lk(mu_);
    ++counters_.received;
  }
  ZvtReceived r;
  r.at = at;
  zvt::ApduDecoded a = zvt::decode_apdu(apdu_bytes);
  if (a.ok()) {
    r.apdu = std::move(a.apdu);
    r.decoded = zvt::decode(r.apdu);
  } else {
    r.decoded.error = a.error;
  }
  ZvtWireEvent e;
  e.direction = ZvtWireEvent::Direction::in;
  e.kind = a.ok() ? ZvtWireEvent::Kind::apdu : ZvtWireEvent::Kind::bad;
  e.bytes = options_.transport == ZvtTransport::serial ? zvt::encode_block(apdu_bytes) : apdu_bytes;
  e.apdu = apdu_bytes;
  e.detail = r.decoded.ok() ? zvt::describe(r.decoded.message) : r.decoded.error;
  e.at = at;
  notify(e);
  // A serial block received intact is ACKed at once, after it is reported (so that a transcript
  // never shows the ACK first) and before the APDU can be acted on (so that our answer never
  // reaches the peer before the ACK it waits for).
  if (ack_block) write_control(zvt::kAck);
  if (!a.ok() && apdu_bytes.size() >= 2) {
    // Delivered all the same (its decode error set), so that a PT can answer it 84 9A.
    r.apdu.cls = static_cast<std::uint8_t>(apdu_bytes[0]);
    r.apdu.ins = static_cast<std::uint8_t>(apdu_bytes[1]);
  }
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (is_reply(r.apdu)) {
      if (waiting_reply_ && !reply_ && r.decoded.ok()) {
        reply_ = r.decoded.message;
      } else {
        ++counters_.stray_replies;  // late, unasked for, or malformed
      }
    } else {
      queue_.push_back(std::move(r));
    }
  }
  cv_.notify_all();
}

// --- Writing ----------------------------------------------------------------------------------

Status ZvtLink::write_raw(const std::string& bytes, Deadline deadline) {
  std::lock_guard<std::mutex> lk(write_mu_);
  return link_->write(bytes, deadline);
}

Status ZvtLink::write_control(char byte) {
  ZvtWireEvent e;
  e.direction = ZvtWireEvent::Direction::out;
  e.kind = byte == zvt::kAck ? ZvtWireEvent::Kind::ack : ZvtWireEvent::Kind::nak;
  e.bytes = std::string(1, byte);
  e.at = Clock::now();
  notify(e);
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (byte == zvt::kAck) {
      ++counters_.acks_sent;
    } else {
      ++counters_.naks_sent;
    }
  }
  // A control byte is one byte; a short deadline keeps a stuck line from holding the reader.
  return write_raw(e.bytes, Clock::now() + std::chrono::seconds(1));
}

Status ZvtLink::send(const zvt::Message& message, Deadline deadline) {
  zvt::Encoded e = zvt::encode(message);
  if (!e.ok()) return error(IoStatus::error, "cannot send: " + e.error);
  auto bytes = zvt::encode_apdu(e.apdu);
  if (!bytes) return error(IoStatus::error, "cannot send: APDU data longer than 65535 bytes");
  return send_bytes(*bytes, zvt::describe(message), deadline);
}

Status ZvtLink::send_bytes(const std::string& apdu_bytes, const std::string& detail,
                           Deadline deadline) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (Status s = unusable(); !s) return s;
  }
  std::unique_lock<std::timed_mutex> one(send_mu_, std::defer_lock);
  if (!one.try_lock_until(deadline)) {
    return error(IoStatus::timeout, "send timed out waiting for the previous send");
  }
  ZvtWireEvent e;
  e.direction = ZvtWireEvent::Direction::out;
  e.kind = ZvtWireEvent::Kind::apdu;
  e.apdu = apdu_bytes;
  e.detail = detail;

  if (options_.transport == ZvtTransport::tcp) {
    e.bytes = apdu_bytes;
    e.at = Clock::now();
    notify(e);
    Status w = write_raw(apdu_bytes, deadline);
    if (!w && w.code == IoStatus::aborted) return error(IoStatus::aborted, "aborted");
    return w;
  }

  const std::string block = zvt::encode_block(apdu_bytes);
  const int attempts = std::max(1, options_.block_attempts);
  int naks = 0;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    std::string wire = block;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (Status s = unusable(); !s) return s;
      if (Clock::now() >= deadline) {
        return error(IoStatus::timeout, "no ACK before the deadline (attempt " +
                                            std::to_string(attempt - 1) + " of " +
                                            std::to_string(attempts) + ")");
      }
      // Armed before the write: an ACK can come back before write() returns.
      ack_ = Ack::none;
      waiting_ack_ = true;
      if (noise_left_ > 0) {
        wire.insert(0, static_cast<std::size_t>(noise_left_), '\x7f');
        noise_left_ = 0;
      }
      if (bad_crc_left_ > 0) {
        --bad_crc_left_;
        wire.back() = static_cast<char>(wire.back() ^ 0x5a);
      }
      ++counters_.blocks_sent;
      if (attempt > 1) ++counters_.repeats;
    }
    e.bytes = block;
    e.at = Clock::now();
    e.attempt = attempt;
    notify(e);
    Status w = write_raw(wire, deadline);
    const Clock::time_point written = Clock::now();
    std::unique_lock<std::mutex> lk(mu_);
    if (!w) {
      waiting_ack_ = false;
      return w.code == IoStatus::aborted ? error(IoStatus::aborted, "aborted") : w;
    }
    const Deadline wait_end = std::min<Deadline>(written + options_.ack_timeout, deadline);
    cv_.wait_until(lk, wait_end,
                   [&] { return ack_ != Ack::none || aborted_ || !reader_status_.ok(); });
    waiting_ack_ = false;
    if (aborted_) return error(IoStatus::aborted, "aborted");
    if (ack_ == Ack::ack) return Status::success();
    if (ack_ == Ack::nak) {
      ++naks;
      continue;
    }
    if (!reader_status_.ok()) return reader_status_;
    if (wait_end == deadline && Clock::now() >= deadline) {
      return error(IoStatus::timeout, "no ACK before the deadline (attempt " +
                                          std::to_string(attempt) + " of " +
                                          std::to_string(attempts) + ")");
    }
  }
  return naks == attempts
             ? error(IoStatus::error, "NAKed " + std::to_string(attempts) + " times")
             : error(IoStatus::error, "no ACK after " + std::to_string(attempts) + " attempts");
}

ZvtReply ZvtLink::request(const zvt::Message& message, Deadline deadline) {
  ZvtReply out;
  std::unique_lock<std::timed_mutex> one(request_mu_, std::defer_lock);
  if (!one.try_lock_until(deadline)) {
    out.status = error(IoStatus::timeout, "send timed out waiting for the previous send");
    return out;
  }
  {
    std::lock_guard<std::mutex> lk(mu_);
    waiting_reply_ = true;
    reply_.reset();
  }
  out.status = send(message, deadline);
  std::unique_lock<std::mutex> lk(mu_);
  if (!out.status) {
    waiting_reply_ = false;
    return out;
  }
  // T3 runs from the end of the send.
  const Deadline t3 = Clock::now() + options_.reply_timeout;
  const Deadline wait_end = std::min(t3, deadline);
  cv_.wait_until(lk, wait_end, [&] { return reply_.has_value() || !unusable().ok(); });
  waiting_reply_ = false;
  if (reply_) {
    out.reply = std::move(*reply_);
    reply_.reset();
    return out;
  }
  if (Status s = unusable(); !s) {
    out.status = s;
  } else if (wait_end == t3) {
    out.status =
        error(IoStatus::timeout, "no reply (80 00 or 84 XX) within " +
                                     std::to_string(options_.reply_timeout.count()) + " ms");
  } else {
    out.status = error(IoStatus::timeout, "no reply before the deadline");
  }
  return out;
}

Status ZvtLink::acknowledge(const zvt::Message& ack_or_nack, Deadline deadline) {
  if (!std::holds_alternative<zvt::Ack>(ack_or_nack) &&
      !std::holds_alternative<zvt::Nack>(ack_or_nack)) {
    return error(IoStatus::error, "cannot send: acknowledge() takes 80 00 or 84 XX");
  }
  return send(ack_or_nack, deadline);
}

ZvtReceived ZvtLink::receive(Deadline deadline) {
  ZvtReceived out;
  {
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
      if (aborted_ || !open_) {
        out.status = unusable();
        return out;
      }
      if (!queue_.empty()) {
        out = std::move(queue_.front());
        queue_.pop_front();
        break;
      }
      if (!reader_status_.ok()) {
        out.status = reader_status_;
        return out;
      }
      if (Clock::now() >= deadline) {
        out.status = error(IoStatus::timeout, "no message before the deadline");
        return out;
      }
      cv_.wait_until(lk, deadline);
    }
  }
  if (options_.role == ZvtRole::ecr && options_.auto_ack) {
    // The ECR answers every PT message; a failure to do so shows in the transcript, and the PT
    // will act on the missing answer.
    out.ack_status = acknowledge(zvt::Ack{}, Clock::now() + options_.reply_timeout);
  }
  return out;
}

}  // namespace rig::terminal
