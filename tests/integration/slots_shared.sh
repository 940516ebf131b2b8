#!/usr/bin/env bash
# slots_shared.sh: the session's peer limit (200) is shared by its
# torrents, and an idle peer of any torrent gives its slot to a newcomer.
# One seeder of 5 torrents; torrents 2 to 5 each fill their 50 slots with
# peers that want nothing (200 in all); once those are idle, a leecher of
# torrent 1, which has no peer of its own to drop, still gets in and
# downloads everything.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
rogue="/usr/bin/python3 ${top_srcdir:-.}/tests/integration/rogue_peer.py"
mkdir -p "$work/data" "$work/torrents"
for i in 1 2 3 4 5; do
	head -c $((1024 * 1024 + i)) /dev/urandom >"$work/data/f$i.bin"
	timeout 30 "$bin" create "$work/data/f$i.bin" -p 64K -o "$work/torrents/f$i.torrent" >/dev/null 2>&1 ||
		fail "create f$i"
done
ih() { "$bin" info "$1" --json | sed -n 's/.*"infohash":"\([0-9a-f]*\)".*/\1/p'; }
sport=$((port_base + 81))
timeout 120 "$bin" seed --torrent-dir "$work/torrents" --data "$work/data" --bind 127.0.0.2 \
	--port $sport --no-dht --state-dir "$work/seed.state" --json -v >"$work/seed.out" 2>"$work/seed.err" &
pids+=($!)
wait_json_count "$work/seed.out" checked 5 10 || fail "the seeder did not start its 5 torrents"
total=0
for i in 2 3 4 5; do
	timeout 100 $rogue idle 127.0.0.2 $sport "$(ih "$work/torrents/f$i.torrent")" 50 >"$work/idle$i.out" 2>&1 &
	pids+=($!)
	for ((k = 0; k < 100; k++)); do
		grep -qs ready "$work/idle$i.out" && break
		sleep 0.1
	done
	total=$((total + $(sed -n 's/ready //p' "$work/idle$i.out")))
done
echo "idle peers connected: $total"
[ "$total" -ge 195 ] || fail "the idle peers did not fill the session: $total"
sleep 11
l0=$(date +%s%N)
timeout 30 "$bin" get "$work/torrents/f1.torrent" -o "$work/dl" --peer 127.0.0.2:$sport --bind 127.0.0.3 \
	--no-dht --state-dir "$work/g" --no-seed --json >"$work/get.out" 2>"$work/get.err" ||
	fail "the leecher of a torrent without idle peers did not get a slot (exit $?)"
echo "leecher done in $((($(date +%s%N) - l0) / 1000000)) ms"
cmp -s "$work/data/f1.bin" "$work/dl/f1.bin" || fail "the downloaded data differs"
grep -q "its slot went to a new peer" "$work/seed.err" || fail "no idle peer of another torrent was dropped"
[ $fails -eq 0 ] && echo PASS
exit $((fails > 0))
