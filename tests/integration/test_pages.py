"""The endpoint's pages: GET settings (a plain HTML page to change or withdraw
consent without JavaScript) and GET declaration (the cookie declaration as
JSON, for the cookie table of a privacy page)."""
import hashlib
import html
import html.parser
import json
import re
import urllib.parse

import pytest

from harness import ID_RE, REPO, consent_cookie, consented, get_state

FORM = "application/x-www-form-urlencoded"
LOCALES = REPO / "conf" / "locales"


@pytest.fixture(scope="module")
def server(module_server_factory):
    return module_server_factory("pages")


def texts(lang):
    return json.loads((LOCALES / ("%s.json" % lang)).read_text("utf-8"))["texts"]


def version(name):
    return hashlib.sha256((REPO / "www" / name).read_bytes()).hexdigest()[:12]


class Page(html.parser.HTMLParser):
    """The start tags of a page (attributes unescaped, as a browser reads
    them) and its text."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.scripts = []  # (attrs, body)
        self.text_parts = []
        self._script = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = (dict(attrs), [])

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script[0], "".join(self._script[1])))
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script[1].append(data)
        self.text_parts.append(data)

    @property
    def text(self):
        return " ".join(" ".join(self.text_parts).split())

    def find(self, tag=None, **attrs):
        return [a for t, a in self.tags
                if (tag is None or t == tag) and all(a.get(k) == v for k, v in attrs.items())]

    def one(self, tag=None, **attrs):
        found = self.find(tag, **attrs)
        assert len(found) == 1, (tag, attrs, found)
        return found[0]

    def checkbox(self, category):
        return self.one("input", id="mc-cat-" + category)

    def checked(self):
        return {a["value"] for a in self.find("input", type="checkbox", name="granted")
                if "checked" in a}

    def form_fields(self, method, granted=None):
        """What a browser posts for the submit button METHOD: the hidden
        fields, the ticked boxes (or GRANTED ticked instead)."""
        fields = []
        for a in self.find("input"):
            if a.get("type") == "hidden":
                fields.append((a["name"], a["value"]))
            elif a.get("type") == "checkbox" and "name" in a and "disabled" not in a:
                on = a["value"] in granted if granted is not None else "checked" in a
                if on:
                    fields.append((a["name"], a["value"]))
        fields.append(("method", method))
        return urllib.parse.urlencode(fields)


def settings(server, query="", cookie=None, headers=None):
    h = dict(headers or {})
    if cookie:
        h["Cookie"] = cookie
    resp = server.get("/_consent/settings" + query, headers=h)
    assert resp.status == 200, resp
    return resp, Page(resp.text())


def declaration(server, query="", headers=None):
    resp = server.get("/_consent/declaration" + query, headers=headers)
    assert resp.status == 200, resp
    return resp.json()


def category(decl, name):
    found = [c for c in decl["categories"] if c["name"] == name]
    assert len(found) == 1, (name, [c["name"] for c in decl["categories"]])
    return found[0]


def cookie_of(decl, category_name, cookie_name):
    found = [c for c in category(decl, category_name)["cookies"] if c["name"] == cookie_name]
    assert len(found) <= 1, found
    return found[0] if found else None


# --- the settings page ------------------------------------------------------------------

def test_settings_page_is_plain_html_that_is_not_stored(server):
    resp, page = settings(server, "?return=/om-oss")
    assert resp.header("Content-Type") == "text/html; charset=utf-8"
    assert resp.header("Cache-Control") == "no-store"
    assert resp.header("X-Frame-Options") == "SAMEORIGIN"
    assert resp.header("Content-Language") == "nb"
    assert resp.text().startswith("<!DOCTYPE html>")
    assert not resp.set_cookie_fields
    assert page.one("html")["lang"] == "nb"
    assert texts("nb")["settings_page_title"] in page.text


def test_settings_page_before_a_decision_ticks_nothing(server):
    _, page = settings(server, "?return=/om-oss")
    nb = texts("nb")
    assert nb["current_state_none"] in page.text
    assert not page.find("code", id="mc-consent-id")
    # the second layer is open and shown; only necessary is on (and locked)
    assert "hidden" not in page.one("section", id="mc-banner")
    assert "open" in page.one("details", id="mc-settings")
    assert page.checked() == set()
    necessary = page.checkbox("necessary")
    assert "checked" in necessary and "disabled" in necessary
    for c in ("preferences", "statistics", "marketing"):
        assert "checked" not in page.checkbox(c), c
    assert [b["value"] for b in page.find("button", name="method")] == \
        ["accept_all", "reject_all", "custom"]


def test_settings_page_after_a_decision_shows_it(server):
    cookie = consented(server, "custom", ["statistics"])
    state = get_state(server, cookie)
    _, page = settings(server, "?return=/om-oss", cookie=cookie)
    nb = texts("nb")
    assert nb["current_state_none"] not in page.text
    assert nb["current_state"] in page.text
    # the consent id, so that the visitor can quote it in an access request
    assert ID_RE.match(state["id"])
    assert state["id"] in page.text
    assert page.one("time")["datetime"] == state["time"]
    assert "%s %s" % (nb["state_granted"], ", ".join(
        [nb["category.necessary.title"], nb["category.statistics.title"]])) in page.text
    # the switches show the current choice
    assert page.checked() == {"statistics"}
    assert "open" in page.one("details", id="mc-settings")
    assert "hidden" not in page.one("section", id="mc-banner")


def test_settings_form_returns_to_the_page_the_visitor_came_from(server):
    _, page = settings(server, "?return=" + urllib.parse.quote("/om-oss?side=2", safe="/"))
    assert page.one("input", name="return")["value"] == "/om-oss?side=2"
    assert page.one("a", id="mc-back")["href"] == "/om-oss?side=2"
    assert page.one("form")["action"] == "/_consent/decision"
    resp = server.post("/_consent/decision", page.form_fields("custom", {"statistics"}), FORM)
    assert resp.status == 303, resp
    assert resp.header("Location").endswith("/om-oss?side=2")
    state = get_state(server, "consent=" + consent_cookie(resp))
    assert state["decided"] and set(state["granted"]) == {"necessary", "statistics"}


def test_withdrawal_is_one_click_and_removes_tracker_cookies(server):
    cookie = consented(server, "accept_all")
    _, page = settings(server, "?return=/", cookie=cookie)
    assert texts("nb")["withdraw_note"] in page.text
    assert page.checked() == {"preferences", "statistics", "marketing"}
    before = len(server.consent_log_lines())
    resp = server.post("/_consent/decision", page.form_fields("reject_all"), FORM,
                       headers={"Cookie": cookie + "; _ga=GA1.1.1.1; _fbp=fb.1.1.1"})
    assert resp.status == 303, resp
    assert {"_ga", "_fbp"} <= resp.deleted_names, resp.set_cookie_fields
    assert [r["method"] for r in server.consent_records()[before:]] == ["withdraw"]
    _, after = settings(server, "", cookie="consent=" + consent_cookie(resp))
    assert after.checked() == set()


@pytest.mark.parametrize("query", ["", "?return=", "?return=//evil.example/x",
                                   "?return=https://evil.example/", "?return=om-oss",
                                   "?return=/%5Cevil.example", "?return=/a%09b",
                                   "?return=%zz"])
def test_missing_or_unsafe_return_goes_home(server, query):
    _, page = settings(server, query)
    assert page.one("input", name="return")["value"] == "/"
    assert page.one("a", id="mc-back")["href"] == "/"


def test_hostile_return_is_escaped(server):
    hostile = "/x\"'><script>alert(1)</script><img/src=x/onerror=alert(2)>"
    resp, page = settings(server, "?return=" + urllib.parse.quote(hostile, safe="/"))
    body = resp.text()
    assert "<script>alert" not in body and "<img/src" not in body
    # a browser reads it back as the very path, which is same-site
    assert page.one("input", name="return")["value"] == hostile
    assert page.one("a", id="mc-back")["href"] == hostile
    assert not page.find("img")


def test_no_inline_style_or_script(server):
    cookie = consented(server, "accept_all")
    for c, headers in ((None, {}), (cookie, {"Sec-GPC": "1"})):
        resp, page = settings(server, "?return=/", cookie=c, headers=headers)
        body = resp.text()
        assert "style=" not in body
        assert not page.find("style")
        assert page.scripts, "consent.js is not linked"
        for attrs, text in page.scripts:
            assert attrs.get("src") and not text.strip(), (attrs, text)
        assert not [a for _, a in page.tags if any(k.startswith("on") for k in a)]


def test_assets_are_linked_by_their_versioned_urls(server):
    _, page = settings(server)
    css = page.one("link", rel="stylesheet")["href"]
    tag = next(a for a, _ in page.scripts if "/consent.js" in a.get("src", ""))
    js = tag["src"]
    assert css == "/_consent/consent.css?v=" + version("consent.css")
    assert js == "/_consent/consent.js?v=" + version("consent.js")
    assert tag["data-base"] == "/_consent"
    for url in (css, js):
        assert server.get(url).status == 200


def test_language_by_accept_language_and_lang(server):
    en = texts("en")
    resp, page = settings(server, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert page.one("html")["lang"] == "en"
    assert resp.header("Content-Language") == "en"
    assert en["settings_page_title"] in page.text and en["current_state_none"] in page.text
    assert page.one("input", name="lang")["value"] == "en"
    # ?lang= wins over Accept-Language
    _, page = settings(server, "?lang=en&return=/", headers={"Accept-Language": "nb"})
    assert page.one("html")["lang"] == "en"
    assert page.one("input", name="lang")["value"] == "en"
    # a language that is not offered, or not a tag at all: Accept-Language decides
    for lang in ("de", "%3Cx%3E"):
        _, page = settings(server, "?lang=%s" % lang, headers={"Accept-Language": "en"})
        assert page.one("html")["lang"] == "en", lang
    _, page = settings(server, "?lang=de")
    assert page.one("html")["lang"] == "nb"


def test_nynorsk_when_offered(server_factory):
    srv = server_factory("pages-nn", vhost_conf="ConsentLanguages nb nn en\n")
    nn = texts("nn")
    _, page = settings(srv, "?lang=nn")
    assert page.one("html")["lang"] == "nn"
    assert nn["settings_page_title"] in page.text and nn["withdraw_note"] in page.text
    _, page = settings(srv, headers={"Accept-Language": "nn-NO"})
    assert page.one("html")["lang"] == "nn"


def test_the_language_posted_from_the_page_is_recorded(server):
    _, page = settings(server, "?lang=en&return=/")
    before = len(server.consent_log_lines())
    resp = server.post("/_consent/decision", page.form_fields("reject_all"), FORM,
                       headers={"Accept-Language": "nb"})
    assert resp.status == 303
    assert server.consent_records()[before:][0]["lang"] == "en"


def test_gpc_is_explained_and_marketing_locked_off(server):
    _, page = settings(server, headers={"Sec-GPC": "1"})
    assert texts("nb")["gpc_notice"] in page.text
    marketing = page.checkbox("marketing")
    assert "disabled" in marketing and "checked" not in marketing


def test_privacy_policy_is_linked_when_configured(server_factory):
    srv = server_factory("pages-privacy", vhost_conf="ConsentPrivacyPolicy /personvern\n")
    _, page = settings(srv)
    assert page.one("a", **{"class": "mc-privacy"})["href"] == "/personvern"


def test_head_answers_headers_only(server):
    resp = server.head("/_consent/settings?return=/")
    assert resp.status == 200
    assert resp.body == b""
    assert resp.header("Content-Type") == "text/html; charset=utf-8"
    assert resp.header("Cache-Control") == "no-store"


# --- the cookie declaration ------------------------------------------------------------------

def test_declaration_is_json_of_every_category_in_order(server):
    resp = server.get("/_consent/declaration")
    assert resp.status == 200, resp
    assert resp.header("Content-Type") == "application/json"
    cache = resp.header("Cache-Control")
    assert cache == "no-store" or "max-age=300" in cache, cache
    assert "Accept-Language" in (resp.header("Vary") or "")
    assert not resp.set_cookie_fields
    decl = resp.json()
    assert list(decl) == ["policy", "lang", "categories", "seen", "blocked", "unclassified",
                          "recipients", "outside_eea"]
    assert decl["policy"] == "1" and decl["lang"] == "nb"
    # the cookies earlier tests' responses set (test_declaration_seen.py)
    assert isinstance(decl["seen"], list)
    for k in decl["seen"]:
        assert list(k) == ["name", "category", "domain", "lifetime", "first_seen", "last_seen",
                           "service", "vendor"], k
    for k in decl["unclassified"]:
        assert list(k) == ["name", "domain", "lifetime", "persistent", "treatment", "advice"], k
    assert [c["name"] for c in decl["categories"]] == \
        ["necessary", "preferences", "statistics", "marketing"]
    assert [c["required"] for c in decl["categories"]] == [True, False, False, False]
    for c in decl["categories"]:
        assert list(c) == ["name", "title", "description", "required", "cookies", "services"]
        assert isinstance(c["title"], str) and c["title"]
        for k in c["cookies"]:
            assert list(k) == ["name", "service", "vendor", "pattern"], k
            assert isinstance(k["pattern"], bool)


def test_declaration_lists_only_the_cookies_of_services_in_use(server):
    decl = declaration(server)
    # services nobody has seen this site use stay out, and so do raw regexes
    assert cookie_of(decl, "marketing", "_ttp") is None
    assert cookie_of(decl, "marketing", "_pin_unauth") is None
    assert cookie_of(decl, "necessary", "ASP.NET_SessionId") is None
    assert cookie_of(decl, "necessary", "^S?SESS[0-9a-f]{32}$") is None
    names = {s["name"] for c in decl["categories"] for s in c["services"]}
    assert not names & {"TikTok Pixel", "Pinterest", "ASP.NET", "Drupal"}, names
    # the consent cookie itself, first
    assert category(decl, "necessary")["cookies"][0] == {
        "name": "consent", "service": "mod_consent", "vendor": None, "pattern": False}


def test_declaration_lists_services_of_each_category(server_factory):
    srv = server_factory("pages-used", files={"ga.html": (
        "<!DOCTYPE html><html><head><title>ga</title>"
        "<script async src=\"https://www.googletagmanager.com/gtag/js?id=G-TEST1\"></script>"
        "</head><body><p>ga</p></body></html>\n")})
    assert srv.get("/ga.html").status == 200
    decl = declaration(srv)
    stats = {s["name"]: s for s in category(decl, "statistics")["services"]}
    ga = stats["Google Analytics"]
    assert list(ga)[:4] == ["name", "vendor", "privacy", "description"]
    assert ga["vendor"] == "Google"
    assert ga["privacy"].startswith("https://")
    assert "besøkende" in ga["description"]
    assert ga["entity"] == "Google Ireland Limited" and ga["outside_eea"] is True
    assert ga["seen_by"] == ["element"]
    assert cookie_of(decl, "statistics", "_ga")["service"] == "Google Analytics"
    assert "Meta Pixel" not in {s["name"] for s in category(decl, "marketing")["services"]}
    assert "Google Analytics" not in {s["name"] for s in category(decl, "marketing")["services"]}


def test_declaration_texts_follow_the_language(server):
    nb, en = texts("nb"), texts("en")
    decl = declaration(server)
    assert category(decl, "statistics")["title"] == nb["category.statistics.title"]
    assert category(decl, "statistics")["description"] == nb["category.statistics.description"]
    decl = declaration(server, headers={"Accept-Language": "en-US,en;q=0.8"})
    assert decl["lang"] == "en"
    assert category(decl, "statistics")["title"] == en["category.statistics.title"]
    decl = declaration(server, "?lang=en", headers={"Accept-Language": "nb"})
    assert decl["lang"] == "en"
    assert category(decl, "marketing")["title"] == en["category.marketing.title"]


def test_declaration_shows_the_sites_own_rules_and_categories(server_factory):
    srv = server_factory("pages-own", consent={"ConsentPolicyVersion": "2026-1",
                                                "ConsentCookieName": "samtykke"},
                         vhost_conf="""
        ConsentCategory chat
        ConsentCategory security required
        ConsentText nb category.chat.title "Nettprat"
        ConsentText nb category.chat.description "Lar chatvinduet huske samtalen din."
        ConsentCookieRule chat chat_session ~^chat_[0-9]+$
        ConsentCookieRule preferences _ga
        ConsentScriptRule chat chat.example.com
        """)
    decl = declaration(srv)
    assert decl["policy"] == "2026-1"
    assert [c["name"] for c in decl["categories"]] == \
        ["necessary", "preferences", "statistics", "marketing", "chat", "security"]
    chat = category(decl, "chat")
    assert chat["title"] == "Nettprat"
    assert chat["description"] == "Lar chatvinduet huske samtalen din."
    assert chat["required"] is False and category(decl, "security")["required"] is True
    assert chat["cookies"] == [
        {"name": "chat_session", "service": None, "vendor": None, "pattern": False},
        {"name": "^chat_[0-9]+$", "service": None, "vendor": None, "pattern": True}]
    # without ConsentText an admin's category shows its name
    assert category(decl, "security")["title"] == "security"
    assert category(decl, "security")["description"] is None
    # the site's rule for _ga wins, so that is where it is declared
    assert cookie_of(decl, "statistics", "_ga") is None
    assert cookie_of(decl, "preferences", "_ga")["service"] is None
    assert category(decl, "necessary")["cookies"][0]["name"] == "samtykke"


def test_declaration_head_and_other_methods(server):
    resp = server.head("/_consent/declaration")
    assert resp.status == 200 and resp.body == b""
    assert resp.header("Content-Type") == "application/json"


@pytest.mark.parametrize("path", ["/_consent/settings", "/_consent/declaration"])
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_methods_are_not_allowed(server, path, method):
    resp = server.request(method, path, body=b"method=accept_all", headers={"Content-Type": FORM})
    assert resp.status == 405, resp
    assert "GET" in (resp.header("Allow") or ""), resp.headers
    assert not resp.set_cookie_fields


@pytest.mark.parametrize("path", ["/_consent/settings/x", "/_consent/settingsx",
                                  "/_consent/declaration.json"])
def test_other_names_are_not_pages(server, path):
    assert server.get(path).status == 404


# --- the cookie lists of the banner's second layer -----------------------------------------

def banner_cookies(page_html):
    """Per category of the injected banner: the summary and the listed names
    (as a browser reads them), or None when it has no list."""
    out = {}
    rows = re.split(r'<div class="mc-cat">', page_html)[1:]
    for row in rows:
        row = row.split("</fieldset>")[0]
        name = re.search(r'id="mc-cat-([^"]+)"', row).group(1)
        details = re.search(r'<details class="mc-cookies"><summary>(.*?)</summary>(.*?)</details>',
                            row)
        if not details:
            out[name] = None
            continue
        codes = [html.unescape(c) for c in re.findall(r"<code>(.*?)</code>", details.group(2))]
        out[name] = (html.unescape(details.group(1)), codes)
    return out


def test_the_injected_banner_lists_no_cookies_of_services_not_in_use(server):
    resp = server.get("/", headers={"Accept-Language": "en"})
    assert resp.status == 200, resp
    lists = banner_cookies(resp.text())
    # nothing on this site uses TikTok, Pinterest or Drupal: their cookies stay out
    for name in ("_ttp", "_pin_unauth", "ASP.NET_SessionId", "S?SESS"):
        assert name not in resp.text(), name
    summary, names = lists["necessary"]
    # the consent cookie itself, under necessary
    assert names[0] == consent_cookie_name(server) and summary == "Cookies (%d)" % len(names)


def consent_cookie_name(server):
    return category(declaration(server), "necessary")["cookies"][0]["name"]


def test_the_cookie_lists_follow_the_language_and_the_sites_rules(server_factory):
    srv = server_factory("pages-own-banner", vhost_conf="""
        ConsentCategory chat
        ConsentCookieRule chat chat_session ~^chat_<[0-9]+$
        ConsentCookieRule preferences _ga
        """)
    resp = srv.get("/", headers={"Accept-Language": "nb"})
    assert resp.status == 200, resp
    lists = banner_cookies(resp.text())
    assert lists["chat"] == ("Informasjonskapsler (2)", ["chat_session", "^chat_<[0-9]+$"])
    assert "&lt;" in resp.text() and "chat_<[" not in resp.text()
    assert "_ga" in lists["preferences"][1]
    assert lists["statistics"] is None or "_ga" not in lists["statistics"][1]
    # the settings page lists them too
    _, page = settings(srv)
    assert "chat_session" in page.text


def test_a_locations_own_rules_show_in_its_banner(server_factory):
    srv = server_factory("pages-location-banner", vhost_conf="""
        <Location "/">
            ConsentCookieRule statistics loc_stats
        </Location>
        """)
    resp = srv.get("/", headers={"Accept-Language": "en"})
    assert resp.status == 200, resp
    names = banner_cookies(resp.text())["statistics"][1]
    # the location's own rule; not the catalogue's cookies of unused services
    assert "loc_stats" in names and "_ga" not in names
