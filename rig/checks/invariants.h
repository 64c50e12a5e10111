// The evidence invariants: what must hold between the terminal's account of a scenario (its
// RESULTs, displays and receipts on the timeline, the commands the rig sent) and what the host
// and the wallet saw of it (vhost's GET /admin/evidence, docs/ledger.md#evidence), whatever the
// scenario was about. Pure functions over an engine::Evidence, so that the engine's always-on
// evidence checks (rig/checks/evidence.cpp) and any other judge (a fault explorer) read them the
// same way; tests/unit/test_invariants.cpp builds evidence by hand.
//
// The host's ledger and the RESULTs the controller got come first; the terminal's own account
// (REVERSAL_STORED, REVERSAL_FAILED, MANUAL_HANDLING, STATUS pending_reversals) is only read to
// allow what DOMAIN.md allows — a reversal still stored (rule 1), one that ran out of attempts
// with the alert raised (rule 3), a QR sale flagged for manual handling (rule 14) — and what it
// allows is noted, never passed over silently.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "rig/engine/context.h"
#include "rig/scenario/registry.h"

namespace rig::checks {

using Verdict = scenario::EvidenceVerdict;

// One transaction as the terminal's side of the timeline tells it: the sale or refund command
// the rig sent (when it sent one) and every RESULT carrying its id.
struct TerminalTransaction {
  std::string id;
  std::string type;    // sale | refund
  std::string method;  // card | qr
  std::string amount;  // what the rig asked for; "" when the rig did not send the command
  bool sent = false;   // the rig sent its sale or refund in this scenario (not a LAST's answer
                       // about an earlier one)
  std::vector<std::size_t> results;  // timeline indexes of its RESULTs, in order
  // The last RESULT that says how it ended (an UNKNOWN rc=IP "in progress" does not); -1: none.
  long final = -1;
};

// The terminal's transactions of a timeline, by id, in the order they first appear.
struct TerminalAccount {
  std::vector<TerminalTransaction> transactions;
  std::map<std::string, std::size_t> by_id;  // id -> index in transactions
  const TerminalTransaction* find(const std::string& id) const;
};
TerminalAccount terminal_account(const std::vector<engine::Entry>& timeline);

// Money conserved: every sale or refund the rig sent whose RESULT is APPROVED has exactly the host
// transaction (card: its STAN) or the paid wallet order (QR: its order) of the amount the rig
// asked for, standing; every host transaction and paid order of the scenario that still takes
// or gives money belongs to an APPROVED result — unless the terminal still holds its reversal
// (rule 1), raised the reversal-failed alert for it (rule 3) or flagged the sale for manual
// handling (rule 14), which is noted.
Verdict money_conserved(const engine::Evidence& ev);
// Charged once: every reversal carries its original's fields (the strict host refused none for
// a field that disagrees: rule 2) and is applied at most once; no transaction id of the
// controller has more than one standing charge (rules 5, 19, 20); no wallet order is paid twice
// (rules 13, 15).
Verdict charged_once(const engine::Evidence& ev);
// Reversals carry their original's fields, as the wire shows them (the proxy's host messages,
// whatever the host does with them): every 0400/0401 the terminal sent whose original 0200 went
// out in the scenario has that 0200's field 4 (amount), 49 (currency), 11 (STAN), 41 and 42
// (TID, MID), and field 90 naming its MTI, STAN and field 7 (rule 2).
Verdict reversal_fields(const engine::Evidence& ev);
// Display and result agree: a transaction that did not end APPROVED never shows the approval
// wording (and not the decline wording) on the display, an APPROVED one's last display before
// its RESULT does not show the decline wording alone, and a RESULT's text does not say the
// opposite of its status (rule 11; the profile's approved_/declined_ patterns).
Verdict display_agrees(const engine::Evidence& ev);
// Receipts only for approvals: every RECEIPT names a transaction that ended APPROVED, unless it
// is a decline slip (its text has the decline wording).
Verdict receipts_for_approvals(const engine::Evidence& ev);

}  // namespace rig::checks
