#!/bin/sh
# archportal benchmark: one command (`make bench`, or `sh bench/run.sh`).
#
# Generates (or reuses) a dataset, imports it into a fresh data directory,
# serves it, serves 1000 of its objects as static files with nginx for
# comparison, then measures:
#   a. GET one object: archportal vs nginx (req/s, ratio; target >= 0.25)
#   b. filtered lists and full-text searches, cold and warm (p99 <= 20 ms)
#   c. durable creates per second (target >= 1000/s)
#   d. peak RSS of the server (VmHWM; target <= 150 MB with the national
#      architecture layer)
#   e. database size and import time
#   f. the national architecture (bench/national.py): a domain's walk and the
#      full walk (p99 <= 20 ms), the as-of walk, a data type three levels
#      deep against a plain object (>= 0.5x), the capability map page (whole and one domain)
#   g. the model's rules (bench/rules.py): all judged from scratch, the report
#      from the kept judgements (<= 1 s), the re-judgement after one write (<= 10 ms),
#      a version of the architecture assembled (<= 5 s) and two compared (<= 2 s)
#   h. duplication and reuse (bench/dups.py): duplicate pairs across all objects
#      (<= 1 s), similar objects of a new one (p99 <= 20 ms)
#   i. the ICT projects' risk levels and the period report (bench/risks.py):
#      every project judged after
#      a write, the roll-up page (p99 <= 50 ms), a project's card with its risk
#      level, the transparency page (p99 <= 20 ms), the period report (<= 2 s)
#   j. the architecture in the ArchiMate exchange format (bench/interchange.py):
#      exported whole (<= 5 s, server memory growth <= 100 MB), parsed by xmllint,
#      imported again with a dry run once the server is stopped (>= 0.25x the
#      rate of xmllint on the same file)
#   k. the portal on PostgreSQL (bench/cluster.sh): on a dataset a twentieth
#      of the size, object GET on a PostgreSQL node against a SQLite node
#      (>= 0.5x), durable creates (>= 1000/s), two nodes behind nginx, a write
#      on one node found on the other (p99 <= 200 ms), each node's peak RSS,
#      and a document's bytes from a file against bytea chunks
# and prints a results table, also written to bench/out/results.md.
#
# Everything it makes lives in bench/out/. Only loopback addresses are used.
# It exits 0 when the measurement ran, even if a target was missed (the
# table says FAIL); it exits non-zero only when the benchmark itself broke.
#
# Knobs (environment): BENCH_ORGS, BENCH_OBJECTS, BENCH_RELATIONS,
# BENCH_DOMAINS, BENCH_CAPABILITIES, BENCH_FUNCTIONS, BENCH_PROCESSES,
# BENCH_TYPES, BENCH_ATTRIBUTES, BENCH_PROJECTS, BENCH_SEED (dataset), BENCH_DURATION (seconds per wrk run, default 10),
# BENCH_THREADS (server --threads; default: the server's own, one per CPU),
# AP_SLOW_MS (passed to the server: log queries slower than this many ms).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
OUT=$BENCH/out
NGX=$OUT/nginx
RES=$OUT/results.txt # key=value lines, turned into the table at the end

ORGS=${BENCH_ORGS:-1000}
OBJECTS=${BENCH_OBJECTS:-100000}
RELATIONS=${BENCH_RELATIONS:-300000}
DOMAINS=${BENCH_DOMAINS:-30}
CAPABILITIES=${BENCH_CAPABILITIES:-2000}
FUNCTIONS=${BENCH_FUNCTIONS:-20000}
PROCESSES=${BENCH_PROCESSES:-10000}
TYPES=${BENCH_TYPES:-5000}
ATTRIBUTES=${BENCH_ATTRIBUTES:-100000}
PROJECTS=${BENCH_PROJECTS:-5000}
SEED=${BENCH_SEED:-1}
DURATION=${BENCH_DURATION:-10}
THREADS=${BENCH_THREADS:-}

# wrk's default 2 s timeout would drop slower answers from the latency
# figures (counting them as socket timeouts): record up to 10 s instead.
WRK_TIMEOUT=10s

START=$(date +%s)
SERVER_PID=
NGINX_PID=

# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"

# Waits (30 s at most) until the server has used under 5 % of a CPU for a
# second, so that what an earlier phase left it doing (merging the word
# index after thousands of creates, a checkpoint) is not timed as part of
# the next phase's answers; says how long it waited.
quiesce() {
	local waited=0 a b
	while [ "$waited" -lt 30 ]; do
		a=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
		sleep 1
		b=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
		waited=$((waited + 1))
		[ $((b - a)) -le $(($(getconf CLK_TCK) / 20)) ] && break
	done
	say "   (the server was idle after ${waited} s)"
}


# hwm PHASE: notes the server's peak RSS so far (VmHWM, kB) after PHASE, so
# that the table can tell which phase made the peak.
HWM_STEPS=
hwm() {
	HWM_STEPS="$HWM_STEPS $1:$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$SERVER_PID/status")"
}

# need_bench FILE: the tool that wrote FILE must have printed its BENCH line.
need_bench() {
	grep -q '^BENCH ' "$1" || die "no result in $1 (see that file)"
}


# On any exit (normal, error, ^C) stop what we started: nginx and the server.
cleanup() {
	rc=$?
	trap - EXIT INT TERM
	stop_pid "$NGINX_PID" QUIT
	stop_pid "$SERVER_PID" TERM
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for tool in python3 curl wrk /usr/sbin/nginx; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (run: make deps)"
done
mkdir -p "$OUT"
: >"$RES"
put load "$(cut -d' ' -f1-3 /proc/loadavg)" # others' work on the host skews every figure

# --- the binary ---------------------------------------------------------------
# Another build may be replacing build/archportal while we run: wait a little
# for it to reappear before building, then work on a private copy so that a
# rebuild during the run cannot change the program under measurement.
i=0
while [ ! -x "$ROOT/build/archportal" ] && [ "$i" -lt 20 ]; do
	[ "$i" -eq 0 ] && say "build/archportal is missing; waiting for a build in progress"
	sleep 1
	i=$((i + 1))
done
if [ ! -x "$ROOT/build/archportal" ]; then
	say "building build/archportal"
	make -C "$ROOT" all
fi
BIN=$OUT/archportal
i=0
until cp "$ROOT/build/archportal" "$BIN.tmp" 2>/dev/null && "$BIN.tmp" --help >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 30 ] || die "cannot get a working copy of build/archportal"
	sleep 1 # caught it mid-link: try again
done
mv -f "$BIN.tmp" "$BIN"
put binary "build/archportal of $(date -u -r "$ROOT/build/archportal" '+%Y-%m-%d %H:%M UTC'), sha256 $(sha256sum "$BIN" | cut -c1-12)"

# --- dataset: reused when made by the same gen.py with the same parameters ------
GEN_SUM=$(sha256sum "$BENCH/gen.py" | cut -d' ' -f1)
ARCH="domains=$DOMAINS capabilities=$CAPABILITIES functions=$FUNCTIONS processes=$PROCESSES types=$TYPES attributes=$ATTRIBUTES projects=$PROJECTS"
STAMP="orgs=$ORGS objects=$OBJECTS relations=$RELATIONS $ARCH seed=$SEED gen.py=$GEN_SUM"
DATASET=$OUT/dataset.jsonl
if [ -f "$DATASET" ] && [ "$(cat "$OUT/dataset.stamp" 2>/dev/null)" = "$STAMP" ]; then
	say "reusing $DATASET ($STAMP)"
else
	say "generating the dataset: $ORGS orgs, $OBJECTS objects, $RELATIONS relations"
	rm -f "$DATASET" "$OUT/dataset.stamp"
	t0=$(now)
	python3 "$BENCH/gen.py" "$DATASET.tmp" --orgs "$ORGS" --objects "$OBJECTS" \
		--relations "$RELATIONS" --domains "$DOMAINS" --capabilities "$CAPABILITIES" \
		--functions "$FUNCTIONS" --processes "$PROCESSES" --types "$TYPES" \
		--attributes "$ATTRIBUTES" --projects "$PROJECTS" --seed "$SEED"
	mv "$DATASET.tmp" "$DATASET" # the stamp is written only for a complete file
	printf '%s\n' "$STAMP" >"$OUT/dataset.stamp"
	say "generated in $(echo "$(now) $t0" | awk '{ printf "%.1f", $1 - $2 }') s"
fi
put dataset "$ORGS orgs / $OBJECTS objects / $RELATIONS relations; $DOMAINS domains / $CAPABILITIES capabilities / $FUNCTIONS functions and services / $PROCESSES processes / $TYPES data types with $ATTRIBUTES attributes; $PROJECTS ICT projects with $((PROJECTS * 10)) criteria answered and $((PROJECTS * 4)) recommendations"

# --- import into a fresh data directory ------------------------------------------
rm -rf "$OUT/data"
say "importing into bench/out/data"
t0=$(now)
"$BIN" import "$DATASET" --data "$OUT/data"
IMPORT_S=$(echo "$(now) $t0" | awk '{ printf "%.1f", $1 - $2 }')
put import_s "$IMPORT_S"
put db_bytes "$(du -sb "$OUT/data" | cut -f1)"
say "imported in $IMPORT_S s ($(du -sh "$OUT/data" | cut -f1))"
printf 'Wrk-Load-Tester-7x\n' | "$BIN" user create --email bench@bench.gov.kz --role admin \
	--name "Bench Admin" --data "$OUT/data" >/dev/null
TOKEN=$("$BIN" token create --name bench --user bench@bench.gov.kz --data "$OUT/data")
# the service integrator's architect, who makes the period report (phase i)
printf 'Wrk-Load-Tester-7x\n' | "$BIN" user create --email arch@bench.gov.kz \
	--role integrator-architect --org org-1 --name "Bench Architect" --data "$OUT/data" >/dev/null
ARCH_TOKEN=$("$BIN" token create --name bench-arch --user arch@bench.gov.kz --data "$OUT/data")

# --- start the server (access log on, as in production) ---------------------------
# Port 0: the kernel picks a free port and the server logs which.
say "starting archportal${AP_SLOW_MS:+ (AP_SLOW_MS=$AP_SLOW_MS)}"
# No scans (--scan-every-s 0): from 20:00 local the day's scan judges every
# rule of the model for the day's figures, which would land in whichever
# phase runs then (its memory in the peak of phase d, its CPU in the timings);
# phase g measures that judging on its own.
"$BIN" serve --data "$OUT/data" --listen 127.0.0.1:0 ${THREADS:+--threads "$THREADS"} \
	--scan-every-s 0 2>"$OUT/server.log" &
SERVER_PID=$!
PORT=
i=0
while [ -z "$PORT" ]; do
	kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited; see bench/out/server.log"
	i=$((i + 1))
	[ "$i" -lt 600 ] || die "the server did not start in 60 s; see bench/out/server.log"
	sleep 0.1
	PORT=$(sed -n 's/.*"event":"listening".*"port":"\([0-9]*\)".*/\1/p' "$OUT/server.log" | head -n 1)
done
BASE=http://127.0.0.1:$PORT
curl -sf -o /dev/null "$BASE/healthz" || die "the server does not answer /healthz"
put cpus "$(nproc)"
put threads "${THREADS:-default ($(($(nproc) * 2)): two per CPU)}"
say "archportal listens on $BASE (pid $SERVER_PID)"
hwm start

# --- request sets and the static copies for nginx ----------------------------------
python3 "$BENCH/tool.py" urls "$OUT" --objects "$OBJECTS" --orgs "$ORGS"
rm -rf "$NGX"
mkdir -p "$NGX/www" "$NGX/tmp"
python3 "$BENCH/tool.py" curlcfg "$BASE" "$OUT/paths-get.txt" "$NGX/www" "$OUT/curl-fetch.cfg"
curl -sS --fail --create-dirs --config "$OUT/curl-fetch.cfg" ||
	die "could not fetch the sample objects"
n=$(find "$NGX/www" -type f | wc -l)
[ "$n" -eq "$(wc -l <"$OUT/paths-get.txt")" ] || die "fetched $n sample objects, expected 1000"

# --- start nginx on another free loopback port --------------------------------------
NGINX_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
USER_LINE=
# As root the workers would run as nobody; run them as the owner of the files.
[ "$(id -u)" -eq 0 ] && USER_LINE="user $(stat -c %U "$OUT");"
cat >"$NGX/nginx.conf" <<EOF
# Generated by bench/run.sh: static copies of archportal's answers.
daemon off;
master_process on;
worker_processes 2;
$USER_LINE
pid $NGX/nginx.pid;
error_log $NGX/error.log warn;
events { worker_connections 1024; }
http {
    access_log $NGX/access.log; # like archportal's access log: one line per request
    client_body_temp_path $NGX/tmp/body;
    proxy_temp_path $NGX/tmp/proxy;
    fastcgi_temp_path $NGX/tmp/fastcgi;
    uwsgi_temp_path $NGX/tmp/uwsgi;
    scgi_temp_path $NGX/tmp/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65s;
    keepalive_requests 100000000; # archportal does not close busy connections either
    default_type application/json;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $NGX/www;
    }
}
EOF
/usr/sbin/nginx -t -q -p "$NGX/" -e "$NGX/error.log" -c "$NGX/nginx.conf" ||
	die "bad nginx config; see $NGX/error.log"
/usr/sbin/nginx -p "$NGX/" -e "$NGX/error.log" -c "$NGX/nginx.conf" &
NGINX_PID=$!
NGINX=http://127.0.0.1:$NGINX_PORT
i=0
until curl -sf -o /dev/null "$NGINX$(head -n 1 "$OUT/paths-get.txt")"; do
	kill -0 "$NGINX_PID" 2>/dev/null || die "nginx exited; see $NGX/error.log"
	i=$((i + 1))
	[ "$i" -lt 100 ] || die "nginx did not start in 10 s"
	sleep 0.1
done
# The copies must be byte for byte what archportal answers.
p=$(sed -n 500p "$OUT/paths-get.txt")
[ "$(curl -sf "$NGINX$p" | sha256sum)" = "$(curl -sf "$BASE$p" | sha256sum)" ] ||
	die "nginx and archportal answer $p differently"
say "nginx listens on $NGINX (pid $NGINX_PID)"

# --- a. GET one object ----------------------------------------------------------------
# Twice: one object's URL sent as a request wrk formats once (the figure of
# record: the client uses least CPU), and rotating over 1,000 objects with a
# Lua hook per request (as a check that no cache of one answer helps; there
# the client is the bottleneck of both servers on 2 cores, so that ratio
# overstates archportal). Each run notes the client's CPU.
one=$(sed -n 500p "$OUT/paths-get.txt")
for who in server nginx; do
	[ "$who" = server ] && url=$BASE || url=$NGINX
	say "a. GET one object, $who, one URL: wrk -t2 -c32 -d${DURATION}s"
	BENCH_STATIC=1 python3 "$BENCH/tool.py" cpu "$OUT/wrk-get1-$who.txt" wrk -t2 -c32 \
		-d"${DURATION}s" --timeout "$WRK_TIMEOUT" -s "$BENCH/rotate.lua" "$url$one"
	say "a. GET one object, $who, rotating over 1,000: wrk -t2 -c32 -d${DURATION}s"
	python3 "$BENCH/tool.py" cpu "$OUT/wrk-get-$who.txt" wrk -t2 -c32 -d"${DURATION}s" \
		--timeout "$WRK_TIMEOUT" -s "$BENCH/rotate.lua" "$url" -- "$OUT/paths-get.txt"
done
for run in get1 get; do
	for who in server nginx; do
		f=$OUT/wrk-$run-$who.txt
		need_bench "$f"
		put "${run}_${who}_rps" "$(field rps "$f")"
		put "${run}_${who}_p99_ms" "$(field p99_ms "$f")"
		put "${run}_${who}_errors" "$(($(field errors_status "$f") + $(field errors_socket "$f")))"
		put "${run}_${who}_client_cpu_pct" "$(field client_cpu_pct "$f")"
		say "   $run $who: $(field rps "$f") req/s, p99 $(field p99_ms "$f") ms," \
			"client CPU $(field client_cpu_pct "$f") %"
	done
done
hwm get
stop_pid "$NGINX_PID" QUIT # not needed any more: give its CPU back
NGINX_PID=

# One create, so that the server's count/facet cache is certainly empty.
empty_cache() {
	code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/api/v1/objects" \
		-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		-d '{"kind":"information_system","owner":"org-1","name":{"ru":"Сброс кэша","kk":"Кэшті тазарту","en":"Cache reset"},"stage":"creation"}')
	[ "$code" = 201 ] || die "a create answered $code, not 201"
}

# --- b. lists and searches: cold (each URL once), then warm (wrk) -----------------------
for kind in list search; do
	urls=$OUT/urls-$kind.txt
	empty_cache
	say "b. $kind, cold: $(wc -l <"$urls") distinct URLs, each asked once, one connection"
	python3 "$BENCH/tool.py" cold "$BASE" "$urls" "$OUT/cold-$kind.tsv" >"$OUT/cold-$kind.txt"
	f=$OUT/cold-$kind.txt
	need_bench "$f"
	put "${kind}_n" "$(field n "$f")"
	put "${kind}_cold_p50_ms" "$(field p50_ms "$f")"
	put "${kind}_cold_p99_ms" "$(field p99_ms "$f")"
	put "${kind}_cold_max_ms" "$(field max_ms "$f")"
	put "${kind}_cold_errors" "$(field errors "$f")"
	say "   p50 $(field p50_ms "$f") ms, p99 $(field p99_ms "$f") ms, max $(field max_ms "$f") ms"
	say "b. $kind, warm: wrk -t1 -c4 -d${DURATION}s over the same URLs"
	wrk -t1 -c4 -d"${DURATION}s" --timeout "$WRK_TIMEOUT" -s "$BENCH/rotate.lua" "$BASE" -- "$urls" \
		>"$OUT/wrk-$kind-warm.txt"
	f=$OUT/wrk-$kind-warm.txt
	need_bench "$f"
	put "${kind}_warm_p50_ms" "$(field p50_ms "$f")"
	put "${kind}_warm_p99_ms" "$(field p99_ms "$f")"
	put "${kind}_warm_rps" "$(field rps "$f")"
	put "${kind}_warm_errors" "$(($(field errors_status "$f") + $(field errors_socket "$f")))"
	say "   p50 $(field p50_ms "$f") ms, p99 $(field p99_ms "$f") ms, $(field rps "$f") req/s"
	hwm "$kind"
done

# --- b2. the registry page against the API list (bench/pages.py) -------------------------
say "b2. the registry page, 50 rows: plain, filtered and searched, against the API list"
python3 "$BENCH/pages.py" "$BASE" "$OUT" 10 "$SERVER_PID" >"$OUT/pages.txt" || say "WARNING: the page benchmark failed"
hwm pages

# --- f. the national architecture: walks, inherited attributes, the capability map -------
say "f. the national architecture: walks, a data type three levels deep, the capability map"
python3 "$BENCH/national.py" "$BASE" "$OUT" "$TOKEN" bench@bench.gov.kz Wrk-Load-Tester-7x \
	"$SERVER_PID" --part walks --domains "$DOMAINS" --types "$TYPES" --objects "$OBJECTS" \
	--seconds "$((DURATION / 2 > 0 ? DURATION / 2 : 1))" >"$OUT/national.txt" ||
	say "WARNING: the national benchmark failed (see $OUT/national.txt)"
cat "$OUT/national.txt"
# national.txt's "BENCH <name> k=v ..." lines, as <name>_<k>=v
awk '$1 == "BENCH" { for (i = 3; i <= NF; i++) print $2 "_" $i }' "$OUT/national.txt" >>"$RES"
hwm national

# --- c. durable creates ---------------------------------------------------------------------
say "c. creates: wrk -t2 -c4 -d${DURATION}s POST"
wrk -t2 -c4 -d"${DURATION}s" --timeout "$WRK_TIMEOUT" -s "$BENCH/create.lua" "$BASE" -- "$TOKEN" >"$OUT/wrk-create.txt"
f=$OUT/wrk-create.txt
need_bench "$f"
put create_rps "$(field creates_per_s "$f")"
put create_ok "$(field created "$f")"
put create_non201 "$(field non201 "$f")"
put create_socket_errors "$(field errors_socket "$f")"
put create_max_ms "$(field max_ms "$f")"
put create_p99_ms "$(field p99_ms "$f")"
say "   $(field creates_per_s "$f") creates/s, $(field non201 "$f") non-201"
hwm create

# --- d./e. memory and size, then a graceful stop ------------------------------------------------
RSS_KB=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$SERVER_PID/status")
put rss_kb "$RSS_KB"
put rss_steps "${HWM_STEPS# }"
# Where the memory is at the end: heap and stacks (anonymous) versus pages of
# the database file mapped by SQLite (file-backed; see PRAGMA mmap_size).
put rss_anon_kb "$(awk '$1 == "RssAnon:" { print $2 }' "/proc/$SERVER_PID/status")"
put rss_file_kb "$(awk '$1 == "RssFile:" { print $2 }' "/proc/$SERVER_PID/status")"
put db_end_bytes "$(du -sb "$OUT/data" | cut -f1)"
say "d. peak RSS $RSS_KB kB"

# --- f. the capability map page: signed in, after the peak RSS was read ------------------
# (signing in hashes the password with Argon2id: 64 MiB for a moment, kept in VmHWM)
say "f. the capability map page, whole and one domain (signed in)"
quiesce
python3 "$BENCH/national.py" "$BASE" "$OUT" "$TOKEN" bench@bench.gov.kz Wrk-Load-Tester-7x \
	"$SERVER_PID" --part capmap >"$OUT/national-capmap.txt" ||
	say "WARNING: the capability map's figures failed (see $OUT/national-capmap.txt)"
cat "$OUT/national-capmap.txt"
awk '$1 == "BENCH" { for (i = 3; i <= NF; i++) print $2 "_" $i }' "$OUT/national-capmap.txt" >>"$RES"

# --- g. the model's rules: from scratch, from the kept judgements, after one write ----------
say "g. the model's rules: all judged from scratch, the report, one write then the report"
quiesce
python3 "$BENCH/rules.py" "$BASE" "$OUT" "$TOKEN" "$SERVER_PID" >"$OUT/rules.txt" ||
	say "WARNING: the rules' figures failed (see $OUT/rules.txt)"
cat "$OUT/rules.txt"
awk '$1 == "BENCH" { for (i = 3; i <= NF; i++) print $2 "_" $i }' "$OUT/rules.txt" >>"$RES"

# --- h. duplication and reuse: all pairs, similar objects for a new one ------------------
say "h. duplication and reuse: duplicate pairs across all objects, similar objects of a new one"
quiesce
python3 "$BENCH/dups.py" "$BASE" "$OUT" "$TOKEN" "$SERVER_PID" >"$OUT/dups.txt" ||
	say "WARNING: the duplicates' figures failed (see $OUT/dups.txt)"
cat "$OUT/dups.txt"
awk '$1 == "BENCH" { for (i = 3; i <= NF; i++) print $2 "_" $i }' "$OUT/dups.txt" >>"$RES"
# --- i. the ICT projects' risk levels: judged after a write, the roll-up page, a card ------
say "i. the ICT projects' risk levels: every project judged after a write, the roll-up page, the cards"
quiesce
python3 "$BENCH/risks.py" "$BASE" "$OUT" "$TOKEN" bench@bench.gov.kz Wrk-Load-Tester-7x \
	"$SERVER_PID" --arch-token "$ARCH_TOKEN" >"$OUT/risks.txt" ||
	say "WARNING: the risk levels' figures failed (see $OUT/risks.txt)"
cat "$OUT/risks.txt"
awk '$1 == "BENCH" { for (i = 3; i <= NF; i++) print $2 "_" $i }' "$OUT/risks.txt" >>"$RES"
# --- j. the ArchiMate exchange format: the whole architecture exported ---------------
say "j. the architecture exported as ArchiMate 3.1, and the same file parsed by xmllint"
quiesce
python3 "$BENCH/interchange.py" "$BASE" "$OUT" "$TOKEN" "$SERVER_PID" >"$OUT/interchange.txt" ||
	say "WARNING: the ArchiMate figures failed (see $OUT/interchange.txt)"
cat "$OUT/interchange.txt"
awk '$1 == "BENCH" { for (i = 3; i <= NF; i++) print $2 "_" $i }' "$OUT/interchange.txt" >>"$RES"
say "stopping archportal"
kill -TERM "$SERVER_PID"
rc=0
wait "$SERVER_PID" || rc=$?
SERVER_PID=
[ "$rc" -eq 0 ] || say "WARNING: the server exited with status $rc"
# The exported file imported again (a dry run: every concept resolved and
# compared), the server stopped so that nothing else runs.
if [ -f "$OUT/architecture.xml" ]; then
	say "j. the same file imported again with a dry run, against xmllint"
	python3 "$BENCH/interchange.py" --import "$BIN" "$OUT/data" "$OUT" >"$OUT/interchange-import.txt" ||
		say "WARNING: the ArchiMate import figures failed (see $OUT/interchange-import.txt)"
	cat "$OUT/interchange-import.txt"
	awk '$1 == "BENCH" { for (i = 3; i <= NF; i++) print $2 "_" $i }' "$OUT/interchange-import.txt" >>"$RES"
fi
# How fast this disk makes a small write durable (the server is stopped).
python3 "$BENCH/tool.py" fsync "$OUT" 2 >"$OUT/fsync.txt"
put disk_syncs_per_s "$(field syncs_per_s "$OUT/fsync.txt")"
put slow_queries "$(grep -c '"event":"slow-query"' "$OUT/server.log" || true)"
# The database must still be consistent after the load (audit chain,
# revisions, references, indexes, counts): a benchmark is also a soak test.
say "checking the database after the load"
if "$BIN" check --data "$OUT/data" >"$OUT/check.txt" 2>&1; then
	say "   consistent"
else
	say "WARNING: archportal check found problems after the load (see $OUT/check.txt):"
	tail -n 5 "$OUT/check.txt"
fi
put slow_ms "${AP_SLOW_MS:-250}"

# --- k. PostgreSQL: one node and two behind nginx, beside SQLite (bench/cluster.sh) ---------
say "k. the portal on PostgreSQL: one node, two behind nginx, beside a SQLite node"
ROOT=$ROOT OUT=$OUT BIN=$BIN DURATION=$DURATION RES=$RES START=$START ORGS=$ORGS OBJECTS=$OBJECTS \
	RELATIONS=$RELATIONS DOMAINS=$DOMAINS CAPABILITIES=$CAPABILITIES FUNCTIONS=$FUNCTIONS \
	PROCESSES=$PROCESSES TYPES=$TYPES ATTRIBUTES=$ATTRIBUTES PROJECTS=$PROJECTS SEED=$SEED \
	sh "$BENCH/cluster.sh" || say "WARNING: the PostgreSQL figures failed (see above and bench/out/cluster/)"

put date "$(date -u '+%Y-%m-%d %H:%M UTC')"
put elapsed_s "$(($(date +%s) - START))"
echo
python3 "$BENCH/tool.py" report "$RES" "$OUT/results.md"
echo
cat "$OUT/pages.md" 2>/dev/null && echo
# Technical documents: a 50 MB upload and its download, against cp.
say "uploading and downloading a 50 MB document"
python3 "$BENCH/upload.py" "$BIN" || say "WARNING: the upload benchmark failed"
