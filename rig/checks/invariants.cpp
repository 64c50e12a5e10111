#include "rig/checks/invariants.h"

#include <optional>
#include <set>

#include "rig/bench/profile.h"
#include "rig/engine/judge.h"
#include "rig/protocol/amount.h"

namespace rig::checks {

namespace {

using engine::Entry;
using engine::EntryKind;
using nlohmann::json;

std::string text_of(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "";
  const json& v = j[key];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::optional<std::int64_t> minor(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return protocol::parse_amount(text);
}

bool same_amount(const std::string& a, const std::string& b) {
  auto x = minor(a), y = minor(b);
  return x && y ? *x == *y : a == b;
}

// STANs compare as numbers: "000012" and "12" are one STAN.
std::string stan_key(const std::string& stan) {
  std::size_t i = 0;
  while (i + 1 < stan.size() && stan[i] == '0') ++i;
  return stan.substr(i);
}

// Collects failures and notes; the verdict's failure is every failure, one per line.
struct Findings {
  std::vector<std::string> failures;
  std::vector<std::string> notes;
  Verdict verdict() const {
    Verdict v;
    for (const auto& f : failures) v.failure += (v.failure.empty() ? "" : "\n") + f;
    v.notes = notes;
    return v;
  }
};

Verdict not_run(const engine::Evidence& ev) {
  Verdict v;
  v.ran = false;
  v.why_not_run = ev.no_host.empty() ? "no host evidence" : ev.no_host;
  return v;
}

std::string describe_host(const json& t) {
  std::string out = "host 0200 STAN " + text_of(t, "stan") + " " + text_of(t, "kind") + " " +
                    text_of(t, "amount") + " rc=" + text_of(t, "rc") + " " + text_of(t, "status");
  return out;
}

std::string describe_order(const json& o) {
  return "wallet order " + text_of(o, "out_trade_no") + " " + text_of(o, "amount") + " " +
         text_of(o, "state") + " (" + text_of(o, "payments") + " payment(s))";
}

// The host's transactions and wallet orders the scenario itself made (not older ones a
// reversal or a settlement within the scenario named).
std::vector<json> own(const json& host, const char* key) {
  std::vector<json> out;
  if (!host.is_object() || !host.contains(key)) return out;
  const std::int64_t since = host.value("since", std::int64_t{0});
  for (const auto& t : host[key]) {
    if (t.value("before_since", false)) continue;
    if (t.contains("seq") && t["seq"].is_number() && t["seq"].get<std::int64_t>() <= since) {
      continue;
    }
    out.push_back(t);
  }
  return out;
}

// What the terminal says it still holds or gave up on, from its events and its last STATUS.
struct HeldReversals {
  std::set<std::string> stored;  // STANs of REVERSAL_STORED not acknowledged since
  std::set<std::string> failed;  // STANs of REVERSAL_FAILED (rule 3: alert raised, kept)
  long pending = -1;             // the last STATUS's pending_reversals; -1: never reported
};

HeldReversals held_reversals(const std::vector<Entry>& tl) {
  HeldReversals h;
  for (const Entry& e : tl) {
    if (e.kind == EntryKind::event) {
      const std::string name = e.fields.value("name", "");
      const std::string stan = stan_key(text_of(e.fields, "stan"));
      if (name == "REVERSAL_STORED") h.stored.insert(stan);
      if (name == "REVERSAL_ACKED") h.stored.erase(stan);
      if (name == "REVERSAL_FAILED") {
        h.stored.erase(stan);
        h.failed.insert(stan);
      }
    } else if (e.kind == EntryKind::status && e.fields.contains("pending_reversals")) {
      const json& p = e.fields["pending_reversals"];
      if (p.is_number()) h.pending = p.get<long>();
    }
  }
  return h;
}

const Entry* final_result(const std::vector<Entry>& tl, const TerminalTransaction& t) {
  return t.final >= 0 ? &tl[static_cast<std::size_t>(t.final)] : nullptr;
}

std::string final_status(const std::vector<Entry>& tl, const TerminalTransaction& t) {
  const Entry* f = final_result(tl, t);
  return f ? f->fields.value("status", "") : "";
}

}  // namespace

const TerminalTransaction* TerminalAccount::find(const std::string& id) const {
  auto it = by_id.find(id);
  return it == by_id.end() ? nullptr : &transactions[it->second];
}

TerminalAccount terminal_account(const std::vector<Entry>& tl) {
  TerminalAccount acc;
  auto get = [&acc](const std::string& id) -> TerminalTransaction& {
    auto it = acc.by_id.find(id);
    if (it != acc.by_id.end()) return acc.transactions[it->second];
    acc.by_id[id] = acc.transactions.size();
    acc.transactions.push_back({});
    acc.transactions.back().id = id;
    return acc.transactions.back();
  };
  for (const Entry& e : tl) {
    if (e.kind == EntryKind::note && e.fields.contains("command")) {
      const std::string kind = e.fields.value("command", "");
      if (kind != "sale" && kind != "refund") continue;
      TerminalTransaction& t = get(e.fields.value("id", ""));
      // A second command with a known id is answered with the stored RESULT (rule 19): the
      // first one says what the transaction was.
      t.sent = true;
      if (t.type.empty()) t.type = kind;
      if (t.amount.empty()) t.amount = e.fields.value("amount", "");
      if (t.method.empty()) t.method = e.fields.value("method", "");
    } else if (e.kind == EntryKind::result) {
      const std::string id = e.fields.value("id", "");
      const std::string type = e.fields.value("type", "");
      if (id.empty() || (type != "sale" && type != "refund" && !acc.by_id.count(id))) continue;
      TerminalTransaction& t = get(id);
      if (t.type.empty()) t.type = type;
      if (t.method.empty()) t.method = e.fields.value("method", "");
      t.results.push_back(e.index);
      const bool in_progress =
          e.fields.value("status", "") == "UNKNOWN" && e.fields.value("rc", "") == "IP";
      if (!in_progress) t.final = static_cast<long>(e.index);
    }
  }
  return acc;
}

Verdict money_conserved(const engine::Evidence& ev) {
  if (ev.host.is_null()) return not_run(ev);
  const std::vector<Entry>& tl = ev.timeline;
  const TerminalAccount acc = terminal_account(tl);
  const std::vector<json> txns = own(ev.host, "transactions");
  const std::vector<json> orders = own(ev.host, "wallet");
  Findings f;

  // Every host transaction (by STAN) and order (by number) an APPROVED result claims.
  std::set<std::string> claimed_stans, claimed_orders;
  for (const TerminalTransaction& t : acc.transactions) {
    for (std::size_t i : t.results) {
      const Entry& r = tl[i];
      if (r.fields.value("status", "") != "APPROVED") continue;
      if (!text_of(r.fields, "stan").empty())
        claimed_stans.insert(stan_key(text_of(r.fields, "stan")));
      if (!text_of(r.fields, "order").empty()) claimed_orders.insert(text_of(r.fields, "order"));
    }
  }

  // 1. Every sale and refund of the scenario that ended APPROVED has its money, of the amount
  // asked for (a LAST may answer about an earlier scenario's: not judged here).
  for (const TerminalTransaction& t : acc.transactions) {
    const Entry* fin = final_result(tl, t);
    if (!t.sent || !fin || fin->fields.value("status", "") != "APPROVED") continue;
    const json& r = fin->fields;
    const std::string said = "RESULT " + engine::fields_text(r);
    const std::string asked = t.amount.empty() ? text_of(r, "amount") : t.amount;
    if (!t.amount.empty() && !text_of(r, "amount").empty() &&
        !same_amount(t.amount, text_of(r, "amount"))) {
      f.failures.push_back("the rig asked for " + t.type + " " + t.id + " of " + t.amount +
                           "; the terminal answered " + said);
    }
    const bool qr = t.method == "qr" || !text_of(r, "order").empty();
    const std::string kind = t.type == "refund" ? "refund" : "purchase";
    // A terminal that does not say its STAN or order (its driver has no such field) is matched
    // by what the money was: an unclaimed standing transaction or paid order of the amount.
    auto unclaimed = [&](const std::vector<json>& among, const char* key,
                         std::set<std::string>& claimed) -> const json* {
      for (const auto& h : among) {
        const std::string k = key[0] == 's' ? stan_key(text_of(h, key)) : text_of(h, key);
        const bool standing =
            qr ? h.value("paid", false)
               : h.value("status", "") == "approved" && h.value("kind", "") == kind;
        if (standing && !claimed.count(k) && same_amount(text_of(h, "amount"), asked)) {
          claimed.insert(k);
          return &h;
        }
      }
      return nullptr;
    };
    if (qr) {
      const std::string order = text_of(r, "order");
      const json* found =
          order.empty() ? unclaimed(orders, "out_trade_no", claimed_orders) : nullptr;
      for (const auto& o : orders) {
        if (!order.empty() && o.value("out_trade_no", "") == order) found = &o;
      }
      if (!found) {
        f.failures.push_back(said + " names wallet order " + (order.empty() ? "(none)" : order) +
                             "; the wallet has no such order of this scenario");
      } else if (!found->value("paid", false) || !same_amount(text_of(*found, "amount"), asked)) {
        f.failures.push_back(said + " for " + asked + "; the wallet: " + describe_order(*found));
      }
      continue;
    }
    const std::string stan = stan_key(text_of(r, "stan"));
    const json* found = stan.empty() ? unclaimed(txns, "stan", claimed_stans) : nullptr;
    for (const auto& h : txns) {
      if (!stan.empty() && stan_key(text_of(h, "stan")) == stan) found = &h;
    }
    if (!found) {
      f.failures.push_back(said + ": the host has no 0200 with STAN " + text_of(r, "stan") +
                           " from this scenario");
    } else if (found->value("status", "") != "approved" || found->value("kind", "") != kind ||
               !same_amount(text_of(*found, "amount"), asked)) {
      f.failures.push_back(said + " (" + t.type + " of " + asked +
                           "); the host: " + describe_host(*found));
    }
  }

  // 2. Every standing host transaction belongs to an APPROVED result, or the terminal still
  // holds (rule 1) or gave up with the alert on (rule 3) its reversal.
  const HeldReversals held = held_reversals(tl);
  auto results_naming = [&](const char* key, const std::string& value) {
    std::string out;
    for (const Entry& e : tl) {
      if (e.kind != EntryKind::result) continue;
      const std::string v = text_of(e.fields, key);
      if (v.empty() || (key[0] == 's' ? stan_key(v) != stan_key(value) : v != value)) continue;
      out = "RESULT " + engine::fields_text(e.fields);
    }
    return out.empty() ? std::string("no RESULT names it")
                       : "the terminal's last word on it: " + out;
  };
  for (const auto& h : txns) {
    if (h.value("status", "") != "approved") continue;
    const std::string stan = stan_key(text_of(h, "stan"));
    if (claimed_stans.count(stan)) continue;
    if (held.failed.count(stan)) {
      f.notes.push_back(describe_host(h) + " stands: its reversal ran out of attempts and the " +
                        "terminal raised REVERSAL_FAILED (rule 3)");
    } else if (held.pending > 0 && (held.stored.count(stan) || held.stored.empty())) {
      f.notes.push_back(describe_host(h) + " stands: its reversal is still stored in the " +
                        "terminal (STATUS pending_reversals=" + std::to_string(held.pending) +
                        "; rule 1 sends it before the next online transaction)");
    } else {
      f.failures.push_back(describe_host(h) + " still " +
                           (text_of(h, "kind") == "refund" ? "gives" : "takes") +
                           " money, but no APPROVED RESULT has its STAN and the terminal holds " +
                           "no reversal for it; " + results_naming("stan", text_of(h, "stan")));
    }
  }
  // Every paid order belongs to an APPROVED result; an order still open (the customer can still
  // pay it) belongs to a sale left for manual handling.
  for (const auto& o : orders) {
    const std::string order = text_of(o, "out_trade_no");
    const std::string state = text_of(o, "state");
    const bool paid = o.value("paid", false);
    const bool open = state == "USERPAYING" || state == "NOTPAY";
    if ((!paid && !open) || claimed_orders.count(order)) continue;
    bool manual = false;
    for (const Entry& e : tl) {
      if (e.kind == EntryKind::result && text_of(e.fields, "order") == order) {
        manual = e.fields.value("status", "") == "UNKNOWN";
      }
    }
    const std::string what = describe_order(o) + (paid ? " is paid" : " is still open");
    if (manual) {
      f.notes.push_back(what + " while the terminal's result is UNKNOWN (flagged for manual " +
                        "handling, rule 14)");
    } else {
      f.failures.push_back(what +
                           (paid ? ", but no APPROVED RESULT names it; "
                                 : " (the customer can still pay it), but no RESULT "
                                   "left it for manual handling; ") +
                           results_naming("order", order));
    }
  }
  return f.verdict();
}

Verdict charged_once(const engine::Evidence& ev) {
  if (ev.host.is_null()) return not_run(ev);
  const std::vector<Entry>& tl = ev.timeline;
  Findings f;
  // Rule 2: the strict host refuses a reversal whose fields disagree with the original's. A
  // refusal the scenario scripted (host.decline with a reversal MTI: reason "scripted decline")
  // says nothing about the terminal's fields.
  static const std::set<std::string> kFieldCodes = {"30", "03", "64", "12"};
  if (ev.host.contains("reversals")) {
    for (const auto& r : ev.host["reversals"]) {
      if (r.value("applied", false) || !kFieldCodes.count(text_of(r, "rc"))) continue;
      if (text_of(r, "reason").rfind("scripted ", 0) == 0) continue;
      f.failures.push_back(
          "reversal " + text_of(r, "mti") + " STAN " + text_of(r, "stan") + " field 4 " +
          text_of(r, "amount") + " currency " + text_of(r, "currency") +
          " was refused by the host (rc=" + text_of(r, "rc") + "): " + text_of(r, "reason"));
    }
  }
  for (const auto& t : own(ev.host, "transactions")) {
    if (t.value("reversals_applied", 0) > 1) {
      f.failures.push_back(describe_host(t) + " was reversed " + text_of(t, "reversals_applied") +
                           " times");
    }
  }
  for (const auto& o : own(ev.host, "wallet")) {
    if (o.value("payments", 0) > 1) f.failures.push_back(describe_order(o) + ": paid twice");
  }
  // One transaction id of the controller, one charge: APPROVED results of one id naming
  // different STANs or orders that all still stand on the host or the wallet.
  std::set<std::string> standing_stans, paid_orders;
  for (const auto& t : own(ev.host, "transactions")) {
    if (t.value("status", "") == "approved") standing_stans.insert(stan_key(text_of(t, "stan")));
  }
  for (const auto& o : own(ev.host, "wallet")) {
    if (o.value("paid", false)) paid_orders.insert(text_of(o, "out_trade_no"));
  }
  for (const TerminalTransaction& t : terminal_account(tl).transactions) {
    std::set<std::string> charges;
    std::string shown;
    for (std::size_t i : t.results) {
      const json& r = tl[i].fields;
      if (r.value("status", "") != "APPROVED") continue;
      const std::string stan = stan_key(text_of(r, "stan"));
      const std::string order = text_of(r, "order");
      const std::string key = !order.empty() ? "order " + order : "STAN " + text_of(r, "stan");
      const bool stands = !order.empty() ? paid_orders.count(order) > 0
                                         : !stan.empty() && standing_stans.count(stan) > 0;
      if (stands && charges.insert(key).second) {
        shown += (shown.empty() ? "" : ", ") + key;
      }
    }
    if (charges.size() > 1) {
      f.failures.push_back(t.type + " " + t.id + " is charged " + std::to_string(charges.size()) +
                           " times: APPROVED with " + shown + ", each standing");
    }
  }
  return f.verdict();
}

Verdict reversal_fields(const engine::Evidence& ev) {
  const std::vector<Entry>& tl = ev.timeline;
  auto iso = [](const Entry& e) -> const json& {
    static const json none = json::object();
    auto it = e.fields.find("fields");
    return it != e.fields.end() && it->is_object() ? *it : none;
  };
  auto to_host = [](const Entry& e, const char* mti) {
    return e.kind == EntryKind::host_message && e.fields.value("direction", "") == "to_host" &&
           e.fields.value("mti", "") == mti;
  };
  Findings f;
  for (const Entry& r : tl) {
    if (!to_host(r, "0400") && !to_host(r, "0401")) continue;
    const json& rf = iso(r);
    const std::string f90 = text_of(rf, "90");
    // The original: the 0200 whose STAN field 90 names, else the one of its field 11.
    auto sent_with = [&](const std::string& stan) -> const Entry* {
      const Entry* found = nullptr;
      for (const Entry& o : tl) {
        if (o.index >= r.index) break;
        if (!stan.empty() && to_host(o, "0200") &&
            stan_key(text_of(iso(o), "11")) == stan_key(stan)) {
          found = &o;
        }
      }
      return found;
    };
    const Entry* original = f90.size() >= 10 ? sent_with(f90.substr(4, 6)) : nullptr;
    if (!original) original = sent_with(text_of(rf, "11"));
    if (!original) continue;  // an earlier scenario's sale: its fields are not on this timeline
    const json& of = iso(*original);
    std::string wrong;
    for (const char* k : {"4", "49", "11", "41", "42"}) {
      if (text_of(rf, k) != text_of(of, k)) {
        wrong += std::string(wrong.empty() ? "" : ", ") + "field " + k + " " +
                 (text_of(rf, k).empty() ? "(none)" : text_of(rf, k)) + " (original " +
                 text_of(of, k) + ")";
      }
    }
    const std::string want90 = "0200" + text_of(of, "11") + text_of(of, "7");
    if (f90.compare(0, want90.size(), want90) != 0) {
      wrong += std::string(wrong.empty() ? "" : ", ") + "field 90 " +
               (f90.empty() ? "(none)" : f90.substr(0, 20)) +
               " (original MTI, STAN, field 7: " + want90 + ")";
    }
    if (!wrong.empty()) {
      f.failures.push_back(r.fields.value("mti", "") + " for the 0200 with STAN " +
                           text_of(of, "11") + ": " + wrong);
    }
  }
  return f.verdict();
}

Verdict display_agrees(const engine::Evidence& ev) {
  const std::vector<Entry>& tl = ev.timeline;
  const bench::TerminalProfile defaults;
  const bench::TerminalProfile& p = ev.profile ? *ev.profile : defaults;
  auto says = [&p](const char* approved, const char* declined, const std::string& text) {
    const bool a = bench::wording_matches(p, approved, text);
    const bool d = bench::wording_matches(p, declined, text);
    return a && !d ? 1 : d && !a ? -1 : 0;  // 1 approval, -1 decline, 0 neither or both
  };
  Findings f;
  for (const TerminalTransaction& t : terminal_account(tl).transactions) {
    const Entry* fin = final_result(tl, t);
    if (!fin) continue;
    const std::string status = fin->fields.value("status", "");
    const bool approved = status == "APPROVED";
    // Every RESULT's text against its status.
    for (std::size_t i : t.results) {
      const json& r = tl[i].fields;
      const std::string st = r.value("status", "");
      const int word = says("approved_result", "declined_result", r.value("text", ""));
      if ((st == "APPROVED" && word < 0) || (st == "DECLINED" && word > 0)) {
        f.failures.push_back("RESULT " + engine::fields_text(r) + ": its text says the opposite " +
                             "of its status");
      }
    }
    // The displays of the transaction.
    const Entry* last_before = nullptr;
    for (const Entry& e : tl) {
      if (e.kind != EntryKind::display || e.fields.value("id", "") != t.id) continue;
      const std::string text = e.fields.value("text", "");
      if (!approved && status != "UNKNOWN" &&
          says("approved_display", "declined_display", text) > 0) {
        f.failures.push_back("the display showed \"" + text + "\" (the approval wording) for " +
                             t.type + " " + t.id + ", whose RESULT is " +
                             engine::fields_text(fin->fields));
      }
      if (e.index < fin->index) last_before = &e;
    }
    if (approved && last_before &&
        says("approved_display", "declined_display", last_before->fields.value("text", "")) < 0) {
      f.failures.push_back("the display showed \"" + last_before->fields.value("text", "") +
                           "\" (the decline wording) for " + t.type + " " + t.id +
                           ", whose RESULT is " + engine::fields_text(fin->fields));
    }
  }
  return f.verdict();
}

Verdict receipts_for_approvals(const engine::Evidence& ev) {
  const std::vector<Entry>& tl = ev.timeline;
  const bench::TerminalProfile defaults;
  const bench::TerminalProfile& p = ev.profile ? *ev.profile : defaults;
  const TerminalAccount acc = terminal_account(tl);
  Findings f;
  for (const Entry& e : tl) {
    if (e.kind != EntryKind::receipt) continue;
    const TerminalTransaction* t = acc.find(e.fields.value("id", ""));
    if (!t || t->final < 0) continue;  // a receipt of an earlier scenario's transaction
    const std::string status = final_status(tl, *t);
    if (status == "APPROVED") continue;
    const std::string text = e.fields.value("text", "");
    if (bench::wording_matches(p, "declined_display", text) ||
        bench::wording_matches(p, "declined_result", text)) {
      f.notes.push_back("a decline slip for " + t->type + " " + t->id);
      continue;
    }
    f.failures.push_back("RECEIPT id=" + t->id + " copy=" + e.fields.value("copy", "") + " \"" +
                         text + "\" for a " + t->type + " whose RESULT is " +
                         engine::fields_text(final_result(tl, *t)->fields));
  }
  return f.verdict();
}

}  // namespace rig::checks
