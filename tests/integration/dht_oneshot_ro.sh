#!/usr/bin/env bash
# dht_oneshot_ro.sh: the one-shot DHT commands (get-peers, announce, put,
# get, scrape, sample) join read-only (BEP 43): they are answered, but no
# node keeps them in its routing table, so the lookups of others are not
# sent to processes that have long exited. Three `trackless dht node`
# processes on 127.0.0.2..4, a one-shot of each kind from its own address;
# then every node, stopped with SIGTERM, reports in its --json stats only
# the two others. Bounded, loopback only, every process stopped by PID.
set -euo pipefail
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/dht_nodes.sh"
pids=()
for i in 2 3 4; do
	boot=127.0.0.2:$port
	[ "$i" -eq 2 ] && boot=127.0.0.3:$port
	"$bin" dht node --json --bind 127.0.0.$i --port "$port" --bootstrap "$boot" >"$dir/node$i.log" 2>&1 &
	pids+=($!)
	[ "$i" -eq 2 ] && sleep 0.3
done
sleep 2

ih=0123456789abcdef0123456789abcdef01234567
one() { # $1 = last octet, rest = the dht command
	local ip=127.0.0.$1
	shift
	timeout 20 "$bin" dht "$@" --bind "$ip" --bootstrap 127.0.0.2:$port --timeout 5 \
		>>"$dir/oneshot.out" 2>&1 || true
}
one 30 get-peers "$ih"
one 31 announce "$ih" 7000
one 32 put "read-only value"
one 33 get "$ih"
one 34 scrape "$ih"
one 35 sample --max-queries 4
grep -q "stored on [1-8] of" "$dir/oneshot.out" || fail "the read-only put was not stored"
timeout 20 "$bin" dht get-peers "$ih" --bind 127.0.0.36 --bootstrap 127.0.0.3:$port --timeout 5 \
	>"$dir/peers.out" 2>&1 || fail "the read-only announce was not stored"
grep -q "127.0.0.31:7000" "$dir/peers.out" || fail "the announced peer is missing"

for i in 0 1 2; do kill -TERM "${pids[$i]}"; done
for i in 0 1 2; do wait "${pids[$i]}" || fail "a node did not exit cleanly"; done
pids=()
for i in 2 3 4; do
	n=$(sed -n 's/.*"nodes_good":\[\([0-9]*\),.*"nodes_dubious":\[\([0-9]*\),.*/\1 \2/p' "$dir/node$i.log")
	[ -n "$n" ] || fail "node $i printed no stats"
	set -- $n
	[ $(($1 + $2)) -eq 2 ] || fail "node $i keeps $(($1 + $2)) nodes, not the 2 others"
done
echo "PASS: six one-shot commands answered; every node keeps only the 2 others"
