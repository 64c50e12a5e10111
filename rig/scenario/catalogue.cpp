#include "rig/scenario/catalogue.h"

#include <algorithm>

#include "rig/bench/bench.h"
#include "rig/terminal/terminal.h"

namespace rig::scenario {

namespace {

// Builds a Param in one expression: Make("ms", ValueType::integer, "…").required().range(1).
class Make {
 public:
  Make(std::string name, ValueType type, std::string doc) {
    p_.name = std::move(name);
    p_.type = type;
    p_.doc = std::move(doc);
  }
  Make& required() {
    p_.required = true;
    return *this;
  }
  Make& choices(std::vector<std::string> names) {
    p_.type = ValueType::choice;
    p_.choices = std::move(names);
    return *this;
  }
  Make& range(double lo, std::optional<double> hi = std::nullopt) {
    p_.min = lo;
    p_.max = hi;
    return *this;
  }
  // (lo, hi]: a chance that must be above zero.
  Make& above(double lo, double hi) {
    p_.min = lo;
    p_.min_excluded = true;
    p_.max = hi;
    return *this;
  }
  Make& fallback(nlohmann::json value) {
    p_.fallback = std::move(value);
    return *this;
  }
  operator Param() const { return p_; }  // NOLINT(google-explicit-constructor): table syntax

 private:
  Param p_;
};

constexpr double kMaxSeed = 4294967295.0;

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
  };
  return list;
}

const std::vector<StepInfo>& steps() {
  static const std::vector<StepInfo> list = {
      {"sale",
       "",
       true,
       false,
       "sale: {amount, method, card?, code?, currency?, id?}",
       "start a sale (ECR SALE)",
       {Make("amount", ValueType::amount, "amount, two fraction digits (\"100.00\")").required(),
        Make("method", ValueType::text, "card or qr").choices({"card", "qr"}).required(),
        Make("card", ValueType::card, "card presented when the terminal asks (method card)"),
        Make("code", ValueType::text, "payment code shown to the scanner (method qr)"),
        Make("currency", ValueType::currency, "ISO 4217 numeric currency").fallback("156"),
        Make("id", ValueType::transaction_id, "transaction id; default: made up by the engine")}},
      {"refund",
       "",
       true,
       false,
       "refund: {amount, of?}",
       "start a refund (ECR REFUND)",
       {Make("amount", ValueType::amount, "amount to give back").required(),
        Make("of", ValueType::transaction_id, "id of the sale being refunded")}},
      {"query",
       "",
       true,
       true,
       "query: {id?}",
       "ask for a transaction's outcome (ECR QUERY)",
       {Make("id", ValueType::transaction_id, "transaction id; default: the last transaction")}},
      {"last", "", true, true, "last", "ask for the last result (ECR LAST)", {}},
      {"reprint", "", true, true, "reprint", "reprint the last receipt (ECR REPRINT)", {}},
      {"cancel", "", false, true, "cancel", "cancel what the terminal is doing (ECR CANCEL)", {}},
      {"status", "", false, true, "status", "ask for the terminal's state (ECR STATUS)", {}},
      {"reset", "", false, true, "reset", "reset the terminal (ECR RESET)", {}},
      {"login", "", true, true, "login",
       "operator login (ECR LOGIN): the terminal asks for the operator password (rule 21)", {}},
      {"unlock", "", true, true, "unlock",
       "supervisor unlock of a locked terminal (ECR UNLOCK), password on the keypad (rule 21)",
       {}},
      {"fault",
       "",
       false,
       false,
       "fault: NAME (+ when:, for:, the fault's parameters)",
       "arm a fault from the fault catalogue",
       {}},
      {"clear", "", false, false, "clear: NAME | all", "clear an armed fault, or every one", {}},
      {"card",
       "card",
       false,
       false,
       "card: {insert|swipe|tap: CARD, damage?, failures?} | card: remove",
       "present a card to the reader, or take it out",
       {Make("insert", ValueType::card, "insert this card's chip"),
        Make("swipe", ValueType::card, "swipe this card's stripe"),
        Make("tap", ValueType::card, "tap this card (contactless)"),
        Make("damage", ValueType::text, "what is wrong with the card")
            .choices(names_of(card_damages()))
            .fallback("none"),
        Make("failures", ValueType::integer,
             "chip_intermittent: how many chip reads fail first (default 1)")
            .range(1)}},
      {"scan",
       "scanner",
       false,
       false,
       "scan: {code, dirt?, blur?, seed?}",
       "show a payment code to the scanner",
       {Make("code", ValueType::text, "the code's text (any text: bad codes are test input)")
            .required(),
        Make("dirt", ValueType::number, "dirt on the code's path, 0 to 1").range(0, 1),
        Make("blur", ValueType::number, "blur of the presentation, 0 to 1").range(0, 1),
        Make("seed", ValueType::integer, "seed of the image damage").range(0, kMaxSeed)}},
      {"scanner", "scanner", false, false, "scanner: clean", "clean the scanner head", {}},
      {"keys",
       "keypad",
       false,
       false,
       "keys: [\"1\", \"2\", \"ENTER\"]",
       "press keys on the terminal's keypad, in order",
       {}},
      {"paper",
       "printer",
       false,
       false,
       "paper: ok | low | out",
       "set the printer's paper sensor",
       {}},
      {"power",
       "power",
       false,
       false,
       "power: cut | restore",
       "cut or restore the terminal's power",
       {}},
      {"wait",
       "",
       false,
       false,
       "wait: DURATION",
       "do nothing for this long (scaled by time_scale)",
       {}},
      {"expect",
       "",
       false,
       false,
       "expect: {KIND: …, within?, since?}",
       "wait for something to happen (or not) and check it",
       {}},
  };
  return list;
}

const std::vector<ExpectInfo>& expectations() {
  static const std::vector<ExpectInfo> list = {
      {"result",
       "a RESULT with these fields (all given fields must match)",
       Duration(10000),
       std::nullopt,
       {Make("status", ValueType::text, "result status").choices(names_of(result_statuses())),
        Make("rc", ValueType::response_code, "host response code (\"05\")"),
        Make("entry", ValueType::text, "how the card or code was read")
            .choices(names_of(entry_modes())),
        Make("method", ValueType::text, "card or qr").choices({"card", "qr"}),
        Make("amount", ValueType::amount, "amount"),
        Make("text", ValueType::text, "text the result's message contains"),
        Make("id", ValueType::transaction_id, "transaction id; default: any")},
       false},
      {"event",
       "an EVENT, optionally ordered against another event or the result",
       Duration(5000),
       Param(Make("name", ValueType::event, "event name").required()),
       {Make("before", ValueType::event_or_result, "it comes before this event or the result"),
        Make("after", ValueType::event_or_result, "it comes after this event or the result"),
        Make("count", ValueType::integer, "exactly this many such events").range(0),
        Make("absent", ValueType::boolean, "true: no such event within the deadline")},
       false},
      {"prompt",
       "a PROMPT of this kind",
       Duration(5000),
       Param(Make("kind", ValueType::text, "prompt kind")
                 .choices(names_of(prompt_kinds()))
                 .required()),
       {Make("tries_left", ValueType::integer, "the prompt's tries_left (PIN)").range(0),
        Make("absent", ValueType::boolean, "true: no such prompt within the deadline")},
       false},
      {"display",
       "a DISPLAY whose text contains this",
       Duration(5000),
       Param(Make("text", ValueType::text, "text the display shows").required()),
       {},
       false},
      {"receipt",
       "a RECEIPT",
       Duration(5000),
       std::nullopt,
       {Make("copy", ValueType::text, "original or duplicate").choices({"original", "duplicate"}),
        Make("contains", ValueType::text, "text the receipt contains"),
        Make("count", ValueType::integer, "exactly this many such receipts").range(0)},
       false},
      {"ecr",
       "something on the ECR wire: a frame, ACK, NAK, a bad frame or noise (rules 18-19)",
       Duration(5000),
       Param(Make("kind", ValueType::text, "what went over the wire")
                 .choices({"frame", "ack", "nak", "bad", "noise"})
                 .required()),
       {Make("from", ValueType::text, "who sent it: terminal (default) or controller")
            .choices({"terminal", "controller"})
            .fallback("terminal"),
        Make("name", ValueType::text, "frames: the message name (SALE, RESULT)"),
        Make("count", ValueType::integer, "exactly this many").range(0),
        Make("absent", ValueType::boolean, "true: none within the deadline")},
       false},
      {"host_message",
       "an ISO 8583 message seen by the network proxy",
       Duration(5000),
       std::nullopt,
       {Make("mti", ValueType::mti, "message type (\"0400\")").required(),
        Make("direction", ValueType::text, "to_host, to_terminal or both; default by MTI")
            .choices({"to_host", "to_terminal", "both"}),
        Make("fields", ValueType::iso_fields, "field values the message carries: {39: \"98\"}"),
        Make("field_90_refers_to", ValueType::text,
             "previous: field 90 names the 0200 of an earlier transaction")
            .choices({"previous"}),
        Make("count", ValueType::integer, "exactly this many such messages").range(0),
        Make("absent", ValueType::boolean, "true: no such message within the deadline")},
       false},
      {"wallet_message",
       "a wallet HTTP request seen by the network proxy",
       Duration(5000),
       std::nullopt,
       {Make("path", ValueType::text, "endpoint").choices(names_of(wallet_paths())).required(),
        Make("direction", ValueType::text, "to_host (the request, default), to_terminal, both")
            .choices({"to_host", "to_terminal", "both"})
            .fallback("to_host"),
        Make("count", ValueType::integer, "exactly this many such messages").range(0),
        Make("absent", ValueType::boolean, "true: no such message within the deadline")},
       false},
      {"ledger",
       "the acquirer's ledger figures for this terminal",
       Duration(5000),
       std::nullopt,
       {Make("net", ValueType::signed_amount, "debits minus reversals and refunds"),
        Make("debits", ValueType::integer, "approved sales").range(0),
        Make("reversals", ValueType::integer, "applied reversals").range(0),
        Make("declines", ValueType::integer, "declined requests").range(0),
        Make("refunds", ValueType::integer, "approved refunds").range(0),
        Make("wallet_payments", ValueType::integer, "wallet orders paid").range(0),
        Make("wallet_net", ValueType::signed_amount, "wallet money taken"),
        Make("fees", ValueType::amount, "merchant fees")},
       true},
      {"state",
       "the terminal's STATUS (ask with a status step, or the engine asks)",
       Duration(5000),
       std::nullopt,
       {Make("state", ValueType::text, "terminal state, as STATUS reports it"),
        Make("paper", ValueType::text, "paper sensor").choices({"ok", "low", "out"}),
        Make("pending_reversals", ValueType::integer, "stored reversals not yet acknowledged")
            .range(0),
        Make("failed_reversals", ValueType::integer,
             "reversals whose attempts ran out, kept as evidence (rule 3)")
            .range(0),
        Make("manual_handling", ValueType::integer,
             "QR orders flagged for manual handling (rule 14)")
            .range(0)},
       true},
  };
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
  const auto& bench_families = bench::fault_families();
  for (const auto& step : scenario.steps) {
    std::string family;
    if (step.name == "fault") {
      if (const FaultInfo* f = find_fault(step.args.value("fault", ""))) family = f->family;
    } else if (const StepInfo* s = find_step(step.name)) {
      family = s->family;
    }
    if (!family.empty() && bench_families.count(family)) out.insert(family);
  }
  return out;
}

std::vector<terminal::Need> terminal_needs(const Step& step) {
  using terminal::Need;
  using terminal::ObservationKind;
  std::vector<Need> out;
  for (terminal::CommandKind k : terminal::all_commands()) {
    if (step.name == terminal::to_string(k)) out.push_back(Need::command(k));
  }
  if (step.name == "fault") {
    const FaultInfo* f = find_fault(step.args.value("fault", ""));
    if (f && f->family == "ecr") out.push_back(Need::fault(f->name));
    if (step.when.kind == Trigger::Kind::event)
      out.push_back(Need::observation(ObservationKind::event));
    if (step.when.kind == Trigger::Kind::prompt) {
      out.push_back(Need::observation(ObservationKind::prompt));
    }
  }
  if (step.name != "expect") return out;
  const std::string& kind = step.expect;
  if (kind == "result") out.push_back(Need::observation(ObservationKind::result));
  if (kind == "event") {
    out.push_back(Need::observation(ObservationKind::event));
    if (step.args.value("before", "") == "result" || step.args.value("after", "") == "result") {
      out.push_back(Need::observation(ObservationKind::result));
    }
  }
  if (kind == "prompt") out.push_back(Need::observation(ObservationKind::prompt));
  if (kind == "display") out.push_back(Need::observation(ObservationKind::display));
  if (kind == "receipt") out.push_back(Need::observation(ObservationKind::receipt));
  if (kind == "ecr") out.push_back(Need::observation(ObservationKind::wire));
  if (kind == "state") {
    out.push_back(Need::command(terminal::CommandKind::status));
    out.push_back(Need::observation(ObservationKind::status));
    for (const auto& [field, value] : step.args.items()) {
      (void)value;
      out.push_back(Need::status_field(field));
    }
  }
  return out;
}

}  // namespace rig::scenario
