#!/usr/bin/env bash
# dht_libtorrent.sh: our DHT and libtorrent's (python3-libtorrent) find each
# other on loopback, in both directions:
#   1. a libtorrent session with torrent H1 (a magnet, no metadata) announces
#      it (force_dht_announce: its listen port) and `trackless dht get-peers`
#      finds 127.0.0.3:PORT (the python binding cannot pass dht_announce's
#      flags argument in 2.0.8, so the announce goes through a torrent);
#   2. `trackless dht announce H2 6002` is found by libtorrent dht_get_peers.
# Our nodes: A 127.0.0.2 (bootstraps from libtorrent at 127.0.0.3) and B
# 127.0.0.4 (bootstraps from A). libtorrent bootstraps from A; it keeps
# bootstrap nodes out of its routing table (notes/interop.md, pitfall 8),
# so it learns B from A's replies. libtorrent settings follow
# notes/interop.md (loopback listen, no LSD/UPnP/NAT-PMP,
# dht_restrict_routing_ips/search_ips off).
set -euo pipefail
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)/build}"
bin=$top_builddir/trackless
py=/usr/bin/python3
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
[ -x "$py" ] && "$py" -c 'import libtorrent' 2>/dev/null ||
	{ echo "SKIP: python3-libtorrent is not installed"; exit 77; }

dir=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]+"${pids[@]}"}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+)
h1=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
h2=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')

"$bin" dht node --bind 127.0.0.2 --port "$port" --bootstrap 127.0.0.3:$port \
	--state-dir "$dir/a" >"$dir/ours-a.log" 2>&1 &
pids+=($!)
sleep 0.3
"$bin" dht node --bind 127.0.0.4 --port "$port" --bootstrap 127.0.0.2:$port \
	--state-dir "$dir/b" >"$dir/ours-b.log" 2>&1 &
pids+=($!)
sleep 0.5

# libtorrent: announces h1, then waits for the go-ahead file and looks up h2
cat >"$dir/lt.py" <<'EOF'
import os, sys, time
import libtorrent as lt
port, h1, h2, d = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = lt.session({
    'listen_interfaces': '127.0.0.3:%d' % port,
    'outgoing_interfaces': '127.0.0.3',
    'listen_system_port_fallback': False,
    'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
    'enable_ip_notifier': False, 'enable_dht': True,
    'dht_bootstrap_nodes': '127.0.0.2:%d' % port,
    'dht_restrict_routing_ips': False, 'dht_restrict_search_ips': False,
    'alert_mask': lt.alert.category_t.dht_notification | lt.alert.category_t.error_notification |
                  lt.alert.category_t.dht_log_notification |
                  lt.alert.category_t.dht_operation_notification,
})
def wait_nodes(n, limit):
    end = time.time() + limit
    while time.time() < end:
        s.post_dht_stats()
        for a in s.pop_alerts():
            if isinstance(a, lt.dht_stats_alert):
                if sum(b['num_nodes'] for b in a.routing_table) >= n:
                    return True
        time.sleep(0.2)
    return False
if not wait_nodes(1, 15):
    print('libtorrent: no DHT node in its table', flush=True)
    sys.exit(1)
print('libtorrent: DHT up', flush=True)
atp = lt.add_torrent_params()
atp.info_hashes = lt.info_hash_t(lt.sha1_hash(bytes.fromhex(h1)))
atp.save_path = d
atp.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
th = s.add_torrent(atp)
th.force_dht_announce()
t = time.time() + 10
announced = False
while not announced and time.time() < t:
    for a in s.pop_alerts():
        if isinstance(a, lt.dht_reply_alert) or (isinstance(a, lt.dht_log_alert) and 'announce' in a.message()):
            announced = True
    time.sleep(0.1)
open(os.path.join(d, 'lt-announced'), 'w').close()
end = time.time() + 40
while not os.path.exists(os.path.join(d, 'go')) and time.time() < end:
    s.pop_alerts()
    time.sleep(0.1)
want = ('127.0.0.6', 6002)
found = False
while not found and time.time() < end:
    s.dht_get_peers(lt.sha1_hash(bytes.fromhex(h2)))
    t = time.time() + 3
    while time.time() < t and not found:
        for a in s.pop_alerts():
            if isinstance(a, lt.dht_get_peers_reply_alert):
                peers = [tuple(p) for p in a.peers()]
                print('libtorrent: get_peers reply', peers, flush=True)
                if want in peers:
                    found = True
        time.sleep(0.1)
print('libtorrent: found our peer' if found else 'libtorrent: did not find our peer', flush=True)
sys.exit(0 if found else 1)
EOF
"$py" "$dir/lt.py" "$port" "$h1" "$h2" "$dir" >"$dir/lt.log" 2>&1 &
ltpid=$!
pids+=($ltpid)

fail() { echo "FAIL: $*"; for f in "$dir"/*.log "$dir"/*.out; do [ -f "$f" ] && { echo "== $f"; cat "$f"; }; done; exit 1; }

for _ in $(seq 1 200); do [ -f "$dir/lt-announced" ] && break; sleep 0.1; done
[ -f "$dir/lt-announced" ] || fail "libtorrent did not join our node's DHT"
sleep 2

# 1. libtorrent's announce, found through our node
timeout 30 "$bin" dht get-peers "$h1" --bind 127.0.0.5 --bootstrap 127.0.0.4:$port \
	--timeout 20 >"$dir/get.out" 2>&1 || fail "trackless did not find libtorrent's peer"
grep -q "^peer 127.0.0.3:$port$" "$dir/get.out" || fail "libtorrent's peer missing from get-peers"

# 2. our announce (through libtorrent), found by libtorrent
timeout 30 "$bin" dht announce "$h2" 6002 --bind 127.0.0.6 --bootstrap 127.0.0.3:$port \
	--timeout 20 >"$dir/announce.out" 2>&1 || fail "trackless announce did not complete"
touch "$dir/go"
rc=0
timeout 45 tail --pid=$ltpid -f /dev/null || true
wait $ltpid || rc=$?
[ $rc -eq 0 ] || fail "libtorrent did not find our announced peer"
echo "PASS: libtorrent <-> trackless DHT announce and get_peers both ways"
