#!/usr/bin/env python3
"""misbehave.py: an HTTP server on 127.0.0.1 that serves a log directory but misbehaves on every
path starting with PREFIX, for tests/e2e/distrib_unavailable.sh.

usage: misbehave.py DIR MODE PREFIX
MODE: 500 (an internal server error), redirect (302 to the same path), truncate (a
Content-Length larger than the bytes sent, then close), oversize (1 MiB of junk, close-delimited),
drip (one byte every 0.5 s, for at most 60 s), ok (behave).
Prints "listening on port N" once it listens; stops by itself after 300 s."""
import http.server
import os
import sys
import threading
import time

root, mode, prefix = sys.argv[1], sys.argv[2], sys.argv[3]


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path.lstrip("/")
        full = os.path.realpath(os.path.join(root, path))
        if not full.startswith(os.path.realpath(root) + os.sep) or not os.path.isfile(full):
            self.send_error(404)
            return
        with open(full, "rb") as f:
            data = f.read()
        bad = mode != "ok" and path.startswith(prefix)
        try:
            if not bad:
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            elif mode == "500":
                self.send_error(500, "misbehaving on purpose")
            elif mode == "redirect":
                self.send_response(302)
                self.send_header("Location", "http://127.0.0.1:1/" + path)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif mode == "truncate":
                self.send_response(200)
                self.send_header("Content-Length", str(len(data) + 100))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
            elif mode == "oversize":
                self.send_response(200)
                self.end_headers()  # no length: the body ends when the connection closes
                for _ in range(64):
                    self.wfile.write(b"x" * 16384)
            elif mode == "drip":
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                for i in range(min(len(data), 120)):
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                    time.sleep(0.5)
        except (BrokenPipeError, ConnectionResetError):
            pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
timer = threading.Timer(300, server.shutdown)
timer.daemon = True
timer.start()
print("listening on port %d" % server.server_address[1], flush=True)
server.serve_forever()
