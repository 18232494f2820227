"""A stand-in for the local syslog daemon: python3 syslog_sink.py SOCKET LOG [RAW]

Binds a unix datagram socket at SOCKET (mode 0666, like /dev/log) and
appends each datagram to LOG as a line the way rsyslog's traditional file
format would: the daemon's own time stamp and host name, then the message's
tag and text (its <PRI> and time stamp are consumed). With RAW, every
datagram is also appended to RAW as received, one per line, so that tests
can check the priority. Runs until SIGTERM, then removes SOCKET and writes
what is still queued on it.
"""
import os
import re
import signal
import socket
import sys
import time

# <PRI>Mmm dd hh:mm:ss (RFC 3164); what follows is TAG: MSG
HEADER = re.compile(rb"^<(\d{1,3})>([A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d) ")


def main():
    sock_path, log_path = sys.argv[1], sys.argv[2]
    raw_path = sys.argv[3] if len(sys.argv) > 3 else None
    host = socket.gethostname().split(".")[0].encode()

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    # writable by httpd's children from the moment it exists, like /dev/log
    old_umask = os.umask(0)
    try:
        sock.bind(sock_path)
    finally:
        os.umask(old_umask)
    with open(log_path, "ab", buffering=0) as log, \
            open(raw_path or os.devnull, "ab", buffering=0) as raw:

        def write(data):
            match = HEADER.match(data)
            text = data[match.end():] if match else data
            stamp = time.strftime("%b %e %H:%M:%S").encode()
            log.write(stamp + b" " + host + b" " + text.rstrip(b"\n") + b"\n")
            # RAW last: a datagram seen there is already in LOG
            raw.write(data + b"\n")

        try:
            while True:
                write(sock.recv(65536))
        finally:
            # like a daemon shutting down cleanly: no new clients, then what
            # is already queued on the socket is written, not dropped
            try:
                os.unlink(sock_path)
            except FileNotFoundError:
                pass
            sock.setblocking(False)
            while True:
                try:
                    write(sock.recv(65536))
                except BlockingIOError:
                    break


if __name__ == "__main__":
    main()
