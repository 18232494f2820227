"""Consent per service: a visitor allows one catalogue service (YouTube)
without the rest of its category (the Meta Pixel stays blocked), from the
banner's second layer or a placeholder, with or without JavaScript; the
signed cookie, the state, the log, `consent-log stats`, Set-Cookie and the
consent-aware CSP all follow."""
import json
import re
import urllib.parse

import pytest

from harness import consent_cookie, consent_log_tool, consented, get_state

YOUTUBE = "https://www.youtube.com/embed/4BOTvaRaDjI"
PIXEL = "https://connect.facebook.net/en_US/fbevents.js"
PAGE = ('<!DOCTYPE html>\n<html lang="en">\n<head><title>Clinic</title>\n'
        '<script async src="%s"></script>\n</head>\n<body>\n'
        '<iframe width="560" height="315" src="%s" title="Exercises"></iframe>\n'
        '<noscript><img height="1" width="1" '
        'src="https://www.facebook.com/tr?id=1&amp;ev=PageView&amp;noscript=1"></noscript>\n'
        '</body>\n</html>\n' % (PIXEL, YOUTUBE))
VHOST = """
ConsentCSP Enforce
<Location /cookies.txt>
    Header add Set-Cookie "VISITOR_INFO1_LIVE=v1; Path=/"
    Header add Set-Cookie "_fbp=fb.1.2; Path=/"
</Location>
"""


@pytest.fixture(scope="module")
def server(module_server_factory):
    files = {"pages/clinic.html": PAGE, "cookies.txt": "cookies\n"}
    return module_server_factory("services", vhost_conf=VHOST, files=files)


def post_json(server, body, headers=None):
    h = {"Origin": server.origin}
    h.update(headers or {})
    return server.post("/_consent/decision", json.dumps(body), headers=h)


def post_form(server, fields, cookie=None):
    h = {"Origin": server.origin}
    if cookie:
        h["Cookie"] = cookie
    return server.post("/_consent/decision", urllib.parse.urlencode(fields),
                       content_type="application/x-www-form-urlencoded", headers=h)


def cookie_of(resp):
    value = consent_cookie(resp)
    assert value, resp
    return "consent=" + value


def tags(text, name):
    return re.findall(r"<%s\b[^>]*>" % name, text)


def page_with(server, cookie=None, headers=None):
    h = dict(headers or {})
    if cookie:
        h["Cookie"] = cookie
    resp = server.get("/pages/clinic.html", headers=h)
    assert resp.status == 200, resp
    return resp


def youtube_live(text):
    frames = tags(text, "iframe")
    assert len(frames) == 1, frames
    return ('src="%s"' % YOUTUBE) in frames[0] and "data-consent" not in frames[0]


def pixel_blocked(text):
    script = [t for t in tags(text, "script") if "fbevents.js" in t]
    img = [t for t in tags(text, "img") if "facebook.com/tr" in t]
    assert script and img, text
    return all('data-consent="marketing"' in t and 'data-consent-service="meta-pixel"' in t and
               " src=" not in t for t in script + img)


def youtube_only(server, via="banner"):
    resp = post_json(server, {"method": "custom", "granted": ["statistics"],
                              "services": ["youtube"], "via": via})
    assert resp.status == 200, resp
    return resp


def test_without_consent_both_are_blocked_and_name_their_service(server):
    text = page_with(server).text()
    assert not youtube_live(text)
    frame = tags(text, "iframe")[0]
    assert 'data-consent-service="youtube"' in frame
    assert pixel_blocked(text)


def test_a_service_granted_alone_passes_and_the_rest_of_its_category_does_not(server):
    resp = youtube_only(server)
    state = resp.json()
    assert state["services"] == ["youtube"]
    assert "marketing" in state["refused"] and "statistics" in state["granted"]
    assert list(state)[list(state).index("refused") + 1] == "services"
    cookie = cookie_of(resp)
    assert cookie.split("=", 1)[1].startswith("2.")
    assert get_state(server, cookie)["services"] == ["youtube"]
    text = page_with(server, cookie).text()
    assert youtube_live(text)
    assert pixel_blocked(text)
    # and again on the next load: it is the server's doing, not a script's
    assert page_with(server, cookie).text() == text


def test_the_record_names_the_service_and_where_the_choice_was_made(server, tmp_path):
    before = len(server.consent_log_lines())
    youtube_only(server, via="settings")
    records = server.consent_records()[before:]
    assert len(records) == 1
    rec = records[0]
    assert rec["services"] == ["youtube"] and rec["via"] == "settings"
    assert rec["method"] == "custom"
    keys = list(rec)
    assert keys.index("refused") < keys.index("services") < keys.index("method") < \
        keys.index("via") < keys.index("lang")
    rc, out = consent_log_tool("verify", server.consent_log)
    assert rc == 0, out
    # the chain covers the new fields: another service breaks it
    lines = server.consent_log_lines()
    edited = [l.replace('"services":["youtube"]', '"services":["vimeo"]') for l in lines]
    assert edited != lines
    bad = tmp_path / "edited.log"
    bad.write_text("\n".join(edited) + "\n")
    rc, out = consent_log_tool("verify", bad)
    assert rc != 0, out


def test_stats_count_services_and_vias(server, tmp_path):
    youtube_only(server, via="placeholder")
    rc, out = consent_log_tool("stats", "--json", server.consent_log)
    assert rc == 0, out
    got = json.loads(out)
    records = server.consent_records()
    expected_youtube = sum("youtube" in r.get("services", []) for r in records)
    assert expected_youtube >= 1
    assert got["services"]["youtube"] == expected_youtube
    assert got["via"]["placeholder"] == sum(r.get("via") == "placeholder" for r in records)
    rc, out = consent_log_tool("stats", server.consent_log)
    assert rc == 0, out
    assert re.search(r"^youtube\s+%d$" % expected_youtube, out, re.M), out
    assert re.search(r"^placeholder\s+\d+$", out, re.M), out
    html_path = tmp_path / "stats.html"
    rc, out = consent_log_tool("stats", "--html", html_path, server.consent_log)
    assert rc == 0, out
    page = html_path.read_text()
    assert '<th scope="row">youtube</th><td>%d</td>' % expected_youtube in page


@pytest.mark.parametrize("body, reason", [
    ({"method": "custom", "services": ["tiktok"]}, "unknown service 'tiktok'"),
    ({"method": "custom", "services": ["YouTube"]}, "unknown service 'YouTube'"),
    ({"method": "custom", "via": "popup"}, "unknown via 'popup'"),
])
def test_an_unknown_service_is_refused_and_nothing_is_recorded(server, body, reason):
    before = len(server.consent_log_lines())
    resp = post_json(server, body)
    assert resp.status == 400, resp
    assert resp.json()["error"] == reason
    assert consent_cookie(resp) is None
    assert len(server.consent_log_lines()) == before


def test_under_gpc_a_marketing_service_is_refused_like_its_category(server):
    before = len(server.consent_log_lines())
    resp = post_json(server, {"method": "custom", "services": ["youtube"]},
                     headers={"Sec-GPC": "1"})
    assert resp.status == 200, resp
    assert resp.json()["services"] == []
    assert server.consent_records()[before:][-1]["method"] == "gpc"
    # a cookie granting YouTube from before counts for nothing under GPC
    cookie = cookie_of(youtube_only(server))
    assert not youtube_live(page_with(server, cookie, {"Sec-GPC": "1"}).text())
    assert youtube_live(page_with(server, cookie).text())


def test_refusing_everything_after_a_service_is_a_withdrawal(server):
    cookie = cookie_of(post_json(server, {"method": "custom", "services": ["youtube"]}))
    before = len(server.consent_log_lines())
    resp = post_json(server, {"method": "reject_all"}, headers={"Cookie": cookie})
    assert resp.status == 200 and resp.json()["services"] == []
    assert server.consent_records()[before:][-1]["method"] == "withdraw"


def test_set_cookie_of_a_granted_service_passes(server):
    resp = server.get("/cookies.txt")
    assert resp.set_names == set(), resp
    cookie = cookie_of(youtube_only(server))
    resp = server.get("/cookies.txt", headers={"Cookie": cookie})
    assert "VISITOR_INFO1_LIVE" in resp.set_names and "_fbp" not in resp.set_names, resp
    # the browser's own copies: YouTube's kept, the Pixel's expired
    resp = server.get("/cookies.txt", headers={
        "Cookie": cookie + "; VISITOR_INFO1_LIVE=v0; _fbp=fb.0"})
    assert "_fbp" in resp.deleted_names and "VISITOR_INFO1_LIVE" not in resp.deleted_names


def test_the_csp_allows_the_hosts_of_a_granted_service(server):
    policy = page_with(server).header("Content-Security-Policy")
    assert policy and "youtube.com" not in policy
    cookie = cookie_of(youtube_only(server))
    policy = page_with(server, cookie).header("Content-Security-Policy")
    assert "youtube.com" in policy, policy
    assert "facebook" not in policy, policy


def test_the_placeholder_allows_one_service_without_javascript(server):
    cookie = consented(server, "custom", ["statistics"])
    text = page_with(server, cookie).text()
    src = re.search(r'<iframe[^>]* src="([^"]+)"', text).group(1).replace("&amp;", "&")
    resp = server.get(src, headers={"Cookie": cookie,
                                    "Referer": server.origin + "/pages/clinic.html"})
    assert resp.status == 200, resp
    body = resp.text()
    assert ">Allow YouTube</button>" in body
    form = re.search(r'<form class="mc-placeholder-form mc-placeholder-service".*?</form>',
                     body).group(0)
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)
    before = len(server.consent_log_lines())
    resp = post_form(server, [(n, v.replace("&amp;", "&")) for n, v in fields], cookie)
    assert resp.status == 303, resp
    assert resp.header("Location").endswith("/pages/clinic.html")
    new = cookie_of(resp)
    state = get_state(server, new)
    assert state["services"] == ["youtube"] and "statistics" in state["granted"]
    assert "marketing" in state["refused"]
    rec = server.consent_records()[before:][-1]
    assert rec["via"] == "placeholder" and rec["services"] == ["youtube"]
    text = page_with(server, new).text()
    assert youtube_live(text) and pixel_blocked(text)
