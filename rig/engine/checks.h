// The session's checks: runs each expect step by its kind (rig/checks), records every check in
// the results, and serves the kinds as their CheckContext — the timeline, the current
// transaction, deadlines scaled to the bench, the ledger since the scenario began, and status
// snapshots asked of the terminal. Evidence checks (registered EvidenceKinds) run here at the
// end of a scenario.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "rig/engine/context.h"
#include "rig/report/results.h"
#include "rig/scenario/registry.h"

namespace rig::engine {

class Station;
struct RunnerOptions;
class TerminalPort;

class Checks : public CheckContext {
 public:
  Checks(Station& station, const RunnerOptions& options, Timeline& timeline,
         TerminalPort& terminal);

  // Reads the ledger's figures now, the base of ledger checks (when the station has a host
  // admin endpoint). Throws InfrastructureError when it cannot.
  void start();

  // Judges an expect step by its kind, records the CheckResult; "" or the failure text.
  std::string run(const scenario::Step& step);
  // Runs `evidence` whose needs the station's driver meets, over the whole scenario, and records
  // each as a check `evidence NAME` at `where` (one that cannot run on this bench is a timeline
  // note, not a check); "" or the first failure text.
  std::string run_evidence(const std::vector<const scenario::EvidenceKind*>& evidence,
                           const scenario::SourceLoc& where);
  const std::vector<report::CheckResult>& results() const { return results_; }

  // The host's ledger figures for this terminal now (vhost admin), as vhost reports them; null
  // with `error` set when they cannot be read.
  nlohmann::json ledger_now(std::chrono::milliseconds timeout, std::string* error);

  // CheckContext
  const Timeline& timeline() const override { return tl_; }
  const Transaction& transaction() const override;
  std::string scoped(const std::string& name) const override;
  std::chrono::milliseconds within(const scenario::Step& step, bool positive) const override;
  bool interrupted() const override;
  const bench::TerminalProfile& profile() const override;
  nlohmann::json ledger_since_start() override;
  nlohmann::json ask_status(Clock::time_point deadline) override;
  // The timeline so far and GET /admin/evidence since the ledger seq start() noted (no host
  // evidence when the station has no admin endpoint or its host reports no seq).
  const Evidence& evidence() override;

 private:
  // GET /admin/evidence for this terminal since the ledger seq start() noted; null with
  // `why_none` set when the bench cannot tell. Throws InfrastructureError when it cannot be read.
  nlohmann::json host_evidence(std::string* why_none);
  void record(const std::string& where, const std::string& what, const std::string& expected,
              const std::string& failure);

  Station& st_;
  const RunnerOptions& opt_;
  Timeline& tl_;
  TerminalPort& terminal_;
  nlohmann::json ledger_base_;
  std::optional<Evidence> evidence_;
  std::vector<report::CheckResult> results_;
};

}  // namespace rig::engine
