#!/usr/bin/env bash
# rate_limit.sh: the session rate limits (token buckets) hold. 8 MiB
# through a leecher with --download-limit 2M, then from a seeder with
# --upload-limit 2M, each take at least 3 s (8 MiB at 2 MiB/s is 4 s; the
# first second's burst may come at once), while the same transfer with no
# limit takes well under that. The unlimited leecher reads the socket
# itself; a limited one reads through the bufferevent: both paths are
# covered, and the data is byte-identical each time.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"

mkdir -p "$work/data"
head -c $((8 * 1024 * 1024)) /dev/urandom >"$work/data/rl.bin"
timeout 20 "$bin" create "$work/data/rl.bin" -p 256K -o "$work/t.torrent" >/dev/null 2>&1 || fail create

now_ms() { date +%s%3N; }

# run NAME SEEDER_ARGS -- GET_ARGS: one seeder, one leecher; prints the
# leecher's wall time in ms
run() {
	local name=$1 port=$((port_base + $2))
	shift 2
	local sargs=() gargs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do sargs+=("$1"); shift; done
	shift
	gargs=("$@")
	timeout --foreground 60 "$bin" seed "$work/t.torrent" "$work/data" --bind 127.0.0.2 \
		--port "$port" --no-dht --state-dir "$work/s-$name" --json "${sargs[@]+"${sargs[@]}"}" \
		>"$work/seed-$name.out" 2>"$work/seed-$name.err" &
	local sp=$!
	pids+=("$sp")
	wait_json "$work/seed-$name.out" checked 20 || fail "$name: seeder did not start"
	local t0 rc
	t0=$(now_ms)
	timeout 40 "$bin" get "$work/t.torrent" -o "$work/dl-$name" --peer 127.0.0.2:"$port" \
		--bind 127.0.0.3 --no-dht --state-dir "$work/g-$name" --no-seed -q \
		"${gargs[@]+"${gargs[@]}"}" >"$work/get-$name.out" 2>"$work/get-$name.err"
	rc=$?
	echo $(($(now_ms) - t0)) >"$work/ms-$name"
	[ $rc -eq 0 ] || { fail "$name: get exited $rc"; tail -n 5 "$work/get-$name.err"; }
	cmp -s "$work/data/rl.bin" "$work/dl-$name/rl.bin" || fail "$name: data differs"
	kill "$sp" 2>/dev/null
	wait "$sp" 2>/dev/null
	echo "$name: $(cat "$work/ms-$name") ms"
}

run free 1 --
run down 3 -- --download-limit 2M
run up 5 --upload-limit 2M --

free=$(cat "$work/ms-free")
down=$(cat "$work/ms-down")
up=$(cat "$work/ms-up")
[ "$down" -ge 3000 ] || fail "--download-limit 2M moved 8 MiB in $down ms"
[ "$up" -ge 3000 ] || fail "--upload-limit 2M moved 8 MiB in $up ms"
[ "$down" -le 20000 ] || fail "--download-limit 2M took $down ms"
[ "$up" -le 20000 ] || fail "--upload-limit 2M took $up ms"
[ "$free" -lt 2500 ] || fail "with no limit 8 MiB took $free ms"
grep -E 'Sanitizer|runtime error' "$work"/*.err && fail "sanitizer report"
[ $fails -eq 0 ] || exit 1
echo "ok"
