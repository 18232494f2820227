#!/usr/bin/python3
"""CGI backend: see cookielogic.py for the query API."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cookielogic  # noqa: E402


def main():
    status, headers, pieces, pause = cookielogic.respond(os.environ.get("QUERY_STRING", ""),
                                                         os.environ.get("HTTP_COOKIE"))
    out = sys.stdout.buffer
    head = "Status: %d\r\n" % status if status else ""  # none: keep an ErrorDocument's status
    head += "".join("%s: %s\r\n" % (k, v) for k, v in headers)
    out.write(head.encode("latin-1") + b"\r\n")
    if os.environ.get("REQUEST_METHOD") == "HEAD":
        out.flush()
        return
    for i, piece in enumerate(pieces):
        if i and pause:
            time.sleep(pause)
        out.write(piece)
        out.flush()


main()
