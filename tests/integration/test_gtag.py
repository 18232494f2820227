"""Google tags by their ids: the category the HTML filter gives a gtag.js
script and an inline gtag snippet (data-consent of the neutralised element),
with ConsentGoogleConsentMode off and on, and an admin's rule over both."""
from html.parser import HTMLParser

import pytest

from harness import consented

GTAG_JS = "https://www.googletagmanager.com/gtag/js?id="

# The snippet Google hands out for Analytics and Ads together, as the clinic has it.
CLINIC = """
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());
  gtag('config', 'G-FJORD2025');
  gtag('config', 'AW-987654321');
"""

# name: (script src or None, inline body or None)
SNIPPETS = {
    "clinic": (GTAG_JS + "G-FJORD2025", CLINIC),
    "ga-only": (GTAG_JS + "G-FJORD2025",
                "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
                "gtag('js',new Date());gtag('config','G-FJORD2025');"),
    "ads-only": (GTAG_JS + "AW-987654321",
                 "function gtag(){dataLayer.push(arguments);}gtag('config', \"AW-987654321\");"),
    "lower-case": (GTAG_JS + "g-fjord2025",
                   "gtag('config','g-fjord2025'); gtag('config','aw-987654321');"),
    "backticks": (GTAG_JS + "G%2DFJORD2025",
                  "window.gtag(`config`, `G-FJORD2025`); window.gtag(`config`, `AW-987654321`);"),
    "conversion": (None,
                   "gtag('config','G-FJORD2025');"
                   "gtag('event', 'conversion', {'send_to': 'AW-987654321/AbC-D_efG'});"),
    # the Ads id put together at run time: unreadable, so the catalogue's word stands
    "concatenated": (GTAG_JS + "G-FJORD2025",
                     "var n = '987654321'; gtag('config', 'G-FJORD2025');"
                     "gtag('config', 'AW-' + n);"),
    "floodlight": (GTAG_JS + "DC-1234567", "gtag('config', 'DC-1234567');"),
    "google-tag": (GTAG_JS + "GT-K9X2ABC", "gtag('config', 'GT-K9X2ABC');"),
}

# name: (script, inline) category with Consent Mode off, then on
WANT = {
    "clinic": (("statistics", "marketing"), ("statistics", "statistics")),
    "ga-only": (("statistics", "statistics"), ("statistics", "statistics")),
    "ads-only": (("marketing", "marketing"), ("marketing", "marketing")),
    "lower-case": (("statistics", "marketing"), ("statistics", "statistics")),
    "backticks": (("statistics", "marketing"), ("statistics", "statistics")),
    "conversion": ((None, "marketing"), (None, "statistics")),
    "concatenated": (("statistics", "marketing"), ("statistics", "marketing")),
    "floodlight": (("marketing", "marketing"), ("marketing", "marketing")),
    "google-tag": (("marketing", "marketing"), ("marketing", "marketing")),
}


def page(name):
    src, body = SNIPPETS[name]
    parts = ["<!DOCTYPE html><html lang=\"en\"><head><title>%s</title>" % name]
    if src:
        parts.append('<script async src="%s"></script>' % src.replace("&", "&amp;"))
    if body:
        parts.append("<script>%s</script>" % body)
    parts.append("</head><body><p>page</p></body></html>\n")
    return "".join(parts)


VHOST = """
<Directory "DOCROOT/on">
    ConsentGoogleConsentMode On
</Directory>
<Directory "DOCROOT/admin">
    ConsentGoogleConsentMode On
    ConsentScriptRule marketing "www.googletagmanager.com/gtag/js*"
</Directory>
<Directory "DOCROOT/admin-inline">
    ConsentInlineRule statistics "gtag\\("
</Directory>
"""


@pytest.fixture(scope="module")
def server(module_server_factory):
    srv = module_server_factory("gtag", start=False)
    for name in SNIPPETS:
        for d in ("off", "on", "admin", "admin-inline"):
            srv.add_file("%s/%s.html" % (d, name), page(name))
    srv.vhost_conf = VHOST.replace("DOCROOT", str(srv.docroot))
    srv.write_conf()
    srv.start()
    return srv


class Scripts(HTMLParser):
    """The page's own scripts (not mod_consent's): (src, data-consent, text)."""

    def __init__(self):
        super().__init__()
        self.scripts = []
        self._open = None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            a = dict(attrs)
            src = a.get("data-consent-src") or a.get("src")
            self._open = [src, a.get("data-consent"), ""]

    def handle_data(self, data):
        if self._open is not None:
            self._open[2] += data

    def handle_endtag(self, tag):
        if tag == "script" and self._open is not None:
            if not (self._open[0] or "").startswith("/_consent/"):
                self.scripts.append(tuple(self._open))
            self._open = None


def categories(server, path, cookie=None):
    """data-consent of the page's gtag.js script and inline snippet (None: passed as is)."""
    resp = server.get(path, headers={"Cookie": cookie} if cookie else {})
    assert resp.status == 200, resp
    p = Scripts()
    p.feed(resp.text())
    loader = [c for src, c, _ in p.scripts if src and "googletagmanager" in src]
    inline = [c for src, c, text in p.scripts if not src and text.strip()]
    return (loader[0] if loader else None), (inline[0] if inline else None), resp.text()


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_ids_decide_with_consent_mode_off(server, name):
    script, inline, html = categories(server, "/off/%s.html" % name)
    want_script, want_inline = WANT[name][0]
    assert (script, inline) == (want_script, want_inline), html


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_ids_decide_with_consent_mode_on(server, name):
    script, inline, html = categories(server, "/on/%s.html" % name)
    want_script, want_inline = WANT[name][1]
    assert (script, inline) == (want_script, want_inline), html


def test_statistics_consent_passes_the_clinic_snippet_with_consent_mode_on(server):
    cookie = consented(server, "custom", ["statistics"])
    script, inline, html = categories(server, "/on/clinic.html", cookie)
    # granted: both left as written
    assert '<script async src="%sG-FJORD2025"></script>' % GTAG_JS in html
    assert "<script>%s</script>" % CLINIC in html
    assert (script, inline) == (None, None)
    # Consent Mode off: the snippet with an Ads id still waits for marketing
    script, inline, html = categories(server, "/off/clinic.html", cookie)
    assert (script, inline) == (None, "marketing"), html


def test_an_admin_rule_wins_over_the_ids(server):
    # ConsentScriptRule marketing on gtag.js: held as marketing though its id is G-
    script, inline, html = categories(server, "/admin/ga-only.html")
    assert script == "marketing", html
    assert inline == "statistics", html
    # ConsentInlineRule statistics on any gtag( call: the admin's word, Ads id and all
    script, inline, html = categories(server, "/admin-inline/clinic.html")
    assert inline == "statistics", html
    assert script == "statistics", html
