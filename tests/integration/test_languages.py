"""ConsentLanguages: the language a decision is recorded in (the log's "lang"),
and the text hash that goes with it."""
import pytest

from harness import HEX64_RE, decide


@pytest.fixture(scope="module")
def server(module_server_factory):
    return module_server_factory("langs", vhost_conf="ConsentLanguages nn en\n")


def record_of(server, **kw):
    before = len(server.consent_log_lines())
    assert decide(server, "reject_all", **kw).status == 200
    records = server.consent_records()[before:]
    assert len(records) == 1
    return records[0]


def test_first_configured_language_is_the_fallback(server):
    assert record_of(server)["lang"] == "nn"
    assert record_of(server, headers={"Accept-Language": "de, fr"})["lang"] == "nn"


def test_accept_language_picks_an_offered_language(server):
    assert record_of(server, headers={"Accept-Language": "en-GB,en;q=0.9"})["lang"] == "en"
    # nb is not offered here: the fallback, not nb
    assert record_of(server, headers={"Accept-Language": "nb"})["lang"] == "nn"


def test_form_lang_field_wins_over_accept_language(server):
    before = len(server.consent_log_lines())
    resp = server.post("/_consent/decision", "method=reject_all&lang=en&return=/",
                       content_type="application/x-www-form-urlencoded",
                       headers={"Accept-Language": "nn"})
    assert resp.status == 303
    assert server.consent_records()[before:][0]["lang"] == "en"


def test_each_language_has_its_own_text_hash(server):
    nn = record_of(server)["text"]
    en = record_of(server, headers={"Accept-Language": "en"})["text"]
    assert HEX64_RE.match(nn) and HEX64_RE.match(en)
    assert nn != en


def test_default_languages_are_bokmal_then_english(server_factory):
    srv = server_factory("langs-default")
    assert record_of(srv)["lang"] == "nb"
    assert record_of(srv, headers={"Accept-Language": "no-NO"})["lang"] == "nb"
    assert record_of(srv, headers={"Accept-Language": "en-US"})["lang"] == "en"


def test_bad_language_tag_stops_startup(config_factory):
    srv = config_factory("langs-bad", vhost_conf="ConsentLanguages nb english_uk\n")
    rc, out = srv.config_test()
    assert rc != 0
    assert "english_uk" in out and str(srv.conf_path) in out, out
