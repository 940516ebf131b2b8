#!/usr/bin/python3
"""bad_seeder.py HOST PORT INFOHASH_HEX NPIECES: a peer that claims every
piece and answers every request with wrong bytes, until the client closes
on it. Prints "served N" (blocks sent) when its listener is done."""
import socket
import struct
import sys

HOST, PORT, IH, NPIECES = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3]), int(sys.argv[4])
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((HOST, PORT))
srv.listen(4)
srv.settimeout(20)
print("ready", flush=True)
served = 0
try:
    while True:
        c, _ = srv.accept()
        c.settimeout(10)
        buf = b""
        try:
            while len(buf) < 68:
                b = c.recv(4096)
                if not b:
                    raise OSError
                buf += b
            if buf[28:48] != IH:
                c.close()
                continue
            buf = buf[68:]
            bits = bytearray(b"\xff" * ((NPIECES + 7) // 8))
            if NPIECES % 8:
                bits[-1] = (0xff << (8 - NPIECES % 8)) & 0xff
            c.sendall(b"\x13BitTorrent protocol" + b"\0" * 8 + IH + b"-XX0000-badbadbadbad")
            c.sendall(struct.pack(">IB", 1 + len(bits), 5) + bytes(bits) + struct.pack(">IB", 1, 1))
            while True:
                while len(buf) >= 4:
                    n = struct.unpack(">I", buf[:4])[0]
                    if len(buf) < 4 + n:
                        break
                    body, buf = buf[4:4 + n], buf[4 + n:]
                    if n == 13 and body[0] == 6:
                        index, begin, length = struct.unpack(">III", body[1:])
                        c.sendall(struct.pack(">IBII", 9 + length, 7, index, begin) + b"\xa5" * length)
                        served += 1
                b = c.recv(65536)
                if not b:
                    break
                buf += b
        except OSError:
            pass
        c.close()
except socket.timeout:
    pass
print("served", served, flush=True)
