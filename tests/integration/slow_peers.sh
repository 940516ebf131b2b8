#!/usr/bin/env bash
# slow_peers.sh: idle and slow peers cannot fill a seeder's slots. At the
# same time, against one seeder with the default limits (50 peers per
# torrent): (1) 60 peers that complete the handshake and then want
# nothing; once they are idle, a real leecher still connects and
# downloads everything (an idle peer gives it its slot); (2) a peer that
# sends its handshake one byte a second is dropped by the 20 s handshake
# deadline, which each byte does not restart; (3) a peer that sends a
# PIECE message one byte a second is dropped by the message deadline
# (40 s), though it is never silent long enough for the idle timeout (nor
# is it idle: a message is under way).
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
rogue="/usr/bin/python3 ${top_srcdir:-.}/tests/integration/rogue_peer.py"
"$bin" get --help | grep -q -- "--max-peers N *connections at most (default 50 per torrent" ||
	fail "get --help does not give the per-torrent default of --max-peers"
mkdir -p "$work/data"
head -c $((8 * 1024 * 1024)) /dev/urandom >"$work/data/f.bin"
timeout 30 "$bin" create "$work/data/f.bin" -p 256K -o "$work/t.torrent" >/dev/null 2>&1 || fail create
ih=$("$bin" info "$work/t.torrent" --json | sed -n 's/.*"infohash":"\([0-9a-f]*\)".*/\1/p')
sport=$((port_base + 61))
timeout 120 "$bin" seed "$work/t.torrent" "$work/data" --bind 127.0.0.2 --port $sport --no-dht \
	--state-dir "$work/seed.state" --json -v >"$work/seed.out" 2>"$work/seed.err" &
pids+=($!)
wait_json "$work/seed.out" checked 20 || fail "the seeder did not start"

t0=$(date +%s)
timeout 100 $rogue trickle-msg 127.0.0.2 $sport "$ih" >"$work/msg.out" 2>&1 &
pids+=($!)
timeout 100 $rogue trickle-hs 127.0.0.2 $sport "$ih" >"$work/hs.out" 2>&1 &
pids+=($!)
sleep 0.5
timeout 100 $rogue idle 127.0.0.2 $sport "$ih" 60 >"$work/idle.out" 2>&1 &
pids+=($!)
for ((i = 0; i < 100; i++)); do
	grep -q ready "$work/idle.out" && break
	sleep 0.1
done
echo "idle peers connected: $(sed -n 's/ready //p' "$work/idle.out")"
[ "$(sed -n 's/ready //p' "$work/idle.out")" -ge 45 ] 2>/dev/null ||
	fail "the idle peers did not fill the seeder: $(cat "$work/idle.out")"

# (1) once they are idle (10 s), a leecher gets a slot
sleep 11
l0=$(date +%s%N)
timeout 30 "$bin" get "$work/t.torrent" -o "$work/dl" --peer 127.0.0.2:$sport --bind 127.0.0.3 \
	--no-dht --state-dir "$work/g" --no-seed --json >"$work/get.out" 2>"$work/get.err" ||
	fail "the leecher did not complete beside 60 idle peers (exit $?)"
echo "leecher done in $((($(date +%s%N) - l0) / 1000000)) ms"
cmp -s "$work/data/f.bin" "$work/dl/f.bin" || fail "the downloaded data differs"
grep -q "its slot went to a new peer" "$work/seed.err" || fail "no idle peer was dropped for the leecher"

# (2) and (3): the deadlines
wait_closed() { # FILE SECONDS_FROM_T0
	while [ $(($(date +%s) - t0)) -lt "$2" ]; do
		grep -q "closed after" "$1" && return 0
		sleep 0.5
	done
	return 1
}
if wait_closed "$work/hs.out" 30; then
	echo "handshake trickle: $(cat "$work/hs.out")"
	s=$(sed -n 's/closed after \([0-9]*\).*/\1/p' "$work/hs.out")
	[ "$s" -le 25 ] || fail "the handshake trickle was dropped only after $s s"
else
	fail "a handshake sent one byte a second was still open after 30 s"
fi
if wait_closed "$work/msg.out" 55; then
	echo "message trickle: $(cat "$work/msg.out")"
	grep -q "a message took too long" "$work/seed.err" || fail "the message trickle was not dropped by its deadline"
else
	fail "a message sent one byte a second was still open after 55 s"
fi
[ $fails -eq 0 ] && echo PASS
exit $((fails > 0))
