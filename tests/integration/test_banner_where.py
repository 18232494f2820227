"""Where the banner is not shown, and what still holds there.

The WordPress snippet's dashboard (/wp-admin/) goes out as written
(ConsentRewrite Off): the site's own application, whose block editor would
not start with its inline scripts held.

ConsentBanner Off is for staff pages (WordPress's /wp-admin/ and
wp-login.php): a banner there is noise, and an editor's choice is no
visitor's decision. Turning the engine off there instead would open a hole:
/wp-admin/admin-ajax.php serves anonymous visitors too, and its tracker
cookies must still be filtered. A page a browser loads into a frame, an
<embed> or an <object> (Sec-Fetch-Dest) gets no banner either: the page
around it has one, and a banner in a sandboxed frame (WordPress's post
embeds) or another site's frame cannot work.
"""
import re

import pytest

from harness import DATA, REPO, consented

CLINIC = (DATA / "html" / "clinic.html").read_text()
FB_PIXEL = "https://www.facebook.com/tr?id=418203954712236&ev=PageView&noscript=1"

# the snippet the project ships for WordPress, as an admin includes it
VHOST = """
Include %(repo)s/conf/wordpress.conf
ScriptAlias /wp-admin/admin-ajax.php %(cgi)s/cookies.py
ScriptAlias /wp-admin/options.php %(cgi)s/cookies.py
SetEnv MC_PAGES_DIR %(pages)s
ConsentCSP Enforce
"""


@pytest.fixture(scope="module")
def server(module_server_factory):
    srv = module_server_factory("where", start=False,
                                files={"index.html": CLINIC, "wp-admin/index.html": CLINIC,
                                       "wp-login.php": CLINIC, "embed/index.html": CLINIC})
    srv.reconfigure(vhost_conf=VHOST % {"cgi": srv.cgi_dir, "repo": REPO,
                                        "pages": DATA / "html"})
    return srv.start()


def has_banner(body):
    return 'id="mc-banner"' in body or 'id="mc-reopen-box"' in body


def tracker_live(body):
    """The Meta Pixel's <img> fetches: its src, not data-consent-src."""
    return re.search(r'[\s<]src="%s"' % re.escape(FB_PIXEL), body) is not None


def test_the_banner_shows_on_visitors_pages(server):
    body = server.get("/").text()
    assert has_banner(body) and not tracker_live(body)


def test_the_login_page_gets_no_banner_and_trackers_stay_held(server):
    path = "/wp-login.php"
    resp = server.get(path)
    assert resp.status == 200
    body = resp.text()
    assert not has_banner(body), body[:3000]
    assert "/_consent/consent.js" in body  # consent.js still brings back what is granted
    assert not tracker_live(body)
    assert "data-consent=" in body
    granted = server.get(path, headers={"Cookie": consented(server, "accept_all")}).text()
    assert tracker_live(granted) and not has_banner(granted)


def test_the_dashboard_goes_out_as_written_and_its_cookies_are_filtered(server):
    """ConsentRewrite Off (the WordPress snippet's /wp-admin/): the page is
    the site's own, byte for byte, with no policy of the module's; the
    cookies it sets are judged as everywhere."""
    resp = server.get("/wp-admin/", headers={"Accept-Encoding": "br, gzip"})
    assert resp.status == 200
    assert resp.text() == CLINIC
    assert not resp.header("Content-Security-Policy")
    cgi = server.get("/wp-admin/options.php?set=PHPSESSID,_ga,_fbp&type=html")
    assert "PHPSESSID" in cgi.set_names
    assert "_ga" not in cgi.set_names and "_fbp" not in cgi.set_names, cgi


def test_admin_ajax_is_rewritten_for_visitors(server):
    """What admin-ajax.php sends goes into the site's pages: judged there."""
    resp = server.get("/wp-admin/admin-ajax.php?page=clinic.html")
    assert resp.status == 200
    body = resp.text()
    assert "data-consent=" in body and not tracker_live(body)
    assert not has_banner(body)


def test_cookies_stay_filtered_where_the_banner_is_off(server):
    """admin-ajax.php answers visitors: ConsentBanner Off takes away the
    banner, never the filtering."""
    resp = server.get("/wp-admin/admin-ajax.php?set=PHPSESSID,_ga,_fbp")
    assert resp.status == 200
    assert "PHPSESSID" in resp.set_names
    assert "_ga" not in resp.set_names and "_fbp" not in resp.set_names, resp


@pytest.mark.parametrize("dest", ["iframe", "frame", "embed", "object", "IFRAME"])
def test_a_framed_page_gets_no_banner_and_trackers_stay_held(server, dest):
    resp = server.get("/embed/", headers={"Sec-Fetch-Dest": dest})
    body = resp.text()
    assert not has_banner(body) and not tracker_live(body), body[:3000]
    assert "sec-fetch-dest" in ", ".join(resp.header_all("Vary")).lower()


def test_kept_pages_keep_the_framed_and_the_whole_page_apart(server):
    """The page cache keeps the static page: a frame's copy and a tab's
    copy are two variants, whichever came first."""
    for _ in range(2):
        for dest, banner in (("iframe", False), ("document", True), (None, True),
                             ("embed", False)):
            headers = {"Sec-Fetch-Dest": dest} if dest else {}
            assert has_banner(server.get("/embed/", headers=headers).text()) == banner, dest


@pytest.mark.parametrize("directive", ["ConsentBanner", "ConsentRewrite"])
def test_bad_values_are_refused_with_the_file_and_line(config_factory, directive):
    srv = config_factory(vhost_conf="%s maybe\n" % directive)
    rc, out = srv.config_test()
    assert rc != 0
    assert directive in out and "line" in out.lower(), out
