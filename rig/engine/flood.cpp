#include "rig/engine/flood.h"

#include <cstdio>

#include "rig/engine/timeline.h"

namespace rig::engine {

bool FloodMeter::add(Clock::time_point at, std::uint64_t bytes) {
  if (flooding_) return false;
  const auto second = std::chrono::seconds(1);
  if (!started_) {
    started_ = true;
    window_start_ = at;
  }
  if (at - window_start_ >= second) {
    // The window closes: over a limit, it adds to the run of such windows (when the next one
    // follows at once), else the run is broken.
    const bool over = units_ > limits_.units_per_second || bytes_ > limits_.bytes_per_second;
    if (over) {
      if (over_ == 0) {
        over_start_ = window_start_;
        over_units_ = over_bytes_ = 0;
      }
      ++over_;
      over_units_ += units_;
      over_bytes_ += bytes_;
    } else {
      over_ = 0;
    }
    if (at - window_start_ >= 2 * second) over_ = 0;  // a quiet second in between
    window_start_ = at;
    units_ = bytes_ = 0;
  }
  ++units_;
  bytes_ += bytes;
  // The last window of the run needs not end: crossing a limit in it is enough.
  if (over_ + 1 >= limits_.seconds &&
      (units_ > limits_.units_per_second || bytes_ > limits_.bytes_per_second)) {
    if (over_ == 0) over_start_ = window_start_, over_units_ = over_bytes_ = 0;
    over_units_ += units_;
    over_bytes_ += bytes_;
    flooding_ = true;
    flood_at_ = at;
    return true;
  }
  return false;
}

std::string FloodMeter::describe() const {
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f",
                std::chrono::duration<double>(flood_at_ - over_start_).count());
  return thousands(over_bytes_) + " bytes in " + thousands(over_units_) + " pieces within " + secs +
         " s (limits: " + thousands(limits_.units_per_second) + " pieces or " +
         thousands(limits_.bytes_per_second) + " bytes a second)";
}

}  // namespace rig::engine
