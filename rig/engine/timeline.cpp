#include "rig/engine/timeline.h"

#include "rig/protocol/redact.h"

#include <cmath>
#include <cstdio>

namespace rig::engine {

std::string thousands(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

namespace {

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::round(std::chrono::duration<double, std::milli>(to - from).count() * 10.0) / 10.0;
}

// About how much memory the fields take: string bytes plus a node's overhead each.
std::size_t approx_size(const nlohmann::json& j) {
  constexpr std::size_t kNode = 32;
  switch (j.type()) {
    case nlohmann::json::value_t::string:
      return kNode + j.get_ref<const std::string&>().size();
    case nlohmann::json::value_t::object: {
      std::size_t n = kNode;
      for (const auto& [k, v] : j.items()) n += k.size() + approx_size(v);
      return n;
    }
    case nlohmann::json::value_t::array: {
      std::size_t n = kNode;
      for (const auto& v : j) n += approx_size(v);
      return n;
    }
    default:
      return kNode;
  }
}

// What the terminal itself said on its ECR link (a full PAN there is the terminal's defect).
bool from_terminal(EntryKind kind) {
  switch (kind) {
    case EntryKind::ecr_in:
    case EntryKind::result:
    case EntryKind::event:
    case EntryKind::prompt:
    case EntryKind::display:
    case EntryKind::receipt:
    case EntryKind::status:
      return true;
    default:
      return false;
  }
}

bool is_wire(EntryKind kind) { return kind == EntryKind::ecr_in || kind == EntryKind::ecr_out; }

// Bytes a wire record stood for on the wire: noise its count, ACK/NAK one, frames their
// payload with STX, ETX and LRC.
std::uint64_t wire_bytes(const nlohmann::json& fields) {
  if (!fields.is_object()) return 0;
  const std::string kind = fields.value("kind", "");
  if (kind == "noise") return fields.value("bytes", std::uint64_t{0});
  if (kind == "ack" || kind == "nak") return 1;
  auto it = fields.find("payload");
  return it != fields.end() && it->is_string() ? it->get_ref<const std::string&>().size() + 3 : 0;
}

std::string label_of(EntryKind kind, const nlohmann::json& fields) {
  std::string label = to_string(kind);
  if (is_wire(kind) && fields.is_object()) {
    auto it = fields.find("kind");
    if (it != fields.end() && it->is_string()) label += " " + it->get<std::string>();
  }
  return label;
}

}  // namespace

const char* to_string(EntryKind kind) {
  switch (kind) {
    case EntryKind::step:
      return "step";
    case EntryKind::ecr_out:
      return "ecr_out";
    case EntryKind::ecr_in:
      return "ecr_in";
    case EntryKind::result:
      return "result";
    case EntryKind::event:
      return "event";
    case EntryKind::prompt:
      return "prompt";
    case EntryKind::display:
      return "display";
    case EntryKind::receipt:
      return "receipt";
    case EntryKind::status:
      return "status";
    case EntryKind::host_message:
      return "host_message";
    case EntryKind::wallet_message:
      return "wallet_message";
    case EntryKind::fault_applied:
      return "fault_applied";
    case EntryKind::fault_cleared:
      return "fault_cleared";
    case EntryKind::fixture:
      return "fixture";
    case EntryKind::note:
      return "note";
    case EntryKind::infra:
      return "infra";
  }
  return "?";
}

Timeline::Timeline(TimelineLimits limits) : limits_(limits), start_(Clock::now()) {}

std::size_t Timeline::add(EntryKind kind, nlohmann::json fields) {
  return add_at(Clock::now(), kind, std::move(fields));
}

std::size_t Timeline::add_at(Clock::time_point at, EntryKind kind, nlohmann::json fields) {
  // Card data and secrets never reach what the timeline keeps (docs/reliability.md).
  protocol::Redacted found;
  protocol::redact(fields, &found);
  if ((found.pans > 0 || found.tracks > 0) && from_terminal(kind) && fields.is_object()) {
    fields["rig_masked"] = {{"pans", found.pans}, {"tracks", found.tracks}};
  }
  Entry copy;
  std::vector<std::function<void(const Entry&)>> observers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const bool wire = is_wire(kind);
    const std::size_t size = approx_size(fields);
    std::string label = label_of(kind, fields);
    Kept& kept = kept_[label];
    if (kept.entries >= limits_.entries || kept.bytes + size > limits_.bytes) {
      // Over its label's cap: counted, not kept, nobody woken.
      std::size_t i = 0;
      while (i < dropped_.size() && dropped_[i].label != label) ++i;
      if (i == dropped_.size()) {
        Dropped d;
        d.label = std::move(label);
        d.first = at;
        dropped_.push_back(std::move(d));
        // The note standing for them (one per label) is kept beyond the caps.
        Entry note;
        note.index = entries_.size();
        note.at = at;
        note.kind = EntryKind::note;
        dropped_note_.push_back(note.index);
        entries_.push_back(std::move(note));
      }
      Dropped& d = dropped_[i];
      ++d.entries;
      d.bytes += wire ? wire_bytes(fields) : size;
      d.last = at;
      entries_[dropped_note_[i]].fields = dropped_fields(d);
      return entries_.size();
    }
    ++kept.entries;
    kept.bytes += size;
    Entry e;
    e.index = entries_.size();
    e.at = at;
    e.kind = kind;
    e.fields = std::move(fields);
    entries_.push_back(std::move(e));
    copy = entries_.back();
    observers = observers_;
  }
  cv_.notify_all();
  for (const auto& o : observers) o(copy);
  return copy.index;
}

nlohmann::json Timeline::dropped_fields(const Dropped& d) const {
  const bool noise = d.label.size() > 6 && d.label.compare(d.label.size() - 6, 6, " noise") == 0;
  const bool wire = d.label.rfind("ecr_", 0) == 0;
  std::string what = noise ? thousands(d.bytes) + " noise bytes in " + thousands(d.entries) + " " +
                                 d.label + " entries"
                     : wire ? thousands(d.entries) + " " + d.label + " entries (" +
                                  thousands(d.bytes) + " bytes on the wire)"
                            : thousands(d.entries) + " " + d.label + " entries (" +
                                  thousands(d.bytes) + " bytes of fields)";
  char first[32], last[32];
  // Signed: entries read before the scenario started (a flood under way) come before 0.
  std::snprintf(first, sizeof first, "%+.1f", ms_between(start_, d.first));
  std::snprintf(last, sizeof last, "%+.1f", ms_between(start_, d.last));
  return {{"text", "timeline cap: " + what + " not kept, first at " + first + " ms, last at " +
                       last + " ms"},
          {"dropped",
           {{"label", d.label},
            {"entries", d.entries},
            {"bytes", d.bytes},
            {"first_t_ms", ms_between(start_, d.first)},
            {"last_t_ms", ms_between(start_, d.last)}}}};
}

std::vector<Dropped> Timeline::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

std::size_t Timeline::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

std::vector<Entry> Timeline::snapshot(std::size_t from) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (from >= entries_.size()) return {};
  return std::vector<Entry>(entries_.begin() + static_cast<std::ptrdiff_t>(from), entries_.end());
}

bool Timeline::wait_until(const std::function<bool(const std::vector<Entry>&)>& ready,
                          Clock::time_point deadline) const {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (ready(entries_)) return true;
    if (interrupted_) return false;
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) return ready(entries_);
  }
}

void Timeline::interrupt() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    interrupted_ = true;
  }
  cv_.notify_all();
}

void Timeline::resume() {
  std::lock_guard<std::mutex> lock(mu_);
  interrupted_ = false;
}

bool Timeline::interrupted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return interrupted_;
}

void Timeline::observe(std::function<void(const Entry&)> observer) {
  std::lock_guard<std::mutex> lock(mu_);
  observers_.push_back(std::move(observer));
}

nlohmann::json Timeline::to_json(std::size_t from) const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : snapshot(from)) {
    double ms = std::chrono::duration<double, std::milli>(e.at - start_).count();
    out.push_back({{"t_ms", std::round(ms * 1000.0) / 1000.0},
                   {"kind", to_string(e.kind)},
                   {"fields", e.fields}});
  }
  return out;
}

}  // namespace rig::engine
