#!/usr/bin/env bash
# magnet_libtorrent.sh: magnet links over the DHT with no tracker, between
# trackless and real clients; our `trackless dht node` on 127.0.0.2 is the
# only DHT entry point of everyone.
#   1. a python3-libtorrent seeder (127.0.0.3) announces only to the DHT;
#      `trackless get MAGNET` (127.0.0.4) finds it, gets the metadata from
#      it and downloads.
#   2. `trackless seed` (127.0.0.5); a python3-libtorrent leecher
#      (127.0.0.6) and an aria2c leecher (127.0.0.7), given only the magnet
#      link and our node, download from it.
# Client settings follow notes/interop.md (libtorrent: loopback listen, no
# LSD/UPnP/NAT-PMP/uTP, restrict_*_ips off, force_dht_announce; aria2:
# --dht-entry-point, its own DHT file, no LPD/IPv6).
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/magnet_lib.sh"
py=/usr/bin/python3
[ -x "$py" ] && "$py" -c 'import libtorrent' 2>/dev/null ||
	{ echo "SKIP: python3-libtorrent is not installed"; exit 77; }
command -v aria2c >/dev/null || { echo "SKIP: aria2c is not installed"; exit 77; }
ltpy=$top_srcdir/tests/interop/lt_dht_peer.py

mkdir -p "$work/a" "$work/b"
head -c $((8 * 1024 * 1024 + 99)) /dev/urandom >"$work/a/lt.bin"
head -c $((8 * 1024 * 1024 + 55)) /dev/urandom >"$work/b/ours.bin"
timeout 20 "$bin" create "$work/a/lt.bin" -o "$work/lt.torrent" >/dev/null 2>&1 || fail "create"
P=$port_base
node=127.0.0.2:$P
start_node 127.0.0.2 "$P"

# 1. libtorrent seeds, trackless fetches
"$py" "$ltpy" seed "$work/lt.torrent" "$work/a" 127.0.0.3 $((P + 1)) "$node" >"$work/lt-seed.log" 2>&1 &
pids+=($!)
ih=$("$bin" info "$work/lt.torrent" --json | sed -n 's/.*"infohash":"\([0-9a-f]*\)".*/\1/p')
timeout 50 "$bin" get "magnet:?xt=urn:btih:$ih" -o "$work/dl1" --bind 127.0.0.4 --port $((P + 2)) \
	--bootstrap "$node" --state-dir "$work/st1" --no-seed --json >"$work/get1.out" 2>"$work/get1.err"
rc=$?
[ $rc -eq 0 ] || { fail "trackless get from libtorrent exited $rc"; tail -3 "$work/get1.out" "$work/get1.err"; }
cmp -s "$work/a/lt.bin" "$work/dl1/lt.bin" || fail "data from libtorrent differs"
secs=$(grep '"received":true' "$work/get1.out" | sed -n 's/.*"seconds":\([0-9.]*\).*/\1/p')
[ $fails -eq 0 ] && echo "ok: trackless got a magnet from a libtorrent seeder (metadata after ${secs:-?} s)"

# 2. trackless seeds, libtorrent and aria2 fetch
start_seed seed "$work/b/ours.bin" 127.0.0.5 $((P + 3)) "$node"
"$py" "$ltpy" get "$magnet" "$work/dl-lt" 127.0.0.6 $((P + 4)) "$node" >"$work/lt-get.log" 2>&1 &
ltpid=$!
pids+=($ltpid)
timeout 60 aria2c --no-conf=true --interface=127.0.0.7 --listen-port=$((P + 5)) \
	--dht-listen-port=$((P + 5)) --enable-dht=true --enable-dht6=false --dht-entry-point="$node" \
	--dht-file-path="$work/aria2-dht.dat" --bt-enable-lpd=false --disable-ipv6=true --async-dns=false \
	--enable-peer-exchange=true --seed-time=0 --follow-torrent=mem --dir="$work/dl-aria2" \
	--stop-with-process=$$ --summary-interval=0 --console-log-level=warn "$magnet" \
	>"$work/aria2.log" 2>&1
rc=$?
[ $rc -eq 0 ] || { fail "aria2c exited $rc"; tail -5 "$work/aria2.log"; }
cmp -s "$work/b/ours.bin" "$work/dl-aria2/ours.bin" || fail "aria2: data differs"
wait $ltpid
rc=$?
[ $rc -eq 0 ] || { fail "libtorrent leecher exited $rc"; tail -3 "$work/lt-get.log"; }
cmp -s "$work/b/ours.bin" "$work/dl-lt/ours.bin" || fail "libtorrent: data differs"
[ $fails -eq 0 ] || exit 1
echo "ok: libtorrent ($(tr '\n' ' ' <"$work/lt-get.log")) and aria2 got a magnet from trackless seed"
