#include "rig/engine/checks.h"

#include <cmath>
#include <set>

#include "rig/engine/judge.h"
#include "rig/engine/runner.h"
#include "rig/engine/station.h"
#include "rig/engine/terminal_port.h"
#include "rig/protocol/amount.h"

namespace rig::engine {

using nlohmann::json;
using std::chrono::milliseconds;

namespace {

double ms_since(Clock::time_point start, Clock::time_point t) {
  return std::round(std::chrono::duration<double, std::milli>(t - start).count() * 1000.0) / 1000.0;
}

// "-1.00" -> -100 minor units; net figures go negative after refunds.
std::int64_t signed_minor(const std::string& text) {
  bool negative = !text.empty() && text[0] == '-';
  auto v = protocol::parse_amount(negative ? text.substr(1) : text).value_or(0);
  return negative ? -v : v;
}

// Whether every sale and refund the rig sent (TerminalPort's command notes) has a RESULT that
// says how it ended (not UNKNOWN rc=IP).
bool every_command_answered(const std::vector<Entry>& es) {
  std::set<std::string> open;
  for (const Entry& e : es) {
    if (e.kind == EntryKind::note && e.fields.contains("command")) {
      open.insert(e.fields.value("id", ""));
    } else if (e.kind == EntryKind::result &&
               !(e.fields.value("status", "") == "UNKNOWN" && e.fields.value("rc", "") == "IP")) {
      open.erase(e.fields.value("id", ""));
    }
  }
  return open.empty();
}

}  // namespace

Checks::Checks(Station& station, const RunnerOptions& options, Timeline& timeline,
               TerminalPort& terminal)
    : st_(station), opt_(options), tl_(timeline), terminal_(terminal) {}

void Checks::start() {
  if (!st_.admin()) return;
  std::string error;
  ledger_base_ = ledger_now(milliseconds(5000), &error);
  if (ledger_base_.is_null()) throw InfrastructureError(error);
}

void Checks::record(const std::string& where, const std::string& what, const std::string& expected,
                    const std::string& failure) {
  report::CheckResult cr;
  cr.where = where;
  cr.what = what;
  cr.passed = failure.empty();
  cr.expected = expected;
  cr.actual = failure;
  cr.at_ms = ms_since(tl_.start(), Clock::now());
  results_.push_back(cr);
}

std::string Checks::run(const scenario::Step& step) {
  const scenario::ExpectKind* kind = scenario::kinds().expectation(step.expect);
  std::string failure =
      kind ? kind->check(*this, step)
           : step.loc.to_string() + ": the engine cannot check '" + step.expect + "'";
  const std::string expected = fields_text(step.args);
  record(step.loc.to_string(), step.expect + " " + expected, expected, failure);
  return failure;
}

std::string Checks::run_evidence(const std::vector<const scenario::EvidenceKind*>& evidence,
                                 const scenario::SourceLoc& where) {
  const terminal::TerminalDriver& term = st_.terminal();
  std::string first;
  for (const scenario::EvidenceKind* e : evidence) {
    bool can = true;
    for (const auto& need : e->needs()) {
      can = can && terminal::lacking(need, term.capabilities(), term.driver_name()).empty();
    }
    if (!can) continue;
    scenario::EvidenceVerdict v = e->verdict(*this);
    if (!v.ran) {
      tl_.add(EntryKind::note, {{"text", "evidence " + e->name() + " not run: " + v.why_not_run}});
      continue;
    }
    const std::string failure =
        v.failure.empty() ? "" : where.to_string() + ": evidence " + e->name() + ": " + v.failure;
    record(where.to_string(), "evidence " + e->name(), e->doc(), failure);
    if (failure.empty() && !v.notes.empty()) {
      std::string noted;
      for (const auto& n : v.notes) noted += (noted.empty() ? "noted: " : "; ") + n;
      results_.back().actual = noted;
    }
    if (first.empty()) first = failure;
  }
  return first;
}

json Checks::host_evidence(std::string* why_none) {
  link::HttpJsonClient* admin = st_.admin();
  if (!admin) {
    *why_none = "station " + st_.name() + " has no host admin endpoint";
    return nullptr;
  }
  if (!ledger_base_.is_object() || !ledger_base_.contains("seq")) {
    *why_none = admin->name() + " reports no ledger sequence number (GET /admin/ledger seq)";
    return nullptr;
  }
  const std::string since = ledger_base_["seq"].dump();
  link::JsonReply r = admin->request("GET", "/admin/evidence?tid=" + st_.tid() + "&since=" + since,
                                     json::object(), link::after(milliseconds(5000)));
  if (!r.status) throw InfrastructureError(r.status.message);
  if (r.http_status == 404) {
    *why_none = admin->name() + " does not serve GET /admin/evidence";
    return nullptr;
  }
  if (r.http_status != 200 || !r.body.is_object()) {
    throw InfrastructureError(admin->name() + ": evidence query answered HTTP " +
                              std::to_string(r.http_status));
  }
  return r.body;
}

const Evidence& Checks::evidence() {
  if (evidence_) return *evidence_;
  Evidence ev;
  ev.profile = &profile();
  // A terminal may report idle before its last RESULT is through the link: give every sale and
  // refund the rig sent a moment to have its outcome on the timeline (one that never comes, as
  // after a lost link nobody asked LAST about, is judged as it stands).
  const milliseconds grace(std::max<long long>(500, std::llround(5000.0 * st_.time_scale())));
  tl_.wait_until(every_command_answered, Clock::now() + grace);
  ev.timeline = tl_.snapshot();
  ev.host = host_evidence(&ev.no_host);
  evidence_ = std::move(ev);
  return *evidence_;
}

json Checks::ledger_now(milliseconds timeout, std::string* error) {
  link::HttpJsonClient* admin = st_.admin();
  if (!admin) {
    *error = "station " + st_.name() + " has no host admin endpoint for ledger checks";
    return nullptr;
  }
  link::JsonReply r =
      admin->request("GET", "/admin/ledger?tid=" + st_.tid(), json::object(), link::after(timeout));
  if (!r.status) {
    *error = r.status.message;
    return nullptr;
  }
  if (r.http_status != 200) {
    *error = admin->name() + ": ledger query answered HTTP " + std::to_string(r.http_status);
    return nullptr;
  }
  return r.body;
}

const Transaction& Checks::transaction() const { return terminal_.transaction(); }

std::string Checks::scoped(const std::string& name) const { return terminal_.scoped(name); }

milliseconds Checks::within(const scenario::Step& step, bool positive) const {
  const milliseconds base = step.within.count() > 0 ? step.within : milliseconds(10000);
  const milliseconds w(
      static_cast<long long>(std::llround(static_cast<double>(base.count()) * st_.time_scale())));
  return std::max(w, positive ? opt_.min_within : milliseconds(100));
}

const bench::TerminalProfile& Checks::profile() const { return st_.wiring().terminal.profile; }

bool Checks::interrupted() const {
  return (opt_.interrupted && opt_.interrupted->load()) || tl_.interrupted();
}

json Checks::ledger_since_start() {
  std::string error;
  json now = ledger_now(milliseconds(5000), &error);
  if (now.is_null()) throw InfrastructureError(error);
  // The ledger outlives scenarios: figures are counted from the scenario's start.
  json d = json::object();
  for (const char* k : {"debits", "reversals", "declines", "refunds", "wallet_payments"}) {
    d[k] = now.value(k, 0) - ledger_base_.value(k, 0);
  }
  for (const char* k : {"net", "wallet_net", "fees"}) {
    d[k] = protocol::format_amount(signed_minor(now.value(k, "0.00")) -
                                   signed_minor(ledger_base_.value(k, "0.00")));
  }
  // Only the scenario's own transactions, where the host tells them apart (issue 9): a
  // reversal or settlement of an earlier scenario's transaction — a reversal left stored on a
  // station without a power fixture, which this scenario's first sale sends — does not count.
  std::string why_none;
  const json ev = host_evidence(&why_none);
  if (ev.is_object()) {
    const std::int64_t since = ev.value("since", std::int64_t{0});
    int debits = 0, refunds = 0, declines = 0, reversals = 0, payments = 0;
    std::int64_t net = 0, wallet_net = 0;
    for (const auto& t : ev.value("transactions", json::array())) {
      if (t.value("before_since", false)) continue;
      const bool standing = t.value("status", "") == "approved";
      debits += standing && t.value("kind", "") == "purchase" ? 1 : 0;
      refunds += standing && t.value("kind", "") == "refund" ? 1 : 0;
      declines += t.value("status", "") == "declined" ? 1 : 0;
      reversals += t.value("reversals_applied", 0);
      net += signed_minor(t.value("net", "0.00"));
    }
    for (const auto& o : ev.value("wallet", json::array())) {
      if (o.value("seq", std::int64_t{0}) <= since || !o.value("paid", false)) continue;
      ++payments;
      wallet_net += signed_minor(o.value("amount", "0.00"));
    }
    d["debits"] = debits;
    d["refunds"] = refunds;
    d["declines"] = declines;
    d["reversals"] = reversals;
    d["wallet_payments"] = payments;
    d["net"] = protocol::format_amount(net);
    d["wallet_net"] = protocol::format_amount(wallet_net);
  }
  return d;
}

json Checks::ask_status(Clock::time_point deadline) {
  return terminal_.ask_status(terminal::CommandKind::status, deadline);
}

}  // namespace rig::engine
