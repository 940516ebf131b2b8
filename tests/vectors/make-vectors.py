#!/usr/bin/env python3
"""Writes the sample .torrent files in this directory and infohashes.txt
(file name, then the SHA-1 of the raw info bytes). The encoder below is
plain bencode; dict keys are written in the order given, so a test can
hold deliberately unsorted keys. Run from anywhere; output is
deterministic."""
import hashlib
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def benc(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode("utf-8")
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(benc(x) for x in v) + b"e"
    if isinstance(v, dict):  # insertion order, sorted by the caller when wanted
        return b"d" + b"".join(benc(k) + benc(x) for k, x in v.items()) + b"e"
    raise TypeError(v)


def srt(d):
    return dict(sorted(d.items(), key=lambda kv: kv[0].encode() if isinstance(kv[0], str) else kv[0]))


def pieces(total, plen, seed):
    n = (total + plen - 1) // plen
    return b"".join(hashlib.sha1(b"%s-%d" % (seed, i)).digest() for i in range(n))


def write(name, top, info_key="info"):
    data = benc(top)
    info = benc(top[info_key]) if info_key in top else None
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    return hashlib.sha1(info).hexdigest() if info else None


vectors = []

# single file, short last piece, comment/created by/date, one tracker
info = srt({"name": "hello.txt", "length": 40000, "piece length": 16384,
            "pieces": pieces(40000, 16384, b"single")})
vectors.append(("single.torrent", write("single.torrent", srt({
    "announce": "http://tracker.example/announce", "comment": "a sample",
    "created by": "make-vectors.py", "creation date": 1700000000, "info": info}))))

# multi-file: nested dirs, a zero-byte file, a non-ASCII name, a BEP 47
# padding file, private, announce-list tiers, url-list as a list, nodes
files = [
    srt({"length": 20000, "path": ["docs", "readme.txt"]}),
    srt({"length": 12768, "path": [".pad", "12768"], "attr": "p"}),
    srt({"length": 0, "path": ["empty"]}),
    srt({"length": 70000, "path": ["src", "deep", "dir", "caf\u00e9 \u00fcber.bin"], "attr": "x"}),
]
total = sum(f["length"] for f in files)
info = srt({"name": "multi", "piece length": 32768, "private": 1, "files": files,
            "pieces": pieces(total, 32768, b"multi")})
vectors.append(("multi.torrent", write("multi.torrent", srt({
    "announce": "udp://tier1.example:6969/announce",
    "announce-list": [["udp://tier1.example:6969/announce", "http://tier1b.example/announce"],
                      ["http://tier2.example/announce"]],
    "url-list": ["http://seed1.example/files/", "http://seed2.example/"],
    "nodes": [["router.example", 6881], ["127.0.0.1", 6882]],
    "info": info}))))

# keys out of order inside info and at the top (many real torrents): the
# infohash is over the bytes as written, url-list is a single string
info = {"piece length": 16384, "name": "unsorted.bin", "pieces": pieces(16384, 16384, b"u"),
        "length": 16384}
vectors.append(("unsorted.torrent", write("unsorted.torrent", {
    "info": info, "url-list": "http://seed.example/unsorted.bin",
    "announce": "http://tracker.example/announce"})))

# BEP 52 hybrid: v2 keys next to v1 ones; loads as v1
files = [srt({"length": 16384, "path": ["a.bin"]}), srt({"length": 100, "path": ["b.bin"]})]
info = srt({"name": "hybrid", "piece length": 16384, "meta version": 2,
            "file tree": {"a.bin": {"": {"length": 16384, "pieces root": b"\x01" * 32}},
                          "b.bin": {"": {"length": 100, "pieces root": b"\x02" * 32}}},
            "files": files, "pieces": pieces(16484, 16384, b"hybrid")})
vectors.append(("hybrid.torrent", write("hybrid.torrent", srt({"info": info}))))

# BEP 52 v2-only: refused
info = srt({"name": "v2only", "piece length": 16384, "meta version": 2,
            "file tree": {"a.bin": {"": {"length": 16384, "pieces root": b"\x01" * 32}}}})
write("v2only.torrent", srt({"info": info, "piece layers": {}}))

# path traversal: refused
files = [srt({"length": 100, "path": ["..", "..", "etc", "passwd"]})]
info = srt({"name": "evil", "piece length": 16384, "files": files,
            "pieces": pieces(100, 16384, b"evil")})
write("traversal.torrent", srt({"info": info}))

with open(os.path.join(HERE, "infohashes.txt"), "w") as f:
    f.write("# file infohash (SHA-1 of the raw info bytes), from make-vectors.py\n")
    for name, ih in vectors:
        f.write("%s %s\n" % (name, ih))
