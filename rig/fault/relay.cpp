#include "rig/fault/relay.h"

#include <stdexcept>

#include "rig/fault/contact.h"

namespace rig::fault {

std::string relay_frame(int channel, bool on) {
  unsigned char state = on ? 1 : 0;
  auto ch = static_cast<unsigned char>(channel);
  std::string frame;
  frame += static_cast<char>(0xA0);
  frame += static_cast<char>(ch);
  frame += static_cast<char>(state);
  frame += static_cast<char>((0xA0 + ch + state) & 0xFF);
  return frame;
}

RelayBoard::RelayBoard(std::string link_spec) : spec_(std::move(link_spec)) {
  link_ = rig::link::make_link(spec_);  // a bad spec is a configuration error now
}

rig::link::Status RelayBoard::set(int channel, bool on, rig::link::Deadline deadline) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!link_->is_open()) {
    rig::link::Status s = link_->open();
    if (!s) return s;
  }
  rig::link::Status s = link_->write(relay_frame(channel, on), deadline);
  if (!s) link_->close();  // unplugged: reopen next time
  return s;
}

namespace {

class RelayFixture : public ContactFixture {
 public:
  RelayFixture(const bench::FaultWiring& wiring, const FixtureContext& context)
      : ContactFixture(relay_driver(), wiring, {context.interactive}),
        board_(expanded_settings(wiring.settings, context.expand).value("link", "")),
        channel_(wiring.settings.value("channel", 1)) {}

  std::string describe() const override {
    return "relay " + board_.name() + " channel " + std::to_string(channel_);
  }

 protected:
  Outcome switch_to(bool on, Deadline deadline) override {
    rig::link::Status s = board_.set(channel_, on, deadline);
    if (!s) return Outcome::failure(s.message);
    return Outcome::success({{"channel", channel_}, {"on", on}});
  }

 private:
  RelayBoard board_;
  int channel_;
};

}  // namespace

const DriverInfo& relay_driver() {
  static const DriverInfo info = [] {
    DriverInfo d;
    d.name = "relay";
    d.doc = "a channel of a USB serial relay board (frames A0 channel state checksum)";
    d.families = contact_families();
    d.settings = {
        MakeSetting("link", Setting::Type::text, "serial spec of the board (docs/links.md)")
            .required(),
        MakeSetting("channel", Setting::Type::integer, "relay channel").required().range(1, 8),
        contact_active_setting("on"),
    };
    d.check = [](const std::string&, const nlohmann::json& s, const SettingError& error) {
      check_written(s, "link", error, [](const std::string& link) {
        rig::link::make_link(link);  // throws std::invalid_argument
        return std::string();
      });
    };
    d.refuses = contact_refuses;
    d.make = build_fixture<RelayFixture>;
    return d;
  }();
  return info;
}

}  // namespace rig::fault
