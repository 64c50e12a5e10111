// Byte transports behind one interface: the ECR link of a terminal runs over a pty (virtual
// bench), a serial port (libserialport) or a raw TCP stream (ser2net, Ethernet ECR ports).
//
// Contract
// - Every wait has a deadline (a steady_clock time point); nothing sleeps to poll.
// - read() returns as soon as at least one byte is there, or at the deadline with `timeout`.
//   Each chunk carries the monotonic time at which it was taken off the device.
// - abort() may be called from any thread: a read or write blocked in another thread returns
//   `aborted` at once, and so does every later call until the link is closed and opened again.
// - Errors name the device and what failed: "/dev/ttyUSB3: open failed: No such file or
//   directory".
// - A Link is used by one reader thread and one writer thread at a time; open/close are not
//   concurrent with I/O.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace rig::link {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

// Deadline `d` from now; the usual way to build one.
inline Deadline after(Clock::duration d) { return Clock::now() + d; }

enum class IoStatus {
  ok,       // done
  timeout,  // deadline passed first
  closed,   // the peer hung up (EOF, HUP) or the link is not open
  aborted,  // abort() was called
  error,    // the device failed; message says how
};

const char* to_string(IoStatus s);

// Outcome of an operation. `message` is empty for ok and otherwise reads
// "<device>: <what> failed: <why>" or "<device>: <what> timed out".
struct Status {
  IoStatus code = IoStatus::ok;
  std::string message;

  bool ok() const { return code == IoStatus::ok; }
  explicit operator bool() const { return ok(); }
  static Status success() { return {}; }
};

// One read: the bytes taken off the device at `at`.
struct Chunk {
  Status status;
  Clock::time_point at{};
  std::string bytes;
};

class Link {
 public:
  virtual ~Link() = default;

  // Human name of the device, used as the prefix of every error ("/dev/pts/3", "tcp:host:port").
  virtual std::string name() const = 0;

  virtual Status open() = 0;
  virtual bool is_open() const = 0;
  // Idempotent; after close the link may be opened again.
  virtual void close() = 0;

  // Writes all of `bytes` or fails; a partial write past the deadline is a timeout.
  virtual Status write(std::string_view bytes, Deadline deadline) = 0;

  // Returns the bytes available now (at most `max`), waiting until the deadline for the first.
  virtual Chunk read(Deadline deadline, std::size_t max = 4096) = 0;

  // Wakes any blocked read/write (from any thread); they and later calls return `aborted`
  // until the link is reopened.
  virtual void abort() = 0;

  // Asks the read in progress (or, when none is, the next read) to return `timeout` early,
  // once, unless it has bytes to return. Lets another thread take over reading without
  // waiting for input (EcrLink). Writes are not affected. The default does nothing: reads then
  // end only on input or their deadline.
  virtual void wake() {}
};

using LinkPtr = std::unique_ptr<Link>;

// Builds a link from a bench link spec:
//   "pty:/dev/pts/5" or a plain path to a pty or a symlink to one  -> termios pty transport
//   "serial:/dev/ttyUSB0[?baud=115200&data=8&parity=none&stop=1&flow=none]" -> libserialport
//   "usb:VID:PID[:SERIAL]"                                          -> libserialport, found by id
//   "tcp:HOST:PORT"                                                  -> TCP byte stream
// Throws std::invalid_argument with a clear message for a spec it cannot parse.
LinkPtr make_link(const std::string& spec);

}  // namespace rig::link
