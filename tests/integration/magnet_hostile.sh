#!/usr/bin/env bash
# magnet_hostile.sh: `trackless get MAGNET` with two peers in x.pe, an
# honest `trackless seed` and a hostile one (hostile_peer.py) that sends
# wrong metadata, a wrong total size, unasked pieces without end, or
# nothing at all. The honest seeder starts a second after the leecher, so
# the hostile peer is the only one at first. Every time the download must
# complete from the honest peer without stalling or crashing, and the log
# must show the hostile peer dropped. The metadata spans two 16 KiB pieces.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/magnet_lib.sh"
py=/usr/bin/python3
[ -x "$py" ] || { echo "SKIP: no /usr/bin/python3"; exit 77; }

mkdir -p "$work/data"
head -c $((16 * 1024 * 1024)) /dev/urandom >"$work/data/h.bin"
timeout 30 "$bin" create "$work/data/h.bin" -p 16K -o "$work/h.torrent" >/dev/null 2>&1 || fail "create"
P=$port_base
ih=$("$bin" info "$work/h.torrent" --json | sed -n 's/.*"infohash":"\([0-9a-f]*\)".*/\1/p')
[ -n "$ih" ] || fail "no infohash"
size=$("$py" -c 'import sys; d=open(sys.argv[1],"rb").read(); print(len(d) - d.index(b"4:info") - 7)' "$work/h.torrent")

n=0
for mode in wrong size endless silent; do
	n=$((n + 1))
	hp=$((P + 10 + n))
	"$py" "$top_srcdir/tests/integration/hostile_peer.py" 127.0.0.5 "$hp" "$ih" "$size" "$mode" &
	hpid=$!
	pids+=($hpid)
	sleep 0.3
	timeout 40 "$bin" get "magnet:?xt=urn:btih:$ih&x.pe=127.0.0.5:$hp&x.pe=127.0.0.3:$((P + 1))" \
		-o "$work/dl-$mode" --bind 127.0.0.4 --port $((P + 20 + n)) --no-dht \
		--state-dir "$work/state-$mode" --no-seed --json --log-level info >"$work/get-$mode.out" 2>"$work/get-$mode.err" &
	gpid=$!
	pids+=($gpid)
	sleep 1
	start_seed "seed-$mode" "$work/h.torrent" 127.0.0.3 $((P + 1)) "127.0.0.2:$P" --no-dht "$work/data"
	spid=${pids[-1]}
	wait "$gpid"
	rc=$?
	kill "$hpid" "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	before=$fails
	[ $rc -eq 0 ] || { fail "$mode: get exited $rc"; tail -3 "$work/get-$mode.err"; }
	cmp -s "$work/data/h.bin" "$work/dl-$mode/h.bin" || fail "$mode: data differs"
	secs=$(grep '"received":true' "$work/get-$mode.out" | sed -n 's/.*"seconds":\([0-9.]*\).*/\1/p')
	grep -q "127.0.0.5:$hp: closed\|banning 127.0.0.5" "$work/get-$mode.err" ||
		fail "$mode: the hostile peer was never dropped"
	[ $fails -eq $before ] && echo "ok: $mode (metadata after ${secs:-?} s)"
done
[ $fails -eq 0 ] || exit 1
