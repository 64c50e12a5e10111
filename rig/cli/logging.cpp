#include "rig/cli/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <mutex>

#include "rig/report/console.h"

namespace rig::cli {

namespace {

// stderr, or the live console while one is drawn.
class ConsoleSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void route(report::Console* console) {
    std::lock_guard<std::mutex> lock(mutex_);
    console_ = console;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string text(formatted.data(), formatted.size());
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (console_) {
      console_->line(text);
    } else {
      std::cerr << text << '\n' << std::flush;
    }
  }
  void flush_() override { std::cerr << std::flush; }

 private:
  report::Console* console_ = nullptr;
};

std::shared_ptr<ConsoleSink>& console_sink() {
  static std::shared_ptr<ConsoleSink> sink = std::make_shared<ConsoleSink>();
  return sink;
}

}  // namespace

LogOptions& log_options() {
  static LogOptions options;
  return options;
}

void add_log_options(CLI::App& app, LogOptions& options) {
  app.add_flag("-v,--verbose", options.verbose,
               "Log every step and timeline entry (ECR frames, host messages, faults) to stderr");
  app.add_option("--log-file", options.file,
                 "Append a debug log (everything --verbose shows, time-stamped) to FILE");
}

std::string start_logging(const LogOptions& options) {
  auto console = console_sink();
  console->set_pattern("rig: %^%l%$: %v");
  console->set_level(options.verbose ? spdlog::level::debug : spdlog::level::warn);
  std::vector<spdlog::sink_ptr> sinks{console};
  std::string error;
  if (!options.file.empty()) {
    try {
      auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file);
      file->set_pattern("%Y-%m-%d %H:%M:%S.%e %-5l %v");
      file->set_level(spdlog::level::debug);
      sinks.push_back(file);
    } catch (const spdlog::spdlog_ex& e) {
      error = "cannot write log file " + options.file + ": " + e.what();
    }
  }
  auto logger = std::make_shared<spdlog::logger>("rig", sinks.begin(), sinks.end());
  logger->set_level(sinks.size() > 1 || options.verbose ? spdlog::level::debug
                                                        : spdlog::level::warn);
  logger->flush_on(spdlog::level::debug);
  spdlog::set_default_logger(logger);
  return error;
}

void route_console_log(report::Console* console) { console_sink()->route(console); }

}  // namespace rig::cli
