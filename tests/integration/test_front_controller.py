"""Pages a front controller makes: WordPress, Drupal and most PHP sites send
every pretty URL to one script by an internal rewrite (.htaccess:
RewriteRule . /index.php). The banner's form must send the visitor back to
the URL they asked for, not to the script the server ran — and the kept
pages of the page cache must not mix the URLs that reach one file.
"""
import html
import re
import shutil

import pytest

from harness import BACKENDS

PAGE = ('<!DOCTYPE html>\n<html lang="nb">\n<head><title>Side</title></head>\n<body>\n'
        '<p>Innhold</p>\n</body>\n</html>\n')

# as WordPress writes it, per directory: an internal redirect to the script
HTACCESS = """RewriteEngine On
RewriteBase /blogg/
RewriteRule ^index\\.html$ - [L]
RewriteCond %{REQUEST_FILENAME} !-f
RewriteCond %{REQUEST_FILENAME} !-d
RewriteRule . /blogg/index.html [L]
"""
CGI_HTACCESS = """RewriteEngine On
RewriteCond %{REQUEST_FILENAME} !-f
RewriteRule . /cgi-bin/page.py?path=/front.html [L]
"""
# in the server's own context: the URI is rewritten before the map to a file
VHOST = """
RewriteEngine On
RewriteRule ^/tjenester/[a-z-]+/?$ /front.html [L]
"""


@pytest.fixture(scope="module")
def server(module_server_factory):
    srv = module_server_factory("front", start=False, vhost_conf=VHOST,
                                files={"blogg/index.html": PAGE, "blogg/.htaccess": HTACCESS,
                                       "front.html": PAGE, "cgi/.htaccess": CGI_HTACCESS})
    shutil.copy(BACKENDS / "page.py", srv.cgi_dir / "page.py")
    (srv.cgi_dir / "page.py").chmod(0o755)
    return srv.start()


def returns_to(resp):
    """The banner form's return field: where "Accept all" without JavaScript lands."""
    found = re.findall(r'<input type="hidden" name="return" value="([^"]*)"', resp.text())
    assert found, resp.text()[:2000]
    return {html.unescape(v) for v in found}


@pytest.mark.parametrize("path", [
    "/blogg/bestille-time/?utm_source=nyhetsbrev&utm_medium=e-post",  # per directory
    "/blogg/om-oss/",
    "/cgi/bestille-time/?side=2",                                       # to a CGI script
    "/tjenester/fysioterapi/?a=1",                                      # server context
])
def test_the_banner_returns_to_the_url_the_visitor_asked_for(server, path):
    resp = server.get(path)
    assert resp.status == 200, resp
    assert returns_to(resp) == {path}


def test_kept_pages_of_one_file_keep_each_url_apart(server):
    """The page cache keeps static pages: two URLs the rewrite sends to one
    file are two pages, each returning to itself, first request and kept."""
    for _ in range(2):
        for path in ("/blogg/a/", "/blogg/b/?x=1", "/blogg/"):
            assert returns_to(server.get(path)) == {path}
