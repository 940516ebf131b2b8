#!/usr/bin/env bash
# violations.sh: protocol violations sent to a trackless seeder close the
# connection (with the reason in the log), the seeder keeps serving, and a
# well-behaved raw peer still gets a block.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
mkdir -p "$work/data"
head -c $((1024 * 1024)) /dev/urandom >"$work/data/v.bin"
timeout 20 "$bin" create "$work/data/v.bin" -p 64K -o "$work/t.torrent" >/dev/null 2>&1 || fail create
port=$((port_base + 51))
timeout --foreground 60 "$bin" seed "$work/t.torrent" "$work/data" --bind 127.0.0.2 --port $port \
	--state-dir "$work/s" --json -v >"$work/seed.out" 2>"$work/seed.err" &
pids+=($!)
wait_json "$work/seed.out" checked 40 || fail "seeder did not start"
ih=$(sed -n 's/.*"infohash":"\([0-9a-f]*\)".*/\1/p' "$work/seed.out" | head -1)
timeout 50 /usr/bin/python3 "${top_srcdir:-.}/tests/integration/violations.py" 127.0.0.2 $port "$ih" ||
	fail "violations.py"
grep -q "closed: unknown infohash" "$work/seed.err" || fail "no log line for the unknown infohash"
[ $fails -eq 0 ] || { tail -n 20 "$work/seed.err"; exit 1; }
