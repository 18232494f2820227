"""The consent endpoint: reading state, recording decisions, refusing bad ones,
and the server-level settings that shape the consent cookie."""
import datetime
import json
import time
import urllib.parse

import pytest

from harness import (CATEGORIES, ID_RE, RFC3339_UTC_RE, CookieJar, consent_cookie, consented,
                     decide, decision_body, get_state, tamper)

OPTIONALS = ["preferences", "statistics", "marketing"]


@pytest.fixture(scope="module")
def server(module_server_factory):
    return module_server_factory("endpoint")


def parse_time(text):
    return datetime.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)


def assert_decided(state, granted):
    assert state["decided"] is True, state
    assert ID_RE.match(state["id"] or ""), state
    assert RFC3339_UTC_RE.match(state["time"] or ""), state
    age = datetime.datetime.now(datetime.timezone.utc) - parse_time(state["time"])
    assert abs(age.total_seconds()) < 60, state
    assert state["policy"] == "1"
    assert set(state["granted"]) == set(granted), state
    assert set(state["refused"]) == set(CATEGORIES) - set(granted), state


def same_decision(a, b):
    return {k: (sorted(v) if isinstance(v, list) else v) for k, v in a.items() if k != "gpc"} == \
        {k: (sorted(v) if isinstance(v, list) else v) for k, v in b.items() if k != "gpc"}


# --- state -------------------------------------------------------------------

def test_state_before_any_decision(server):
    resp = server.get("/_consent/state")
    assert resp.status == 200
    assert resp.header("Content-Type").split(";")[0].strip() == "application/json"
    assert "no-store" in (resp.header("Cache-Control") or ""), resp.headers
    state = resp.json()
    assert state["decided"] is False
    assert state["id"] is None and state["time"] is None
    assert state["policy"] == "1"
    assert state["granted"] == ["necessary"]
    assert sorted(state["refused"]) == sorted(OPTIONALS)
    assert state["gpc"] is False
    assert not resp.cookies, "reading state must not set cookies: %r" % resp


def test_state_with_a_forged_cookie_is_undecided(server):
    cookie = consented(server, "accept_all")
    name, value = cookie.split("=", 1)
    state = get_state(server, "%s=%s" % (name, tamper(value)))
    assert state["decided"] is False and state["granted"] == ["necessary"]


# --- JSON decisions ----------------------------------------------------------

@pytest.mark.parametrize("method, granted, expect", [
    ("accept_all", None, CATEGORIES),
    ("reject_all", None, ["necessary"]),
    ("custom", ["statistics"], ["necessary", "statistics"]),
    ("custom", [], ["necessary"]),
    ("custom", ["preferences", "marketing"], ["necessary", "preferences", "marketing"]),
    ("custom", ["necessary", "statistics"], ["necessary", "statistics"]),
])
def test_json_decision_answers_state_and_sets_signed_cookie(server, method, granted, expect):
    resp = decide(server, method, granted)
    assert resp.status == 200, resp
    assert resp.header("Content-Type").split(";")[0].strip() == "application/json"
    state = resp.json()
    assert_decided(state, expect)
    cookies = resp.setting("consent")
    assert len(cookies) == 1, resp
    c = cookies[0]
    assert c.value and c.domain is None
    assert c.attr("path") == "/"
    assert c.max_age == 15552000
    assert str(c.attr("samesite")).lower() == "lax"
    assert c.attr("httponly") is True
    # the cookie carries the same decision
    again = get_state(server, "consent=" + c.value)
    assert same_decision(again, state), (again, state)


def test_each_new_visitor_gets_a_new_id(server):
    ids = {decide(server).json()["id"] for _ in range(5)}
    assert len(ids) == 5


def test_a_visitor_keeps_one_id_across_decisions(server):
    jar = CookieJar()
    first = jar.update(decide(server, "custom", ["statistics"]))
    second = jar.update(decide(server, "accept_all", headers=jar.headers()))
    assert second.status == 200
    assert second.json()["id"] == first.json()["id"]
    assert get_state(server, jar.header())["id"] == first.json()["id"]


def test_withdrawal_is_recorded_as_withdraw_and_keeps_the_id(server):
    jar = CookieJar()
    accept = jar.update(decide(server, "accept_all"))
    before = len(server.consent_log_lines())
    withdraw = jar.update(decide(server, "reject_all", headers=jar.headers()))
    assert withdraw.status == 200
    state = withdraw.json()
    assert state["id"] == accept.json()["id"]
    assert state["granted"] == ["necessary"]
    records = server.consent_records()[before:]
    assert [r["method"] for r in records] == ["withdraw"], records
    assert records[0]["id"] == state["id"]
    # after withdrawal trackers are refused again
    page = server.get("/cgi-bin/cookies.py?set=_ga", headers=jar.headers())
    assert "_ga" not in page.set_names


def test_reject_without_earlier_grant_is_reject_all(server):
    before = len(server.consent_log_lines())
    first = decide(server, "reject_all")
    again = decide(server, "reject_all", headers={"Cookie": "consent=" + consent_cookie(first)})
    assert again.status == 200
    assert [r["method"] for r in server.consent_records()[before:]] == ["reject_all", "reject_all"]


# --- taking back: the browser drops the pages it keeps -----------------------------

NARROWING = {
    # id: (earlier JSON decision or None, the new one, whether it takes something back)
    "first-choice-reject": (None, {"method": "reject_all"}, False),
    "first-choice-accept": (None, {"method": "accept_all"}, False),
    "reject-again": ({"method": "reject_all"}, {"method": "reject_all"}, False),
    "accept-after-reject": ({"method": "reject_all"}, {"method": "accept_all"}, False),
    "more-categories": ({"method": "custom", "granted": ["statistics"]},
                        {"method": "custom", "granted": ["statistics", "marketing"]}, False),
    "withdraw": ({"method": "accept_all"}, {"method": "reject_all"}, True),
    "one-category-less": ({"method": "accept_all"},
                          {"method": "custom", "granted": ["preferences", "statistics"]}, True),
    "one-for-another": ({"method": "custom", "granted": ["statistics"]},
                        {"method": "custom", "granted": ["marketing"]}, True),
    "service-withdrawn": ({"method": "custom", "granted": [], "services": ["youtube"]},
                          {"method": "reject_all"}, True),
    "service-now-covered": ({"method": "custom", "granted": [], "services": ["youtube"]},
                            {"method": "custom", "granted": ["marketing"]}, False),
    "placeholder-only-adds": ({"method": "accept_all"},
                              {"method": "custom", "granted": ["marketing"], "via": "placeholder"},
                              False),
}


@pytest.mark.parametrize("case", list(NARROWING))
def test_a_decision_that_takes_back_clears_the_browsers_cache(server, case):
    earlier, new, narrows = NARROWING[case]
    jar = CookieJar()
    if earlier:
        first = jar.update(server.post("/_consent/decision", json.dumps(earlier)))
        assert first.status == 200, first
    resp = server.post("/_consent/decision", json.dumps(new), headers=jar.headers())
    assert resp.status == 200, resp
    # "cache": the back/forward cache and the HTTP cache; never the cookies
    # (the new consent cookie is in this very answer) or storage
    assert resp.header("Clear-Site-Data") == ('"cache"' if narrows else None), resp.headers


def test_a_withdrawal_by_form_clears_the_cache_on_its_redirect(server):
    jar = CookieJar()
    jar.update(form(server, "method=accept_all&return=/"))
    resp = form(server, "method=reject_all&return=/side", headers=jar.headers())
    assert resp.status == 303, resp
    assert resp.header("Clear-Site-Data") == '"cache"', resp.headers
    assert get_state(server, "consent=" + consent_cookie(resp))["granted"] == ["necessary"]
    again = form(server, "method=accept_all&return=/side", headers=jar.headers())
    assert again.status == 303 and again.header("Clear-Site-Data") is None, again.headers


def test_a_refused_decision_clears_nothing(server):
    jar = CookieJar()
    jar.update(decide(server, "accept_all"))
    resp = server.post("/_consent/decision", '{"method": "reject_all", "colour": "red"}',
                       headers=jar.headers())
    assert resp.status == 400, resp
    assert resp.header("Clear-Site-Data") is None, resp.headers


# --- form decisions ----------------------------------------------------------

def form(server, body, headers=None):
    return server.post("/_consent/decision", body, "application/x-www-form-urlencoded",
                       headers=headers)


def location_path(resp, server):
    loc = resp.header("Location")
    assert loc, resp
    parts = urllib.parse.urlsplit(loc)
    assert parts.netloc in ("", "127.0.0.1:%d" % server.port), loc
    return parts.path + ("?" + parts.query if parts.query else "")


def test_form_decision_redirects_to_return_path(server):
    resp = form(server, "method=reject_all&return=/side/om-oss")
    assert resp.status == 303, resp
    assert location_path(resp, server) == "/side/om-oss"
    value = consent_cookie(resp)
    assert value
    state = get_state(server, "consent=" + value)
    assert state["decided"] and state["granted"] == ["necessary"]


def test_form_custom_with_repeated_granted(server):
    resp = form(server, "method=custom&granted=statistics&granted=marketing&return=/")
    assert resp.status == 303, resp
    state = get_state(server, "consent=" + consent_cookie(resp))
    assert set(state["granted"]) == {"necessary", "statistics", "marketing"}


def test_form_without_return_goes_home(server):
    resp = form(server, "method=accept_all")
    assert resp.status == 303, resp
    assert location_path(resp, server) == "/"
    assert consent_cookie(resp)


def test_form_return_path_with_query_survives(server):
    resp = form(server, "method=accept_all&return=" + urllib.parse.quote("/side?a=1&b=2", safe="/"))
    assert resp.status == 303, resp
    assert location_path(resp, server) == "/side?a=1&b=2"


@pytest.mark.parametrize("ctype, body", [
    ("application/json; charset=utf-8", decision_body("accept_all")),
    ("Application/JSON", decision_body("accept_all")),
    ("application/x-www-form-urlencoded; charset=UTF-8", "method=accept_all"),
])
def test_content_type_parameters_and_case_are_accepted(server, ctype, body):
    resp = server.post("/_consent/decision", body, ctype)
    assert resp.status in (200, 303), resp
    assert consent_cookie(resp)


def test_endpoint_is_only_below_its_base_path(server):
    for path in ("/_consentx/state", "/_consent-old/state", "/x/_consent/state"):
        resp = server.get(path)
        assert resp.status == 404, (path, resp)
        assert (resp.header("Content-Type") or "").split(";")[0] != "application/json", path


# --- accepted origins ----------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {},
    {"Origin": "ORIGIN"},
    {"Sec-Fetch-Site": "same-origin"},
    {"Origin": "ORIGIN", "Sec-Fetch-Site": "same-origin"},
], ids=["no-origin", "same-origin", "sec-fetch-same-origin", "both"])
def test_same_origin_and_plain_clients_may_decide(server, headers):
    headers = {k: (server.origin if v == "ORIGIN" else v) for k, v in headers.items()}
    resp = decide(server, "accept_all", headers=headers)
    assert resp.status == 200, resp
    assert consent_cookie(resp)


def test_same_origin_on_a_named_host_may_decide(server):
    host = "www.klinikk.test:%d" % server.port
    resp = decide(server, "accept_all", host=host, headers={"Origin": "http://" + host,
                                                            "Sec-Fetch-Site": "same-origin"})
    assert resp.status == 200, resp


@pytest.mark.parametrize("origin", ["http://127.0.0.1:1", "https://127.0.0.1:PORT",
                                    "http://127.0.0.1", "https://127.0.0.1"],
                         ids=["other-port", "other-scheme", "default-port", "https-default"])
def test_an_origin_of_another_scheme_or_port_of_this_host_is_refused(server, origin):
    # without Sec-Fetch-Site only the Origin tells where a request comes
    # from: another port or scheme of the same host is another site's page
    before = len(server.consent_log_lines())
    origin = origin.replace("PORT", str(server.port))
    resp = decide(server, "accept_all", headers={"Origin": origin})
    assert resp.status == 403, resp
    assert not consent_cookie(resp)
    assert len(server.consent_log_lines()) == before


def test_a_browser_saying_same_origin_is_believed_whatever_the_origin_scheme(server):
    # a site behind a proxy that ends TLS: the browser's Origin is https,
    # Apache sees http; Sec-Fetch-Site (which other sites cannot forge) says
    # same-origin
    resp = decide(server, "accept_all", headers={
        "Origin": "https://127.0.0.1:%d" % server.port, "Sec-Fetch-Site": "same-origin"})
    assert resp.status == 200, resp


# --- refusals: nothing set, nothing recorded -----------------------------------

BIG = json.dumps({"method": "accept_all", "pad": "x" * 9000})

REFUSALS = {
    # id: (content type, body, extra headers, status, words one of which the reason mentions)
    "cross-site-origin": ("application/json", decision_body("accept_all"),
                          {"Origin": "https://evil.example"}, 403, None),
    "null-origin": ("application/json", decision_body("accept_all"), {"Origin": "null"}, 403, None),
    "sec-fetch-cross-site": ("application/json", decision_body("accept_all"),
                             {"Sec-Fetch-Site": "cross-site"}, 403, None),
    "too-large": ("application/json", BIG, {}, 413, None),
    "text-plain": ("text/plain", decision_body("accept_all"), {}, 415, None),
    "no-content-type": (None, decision_body("accept_all"), {}, 415, None),
    "malformed-json": ("application/json", '{"method": "accept_all"', {}, 400,
                       ("json", "malformed", "parse", "syntax", "invalid")),
    "json-array": ("application/json", '["accept_all"]', {}, 400, ("object", "json")),
    "json-string-method": ("application/json", '{"method": 1}', {}, 400, ("method",)),
    "unknown-method": ("application/json", decision_body("accept_some"), {}, 400, ("method",)),
    "missing-method": ("application/json", '{"granted": ["statistics"]}', {}, 400, ("method",)),
    "unknown-category": ("application/json", decision_body("custom", ["tracking"]), {}, 400,
                         ("category",)),
    "granted-not-a-list": ("application/json", '{"method": "custom", "granted": "statistics"}',
                           {}, 400, ("granted", "list", "array")),
    "unknown-field": ("application/json", '{"method": "accept_all", "colour": "red"}', {}, 400,
                      ("colour", "field", "unknown")),
    "form-bad-escape": ("application/x-www-form-urlencoded", "method=accept%zzall", {}, 400,
                        ("escape", "%", "encod", "form")),
    "form-unknown-category": ("application/x-www-form-urlencoded",
                              "method=custom&granted=tracking", {}, 400, ("category",)),
    "form-return-protocol-relative": ("application/x-www-form-urlencoded",
                                      "method=accept_all&return=//evil.example/", {}, 400,
                                      ("return",)),
    "form-return-absolute": ("application/x-www-form-urlencoded",
                             "method=accept_all&return=https%3A%2F%2Fevil.example%2F", {}, 400,
                             ("return",)),
    "form-return-backslash": ("application/x-www-form-urlencoded",
                              "method=accept_all&return=/%5Cevil.example", {}, 400, ("return",)),
}


def assert_refused_cleanly(server, resp, before, status, words):
    assert resp.status == status, resp
    assert not resp.cookies, "a refused decision must set nothing: %r" % resp
    assert len(server.consent_log_lines()) == before, "a refused decision must record nothing"
    if words:
        ctype = (resp.header("Content-Type") or "").split(";")[0].strip()
        assert ctype == "application/json", resp
        reason = resp.json().get("error")
        assert isinstance(reason, str) and reason, resp
        assert any(w in reason.lower() for w in words), "reason %r mentions none of %s" % (reason,
                                                                                         words)


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_decision_sets_and_records_nothing(server, case):
    ctype, body, headers, status, words = REFUSALS[case]
    headers = {k: (server.origin if v == "ORIGIN" else v) for k, v in headers.items()}
    before = len(server.consent_log_lines())
    resp = server.post("/_consent/decision", body, ctype, headers=headers)
    assert_refused_cleanly(server, resp, before, status, words)


def test_chunked_body_over_the_cap_is_refused(server):
    before = len(server.consent_log_lines())
    chunks = [BIG[i:i + 1000].encode() for i in range(0, len(BIG), 1000)]
    resp = server.request("POST", "/_consent/decision",
                          headers={"Content-Type": "application/json"}, chunks=chunks)
    assert_refused_cleanly(server, resp, before, 413, None)


def test_chunked_body_under_the_cap_is_accepted(server):
    body = decision_body("reject_all").encode()
    resp = server.request("POST", "/_consent/decision",
                          headers={"Content-Type": "application/json"},
                          chunks=[body[:5], body[5:]])
    assert resp.status == 200, resp
    assert consent_cookie(resp)


def test_body_of_exactly_the_cap_is_accepted(server):
    body = decision_body("reject_all")
    body = body + " " * (8192 - len(body))
    resp = server.post("/_consent/decision", body)
    assert resp.status == 200, resp


def test_get_on_decision_is_405_with_allow(server):
    resp = server.get("/_consent/decision")
    assert resp.status == 405
    assert "POST" in (resp.header("Allow") or ""), resp.headers
    assert not resp.cookies


def test_unknown_endpoint_path_is_404(server):
    resp = server.get("/_consent/nope")
    assert resp.status == 404
    assert not resp.cookies


# --- Global Privacy Control ------------------------------------------------------

def test_gpc_refuses_marketing_on_accept_all(server):
    before = len(server.consent_log_lines())
    resp = decide(server, "accept_all", headers={"Sec-GPC": "1"})
    assert resp.status == 200, resp
    state = resp.json()
    assert "marketing" in state["refused"] and "marketing" not in state["granted"]
    assert "statistics" in state["granted"]
    assert state["gpc"] is True
    records = server.consent_records()[before:]
    assert [r["method"] for r in records] == ["gpc"], records
    # the stored decision is the one without marketing
    stored = get_state(server, "consent=" + consent_cookie(resp))
    assert "marketing" not in stored["granted"]


def test_gpc_is_not_the_method_when_marketing_was_not_asked_for(server):
    before = len(server.consent_log_lines())
    resp = decide(server, "custom", ["statistics"], headers={"Sec-GPC": "1"})
    assert set(resp.json()["granted"]) == {"necessary", "statistics"}
    assert [r["method"] for r in server.consent_records()[before:]] == ["custom"]


def test_gpc_state_reports_the_signal(server):
    assert get_state(server, headers={"Sec-GPC": "1"})["gpc"] is True


def test_gpc_removes_marketing_cookies_despite_earlier_consent(server):
    cookie = consented(server, "accept_all")
    resp = server.get("/cgi-bin/cookies.py?set=PHPSESSID,_ga,_fbp",
                      headers={"Cookie": cookie, "Sec-GPC": "1"})
    assert {"PHPSESSID", "_ga"} <= resp.set_names, resp
    assert "_fbp" not in resp.set_names, resp
    plain = server.get("/cgi-bin/cookies.py?set=_fbp", headers={"Cookie": cookie})
    assert "_fbp" in plain.set_names


def test_gpc_ignored_when_respect_gpc_is_off(server_factory):
    srv = server_factory("nogpc", consent={"ConsentRespectGPC": "Off"})
    resp = decide(srv, "accept_all", headers={"Sec-GPC": "1"})
    assert resp.status == 200
    assert "marketing" in resp.json()["granted"]
    assert [r["method"] for r in srv.consent_records()] == ["accept_all"]
    page = srv.get("/cgi-bin/cookies.py?set=_fbp",
                   headers={"Cookie": "consent=" + consent_cookie(resp), "Sec-GPC": "1"})
    assert "_fbp" in page.set_names, page


# --- server settings ----------------------------------------------------------------

def test_policy_bump_voids_earlier_consent(server_factory):
    srv = server_factory("policy", consent={"ConsentPolicyVersion": "1"})
    first = decide(srv, "accept_all")
    cookie = "consent=" + consent_cookie(first)
    assert get_state(srv, cookie)["decided"] is True
    srv.reconfigure(consent={"ConsentPolicyVersion": "2"})
    srv.restart()
    state = get_state(srv, cookie)
    assert state["decided"] is False and state["policy"] == "2", state
    page = srv.get("/cgi-bin/cookies.py?set=PHPSESSID,_ga,_fbp", headers={"Cookie": cookie})
    assert "PHPSESSID" in page.set_names and not {"_ga", "_fbp"} & page.set_names, page
    # deciding again continues the visitor's history under the new policy
    again = decide(srv, "accept_all", headers={"Cookie": cookie})
    assert again.status == 200
    assert again.json()["policy"] == "2"
    assert again.json()["id"] == first.json()["id"]


def test_policy_bump_by_graceful_restart(server_factory):
    srv = server_factory("policy-graceful")
    cookie = consented(srv, "accept_all")
    srv.reconfigure(consent={"ConsentPolicyVersion": "2026-02"})
    srv.graceful()
    state = get_state(srv, cookie)
    assert state["decided"] is False and state["policy"] == "2026-02", state


def test_vhost_settings_override_server_settings(server_factory):
    srv = server_factory("vhost-settings", start=False)
    srv.reconfigure(
        vhost_conf="ConsentCookieName vhc\nConsentPolicyVersion v2\n",
        global_conf="<VirtualHost 127.0.0.1:%d>\n"
                    "    ServerName other.test\n"
                    "    ConsentEngine Off\n"
                    "    ConsentBasePath /other-consent\n"
                    "</VirtualHost>\n" % srv.port)
    srv.start()
    resp = decide(srv, "accept_all")
    assert consent_cookie(resp, "vhc") and resp.json()["policy"] == "v2", resp
    # the other virtual host keeps the server's cookie name and its own endpoint
    other = decide(srv, "accept_all", base="/other-consent", host="other.test")
    assert other.status == 200 and consent_cookie(other, "consent"), other
    assert other.json()["policy"] == "1"
    page = srv.get("/cgi-bin/cookies.py?set=_ga", host="other.test")
    assert "_ga" in page.set_names, "ConsentEngine Off in the other vhost: %r" % page
    page = srv.get("/cgi-bin/cookies.py?set=_ga")
    assert "_ga" not in page.set_names


def test_max_age_limits_the_decision(server_factory):
    srv = server_factory("maxage", consent={"ConsentMaxAge": "2"})
    resp = decide(srv, "accept_all")
    assert resp.setting("consent")[0].max_age == 2
    cookie = "consent=" + consent_cookie(resp)
    assert get_state(srv, cookie)["decided"] is True
    time.sleep(3.2)
    assert get_state(srv, cookie)["decided"] is False
    page = srv.get("/cgi-bin/cookies.py?set=_ga", headers={"Cookie": cookie})
    assert "_ga" not in page.set_names


def test_cookie_name_is_configurable(server_factory):
    srv = server_factory("cookiename", consent={"ConsentCookieName": "cc"})
    resp = decide(srv, "custom", ["statistics"])
    assert resp.status == 200
    assert consent_cookie(resp, "cc")
    assert not resp.setting("consent"), resp
    state = get_state(srv, "cc=" + consent_cookie(resp, "cc"))
    assert state["decided"] and "statistics" in state["granted"]
    # the old name means nothing here
    assert get_state(srv, "consent=" + consent_cookie(resp, "cc"))["decided"] is False
    page = srv.get("/cgi-bin/cookies.py?set=cc,_ga")
    assert "cc" in page.set_names, "the consent cookie itself always passes: %r" % page


@pytest.fixture(scope="module")
def domain_server(module_server_factory):
    return module_server_factory("cookiedomain", consent={"ConsentCookieDomain": "klinikk.test"})


def test_cookie_domain_sets_domain_cookie_and_replaces_host_only(domain_server):
    resp = decide(domain_server, "accept_all", host="www.klinikk.test")
    assert resp.status == 200, resp
    set_ = resp.setting("consent")
    assert len(set_) == 1 and set_[0].domain == "klinikk.test", resp
    deletions = resp.deleting("consent")
    assert any(d.domain is None for d in deletions), \
        "no host-only deletion of the consent cookie: %r" % resp
    assert all(d.max_age == 0 for d in deletions)


def test_cookie_domain_not_used_for_foreign_host(domain_server):
    resp = decide(domain_server, "accept_all")  # Host: 127.0.0.1:port
    set_ = resp.setting("consent")
    assert len(set_) == 1 and set_[0].domain is None, resp


def test_newest_of_two_consent_cookies_wins(domain_server):
    old = decide(domain_server, "reject_all", host="www.klinikk.test")
    time.sleep(1.1)  # decision times are in seconds
    new = decide(domain_server, "accept_all", host="booking.klinikk.test")
    old_v, new_v = consent_cookie(old), consent_cookie(new)
    for order in ((old_v, new_v), (new_v, old_v)):
        state = get_state(domain_server, "consent=%s; consent=%s" % order,
                          host="www.klinikk.test")
        assert state["id"] == new.json()["id"], (order, state)
        assert "marketing" in state["granted"]
    # an invalid newer-looking cookie does not shadow a valid one
    state = get_state(domain_server, "consent=%s; consent=%s" % (tamper(new_v), old_v),
                      host="www.klinikk.test")
    assert state["id"] == old.json()["id"], state


def test_secret_file_decides_which_cookies_are_genuine(server_factory):
    key_a = server_factory("key-a")
    secret_a = key_a.secret_path.read_bytes()
    key_b = server_factory("key-b")
    key_a2 = server_factory("key-a2", secret=secret_a)
    cookie = consented(key_a, "accept_all")
    decided = get_state(key_a, cookie)
    assert get_state(key_b, cookie)["decided"] is False
    other = get_state(key_a2, cookie)
    assert other["decided"] is True and other["id"] == decided["id"]


def test_missing_secret_file_is_warned_about(server_factory):
    srv = server_factory("nosecret", consent={"ConsentSecretFile": None})
    warnings = [l for l in srv.error_log().splitlines() if "ConsentSecretFile" in l]
    assert warnings and all(":warn]" in l for l in warnings), srv.error_log()
    resp = decide(srv, "accept_all")
    assert resp.status == 200 and consent_cookie(resp)
    assert get_state(srv, "consent=" + consent_cookie(resp))["decided"] is True


def test_without_a_secret_file_consent_survives_restarts_and_the_server_stops_cleanly(
        server_factory):
    """The random key outlives graceful restarts (a visitor is not asked
    again), and nothing of it is left for the parent to trip over at exit:
    stop() fails on a crash of the parent or a child."""
    srv = server_factory("nosecret-restart", consent={"ConsentSecretFile": None})
    cookie = "consent=" + consent_cookie(decide(srv, "accept_all"))
    for _ in range(2):
        srv.graceful()
        assert get_state(srv, cookie)["decided"] is True
    srv.stop()


def test_base_path_moves_the_endpoint(server_factory):
    srv = server_factory("basepath", consent={"ConsentBasePath": "/personvern/samtykke"})
    assert srv.get("/personvern/samtykke/state").json()["decided"] is False
    resp = decide(srv, "accept_all", base="/personvern/samtykke")
    assert resp.status == 200 and consent_cookie(resp)
    assert srv.get("/_consent/state").status == 404


def test_unwritable_log_refuses_the_decision(server_factory):
    srv = server_factory("devfull", consent={"ConsentLog": "/dev/full"})
    resp = decide(srv, "accept_all")
    assert resp.status == 503, resp
    assert not resp.setting("consent"), "no cookie without a record: %r" % resp
