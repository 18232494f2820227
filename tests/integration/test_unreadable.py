"""Pages the rewriter could once not read, and so passed with their trackers.

The filter reads a body as the browser will: codings undone (gzip and
deflate, zlib or raw, one over the other), the byte order mark over the
charset, UTF-16 turned into UTF-8, a body without a type sniffed as HTML.
What it still cannot read (br, zstd, ISO-2022-JP, XML and SVG documents)
is never passed as it is to a visitor who refused something: by default it
goes out under a sandboxing Content-Security-Policy (ConsentUnreadable).
The backend is a real HTTP server behind mod_proxy, or a CGI script.
"""
import gzip
import re
import shutil

import pytest

from harness import DATA, MODULE_DIR, consented
from test_filter import CLINIC, TRACKERS, live_trackers

VHOST = """
SetEnv MC_PAGES_DIR %s
LoadModule brotli_module %s/mod_brotli.so
<Location /proxy/refuse/>
    ConsentUnreadable refuse
</Location>
<Location /proxy/pass/>
    ConsentUnreadable pass
</Location>
<Location /proxy/ownpolicy/>
    Header always unset Content-Security-Policy
    Header set Content-Security-Policy "default-src *"
</Location>
<Location /proxy/brotli/>
    AddOutputFilterByType BROTLI_COMPRESS text/html
</Location>
<Location /proxy/deflated/>
    AddOutputFilterByType DEFLATE text/html
</Location>
""" % (DATA / "html", MODULE_DIR)

SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       '<script href="https://connect.facebook.net/en_US/fbevents.js"/></svg>\n')

SANDBOX = "sandbox"
PAGE = "/proxy/cookies?page=clinic.html"


@pytest.fixture(scope="module")
def server(module_server_factory):
    srv = module_server_factory("unreadable", loglevel="warn", vhost_conf=VHOST,
                                files={"img/logo.svg": SVG}, start=False)
    # a script without an extension: mod_mime gives its output no type either
    shutil.copy(srv.cgi_dir / "cookies.py", srv.cgi_dir / "typeless")
    (srv.cgi_dir / "typeless").chmod(0o755)
    return srv.start()


@pytest.fixture(scope="module")
def cookies(server):
    return {"none": None, "reject_all": consented(server, "reject_all"),
            "accept_all": consented(server, "accept_all")}


def get(server, path, cookie=None, headers=None):
    h = dict(headers or {})
    if cookie:
        h["Cookie"] = cookie
    return server.get(path, headers=h)


def rewritten(body):
    """The page was read: no tracker left live, the banner in."""
    return live_trackers(body) == [] and b'id="mc-banner"' in body


def policies(resp):
    return resp.header_all("Content-Security-Policy")


def sandboxed(resp):
    return any(re.match(r"\s*sandbox\b", p) and "default-src 'none'" in p for p in policies(resp))


# --- codings the filter undoes ----------------------------------------------------------

@pytest.mark.parametrize("codings", ["deflate", "rawdeflate", "gzip,gzip", "deflate,gzip",
                                     "gzip,deflate", "rawdeflate,gzip,gzip"])
def test_gzip_and_deflate_in_any_order_are_undone_and_the_page_rewritten(server, cookies,
                                                                          codings):
    for key in ("none", "reject_all"):
        resp = get(server, PAGE + "&codings=" + codings + "&pieces=9", cookies[key])
        assert resp.status == 200, resp
        assert resp.header("Content-Encoding") is None
        assert rewritten(resp.body), (codings, key)
        assert not sandboxed(resp)
    resp = get(server, PAGE + "&codings=" + codings, cookies["accept_all"])
    assert len(live_trackers(resp.body)) == len([t for t in TRACKERS if t[2]])


def test_a_deflate_page_is_compressed_again_for_a_client_that_takes_gzip(server):
    resp = get(server, "/proxy/deflated/cookies?page=clinic.html&codings=deflate",
               headers={"Accept-Encoding": "gzip"})
    assert resp.header("Content-Encoding") == "gzip"
    assert rewritten(gzip.decompress(resp.body))


def test_mod_brotli_still_compresses_for_the_visitor_what_the_backend_sent_plain(server):
    # the backend is not asked for br; the visitor, who asked for it, gets it
    resp = get(server, "/proxy/brotli/cookies?page=clinic.html",
               headers={"Accept-Encoding": "br"})
    assert resp.header("X-Backend-Saw-Accept-Encoding") == "identity"
    assert resp.header("Content-Encoding") == "br"


def test_a_backend_is_asked_only_for_codings_the_filter_can_undo(server):
    resp = get(server, PAGE, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert resp.header("X-Backend-Saw-Accept-Encoding") == "gzip, deflate"
    resp = get(server, PAGE, headers={"Accept-Encoding": "br;q=1, zstd"})
    assert resp.header("X-Backend-Saw-Accept-Encoding") == "identity"


# --- codings it cannot undo: fail closed --------------------------------------------------

@pytest.mark.parametrize("coding", ["br", "zstd", "gzip, br", "compress"])
def test_a_page_in_a_coding_the_filter_cannot_undo_is_sandboxed_until_all_is_granted(
        server, cookies, coding):
    path = PAGE + "&header=Content-Encoding:%20" + coding.replace(" ", "%20")
    for key in ("none", "reject_all"):
        resp = get(server, path, cookies[key])
        assert resp.status == 200
        assert sandboxed(resp), (coding, key, resp.headers)
        assert "Cookie" in (resp.header("Vary") or "")
        assert "private" in (resp.header("Cache-Control") or "")
        assert resp.body == CLINIC  # as it came: the browser's policy holds it
    resp = get(server, path, cookies["accept_all"])
    assert not sandboxed(resp)


def test_refuse_answers_502_and_pass_passes(server, cookies):
    resp = get(server, "/proxy/refuse/cookies?page=clinic.html&header=Content-Encoding:%20zstd")
    assert resp.status == 502
    assert b"fbq('init'" not in resp.body
    resp = get(server, "/proxy/refuse/cookies?page=clinic.html&header=Content-Encoding:%20zstd",
               cookies["accept_all"])
    assert resp.status == 200 and resp.body == CLINIC
    resp = get(server, "/proxy/pass/cookies?page=clinic.html&header=Content-Encoding:%20zstd")
    assert resp.status == 200 and not sandboxed(resp) and resp.body == CLINIC


def test_the_sites_own_header_directives_do_not_take_the_sandbox_away(server):
    resp = get(server, "/proxy/ownpolicy/cookies?page=clinic.html&header=Content-Encoding:%20br")
    assert sandboxed(resp), resp.headers
    assert "default-src *" in policies(resp)  # the site's stands beside it
    assert resp.header("X-DNS-Prefetch-Control") == "off"


def test_the_log_says_it_once_at_warn(server_factory):
    # once per child process: one child here
    srv = server_factory("unreadablelog", loglevel="warn", start_servers=1, server_limit=1)
    for _ in range(3):
        assert srv.get(PAGE + "&header=Content-Encoding:%20br").status == 200
    lines = [l for l in srv.error_log().splitlines() if "MC00325" in l]
    assert len(lines) == 1, lines
    assert "Content-Encoding 'br'" in lines[0] and "sandbox" in lines[0]


def test_feeds_and_sitemaps_sent_sandboxed_are_no_warning(server_factory):
    """Every site with a feed or a sitemap sends XML: all is well, so the
    module is silent at warn; info says each."""
    srv = server_factory("xmllog", loglevel="warn", start_servers=1, server_limit=1)
    for ctype in ("application/rss%2Bxml", "application/xml", "application/atom%2Bxml"):
        assert srv.get(PAGE + "&ctype=" + ctype).status == 200
    assert not [l for l in srv.error_log().splitlines() if "MC00325" in l]
    srv.reconfigure(loglevel="consent:info")
    srv.restart()
    assert srv.get("/proxy/cookies/feed/?page=clinic.html&ctype=application/rss%2Bxml").status == 200
    lines = [l for l in srv.error_log().splitlines() if "MC00325" in l]
    assert len(lines) == 1 and "/proxy/cookies/feed/ cannot be rewritten: it is an XML document" \
        in lines[0], lines


# --- charsets ---------------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "&enc=utf-16le&bom=1",                                              # its mark
    "&enc=utf-16be&bom=1&ctype=text/html;%20charset=utf-8",             # a mark over the label
    "&enc=utf-16le&ctype=text/html;%20charset=utf-16",                  # the label alone
    "&enc=utf-16le&ctype=text/html;%20charset=unicode",                 # a WHATWG label
    "&enc=utf-16be&ctype=text/html;%20charset=UTF-16BE&pieces=333",     # split anywhere
])
def test_a_utf16_page_is_read_and_sent_as_utf8(server, cookies, query):
    resp = get(server, PAGE + query)
    assert resp.status == 200
    assert resp.header("Content-Type") == "text/html; charset=utf-8"
    assert rewritten(resp.body), query
    assert b"\x00" not in resp.body
    resp.body.decode("utf-8")  # well-formed
    resp = get(server, PAGE + query, cookies["accept_all"])
    assert len(live_trackers(resp.body)) == len([t for t in TRACKERS if t[2]])


@pytest.mark.parametrize("query", ["", "&prefix=abcdefgh%20", "&enc=utf-16le&bom=1",
                                   "&ctype=none", "&ctype=none&prefix=%20%20%20"])
def test_a_page_whose_first_piece_is_a_byte_or_two_is_rewritten_as_the_whole(server, query):
    # the first bytes are held until they tell the mark (and, without a
    # type, whether it is HTML); the rest of the piece that tells is not lost
    def body(first):
        # the page's own URL (in the banner's return path) says how it was cut
        # and so, through the frame's held name, does a neutralised frame
        got = get(server, PAGE + query + "&first=%d&pause=0.1" % first).body
        got = re.sub(rb'name="mc-[0-9a-f]+-', b'name="mc-', got)
        return re.sub(rb"first(=|%3[Dd])\d+", b"first", got)

    body(100000)  # the banner lists the services pages were seen to use: now this one's too
    whole = body(100000)
    assert rewritten(whole)
    for first in (1, 2, 5):
        got = body(first)
        at = next((i for i in range(min(len(got), len(whole))) if got[i] != whole[i]), None)
        assert got == whole, (first, at, got[at - 80:at + 40] if at else None,
                              whole[at - 80:at + 40] if at else None)


def test_a_utf8_mark_over_a_utf16_label_is_read_as_bytes(server):
    resp = get(server, PAGE + "&prefix=%EF%BB%BF&ctype=text/html;%20charset=utf-16")
    assert rewritten(resp.body)
    assert resp.body.startswith(b"\xef\xbb\xbf")


def test_a_label_browsers_do_not_know_is_read_as_bytes(server):
    # utf-32 is no WHATWG label: a browser reads these bytes as ASCII-compatible
    resp = get(server, PAGE + "&ctype=text/html;%20charset=utf-32")
    assert rewritten(resp.body)


def test_iso_2022_jp_is_sandboxed(server, cookies):
    resp = get(server, PAGE + "&ctype=text/html;%20charset=iso-2022-jp")
    assert sandboxed(resp) and resp.body == CLINIC
    assert not sandboxed(get(server, PAGE + "&ctype=text/html;%20charset=iso-2022-jp",
                             cookies["accept_all"]))


# --- no type, and XML ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/proxy/cookies", "/cgi-bin/typeless"])
def test_a_page_without_a_type_is_sniffed_as_a_browser_would_and_rewritten(server, path):
    resp = get(server, path + "?page=clinic.html&ctype=none")
    assert resp.status == 200
    assert (resp.header("Content-Type") or "").startswith("text/html")
    assert rewritten(resp.body)


def test_a_body_without_a_type_that_is_no_html_passes_and_is_not_sniffed(server):
    resp = get(server, PAGE + "&ctype=none&prefix=just%20text%20")
    assert resp.body == b"just text " + CLINIC
    assert resp.header("X-Content-Type-Options") == "nosniff"


@pytest.mark.parametrize("ctype", ["application/xml", "text/xml", "image/svg+xml",
                                   "application/rss+xml"])
def test_xml_documents_are_sandboxed(server, cookies, ctype):
    path = PAGE + "&ctype=" + ctype.replace("+", "%2B")
    resp = get(server, path)
    assert sandboxed(resp), ctype
    assert not sandboxed(get(server, path, cookies["accept_all"]))


XHTML = "&ctype=application/xhtml%2Bxml&prefix="


def test_an_xhtml_page_that_declares_entities_is_sandboxed(server, cookies):
    subset = "%3C!DOCTYPE%20html%20[%3C!ENTITY%20e%20%22x%22%3E]%3E"
    resp = get(server, PAGE + XHTML + subset)
    assert sandboxed(resp) and resp.body == b'<!DOCTYPE html [<!ENTITY e "x">]>' + CLINIC
    resp = get(server, PAGE + XHTML + subset, cookies["accept_all"])
    assert not sandboxed(resp) and b"/_consent/consent.js" in resp.body  # rewritten
    resp = get(server, "/proxy/refuse/cookies?page=clinic.html" + XHTML + subset)
    assert resp.status == 502
    # a plain DOCTYPE, no subset: rewritten as any XHTML page
    resp = get(server, PAGE + XHTML + "%3C!DOCTYPE%20html%3E")
    assert not sandboxed(resp) and rewritten(resp.body)


def test_a_static_svg_is_sandboxed(server, cookies):
    resp = get(server, "/img/logo.svg")
    assert resp.status == 200 and sandboxed(resp)
    assert resp.body.decode() == SVG
