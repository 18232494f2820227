"""ConsentCSP: a Content-Security-Policy that follows the visitor's consent,
beside the site's own; and the violation reports it asks for, counted per
blocked host and listed in the declaration, bounded whatever arrives."""
import concurrent.futures
import json
import re
import secrets

import pytest

from harness import KeepAlive, consented

REPORT = "/_consent/csp-report"
CSP = "Content-Security-Policy"
CSP_RO = "Content-Security-Policy-Report-Only"
CAPACITY = 128  # MC_BLOCKED_CAPACITY
PAGE = ("<!DOCTYPE html><html><head><title>t</title></head><body><p>page</p>"
        "<script src=\"https://www.googletagmanager.com/gtag/js?id=G-1\"></script></body></html>\n")


def scoped_conf(server):
    d = server.docroot
    return """\
ConsentCSP Enforce
ConsentCSPAllow fonts.gstatic.com https://cdn.example.org/lib/
ConsentScriptRule necessary static.klinikk-cdn.test
<Directory {d}/report>
    ConsentCSP Report
</Directory>
<Directory {d}/off>
    ConsentCSP Off
</Directory>
<Directory {d}/own>
    Header always set Content-Security-Policy "default-src 'self'; img-src 'self'"
</Directory>
<Directory {d}/onsuccess>
    Header set Content-Security-Policy "default-src 'self'"
</Directory>
""".format(d=d)


def make_server(factory, name, loglevel="notice"):
    srv = factory(name, start=False, loglevel=loglevel,
                  files={"index.html": PAGE, "report/index.html": PAGE, "off/index.html": PAGE,
                         "own/index.html": PAGE, "onsuccess/index.html": PAGE})
    srv.reconfigure(global_conf=scoped_conf(srv))
    srv.start()
    return srv


@pytest.fixture(scope="module")
def server(module_server_factory):
    return make_server(module_server_factory, "csp")


def sources(policy):
    """The sources of the module policy's default-src."""
    m = re.search(r"(?:^|;)\s*default-src ([^;]*)", policy)
    assert m, policy
    return m.group(1).split()


def module_policy(resp, header=CSP):
    """The module's own policy among RESP's HEADER fields (it has report-uri)."""
    ours = [v for v in resp.header_all(header) if "report-uri %s" % REPORT in v]
    assert len(ours) == 1, (header, resp.header_all(header))
    return ours[0]


def head_script(resp):
    m = re.search(r"<script src=\"/_consent/consent\.js[^>]*>", resp.text())
    assert m, resp.text()[:400]
    return m.group(0)


# --- the policy per consent state ---------------------------------------------------------

def test_without_consent_only_the_site_necessary_and_allowed_hosts(server):
    resp = server.get("/")
    assert resp.status == 200
    src = sources(module_policy(resp))
    for needed in ("'self'", "'unsafe-inline'", "'unsafe-eval'", "data:", "blob:",
                   "fonts.gstatic.com", "https://cdn.example.org/lib/",
                   "static.klinikk-cdn.test", "*.static.klinikk-cdn.test"):
        assert needed in src, (needed, src)
    for tracker in ("google-analytics.com", "*.google-analytics.com", "googletagmanager.com/gtag/",
                    "connect.facebook.net", "youtube.com", "*"):
        assert tracker not in src, (tracker, src)
    assert resp.header_all(CSP_RO) == []
    # report-uri alone: with report-to, Chromium would ignore it and batch
    assert "report-to" not in module_policy(resp)
    # the page tells consent.js which choices need a new policy: every
    # category whose services have hosts (preferences: Gravatar, s.w.org)
    assert 'data-csp-reload="preferences statistics marketing"' in head_script(resp)
    for host in ("gravatar.com", "s.w.org"):
        assert host not in src, (host, src)


def test_statistics_granted_adds_the_statistics_hosts(server):
    cookie = consented(server, "custom", ["statistics"])
    resp = server.get("/", headers={"Cookie": cookie})
    src = sources(module_policy(resp))
    for host in ("google-analytics.com", "*.google-analytics.com", "googletagmanager.com/gtag/",
                 "hotjar.com", "fonts.gstatic.com"):
        assert host in src, (host, src)
    for host in ("connect.facebook.net", "youtube.com", "doubleclick.net"):
        assert host not in src, (host, src)
    assert 'data-csp-reload="preferences marketing"' in head_script(resp)


def test_all_granted_adds_every_category_and_needs_no_reload(server):
    cookie = consented(server, "accept_all")
    resp = server.get("/", headers={"Cookie": cookie})
    src = sources(module_policy(resp))
    for host in ("google-analytics.com", "connect.facebook.net", "youtube.com",
                 "*.youtube.com", "doubleclick.net", "static.klinikk-cdn.test"):
        assert host in src, (host, src)
    # regex rules cannot be sources: never in the policy
    assert not any("facebook.com/tr" in s for s in src), src
    assert "data-csp-reload" not in head_script(resp)


def test_gpc_keeps_marketing_hosts_out(server):
    cookie = consented(server, "accept_all")
    resp = server.get("/", headers={"Cookie": cookie, "Sec-GPC": "1"})
    src = sources(module_policy(resp))
    assert "google-analytics.com" in src
    assert "connect.facebook.net" not in src


def test_report_mode_sends_report_only(server):
    resp = server.get("/report/")
    assert resp.status == 200
    assert resp.header_all(CSP) == []
    assert "google-analytics.com" not in sources(module_policy(resp, CSP_RO))
    assert "data-csp-reload" not in head_script(resp)


def test_off_sends_nothing(server):
    resp = server.get("/off/")
    assert resp.status == 200
    assert resp.header_all(CSP) == [] and resp.header_all(CSP_RO) == []
    assert "data-csp-reload" not in head_script(resp)


def test_only_pages_get_a_policy(server):
    for path in ("/plain.txt", "/_consent/state", "/_consent/consent.js",
                 "/_consent/settings?return=/"):
        resp = server.get(path)
        assert resp.status == 200, (path, resp)
        assert resp.header_all(CSP) == [], path


@pytest.mark.parametrize("where", ["own", "onsuccess"])
def test_the_sites_own_policy_stays_beside_it(server, where):
    resp = server.get("/%s/" % where)
    values = resp.header_all(CSP)
    assert len(values) == 2, values
    assert any(v.startswith("default-src 'self'") and "report-uri" not in v for v in values)
    assert "fonts.gstatic.com" in sources(module_policy(resp))


def test_a_bad_allowed_source_stops_start_up(config_factory):
    srv = config_factory("cspbad", global_conf="ConsentCSPAllow \"a.com; script-src *\"")
    rc, out = srv.start_expecting_failure()
    assert rc != 0 and "ConsentCSPAllow 'a.com; script-src *'" in out, out


def test_a_bad_mode_stops_start_up(config_factory):
    srv = config_factory("cspbad2", global_conf="ConsentCSP Sometimes")
    rc, out = srv.start_expecting_failure()
    assert rc != 0 and "ConsentCSP takes Off, Report or Enforce" in out, out


# --- reports ---------------------------------------------------------------------------------

def report_uri_body(server, blocked, directive="connect-src", document=None):
    return json.dumps({"csp-report": {
        "document-uri": document or server.origin + "/om-oss.html",
        "referrer": "",
        "violated-directive": directive,
        "effective-directive": directive,
        "original-policy": "default-src 'self'",
        "disposition": "enforce",
        "blocked-uri": blocked,
        "status-code": 200,
    }})


def reporting_body(server, blocked, directive="img-src"):
    return json.dumps([{
        "type": "csp-violation", "age": 10, "url": server.origin + "/",
        "user_agent": "test",
        "body": {"documentURL": server.origin + "/", "blockedURL": blocked,
                 "effectiveDirective": directive, "disposition": "report",
                 "originalPolicy": "default-src 'self'", "statusCode": 200},
    }])


def post_report(server, body, content_type="application/csp-report", headers=None):
    return server.post(REPORT, body, content_type=content_type, headers=headers)


def blocked(server):
    resp = server.get("/_consent/declaration")
    assert resp.status == 200, resp
    return {b["host"]: b for b in resp.json()["blocked"]}


def log_lines(server, code, host=None):
    return [l for l in server.error_log().splitlines()
            if code in l and (host is None or host in l)]


def test_reports_are_counted_per_host_and_listed(server):
    host = "collect.unknown-tracker.test"
    for i in range(3):
        resp = post_report(server, report_uri_body(server, "https://%s/p?i=%d" % (host, i)),
                           headers={"Origin": server.origin, "Sec-Fetch-Site": "same-origin"})
        assert resp.status == 204, resp
        assert resp.body == b""
    resp = post_report(server, reporting_body(server, "https://%s/pixel.gif" % host),
                       content_type="application/reports+json")
    assert resp.status == 204, resp
    entry = blocked(server)[host]
    assert entry["count"] == 4
    assert entry["directive"] == "img-src connect-src"
    assert entry["first_seen"] <= entry["last_seen"]
    # once in the log, at notice, with what to do about it
    lines = log_lines(server, "MC00251", host)
    assert len(lines) == 1, lines
    assert ":notice]" in lines[0] and "ConsentCSPAllow %s" % host in lines[0]


def test_a_known_tracker_is_logged_with_its_rule(server):
    resp = post_report(server, report_uri_body(server, "https://www.google-analytics.com/g/collect"))
    assert resp.status == 204, resp
    assert blocked(server)["www.google-analytics.com"]["count"] >= 1
    lines = log_lines(server, "MC00250", "www.google-analytics.com")
    assert len(lines) == 1 and "statistics" in lines[0], lines


def test_reports_without_a_host_are_accepted_and_count_nothing(server):
    before = blocked(server)
    for what in ("inline", "eval", "data", "blob:http://127.0.0.1/x"):
        resp = post_report(server, report_uri_body(server, what, "script-src-elem"))
        assert resp.status == 204, (what, resp)
    assert blocked(server) == before


@pytest.mark.parametrize("case", ["oversize", "not-json", "wrong-shape", "no-document",
                                  "cross-site-fetch", "cross-origin", "other-site-document",
                                  "wrong-type", "get"])
def test_bad_reports_are_refused_and_count_nothing(server, case):
    host = "refused-%s.test" % case
    body = report_uri_body(server, "https://%s/x" % host)
    content_type, headers, method = "application/csp-report", None, "POST"
    expect = 400
    if case == "oversize":
        body = body[:-1] + "," + json.dumps({"pad": "x" * 70000})[1:] + "}"
        expect = 413
    elif case == "not-json":
        body = "{not json"
    elif case == "wrong-shape":
        body = json.dumps({"report": {"blocked-uri": "https://%s/" % host}})
    elif case == "no-document":
        body = json.dumps({"csp-report": {"blocked-uri": "https://%s/" % host,
                                          "effective-directive": "img-src"}})
    elif case == "cross-site-fetch":
        headers, expect = {"Sec-Fetch-Site": "cross-site"}, 403
    elif case == "cross-origin":
        headers, expect = {"Origin": "https://evil.test"}, 403
    elif case == "other-site-document":
        body = report_uri_body(server, "https://%s/x" % host, document="https://evil.test/")
        expect = 403
    elif case == "wrong-type":
        content_type, expect = "text/plain", 415
    if case == "get":
        resp = server.get(REPORT)
        expect = 405
    else:
        resp = post_report(server, body, content_type=content_type, headers=headers)
    assert resp.status == expect, resp
    if expect != 405:
        assert "error" in resp.json()
    assert host not in blocked(server)
    assert log_lines(server, "MC0025", host) == []


# --- a flood ---------------------------------------------------------------------------------

FLOOD = 10000
WORKERS = 8


def test_a_flood_of_random_hosts_costs_bounded_memory_and_log(server_factory):
    srv = make_server(server_factory, "cspflood")
    bodies = [report_uri_body(srv, "https://%s.flood.test/c" % secrets.token_hex(6))
              for _ in range(FLOOD)]

    def send(chunk):
        statuses = set()
        with KeepAlive(srv.port) as conn:
            for body in chunk:
                resp = conn.request("POST", REPORT, body=body,
                                    headers={"Content-Type": "application/csp-report"})
                statuses.add(resp.status)
        return statuses

    chunks = [bodies[i::WORKERS] for i in range(WORKERS)]
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        statuses = set().union(*pool.map(send, chunks))
    assert statuses == {204}, statuses

    listed = blocked(srv)
    assert len(listed) == CAPACITY, len(listed)
    assert all(b["count"] == 1 for b in listed.values())
    # one notice per counted host, one warning for the rest
    assert len(log_lines(srv, "MC00251")) == CAPACITY
    full = log_lines(srv, "MC00252")
    assert len(full) == 1, full
    # a host in the table is still counted once full
    known = next(iter(listed))
    assert post_report(srv, report_uri_body(srv, "https://%s/again" % known)).status == 204
    assert blocked(srv)[known]["count"] == 2
    assert len(log_lines(srv, "MC00251")) == CAPACITY
