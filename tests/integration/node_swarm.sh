#!/usr/bin/env bash
# node_swarm.sh: 50 `trackless dht node` processes on 127.0.1.x bootstrap
# only through one trackless-node (router mode, 127.0.0.2). The router
# verifies them and hands them out, so they find each other: a peer
# announced through the router from one address is found by get-peers
# through the router from another. Bounded; every process stopped by PID.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/node_common.sh"
bin="${top_builddir:-.}/trackless"
[ -x "$bin" ] || { echo "$0: $bin not built"; exit 1; }
"$bin" dht --help 2>&1 | grep -q get-peers || { echo "SKIP: trackless dht is not built"; exit 77; }
nodes=50
dport=$((port + 5))

start_node --threads 2 --ping-delay 0 || exit 1
for i in $(seq 1 $nodes); do
	timeout 60 "$bin" dht node --bind 127.0.1.$i --port "$dport" --bootstrap "127.0.0.2:$port" \
		--state-dir "$work/n$i" >"$work/node$i.log" 2>&1 &
	bg_pids="$bg_pids $!"
done

wait_pool $nodes || { echo "FAIL: the router did not verify the swarm"; exit 1; }
sleep 2

fail() { echo "FAIL: $*"; cat "$work"/*.out; tail -5 "$work/node.log"; exit 1; }
hash=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
timeout 30 "$bin" dht announce "$hash" 4242 --bind 127.0.0.40 --bootstrap "127.0.0.2:$port" \
	--timeout 20 >"$work/announce.out" 2>&1 || fail "announce did not complete"
grep -q "^announced $hash port 4242" "$work/announce.out" || fail "announce output"
timeout 30 "$bin" dht get-peers "$hash" --bind 127.0.0.41 --bootstrap "127.0.0.2:$port" \
	--timeout 20 >"$work/get.out" 2>&1 || fail "get-peers found nothing"
grep -q "^peer 127.0.0.40:4242$" "$work/get.out" || fail "get-peers did not return the announced peer"
[ "$(metric 'trackless_node_queries_total{type="announce_peer"}')" -eq 0 ] ||
	echo "note: announces reached the router (refused with 203)"
stop_node || exit 1
echo "node_swarm: $nodes nodes found each other through trackless-node"
