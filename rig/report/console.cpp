#include "rig/report/console.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace rig::report {

using SteadyClock = std::chrono::steady_clock;

ConsoleStyle detect_console_style(int fd, const std::string& color) {
  ConsoleStyle style;
  const char* term = std::getenv("TERM");
  const bool terminal = ::isatty(fd) != 0 && !(term && std::string(term) == "dumb");
  style.live = terminal;
  if (color == "always") {
    style.color = true;
  } else if (color == "never") {
    style.color = false;
  } else if (color == "auto") {
    const char* no_color = std::getenv("NO_COLOR");
    style.color = terminal && !(no_color && *no_color);
  } else {
    throw std::invalid_argument("bad --color '" + color + "': expected auto, always or never");
  }
  return style;
}

std::string format_elapsed(std::chrono::milliseconds elapsed) {
  const long long ms = std::max<long long>(0, elapsed.count());
  char buf[32];
  if (ms < 60'000) {
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
  } else if (ms < 3'600'000) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", ms / 60'000, (ms / 1000) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", ms / 3'600'000, (ms / 60'000) % 60);
  }
  return buf;
}

Console::Console(std::FILE* out, ConsoleStyle style) : out_(out), style_(style) {
  // Live: redraw the elapsed times every second. Plain: a line for a long step each interval.
  if (style_.live || style_.interval.count() > 0) ticker_ = std::thread([this] { tick(); });
}

Console::~Console() { stop(); }

void Console::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    std::string out;
    erase_live_locked(out);
    write(out);
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

void Console::tick() {
  const auto period = style_.live ? std::chrono::milliseconds(1000) : style_.interval;
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, period, [this] { return stopping_; })) {
    if (style_.live) {
      std::string out;
      erase_live_locked(out);
      draw_live_locked(out);
      write(out);
    } else {
      for (auto& row : rows_) changed_locked(row);
    }
  }
}

Console::Row& Console::row_locked(const std::string& station) {
  for (auto& r : rows_) {
    if (r.station == station) return r;
  }
  rows_.push_back(Row{});
  rows_.back().station = station;
  return rows_.back();
}

std::string Console::row_text(const Row& row, SteadyClock::time_point now) const {
  std::size_t width = 0;
  for (const auto& r : rows_) width = std::max(width, r.station.size());
  std::string text =
      "  " + row.station + std::string(width - row.station.size(), ' ') + "  " + row.scenario;
  if (row.step > 0) {
    text += "  step " + std::to_string(row.step) + "/" + std::to_string(row.steps) + " " +
            row.step_name;
    if (!style_.live && !row.where.empty()) text += " (" + row.where + ")";
  } else {
    text += "  starting";
  }
  text += "  " +
          format_elapsed(std::chrono::duration_cast<std::chrono::milliseconds>(now - row.started));
  return text;
}

void Console::erase_live_locked(std::string& out) {
  if (drawn_ == 0) return;
  // Up to the first live line, then clear from there to the end of the screen.
  out += "\r\x1b[" + std::to_string(drawn_) + "A\x1b[J";
  drawn_ = 0;
}

void Console::draw_live_locked(std::string& out) {
  if (stopping_) return;
  winsize ws{};
  std::size_t columns = 80;
  if (::ioctl(::fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) columns = ws.ws_col;
  const auto now = SteadyClock::now();
  for (const auto& row : rows_) {
    if (!row.busy) continue;
    std::string text = row_text(row, now);
    // One column short of the width: a full line would wrap on some terminals.
    if (text.size() >= columns) text = text.substr(0, columns - 1);
    out += paint(text, Paint::dim) + "\n";
    ++drawn_;
  }
}

void Console::changed_locked(Row& row) {
  if (stopping_) return;
  std::string out;
  if (style_.live) {
    erase_live_locked(out);
    draw_live_locked(out);
  } else if (row.busy) {
    const auto now = SteadyClock::now();
    if (row.last_printed != SteadyClock::time_point{} && now - row.last_printed < style_.interval) {
      return;
    }
    row.last_printed = now;
    out = row_text(row, now) + "\n";
  }
  write(out);
}

void Console::scenario_started(const std::string& station, const std::string& scenario, int steps) {
  std::lock_guard<std::mutex> lock(mu_);
  Row& row = row_locked(station);
  row.scenario = scenario;
  row.steps = steps;
  row.step = 0;
  row.step_name.clear();
  row.where.clear();
  row.started = SteadyClock::now();
  row.busy = true;
  changed_locked(row);
}

void Console::step_started(const std::string& station, const std::string& scenario, int step,
                           int steps, const std::string& step_name, const std::string& where) {
  std::lock_guard<std::mutex> lock(mu_);
  Row& row = row_locked(station);
  if (row.scenario != scenario) {
    row.scenario = scenario;
    row.started = SteadyClock::now();
  }
  row.step = step;
  row.steps = steps;
  row.step_name = step_name;
  row.where = where;
  row.busy = true;
  changed_locked(row);
}

void Console::scenario_finished(const std::string& station) {
  std::lock_guard<std::mutex> lock(mu_);
  Row& row = row_locked(station);
  row.busy = false;
  if (style_.live) changed_locked(row);
}

void Console::line(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  erase_live_locked(out);
  out += text + "\n";
  if (style_.live) draw_live_locked(out);
  write(out);
}

std::string Console::paint(const std::string& text, Paint paint) const {
  if (!style_.color || paint == Paint::none) return text;
  const char* code = "";
  switch (paint) {
    case Paint::none:
      return text;
    case Paint::green:
      code = "32";
      break;
    case Paint::red:
      code = "31";
      break;
    case Paint::yellow:
      code = "33";
      break;
    case Paint::bold:
      code = "1";
      break;
    case Paint::dim:
      code = "2";
      break;
  }
  return std::string("\x1b[") + code + "m" + text + "\x1b[0m";
}

std::string Console::status_word(Status status) const {
  switch (status) {
    case Status::pass:
      return paint("PASS ", Paint::green);
    case Status::fail:
      return paint("FAIL ", Paint::red);
    case Status::error:
      return paint("ERROR", Paint::red);
    case Status::skipped:
      return paint("SKIP ", Paint::yellow);
    case Status::flaky:
      return paint("FLAKY", Paint::yellow);
  }
  return "?    ";
}

void Console::write(const std::string& text) {
  if (text.empty()) return;
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

}  // namespace rig::report
