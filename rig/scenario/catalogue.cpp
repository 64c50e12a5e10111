#include "rig/scenario/catalogue.h"

#include <algorithm>

#include "rig/fault/driver.h"
#include "rig/scenario/registry.h"
#include "rig/terminal/terminal.h"

namespace rig::scenario {

namespace {

using Make = MakeParam;

Param count_param(const std::string& what) {
  return Make("count", ValueType::integer, "only the next N " + what + "; default: until cleared")
      .range(1);
}

Param mti_param(const std::string& doc) {
  return Make("mti", ValueType::mti, doc).fallback("0200");
}

std::vector<Param> network_params(std::vector<Param> own, bool direction, bool chance) {
  if (direction) {
    own.push_back(
        Make("direction", ValueType::text, "which way it acts: to_host, to_terminal or both")
            .choices({"to_host", "to_terminal", "both"})
            .fallback("both"));
  }
  if (chance) {
    own.push_back(Make("probability", ValueType::number,
                       "chance that it acts on each message, above 0 up to 1")
                      .above(0, 1)
                      .fallback(1.0));
    own.push_back(Make("seed", ValueType::integer, "seed of the probability draws")
                      .range(0, kMaxSeed)
                      .fallback(0));
  }
  return own;
}

}  // namespace

const std::vector<NamedDoc>& prompt_kinds() {
  static const std::vector<NamedDoc> list = {
      {"PRESENT_CARD", "insert, swipe or tap a card"},
      {"PIN", "enter the PIN; after a wrong PIN it carries tries_left"},
      {"INSERT_CHIP", "a chip card was swiped: insert it instead (rule 8)"},
      {"SWIPE", "the chip failed: swipe the card as a fallback (rule 7)"},
      {"RETRY_CARD", "the card could not be read: present it again (rule 9)"},
      {"REMOVE_CARD", "take the card out"},
      {"SCAN_CODE", "show the customer's payment code to the scanner"},
      {"RESCAN", "the code did not decode or failed the format check: scan again (rule 12)"},
      {"MANUAL_ENTRY", "type the payment code or card number on the keypad"},
      {"RELOAD_PAPER", "the printer is out of paper: reload it (rule 16)"},
      {"OPERATOR_PASSWORD", "enter the operator password (rule 21)"},
      {"CONTACT_SUPPORT", "an alert the operator must act on: call support (rules 3, 14, 21)"},
  };
  return list;
}

const std::vector<NamedDoc>& result_statuses() {
  static const std::vector<NamedDoc> list = {
      {"APPROVED", "the host or wallet approved; money moved"},
      {"DECLINED", "the host or wallet refused; no money moved"},
      {"FAILED", "the transaction did not complete (no answer, read error, link lost)"},
      {"UNKNOWN", "the outcome is not known; flagged for manual handling (rule 14)"},
      {"CANCELLED", "cancelled by the operator or the ECR"},
  };
  return list;
}

const std::vector<NamedDoc>& entry_modes() {
  static const std::vector<NamedDoc> list = {
      {"chip", "read from the chip (or contactless)"},
      {"swipe", "read from the magnetic stripe"},
      {"fallback", "stripe read after the chip failed (rule 7)"},
      {"qr", "a payment code scanned or typed for the wallet"},
      {"manual", "card number keyed in"},
  };
  return list;
}

const std::vector<NamedDoc>& card_damages() {
  static const std::vector<NamedDoc> list = {
      {"none", "the card reads normally"},
      {"chip_mute", "every chip read: no answer to reset"},
      {"chip_error", "every chip read: error status word 6F00"},
      {"chip_intermittent", "the first `failures` chip reads are mute, later ones good"},
      {"mag_garbled", "every stripe read: LRC/parity error, no data"},
      {"mag_blank", "every stripe read: no magnetic data"},
  };
  return list;
}

const std::vector<NamedDoc>& key_names() {
  static const std::vector<NamedDoc> list = [] {
    std::vector<NamedDoc> keys;
    for (char d = '0'; d <= '9'; ++d) keys.push_back({std::string(1, d), "digit"});
    keys.push_back({"ENTER", "confirm the entry"});
    keys.push_back({"CANCEL", "abandon the entry or the transaction"});
    keys.push_back({"CLEAR", "erase what was typed"});
    return keys;
  }();
  return list;
}

const std::vector<NamedDoc>& wallet_paths() {
  static const std::vector<NamedDoc> list = {
      {"/micropay", "pay with the customer's code"},
      {"/orderquery", "ask for an order's state"},
      {"/reverse", "cancel an order"},
  };
  return list;
}

const std::vector<NamedDoc>& known_events() {
  static const std::vector<NamedDoc> list = {
      {"REVERSAL_STORED", "a reversal was stored for a sale without answer (rules 1, 6)"},
      {"REVERSAL_SENT", "a stored reversal (0400/0401) went to the host (rules 1-3)"},
      {"REVERSAL_ACKED", "the host acknowledged the reversal (0410); the record is done"},
      {"REVERSAL_FAILED", "the resend attempts ran out; the record is kept (rule 3)"},
      {"RESPONSE_REJECTED", "a host response did not match the request (rule 4)"},
      {"CHIP_READ_FAILED", "a chip read failed (rule 7)"},
      {"FALLBACK", "the terminal switched to the stripe after chip failures (rule 7)"},
      {"STRIPE_READ_FAILED", "a stripe read failed (rule 9)"},
      {"PIN_WRONG", "the host answered 55 (rule 10)"},
      {"PIN_BLOCKED", "the PIN tries ran out (rule 10)"},
      {"SCAN_FAILED", "the scanner could not decode a code (rule 12)"},
      {"CODE_REJECTED", "a decoded code failed the payment-code check (rule 12)"},
      {"WALLET_QUERY", "an order query went to the wallet (rules 13, 15)"},
      {"WALLET_REVERSE", "a reverse went to the wallet (rule 14)"},
      {"MANUAL_HANDLING", "the outcome stays unknown; flagged for people (rule 14)"},
      {"PAPER_OUT", "the printer ran out of paper (rule 16)"},
      {"PAPER_LOADED", "paper is back"},
      {"LINK_ERROR", "the ECR link gave up on a frame (rules 18, 19)"},
      {"BOOT", "the terminal started (after power came back, rule 6)"},
      {"LOCKED", "the terminal locked itself (rule 21)"},
      {"UNLOCKED", "the supervisor unlocked the terminal"},
  };
  return list;
}

const std::vector<NamedDoc>& scenario_families() {
  static const std::vector<NamedDoc> list = {
      {"scan", "scan verification failure: dirty scanner, damaged code (rule 12)"},
      {"card", "card read failure: chip, stripe, fallback (rules 7-9)"},
      {"reversal", "reversal: lost answers, resends, power cut (rules 1-6)"},
      {"qr", "scan-to-pay not credited: wallet polling and reverse (rules 13-15)"},
      {"printer", "paper out and reprints (rules 16, 17)"},
      {"ecr", "ECR link: bad LRC, lost ACK, lost link (rules 18-20)"},
      {"pin", "wrong PIN, blocked PIN, operator lock (rules 10, 21)"},
      {"decline", "expired, insufficient funds, frozen card (rule 11)"},
      {"power", "power cut and restart (rule 6)"},
  };
  return list;
}

const std::vector<NamedDoc>& trigger_kinds() {
  static const std::vector<NamedDoc> list = {
      {"host_message", "an ISO 8583 message with this MTI passes the network proxy"},
      {"wallet_message", "a wallet request (or its response) for this path passes the proxy"},
      {"event", "the terminal reports this EVENT"},
      {"prompt", "the terminal shows this PROMPT"},
      {"after", "this long after the fault step ran"},
  };
  return list;
}

const std::vector<Param>& expect_modifiers() {
  static const std::vector<Param> list = {
      Make("within", ValueType::duration, "how long to wait, before time_scale; default per kind"),
      Make("since", ValueType::text,
           "where to start looking: transaction (the last transaction step) or scenario")
          .choices({"transaction", "scenario"})
          .fallback("transaction"),
      Make("match", ValueType::text,
           "how texts are compared: pattern (a case-insensitive regular expression, default), "
           "case (case-sensitive) or literal (contained exactly as written)")
          .choices({"pattern", "case", "literal"})
          .fallback("pattern"),
  };
  return list;
}

const std::vector<FigureUse>& figure_uses() {
  static const std::vector<FigureUse> list = {
      {"expect", "event", "name", "CHIP_READ_FAILED", "count", "chip_reads"},
      {"expect", "event", "name", "WALLET_QUERY", "count", "wallet_queries"},
      {"expect", "event", "name", "WALLET_REVERSE", "count", "reverse_attempts"},
      {"expect", "event", "name", "REVERSAL_SENT", "count", "reversal_attempts"},
      {"expect", "prompt", "kind", "PIN", "tries_left", "pin_tries"},
      {"expect", "prompt", "kind", "OPERATOR_PASSWORD", "tries_left", "operator_tries"},
      {"expect", "wallet_message", "path", "/orderquery", "count", "wallet_queries"},
      {"expect", "wallet_message", "path", "/reverse", "count", "reverse_attempts"},
      {"expect", "host_message", "mti", "0401", "count", "reversal_attempts"},
      {"fault", "host.refuse_reversal", "", "", "count", "reversal_attempts"},
      {"fault", "wallet.reverse_fail", "", "", "count", "reverse_attempts"},
  };
  return list;
}

const std::vector<StepInfo>& steps() {
  static const std::vector<StepInfo> list = [] {
    std::vector<StepInfo> out;
    for (const auto& k : kinds().steps()) out.push_back(k->info());
    return out;
  }();
  return list;
}

const std::vector<ExpectInfo>& expectations() {
  static const std::vector<ExpectInfo> list = [] {
    std::vector<ExpectInfo> out;
    for (const auto& k : kinds().expectations()) out.push_back(k->info());
    return out;
  }();
  return list;
}

namespace {

// Faults of the bench's fixtures (network proxy, scanner, printer, power, acquirer).
std::vector<FaultInfo> fixture_faults() {
  return {
      {"network.down",
       "network",
       "refuse new connections and cut open ones",
       network_params({}, false, true),
       {}},
      {"network.blackhole",
       "network",
       "accept and read, never forward",
       network_params({}, true, true),
       {}},
      {"network.reset",
       "network",
       "reset the connection (RST) as a message passes",
       network_params({}, true, true),
       {}},
      {"network.latency",
       "network",
       "delay each message; order is kept",
       network_params(
           {Make("ms", ValueType::integer, "added delay in ms").required().range(0),
            Make("jitter_ms", ValueType::integer, "random extra 0..N ms").range(0).fallback(0)},
           true, true),
       {}},
      {"network.bandwidth",
       "network",
       "pace the link to a byte rate",
       network_params(
           {Make("bytes_per_s", ValueType::integer, "bytes per second").required().range(1)}, true,
           false),
       {}},
      {"network.slice",
       "network",
       "forward in small pieces, each its own write",
       network_params(
           {Make("bytes", ValueType::integer, "piece size").required().range(1),
            Make("gap_ms", ValueType::integer, "pause between pieces in ms").range(0).fallback(0)},
           true, true),
       {}},
      {"network.corrupt",
       "network",
       "flip bytes in messages",
       network_params(
           {Make("bytes", ValueType::integer, "flip this many bytes per message").range(1),
            Make("byte_probability", ValueType::number, "or flip each byte with this chance")
                .above(0, 1)},
           true, true),
       {"bytes", "byte_probability"}},
      {"network.limit",
       "network",
       "forward this many bytes per connection, then cut it",
       network_params({Make("bytes", ValueType::integer, "bytes let through").required().range(0)},
                      true, false),
       {}},
      {"scanner.dirty",
       "scanner",
       "dirty the scanner head (clear or `scanner: clean` cleans it)",
       {Make("level", ValueType::number, "0 clean to 1 opaque").required().range(0, 1)},
       {}},
      {"printer.paper_out", "printer", "the paper sensor reports no paper", {}, {}},
      {"printer.paper_low",
       "printer",
       "the paper sensor reports paper low",
       {Make("lines_left", ValueType::integer, "the roll ends after N more lines").range(0)},
       {}},
      {"power.cut", "power", "cut the terminal's power; clearing restores it", {}, {}},
      {"host.decline",
       "acquirer",
       "the acquirer answers with this response code",
       {Make("rc", ValueType::response_code, "response code (\"05\", \"51\")").required(),
        count_param("requests"), mti_param("request MTI it answers")},
       {}},
      {"host.delay",
       "acquirer",
       "the acquirer answers late",
       {Make("ms", ValueType::integer, "delay in ms").required().range(1), count_param("requests"),
        mti_param("request MTI it delays")},
       {}},
      {"host.no_response",
       "acquirer",
       "the acquirer does not answer",
       {count_param("requests"), mti_param("request MTI it ignores"),
        Make("apply", ValueType::boolean, "the request still takes effect (approved, answer lost)")
            .fallback(true)},
       {}},
      {"host.refuse_reversal",
       "acquirer",
       "the acquirer does not apply reversals (0400/0401)",
       {Make("count", ValueType::integer, "reversal requests refused").required().range(1),
        Make("answer", ValueType::text, "none (no answer) or 96")
            .choices({"none", "96"})
            .fallback("none")},
       {}},
      {"wallet.userpaying",
       "acquirer",
       "micropay answers USERPAYING; the order settles later",
       {Make("seconds", ValueType::number, "seconds until the order settles").required().range(0),
        Make("then", ValueType::text, "what the order becomes: SUCCESS, PAYERROR, USERPAYING")
            .choices({"SUCCESS", "PAYERROR", "USERPAYING"})
            .fallback("SUCCESS"),
        count_param("micropay requests")},
       {}},
      {"wallet.systemerror",
       "acquirer",
       "the wallet answers SYSTEMERROR",
       {Make("count", ValueType::integer, "requests answered so").required().range(1),
        Make("endpoint", ValueType::text, "micropay, orderquery or reverse")
            .choices({"micropay", "orderquery", "reverse"})
            .fallback("micropay"),
        Make("apply", ValueType::boolean, "micropay still pays (paid, answer lost)")
            .fallback(false)},
       {}},
      {"wallet.no_response",
       "acquirer",
       "the wallet does not answer",
       {count_param("requests"),
        Make("endpoint", ValueType::text, "micropay, orderquery or reverse")
            .choices({"micropay", "orderquery", "reverse"})
            .fallback("micropay"),
        Make("apply", ValueType::boolean, "the request still takes effect").fallback(false)},
       {}},
      {"wallet.reverse_fail",
       "acquirer",
       "reverse answers FAIL; nothing is reversed",
       {Make("count", ValueType::integer, "reverse requests failed").required().range(1)},
       {}},
  };
}

}  // namespace

const std::vector<FaultInfo>& faults() {
  static const std::vector<FaultInfo> list = [] {
    std::vector<FaultInfo> out = fixture_faults();
    // Faults of the ECR link, made by the terminal drivers that offer them (rig/terminal).
    for (const auto& driver : terminal::drivers().all()) {
      for (const auto& f : driver.faults) {
        bool listed = std::any_of(out.begin(), out.end(),
                                  [&](const FaultInfo& o) { return o.name == f.name; });
        if (!listed) out.push_back(f);
      }
    }
    return out;
  }();
  return list;
}

namespace {
template <typename T>
const T* find_named(const std::vector<T>& list, const std::string& name) {
  auto it = std::find_if(list.begin(), list.end(), [&](const T& x) { return x.name == name; });
  return it == list.end() ? nullptr : &*it;
}
template <typename T>
std::vector<std::string> names(const std::vector<T>& list) {
  std::vector<std::string> out;
  out.reserve(list.size());
  for (const auto& x : list) out.push_back(x.name);
  return out;
}
}  // namespace

const StepInfo* find_step(const std::string& name) { return find_named(steps(), name); }
const ExpectInfo* find_expectation(const std::string& name) {
  return find_named(expectations(), name);
}
const FaultInfo* find_fault(const std::string& name) { return find_named(faults(), name); }

std::vector<std::string> names_of(const std::vector<StepInfo>& list) { return names(list); }
std::vector<std::string> names_of(const std::vector<ExpectInfo>& list) { return names(list); }
std::vector<std::string> names_of(const std::vector<FaultInfo>& list) { return names(list); }
std::vector<std::string> names_of(const std::vector<NamedDoc>& list) { return names(list); }
std::vector<std::string> names_of(const std::vector<Param>& list) { return names(list); }

std::string default_direction_for_mti(const std::string& mti) {
  if (mti.size() == 4 && ((mti[2] - '0') % 2) == 1) return "to_terminal";
  return "to_host";
}

std::set<std::string> needed_families(const Scenario& scenario) {
  std::set<std::string> out;
  for (const auto& step : scenario.steps) {
    const StepKind* kind = kinds().step(step.name);
    if (!kind) continue;
    for (const auto& family : kind->families(step)) {
      if (fault::find_family(family)) out.insert(family);
    }
  }
  return out;
}

std::vector<terminal::Need> terminal_needs(const Step& step) {
  std::vector<terminal::Need> out;
  if (const StepKind* kind = kinds().step(step.name)) out = kind->needs(step);
  if (!step.expect.empty()) {
    if (const ExpectKind* check = kinds().expectation(step.expect)) {
      for (auto& need : check->needs(step)) out.push_back(std::move(need));
    }
  }
  return out;
}

std::vector<FixtureNeed> fixture_needs(const Step& step) {
  std::vector<FixtureNeed> out;
  if (const StepKind* kind = kinds().step(step.name)) out = kind->fixture_needs(step);
  if (!step.expect.empty()) {
    if (const ExpectKind* check = kinds().expectation(step.expect)) {
      for (auto& need : check->fixture_needs(step)) out.push_back(std::move(need));
    }
  }
  return out;
}

}  // namespace rig::scenario
