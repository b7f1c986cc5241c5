#!/bin/sh
# with-pg.sh COMMAND [ARG...]: runs COMMAND with a PostgreSQL 15 of its own.
#
# Makes a cluster in a temporary directory (initdb from Debian's
# postgresql-15), starts it on a free port with its socket in that
# directory, creates the database "archportal", runs COMMAND with
#   ARCHPORTAL_TEST_PG=postgresql:///archportal?host=DIR&port=PORT&user=postgres
#   ARCHPORTAL_TEST_PG_DIR=DIR (pg_ctl's data directory is DIR/data)
# and PGHOST, PGPORT and PGUSER (so that postgresql:///NAME is a database of
# this cluster), and stops and removes the cluster afterwards, passing COMMAND's exit
# status on. PostgreSQL refuses to run as root: as root (CI), the cluster
# runs as the unprivileged user nobody (setpriv), its files owned by it.
# PGEXTRA adds server options (e.g. "-c log_min_duration_statement=30").
set -eu
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
[ -x "$PGBIN/initdb" ] || { echo "with-pg: no PostgreSQL 15 in $PGBIN (make deps)" >&2; exit 77; }
DIR=$(mktemp -d /tmp/archportal-pg-XXXXXX)
AS=""
if [ "$(id -u)" -eq 0 ]; then
	chown nobody:nogroup "$DIR"
	AS="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
fi
chmod 0755 "$DIR"
cleanup() {
	$AS "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$DIR"
}
trap cleanup EXIT INT TERM
$AS "$PGBIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
	--no-sync >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
# fsync off: the tests kill processes, never the machine; a commit still
# waits for its log record (synchronous_commit stays on). The port is one
# the kernel found free a moment before: another suite starting at once may
# take it, so a start that fails is tried again on another port.
for attempt in 1 2 3; do
	PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	if $AS "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
		-o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB ${PGEXTRA:-}" \
		start >/dev/null; then
		break
	fi
	echo "with-pg: PostgreSQL did not start on port $PORT (attempt $attempt):" >&2
	cat "$DIR/server.log" >&2
	$AS "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
	[ "$attempt" -lt 3 ] || exit 1
done
"$PGBIN/psql" -h "$DIR" -p "$PORT" -U postgres -q -c 'CREATE DATABASE archportal' postgres
export ARCHPORTAL_TEST_PG="postgresql:///archportal?host=$DIR&port=$PORT&user=postgres"
export ARCHPORTAL_TEST_PG_DIR="$DIR"
# libpq's defaults, so that "postgresql:///NAME" is a database of this cluster
export PGHOST="$DIR" PGPORT="$PORT" PGUSER=postgres
set +e
"$@"
rc=$?
set -e
exit $rc
