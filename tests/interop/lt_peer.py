#!/usr/bin/python3
"""lt_peer.py: a python3-libtorrent peer for the transfer interop tests.

usage: lt_peer.py seed|seed-nocheck|get TORRENT SAVE_DIR LISTEN_IP PORT [PEER_IP PEER_PORT]

seed: serve TORRENT from SAVE_DIR until killed. seed-nocheck: the same in
libtorrent's seed mode (nothing is hashed up front; a piece is verified
the first time a peer asks for it), with "ready" printed once the
torrent is seeding and the session listens. get: download it into
SAVE_DIR, connecting to PEER_IP:PEER_PORT, and exit 0 once complete (1 on
a 50 s timeout). TCP only; no DHT, LSD, UPnP or NAT-PMP (see
notes on libtorrent settings in the project's interop notes).
"""
import sys
import time

import libtorrent as lt


def main():
    mode, torrent, save, ip, port = sys.argv[1:6]
    settings = {
        "listen_interfaces": "%s:%s" % (ip, port),
        "outgoing_interfaces": ip,
        "listen_system_port_fallback": False,
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_ip_notifier": False,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "dht_bootstrap_nodes": "",
        "allow_multiple_connections_per_ip": True,
        "alert_mask": 0,
    }
    ses = lt.session(settings)
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(torrent)
    params.save_path = save
    params.flags &= ~lt.torrent_flags.auto_managed
    params.flags &= ~lt.torrent_flags.paused
    if mode == "seed-nocheck":
        params.flags |= lt.torrent_flags.seed_mode
    h = ses.add_torrent(params)
    if mode == "seed-nocheck":
        deadline = time.time() + 30
        while not (h.status().is_seeding and ses.is_listening()):
            if time.time() > deadline:
                print("not seeding after 30 s", flush=True)
                return 1
            time.sleep(0.05)
    if mode in ("seed", "seed-nocheck"):
        print("ready", flush=True)
        while True:
            time.sleep(1)
    peer = (sys.argv[6], int(sys.argv[7]))
    deadline = time.time() + 50
    last_connect = 0
    while time.time() < deadline:
        st = h.status()
        if st.is_seeding:
            print("complete", st.total_payload_download, flush=True)
            return 0
        if time.time() - last_connect > 3 and st.num_peers == 0 and st.state != lt.torrent_status.checking_files:
            h.connect_peer(peer)
            last_connect = time.time()
        time.sleep(0.2)
    print("timeout", h.status().progress, flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
