// The terminal boundary end to end, in process, on the virtual bench: a scenario that needs
// something the station's terminal driver cannot observe is skipped with the reason before it
// runs, and on a bench with mixed drivers it goes to a station whose driver can run it.
//
// The second driver is rig-ecr with its event stream taken away ("rig-ecr-no-events"),
// registered the way a build adds its own driver (rig::terminal::add_driver).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "rig/bench/bench.h"
#include "rig/engine/controller.h"
#include "rig/scenario/loader.h"
#include "rig/terminal/terminal.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
namespace terminal = rig::terminal;

constexpr const char* kNoEvents = "rig-ecr-no-events";

// rig-ecr that neither reports nor claims terminal events.
class NoEvents : public terminal::TerminalDriver {
 public:
  NoEvents(const terminal::TerminalOptions& options, terminal::TerminalSink sink) {
    terminal::TerminalSink filtered;
    filtered.on_link_lost = sink.on_link_lost;
    filtered.on_observation = [sink](const terminal::Observation& o,
                                     rig::link::Clock::time_point at) {
      if (terminal::kind_of(o) != terminal::ObservationKind::event) sink.on_observation(o, at);
    };
    inner_ = terminal::make_terminal_driver("rig-ecr", options, std::move(filtered));
    caps_ = inner_->capabilities();
    caps_.observations.erase(terminal::ObservationKind::event);
  }
  std::string driver_name() const override { return kNoEvents; }
  const terminal::Capabilities& capabilities() const override { return caps_; }
  std::string describe() const override { return inner_->describe(); }
  rig::link::Status open(rig::link::Deadline d) override { return inner_->open(d); }
  void close() override { inner_->close(); }
  bool is_open() const override { return inner_->is_open(); }
  rig::link::Status send(const terminal::Command& c, rig::link::Deadline d) override {
    return inner_->send(c, d);
  }
  bool supports(const std::string& action) const override { return inner_->supports(action); }
  rig::fault::Outcome act(const std::string& action, const nlohmann::json& params,
                          const rig::scenario::Trigger* trigger, std::chrono::milliseconds hold,
                          rig::link::Deadline d) override {
    return inner_->act(action, params, trigger, hold, d);
  }
  rig::fault::Outcome revert(const std::string& fault, rig::link::Deadline d) override {
    return inner_->revert(fault, d);
  }
  rig::fault::Outcome restore(rig::link::Deadline d) override { return inner_->restore(d); }

 private:
  std::unique_ptr<terminal::TerminalDriver> inner_;
  terminal::Capabilities caps_;
};

void register_no_events_once() {
  static const bool done = [] {
    terminal::DriverInfo info;
    info.name = kNoEvents;
    info.doc = "rig-ecr without terminal events (test)";
    info.make = [](const terminal::TerminalOptions& o, terminal::TerminalSink s) {
      return std::make_unique<NoEvents>(o, std::move(s));
    };
    info.capabilities = [](const terminal::TerminalOptions&) {
      terminal::Capabilities c = terminal::drivers().find("rig-ecr")->capabilities({});
      c.observations.erase(terminal::ObservationKind::event);
      return c;
    };
    terminal::add_driver(std::move(info));
    return true;
  }();
  (void)done;
}

class DriverSkipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_no_events_once();
    dir_ = fs::temp_directory_path() /
           ("posrig-drivers-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write("needs-events.yaml",
          "name: needs events\nfamily: drivers\nsteps:\n"
          "  - sale: {amount: \"1.00\", method: card, card: visa-chip}\n"
          "  - expect: {result: {status: APPROVED}}\n"
          "  - expect: {event: PAPER_OUT, absent: true, within: 1s}\n");
    write("results-only.yaml",
          "name: results only\nfamily: drivers\nsteps:\n"
          "  - sale: {amount: \"1.00\", method: card, card: visa-chip}\n"
          "  - expect: {result: {status: APPROVED}}\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }

  // Runs `files` (in this order) on the virtual bench whose stations use `drivers`.
  rig::report::RunResult run(const std::vector<std::string>& drivers,
                             const std::vector<std::string>& files) {
    rig::bench::Bench bench =
        rig::bench::load_bench(POSRIG_SOURCE_DIR "/fixtures/benches/virtual.yaml");
    for (std::size_t i = 0; i < bench.stations.size() && i < drivers.size(); ++i) {
      bench.stations[i].terminal.driver = drivers[i];
    }
    std::vector<rig::scenario::Scenario> scenarios;
    for (const auto& f : files)
      scenarios.push_back(rig::scenario::load_scenario((dir_ / f).string()));
    rig::engine::ControllerOptions options;
    options.rig_dir = POSRIG_BUILD_DIR;
    options.keep_timelines = true;
    rig::engine::Controller controller(bench, options);
    std::string up = controller.up();
    EXPECT_EQ(up, "");
    rig::report::RunResult r = controller.run(scenarios);
    controller.down();
    return r;
  }

  fs::path dir_;
};

TEST_F(DriverSkipTest, WhatTheDriverCannotObserveIsSkippedWithTheReason) {
  auto r = run({kNoEvents, kNoEvents}, {"needs-events.yaml", "results-only.yaml"});
  ASSERT_EQ(r.scenarios.size(), 2u);
  for (const auto& s : r.scenarios) {
    if (s.id == "drivers/needs-events") {
      EXPECT_EQ(s.status, rig::report::Status::skipped);
      const std::string where = (dir_ / "needs-events.yaml").string() + ":6:5";
      // Both stations lack it: the reason is said once, with the step that needs it.
      EXPECT_EQ(s.message,
                "needs terminal events; driver rig-ecr-no-events cannot observe them (expect "
                "event at " + where + ")");
      EXPECT_TRUE(s.steps.empty()) << "decided before it ran";
    } else {
      EXPECT_EQ(s.status, rig::report::Status::pass) << s.message;
    }
  }
  EXPECT_EQ(r.exit_code(), 0);
}

TEST_F(DriverSkipTest, OnAMixedBenchAScenarioGoesToAStationWhoseDriverCanRunIt) {
  auto r =
      run({"rig-ecr", kNoEvents}, {"needs-events.yaml", "needs-events.yaml", "needs-events.yaml",
                                   "results-only.yaml", "results-only.yaml"});
  ASSERT_EQ(r.scenarios.size(), 5u);
  for (const auto& s : r.scenarios) {
    EXPECT_EQ(s.status, rig::report::Status::pass) << s.id << ": " << s.message;
    if (s.id == "drivers/needs-events") {
      EXPECT_EQ(s.station, "lane1");
    }
  }
}

}  // namespace
