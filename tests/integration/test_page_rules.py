"""ConsentScriptRule and ConsentInlineRule: an admin classifies what the
catalogue does not know, per directory, and the HTML filter obeys it."""
import pytest

from harness import consented

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<script src="https://widget.chat-vendor.example/loader.js"></script>
<script>chatVendor.init({account: 42});</script>
<script>window.siteMenu = true;</script>
</head>
<body>
<img src="https://cdn.pixels.example/p/track.gif?x=1" alt="">
<img src="https://cdn.pixels.example/logo.png" alt="logo">
</body>
</html>
"""

VHOST = """
ConsentScriptRule marketing widget.chat-vendor.example "cdn.pixels.example/p/*"
ConsentInlineRule marketing "chatVendor\\.init\\s*\\("
<Directory "DOCROOT/stats">
    ConsentScriptRule statistics widget.chat-vendor.example
    ConsentInlineRule statistics "chatVendor\\.init"
</Directory>
"""


@pytest.fixture(scope="module")
def server(module_server_factory):
    srv = module_server_factory("page-rules", start=False)
    srv.add_file("page.html", PAGE)
    srv.add_file("stats/page.html", PAGE)
    srv.vhost_conf = VHOST.replace("DOCROOT", str(srv.docroot))
    srv.write_conf()
    srv.start()
    return srv


def body(resp):
    assert resp.status == 200, resp
    return resp.text()


def test_script_rule_disarms_a_vendor_script_without_consent(server):
    html = body(server.get("/page.html"))
    assert ('<script type="text/plain" data-consent="marketing" '
            'data-consent-src="https://widget.chat-vendor.example/loader.js">') in html
    assert 'src="https://widget.chat-vendor.example/loader.js"' not in html.replace(
        'data-consent-src="https://widget.chat-vendor.example/loader.js"', "")


def test_script_rule_path_glob_picks_only_the_pixel(server):
    html = body(server.get("/page.html"))
    assert 'data-consent-src="https://cdn.pixels.example/p/track.gif?x=1"' in html
    assert '<img src="https://cdn.pixels.example/logo.png" alt="logo">' in html


def test_inline_rule_disarms_a_matching_snippet_only(server):
    html = body(server.get("/page.html"))
    assert ('<script type="text/plain" data-consent="marketing">'
            'chatVendor.init({account: 42});</script>') in html
    assert "<script>window.siteMenu = true;</script>" in html


def test_granted_category_leaves_the_page_as_written(server):
    cookie = consented(server, "custom", ["marketing"])
    html = body(server.get("/page.html", headers={"Cookie": cookie}))
    assert '<script src="https://widget.chat-vendor.example/loader.js"></script>' in html
    assert "<script>chatVendor.init({account: 42});</script>" in html
    assert '<img src="https://cdn.pixels.example/p/track.gif?x=1" alt="">' in html


def test_directory_rules_win_over_the_server_ones(server):
    html = body(server.get("/stats/page.html"))
    assert 'data-consent="statistics" data-consent-src="https://widget.chat-vendor.example/' in html
    assert '<script type="text/plain" data-consent="statistics">chatVendor.init(' in html
    cookie = consented(server, "custom", ["statistics"])
    html = body(server.get("/stats/page.html", headers={"Cookie": cookie}))
    assert '<script src="https://widget.chat-vendor.example/loader.js"></script>' in html
    # the pixel is still the server's marketing rule
    assert 'data-consent="marketing" data-consent-src="https://cdn.pixels.example/p/' in html


@pytest.mark.parametrize("line, needle", [
    ('ConsentScriptRule nosuch example.com', "nosuch"),
    ('ConsentInlineRule marketing "(unclosed"', "(unclosed"),
    ('ConsentScriptRule marketing "~[bad"', "[bad"),
])
def test_bad_page_rules_stop_startup_naming_the_line(config_factory, line, needle):
    srv = config_factory("page-rules-bad", vhost_conf=line + "\n")
    rc, out = srv.config_test()
    assert rc != 0
    assert needle in out and str(srv.conf_path) in out, out
    assert str(srv.line_of(line.split()[0])) in out, out
