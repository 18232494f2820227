"""What every test backend does, whatever the transport (CGI, FastCGI, HTTP).

The query string drives it:
  set=a,b        one "Set-Cookie: NAME=v-NAME; Path=/" header line per name
  del=a,b        a deletion per name (empty value, Max-Age=0)
  expired=a,b    a deletion per name by an Expires date in the past
  raw=TEXT       one "Set-Cookie: TEXT" line as given (repeatable)
  header=TEXT    one extra header line "Name: value" as given (repeatable)
  folded=1       ONE Set-Cookie line holding PHPSESSID, _ga and _fbp, folded
                 with commas; _ga and _fbp carry an Expires date (a year ahead)
  echo=1         body is JSON: the Cookie header this backend received
  status=N       response status (with location=URL for redirects)
  stream=N       body sent in N small pieces, flushed, with a pause between
  type=html      text/html body instead of text/plain
  gzip=1         gzip-encoded text/html body with Content-Encoding: gzip
  page=NAME      body is tests/data/integration/html/NAME as text/html (gzip=1:
                 gzip-encoded; pieces=N: in N pieces, pause=S seconds apart;
                 corrupt=AT: 16 bytes inverted at AT, a fraction of the body;
                 with gzip=1, members=N: in N gzip members, tail=TEXT: TEXT
                 after the gzip body, cut=F: only the first fraction F of it;
                 prefix=TEXT: TEXT before the page; enc=utf-16le|utf-16be: the
                 page in UTF-16, bom=1 with its mark; codings=gzip,deflate,
                 rawdeflate: each applied in turn, named in Content-Encoding;
                 ctype=TYPE: its Content-Type, "none" for none; first=N: the
                 first N bytes in a piece of their own, then the rest)
The HTTP backend also answers X-Backend-Saw-Accept-Encoding: the field it got.
"""
import datetime
import email.utils
import gzip
import json
import os
import urllib.parse
import zlib

STREAM_PAUSE = 0.2


def future_http_date(days=365):
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return email.utils.format_datetime(when.replace(microsecond=0), usegmt=True)


def _names(query, key):
    names = []
    for item in query.get(key, []):
        names.extend(n for n in item.split(",") if n)
    return names


def cookie_pairs(header):
    """Cookie request header -> list of [name, value]."""
    pairs = []
    for part in (header or "").split(";"):
        part = part.strip()
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append([name.strip(), value.strip()])
    return pairs


# a CGI copy of this file finds the pages where the server says (SetEnv)
PAGES = os.environ.get("MC_PAGES_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "integration", "html")


def _page(query, status, headers):
    """A fixture page, optionally gzip-encoded and cut into pieces."""
    name = os.path.basename(query["page"][0])
    with open(os.path.join(PAGES, name), "rb") as f:
        body = f.read()
    body = query.get("prefix", [""])[0].encode() + body
    if query.get("enc"):
        # the page in UTF-16: "utf-16le" or "utf-16be", with its mark when bom=1
        codec = query["enc"][0]
        body = body.decode("utf-8").encode(codec)
        if query.get("bom"):
            body = ("\ufeff".encode(codec)) + body
    if query.get("codings"):
        # codings applied in the order listed; "rawdeflate" is sent as deflate
        names = []
        for coding in query["codings"][0].split(","):
            if coding == "gzip":
                body = gzip.compress(body)
            elif coding == "deflate":
                body = zlib.compress(body)
            elif coding == "rawdeflate":
                z = zlib.compressobj(wbits=-15)
                body = z.compress(body) + z.flush()
            names.append("deflate" if coding == "rawdeflate" else coding)
        headers.append(("Content-Encoding", ", ".join(names)))
    if query.get("gzip"):
        headers.append(("Content-Encoding", "gzip"))
        members = max(1, int(query.get("members", ["1"])[0]))
        size = max(1, -(-len(body) // members))
        body = b"".join(gzip.compress(body[i:i + size]) for i in range(0, len(body), size))
        body += query.get("tail", [""])[0].encode()
        if query.get("cut"):
            body = body[:int(len(body) * float(query["cut"][0]))]
    if query.get("corrupt"):
        at = int(len(body) * float(query["corrupt"][0]))
        body = body[:at] + bytes(b ^ 0xFF for b in body[at:at + 16]) + body[at + 16:]
    count = max(1, int(query.get("pieces", ["1"])[0]))
    size = max(1, -(-len(body) // count))
    pieces = [body[i:i + size] for i in range(0, len(body), size)] or [b""]
    if query.get("first"):
        # the first N bytes alone, then the rest (pause=S between them)
        first = int(query["first"][0])
        pieces = [body[:first], body[first:]]
    ctype = query.get("ctype", ["text/html; charset=utf-8"])[0]
    if ctype != "none":
        headers.insert(0, ("Content-Type", ctype))
    return status, headers, pieces, float(query.get("pause", ["0"])[0])


def respond(query_string, http_cookie, accept_encoding=None):
    """Returns (status or None, [(header, value)...], [body pieces], pause between pieces)."""
    query = urllib.parse.parse_qs(query_string or "", keep_blank_values=True)
    status = int(query["status"][0]) if "status" in query else None
    headers = []
    if accept_encoding is not None:
        headers.append(("X-Backend-Saw-Accept-Encoding", accept_encoding))
    for name in _names(query, "set"):
        headers.append(("Set-Cookie", "%s=v-%s; Path=/" % (name, name)))
    for name in _names(query, "del"):
        headers.append(("Set-Cookie", "%s=; Path=/; Max-Age=0" % name))
    for name in _names(query, "expired"):
        headers.append(("Set-Cookie",
                        "%s=gone; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT" % name))
    for text in query.get("raw", []):
        headers.append(("Set-Cookie", text))
    for text in query.get("header", []):
        name, _, value = text.partition(":")
        headers.append((name.strip(), value.strip()))
    if query.get("folded"):
        date = future_http_date()
        headers.append(("Set-Cookie", "PHPSESSID=folded1; Path=/, "
                                      "_ga=GA1.2.3.4; Path=/; Expires=%s, "
                                      "_fbp=fb.1.2.3; Path=/; Expires=%s" % (date, date)))
    if "location" in query:
        headers.append(("Location", query["location"][0]))

    if query.get("page"):
        return _page(query, status, headers)
    pause = 0.0
    if query.get("echo"):
        ctype = "application/json"
        pieces = [json.dumps({"cookie": http_cookie or None,
                              "pairs": cookie_pairs(http_cookie)}).encode()]
    elif query.get("gzip"):
        ctype = "text/html; charset=utf-8"
        headers.append(("Content-Encoding", "gzip"))
        pieces = [gzip.compress(b"<!DOCTYPE html><html><head><title>t</title></head>"
                                b"<body><p>gzip body</p></body></html>\n")]
    elif query.get("type", [""])[0] == "html":
        ctype = "text/html; charset=utf-8"
        pieces = [b"<!DOCTYPE html><html><head><title>t</title></head>"
                  b"<body><p>hello</p></body></html>\n"]
    else:
        ctype = "text/plain; charset=utf-8"
        pieces = [b"backend ok\n"]
    if query.get("stream"):
        count = max(1, int(query["stream"][0]))
        pieces = [("piece %d\n" % i).encode() for i in range(count)]
        pause = STREAM_PAUSE
    headers.insert(0, ("Content-Type", ctype))
    return status, headers, pieces, pause
