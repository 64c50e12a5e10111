// Live console progress of a run: what each station is doing while scenarios run, and the
// permanent lines (results, notes) above it.
//
// Two forms:
// - live (a terminal): one line per busy station at the bottom of the screen — station,
//   scenario, step N/M and its kind, time since the scenario started — redrawn in place every
//   second and on each change; permanent lines scroll above it. Lines are cut to the terminal's
//   width so that redrawing never leaves pieces behind.
// - plain (a pipe, a file, CI): the same station line as an ordinary line, at most once per
//   `interval` per station: when a scenario or step starts, and during a long step when the
//   interval has passed (so that a minutes-long scenario is never minutes of silence).
//   interval 0: a line for every scenario and step start.
//
// Colour (ANSI) only when asked; see detect_console_style for NO_COLOR and --color.
// Thread-safe: stations report from their own threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rig/report/results.h"

namespace rig::report {

struct ConsoleStyle {
  bool live = false;
  bool color = false;
  std::chrono::milliseconds interval{
      10000};  // plain form: at most one line per station per interval
};

// For the stream `fd`: live when it is a terminal and TERM is not "dumb"; colour by `color`:
// "always", "never", or "auto" (a terminal, and NO_COLOR unset or empty — no-color.org).
// Throws std::invalid_argument for another `color` value.
ConsoleStyle detect_console_style(int fd, const std::string& color);

enum class Paint { none, green, red, yellow, bold, dim };

class Console {
 public:
  Console(std::FILE* out, ConsoleStyle style);
  ~Console();  // stop()
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  const ConsoleStyle& style() const { return style_; }

  void scenario_started(const std::string& station, const std::string& scenario, int steps);
  void step_started(const std::string& station, const std::string& scenario, int step, int steps,
                    const std::string& step_name, const std::string& where);
  void scenario_finished(const std::string& station);

  // A permanent line (without its '\n'); in the live form it is printed above the stations.
  void line(const std::string& text);

  // `text` in colour when the style has colour, else as it is.
  std::string paint(const std::string& text, Paint paint) const;
  // The status word of a result line, padded to 5 and coloured: PASS, FAIL, ERROR, SKIP, FLAKY.
  std::string status_word(Status status) const;

  // Clears the live lines and stops the ticker; idempotent.
  void stop();

 private:
  struct Row {
    std::string station, scenario, step_name, where;
    int step = 0, steps = 0;
    std::chrono::steady_clock::time_point started{};
    std::chrono::steady_clock::time_point last_printed{};  // plain form
    bool busy = false;
  };
  Row& row_locked(const std::string& station);
  std::string row_text(const Row& row, std::chrono::steady_clock::time_point now) const;
  void changed_locked(Row& row);
  void erase_live_locked(std::string& out);
  void draw_live_locked(std::string& out);
  void write(const std::string& text);
  void tick();

  std::FILE* out_;
  ConsoleStyle style_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Row> rows_;  // in the order stations first reported
  int drawn_ = 0;          // live lines on the screen now
  bool stopping_ = false;
  std::thread ticker_;
};

// "8.2s", "2m05s", "1h02m".
std::string format_elapsed(std::chrono::milliseconds elapsed);

}  // namespace rig::report
