#!/usr/bin/env bash
# resume.sh: a leecher killed with SIGKILL in the middle of a download is
# restarted; it trusts what its last checkpoint recorded, re-verifies what
# was written after it, completes, and the data is byte-identical. Pieces
# verified before the kill are not downloaded again.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"

mkdir -p "$work/data"
size=$((24 * 1024 * 1024 + 777))
head -c $size /dev/urandom >"$work/data/big.bin"
timeout 20 "$bin" create "$work/data/big.bin" -p 256K -o "$work/t.torrent" >/dev/null 2>&1 || fail create
port=$((port_base + 11))
timeout --foreground 60 "$bin" seed "$work/t.torrent" "$work/data" --bind 127.0.0.2 --port $port \
	--state-dir "$work/s0" --json >"$work/seed.out" 2>"$work/seed.err" &
pids+=($!)
wait_json "$work/seed.out" checked 40 || fail "seeder did not start"

# slow first run, killed after its first checkpoint (every 5 s)
"$bin" get "$work/t.torrent" -o "$work/dl" --peer 127.0.0.2:$port --bind 127.0.0.3 \
	--state-dir "$work/s1" --download-limit 2M --json >"$work/get1.out" 2>"$work/get1.err" &
lp=$!
pids+=($lp)
sleep 7
kill -9 $lp
wait $lp 2>/dev/null
[ -f "$work/s1/resume/"*.resume ] || fail "no resume file after 7 s"
have1=$(json_field "$work/get1.out" status have_bytes)
echo "killed with ${have1:-0} of $size bytes"
[ "${have1:-0}" -gt 0 ] && [ "${have1:-0}" -lt $size ] || fail "the kill did not land mid-download"

timeout 40 "$bin" get "$work/t.torrent" -o "$work/dl" --peer 127.0.0.2:$port --bind 127.0.0.3 \
	--state-dir "$work/s1" --no-seed --json -v >"$work/get2.out" 2>"$work/get2.err"
rc=$?
[ $rc -eq 0 ] || { fail "restarted get exited $rc"; tail -n 5 "$work/get2.err"; }
cmp -s "$work/data/big.bin" "$work/dl/big.bin" || fail "data differs after the restart"
start=$(json_field "$work/get2.out" checked have_bytes)
down=$(json_field "$work/get2.out" stopped downloaded)
echo "restart: ${start:-?} bytes kept, ${down:-?} downloaded"
[ "${start:-0}" -ge "${have1:-1}" ] || fail "restart kept ${start:-0} bytes, had ${have1:-0} before the kill"
[ "${down:-$size}" -le $((size - ${start:-0} + 4 * 262144)) ] ||
	fail "restart downloaded ${down:-?} bytes; verified pieces were fetched again"
# SIGINT stops cleanly: exit 1 (not complete), resume saved with every
# verified piece, and the next start trusts it without re-verifying.
"$bin" get "$work/t.torrent" -o "$work/dl3" --peer 127.0.0.2:$port --bind 127.0.0.3 \
	--state-dir "$work/s3" --download-limit 2M --json >"$work/get3.out" 2>"$work/get3.err" &
lp=$!
pids+=($lp)
sleep 3
kill -INT $lp
wait $lp
rc=$?
[ $rc -eq 1 ] || fail "interrupted get exited $rc, want 1"
grep -q '"event":"stopped"' "$work/get3.out" || fail "no stopped event after SIGINT"
have3=$(json_field "$work/get3.out" stopped have_bytes)
timeout 40 "$bin" get "$work/t.torrent" -o "$work/dl3" --peer 127.0.0.2:$port --bind 127.0.0.3 \
	--state-dir "$work/s3" --no-seed --json >"$work/get4.out" 2>"$work/get4.err" ||
	fail "get after SIGINT exited $?"
kept=$(json_field "$work/get4.out" checked have_bytes)
echo "sigint: ${have3:-?} bytes verified, ${kept:-?} kept at restart"
[ "${kept:-0}" -ge "${have3:-1}" ] && [ "${have3:-0}" -gt 0 ] || fail "SIGINT lost verified pieces"
cmp -s "$work/data/big.bin" "$work/dl3/big.bin" || fail "data differs after SIGINT and restart"

[ $fails -eq 0 ] || { tail -n 30 "$work/get2.err"; cat "$work/get2.out" | head -5; tail -n 5 "$work/seed.err"; exit 1; }
echo "ok"
