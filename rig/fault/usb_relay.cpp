#include "rig/fault/usb_relay.h"

#include "rig/fault/contact.h"
#include "rig/process/supervisor.h"

namespace rig::fault {

namespace {

using nlohmann::json;

// "" when `relay` reads SERIAL_N (N from 1), else what is wrong.
std::string relay_name_error(const std::string& relay) {
  const std::size_t us = relay.rfind('_');
  if (us == std::string::npos || us == 0 || us + 1 >= relay.size()) {
    return "relay must read SERIAL_N (the board's serial and the relay number: BITFT_2), got '" +
           relay + "'";
  }
  for (char c : relay.substr(0, us)) {
    if (c == '=' || c <= ' ') return "the serial of relay '" + relay + "' has a '=' or a blank";
  }
  const std::string n = relay.substr(us + 1);
  if (n.size() > 1 || n[0] < '1' || n[0] > '8') {
    return "relays of a board are numbered 1 to 8, got '" + n + "'";
  }
  return "";
}

// The end of a tool's output, for messages.
std::string tail_of(const std::string& text) {
  return text.size() > 300 ? "…" + text.substr(text.size() - 300) : text;
}

class UsbRelayFixture : public ContactFixture {
 public:
  UsbRelayFixture(const bench::FaultWiring& wiring, const FixtureContext& context)
      : ContactFixture(usb_relay_driver(), wiring, {context.interactive}),
        settings_(expanded_settings(wiring.settings, context.expand)),
        record_(context.record) {
    if (std::string why = relay_name_error(settings_.value("relay", "")); !why.empty()) {
      throw std::invalid_argument(why);
    }
  }

  std::string describe() const override { return "usbrelay " + settings_.value("relay", ""); }

 protected:
  Outcome switch_to(bool on, Deadline deadline) override {
    const std::string relay = settings_.value("relay", "");
    const std::vector<std::string> argv = usbrelay_switch_argv(settings_, on);
    process::RunResult set = process::run(argv, deadline);
    if (!set.status) return Outcome::failure(describe() + ": " + set.status.message);
    record_("fixture", {{"driver", "usbrelay"}, {"argv", argv}, {"exit", set.exit.describe()}});
    if (!set.exit.success()) {
      std::string out = set.text();
      return Outcome::failure(describe() + ": " + argv.front() + " " + set.exit.describe() +
                              (out.empty() ? "" : ": " + tail_of(out)));
    }
    // usbrelay says nothing when the board is not there: look.
    process::RunResult list = process::run(usbrelay_list_argv(settings_), deadline);
    if (!list.status) return Outcome::failure(describe() + ": " + list.status.message);
    const std::string listing = list.text(process::Stream::out);
    std::optional<bool> state = usbrelay_state(listing, relay);
    if (!state) {
      return Outcome::failure(
          describe() + ": " + argv.front() + " lists no relay " + relay +
          (listing.empty() ? " (no board found: is it plugged in, and may this user open its "
                             "hidraw device? docs/hardware.md)"
                           : " (it lists " + tail_of(listing) + ")"));
    }
    if (*state != on) {
      return Outcome::failure(describe() + ": switched " + (on ? "on" : "off") +
                              ", but the board says it is " + (*state ? "on" : "off"));
    }
    return Outcome::success({{"relay", relay}, {"on", on}});
  }

 private:
  json settings_;
  FixtureRecorder record_;
};

}  // namespace

std::vector<std::string> usbrelay_list_argv(const json& settings) {
  std::vector<std::string> argv;
  for (const auto& a : settings.value("command", json::array({"usbrelay"}))) {
    argv.push_back(a.get<std::string>());
  }
  return argv;
}

std::vector<std::string> usbrelay_switch_argv(const json& settings, bool on) {
  std::vector<std::string> argv = usbrelay_list_argv(settings);
  argv.push_back(settings.value("relay", "") + (on ? "=1" : "=0"));
  return argv;
}

std::optional<bool> usbrelay_state(const std::string& listing, const std::string& relay) {
  std::size_t start = 0;
  while (start < listing.size()) {
    std::size_t end = listing.find('\n', start);
    if (end == std::string::npos) end = listing.size();
    std::string line = listing.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.size() == relay.size() + 2 && line.compare(0, relay.size(), relay) == 0 &&
        line[relay.size()] == '=') {
      const char v = line.back();
      if (v == '0' || v == '1') return v == '1';
    }
    start = end + 1;
  }
  return std::nullopt;
}

const DriverInfo& usb_relay_driver() {
  static const DriverInfo info = [] {
    DriverInfo d;
    d.name = "usbrelay";
    d.doc = "a relay of a USB HID relay board, through Debian's usbrelay tool";
    d.families = contact_families();
    d.settings = {
        MakeSetting("relay", Setting::Type::text,
                    "SERIAL_N: the board's serial and the relay number (`usbrelay` lists them)")
            .required(),
        MakeSetting("command", Setting::Type::argv, "the tool's argv (default [usbrelay])")
            .fallback(json::array({"usbrelay"})),
        contact_active_setting("on"),
    };
    d.check = [](const std::string&, const json& s, const SettingError& error) {
      check_written(s, "relay", error, relay_name_error);
    };
    d.refuses = contact_refuses;
    d.make = build_fixture<UsbRelayFixture>;
    return d;
  }();
  return info;
}

}  // namespace rig::fault
