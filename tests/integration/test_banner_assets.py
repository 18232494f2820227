"""The banner's assets (consent.js, consent.css, held.svg) served by the module, the
banner texts behind the consent log's "text" hash (ConsentText), and the
start-up checks of ConsentText and ConsentPrivacyPolicy. (The injection of
the banner into pages is tested with the HTML filter.)"""
import hashlib
import json
import re

import pytest

from harness import REPO

ASSETS = {
    "consent.js": "text/javascript; charset=utf-8",
    "consent.css": "text/css; charset=utf-8",
    "held.svg": "image/svg+xml",
}
LOCALES = REPO / "conf" / "locales"


@pytest.fixture(scope="module")
def server(module_server_factory):
    return module_server_factory("assets")


def content(name):
    return (REPO / "www" / name).read_bytes()


def version(name):
    return hashlib.sha256(content(name)).hexdigest()[:12]


def shipped_texts(lang):
    return json.loads((LOCALES / ("%s.json" % lang)).read_text("utf-8"))["texts"]


def text_hash(texts):
    """The documented canonical form: what an auditor recomputes."""
    canonical = json.dumps(texts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record_of(server, body, content_type="application/json", headers=None):
    before = len(server.consent_log_lines())
    resp = server.post("/_consent/decision", body, content_type=content_type, headers=headers)
    assert resp.status in (200, 303), resp
    records = server.consent_records()[before:]
    assert len(records) == 1, records
    return records[0]


def json_decision(lang, method="reject_all"):
    return json.dumps({"method": method, "lang": lang})


def names_file_and_line(output, path, line):
    return any(str(path) in l and re.search(r"(?<![0-9])%d(?![0-9])" % line, l)
               for l in output.splitlines())


# --- consent.js and consent.css ----------------------------------------------------------

@pytest.mark.parametrize("name", list(ASSETS))
def test_asset_is_served_with_its_type(server, name):
    resp = server.get("/_consent/" + name)
    assert resp.status == 200, resp
    assert resp.header("Content-Type") == ASSETS[name]
    assert resp.body == content(name)
    assert resp.header("ETag") == '"%s"' % version(name)
    assert resp.header("X-Content-Type-Options") == "nosniff"
    assert not resp.set_cookie_fields


@pytest.mark.parametrize("name", list(ASSETS))
def test_versioned_url_is_cached_for_good(server, name):
    resp = server.get("/_consent/%s?v=%s" % (name, version(name)))
    assert resp.status == 200
    cache = resp.header("Cache-Control")
    assert "immutable" in cache and "max-age=31536000" in cache, cache


@pytest.mark.parametrize("query", ["", "?v=000000000000", "?x=1", "?v=%s0" % ("0" * 11)])
def test_unversioned_or_stale_url_is_revalidated_soon(server, query):
    resp = server.get("/_consent/consent.js" + query)
    assert resp.status == 200
    cache = resp.header("Cache-Control")
    assert "max-age=300" in cache and "immutable" not in cache, cache


@pytest.mark.parametrize("name", list(ASSETS))
def test_if_none_match_answers_304(server, name):
    etag = '"%s"' % version(name)
    resp = server.get("/_consent/%s?v=%s" % (name, version(name)),
                      headers={"If-None-Match": etag})
    assert resp.status == 304, resp
    assert resp.body == b""
    assert resp.header("ETag") == etag
    assert "immutable" in (resp.header("Cache-Control") or "")
    other = server.get("/_consent/" + name, headers={"If-None-Match": '"0123456789ab"'})
    assert other.status == 200 and other.body == content(name)


def test_head_answers_headers_only(server):
    resp = server.head("/_consent/consent.css")
    assert resp.status == 200
    assert resp.body == b""
    assert resp.header("Content-Length") == str(len(content("consent.css")))
    assert resp.header("Content-Type") == ASSETS["consent.css"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_methods_are_not_allowed(server, method):
    resp = server.request(method, "/_consent/consent.js", body=b"x",
                          headers={"Content-Type": "text/plain"})
    assert resp.status == 405, resp
    assert "GET" in (resp.header("Allow") or ""), resp.headers


@pytest.mark.parametrize("path", ["/_consent/consent.jsx", "/_consent/www/consent.js",
                                  "/_consent/consent.js/x"])
def test_other_names_are_not_assets(server, path):
    assert server.get(path).status == 404


# --- the wording recorded with a decision ---------------------------------------------------

def test_logged_hash_is_of_the_shipped_wording(server):
    for lang in ("nb", "en"):
        rec = record_of(server, json_decision(lang))
        assert rec["lang"] == lang
        assert rec["text"] == text_hash(shipped_texts(lang)), lang


def test_consent_text_changes_the_logged_hash(server_factory):
    srv = server_factory("texts", vhost_conf='ConsentText en title "Cookies at Fjordklinikken"\n'
                                             'ConsentText EN save "Save"\n')
    en = dict(shipped_texts("en"), title="Cookies at Fjordklinikken", save="Save")
    assert record_of(srv, json_decision("en"))["text"] == text_hash(en)
    # the other languages keep their wording
    assert record_of(srv, json_decision("nb"))["text"] == text_hash(shipped_texts("nb"))


def test_inner_scope_wording_counts_for_its_pages(server_factory):
    srv = server_factory("texts-scoped", vhost_conf="""
        ConsentText en title "Outer title"
        ConsentText en save "Outer save"
        <Location /en>
            ConsentText en title "Inner title"
        </Location>
        """)
    outer = dict(shipped_texts("en"), title="Outer title", save="Outer save")
    inner = dict(outer, title="Inner title")
    form = "method=reject_all&lang=en&return=%s"
    assert record_of(srv, form % "/en/page", "application/x-www-form-urlencoded")["text"] == \
        text_hash(inner)
    assert record_of(srv, form % "/other", "application/x-www-form-urlencoded")["text"] == \
        text_hash(outer)
    # consent.js posts JSON from the page: its Referer names the page
    referer = {"Referer": "%s/en/page?x=1" % srv.origin}
    assert record_of(srv, json_decision("en"), headers=referer)["text"] == text_hash(inner)


def test_an_admins_category_counts_with_its_name(server_factory):
    srv = server_factory("texts-category", vhost_conf="ConsentCategory chat\n")
    en = dict(shipped_texts("en"), **{"category.chat.title": "chat"})
    assert record_of(srv, json_decision("en"))["text"] == text_hash(en)
    srv2 = server_factory("texts-category-named", vhost_conf="""
        ConsentCategory chat
        ConsentText en category.chat.title "Chat with us"
        ConsentText en category.chat.description "Lets the chat window remember you."
        """)
    en2 = dict(shipped_texts("en"), **{"category.chat.title": "Chat with us",
                                       "category.chat.description":
                                           "Lets the chat window remember you."})
    assert record_of(srv2, json_decision("en"))["text"] == text_hash(en2)


def test_a_language_without_shipped_texts_falls_back_with_a_warning(server_factory):
    srv = server_factory("texts-de", vhost_conf='ConsentLanguages de en\n'
                                                'ConsentText de title "Cookies auf dieser Seite"\n')
    log = srv.error_log()
    assert "MC00103" in log and "'de'" in log and "intro" in log, log
    assert log.count("MC00103") == 1, log
    rec = record_of(srv, json_decision("de"))
    assert rec["lang"] == "de"
    assert rec["text"] == text_hash(dict(shipped_texts("en"), title="Cookies auf dieser Seite"))


def test_shipped_languages_start_silently(server_factory):
    srv = server_factory("texts-quiet", vhost_conf='ConsentLanguages nn nb en\n'
                                                   'ConsentPrivacyPolicy /personvern\n')
    assert "MC001" not in srv.error_log(), srv.error_log()


# --- start-up checks -------------------------------------------------------------------------

BAD = {
    "text-unknown-key": ('ConsentText en titel "Hello"', ("titel", "accept_all")),
    "text-bad-language": ('ConsentText english_uk title "Hello"', ("english_uk",)),
    "text-control-character": ('ConsentText en title "a\tb"', ("control character",)),
    "text-too-few-arguments": ("ConsentText en title", ("consenttext",)),
    "text-undeclared-category": ('ConsentText en category.chat.title "Chat"', ("chat",)),
    "privacy-javascript": ("ConsentPrivacyPolicy javascript:alert(1)", ("consentprivacypolicy",)),
    "privacy-protocol-relative": ("ConsentPrivacyPolicy //evil.example/p",
                                  ("consentprivacypolicy",)),
    "privacy-relative": ("ConsentPrivacyPolicy personvern", ("consentprivacypolicy",)),
    "privacy-no-host": ("ConsentPrivacyPolicy https://", ("consentprivacypolicy",)),
    "privacy-quote": ('ConsentPrivacyPolicy "/p\\"><script>"', ("consentprivacypolicy",)),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_value_stops_startup_naming_file_and_line(config_factory, case):
    text, words = BAD[case]
    srv = config_factory(case)
    srv.reconfigure(global_conf=text)
    line = srv.line_of(text)
    rc, output = srv.start_expecting_failure()
    assert rc != 0, output
    assert "Invalid command" not in output, output
    assert names_file_and_line(output, srv.conf_path, line), output
    assert all(w in output.lower() for w in words), output


def test_good_values_start_in_every_scope(server_factory):
    srv = server_factory("texts-good", global_conf="""
        ConsentText nb title "Informasjonskapsler hos Fjordklinikken"
        ConsentPrivacyPolicy https://klinikk.test/personvern
        """, vhost_conf="""
        ConsentCategory chat
        ConsentText nn category.chat.title "Nettprat"
        <Location /en>
            ConsentText en intro "We ask first."
            ConsentPrivacyPolicy /en/privacy
        </Location>
        """)
    assert srv.get("/").status == 200
