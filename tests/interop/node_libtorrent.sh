#!/usr/bin/env bash
# node_libtorrent.sh: python3-libtorrent bootstraps through trackless-node.
# trackless-node (router mode) runs on 127.0.0.2; five `trackless dht node`
# processes on 127.0.0.10-14 bootstrap through it and get verified; then a
# libtorrent session on 127.0.0.3 whose only bootstrap node is the router
# must get at least 3 nodes into its routing table (dht_stats_alert).
# libtorrent never keeps a bootstrap router in its table, so those are
# nodes it learned from ours. Settings per notes/interop.md.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/node_common.sh"
bin="${top_builddir:-.}/trackless"
[ -x "$bin" ] || { echo "$0: $bin not built"; exit 1; }
"$py" -c 'import libtorrent' 2>/dev/null || { echo "SKIP: python3-libtorrent is not installed"; exit 77; }
extra=5
dport=$((port + 5))

start_node --threads 2 --ping-delay 0 || exit 1
for i in $(seq 10 $((9 + extra))); do
	timeout 60 "$bin" dht node --bind 127.0.0.$i --port "$dport" --bootstrap "127.0.0.2:$port" \
		--state-dir "$work/n$i" >"$work/node$i.log" 2>&1 &
	bg_pids="$bg_pids $!"
done
wait_pool $extra || { echo "FAIL: the router did not verify the extra nodes"; exit 1; }

cat >"$work/lt.py" <<'PY'
import sys, time
import libtorrent as lt
router, port = sys.argv[1], int(sys.argv[2])
s = lt.session({
    'listen_interfaces': '127.0.0.3:%d' % port,
    'outgoing_interfaces': '127.0.0.3',
    'listen_system_port_fallback': False,
    'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
    'enable_ip_notifier': False, 'enable_dht': True,
    'dht_bootstrap_nodes': router,
    'dht_restrict_routing_ips': False, 'dht_restrict_search_ips': False,
    'alert_mask': lt.alert.category_t.dht_notification | lt.alert.category_t.error_notification,
})
end = time.time() + 25
best = 0
while time.time() < end:
    s.post_dht_stats()
    time.sleep(0.3)
    for a in s.pop_alerts():
        if isinstance(a, lt.dht_stats_alert):
            best = max(best, sum(b['num_nodes'] for b in a.routing_table))
    if best >= 3:
        break
print('libtorrent: %d nodes in its routing table' % best)
sys.exit(0 if best >= 3 else 1)
PY
timeout 40 "$py" "$work/lt.py" "127.0.0.2:$port" $((port + 7))
rc=$?
fn=$(metric 'trackless_node_queries_total{type="find_node"}')
echo "router answered $fn find_node queries"
[ $rc -eq 0 ] || { echo "FAIL: libtorrent did not bootstrap through trackless-node"; tail "$work/node.log"; exit 1; }
stop_node || exit 1
echo "node_libtorrent: ok"
