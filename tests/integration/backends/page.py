#!/usr/bin/python3
"""CGI backend for the HTML filter tests: streams a page in flushed pieces.

The query string drives it:
  path=/x.html   serve that file below DOCUMENT_ROOT as text/html
  pieces=N       in N pieces of about equal size (default 1)
  pause=S        seconds between two pieces (default 0)
  big=MB         instead of a file: a generated page of about MB megabytes,
                 one Meta Pixel <img> every 64 KiB, written in 64 KiB pieces
"""
import os
import sys
import time
import urllib.parse

BLOCK = 65536
PIXEL = (b'<img height="1" width="1" alt="" '
         b'src="https://www.facebook.com/tr?id=418203954712236&ev=PageView&noscript=1">\n')


def generated(megabytes):
    yield (b'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>big</title>'
           b'</head>\n<body>\n')
    line = b"<p>Filler text for a long page, with <b>markup</b> &amp; entities.</p>\n"
    block = PIXEL + line * ((BLOCK - len(PIXEL)) // len(line))
    for _ in range(megabytes * 1024 * 1024 // len(block)):
        yield block
    yield b"</body>\n</html>\n"


def from_file(path, pieces):
    data = open(os.environ["DOCUMENT_ROOT"] + path, "rb").read()
    size = max(1, -(-len(data) // pieces))
    for i in range(0, len(data), size):
        yield data[i:i + size]


def main():
    query = urllib.parse.parse_qs(os.environ.get("QUERY_STRING", ""))
    pause = float(query.get("pause", ["0"])[0])
    out = sys.stdout.buffer
    out.write(b"Content-Type: text/html; charset=utf-8\r\n\r\n")
    out.flush()
    if os.environ.get("REQUEST_METHOD") == "HEAD":
        return
    if "big" in query:
        body = generated(int(query["big"][0]))
    else:
        body = from_file(query["path"][0], int(query.get("pieces", ["1"])[0]))
    for i, piece in enumerate(body):
        if i and pause:
            time.sleep(pause)
        out.write(piece)
        out.flush()


main()
