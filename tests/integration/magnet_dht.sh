#!/usr/bin/env bash
# magnet_dht.sh: no tracker anywhere. A bootstrap DHT node on 127.0.0.2, a
# `trackless seed` on 127.0.0.3 that announces only to the DHT, and a
# `trackless get MAGNET` on 127.0.0.4 that finds the seeder over the DHT,
# fetches the metadata from it (BEP 9) and downloads: sha256 equal. Then
# the seeder's DHT self-check says it is findable, and a second get with the
# same state dir uses the saved .torrent instead of fetching the metadata.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/magnet_lib.sh"

mkdir -p "$work/data"
head -c $((6 * 1024 * 1024 + 777)) /dev/urandom >"$work/data/payload.bin"
P=$port_base
start_node 127.0.0.2 "$P"
start_seed seed "$work/data/payload.bin" 127.0.0.3 0 "127.0.0.2:$P"

timeout 45 "$bin" get "$magnet" -o "$work/dl" --bind 127.0.0.4 --port $((P + 2)) \
	--bootstrap "127.0.0.2:$P" --state-dir "$work/state-get" --no-seed --json \
	>"$work/get.out" 2>"$work/get.err"
rc=$?
[ $rc -eq 0 ] || { fail "get exited $rc"; tail -5 "$work/get.err"; }
grep -q '"event":"metadata"' "$work/get.out" || fail "the metadata phase left no status line"
a=$(sha256sum <"$work/data/payload.bin")
b=$(sha256sum <"$work/dl/payload.bin" 2>/dev/null)
[ "$a" = "$b" ] || fail "sha256 differs"
ih=$(echo "$magnet" | sed -n 's/.*btih:\([0-9a-f]*\).*/\1/p')
[ -s "$work/state-get/torrents/$ih.torrent" ] || fail "the metadata was not saved in the state dir"
[ -s "$work/state-get/dht.state" ] || fail "the DHT state was not saved"

# The seeder's own lookup finds it (it runs about 5 s after start).
wait_json "$work/seed.out" self_check 30 || fail "no self-check line"
grep -q '"event":"self_check","findable":true' "$work/seed.out" || fail "seeder not findable: $(grep self_check "$work/seed.out")"

# Restart: the saved .torrent is used, nothing is fetched again (no
# metadata status line) and everything verifies from disk.
timeout 30 "$bin" get "$magnet" -o "$work/dl" --bind 127.0.0.4 --port $((P + 3)) \
	--bootstrap "127.0.0.2:$P" --state-dir "$work/state-get" --no-seed --json \
	>"$work/get2.out" 2>"$work/get2.err"
rc=$?
[ $rc -eq 0 ] || fail "second get exited $rc"
grep -q '"event":"metadata"' "$work/get2.out" && fail "second get fetched the metadata again"
[ "$(json_field "$work/get2.out" stopped downloaded)" = 0 ] || fail "second get downloaded again"
[ $fails -eq 0 ] || exit 1
echo "ok: magnet over the DHT"
