# shellcheck shell=sh
# bench/lib.sh: the helpers bench/run.sh and bench/cluster.sh share (sourced;
# START is the run's start, RES its key=value results file).

say() { printf '[bench %4ss] %s\n' "$(($(date +%s) - START))" "$*"; }
die() { say "ERROR: $*" >&2; exit 1; }
now() { date +%s.%N; }
put() { printf '%s=%s\n' "$1" "$2" >>"$RES"; }

# field KEY FILE: the value of KEY=... on the "BENCH ..." line of FILE.
field() {
	awk -v k="$1" '$1 == "BENCH" { for (i = 2; i <= NF; i++) {
		j = index($i, "="); if (substr($i, 1, j - 1) == k) print substr($i, j + 1) } }' "$2" |
		head -n 1
}

# stop_pid PID SIGNAL: signals a process we started and waits (up to 15 s,
# then SIGKILL) for it to end.
stop_pid() {
	[ -n "$1" ] || return 0
	kill -"$2" "$1" 2>/dev/null || return 0
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -eq 150 ]; then
			say "process $1 did not stop in 15 s; killing it"
			kill -KILL "$1" 2>/dev/null || true
		fi
		sleep 0.1
	done
	wait "$1" 2>/dev/null || true
}
