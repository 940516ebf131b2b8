#!/usr/bin/python3
"""violations.py HOST PORT INFOHASH_HEX: speaks raw BEP 3 to a trackless
seeder and checks that each protocol violation closes the connection,
while a well-behaved peer gets a block. Exit 0 when every case holds."""
import socket
import struct
import sys
import time

HOST, PORT, IH = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
PSTR = b"\x13BitTorrent protocol"
fails = 0


def hs(ih, reserved=b"\0" * 8, pid=b"-XX0000-violations00"):
    return PSTR + reserved + ih + pid


def msg(mid, payload=b""):
    return struct.pack(">IB", 1 + len(payload), mid) + payload


def connect():
    s = socket.create_connection((HOST, PORT), timeout=5)
    s.settimeout(5)
    return s


def closed_after(s, data, wait=3.0):
    """Send data; True when the peer closes within wait seconds."""
    try:
        s.sendall(data)
    except OSError:
        return True
    end = time.time() + wait
    while time.time() < end:
        try:
            b = s.recv(65536)
        except socket.timeout:
            return False
        except OSError:
            return True
        if not b:
            return True
    return False


def expect_close(name, data, after_hs=True):
    global fails
    s = connect()
    if after_hs:
        s.sendall(hs(IH))
        got = b""
        while len(got) < 68:
            b = s.recv(68 - len(got))
            if not b:
                break
            got += b
        if len(got) < 68 or got[28:48] != IH:
            print("FAIL: %s: no handshake back" % name)
            fails += 1
            return
    ok = closed_after(s, data)
    print("%s: %s" % ("ok" if ok else "FAIL", name))
    fails += 0 if ok else 1
    s.close()


expect_close("unknown infohash", hs(b"\x01" * 20), after_hs=False)
expect_close("bad protocol string", b"\x13BitTorrent protocoX" + b"\0" * 48, after_hs=False)
expect_close("oversized message", struct.pack(">IB", 1 << 30, 7))
expect_close("request longer than 16 KiB", msg(6, struct.pack(">III", 0, 0, 32768)))
expect_close("have of a piece out of range", msg(4, struct.pack(">I", 1 << 20)))
expect_close("unknown message id", msg(99, b"xx"))
expect_close("bitfield of the wrong length", msg(5, b"\xff" * 1000))

# a good peer: interested, unchoked, asks for a block and gets it
s = connect()
s.sendall(hs(IH) + msg(2))
buf = b""
deadline = time.time() + 10
got_block = False
asked = False
while time.time() < deadline and not got_block:
    try:
        b = s.recv(65536)
    except socket.timeout:
        break
    if not b:
        break
    buf += b
    if len(buf) >= 68 and buf[:20] == PSTR:
        buf = buf[68:]
    while len(buf) >= 4:
        n = struct.unpack(">I", buf[:4])[0]
        if len(buf) < 4 + n:
            break
        body, buf = buf[4:4 + n], buf[4 + n:]
        if n and body[0] == 1 and not asked:  # unchoke
            s.sendall(msg(6, struct.pack(">III", 0, 0, 16384)))
            asked = True
        if n and body[0] == 7 and len(body) == 9 + 16384:
            got_block = True
print("%s: a good peer gets its block" % ("ok" if got_block else "FAIL"))
fails += 0 if got_block else 1
sys.exit(1 if fails else 0)
