#include "rig/fault/command.h"

#include "rig/process/supervisor.h"

namespace rig::fault {

namespace {

using nlohmann::json;

class CommandFixture : public ListedFixture {
 public:
  CommandFixture(const bench::FaultWiring& wiring, const FixtureContext& context)
      : ListedFixture(command_driver(), wiring, context), record_(context.record) {}

 protected:
  Outcome perform(const std::string& entry, const std::string& half, const std::string& action,
                  const json& params, Deadline deadline) override {
    std::vector<std::string> argv;
    if (Outcome filled = filled_in(entry, half, action, params, argv); !filled.ok) return filled;
    process::RunResult r = process::run(argv, deadline);
    if (!r.status) return Outcome::failure(describe() + ": " + r.status.message);
    record_("fixture", {{"driver", "command"}, {"argv", argv}, {"exit", r.exit.describe()}});
    if (!r.exit.success()) {
      std::string out = r.text();
      if (out.size() > 300) out = out.substr(out.size() - 300);
      return Outcome::failure(describe() + ": " + entry + " " + half + ": " + argv[0] + " " +
                              r.exit.describe() + (out.empty() ? "" : ": " + out));
    }
    return Outcome::success({{"argv", argv}});
  }

 private:
  FixtureRecorder record_;
};

}  // namespace

const DriverInfo& command_driver() {
  static const DriverInfo info = [] {
    DriverInfo d = listed_driver(
        "command", "argv lists per fault or action: tc, ip, snmpset, a card robot, a vendor tool",
        Setting::Type::argv_actions, "FAULT_OR_ACTION: {apply: [argv…], clear: [argv…]}");
    d.make = build_fixture<CommandFixture>;
    return d;
  }();
  return info;
}

}  // namespace rig::fault
