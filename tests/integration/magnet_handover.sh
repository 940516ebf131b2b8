#!/usr/bin/env bash
# magnet_handover.sh: the connection that brought a magnet link's metadata
# carries on into the download. The seeder sits behind a "NAT": its only
# way to the getter is a relay that accepts one connection and forwards it
# from another address (127.0.0.7), where nothing listens, so the listen
# port the seeder names (BEP 10 "p") cannot be dialed back. The getter
# (no DHT, no peer to dial) takes that incoming connection, fetches the
# metadata over it (BEP 9), hands it to the torrent and downloads all the
# data over it: sha256 equal. Also: the relay saw one connection, the
# seeder one peer, and the getter never dialed the seeder's learned
# address (it holds a connection to it).
# A second run starts with the first part of the data on disk: the getter
# verifies it while holding the handed-over connection, then tells the
# seeder with one HAVE per piece (no second BITFIELD), so the seeder hears
# of its pieces before any request, and only the rest is downloaded.
# Then hostile_peer.py tells, before the metadata, a piece set that does
# not fit the torrent (a BITFIELD too long or with a spare bit set, a HAVE
# past the last piece): the handover closes it with that reason, and the
# download completes over the honest seeder's handed-over connection.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/magnet_lib.sh"

mkdir -p "$work/data"
size=$((5 * 1024 * 1024 + 4321))
head -c $size /dev/urandom >"$work/data/payload.bin"
"$bin" create "$work/data/payload.bin" -o "$work/p.torrent" >/dev/null 2>&1 || fail "create failed"
info=$("$bin" info "$work/p.torrent" --json)
magnet=$(sed -n 's/.*"magnet":"\([^"]*\)".*/\1/p' <<<"$info")
npieces=$(sed -n 's/.*"piece_count":\([0-9]*\).*/\1/p' <<<"$info")
[ -n "$magnet" ] && [ -n "$npieces" ] || fail "no magnet link or piece count from info --json"

# run NAME PORT: the relay on PORT + 2, the getter on PORT, the seeder on
# PORT + 1; the getter's download directory is $work/NAME.
run() {
	local name=$1 P=$2 rc a b n
	timeout 45 /usr/bin/python3 -c '
import select, socket, sys
lport, dport = int(sys.argv[1]), int(sys.argv[2])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.6", lport))
ls.listen(1)
print("ready", flush=True)
a = ls.accept()[0]
ls.close()  # one connection only: a second one is refused
print("accepted", flush=True)
b = socket.socket()
b.bind(("127.0.0.7", 0))
b.connect(("127.0.0.4", dport))
peer = {a: b, b: a}
while True:
    for s in select.select([a, b], [], [])[0]:
        d = s.recv(65536)
        if not d:
            sys.exit(0)
        peer[s].sendall(d)
' $((P + 2)) "$P" >"$work/$name-relay.out" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do grep -q ready "$work/$name-relay.out" 2>/dev/null && break; sleep 0.1; done
	timeout 30 "$bin" get "$magnet" -o "$work/$name" --bind 127.0.0.4 --port "$P" --no-dht \
		--state-dir "$work/state-$name" --no-seed --json --log-level debug \
		>"$work/$name-get.out" 2>"$work/$name-get.err" &
	local get_pid=$!
	pids+=($get_pid)
	for _ in $(seq 50); do
		ss -Hltn 2>/dev/null | awk '{print $4}' | grep -qx "127.0.0.4:$P" && break
		sleep 0.1
	done
	timeout 30 "$bin" seed "$work/p.torrent" "$work/data" --bind 127.0.0.3 --port $((P + 1)) --no-dht \
		--peer "127.0.0.6:$((P + 2))" --state-dir "$work/state-seed-$name" --json --log-level debug \
		>"$work/$name-seed.out" 2>"$work/$name-seed.err" &
	local seed_pid=$!
	pids+=($seed_pid)
	wait "$get_pid"
	rc=$?
	[ $rc -eq 0 ] || { fail "$name: get exited $rc"; tail -5 "$work/$name-get.err"; }
	grep -q '"received":true' "$work/$name-get.out" || fail "$name: no metadata received line"
	a=$(sha256sum <"$work/data/payload.bin")
	b=$({ sha256sum <"$work/$name/payload.bin"; } 2>/dev/null)
	[ "$a" = "$b" ] || fail "$name: sha256 differs"
	grep -q "1 connection carried on into the download" "$work/$name-get.err" ||
		fail "$name: the getter did not hand its connection over"
	[ "$(grep -c accepted "$work/$name-relay.out")" -eq 1 ] || fail "$name: relay: $(cat "$work/$name-relay.out")"
	n=$(grep -c "connected (outgoing)" "$work/$name-seed.err")
	[ "$n" -eq 1 ] || fail "$name: the seeder made $n connections, not 1"
	! grep -q "127.0.0.7:$((P + 1))" "$work/$name-get.err" ||
		fail "$name: the getter dialed the seeder's listen address while connected to it"
	kill -TERM "$seed_pid" 2>/dev/null
	wait "$seed_pid" 2>/dev/null
	# What the check verified is announced by one HAVE each before the
	# first request (and never by a BITFIELD after HAVE_NONE).
	verified=$(sed -n 's/.*: \([0-9]*\) of [0-9]* pieces verified.*/\1/p' "$work/$name-get.err")
	n=$(sed -n '/<- request/q;/<- have$/p' "$work/$name-seed.err" | wc -l)
	[ "$n" -eq "${verified:--1}" ] || fail "$name: $n HAVEs before the first request, ${verified:-?} pieces verified"
	! grep -q -- "<- bitfield" "$work/$name-seed.err" || fail "$name: the getter sent a bitfield"
}

run fresh $((port_base + 40))

# Half the data on disk, no resume file: the startup check runs while the
# connection is held.
mkdir -p "$work/partial"
head -c $((size / 2)) "$work/data/payload.bin" >"$work/partial/payload.bin"
run partial $((port_base + 43))
# the connection was handed over while the check ran
a=$(grep -n "carried on into the download" "$work/partial-get.err" | head -1 | cut -d: -f1)
b=$(grep -n "pieces verified" "$work/partial-get.err" | head -1 | cut -d: -f1)
[ "${a:-0}" -gt 0 ] && [ "${b:-0}" -gt "$a" ] || fail "partial: the check was over before the handover"
[ "$verified" -gt 0 ] || fail "partial: no piece verified from the disk"
down=$(json_field "$work/partial-get.out" complete downloaded)
[ -n "$down" ] && [ "$down" -lt $((size * 3 / 4)) ] ||
	fail "partial: downloaded ${down:-?} bytes of $size with half on disk"

# A peer whose piece set, told before the metadata, does not fit the
# torrent is closed at the handover with the reason a torrent gives; the
# honest seeder's connection (it connects to the getter once the hostile
# one is established) is handed over and the download completes over it.
if [ "$npieces" -gt 0 ] && [ $((npieces % 8)) -ne 0 ]; then
	ih=$(sed -n 's/.*"infohash":"\([0-9a-f]*\)".*/\1/p' <<<"$info")
	msize=$(/usr/bin/python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); print(len(d) - d.index(b"4:info") - 7)' "$work/p.torrent")
	k=0
	for mode in "bitfield:bitfield length does not match the piece count" \
		"spare:bitfield has spare bits set" "have:have index out of range"; do
		k=$((k + 1))
		m=${mode%%:*}
		why=${mode#*:}
		Q=$((port_base + 50 + 3 * k))
		timeout 45 /usr/bin/python3 "$top_srcdir/tests/integration/hostile_peer.py" 127.0.0.5 "$Q" "$ih" \
			"$msize" "$m:$npieces" >"$work/h-$m-peer.out" 2>&1 &
		pids+=($!)
		timeout 30 "$bin" get "magnet:?xt=urn:btih:$ih&x.pe=127.0.0.5:$Q" -o "$work/h-$m" --bind 127.0.0.4 \
			--port $((Q + 2)) --no-dht --state-dir "$work/state-h-$m" --no-seed --json --log-level info \
			>"$work/h-$m-get.out" 2>"$work/h-$m-get.err" &
		gpid=$!
		pids+=($gpid)
		# the getter holds the hostile connection, ACTIVE, before the
		# seeder (which connects to it) can bring the metadata
		for _ in $(seq 100); do grep -q rejected "$work/h-$m-peer.out" 2>/dev/null && break; sleep 0.1; done
		timeout 30 "$bin" seed "$work/p.torrent" "$work/data" --bind 127.0.0.3 --port $((Q + 1)) --no-dht \
			--peer "127.0.0.4:$((Q + 2))" --state-dir "$work/state-hseed-$m" --json \
			>"$work/h-$m-seed.out" 2>"$work/h-$m-seed.err" &
		spid=$!
		pids+=($spid)
		wait "$gpid"
		rc=$?
		kill -TERM "$spid" 2>/dev/null
		[ $rc -eq 0 ] || { fail "$m: get exited $rc"; tail -5 "$work/h-$m-get.err"; }
		cmp -s "$work/data/payload.bin" "$work/h-$m/payload.bin" || fail "$m: data differs"
		# (only the handover knows the piece count these reasons need)
		grep -q "1 connection carried on" "$work/h-$m-get.err" || fail "$m: the honest connection not handed over"
		grep -q "peer 127.0.0.5:$Q: closed: $why" "$work/h-$m-get.err" ||
			{ fail "$m: the peer was not closed for \"$why\""; grep "127.0.0.5" "$work/h-$m-get.err" | tail -5; }
	done
else
	fail "the test needs a piece count that is not a multiple of 8 (got $npieces)"
fi
[ $fails -eq 0 ] || exit 1
echo "ok: the metadata connection carried the download (fresh, after a check; bad piece sets refused)"
