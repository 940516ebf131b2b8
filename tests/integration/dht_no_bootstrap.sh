#!/usr/bin/env bash
# dht_no_bootstrap.sh: with --no-bootstrap the first node of a private DHT
# (`trackless dht node`, `trackless-node --mode full`, `trackless get`)
# looks up none of the built-in routers, and still starts and answers a
# ping. It runs in network and mount namespaces of its own: only lo is up
# and /etc/resolv.conf names a recording DNS stub on 127.0.0.1, so that a
# lookup shows up in the stub's log and never leaves the host. The same
# commands without --no-bootstrap are the control: the stub must see the
# routers' names then.
set -uo pipefail
vec=${top_srcdir:-.}/tests/vectors
py=/usr/bin/python3
NETNS_NEEDS=("$py")
. "${top_srcdir:-.}/tests/integration/netns_lib.sh"
netns_run 90 --net --mount -- "$@"

echo "nameserver 127.0.0.1" >"$work/resolv.conf"
mount --bind "$work/resolv.conf" /etc/resolv.conf || exit 1

# the stub: every query name on its own line in $work/dns.log, no answer
"$py" - "$work/dns.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
log = open(sys.argv[1], "a", buffering=1)
log.write("ready\n")
while True:
    pkt, _ = s.recvfrom(2048)
    i, labels = 12, []
    while i < len(pkt) and pkt[i]:
        labels.append(pkt[i + 1:i + 1 + pkt[i]].decode("ascii", "replace"))
        i += 1 + pkt[i]
    log.write(".".join(labels) + "\n")
PY
pids+=($!)
for _ in $(seq 50); do grep -q ready "$work/dns.log" 2>/dev/null && break; sleep 0.1; done

# dht_node PORT ARGS...: `trackless dht node` on 127.0.0.1:PORT for a
# moment, pinged from another node; sets ping_rc
dht_node() {
	local port=$1
	shift
	"$bin" dht node --bind 127.0.0.1 --port "$port" -v "$@" >"$work/node.out" 2>&1 &
	local pid=$!
	pids+=($pid)
	for _ in $(seq 50); do grep -q "dht node: IPv4 port" "$work/node.out" && break; sleep 0.1; done
	"$bin" dht ping 127.0.0.1:"$port" --bind 127.0.0.2 --no-bootstrap --timeout 5 >/dev/null 2>&1
	ping_rc=$?
	sleep 1 # room for a lookup that would come late
	kill -INT "$pid"
	wait "$pid"
}

# trackless-node, full mode
full_node() {
	"$node" --foreground --mode full --bind 127.0.0.3 --port "$1" --log-level info \
		--log-file "$work/full.log" "${@:2}" &
	local pid=$!
	pids+=($pid)
	for _ in $(seq 50); do grep -q "listening" "$work/full.log" 2>/dev/null && break; sleep 0.1; done
	"$bin" dht ping 127.0.0.3:"$1" --bind 127.0.0.2 --no-bootstrap --timeout 5 >/dev/null 2>&1
	ping_rc=$?
	sleep 1
	kill -TERM "$pid"
	wait "$pid"
}

# get (any address: a loopback --bind would skip the routers by itself)
get() {
	timeout -s INT 3 "$bin" get "$vec/single.torrent" -o "$work/dl" --no-trackers \
		--state-dir "$work/s$1" "${@:2}" >/dev/null 2>&1
}

# all with --no-bootstrap first: the stub may log a query a little late
dht_node 7001 --no-bootstrap
[ $ping_rc -eq 0 ] || fail "dht node --no-bootstrap did not answer a ping"
full_node 7003 --no-bootstrap
[ $ping_rc -eq 0 ] || fail "trackless-node --no-bootstrap did not answer a ping"
get 1 --no-bootstrap
sleep 0.5
n=$(grep -vc '^ready$' "$work/dns.log")
[ "$n" = 0 ] || fail "with --no-bootstrap: $n DNS lookups"

# the controls, one at a time
# wait_lookups: true once the stub has seen a router's name since the last call
seen=0
wait_lookups() {
	local n
	for _ in $(seq 30); do
		n=$(grep -ic 'router.bittorrent.com' "$work/dns.log")
		if [ "$n" -gt "$seen" ]; then
			sleep 0.5 # the rest of this burst is not the next one's
			seen=$(grep -ic 'router.bittorrent.com' "$work/dns.log")
			return 0
		fi
		sleep 0.1
	done
	seen=$n
	return 1
}
dht_node 7002
wait_lookups || fail "control: dht node without --no-bootstrap did not look the routers up"
full_node 7004
wait_lookups || fail "control: trackless-node without --no-bootstrap did not look the routers up"
get 2
wait_lookups || fail "control: get without --no-bootstrap did not look the routers up"

[ $fails -eq 0 ] || { cat "$work/dns.log"; exit 1; }
echo ok
