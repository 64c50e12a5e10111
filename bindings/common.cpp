// JSON <-> Python conversion and the Ctrl-C watch of blocking calls (posrig_py.h).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "bindings/posrig_py.h"

namespace posrig_py {

using nlohmann::json;

py::object to_py(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return py::none();
    case json::value_t::boolean:
      return py::bool_(j.get<bool>());
    case json::value_t::number_integer:
      return py::int_(j.get<std::int64_t>());
    case json::value_t::number_unsigned:
      return py::int_(j.get<std::uint64_t>());
    case json::value_t::number_float:
      return py::float_(j.get<double>());
    case json::value_t::string:
      return py::str(j.get_ref<const std::string&>());
    case json::value_t::array: {
      py::list out;
      for (const auto& item : j) out.append(to_py(item));
      return std::move(out);
    }
    case json::value_t::object: {
      py::dict out;
      for (const auto& [key, value] : j.items()) out[py::str(key)] = to_py(value);
      return std::move(out);
    }
    case json::value_t::binary:
    case json::value_t::discarded:
      break;
  }
  return py::none();
}

json from_py(py::handle h) {
  if (h.is_none()) return nullptr;
  // bool before int: True is an int in Python.
  if (py::isinstance<py::bool_>(h)) return h.cast<bool>();
  if (py::isinstance<py::int_>(h)) return h.cast<std::int64_t>();
  if (py::isinstance<py::float_>(h)) return h.cast<double>();
  if (py::isinstance<py::str>(h)) return h.cast<std::string>();
  if (py::isinstance<py::dict>(h)) {
    json out = json::object();
    for (const auto& [key, value] : py::reinterpret_borrow<py::dict>(h)) {
      if (!py::isinstance<py::str>(key)) {
        throw py::type_error("mapping keys must be str, got " + py::repr(key).cast<std::string>());
      }
      out[key.cast<std::string>()] = from_py(value);
    }
    return out;
  }
  if (py::isinstance<py::list>(h) || py::isinstance<py::tuple>(h)) {
    json out = json::array();
    for (const auto& item : py::reinterpret_borrow<py::sequence>(h)) out.push_back(from_py(item));
    return out;
  }
  throw py::type_error("cannot pass " + py::repr(h).cast<std::string>() +
                       " as JSON (dict, list, str, int, float, bool or None)");
}

namespace {

void close_pair(int (&fds)[2]) {
  for (int& fd : fds) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

}  // namespace

CtrlC::CtrlC(std::function<void()> on_interrupt) : on_interrupt_(std::move(on_interrupt)) {
  py::gil_scoped_acquire gil;
  if (::pipe2(sig_fds_, O_NONBLOCK | O_CLOEXEC) != 0) return;
  if (::pipe2(stop_fds_, O_CLOEXEC) != 0) {
    close_pair(sig_fds_);
    return;
  }
  try {
    py::module_ signal = py::module_::import("signal");
    py::object set_wakeup_fd = signal.attr("set_wakeup_fd");
    // Raises ValueError off the main thread: then Python would not deliver Ctrl-C here anyway.
    previous_wakeup_fd_ =
        set_wakeup_fd(sig_fds_[1], py::arg("warn_on_full_buffer") = false).cast<int>();
    if (previous_wakeup_fd_ != -1) {
      // Someone else (an asyncio loop) listens there; do not take it away.
      set_wakeup_fd(previous_wakeup_fd_);
      previous_wakeup_fd_ = -1;
      close_pair(sig_fds_);
      close_pair(stop_fds_);
      return;
    }
  } catch (const py::error_already_set&) {
    close_pair(sig_fds_);
    close_pair(stop_fds_);
    return;
  }
  watcher_ = std::thread([this] {
    // Signals go to other threads: Python's handler must run where Python expects it.
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
    bool fired = false;
    for (;;) {
      pollfd fds[2] = {{sig_fds_[0], POLLIN, 0}, {stop_fds_[0], POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents != 0) return;
      unsigned char signals[64];
      ssize_t n = ::read(sig_fds_[0], signals, sizeof signals);
      for (ssize_t i = 0; i < n; ++i) {
        if (signals[i] == SIGINT && !fired) {
          fired = true;
          on_interrupt_();
        }
      }
    }
  });
}

CtrlC::~CtrlC() {
  if (watcher_.joinable()) {
    char byte = 1;
    [[maybe_unused]] ssize_t n = ::write(stop_fds_[1], &byte, 1);
    watcher_.join();
  }
  if (sig_fds_[0] >= 0) {
    try {
      py::gil_scoped_acquire gil;
      py::module_::import("signal").attr("set_wakeup_fd")(-1);
    } catch (...) {
      // The interpreter is going away: there is no wakeup fd left to put back.
    }
  }
  close_pair(sig_fds_);
  close_pair(stop_fds_);
}

}  // namespace posrig_py
