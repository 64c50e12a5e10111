#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test through ctest, in three
# stages (docs/reliability.md "Sanitizers"), each stopping the command when it fails:
#   main  build/:      everything (unit, integration, protocol fuzzers, Python, CLI, matrix);
#   asan  build-asan/: the unit and integration tests and the loader fuzzers, every program built
#                      with clang's AddressSanitizer and UndefinedBehaviorSanitizer;
#   tsan  build-tsan/: the link, proxy and engine tests built with ThreadSanitizer.
# POSRIG_STAGES picks stages (default "main asan tsan"). Arguments go to every stage's ctest
# (e.g. -R Link).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/deps.sh"
posrig_install_deps
stages=${POSRIG_STAGES:-main asan tsan}

# The programs of the TSan stage: those with threads of their own talking to each other (links
# and their readers, the fault proxy, the engine's stations).
TSAN_PROGRAMS=(unit_test_link_pty unit_test_link_rfc2217 unit_test_link_serial unit_test_link_tcp
  unit_test_ecr_link unit_test_zvt_link unit_test_proxy
  integration_test_engine integration_test_engine_drivers)

# Runs ctest in build folder DIR with the sanitizer options of that stage; every process of the
# tests (also vterm, vhost and rig started by them) writes its sanitizer report to
# DIR/sanitizer-logs/, so a report from a process whose output a test does not show still fails
# the stage: its reports are printed and the stage fails.
#   run_sanitized DIR [ctest arguments…]
run_sanitized() {
  local dir=$root/$1
  shift
  local logs=$dir/sanitizer-logs
  rm -rf "$logs"
  mkdir -p "$logs"
  local common="log_path=$logs/report:log_exe_name=1"
  local status=0
  (
    cd "$dir"
    ASAN_OPTIONS="$common:detect_leaks=1" \
    UBSAN_OPTIONS="$common:print_stacktrace=1" \
    TSAN_OPTIONS="$common:second_deadlock_stack=1:suppressions=$root/tests/sanitizers/tsan.supp" \
      ctest --output-on-failure --timeout 600 -j "$(nproc)" "$@"
  ) || status=$?
  local reports
  reports=$(find "$logs" -type f | sort)
  if [ -n "$reports" ]; then
    echo "posrig: sanitizer reports in $logs:"
    local report
    for report in $reports; do
      echo "==== $report"
      cat "$report"
    done
    status=1
  fi
  return "$status"
}

for stage in $stages; do
  echo "posrig: test stage $stage ($(date -u +%H:%M:%S))"
  case $stage in
    main)
      posrig_build
      (cd "$root/build" && ctest --output-on-failure --timeout 600 -j "$(nproc)" "$@")
      ;;
    asan)
      posrig_build_sanitized build-asan address,undefined
      run_sanitized build-asan -L '^(unit|integration|fuzz)$' "$@"
      ;;
    tsan)
      posrig_build_sanitized build-tsan thread "${TSAN_PROGRAMS[@]}"
      # The tests of the programs built: an unbuilt one has only an unlabelled _NOT_BUILT test.
      run_sanitized build-tsan -L '^(unit|integration)$' "$@"
      ;;
    *)
      echo "posrig: unknown test stage '$stage' (known: main asan tsan)" >&2
      exit 2
      ;;
  esac
done
