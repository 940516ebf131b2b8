#!/usr/bin/python3
"""idle_conns.py HOST PORT COUNT SECONDS [SOURCE]: open COUNT TCP
connections to HOST:PORT (from SOURCE, an address of this host, when
given), send nothing on them, hold them SECONDS, then close them all.

Prints "connected N" once the connects are settled (N of them completed
within 3 s), and at the end of the hold "held M": how many the other side
had not closed by then (a connection refused after accept reads as
closed). Used by fd_exhaust.sh to run a process out of descriptors with
connections that never send a handshake."""
import errno
import selectors
import socket
import sys
import time


def main():
    host, port, count, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    source = sys.argv[5] if len(sys.argv) > 5 else None
    sel = selectors.DefaultSelector()
    socks = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        if source:
            s.bind((source, 0))
        rc = s.connect_ex((host, port))
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            continue
        socks.append(s)
        sel.register(s, selectors.EVENT_WRITE)
    connected = 0
    pending = len(socks)
    deadline = time.monotonic() + 3
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.2):
            sel.unregister(key.fileobj)
            pending -= 1
            if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected += 1
    print("connected %d" % connected, flush=True)
    time.sleep(hold)
    held = 0
    for s in socks:
        try:
            held += s.recv(1, socket.MSG_PEEK) != b""
        except BlockingIOError:
            held += 1
        except OSError:
            pass
        s.close()
    print("held %d" % held, flush=True)


if __name__ == "__main__":
    main()
