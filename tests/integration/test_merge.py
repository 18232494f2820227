"""Per-directory settings: what holds where, and how inner scopes combine with outer ones.

Every *.ck file answers with the same cookies (see SETS); which ones arrive
depends on the scope the file lives in.
"""
import pytest

from harness import consented

SETS = ["PHPSESSID=s1", "_ga=GA1.1.1", "_fbp=fb.1.2", "lang_pref=nb", "mystery_cookie=m1",
        "promo_banner=b1"]
ALL = {c.split("=")[0] for c in SETS}

CONF = """
<FilesMatch "\\.ck$">
%(headers)s
</FilesMatch>
<Directory %(docroot)s>
    ConsentCookieRule marketing promo_*
</Directory>
<Directory %(docroot)s/sub>
    ConsentCookieRule statistics lang_pref
</Directory>
<Directory %(docroot)s/strict>
    ConsentUnclassified block
</Directory>
<Directory %(docroot)s/strict/relaxed>
    ConsentUnclassified allow
</Directory>
<Directory %(docroot)s/locked>
    AllowOverride None
</Directory>
<Location /open>
    ConsentEngine Off
</Location>
ProxyPass /open/proxy/ http://127.0.0.1:%(http)d/
<Location /proxy/special/>
    ConsentCookieRule marketing lang_pref
</Location>
ConsentCookieRule statistics server_stat_*
"""

VHOST = """
ConsentCookieRule marketing vhost_mkt_*
"""

PAGES = ["page.ck", "open/page.ck", "sub/page.ck", "sub/deeper/page.ck", "strict/page.ck",
         "strict/relaxed/page.ck", "ht/page.ck", "locked/page.ck", "htbad/page.ck",
         "htbad-rule/page.ck"]


@pytest.fixture(scope="module")
def server(module_server_factory, backends):
    files = {p: "page\n" for p in PAGES}
    files["ht/.htaccess"] = "ConsentEngine Off\n"
    files["locked/.htaccess"] = "ConsentEngine Off\n"
    files["htbad/.htaccess"] = "ConsentMaxAge 5\n"
    files["htbad-rule/.htaccess"] = "ConsentCookieRule statistics lang_pref\n"
    srv = module_server_factory("merge", start=False, files=files)
    headers = "\n".join('    Header add Set-Cookie "%s; Path=/"' % c for c in SETS)
    srv.reconfigure(global_conf=CONF % {"headers": headers, "docroot": srv.docroot,
                                        "http": backends.http_port}, vhost_conf=VHOST)
    srv.start()
    return srv


@pytest.fixture(scope="module")
def statistics(server):
    return consented(server, "custom", ["statistics"])


def arrived(server, path, cookie=None, **kw):
    headers = {"Cookie": cookie} if cookie else {}
    resp = server.get(path, headers=headers, **kw)
    assert resp.status == 200, resp
    assert "PHPSESSID" in resp.set_names, resp
    return resp.set_names


def test_engine_on_at_server_level_filters(server):
    assert arrived(server, "/page.ck") == {"PHPSESSID", "lang_pref", "mystery_cookie"}


def test_engine_off_location_lets_every_cookie_through(server):
    assert arrived(server, "/open/page.ck") == ALL


def test_engine_off_location_does_not_expire_trackers(server):
    resp = server.get("/open/page.ck", headers={"Cookie": "_ga=1; _fbp=2"})
    assert not resp.deleted_names, resp


def test_engine_off_location_covers_proxied_responses(server):
    assert {"_ga", "_fbp"} <= arrived(server, "/open/proxy/x?set=PHPSESSID,_ga,_fbp")


def test_directory_rule_classifies_inside_its_directory(server, statistics):
    assert "lang_pref" not in arrived(server, "/sub/page.ck")
    assert "lang_pref" not in arrived(server, "/sub/deeper/page.ck")
    assert "lang_pref" in arrived(server, "/sub/page.ck", statistics)


def test_directory_rule_does_not_apply_elsewhere(server):
    assert "lang_pref" in arrived(server, "/page.ck")
    assert "lang_pref" in arrived(server, "/strict/relaxed/page.ck")


def test_outer_rules_still_apply_inside(server, statistics):
    inside = arrived(server, "/sub/page.ck")
    assert not {"promo_banner", "_ga", "_fbp"} & inside
    inside = arrived(server, "/sub/page.ck", statistics)
    assert "_ga" in inside
    assert "promo_banner" not in inside, "the outer marketing rule was lost in sub/"


def test_location_rule_applies_to_proxied_paths_below_it(server):
    assert "lang_pref" not in arrived(server, "/proxy/special/x?set=PHPSESSID,lang_pref")
    assert "lang_pref" in arrived(server, "/proxy/x?set=PHPSESSID,lang_pref")


def test_vhost_rules_add_to_server_rules(server, statistics):
    url = "/cgi-bin/cookies.py?set=PHPSESSID,server_stat_a,vhost_mkt_b"
    assert not {"server_stat_a", "vhost_mkt_b"} & arrived(server, url)
    got = arrived(server, url, statistics)
    assert "server_stat_a" in got and "vhost_mkt_b" not in got


def test_inner_block_overrides_outer_allow(server):
    strict = arrived(server, "/strict/page.ck")
    assert "mystery_cookie" not in strict and "lang_pref" not in strict
    assert "mystery_cookie" in arrived(server, "/page.ck")


def test_innermost_allow_overrides_block(server):
    assert "mystery_cookie" in arrived(server, "/strict/relaxed/page.ck")


def test_htaccess_can_turn_the_engine_off(server):
    assert arrived(server, "/ht/page.ck") == ALL


def test_htaccess_is_ignored_without_allow_override(server):
    assert not {"_ga", "_fbp"} & arrived(server, "/locked/page.ck")


@pytest.mark.parametrize("path, directive", [("/htbad/page.ck", "ConsentMaxAge"),
                                             ("/htbad-rule/page.ck", "ConsentCookieRule")])
def test_server_only_directive_in_htaccess_is_an_error(server, path, directive):
    resp = server.get(path)
    assert resp.status == 500, resp
    assert not {"_ga", "_fbp"} & resp.set_names
    lines = [l for l in server.error_log().splitlines()
             if directive in l and ".htaccess" in l and "not allowed" in l]
    assert lines, server.error_log()[-2000:]


def test_engine_can_be_enabled_for_one_location_only(server_factory):
    srv = server_factory("engine-location", consent={"ConsentEngine": "Off"},
                         global_conf="<Location /guarded/>\n    ConsentEngine On\n</Location>\n"
                                     "ScriptAlias /guarded/ %s/\n" % "CGIDIR", start=False)
    srv.reconfigure(global_conf=srv.global_conf.replace("CGIDIR", str(srv.cgi_dir)))
    srv.start()
    url = "?set=PHPSESSID,_ga,_fbp"
    outside = srv.get("/cgi-bin/cookies.py" + url)
    assert {"PHPSESSID", "_ga", "_fbp"} <= outside.set_names, outside
    inside = srv.get("/guarded/cookies.py" + url)
    assert "PHPSESSID" in inside.set_names and not {"_ga", "_fbp"} & inside.set_names, inside
