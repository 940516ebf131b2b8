#!/usr/bin/env bash
# fd_exhaust.sh: processes under 100 idle TCP connections that never send
# a handshake. (0) With descriptors to spare, a seeder keeps 64 of them
# (TL_MAX_HALF_OPEN) and closes the others at once. The next ones run
# limited to 64 open files, soft and hard (raising the soft limit gains
# nothing). (1) A seeder keeps at most 32 (the rest of its descriptors
# are kept for the disk); while they are held 5 s it stays quiet (a few
# log lines, little CPU: no accept loop), and a leecher that connects
# meanwhile still gets the whole torrent. (2) A leecher in the middle of a
# download, same flood, stopped with SIGTERM, still writes its resume file.
# (3) A resume save that fails is tried again, and logged once.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
command -v prlimit >/dev/null || { echo "SKIP: prlimit (util-linux) is not installed"; exit 77; }
idle="/usr/bin/python3 ${top_srcdir:-.}/tests/integration/idle_conns.py"
hz=$(getconf CLK_TCK)

mkdir -p "$work/data"
size=$((4 * 1024 * 1024))
head -c $size /dev/urandom >"$work/data/f.bin"
timeout 20 "$bin" create "$work/data/f.bin" -p 64K -o "$work/t.torrent" >/dev/null 2>&1 || fail create

# cpu_ms PID: user + system CPU time of PID so far, in ms.
cpu_ms() {
	awk -v hz="$hz" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat" 2>/dev/null
}

# child_of PID: the process `timeout` PID runs (it appears shortly after).
child_of() {
	local c i
	for i in $(seq 50); do
		c=$(pgrep -P "$1" | head -1)
		[ -n "$c" ] && { echo "$c"; return; }
		sleep 0.1
	done
}

# quiet NAME LOG CPU_MS: at most 5 warnings (accept failures, refusals), a
# small log, and under 1 s of CPU over the 5 s the idle connections were
# held (a process that retries accept as fast as it fails spends the whole
# hold on a core).
quiet() {
	local n bytes
	n=$(grep -c -E "warn|Too many open files" "$2")
	bytes=$(wc -c <"$2")
	echo "$1: $n warnings, $bytes log bytes, $3 ms CPU during the hold"
	[ "$n" -le 5 ] || fail "$1: $n warnings in the log"
	[ "$bytes" -le 65536 ] || fail "$1: $bytes bytes of log"
	[ "$3" -lt 1000 ] || fail "$1: $3 ms of CPU while the idle connections were held"
}

# limited_seed NAME PORT LIMIT: `trackless seed` of $work/t.torrent on
# 127.0.0.2:PORT with at most LIMIT open files (JSON in $work/NAME.out, log
# in $work/NAME.err), its `timeout` PID in stp, once it has started.
limited_seed() {
	timeout --foreground 60 prlimit --nofile="$3:$3" "$bin" seed "$work/t.torrent" "$work/data" \
		--bind 127.0.0.2 --port "$2" --no-dht --state-dir "$work/$1.state" --json \
		>"$work/$1.out" 2>"$work/$1.err" &
	stp=$!
	pids+=($stp)
	wait_json "$work/$1.out" checked 20 || fail "seeder $1 did not start"
}

# held FILE: the count idle_conns.py reports held to the end.
held() {
	sed -n 's/^held //p' "$1"
}

# (0) with descriptors to spare, 64 connections at most wait for their
# handshake (TL_MAX_HALF_OPEN): the others are closed at once
sport=$((port_base + 60))
limited_seed seed0 $sport 1024
s0=$stp
timeout 20 $idle 127.0.0.2 $sport 100 2 127.0.0.4 >"$work/idle0.out"
echo "seeder: $(held "$work/idle0.out") of 100 idle connections kept"
[ "$(held "$work/idle0.out")" = 64 ] || fail "$(held "$work/idle0.out") connections without a handshake kept, not 64"
kill -TERM $s0
wait $s0

# (1) the seeder is the one flooded
sport=$((port_base + 61))
limited_seed seed $sport 64
sp=$(child_of $stp)
c0=$(cpu_ms "$sp")
timeout 20 $idle 127.0.0.2 $sport 100 5 127.0.0.4 >"$work/idle1.out" &
hp=$!
pids+=($hp)
sleep 2
t0=$(date +%s%N)
timeout 30 "$bin" get "$work/t.torrent" -o "$work/dl1" --peer 127.0.0.2:$sport --bind 127.0.0.3 --no-dht \
	--state-dir "$work/get1.state" --no-seed --json >"$work/get1.out" 2>"$work/get1.err" &
gp=$!
pids+=($gp)
wait $hp
c1=$(cpu_ms "$sp")
n=$(held "$work/idle1.out")
echo "seeder: $n of 100 idle connections kept with 64 descriptors"
[ "${n:-99}" -ge 1 ] && [ "${n:-99}" -le 32 ] || fail "${n:-?} idle connections kept: the reserve is 32 of 64"
quiet seeder "$work/seed.err" $((c1 - c0))
wait $gp
rc=$?
echo "leecher: done in $((($(date +%s%N) - t0) / 1000000)) ms (exit $rc)"
[ $rc -eq 0 ] || { fail "the leecher exited $rc"; tail -n 5 "$work/get1.err"; }
cmp -s "$work/data/f.bin" "$work/dl1/f.bin" || fail "the leecher's data differs"

# (2) a leecher is flooded mid-download and stopped
lport=$((port_base + 62))
timeout --foreground 60 prlimit --nofile=64:64 "$bin" get "$work/t.torrent" -o "$work/dl2" \
	--peer 127.0.0.2:$sport --bind 127.0.0.5 --port $lport --no-dht --state-dir "$work/get2.state" \
	--download-limit 256K --json >"$work/get2.out" 2>"$work/get2.err" &
ltp=$!
pids+=($ltp)
lp=$(child_of $ltp)
for _ in $(seq 100); do
	[ "$(json_field "$work/get2.out" status have_bytes)" -gt 0 ] 2>/dev/null && break
	sleep 0.1
done
c0=$(cpu_ms "$lp")
timeout 20 $idle 127.0.0.5 $lport 100 5 127.0.0.4 >"$work/idle2.out" &
hp=$!
pids+=($hp)
sleep 3
c1=$(cpu_ms "$lp")
rm -f "$work/get2.state/resume/"*.resume
kill -TERM $ltp
wait $ltp
rc=$?
wait $hp
have=$(json_field "$work/get2.out" stopped have_bytes)
echo "leecher: stopped with ${have:-?} of $size bytes, exit $rc"
[ "${have:-0}" -gt 0 ] && [ "${have:-0}" -lt $size ] || fail "the stop did not land mid-download"
ls "$work/get2.state/resume/"*.resume >/dev/null 2>&1 ||
	{ fail "no resume file written at the stop"; grep -m 3 resume "$work/get2.err"; }
# CPU over the 3 s from the start of the hold to the stop
quiet leecher "$work/get2.err" $((c1 - c0))

# (3) a failed save is tried again, not lost: the resume file cannot be
# written (its temp path is a directory) when the download completes, the
# last change; once it can, it is written without a stop, and the failure
# was logged once.
ih=$("$bin" info --json "$work/t.torrent" | sed -n 's/.*"infohash":"\([0-9a-f]*\)".*/\1/p')
mkdir -p "$work/get3.state/resume/$ih.resume.tmp"
timeout --foreground 40 "$bin" get "$work/t.torrent" -o "$work/dl3" --peer 127.0.0.2:$sport --bind 127.0.0.6 \
	--no-dht --state-dir "$work/get3.state" --json -v >"$work/get3.out" 2>"$work/get3.err" &
g3=$!
pids+=($g3)
wait_json "$work/get3.out" complete 20 || fail "the third leecher did not complete"
sleep 1
[ -e "$work/get3.state/resume/$ih.resume" ] && fail "the resume file was written through a directory"
rmdir "$work/get3.state/resume/$ih.resume.tmp"
for _ in $(seq 80); do
	[ -e "$work/get3.state/resume/$ih.resume" ] && break
	sleep 0.1
done
[ -e "$work/get3.state/resume/$ih.resume" ] || fail "a failed resume save was not tried again"
n=$(grep -c "could not save the resume file" "$work/get3.err")
echo "leecher: a failed resume save logged $n time(s)"
[ "$n" -eq 1 ] || fail "$n warnings for a resume file that could not be saved"
kill -TERM $g3
wait $g3
[ $fails -eq 0 ] || exit 1
echo "ok: fd_exhaust"
