#!/usr/bin/env bash
# queue_get.sh: `trackless get A B --max-active 1` downloads one torrent at
# a time: B waits in the state "queued" while A downloads, starts once A
# completes, and the process exits 0 when both are complete. Without the
# option both download at once (none is ever queued).
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
port=$((port_base + 51))
mkdir -p "$work/data" "$work/torrents"
for n in a b; do
	head -c $((6 * 1024 * 1024)) /dev/urandom >"$work/data/$n.bin"
	"$bin" create "$work/data/$n.bin" -p 256K -o "$work/torrents/$n.torrent" >/dev/null 2>&1 || fail "create $n"
done
ih() { "$bin" info --json "$1" | sed -n 's/.*"infohash":"\([0-9a-f]*\)".*/\1/p' | head -1; }
iha=$(ih "$work/torrents/a.torrent")
ihb=$(ih "$work/torrents/b.torrent")
[ -n "$iha" ] && [ -n "$ihb" ] || fail "no infohash from info --json"
timeout --foreground 90 "$bin" seed --torrent-dir "$work/torrents" --data "$work/data" --bind 127.0.0.2 \
	--port $port --no-dht --state-dir "$work/seed.state" --json >"$work/seed.out" 2>"$work/seed.err" &
pids+=($!)
wait_json_count "$work/seed.out" checked 2 20 || fail "seeder did not start"

# 4 MiB/s for 12 MiB: about 3 s, so the queue shows in the status lines
timeout 60 "$bin" get "$work/torrents/a.torrent" "$work/torrents/b.torrent" -o "$work/dl" \
	--peer 127.0.0.2:$port --bind 127.0.0.3 --no-dht --state-dir "$work/get.state" --no-seed \
	--max-active 1 --download-limit 4M --json >"$work/get.out" 2>"$work/get.err"
rc=$?
[ $rc -eq 0 ] || { fail "get --max-active 1 exited $rc"; tail -5 "$work/get.err"; }
cmp -s "$work/data/a.bin" "$work/dl/a.bin" || fail "a.bin differs"
cmp -s "$work/data/b.bin" "$work/dl/b.bin" || fail "b.bin differs"
grep "\"infohash\":\"$ihb\"" "$work/get.out" | grep -q '"state":"queued"' ||
	fail "b was never queued"
grep "\"infohash\":\"$iha\"" "$work/get.out" | grep -q '"state":"queued"' &&
	fail "a (the first) was queued"
# b started only after a completed: a's complete line comes before b's first downloading one
la=$(grep -n "\"event\":\"complete\",\"infohash\":\"$iha\"" "$work/get.out" | head -1 | cut -d: -f1)
lb=$(grep -n "\"infohash\":\"$ihb\",\"state\":\"downloading\"" "$work/get.out" | head -1 | cut -d: -f1)
echo "a complete at line ${la:-none}, b downloading from line ${lb:-none}"
[ -n "$la" ] && [ -n "$lb" ] && [ "$lb" -gt "$la" ] || fail "b downloaded before a completed"

# without --max-active nothing waits
timeout 60 "$bin" get "$work/torrents/a.torrent" "$work/torrents/b.torrent" -o "$work/dl2" \
	--peer 127.0.0.2:$port --bind 127.0.0.3 --no-dht --state-dir "$work/get2.state" --no-seed \
	--download-limit 4M --json >"$work/get2.out" 2>"$work/get2.err" || fail "get without --max-active"
grep -q '"state":"queued"' "$work/get2.out" && fail "a torrent was queued without --max-active"
[ $fails -eq 0 ] && echo "PASS: queue_get" || exit 1
