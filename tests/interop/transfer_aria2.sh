#!/usr/bin/env bash
# transfer_aria2.sh: trackless downloads from an aria2 seeder, then seeds
# to an aria2 leecher by dialing it (aria2 learns peers only from trackers,
# the DHT or PEX, all off here). aria2 1.36 sends a BITFIELD after
# HAVE_NONE, which the engine must take as a replacement.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
command -v aria2c >/dev/null || { echo "SKIP: aria2c is not installed"; exit 77; }

mkdir -p "$work/src"
head -c $((6 * 1024 * 1024 + 111)) /dev/urandom >"$work/src/data.bin"
timeout 20 "$bin" create "$work/src/data.bin" -p 256K -o "$work/t.torrent" >/dev/null 2>&1 || fail create
common=(--no-conf=true --enable-dht=false --enable-dht6=false --bt-enable-lpd=false
	--disable-ipv6=true --async-dns=false --enable-peer-exchange=false
	--stop-with-process=$$ --console-log-level=warn --summary-interval=0)

# aria2 seeds, trackless gets
aport=$((port_base + 41))
timeout 60 aria2c "${common[@]}" --interface=127.0.0.4 --listen-port=$aport --dir="$work/src" \
	--seed-ratio=0.0 --check-integrity=true --bt-hash-check-seed=true "$work/t.torrent" \
	>"$work/a-seed.out" 2>&1 &
pids+=($!)
sleep 2
timeout 40 "$bin" get "$work/t.torrent" -o "$work/dl" --peer 127.0.0.4:$aport --bind 127.0.0.3 \
	--state-dir "$work/s1" --no-seed --json >"$work/get.out" 2>"$work/get.err"
rc=$?
[ $rc -eq 0 ] || { fail "get from aria2 exited $rc"; tail -n 5 "$work/get.err"; }
cmp -s "$work/src/data.bin" "$work/dl/data.bin" || fail "data from aria2 differs"
echo "ok: aria2 -> trackless"

# trackless seeds and dials the aria2 leecher (aria2 only learns peers
# from trackers, the DHT or PEX; an incoming connection is enough)
tport=$((port_base + 42))
a2port=$((port_base + 43))
timeout 50 aria2c "${common[@]}" --interface=127.0.0.5 --listen-port=$a2port --dir="$work/a-dl" \
	--seed-time=0 --follow-torrent=mem "$work/t.torrent" >"$work/a-get.out" 2>&1 &
ap=$!
pids+=($ap)
sleep 1
timeout --foreground 60 "$bin" seed "$work/t.torrent" "$work/src" --bind 127.0.0.2 --port $tport \
	--peer 127.0.0.5:$a2port --state-dir "$work/s2" --json >"$work/seed.out" 2>"$work/seed.err" &
pids+=($!)
wait $ap
rc=$?
[ $rc -eq 0 ] || { fail "aria2 leecher exited $rc"; tail -n 5 "$work/a-get.out" "$work/seed.err"; }
cmp -s "$work/src/data.bin" "$work/a-dl/data.bin" || fail "data served to aria2 differs"
echo "ok: trackless -> aria2"
[ $fails -eq 0 ] || exit 1
