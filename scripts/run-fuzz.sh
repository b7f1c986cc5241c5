#!/bin/sh
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for
# FUZZ_SECONDS (default 15) over its seed corpus. Prints one line per
# target: "fuzz NAME: ok" or "fuzz NAME: FAILED". New inputs found go to
# build-fuzz/corpus-NAME, never into the checked-in seeds. With
# FUZZ_BUILD_ONLY=1 it only builds them (run-tests.sh does that beside the
# tests).
set -u
SECS=${FUZZ_SECONDS:-15}
DIR=build-fuzz
if [ ! -f "$DIR/build.ninja" ]; then
  CC=clang meson setup "$DIR" --buildtype=debug -Dfuzz=true -Dtests=false \
    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null || exit 1
fi
ninja -C "$DIR" >/dev/null || { echo "fuzz build: FAILED"; exit 1; }
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && exit 0
# run_one NAME: runs one target; writes its verdict line to $DIR/verdict-NAME
run_one() {
  t=$1
  exe="$DIR/fuzz/fuzz_$t"
  out="$DIR/verdict-$t"
  [ -x "$exe" ] || { echo "fuzz $t: FAILED (not built)" >"$out"; return; }
  work="$DIR/corpus-$t"
  mkdir -p "$work"
  dict=""
  for d in fuzz/$t.dict fuzz/http.dict; do
    [ -f "$d" ] && { dict="-dict=$d"; break; }
  done
  if "$exe" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 $dict \
      -artifact_prefix="$DIR/crash-$t-" "$work" "fuzz/corpus/$t" > "$DIR/fuzz-$t.log" 2>&1; then
    echo "fuzz $t: ok ($(grep -c . "$DIR/fuzz-$t.log") log lines)" >"$out"
  else
    { echo "fuzz $t: FAILED (see $DIR/fuzz-$t.log)"; tail -n 30 "$DIR/fuzz-$t.log"; } >"$out"
  fi
}

# As many targets at once as there are CPUs (each still gets SECS of its
# own); the verdicts are printed in the list's order.
TARGETS="router query model listq text import calendar rights inspect xmp mail tpl jtext csv xlsx amx"
JOBS=$(nproc 2>/dev/null || echo 1)
n=0
for t in $TARGETS; do
  run_one "$t" &
  n=$((n + 1))
  if [ "$n" -ge "$JOBS" ]; then
    wait
    n=0
  fi
done
wait
rc=0
for t in $TARGETS; do
  cat "$DIR/verdict-$t"
  grep -q "^fuzz $t: ok" "$DIR/verdict-$t" || rc=1
done
exit $rc
