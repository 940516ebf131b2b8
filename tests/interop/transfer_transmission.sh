#!/usr/bin/env bash
# transfer_transmission.sh: trackless downloads from a transmission-daemon
# seeder, then seeds to a transmission-daemon leecher. Transmission never
# dials loopback peers, so trackless dials it both ways (it accepts
# incoming connections). No DHT, LPD, PEX, UPnP.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
command -v transmission-daemon >/dev/null && command -v transmission-remote >/dev/null ||
	{ echo "SKIP: transmission-daemon is not installed"; exit 77; }

mkdir -p "$work/src"
head -c $((2 * 1024 * 1024 + 999)) /dev/urandom >"$work/src/data.bin"
timeout 20 "$bin" create "$work/src/data.bin" -p 128K -o "$work/t.torrent" >/dev/null 2>&1 || fail create

# daemon NAME IP PEER_PORT RPC_PORT DOWNLOAD_DIR: start transmission-daemon
daemon() {
	local cfg="$work/tr-$1"
	mkdir -p "$cfg" "$5"
	cat >"$cfg/settings.json" <<JSON
{
  "bind-address-ipv4": "$2", "bind-address-ipv6": "::1",
  "peer-port": $3, "peer-port-random-on-start": false,
  "port-forwarding-enabled": false, "lpd-enabled": false, "dht-enabled": false,
  "utp-enabled": false, "pex-enabled": false,
  "blocklist-enabled": false, "blocklist-url": "",
  "rpc-bind-address": "$2", "rpc-port": $4, "rpc-whitelist": "127.*.*.*,::1",
  "rpc-whitelist-enabled": true, "rpc-host-whitelist-enabled": false,
  "rpc-authentication-required": false,
  "download-queue-enabled": false, "seed-queue-enabled": false,
  "queue-stalled-enabled": false, "ratio-limit-enabled": false,
  "idle-seeding-limit-enabled": false, "speed-limit-down-enabled": false,
  "speed-limit-up-enabled": false, "alt-speed-enabled": false,
  "start-added-torrents": true, "download-dir": "$5", "incomplete-dir-enabled": false,
  "message-level": 1
}
JSON
	timeout 80 transmission-daemon -f -g "$cfg" >"$cfg/log" 2>&1 &
	pids+=($!)
	local i
	for i in $(seq 50); do
		transmission-remote "$2:$4" -l >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# progress IP RPC_PORT: the "Done" column of torrent 1 (e.g. 100%)
progress() {
	transmission-remote "$1:$2" -l 2>/dev/null | awk 'NR == 2 {print $2}'
}

# transmission seeds, trackless gets
pp=$((port_base + 61))
rp=$((port_base + 62))
daemon seed 127.0.0.6 $pp $rp "$work/src" || fail "transmission seeder did not start"
transmission-remote 127.0.0.6:$rp -a "$work/t.torrent" >/dev/null 2>&1 || fail "add to transmission"
transmission-remote 127.0.0.6:$rp -t 1 -v >/dev/null 2>&1
for _ in $(seq 100); do [ "$(progress 127.0.0.6 $rp)" = "100%" ] && break; sleep 0.2; done
[ "$(progress 127.0.0.6 $rp)" = "100%" ] || fail "transmission did not verify its data"
timeout 45 "$bin" get "$work/t.torrent" -o "$work/dl" --peer 127.0.0.6:$pp --bind 127.0.0.3 \
	--state-dir "$work/s1" --no-seed --json >"$work/get.out" 2>"$work/get.err"
rc=$?
[ $rc -eq 0 ] || { fail "get from transmission exited $rc"; tail -n 5 "$work/get.err"; }
cmp -s "$work/src/data.bin" "$work/dl/data.bin" || fail "data from transmission differs"
echo "ok: transmission -> trackless"

# trackless seeds and dials the transmission leecher
pp2=$((port_base + 63))
rp2=$((port_base + 64))
daemon get 127.0.0.7 $pp2 $rp2 "$work/tr-dl" || fail "transmission leecher did not start"
transmission-remote 127.0.0.7:$rp2 -a "$work/t.torrent" >/dev/null 2>&1 || fail "add to transmission"
tport=$((port_base + 65))
timeout --foreground 70 "$bin" seed "$work/t.torrent" "$work/src" --bind 127.0.0.2 --port $tport \
	--peer 127.0.0.7:$pp2 --state-dir "$work/s2" --json >"$work/seed.out" 2>"$work/seed.err" &
pids+=($!)
for _ in $(seq 250); do [ "$(progress 127.0.0.7 $rp2)" = "100%" ] && break; sleep 0.2; done
[ "$(progress 127.0.0.7 $rp2)" = "100%" ] || { fail "transmission did not complete: $(progress 127.0.0.7 $rp2)"; tail -n 5 "$work/seed.err"; }
cmp -s "$work/src/data.bin" "$work/tr-dl/data.bin" || fail "data served to transmission differs"
echo "ok: trackless -> transmission"
[ $fails -eq 0 ] || exit 1
