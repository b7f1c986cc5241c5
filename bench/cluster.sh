#!/bin/sh
# bench/cluster.sh: phase k of the benchmark (issue 19), run by bench/run.sh
# once the SQLite server has stopped: the portal on PostgreSQL, one node and
# two nodes behind nginx, beside a SQLite node on the same dataset.
#
#   k1. a PostgreSQL 15 of its own in bench/out/pg (Debian's defaults:
#       fsync and synchronous_commit on, shared_buffers 128 MB); a dataset of
#       bench/gen.py a twentieth of the main one's size (BENCH_K_SCALE: the
#       divisor), imported into it and into a SQLite data folder, each import
#       timed: the import into PostgreSQL sends its statements one at a time
#       (some 100,000 round trips for 5,000 objects), the whole dataset
#       would take it half an hour;
#   k2. GET one object (wrk -t2 -c32, one URL, as phase a): the SQLite node,
#       then a PostgreSQL node, each alone: the ratio (target >= 0.5);
#   k3. durable creates on the PostgreSQL node (wrk -t2 -c4, as phase c;
#       target >= 1000/s), and on the SQLite node: per create, the CPU of the
#       node and of PostgreSQL's processes, the node's write lock held, and
#       wrk's share of a core;
#   k4. a second node and nginx in front of both: GET and creates through
#       nginx; a write on one node read on the other (bench/cluster.py: 200
#       creates alternating between the nodes, each polled for on the other
#       until it answers; p99 <= 200 ms), idle and during creates;
#   k5. each node's peak RSS (VmHWM; within the SQLite budget of 150 MB);
#   k6. documents: a 50 MB file read back from PostgreSQL as 1 MB bytea
#       chunks (COPY ... TO STDOUT, binary: the best a download from chunks
#       could do) against the same file downloaded from a node (sendfile)
#       and read by cat: what chose the shared folder.
#
# Reads from the environment: ROOT OUT BIN DURATION RES (run.sh's), and
# the main dataset's sizes ORGS OBJECTS RELATIONS DOMAINS CAPABILITIES
# FUNCTIONS PROCESSES TYPES ATTRIBUTES PROJECTS SEED.
set -eu
: "${ROOT:?}" "${OUT:?}" "${BIN:?}" "${DURATION:?}" "${RES:?}"
BENCH=$ROOT/bench
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PG=$OUT/pg
K=$OUT/cluster
START=${START:-$(date +%s)}
PIDS=
NGINX_PID=

# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"
AS=""
[ "$(id -u)" -eq 0 ] && AS="setpriv --reuid=nobody --regid=nogroup --clear-groups --"

cleanup() {
	rc=$?
	trap - EXIT INT TERM
	stop_pid "$NGINX_PID" QUIT
	for p in $PIDS; do stop_pid "$p" TERM; done
	$AS "$PGBIN/pg_ctl" -D "$PG/data" -m fast stop >/dev/null 2>&1 || true
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ -x "$PGBIN/initdb" ] || die "no PostgreSQL 15 in $PGBIN (make deps)"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- k1. PostgreSQL and the dataset in it ----------------------------------------------
rm -rf "$PG" "$K"
mkdir -p "$PG" "$K/nginx/tmp"
S=${BENCH_K_SCALE:-20}
sz() { echo $(($1 / S > 0 ? $1 / S : 1)); }
KARGS="--orgs $(sz "$ORGS") --objects $(sz "$OBJECTS") --relations $(sz "$RELATIONS") --domains $(sz "$DOMAINS") --capabilities $(sz "$CAPABILITIES") --functions $(sz "$FUNCTIONS") --processes $(sz "$PROCESSES") --types $(sz "$TYPES") --attributes $(sz "$ATTRIBUTES") --projects $(sz "$PROJECTS") --seed $SEED"
DATASET=$OUT/dataset-k.jsonl
KSTAMP="$KARGS gen.py=$(sha256sum "$BENCH/gen.py" | cut -d' ' -f1)"
if [ ! -f "$DATASET" ] || [ "$(cat "$OUT/dataset-k.stamp" 2>/dev/null)" != "$KSTAMP" ]; then
	say "k1. generating a dataset of a ${S}th of the size"
	# shellcheck disable=SC2086 # KARGS: the options, split
	python3 "$BENCH/gen.py" "$DATASET.tmp" $KARGS
	mv "$DATASET.tmp" "$DATASET"
	printf '%s\n' "$KSTAMP" >"$OUT/dataset-k.stamp"
fi
put k_dataset "$KARGS"
say "k1. importing it into SQLite"
t0=$(now)
"$BIN" import "$DATASET" --data "$K/sqlite-node" >"$K/import-sqlite.log" 2>&1 ||
	{ tail -n 5 "$K/import-sqlite.log" >&2; die "the import into SQLite failed"; }
put k_sqlite_import_s "$(echo "$(now) $t0" | awk '{ printf "%.1f", $1 - $2 }')"
[ -n "$AS" ] && chown nobody:nogroup "$PG"
chmod 0755 "$PG"
$AS "$PGBIN/initdb" -D "$PG/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
	>"$K/initdb.log" 2>&1 || { cat "$K/initdb.log" >&2; die "initdb failed"; }
PGPORT=$(free_port)
$AS "$PGBIN/pg_ctl" -D "$PG/data" -l "$PG/server.log" -w -t 60 \
	-o "-p $PGPORT -k $PG -c listen_addresses='' -c shared_buffers=128MB -c max_connections=100" \
	start >/dev/null || { cat "$PG/server.log" >&2; die "PostgreSQL did not start"; }
psql() { "$PGBIN/psql" -h "$PG" -p "$PGPORT" -U postgres -X -q "$@"; }
psql -c 'CREATE DATABASE archportal' postgres
URL="postgresql:///archportal?host=$PG&port=$PGPORT&user=postgres"
put k_pg_settings "$(psql -At -c "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'wal_level')" postgres)"
say "k1. importing the dataset into PostgreSQL"
t0=$(now)
"$BIN" import "$DATASET" --data "$K/pg-node" --database "$URL" >"$K/import.log" 2>&1 ||
	{ tail -n 5 "$K/import.log" >&2; die "the import into PostgreSQL failed"; }
put k_pg_import_s "$(echo "$(now) $t0" | awk '{ printf "%.1f", $1 - $2 }')"
put k_pg_db_bytes "$(psql -At -c "SELECT pg_database_size('archportal')" postgres)"
say "   imported in $(echo "$(now) $t0" | awk '{ printf "%.1f", $1 - $2 }') s"
printf 'Wrk-Load-Tester-7x\n' | "$BIN" user create --email bench@bench.gov.kz --role admin \
	--name "Bench Admin" --data "$K/pg-node" --database "$URL" >/dev/null
PG_TOKEN=$("$BIN" token create --name bench --user bench@bench.gov.kz --data "$K/pg-node" --database "$URL")

# start_node NAME PORT ARGS...: a node logging to $K/NAME.log; sets NODE_PID
start_node() {
	name=$1 port=$2
	shift 2
	"$BIN" serve --listen "127.0.0.1:$port" --scan-every-s 0 "$@" 2>"$K/$name.log" &
	NODE_PID=$!
	PIDS="$PIDS $NODE_PID"
	i=0
	until curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; do
		kill -0 "$NODE_PID" 2>/dev/null || die "node $name exited; see $K/$name.log"
		i=$((i + 1))
		[ "$i" -lt 600 ] || die "node $name did not start in 60 s"
		sleep 0.1
	done
}
# wrk_get NAME URL: GET one URL for DURATION s, as phase a
wrk_get() {
	BENCH_STATIC=1 python3 "$BENCH/tool.py" cpu "$K/wrk-$1.txt" wrk -t2 -c32 -d"${DURATION}s" \
		--timeout 10s -s "$BENCH/rotate.lua" "$2"
	f=$K/wrk-$1.txt
	grep -q '^BENCH ' "$f" || die "no result in $f"
	put "k_$1_rps" "$(field rps "$f")"
	put "k_$1_p99_ms" "$(field p99_ms "$f")"
	put "k_$1_errors" "$(($(field errors_status "$f") + $(field errors_socket "$f")))"
	put "k_$1_client_cpu_pct" "$(field client_cpu_pct "$f")"
	say "   $1: $(field rps "$f") req/s, p99 $(field p99_ms "$f") ms, client CPU $(field client_cpu_pct "$f") %"
}
# cpu_ms PID...: the CPU time (user + system, ms) the processes took so far
cpu_ms() {
	for p in "$@"; do awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null; done |
		awk -v hz="$(getconf CLK_TCK)" '{ s += $1 } END { printf "%d", s * 1000 / hz }'
}
# metric BASE TOKEN NAME: a counter of the node's /metrics
metric() {
	curl -s -H "Authorization: Bearer $2" "$1/metrics" | awk -v n="$3" '$1 == n { print $2 }'
}
# wrk_create NAME BASE TOKEN [NODE_PID]: creates for DURATION s, as phase c; with
# a node's pid, where the time went, per create: the CPU of the node, of
# PostgreSQL's processes, the node's write lock held, and wrk's share of a
# core (what bounds the rate: the client is not, when its share is small)
wrk_create() {
	if [ -n "${4:-}" ]; then
		n0=$(metric "$2" "$3" archportal_db_writes_total)
		h0=$(metric "$2" "$3" archportal_db_write_lock_held_seconds_total)
		c0=$(cpu_ms "$4")
		g0=$(cpu_ms $(pgrep -x postgres))
	fi
	python3 "$BENCH/tool.py" cpu "$K/wrk-$1.txt" wrk -t2 -c4 -d"${DURATION}s" --timeout 10s \
		-s "$BENCH/create.lua" "$2" -- "$3" "$(sz "$ORGS")"
	f=$K/wrk-$1.txt
	if [ -n "${4:-}" ]; then
		n=$(($(metric "$2" "$3" archportal_db_writes_total | cut -d. -f1) - $(echo "$n0" | cut -d. -f1)))
		h=$(metric "$2" "$3" archportal_db_write_lock_held_seconds_total)
		c=$(($(cpu_ms "$4") - c0))
		g=$(($(cpu_ms $(pgrep -x postgres)) - g0))
		per() { echo "$1 $n" | awk '{ printf "%.2f", $2 ? $1 / $2 : 0 }'; }
		put "k_$1_node_ms" "$(per "$c")"
		put "k_$1_pg_ms" "$(per "$g")"
		put "k_$1_wrk_pct" "$(field client_cpu_pct "$f")"
		put "k_$1_lock_ms" "$(echo "$h $h0 $n" | awk '{ printf "%.2f", $3 ? ($1 - $2) * 1000 / $3 : 0 }')"
	fi
	grep -q '^BENCH ' "$f" || die "no result in $f"
	put "k_$1_rps" "$(field creates_per_s "$f")"
	put "k_$1_non201" "$(field non201 "$f")"
	put "k_$1_p99_ms" "$(field p99_ms "$f")"
	say "   $1: $(field creates_per_s "$f") creates/s, $(field non201 "$f") non-201, p99 $(field p99_ms "$f") ms"
}
hwm_of() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status"; }

ONE=/api/v1/objects/obj-$(($(sz "$OBJECTS") / 2))

printf 'Wrk-Load-Tester-7x\n' | "$BIN" user create --email bench@bench.gov.kz --role admin \
	--name "Bench Admin" --data "$K/sqlite-node" >/dev/null
SQ_TOKEN=$("$BIN" token create --name bench --user bench@bench.gov.kz --data "$K/sqlite-node")

# --- k2. GET one object: SQLite node, then PostgreSQL node, each alone -------------------
P=$(free_port)
say "k2. GET one object, the SQLite node alone (same dataset, same URL)"
start_node sqlite-node "$P" --data "$K/sqlite-node"
SQ_PID=$NODE_PID
wrk_get get_sqlite "http://127.0.0.1:$P$ONE"
say "k3. creates on the SQLite node: wrk -t2 -c4 -d${DURATION}s"
wrk_create create_sqlite "http://127.0.0.1:$P" "$SQ_TOKEN" "$SQ_PID"
put k_rss_sqlite_kb "$(hwm_of "$SQ_PID")"
stop_pid "$SQ_PID" TERM
PA=$(free_port)
say "k2. GET one object, a PostgreSQL node alone"
start_node pg-a "$PA" --data "$K/pg-node" --database "$URL"
A_PID=$NODE_PID
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PA$ONE")
[ "$code" = 200 ] || die "the PostgreSQL node answers $ONE with $code"
wrk_get get_pg "http://127.0.0.1:$PA$ONE"

# --- k3. durable creates on the PostgreSQL node ---------------------------------------
say "k3. creates on the PostgreSQL node: wrk -t2 -c4 -d${DURATION}s"
wrk_create create_pg "http://127.0.0.1:$PA" "$PG_TOKEN" "$A_PID"

# --- k4. two nodes behind nginx ------------------------------------------------------------
PB=$(free_port)
say "k4. a second PostgreSQL node, nginx in front of both"
start_node pg-b "$PB" --data "$K/pg-node" --database "$URL"
B_PID=$NODE_PID
NP=$(free_port)
USER_LINE=
[ "$(id -u)" -eq 0 ] && USER_LINE="user $(stat -c %U "$OUT");"
cat >"$K/nginx/nginx.conf" <<EOF
# Generated by bench/cluster.sh: two archportal nodes behind nginx.
daemon off;
worker_processes 2;
$USER_LINE
pid $K/nginx/nginx.pid;
error_log $K/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $K/nginx/tmp/body;
    proxy_temp_path $K/nginx/tmp/proxy;
    fastcgi_temp_path $K/nginx/tmp/fastcgi;
    uwsgi_temp_path $K/nginx/tmp/uwsgi;
    scgi_temp_path $K/nginx/tmp/scgi;
    keepalive_requests 100000000;
    upstream archportal {
        server 127.0.0.1:$PA;
        server 127.0.0.1:$PB;
        keepalive 64;
        keepalive_requests 100000000;
    }
    server {
        listen 127.0.0.1:$NP;
        location / {
            proxy_pass http://archportal;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
        }
    }
}
EOF
/usr/sbin/nginx -t -q -p "$K/nginx/" -e "$K/nginx/error.log" -c "$K/nginx/nginx.conf" ||
	die "bad nginx config; see $K/nginx/error.log"
/usr/sbin/nginx -p "$K/nginx/" -e "$K/nginx/error.log" -c "$K/nginx/nginx.conf" &
NGINX_PID=$!
i=0
until curl -sf -o /dev/null "http://127.0.0.1:$NP/healthz"; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || die "nginx did not start"
	sleep 0.1
done
say "k4. a write on one node read on the other, idle"
python3 "$BENCH/cluster.py" visible "http://127.0.0.1:$PA" "http://127.0.0.1:$PB" "$PG_TOKEN" 200 \
	>"$K/visible-idle.txt" || die "the visibility figures failed (see $K/visible-idle.txt)"
for k in p50_ms p99_ms max_ms n errors; do put "k_visible_idle_$k" "$(field "$k" "$K/visible-idle.txt")"; done
say "   p50 $(field p50_ms "$K/visible-idle.txt") ms, p99 $(field p99_ms "$K/visible-idle.txt") ms"
say "k4. GET one object through nginx (two nodes)"
wrk_get get_pg2 "http://127.0.0.1:$NP$ONE"
say "k4. creates through nginx (two nodes), and a write on one node read on the other meanwhile"
python3 "$BENCH/cluster.py" visible "http://127.0.0.1:$PA" "http://127.0.0.1:$PB" "$PG_TOKEN" 100 \
	--after 1 >"$K/visible-load.txt" &
VIS=$!
wrk_create create_pg2 "http://127.0.0.1:$NP" "$PG_TOKEN"
wait "$VIS" || die "the visibility figures under load failed (see $K/visible-load.txt)"
for k in p50_ms p99_ms max_ms n errors; do put "k_visible_load_$k" "$(field "$k" "$K/visible-load.txt")"; done
say "   under load: p50 $(field p50_ms "$K/visible-load.txt") ms, p99 $(field p99_ms "$K/visible-load.txt") ms"

# --- k5. memory ------------------------------------------------------------------------------
put k_rss_a_kb "$(hwm_of "$A_PID")"
put k_rss_b_kb "$(hwm_of "$B_PID")"
say "k5. peak RSS: node A $(hwm_of "$A_PID") kB, node B $(hwm_of "$B_PID") kB"

# --- k6. documents: a file from a node against bytea chunks from PostgreSQL -----------------
say "k6. a 50 MB document: downloaded from a node (file) against read from PostgreSQL in chunks"
python3 "$BENCH/cluster.py" chunks "http://127.0.0.1:$PA" "$PG_TOKEN" "$PG" "$PGPORT" "$K" \
	>"$K/chunks.txt" || die "the documents' figures failed (see $K/chunks.txt)"
for k in mb file_http_mb_s cat_mb_s chunks_copy_mb_s chunks_each_mb_s; do
	put "k_doc_$k" "$(field "$k" "$K/chunks.txt")"
done
say "   node (file, HTTP) $(field file_http_mb_s "$K/chunks.txt") MB/s, PostgreSQL chunks (COPY)" \
	"$(field chunks_copy_mb_s "$K/chunks.txt") MB/s, one query a chunk $(field chunks_each_mb_s "$K/chunks.txt") MB/s"
