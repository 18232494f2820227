"""Placeholders for blocked embeds: a neutralised <iframe> keeps its size and
shows GET {base}/placeholder?u=URL&l=LANG, a small page in the page's language
that names the service and the category, loads only that embed on a click,
and offers to allow the category everywhere (a plain form, no JavaScript)."""
import base64
import hashlib
import hmac
import html.parser
import json
import re
import urllib.parse

import pytest

from harness import REPO, consented

LOCALES = {lang: json.loads((REPO / "conf" / "locales" / ("%s.json" % lang)).read_text("utf-8"))
           ["texts"] for lang in ("nb", "nn", "en")}

YOUTUBE = "https://www.youtube.com/embed/4BOTvaRaDjI?rel=0&start=10"
PAGE = ('<!DOCTYPE html>\n<html lang="%s">\n<head><title>Video</title></head>\n<body>\n'
        '<p>Se videoen:</p>\n<iframe width="560" height="315" '
        'src="https://www.youtube.com/embed/4BOTvaRaDjI?rel=0&amp;start=10" '
        'title="Øvelser" class="video" allowfullscreen></iframe>\n</body>\n</html>\n')
VHOST = """
ConsentLanguages nb nn en
<Location /local/>
    ConsentScriptRule statistics stats.example.org
</Location>
"""
REFERER = "http://127.0.0.1:%d/pages/video-nb.html"
# WordPress's comment list: a Gravatar avatar in a box of its own, and a
# tracking pixel of one pixel
AVATAR = "https://secure.gravatar.com/avatar/5d4?s=56&d=mm&r=g"
COMMENTS = ('<!DOCTYPE html>\n<html lang="nb">\n<head><title>Kommentarer</title></head>\n<body>\n'
            '<article class="comment"><footer><img alt="" src="%s" '
            'srcset="https://secure.gravatar.com/avatar/5d4?s=112&#038;d=mm&#038;r=g 2x" '
            'class="avatar avatar-56 photo" height="56" width="56" loading="lazy" decoding="async">'
            '<b>Kari</b></footer><p>Takk!</p></article>\n'
            '<img height="1" width="1" style="display:none" '
            'src="https://www.facebook.com/tr?id=1&amp;ev=PageView&amp;noscript=1">\n'
            '</body>\n</html>\n') % AVATAR.replace("&", "&#038;")


@pytest.fixture(scope="module")
def server(module_server_factory):
    files = {"pages/video-%s.html" % lang: PAGE % lang for lang in ("nb", "en")}
    files["local/video.html"] = PAGE % "en"
    files["pages/comments.html"] = COMMENTS
    return module_server_factory("placeholder", vhost_conf=VHOST, files=files)


class Page(html.parser.HTMLParser):
    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.parts, self.forms, self.in_form = [], [], [], False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "form":
            self.forms.append((dict(attrs), []))
        elif tag == "input" and self.forms and self.in_form:
            self.forms[-1][1].append((dict(attrs).get("name"), dict(attrs).get("value")))
        self.in_form = tag == "form" or self.in_form

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False

    def form_fields(self, cls):
        """The hidden fields of the one form whose class is CLS."""
        found = [fields for attrs, fields in self.forms if attrs.get("class") == cls]
        assert len(found) == 1, (cls, self.forms)
        return found[0]

    def handle_data(self, data):
        self.parts.append(data)

    @property
    def text(self):
        return " ".join(" ".join(self.parts).split())

    def find(self, tag, **attrs):
        return [a for t, a in self.tags
                if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def one(self, tag, **attrs):
        found = self.find(tag, **attrs)
        assert len(found) == 1, (tag, attrs, found)
        return found[0]


def iframe_of(server, path, cookie=None):
    h = {"Cookie": cookie} if cookie else {}
    resp = server.get(path, headers=h)
    assert resp.status == 200, resp
    m = re.search(r"<iframe[^>]*>", resp.text())
    assert m, resp.text()
    return m.group(0), Page(resp.text()).one("iframe")


def signature(server, url):
    """The s= the module writes beside u=URL: HMAC-SHA256 of the server's
    secret over "placeholder\\0URL", its first 16 bytes in base64url."""
    key = server.secret_path.read_bytes().rstrip(b"\r\n")
    mac = hmac.new(key, b"placeholder\0" + url.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def placeholder(server, url, lang="nb", referer=None, cookie=None, sig=True):
    h = {}
    if referer is not False:
        h["Referer"] = referer or REFERER % server.port
    if cookie:
        h["Cookie"] = cookie
    q = {"u": url, "l": lang}
    if sig is True:
        q["s"] = signature(server, url)
    elif sig:
        q["s"] = sig
    return server.get("/_consent/placeholder?" + urllib.parse.urlencode(q), headers=h)


def category(lang, name="marketing"):
    title = LOCALES[lang]["category.%s.title" % name]
    return title[0].lower() + title[1:]


def test_without_consent_the_iframe_keeps_its_box_and_shows_the_placeholder(server):
    raw, a = iframe_of(server, "/pages/video-nb.html")
    assert a["width"] == "560" and a["height"] == "315"
    assert a["title"] == "Øvelser" and a["class"] == "video"
    assert a["data-consent"] == "marketing"
    assert a["data-consent-src"] == YOUTUBE
    src = urllib.parse.urlsplit(a["src"])
    assert src.path == "/_consent/placeholder"
    q = urllib.parse.parse_qs(src.query)
    assert q == {"u": [YOUTUBE], "l": ["nb"], "s": [signature(server, YOUTUBE)]}
    # the attribute is escaped in the markup
    assert "&amp;l=nb" in raw
    _, en = iframe_of(server, "/pages/video-en.html")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(en["src"]).query)["l"] == ["en"]


def test_a_held_avatar_shows_the_neutral_image_in_its_box(server):
    page = Page(server.get("/pages/comments.html").text())
    avatar = page.one("img", **{"class": "avatar avatar-56 photo"})
    assert avatar["data-consent"] == "preferences" and avatar["data-consent-src"] == AVATAR
    assert avatar["width"] == "56" and avatar["height"] == "56"
    held = server.get(avatar["src"])
    assert urllib.parse.urlsplit(avatar["src"]).path == "/_consent/held.svg"
    assert held.status == 200 and held.header("Content-Type") == "image/svg+xml", held
    assert held.body == (REPO / "www" / "held.svg").read_bytes()
    assert "immutable" in held.header("Cache-Control")
    # the pixel stays blank: a neutral image there would show as a box
    pixel = page.one("img", style="display:none")
    assert "src" not in pixel and pixel["data-consent"] == "marketing"
    # a visitor who allowed preferences gets the avatar as written
    allowed = Page(server.get("/pages/comments.html",
                              headers={"Cookie": consented(server, "custom", ["preferences"])}).text())
    assert allowed.one("img", **{"class": "avatar avatar-56 photo"})["src"] == AVATAR


def test_with_marketing_granted_the_iframe_is_untouched(server):
    cookie = consented(server, "custom", ["marketing"])
    raw, a = iframe_of(server, "/pages/video-nb.html", cookie)
    assert raw == re.search(r"<iframe[^>]*>", PAGE).group(0)
    assert "data-consent" not in a


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_the_placeholder_names_the_service_and_category(server, lang):
    resp = placeholder(server, YOUTUBE, lang)
    assert resp.status == 200, resp
    assert resp.header("Content-Type") == "text/html; charset=utf-8"
    assert resp.header("Cache-Control") == "private, max-age=300"
    assert resp.header("X-Frame-Options") == "SAMEORIGIN"
    page = Page(resp.text())
    texts = LOCALES[lang]
    assert page.one("html")["lang"] == lang
    cat = category(lang)
    text = texts["placeholder_text"].replace("{service}", "YouTube").replace("{category}", cat)
    assert text in page.text
    assert "YouTube" in page.text and cat in page.text
    link = page.one("a")
    assert link["href"] == YOUTUBE
    assert texts["placeholder_load"] in page.text
    assert texts["placeholder_allow"].replace("{category}", cat) in page.text
    css = page.one("link", rel="stylesheet")["href"]
    assert css.startswith("/_consent/consent.css?v=")
    assert server.get(css).status == 200
    assert not page.find("script") and not page.find("style")
    assert not [a for _, a in page.tags if "style" in a]


def test_the_placeholder_form_allows_the_category_and_returns_to_the_page(server):
    cookie = consented(server, "custom", ["statistics"])
    page = Page(placeholder(server, YOUTUBE, "en", cookie=cookie).text())
    form = page.one("form", **{"class": "mc-placeholder-form"})
    assert form["method"] == "post" and form["action"] == "/_consent/decision"
    assert form["target"] == "_top"
    hidden = page.form_fields("mc-placeholder-form")
    assert ("method", "custom") in hidden
    assert sorted(v for n, v in hidden if n == "granted") == ["marketing", "necessary",
                                                             "statistics"]
    assert ("return", "/pages/video-nb.html") in hidden
    assert ("lang", "en") in hidden
    assert ("via", "placeholder") in hidden
    # a cross-site or missing Referer returns to the root
    for referer in ("http://elsewhere.example/pages/x.html", False):
        page = Page(placeholder(server, YOUTUBE, "en", referer=referer).text())
        hidden = page.form_fields("mc-placeholder-form")
        assert [v for n, v in hidden if n == "return"] == ["/"]
        assert sorted(v for n, v in hidden if n == "granted") == ["marketing", "necessary"]


def test_posting_the_form_grants_the_category(server):
    page = Page(placeholder(server, YOUTUBE, "en").text())
    fields = page.form_fields("mc-placeholder-form")
    resp = server.post("/_consent/decision", urllib.parse.urlencode(fields),
                       content_type="application/x-www-form-urlencoded",
                       headers={"Origin": "http://127.0.0.1:%d" % server.port})
    assert resp.status == 303, resp
    assert resp.header("Location").endswith("/pages/video-nb.html")
    cookie = "consent=" + resp.setting("consent")[-1].value
    _, a = iframe_of(server, "/pages/video-nb.html", cookie)
    assert a["src"] == YOUTUBE


def test_under_gpc_marketing_is_not_offered(server):
    resp = server.get("/_consent/placeholder?" + urllib.parse.urlencode(
        {"u": YOUTUBE, "l": "en", "s": signature(server, YOUTUBE)}), headers={"Sec-GPC": "1"})
    assert resp.status == 200, resp
    page = Page(resp.text())
    assert not page.find("form") and not page.find("button")
    assert page.one("a")["href"] == YOUTUBE


def test_the_service_falls_back_to_the_host(server):
    referer = "http://127.0.0.1:%d/local/video.html" % server.port
    resp = placeholder(server, "https://stats.example.org/embed?x=1", "en", referer=referer)
    assert resp.status == 200, resp
    page = Page(resp.text())
    assert "stats.example.org" in page.text and category("en", "statistics") in page.text


@pytest.mark.parametrize("url", [
    "https://unknown.example/embed/x",      # no rule classifies it
    "javascript:alert(1)",                  # not http(s)
    "//www.youtube.com/embed/x",            # not absolute
    "/pages/video-nb.html",                 # a local path
    "ftp://www.youtube.com/embed/x",
    "https:///embed",
])
def test_urls_the_rules_do_not_know_are_refused(server, url):
    resp = placeholder(server, url)
    assert resp.status == 400, resp


@pytest.mark.parametrize("sig", [None, "", "AAAAAAAAAAAAAAAAAAAAAA", "x" * 22, "other"])
def test_a_url_no_page_of_the_site_carried_is_refused(server, sig):
    # the page is no open link: /_consent/placeholder?u=https://evil.example/login/matomo.php
    # (a regex rule matches anywhere in a URL) is refused unless the module
    # signed the URL itself, as it does for the embeds it neutralises
    evil = "https://evil.example/login/matomo.php"
    if sig == "other":
        sig = signature(server, YOUTUBE)
    resp = placeholder(server, evil, "en", sig=sig)
    assert resp.status == 400, resp
    assert "evil.example" not in resp.text()
    # the embed a page carries is offered, signed by the module
    _, a = iframe_of(server, "/pages/video-nb.html")
    assert server.get(a["src"], headers={"Referer": REFERER % server.port}).status == 200


def test_a_directory_rule_counts_only_on_its_pages(server):
    # stats.example.org is only classified under /local/
    resp = placeholder(server, "https://stats.example.org/embed?x=1", "en")
    assert resp.status == 400, resp


def test_the_u_parameter_is_required_and_only_get_is_allowed(server):
    assert server.get("/_consent/placeholder").status == 400
    assert server.get("/_consent/placeholder?l=nb").status == 400
    resp = server.post("/_consent/placeholder?" + urllib.parse.urlencode({"u": YOUTUBE}), "",
                       content_type="application/x-www-form-urlencoded")
    assert resp.status == 405, resp
