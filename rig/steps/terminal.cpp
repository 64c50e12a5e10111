// Steps that send a command to the terminal, through the station's terminal driver: sale,
// refund, query, last, reprint, cancel, status, reset, login, unlock. Each needs its command
// (a driver that cannot send it skips the scenario).
#include "rig/engine/fixtures.h"
#include "rig/engine/runner.h"
#include "rig/engine/terminal_port.h"
#include "rig/steps/step_kind.h"

namespace rig::steps {

namespace {

using terminal::Command;
using terminal::CommandKind;

StepInfo command_info(CommandKind kind, bool transaction, bool bare, std::string form,
                      std::string doc, std::vector<Param> params = {}) {
  StepInfo info =
      step_info(terminal::to_string(kind), "", std::move(form), std::move(doc), std::move(params));
  info.transaction = transaction;
  info.bare = bare;
  return info;
}

// The sale or refund `args` ask for: its id (the scenario's, scoped, or a fresh one), amount,
// currency and method.
Command money_command(engine::StepContext& ctx, CommandKind kind, const json& args) {
  Command c;
  c.kind = kind;
  c.id = args.contains("id") ? ctx.terminal.scoped(args.value("id", "")) : ctx.terminal.new_id();
  c.amount = args.value("amount", "0.00");
  c.currency = args.value("currency", "156");
  c.method = args.value("method", "card");
  return c;
}

// A step that is one terminal command.
class CommandStep : public scenario::StepKind {
 public:
  CommandStep(CommandKind kind, StepInfo info) : StepKind(std::move(info)), kind_(kind) {}

  // A sale or refund also needs its payment method (card unless the step says qr).
  std::vector<terminal::Need> needs(const scenario::Step& step) const override {
    std::vector<terminal::Need> out{terminal::Need::command(kind_)};
    if (kind_ == CommandKind::sale || kind_ == CommandKind::refund) {
      out.push_back(terminal::Need::method(step.args.value("method", "card")));
    }
    return out;
  }

 protected:
  CommandKind kind() const { return kind_; }
  // Sends `c`; a transaction step makes it the current transaction first.
  void send(engine::StepContext& ctx, const Command& c, bool any_id) const {
    if (info().transaction) {
      ctx.terminal.start(c, any_id);
    } else {
      ctx.terminal.send(c);
    }
  }

 private:
  CommandKind kind_;
};

// Waits, from the start of the current transaction, for the terminal to ask for what the
// customer brings (PROMPT `kind` of that transaction), as a cardholder waits to be asked:
// "asked", "ended" when the transaction's RESULT came first (nothing is presented), or why not
// (none within 10 s, scenario time). A driver that cannot show that prompt (docs/
// terminal-drivers.md: its capabilities) is not waited for: "asked" at once.
std::string await_prompt(engine::StepContext& ctx, const std::string& kind) {
  const terminal::Capabilities& caps = ctx.station.terminal().capabilities();
  if (!caps.observations.count(terminal::ObservationKind::prompt) ||
      !(caps.prompt_kinds.empty() || caps.prompt_kinds.count(kind))) {
    return "asked";
  }
  const engine::Transaction& txn = ctx.terminal.transaction();
  const std::size_t from = txn.start;
  const std::string id = txn.id;
  std::string seen;
  const std::chrono::milliseconds patience = ctx.scaled(std::chrono::milliseconds(10000));
  ctx.timeline.wait_until(
      [&](const std::vector<engine::Entry>& es) {
        for (std::size_t i = from; i < es.size(); ++i) {
          const engine::Entry& e = es[i];
          if (e.kind == engine::EntryKind::prompt && e.fields.value("kind", "") == kind &&
              e.fields.value("id", id) == id) {
            seen = "asked";
          } else if (e.kind == engine::EntryKind::result && e.fields.value("id", "") == id) {
            seen = "ended";
          }
          if (!seen.empty()) return true;
        }
        return false;
      },
      engine::Clock::now() + patience);
  if (!seen.empty()) return seen;
  return "the terminal did not ask for it (PROMPT " + kind + ") within 10000ms";
}

// sale and refund: the card is presented, or the code shown to the scanner, when the terminal
// asks for it (await_prompt); the cardholder types the PIN at each PIN prompt.
class PaymentStep : public CommandStep {
 public:
  PaymentStep(CommandKind kind, StepInfo info) : CommandStep(kind, std::move(info)) {}

  void parse(scenario::StepReader& r, const YAML::Node& item, const YAML::Node& value,
             scenario::Step& step) const override {
    StepKind::parse(r, item, value, step);
    const json& a = step.args;
    if (!a.contains("method") || !value.IsMap()) return;
    if (a["method"] == "qr" && a.contains("card"))
      r.error(value["card"], "'card' is for method card");
    if (a["method"] == "card" && a.contains("code"))
      r.error(value["code"], "'code' is for method qr");
  }

  // The card the cardholder presents, or the code shown to the scanner.
  std::vector<scenario::FixtureNeed> fixture_needs(const scenario::Step& step) const override {
    const json& a = step.args;
    std::vector<scenario::FixtureNeed> out;
    if (a.contains("card")) {
      json params = {{"card", a.value("card", "")}};
      if (a.contains("damage")) params["damage"] = a["damage"];
      out.push_back(scenario::need_of(step, "card.insert", params));
    }
    if (a.contains("code")) {
      json params = {{"code", a.value("code", "")}};
      for (const char* k : {"dirt", "blur"}) {
        if (a.contains(k)) params[k] = a[k];
      }
      out.push_back(scenario::need_of(step, "scanner.present", params));
    }
    return out;
  }

  void run(engine::StepContext& ctx, const scenario::Step& step,
           report::StepResult& sr) const override {
    const json& a = step.args;
    Command c = money_command(ctx, kind(), a);
    if (a.contains("of")) c.original_id = ctx.terminal.scoped(a.value("of", ""));
    sr.summary = name() + " " + c.amount + " " + c.method;
    send(ctx, c, false);
    if (!fixture_needs(step).empty()) {
      const std::string asked = await_prompt(ctx, c.method == "qr" ? "SCAN_CODE" : "PRESENT_CARD");
      if (asked == "ended") {
        sr.summary += " (the " + name() + " ended before it asked for the " +
                      (a.contains("card") ? "card)" : "code)");
        return;
      }
      if (asked != "asked") {
        sr.summary += a.contains("card") ? " card " + a.value("card", "") : "";
        sr.message = step.loc.to_string() + ": " + asked;
        sr.ok = false;
        return;
      }
    }
    act(ctx, *this, step);
    if (a.contains("card")) {
      const std::string card = a.value("card", "");
      if (ctx.options.cards && ctx.options.cards->count(card)) {
        ctx.fixtures.answer_pins({ctx.options.cards->at(card).pin}, ctx.terminal.transaction());
      }
      sr.summary += " card " + card;
    }
  }
};

Param id_param() {
  return MakeParam("id", ValueType::transaction_id,
                   "transaction id; default: made up by the engine");
}

Param currency_param() {
  return MakeParam("currency", ValueType::currency, "ISO 4217 numeric currency")
      .fallback("${profile.currency}");
}

// sale: {amount, method, card?, code?, currency?, id?}
class SaleStep : public PaymentStep {
 public:
  SaleStep()
      : PaymentStep(
            CommandKind::sale,
            command_info(
                CommandKind::sale, true, false,
                "sale: {amount, method, card?, code?, currency?, id?}", "start a sale (ECR SALE)",
                {MakeParam("amount", ValueType::amount, "amount, two fraction digits (\"100.00\")")
                     .required(),
                 MakeParam("method", ValueType::text, "card or qr")
                     .choices({"card", "qr"})
                     .required(),
                 MakeParam("card", ValueType::card,
                           "card presented when the terminal asks (method card)"),
                 MakeParam("code", ValueType::text,
                           "payment code shown to the scanner (method qr)"),
                 currency_param(), id_param()})) {}
};

// refund: {amount, of?, card?, method?, currency?, id?}
class RefundStep : public PaymentStep {
 public:
  RefundStep()
      : PaymentStep(
            CommandKind::refund,
            command_info(
                CommandKind::refund, true, false,
                "refund: {amount, of?, card?, method?, currency?, id?}",
                "start a refund (ECR REFUND)",
                {MakeParam("amount", ValueType::amount, "amount to give back").required(),
                 MakeParam("of", ValueType::transaction_id, "id of the sale being refunded"),
                 MakeParam("card", ValueType::card,
                           "card presented when the terminal asks (method card)"),
                 MakeParam("method", ValueType::text,
                           "card (default) or qr (a terminal refuses it: rc NS)")
                     .choices({"card", "qr"})
                     .fallback("card"),
                 currency_param(), id_param()})) {}
};

// query, cancel: about a transaction (default: the current one).
class AboutTransactionStep : public CommandStep {
 public:
  AboutTransactionStep(CommandKind kind, StepInfo info) : CommandStep(kind, std::move(info)) {}

  void run(engine::StepContext& ctx, const scenario::Step& step,
           report::StepResult& sr) const override {
    Command c;
    c.kind = kind();
    c.id = step.args.contains("id") ? ctx.terminal.scoped(step.args.value("id", ""))
                                    : ctx.terminal.transaction().id;
    if (c.id.empty()) c.id = ctx.terminal.new_id();
    sr.summary = name() + " " + c.id;
    send(ctx, c, false);
  }
};

// last, reprint, status, reset, login, unlock: a request of its own, with a fresh id.
class RequestStep : public CommandStep {
 public:
  // `answers_another`: the answer carries another transaction's id (last, reprint).
  RequestStep(CommandKind kind, StepInfo info, bool answers_another)
      : CommandStep(kind, std::move(info)), answers_another_(answers_another) {}

  void run(engine::StepContext& ctx, const scenario::Step&, report::StepResult& sr) const override {
    Command c;
    c.kind = kind();
    c.id = ctx.terminal.new_id();
    sr.summary = name();
    send(ctx, c, answers_another_);
  }

 private:
  bool answers_another_;
};

}  // namespace

void add_terminal_steps(scenario::KindRegistry& r) {
  r.add<SaleStep>();
  r.add<RefundStep>();
  r.add<AboutTransactionStep>(
      CommandKind::query,
      command_info(CommandKind::query, true, true, "query: {id?}",
                   "ask for a transaction's outcome (ECR QUERY)",
                   {MakeParam("id", ValueType::transaction_id,
                              "transaction id; default: the last transaction")}));
  r.add<RequestStep>(
      CommandKind::last,
      command_info(CommandKind::last, true, true, "last", "ask for the last result (ECR LAST)"),
      true);
  r.add<RequestStep>(CommandKind::reprint,
                     command_info(CommandKind::reprint, true, true, "reprint",
                                  "reprint the last receipt (ECR REPRINT)"),
                     true);
  r.add<AboutTransactionStep>(
      CommandKind::cancel,
      command_info(CommandKind::cancel, true, true, "cancel: {id?}",
                   "cancel a transaction (ECR CANCEL)",
                   {MakeParam("id", ValueType::transaction_id,
                              "transaction id; default: the last transaction")}));
  r.add<RequestStep>(CommandKind::status,
                     command_info(CommandKind::status, false, true, "status",
                                  "ask for the terminal's state (ECR STATUS)"),
                     false);
  r.add<RequestStep>(
      CommandKind::reset,
      command_info(CommandKind::reset, false, true, "reset", "reset the terminal (ECR RESET)"),
      false);
  r.add<RequestStep>(
      CommandKind::login,
      command_info(CommandKind::login, true, true, "login",
                   "operator login (ECR LOGIN): the terminal asks for the operator password (rule "
                   "21)"),
      false);
  r.add<RequestStep>(
      CommandKind::unlock,
      command_info(CommandKind::unlock, true, true, "unlock",
                   "supervisor unlock of a locked terminal (ECR UNLOCK), password on the keypad "
                   "(rule 21)"),
      false);
}

}  // namespace rig::steps
