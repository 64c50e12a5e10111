// The rig-ecr terminal driver: RIG-ECR v1 over any Link, with the ACK/NAK layer of
// rig/terminal/ecr_link.h and one pump thread that turns received messages into sink calls.
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "rig/terminal/ecr_link.h"
#include "rig/terminal/terminal.h"

namespace rig::terminal {

namespace {

using nlohmann::json;

// The payload shown in transcripts: FS as '|' so that it reads as one line.
std::string printable(const std::string& payload) {
  std::string out = payload;
  for (char& c : out) {
    if (c == protocol::ecr::kFs) c = '|';
  }
  return out;
}

class RigEcrTerminal : public TerminalDriver {
 public:
  RigEcrTerminal(const TerminalOptions& options, TerminalSink sink)
      : options_(options), sink_(std::move(sink)) {
    EcrLinkOptions o;
    o.ack_timeout = options.ack_timeout;
    o.attempts = options.attempts;
    link_ = std::make_unique<EcrLink>(rig::link::make_link(options.link_spec), o);
    link_->set_observer([this](const EcrFrameEvent& e) {
      if (!sink_.on_wire) return;
      json j = {{"direction", to_string(e.direction)}, {"kind", to_string(e.kind)}};
      if (!e.payload.empty()) j["payload"] = printable(e.payload);
      if (!e.detail.empty()) j["detail"] = e.detail;
      if (e.attempt) j["attempt"] = e.attempt;
      if (e.duplicate) j["duplicate"] = true;
      if (e.kind == EcrFrameEvent::Kind::noise) j["bytes"] = e.bytes.size();
      sink_.on_wire(j, e.at);
    });
  }
  // Qualified: no virtual dispatch from a destructor.
  ~RigEcrTerminal() override { RigEcrTerminal::close(); }

  std::string describe() const override { return "rig-ecr " + link_->name(); }

  rig::link::Status open(rig::link::Deadline) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (link_->is_open() && pump_.joinable()) return rig::link::Status::success();
    stop_pump();
    rig::link::Status s = link_->open();
    if (!s) return s;
    stopping_ = false;
    pump_ = std::thread([this] { pump(); });
    return s;
  }

  void close() override {
    std::lock_guard<std::mutex> lock(mu_);
    stop_pump();
  }

  bool is_open() const override { return link_->is_open(); }

  rig::link::Status send(const protocol::ecr::Message& command, rig::link::Deadline deadline) override {
    if (!link_->is_open()) {
      rig::link::Status s = open(deadline);
      if (!s) return s;
    }
    return link_->send(command, deadline).status;
  }

  // The `ecr` fault family.
  bool supports(const std::string& action) const override {
    return action == "ecr.disconnect" || action == "ecr.bad_lrc" || action == "ecr.no_ack" ||
           action == "ecr.noise";
  }
  fault::Outcome act(const std::string& action, const json& params, const scenario::Trigger*,
                     std::chrono::milliseconds, rig::link::Deadline) override {
    if (action == "ecr.disconnect") {
      close();
      return fault::Outcome::success();
    }
    // Faults of the controller's own end of the link: what the terminal must cope with.
    int count = params.value("count", 1);
    if (action == "ecr.bad_lrc") link_->misbehave(count, 0, 0);
    if (action == "ecr.no_ack") link_->misbehave(0, count, 0);
    if (action == "ecr.noise") link_->misbehave(0, 0, params.value("bytes", 16));
    return fault::Outcome::success();
  }
  fault::Outcome revert(const std::string& fault, rig::link::Deadline deadline) override {
    if (fault != "ecr.disconnect") link_->misbehave(0, 0, 0);
    if (fault == "ecr.disconnect") {
      rig::link::Status s = open(deadline);
      if (!s) return fault::Outcome::failure(s.message);
    }
    return fault::Outcome::success();
  }
  fault::Outcome restore(rig::link::Deadline deadline) override {
    link_->misbehave(0, 0, 0);
    if (!link_->is_open()) {
      rig::link::Status s = open(deadline);
      if (!s) return fault::Outcome::failure(s.message);
    }
    return fault::Outcome::success();
  }

 private:
  void stop_pump() {
    stopping_ = true;
    link_->close();
    if (pump_.joinable()) pump_.join();
  }

  void pump() {
    for (;;) {
      // No deadline is needed to end this wait: close() aborts it.
      EcrReceived r = link_->receive(rig::link::after(std::chrono::hours(24)));
      if (r.status.ok()) {
        if (sink_.on_message) sink_.on_message(r.message, r.at);
        continue;
      }
      if (r.status.code == rig::link::IoStatus::timeout) continue;
      if (!stopping_ && sink_.on_link_lost) sink_.on_link_lost(r.status.message);
      return;
    }
  }

  TerminalOptions options_;
  TerminalSink sink_;
  std::unique_ptr<EcrLink> link_;
  std::mutex mu_;
  std::atomic<bool> stopping_{false};
  std::thread pump_;
};

}  // namespace

std::unique_ptr<TerminalDriver> make_terminal_driver(const std::string& driver,
                                                     const TerminalOptions& options,
                                                     TerminalSink sink) {
  if (driver == "rig-ecr") return std::make_unique<RigEcrTerminal>(options, std::move(sink));
  throw std::invalid_argument("unknown terminal driver '" + driver + "' (known: rig-ecr)");
}

}  // namespace rig::terminal
