#!/usr/bin/env bash
# port_saved.sh: without --port, `trackless seed` listens on the port its
# last run with the same state directory used (kept in STATE/port), so a
# restart keeps its address; when that port is taken it takes another and
# remembers the new one; a damaged port file is ignored; `--port 0` means
# any free port.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"

mkdir -p "$work/data"
head -c 100000 /dev/urandom >"$work/data/small.bin"
"$bin" create "$work/data/small.bin" -o "$work/s.torrent" >/dev/null 2>&1 || fail "create failed"

# run_seed [OPTION...]: start, read the port of its "started" line, stop it.
run_seed() {
	rm -f "$work/seed.out"
	timeout 30 "$bin" seed "$work/s.torrent" "$work/data" --bind 127.0.0.2 --no-dht \
		--state-dir "$work/state" --json "$@" >"$work/seed.out" 2>"$work/seed.err" &
	local pid=$!
	pids+=($pid)
	wait_json "$work/seed.out" started 20 || { fail "seed did not start"; tail -3 "$work/seed.err"; }
	port=$(grep '"event":"started"' "$work/seed.out" | sed -n 's/.*"port":\([0-9]*\).*/\1/p')
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

run_seed
first=$port
[ -n "$first" ] && [ "$first" -gt 0 ] || fail "no port in the started line"
[ "$(cat "$work/state/port" 2>/dev/null)" = "$first" ] || fail "state/port does not hold $first"
run_seed
[ "$port" = "$first" ] || fail "restart listens on $port, not on the saved $first"

# the saved port is taken: another one, and that one is saved
timeout 30 /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.2", int(sys.argv[1])))
s.listen(1)
print("ready", flush=True)
time.sleep(25)
' "$first" >"$work/hold.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q ready "$work/hold.out" 2>/dev/null && break; sleep 0.1; done
run_seed
[ -n "$port" ] && [ "$port" != "$first" ] || fail "saved port taken: got '$port'"
[ "$(cat "$work/state/port" 2>/dev/null)" = "$port" ] || fail "the new port $port is not saved"

# a damaged file is ignored, then replaced
printf 'http\n' >"$work/state/port"
run_seed
[ -n "$port" ] && [ "$port" -gt 0 ] || fail "damaged port file: no start"
[ "$(cat "$work/state/port" 2>/dev/null)" = "$port" ] || fail "damaged port file not replaced"

# --port 0 neither reads nor writes the saved port
saved=$port
printf '%s\n' "$saved" >"$work/state/port"
run_seed --port 0
[ "$(cat "$work/state/port")" = "$saved" ] || fail "--port 0 changed the saved port"

[ $fails -eq 0 ] || exit 1
echo "ok: the listen port survives restarts"
