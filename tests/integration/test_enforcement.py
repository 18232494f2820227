"""Set-Cookie filtering: what a visitor's browser receives on every kind of response.

Each response path below emits the same four cookies: PHPSESSID (necessary),
_ga (statistics), _fbp (marketing) and mystery_cookie (unclassified). The
presence of PHPSESSID proves the path really emits cookies, so the absence of
a tracker is the module's doing.
"""
import concurrent.futures
import re
import urllib.parse

import pytest

from harness import KeepAlive, consented, tamper

NAMES = "PHPSESSID,_ga,_fbp,mystery_cookie"


def cookie_block(always):
    word = "always add" if always else "add"
    return "\n".join('    Header %s Set-Cookie "%s; Path=/"' % (word, c)
                     for c in ("PHPSESSID=s1", "_ga=GA1.1.1", "_fbp=fb.1.2", "mystery_cookie=m1"))


VHOST = """
<Location /static/set.txt>
    Header set Set-Cookie "PHPSESSID=s1; Path=/"
    Header add Set-Cookie "_ga=GA1.1.1; Path=/"
    Header add Set-Cookie "_fbp=fb.1.2; Path=/"
    Header add Set-Cookie "mystery_cookie=m1; Path=/"
</Location>
<Location /static/always.txt>
%(always)s
</Location>
Redirect 302 /old /new
<Location /old>
%(always)s
</Location>
<Location /gone/>
%(always)s
</Location>
<Location /errdoc/>
    ErrorDocument 404 "/cgi-bin/cookies.py?set=%(names)s"
</Location>
RewriteEngine On
RewriteRule ^/rw$ /plain.txt [R=302,L,%(co_flags)s]
""" % {"always": cookie_block(True), "names": NAMES,
       # mod_rewrite's cookie flag: CO=name:value:domain:lifetime:path
       "co_flags": ",".join("CO=%s:v1:127.0.0.1:0:/" % n for n in NAMES.split(","))}

FILES = {"static/set.txt": "set\n", "static/always.txt": "always\n"}

# name: (method, path, expected status)
PATHS = {
    "static-header-set": ("GET", "/static/set.txt", 200),
    "static-header-always": ("GET", "/static/always.txt", 200),
    "head": ("HEAD", "/static/set.txt", 200),
    "redirect": ("GET", "/old", 302),
    "not-found-header-always": ("GET", "/gone/missing.txt", 404),
    "error-document-cgi": ("GET", "/errdoc/missing.txt", 404),
    "cgi": ("GET", "/cgi-bin/cookies.py?set=" + NAMES, 200),
    "cgi-redirect": ("GET", "/cgi-bin/cookies.py?status=302&location=/x&set=" + NAMES, 302),
    "cgi-head": ("HEAD", "/cgi-bin/cookies.py?set=" + NAMES, 200),
    "fastcgi": ("GET", "/fcgi/cookies?set=" + NAMES, 200),
    "fastcgi-redirect": ("GET", "/fcgi/cookies?status=302&location=/x&set=" + NAMES, 302),
    "proxy": ("GET", "/proxy/cookies?set=" + NAMES, 200),
    "proxy-redirect": ("GET", "/proxy/cookies?status=302&location=/x&set=" + NAMES, 302),
    "proxy-head": ("HEAD", "/proxy/cookies?set=" + NAMES, 200),
    "proxy-html": ("GET", "/proxy/cookies?type=html&set=" + NAMES, 200),
    "proxy-gzip": ("GET", "/proxy/cookies?gzip=1&set=" + NAMES, 200),
    "cgi-no-content": ("GET", "/cgi-bin/cookies.py?status=204&set=" + NAMES, 204),
    "rewrite-cookie-flag": ("GET", "/rw", 302),
    "cgi-streaming": ("GET", "/cgi-bin/cookies.py?stream=2&set=" + NAMES, 200),
    "fastcgi-streaming": ("GET", "/fcgi/cookies?stream=2&set=" + NAMES, 200),
    "proxy-streaming": ("GET", "/proxy/cookies?stream=2&set=" + NAMES, 200),
}

# consent: (decision method, granted) -> cookies that must arrive / must not
CONSENTS = {
    "no-consent": (None, None, {"PHPSESSID", "mystery_cookie"}, {"_ga", "_fbp"}),
    "accept-all": ("accept_all", None, {"PHPSESSID", "mystery_cookie", "_ga", "_fbp"}, set()),
    "reject-all": ("reject_all", None, {"PHPSESSID", "mystery_cookie"}, {"_ga", "_fbp"}),
    "statistics-only": ("custom", ["statistics"], {"PHPSESSID", "mystery_cookie", "_ga"}, {"_fbp"}),
    "marketing-only": ("custom", ["marketing"], {"PHPSESSID", "mystery_cookie", "_fbp"}, {"_ga"}),
}


@pytest.fixture(scope="module")
def server(module_server_factory):
    return module_server_factory("enforce", vhost_conf=VHOST, files=FILES,
                                 loglevel="warn consent:notice")


@pytest.fixture(scope="module")
def cookies(server):
    """The Cookie header for each consent state, decided once per module."""
    out = {}
    for key, (method, granted, _, _) in CONSENTS.items():
        out[key] = consented(server, method, granted) if method else None
    return out


@pytest.mark.parametrize("consent", list(CONSENTS))
@pytest.mark.parametrize("path", list(PATHS))
def test_only_granted_cookies_reach_the_browser(server, cookies, path, consent):
    method, url, status = PATHS[path]
    _, _, allowed, refused = CONSENTS[consent]
    headers = {"Cookie": cookies[consent]} if cookies[consent] else {}
    resp = server.request(method, url, headers=headers)
    assert resp.status == status, resp
    names = resp.all_cookie_names
    missing = allowed - resp.set_names
    assert not missing, "granted cookies %s were removed: %r" % (missing, resp)
    leaked = refused & names
    assert not leaked, "cookies %s of non-granted categories reached the browser: %r" % (leaked,
                                                                                         resp)


def test_not_modified_response_is_filtered_too(server, cookies):
    first = server.get("/static/always.txt")
    etag, modified = first.header("ETag"), first.header("Last-Modified")
    assert etag and modified
    for cond in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
        resp = server.get("/static/always.txt", headers=cond)
        assert resp.status == 304, resp
        assert "PHPSESSID" in resp.set_names, resp
        assert not {"_ga", "_fbp"} & resp.all_cookie_names, resp
        consenting = server.get("/static/always.txt",
                                headers={**cond, "Cookie": cookies["accept-all"]})
        assert consenting.status == 304
        assert {"_ga", "_fbp", "PHPSESSID"} <= consenting.set_names, consenting


def test_folded_set_cookie_line_keeps_necessary_and_drops_trackers(server, cookies):
    resp = server.get("/proxy/cookies?folded=1")
    assert resp.status == 200
    kept = resp.setting("PHPSESSID")
    assert kept and kept[0].value == "folded1", resp
    assert not {"_ga", "_fbp"} & resp.all_cookie_names, resp

    consenting = server.get("/proxy/cookies?folded=1", headers={"Cookie": cookies["accept-all"]})
    assert {"PHPSESSID", "_ga", "_fbp"} <= consenting.set_names, consenting
    # The Expires dates survive intact (their commas are not cookie separators).
    ga = consenting.setting("_ga")[0]
    assert isinstance(ga.attr("expires"), str) and ga.attr("expires").endswith("GMT"), ga


@pytest.mark.parametrize("backend", ["/cgi-bin/cookies.py", "/fcgi/cookies", "/proxy/cookies"])
def test_deletions_of_trackers_always_pass(server, backend):
    resp = server.get(backend + "?del=_ga&expired=_fbp")
    assert resp.status == 200
    assert "_ga" in resp.deleted_names and "_fbp" in resp.deleted_names, resp
    assert not {"_ga", "_fbp"} & resp.set_names


CATALOGUE = {
    # cookie name: category in the shipped catalogue
    "_ga": "statistics",
    "_ga_ABC123XYZ": "statistics",
    "_gid": "statistics",
    "_hjSessionUser_12345": "statistics",
    "_fbp": "marketing",
    "_fbc": "marketing",
    "_gcl_au": "marketing",
    "PHPSESSID": "necessary",
    "JSESSIONID": "necessary",
    "wordpress_logged_in_0123abcd": "necessary",
    "wp-settings-1": "preferences",
}


@pytest.mark.parametrize("consent", ["no-consent", "statistics-only", "marketing-only",
                                     "accept-all"])
def test_default_catalogue_classifies_common_cookies(server, cookies, consent):
    granted = {"no-consent": {"necessary"},
               "statistics-only": {"necessary", "statistics"},
               "marketing-only": {"necessary", "marketing"},
               "accept-all": {"necessary", "preferences", "statistics", "marketing"}}[consent]
    headers = {"Cookie": cookies[consent]} if cookies[consent] else {}
    resp = server.get("/cgi-bin/cookies.py?set=" + ",".join(CATALOGUE), headers=headers)
    assert resp.status == 200
    wrong = {name for name, cat in CATALOGUE.items()
             if (name in resp.set_names) != (cat in granted)}
    assert not wrong, "misclassified under %s: %s (got %s)" % (consent, sorted(wrong),
                                                               sorted(resp.set_names))


@pytest.mark.parametrize("label, value", [
    ("forged", "tampered"),
    ("malformed", "not-a-consent-token"),
    ("empty", ""),
    ("oversized", "1." + "A" * 5000),
])
def test_invalid_consent_cookie_means_no_consent(server, cookies, label, value):
    if value == "tampered":
        value = tamper(cookies["accept-all"].split("=", 1)[1])
    resp = server.get("/cgi-bin/cookies.py?set=" + NAMES, headers={"Cookie": "consent=" + value})
    assert resp.status == 200, resp
    assert "PHPSESSID" in resp.set_names
    assert not {"_ga", "_fbp"} & resp.set_names, resp


def test_unclassified_session_cookie_passes_and_is_reported_once(server):
    """A session cookie no rule classifies passes under the default
    (ConsentUnclassified hold); the admin is warned once for the whole
    process tree, not per request or process."""
    for _ in range(12):
        resp = server.get("/cgi-bin/cookies.py?set=PHPSESSID,unlisted_widget_pref")
        assert "unlisted_widget_pref" in resp.set_names, resp
    lines = [l for l in server.error_log().splitlines()
             if "unlisted_widget_pref" in l and "unclassified" in l.lower()]
    assert len(lines) == 1, "not one warning naming the unclassified cookie:\n" + \
        server.error_log()[-2000:]
    assert ":warn]" in lines[0] and "ConsentCookieRule CATEGORY unlisted_widget_pref" in lines[0]


def test_the_info_notice_says_whether_a_response_set_the_name_or_a_browser_sent_it(
        server_factory):
    srv = server_factory("notice", loglevel="warn consent:info")
    srv.get("/cgi-bin/cookies.py?set=widget_set_here")
    srv.get("/static.txt", headers={"Cookie": "widget_sent_back=1"})
    log = srv.error_log()
    assert re.search(r"MC00011: unclassified cookie 'widget_set_here' set by the response to "
                     r"/cgi-bin/cookies\.py,", log), log[-3000:]
    assert re.search(r"MC00011: unclassified cookie 'widget_sent_back' sent by the browser with "
                     r"a request for /static\.txt,", log), log[-3000:]


@pytest.fixture(scope="module")
def strict_server(module_server_factory):
    return module_server_factory("strict", consent={"ConsentUnclassified": "block"},
                                 vhost_conf=VHOST, files=FILES)


@pytest.mark.parametrize("path", ["static-header-set", "cgi", "fastcgi", "proxy"])
def test_unclassified_cookie_is_removed_when_blocked(strict_server, path):
    method, url, status = PATHS[path]
    resp = strict_server.request(method, url)
    assert resp.status == status
    assert "PHPSESSID" in resp.set_names, resp
    assert "mystery_cookie" not in resp.all_cookie_names, resp
    # even full consent does not grant a category nobody declared
    cookie = consented(strict_server, "accept_all")
    resp = strict_server.request(method, url, headers={"Cookie": cookie})
    assert {"_ga", "_fbp", "PHPSESSID"} <= resp.set_names, resp
    assert "mystery_cookie" not in resp.all_cookie_names, resp


def test_engine_off_by_default_lets_everything_through(server_factory):
    srv = server_factory("engine-default", consent={"ConsentEngine": None})
    resp = srv.get("/cgi-bin/cookies.py?set=" + NAMES)
    assert {"PHPSESSID", "_ga", "_fbp", "mystery_cookie"} <= resp.set_names, resp


def test_consent_is_read_per_request_not_per_connection(server, cookies):
    url = "/cgi-bin/cookies.py?set=PHPSESSID,_ga"
    with KeepAlive(server.port) as conn:
        first = conn.request("GET", url, headers={"Cookie": cookies["accept-all"]})
        second = conn.request("GET", url)
        third = conn.request("GET", url, headers={"Cookie": cookies["accept-all"]})
        assert len(conn.sockets) == 1, "requests did not share one connection"
    assert "_ga" in first.set_names, first
    assert "_ga" not in second.set_names, "consent leaked to the next request: %r" % second
    assert "_ga" in third.set_names, third


def test_parallel_page_requests_each_get_their_own_answer(server, cookies):
    keys = list(CONSENTS)
    url = "/cgi-bin/cookies.py?set=" + NAMES

    def one(i):
        key = keys[i % len(keys)]
        headers = {"Cookie": cookies[key]} if cookies[key] else {}
        path = url if i % 2 else "/static/set.txt"
        return key, server.get(path, headers=headers)

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, range(150)))
    for key, resp in results:
        _, _, allowed, refused = CONSENTS[key]
        assert allowed <= resp.set_names and not refused & resp.all_cookie_names, (key, resp)


# Ways a backend might format a tracker's Set-Cookie; none may get it through.
SLIPPERY = {
    "max-age-beats-past-expires": "_ga=x; Max-Age=100; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    "bad-max-age": "_ga=x; Max-Age=soon",
    "bad-expires": "_ga=x; Expires=never",
    "no-spaces": "_ga=x;Path=/;Max-Age=100",
    "quoted-value": '_fbp="fb.1.2"; Path=/',
    "space-before-equals": "_ga =x; Path=/",
    "lower-case-attributes": "_fbp=x; path=/; max-age=100; domain=klinikk.test",
    "secure-httponly": "_ga=x; Secure; HttpOnly; SameSite=None; Path=/",
    "glob-match": "_ga_ABCDEF=GS1.1; Path=/",
}


@pytest.mark.parametrize("case", list(SLIPPERY))
@pytest.mark.parametrize("backend", ["/cgi-bin/cookies.py", "/proxy/cookies"])
def test_tracker_cannot_slip_through_by_formatting(server, backend, case):
    raw = SLIPPERY[case]
    name = raw.split("=")[0].strip()
    resp = server.get(backend + "?set=PHPSESSID&raw=" + urllib.parse.quote(raw))
    assert "PHPSESSID" in resp.set_names, resp
    assert name not in resp.set_names, "%r got through: %r" % (raw, resp)


@pytest.mark.parametrize("raw", ["_ga=; Max-Age=0; Path=/", "_ga=x; max-age=-1",
                                 "_fbp=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/"])
def test_tracker_deletions_in_any_form_pass(server, raw):
    resp = server.get("/cgi-bin/cookies.py?raw=" + urllib.parse.quote(raw))
    assert raw.split("=")[0] in resp.deleted_names, resp


def test_lower_case_set_cookie_header_from_cgi_is_filtered(server):
    resp = server.get("/cgi-bin/cookies.py?set=PHPSESSID&header="
                      + urllib.parse.quote("set-cookie: _ga=GA1.1.1; Path=/"))
    assert "PHPSESSID" in resp.set_names
    assert "_ga" not in resp.all_cookie_names, resp


# --- header fields that make a browser fetch -----------------------------------

GA = "https://www.googletagmanager.com/gtag/js?id=G-TEST1"
LINKS = ("<%s>; rel=preload; as=script, </site.css>; rel=preload; as=style, "
         "<https://connect.facebook.net/en_US/fbevents.js>; rel=modulepreload" % GA)


def link_targets(resp):
    return [v for field in resp.header_all("Link") for v in field.split(",")]


@pytest.mark.parametrize("path", ["/cgi-bin/cookies.py?type=html&header=",
                                  "/proxy/cookies?type=html&header="])
def test_link_fields_to_refused_trackers_are_removed(server, path):
    resp = server.get(path + urllib.parse.quote("Link: " + LINKS))
    assert resp.status == 200
    targets = " ".join(link_targets(resp))
    assert "googletagmanager" not in targets and "facebook" not in targets, targets
    assert "</site.css>; rel=preload; as=style" in targets
    granted = server.get(path + urllib.parse.quote("Link: " + LINKS),
                         headers={"Cookie": consented(server, "accept_all")})
    assert "googletagmanager" in " ".join(link_targets(granted))
    stats = server.get(path + urllib.parse.quote("Link: " + LINKS),
                       headers={"Cookie": consented(server, "custom", ["statistics"])})
    targets = " ".join(link_targets(stats))
    assert "googletagmanager" in targets and "facebook" not in targets, targets


def cache_directives(resp):
    """Every directive of every Cache-Control field, by name."""
    return {d.strip().split("=")[0].lower() for field in resp.header_all("Cache-Control")
            for d in field.split(",") if d.strip()}


def vary(resp):
    return ", ".join(resp.header_all("Vary")).lower()


@pytest.mark.parametrize("path", ["/cgi-bin/cookies.py?header=", "/proxy/cookies?header="])
def test_a_response_whose_link_fields_depend_on_consent_is_the_visitors_own(server, path):
    """A Link or Refresh to a tracker makes any response (here a text one,
    which is not rewritten) differ by consent: no shared cache may hand the
    consenting visitor's preload to one who refused."""
    public = urllib.parse.quote("Cache-Control: public, max-age=60")
    for field in ("Link: " + LINKS, "Refresh: 0;url=https://www.facebook.com/tr?id=1"):
        url = path + urllib.parse.quote(field) + "&header=" + public
        for cookie in (None, consented(server, "accept_all")):
            resp = server.get(url, headers={"Cookie": cookie} if cookie else {})
            assert resp.status == 200
            assert "cookie" in vary(resp), (field, resp.headers)
            assert "private" in cache_directives(resp) and "public" not in cache_directives(resp)
            assert "max-age" in cache_directives(resp)
    # a first-party preload is the same for everyone: the site's caching stays
    own = server.get(path + urllib.parse.quote("Link: </site.css>; rel=preload; as=style")
                     + "&header=" + public)
    assert "cookie" not in vary(own), own.headers
    assert cache_directives(own) == {"public", "max-age"}


@pytest.mark.parametrize("value", ["0;url=https://www.facebook.com/tr?id=1",
                                   "0; URL='https://www.facebook.com/tr?id=1'",
                                   "1 https://www.facebook.com/tr?id=1"])
def test_a_refresh_to_a_refused_tracker_is_removed(server, value):
    path = "/cgi-bin/cookies.py?type=html&header=" + urllib.parse.quote("Refresh: " + value)
    assert server.get(path).header("Refresh") is None
    granted = server.get(path, headers={"Cookie": consented(server, "accept_all")})
    assert granted.header("Refresh") == value.strip()


def test_a_refresh_within_the_site_stays(server):
    path = "/cgi-bin/cookies.py?type=html&header=" + urllib.parse.quote("Refresh: 5; url=/next")
    assert server.get(path).header("Refresh") == "5; url=/next"
