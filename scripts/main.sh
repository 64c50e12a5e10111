#!/usr/bin/env bash
# The main job: installs what is missing, builds, then runs the seed scenario suite on the
# virtual bench with reports into reports/.
# Until the scenario engine lands (issue 4) it lists the serial ports and runs the self-check.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/deps.sh"
posrig_install_deps
posrig_build
"$root/build/rig" ports
"$root/build/rig" selfcheck --out "$root/reports"
