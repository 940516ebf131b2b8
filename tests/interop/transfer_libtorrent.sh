#!/usr/bin/env bash
# transfer_libtorrent.sh: trackless downloads a multi-file torrent from a
# python3-libtorrent seeder, then seeds it to a python3-libtorrent leecher
# (direct peer addresses, TCP only); the bytes match both ways.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
py=/usr/bin/python3
lt_peer=${top_srcdir:-.}/tests/interop/lt_peer.py
$py -c 'import libtorrent' 2>/dev/null || { echo "SKIP: python3-libtorrent is not installed"; exit 77; }

mkdir -p "$work/src/tree/sub"
head -c $((5 * 1024 * 1024 + 4321)) /dev/urandom >"$work/src/tree/a.bin"
head -c $((700 * 1024 + 5)) /dev/urandom >"$work/src/tree/sub/b.bin"
timeout 20 "$bin" create "$work/src/tree" -p 128K -o "$work/t.torrent" >/dev/null 2>&1 || fail create

# libtorrent seeds, trackless gets
lport=$((port_base + 31))
timeout 60 $py "$lt_peer" seed "$work/t.torrent" "$work/src" 127.0.0.4 $lport >"$work/lt-seed.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q ready "$work/lt-seed.out" && break; sleep 0.1; done
sleep 1 # libtorrent checks the files before it serves
timeout 40 "$bin" get "$work/t.torrent" -o "$work/dl" --peer 127.0.0.4:$lport --bind 127.0.0.3 \
	--state-dir "$work/s1" --no-seed --json >"$work/get.out" 2>"$work/get.err"
rc=$?
[ $rc -eq 0 ] || { fail "get from libtorrent exited $rc"; tail -n 5 "$work/get.err"; }
same_tree "$work/src" "$work/dl" || fail "data from libtorrent differs"
echo "ok: libtorrent -> trackless"

# trackless seeds, libtorrent gets
tport=$((port_base + 32))
timeout --foreground 60 "$bin" seed "$work/t.torrent" "$work/src" --bind 127.0.0.2 --port $tport \
	--state-dir "$work/s2" --json >"$work/seed.out" 2>"$work/seed.err" &
pids+=($!)
wait_json "$work/seed.out" checked 40 || fail "seeder did not start"
timeout 55 $py "$lt_peer" get "$work/t.torrent" "$work/lt-dl" 127.0.0.5 $((port_base + 33)) \
	127.0.0.2 $tport >"$work/lt-get.out" 2>&1
rc=$?
[ $rc -eq 0 ] || { fail "libtorrent leecher exited $rc: $(cat "$work/lt-get.out")"; tail -n 5 "$work/seed.err"; }
same_tree "$work/src" "$work/lt-dl" || fail "data served to libtorrent differs"
echo "ok: trackless -> libtorrent"
[ $fails -eq 0 ] || exit 1
