#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# A registry that misbehaves, for the pull tests (0130):
#   bad-registry.py MODE CERT KEY LOG PORTFILE
#   MODE  429 | 500: every request over TLS gets that status (500 with a
#                    Retry-After: 1), one line per request in LOG
#         silent:    accepts connections and never sends a byte
#         blackhole: a listening socket whose backlog is full, so the
#                    kernel drops each new SYN (connect never completes)
# Writes the port it listens on (127.0.0.1) to PORTFILE, then serves until
# killed.
import http.server
import socket
import ssl
import sys
import threading
import time

mode, cert, key, log, portfile = sys.argv[1:6]


def ready(port):
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % port)
    import os
    os.rename(portfile + ".tmp", portfile)


if mode in ("429", "500"):
    code = int(mode)

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            with open(log, "a") as f:
                f.write("%.3f GET %s\n" % (time.time(), self.path))
            body = b'{"errors":[{"code":"%s","message":"test says %d"}]}' % (
                b"TOOMANYREQUESTS" if code == 429 else b"UNKNOWN", code)
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if code == 500:
                self.send_header("Retry-After", "1")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    ready(srv.server_address[1])
    srv.serve_forever()
elif mode == "silent":
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    ready(s.getsockname()[1])
    held = []
    while True:
        c, _ = s.accept()
        with open(log, "a") as f:
            f.write("%.3f connection\n" % time.time())
        held.append(c)  # read nothing, answer nothing
elif mode == "blackhole":
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(0)
    port = s.getsockname()[1]
    # fill the accept queue (backlog 0 holds one) so later SYNs are dropped
    fillers = []
    for _ in range(2):
        f = socket.socket()
        f.setblocking(False)
        try:
            f.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(f)
    time.sleep(0.5)
    ready(port)
    threading.Event().wait()
else:
    sys.exit("bad mode " + mode)
