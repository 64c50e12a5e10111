// Tells a terminal that floods its link from one that talks. A RIG-ECR terminal sends a few
// frames per transaction; a serial line at 115200 baud carries 11.5 kB/s at most. A peer that
// sends more than `units_per_second` pieces (frames, control bytes, chunks of noise) or
// `bytes_per_second` bytes in each of `seconds` one-second windows in a row floods: its station
// leaves the run (docs/reliability.md). Pure: the caller gives the time of each piece.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace rig::engine {

struct FloodLimits {
  std::uint64_t units_per_second = 2000;
  std::uint64_t bytes_per_second = 64 * 1024;
  int seconds = 2;
};

class FloodMeter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit FloodMeter(FloodLimits limits = {}) : limits_(limits) {}

  // Counts one piece of `bytes` bytes received at `at` (in time order). Returns true once: on
  // the piece that makes the flood certain.
  bool add(Clock::time_point at, std::uint64_t bytes);
  bool flooding() const { return flooding_; }
  // "1,204,311 bytes in 52,114 pieces within 2.0 s" (over the windows that made the flood).
  std::string describe() const;

 private:
  FloodLimits limits_;
  Clock::time_point window_start_{};
  bool started_ = false;
  std::uint64_t units_ = 0, bytes_ = 0;  // this window
  int over_ = 0;                         // windows over a limit in a row, before this one
  Clock::time_point over_start_{};       // start of the first of them
  std::uint64_t over_units_ = 0, over_bytes_ = 0;
  bool flooding_ = false;
  Clock::time_point flood_at_{};
};

}  // namespace rig::engine
