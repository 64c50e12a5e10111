// Steps a person or a robot does at the terminal, through the station's fixtures: card, scan,
// scanner, keys, paper, power. Each needs its bench fault family.
#include "rig/engine/fixtures.h"
#include "rig/steps/step_kind.h"

namespace rig::steps {

namespace {

Param times_param() {
  return MakeParam("times", ValueType::integer,
                   "do it this many times, each after the terminal's next prompt (default 1; "
                   "0: not at all); e.g. \"${profile.stripe_reads} - 1\"")
      .range(0);
}

// Does `act` `times` times (the step's `times`), as a person does who is asked again: each
// repetition waits for the terminal's next PROMPT after the previous one. Returns "" or why it
// stopped (no prompt came).
std::string repeat_at_prompts(engine::StepContext& ctx, const scenario::Step& step,
                              const std::function<void()>& act) {
  const int times = step.args.value("times", 1);
  std::size_t mark = 0;  // the timeline's size when the previous repetition began
  for (int i = 0; i < times; ++i) {
    if (i > 0) {
      // A prompt since the previous repetition began: one that came while it was being done
      // counts (a terminal may answer before the fixture's own reply is back).
      bool asked = ctx.timeline.wait_until(
          [mark](const std::vector<engine::Entry>& es) {
            for (std::size_t j = mark; j < es.size(); ++j) {
              if (es[j].kind == engine::EntryKind::prompt) return true;
            }
            return false;
          },
          engine::Clock::now() + ctx.scaled(std::chrono::milliseconds(10000)));
      if (!asked) {
        return step.loc.to_string() + ": done " + std::to_string(i) + " of " +
               std::to_string(times) + " times; the terminal asked for no more within 10000ms";
      }
    }
    mark = ctx.timeline.size();
    act();
  }
  return "";
}

// card: {insert|swipe|tap: CARD, damage?, failures?, times?} | card: remove
class CardStep : public scenario::StepKind {
 public:
  CardStep()
      : StepKind(
            step_info("card", "card",
                      "card: {insert|swipe|tap: CARD, damage?, failures?, times?} | card: remove",
                      "present a card to the reader, or take it out",
                      {MakeParam("insert", ValueType::card, "insert this card's chip"),
                       MakeParam("swipe", ValueType::card, "swipe this card's stripe"),
                       MakeParam("tap", ValueType::card, "tap this card (contactless)"),
                       MakeParam("damage", ValueType::text, "what is wrong with the card")
                           .choices(scenario::names_of(scenario::card_damages()))
                           .fallback("none"),
                       MakeParam("failures", ValueType::integer,
                                 "chip_intermittent: how many chip reads fail first (default 1)")
                           .range(1),
                       times_param()})) {}

  void parse(scenario::StepReader& r, const YAML::Node&, const YAML::Node& value,
             scenario::Step& step) const override {
    json& args = step.args;
    if (value.IsScalar()) {
      if (value.Scalar() == "remove") {
        args["action"] = "remove";
      } else {
        r.error(value,
                "expected remove or a mapping {insert|swipe|tap: CARD, damage?} for card, got " +
                    describe_value(value));
      }
      return;
    }
    MapReader m(r.yaml(), value, "card");
    if (!m.valid()) return;
    const std::vector<Param>& params = info().params;  // insert swipe tap damage failures times
    std::string first;
    for (std::size_t i = 0; i < 3; ++i) {
      const Param& how = params[i];
      YAML::Node n = m.get(how.name);
      if (!n.IsDefined()) continue;
      if (!first.empty()) {
        r.error(n, "card takes one of: insert, swipe, tap; found '" + first + "' and '" + how.name +
                       "'");
        continue;
      }
      first = how.name;
      json card;
      if (r.read_value(n, how, card, how.name)) {
        args["action"] = how.name;
        args["card"] = card;
      }
    }
    if (first.empty()) r.error(value, "card needs one of: insert, swipe, tap (or card: remove)");
    r.read_params(m, {params[3], params[4], params[5]}, args);
    m.finish();
    if (args.contains("failures") && args.value("damage", "") != "chip_intermittent") {
      r.error(m.get("failures"), "'failures' needs damage chip_intermittent");
    }
  }

  std::vector<scenario::FixtureNeed> fixture_needs(const scenario::Step& step) const override {
    const json& a = step.args;
    const std::string how = a.value("action", "insert");
    if (how == "remove") return {scenario::need_of(step, "card.remove")};
    json params = {{"card", a.value("card", "")}, {"damage", a.value("damage", "none")}};
    if (a.contains("failures")) params["failures"] = a["failures"];
    return {scenario::need_of(step, "card." + how, params)};
  }

  void run(engine::StepContext& ctx, const scenario::Step& step,
           report::StepResult& sr) const override {
    const std::string how = step.args.value("action", "insert");
    sr.summary = how == "remove" ? "card remove" : "card " + how + " " + step.args.value("card", "");
    sr.message = repeat_at_prompts(ctx, step, [&] { act(ctx, *this, step); });
    sr.ok = sr.message.empty();
  }
};

// scan: {code, dirt?, blur?, seed?}
class ScanStep : public scenario::StepKind {
 public:
  ScanStep()
      : StepKind(step_info(
            "scan", "scanner", "scan: {code, dirt?, blur?, seed?, times?}",
            "show a payment code to the scanner",
            {MakeParam("code", ValueType::text,
                       "the code's text (any text: bad codes are test input)")
                 .required(),
             MakeParam("dirt", ValueType::number, "dirt on the code's path, 0 to 1").range(0, 1),
             MakeParam("blur", ValueType::number, "blur of the presentation, 0 to 1").range(0, 1),
             MakeParam("seed", ValueType::integer, "seed of the image damage")
                 .range(0, scenario::kMaxSeed),
             times_param()})) {}

  std::vector<scenario::FixtureNeed> fixture_needs(const scenario::Step& step) const override {
    json present = step.args;
    present.erase("times");  // how often, not what is shown
    return {scenario::need_of(step, "scanner.present", present)};
  }

  void run(engine::StepContext& ctx, const scenario::Step& step,
           report::StepResult& sr) const override {
    sr.summary = "scan";
    sr.message = repeat_at_prompts(ctx, step, [&] { act(ctx, *this, step); });
    sr.ok = sr.message.empty();
  }
};

// A fixture action written as one word: `scanner: clean`, `paper: out`, `power: cut`. The word
// is stored under `key`; the action is "FAMILY.WORD", or `action_of` when given.
class WordStep : public scenario::StepKind {
 public:
  WordStep(StepInfo info, std::string key, std::vector<std::string> words,
           std::function<std::pair<std::string, json>(const std::string&)> action_of)
      : StepKind(std::move(info)),
        key_(std::move(key)),
        words_(std::move(words)),
        action_of_(std::move(action_of)) {}

  void parse(scenario::StepReader& r, const YAML::Node&, const YAML::Node& value,
             scenario::Step& step) const override {
    std::string v;
    if (r.yaml().read_choice(value, words_, name() + " " + key_, v)) step.args[key_] = v;
  }

  std::vector<scenario::FixtureNeed> fixture_needs(const scenario::Step& step) const override {
    auto [action, params] = action_of_(step.args.value(key_, words_.front()));
    return {scenario::need_of(step, action, params)};
  }

  void run(engine::StepContext& ctx, const scenario::Step& step,
           report::StepResult& sr) const override {
    act(ctx, *this, step);
    sr.summary = name() + " " + step.args.value(key_, words_.front());
  }

 private:
  std::string key_;
  std::vector<std::string> words_;
  std::function<std::pair<std::string, json>(const std::string&)> action_of_;
};

// keys: ["1", "2", "ENTER"] or keys: {press: ["1", "2", "ENTER"], times: N}
class KeysStep : public scenario::StepKind {
 public:
  KeysStep()
      : StepKind(step_info("keys", "keypad",
                           "keys: [\"1\", \"2\", \"ENTER\"] or keys: {press: […], times?}",
                           "press keys on the terminal's keypad, in order")) {}

  void parse(scenario::StepReader& r, const YAML::Node&, const YAML::Node& value,
             scenario::Step& step) const override {
    if (value.IsMap()) {
      // keys: {press: [...], times: N}
      MapReader m(r.yaml(), value, "keys");
      YAML::Node press = m.get("press");
      if (!press.IsDefined()) {
        m.missing("press");
      } else {
        read_keys(r, press, step);
      }
      r.read_params(m, {times_param()}, step.args);
      m.finish();
      return;
    }
    read_keys(r, value, step);
  }

  void read_keys(scenario::StepReader& r, const YAML::Node& value, scenario::Step& step) const {
    if (!value.IsSequence()) {
      r.error(value, "expected a list of keys, e.g. [\"1\", \"2\", \"ENTER\"], got " +
                         describe_value(value));
      return;
    }
    if (value.size() == 0) {
      r.error(value, "keys needs at least one key");
      return;
    }
    const auto known = scenario::names_of(scenario::key_names());
    json keys = json::array();
    for (const auto& k : value) {
      std::string key;
      if (!r.yaml().read(k, key)) continue;
      if (key == "${profile.operator_password}" || key == "${profile.supervisor_password}") {
        keys.push_back(key);  // typed digit by digit once the station's profile gives it
        continue;
      }
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        // The digits are listed as a range: thirteen names would drown the message.
        r.error(k, "unknown keypad key '" + key +
                       "' (known: 0-9, ENTER, CANCEL, CLEAR, ${profile.operator_password}, "
                       "${profile.supervisor_password})");
        continue;
      }
      keys.push_back(key);
    }
    step.args["keys"] = keys;
  }

  std::vector<scenario::FixtureNeed> fixture_needs(const scenario::Step& step) const override {
    // A password from the profile arrives resolved as one item of digits: one key each.
    json keys = json::array();
    for (const auto& k : step.args.value("keys", json::array())) {
      const std::string key = k.get<std::string>();
      const bool digits =
          key.size() > 1 && key.find_first_not_of("0123456789") == std::string::npos;
      if (!digits) {
        keys.push_back(key);
        continue;
      }
      for (char c : key) keys.push_back(std::string(1, c));
    }
    return {scenario::need_of(step, "keypad.press", {{"keys", keys}})};
  }

  void run(engine::StepContext& ctx, const scenario::Step& step,
           report::StepResult& sr) const override {
    sr.summary = "keys";
    sr.message = repeat_at_prompts(ctx, step, [&] { act(ctx, *this, step); });
    sr.ok = sr.message.empty();
  }
};

}  // namespace

void act(engine::StepContext& ctx, const scenario::StepKind& kind, const scenario::Step& step) {
  for (const auto& need : kind.fixture_needs(step)) ctx.fixtures.act(need.action, need.params);
}

void add_fixture_steps(scenario::KindRegistry& r) {
  r.add<CardStep>();
  r.add<ScanStep>();
  r.add<WordStep>(step_info("scanner", "scanner", "scanner: clean", "clean the scanner head"),
                  "action", std::vector<std::string>{"clean"}, [](const std::string&) {
                    return std::make_pair(std::string("scanner.clean"), json::object());
                  });
  r.add<KeysStep>();
  r.add<WordStep>(
      step_info("paper", "printer", "paper: ok | low | out", "set the printer's paper sensor"),
      "state", std::vector<std::string>{"ok", "low", "out"}, [](const std::string& state) {
        return std::make_pair(std::string("printer.paper"), json{{"state", state}});
      });
  r.add<WordStep>(
      step_info("power", "power", "power: cut | restore", "cut or restore the terminal's power"),
      "action", std::vector<std::string>{"cut", "restore"},
      [](const std::string& action) { return std::make_pair("power." + action, json::object()); });
}

}  // namespace rig::steps
