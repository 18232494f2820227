"""What the site really uses: the services its pages and cookies show, in
the declaration (JSON and HTML), in the banner's two layers and in the hash
of the texts a decision is logged with; kept across a full restart."""
import hashlib
import html
import json
import re
import urllib.parse

import pytest

from harness import REPO

CATALOGUE = json.loads((REPO / "conf" / "rules" / "default.json").read_text("utf-8"))
LOCALES = REPO / "conf" / "locales"
YEAR = 365 * 86400

PAGES = {
    "ga.html": ("<!DOCTYPE html><html><head><title>ga</title>"
                "<script async src=\"https://www.googletagmanager.com/gtag/js?id=G-TEST123\">"
                "</script></head><body><p>stats</p></body></html>\n"),
    "pixel.html": ("<!DOCTYPE html><html><head><title>pixel</title>"
                   "<script async src=\"https://connect.facebook.net/en_US/fbevents.js\"></script>"
                   "</head><body><p>ads</p></body></html>\n"),
    "video.html": ("<!DOCTYPE html><html><head><title>video</title></head><body>"
                   "<iframe title=\"film\" src=\"https://www.youtube.com/embed/abc123\"></iframe>"
                   "</body></html>\n"),
}
USED = {"google-analytics", "meta-pixel", "youtube", "mailchimp"}
UNUSED = {"TikTok Pixel", "Pinterest", "ASP.NET", "Drupal", "Hotjar"}


def service_of(name):
    return [s for s in CATALOGUE["services"] if s["name"] == name][0]


def declaration(srv, lang):
    resp = srv.get("/_consent/declaration?lang=" + lang)
    assert resp.status == 200, resp
    assert resp.header("Content-Type") == "application/json"
    return resp.json()


def services(decl):
    out = {}
    for c in decl["categories"]:
        for s in c.get("services", []):
            if "id" in s:
                assert s["category"] == c["name"], s
                out[s["id"]] = s
    return out


@pytest.fixture
def site(server_factory):
    srv = server_factory("used", files=PAGES)
    for page in PAGES:
        assert srv.get("/" + page).status == 200
    raw = "MCPopupClosed=yes; Max-Age=%d; Path=/" % YEAR
    ga = "_ga=GA1.1.1.1; Max-Age=%d; Path=/" % (2 * YEAR)
    resp = srv.get("/cgi-bin/cookies.py?raw=" + urllib.parse.quote(ga, safe=""))
    assert resp.status == 200, resp
    resp = srv.get("/cgi-bin/cookies.py?raw=" + urllib.parse.quote(raw, safe=""))
    assert resp.status == 200, resp
    return srv


def check_declaration(srv, lang):
    decl = declaration(srv, lang)
    assert decl["lang"] == lang
    found = services(decl)
    assert set(found) == USED, sorted(found)
    ids = [s["id"] for c in decl["categories"] for s in c["services"]]
    assert len(ids) == len(set(ids)), ids
    names = {s["name"] for c in decl["categories"] for s in c["services"]}
    assert not names & UNUSED
    cookies = {k["name"] for c in decl["categories"] for k in c["cookies"]}
    assert not cookies & {"_ttp", "_pin_unauth", "ASP.NET_SessionId"}, cookies
    assert not any(k.startswith("^") for k in cookies), cookies

    ga = found["google-analytics"]
    assert ga["category"] == "statistics"
    assert ga["entity"] == "Google Ireland Limited"
    assert ga["outside_eea"] is True and "US" in ga["countries"]
    assert ga["transfer"] == "EU-US Data Privacy Framework"
    assert ga["seen_by"] == ["cookie", "element"]
    assert ga["purpose"] == service_of("Google Analytics")["description"][lang]
    ga_cookie = [k for k in ga["cookies"] if k["name"] == "_ga"][0]
    assert ga_cookie["lifetime"] == 2 * YEAR and ga_cookie["session"] is False
    assert ga_cookie["seen"] is True
    assert ga_cookie["duration"].startswith("2 ")

    yt = found["youtube"]
    assert yt["category"] == "marketing" and yt["seen_by"] == ["element"]
    ysc = [k for k in yt["cookies"] if k["name"] == "YSC"][0]
    assert ysc["session"] is True and ysc["lifetime"] is None and ysc["duration"]
    assert found["meta-pixel"]["entity"] == "Meta Platforms Ireland Limited"

    mc = found["mailchimp"]
    assert mc["seen_by"] == ["cookie"] and mc["outside_eea"] is True
    popup = [k for k in mc["cookies"] if k["name"] == "MCPopupClosed"][0]
    # the catalogue gives no lifetime: the one seen
    assert popup["seen"] is True and popup["lifetime"] == YEAR
    assert decl["outside_eea"] is True
    return decl


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_declaration_lists_exactly_the_services_in_use(site, lang):
    check_declaration(site, lang)


def test_services_in_use_survive_a_full_restart(site):
    before = declaration(site, "nb")
    site.restart()
    after = check_declaration(site, "nb")
    assert services(after).keys() == services(before).keys()
    assert after["recipients"] == before["recipients"]


def test_a_fresh_site_names_no_one(server_factory):
    srv = server_factory("used-fresh")
    decl = declaration(srv, "en")
    assert services(decl) == {} and decl["recipients"] is None
    page = srv.get("/", headers={"Accept-Language": "en"}).text()
    recipients = re.search(r'<p id="mc-recipients"[^>]*>(.*?)</p>', page).group(1)
    en = json.loads((LOCALES / "en.json").read_text("utf-8"))["texts"]
    assert html.unescape(recipients).startswith(en["recipients_none"])
    assert 'class="mc-service"' not in page


def first_layer(srv, lang):
    page = srv.get("/", headers={"Accept-Language": lang}).text()
    m = re.search(r'<p id="mc-recipients" class="mc-recipients">(.*?)</p>', page)
    assert m, page[:2000]
    return page, html.unescape(m.group(1))


@pytest.mark.parametrize("lang,outside", [("nb", "utenfor EØS"), ("nn", "utanfor EØS"),
                                          ("en", "outside the EEA")])
def test_the_first_layer_names_the_recipients(site, lang, outside):
    decl = declaration(site, lang)
    page, text = first_layer(site, lang)
    for vendor in ("Google", "Meta", "Intuit Mailchimp"):
        assert vendor in decl["recipients"] and vendor in text, text
    assert outside in text
    # how long a choice is kept: ConsentMaxAge's 180 days, said as months
    assert "6 " in text
    # the second layer: a switch for YouTube, none for unused services
    assert re.search(r'<input type="checkbox" class="mc-service" id="mc-svc-youtube" '
                     r'name="service" value="youtube" data-category="marketing"', page)
    assert 'value="google-analytics" data-category="statistics"' in page
    assert 'value="tiktok-pixel"' not in page and "_ttp" not in page
    assert not re.search(r'class="mc-service"[^>]*checked', page)


def texts_hash(texts):
    canonical = json.dumps(texts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_the_logged_text_hash_covers_the_recipients_shown(site):
    nn = json.loads((LOCALES / "nn.json").read_text("utf-8"))["texts"]
    _, text = first_layer(site, "nn")
    names = declaration(site, "nn")["recipients"]
    shown = dict(nn, recipients=nn["recipients"].replace("{recipients}", names))
    assert text.startswith(shown["recipients"])
    before = len(site.consent_log_lines())
    resp = site.post("/_consent/decision", json.dumps({"method": "reject_all", "lang": "nn"}),
                     content_type="application/json")
    assert resp.status in (200, 303), resp
    record = site.consent_records()[before:][0]
    assert record["text"] == texts_hash(shown)
    assert record["text"] != texts_hash(nn)


@pytest.mark.parametrize("how", [{"query": "?format=html"},
                                 {"headers": {"Accept": "text/html,application/xhtml+xml"}}])
def test_declaration_as_a_page(site, how):
    resp = site.get("/_consent/declaration" + how.get("query", "") + 
                    ("&" if how.get("query") else "?") + "lang=nn", headers=how.get("headers"))
    assert resp.status == 200, resp
    assert resp.header("Content-Type") == "text/html; charset=utf-8"
    body = resp.text()
    assert '<html lang="nn">' in body and "Informasjonskapslar og tenester" in body
    assert body.count('<table class="mc-decl-table">') == 2  # statistics and marketing
    assert "Google Ireland Limited" in body and "Meta Platforms Ireland Limited" in body
    for name in UNUSED:
        assert name not in body
    assert "<script>" not in body and "style=" not in body


def test_json_stays_the_default_for_fetch(site):
    resp = site.get("/_consent/declaration", headers={"Accept": "*/*"})
    assert resp.header("Content-Type") == "application/json"
    assert "Accept" in resp.header("Vary")


def test_a_csp_report_shows_a_service_in_use(server_factory):
    srv = server_factory("used-csp", vhost_conf="ConsentCSP Enforce\n")
    report = json.dumps({"csp-report": {
        "document-uri": srv.origin + "/", "referrer": "", "violated-directive": "connect-src",
        "effective-directive": "connect-src", "original-policy": "default-src 'self'",
        "disposition": "enforce", "blocked-uri": "https://region1.google-analytics.com/g/collect",
        "status-code": 200}})
    resp = srv.post("/_consent/csp-report", report, content_type="application/csp-report")
    assert resp.status == 204, resp
    found = services(declaration(srv, "en"))
    assert set(found) == {"google-analytics"}, sorted(found)
    assert found["google-analytics"]["seen_by"] == ["csp"]


def test_nn_is_offered_by_default(server_factory):
    srv = server_factory("used-langs")
    resp = srv.get("/_consent/settings?lang=nn")
    assert resp.status == 200 and '<html lang="nn">' in resp.text()
    assert declaration(srv, "nn")["lang"] == "nn"
    page = srv.get("/", headers={"Accept-Language": "nn, en;q=0.5"}).text()
    assert 'lang="nn"' in page and "Mottakarar" not in page  # nothing in use yet: no names
