#!/usr/bin/env bash
# dht_scrape_sample.sh: BEP 33 and BEP 51 from the command line. 10
# `trackless dht node` processes on 127.0.0.2..11; one peer announces an
# infohash; `dht scrape` estimates 1 peer and 0 seeds; `dht sample` walks
# toward the hash and prints it among the samples. Bounded, loopback only,
# every process stopped by PID.
set -euo pipefail
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/dht_nodes.sh"
start_nodes 2 11
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
