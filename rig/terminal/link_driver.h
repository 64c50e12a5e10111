// What a terminal driver on a link layer of its own does the same way whatever its protocol:
// open the link and start one pump thread that hands every received message to the driver, close
// them again, report a lost link, carry out the `ecr.*` faults of its own link (link_faults.h),
// and pass observations to the sink. rig-ecr (EcrLink) and zvt (ZvtLink) are built on it; a
// driver adds its translation (on_received, send) and, when its protocol wants one, a greeting
// after the link opens (after_open: ZVT's registration).
//
// LinkT is the link layer: open(), close(), is_open(), name(), receive(Deadline) returning a
// value with `status` and `at`, and misbehave(broken, unacked, noise).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "rig/terminal/link_faults.h"
#include "rig/terminal/terminal.h"

namespace rig::terminal {

template <typename LinkT>
class LinkDriver : public TerminalDriver {
 public:
  using Received = decltype(std::declval<LinkT&>().receive(rig::link::Deadline()));

  const Capabilities& capabilities() const override { return caps_; }

  rig::link::Status open(rig::link::Deadline deadline) override {
    std::lock_guard<std::mutex> lock(open_mu_);
    if (link_->is_open() && pump_.joinable()) return rig::link::Status::success();
    stop_pump();
    rig::link::Status s = link_->open();
    if (!s) return s;
    stopping_ = false;
    pump_ = std::thread([this] { pump(); });
    return after_open(deadline);
  }

  void close() override {
    std::lock_guard<std::mutex> lock(open_mu_);
    stop_pump();
  }

  bool is_open() const override { return link_->is_open(); }

  // The `ecr` faults: the controller's own end of the link misbehaves.
  bool supports(const std::string& action) const override { return caps_.faults.count(action) > 0; }
  fault::Outcome act(const std::string& action, const nlohmann::json& params,
                     const scenario::Trigger*, std::chrono::milliseconds,
                     rig::link::Deadline) override {
    return act_link_fault(action, params, hooks_);
  }
  fault::Outcome revert(const std::string& fault, rig::link::Deadline deadline) override {
    return revert_link_fault(fault, deadline, hooks_);
  }
  fault::Outcome restore(rig::link::Deadline deadline) override {
    return restore_link(deadline, hooks_, link_->is_open());
  }

 protected:
  LinkDriver(TerminalSink sink, Capabilities caps, std::unique_ptr<LinkT> link)
      : sink_(std::move(sink)), caps_(std::move(caps)), link_(std::move(link)) {
    // Qualified: a pulled cable is not the driver's orderly close (ZVT logs off in that one).
    hooks_.disconnect = [this] { LinkDriver::close(); };
    hooks_.misbehave = [this](int broken, int unacked, int noise) {
      link_->misbehave(broken, unacked, noise);
    };
    hooks_.reopen = [this](rig::link::Deadline d) { return open(d); };
  }

  // Called by the final class's destructor (no virtual dispatch from the base's).
  void shut() { LinkDriver::close(); }

  // On the pump thread: one message received.
  virtual void on_received(Received& received) = 0;
  // Right after the link opened and the pump started.
  virtual rig::link::Status after_open(rig::link::Deadline) { return rig::link::Status::success(); }

  // Opens the link unless it is open (send() before any open()).
  rig::link::Status ensure_open(rig::link::Deadline deadline) {
    return link_->is_open() ? rig::link::Status::success() : open(deadline);
  }

  void emit(const Observation& o, rig::link::Clock::time_point at) {
    if (sink_.on_observation) sink_.on_observation(o, at);
  }

  LinkT& link() { return *link_; }
  const LinkT& link() const { return *link_; }

 private:
  // Wakes the pump and waits for it to leave the link before closing the link: closing it while
  // the pump still reads its file descriptor let that number be reused under the read (a data
  // race ThreadSanitizer found in the engine tests).
  void stop_pump() {
    stopping_ = true;
    link_->abort();
    if (pump_.joinable()) pump_.join();
    link_->close();
  }

  void pump() {
    for (;;) {
      // close() aborts this wait; the long deadline is no poll.
      Received r = link_->receive(rig::link::after(std::chrono::hours(24)));
      if (r.status.ok()) {
        on_received(r);
        continue;
      }
      if (r.status.code == rig::link::IoStatus::timeout) continue;
      if (!stopping_ && sink_.on_link_lost) sink_.on_link_lost(r.status.message);
      return;
    }
  }

  TerminalSink sink_;
  const Capabilities caps_;
  std::unique_ptr<LinkT> link_;
  LinkFaultHooks hooks_;
  std::mutex open_mu_;
  std::atomic<bool> stopping_{false};
  std::thread pump_;
};

}  // namespace rig::terminal
