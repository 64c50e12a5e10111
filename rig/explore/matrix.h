// What `rig explore` explores (docs/explore.md): the boundaries of a flow — each ISO 8583
// message and wallet call in each direction, each prompt and event of a clean run, in order —
// and, for each, the faults that fit there; each pair becomes a scenario, written as YAML text
// for the normal loader, so that the text that ran is the reproducer.
//
// Pure functions over a recorded timeline (results.json's form) and over text: unit-tested
// without a bench (tests/unit/test_explore.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace rig::explore {

// A point of a flow where a fault can go: one message or prompt of its clean run.
struct Boundary {
  enum class Kind { host_message, wallet_message, prompt, event };
  Kind kind = Kind::prompt;
  std::string value;      // MTI ("0210"), wallet path ("/micropay"), prompt kind, event name
  std::string direction;  // to_host | to_terminal for messages; "" otherwise
  int occurrence = 1;     // the Nth of its kind, value and direction in the flow

  // File-name-safe id: "0200-to_host", "0210-to_terminal-2", "prompt-PIN", "micropay-to_host".
  std::string id() const;
  // For people: "0200 to_host", "0210 to_terminal #2", "prompt PIN", "/micropay to_host".
  std::string describe() const;
  // The `when:` of a fault fired at it, as a YAML flow mapping:
  // {host_message: {mti: "0210", direction: to_terminal, occurrence: 1}}, {prompt: PIN}.
  std::string trigger() const;
};

// The boundaries of a recorded timeline (results.json "timeline": entries with kind, fields and
// t_ms), from `from_ms` to `to_ms` inclusive: host and wallet messages as the proxy saw them,
// prompts and events of the terminal that name a transaction (`id`), in order, with occurrence
// numbers. Entries of an earlier scenario (`earlier_scenario`) are left out.
std::vector<Boundary> boundaries_of(const nlohmann::json& timeline, double from_ms, double to_ms);

// A transaction explored: how it starts, and a clean transaction of the same kind that shows the
// terminal usable after a fault.
struct Flow {
  std::string name;       // card-sale, qr-sale
  std::string doc;        // one line
  std::string steps;      // YAML step lines of the transaction (each "  - …\n")
  std::string follow_up;  // YAML step lines of the clean transaction after recovery, expect included
  // How long the transaction may take to end under a fault (a profile expression): every
  // wait of the terminal's in a row (host timeout; wallet queries, reverses).
  std::string settle_within;
};
const std::vector<Flow>& flows();
const Flow* find_flow(const std::string& name);

// How a scenario lets the terminal recover from a fault.
enum class Recovery {
  answer,  // the terminal still answers: wait for the flow's RESULT, then clear the fault
  power,   // the terminal is off: let the flow's time pass, restore power, wait for BOOT
  link,    // the ECR link is down: let the flow's time pass, bring the link back, then wait
           // for the flow's RESULT (the terminal goes on without the rig)
};

// A fault injected at a boundary.
struct FaultCase {
  std::string fault;  // catalogue name: network.down, host.delay, power.cut, …
  std::string params;  // "key: value" lines beside the fault (without indent), "" when none
  bool triggered = true;  // armed with when: the boundary; false: armed at once (the acquirer
                          // acts on the next request of the boundary's MTI by itself)
  Recovery recovery = Recovery::answer;
};

// The faults that fit at a boundary, in a fixed order: network.down/blackhole/reset on a
// message, the acquirer's no_response/decline/delay on the first request or answer of an MTI,
// the wallet's on the first call of a path, power.cut and printer.paper_out everywhere, the
// ECR link's no_ack and disconnect at prompts and events. Prompts and events after their first
// occurrence get none (their triggers fire on the first).
std::vector<FaultCase> faults_for(const Boundary& b);

// "0210-to_terminal-power.cut": the id of a run, and the stem of its finding file.
std::string case_id(const Boundary& b, const FaultCase& f);

// One fault at its boundary. A run injects one (depth 1) or two (depth 2): the second in the
// transaction after the first fault's, at a boundary the first left behind.
struct Injection {
  Boundary at;
  FaultCase fault;
};
// "0200-to_host-network.blackhole+0400-to_host-power.cut".
std::string case_id(const std::vector<Injection>& faults);

// The boundaries of `faulted` of a kind the clean run never had — what a fault left behind: a
// stored reversal's 0400 and its 0410, REVERSAL_SENT, a reload prompt — in order.
std::vector<Boundary> brought_about(const std::vector<Boundary>& clean,
                                    const std::vector<Boundary>& faulted);

// `prefix` before every line of `text`, each line ending in a newline.
std::string prefix_lines(const std::string& text, const std::string& prefix);

// The scenario of the clean run of a flow: the transaction and its RESULT.
std::string clean_text(const Flow& flow);
// The scenario of one run: the fault armed at the boundary, the flow, the recovery (the flow's
// RESULT or its time, the fault cleared, power back and BOOT after a cut, LAST), then the flow's
// follow-up transaction, approved.
std::string scenario_text(const Flow& flow, const Boundary& b, const FaultCase& f);
// The same with one transaction of the flow per fault, each with its fault armed just before it
// (its trigger counts from there) and its own recovery and LAST; then the follow-up.
std::string scenario_text(const Flow& flow, const std::vector<Injection>& faults);

}  // namespace rig::explore
