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
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
    -DPython3_EXECUTABLE=/usr/bin/python3 -DPOSRIG_WERROR=ON
  local targets=()
  if [ $# -gt 0 ]; then
    targets=(--target "$@")
  fi
  cmake --build "$root/build" -j "$(nproc)" "${targets[@]}"
}

# What the main job runs: the rig command and the virtual bench's simulators. Not the Python
# module (posrig_native): the main job runs no Python, and the module is the costliest target to
# compile (scripts/test.sh builds it, or `cmake --build build --target posrig_native`).
POSRIG_MAIN_TARGETS=(rig-cli vterm vhost)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  posrig_install_deps
fi
