#!/usr/bin/env bash
# dht_same_subnet.sh: a DHT inside one LAN /24 works with --dht-same-subnet
# and is limited to one node per /24 without it. In network namespaces of
# its own, 10.9.9.0/24 is made local on lo, so nothing leaves the host and
# the addresses are not loopback ones (which turn the rule off by
# themselves). Twelve `trackless dht node --dht-same-subnet` make the
# network (each must know the 11 others); then, each with the option and
# without it as the control:
#   trackless dht put      "stored on 8 of 8 nodes" / "on 1 of 1"
#   trackless-node (full)  8 or more nodes in its table / 1
#   trackless seed         its announce stored by 8 nodes / by 1
set -uo pipefail
NETNS_NEEDS=(curl)
. "${top_srcdir:-.}/tests/integration/netns_lib.sh"
netns_run 120 --net -- "$@"

ip route add local 10.9.9.0/24 dev lo || exit 1
P=6881
net=()
for i in $(seq 1 12); do
	boot=10.9.9.1:$P
	[ "$i" = 1 ] && boot=10.9.9.2:$P
	"$bin" dht node --bind 10.9.9.$i --port $P --no-bootstrap --bootstrap $boot --dht-same-subnet \
		>"$work/net$i.out" 2>&1 &
	pids+=($!)
	net+=($!)
	[ "$i" = 1 ] && sleep 0.3
done
sleep 4

# trackless dht put (a one-shot node)
"$bin" dht put one --bind 10.9.9.30 --bootstrap 10.9.9.1:$P --timeout 10 --dht-same-subnet \
	>/dev/null 2>"$work/put1.err"
grep -q "stored on 8 of 8 nodes" "$work/put1.err" || fail "put --dht-same-subnet: $(cat "$work/put1.err")"
"$bin" dht put two --bind 10.9.9.31 --bootstrap 10.9.9.1:$P --timeout 10 \
	>/dev/null 2>"$work/put2.err"
grep -q "stored on 1 of 1 nodes" "$work/put2.err" || fail "control put: $(cat "$work/put2.err")"

# trackless-node, full mode: the size of its table
full_node() {
	"$node" --foreground --mode full --bind 10.9.9.$1 --port $P --no-bootstrap \
		--bootstrap 10.9.9.1:$P --stats-addr 10.9.9.$1:9100 --log-file "$work/full$1.log" "${@:2}" &
	local pid=$!
	pids+=($pid)
	table=0
	for _ in $(seq 60); do
		sleep 0.1
		table=$(curl -sf "http://10.9.9.$1:9100/metrics" |
			awk '$1 == "trackless_node_table_nodes{family=\"v4\"}" { print $2 }')
		[ "${table:-0}" -ge 8 ] && break
	done
	kill -TERM "$pid"
	wait "$pid"
}
full_node 20 --dht-same-subnet
[ "${table:-0}" -ge 8 ] || fail "trackless-node --dht-same-subnet: ${table:-?} nodes in its table"
full_node 21
[ "${table:-0}" = 1 ] || fail "control trackless-node: ${table:-?} nodes in its table, expected 1"

# trackless seed: how many nodes store its announce (the network's counts
# at exit, as infohashes stored); the first with the option, the second not
seed() {
	local want=$2
	mkdir -p "$work/data$1"
	head -c 20000 /dev/urandom >"$work/data$1/f$1.bin"
	# a short re-announce interval: a round that lost a node to a slow reply
	# (a loaded machine) is followed by another within seconds
	timeout --foreground 60 "$bin" seed "$work/data$1/f$1.bin" --bind 10.9.9.$1 --port 7000 \
		--no-bootstrap --bootstrap 10.9.9.1:$P --no-trackers --state-dir "$work/s$1" --json \
		--dht-announce-interval 5 "${@:3}" >"$work/seed$1.out" 2>&1 &
	local pid=$!
	pids+=($pid)
	for _ in $(seq 300); do grep -q '"self_check"' "$work/seed$1.out" && break; sleep 0.1; done
	grep -q '"findable":true' "$work/seed$1.out" || fail "seed $*: not findable"
	# its own status says how many nodes stored its last announce
	for _ in $(seq 300); do grep -q "\"ipv4\":{\"stored\":$want," "$work/seed$1.out" && break; sleep 0.1; done
	grep -q "\"ipv4\":{\"stored\":$want," "$work/seed$1.out" ||
		fail "seed $*: its announce was not reported stored by $want nodes"
	kill -INT "$pid"
	wait "$pid"
}
seed 40 8 --dht-same-subnet
seed 41 1
kill -INT "${net[@]}"
wait "${net[@]}"
stored=$(sed -n 's/^storage: \([0-9]*\) infohashes.*/\1/p' "$work"/net*.out | awk '{ s += $1 } END { print s }')
[ "$stored" = 9 ] || fail "the seeds' announces are stored $stored times, expected 8 + 1"
for i in $(seq 1 12); do
	grep -qE "port $P, (8|9|1[0-9]) good" "$work/net$i.out" ||
		fail "dht node $i --dht-same-subnet: $(grep good "$work/net$i.out")"
done

[ $fails -eq 0 ] || exit 1
echo ok
