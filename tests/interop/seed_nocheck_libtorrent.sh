#!/usr/bin/env bash
# seed_nocheck_libtorrent.sh: `trackless seed --no-check` serves a
# python3-libtorrent leecher: intact data arrives byte for byte and every
# piece ends verified; with a few bytes changed in piece K, libtorrent gets
# every other piece, never piece K, and the seeder reports K damaged.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
. "${top_srcdir:-.}/tests/integration/nocheck_lib.sh"
py=/usr/bin/python3
lt_peer=${top_srcdir:-.}/tests/interop/lt_peer.py
$py -c 'import libtorrent' 2>/dev/null || { echo "SKIP: python3-libtorrent is not installed"; exit 77; }
plen=$((256 * 1024))
size=$((8 * 1024 * 1024))
k=5
mkdir -p "$work/data" "$work/bad"
head -c $size /dev/urandom >"$work/data/f.bin"
timeout 20 "$bin" create "$work/data/f.bin" -p 256K -o "$work/t.torrent" >/dev/null 2>&1 || fail create

# intact
sport=$((port_base + 51))
nocheck_seed "$work/data" $sport seed1
[ "$(json_field "$work/seed1.out" checked unverified_pieces)" = $((size / plen)) ] ||
	fail "the seeder did not start with every piece unverified"
timeout 30 $py "$lt_peer" get "$work/t.torrent" "$work/lt1" 127.0.0.5 $((port_base + 52)) \
	127.0.0.2 $sport >"$work/lt1.out" 2>&1 || fail "libtorrent leecher: $(cat "$work/lt1.out")"
cmp -s "$work/data/f.bin" "$work/lt1/f.bin" || fail "data served to libtorrent differs"
sleep 1.5
[ "$(json_last "$work/seed1.out" unverified_pieces)" = 0 ] || fail "pieces left unverified"
nocheck_stop

# piece k damaged: libtorrent never completes (bounded), never gets piece k
damage "$work/data/f.bin" "$work/bad/f.bin" $((k * plen + 77))
sport=$((port_base + 53))
nocheck_seed "$work/bad" $sport seed2
timeout 10 $py "$lt_peer" get "$work/t.torrent" "$work/lt2" 127.0.0.5 $((port_base + 54)) \
	127.0.0.2 $sport >"$work/lt2.out" 2>&1 && fail "libtorrent completed from damaged data"
grep -q "piece $k (in f.bin) is damaged" "$work/seed2.err" || fail "the seeder did not log piece $k damaged"
for i in $(seq 0 $((size / plen - 1))); do
	got=$(dd if="$work/lt2/f.bin" bs=$plen skip=$i count=1 status=none 2>/dev/null | sha1sum)
	if [ $i -eq $k ]; then
		[ "$got" != "$(dd if="$work/bad/f.bin" bs=$plen skip=$i count=1 status=none | sha1sum)" ] ||
			fail "libtorrent got the damaged piece $k"
	elif [ "$got" != "$(dd if="$work/data/f.bin" bs=$plen skip=$i count=1 status=none | sha1sum)" ]; then
		fail "piece $i differs at libtorrent"
	fi
done
nocheck_stop
if [ $fails -ne 0 ]; then
	tail -n 10 "$work"/seed*.err "$work"/lt*.out
	exit 1
fi
echo ok
