#include "rig/fault/relay.h"

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

}  // namespace rig::fault
