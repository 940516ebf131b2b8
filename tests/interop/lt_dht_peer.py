#!/usr/bin/python3
"""lt_dht_peer.py: a python3-libtorrent peer that finds peers only over the
DHT, for magnet_libtorrent.sh.

usage: lt_dht_peer.py seed TORRENT SAVE_DIR IP PORT BOOTSTRAP_IP:PORT
       lt_dht_peer.py get MAGNET SAVE_DIR IP PORT BOOTSTRAP_IP:PORT

seed: serve TORRENT, announcing to the DHT at once and every 5 s
(force_dht_announce; the default would be once per 15 min), until killed.
get: download MAGNET; prints "metadata SECONDS" and "complete SECONDS",
exits 0 once complete (1 after 50 s). TCP only; DHT bootstrapped only from
BOOTSTRAP (a router node to libtorrent); no LSD, UPnP or NAT-PMP; the DHT's
one-node-per-/24 rules off, as every 127.0.0.x is one /24.
"""
import sys
import time

import libtorrent as lt


def main():
    mode, what, save, ip, port, boot = sys.argv[1:7]
    ses = lt.session({
        "listen_interfaces": "%s:%s" % (ip, port),
        "outgoing_interfaces": ip,
        "listen_system_port_fallback": False,
        "enable_dht": True,
        "dht_bootstrap_nodes": boot,
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_ip_notifier": False,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": 0,
    })
    if mode == "seed":
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(what)
    else:
        params = lt.parse_magnet_uri(what)
    params.save_path = save
    params.flags &= ~lt.torrent_flags.auto_managed
    params.flags &= ~lt.torrent_flags.paused
    h = ses.add_torrent(params)
    start = time.time()
    if mode == "seed":
        print("ready", flush=True)
        while True:
            h.force_dht_announce()
            time.sleep(5)
    got_meta = False
    last_announce = 0
    while time.time() - start < 50:
        st = h.status()
        if st.has_metadata and not got_meta:
            got_meta = True
            print("metadata %.2f" % (time.time() - start), flush=True)
        if st.is_seeding:
            print("complete %.2f" % (time.time() - start), flush=True)
            return 0
        if time.time() - last_announce > 5:
            h.force_dht_announce()
            last_announce = time.time()
        time.sleep(0.1)
    print("timeout metadata=%s progress=%.3f peers=%d" % (got_meta, h.status().progress, h.status().num_peers),
          flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
