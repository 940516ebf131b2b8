#!/usr/bin/env bash
# disk_full.sh: a download onto a file system with less room than the
# torrent (a 1 MiB tmpfs in a private mount namespace, gone when the
# process exits). The first write that fails logs one line with the
# system's reason, every write still in flight fails quietly, the JSON
# status says "error":"disk full: ...", and get exits 1 instead of
# retrying or flooding the log.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
command -v unshare >/dev/null || { echo "SKIP: unshare is not installed"; exit 77; }
mkdir -p "$work/data" "$work/small"
# a mount namespace of our own with a tmpfs in it needs CAP_SYS_ADMIN
if ! timeout 10 unshare --mount sh -c "mount -t tmpfs -o size=1m none '$work/small'" 2>/dev/null; then
	echo "SKIP: cannot mount a tmpfs in a new mount namespace (needs root)"
	exit 77
fi
head -c $((4 * 1024 * 1024)) /dev/urandom >"$work/data/big.bin"
timeout 20 "$bin" create "$work/data/big.bin" -p 64K -o "$work/t.torrent" >/dev/null 2>&1 || fail create
sport=$((port_base + 81))
timeout --foreground 60 "$bin" seed "$work/t.torrent" "$work/data" --bind 127.0.0.2 --port $sport \
	--no-dht --no-trackers --state-dir "$work/s0" --json >"$work/seed.out" 2>&1 &
pids+=($!)
wait_json "$work/seed.out" checked 30 || fail "seeder did not start"

timeout --foreground 40 unshare --mount sh -c '
	mount -t tmpfs -o size=1m none "$1" || exit 125
	shift
	exec "$@"' sh "$work/small" \
	"$bin" get "$work/t.torrent" -o "$work/small" --peer 127.0.0.2:$sport --bind 127.0.0.3 \
	--no-dht --no-trackers --state-dir "$work/s" --no-seed --json >"$work/get.out" 2>"$work/get.err"
rc=$?
[ $rc -eq 1 ] || fail "get exited $rc, expected 1 (124 is a timeout)"
n=$(grep -c "disk full: No space left on device" "$work/get.err")
[ "$n" = 1 ] || fail "expected one line with the reason in the log, found $n"
grep -q "disk full: No space left on device (writing piece [0-9]* to big.bin); stopped" "$work/get.err" ||
	fail "the line does not name the piece and the file"
n=$(grep -ci "disk" "$work/get.err")
[ "$n" = 1 ] || fail "expected no other line about the disk, found $n in all"
grep '"event":"error"' "$work/get.out" | grep -q '"error":"disk full: No space left on device"' ||
	fail "no JSON error event with the reason"
grep '"event":"stopped"' "$work/get.out" | grep -q '"error":"disk full: No space left on device"' ||
	fail "the stopped status does not carry the error"
[ $fails -eq 0 ] || { tail -n 20 "$work/get.err"; tail -n 3 "$work/get.out"; exit 1; }
echo ok
