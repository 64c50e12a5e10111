#!/usr/bin/env bash
# Installs the Debian packages posrig needs, and only those that are missing.
# Sourced by scripts/main.sh and scripts/test.sh; safe to run again.
set -euo pipefail

POSRIG_PACKAGES=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  libserialport-dev
  libboost-dev libboost-filesystem-dev libboost-system-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev
  libsqlite3-dev libqrencode-dev libzbar-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  pybind11-dev python3-pybind11 python3-pytest python3-pytest-xdist python3-serial python3-dev
  python3-yaml   # docs/ci.md's pipeline read by tests/cli/test_ci_docs.py
  socat iproute2
  ser2net        # RFC 2217 server: rfc2217:// links tested against it (fixtures/sim/ser2net_serve.py)
  file dpkg-dev  # cpack -G DEB (dpkg-shlibdeps), tests/cli/test_install.py
  libxml2-utils  # xmllint: junit.xml checked against the xunit schema (tests)
  chromium       # report.html and the code display's page loaded headless (tests/integration)
  zbar-tools     # zbarimg: the code display's screenshot decoded (test_vterm_code_display.cpp)
  time           # /usr/bin/time: peak RSS in tests/bench/bench_flood.sh
  llvm           # llvm-symbolizer: file:line in the sanitizer builds' reports (scripts/test.sh)
)

posrig_install_deps() {
  local missing=()
  local pkg
  for pkg in "${POSRIG_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "posrig: installing missing Debian packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Configures and builds into build/ (optimised, warnings as errors). With arguments, builds
# only those targets (the main job: what it runs); without, everything (tests, fuzz targets,
# benchmarks too). -O2 without debug info: debug info made a third of the compile CPU (rig-cli,
# vterm and vhost cold: 576 CPU-s with -g, 386 without); configure a build of your own with
# -DCMAKE_BUILD_TYPE=RelWithDebInfo to debug.
posrig_build() {
  posrig_configure_and_build build -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -- "$@"
}

# A sanitizer build (docs/reliability.md "Sanitizers"): clang, every target instrumented with
# SANITIZERS (address,undefined or thread), -O1 with line tables for the reports, assertions on.
#   posrig_build_sanitized build-asan address,undefined [targets…]
posrig_build_sanitized() {
  local dir=$1 sanitizers=$2
  shift 2
  posrig_configure_and_build "$dir" -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" -DPOSRIG_SANITIZE="$sanitizers" -- "$@"
}

# posrig_configure_and_build DIR [cmake options…] -- [targets…]: configures DIR (under the
# repository) with the options every build shares plus these, then builds the targets (all
# without any).
posrig_configure_and_build() {
  local root dir=$1
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  shift
  local options=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    options+=("$1")
    shift
  done
  [ $# -gt 0 ] && shift
  cmake -S "$root" -B "$root/$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DPython3_EXECUTABLE=/usr/bin/python3 -DPOSRIG_WERROR=ON "${options[@]}"
  local targets=()
  if [ $# -gt 0 ]; then
    targets=(--target "$@")
  fi
  cmake --build "$root/$dir" -j "$(nproc)" "${targets[@]}"
}

# What the main job runs: the rig command and the virtual bench's simulators. Not the Python
# module (posrig_native): the main job runs no Python, and the module is the costliest target to
# compile (scripts/test.sh builds it, or `cmake --build build --target posrig_native`).
POSRIG_MAIN_TARGETS=(rig-cli vterm vhost)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  posrig_install_deps
fi
