# dht_nodes.sh: sourced by the DHT item/scrape/interop tests. Sets bin, dir
# (a mktemp -d removed on exit), pids (stopped by PID on exit), port (a
# random high port), fail(), and start_nodes FIRST LAST, which runs
# `trackless dht node` on 127.0.0.FIRST..LAST: FIRST bootstraps from
# FIRST+1, every other node from FIRST.
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)/build}"
bin=$top_builddir/trackless
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
command -v timeout >/dev/null || { echo "SKIP: timeout(1) missing"; exit 77; }

dir=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]+"${pids[@]}"}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$dir"/*.log "$dir"/*.out; do [ -f "$f" ] && { echo "== $f"; cat "$f"; }; done
	exit 1
}
port=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+)

start_nodes() {
	local first=$1 last=$2 i boot
	for i in $(seq "$first" "$last"); do
		boot=127.0.0.$first:$port
		if [ "$i" -eq "$first" ]; then boot=127.0.0.$((first + 1)):$port; fi
		"$bin" dht node --bind 127.0.0.$i --port "$port" --bootstrap "$boot" >"$dir/node$i.log" 2>&1 &
		pids+=($!)
		if [ "$i" -eq "$first" ]; then sleep 0.3; fi # the others' first ping finds it listening
	done
}
