#!/usr/bin/env bash
# The library on a busy machine (issue 13: "no scenario may fail because a 2-core machine is
# busy"): starts CPU hogs (busy shell loops, 2 per core by default), runs the whole scenario
# library on the virtual bench ROUNDS times, each with another shuffle seed, and prints each
# round's result, its wall time and the load average. Exits 1 if any scenario of any round did
# not pass. Run by hand after a build:
#   bash tests/bench/bench_load.sh [ROUNDS] [HOGS] [build-dir]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-3}
hogs=${2:-$((2 * $(nproc)))}
build=${3:-$root/build}
work=$(mktemp -d)
hog_pids=()
cleanup() {
  for pid in "${hog_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 "$hogs"); do
  (while :; do :; done) &
  hog_pids+=($!)
done
echo "bench_load: $hogs CPU hogs on $(nproc) cores; $rounds rounds of the library (virtual.yaml)"
printf '%-6s %-8s %-10s %-8s %s\n' round seed "wall s" load1 result
failed=0
for round in $(seq 1 "$rounds"); do
  seed=$((20261200 + round))
  start=$(date +%s.%N)
  rc=0
  "$build/rig" run "$root/scenarios" --bench "$root/fixtures/benches/virtual.yaml" \
    --shuffle --seed "$seed" --out "$work/r$round" > "$work/r$round.log" 2>&1 || rc=$?
  wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  load=$(cut -d' ' -f1 /proc/loadavg)
  summary=$(grep -E '^[0-9]+ scenario\(s\):' "$work/r$round.log" | head -1 | cut -d' ' -f1-10)
  printf '%-6s %-8s %-10.1f %-8s %s\n' "$round" "$seed" "$wall" "$load" "${summary:-rig exit $rc}"
  if [ "$rc" -ne 0 ]; then
    failed=1
    grep -E '^\[.*(FAIL|ERROR)' "$work/r$round.log" | sed 's/^/    /' || true
  fi
done
exit "$failed"
