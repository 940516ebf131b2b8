#!/usr/bin/env bash
# upload_noread.sh: peers that ask for blocks of every piece and then never
# read their socket cannot make a seeder hold pieces for them. A seeder of
# 256 MiB in 4 MiB pieces (seed --no-check, so nothing is read before a
# peer asks) gets (1) one such peer, (2) eight of them; its resident memory
# must stay within a bound far below the pieces they asked for (before the
# bound, each of their queued blocks kept its whole piece in memory: one
# peer pinned ~200 MiB here). (3) Once they are gone, the memory is given
# back (within 12 s). (4) A real leecher still downloads everything meanwhile,
# within 15 s: the never-reading peers lose their slots once stalled.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
. "${top_srcdir:-.}/tests/integration/nocheck_lib.sh"
mib=$((1024 * 1024))
mkdir -p "$work/data"
head -c $((256 * mib)) /dev/urandom >"$work/data/big.bin"
timeout 60 "$bin" create "$work/data/big.bin" -p 4M -o "$work/t.torrent" >/dev/null 2>&1 || fail create
ih=$("$bin" info "$work/t.torrent" --json | sed -n 's/.*"infohash":"\([0-9a-f]*\)".*/\1/p')
sport=$((port_base + 51))
nocheck_seed "$work/data" $sport seed 90
tpid=$(pgrep -P "$spid" | head -1)
# rss_kib: the seeder's resident memory
rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$tpid/status"; }
# ASan keeps freed memory in its quarantine (256 MiB): the bounds are
# this program's, not its allocator's
is_asan=false
case "$(ldd "$bin" 2>/dev/null)" in *libasan*) is_asan=true ;; esac
$is_asan && echo "built with ASan: memory bounds reported, not checked"
bound() { # KIB: the bound, or no bound under ASan
	$is_asan && echo 999999999 || echo "$1"
}
base=$(rss_kib)
[ -n "$base" ] || { fail "cannot read the seeder's memory (pid ${tpid:-none})"; exit 1; }
echo "seeder RSS at start: $((base / 1024)) MiB"

rogue_cmd="/usr/bin/python3 ${top_srcdir:-.}/tests/integration/rogue_peer.py noread 127.0.0.2 $sport $ih"
measure() { # N SECONDS
	timeout 120 $rogue_cmd "$1" 64 >"$work/rogue$1.out" 2>&1 &
	rpid=$!
	pids+=($rpid)
	local i peak=0 r
	for ((i = 0; i < 100; i++)); do
		grep -q requested "$work/rogue$1.out" && break
		sleep 0.1
	done
	grep -q requested "$work/rogue$1.out" || fail "no rogue peer of $1 was unchoked"
	for ((i = 0; i < $2 * 5; i++)); do
		r=$(rss_kib)
		[ "$r" -gt "$peak" ] && peak=$r
		sleep 0.2
	done
	grow=$((peak - base))
}

# (1) one peer
measure 1 4
echo "1 never-reading peer: RSS grew $((grow / 1024)) MiB"
[ "$grow" -le "$(bound $((40 * 1024)))" ] || fail "one never-reading peer grew the seeder by $((grow / 1024)) MiB (bound 40)"
kill "$rpid"; wait "$rpid" 2>/dev/null

# (2) eight peers, and (4) a leecher at the same time
measure 8 2
l0=$(date +%s%N)
timeout 90 "$bin" get "$work/t.torrent" -o "$work/dl" --peer 127.0.0.2:$sport --bind 127.0.0.3 \
	--state-dir "$work/g" --no-seed --json >"$work/get.out" 2>"$work/get.err" &
gpid=$!
pids+=($gpid)
for ((i = 0; i < 25; i++)); do
	r=$(rss_kib)
	[ $((r - base)) -gt "$grow" ] && grow=$((r - base))
	sleep 0.2
done
echo "8 never-reading peers: RSS grew $((grow / 1024)) MiB"
[ "$grow" -le "$(bound $((96 * 1024)))" ] || fail "eight never-reading peers grew the seeder by $((grow / 1024)) MiB (bound 96)"
wait "$gpid" || fail "the leecher did not complete beside the never-reading peers (exit $?)"
lms=$((($(date +%s%N) - l0) / 1000000))
echo "leecher done in $lms ms"
# the peers that never read lose their upload slots once their output
# stalls (5 s), not after holding them 15 to 25 s
[ "$lms" -le "$(bound 15000)" ] || fail "the leecher waited $lms ms for a slot (bound 15000)"
cmp -s "$work/data/big.bin" "$work/dl/big.bin" || fail "the downloaded data differs"

# (3) gone: the memory they held is given back
kill "$rpid"; wait "$rpid" 2>/dev/null
for ((i = 0; i < 60; i++)); do
	after=$(rss_kib)
	[ $((after - base)) -le $((24 * 1024)) ] && break
	sleep 0.2
done
echo "after they left: RSS $(((after - base) / 1024)) MiB over the start"
[ $((after - base)) -le "$(bound $((32 * 1024)))" ] || fail "the seeder kept $(((after - base) / 1024)) MiB after the peers left (bound 32)"
[ $fails -eq 0 ] && echo PASS
exit $((fails > 0))
