#!/usr/bin/env bash
# engine_ctl.sh: the engine's runtime controls against a real seeder
# process: pause part way (nothing more arrives), resume, remove with the
# data while downloading (its file and resume file go), add again until
# complete, remove keeping the data (tests/integration/engine_ctl.c).
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
ctl=${top_builddir:-.}/tests/integration/engine_ctl
[ -x "$ctl" ] || { echo "SKIP: $ctl is not built"; exit 77; }
port=$((port_base + 41))
mkdir -p "$work/data" "$work/dl"
head -c $((24 * 1024 * 1024)) /dev/urandom >"$work/data/big.bin"
"$bin" create "$work/data/big.bin" -p 256K -o "$work/big.torrent" >/dev/null 2>&1 || fail "create"
timeout --foreground 90 "$bin" seed "$work/big.torrent" "$work/data" --bind 127.0.0.2 --port $port \
	--no-dht --state-dir "$work/seed.state" --json >"$work/seed.out" 2>"$work/seed.err" &
pids+=($!)
wait_json "$work/seed.out" checked 20 || fail "seeder did not start"
timeout 80 "$ctl" "$work/big.torrent" 127.0.0.2:$port 127.0.0.3 "$work/dl" "$work/ctl.state" \
	>"$work/ctl.out" 2>"$work/ctl.err"
rc=$?
cat "$work/ctl.out"
[ $rc -eq 0 ] || { fail "engine_ctl exited $rc"; tail -20 "$work/ctl.err"; }
cmp -s "$work/data/big.bin" "$work/dl/big.bin" || fail "the data added again differs"
grep -q '^ok: removed with data: its file is gone' "$work/ctl.out" || fail "no removal step"
[ $fails -eq 0 ] && echo "PASS: engine_ctl" || exit 1
