#include "rig/engine/timeline.h"

#include <cmath>

namespace rig::engine {

const char* to_string(EntryKind kind) {
  switch (kind) {
    case EntryKind::step: return "step";
    case EntryKind::ecr_out: return "ecr_out";
    case EntryKind::ecr_in: return "ecr_in";
    case EntryKind::result: return "result";
    case EntryKind::event: return "event";
    case EntryKind::prompt: return "prompt";
    case EntryKind::display: return "display";
    case EntryKind::receipt: return "receipt";
    case EntryKind::status: return "status";
    case EntryKind::host_message: return "host_message";
    case EntryKind::wallet_message: return "wallet_message";
    case EntryKind::fault_applied: return "fault_applied";
    case EntryKind::fault_cleared: return "fault_cleared";
    case EntryKind::fixture: return "fixture";
    case EntryKind::note: return "note";
    case EntryKind::infra: return "infra";
  }
  return "?";
}

Timeline::Timeline() : start_(Clock::now()) {}

std::size_t Timeline::add(EntryKind kind, nlohmann::json fields) {
  return add_at(Clock::now(), kind, std::move(fields));
}

std::size_t Timeline::add_at(Clock::time_point at, EntryKind kind, nlohmann::json fields) {
  Entry copy;
  std::vector<std::function<void(const Entry&)>> observers;
  {
    std::lock_guard<std::mutex> lock(mu_);
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
