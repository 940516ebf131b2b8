#!/usr/bin/env bash
# dht_state_bad.sh: a damaged DHT state file is not used and is reported
# once, naming the file and why, by every program that keeps one:
# `trackless get` (STATE_DIR/dht.state), `trackless dht node` (dht.dat),
# trackless-node in router mode (ids) and in full mode (dht.state).
set -uo pipefail
bin=${top_builddir:-.}/trackless
node=${top_builddir:-.}/trackless-node
vec=${top_srcdir:-.}/tests/vectors
[ -x "$bin" ] && [ -x "$node" ] || { echo "SKIP: trackless or trackless-node is not built"; exit 77; }
work=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fails=0
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}
port=$((20000 + (RANDOM % 1200) * 10))

# one_line FILE PATTERN: FILE has exactly one line matching PATTERN
one_line() {
	local n
	n=$(grep -c -- "$2" "$1")
	[ "$n" = 1 ] || { fail "$1: $n lines match '$2', expected 1"; cat "$1"; }
}

# get: the warning reaches the log at the default level
mkdir -p "$work/s1"
printf 'this is not bencode' >"$work/s1/dht.state"
timeout -s INT 3 "$bin" get "$vec/single.torrent" -o "$work/dl" --bind 127.0.0.7 --port 0 \
	--no-trackers --state-dir "$work/s1" 2>"$work/get.err" >/dev/null
one_line "$work/get.err" "warn: dht: state file $work/s1/dht.state ignored (damaged or not a DHT state file)"
grep -q "dht: dht:" "$work/get.err" && fail "doubled prefix in the log"

# trackless dht node
mkdir -p "$work/s2"
printf 'd1:vi7ee' >"$work/s2/dht.dat"
timeout -s INT 2 "$bin" dht node --bind 127.0.0.7 --port 0 --state-dir "$work/s2" \
	2>"$work/node1.err" >/dev/null
one_line "$work/node1.err" "state file $work/s2/dht.dat ignored (damaged or not a DHT state file)"

# nlisten DIR: the "listening" lines in DIR/log
nlisten() {
	cat "$1/log" 2>/dev/null | grep -c "listening"
}

# run_node DIR MODE N: trackless-node for a moment, logging to DIR/log,
# stopped by SIGTERM (a clean exit saves the state)
run_node() {
	local before
	before=$(nlisten "$1")
	"$node" --foreground --bind 127.0.0.7 --port $((port + $3)) --state-dir "$1" \
		--mode "$2" --log-file "$1/log" --save-interval 3600 &
	pid=$!
	# (its own "listening" line, not one of an earlier run in DIR/log: a
	# SIGTERM before its handler is set would kill it)
	for _ in $(seq 300); do [ "$(nlisten "$1")" -gt "$before" ] && break; sleep 0.1; done
	[ "$(nlisten "$1")" -gt "$before" ] || fail "trackless-node $2 did not start in 30 s"
	kill -TERM "$pid"
	for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	wait "$pid" || fail "trackless-node $2 exited $?"
	pid=
}

# trackless-node, router mode: ids of the wrong size
mkdir -p "$work/s3"
printf 'short' >"$work/s3/ids"
run_node "$work/s3" router 1
one_line "$work/s3/log" "$work/s3/ids is damaged (5 bytes, not 40); new node ids"
# the file it saved at exit is whole again
[ "$(stat -c %s "$work/s3/ids")" = 40 ] || fail "ids not replaced"
run_node "$work/s3" router 2
grep -c "damaged" "$work/s3/log" | grep -qx 1 || fail "expected one report of the ids in all (none for the ids saved at exit)"

# trackless-node, full mode
mkdir -p "$work/s4"
head -c 100 /dev/zero >"$work/s4/dht.state"
run_node "$work/s4" full 3
one_line "$work/s4/log" "state file $work/s4/dht.state ignored (damaged or not a DHT state file)"

[ $fails -eq 0 ] || exit 1
echo ok
