#!/usr/bin/env bash
# The test command: installs what is missing, builds everything, runs every test
# (unit, integration, fuzz smoke, python) through ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/deps.sh"
posrig_install_deps
posrig_build
cd "$root/build"
ctest --output-on-failure --timeout 600 -j "$(nproc)" "$@"
