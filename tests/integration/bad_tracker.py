#!/usr/bin/env python3
"""A misbehaving HTTP(S) tracker for tests/integration/tracker_bad.sh.

The first path component picks the behaviour (ok, redirect, garbage, huge,
hugestream, slow, loop, 500, fail). Binds ADDR on a free port, writes the
port to PORTFILE, serves until killed. With --tls CERT KEY it speaks HTTPS.
"""
import http.server
import socket
import ssl
import sys
import time

OK = (b"d8:completei1e10:incompletei2e8:intervali1800e12:min intervali60e"
      b"5:peers6:\x7f\x00\x00\x05\x1a\xe1e")
SCRAPE = (b"d5:filesd20:\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef"
          b"\x01\x23\x45\x67d8:completei3e10:downloadedi9e10:incompletei4eeee")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def reply(self, code, body, length=True):
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        mode = self.path.split("/")[1]
        try:
            self.serve(mode)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def serve(self, mode):
        if mode == "ok" and "/scrape" in self.path:
            self.reply(200, SCRAPE)
        elif mode == "ok":
            self.reply(200, OK)
        elif mode == "redirect":
            self.send_response(302)
            self.send_header("Location", "/ok/announce")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif mode == "loop":
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif mode == "garbage":
            self.reply(200, b"<html>this is not bencode</html>")
        elif mode == "500":
            self.reply(500, b"internal error")
        elif mode == "fail":
            self.reply(200, b"d14:failure reason22:torrent not registerede")
        elif mode in ("huge", "hugestream"):
            # 256 MiB of a bencoded string, announced or not by Content-Length
            total = 256 * 1024 * 1024
            self.send_response(200)
            if mode == "huge":
                self.send_header("Content-Length", str(total + 20))
            self.end_headers()
            self.wfile.write(b"d5:peers%d:" % total)
            chunk = b"\x7f\x00\x00\x01\x1a\xe1" * 10922
            sent = 0
            while sent < total:
                self.wfile.write(chunk)
                sent += len(chunk)
        elif mode == "slow":
            self.send_response(200)
            self.send_header("Content-Length", str(len(OK)))
            self.end_headers()
            for b in OK:
                self.wfile.write(bytes([b]))
                self.wfile.flush()
                time.sleep(1)
        else:
            self.reply(404, b"no such mode")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    addr, portfile = sys.argv[1], sys.argv[2]
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    Server.address_family = family
    srv = Server((addr, 0), Handler)
    if len(sys.argv) == 6 and sys.argv[3] == "--tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[4], sys.argv[5])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
