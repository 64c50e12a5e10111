#include "rig/terminal/adapter_terminal.h"

#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "rig/bench/yaml_reader.h"
#include "rig/process/supervisor.h"

namespace rig::terminal {

namespace {

using rig::link::IoStatus;
using rig::link::Status;

std::chrono::milliseconds duration_setting(const TerminalOptions& options, const char* key,
                                           std::chrono::milliseconds fallback) {
  auto it = options.settings.find(key);
  if (it == options.settings.end()) return fallback;
  auto d = parse_duration(it->second);
  if (!d || d->count() <= 0) {
    throw std::invalid_argument("adapter setting " + std::string(key) +
                                " must be a duration (500ms, 10s), got '" + it->second + "'");
  }
  return *d;
}

long long ms_since(rig::link::Clock::time_point t) {
  return static_cast<long long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(rig::link::Clock::now() - t).count());
}

class AdapterTerminal : public TerminalDriver {
 public:
  AdapterTerminal(const TerminalOptions& options, TerminalSink sink)
      : settings_(adapter_settings(options)),
        link_spec_(options.link_spec),
        sink_(std::move(sink)),
        caps_(adapter_protocol_capabilities()) {
    // "adapter python3 rig_ecr_adapter.py": the program, and the script an interpreter runs.
    const auto& argv = settings_.command;
    name_ = "adapter " + std::filesystem::path(argv[0]).filename().string();
    if (argv.size() > 1 && !argv[1].empty() && argv[1][0] != '-') {
      name_ += " " + std::filesystem::path(argv[1]).filename().string();
    }
  }
  // Qualified: no virtual dispatch from a destructor.
  ~AdapterTerminal() override { AdapterTerminal::close(); }

  std::string driver_name() const override { return "adapter"; }
  const Capabilities& capabilities() const override { return caps_; }
  std::string describe() const override { return name_; }
  const AdapterHello& hello() const { return hello_; }

  Status open(rig::link::Deadline deadline) override {
    std::lock_guard<std::mutex> open_lock(open_mu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!trouble_.empty()) return {IoStatus::error, trouble_};
      if (child_ && said_hello_) return Status::success();
    }
    stop_child();
    process::Spec spec;
    spec.argv = settings_.command;
    spec.name = name_;
    spec.stdin_pipe = true;
    spec.env = {{"POSRIG_ADAPTER_PROTOCOL", std::to_string(kAdapterProtocol)},
                {"POSRIG_LINK", link_spec_}};
    spec.on_line = [this](const process::Line& line) { on_line(line); };
    auto child = std::make_shared<process::Child>(spec);
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = false;
      said_hello_ = false;
      child_ = child;
    }
    const auto started_at = rig::link::Clock::now();
    process::Status started = child->start();
    if (!started) return fail_open(started.message);
    monitor_ = std::thread([this, child] { watch(child); });

    const auto until = std::min(deadline, rig::link::after(settings_.hello_timeout));
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_until(lock, until, [this] { return said_hello_ || !trouble_.empty(); });
    if (said_hello_) return Status::success();
    std::string why = trouble_;
    if (why.empty()) {
      why = name_ + " sent no hello within " + std::to_string(ms_since(started_at)) + " ms" +
            last_stderr_locked();
      trouble_ = why;
    }
    lock.unlock();
    stop_child();
    return {IoStatus::timeout, why};
  }

  void close() override {
    std::lock_guard<std::mutex> open_lock(open_mu_);
    stop_child();
  }

  bool is_open() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return child_ && said_hello_ && trouble_.empty();
  }

  Status send(const Command& command, rig::link::Deadline deadline) override {
    if (!is_open()) {
      Status s = open(deadline);
      if (!s) return s;
    }
    std::shared_ptr<process::Child> child;
    std::uint64_t request = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!trouble_.empty()) return {IoStatus::error, trouble_};
      child = child_;
      request = ++next_request_;
      waiting_[request];
    }
    const std::string what =
        std::string(to_string(command.kind)) + " (request " + std::to_string(request) + ")";
    const auto sent_at = rig::link::Clock::now();
    process::Status w = child->write_stdin(encode_command(command, request) + "\n", deadline);
    std::unique_lock<std::mutex> lock(mu_);
    if (!w) {
      waiting_.erase(request);
      if (w.code == process::Outcome::timeout) {
        fail(lock, name_ + " does not read its stdin: " + what + " not written");
      }
      return {IoStatus::error, w.message};
    }
    const auto until = std::min(deadline, rig::link::after(settings_.reply_timeout));
    cv_.wait_until(lock, until, [&] { return waiting_[request].has_value() || !trouble_.empty(); });
    std::optional<AdapterReply> reply = waiting_[request];
    waiting_.erase(request);
    if (reply && reply->accepted) return Status::success();
    if (reply) return {IoStatus::error, name_ + " rejected " + what + ": " + reply->message};
    if (!trouble_.empty()) return {IoStatus::error, trouble_};
    fail(lock, name_ + " did not answer " + what + " within " + std::to_string(ms_since(sent_at)) +
                   " ms" + last_stderr_locked());
    return {IoStatus::timeout, trouble_};
  }

  std::string trouble() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return trouble_;
  }

  // An adapter makes no faults of its own link (protocol version 1).
  bool supports(const std::string&) const override { return false; }
  fault::Outcome act(const std::string& action, const nlohmann::json&, const scenario::Trigger*,
                     std::chrono::milliseconds, rig::link::Deadline) override {
    return fault::Outcome::failure(name_ + " cannot do " + action);
  }
  fault::Outcome revert(const std::string&, rig::link::Deadline) override {
    return fault::Outcome::success();
  }
  fault::Outcome restore(rig::link::Deadline) override {
    std::string why = trouble();
    return why.empty() ? fault::Outcome::success() : fault::Outcome::failure(why);
  }

 private:
  Status fail_open(const std::string& why) {
    std::lock_guard<std::mutex> lock(mu_);
    child_.reset();
    return {IoStatus::error, why};
  }

  // On the child's reader thread: one line of its stdout or stderr.
  void on_line(const process::Line& line) {
    if (line.stream == process::Stream::err) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        stderr_tail_ = line.text;
      }
      emit(Note{name_ + " stderr: " + line.text}, line.at);
      return;
    }
    AdapterDecoded<AdapterMessage> d = decode_adapter_line(line.text);
    std::unique_lock<std::mutex> lock(mu_);
    ++stdout_lines_;
    if (closing_) {
      // Going down: what it still says is kept, nothing is judged any more.
      lock.unlock();
      if (d.value && std::holds_alternative<Observation>(*d.value)) {
        emit(std::get<Observation>(*d.value), line.at);
      }
      return;
    }
    if (!d.value) {
      std::string shown = line.text.size() > 200 ? line.text.substr(0, 200) + "…" : line.text;
      fail(lock, name_ + " wrote a bad line " + std::to_string(stdout_lines_) + ": " + d.error +
                     ": " + shown);
      return;
    }
    if (auto* hello = std::get_if<AdapterHello>(&*d.value)) {
      if (said_hello_) {
        fail(lock, name_ + " line " + std::to_string(stdout_lines_) + ": a second hello");
        return;
      }
      hello_ = *hello;
      // Set once, before open() returns and before the engine reads it.
      if (!caps_set_) caps_ = hello->capabilities;
      caps_set_ = true;
      said_hello_ = true;
      cv_.notify_all();
      return;
    }
    if (!said_hello_) {
      fail(lock, name_ + " line " + std::to_string(stdout_lines_) + ": expected hello first, got " +
                     line.text.substr(0, 200));
      return;
    }
    if (auto* reply = std::get_if<AdapterReply>(&*d.value)) {
      auto it = waiting_.find(reply->request);
      if (it == waiting_.end() || it->second) {
        fail(lock, name_ + " line " + std::to_string(stdout_lines_) + ": a reply to request " +
                       std::to_string(reply->request) + ", which is not waiting for one");
        return;
      }
      it->second = *reply;
      cv_.notify_all();
      return;
    }
    lock.unlock();
    emit(std::get<Observation>(*d.value), line.at);
  }

  // On the monitor thread: the adapter ending by itself is trouble.
  void watch(std::shared_ptr<process::Child> child) {
    for (;;) {
      // stop_child() ends the child, which ends this wait; the long deadline is no poll.
      auto status = child->wait_exit(process::after(std::chrono::hours(24)));
      if (!status) continue;
      // Its last output (the stderr that says why) is read before the verdict.
      child->wait_for_line([](const process::Line&) { return false; },
                           process::after(std::chrono::seconds(1)));
      std::unique_lock<std::mutex> lock(mu_);
      if (!closing_) fail(lock, name_ + " " + status->describe() + last_stderr_locked());
      return;
    }
  }

  // Records why the driver cannot go on (the first reason wins), wakes the waiters, and tells
  // the station, off the lock.
  void fail(std::unique_lock<std::mutex>& lock, std::string why) {
    if (!trouble_.empty()) return;
    trouble_ = std::move(why);
    cv_.notify_all();
    std::string copy = trouble_;
    lock.unlock();
    if (sink_.on_link_lost) sink_.on_link_lost(copy);
    lock.lock();
  }

  std::string last_stderr_locked() const {
    return stderr_tail_.empty() ? "" : "; last stderr: " + stderr_tail_;
  }

  void emit(const Observation& o, rig::link::Clock::time_point at) {
    if (sink_.on_observation) sink_.on_observation(o, at);
  }

  // Closes its stdin (the adapter's cue to end), gives it a second, then ends its group.
  void stop_child() {
    std::shared_ptr<process::Child> child;
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
      child = child_;
      said_hello_ = false;
    }
    if (child) {
      child->close_stdin();
      if (!child->wait_exit(process::after(std::chrono::seconds(1)))) child->stop();
    }
    if (monitor_.joinable()) monitor_.join();
    std::lock_guard<std::mutex> lock(mu_);
    child_.reset();
    waiting_.clear();
  }

  const AdapterSettings settings_;
  const std::string link_spec_;
  TerminalSink sink_;
  std::string name_;
  Capabilities caps_;
  bool caps_set_ = false;
  AdapterHello hello_;

  std::mutex open_mu_;  // open() and close() one at a time
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_.
  std::shared_ptr<process::Child> child_;
  bool closing_ = false;
  bool said_hello_ = false;
  std::string trouble_;
  std::string stderr_tail_;
  std::size_t stdout_lines_ = 0;
  std::uint64_t next_request_ = 0;
  std::map<std::uint64_t, std::optional<AdapterReply>> waiting_;

  std::thread monitor_;
};

}  // namespace

AdapterSettings adapter_settings(const TerminalOptions& options) {
  AdapterSettings s;
  auto it = options.list_settings.find("command");
  if (it == options.list_settings.end() || it->second.empty() || it->second.front().empty()) {
    throw std::invalid_argument(
        "terminal driver adapter needs settings.command (the adapter's argv)");
  }
  s.command = it->second;
  s.hello_timeout = duration_setting(options, "hello_timeout", s.hello_timeout);
  s.reply_timeout = duration_setting(options, "reply_timeout", s.reply_timeout);
  return s;
}

std::unique_ptr<TerminalDriver> make_adapter_terminal(const TerminalOptions& options,
                                                      TerminalSink sink) {
  return std::make_unique<AdapterTerminal>(options, std::move(sink));
}

const AdapterHello& adapter_hello(const TerminalDriver& driver) {
  return dynamic_cast<const AdapterTerminal&>(driver).hello();
}

void register_adapter(DriverRegistry& registry) {
  DriverInfo info;
  info.name = "adapter";
  info.doc = "an adapter process speaking JSON lines (docs/terminal-adapters.md)";
  info.make = [](const TerminalOptions& options, TerminalSink sink) {
    return make_adapter_terminal(options, std::move(sink));
  };
  // Known only from the adapter's hello; before it runs, whatever the protocol can carry.
  info.capabilities = [](const TerminalOptions&) { return adapter_protocol_capabilities(); };
  using Type = DriverSetting::Type;
  info.settings = {
      {"command", Type::argv, true, "the adapter's argv; each item ${…} expanded"},
      {"hello_timeout", Type::duration, false, "from start to its hello (default 10s)"},
      {"reply_timeout", Type::duration, false,
       "from a command to its accepted/rejected (default 5s)"},
  };
  registry.add(std::move(info));
}

}  // namespace rig::terminal
