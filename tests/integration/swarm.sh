#!/usr/bin/env bash
# swarm.sh: one seeder with a capped upload rate and five leechers, each
# given the seeder and the other leechers with --peer. Every leecher
# completes with the right bytes, and every leecher uploads to the others
# (its own JSON stats say so).
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"

mkdir -p "$work/data"
head -c $((8 * 1024 * 1024 + 99)) /dev/urandom >"$work/data/swarm.bin"
timeout 20 "$bin" create "$work/data/swarm.bin" -p 64K -o "$work/t.torrent" >/dev/null 2>&1 || fail create
sport=$((port_base + 21))
timeout --foreground 60 "$bin" seed "$work/t.torrent" "$work/data" --bind 127.0.0.2 --port $sport \
	--upload-limit 1500K --state-dir "$work/s0" --json >"$work/seed.out" 2>"$work/seed.err" &
pids+=($!)
wait_json "$work/seed.out" checked 40 || fail "seeder did not start"

lpids=()
for i in 1 2 3 4 5; do
	args=(--peer 127.0.0.2:$sport)
	for j in 1 2 3 4 5; do
		[ $j -eq $i ] || args+=(--peer 127.0.0.$((j + 2)):$((sport + j)))
	done
	timeout 50 "$bin" get "$work/t.torrent" -o "$work/dl$i" --bind 127.0.0.$((i + 2)) \
		--port $((sport + i)) "${args[@]}" --state-dir "$work/s$i" --seed-time 3 --json \
		>"$work/get$i.out" 2>"$work/get$i.err" &
	lpids+=($!)
	pids+=($!)
done
for i in 1 2 3 4 5; do
	wait "${lpids[$((i - 1))]}"
	rc=$?
	[ $rc -eq 0 ] || { fail "leecher $i exited $rc"; tail -n 3 "$work/get$i.err"; }
	cmp -s "$work/data/swarm.bin" "$work/dl$i/swarm.bin" || fail "leecher $i: data differs"
	up=$(json_field "$work/get$i.out" stopped uploaded)
	echo "leecher $i uploaded ${up:-?} bytes"
	[ "${up:-0}" -gt 0 ] || fail "leecher $i uploaded nothing"
done
# the seeder's --upload-limit held (1500 KiB/s; the smoothed rate may
# overshoot a little on the first burst)
max_up=$(grep '"event":"status"' "$work/seed.out" | sed -n 's/.*"up_rate":\([0-9]*\).*/\1/p' | sort -n | tail -1)
echo "seeder peak upload rate ${max_up:-?} B/s"
[ "${max_up:-0}" -gt 0 ] && [ "${max_up:-0}" -le $((1500 * 1024 * 3 / 2)) ] ||
	fail "seeder upload rate ${max_up:-?} B/s is over its limit"
[ $fails -eq 0 ] || exit 1
echo "ok"
