#include "rig/terminal/link_faults.h"

namespace rig::terminal {

namespace {

scenario::Param positive(const char* name, const std::string& what) {
  scenario::Param p;
  p.name = name;
  p.type = scenario::ValueType::integer;
  p.required = true;
  p.min = 1;
  p.doc = what;
  return p;
}

}  // namespace

std::vector<scenario::FaultInfo> link_fault_infos() {
  return {
      {"ecr.no_ack",
       "ecr",
       "the rig does not ACK the terminal's next frames",
       {positive("count", "frames left unacknowledged")},
       {}},
      {"ecr.bad_lrc",
       "ecr",
       "the rig sends its next frames with a wrong check value (RIG-ECR LRC, ZVT CRC)",
       {positive("count", "frames sent broken")},
       {}},
      {"ecr.noise",
       "ecr",
       "the rig writes `bytes` bytes of 0x7F (DEL, outside any frame) ahead of its next frame",
       {positive("bytes", "how many")},
       {}},
      {"ecr.disconnect", "ecr", "the rig drops the ECR link until cleared", {}, {}},
  };
}

fault::Outcome act_link_fault(const std::string& action, const nlohmann::json& params,
                              const LinkFaultHooks& hooks) {
  if (action == "ecr.disconnect") {
    hooks.disconnect();
    return fault::Outcome::success();
  }
  const int count = params.value("count", 1);
  if (action == "ecr.bad_lrc") hooks.misbehave(count, 0, 0);
  if (action == "ecr.no_ack") hooks.misbehave(0, count, 0);
  if (action == "ecr.noise") hooks.misbehave(0, 0, params.value("bytes", 16));
  return fault::Outcome::success();
}

fault::Outcome revert_link_fault(const std::string& fault, rig::link::Deadline deadline,
                                 const LinkFaultHooks& hooks) {
  if (fault != "ecr.disconnect") {
    hooks.misbehave(0, 0, 0);
    return fault::Outcome::success();
  }
  rig::link::Status s = hooks.reopen(deadline);
  return s ? fault::Outcome::success() : fault::Outcome::failure(s.message);
}

fault::Outcome restore_link(rig::link::Deadline deadline, const LinkFaultHooks& hooks, bool open) {
  hooks.misbehave(0, 0, 0);
  if (!open) {
    rig::link::Status s = hooks.reopen(deadline);
    if (!s) return fault::Outcome::failure(s.message);
  }
  return fault::Outcome::success();
}

}  // namespace rig::terminal
