#!/usr/bin/env bash
# hash_fail.sh: a peer that sends wrong data for every block. Each piece
# fails its hash check and nothing of it reaches the disk; after
# repeated failures the peer is banned (its reconnections refused), and
# the download then completes from an honest seeder.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
mkdir -p "$work/data"
head -c $((2 * 1024 * 1024)) /dev/urandom >"$work/data/h.bin"
timeout 20 "$bin" create "$work/data/h.bin" -p 64K -o "$work/t.torrent" >/dev/null 2>&1 || fail create
ih=$("$bin" info "$work/t.torrent" --json | sed -n 's/.*"infohash":"\([0-9a-f]*\)".*/\1/p' | head -1)
bport=$((port_base + 71))
timeout 30 /usr/bin/python3 "${top_srcdir:-.}/tests/integration/bad_seeder.py" 127.0.0.4 $bport "$ih" 32 \
	>"$work/bad.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q ready "$work/bad.out" && break; sleep 0.1; done

# only the bad peer: nothing completes, pieces fail, the peer is banned
timeout --foreground 8 "$bin" get "$work/t.torrent" -o "$work/dl" --peer 127.0.0.4:$bport --bind 127.0.0.3 \
	--state-dir "$work/s" --json -v >"$work/get1.out" 2>"$work/get1.err"
fails1=$(json_field "$work/get1.out" stopped hash_fails)
echo "hash failures: ${fails1:-?}"
[ "${fails1:-0}" -ge 3 ] || fail "expected at least 3 hash failures"
grep -q "banned" "$work/get1.err" || fail "the bad peer was not banned"
[ "$(json_field "$work/get1.out" stopped have_bytes)" = 0 ] || fail "bad data was kept"
if [ -f "$work/dl/h.bin" ] && [ -n "$(tr -d '\0' <"$work/dl/h.bin" | head -c 1)" ]; then
	fail "bad data reached the disk"
fi

# an honest seeder too: the download completes, byte for byte
sport=$((port_base + 72))
timeout --foreground 40 "$bin" seed "$work/t.torrent" "$work/data" --bind 127.0.0.2 --port $sport \
	--state-dir "$work/s0" --json >"$work/seed.out" 2>&1 &
pids+=($!)
wait_json "$work/seed.out" checked 40 || fail "seeder did not start"
timeout 30 "$bin" get "$work/t.torrent" -o "$work/dl" --peer 127.0.0.4:$bport --peer 127.0.0.2:$sport \
	--bind 127.0.0.3 --state-dir "$work/s" --no-seed --json >"$work/get2.out" 2>"$work/get2.err" ||
	fail "get with an honest seeder exited $?"
cmp -s "$work/data/h.bin" "$work/dl/h.bin" || fail "data differs"
[ $fails -eq 0 ] || { tail -n 20 "$work/get1.err"; exit 1; }
echo ok
