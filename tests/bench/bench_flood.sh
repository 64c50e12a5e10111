#!/usr/bin/env bash
# A terminal that floods its ECR link (docs/reliability.md): runs one scenario (a sale, then a
# 60 s wait for its result) against the hostile terminal of tests/integration/data/hostile on a
# real pty, once per kind of flood, and prints how long the rig took to take the station out,
# its peak RSS, the size of results.json and the verdict. Run by hand after a build:
#   bash tests/bench/bench_flood.sh [build-dir]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
data=$root/tests/integration/data/hostile
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '%-8s %8s %10s %14s  %s\n' flood "wall s" "peak RSS" "results.json" "verdict"
for flood in acks random frames; do
  out=$work/$flood
  /usr/bin/time -f '%e %M' -o "$work/time" \
    "$build/rig" run "$data/wait-result.yaml" --bench "$data/hostile.yaml" --var "flood=$flood" \
    --out "$out" >"$work/log" 2>&1 || true
  read -r wall rss < <(tail -n 1 "$work/time")
  size=$(stat -c %s "$out/results.json")
  verdict=$(/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["scenarios"][0]
print(s["status"] + ": " + s["message"][:110])' "$out/results.json")
  printf '%-8s %8s %7d MB %11d kB  %s\n' "$flood" "$wall" $((rss / 1024)) $((size / 1024)) "$verdict"
done
