#!/usr/bin/env bash
# dht_swarm.sh: 30 `trackless dht node` processes on 127.0.0.2..31 form a
# DHT; `trackless dht announce` through one node is stored by some of the
# closest (it says how many) and found by
# `trackless dht get-peers` through another. Also checks `dht ping` (an
# answer, and exit 1 on silence) and `dht stats`. Bounded, loopback only,
# every process stopped by PID.
set -euo pipefail
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)/build}"
bin=$top_builddir/trackless
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
command -v timeout >/dev/null || { echo "SKIP: timeout(1) missing"; exit 77; }

dir=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]+"${pids[@]}"}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+)
nodes=30
# 127.0.0.2 bootstraps from .3 and every other node from .2: nobody is
# ever pointed at the built-in routers.
for i in $(seq 2 $((nodes + 1))); do
	boot=127.0.0.2:$port
	[ "$i" -eq 2 ] && boot=127.0.0.3:$port
	"$bin" dht node --bind 127.0.0.$i --port "$port" --bootstrap "$boot" \
		--state-dir "$dir/n$i" >"$dir/node$i.log" 2>&1 &
	pids+=($!)
	[ "$i" -eq 2 ] && sleep 0.3 # the others' first ping should find it listening
done
sleep 4

fail() { echo "FAIL: $*"; for f in "$dir"/*.out; do echo "== $f"; cat "$f"; done; exit 1; }

timeout 10 "$bin" dht ping 127.0.0.17:$port --bind 127.0.0.40 >"$dir/ping.out" || fail "ping of a node got no answer"
grep -q "answered in" "$dir/ping.out" || fail "ping output"
if timeout 10 "$bin" dht ping 127.0.0.99:$port --timeout 1 >"$dir/ping-dead.out"; then
	fail "ping of a silent address reported success"
fi

hash=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
timeout 30 "$bin" dht announce "$hash" 4242 --bind 127.0.0.40 --bootstrap 127.0.0.10:$port \
	--timeout 20 >"$dir/announce.out" 2>&1 || fail "announce did not complete"
grep -q "^announced $hash port 4242" "$dir/announce.out" || fail "announce output"
# the closest nodes' answers are counted: some of them stored it
grep -Eq "\(IPv4: [1-9][0-9]* nodes?, [1-9][0-9]* stored\)" "$dir/announce.out" ||
	fail "announce: no count of the nodes that stored it"

timeout 30 "$bin" dht get-peers "$hash" --bind 127.0.0.41 --bootstrap 127.0.0.25:$port \
	--timeout 20 >"$dir/get.out" 2>&1 || fail "get-peers found nothing"
grep -q "^peer 127.0.0.40:4242$" "$dir/get.out" || fail "get-peers did not return the announced peer"

# a hash nobody announced: exit 1, not a false peer
other=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
if timeout 30 "$bin" dht get-peers "$other" --bind 127.0.0.42 --bootstrap 127.0.0.5:$port \
	--timeout 8 >"$dir/get-none.out" 2>&1; then
	fail "get-peers of an unannounced hash succeeded"
fi

timeout 10 "$bin" dht stats --json --duration 2 --bind 127.0.0.43 --bootstrap 127.0.0.2:$port \
	>"$dir/stats.out" 2>&1 || fail "stats"
grep -q '"nodes_good":\[[1-9]' "$dir/stats.out" || fail "stats: no good nodes after 2 s"
echo "PASS: $nodes nodes, announce via 127.0.0.10 found via 127.0.0.25"
