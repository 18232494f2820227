#!/usr/bin/python3
"""HTTP backend for mod_proxy tests, running cookielogic. Usage: http_backend.py PORT."""
import http.server
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cookielogic  # noqa: E402


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # close-delimited bodies make streaming simple

    def _answer(self, with_body):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        query = urllib.parse.urlsplit(self.path).query
        status, headers, pieces, pause = cookielogic.respond(query, self.headers.get("Cookie"),
                                                             self.headers.get("Accept-Encoding", "(none)"))
        self.send_response_only(status or 200)
        for name, value in headers:
            self.send_header(name, value)
        if not pause:
            self.send_header("Content-Length", str(sum(len(p) for p in pieces)))
        self.end_headers()
        if with_body:
            for i, piece in enumerate(pieces):
                if i and pause:
                    time.sleep(pause)
                self.wfile.write(piece)
                self.wfile.flush()

    def do_GET(self):
        self._answer(True)

    def do_POST(self):
        self._answer(True)

    def do_HEAD(self):
        self._answer(False)

    def log_message(self, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
