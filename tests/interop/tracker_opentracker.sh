#!/usr/bin/env bash
# tracker_opentracker.sh: `trackless tracker` against Debian's opentracker on
# loopback, over HTTP and over UDP (BEP 3, 15, 48): two peers see each
# other, scrape counts match, and a stopped event removes the peer.
# Debian builds opentracker whitelist-only, so our infohashes go into a
# whitelist named by `access.whitelist`; as root it chroots into
# tracker.rootdir, so the path is then given relative to that root.
set -uo pipefail
: "${top_builddir:=.}" "${top_srcdir:=.}"
T=$top_builddir/trackless
command -v opentracker >/dev/null || { echo "SKIP: opentracker is not installed"; exit 77; }
dir=$(mktemp -d)
chmod 755 "$dir" # opentracker drops privileges before reading the whitelist
otpid=
cleanup() {
	[ -n "$otpid" ] && { kill "$otpid" 2>/dev/null; wait "$otpid" 2>/dev/null; }
	rm -rf "$dir"
}
trap cleanup EXIT
IH_HTTP=5ab1e0c0ffee0000111122223333444455556666
IH_UDP=5ab1e0c0ffee0000111122223333444455557777
printf '%s\n%s\n' $IH_HTTP $IH_UDP >"$dir/whitelist"
chmod 644 "$dir/whitelist"
wl=$dir/whitelist
[ "$(id -u)" -eq 0 ] && wl=/whitelist
ADDR=127.0.0.11

for _ in 1 2 3 4 5; do
	port=$((20000 + RANDOM % 12000))
	printf 'listen.tcp_udp %s:%s\naccess.whitelist %s\ntracker.rootdir %s\n' \
		$ADDR "$port" "$wl" "$dir" >"$dir/ot.conf"
	chmod 644 "$dir/ot.conf"
	timeout 120 opentracker -f "$dir/ot.conf" >"$dir/ot.log" 2>&1 &
	otpid=$!
	sleep 0.5
	kill -0 "$otpid" 2>/dev/null && break
	otpid=
done
[ -n "$otpid" ] || { cat "$dir/ot.log"; echo "FAIL: opentracker did not start"; exit 1; }
fails=0

# ann URL IH PORT LEFT [EVENT]: announce, JSON on stdout, exit status kept
ann() {
	timeout 20 "$T" tracker announce --json --timeout 10 --udp-retry 500 --port "$3" \
		--left "$4" --event "${5:-started}" "$1" "$2" 2>>"$dir/stderr"
}
expect() { # NAME CONDITION-RESULT DETAIL
	if [ "$2" -eq 0 ]; then echo "ok: $1"; else echo "FAIL: $1: $3"; fails=$((fails + 1)); fi
}

swarm() { # LABEL URL IH PORT_A PORT_B
	local label=$1 url=$2 ih=$3 pa=$4 pb=$5 out
	out=$(ann "$url" "$ih" "$pa" 1000)
	expect "$label: first peer announces" $? "$out"
	out=$(ann "$url" "$ih" "$pb" 0)
	echo "$out" | grep -q "\"127.0.0.1:$pa\""
	expect "$label: second peer sees the first" $? "$out"
	out=$(ann "$url" "$ih" "$pa" 1000 none)
	echo "$out" | grep -q "\"127.0.0.1:$pb\""
	expect "$label: first peer sees the second" $? "$out"
	out=$(timeout 20 "$T" tracker scrape --json --timeout 10 --udp-retry 500 "$url" "$ih" 2>>"$dir/stderr")
	echo "$out" | grep -q "\"complete\":1,\"downloaded\":[0-9]*,\"incomplete\":1"
	expect "$label: scrape counts one seeder and one leecher" $? "$out"
	out=$(ann "$url" "$ih" "$pa" 1000 stopped)
	expect "$label: stopped event accepted" $? "$out"
	out=$(ann "$url" "$ih" "$pb" 0 none)
	! echo "$out" | grep -q "\"127.0.0.1:$pa\""
	expect "$label: the stopped peer is gone" $? "$out"
	out=$(timeout 20 "$T" tracker scrape --json --timeout 10 --udp-retry 500 "$url" "$ih" 2>>"$dir/stderr")
	echo "$out" | grep -q "\"incomplete\":0"
	expect "$label: scrape no longer counts it" $? "$out"
}

swarm http "http://$ADDR:$port/announce" $IH_HTTP 7001 7002
swarm udp "udp://$ADDR:$port/announce" $IH_UDP 7101 7102

out=$(ann "http://$ADDR:$port/announce" 0000000000000000000000000000000000000001 7003 0)
rc=$?
[ $rc -eq 1 ] && tail -1 "$dir/stderr" | grep -q "failure reason: Requested download is not authorized"
expect "http: a torrent not in the whitelist is refused with the tracker's reason" $? "exit $rc: $out"

! grep -E 'Sanitizer|runtime error' "$dir/stderr"
expect "no sanitizer report" $? "see above"

[ "$fails" -eq 0 ] || { echo "$fails checks failed"; exit 1; }
echo "all checks passed"
