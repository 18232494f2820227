#!/usr/bin/python3
"""A minimal FastCGI responder (stdlib only) running cookielogic.

Usage: fcgi_server.py PORT. One request per connection, a thread per
connection; enough for mod_proxy_fcgi, which closes after each request unless
told to reuse connections.
"""
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cookielogic  # noqa: E402

FCGI_VERSION = 1
BEGIN_REQUEST, ABORT_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT = 1, 2, 3, 4, 5, 6
GET_VALUES, GET_VALUES_RESULT, UNKNOWN_TYPE = 9, 10, 11
HEADER = struct.Struct("!BBHHBx")


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


def read_record(conn):
    version, rtype, request_id, length, padding = HEADER.unpack(read_exact(conn, HEADER.size))
    content = read_exact(conn, length) if length else b""
    if padding:
        read_exact(conn, padding)
    return rtype, request_id, content


def write_record(conn, rtype, request_id, content=b""):
    padding = (-len(content)) % 8
    conn.sendall(HEADER.pack(FCGI_VERSION, rtype, request_id, len(content), padding)
                 + content + b"\0" * padding)


def decode_length(data, pos):
    if data[pos] < 0x80:
        return data[pos], pos + 1
    return struct.unpack("!I", data[pos:pos + 4])[0] & 0x7FFFFFFF, pos + 4


def decode_params(data):
    params, pos = {}, 0
    while pos < len(data):
        name_len, pos = decode_length(data, pos)
        value_len, pos = decode_length(data, pos)
        name = data[pos:pos + name_len].decode("latin-1")
        pos += name_len
        params[name] = data[pos:pos + value_len].decode("latin-1")
        pos += value_len
    return params


def send_stdout(conn, request_id, data):
    for start in range(0, len(data), 65535):
        write_record(conn, STDOUT, request_id, data[start:start + 65535])


def serve(conn):
    with conn:
        params_raw, request_id = b"", 1
        try:
            while True:
                rtype, rid, content = read_record(conn)
                if rtype == BEGIN_REQUEST:
                    request_id = rid
                elif rtype == PARAMS:
                    params_raw += content
                elif rtype == STDIN and not content:
                    break
                elif rtype == GET_VALUES:
                    write_record(conn, GET_VALUES_RESULT, 0)
                elif rtype == ABORT_REQUEST:
                    return
                elif rtype not in (STDIN,):
                    write_record(conn, UNKNOWN_TYPE, 0, bytes([rtype]) + b"\0" * 7)
            params = decode_params(params_raw)
            status, headers, pieces, pause = cookielogic.respond(params.get("QUERY_STRING", ""),
                                                                 params.get("HTTP_COOKIE"))
            head = "Status: %d\r\n" % status if status else ""  # none: CGI's default 200
            head += "".join("%s: %s\r\n" % h for h in headers) + "\r\n"
            send_stdout(conn, request_id, head.encode("latin-1"))
            if params.get("REQUEST_METHOD") != "HEAD":
                for i, piece in enumerate(pieces):
                    if i and pause:
                        time.sleep(pause)
                    send_stdout(conn, request_id, piece)
            write_record(conn, STDOUT, request_id)
            write_record(conn, END_REQUEST, request_id, struct.pack("!IB3x", 0, 0))
        except (EOFError, OSError):
            return


def main():
    port = int(sys.argv[1])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
