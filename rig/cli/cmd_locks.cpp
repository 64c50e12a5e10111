// `rig locks`: the station locks of a lock folder — who holds each (pid, host, user, since).
// Locks left by runs that are gone are removed first, each said in one line.
#include <iostream>
#include <nlohmann/json.hpp>

#include "rig/bench/bench.h"
#include "rig/bench/station_lock.h"
#include "rig/cli/commands.h"
#include "rig/engine/run_folder.h"

namespace rig::cli {

void add_locks_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("locks", "Show who holds the station locks");
  static std::string bench_file, dir;
  static bool as_json = false;
  cmd->add_option("--bench", bench_file, "Bench file: its lock_dir");
  cmd->add_option("--dir", dir, "Lock folder (default: $POSRIG_LOCK_DIR or /tmp/posrig-locks)");
  cmd->add_flag("--json", as_json, "One JSON document");
  cmd->callback([&exit_code] {
    std::string folder = dir;
    if (folder.empty() && !bench_file.empty()) {
      try {
        folder = bench::load_bench(bench_file).lock_dir;
      } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        exit_code = kUsage;
        return;
      }
    }
    if (folder.empty()) folder = bench::default_lock_dir();
    const std::vector<std::string> removed =
        engine::clean_after_dead_runs(folder, /*run_folders=*/false);
    std::vector<bench::LockInfo> locks = bench::list_locks(folder);
    if (as_json) {
      nlohmann::json out = {
          {"dir", folder}, {"removed", removed}, {"locks", nlohmann::json::array()}};
      for (const auto& l : locks) {
        const auto& h = l.holder;
        out["locks"].push_back({{"file", l.file},
                                {"held", l.held},
                                {"pid", h.pid},
                                {"host", h.host},
                                {"user", h.user},
                                {"since", h.since},
                                {"bench", h.bench},
                                {"station", h.station},
                                {"device", h.device}});
      }
      std::cout << out.dump(2) << "\n";
      exit_code = kPassed;
      return;
    }
    for (const auto& line : removed) std::cout << line << "\n";
    if (locks.empty()) {
      std::cout << "no station locks in " << folder << "\n";
    } else {
      std::cout << "station locks in " << folder << ":\n";
      for (const auto& l : locks) {
        const auto& h = l.holder;
        std::cout << "  " << (h.station.empty() ? "?" : h.station) << " (bench "
                  << (h.bench.empty() ? "?" : h.bench) << ", " << h.device
                  << "): " << (l.held ? "held by " : "free, left by ") << h.describe()
                  << (l.held ? "" : " (gone; the next run takes it over)") << "\n";
      }
    }
    exit_code = kPassed;
  });
}

}  // namespace rig::cli
