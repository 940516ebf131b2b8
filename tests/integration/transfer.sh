#!/usr/bin/env bash
# transfer.sh: `trackless seed` on 127.0.0.2 and `trackless get --peer` on
# 127.0.0.3 move a single-file torrent (short last piece) and a multi-file
# torrent (files spanning pieces, an empty file) byte for byte; the leecher
# exits 0 only once complete, and a second get over the finished download
# verifies it from disk (resume file) without downloading anything.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"

mkdir -p "$work/single" "$work/multi/tree/sub/deep"
head -c $((3 * 1024 * 1024 + 12345)) /dev/urandom >"$work/single/one.bin"
head -c $((100 * 1024 + 7)) /dev/urandom >"$work/multi/tree/a.bin"
head -c $((1024 * 1024 + 3)) /dev/urandom >"$work/multi/tree/sub/b.bin"
: >"$work/multi/tree/sub/empty"
printf 'tiny' >"$work/multi/tree/sub/deep/c.txt"
timeout 20 "$bin" create "$work/single/one.bin" -p 64K -o "$work/single.torrent" >/dev/null 2>&1 ||
	fail "create single"
timeout 20 "$bin" create "$work/multi/tree" -p 32K -o "$work/multi.torrent" >/dev/null 2>&1 ||
	fail "create multi"

# run NAME TORRENT DATADIR PORT
run() {
	local name=$1 tor=$2 data=$3 port=$4
	timeout --foreground 60 "$bin" seed "$tor" "$data" --bind 127.0.0.2 --port "$port" \
		--state-dir "$work/state-seed-$name" --json >"$work/seed-$name.out" 2>"$work/seed-$name.err" &
	local sp=$!
	pids+=("$sp")
	wait_json "$work/seed-$name.out" checked 40 || fail "$name: seeder did not start"
	timeout 40 "$bin" get "$tor" -o "$work/dl-$name" --peer "127.0.0.2:$port" --bind 127.0.0.3 \
		--state-dir "$work/state-get-$name" --no-seed --json >"$work/get-$name.out" 2>"$work/get-$name.err"
	local rc=$?
	[ $rc -eq 0 ] || { fail "$name: get exited $rc"; tail -5 "$work/get-$name.err"; }
	same_tree "$data" "$work/dl-$name" || fail "$name: downloaded data differs"
	# again: everything is on disk and in the resume file; nothing moves
	timeout 40 "$bin" get "$tor" -o "$work/dl-$name" --peer "127.0.0.2:$port" --bind 127.0.0.3 \
		--state-dir "$work/state-get-$name" --no-seed --json >"$work/get2-$name.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || fail "$name: second get exited $rc"
	[ "$(json_field "$work/get2-$name.out" stopped downloaded)" = 0 ] ||
		fail "$name: second get downloaded again"
	kill "$sp" 2>/dev/null
	wait "$sp" 2>/dev/null
	local up
	up=$(json_field "$work/seed-$name.out" stopped uploaded)
	[ "${up:-0}" -ge "$(find "$data" -type f -printf '%s\n' | awk '{s += $1} END {print s}')" ] ||
		{ fail "$name: seeder reports ${up:-no} upload"; tail -n 3 "$work/seed-$name.out" "$work/seed-$name.err"; }
	echo "ok: $name"
}

run single "$work/single.torrent" "$work/single" $((port_base + 1))
run multi "$work/multi.torrent" "$work/multi" $((port_base + 2))
# file selection: only sub/*, in order
port=$((port_base + 3))
timeout --foreground 60 "$bin" seed "$work/multi.torrent" "$work/multi" --bind 127.0.0.2 --port $port \
	--state-dir "$work/state-seed-only" --json >"$work/seed-only.out" 2>&1 &
pids+=($!)
wait_json "$work/seed-only.out" checked 40 || { fail "only: seeder did not start"; tail -n 3 "$work/seed-only.out"; }
timeout 40 "$bin" get "$work/multi.torrent" -o "$work/dl-only" --peer "127.0.0.2:$port" \
	--bind 127.0.0.3 --only 'sub/*' --sequential --state-dir "$work/state-get-only" --no-seed \
	--json >"$work/get-only.out" 2>&1 || fail "only: get exited $?"
cmp -s "$work/multi/tree/sub/b.bin" "$work/dl-only/tree/sub/b.bin" || fail "only: sub/b.bin differs"
cmp -s "$work/multi/tree/sub/deep/c.txt" "$work/dl-only/tree/sub/deep/c.txt" || fail "only: c.txt differs"
wanted=$(json_field "$work/get-only.out" stopped wanted_bytes)
[ "${wanted:-0}" -lt 1150990 ] || fail "only: wanted ${wanted:-?} bytes, the whole torrent"
echo "ok: --only"
[ $fails -eq 0 ] || exit 1
