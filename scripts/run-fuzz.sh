#!/bin/sh
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for
# FUZZ_SECONDS (default 15) over its seed corpus. Prints one line per
# target: "fuzz NAME: ok" or "fuzz NAME: FAILED". New inputs found go to
# build-fuzz/corpus-NAME, never into the checked-in seeds.
set -u
SECS=${FUZZ_SECONDS:-15}
DIR=build-fuzz
if [ ! -f "$DIR/build.ninja" ]; then
  CC=clang meson setup "$DIR" --buildtype=debug -Dfuzz=true -Dtests=false \
    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null || exit 1
fi
ninja -C "$DIR" >/dev/null || { echo "fuzz build: FAILED"; exit 1; }
rc=0
for t in router query model listq text import calendar rights inspect xmp mail tpl; do
  exe="$DIR/fuzz/fuzz_$t"
  [ -x "$exe" ] || { echo "fuzz $t: FAILED (not built)"; rc=1; continue; }
  work="$DIR/corpus-$t"
  mkdir -p "$work"
  dict=""
  for d in fuzz/$t.dict fuzz/http.dict; do
    [ -f "$d" ] && { dict="-dict=$d"; break; }
  done
  if "$exe" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 $dict \
      -artifact_prefix="$DIR/crash-$t-" "$work" "fuzz/corpus/$t" > "$DIR/fuzz-$t.log" 2>&1; then
    echo "fuzz $t: ok ($(grep -c . "$DIR/fuzz-$t.log") log lines)"
  else
    echo "fuzz $t: FAILED (see $DIR/fuzz-$t.log)"
    tail -n 30 "$DIR/fuzz-$t.log"
    rc=1
  fi
done
exit $rc
