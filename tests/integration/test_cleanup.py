"""Clean-up: tracker cookies a visitor already carries are expired, and
(optionally) hidden from the application."""
import pytest

from harness import consented

TRACKERS = "_ga=GA1.1.1; _fbp=fb.1.2; PHPSESSID=abc"

VHOST = """
ScriptAlias /strip-cgi/ {root}/cgi-bin/
ProxyPass /strip-proxy/ http://127.0.0.1:{http}/
ProxyPass /strip-fcgi/ fcgi://127.0.0.1:{fcgi}/
<LocationMatch "^/strip-(cgi|proxy|fcgi)/">
    ConsentStripRequestCookies On
</LocationMatch>
Redirect 302 /old /new
<Location /denied>
    Require all denied
</Location>
"""


@pytest.fixture(scope="module")
def server(module_server_factory, backends):
    srv = module_server_factory("cleanup", start=False)
    srv.reconfigure(vhost_conf=VHOST.format(root=srv.root, http=backends.http_port,
                                            fcgi=backends.fcgi_port))
    srv.start()
    return srv


def expiries(resp, name):
    return resp.deleting(name)


def assert_proper_deletion(cookie):
    assert cookie.value in ("", '""'), cookie
    assert cookie.max_age == 0, cookie
    assert cookie.attr("path") == "/", \
        "a deletion without Path=/ misses cookies set for /: %r" % cookie


def test_tracker_cookies_are_expired_host_only_on_an_ip_host(server):
    resp = server.get("/plain.txt", headers={"Cookie": TRACKERS})
    assert resp.status == 200
    for name in ("_ga", "_fbp"):
        found = expiries(resp, name)
        assert len(found) == 1, "expected one host-only deletion of %s: %r" % (name, resp)
        assert found[0].domain is None, found
        assert_proper_deletion(found[0])
    assert "PHPSESSID" not in resp.all_cookie_names, resp


def test_tracker_cookies_are_expired_for_host_and_parent_domain(server):
    resp = server.get("/plain.txt", headers={"Cookie": TRACKERS}, host="www.klinikk.test")
    assert resp.status == 200
    for name in ("_ga", "_fbp"):
        found = expiries(resp, name)
        domains = sorted(c.domain or "" for c in found)
        assert domains == ["", "klinikk.test"], "deletions of %s: %r" % (name, found)
        for cookie in found:
            assert_proper_deletion(cookie)
    assert "PHPSESSID" not in resp.all_cookie_names, resp


def test_every_parent_domain_with_two_labels_gets_a_deletion(server):
    resp = server.get("/plain.txt", headers={"Cookie": "_ga=GA1.1.1"}, host="a.b.klinikk.test")
    domains = sorted(c.domain or "" for c in expiries(resp, "_ga"))
    assert domains == ["", "b.klinikk.test", "klinikk.test"], resp


def test_hundreds_of_tracker_cookies_do_not_make_a_huge_response(server):
    # 600 _ga_* cookies on a deep host: one deletion per parent domain each
    # would be some 3,000 fields; a response carries at most 64 (8 KiB)
    many = "; ".join("_ga_%03d=1" % i for i in range(600))
    resp = server.get("/plain.txt", headers={"Cookie": many}, host="a.b.c.d.klinikk.test")
    assert resp.status == 200
    deletions = [c for c in resp.cookies if c.is_deletion]
    assert 0 < len(deletions) <= 64, len(deletions)
    assert sum(len(v) for v in resp.header_all("Set-Cookie")) <= 8192
    # whole cookies only: every name expired gets all its domains
    for name in {c.name for c in deletions}:
        assert len(expiries(resp, name)) == len(expiries(resp, deletions[0].name)), name
    # the browser drops those; the next response expires the next ones
    kept = "; ".join("_ga_%03d=1" % i for i in range(600)
                     if "_ga_%03d" % i not in {c.name for c in deletions})
    again = server.get("/plain.txt", headers={"Cookie": kept}, host="a.b.c.d.klinikk.test")
    later = {c.name for c in again.cookies if c.is_deletion}
    assert later and not later & {c.name for c in deletions}


def test_host_port_is_not_part_of_the_domain(server):
    resp = server.get("/plain.txt", headers={"Cookie": "_ga=GA1.1.1"},
                      host="www.klinikk.test:%d" % server.port)
    domains = sorted(c.domain or "" for c in expiries(resp, "_ga"))
    assert domains == ["", "klinikk.test"], resp


def test_consent_cookie_and_necessary_cookies_are_never_expired(server):
    cookie = consented(server, "reject_all")
    resp = server.get("/plain.txt", headers={"Cookie": TRACKERS + "; " + cookie},
                      host="www.klinikk.test")
    assert {"_ga", "_fbp"} <= resp.deleted_names, resp
    assert not {"consent", "PHPSESSID"} & resp.all_cookie_names, resp


def test_granted_trackers_are_left_alone(server):
    cookie = consented(server, "accept_all")
    resp = server.get("/plain.txt", headers={"Cookie": TRACKERS + "; " + cookie})
    assert not resp.cookies, resp


def test_only_refused_categories_are_expired(server):
    cookie = consented(server, "custom", ["statistics"])
    resp = server.get("/plain.txt", headers={"Cookie": TRACKERS + "; " + cookie})
    assert resp.deleted_names == {"_fbp"}, resp


def test_expiry_also_happens_on_backend_responses(server):
    resp = server.get("/proxy/x?set=PHPSESSID", headers={"Cookie": TRACKERS})
    assert "PHPSESSID" in resp.set_names
    assert {"_ga", "_fbp"} <= resp.deleted_names, resp


@pytest.mark.parametrize("path, status", [
    ("/plain.txt", 200),
    ("/missing.txt", 404),
    ("/old", 302),
    ("/denied/x", 403),
    ("/cgi-bin/cookies.py", 200),
    ("/fcgi/x", 200),
    ("/proxy/x?status=302&location=/y", 302),
])
def test_every_kind_of_response_expires_trackers(server, path, status):
    resp = server.get(path, headers={"Cookie": TRACKERS})
    assert resp.status == status, resp
    assert {"_ga", "_fbp"} <= resp.deleted_names, resp


def test_no_expiry_for_a_visitor_without_trackers(server):
    resp = server.get("/plain.txt", headers={"Cookie": "PHPSESSID=abc; lang=nb"})
    assert not resp.cookies, resp


def echoed_names(resp):
    assert resp.status == 200, resp
    return {name for name, _ in resp.json()["pairs"]}


@pytest.mark.parametrize("prefix", ["/strip-cgi/cookies.py", "/strip-proxy/echo",
                                    "/strip-fcgi/echo"])
def test_backend_does_not_see_refused_cookies_when_stripping(server, prefix):
    names = echoed_names(server.get(prefix + "?echo=1", headers={"Cookie": TRACKERS}))
    assert "PHPSESSID" in names
    assert not {"_ga", "_fbp"} & names, names


@pytest.mark.parametrize("prefix", ["/strip-cgi/cookies.py", "/strip-proxy/echo"])
def test_backend_sees_granted_cookies_when_stripping(server, prefix):
    cookie = consented(server, "custom", ["statistics"])
    names = echoed_names(server.get(prefix + "?echo=1",
                                    headers={"Cookie": TRACKERS + "; " + cookie}))
    assert {"PHPSESSID", "_ga"} <= names
    assert "_fbp" not in names


def test_backend_sees_no_cookie_header_when_every_cookie_is_stripped(server):
    resp = server.get("/strip-cgi/cookies.py?echo=1", headers={"Cookie": "_ga=1; _fbp=2"})
    assert resp.json()["cookie"] in (None, ""), resp


@pytest.mark.parametrize("prefix", ["/cgi-bin/cookies.py", "/proxy/echo", "/fcgi/echo"])
def test_backend_sees_all_cookies_without_stripping(server, prefix):
    names = echoed_names(server.get(prefix + "?echo=1", headers={"Cookie": TRACKERS}))
    assert {"PHPSESSID", "_ga", "_fbp"} <= names
