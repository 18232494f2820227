"""A shared cache in front (ConsentSharedCache): a real Varnish, run with the
shipped conf/varnish-consent.vcl, before a real Apache with the module.

Visitors who chose alike share the cached page; visitors who chose
differently never get each other's variant; a forged key cookie (or a
forged Consent-State field) never gets a page kept under the forged state;
decisions and responses that set cookies are never kept; and without the
directive nothing changes. The truth each page is compared with is what
the server itself makes for that visitor, asked directly."""
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from harness import (REPO, base_dir, consent_cookie, free_port, request, stop_process_group,
                     wait_for_port)

VARNISHD = shutil.which("varnishd") or "/usr/sbin/varnishd"
VCL = REPO / "conf" / "varnish-consent.vcl"

pytestmark = pytest.mark.skipif(not Path(VARNISHD).exists(),
                                reason="varnishd is not installed (build-aux/deps.sh installs it)")

GTAG = 'src="https://www.googletagmanager.com/gtag/js?id=G-SHARED"'
PIXEL = 'src="https://connect.facebook.net/en_US/fbevents.js"'
PAGE = ('<!DOCTYPE html>\n<html lang="en"><head><title>shared</title>\n'
        '<script async %s></script>\n<script async %s></script>\n'
        '</head><body><p>a page of the clinic</p></body></html>\n' % (GTAG, PIXEL))
# the live trackers as the site wrote them: only a visitor who granted
# statistics gets the first, marketing the second
LIVE = ('<script async %s></script>' % GTAG).encode()
LIVE_PIXEL = ('<script async %s></script>' % PIXEL).encode()
FILES = {"page.html": PAGE, "other/page.html": PAGE, "session/page.html": PAGE}
# a page whose response sets a (necessary) session cookie of the site's own
SESSION = """
<Location /session/>
    Header set Set-Cookie "PHPSESSID=s3ss10n; Path=/; HttpOnly"
</Location>
"""


class Varnish:
    """A private varnishd in the foreground, on a free 127.0.0.1 port, in
    front of BACKEND_PORT with the shipped VCL; stopped by its PID."""

    def __init__(self, backend_port):
        self.dir = Path(tempfile.mkdtemp(prefix="varnish-", dir=base_dir()))
        self.dir.chmod(0o755)
        self.port = free_port()
        vcl = VCL.read_text()
        vcl, n = re.subn(r'\.port = "\d+";', '.port = "%d";' % backend_port, vcl)
        assert n == 1, "the shipped VCL names no backend port"
        self.vcl = self.dir / "consent.vcl"
        self.vcl.write_text(vcl)
        self.vcl.chmod(0o644)
        self.proc = None

    def start(self):
        self.log = open(self.dir / "varnishd.log", "wb")
        self.proc = subprocess.Popen(
            [VARNISHD, "-F", "-n", str(self.dir / "work"), "-a", "127.0.0.1:%d" % self.port,
             "-f", str(self.vcl), "-s", "malloc,32m", "-T", "none",
             # no stale copies served while a new one is fetched
             "-p", "default_grace=0", "-p", "default_keep=0"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        if not wait_for_port(self.port, 30, self.proc):
            self.stop()
            raise RuntimeError("varnishd did not start:\n" +
                               (self.dir / "varnishd.log").read_text(errors="replace"))
        return self

    def stop(self):
        if self.proc is not None:
            stop_process_group(self.proc)
            self.proc = None
        if getattr(self, "log", None):
            self.log.close()
            self.log = None

    def get(self, path, headers=None):
        return request(self.port, "GET", path, headers=headers)

    def post(self, path, body, content_type, headers=None):
        h = [("Content-Type", content_type)] + list((headers or {}).items())
        return request(self.port, "POST", path, headers=h, body=body)

    @property
    def host(self):
        return "127.0.0.1:%d" % self.port


def hit(resp):
    """Varnish served it from its cache: X-Varnish names this request and
    the one that fetched the copy."""
    xv = resp.header("X-Varnish")
    assert xv, "no X-Varnish: not through Varnish? %r" % resp
    return len(xv.split()) == 2


@pytest.fixture(scope="module")
def site(module_server_factory):
    srv = module_server_factory("shared", files=FILES, global_conf=SESSION,
                                consent={"ConsentSharedCache": "On 300"})
    cache = Varnish(srv.port).start()
    yield srv, cache
    cache.stop()


@pytest.fixture(scope="module")
def plain_site(module_server_factory):
    srv = module_server_factory("plain", files=FILES)
    cache = Varnish(srv.port).start()
    yield srv, cache
    cache.stop()


class Visitor:
    """A browser: its cookies, as the site set them through the cache."""

    def __init__(self, name, cookies=None):
        self.name = name
        self.cookies = dict(cookies or {})

    def headers(self, extra=None):
        h = {"Accept-Language": "en"}
        h.update(extra or {})
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        return h


def decided(cache, method, granted=None):
    """A visitor who decided through the cache, with the cookies they got."""
    body = "method=%s&return=/page.html" % method
    for g in granted or []:
        body += "&granted=" + g
    resp = cache.post("/_consent/decision", body, "application/x-www-form-urlencoded",
                      headers={"Origin": "http://" + cache.host, "Host": cache.host})
    assert resp.status == 303, resp
    v = Visitor(method)
    for c in resp.cookies:
        if not c.is_deletion:
            v.cookies[c.name] = c.value
    assert set(v.cookies) == {"consent", "consent_state"}, resp
    return v


def direct(srv, cache, path, visitor, extra=None):
    """What the server makes for VISITOR (asked directly, as for the cache's host)."""
    h = visitor.headers(extra)
    h["Host"] = cache.host
    resp = srv.get(path, headers=h)
    assert resp.status == 200, resp
    return resp.body


def through(cache, path, visitor, extra=None):
    h = visitor.headers(extra)
    h["Host"] = cache.host
    resp = cache.get(path, headers=h)
    assert resp.status == 200, resp
    return resp


@pytest.fixture(scope="module")
def people(site):
    srv, cache = site
    crowd = {
        "nobody": Visitor("nobody"),
        "nobody2": Visitor("nobody2"),
        "all": decided(cache, "accept_all"),
        "all2": decided(cache, "accept_all"),
        "reject": decided(cache, "reject_all"),
        "stats": decided(cache, "custom", ["statistics"]),
    }
    # The banner lists the services the site was seen to use: the first
    # pages change those tables. Let them settle before bytes are compared.
    for _ in range(2):
        for v in crowd.values():
            for path in ("/page.html", "/other/page.html"):
                direct(srv, cache, path, v)
    return crowd


def test_visitors_who_chose_alike_share_one_cached_page(site, people):
    srv, cache = site
    assert people["all"].cookies["consent"] != people["all2"].cookies["consent"]
    assert people["all"].cookies["consent_state"] == people["all2"].cookies["consent_state"]
    first = through(cache, "/page.html?alike", people["all"])
    assert not hit(first)
    second = through(cache, "/page.html?alike", people["all2"])
    assert hit(second), second.headers
    assert second.body == first.body == direct(srv, cache, "/page.html?alike", people["all2"])
    assert LIVE in second.body
    # and the same for two visitors who have not chosen yet
    first = through(cache, "/page.html?alike-none", people["nobody"])
    second = through(cache, "/page.html?alike-none", people["nobody2"])
    assert not hit(first) and hit(second)
    assert second.body == direct(srv, cache, "/page.html?alike-none", people["nobody2"])
    assert LIVE not in second.body


def test_browsers_still_see_a_private_page_that_varies_on_cookie(site, people):
    srv, cache = site
    for v in (people["all"], people["all2"]):
        resp = through(cache, "/page.html?headers", v)
        assert "private" in resp.header("Cache-Control")
        vary = [t.strip().lower() for t in resp.header("Vary").split(",")]
        assert "cookie" in vary and "accept-language" in vary
        # the cache's own fields stay with it
        assert resp.header("Surrogate-Control") is None
        assert resp.header("Consent-State") is None
    assert hit(resp)


def test_visitors_who_chose_differently_never_get_each_others_page(site, people):
    srv, cache = site
    path = "/other/page.html?differ"
    order = ["all", "nobody", "reject", "stats", "all2", "nobody2"]
    for round_ in range(2):
        for name in order:
            v = people[name]
            resp = through(cache, path, v)
            assert resp.body == direct(srv, cache, path, v), name
            assert (LIVE in resp.body) == (name in ("all", "all2", "stats")), name
            if round_:
                assert hit(resp), name


def test_a_forged_key_cookie_is_never_kept_under_the_forged_key(site, people):
    srv, cache = site
    # who accepted everything claims no decision: their page has live
    # trackers and must not be kept for those who have not chosen
    forger = Visitor("forger", dict(people["all"].cookies, consent_state="none"))
    path = "/page.html?forged-none"
    resp = through(cache, path, forger)
    assert LIVE in resp.body  # their own consent, from the signed cookie
    again = through(cache, path, forger)
    assert not hit(again)
    honest = through(cache, path, people["nobody"])
    assert LIVE not in honest.body
    assert honest.body == direct(srv, cache, path, people["nobody"])
    # the reverse: who refused claims "accept all"
    key = people["all"].cookies["consent_state"]
    forger = Visitor("forger2", dict(people["reject"].cookies, consent_state=key))
    path = "/page.html?forged-all"
    resp = through(cache, path, forger)
    assert LIVE not in resp.body
    # the server mends the forged key, on a response nobody keeps
    assert resp.setting("consent_state")[0].value == people["reject"].cookies["consent_state"]
    honest = through(cache, path, people["all2"])
    assert not hit(honest)
    assert honest.body == direct(srv, cache, path, people["all2"])
    assert LIVE in honest.body
    # and the forger did not keep the page from being cached for them
    again = through(cache, path, people["all"])
    assert hit(again) and again.body == honest.body


def test_global_privacy_control_is_a_variant_of_its_own(site, people):
    srv, cache = site
    path = "/page.html?gpc"
    gpc = {"Sec-GPC": "1"}
    for round_ in range(2):
        plain = through(cache, path, people["all"])
        refused = through(cache, path, people["all2"], gpc)
        assert LIVE_PIXEL in plain.body and LIVE_PIXEL not in refused.body
        assert refused.body == direct(srv, cache, path, people["all2"], gpc)
        assert hit(plain) == hit(refused) == bool(round_)


def test_a_client_cannot_choose_the_key_by_sending_the_field_itself(site, people):
    srv, cache = site
    path = "/page.html?field"
    resp = through(cache, path, people["all"], {"Consent-State": "none"})
    assert LIVE in resp.body
    honest = through(cache, path, people["nobody"], {"Consent-State": "none"})
    assert LIVE not in honest.body
    assert honest.body == direct(srv, cache, path, people["nobody"])


def test_decisions_and_responses_that_set_cookies_are_never_kept(site, people):
    srv, cache = site
    # the decision: each one answered by the server, each with its own cookie
    one = decided(cache, "accept_all")
    two = decided(cache, "accept_all")
    assert one.cookies["consent"] != two.cookies["consent"]
    # the endpoint's other answers are passed too
    for _ in range(2):
        state = cache.get("/_consent/state", headers=people["all"].headers())
        assert state.status == 200 and not hit(state)
    # a page whose response sets the site's session cookie
    for _ in range(2):
        resp = through(cache, "/session/page.html?cookie", people["nobody"])
        assert resp.setting("PHPSESSID"), resp.headers
        assert not hit(resp)
    # a decided visitor without the key cookie (they chose before the
    # directive was on) is passed to the server, which sets it
    lost = Visitor("lost", {"consent": people["all"].cookies["consent"]})
    for _ in range(2):
        resp = through(cache, "/page.html?lost", lost)
        assert not hit(resp)
        assert resp.setting("consent_state")[0].value == people["all"].cookies["consent_state"]
    # and a visitor with any other cookie of the site's is never served a kept page
    through(cache, "/page.html?basket", people["all"])
    basket = Visitor("basket", dict(people["all2"].cookies, basket="3"))
    assert not hit(through(cache, "/page.html?basket", basket))


def test_the_server_lets_a_shared_cache_keep_a_page_only_under_its_own_key(site, people):
    srv, cache = site
    key = people["all"].cookies["consent_state"]
    agree = srv.get("/page.html", headers=people["all"].headers({"Consent-State": key}))
    assert agree.header("Surrogate-Control") == "max-age=300"
    assert agree.header("Consent-State") == key
    vary = [t.strip().lower() for t in agree.header("Vary").split(",")]
    assert {"cookie", "accept-language", "sec-gpc", "consent-state"} <= set(vary)
    assert agree.header("Cache-Control") == "private"
    for extra in ({"Consent-State": "none"}, {},
                  {"Consent-State": people["reject"].cookies["consent_state"]}):
        resp = srv.get("/page.html", headers=people["all"].headers(extra))
        assert resp.header("Surrogate-Control") == "no-store", extra
        assert resp.header("Cache-Control") == "private"
    # the site's own word against shared caching stands
    srv_cc = srv.get("/session/page.html", headers=people["nobody"].headers(
        {"Consent-State": "none"}))
    assert srv_cc.header("Surrogate-Control") == "no-store"


def test_without_the_directive_nothing_changes(plain_site):
    srv, cache = plain_site
    resp = srv.post("/_consent/decision", '{"method":"accept_all"}',
                    headers={"Host": cache.host})
    assert resp.status == 200
    assert {c.name for c in resp.cookies} == {"consent"}
    token = consent_cookie(resp)
    for headers in ({}, {"Cookie": "consent=" + token}, {"Consent-State": "none"}):
        page = srv.get("/page.html", headers=headers)
        assert page.header("Cache-Control") == "private"
        # as before, and the frames' variant (ConsentBanner: no banner in frames)
        assert {t.strip() for t in page.header("Vary").split(",")} == {"Cookie", "Sec-Fetch-Dest"}
        assert page.header("Surrogate-Control") is None
        assert page.header("Consent-State") is None
    # and the cache in front keeps nothing, for anyone
    for headers in ({}, {"Cookie": "consent=" + token}):
        for _ in range(2):
            assert not hit(cache.get("/page.html?plain", headers=headers))


@pytest.mark.parametrize("value", ["Maybe", "On 0", "On soon", "On 31536001", "Off 30"])
def test_a_bad_value_stops_startup_naming_file_and_line(config_factory, value):
    srv = config_factory("badshared", consent={"ConsentSharedCache": value})
    line = srv.line_of("ConsentSharedCache")
    rc, output = srv.config_test()
    assert rc != 0, output
    assert "ConsentSharedCache" in output
    hits = [l for l in output.splitlines()
            if str(srv.conf_path) in l and re.search(r"(?<![0-9])%d(?![0-9])" % line,
                                                     l.replace(str(srv.conf_path), "FILE"))]
    assert hits, output


def test_the_key_cookie_is_declared_as_a_necessary_one_and_all_stays_quiet(site, people):
    srv, cache = site
    decl = srv.get("/_consent/declaration").json()
    necessary = [c for c in decl["categories"] if c["name"] == "necessary"][0]
    assert "consent_state" in [c["name"] for c in necessary["cookies"]]
    seen = {e["name"]: e for e in decl["seen"]}
    assert seen["consent_state"]["category"] == "necessary"
    # silent at LogLevel warn while all is well
    assert not [l for l in srv.error_log().splitlines() if "consent:" in l], srv.error_log()
