#include "rig/engine/runner.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <sstream>
#include <set>
#include <thread>

#include "rig/engine/plan.h"
#include "rig/protocol/amount.h"
#include "rig/scenario/catalogue.h"

namespace rig::engine {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using scenario::Step;
using scenario::Trigger;


double ms_since(Clock::time_point start, Clock::time_point t) {
  return std::round(std::chrono::duration<double, std::milli>(t - start).count() * 1000.0) / 1000.0;
}

std::string fields_text(const json& fields) {
  std::string out;
  for (const auto& [k, v] : fields.items()) {
    if (!out.empty()) out += ' ';
    out += k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out;
}

std::string describe_entry(const Entry& e) {
  std::string kind = to_string(e.kind);
  for (auto& c : kind) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (e.kind == EntryKind::host_message) {
    return e.fields.value("mti", "?") + " " + e.fields.value("direction", "");
  }
  if (e.kind == EntryKind::wallet_message) {
    return e.fields.value("method", "") + " " + e.fields.value("path", "") + " " +
           e.fields.value("direction", "");
  }
  return kind + " " + fields_text(e.fields);
}

// The cardholder's behaviour during a card sale: answers PIN prompts with the PINs given.
struct PinPlan {
  std::vector<std::string> pins;  // one per PIN prompt; the last one repeats
  bool active = false;
};

}  // namespace

class Session::Impl {
 public:
  Impl(Station& station, const RunnerOptions& options)
      : st_(station), opt_(options), tl_(std::make_shared<Timeline>()) {
    // Base 36 keeps NAME_TAG within the ECR id limit (32) for names of up to 20 characters.
    static std::atomic<unsigned> sessions{0};
    unsigned n = ++sessions;
    std::string count;
    do {
      count.insert(count.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[n % 36]);
      n /= 36;
    } while (n > 0);
    scope_tag_ = opt_.run_tag.substr(0, 6) + count;
    st_.attach(tl_);
    if (st_.admin()) {
      std::string e;
      ledger_base_ = ledger_now(milliseconds(5000), &e);
      if (ledger_base_.is_null()) throw InfrastructureError(e);
    }
  }
  ~Impl() {
    // A destructor must not throw: restore() says what went wrong in its answer and on the
    // timeline; anything else (no memory) is dropped here rather than terminating the run.
    try {
      restore();
    } catch (...) {
    }
    st_.attach(nullptr);
  }

  report::StepResult step(const Step& step);
  std::string restore();
  // Public for Session.
  std::shared_ptr<Timeline> timeline() const { return tl_; }
  const std::vector<report::CheckResult>& checks() const { return checks_; }
  std::string transaction_id() const { return txn_id_; }
  json ledger_now(milliseconds timeout, std::string* error);

 private:
  // Durations in scenarios are in real-bench time; the bench's time_scale shrinks them.
  milliseconds scaled(milliseconds d) const {
    return milliseconds(static_cast<long long>(std::llround(static_cast<double>(d.count()) * st_.time_scale())));
  }
  milliseconds within_for(const Step& step, bool positive) const {
    milliseconds base = step.within.count() > 0 ? step.within : milliseconds(10000);
    milliseconds w = scaled(base);
    if (positive) return std::max(w, opt_.min_within);
    return std::max(w, milliseconds(100));
  }
  bool interrupted() const { return opt_.interrupted && opt_.interrupted->load(); }

  void do_step(const Step& step, report::StepResult& sr);
  void send(const terminal::Command& c, bool transaction);
  std::string new_id();
  // An id as written in the scenario -> the id the terminal sees (RunnerOptions::scope_ids).
  std::string scoped(const std::string& name) const {
    return opt_.scope_ids ? name + "_" + scope_tag_ : name;
  }
  fault::FixtureDriver& fixture(const std::string& action);
  void act(const std::string& action, const json& params);
  void arm_fault(const Step& step);
  void start_pin_watcher(const PinPlan& plan);
  void stop_watchers();
  void sleep_for(milliseconds d);

  // Checks: return "" when the expectation held, else the failure text.
  std::string check(const Step& step);
  std::string check_with_wait(const Step& step, const std::string& what,
                              const std::function<std::string(const std::vector<Entry>&)>& eval,
                              bool positive);
  std::string check_ledger(const Step& step);
  std::string check_state(const Step& step);
  // Something that happens: `absent: true` (none within the deadline), `count: N` (exactly N
  // at the deadline) or, without either, at least one. `shown` picks the entries that the
  // failure text lists.
  std::string check_occurrences(const Step& step, const std::string& what, std::size_t from,
                                const std::function<bool(const Entry&)>& matches,
                                const std::function<bool(const Entry&)>& shown);

  // Sends `command` (status or reset, both answered by a status snapshot) and returns the
  // snapshot's fields, or null when none came by `deadline`.
  json ask_status(terminal::CommandKind command, Clock::time_point deadline);
  // Waits for the first entry of `kind` after timeline index `from` whose fields contain
  // `match`; null at the deadline.
  json wait_entry(EntryKind kind, const json& match, std::size_t from, Clock::time_point deadline);
  // Leaves the terminal idle for whatever runs next; "" or why it could not.
  std::string settle_terminal();
  std::string reset_until_idle(Clock::time_point deadline, std::string* last);
  std::string unlock_terminal(Clock::time_point deadline);

  std::size_t window_start(const Step& step) const {
    return step.since == "scenario" ? 0 : txn_cursor_;
  }

  Station& st_;
  const RunnerOptions& opt_;
  std::shared_ptr<Timeline> tl_;
  std::vector<report::CheckResult> checks_;
  bool restored_ = false;
  std::string scope_tag_;  // unique per session: run tag + a counter

  std::size_t txn_cursor_ = 0;  // timeline index where the current transaction began
  std::string txn_id_;          // id of the current transaction
  bool txn_any_id_ = false;     // LAST/REPRINT: results may carry another id
  json ledger_base_;

  std::mutex watch_mu_;
  std::vector<std::thread> watchers_;
  std::atomic<bool> stop_watchers_{false};
  std::vector<std::string> watcher_errors_;
};

std::string Session::Impl::new_id() {
  // Counted per station, not per scenario: a terminal remembers the ids it has seen (rule 19),
  // so an id made up for one scenario must never come back in a later one.
  std::string id = opt_.run_tag + "-" + st_.name() + "-" + std::to_string(st_.next_transaction_number());
  if (id.size() > terminal::kMaxIdLength) id = id.substr(id.size() - terminal::kMaxIdLength);
  return id;
}

void Session::Impl::send(const terminal::Command& c, bool transaction) {
  if (transaction) txn_cursor_ = tl_->size();
  link::Status s = st_.terminal().send(c, link::after(std::chrono::seconds(10)));
  if (!s) {
    throw InfrastructureError(std::string("terminal did not take the ") +
                              terminal::to_string(c.kind) + " command: " + s.message);
  }
}

fault::FixtureDriver& Session::Impl::fixture(const std::string& action) {
  std::string why;
  fault::FixtureDriver* f = st_.fixture_for(action, &why);
  if (!f) throw InfrastructureError(why);
  return *f;
}

void Session::Impl::act(const std::string& action, const json& params) {
  fault::Outcome out = fixture(action).act(action, params, nullptr, milliseconds(0),
                                           link::after(std::chrono::seconds(10)));
  if (!out.ok) throw InfrastructureError(out.message);
}

void Session::Impl::sleep_for(milliseconds d) {
  tl_->wait_until([](const std::vector<Entry>&) { return false; }, Clock::now() + d);
}

void Session::Impl::stop_watchers() {
  stop_watchers_ = true;
  tl_->interrupt();
  for (auto& t : watchers_) t.join();
  watchers_.clear();
}

void Session::Impl::start_pin_watcher(const PinPlan& plan) {
  if (plan.pins.empty()) return;
  // From the start of the transaction: the PIN prompt may come before the card fixture has
  // even answered that the card is in.
  std::size_t from = txn_cursor_;
  std::string id = txn_id_;
  watchers_.emplace_back([this, plan, from, id] {
    std::size_t seen = from;
    std::size_t answered = 0;
    while (!stop_watchers_) {
      std::size_t prompt_index = 0;
      bool got = tl_->wait_until(
          [&](const std::vector<Entry>& es) {
            for (std::size_t i = seen; i < es.size(); ++i) {
              if (es[i].kind == EntryKind::result && es[i].fields.value("id", "") == id) return true;
              if (es[i].kind == EntryKind::prompt && es[i].fields.value("kind", "") == "PIN" &&
                  es[i].fields.value("id", id) == id) {
                prompt_index = i;
                return true;
              }
            }
            return false;
          },
          Clock::now() + std::chrono::hours(1));
      if (!got || stop_watchers_) return;
      if (prompt_index == 0) return;  // the transaction ended
      seen = prompt_index + 1;
      const std::string& pin = plan.pins[std::min(answered, plan.pins.size() - 1)];
      ++answered;
      json keys = json::array();
      for (char c : pin) keys.push_back(std::string(1, c));
      keys.push_back("ENTER");
      std::string why;
      fault::FixtureDriver* f = st_.fixture_for("keypad.press", &why);
      fault::Outcome out = f ? f->act("keypad.press", {{"keys", keys}}, nullptr, milliseconds(0),
                                      link::after(std::chrono::seconds(10)))
                             : fault::Outcome::failure(why);
      if (!out.ok) {
        std::lock_guard<std::mutex> lock(watch_mu_);
        watcher_errors_.push_back("cardholder could not enter the PIN: " + out.message);
        return;
      }
    }
  });
}

void Session::Impl::arm_fault(const Step& step) {
  std::string name = step.args.value("fault", "");
  json params = step.args;
  params.erase("fault");
  // Durations of the fault itself are scenario time too.
  for (const char* key : {"ms", "jitter_ms", "gap_ms"}) {
    if (!params.contains(key)) continue;
    long long given = params[key].get<long long>();
    // A small delay must not vanish under a small time_scale: keep at least 1 ms.
    params[key] = given > 0 ? std::max<long long>(1, scaled(milliseconds(given)).count()) : 0;
  }
  milliseconds hold = step.hold ? scaled(*step.hold) : milliseconds(0);
  fault::FixtureDriver& f = fixture(name);
  const Trigger& when = step.when;
  if (when.kind == Trigger::Kind::now ||
      ((when.kind == Trigger::Kind::host_message || when.kind == Trigger::Kind::wallet_message) &&
       f.handles_trigger(when))) {
    const Trigger* trigger = when.kind == Trigger::Kind::now ? nullptr : &when;
    fault::Outcome out = f.act(name, params, trigger, hold, link::after(std::chrono::seconds(10)));
    if (!out.ok) throw InfrastructureError(out.message);
    if (when.kind == Trigger::Kind::now && hold.count() > 0 && !f.handles_trigger(when)) {
      // Drivers that cannot time a fault themselves: the engine clears it after `for`.
      fault::FixtureDriver* fp = &f;
      watchers_.emplace_back([this, fp, name, hold] {
        sleep_for(hold);
        if (!stop_watchers_) fp->revert(name, link::after(std::chrono::seconds(10)));
      });
    }
    return;
  }
  if (when.kind == Trigger::Kind::host_message || when.kind == Trigger::Kind::wallet_message) {
    throw InfrastructureError("station " + st_.name() + ": " + f.describe() +
                     " cannot wait for a message trigger (wire the network to the proxy)");
  }
  // Event, prompt and delay triggers are watched here, on the timeline.
  std::size_t from = tl_->size();
  fault::FixtureDriver* fp = &f;
  milliseconds delay = scaled(when.delay);
  watchers_.emplace_back([this, fp, name, params, hold, when, from, delay] {
    if (when.kind == Trigger::Kind::after) {
      sleep_for(delay);
    } else {
      EntryKind kind = when.kind == Trigger::Kind::event ? EntryKind::event : EntryKind::prompt;
      const char* key = when.kind == Trigger::Kind::event ? "name" : "kind";
      int wanted = std::max(1, when.occurrence);
      tl_->wait_until(
          [&](const std::vector<Entry>& es) {
            int n = 0;
            for (std::size_t i = from; i < es.size(); ++i) {
              if (es[i].kind == kind && es[i].fields.value(key, "") == when.value && ++n >= wanted) return true;
            }
            return false;
          },
          Clock::now() + std::chrono::hours(1));
    }
    if (stop_watchers_) return;
    fault::Outcome out = fp->act(name, params, nullptr, hold, link::after(std::chrono::seconds(10)));
    if (!out.ok) {
      std::lock_guard<std::mutex> lock(watch_mu_);
      watcher_errors_.push_back(out.message);
      return;
    }
    if (hold.count() > 0) {
      sleep_for(hold);
      if (!stop_watchers_) fp->revert(name, link::after(std::chrono::seconds(10)));
    }
  });
}

void Session::Impl::do_step(const Step& step, report::StepResult& sr) {
  const json& a = step.args;
  const std::string& n = step.name;
  using terminal::Command;
  using terminal::CommandKind;
  if (n == "sale" || n == "refund") {
    txn_id_ = a.contains("id") ? scoped(a.value("id", "")) : new_id();
    txn_any_id_ = false;
    Command c;
    c.kind = n == "sale" ? CommandKind::sale : CommandKind::refund;
    c.id = txn_id_;
    c.amount = a.value("amount", "0.00");
    c.currency = a.value("currency", "156");
    c.method = a.value("method", "card");
    if (n == "refund" && a.contains("of")) c.original_id = scoped(a.value("of", ""));
    sr.summary = n + " " + a.value("amount", "") + " " + c.method;
    send(c, true);
    if (a.contains("card")) {
      std::string card = a.value("card", "");
      std::string entry = a.value("entry", "insert");
      json params = {{"card", card}};
      if (a.contains("damage")) params["damage"] = a["damage"];
      act("card." + entry, params);
      PinPlan plan;
      if (a.contains("pin")) {
        if (a["pin"].is_array()) {
          for (const auto& p : a["pin"]) plan.pins.push_back(p.get<std::string>());
        } else {
          plan.pins.push_back(a.value("pin", ""));
        }
      } else if (opt_.cards && opt_.cards->count(card)) {
        plan.pins.push_back(opt_.cards->at(card).pin);
      }
      start_pin_watcher(plan);
      sr.summary += " card " + card;
    }
    if (a.contains("code")) {
      json params = {{"code", a.value("code", "")}};
      if (a.contains("dirt")) params["dirt"] = a["dirt"];
      if (a.contains("blur")) params["blur"] = a["blur"];
      act("scanner.present", params);
    }
  } else if (n == "query" || n == "cancel") {
    std::string id = a.contains("id") ? scoped(a.value("id", "")) : txn_id_;
    if (id.empty()) id = new_id();
    txn_id_ = id;
    txn_any_id_ = false;
    Command c;
    c.kind = n == "query" ? CommandKind::query : CommandKind::cancel;
    c.id = id;
    sr.summary = n + " " + id;
    send(c, true);
  } else if (n == "last" || n == "reprint" || n == "status" || n == "reset" || n == "login" ||
             n == "unlock") {
    std::string id = new_id();
    Command c;
    for (CommandKind k : terminal::all_commands()) {
      if (n == terminal::to_string(k)) c.kind = k;
    }
    c.id = id;
    sr.summary = n;
    bool transaction = n != "status" && n != "reset";
    if (transaction) {
      txn_id_ = id;
      // LAST and REPRINT answer with the original transaction's id.
      txn_any_id_ = n == "last" || n == "reprint";
    }
    send(c, transaction);
  } else if (n == "fault") {
    sr.summary = "fault " + a.value("fault", "") +
                 (step.when.kind == Trigger::Kind::now ? "" : std::string(" when ") + scenario::to_string(step.when.kind) + " " + step.when.value);
    arm_fault(step);
  } else if (n == "clear") {
    std::string f = a.value("fault", "all");
    sr.summary = "clear " + f;
    if (f == "all") {
      for (auto* fx : st_.fixtures()) {
        fault::Outcome out = fx->restore(link::after(std::chrono::seconds(10)));
        if (!out.ok) throw InfrastructureError(out.message);
      }
    } else {
      fault::Outcome out = fixture(f).revert(f, link::after(std::chrono::seconds(10)));
      if (!out.ok) throw InfrastructureError(out.message);
    }
  } else if (n == "card") {
    std::string how = a.value("action", "insert");
    if (how == "remove") {
      act("card.remove", json::object());
      sr.summary = "card remove";
    } else {
      json params = {{"card", a.value("card", "")}, {"damage", a.value("damage", "none")}};
      if (a.contains("failures")) params["failures"] = a["failures"];
      act("card." + how, params);
      sr.summary = "card " + how + " " + a.value("card", "");
    }
  } else if (n == "scan") {
    json params = a;
    act("scanner.present", params);
    sr.summary = "scan";
  } else if (n == "scanner") {
    act("scanner.clean", json::object());
    sr.summary = "scanner clean";
  } else if (n == "keys") {
    act("keypad.press", {{"keys", a.value("keys", json::array())}});
    sr.summary = "keys";
  } else if (n == "paper") {
    act("printer.paper", {{"state", a.value("state", "ok")}});
    sr.summary = "paper " + a.value("state", "ok");
  } else if (n == "power") {
    std::string what = a.value("action", "cut");
    act(what == "cut" ? "power.cut" : "power.restore", json::object());
    sr.summary = "power " + what;
  } else if (n == "wait") {
    milliseconds d = scaled(milliseconds(a.value("duration_ms", 0)));
    sr.summary = "wait " + std::to_string(d.count()) + "ms";
    sleep_for(d);
  } else if (n == "expect") {
    sr.summary = "expect " + step.expect;
    std::string failure = check(step);
    report::CheckResult cr;
    cr.where = step.loc.to_string();
    cr.what = step.expect + " " + fields_text(step.args);
    cr.passed = failure.empty();
    cr.expected = fields_text(step.args);
    cr.actual = failure;
    cr.at_ms = ms_since(tl_->start(), Clock::now());
    checks_.push_back(cr);
    if (!failure.empty()) {
      sr.ok = false;
      sr.message = failure;
    }
  } else {
    throw InfrastructureError("engine does not know step '" + n + "'");
  }
}

// ---------------------------------------------------------------------------------------
// Checks

std::string Session::Impl::check_with_wait(
    const Step& step, const std::string& what,
    const std::function<std::string(const std::vector<Entry>&)>& eval, bool positive) {
  milliseconds within = within_for(step, positive);
  auto deadline = Clock::now() + within;
  std::string failure;
  if (positive) {
    bool ok = tl_->wait_until(
        [&](const std::vector<Entry>& es) { return eval(es).empty(); }, deadline);
    if (ok) return "";
    failure = eval(tl_->snapshot());
  } else {
    // Absences and counts can only be judged at the end of the window.
    tl_->wait_until([](const std::vector<Entry>&) { return false; }, deadline);
    failure = eval(tl_->snapshot());
    if (failure.empty()) return "";
  }
  if (interrupted()) return step.loc.to_string() + ": interrupted while waiting for " + what;
  return step.loc.to_string() + ": expected " + what + " within " + std::to_string(within.count()) +
         "ms; " + failure;
}

namespace {

bool field_matches(const json& want, const json& have) {
  std::string h = have.is_string() ? have.get<std::string>() : have.dump();
  std::string w = want.is_string() ? want.get<std::string>() : want.dump();
  return h == w;
}

// The entries of `kind` in [from, end), described for a failure message (last few).
std::string seen_list(const std::vector<Entry>& es, std::size_t from,
                      const std::function<bool(const Entry&)>& relevant) {
  std::vector<std::string> items;
  for (std::size_t i = from; i < es.size(); ++i) {
    if (relevant(es[i])) items.push_back(describe_entry(es[i]));
  }
  if (items.empty()) return "saw none";
  std::string out = "saw ";
  std::size_t first = items.size() > 6 ? items.size() - 6 : 0;
  if (first > 0) out += "… ";
  for (std::size_t i = first; i < items.size(); ++i) out += (i > first ? "; " : "") + items[i];
  return out;
}

}  // namespace

std::string Session::Impl::check(const Step& step) {
  const json& a = step.args;
  const std::string& kind = step.expect;
  std::size_t from = window_start(step);

  if (kind == "result") {
    std::string id = txn_id_;
    bool any_id = txn_any_id_;
    auto is_mine = [&](const Entry& e) {
      return e.kind == EntryKind::result && (any_id || e.fields.value("id", "") == id);
    };
    return check_with_wait(step, "RESULT " + fields_text(a), [&](const std::vector<Entry>& es) -> std::string {
      for (std::size_t i = from; i < es.size(); ++i) {
        if (!is_mine(es[i])) continue;
        bool all = true;
        for (const auto& [k, v] : a.items()) {
          if (k == "since") continue;
          if (!es[i].fields.contains(k)) {
            all = false;
          } else if (k == "id") {
            if (es[i].fields.value("id", "") != scoped(v.get<std::string>())) all = false;
          } else if (k == "text") {
            // `text` is a substring of the result's text (docs/scenarios.md).
            if (es[i].fields.value("text", "").find(v.get<std::string>()) == std::string::npos) all = false;
          } else if (!field_matches(v, es[i].fields[k])) {
            all = false;
          }
        }
        if (all) return "";
      }
      return seen_list(es, from, [&](const Entry& e) { return e.kind == EntryKind::result; });
    }, true);
  }

  if (kind == "event" || kind == "prompt") {
    EntryKind ek = kind == "event" ? EntryKind::event : EntryKind::prompt;
    const char* key = kind == "event" ? "name" : "kind";
    std::string name = a.value(key, a.value("name", ""));
    bool absent = a.value("absent", false);
    bool has_count = a.contains("count");
    int count = a.value("count", 0);
    std::string before = a.value("before", "");
    std::string after = a.value("after", "");
    std::string id = txn_id_;
    auto matches = [&](const Entry& e) {
      if (e.kind != ek || e.fields.value(key, "") != name) return false;
      if (a.contains("tries_left") && !field_matches(a["tries_left"], e.fields.value("tries_left", json(""))))
        return false;
      return true;
    };
    // Index of the first reference point ("result" = this transaction's RESULT).
    auto first_of = [&](const std::vector<Entry>& es, const std::string& ref) -> std::size_t {
      for (std::size_t i = from; i < es.size(); ++i) {
        if (ref == "result" ? (es[i].kind == EntryKind::result && (txn_any_id_ || es[i].fields.value("id", "") == id))
                            : (es[i].kind == EntryKind::event && es[i].fields.value("name", "") == ref))
          return i;
      }
      return es.size();
    };
    std::string what = std::string(kind == "event" ? "EVENT " : "PROMPT ") + name;
    if (a.contains("tries_left")) what += " tries_left=" + fields_text({{"", a["tries_left"]}}).substr(1);
    if (!before.empty()) what += " before " + before;
    if (!after.empty()) what += " after " + after;
    auto relevant = [&](const Entry& e) {
      return e.kind == ek || e.kind == EntryKind::result ||
             (!before.empty() && e.kind == EntryKind::event) || (!after.empty() && e.kind == EntryKind::event);
    };
    if (absent || has_count) {
      if (absent) what = "no " + what;
      if (has_count) what = std::to_string(count) + " × " + what;
      return check_with_wait(step, what, [&](const std::vector<Entry>& es) -> std::string {
        int n = 0;
        for (std::size_t i = from; i < es.size(); ++i) n += matches(es[i]) ? 1 : 0;
        if ((absent && n == 0) || (has_count && n == count)) return "";
        return "counted " + std::to_string(n) + "; " + seen_list(es, from, [&](const Entry& e) { return e.kind == ek; });
      }, false);
    }
    return check_with_wait(step, what, [&](const std::vector<Entry>& es) -> std::string {
      for (std::size_t i = from; i < es.size(); ++i) {
        if (!matches(es[i])) continue;
        if (!before.empty() && first_of(es, before) < i) {
          return "it came after " + before + "; " + seen_list(es, from, relevant);
        }
        if (!after.empty()) {
          std::size_t ref = first_of(es, after);
          if (ref > i) continue;  // this one came before the reference; look for a later one
        }
        return "";
      }
      return seen_list(es, from, relevant);
    }, true);
  }

  if (kind == "display") {
    std::string text = a.value("text", "");
    return check_with_wait(step, "DISPLAY containing \"" + text + "\"", [&](const std::vector<Entry>& es) -> std::string {
      for (std::size_t i = from; i < es.size(); ++i) {
        if (es[i].kind == EntryKind::display && es[i].fields.value("text", "").find(text) != std::string::npos) return "";
      }
      return seen_list(es, from, [](const Entry& e) { return e.kind == EntryKind::display; });
    }, true);
  }

  if (kind == "receipt") {
    std::string copy = a.value("copy", "");
    std::string contains = a.value("contains", "");
    auto matches = [&](const Entry& e) {
      return e.kind == EntryKind::receipt && (copy.empty() || e.fields.value("copy", "") == copy) &&
             (contains.empty() || e.fields.value("text", "").find(contains) != std::string::npos);
    };
    std::string what = "RECEIPT" + (copy.empty() ? "" : " copy=" + copy) + (contains.empty() ? "" : " containing \"" + contains + "\"");
    return check_occurrences(step, what, from, matches,
                             [](const Entry& e) { return e.kind == EntryKind::receipt; });
  }

  if (kind == "ecr") {
    // The terminal's frames and control bytes are what the controller reads ("in").
    const EntryKind ek = a.value("from", "terminal") == "terminal" ? EntryKind::ecr_in : EntryKind::ecr_out;
    const std::string wire_kind = a.value("kind", "");
    const std::string name = a.value("name", "");
    auto matches = [&](const Entry& e) {
      if (e.kind != ek || e.fields.value("kind", "") != wire_kind) return false;
      return name.empty() || e.fields.value("name", "") == name;
    };
    std::string what = "ECR " + wire_kind + (name.empty() ? "" : " " + name) + " from " + a.value("from", "terminal");
    return check_occurrences(step, what, from, matches,
                             [ek](const Entry& e) { return e.kind == ek; });
  }

  if (kind == "host_message" || kind == "wallet_message") {
    bool iso = kind == "host_message";
    EntryKind ek = iso ? EntryKind::host_message : EntryKind::wallet_message;
    std::string mti = a.value("mti", "");
    std::string path = a.value("path", "");
    std::string direction = a.value("direction", "");
    if (direction.empty()) {
      // Requests go to the host, responses come back.
      bool response = iso ? (mti.size() == 4 && (mti[2] == '1' || mti[2] == '3')) : false;
      direction = response ? "to_terminal" : "to_host";
    }
    json fields = a.value("fields", json::object());
    std::string refers = a.value("field_90_refers_to", "");
    bool absent = a.value("absent", false);
    bool has_count = a.contains("count");
    int count = a.value("count", 0);
    std::size_t cursor = txn_cursor_;
    auto matches = [&](const std::vector<Entry>& es, std::size_t i) {
      const Entry& e = es[i];
      if (e.kind != ek) return false;
      if (e.fields.value("direction", "") != direction) return false;
      if (e.fields.value("dropped", false)) return false;  // never reached the other side
      if (iso && e.fields.value("mti", "") != mti) return false;
      if (!iso && e.fields.value("path", "") != path) return false;
      for (const auto& [k, v] : fields.items()) {
        const json& have = e.fields["fields"];
        if (!have.contains(k) || !field_matches(v, have[k])) return false;
      }
      if (!refers.empty()) {
        // Field 90: original MTI (4) STAN (6) transmission time (10) …; it must name a 0200
        // sent before this transaction began ("previous").
        std::string f90 = e.fields["fields"].value("90", "");
        if (f90.size() < 20) return false;
        bool found = false;
        for (std::size_t j = 0; j < std::min(cursor, es.size()) && !found; ++j) {
          const Entry& o = es[j];
          if (o.kind != EntryKind::host_message || o.fields.value("direction", "") != "to_host") continue;
          const json& of = o.fields["fields"];
          found = o.fields.value("mti", "") == f90.substr(0, 4) && of.value("11", "") == f90.substr(4, 6) &&
                  of.value("7", "") == f90.substr(10, 10);
        }
        if (!found) return false;
      }
      return true;
    };
    std::string what = (iso ? "host message " + mti : "wallet message " + path) + " " + direction;
    if (!fields.empty()) what += " with " + fields_text(fields);
    if (!refers.empty()) what += " whose field 90 refers to the previous transaction";
    auto relevant = [&](const Entry& e) { return e.kind == ek; };
    auto eval = [&](const std::vector<Entry>& es) -> std::string {
      int n = 0;
      for (std::size_t i = from; i < es.size(); ++i) n += matches(es, i) ? 1 : 0;
      if (absent ? n == 0 : has_count ? n == count : n > 0) return "";
      return "counted " + std::to_string(n) + "; " + seen_list(es, from, relevant);
    };
    if (absent) return check_with_wait(step, "no " + what, eval, false);
    if (has_count) return check_with_wait(step, std::to_string(count) + " × " + what, eval, false);
    return check_with_wait(step, what, eval, true);
  }

  if (kind == "ledger") return check_ledger(step);
  if (kind == "state") return check_state(step);
  return step.loc.to_string() + ": the engine cannot check '" + kind + "'";
}

json Session::Impl::ledger_now(milliseconds timeout, std::string* error) {
  link::HttpJsonClient* admin = st_.admin();
  if (!admin) {
    *error = "station " + st_.name() + " has no host admin endpoint for ledger checks";
    return nullptr;
  }
  link::JsonReply r = admin->request("GET", "/admin/ledger?tid=" + st_.tid(), json::object(),
                                     link::after(timeout));
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

std::string Session::Impl::check_ledger(const Step& step) {
  // Figures are counted from the start of the scenario: the ledger outlives scenarios.
  auto delta = [&](const json& now) {
    json d = json::object();
    for (const char* k : {"debits", "reversals", "declines", "refunds", "wallet_payments"}) {
      d[k] = now.value(k, 0) - ledger_base_.value(k, 0);
    }
    // Net figures go negative after refunds: "-1.00".
    auto signed_amount = [](const std::string& text) -> std::int64_t {
      bool negative = !text.empty() && text[0] == '-';
      auto v = protocol::parse_amount(negative ? text.substr(1) : text).value_or(0);
      return negative ? -v : v;
    };
    for (const char* k : {"net", "wallet_net", "fees"}) {
      auto v_now = signed_amount(now.value(k, "0.00"));
      auto v_base = signed_amount(ledger_base_.value(k, "0.00"));
      d[k] = protocol::format_amount(v_now - v_base);
    }
    return d;
  };
  auto mismatch = [&](const json& d) {
    std::string out;
    for (const auto& [k, v] : step.args.items()) {
      if (k == "since") continue;
      if (!d.contains(k) || !field_matches(v, d[k])) out += (out.empty() ? "" : ", ") + k + "=" + (d.contains(k) ? (d[k].is_string() ? d[k].get<std::string>() : d[k].dump()) : "?");
    }
    return out;
  };
  milliseconds within = within_for(step, true);
  auto deadline = Clock::now() + within;
  std::string last;
  for (;;) {
    std::size_t seen = tl_->size();
    std::string error;
    json now = ledger_now(milliseconds(5000), &error);
    if (now.is_null()) throw InfrastructureError(error);
    last = mismatch(delta(now));
    if (last.empty()) return "";
    // Look again when something new happens on the station, until the deadline.
    bool more = tl_->wait_until([seen](const std::vector<Entry>& es) { return es.size() > seen; }, deadline);
    if (!more || Clock::now() >= deadline) {
      std::string error2;
      json final_now = ledger_now(milliseconds(5000), &error2);
      if (final_now.is_null()) throw InfrastructureError(error2);
      last = mismatch(delta(final_now));
      if (last.empty()) return "";
      break;
    }
  }
  return step.loc.to_string() + ": expected ledger " + fields_text(step.args) + " (since the scenario began) within " +
         std::to_string(within.count()) + "ms; saw " + last;
}

std::string Session::Impl::check_occurrences(const Step& step, const std::string& what,
                                            std::size_t from,
                                            const std::function<bool(const Entry&)>& matches,
                                            const std::function<bool(const Entry&)>& shown) {
  const json& a = step.args;
  const bool absent = a.value("absent", false);
  const bool has_count = a.contains("count");
  const int count = a.value("count", 0);
  auto eval = [&](const std::vector<Entry>& es) -> std::string {
    int n = 0;
    for (std::size_t i = from; i < es.size(); ++i) n += matches(es[i]) ? 1 : 0;
    if (absent ? n == 0 : has_count ? n == count : n > 0) return "";
    return "counted " + std::to_string(n) + "; " + seen_list(es, from, shown);
  };
  if (absent) return check_with_wait(step, "no " + what, eval, false);
  if (has_count) return check_with_wait(step, std::to_string(count) + " × " + what, eval, false);
  return check_with_wait(step, what, eval, true);
}

json Session::Impl::wait_entry(EntryKind kind, const json& match, std::size_t from,
                               Clock::time_point deadline) {
  json found;
  tl_->wait_until(
      [&](const std::vector<Entry>& es) {
        for (std::size_t i = from; i < es.size(); ++i) {
          if (es[i].kind != kind) continue;
          bool all = true;
          for (const auto& [k, v] : match.items()) all = all && es[i].fields.value(k, json()) == v;
          if (all) {
            found = es[i].fields;
            return true;
          }
        }
        return false;
      },
      deadline);
  return found;
}

json Session::Impl::ask_status(terminal::CommandKind command, Clock::time_point deadline) {
  std::string id = new_id();
  std::size_t from = tl_->size();
  terminal::Command c;
  c.kind = command;
  c.id = id;
  send(c, false);
  return wait_entry(EntryKind::status, {{"id", id}}, from, deadline);
}

std::string Session::Impl::check_state(const Step& step) {
  milliseconds within = within_for(step, true);
  auto deadline = Clock::now() + within;
  std::string last = "no STATUS reply";
  while (Clock::now() < deadline && !interrupted()) {
    json status = ask_status(terminal::CommandKind::status, deadline);
    if (status.is_null()) break;
    std::string mismatch;
    for (const auto& [k, v] : step.args.items()) {
      if (k == "since") continue;
      if (!status.contains(k) || !field_matches(v, status[k])) mismatch += (mismatch.empty() ? "" : ", ") + k + "=" + status.value(k, json("?")).dump();
    }
    if (mismatch.empty()) return "";
    last = "STATUS " + fields_text(status);
    // Ask again once something else has happened.
    std::size_t seen = tl_->size();
    tl_->wait_until([seen](const std::vector<Entry>& es) { return es.size() > seen; }, deadline);
  }
  return step.loc.to_string() + ": expected terminal state " + fields_text(step.args) + " within " +
         std::to_string(within.count()) + "ms; saw " + last;
}

// ---------------------------------------------------------------------------------------

report::StepResult Session::Impl::step(const Step& step) {
  report::StepResult sr;
  sr.where = step.loc.to_string();
  sr.name = step.name;
  sr.start_ms = ms_since(tl_->start(), Clock::now());
  tl_->add(EntryKind::step, {{"step", step.name}, {"where", sr.where}});
  if (interrupted()) throw InfrastructureError("interrupted");
  // Scenario runs were checked before they started (unmet_need); scripts meet it here.
  const terminal::TerminalDriver& term = st_.terminal();
  for (const auto& need : scenario::terminal_needs(step)) {
    std::string why = terminal::lacking(need, term.capabilities(), term.driver_name());
    if (!why.empty()) throw InfrastructureError(sr.where + ": " + step.name + " " + why);
  }
  do_step(step, sr);  // throws InfrastructureError
  sr.end_ms = ms_since(tl_->start(), Clock::now());
  // A wait cut short by Ctrl-C is not the terminal's fault.
  if (interrupted()) throw InfrastructureError("interrupted");
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    if (!watcher_errors_.empty()) throw InfrastructureError(watcher_errors_.front());
  }
  if (std::string trouble = st_.trouble(); !trouble.empty()) {
    throw InfrastructureError("station " + st_.name() + ": " + trouble);
  }
  return sr;
}

std::string Session::Impl::restore() {
  if (restored_) return "";
  restored_ = true;
  // Ctrl-C (or an engine stop) interrupted the timeline: revert the faults and go, nothing more.
  const bool stopping = interrupted() || tl_->interrupted();
  stop_watchers();
  std::string revert_error;
  for (auto* fx : st_.fixtures()) {
    fault::Outcome out = fx->restore(link::after(std::chrono::seconds(10)));
    if (!out.ok && revert_error.empty()) revert_error = "could not put the station back: " + out.message;
  }
  tl_->add(EntryKind::note, {{"text", revert_error.empty() ? "fixtures restored" : revert_error}});
  if (stopping || !st_.trouble().empty()) return revert_error;
  // The watchers are gone; the terminal's answers can be waited for again.
  tl_->resume();
  std::string settle_error = settle_terminal();
  if (!settle_error.empty()) {
    // Whatever runs next on this terminal would fail for the wrong reason: the station leaves
    // the run and the other stations take the remaining scenarios.
    st_.set_trouble(settle_error);
    tl_->add(EntryKind::infra, {{"text", settle_error}});
    if (revert_error.empty()) revert_error = settle_error;
  } else {
    tl_->add(EntryKind::note, {{"text", "terminal idle"}});
  }
  return revert_error;
}

// A scenario may end with the terminal waiting for a card, finishing an online transaction,
// stuck (a firmware defect) or locked (rule 21). RESET cancels what has not gone online
// (docs/ecr-protocol.md); an online transaction is given the host's time to finish; a terminal
// still busy after that is power-cycled when the station has a power fixture, as someone at the
// bench would; a lock needs the supervisor procedure.
std::string Session::Impl::settle_terminal() {
  const milliseconds patience = std::max(scaled(milliseconds(90000)), milliseconds(5000));
  std::string last;
  std::string state = reset_until_idle(Clock::now() + patience, &last);
  if (state == "busy" && !interrupted()) {
    std::string why;
    if (st_.fixture_for("power.cut", &why)) {
      tl_->add(EntryKind::note, {{"text", "terminal still busy after " + std::to_string(patience.count()) +
                                              "ms (" + last + "); power-cycling it"}});
      try {
        act("power.cut", json::object());
        act("power.restore", json::object());
      } catch (const InfrastructureError& e) {
        return std::string("terminal stuck busy and could not be power-cycled: ") + e.what();
      }
      state = reset_until_idle(Clock::now() + patience, &last);
    }
  }
  if (state == "locked") return unlock_terminal(Clock::now() + patience);
  if (state == "idle") return "";
  return "terminal did not return to idle after the scenario; last: " + last;
}

// Sends RESET until the terminal answers with a state other than busy; returns "idle" (or any
// other settled state, as "idle"), "locked", or "busy" at the deadline with `last` saying what
// was seen.
std::string Session::Impl::reset_until_idle(Clock::time_point deadline, std::string* last) {
  *last = "no STATUS reply to RESET";
  while (Clock::now() < deadline && !interrupted()) {
    json status;
    try {
      status = ask_status(terminal::CommandKind::reset,
                          std::min(deadline, Clock::now() + milliseconds(3000)));
    } catch (const InfrastructureError& e) {
      *last = e.what();  // e.g. rebooting after a power cut: ask again
      sleep_for(milliseconds(500));
      continue;
    }
    if (status.is_null()) continue;
    std::string state = status.value("state", "");
    if (state == "locked") return state;
    if (state != "busy") return "idle";
    *last = "STATUS " + fields_text(status);
    std::size_t seen = tl_->size();  // busy online: ask again once something has happened
    tl_->wait_until([seen](const std::vector<Entry>& es) { return es.size() > seen; },
                    std::min(deadline, Clock::now() + milliseconds(1000)));
  }
  return "busy";
}

std::string Session::Impl::unlock_terminal(Clock::time_point deadline) {
  const std::string& password = st_.wiring().terminal.profile.supervisor_password;
  if (password.empty()) {
    return "terminal left locked (rule 21); its profile gives no supervisor_password to "
           "unlock it, so the station takes no more scenarios";
  }
  try {
    std::string id = new_id();
    std::size_t from = tl_->size();
    terminal::Command c;
    c.kind = terminal::CommandKind::unlock;
    c.id = id;
    send(c, false);
    if (wait_entry(EntryKind::prompt, {{"kind", "OPERATOR_PASSWORD"}}, from, deadline).is_null()) {
      return "terminal left locked: UNLOCK brought no password prompt";
    }
    json keys = json::array();
    for (char c : password) keys.push_back(std::string(1, c));
    keys.push_back("ENTER");
    act("keypad.press", {{"keys", keys}});
    json result = wait_entry(EntryKind::result, {{"id", id}}, from, deadline);
    if (result.value("status", "") != "APPROVED") {
      return "terminal left locked: the supervisor unlock was answered " +
             (result.is_null() ? std::string("with nothing") : fields_text(result));
    }
    json status = ask_status(terminal::CommandKind::status, deadline);
    if (status.value("state", "") == "locked") return "terminal still locked after the supervisor unlock";
  } catch (const InfrastructureError& e) {
    return std::string("terminal left locked: ") + e.what();
  }
  tl_->add(EntryKind::note, {{"text", "terminal unlocked with the supervisor password"}});
  return "";
}

Session::Session(Station& station, const RunnerOptions& options)
    : impl_(std::make_unique<Impl>(station, options)) {}
Session::~Session() = default;
report::StepResult Session::step(const scenario::Step& step) { return impl_->step(step); }
std::shared_ptr<Timeline> Session::timeline() const { return impl_->timeline(); }
const std::vector<report::CheckResult>& Session::checks() const { return impl_->checks(); }
std::string Session::transaction_id() const { return impl_->transaction_id(); }
std::string Session::restore() { return impl_->restore(); }
nlohmann::json Session::ledger() {
  std::string error;
  json j = impl_->ledger_now(milliseconds(5000), &error);
  if (j.is_null()) throw InfrastructureError(error);
  return j;
}

report::ScenarioResult run_scenario(Station& station, const scenario::Scenario& sc,
                                    const RunnerOptions& options) {
  report::ScenarioResult res;
  res.id = sc.id();
  res.name = sc.name;
  res.family = sc.family;
  res.file = sc.file;
  res.tags = sc.tags;
  res.station = station.name();
  res.attempts = 1;
  res.started_at = report::utc_now_iso8601();
  auto interrupted = [&] { return options.interrupted && options.interrupted->load(); };
  if (std::string trouble = station.trouble(); !trouble.empty()) {
    res.status = report::Status::error;
    res.message = "station " + station.name() + ": " + trouble;
    return res;
  }
  // What the station's terminal driver cannot do is decided before anything runs.
  terminal::TerminalDriver& term = station.terminal();
  if (std::string why = unmet_need(sc, term.capabilities(), term.driver_name()); !why.empty()) {
    res.status = report::Status::skipped;
    res.message = "station " + station.name() + ": " + why;
    return res;
  }
  std::unique_ptr<Session> session;
  bool failed = false;
  std::string error;
  auto start = Clock::now();
  try {
    session = std::make_unique<Session>(station, options);
    start = session->timeline()->start();
    auto deadline = sc.timeout ? Clock::now() + milliseconds(static_cast<long long>(
                                                    static_cast<double>(sc.timeout->count()) * station.time_scale())) +
                                     std::chrono::seconds(5)
                               : Clock::time_point::max();
    for (const Step& step : sc.steps) {
      if (interrupted()) {
        error = "interrupted";
        break;
      }
      if (Clock::now() > deadline) {
        failed = true;
        res.message = sc.loc.to_string() + ": scenario timed out";
        break;
      }
      report::StepResult sr;
      try {
        sr = session->step(step);
      } catch (const InfrastructureError& e) {
        sr.where = step.loc.to_string();
        sr.name = step.name;
        sr.ok = false;
        sr.message = e.what();
        error = interrupted() ? "interrupted" : e.what();
      }
      res.steps.push_back(sr);
      if (!error.empty()) break;
      if (!sr.ok) {
        failed = true;
        res.message = sr.message;
        break;
      }
    }
  } catch (const InfrastructureError& e) {
    error = e.what();
  } catch (const std::exception& e) {
    error = std::string("engine: ") + e.what();
  }

  // Always put the station back, whatever happened above.
  std::string revert_error = session ? session->restore() : "";
  if (!error.empty()) {
    res.status = report::Status::error;
    res.message = error == "interrupted" ? "interrupted (SIGINT/SIGTERM); faults reverted" : error;
  } else if (failed) {
    res.status = report::Status::fail;
  } else if (!revert_error.empty()) {
    res.status = report::Status::error;
    res.message = revert_error;
  } else {
    res.status = report::Status::pass;
  }
  res.duration_ms = ms_since(start, Clock::now());
  if (session) {
    res.checks = session->checks();
    res.timeline = session->timeline()->to_json();
    for (const auto& e : res.timeline) {
      std::string k = e.value("kind", "");
      if (k == "fault_applied" || k == "fault_cleared") res.faults.push_back(e);
      if (k == "ecr_in" || k == "ecr_out" || k == "host_message" || k == "wallet_message") {
        res.transcript.push_back(e);
      }
    }
  }
  return res;
}

}  // namespace rig::engine
