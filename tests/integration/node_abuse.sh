#!/usr/bin/env bash
# node_abuse.sh: trackless-node under abuse. While a well-behaved client
# on 127.0.0.3 pings 10 times a second, the node takes a query flood from
# one source, then a flood from 5000 loopback sources (one datagram source
# address chosen per packet with IP_PKTINFO) mixed with malformed
# datagrams. Checks: >= 90 % of the client's pings answered, the
# per-source limit and the malformed counter fired (/metrics), the RSS
# stays under --max-memory, and the node still answers afterwards. Then,
# with --reply-budget 64, a 3000-source flood draws at most the budget
# while a pinging client keeps >= 90 % answered from the kept reserve.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/node_common.sh"
mem=48

# start_probe SOURCE SECONDS: a client pinging 10 times a second, in the
# background; end_probe: its verdict (>= 90 % answered) and its line.
start_probe() {
	timeout 30 "$py" "$tool" probe --router "127.0.0.2:$port" --source "$1" --rate 10 \
		--duration "$2" --min-percent 90 >"$work/probe.out" &
	probe=$!
	bg_pids=$probe
}
end_probe() {
	wait $probe
	local rc=$?
	bg_pids=
	cat "$work/probe.out"
	return $rc
}

start_node --threads 2 --ping-delay 0 --max-memory $mem || exit 1
start_probe 127.0.0.3 9

timeout 20 "$py" "$tool" flood --router "127.0.0.2:$port" --sources 1 --base 127.0.0.4 \
	--duration 4 || exit 1
limited=$(metric 'trackless_node_drops_total{reason="rate_limited"}')
banned=$(metric 'trackless_node_drops_total{reason="banned"}')
echo "one source: $limited rate-limited, $banned banned"
[ $((limited + banned)) -gt 0 ] || { echo "FAIL: a single-source flood was not limited"; exit 1; }

timeout 20 "$py" "$tool" flood --router "127.0.0.2:$port" --sources 5000 --base 127.0.20.0 \
	--duration 4 --malformed || exit 1
malformed=$(metric 'trackless_node_drops_total{reason="malformed"}')
echo "many sources: $malformed malformed datagrams dropped"
[ "$malformed" -gt 100 ] || { echo "FAIL: malformed datagrams not counted"; exit 1; }

end_probe || { echo "FAIL: the well-behaved client was starved"; exit 1; }

rss=$(metric trackless_node_rss_bytes)
echo "rss $((rss / 1024)) KiB, bound $mem MiB"
[ "$rss" -gt 0 ] && [ "$rss" -lt $((mem * 1024 * 1024)) ] || { echo "FAIL: memory bound"; exit 1; }
pending=$(metric 'trackless_node_pool_pending{family="v4"}')
cap=$(metric 'trackless_node_pool_capacity{family="v4"}')
[ "$pending" -le "$cap" ] || { echo "FAIL: pool over capacity"; exit 1; }

# still serving
timeout 5 "$py" "$tool" probe --router "127.0.0.2:$port" --source 127.0.0.5 --rate 20 \
	--duration 1 --min-percent 100 || { echo "FAIL: not answering after the floods"; exit 1; }
stop_node || exit 1

# the global reply budget caps what any crowd of sources can draw out:
# 64 KiB/s, so 3 s of flood send at most 5 x 64 KiB (1 s of burst, and
# slack for the time between the scrapes); unbounded it would be megabytes
# and the part of it kept for pings still answers a well-behaved client
start_node --threads 2 --reply-budget 64 || exit 1
out0=$(metric trackless_node_bytes_out_total)
start_probe 127.0.0.6 3
timeout 20 "$py" "$tool" flood --router "127.0.0.2:$port" --sources 3000 --base 127.0.40.0 \
	--duration 3 || exit 1
out=$(( $(metric trackless_node_bytes_out_total) - out0 ))
budget=$(metric 'trackless_node_drops_total{reason="reply_budget"}')
echo "budget: $out reply bytes in 3 s, $budget replies over budget dropped"
[ "$budget" -gt 0 ] && [ "$out" -le $((5 * 64 * 1024)) ] || { echo "FAIL: reply budget"; exit 1; }
end_probe || { echo "FAIL: the budget's reserve did not keep pings answered"; exit 1; }
stop_node || exit 1
echo "node_abuse: ok"
