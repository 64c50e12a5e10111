#!/usr/bin/env bash
# The main job: installs what is missing, builds, then runs the scenario library on the virtual
# bench (two virtual terminals sharing one virtual acquirer) with reports into
# reports/<timestamp>/ and reports/latest. Extra arguments go to `rig run` (e.g. --tag smoke).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/deps.sh"
posrig_install_deps
# Only what this job runs; scripts/test.sh builds the tests and fuzz targets.
posrig_build "${POSRIG_MAIN_TARGETS[@]}"
cd "$root"
"$root/build/rig" ports
exec "$root/build/rig" run scenarios --bench fixtures/benches/virtual.yaml "$@"
