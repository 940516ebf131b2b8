#!/usr/bin/env bash
# statedir_lock.sh: two processes never share a state directory. While a
# seeder runs with --state-dir S, a get with the same S exits 1 at once,
# naming the directory and the seeder's PID, and leaves S as it was; after
# the seeder is killed with SIGKILL (no clean exit), the lock is gone and
# the get runs.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
mkdir -p "$work/data"
head -c $((1024 * 1024)) /dev/urandom >"$work/data/f.bin"
timeout 30 "$bin" create "$work/data/f.bin" -p 64K -o "$work/t.torrent" >/dev/null 2>&1 || fail create
"$bin" seed "$work/t.torrent" "$work/data" --bind 127.0.0.2 --no-dht \
	--state-dir "$work/S" --json >"$work/seed.out" 2>"$work/seed.err" &
spid=$!
pids+=($spid)
wait_json "$work/seed.out" checked 20 || fail "the seeder did not start"
sport=$(json_field "$work/seed.out" started port)
[ "$(cat "$work/S/lock" 2>/dev/null)" = "$spid" ] || fail "the lock file does not hold the seeder's PID"
cp "$work/S/port" "$work/port.before"
timeout 20 "$bin" get "$work/t.torrent" -o "$work/dl" --peer 127.0.0.2:$sport --bind 127.0.0.3 \
	--no-dht --state-dir "$work/S" --no-seed >"$work/get1.out" 2>"$work/get1.err"
rc=$?
[ $rc -eq 1 ] || fail "a second process on the same state directory exited $rc, not 1"
grep -q "state directory $work/S is in use by another trackless process (PID $spid)" "$work/get1.err" ||
	fail "no clear message: $(cat "$work/get1.err")"
cmp -s "$work/S/port" "$work/port.before" || fail "the refused process changed the saved port"
[ -e "$work/dl/f.bin" ] && fail "the refused process wrote data"
kill -9 $spid
wait $spid 2>/dev/null
timeout 30 "$bin" get "$work/t.torrent" -o "$work/dl" --bind 127.0.0.3 --no-dht --state-dir "$work/S" \
	--no-seed --port 0 >"$work/get2.out" 2>"$work/get2.err" &
gpid=$!
pids+=($gpid)
sleep 2
grep -q "in use" "$work/get2.err" && fail "the lock outlived a killed process: $(cat "$work/get2.err")"
[ "$(cat "$work/S/lock" 2>/dev/null)" = "$gpid" ] || [ "$(cat "$work/S/lock" 2>/dev/null)" = "$(pgrep -P $gpid)" ] ||
	fail "the new process does not hold the lock"
[ $fails -eq 0 ] && echo PASS
exit $((fails > 0))
