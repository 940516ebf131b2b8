#!/usr/bin/env python3
"""hostile_peer.py: a BitTorrent peer that lies about a torrent's metadata
(BEP 9), for magnet_hostile.sh. Usage:
    hostile_peer.py HOST PORT INFOHASH_HEX SIZE MODE
MODE: wrong   - right metadata_size, random bytes for every piece asked
      size    - announces SIZE + 1000 and answers with pieces of that size
      endless - never answers requests, pushes unasked data pieces forever
      silent  - announces ut_metadata, then never answers
For the handover of its connection to the torrent (magnet_handover.sh),
modes that reject every metadata request (so they stay connected while
another peer serves it; "rejected" is printed each time) after saying,
before any metadata is known:
      bitfield:N - a BITFIELD one byte longer than N pieces need
      spare:N    - a BITFIELD of the right length for N pieces, spare bit set
      have:N     - a HAVE of piece N (one past the last)
It serves every connection until killed."""
import os
import socket
import struct
import sys
import threading
import time

host, port, ih_hex, size, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
mode, _, arg = mode.partition(":")
ih = bytes.fromhex(ih_hex)
PIECE = 16384


def benc(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, str):
        return benc(v.encode())
    if isinstance(v, dict):
        return b"d" + b"".join(benc(k) + benc(v[k]) for k in sorted(v)) + b"e"
    raise TypeError(v)


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b


def send_ext(s, ext_id, payload):
    s.sendall(struct.pack(">IBB", len(payload) + 2, 20, ext_id) + payload)


def data_msg(their_id, piece, total):
    n = min(PIECE, total - piece * PIECE)
    return benc({"msg_type": 1, "piece": piece, "total_size": total}) + os.urandom(max(n, 0))


def early_piece_set(s):
    """The bad piece set of the handover modes (nothing in the others)."""
    if mode not in ("bitfield", "spare", "have"):
        return
    n = int(arg)
    if mode == "have":
        s.sendall(struct.pack(">IBI", 5, 4, n))
        return
    bits = bytearray(b"\xff" * ((n + 7) // 8))
    if n % 8:
        bits[-1] = (0xff << (8 - n % 8)) & 0xff
    if mode == "bitfield":
        bits.append(0)
    elif n % 8:
        bits[-1] |= 1
    else:
        raise ValueError("spare: no spare bit when N is a multiple of 8")
    s.sendall(struct.pack(">IB", 1 + len(bits), 5) + bytes(bits))


def serve(s):
    try:
        recv_exact(s, 68)
        reserved = bytearray(8)
        reserved[5] |= 0x10
        s.sendall(b"\x13BitTorrent protocol" + bytes(reserved) + ih + b"-XX0001-" + os.urandom(12))
        total = size + 1000 if mode == "size" else size
        send_ext(s, 0, benc({"m": {"ut_metadata": 3}, "metadata_size": total}))
        early_piece_set(s)
        their = 0
        s.settimeout(0.05 if mode == "endless" else None)
        piece = 0
        while True:
            if mode == "endless" and their:
                send_ext(s, their, data_msg(their, piece % ((total + PIECE - 1) // PIECE), total))
                piece += 1
                time.sleep(0.01)
            try:
                head = recv_exact(s, 4)
            except socket.timeout:
                continue
            (n,) = struct.unpack(">I", head)
            if n == 0:
                continue
            body = recv_exact(s, n)
            if body[0] != 20:
                continue
            if body[1] == 0:
                d = body[2:]
                k = d.find(b"11:ut_metadatai")
                if k >= 0:
                    their = int(d[k + 15:d.index(b"e", k + 15)])
                continue
            if body[1] == 3 and mode in ("bitfield", "spare", "have"):
                d = body[2:]
                k = d.find(b"5:piecei")
                p = int(d[k + 8:d.index(b"e", k + 8)])
                send_ext(s, their, benc({"msg_type": 2, "piece": p}))
                print("rejected", flush=True)
            elif body[1] == 3 and mode in ("wrong", "size"):
                d = body[2:]
                k = d.find(b"5:piecei")
                p = int(d[k + 8:d.index(b"e", k + 8)])
                send_ext(s, their, data_msg(their, p, total))
    except (EOFError, OSError, ValueError):
        pass
    finally:
        s.close()


ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((host, port))
ls.listen(16)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
