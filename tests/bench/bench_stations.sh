#!/usr/bin/env bash
# Controller scaling and memory: runs the same card sale 16 times on virtual benches of 1, 2, 4
# and 8 stations and prints wall time and the controller's peak RSS (DESIGN: <= 20 MB with 8
# stations; stations run in parallel and scale). Run by hand after a build:
#   bash tests/bench/bench_stations.sh [build-dir]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_bench() {  # make_bench N FILE
  local n=$1 file=$2
  {
    echo "name: virtual-$n"
    echo "time_scale: 0.05"
    echo "cards: $root/fixtures/cards"
    echo "services:"
    echo "  vhost:"
    echo "    argv: [\"\${rig_dir}/vhost\", \"--iso\", \"127.0.0.1:0\", \"--wallet\", \"127.0.0.1:0\", \"--admin\", \"127.0.0.1:0\", \"--db\", \"\${run_dir}/ledger.sqlite\", \"--cards\", \"\${cards}\", \"--time-scale\", \"\${time_scale}\"]"
    echo "stations:"
    for i in $(seq 1 "$n"); do
      local tid
      tid=$(printf 'RIG%05d' "$i")
      cat <<STATION
  - name: lane$i
    terminal:
      link: "pty:\${run_dir}/lane$i.ecr"
      tid: "$tid"
      mid: "POSRIG000000001"
      launch:
        argv: ["\${rig_dir}/vterm", "--ecr-link", "\${run_dir}/lane$i.ecr", "--host", "\${network.iso}", "--wallet", "http://\${network.wallet}", "--control", "127.0.0.1:0", "--tid", "$tid", "--mid", "POSRIG000000001", "--state", "\${run_dir}/lane$i-flash", "--time-scale", "\${time_scale}", "--cards", "\${cards}"]
    host: {iso: "\${vhost.iso}", wallet: "\${vhost.wallet}", admin: "\${vhost.admin}"}
    network: {driver: proxy}
    card: {driver: vterm}
    keypad: {driver: vterm}
    printer: {driver: vterm}
    power: {driver: vterm}
    scanner: {driver: vterm}
    acquirer: {driver: vhost}
STATION
    done
  } > "$file"
}

scenario=$root/tests/integration/data/engine/parallel-a.yaml
printf '%-10s %10s %14s\n' stations "wall s" "peak RSS MB"
for n in 1 2 4 8; do
  make_bench "$n" "$work/bench-$n.yaml"
  start=$(date +%s.%N)
  out=$("$build/rig" run "$scenario" --bench "$work/bench-$n.yaml" --repeat 16 --out "$work/out-$n" 2>&1) || {
    echo "$out"; exit 1; }
  end=$(date +%s.%N)
  rss=$(echo "$out" | sed -n 's/.*controller peak RSS \([0-9]*\) MB.*/\1/p')
  printf '%-10s %10.2f %14s\n' "$n" "$(awk -v a="$start" -v b="$end" 'BEGIN{print b-a}')" "$rss"
done
