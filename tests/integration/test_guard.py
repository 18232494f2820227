"""The guard's rules (rules.js) and what consent.js's tag tells the guard
and Google Consent Mode: data-granted (the visitor's state) and data-gcm
(ConsentGoogleConsentMode)."""
import json
import re
from html.parser import HTMLParser

import pytest

from harness import consented
from test_banner_assets import names_file_and_line

VHOST = """
    ConsentScriptRule statistics stats.klinikk-cdn.test/collect*
    <Location /gcm>
        ConsentGoogleConsentMode On
    </Location>
    <Location /gcm/off>
        ConsentGoogleConsentMode Off
    </Location>
"""
PAGE = "<!DOCTYPE html><html><head><title>t</title></head><body><p>x</p></body></html>\n"
FILES = {"gcm/index.html": PAGE, "gcm/off/index.html": PAGE}


@pytest.fixture(scope="module")
def server(module_server_factory):
    return module_server_factory("guard", vhost_conf=VHOST, files=FILES)


class Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs))


def scripts_of(resp):
    p = Scripts()
    p.feed(resp.text())
    return p.scripts


def head_scripts(server, path="/", cookie=None):
    resp = server.get(path, headers={"Cookie": cookie} if cookie else None)
    assert resp.status == 200, resp
    scripts = scripts_of(resp)
    srcs = [s.get("src", "") for s in scripts]
    rules = [s for s in scripts if re.match(r"^/_consent/rules\.js\?v=[0-9a-f]{12}$", s.get("src", ""))]
    main = [s for s in scripts if "/_consent/consent.js?v=" in s.get("src", "")]
    assert len(rules) == 1 and len(main) == 1, srcs
    # both blocking, the rules first
    assert srcs.index(rules[0]["src"]) < srcs.index(main[0]["src"]), srcs
    for s in rules + main:
        assert "async" not in s and "defer" not in s, s
    return rules[0], main[0]


def rules_of(text):
    """window.mcRules (category -> patterns), checking the optional
    window.mcServices (pattern -> service id) that follows it."""
    m = re.fullmatch(r"window\.mcRules=(\{.*?\});\n(?:window\.mcServices=(\{.*\});\n)?",
                     text, re.S)
    assert m, text[:200]
    rules = json.loads(m.group(1))
    if m.group(2):
        listed = {p for pats in rules.values() for p in pats}
        services = json.loads(m.group(2))
        assert set(services) <= listed, set(services) - listed
        assert all(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", i) for i in services.values())
    return rules


def test_rules_js_is_linked_and_served_versioned(server):
    rules_tag, _ = head_scripts(server)
    resp = server.get(rules_tag["src"])
    assert resp.status == 200, resp
    assert resp.header("Content-Type") == "text/javascript; charset=utf-8"
    assert resp.header("X-Content-Type-Options") == "nosniff"
    cache = resp.header("Cache-Control")
    assert "immutable" in cache and "max-age=31536000" in cache, cache
    version = rules_tag["src"].rsplit("=", 1)[1]
    assert resp.header("ETag") == '"%s"' % version
    again = server.get(rules_tag["src"], headers={"If-None-Match": '"%s"' % version})
    assert again.status == 304
    bare = server.get("/_consent/rules.js")
    assert bare.status == 200 and bare.body == resp.body
    assert "immutable" not in bare.header("Cache-Control")


def test_rules_js_assigns_compact_rules_by_category(server):
    rules_tag, _ = head_scripts(server)
    rules = rules_of(server.get(rules_tag["src"]).text())
    assert set(rules) <= {"preferences", "statistics", "marketing"}, rules.keys()
    assert "necessary" not in rules
    assert any(p.startswith("googletagmanager.com") for p in rules["statistics"]), rules
    assert "connect.facebook.net" in rules["marketing"], rules
    # the server's own ConsentScriptRule is in it too
    assert "stats.klinikk-cdn.test/collect*" in rules["statistics"]
    # only hosts and path globs: no regex, no scheme
    for pats in rules.values():
        for p in pats:
            assert not p.startswith("~") and "://" not in p, p


def test_rules_js_only_for_get(server):
    resp = server.request("POST", "/_consent/rules.js", body=b"x",
                          headers={"Content-Type": "text/plain"})
    assert resp.status == 405


def test_data_granted_follows_the_visitors_state(server):
    _, tag = head_scripts(server)
    assert tag["data-granted"] == "necessary"
    assert tag["data-base"] == "/_consent"
    cookie = consented(server, "custom", ["statistics"])
    _, tag = head_scripts(server, cookie=cookie)
    assert tag["data-granted"] == "necessary statistics"
    cookie = consented(server, "accept_all")
    _, tag = head_scripts(server, cookie=cookie)
    assert tag["data-granted"].split() == ["necessary", "preferences", "statistics", "marketing"]


def test_data_gcm_only_where_the_directive_is_on(server):
    assert "data-gcm" not in head_scripts(server)[1]
    assert head_scripts(server, "/gcm/")[1].get("data-gcm") == "1"
    assert "data-gcm" not in head_scripts(server, "/gcm/off/")[1]


@pytest.mark.parametrize("value", ["Maybe", "yes please"])
def test_bad_google_consent_mode_stops_startup(config_factory, value):
    text = "ConsentGoogleConsentMode %s" % value
    srv = config_factory("gcm-bad")
    srv.reconfigure(global_conf=text)
    line = srv.line_of(text)
    rc, output = srv.start_expecting_failure()
    assert rc != 0, output
    assert names_file_and_line(output, srv.conf_path, line), output
    assert "consentgoogleconsentmode" in output.lower(), output
