#!/usr/bin/env bash
# magnet_swarm.sh: a seeder held to 3 MiB/s and three `trackless get
# MAGNET` leechers on 127.0.0.4-6, peers found only through the DHT and
# PEX (no tracker, no --peer). Each leecher must end with the data and
# must have uploaded something to the others. Then the same with no DHT at
# all: only the seeder in x.pe, the rest learned through PEX (BEP 11).
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/magnet_lib.sh"

mkdir -p "$work/data"
head -c $((12 * 1024 * 1024)) /dev/urandom >"$work/data/swarm.bin"
P=$port_base
start_node 127.0.0.2 "$P"
start_seed seed "$work/data/swarm.bin" 127.0.0.3 0 "127.0.0.2:$P" --upload-limit 3M

lp=()
for i in 4 5 6; do
	timeout 55 "$bin" get "$magnet" -o "$work/dl$i" --bind "127.0.0.$i" --port $((P + i)) \
		--bootstrap "127.0.0.2:$P" --state-dir "$work/state-$i" --seed-time 6 --json \
		>"$work/get$i.out" 2>"$work/get$i.err" &
	lp+=($!)
	pids+=($!)
done
for i in 0 1 2; do
	wait "${lp[$i]}"
	rc=$?
	[ $rc -eq 0 ] || { fail "leecher $((i + 4)) exited $rc"; tail -3 "$work/get$((i + 4)).err"; }
done
a=$(sha256sum <"$work/data/swarm.bin")
for i in 4 5 6; do
	b=$(sha256sum <"$work/dl$i/swarm.bin" 2>/dev/null)
	[ "$a" = "$b" ] || fail "leecher $i: sha256 differs"
	up=$(json_field "$work/get$i.out" stopped uploaded)
	[ "${up:-0}" -gt 0 ] || fail "leecher $i uploaded nothing"
	echo "leecher $i uploaded ${up:-0} bytes"
done
echo "ok: a magnet swarm over the DHT and PEX"

# PEX alone: no DHT anywhere; the leechers know only the seeder (x.pe in
# the magnet link) and learn of each other from the seeder's ut_pex.
P2=$((P + 20))
start_seed pexseed "$work/data/swarm.bin" 127.0.0.3 0 "127.0.0.2:$P" --no-dht --upload-limit 2M
lp=()
for i in 4 5 6; do
	timeout 55 "$bin" get "$magnet&x.pe=127.0.0.3:$seed_port" -o "$work/pex$i" --bind "127.0.0.$i" \
		--port $((P2 + i)) --no-dht --state-dir "$work/pexstate-$i" --seed-time 6 --json \
		>"$work/pex$i.out" 2>"$work/pex$i.err" &
	lp+=($!)
	pids+=($!)
done
for i in 0 1 2; do
	wait "${lp[$i]}"
	rc=$?
	[ $rc -eq 0 ] || fail "PEX leecher $((i + 4)) exited $rc"
done
for i in 4 5 6; do
	b=$(sha256sum <"$work/pex$i/swarm.bin" 2>/dev/null)
	[ "$a" = "$b" ] || fail "PEX leecher $i: sha256 differs"
	up=$(json_field "$work/pex$i.out" stopped uploaded)
	[ "${up:-0}" -gt 0 ] || fail "PEX leecher $i uploaded nothing"
	echo "PEX leecher $i uploaded ${up:-0} bytes"
done
[ $fails -eq 0 ] || exit 1
echo "ok: leechers found each other through PEX"
