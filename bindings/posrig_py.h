// Shared parts of the `posrig` Python bindings: the DefineX(m) function of each area, the
// conversion between nlohmann::json and Python objects, the C++ errors the bindings raise (each
// becomes one class of the posrig.Error hierarchy, see errors.cpp), and the Ctrl-C watch that
// lets a blocking call end early when the user presses Ctrl-C.
//
// GIL rule: every call that waits on a device, a process or a socket is bound with
// py::call_guard<py::gil_scoped_release>() and a comment saying what it waits on. Such calls
// take and return C++ types only; arguments and results are converted before and after, with
// the GIL held.
#pragma once

#include <pybind11/pybind11.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "rig/report/results.h"

namespace posrig_py {

namespace py = pybind11;

void DefineErrors(py::module_& m);
void DefineScenario(py::module_& m);
void DefineBench(py::module_& m);
void DefineStation(py::module_& m);
void DefineFaults(py::module_& m);

// JSON <-> Python: objects are dicts, arrays lists, numbers int or float. from_py accepts
// dict (string keys), list, tuple, str, bool, int, float and None; anything else is a TypeError.
py::object to_py(const nlohmann::json& j);
nlohmann::json from_py(py::handle h);

// Raised by the bindings' C++ code without the GIL; errors.cpp turns each into its Python class.
// A check of a station session did not hold -> posrig.CheckFailed.
class CheckFailedError : public std::runtime_error {
 public:
  CheckFailedError(std::string text, rig::report::CheckResult check, nlohmann::json timeline)
      : std::runtime_error(std::move(text)),
        check_(std::move(check)),
        timeline_(std::move(timeline)) {}
  const rig::report::CheckResult& check() const { return check_; }
  const nlohmann::json& timeline() const { return timeline_; }

 private:
  rig::report::CheckResult check_;
  nlohmann::json timeline_;  // the station's recent entries, as in results.json
};

// A wait of the bindings (wait_for) ran out of time -> posrig.Timeout.
class TimeoutError : public std::runtime_error {
 public:
  TimeoutError(std::string text, nlohmann::json timeline)
      : std::runtime_error(std::move(text)), timeline_(std::move(timeline)) {}
  const nlohmann::json& timeline() const { return timeline_; }

 private:
  nlohmann::json timeline_;
};

// A port or link could not be used -> posrig.LinkError.
class LinkError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Misuse of the API that is not a configuration mistake (a closed session, a busy station,
// a bench that is not up) -> posrig.Error.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Ctrl-C during a blocking call. Python's own SIGINT handler only sets a flag that is looked at
// when the call returns; while it waits without the GIL the call would not notice. For its
// lifetime, a CtrlC makes Python's handler also write to a pipe (signal.set_wakeup_fd) and a
// thread waiting on that pipe calls `on_interrupt` (which ends the wait: interrupts a timeline
// or a controller). Back in Python, the pending signal raises KeyboardInterrupt as usual.
// Works on the main thread when no other wakeup fd is set (asyncio sets one); elsewhere it
// does nothing. Construct and destroy it without the GIL (it takes the GIL itself).
class CtrlC {
 public:
  explicit CtrlC(std::function<void()> on_interrupt);
  ~CtrlC();
  CtrlC(const CtrlC&) = delete;
  CtrlC& operator=(const CtrlC&) = delete;

 private:
  std::function<void()> on_interrupt_;
  int sig_fds_[2] = {-1, -1};   // Python writes signal numbers to [1]
  int stop_fds_[2] = {-1, -1};  // the destructor writes to [1]
  int previous_wakeup_fd_ = -1;
  std::thread watcher_;
};

}  // namespace posrig_py

// nlohmann::json arguments and results convert to and from plain Python objects (to_py/from_py).
namespace pybind11::detail {
template <>
struct type_caster<nlohmann::json> {
 public:
  PYBIND11_TYPE_CASTER(nlohmann::json, const_name("Any"));
  bool load(handle src, bool /*convert*/) {
    try {
      value = posrig_py::from_py(src);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }
  static handle cast(const nlohmann::json& src, return_value_policy /*policy*/, handle /*parent*/) {
    return posrig_py::to_py(src).release();
  }
};
}  // namespace pybind11::detail
