#!/bin/sh
# Runs every test of a build directory (unit, end-to-end), then the
# time-boxed fuzzers, and prints the total as its last line:
# "N passed, N failed". Exit status is non-zero when anything failed.
set -u
BUILD=${1:-build-check}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The fuzzers' build (clang, another build folder) goes on beside the tests,
# at the lowest priority: it takes the CPU the tests leave (one core while
# the suites that run alone run), so that only the fuzzing is left after.
fpid=
if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  FUZZ_BUILD_ONLY=1 nice -n 19 sh scripts/run-fuzz.sh > "$BUILD/fuzz-build.txt" 2>&1 &
  fpid=$!
fi
meson test -C "$BUILD" --print-errorlogs --no-rebuild
mrc=$?
frc=0
if [ -n "$fpid" ]; then
  wait "$fpid" || cat "$BUILD/fuzz-build.txt"
fi
if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  # 5 s per target here keeps `make check` under 15 minutes; `make fuzz`
  # (FUZZ_SECONDS=…) runs them longer
  FUZZ_SECONDS=${FUZZ_SECONDS:-5} sh scripts/run-fuzz.sh > "$BUILD/fuzz-summary.txt" 2>&1
  frc=$?
  tail -n 20 "$BUILD/fuzz-summary.txt"
fi
python3 scripts/tap-summary.py "$BUILD/meson-logs/testlog.json" "$BUILD/fuzz-summary.txt"
src=$?
[ $mrc -eq 0 ] && [ $frc -eq 0 ] && [ $src -eq 0 ]
