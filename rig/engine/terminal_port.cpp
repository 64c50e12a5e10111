#include "rig/engine/terminal_port.h"

#include <atomic>

#include "rig/engine/judge.h"
#include "rig/engine/runner.h"
#include "rig/engine/station.h"

namespace rig::engine {

using nlohmann::json;

TerminalPort::TerminalPort(Station& station, const RunnerOptions& options, Timeline& timeline)
    : st_(station), opt_(options), tl_(timeline) {
  // Base 36 keeps NAME_TAG within the id limit (32) for names of up to 20 characters.
  static std::atomic<unsigned> sessions{0};
  unsigned n = ++sessions;
  std::string count;
  do {
    count.insert(count.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[n % 36]);
    n /= 36;
  } while (n > 0);
  scope_tag_ = opt_.run_tag.substr(0, 6) + count;
}

std::string TerminalPort::new_id() {
  // Counted per station, not per scenario: a terminal remembers the ids it has seen (rule 19),
  // so an id made up for one scenario must never come back in a later one.
  std::string id =
      opt_.run_tag + "-" + st_.name() + "-" + std::to_string(st_.next_transaction_number());
  if (id.size() > terminal::kMaxIdLength) id = id.substr(id.size() - terminal::kMaxIdLength);
  return id;
}

std::string TerminalPort::scoped(const std::string& name) const {
  return opt_.scope_ids ? name + "_" + scope_tag_ : name;
}

void TerminalPort::send(const terminal::Command& c) {
  if (c.kind == terminal::CommandKind::sale || c.kind == terminal::CommandKind::refund) {
    // What the rig asked for, whatever the driver makes of it: the evidence checks hold the
    // terminal's answers and the host's ledger against it.
    json note = {
        {"id", c.id}, {"amount", c.amount}, {"currency", c.currency}, {"method", c.method}};
    if (!c.original_id.empty()) note["orig_id"] = c.original_id;
    note["text"] = std::string("sent ") + terminal::to_string(c.kind) + " " + fields_text(note);
    note["command"] = terminal::to_string(c.kind);
    tl_.add(EntryKind::note, std::move(note));
  }
  link::Status s = st_.terminal().send(c, link::after(std::chrono::seconds(10)));
  if (!s) {
    throw InfrastructureError(std::string("terminal did not take the ") +
                              terminal::to_string(c.kind) + " command: " + s.message);
  }
}

void TerminalPort::start(const terminal::Command& c, bool any_id) {
  txn_.start = tl_.size();
  txn_.id = c.id;
  txn_.any_id = any_id;
  send(c);
}

bool TerminalPort::can(terminal::CommandKind kind) const {
  return st_.terminal().capabilities().commands.count(kind) > 0;
}

json TerminalPort::ask_status(terminal::CommandKind kind, Clock::time_point deadline) {
  terminal::Command c;
  c.kind = kind;
  c.id = new_id();
  const std::size_t from = tl_.size();
  send(c);
  return wait_entry(EntryKind::status, {{"id", c.id}}, from, deadline);
}

json TerminalPort::wait_entry(EntryKind kind, const json& match, std::size_t from,
                              Clock::time_point deadline) const {
  json found;
  tl_.wait_until(
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

}  // namespace rig::engine
