#!/usr/bin/env bash
# tracker_bad.sh: `trackless tracker` against a misbehaving HTTP tracker
# (garbage, huge and slow bodies, a redirect loop, HTTP 500, a failure
# reason) and an HTTPS one with a CA made here: every failure is a clear
# message and exit 1, memory stays bounded, a certificate is accepted only
# when its CA is given and its address matches.
set -uo pipefail
: "${top_builddir:=.}" "${top_srcdir:=.}"
T=$top_builddir/trackless
PY=/usr/bin/python3
for tool in "$PY" openssl /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
dir=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
IH=0123456789abcdef0123456789abcdef01234567
fails=0

# start_server ADDR NAME [--tls CERT KEY]: sets $port
start_server() {
	local addr=$1 name=$2
	shift 2
	timeout 120 "$PY" "$top_srcdir/tests/integration/bad_tracker.py" "$addr" "$dir/$name.port" "$@" &
	pids+=($!)
	for _ in $(seq 50); do [ -s "$dir/$name.port" ] && break; sleep 0.1; done
	port=$(cat "$dir/$name.port" 2>/dev/null) || { echo "FAIL: $name server did not start"; exit 1; }
}

# matches FILE REGEX: REGEX found in FILE, or FILE empty for EMPTY
matches() {
	if [ "$2" = EMPTY ]; then [ ! -s "$1" ]; else grep -Eq "$2" "$1"; fi
}

# check NAME WANT_EXIT STDERR_REGEX STDOUT_REGEX ARGS...: one command, bounded
check() {
	local name=$1 want=$2 errre=$3 outre=$4
	shift 4
	timeout 40 /usr/bin/time -f %M -o "$dir/rss" "$T" tracker "$@" >"$dir/out" 2>"$dir/err"
	local rc=$?
	local rss
	rss=$(tail -1 "$dir/rss")
	if [ "$rc" -ne "$want" ] || grep -Eq 'Sanitizer|runtime error' "$dir/err" || ! matches "$dir/err" "$errre" || ! matches "$dir/out" "$outre"; then
		echo "FAIL: $name: exit $rc (want $want)"
		sed 's/^/  stderr: /' "$dir/err"
		sed 's/^/  stdout: /' "$dir/out"
		fails=$((fails + 1))
	else
		echo "ok: $name (exit $rc, max RSS ${rss} KiB): $(head -1 "$dir/err")"
	fi
	last_rss=$rss
}

start_server 127.0.0.3 http
H=http://127.0.0.3:$port
check "good reply" 0 EMPTY '127\.0\.0\.5:6881' announce "$H/ok/announce" $IH
base_rss=$last_rss
check "json" 0 EMPTY '"peers":\["127\.0\.0\.5:6881"\]' announce --json "$H/ok/announce" $IH
check "scrape" 0 EMPTY 'seeders 3 leechers 4 downloaded 9' scrape "$H/ok/announce" $IH
check "one redirect" 0 EMPTY '127\.0\.0\.5:6881' announce "$H/redirect/announce" $IH
check "redirect loop" 1 '^tracker: too many redirects$' EMPTY announce "$H/loop/announce" $IH
check "garbage body" 1 '^tracker: bad reply: reply is not valid bencode$' EMPTY announce "$H/garbage/announce" $IH
check "HTTP 500" 1 '^tracker: HTTP 500$' EMPTY announce "$H/500/announce" $IH
check "failure reason" 1 '^tracker: failure reason: torrent not registered$' EMPTY announce "$H/fail/announce" $IH
check "huge body (Content-Length)" 1 '^tracker: reply too large$' EMPTY announce "$H/huge/announce" $IH
check "huge body (streamed)" 1 '^tracker: reply too large$' EMPTY announce "$H/hugestream/announce" $IH
# the server sends 256 MiB; we must stop near the 2 MiB cap. Compared with
# the same command's RSS on a small reply, so sanitizer builds measure alike.
if [ $((${last_rss:-999999} - ${base_rss:-0})) -gt 24000 ]; then
	echo "FAIL: max RSS ${last_rss} KiB with a huge body (${base_rss:-?} KiB on a small reply)"
	fails=$((fails + 1))
fi
start=$(date +%s)
check "slow body" 1 '^tracker: timed out$' EMPTY announce --timeout 2 "$H/slow/announce" $IH
if [ $(( $(date +%s) - start )) -gt 5 ]; then
	echo "FAIL: the 2 s timeout took $(( $(date +%s) - start )) s"
	fails=$((fails + 1))
fi
check "nothing listening" 1 '^tracker: ' EMPTY announce --timeout 3 "http://127.0.0.3:1/announce" $IH
check "silent UDP tracker" 1 '^tracker: timed out$' EMPTY announce --timeout 1 --udp-retry 200 "udp://127.0.0.3:9/announce" $IH
if "$PY" -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	start_server ::1 http6
	check "IPv6 tracker, relative redirect" 0 EMPTY '127\.0\.0\.5:6881' announce "http://[::1]:$port/redirect/announce" $IH
fi
check "bad infohash" 2 'usage' EMPTY announce "$H/ok/announce" 0123
check "bad scheme" 2 'usage' EMPTY announce "ftp://127.0.0.3/announce" $IH

# HTTPS: a CA and two server certificates made now
if ! (cd "$dir" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj /CN=trackless-test-ca -keyout ca.key -out ca.pem &&
	for n in good wrong named; do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-subj /CN=tracker -keyout $n.key -out $n.csr || exit 1
	done &&
	openssl x509 -req -in good.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
		-extfile <(echo "subjectAltName=IP:127.0.0.4") -out good.pem &&
	openssl x509 -req -in wrong.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
		-extfile <(echo "subjectAltName=IP:127.0.0.9,DNS:tracker.example") -out wrong.pem &&
	openssl x509 -req -in named.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
		-extfile <(echo "subjectAltName=DNS:localhost") -out named.pem) \
	>"$dir/openssl.log" 2>&1; then
	cat "$dir/openssl.log"
	echo "FAIL: could not make test certificates"
	exit 1
fi
start_server 127.0.0.4 good --tls "$dir/good.pem" "$dir/good.key"
S=https://127.0.0.4:$port
check "https with its CA" 0 EMPTY '127\.0\.0\.5:6881' announce --tracker-ca "$dir/ca.pem" "$S/ok/announce" $IH
check "https without its CA" 1 '^tracker: certificate verify failed: ' EMPTY announce "$S/ok/announce" $IH
check "https, missing CA file" 1 '^tracker: cannot load CA file' EMPTY announce --tracker-ca "$dir/none.pem" "$S/ok/announce" $IH
start_server 127.0.0.6 wrong --tls "$dir/wrong.pem" "$dir/wrong.key"
check "https, name mismatch" 1 '^tracker: certificate verify failed: .*mismatch' EMPTY announce --tracker-ca "$dir/ca.pem" "https://127.0.0.6:$port/ok/announce" $IH
# a host name (SNI and name check): needs localhost to be 127.0.0.1 only
if grep -Eq '^127\.0\.0\.1[[:space:]].*\blocalhost\b' /etc/hosts &&
	! grep -Eq '^::1[[:space:]].*\blocalhost([[:space:]]|$)' /etc/hosts; then
	start_server 127.0.0.1 named --tls "$dir/named.pem" "$dir/named.key"
	check "https by host name" 0 EMPTY '127\.0\.0\.5:6881' announce --tracker-ca "$dir/ca.pem" "https://localhost:$port/ok/announce" $IH
	check "https by address, cert names a host" 1 '^tracker: certificate verify failed: IP address mismatch$' EMPTY announce --tracker-ca "$dir/ca.pem" "https://127.0.0.1:$port/ok/announce" $IH
else
	echo "note: /etc/hosts maps localhost to more than 127.0.0.1; host-name check not run"
fi

[ "$fails" -eq 0 ] || { echo "$fails checks failed"; exit 1; }
echo "all checks passed"
