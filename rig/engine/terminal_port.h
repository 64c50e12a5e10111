// The session's way to the terminal: commands through the station's terminal driver, the ids
// they carry, and the current transaction (where it began, its id). Steps send through it; the
// checks and the settling after a scenario ask for status snapshots through it.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "rig/engine/context.h"
#include "rig/engine/timeline.h"
#include "rig/terminal/model.h"

namespace rig::engine {

class Station;
struct RunnerOptions;

class TerminalPort {
 public:
  TerminalPort(Station& station, const RunnerOptions& options, Timeline& timeline);

  // A fresh id, never used on this station before (the terminal remembers ids, rule 19).
  std::string new_id();
  // An id as written in the scenario -> the id the terminal sees (RunnerOptions::scope_ids).
  std::string scoped(const std::string& name) const;

  // Sends `command`. Throws InfrastructureError when the terminal did not take it.
  void send(const terminal::Command& command);
  // Makes `command` the current transaction (it begins now, with the command's id; `any_id`:
  // its answer carries another transaction's id, as for last and reprint), then sends it.
  void start(const terminal::Command& command, bool any_id);
  const Transaction& transaction() const { return txn_; }

  // Whether the station's driver can send `kind`.
  bool can(terminal::CommandKind kind) const;
  // Sends `kind` (status or reset, both answered by a status snapshot) with a fresh id and
  // returns the snapshot's fields, or null when none came by `deadline`.
  nlohmann::json ask_status(terminal::CommandKind kind, Clock::time_point deadline);
  // The fields of the first entry of `kind` from timeline index `from` whose fields hold every
  // value of `match`; null at the deadline.
  nlohmann::json wait_entry(EntryKind kind, const nlohmann::json& match, std::size_t from,
                            Clock::time_point deadline) const;

 private:
  Station& st_;
  const RunnerOptions& opt_;
  Timeline& tl_;
  std::string scope_tag_;  // unique per session: run tag + a counter
  Transaction txn_;
};

}  // namespace rig::engine
