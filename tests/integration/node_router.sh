#!/usr/bin/env bash
# node_router.sh: trackless-node in router mode on 127.0.0.2. 40 KRPC
# clients (tests/integration/krpc_tool.py, an independent bencode) bootstrap
# through it; the node pings them with cookies and its pool fills (read on
# /metrics). Then SIGTERM, restart: the pool is back from --state-dir and
# the node answers a newcomer's find_node with 8 swarm nodes that answer a
# ping, within 1 s of the restart. announce_peer is refused and get_peers
# carries no token; a repeat asker gets 3 nodes; a read-only (BEP 43) node
# is answered but never pinged; SIGHUP reopens the log. With IPv6 on
# loopback, a node on ::1 is verified over IPv6 and handed out in nodes6
# (BEP 32 want n4+n6).
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/node_common.sh"
clients=40
v6=()
grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null && v6=(--bind ::1)

start_node --threads 2 --ping-delay 0 "${v6[@]}" || exit 1
timeout 40 "$py" "$tool" swarm --router "127.0.0.2:$port" --clients $clients --base 127.0.10.0 \
	--duration 25 --ids "$work/ids" &
bg_pids=$!

wait_pool $clients || { echo "FAIL: the pool did not fill"; exit 1; }
[ "$(metric trackless_node_cookie_replies_total)" -ge $clients ] ||
	{ echo "FAIL: no cookie replies counted"; exit 1; }

# a newcomer gets 8 verified swarm nodes that answer pings
timeout 10 "$py" "$tool" query --router "127.0.0.2:$port" --ids "$work/ids" --source 127.0.0.3 \
	--ping || { echo "FAIL: bad answer before restart"; exit 1; }

# no storage: announce_peer gets 203, get_peers has nodes and no token
"$py" - "$port" <<'EOF' || { echo "FAIL: storage behaviour"; exit 1; }
import os, socket, sys
sys.path.insert(0, os.environ.get("top_srcdir", ".") + "/tests/integration")
import krpc_tool as k
s = k.bind("127.0.0.4")
to = ("127.0.0.2", int(sys.argv[1]))
ih = os.urandom(20)
r = k.query(s, to, "get_peers", {"id": os.urandom(20), "info_hash": ih})
assert r and r[b"y"] == b"r" and b"token" not in r[b"r"] and len(r[b"r"][b"nodes"]) == 8 * 26, r
assert r[b"ip"] == socket.inet_aton("127.0.0.4") + s.getsockname()[1].to_bytes(2, "big")
r = k.query(s, to, "announce_peer", {"id": os.urandom(20), "info_hash": ih, "port": 1,
                                     "token": b"x"}, tid=b"an")
assert r and r[b"y"] == b"e" and r[b"e"][0] == 203, r
r = k.query(s, to, "vote", {"id": os.urandom(20)}, tid=b"vo")
assert r and r[b"y"] == b"e" and r[b"e"][0] == 204, r
# a repeat asker within 10 minutes gets 3 nodes
r = k.query(s, to, "find_node", {"id": os.urandom(20), "target": ih}, tid=b"fn")
assert r and len(r[b"r"][b"nodes"]) == 3 * 26, r
print("storage: announce refused (203), get_peers token-less; repeat asker got 3 nodes")
# BEP 43: a read-only node is answered but never pinged nor handed out
ro = k.bind("127.0.0.6")
rid = os.urandom(20)
ro.sendto(k.benc({"t": b"ro", "y": "q", "q": "find_node", "ro": 1,
                  "a": {"id": rid, "target": rid}}), to)
ro.settimeout(0.6)
msgs = []
try:
    while True:
        msgs.append(k.decode(ro.recvfrom(2048)[0]))
except socket.timeout:
    pass
assert [m[b"y"] for m in msgs] == [b"r"], msgs
print("read-only: answered, not pinged")
EOF
[ "$(metric trackless_node_read_only_queries_total)" -eq 1 ] || { echo "FAIL: ro not counted"; exit 1; }

# SIGHUP reopens the log (logrotate moved it away)
mv "$work/node.log" "$work/node.log.1"
kill -HUP "$node_pid"
for _ in $(seq 30); do grep -qs "log reopened" "$work/node.log" && break; sleep 0.1; done
grep -q "log reopened" "$work/node.log" || { echo "FAIL: SIGHUP did not reopen the log"; exit 1; }

if [ ${#v6[@]} -gt 0 ]; then
	"$py" - "$port" <<'EOF' || { echo "FAIL: IPv6"; exit 1; }
import os, socket, sys, time
sys.path.insert(0, os.environ.get("top_srcdir", ".") + "/tests/integration")
import krpc_tool as k
to = ("::1", int(sys.argv[1]), 0, 0)
a = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
a.bind(("::1", 0))
aid = os.urandom(20)
# a node on ::1 asks, then answers the router's cookie ping
a.sendto(k.benc({"t": b"q1", "y": "q", "q": "find_node",
                 "a": {"id": aid, "target": aid, "want": ["n4", "n6"]}}), to)
end, pinged = time.time() + 3, False
a.settimeout(0.1)
while time.time() < end and not pinged:
    try:
        pkt, src = a.recvfrom(2048)
    except socket.timeout:
        continue
    m = k.decode(pkt)
    if m and m.get(b"y") == b"q" and m.get(b"q") == b"ping":
        a.sendto(k.benc({"t": m[b"t"], "y": "r", "r": {"id": aid}}), src)
        pinged = True
assert pinged, "no ping over IPv6"
time.sleep(0.2)
b = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
b.bind(("::1", 0))
r = k.query(b, to, "get_peers", {"id": os.urandom(20), "info_hash": os.urandom(20),
                                 "want": ["n4", "n6"]})
n6 = r[b"r"].get(b"nodes6", b"")
assert r[b"y"] == b"r" and len(n6) == 38 and n6[:20] == aid, r
assert len(r[b"r"][b"nodes"]) >= 3 * 26 and len(r[b"ip"]) == 18, r  # ::1 may be a repeat asker
print("ipv6: verified over IPv6 and handed out in nodes6, with IPv4 nodes")
EOF
fi

stop_node || exit 1
[ -s "$work/state/pool" ] || { echo "FAIL: no saved pool"; exit 1; }
grep -q "saved" "$work/node.log" || { echo "FAIL: no save logged"; exit 1; }

# restart: nodes from disk, served within 1 s (the swarm is still up)
start_node --threads 2 --ping-delay 0 "${v6[@]}" || exit 1
timeout 10 "$py" "$tool" query --router "127.0.0.2:$port" --ids "$work/ids" --source 127.0.0.5 \
	--ping --within 1.0 || { echo "FAIL: not served from disk at once"; cat "$work/node.log"; exit 1; }
n=$(metric 'trackless_node_pool_nodes{family="v4"}')
echo "pool after restart: $n verified nodes"
[ "$n" -ge $clients ] || { echo "FAIL: pool not restored"; exit 1; }
grep -q "loaded $clients nodes\|loaded [0-9]* nodes" "$work/node.log" || { echo "FAIL: no load logged"; exit 1; }
stop_node || exit 1
echo "node_router: ok"
