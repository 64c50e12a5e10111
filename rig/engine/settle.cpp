#include "rig/engine/settle.h"

#include "rig/engine/fixtures.h"
#include "rig/engine/judge.h"
#include "rig/engine/runner.h"
#include "rig/engine/station.h"
#include "rig/engine/terminal_port.h"

namespace rig::engine {

using nlohmann::json;
using std::chrono::milliseconds;
using terminal::CommandKind;

Settler::Settler(Station& station, const RunnerOptions& options, Timeline& timeline,
                 TerminalPort& terminal, Fixtures& fixtures,
                 std::function<milliseconds(milliseconds)> scaled)
    : st_(station),
      opt_(options),
      tl_(timeline),
      terminal_(terminal),
      fixtures_(fixtures),
      scaled_(std::move(scaled)) {}

bool Settler::interrupted() const { return opt_.interrupted && opt_.interrupted->load(); }

void Settler::sleep_for(milliseconds d) {
  tl_.wait_until([](const std::vector<Entry>&) { return false; }, Clock::now() + d);
}

std::string Settler::restore_fixtures() {
  std::string error;
  // After Ctrl-C the run must end within 2 s (docs/reliability.md): one short deadline for
  // all; a fixture that does not answer by then is named in the error.
  const bool hurry = interrupted();
  st_.wait_for_abort_sweep();
  const link::Deadline all = link::after(std::chrono::milliseconds(1000));
  for (auto* fx : st_.fixtures()) {
    fault::Outcome out = fx->restore(hurry ? all : link::after(std::chrono::seconds(10)));
    if (!out.ok && error.empty()) error = "could not put the station back: " + out.message;
  }
  tl_.add(EntryKind::note, {{"text", error.empty() ? "fixtures restored" : error}});
  return error;
}

// A scenario may end with the terminal waiting for a card, finishing an online transaction,
// stuck (a firmware defect) or locked (rule 21).
std::string Settler::settle_terminal() {
  if (!terminal_.can(CommandKind::reset) && !terminal_.can(CommandKind::status)) {
    tl_.add(EntryKind::note, {{"text", "terminal driver " + st_.terminal().driver_name() +
                                           " reports no state; the terminal is not settled"}});
    return "";
  }
  const milliseconds patience = std::max(scaled_(milliseconds(90000)), milliseconds(5000));
  std::string last;
  json status;
  std::string state = ask_until_idle(Clock::now() + patience, &last, &status);
  if (state == "busy" && !interrupted()) {
    std::string why;
    if (st_.fixture_for("power.cut", &why)) {
      tl_.add(EntryKind::note,
              {{"text", "terminal still busy after " + std::to_string(patience.count()) + "ms (" +
                            last + "); power-cycling it"}});
      try {
        fixtures_.act("power.cut", json::object());
        fixtures_.act("power.restore", json::object());
      } catch (const InfrastructureError& e) {
        return std::string("terminal stuck busy and could not be power-cycled: ") + e.what();
      }
      state = ask_until_idle(Clock::now() + patience, &last, &status);
    }
  }
  if (state == "locked") return unlock(Clock::now() + patience);
  if (state == "idle") return drain_reversals(status, Clock::now() + patience);
  return "terminal did not return to idle after the scenario; last: " + last;
}

std::string Settler::ask_until_idle(Clock::time_point deadline, std::string* last, json* seen) {
  const CommandKind ask =
      terminal_.can(CommandKind::reset) ? CommandKind::reset : CommandKind::status;
  *last = std::string("no status reply to ") + terminal::to_string(ask);
  // A station taken out meanwhile (a flooding terminal) is not waited for.
  while (Clock::now() < deadline && !interrupted() && st_.trouble().empty()) {
    json status;
    try {
      status = terminal_.ask_status(ask, std::min(deadline, Clock::now() + milliseconds(3000)));
    } catch (const InfrastructureError& e) {
      *last = e.what();  // e.g. rebooting after a power cut: ask again
      sleep_for(milliseconds(500));
      continue;
    }
    if (status.is_null()) continue;
    if (seen) *seen = status;
    const std::string state = status.value("state", "");
    if (state == "locked") return state;
    if (state != "busy") return "idle";
    *last = "STATUS " + fields_text(status);
    const std::size_t seen = tl_.size();  // busy online: ask again once something has happened
    tl_.wait_until([seen](const std::vector<Entry>& es) { return es.size() > seen; },
                   std::min(deadline, Clock::now() + milliseconds(1000)));
  }
  return "busy";
}

std::string Settler::drain_reversals(const json& status, Clock::time_point deadline) {
  auto pending_in = [](const json& s) {
    return s.is_object() && s.contains("pending_reversals") && s["pending_reversals"].is_number()
               ? s["pending_reversals"].get<long>()
               : 0L;
  };
  const long pending = pending_in(status);
  if (pending <= 0 || interrupted()) return "";
  const std::string count = std::to_string(pending) + " stored reversal(s)";
  std::string why;
  if (!st_.fixture_for("power.cut", &why)) {
    tl_.add(EntryKind::note, {{"text", "the scenario left " + count +
                                           " in the terminal; the station has no power fixture "
                                           "to make it send them, so the next online "
                                           "transaction sends them first (rule 1)"}});
    return "";
  }
  tl_.add(EntryKind::note, {{"text", "the scenario left " + count +
                                         " in the terminal: power-cycling it, which sends them "
                                         "at power-up (rule 6)"}});
  try {
    fixtures_.act("power.cut", json::object());
    fixtures_.act("power.restore", json::object());
  } catch (const InfrastructureError& e) {
    return std::string("terminal holds ") + count + " and could not be power-cycled: " + e.what();
  }
  std::string last;
  json now;
  while (Clock::now() < deadline && !interrupted()) {
    const std::string state = ask_until_idle(deadline, &last, &now);
    if (state == "locked") return unlock(deadline);
    if (state != "idle") break;
    if (pending_in(now) <= 0) {
      tl_.add(EntryKind::note, {{"text", "stored reversals sent: STATUS " + fields_text(now)}});
      return "";
    }
    sleep_for(std::max(scaled_(milliseconds(1000)), milliseconds(50)));
  }
  if (now.is_null()) return "terminal did not return to idle after the power cycle; last: " + last;
  // Not an infrastructure error: the evidence checks judge what is still stored.
  tl_.add(EntryKind::note, {{"text",
                             "the terminal still holds stored reversals after the power "
                             "cycle: STATUS " +
                                 fields_text(now)}});
  return "";
}

std::string Settler::unlock(Clock::time_point deadline) {
  const std::string& password = st_.wiring().terminal.profile.supervisor_password;
  if (password.empty()) {
    return "terminal left locked (rule 21); its profile gives no supervisor_password to "
           "unlock it, so the station takes no more scenarios";
  }
  const terminal::TerminalDriver& term = st_.terminal();
  if (!terminal_.can(CommandKind::unlock) ||
      !term.capabilities().observations.count(terminal::ObservationKind::prompt)) {
    return "terminal left locked (rule 21); terminal driver " + term.driver_name() +
           " cannot send unlock and show its password prompt, so the station takes no more "
           "scenarios";
  }
  try {
    terminal::Command c;
    c.kind = CommandKind::unlock;
    c.id = terminal_.new_id();
    const std::size_t from = tl_.size();
    terminal_.send(c);
    if (terminal_.wait_entry(EntryKind::prompt, {{"kind", "OPERATOR_PASSWORD"}}, from, deadline)
            .is_null()) {
      return "terminal left locked: UNLOCK brought no password prompt";
    }
    json keys = json::array();
    for (char ch : password) keys.push_back(std::string(1, ch));
    keys.push_back("ENTER");
    fixtures_.act("keypad.press", {{"keys", keys}});
    json result = terminal_.wait_entry(EntryKind::result, {{"id", c.id}}, from, deadline);
    if (!result.is_object() || result.value("status", "") != "APPROVED") {
      return "terminal left locked: the supervisor unlock was answered " +
             (result.is_null() ? std::string("with nothing") : fields_text(result));
    }
    json status = terminal_.ask_status(CommandKind::status, deadline);
    if (status.is_object() && status.value("state", "") == "locked") {
      return "terminal still locked after the supervisor unlock";
    }
  } catch (const InfrastructureError& e) {
    return std::string("terminal left locked: ") + e.what();
  }
  tl_.add(EntryKind::note, {{"text", "terminal unlocked with the supervisor password"}});
  return "";
}

}  // namespace rig::engine
