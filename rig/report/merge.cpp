#include "rig/report/merge.h"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace rig::report {

namespace {

std::string pairs_text(const std::map<std::string, std::string>& m) {
  std::string out;
  for (const auto& [k, v] : m) out += (out.empty() ? "" : " ") + k + "=" + v;
  return out.empty() ? "none" : out;
}

}  // namespace

RunResult merge(const std::vector<RunResult>& runs, const std::vector<std::string>& names) {
  if (runs.empty()) throw std::runtime_error("nothing to merge");
  auto name = [&](std::size_t i) {
    return i < names.size() ? names[i] : "input " + std::to_string(i + 1);
  };
  for (std::size_t i = 0; i < runs.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (!runs[i].run_id.empty() && runs[i].run_id == runs[j].run_id) {
        throw std::runtime_error(name(j) + " and " + name(i) + " are the same run (run_id " +
                                 runs[i].run_id +
                                 "): merging a run with itself would count its scenarios twice");
      }
    }
    if (runs[i].bench_name != runs[0].bench_name) {
      throw std::runtime_error("cannot merge runs of bench '" + runs[i].bench_name + "' (" +
                               name(i) + ") and '" + runs[0].bench_name + "' (" + name(0) + ")");
    }
    if (runs[i].overrides != runs[0].overrides) {
      throw std::runtime_error("cannot merge runs with different --var settings: " + name(0) +
                               " has " + pairs_text(runs[0].overrides) + ", " + name(i) + " has " +
                               pairs_text(runs[i].overrides));
    }
  }

  // Later runs supersede earlier ones: go through the runs by start time.
  std::vector<std::size_t> order(runs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return runs[a].started_at < runs[b].started_at;
  });

  RunResult out = runs[order.front()];
  out.scenarios.clear();
  out.loader = nullptr;
  out.shard.clear();
  out.rerun_of.clear();
  out.merged_from.clear();
  out.stations.clear();
  out.interrupted = false;
  out.incomplete = false;
  out.ended_at.clear();
  std::map<std::pair<std::string, int>, ScenarioResult> by_key;
  std::map<std::string, StationInfo> stations;
  for (std::size_t i : order) {
    const RunResult& r = runs[i];
    out.merged_from.push_back(r.run_id);
    out.started_at = std::min(out.started_at, r.started_at);
    out.ended_at = std::max(out.ended_at, r.ended_at);
    out.interrupted = out.interrupted || r.interrupted;
    out.incomplete = out.incomplete || r.incomplete;
    if (out.bench_error.empty()) out.bench_error = r.bench_error;
    // One seed for the merged run only when every part ran with it; each part's results keep
    // its own.
    if (r.seed != out.seed) out.seed.clear();
    out.shuffle = out.shuffle || r.shuffle;
    for (const auto& st : r.stations) {
      // A station that came up in any run is not reported down.
      auto [it, fresh] = stations.emplace(st.name, st);
      if (!fresh && st.error.empty()) it->second = st;
    }
    for (std::size_t k = 0; k < r.scenarios.size(); ++k) {
      ScenarioResult s = r.detail(k);
      if (s.run_id.empty()) s.run_id = r.run_id;
      by_key[{s.id, s.attempt}] = std::move(s);  // a later run's attempt supersedes
    }
  }
  for (auto& [name, st] : stations) out.stations.push_back(std::move(st));
  for (auto& [key, s] : by_key) out.scenarios.push_back(std::move(s));
  out.run_id = "merge-" + out.merged_from.front();
  // Wall time of the merged runs: from the first start to the last end (they ran in parallel).
  out.duration_ms = 0;
  for (const auto& r : runs) out.duration_ms = std::max(out.duration_ms, r.duration_ms);
  out.judge();
  return out;
}

}  // namespace rig::report
