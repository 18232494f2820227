"""The page cache (ConsentPageCache): a static page is rewritten once per
variant and then served as kept. What a visitor receives must never change
because of it: a server with the cache and one without serve the same bytes
for every visitor, each visitor gets the variant made for their own choice,
and a changed file, a changed configuration or changed rules are rewritten
anew. Its counters are read from mod_status (/server-status?auto)."""
import re
import socket
import time

import pytest

from harness import DATA, MODULE_DIR, ApacheServer, consented

CLINIC = (DATA / "html" / "clinic.html").read_text("utf-8")
TRACKER_PAGE = ('<!DOCTYPE html>\n<html lang="en"><head><title>t</title>\n'
                '<script src="https://stats.example.org/t.js"></script>\n'
                '</head><body><p>%s</p></body></html>\n')
STATUS = """
LoadModule status_module %s/mod_status.so
<Location /server-status>
    SetHandler server-status
    Require ip 127.0.0.1
</Location>
""" % MODULE_DIR
FILES = {"pages/clinic.html": CLINIC,
         "pages/tracker.html": TRACKER_PAGE % "first",
         "pages/big.html": CLINIC + "<!-- %s -->\n" % ("x" * 40000)}
SECRET = b"c2VjcmV0IHNoYXJlZCBieSB0aGUgdHdvIHNlcnZlcnMgb2YgdGhpcyB0ZXN0IQ==\n"


def counters(server):
    resp = server.get("/server-status?auto")
    assert resp.status == 200, resp
    found = dict(re.findall(r"^ConsentPageCache(\w+): (\d+)$", resp.text(), re.M))
    return {k: int(v) for k, v in found.items()}


@pytest.fixture(scope="module")
def pair(module_server_factory):
    """The same site twice, with the same secret: cached (the default) and not.
    One child process: each child has a cache of its own, and the counts
    below expect every request to meet the same one."""
    cached = module_server_factory("cached", global_conf=STATUS, files=FILES, secret=SECRET,
                                   start_servers=1, server_limit=1)
    plain = module_server_factory("uncached", global_conf=STATUS, files=FILES, secret=SECRET,
                                  consent={"ConsentPageCache": "Off"})
    return cached, plain


def visitors(server):
    """name -> request headers: the visitors whose variants differ."""
    youtube = server.post("/_consent/decision",
                          '{"method":"custom","granted":[],"services":["youtube"]}')
    assert youtube.status == 200, youtube
    return {
        "no choice": {},
        "no choice, English": {"Accept-Language": "en"},
        "no choice, GPC": {"Sec-GPC": "1"},
        "accepted all": {"Cookie": consented(server, "accept_all")},
        "accepted all, GPC": {"Cookie": consented(server, "accept_all"), "Sec-GPC": "1"},
        "rejected all": {"Cookie": consented(server, "reject_all")},
        "statistics only": {"Cookie": consented(server, "custom", ["statistics"])},
        "YouTube only": {"Cookie": "consent=" + youtube.setting("consent")[-1].value},
    }


def same_port(text, server):
    return text.replace(str(server.port), "PORT")


def test_with_and_without_the_cache_every_visitor_gets_the_same_bytes(pair):
    cached, plain = pair
    people = visitors(cached)
    paths = ["/pages/clinic.html", "/pages/clinic.html?from=newsletter", "/pages/tracker.html"]
    # A page seen for the first time adds its services to the tables the
    # banner lists, so the first banner differs from later ones on both
    # servers alike: two rounds first, so that the tables settle.
    for srv in (cached, plain, cached, plain):
        for headers in people.values():
            for path in paths:
                assert srv.get(path, headers=headers).status == 200
    before = counters(cached)
    for name, headers in people.items():
        for path in paths:
            want = same_port(plain.get(path, headers=headers).text(), plain)
            for attempt in ("first", "again"):
                resp = cached.get(path, headers=headers)
                assert resp.status == 200
                assert same_port(resp.text(), cached) == want, (name, path, attempt)
    after = counters(cached)
    n = len(people) * len(paths)
    assert after["Hits"] - before["Hits"] == 2 * n, (before, after)
    assert after["Stores"] == before["Stores"]
    assert counters(plain) == {}, "the cache is off: no counters"


def test_two_visitors_taking_turns_each_get_their_own_variant(pair):
    cached, _ = pair
    everyone = visitors(cached)
    none, accepted = everyone["no choice"], everyone["accepted all"]
    gtag = ' src="https://www.googletagmanager.com/gtag/js'
    for _ in range(3):
        refused = cached.get("/pages/clinic.html", headers=none).text()
        granted = cached.get("/pages/clinic.html", headers=accepted).text()
        assert gtag not in refused and 'data-consent="statistics"' in refused
        assert gtag in granted


def test_a_changed_file_is_rewritten_anew(pair):
    cached, _ = pair
    path = cached.docroot / "pages" / "tracker.html"
    first = cached.get("/pages/tracker.html").text()
    assert "<p>first</p>" in first
    # the same size, within the same second: only the file's times differ
    path.write_text(TRACKER_PAGE % "again")
    assert "<p>again</p>" in cached.get("/pages/tracker.html").text()
    path.write_text(TRACKER_PAGE % "first")
    assert cached.get("/pages/tracker.html").text() == first


def test_new_rules_after_a_graceful_restart_are_applied(server_factory):
    srv = server_factory("rules", global_conf=STATUS, files=FILES, start_servers=1,
                         server_limit=1)
    page = srv.get("/pages/tracker.html").text()
    assert ' src="https://stats.example.org/t.js"' in page, "unclassified: left as it is"
    assert srv.get("/pages/tracker.html").text() == page
    srv.reconfigure(vhost_conf="ConsentScriptRule statistics stats.example.org")
    srv.graceful()
    page = srv.get("/pages/tracker.html").text()
    assert ' src="https://stats.example.org/t.js"' not in page
    assert 'data-consent="statistics"' in page


def test_a_page_larger_than_an_entry_is_rewritten_every_time_and_counted(server_factory):
    # 64K of cache: entries up to 8K; the clinic page is larger
    srv = server_factory("small", global_conf=STATUS, files=FILES, start_servers=1,
                         server_limit=1, consent={"ConsentPageCache": "64K"})
    before = counters(srv)
    assert before["Limit"] == 65536
    for _ in range(3):
        page = srv.get("/pages/big.html").text()
        assert 'data-consent="statistics"' in page
    after = counters(srv)
    assert after["Hits"] == before["Hits"]
    assert after["Refused"] - before["Refused"] == 3
    assert after["Bytes"] <= 65536


def test_many_urls_push_old_pages_out_and_the_bound_holds(server_factory):
    # 64K: entries up to 8K, so the small tracker page fits some eight times
    srv = server_factory("churn", global_conf=STATUS, files=FILES, start_servers=1,
                         server_limit=1, consent={"ConsentPageCache": "64K"})
    for i in range(60):
        path = "/pages/tracker.html?v=%d" % i
        for _ in range(2):
            page = srv.get(path).text()
            assert "<p>first</p>" in page and "/_consent/consent.js" in page
            # the banner's forms return to this very URL, never another's
            assert 'value="%s"' % path in page, path
    after = counters(srv)
    assert after["Bytes"] <= after["Limit"] == 65536
    assert after["Evictions"] > 0
    assert after["Hits"] >= 60


def test_head_and_get_of_a_kept_page_say_the_same(pair):
    cached, _ = pair
    get1 = cached.get("/pages/clinic.html")
    get2 = cached.get("/pages/clinic.html")
    head = cached.head("/pages/clinic.html")
    assert get1.body == get2.body and head.body == b""
    for name in ("Content-Type", "ETag", "Vary", "Cache-Control"):
        assert head.header(name) == get2.header(name) == get1.header(name), name
    if get2.header("Content-Length") is not None:
        assert int(get2.header("Content-Length")) == len(get2.body)


def test_pages_from_a_cgi_are_not_kept(pair):
    cached, _ = pair
    before = counters(cached)
    for _ in range(2):
        resp = cached.get("/cgi-bin/cookies.py?type=html")
        assert resp.status == 200
    after = counters(cached)
    assert (after["Hits"], after["Misses"], after["Stores"]) == \
        (before["Hits"], before["Misses"], before["Stores"])


def test_a_cgi_page_gets_the_banner_made_for_its_own_url_and_visitor(pair):
    # the banner is made once per variant and URL and kept (the forms in it
    # return to the page): pages from a backend get it as the rewriter
    # would make it, here and on the server without the cache
    cached, plain = pair
    people = visitors(cached)
    for name in ("no choice", "no choice, English", "accepted all", "statistics only"):
        for path in ("/cgi-bin/cookies.py?type=html", "/cgi-bin/cookies.py?type=html&p=2"):
            want = same_port(plain.get(path, headers=people[name]).text(), plain)
            for attempt in ("first", "again"):
                got = same_port(cached.get(path, headers=people[name]).text(), cached)
                assert got == want, (name, path, attempt)
                if name.startswith("no choice"):
                    # the banner's forms send the visitor back to this page
                    assert 'value="%s"' % path.replace("&", "&amp;") in got, (name, path)


def test_a_browser_revalidating_its_own_variant_gets_304_and_another_variant_never(pair):
    cached, _ = pair
    people = visitors(cached)
    first = cached.get("/pages/clinic.html", headers=people["statistics only"])
    etag = first.header("ETag")
    assert etag.startswith('W/"')
    again = cached.get("/pages/clinic.html",
                       headers=dict(people["statistics only"], **{"If-None-Match": etag}))
    assert again.status == 304 and again.body == b""
    assert again.header("ETag") == etag
    for name in ("no choice", "accepted all", "no choice, English"):
        resp = cached.get("/pages/clinic.html", headers=dict(people[name], **{"If-None-Match": etag}))
        assert resp.status == 200, name
        assert resp.header("ETag") != etag, name


def test_the_size_is_set_for_the_whole_server_only():
    srv = ApacheServer("vhostcache", vhost_conf="ConsentPageCache 1M")
    try:
        rc, output = srv.config_test()
        assert rc != 0
        assert "ConsentPageCache" in output
    finally:
        srv.stop()


def test_a_page_pushed_out_while_a_slow_visitor_reads_it_arrives_whole(server_factory):
    """A kept page is sent from the cache itself, not a copy: one pushed out
    (or replaced) while a slow client is still reading it must stay whole
    until that response is done."""

    # 4M of cache: entries up to 512K; each of these pages is some 330K,
    # so a dozen fit and the forty fetched below push the first one out
    filler = "".join("<p>line %06d of the slow page</p>\n" % i for i in range(9000))
    files = {"pages/huge.html": CLINIC.replace("</body>", filler + "</body>")}
    # a small send buffer: the kernel cannot take the page off Apache's hands
    srv = server_factory("slow", global_conf=STATUS + "SendBufferSize 4096\n", files=files,
                         start_servers=1, server_limit=1, consent={"ConsentPageCache": "4M"})
    request = b"GET /pages/huge.html?v=0 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"  # no chunks

    def connect(rcvbuf=None):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(30)
        sock.connect(("127.0.0.1", srv.port))
        sock.sendall(request)
        return sock

    def read_all(sock, received=b""):
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                sock.close()
                head, _, body = received.partition(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 200"), head
                return body
            received += chunk

    read_all(connect())  # the services it names are now seen in use: the banner lists them
    first = read_all(connect())  # rewritten and kept
    assert len(first) > 300000 and b"line 008999 of the slow page" in first
    slow = connect(rcvbuf=4096)
    received = slow.recv(2048)  # the kept page is being sent
    before = counters(srv)
    assert before["Hits"] >= 1, before
    for i in range(1, 41):
        page = srv.get("/pages/huge.html?v=%d" % i)
        assert page.status == 200, page
    after = counters(srv)
    assert after["Evictions"] - before["Evictions"] >= 20, (before, after)
    time.sleep(0.2)
    assert read_all(slow, received) == first
    assert read_all(connect()) == first
