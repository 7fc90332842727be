#!/usr/bin/env python3
"""telemetry_proxy.py UPSTREAM RECORD [DELAY]: an HTTP relay for tests/e2e/telemetry_send.sh.
Listens on 127.0.0.1 (a free port, printed as "recording proxy on port N"), appends every POST
body it receives, exactly as received, to RECORD (one line per request: the path, a space, the
body in base64), then waits DELAY seconds (to widen the window in which a client can be killed
mid-send) and forwards the request to UPSTREAM, answering with the upstream's status and body.
It is how the test sees every byte the collector receives."""
import base64
import http.server
import os
import sys
import time
import urllib.error
import urllib.request

upstream, record = sys.argv[1], sys.argv[2]
delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0


class Relay(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(record, "a") as f:
            f.write(self.path + " " + base64.b64encode(body).decode() + "\n")
            f.flush()
            os.fsync(f.fileno())
        time.sleep(delay)
        req = urllib.request.Request(upstream + self.path, data=body, method="POST",
                                     headers={"Content-Type": self.headers.get("Content-Type", "")})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, answer = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, answer = e.code, e.read()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Relay)
print("recording proxy on port %d" % server.server_address[1], flush=True)
server.serve_forever()
