"""The HTML filter: what a visitor's browser receives in the body of a page.

The fixture page (tests/data/integration/html/clinic.html) is a clinic's home
page carrying Google Analytics, the Meta Pixel, the LinkedIn Insight Tag, a
YouTube embed and the Mailchimp signup script. Each tracker element is found
by an anchor (a URL or a line of its inline script) that survives rewriting;
the rest of the page must come back byte for byte, apart from the consent
assets injected after <head> and the banner injected after <body>.
"""
import gzip
import http.client
import json
import os
import re
import shutil
import threading
import time
from email.utils import formatdate
from pathlib import Path
from urllib.parse import quote

import pytest

from harness import BACKENDS, DATA, REPO, consented

PAGES = DATA / "html"
CLINIC = (PAGES / "clinic.html").read_bytes()
MARKED = (PAGES / "marked.html").read_bytes()

STATS, MARKETING = "statistics", "marketing"
# anchor inside the element (its URL, or a line of its inline script),
# category, and the URL attribute the element had (None: inline script)
TRACKERS = [
    ("https://www.googletagmanager.com/gtag/js?id=G-7XKQ2V9ZPL", STATS, "src"),
    ("gtag('config', 'G-7XKQ2V9ZPL'", STATS, None),
    ("fbq('init', '418203954712236')", MARKETING, None),
    ("https://www.facebook.com/tr?id=418203954712236&ev=PageView&noscript=1", MARKETING, "src"),
    ("https://www.youtube.com/embed/4BOTvaRaDjI?rel=0", MARKETING, "src"),
    ("chimpstatic.com/mcjs-connected", MARKETING, None),
    ('_linkedin_partner_id = "5123456"', MARKETING, None),
    ("snap.licdn.com/li.lms-analytics/insight.min.js", MARKETING, None),
    ("https://px.ads.linkedin.com/collect/?pid=5123456&fmt=gif", MARKETING, "src"),
]
HEAD_TAG, HEAD_NEXT = b"<head>", b'\n<meta charset="utf-8">'
BODY_TAG, BODY_NEXT = b'<body class="home page-template-default">', b'\n<header class="site-header">'

LOCALES = {lang: json.loads((REPO / "conf" / "locales" / ("%s.json" % lang)).read_text())["texts"]
           for lang in ("nb", "nn", "en")}

VHOST = """
ConsentLanguages nb nn en
<Location /gz/>
    AddOutputFilterByType DEFLATE text/html
</Location>
<Location /proxy/>
    AddOutputFilterByType DEFLATE text/html
</Location>
"""

LANG_PAGE = ('<!DOCTYPE html>\n<html%s>\n<head><title>Side</title></head>\n<body>\n<p>Innhold</p>\n'
             '</body>\n</html>\n')

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


# what backends/page.py?big=MB writes: a Meta Pixel <img> in every block
BIG_PIXEL = (b'<img height="1" width="1" alt="" '
             b'src="https://www.facebook.com/tr?id=418203954712236&ev=PageView&noscript=1">\n')
BIG_LINE = b"<p>Filler text for a long page, with <b>markup</b> &amp; entities.</p>\n"
BIG_BLOCK = BIG_PIXEL + BIG_LINE * ((65536 - len(BIG_PIXEL)) // len(BIG_LINE))


def big_blocks(megabytes):
    return megabytes * 1024 * 1024 // len(BIG_BLOCK)


def page_files():
    files = {"pages/clinic.html": CLINIC.decode(), "gz/clinic.html": CLINIC.decode(),
             "pages/marked.html": MARKED.decode(),
             "pages/plain.txt": "<script src=\"https://connect.facebook.net/en_US/fbevents.js\">"
                                "</script> is text here\n",
             "pages/data.json": '{"html": "<body><iframe src=\\"https://www.youtube.com/embed/x'
                                '\\"></iframe></body>"}\n',
             "pages/nolang.html": LANG_PAGE % ""}
    for lang in ("nb", "nn", "en"):
        files["pages/lang-%s.html" % lang] = LANG_PAGE % (' lang="%s"' % lang)
    return files


def add_page_cgi(srv):
    shutil.copy(BACKENDS / "page.py", srv.cgi_dir / "page.py")
    (srv.cgi_dir / "page.py").chmod(0o755)


@pytest.fixture(scope="module")
def server(module_server_factory):
    srv = module_server_factory("filter", start=False, vhost_conf=VHOST, files=page_files())
    (srv.docroot / "pages" / "pixel.png").write_bytes(PNG)
    (srv.docroot / "pages" / "pixel.png").chmod(0o644)
    # an hour old: httpd makes the ETag of a file changed within the last
    # second weak, and the tests tell our weak ETags from the file's strong ones
    an_hour_ago = time.time() - 3600
    for path in srv.docroot.rglob("*"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    add_page_cgi(srv)
    return srv.start()


@pytest.fixture(scope="module")
def cookies(server):
    return {"none": None,
            "accept_all": consented(server, "accept_all"),
            "reject_all": consented(server, "reject_all"),
            "statistics": consented(server, "custom", ["statistics"])}


def get(server, path, cookie=None, headers=None, method="GET"):
    h = dict(headers or {})
    if cookie:
        h["Cookie"] = cookie
    resp = server.request(method, path, headers=h)
    assert resp.status == 200, resp
    return resp


# --- taking a page apart ---------------------------------------------------------------

def start_tag(doc, anchor):
    """(start, end) of the start tag of the element ANCHOR lies in."""
    at = doc.index(anchor.encode())
    if doc.rfind(b"<", 0, at) > doc.rfind(b">", 0, at):
        start = doc.rfind(b"<", 0, at)  # the anchor is in the tag itself
    else:
        start = doc.rfind(b"<script", 0, at)  # the anchor is in an inline script
    return start, doc.index(b">", start) + 1


def cut_insertion(doc, tag, following):
    """DOC without what was inserted right after TAG (the original continues
    with FOLLOWING), and the inserted bytes."""
    after = doc.index(tag) + len(tag)
    resume = doc.index(following, after)
    return doc[:after] + doc[resume:], doc[after:resume]


class Page:
    """A rewritten clinic page: its tracker tags, its insertions, and the rest."""

    def __init__(self, body):
        self.body = body
        rest, self.head_inserted = cut_insertion(body, HEAD_TAG, HEAD_NEXT)
        rest, self.body_inserted = cut_insertion(rest, BODY_TAG, BODY_NEXT)
        self.tags, self.rest = tags_and_rest(rest)


def tags_and_rest(doc):
    """The tracker start tags of DOC (by anchor) and DOC with each replaced by a mark."""
    spans = sorted((start_tag(doc, anchor), anchor) for anchor, _, _ in TRACKERS)
    tags, rest, pos = {}, b"", 0
    for (start, end), anchor in spans:
        tags[anchor] = doc[start:end].decode()
        rest += doc[pos:start] + b"<!--TRACKER-->"
        pos = end
    return tags, rest + doc[pos:]


ORIGINAL_TAGS, ORIGINAL_REST = tags_and_rest(CLINIC)


def attrs(tag):
    """The attributes of start tag TAG (the first of a repeated name wins)."""
    out = {}
    for m in re.finditer(r'\s([^\s=>/]+)(?:\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|([^\s>]+)))?', tag):
        name = m.group(1).lower()
        value = next((g for g in m.group(2, 3, 4) if g is not None), "")
        out.setdefault(name, value)
    return out


def assert_neutralised(tag, original, category, url_attr):
    a, o = attrs(tag), attrs(original)
    assert a.get("data-consent") == category, tag
    if url_attr and tag.startswith("<iframe"):
        # a neutralised frame shows the placeholder page instead
        assert a.get("src", "").startswith("/_consent/placeholder?u="), tag
        assert a.get("data-consent-src") == o[url_attr], tag
    elif url_attr:
        assert url_attr not in a, tag
        assert a.get("data-consent-src") == o[url_attr], tag
    if tag.startswith("<script"):
        assert a.get("type") == "text/plain", tag
        if "type" in o:
            assert a.get("data-consent-type") == o["type"], tag
    for name, value in o.items():  # every other attribute is kept
        if name not in (url_attr, "type"):
            assert a.get(name) == value, (name, tag)


def assert_page(page, granted):
    """Trackers of GRANTED categories intact, the others neutralised, and the
    rest of the page byte for byte."""
    for anchor, category, url_attr in TRACKERS:
        if category in granted:
            assert page.tags[anchor] == ORIGINAL_TAGS[anchor]
        else:
            assert_neutralised(page.tags[anchor], ORIGINAL_TAGS[anchor], category, url_attr)
    assert page.rest == ORIGINAL_REST


def banner_tag(text, element_id):
    m = re.search(r'<[a-z]+ id="%s"[^>]*>' % element_id, text)
    assert m, "no #%s in %r" % (element_id, text[:500])
    return m.group(0)


def visible(text, element_id):
    return not re.search(r"\shidden(\s|>|=)", banner_tag(text, element_id))


# --- what the page looks like per consent state ------------------------------------------

def test_without_consent_trackers_are_neutralised_and_the_rest_is_untouched(server):
    page = Page(get(server, "/pages/clinic.html").body)
    assert_page(page, granted=set())


def test_reject_all_neutralises_like_no_decision(server, cookies):
    page = Page(get(server, "/pages/clinic.html", cookies["reject_all"]).body)
    assert_page(page, granted=set())


def test_accept_all_leaves_every_tracker_intact(server, cookies):
    page = Page(get(server, "/pages/clinic.html", cookies["accept_all"]).body)
    assert_page(page, granted={STATS, MARKETING})
    assert b"data-consent" not in page.rest


def test_statistics_only_keeps_analytics_and_neutralises_marketing(server, cookies):
    page = Page(get(server, "/pages/clinic.html", cookies["statistics"]).body)
    assert_page(page, granted={STATS})


def test_assets_are_linked_at_the_top_of_head(server, cookies):
    for cookie in (None, cookies["accept_all"]):
        inserted = Page(get(server, "/pages/clinic.html", cookie).body).head_inserted.decode()
        assert re.search(r'<script[^>]+src="/_consent/consent\.js[^"]*"', inserted), inserted
        assert re.search(r'<link[^>]+href="/_consent/consent\.css[^"]*"', inserted), inserted


def test_banner_after_body_while_undecided(server):
    inserted = Page(get(server, "/pages/clinic.html").body).body_inserted.decode()
    assert visible(inserted, "mc-banner")
    assert not visible(inserted, "mc-reopen-box")
    assert 'action="/_consent/decision"' in inserted
    assert 'value="accept_all"' in inserted and 'value="reject_all"' in inserted


def test_only_the_settings_control_shows_once_decided(server, cookies):
    for key in ("accept_all", "reject_all", "statistics"):
        inserted = Page(get(server, "/pages/clinic.html", cookies[key]).body).body_inserted.decode()
        assert visible(inserted, "mc-reopen-box"), key
        assert not visible(inserted, "mc-banner"), key


def test_author_marked_elements_stay_inert_without_consent(server):
    body = get(server, "/pages/marked.html").body
    frames = 0
    for line in MARKED.split(b"\n"):
        if b"data-consent=" in line and not line.startswith(b"<iframe"):
            assert line in body
        elif b"data-consent=" in line:
            # a held frame is renamed, so that session history cannot send
            # it back to where the same frame once was live
            frames += 1
            url = attrs(line.decode())["data-consent-src"]
            tag = re.search(r"<iframe[^>]*%s[^>]*>" % re.escape(url), body.decode()).group(0)
            a = attrs(tag)
            assert "src" not in a and a["data-consent-src"] == url, tag
            assert re.fullmatch(r"mc-[0-9a-f]{12}-0", a.get("name", "")), tag
            assert a.get("data-consent-name") == "", tag
            assert dict(a, name=None, **{"data-consent-name": None}) == \
                dict(attrs(line.decode()), name=None, **{"data-consent-name": None}), tag
    assert frames == 1


def test_author_marked_element_is_restored_when_its_category_is_granted(server, cookies):
    body = get(server, "/pages/marked.html", cookies["statistics"]).body.decode()
    script = re.search(r"<script[^>]*/js/stats\.js[^>]*>", body).group(0)
    assert attrs(script).get("src") == "/js/stats.js", script
    assert attrs(script).get("type") != "text/plain", script
    iframe = re.search(r"<iframe[^>]*booking\.example\.net[^>]*>", body).group(0)
    assert "src" not in attrs(iframe), iframe  # marketing is still refused
    full = get(server, "/pages/marked.html", cookies["accept_all"]).body.decode()
    iframe = re.search(r"<iframe[^>]*booking\.example\.net[^>]*>", full).group(0)
    assert attrs(iframe).get("src") == "https://booking.example.net/widget", iframe


def test_a_held_frame_is_named_for_the_page_and_the_consent(server, cookies):
    """Chromium sends a frame of a page brought back from session history to
    the URL it last had under the same name: a held frame's name is one no
    live frame has, and changes with the visitor's consent."""
    names = {}
    for key in ("none", "reject_all", "statistics"):
        first, again = (re.search(r"<iframe[^>]*youtube\.com/embed[^>]*>",
                                  get(server, "/pages/clinic.html", cookies[key]).body.decode())
                        .group(0) for _ in range(2))
        assert first == again, key  # the same for the same visitor
        names[key] = HELD_FRAME_NAME.findall(first)
        assert len(names[key]) == 1 and names[key][0][1] == "0", (key, names[key])
        assert attrs(first).get("data-consent-name") == "", first
    assert len({n[0][0] for n in names.values()}) == 3, names
    live = get(server, "/pages/clinic.html", cookies["accept_all"]).body.decode()
    assert not HELD_FRAME_NAME.search(live)
    frame = re.search(r"<iframe[^>]*youtube\.com/embed[^>]*>", live).group(0)
    assert "name" not in attrs(frame) and "data-consent-name" not in attrs(frame), frame


# --- other ways a page arrives ---------------------------------------------------------------

HELD_FRAME_NAME = re.compile(r' name="mc-([0-9a-f]{12})-(\d+)"')


def without_page_in_frame_names(tags):
    """TAGS with the page's part of held frames' names left out: it comes
    from the page's URL (and the visitor's consent), the number after it
    from the frame's place."""
    return {k: HELD_FRAME_NAME.sub(r' name="mc-PAGE-\2"', v) for k, v in tags.items()}


def test_cgi_streaming_in_small_pieces_gives_the_same_page(server, cookies):
    for key in ("none", "statistics"):
        static = Page(get(server, "/pages/clinic.html", cookies[key]).body)
        streamed = Page(get(server, "/cgi-bin/page.py?path=/pages/clinic.html&pieces=97",
                            cookies[key]).body)
        assert without_page_in_frame_names(streamed.tags) == without_page_in_frame_names(static.tags)
        assert streamed.rest == static.rest == ORIGINAL_REST
        # another URL, another name: no two pages of a site name a held frame alike
        names = [HELD_FRAME_NAME.findall(" ".join(p.tags.values())) for p in (static, streamed)]
        assert len(names[0]) == len(names[1]) == 1, names
        assert names[0][0][0] != names[1][0][0], names


def timed_get(server, path):
    """(seconds to the first body bytes, seconds to the end, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        start = time.monotonic()
        conn.request("GET", path)
        resp = conn.getresponse()
        first, body = None, b""
        while True:
            piece = resp.read1(65536)
            if not piece:
                break
            if first is None:
                first = time.monotonic() - start
            body += piece
        return first, time.monotonic() - start, body
    finally:
        conn.close()


def test_a_slow_page_streams_through_as_it_is_made(server):
    first, total, body = timed_get(server, "/cgi-bin/page.py?path=/pages/clinic.html"
                                           "&pieces=20&pause=0.05")
    assert total >= 0.9  # 19 pauses of 50 ms
    assert first < total / 2, (first, total)
    assert Page(body).rest == ORIGINAL_REST


def test_proxied_gzip_page_is_inflated_and_rewritten(server, cookies):
    for key, granted in (("none", set()), ("statistics", {STATS})):
        resp = get(server, "/proxy/cookies?page=clinic.html&gzip=1", cookies[key])
        assert resp.header("Content-Encoding") is None, resp.headers
        assert not resp.body.startswith(b"\x1f\x8b")
        assert_page(Page(resp.body), granted)


def test_proxied_gzip_page_in_pieces_is_rewritten(server):
    resp = get(server, "/proxy/cookies?page=clinic.html&gzip=1&pieces=50&pause=0.01")
    assert resp.header("Content-Encoding") is None
    assert_page(Page(resp.body), set())


def test_proxied_gzip_page_is_compressed_again_for_a_gzip_client(server):
    resp = get(server, "/proxy/cookies?page=clinic.html&gzip=1",
               headers={"Accept-Encoding": "gzip"})
    assert resp.header("Content-Encoding") == "gzip"
    assert_page(Page(gzip.decompress(resp.body)), set())


def test_deflate_compresses_the_rewritten_page(server, cookies):
    resp = get(server, "/gz/clinic.html", cookies["statistics"],
               headers={"Accept-Encoding": "gzip"})
    assert resp.header("Content-Encoding") == "gzip"
    assert_page(Page(gzip.decompress(resp.body)), {STATS})
    vary = ",".join(resp.header_all("Vary")).lower()
    assert "accept-encoding" in vary and "cookie" in vary


def test_proxied_gzip_page_in_several_members_is_rewritten_whole(server):
    resp = get(server, "/proxy/cookies?page=clinic.html&gzip=1&members=3&pieces=7")
    assert resp.header("Content-Encoding") is None
    assert_page(Page(resp.body), set())


def test_bytes_after_the_gzip_body_are_ignored(server_factory):
    srv = server_factory("filtertail", loglevel="warn consent:debug")
    resp = srv.get("/proxy/cookies?page=clinic.html&gzip=1&pieces=3&tail="
                   + quote('<script src="https://www.googletagmanager.com/gtag/js"></script>'))
    assert resp.status == 200
    assert_page(Page(resp.body), set())  # the page and nothing after it
    assert len([line for line in filter_log_lines(srv) if "MC00055" in line]) == 1


def test_a_gzip_page_cut_short_passes_on_what_it_held(server_factory):
    srv = server_factory("filtercut", loglevel="warn consent:info")
    resp = srv.get("/proxy/cookies?page=clinic.html&gzip=1&cut=0.7")
    assert resp.status == 200
    assert resp.body.startswith(b"<!DOCTYPE html>") and b"</html>" not in resp.body
    assert live_trackers(resp.body) == []
    assert len([line for line in filter_log_lines(srv) if "MC00056" in line]) == 1


def test_other_content_encodings_pass_unchanged_but_sandboxed(server, cookies):
    # test_unreadable.py has the rest: the policy the browser holds the page under
    resp = get(server, "/proxy/cookies?type=html&header=Content-Encoding:%20br")
    assert resp.header("Content-Encoding") == "br"
    assert resp.body == (b"<!DOCTYPE html><html><head><title>t</title></head><body><p>hello</p>"
                         b"</body></html>\n")
    assert any(p.startswith("sandbox") for p in resp.header_all("Content-Security-Policy"))


# --- a page that cannot be rewritten to its end --------------------------------------------

def live_trackers(body):
    """URLs of tracker elements in BODY that a browser would load."""
    return [anchor for anchor, _, url_attr in TRACKERS
            if url_attr and re.search(r'\s%s="%s"' % (url_attr, re.escape(anchor)), body.decode())]


def test_a_page_that_cannot_be_decoded_gets_an_error_page(server_factory):
    srv = server_factory("filterbroken")
    resp = srv.get("/proxy/cookies?page=clinic.html&gzip=1&corrupt=0")
    assert resp.status == 500
    assert b"418203954712236" not in resp.body
    assert len([line for line in filter_log_lines(srv) if "MC00050" in line]) == 1


def test_a_page_that_breaks_midway_is_cut_short(server_factory):
    srv = server_factory("filterbroken")
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        conn.request("GET", "/proxy/cookies?page=clinic.html&gzip=1&corrupt=0.6&pieces=20"
                            "&pause=0.05")
        resp = conn.getresponse()
        assert resp.status == 200  # the headers had left before the damage came
        with pytest.raises(http.client.IncompleteRead) as cut:
            resp.read()
    finally:
        conn.close()
    assert b"<html" in cut.value.partial and b"</html>" not in cut.value.partial
    assert live_trackers(cut.value.partial) == []
    assert len([line for line in filter_log_lines(srv) if "MC00050" in line]) == 1


# --- headers ------------------------------------------------------------------------------

def tokens(resp, name):
    return [t.strip().lower() for v in resp.header_all(name) for t in v.split(",") if t.strip()]


def test_rewritten_page_headers(server):
    size = len(CLINIC)
    resp = get(server, "/pages/clinic.html")
    assert resp.header("Content-Length") in (None, str(len(resp.body)))
    assert resp.header("Content-Length") != str(size)
    assert resp.header("ETag").startswith('W/"')
    assert tokens(resp, "Vary").count("cookie") == 1
    assert "private" in tokens(resp, "Cache-Control")
    assert resp.header("Last-Modified") is None
    assert resp.header("Content-MD5") is None


def test_etag_differs_per_consent_state_and_never_confirms_another(server, cookies):
    etags = {key: get(server, "/pages/clinic.html", c).header("ETag") for key, c in cookies.items()}
    assert len(set(etags.values())) == len(etags), etags
    again = get(server, "/pages/clinic.html", cookies["none"])
    assert again.header("ETag") == etags["none"]
    # a copy made before the decision is not confirmed with 304 afterwards
    resp = get(server, "/pages/clinic.html", cookies["accept_all"],
               headers={"If-None-Match": etags["none"]})
    assert b"googletagmanager" in resp.body


def test_not_modified_says_what_the_page_would(server, cookies):
    page = get(server, "/pages/clinic.html", cookies["statistics"])
    resp = server.get("/pages/clinic.html", headers={
        "Cookie": cookies["statistics"], "If-Modified-Since": formatdate(usegmt=True)})
    assert resp.status == 304
    for name in ("ETag", "Vary", "Cache-Control", "Last-Modified"):
        assert resp.header(name) == page.header(name), name


def test_a_large_page_is_sent_without_content_length(server):
    resp = get(server, "/cgi-bin/page.py?big=2")
    assert resp.header("Content-Length") is None
    assert resp.body.count(b'data-consent="marketing"') == big_blocks(2)
    assert resp.body.count(b"facebook.com/tr") == big_blocks(2)


@pytest.mark.parametrize("existing, expect", [
    ("no-store", ["no-store"]),
    ("private, max-age=60", ["private", "max-age=60"]),
    ("max-age=600", ["max-age=600", "private"]),
    ("public, max-age=60", ["max-age=60", "private"]),
])
def test_cache_control_is_made_private(server, existing, expect):
    resp = get(server, "/proxy/cookies?type=html&header=" + quote("Cache-Control: " + existing))
    assert sorted(tokens(resp, "Cache-Control")) == sorted(expect)


@pytest.mark.parametrize("existing", ["Cookie", "Accept-Language, cookie", "Accept-Language"])
def test_vary_cookie_is_merged_not_duplicated(server, existing):
    resp = get(server, "/proxy/cookies?type=html&header=" + quote("Vary: " + existing))
    assert tokens(resp, "Vary").count("cookie") == 1
    for token in existing.lower().split(", "):
        assert token in tokens(resp, "Vary")


@pytest.mark.parametrize("accept", [None, "gzip"])
@pytest.mark.parametrize("path", ["/pages/clinic.html", "/gz/clinic.html",
                                  "/cgi-bin/page.py?path=/pages/clinic.html&pieces=9"])
def test_head_has_the_headers_of_get_and_no_body(server, path, accept):
    h = {"Accept-Encoding": accept} if accept else {}
    got = get(server, path, headers=h)
    head = get(server, path, headers=h, method="HEAD")
    assert head.body == b""
    assert head.header("Content-Length") != str(len(CLINIC))
    names = ["ETag", "Vary", "Cache-Control", "Content-Type", "Content-Encoding",
             "Last-Modified"]
    # A rewritten page gets a Content-Length only when all of it reached the
    # filter in one go: for a CGI writing in pieces that depends on timing,
    # for GET and HEAD alike, so only the static pages compare it.
    if "pieces=" not in path:
        names.append("Content-Length")
    for name in names:
        assert head.header(name) == got.header(name), name


def test_head_of_a_proxied_gzip_page_says_it_is_not_encoded(server):
    # the backend sends no body on HEAD, so only the headers we own compare
    got = get(server, "/proxy/cookies?page=clinic.html&gzip=1")
    head = get(server, "/proxy/cookies?page=clinic.html&gzip=1", method="HEAD")
    assert head.body == b"" and head.header("Content-Length") is None
    assert head.header("Content-Encoding") is got.header("Content-Encoding") is None
    for name in ("Cache-Control", "Content-Type"):
        assert head.header(name) == got.header(name), name
    assert "cookie" in tokens(head, "Vary")


@pytest.mark.parametrize("path, ctype", [("/pages/plain.txt", "text/plain"),
                                         ("/pages/data.json", "application/json"),
                                         ("/pages/pixel.png", "image/png")])
def test_other_types_are_untouched(server, path, ctype):
    original = (server.docroot / path.lstrip("/")).read_bytes()
    resp = get(server, path)
    assert resp.header("Content-Type").startswith(ctype)
    assert resp.body == original
    assert resp.header("Content-Length") == str(len(original))
    assert resp.header("ETag") and not resp.header("ETag").startswith("W/")
    assert resp.header("Last-Modified")
    assert "cookie" not in tokens(resp, "Vary")


def test_the_endpoints_own_answers_are_untouched(server):
    resp = get(server, "/_consent/state")
    assert resp.json()["decided"] is False
    assert "cookie" not in tokens(resp, "Vary")


# --- languages -------------------------------------------------------------------------------

def banner_lang(body):
    inserted = body.decode()
    return attrs(banner_tag(inserted, "mc-banner")).get("lang")


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_banner_language_follows_the_page(server, lang):
    body = get(server, "/pages/lang-%s.html" % lang,
               headers={"Accept-Language": "en;q=0.1, nb;q=0.2"}).body
    assert banner_lang(body) == lang
    assert LOCALES[lang]["accept_all"] in body.decode()


@pytest.mark.parametrize("accept, lang", [("nn", "nn"), ("en-GB,en;q=0.8", "en"),
                                          ("nb-NO,nb;q=0.9", "nb"), ("de", "nb")])
def test_banner_language_follows_accept_language_without_html_lang(server, accept, lang):
    body = get(server, "/pages/nolang.html", headers={"Accept-Language": accept}).body
    assert banner_lang(body) == lang
    assert LOCALES[lang]["accept_all"] in body.decode()


# --- logging -----------------------------------------------------------------------------------

def filter_log_lines(srv):
    return [line for line in srv.error_log().splitlines()
            if re.search(r"MC000(5\d|6\d)", line)]


def test_silent_at_warn_when_all_is_well(server, cookies):
    get(server, "/pages/clinic.html", cookies["statistics"])
    assert filter_log_lines(server) == []


def test_debug_logs_one_line_per_page_with_counts(server_factory):
    srv = server_factory("filterdebug", files={"pages/clinic.html": CLINIC.decode()},
                         loglevel="warn consent:debug")
    get(srv, "/pages/clinic.html")
    get(srv, "/plain.txt")
    lines = [line for line in filter_log_lines(srv) if "MC00057" in line]
    assert [line for line in lines if "/plain.txt" in line] == []
    page_lines = [line for line in lines if "/pages/clinic.html" in line]
    assert len(page_lines) == 1, lines
    assert "9 neutralised, 0 restored" in page_lines[0]


# --- memory ------------------------------------------------------------------------------------

def children(srv):
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == srv.proc.pid:
            out.append(int(stat.parent.name))
    return out


def anon_kib(pid):
    try:
        for line in Path("/proc/%d/status" % pid).read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def streamed_size(server, path):
    """(response, body size, neutralised elements) of PATH, its body read and
    dropped as it comes."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        size, marked = 0, 0
        tail = b""
        while True:
            piece = resp.read(65536)
            if not piece:
                break
            size += len(piece)
            marked += (tail + piece).count(b'data-consent="marketing"') - tail.count(
                b'data-consent="marketing"')
            tail = piece[-40:]
        return resp, size, marked
    finally:
        conn.close()


def write_big_page(path, megabytes):
    """The page page.py?big=MB makes, as a static file."""
    with open(path, "wb") as f:
        f.write(b'<!DOCTYPE html>\n<html lang="en">\n<head><title>big</title></head>\n<body>\n')
        for _ in range(big_blocks(megabytes)):
            f.write(BIG_BLOCK)
        f.write(b"</body>\n</html>\n")
    path.chmod(0o644)


@pytest.mark.parametrize("source", ["cgi", "file"])
def test_a_50_mb_page_streams_through_in_bounded_memory(server, source):
    if source == "file":
        write_big_page(server.docroot / "pages" / "big.html", 50)
        path = "/pages/big.html"
    else:
        path = "/cgi-bin/page.py?big=50"
    for _ in range(4):  # every child has served a page before it is measured
        get(server, "/cgi-bin/page.py?big=1")
    pids = children(server)
    before = {pid: anon_kib(pid) for pid in pids}
    peak = dict(before)
    done = threading.Event()

    def watch():
        while not done.is_set():
            for pid in pids:
                peak[pid] = max(peak[pid], anon_kib(pid))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        resp, size, marked = streamed_size(server, path)
    finally:
        done.set()
        watcher.join()
    assert resp.status == 200
    assert resp.getheader("Content-Length") is None
    assert size > 50 * 1024 * 1024
    assert marked == big_blocks(50)
    growth = max(peak[pid] - before[pid] for pid in pids)
    assert growth < 8 * 1024, "a child grew by %d KiB for a 50 MB page" % growth


# --- frames: the banner is not clicked through another site's frame --------------

FRAMES_VHOST = """
<Location /own-xfo/>
    Header set X-Frame-Options DENY
</Location>
<Location /own-csp/>
    Header set Content-Security-Policy "frame-ancestors https://partner.example"
</Location>
"""


def test_rewritten_pages_may_be_framed_by_the_site_only_unless_it_says_otherwise(server_factory):
    page = CLINIC.decode("utf-8")
    srv = server_factory("frames", vhost_conf=FRAMES_VHOST,
                         files={"p/index.html": page, "own-xfo/index.html": page,
                                "own-csp/index.html": page, "plain.txt": "x\n"})
    assert srv.get("/p/").header("X-Frame-Options") == "SAMEORIGIN"
    # the site's own frame policy stands, whatever it says
    assert srv.get("/own-xfo/").header_all("X-Frame-Options") == ["DENY"]
    own = srv.get("/own-csp/")
    assert own.header("X-Frame-Options") is None
    assert own.header("Content-Security-Policy") == "frame-ancestors https://partner.example"
    # what the module does not rewrite is not its business
    assert srv.get("/plain.txt").header("X-Frame-Options") is None


# --- XHTML: what the module adds must keep an XML page well-formed --------------

XHTML = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><title>Klinikk</title>
<script src="https://www.googletagmanager.com/gtag/js?id=G-7XKQ2V9ZPL"></script>
</head><body><p>Velkommen</p>
<iframe src="https://www.youtube.com/embed/4BOTvaRaDjI?rel=0&amp;start=1" width="560" height="315"></iframe>
<img src="https://www.facebook.com/tr?id=1&amp;ev=PageView" alt="" />
</body></html>
"""


def test_an_xhtml_page_stays_well_formed_xml_for_every_visitor(server_factory):
    import xml.etree.ElementTree as ET
    srv = server_factory("xhtml", files={"x/page.xhtml": XHTML})
    ns = "{http://www.w3.org/1999/xhtml}"
    for who in ("none", "accept_all", "reject_all"):
        h = {} if who == "none" else {"Cookie": consented(srv, who)}
        resp = srv.get("/x/page.xhtml", headers=h)
        assert resp.status == 200
        assert resp.header("Content-Type").startswith("application/xhtml+xml")
        # a browser's XML parser stops at the first error and shows it instead
        # of the page: Python's is as strict
        root = ET.fromstring(resp.body)
        forms = [f for f in root.iter(ns + "form") if f.get("action", "").endswith("/decision")]
        assert forms, (who, resp.text()[:600])
        scripts = [s.get("src") for s in root.iter(ns + "script") if s.get("src")]
        assert any("/_consent/consent.js" in s for s in scripts), scripts
        live = [s for s in scripts if "googletagmanager" in s]
        assert bool(live) == (who == "accept_all"), (who, scripts)
