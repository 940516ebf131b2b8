#!/usr/bin/env bash
# daemon_remote.sh: `trackless daemon` driven by Debian's transmission-remote
# over its RPC: a magnet link whose x.pe names a `trackless seed` on
# loopback is added and completes; stop, start, a .torrent added paused,
# a speed limit set and read back, a restart that keeps both torrents and
# their state, removal with the data. Then raw HTTP: no session id (409),
# bad JSON, bad arguments, an unknown method and an oversized body.
# No DHT; every process is stopped by PID.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
command -v transmission-remote >/dev/null ||
	{ echo "SKIP: transmission-remote is not installed (Debian transmission-cli)"; exit 77; }
py=/usr/bin/python3
[ -x $py ] || { echo "SKIP: $py is not installed"; exit 77; }

sport=$((port_base + 71))
dport=$((port_base + 72))
rport=$((port_base + 73))
R="transmission-remote 127.0.0.1:$rport"
mkdir -p "$work/src" "$work/src2" "$work/cfg"
head -c $((3 * 1024 * 1024 + 77)) /dev/urandom >"$work/src/data.bin"
head -c $((1024 * 1024)) /dev/urandom >"$work/src2/other.bin"
timeout 20 "$bin" create "$work/src2/other.bin" -o "$work/other.torrent" >/dev/null 2>&1 || fail "create"

# the seeder prints its magnet link first
timeout --foreground 120 "$bin" seed "$work/src/data.bin" --bind 127.0.0.2 --port $sport --no-dht \
	--state-dir "$work/seed-state" >"$work/seed.out" 2>"$work/seed.err" &
pids+=($!)
for _ in $(seq 100); do grep -q '^magnet:' "$work/seed.out" && break; sleep 0.1; done
magnet=$(grep -m1 '^magnet:' "$work/seed.out")
[ -n "$magnet" ] || { fail "no magnet link from the seeder"; cat "$work/seed.err"; exit 1; }

dpid=
start_daemon() {
	timeout --foreground 120 "$bin" daemon --config-dir "$work/cfg" --state-dir "$work/state" \
		--download-dir "$work/dl" --rpc-bind 127.0.0.1:$rport --bind 127.0.0.3 --port $dport \
		--no-dht "$@" 2>>"$work/daemon.err" &
	dpid=$!
	pids+=($dpid)
	local i
	for i in $(seq 50); do
		$R -l >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
stop_daemon() {
	kill -TERM "$dpid"
	local i
	for i in $(seq 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$dpid" 2>/dev/null || { fail "the daemon did not stop on SIGTERM"; kill -9 "$dpid"; }
	wait "$dpid"
	local rc=$?
	# timeout exits 124 only when it had to stop the daemon itself
	[ $rc -eq 0 ] || fail "the daemon exited $rc after SIGTERM"
}
# row ID: the `-l` line of torrent ID
row() { $R -l 2>/dev/null | awk -v id="$1" '$1 == id'; }
done_of() { row "$1" | awk '{print $2}'; }
wait_for() { # SECONDS CMD...: until CMD succeeds
	local n=$(($1 * 5)) i
	shift
	for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.2; done
	return 1
}
is_done() { [ "$(done_of "$1")" = "100%" ]; }
has_status() { row "$1" | grep -q "$2"; }

start_daemon || { fail "the daemon did not answer"; cat "$work/daemon.err"; exit 1; }
"$bin" --help | grep -q '^  daemon ' || fail "trackless --help does not list daemon"

# a magnet link with the seeder as x.pe: metadata, then the data
$R -a "$magnet&x.pe=127.0.0.2:$sport" >"$work/add.out" 2>&1 || fail "add magnet: $(cat "$work/add.out")"
wait_for 60 is_done 1 || fail "torrent 1 did not complete: $(row 1)"
cmp -s "$work/src/data.bin" "$work/dl/data.bin" || fail "downloaded data differs"
echo "ok: magnet download through the RPC"

# the same magnet again is a duplicate
$R -a "$magnet" 2>&1 | grep -q 'success' || fail "duplicate add did not succeed"
[ "$($R -l | grep -c 'data.bin')" -eq 1 ] || fail "duplicate add made a second torrent"

# a .torrent (sent as base64 metainfo by transmission-remote), added
# paused (start-added-torrents false over session-set)
$R --start-paused -a "$work/other.torrent" >/dev/null 2>&1 || fail "add .torrent"
wait_for 5 has_status 2 Stopped || fail "paused .torrent: $(row 2)"
$R --no-start-paused >/dev/null 2>&1 || fail "session-set start-added-torrents"

# stop and start
$R -t 1 -S >/dev/null 2>&1 || fail "stop"
wait_for 10 has_status 1 Stopped || fail "torrent 1 did not stop: $(row 1)"

# a speed limit over session-set, read back by session-get
$R -d 100 >/dev/null 2>&1 || fail "session-set"
$R -si | grep -qi 'download speed limit: 100' || fail "the speed limit is not in session-get: $($R -si | grep -i limit)"
grep -q '"speed-limit-down": 100' "$work/cfg/settings.json" || fail "settings.json lacks the limit"
echo "ok: stop, paused add, session-set"

# restart: both torrents, both stopped, and the limit
stop_daemon
start_daemon || fail "the daemon did not come back"
[ "$($R -l | grep -c 'Stopped')" -eq 2 ] || fail "after a restart: $($R -l)"
row 1 | grep -q data.bin || fail "torrent 1 after a restart: $(row 1)"
row 2 | grep -q other.bin || fail "torrent 2 after a restart: $(row 2)"
$R -si | grep -qi 'download speed limit: 100' || fail "the speed limit was lost in a restart"
$R -t 1 -s >/dev/null 2>&1 || fail "start"
wait_for 30 has_status 1 'Seeding\|Idle\|Uploading' || fail "torrent 1 did not seed again: $(row 1)"
is_done 1 || fail "torrent 1 is not complete after the restart: $(row 1)"
echo "ok: restart keeps torrents and their state"

# remove with data
$R -t 1 --remove-and-delete >/dev/null 2>&1 || fail "remove"
wait_for 10 test ! -e "$work/dl/data.bin" || fail "data not deleted"
[ -z "$(row 1)" ] || fail "torrent 1 still listed"
echo "ok: remove and delete"

# raw HTTP
$py - "$rport" >"$work/raw.out" 2>&1 <<'PY' || fail "raw HTTP: $(cat "$work/raw.out")"
import http.client, json, sys
port = int(sys.argv[1])
def post(body, sid=None, path="/transmission/rpc"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    h = {"Content-Type": "application/json"}
    if sid:
        h["X-Transmission-Session-Id"] = sid
    try:
        c.request("POST", path, body=body, headers=h)
        r = c.getresponse()
        return r.status, r.getheader("X-Transmission-Session-Id"), r.read()
    except (ConnectionError, http.client.HTTPException) as e:
        return None, None, str(e).encode()
st, sid, _ = post(b'{"method":"session-get"}')
assert st == 409 and sid, ("no 409 without the session id", st)
st, _, _ = post(b'{"method":"session-get"}', "wrong")
assert st == 409, ("a wrong session id is accepted", st)
def rpc(body):
    st, _, b = post(body, sid)
    assert st == 200, (st, body[:40])
    return json.loads(b)
r = rpc(b'{"method":"session-get","tag":7}')
assert r["result"] == "success" and r["tag"] == 7 and r["arguments"]["rpc-version"] == 17, r
assert r["arguments"]["speed-limit-down"] == 100 and r["arguments"]["speed-limit-down-enabled"], r
for bad, want in [(b'{"method":', "invalid JSON"), (b'[1,2]', "invalid request"),
                  (b'{"method":"no-such"}', "not recognized"),
                  (b'{"method":"torrent-get","arguments":{"fields":"id"}}', "fields"),
                  (b'{"method":"torrent-get","arguments":{"fields":["id"],"ids":{}}}', "ids"),
                  (b'{"method":"session-set","arguments":{"speed-limit-down":"x"}}', "speed-limit-down"),
                  (b'{"method":"torrent-add","arguments":{"metainfo":"@@@"}}', "base64"),
                  (b'{"method":"torrent-add","arguments":{"filename":"magnet:?dn=x"}}', "magnet"),
                  (b'{"method":"torrent-verify","arguments":{}}', "not supported"),
                  (b'[' * 100000 + b']' * 100000, "deep")]:
    r = rpc(bad)
    assert want in r["result"], (bad[:40], r["result"])
# a table of the remaining torrent
r = rpc(b'{"method":"torrent-get","arguments":{"fields":["id","name","status"],"format":"table"}}')
assert r["arguments"]["torrents"] == [["id", "name", "status"], [2, "other.bin", 0]], r
# over the body cap: refused, and the daemon serves on
st, _, _ = post(b'{"method":"session-get","pad":"' + b'x' * (17 * 1024 * 1024) + b'"}', sid)
assert st != 200, ("an oversized body was served", st)
assert rpc(b'{"method":"session-stats"}')["arguments"]["torrentCount"] == 1
print("raw ok")
PY
echo "ok: raw HTTP checks"

# a malformed settings file: a clear error at start, exit 2
stop_daemon
echo '{"rpc-port": "x"' >"$work/cfg/settings.json"
timeout 10 "$bin" daemon --config-dir "$work/cfg" --state-dir "$work/state" --no-dht 2>"$work/bad.err"
rc=$?
[ $rc -eq 2 ] && grep -q 'settings.json: line' "$work/bad.err" || fail "malformed settings: rc $rc, $(cat "$work/bad.err")"
echo '{"rpc-port": "x"}' >"$work/cfg/settings.json"
timeout 10 "$bin" daemon --config-dir "$work/cfg" --state-dir "$work/state" --no-dht 2>"$work/bad.err"
grep -q '"rpc-port" must be' "$work/bad.err" || fail "wrong type in settings: $(cat "$work/bad.err")"

[ $fails -eq 0 ] || { tail -n 20 "$work/daemon.err"; exit 1; }
echo "ok"
