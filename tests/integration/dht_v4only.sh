#!/usr/bin/env bash
# dht_v4only.sh: a dual-stack client whose DHT bootstrap nodes are IPv4
# only. Inside a network namespace of its own (lo up: 127.0.0.0/8 and ::1),
# `trackless seed` without --bind opens IPv4 and IPv6 DHT sockets; its
# IPv6 table never gets a node. Its IPv4 re-announces must go on all the
# same: with --dht-announce-interval 5 the bootstrap node (127.0.0.2) must
# see at least 3 announce_peer over 35 s. And `trackless dht announce`
# without --bind, through another IPv4-only node (127.0.0.3), must report
# success (IPv4 announced and stored, IPv6 had no node) within a few
# seconds.
# Bounded; every process stopped by PID; no traffic leaves the namespace.
set -uo pipefail # no -e: engine_lib.sh counts failures in $fails
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)/build}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_builddir top_srcdir
py=/usr/bin/python3
[ -x "$py" ] || { echo "SKIP: $py is not installed"; exit 77; }
for t in timeout unshare ip ss; do
	command -v "$t" >/dev/null || { echo "SKIP: $t is not installed"; exit 77; }
done
if [ -z "${TL_V4ONLY_NETNS:-}" ]; then
	# unshare without --fork execs in place: the same PID, so the test
	# harness still waits for (and can stop) this very process.
	unshare --net true 2>/dev/null || { echo "SKIP: cannot make a network namespace (not root?)"; exit 77; }
	export TL_V4ONLY_NETNS=1
	exec unshare --net bash "$0" "$@"
fi
ip link set lo up
ip -6 addr show dev lo | grep -q '::1/128' || { echo "SKIP: no IPv6 on loopback (::1)"; exit 77; }
# shellcheck source=engine_lib.sh
. "$top_srcdir/tests/integration/engine_lib.sh"
dir=$work
show() { for f in "$dir"/*.out "$dir"/*.err; do [ -s "$f" ] && { echo "== $f"; tail -5 "$f"; }; done; }

# The namespace is ours alone: fixed ports cannot collide.
port=6881
seed_port=7000
seed_secs=35
# Two IPv4-only nodes, each pointed at an address where nothing listens,
# so that neither ever looks for the built-in routers.
for n in 2 3; do
	timeout 120 "$bin" dht node --bind 127.0.0.$n --port $port --bootstrap 127.0.0.9:$port --json \
		>"$dir/node$n.out" 2>"$dir/node$n.err" &
	pids+=($!)
done
node2=${pids[0]} node3=${pids[1]}
sleep 0.5

head -c 300000 /dev/urandom >"$dir/data.bin"
timeout 120 "$bin" seed "$dir/data.bin" --state-dir "$dir/state" --port $seed_port \
	--bootstrap 127.0.0.2:$port --dht-announce-interval 5 --no-trackers --json \
	>"$dir/seed.out" 2>"$dir/seed.err" &
seed=$!
pids+=($seed)
t_seed=$(date +%s)

# While the seeder runs: a one-shot announce without --bind.
hash=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
t0=$(date +%s%N)
rc=0
timeout 40 "$bin" dht announce "$hash" 4242 --bootstrap 127.0.0.3:$port --timeout 30 --json \
	>"$dir/announce.out" 2>"$dir/announce.err" || rc=$?
ann_ms=$((($(date +%s%N) - t0) / 1000000))

# Dual stack for real: the seeder's DHT port is open in both families.
fams=$(ss -Huln "sport = :$seed_port" | wc -l)

left=$((seed_secs - ($(date +%s) - t_seed)))
[ "$left" -gt 0 ] && sleep "$left"
# SIGTERM to the programs themselves: `timeout` would pass it on and then
# send it to its whole process group as well, and a second signal stops a
# node at once, without its stats line.
for p in "$seed" "$node2" "$node3"; do
	pkill -TERM -P "$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done

# announce_peer received by a node: the stats line it prints on SIGTERM.
announces() {
	"$py" -c 'import json, sys
for line in open(sys.argv[1]):
    if line.startswith("{"):
        print(json.loads(line)["queries_in"][3])
        break
else:
    print(-1)' "$1"
}
rounds=$(announces "$dir/node2.out")
ann_nodes=$(announces "$dir/node3.out")
echo "seed: $rounds announce(s) to the IPv4 bootstrap node in $seed_secs s (re-announce every 5 s)"
echo "dht announce: exit $rc after $ann_ms ms; $(cat "$dir/announce.out")"

[ "$fams" -ge 2 ] || fail "the seeder's DHT port is not open in both families ($fams socket(s))"
[ "$rounds" -ge 3 ] || fail "only $rounds announce round(s) reached the bootstrap node in $seed_secs s"
[ "$rc" -eq 0 ] || fail "dht announce without --bind exited $rc"
[ "$ann_ms" -le 10000 ] || fail "dht announce without --bind took $ann_ms ms"
[ "$ann_nodes" -ge 1 ] || fail "the node behind dht announce got no announce_peer"
grep -q '"ipv4":{"state":"announced","nodes":1,"stored":1}' "$dir/announce.out" ||
	fail "dht announce: IPv4 not reported announced and stored by its one node"
grep -q '"ipv6":{"state":"no_nodes"}' "$dir/announce.out" || fail "dht announce: IPv6 not reported as having no node"
[ $fails -eq 0 ] || { show; exit 1; }
echo "PASS: IPv4 re-announces go on with an empty IPv6 table"
