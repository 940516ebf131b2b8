#!/usr/bin/env bash
# multi_torrent.sh: several torrents in one process, on one port and one
# DHT node. (1) One `trackless seed --torrent-dir` process serves 200
# torrents; three leechers fetch three of them by magnet link over the
# loopback DHT, at the same time. (2) One `trackless get` process takes
# a .torrent, a magnet link and another .torrent and exits 0 once all
# three are complete. (3) Exit status of a multi-input get: 1 when one
# input did not complete (stopped by SIGINT), 2 for an infohash given
# twice. (4) Each of the 200 reports in its status that the node stored its
# announce.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/magnet_lib.sh"
n=200
node_port=$((port_base + 31))
start_node 127.0.0.2 $node_port
mkdir -p "$work/data" "$work/torrents"
for i in $(seq $n); do
	head -c $((40000 + i * 100)) /dev/urandom >"$work/data/f$i.bin"
done
t0=$(date +%s%N)
for i in $(seq $n); do
	"$bin" create "$work/data/f$i.bin" -p 16K -o "$work/torrents/f$i.torrent" >/dev/null 2>&1 ||
		fail "create f$i"
done
echo "created $n torrents in $((($(date +%s%N) - t0) / 1000000)) ms"

# (1) one seeder, 200 torrents
seed_t0=$(date +%s)
timeout --foreground 240 "$bin" seed --torrent-dir "$work/torrents" --data "$work/data" \
	--bind 127.0.0.3 --port 0 --bootstrap 127.0.0.2:$node_port --state-dir "$work/seed.state" \
	--json >"$work/seed.out" 2>"$work/seed.err" &
spid=$!
pids+=($spid)
for ((i = 0; i < 300; i++)); do
	[ "$(grep -c '"event":"checked"' "$work/seed.out")" -ge $n ] && break
	sleep 0.1
done
checked=$(grep -c '"event":"checked"' "$work/seed.out")
echo "seeder: $checked torrents checked"
[ "$checked" -eq $n ] || fail "the seeder checked $checked of $n torrents"
[ "$(grep -c '"event":"started"' "$work/seed.out")" -eq $n ] || fail "not every torrent started"
ports=$(grep '"event":"started"' "$work/seed.out" | sed -n 's/.*"port":\([0-9]*\).*/\1/p' | sort -u | wc -l)
[ "$ports" -eq 1 ] || fail "the torrents do not share one port ($ports ports)"
magnet_of() { # FILE.torrent: its magnet link, from the seeder's started line
	local ih
	ih=$("$bin" info "$1" --json | sed -n 's/.*"infohash":"\([0-9a-f]*\)".*/\1/p')
	grep "\"event\":\"started\",\"infohash\":\"$ih\"" "$work/seed.out" |
		sed -n 's/.*"magnet":"\([^"]*\)".*/\1/p'
}
lpids=()
for k in 7 99 200; do
	m=$(magnet_of "$work/torrents/f$k.torrent")
	[ -n "$m" ] || fail "no magnet link for f$k"
	timeout 100 "$bin" get "$m" -o "$work/dl$k" --bind 127.0.0.$((10 + k % 50)) --port 0 \
		--bootstrap 127.0.0.2:$node_port --state-dir "$work/g$k" --no-seed --json \
		>"$work/get$k.out" 2>"$work/get$k.err" &
	lpids+=($!)
	pids+=($!)
done
for i in 0 1 2; do
	wait "${lpids[$i]}" || fail "leecher $i exited $?"
done
for k in 7 99 200; do
	cmp -s "$work/data/f$k.bin" "$work/dl$k/f$k.bin" || fail "f$k by magnet differs"
done

# (2) three inputs in one get: a .torrent, a magnet link, a .torrent
m=$(magnet_of "$work/torrents/f50.torrent")
timeout 100 "$bin" get "$work/torrents/f3.torrent" "$m" "$work/torrents/f150.torrent" -o "$work/multi" \
	--bind 127.0.0.4 --port 0 --bootstrap 127.0.0.2:$node_port --state-dir "$work/gm" --no-seed \
	--json >"$work/multi.out" 2>"$work/multi.err"
rc=$?
[ $rc -eq 0 ] || fail "get of three inputs exited $rc"
for k in 3 50 150; do
	cmp -s "$work/data/f$k.bin" "$work/multi/f$k.bin" || fail "f$k of the three-input get differs"
done
[ "$(grep -c '"event":"complete"' "$work/multi.out")" -eq 3 ] || fail "not three complete events"
ports=$(grep '"event":"started"' "$work/multi.out" | sed -n 's/.*"port":\([0-9]*\).*/\1/p' | sort -u | wc -l)
[ "$ports" -eq 1 ] || fail "the three inputs do not share one port"

# (3) exit status: one input never completes
"$bin" get "$work/torrents/f4.torrent" "magnet:?xt=urn:btih:$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
	-o "$work/part" --bind 127.0.0.5 --port 0 --bootstrap 127.0.0.2:$node_port --state-dir "$work/gp" \
	--no-seed --json >"$work/part.out" 2>"$work/part.err" &
ppid_=$!
pids+=($ppid_)
wait_json "$work/part.out" complete 30 || fail "the good input of the partial get did not complete"
sleep 1.5
grep -q '"event":"metadata","infohash":"[0-9a-f]*","state":"metadata"' "$work/part.out" ||
	fail "no status line in the metadata state for the magnet link"
ih4=$("$bin" info "$work/torrents/f4.torrent" --json | sed -n 's/.*"infohash":"\([0-9a-f]*\)".*/\1/p')
grep "\"infohash\":\"$ih4\"" "$work/part.out" | tail -1 | grep -q '"state":"stopped"' ||
	fail "the complete input (--no-seed) is not in the stopped state"
kill -INT $ppid_
for ((i = 0; i < 150; i++)); do
	kill -0 $ppid_ 2>/dev/null || break
	sleep 0.1
done
kill -0 $ppid_ 2>/dev/null && fail "the partial get did not stop on SIGINT"
wait $ppid_
rc=$?
[ $rc -eq 1 ] || fail "a get with one input incomplete exited $rc, not 1"
"$bin" get "$work/torrents/f5.torrent" "$work/torrents/f5.torrent" -o "$work/twice" --no-dht \
	--port 0 --state-dir "$work/gt" >/dev/null 2>"$work/twice.err"
rc=$?
[ $rc -eq 2 ] || fail "an infohash given twice exited $rc, not 2"
grep -q "given twice" "$work/twice.err" || fail "no 'given twice' message: $(cat "$work/twice.err")"
# (4) every torrent's announce was stored by the node (status "dht")
for ((i = 0; i < 120; i++)); do
	ok=$(grep '"ipv4":{"stored":[1-9]' "$work/seed.out" |
		sed -n 's/.*"infohash":"\([0-9a-f]*\)".*/\1/p' | sort -u | wc -l)
	[ "$ok" -ge $n ] && break
	sleep 1
done
echo "torrents whose announce the node stored: $ok of $n, $(($(date +%s) - seed_t0)) s after the seeder started"
[ "$ok" -ge $n ] || fail "only $ok of $n torrents report an announce the node stored"
# (5) torrents without peers give their files' descriptors back (within a
# minute): about one per torrent (its directory) is left, not two.
# $spid is timeout's; the seeder is its child.
tl_pid=$(pgrep -P "$spid" | head -1)
for ((i = 0; i < 70; i++)); do
	fds=$(ls "/proc/${tl_pid:-0}/fd" 2>/dev/null | wc -l)
	[ "$fds" -lt $((n + n / 2)) ] && break
	sleep 1
done
echo "descriptors of the seeder of $n torrents: $fds"
[ -n "$tl_pid" ] && [ "$fds" -gt $((n / 2)) ] && [ "$fds" -lt $((n + n / 2)) ] ||
	fail "the seeder holds $fds descriptors for $n idle torrents"
[ $fails -eq 0 ] && echo PASS
exit $((fails > 0))
