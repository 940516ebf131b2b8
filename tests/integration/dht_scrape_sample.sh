#!/usr/bin/env bash
# dht_scrape_sample.sh: BEP 33 and BEP 51 from the command line. 10
# `trackless dht node` processes on 127.0.0.2..11; one peer announces an
# infohash; `dht scrape` estimates 1 peer and 0 seeds; `dht sample` walks
# toward the hash and prints it among the samples. Bounded, loopback only,
# every process stopped by PID.
set -euo pipefail
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
fail() { echo "FAIL: $*"; for f in "$dir"/*.out; do echo "== $f"; cat "$f"; done; exit 1; }

port=$((20000 + RANDOM % 20000))
for i in $(seq 2 11); do
	boot=127.0.0.2:$port
	[ "$i" -eq 2 ] && boot=127.0.0.3:$port
	"$bin" dht node --bind 127.0.0.$i --port "$port" --bootstrap "$boot" >"$dir/node$i.log" 2>&1 &
	pids+=($!)
	[ "$i" -eq 2 ] && sleep 0.3
done
sleep 3

hash=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
timeout 20 "$bin" dht announce "$hash" 4242 --bind 127.0.0.50 --bootstrap 127.0.0.4:$port \
	--timeout 15 >"$dir/announce.out" 2>&1 || fail "announce"
timeout 20 "$bin" dht scrape "$hash" --json --bind 127.0.0.51 --bootstrap 127.0.0.8:$port \
	--timeout 15 >"$dir/scrape.out" 2>&1 || fail "scrape found no filters"
grep -q '"seeds":0,"peers":1,' "$dir/scrape.out" || fail "scrape estimate"
timeout 20 "$bin" dht sample --target "$hash" --max-queries 30 --bind 127.0.0.52 \
	--bootstrap 127.0.0.9:$port --timeout 15 >"$dir/sample.out" 2>"$dir/sample.err" \
	|| fail "sample got no samples"
grep -qx "$hash" "$dir/sample.out" || fail "the announced hash was not sampled"
echo "PASS: scrape 0 seeds / 1 peer, sample found the announced hash"
