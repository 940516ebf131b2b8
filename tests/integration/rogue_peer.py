#!/usr/bin/env python3
"""rogue_peer.py: peers that waste a seeder's memory, descriptors or
connection slots, for upload_noread.sh and slow_peers.sh. Usage:
    rogue_peer.py MODE HOST PORT INFOHASH_HEX [ARGS]
MODE:
  noread N NPIECES  - N connections: handshake, INTERESTED, and once
                      unchoked REQUESTs of 4 blocks of every piece (block 0
                      of each piece first, then block 1, ...); then the
                      socket is never read again. Prints "requested" for
                      each connection.
  idle N            - N connections that complete the handshake, say
                      HAVE_NONE-like nothing, never show interest, and read
                      whatever comes (keep-alives every 100 s). Prints
                      "ready N" once all are connected and "closed K" as
                      the seeder drops them.
  trickle-hs        - one connection that sends the 68-byte handshake one
                      byte a second.
  trickle-msg       - one connection that completes the handshake, then
                      sends a PIECE message one byte a second.
The trickle modes print "closed after S s" when the seeder drops them.
Every mode runs until killed."""
import socket
import struct
import sys
import threading
import time

mode, host, port, ih = sys.argv[1], sys.argv[2], int(sys.argv[3]), bytes.fromhex(sys.argv[4])
args = [int(a) for a in sys.argv[5:]]
BLOCK = 16384
lock = threading.Lock()


def say(msg):
    with lock:
        print(msg, flush=True)


def handshake(n):
    return b"\x13BitTorrent protocol" + bytes(8) + ih + (b"-RG0001-%012d" % n)


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b


def connect(rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect((host, port))
    return s


def read_msg(s):
    n = struct.unpack(">I", recv_exact(s, 4))[0]
    return recv_exact(s, n) if n else b""


def noread(i, npieces):
    s = connect(rcvbuf=4096)
    s.sendall(handshake(i))
    recv_exact(s, 68)
    s.sendall(struct.pack(">IB", 1, 2))  # INTERESTED
    while True:
        m = read_msg(s)
        if m[:1] == b"\x01":  # UNCHOKE
            break
    reqs = b"".join(struct.pack(">IBIII", 13, 6, p, r * BLOCK, BLOCK)
                    for r in range(4) for p in range(npieces))
    s.sendall(reqs)
    say("requested")
    while True:
        time.sleep(100)


def idle(i, state):
    try:
        s = connect()
        s.sendall(handshake(i))
        recv_exact(s, 68)
    except (OSError, EOFError):
        with lock:
            state["failed"] += 1
        return
    with lock:
        state["up"] += 1
    s.settimeout(100)
    while True:
        try:
            if not s.recv(65536):
                break
        except socket.timeout:
            s.sendall(bytes(4))
        except OSError:
            break
    with lock:
        state["closed"] += 1
    say("closed %d" % state["closed"])


def watch_close(s, t0):
    while True:
        try:
            if not s.recv(65536):
                break
        except OSError:
            break
    say("closed after %.1f s" % (time.monotonic() - t0))


def trickle(data, s, t0):
    threading.Thread(target=watch_close, args=(s, t0), daemon=True).start()
    for b in data:
        try:
            s.send(bytes([b]))
        except OSError:
            break
        time.sleep(1)


if mode == "noread":
    for i in range(args[0]):
        threading.Thread(target=noread, args=(i, args[1]), daemon=True).start()
elif mode == "idle":
    state = {"up": 0, "failed": 0, "closed": 0}
    for i in range(args[0]):
        threading.Thread(target=idle, args=(i, state), daemon=True).start()
    while state["up"] + state["failed"] < args[0]:
        time.sleep(0.05)
    say("ready %d" % state["up"])
elif mode == "trickle-hs":
    s = connect()
    trickle(handshake(0), s, time.monotonic())
elif mode == "trickle-msg":
    s = connect()
    s.sendall(handshake(0))
    recv_exact(s, 68)
    trickle(struct.pack(">IBII", 9 + BLOCK, 7, 0, 0) + bytes(BLOCK), s, time.monotonic())
while True:
    time.sleep(100)
