# node_common.sh: helpers shared by the trackless-node integration tests
# (sourced, not run). Sets $node, $tool, $work and $port; start_node and
# stop_node manage one trackless-node by PID; metric NAME reads one value
# from its /metrics.
py=/usr/bin/python3
for t in timeout curl; do
	command -v "$t" >/dev/null || { echo "SKIP: $t is not installed"; exit 77; }
done
[ -x "$py" ] || { echo "SKIP: $py is not installed"; exit 77; }
node="${top_builddir:-.}/trackless-node"
tool="${top_srcdir:-.}/tests/integration/krpc_tool.py"
[ -x "$node" ] || { echo "$0: $node not built"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/tl-node.XXXXXX")
# a random port base so parallel runs do not collide
port=$((20000 + (RANDOM % 1200) * 10)) # below the ephemeral range (32768+)
stats="127.0.0.2:$((port + 1))"
node_pid=
bg_pids=
cleanup() {
	for p in $node_pid $bg_pids; do kill "$p" 2>/dev/null; done
	for p in $node_pid $bg_pids; do wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

# start_node ARGS...: trackless-node on 127.0.0.2:$port with stats, logging
# to $work/node.log; waits until /metrics answers.
start_node() {
	"$node" --foreground --bind 127.0.0.2 --port "$port" --stats-addr "$stats" \
		--state-dir "$work/state" --log-file "$work/node.log" "$@" &
	node_pid=$!
	for _ in $(seq 50); do
		curl -sf "http://$stats/metrics" >/dev/null && return 0
		sleep 0.1
	done
	echo "trackless-node did not start"; cat "$work/node.log"; return 1
}

# stop_node: SIGTERM and wait; fails when the exit status is not 0.
stop_node() {
	kill -TERM "$node_pid"
	wait "$node_pid"
	local rc=$?
	node_pid=
	[ $rc -eq 0 ] || { echo "trackless-node exited with $rc"; cat "$work/node.log"; return 1; }
}

# metric 'NAME{LABELS}': its value (0 when absent).
metric() {
	curl -sf "http://$stats/metrics" | awk -v m="$1" '$1 == m { print $2; f = 1 } END { if (!f) print 0 }'
}

# wait_pool N: wait up to 10 s until the pool holds N verified IPv4 nodes;
# prints the count; fails when it does not get there.
wait_pool() {
	local n=0
	for _ in $(seq 100); do
		n=$(metric 'trackless_node_pool_nodes{family="v4"}')
		[ "$n" -ge "$1" ] && { echo "router pool: $n verified nodes"; return 0; }
		sleep 0.1
	done
	echo "router pool: $n verified nodes, wanted $1"; tail -5 "$work/node.log"; return 1
}
