#!/usr/bin/env bash
# tracker_download.sh: a seeder on 127.0.0.2 and a leecher on 127.0.0.3,
# both without DHT and without --peer, find each other only through
# Debian's opentracker on loopback, and the download completes byte for
# byte: over HTTP (a .torrent whose announce-list names the tracker) and
# over UDP (BEP 15; `seed PATH -t URL` puts the tracker in the torrent it
# makes, the leecher starts from a magnet link with only `tr`). The
# stopped announce on exit removes each of them from the tracker.
# opentracker is whitelist-only on Debian and chroots as root: see
# tracker_opentracker.sh.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
command -v opentracker >/dev/null || { echo "SKIP: opentracker is not installed"; exit 77; }
chmod 755 "$work" # opentracker drops privileges before reading the whitelist
ADDR=127.0.0.12

mkdir -p "$work/h" "$work/u"
head -c $((2 * 1024 * 1024 + 777)) /dev/urandom >"$work/h/http.bin"
head -c $((1024 * 1024 + 555)) /dev/urandom >"$work/u/udp.bin"
otport=$((port_base + 90))
HTTP_URL="http://$ADDR:$otport/announce"
UDP_URL="udp://$ADDR:$otport/announce"
timeout 20 "$bin" create "$work/h/http.bin" --private -t "$HTTP_URL" -o "$work/http.torrent" >/dev/null 2>&1 ||
	fail "create http torrent"
# the infohash `seed PATH` will make (trackers are outside the info dict)
timeout 20 "$bin" create "$work/u/udp.bin" -o "$work/udp-probe.torrent" >/dev/null 2>&1 ||
	fail "create udp probe torrent"
ih() { timeout 10 "$bin" info --json "$1" | sed -n 's/.*"infohash":"\([0-9a-f]*\)".*/\1/p'; }
IH_HTTP=$(ih "$work/http.torrent")
IH_UDP=$(ih "$work/udp-probe.torrent")
printf '%s\n%s\n' "$IH_HTTP" "$IH_UDP" >"$work/whitelist"
chmod 644 "$work/whitelist"
wl=$work/whitelist
[ "$(id -u)" -eq 0 ] && wl=/whitelist
printf 'listen.tcp_udp %s:%s\naccess.whitelist %s\ntracker.rootdir %s\n' $ADDR $otport "$wl" "$work" >"$work/ot.conf"
chmod 644 "$work/ot.conf"
timeout 100 opentracker -f "$work/ot.conf" >"$work/ot.log" 2>&1 &
otpid=$!
pids+=("$otpid")
sleep 0.5
kill -0 "$otpid" 2>/dev/null || { cat "$work/ot.log"; echo "FAIL: opentracker did not start"; exit 1; }

# scrape URL IH: the tracker's JSON scrape line
scrape() {
	timeout 15 "$bin" tracker scrape --json --timeout 5 --udp-retry 500 "$1" "$2" 2>>"$work/scrape.err"
}

# run NAME URL IH SEED_ARGS... -- GET_SOURCE
run() {
	local name=$1 url=$2 ih=$3 port=$((port_base + $4)) src=$5 data=$6
	shift 6
	timeout --foreground 60 "$bin" seed "$@" --no-dht --bind 127.0.0.2 --port "$port" \
		--state-dir "$work/st-seed-$name" --json >"$work/seed-$name.out" 2>"$work/seed-$name.err" &
	local sp=$!
	pids+=("$sp")
	wait_json "$work/seed-$name.out" checked 20 || fail "$name: seeder did not start"
	local i
	for ((i = 0; i < 50; i++)); do
		grep -q '"status":"ok"' "$work/seed-$name.out" && break
		sleep 0.2
	done
	grep -q '"status":"ok"' "$work/seed-$name.out" ||
		{ fail "$name: the seeder's announce did not succeed"; tail -3 "$work/seed-$name.out"; }
	local t0=$SECONDS
	timeout 40 "$bin" get "$src" -o "$work/dl-$name" --no-dht --bind 127.0.0.3 --port $((port + 1)) \
		--state-dir "$work/st-get-$name" --no-seed --json >"$work/get-$name.out" 2>"$work/get-$name.err"
	local rc=$?
	[ $rc -eq 0 ] || { fail "$name: get exited $rc"; tail -5 "$work/get-$name.err" "$work/get-$name.out"; }
	same_tree "$data" "$work/dl-$name" || fail "$name: downloaded data differs"
	# every peer came from the tracker
	local last
	last=$(grep '"event":"stopped"' "$work/get-$name.out" | tail -1)
	echo "$last" | grep -q '"sources":{"given":0,"dht":0,"pex":0,"tracker":[1-9]' ||
		fail "$name: peers not from the tracker: $last"
	echo "$last" | grep -q "\"url\":\"${url//\//\\/}\"" || echo "$last" | grep -q "\"url\":\"$url\"" ||
		fail "$name: the tracker is missing from the status: $last"
	# the leecher's stopped announce removed it: only the seeder is left
	local out
	out=$(scrape "$url" "$ih")
	echo "$out" | grep -q '"complete":1,"downloaded":[0-9]*,"incomplete":0' ||
		fail "$name: after the leecher left, scrape shows: $out"
	echo "$out" | grep -q '"downloaded":[1-9]' || fail "$name: completed event not counted: $out"
	# SIGINT: the seeder sends stopped and exits within the grace period
	local t1=$SECONDS
	kill -INT "$sp"
	wait "$sp"
	rc=$?
	[ $rc -eq 0 ] || fail "$name: seeder exited $rc on SIGINT"
	[ $((SECONDS - t1)) -le 4 ] || fail "$name: seeder took $((SECONDS - t1)) s to stop"
	out=$(timeout 20 "$bin" info "$src" --scrape --json 2>>"$work/scrape.err")
	echo "$out" | grep -q '"error":null,"seeders":0,"leechers":0,"downloaded":[1-9]' ||
		fail "$name: info --scrape: the seeder's stopped announce did not remove it: $out"
	out=$(timeout 20 "$bin" info "$src" --scrape 2>>"$work/scrape.err")
	[ "$out" = "$url: seeders 0 leechers 0 downloaded 1" ] || fail "$name: info --scrape text: $out"
	echo "ok: $name ($((t1 - t0)) s to download)"
}

run http "$HTTP_URL" "$IH_HTTP" 1 "$work/http.torrent" "$work/h" "$work/http.torrent" "$work/h"
run udp "$UDP_URL" "$IH_UDP" 3 "magnet:?xt=urn:btih:$IH_UDP&tr=$UDP_URL" "$work/u" \
	"$work/u/udp.bin" -t "$UDP_URL"

grep -E 'Sanitizer|runtime error' "$work"/*.err && fail "sanitizer report"
[ "$fails" -eq 0 ] || { echo "$fails checks failed"; exit 1; }
echo "all checks passed"
