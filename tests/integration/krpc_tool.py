#!/usr/bin/env python3
"""krpc_tool.py: a small independent KRPC (BEP 5) client for the
trackless-node integration tests. Bencode is written here by hand so the
tests do not share code with the node under test.

  swarm   N nodes on 127.0.X.Y that bootstrap through a router and answer
          pings and find_node (so the router can verify them)
  query   find_node from a fresh address; prints the nodes it got and
          checks they are swarm nodes that answer a ping
  flood   queries from one source or from many 127.0.x.y sources, plus
          malformed datagrams
  probe   a well-behaved client: pings at a steady rate, prints the
          fraction answered
"""
import argparse, os, select, socket, struct, sys, time


# Linux <netinet/in.h>; the socket module does not name it.
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)


def benc(x):
    if isinstance(x, int):
        return b"i%de" % x
    if isinstance(x, str):
        x = x.encode()
    if isinstance(x, bytes):
        return b"%d:%s" % (len(x), x)
    if isinstance(x, list):
        return b"l" + b"".join(benc(i) for i in x) + b"e"
    if isinstance(x, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in x.items())
        return b"d" + b"".join(benc(k) + benc(v) for k, v in items) + b"e"
    raise TypeError(type(x))


def bdec(s, i=0):
    c = s[i:i + 1]
    if c == b"i":
        j = s.index(b"e", i)
        return int(s[i + 1:j]), j + 1
    if c == b"l":
        out, i = [], i + 1
        while s[i:i + 1] != b"e":
            v, i = bdec(s, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        out, i = {}, i + 1
        while s[i:i + 1] != b"e":
            k, i = bdec(s, i)
            out[k], i = bdec(s, i)
        return out, i + 1
    j = s.index(b":", i)
    n = int(s[i:j])
    return s[j + 1:j + 1 + n], j + 1 + n


def decode(pkt):
    try:
        v, end = bdec(pkt)
        return v if end == len(pkt) and isinstance(v, dict) else None
    except (ValueError, IndexError):
        return None


def hostport(s):
    h, p = s.rsplit(":", 1)
    return h, int(p)


def nodes_of(r):
    raw = r.get(b"r", {}).get(b"nodes", b"")
    out = []
    for k in range(0, len(raw) - len(raw) % 26, 26):
        e = raw[k:k + 26]
        out.append((e[:20], socket.inet_ntoa(e[20:24]), int.from_bytes(e[24:26], "big")))
    return out


def query(sock, to, q, args, tid=b"aa", timeout=1.0):
    sock.sendto(benc({"t": tid, "y": "q", "q": q, "a": args}), to)
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([sock], [], [], max(0.0, end - time.time()))
        if not r:
            break
        pkt, src = sock.recvfrom(2048)
        m = decode(pkt)
        if m and m.get(b"t") == tid and src == to:
            return m
    return None


def bind(ip, port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    return s


def swarm(a):
    router = hostport(a.router)
    base = a.base.split(".")
    socks, ids = [], {}
    for k in range(a.clients):
        ip = "%s.%s.%d.%d" % (base[0], base[1], int(base[2]) + (k + 1) // 250, (k + 1) % 250 + 1)
        s = bind(ip, a.port)
        nid = os.urandom(20)
        socks.append(s)
        ids[s] = nid
    with open(a.ids, "w") as f:
        for s in socks:
            f.write("%s %s %d\n" % (ids[s].hex(), s.getsockname()[0], s.getsockname()[1]))
    end = time.time() + a.duration
    next_ask = 0.0
    asks = 0
    while time.time() < end:
        if time.time() >= next_ask and asks < 3:
            for s in socks:
                s.sendto(benc({"t": b"fn", "y": "q", "q": "find_node",
                               "a": {"id": ids[s], "target": ids[s]}}), router)
            asks += 1
            next_ask = time.time() + 2.0
        r, _, _ = select.select(socks, [], [], 0.2)
        for s in r:
            try:
                pkt, src = s.recvfrom(2048)
            except OSError:
                continue
            m = decode(pkt)
            if not m or m.get(b"y") != b"q":
                continue
            rep = {"id": ids[s]}
            if m.get(b"q") in (b"find_node", b"get_peers"):
                rep["nodes"] = b""
            s.sendto(benc({"t": m.get(b"t", b""), "y": "r", "r": rep}), src)
    return 0


def query_cmd(a):
    router = hostport(a.router)
    known = {}
    if a.ids:
        for line in open(a.ids):
            h, ip, port = line.split()
            known[bytes.fromhex(h)] = (ip, int(port))
    s = bind(a.source)
    start = time.time()
    deadline = start + a.within
    m = None
    while time.time() < deadline:
        m = query(s, router, "find_node", {"id": os.urandom(20), "target": os.urandom(20)},
                  timeout=0.2)
        if m and len(nodes_of(m)) >= a.min_nodes:
            break
    took = time.time() - start
    if not m:
        print("query: no answer within %.1f s" % a.within)
        return 1
    got = nodes_of(m)
    print("query: %d nodes after %.3f s" % (len(got), took))
    if len(got) < a.min_nodes:
        return 1
    bad = 0
    for nid, ip, port in got:
        if known and known.get(nid) != (ip, port):
            print("query: node %s %s:%d is not a swarm node" % (nid.hex()[:8], ip, port))
            bad += 1
            continue
        if a.ping and not query(s, (ip, port), "ping", {"id": os.urandom(20)}, tid=b"pp"):
            print("query: node %s:%d does not answer a ping" % (ip, port))
            bad += 1
    return 1 if bad else 0


def flood(a):
    """One source, or a.sources sources 127.0.x.y sent from one socket by
    choosing each datagram's source address with IP_PKTINFO."""
    router = hostport(a.router)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    b = a.base.split(".")
    srcs = [socket.inet_aton("%s.%s.%d.%d" % (b[0], b[1], int(b[2]) + k // 250, k % 250 + 1))
            for k in range(a.sources)]
    junk = [b"", b"x", b"d1:t2:aa1:y1:qe", b"d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe",
            b"d" * 600, b"i-0e", b"d1:rd2:id20:" + b"A" * 20 + b"e1:t4:zzzz1:y1:re",
            os.urandom(1400)]
    nid = os.urandom(20)
    end = time.time() + a.duration
    sent = 0
    while time.time() < end:
        for _ in range(256):
            if a.malformed and sent % 3 == 0:
                pkt = junk[sent % len(junk)]
            else:
                pkt = benc({"t": b"ff", "y": "q", "q": "find_node",
                            "a": {"id": nid, "target": os.urandom(20)}})
            src = srcs[sent % len(srcs)]
            anc = [(socket.IPPROTO_IP, IP_PKTINFO, struct.pack("I4s4s", 0, src, bytes(4)))]
            try:
                s.sendmsg([pkt], anc, 0, router)
            except OSError:
                pass
            sent += 1
    print("flood: sent %d datagrams from %d sources" % (sent, len(srcs)))
    return 0


def probe(a):
    router = hostport(a.router)
    s = bind(a.source)
    ok = n = 0
    end = time.time() + a.duration
    while time.time() < end:
        n += 1
        tid = n.to_bytes(4, "big")
        t0 = time.time()
        if query(s, router, "ping", {"id": os.urandom(20)}, tid=tid, timeout=0.5):
            ok += 1
        time.sleep(max(0.0, 1.0 / a.rate - (time.time() - t0)))
    print("probe: %d of %d pings answered (%.1f%%)" % (ok, n, 100.0 * ok / max(n, 1)))
    return 0 if n and ok * 100 >= a.min_percent * n else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("swarm")
    w.add_argument("--router", required=True)
    w.add_argument("--clients", type=int, default=30)
    w.add_argument("--base", default="127.0.1.0")
    w.add_argument("--port", type=int, default=0)
    w.add_argument("--duration", type=float, default=10)
    w.add_argument("--ids", required=True)
    q = sub.add_parser("query")
    q.add_argument("--router", required=True)
    q.add_argument("--source", default="127.0.0.1")
    q.add_argument("--ids")
    q.add_argument("--min-nodes", type=int, default=8)
    q.add_argument("--within", type=float, default=1.0)
    q.add_argument("--ping", action="store_true")
    f = sub.add_parser("flood")
    f.add_argument("--router", required=True)
    f.add_argument("--sources", type=int, default=1)
    f.add_argument("--base", default="127.0.3.1")
    f.add_argument("--duration", type=float, default=5)
    f.add_argument("--malformed", action="store_true")
    r = sub.add_parser("probe")
    r.add_argument("--router", required=True)
    r.add_argument("--source", default="127.0.0.1")
    r.add_argument("--rate", type=float, default=10)
    r.add_argument("--duration", type=float, default=5)
    r.add_argument("--min-percent", type=float, default=90)
    a = p.parse_args()
    return {"swarm": swarm, "query": query_cmd, "flood": flood, "probe": probe}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
