# magnet_lib.sh: helpers of the trackerless tests, on top of engine_lib.sh:
# a bootstrap DHT node and a seeder announcing only to the DHT. Not a test
# by itself.
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
# The other engine_lib tests use port_base + 0..49: keep clear of them.
port_base=$((port_base + 50))

# start_node IP PORT: a DHT node that serves as the bootstrap router.
start_node() {
	"$bin" dht node --bind "$1" --port "$2" --state-dir "$work/node-$1" >"$work/node-$1.log" 2>&1 &
	pids+=($!)
	sleep 0.3
}

# start_seed NAME PATH IP PORT BOOTSTRAP [OPTION...]: `trackless seed PATH`
# (DHT only); sets $magnet and $seed_port (PORT 0: the kernel picks one,
# which no other test can hold) from its "started" line.
start_seed() {
	timeout --foreground 120 "$bin" seed "$2" --bind "$3" --port "$4" --bootstrap "$5" \
		--state-dir "$work/state-$1" --json "${@:6}" >"$work/$1.out" 2>"$work/$1.err" &
	pids+=($!)
	wait_json "$work/$1.out" checked 30 || { fail "$1: seeder did not start"; tail -3 "$work/$1.err"; }
	magnet=$(grep '"event":"started"' "$work/$1.out" | sed -n 's/.*"magnet":"\([^"]*\)".*/\1/p')
	[ -n "$magnet" ] || fail "$1: no magnet link in $(head -c 300 "$work/$1.out")"
	seed_port=$(grep '"event":"started"' "$work/$1.out" | sed -n 's/.*"port":\([0-9]*\).*/\1/p')
}
