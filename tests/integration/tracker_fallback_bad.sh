#!/usr/bin/env bash
# tracker_fallback_bad.sh: the only tracker of a download misbehaves
# (tests/integration/bad_tracker.py: garbage, a 500, a failure reason, a
# huge body, a body sent a byte a second) while the DHT works (a
# bootstrap `trackless dht node` on 127.0.0.2, a seeder on 127.0.0.3 that
# announces only to the DHT). Each `trackless get MAGNET&tr=BAD` on its own
# address still completes with equal data, and its JSON status names the
# tracker's error; no peer came from the tracker.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/magnet_lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: /usr/bin/python3 is not installed"; exit 77; }

mkdir -p "$work/data"
head -c $((1024 * 1024 + 321)) /dev/urandom >"$work/data/payload.bin"
P=$port_base
"$PY" "${top_srcdir:-.}/tests/integration/bad_tracker.py" 127.0.0.20 "$work/tport" >"$work/bad.log" 2>&1 &
pids+=($!)
start_node 127.0.0.2 "$P"
start_seed seed "$work/data/payload.bin" 127.0.0.3 $((P + 1)) "127.0.0.2:$P"
for ((i = 0; i < 50; i++)); do [ -s "$work/tport" ] && break; sleep 0.1; done
[ -s "$work/tport" ] || { fail "bad tracker did not start"; exit 1; }
T="http://127.0.0.20:$(cat "$work/tport")"

# mode  expected error (a grep -E pattern over the JSON status)
modes=(garbage 500 fail huge slow)
errors=('"error":"[^"]*(bencode|reply|invalid|expected)' '"error":"HTTP 500"' \
	'"error":"torrent not registered"' '"error":"[^"]*(too large|too long|limit)' '"error":"timed out"')
getpids=()
for i in "${!modes[@]}"; do
	m=${modes[$i]}
	extra=(--no-seed)
	# the slow tracker times out after 15 s: stay until it has
	[ "$m" = slow ] && extra=(--seed-time 20)
	timeout 50 "$bin" get "$magnet&tr=$T/$m/announce" -o "$work/dl-$m" --bind "127.0.0.$((4 + i))" \
		--port $((P + 2 + i)) --bootstrap "127.0.0.2:$P" --state-dir "$work/state-$m" --json \
		"${extra[@]}" >"$work/get-$m.out" 2>"$work/get-$m.err" &
	getpids+=($!)
	pids+=($!)
done
for i in "${!modes[@]}"; do
	m=${modes[$i]}
	wait "${getpids[$i]}"
	rc=$?
	[ $rc -eq 0 ] || { fail "$m: get exited $rc"; tail -3 "$work/get-$m.err"; }
	cmp -s "$work/data/payload.bin" "$work/dl-$m/payload.bin" || fail "$m: data differs"
	last=$(grep '"event":"stopped"' "$work/get-$m.out" | tail -1)
	echo "$last" | grep -qE "\"status\":\"error\",${errors[$i]}" ||
		fail "$m: the status does not show the tracker's error: ${last:0:600}"
	echo "$last" | grep -qE '"sources":\{"given":0,"dht":[0-9]+,"pex":[0-9]+,"tracker":0\}' ||
		fail "$m: peers from the bad tracker: ${last:0:300}"
	echo "ok: $m"
done
grep -E 'Sanitizer|runtime error' "$work"/*.err && fail "sanitizer report"
[ $fails -eq 0 ] || exit 1
echo "ok: downloads complete over the DHT whatever the tracker does"
