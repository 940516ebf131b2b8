#!/usr/bin/env bash
# magnet_incoming.sh: the metadata of a magnet link comes over a connection
# the other side opened. A `trackless get MAGNET` with no DHT and no peer to
# dial waits; a `trackless seed` of the torrent connects to it (--peer).
# The getter takes that incoming connection while it has no metadata yet,
# fetches the metadata over it (BEP 9), learns the seeder's listen port
# from its extension handshake (BEP 10 "p") and downloads from it: sha256
# equal. Eight silent listeners given as --peer hold every dial slot of
# the getter in the handshake the whole time: a peer that connects to us
# has places of its own.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/magnet_lib.sh"

mkdir -p "$work/data"
head -c $((3 * 1024 * 1024 + 123)) /dev/urandom >"$work/data/payload.bin"
"$bin" create "$work/data/payload.bin" -o "$work/p.torrent" >/dev/null 2>&1 || fail "create failed"
magnet=$("$bin" info "$work/p.torrent" --json | sed -n 's/.*"magnet":"\([^"]*\)".*/\1/p')
[ -n "$magnet" ] || fail "no magnet link from info --json"
P=$((port_base + 30)) # P, P + 1 and P + 10 .. P + 17: within the block

# Accepts and never says a word (the getter's handshake timeout is longer
# than this test).
timeout 45 /usr/bin/python3 -c '
import select, socket, sys
base = int(sys.argv[1])
socks, held = [], []
for port in range(base, base + 8):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.5", port))
    s.listen(8)
    socks.append(s)
print("ready", flush=True)
while True:
    for s in select.select(socks, [], [])[0]:
        held.append(s.accept()[0])
' $((P + 10)) >"$work/silent.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q ready "$work/silent.out" 2>/dev/null && break; sleep 0.1; done
silent=()
for i in $(seq 0 7); do silent+=(--peer "127.0.0.5:$((P + 10 + i))"); done
timeout 40 "$bin" get "$magnet" -o "$work/dl" --bind 127.0.0.4 --port "$P" --no-dht "${silent[@]}" \
	--state-dir "$work/state-get" --no-seed --json >"$work/get.out" 2>"$work/get.err" &
get_pid=$!
pids+=($get_pid)
for _ in $(seq 50); do
	ss -Hltn 2>/dev/null | awk '{print $4}' | grep -qx "127.0.0.4:$P" && break
	sleep 0.1
done
timeout 40 "$bin" seed "$work/p.torrent" "$work/data" --bind 127.0.0.3 --port $((P + 1)) --no-dht \
	--peer "127.0.0.4:$P" --state-dir "$work/state-seed" --json >"$work/seed.out" 2>"$work/seed.err" &
pids+=($!)
wait "$get_pid"
rc=$?
[ $rc -eq 0 ] || { fail "get exited $rc"; tail -5 "$work/get.err"; tail -5 "$work/seed.err"; }
grep -q '"received":true' "$work/get.out" || fail "no metadata received line"
a=$(sha256sum <"$work/data/payload.bin")
b=$(sha256sum <"$work/dl/payload.bin" 2>/dev/null)
[ "$a" = "$b" ] || fail "sha256 differs"
[ $fails -eq 0 ] || exit 1
echo "ok: metadata over an incoming connection"
