"""Cookies no rule classifies (issue 14, item 1): by default (ConsentUnclassified
hold) a persistent one is held until the visitor accepts every category, a
session one passes so that logins keep working; the admin is told at start-up,
at the first sight of a new one, in GET declaration and on the settings page
(from a ConsentAdminAddress only)."""
import re
import urllib.parse

import pytest

from harness import consented

CGI = "/cgi-bin/cookies.py"
VENDOR = "vendor_uid=v-365; Path=/; Max-Age=31536000"
SESSION = "app_session=s-1; Path=/; HttpOnly"
MANY_PROCESSES = "MaxConnectionsPerChild 3\n"


def backend(server, cookie=None, raws=(VENDOR, SESSION)):
    """A CGI page setting a 365-day vendor_uid and a session app_session."""
    query = "&".join("raw=" + urllib.parse.quote(r, safe="") for r in raws)
    resp = server.get(CGI + "?" + query, headers={"Cookie": cookie} if cookie else None)
    assert resp.status == 200, resp
    return resp


def declaration(server):
    resp = server.get("/_consent/declaration")
    assert resp.status == 200, resp
    return resp.json()


def unclassified(decl):
    return {e["name"]: e for e in decl["unclassified"]}


def module_lines(server, numbers):
    return [l for l in server.error_log().splitlines()
            if any("MC%05d" % n in l for n in numbers)]


@pytest.fixture(scope="module")
def srv(module_server_factory):
    return module_server_factory("unknown", consent={"ConsentAdminAddress": "127.0.0.1"})


# --- what the visitor's browser gets ---------------------------------------------------------

def test_before_a_choice_the_persistent_unknown_cookie_is_held_and_the_session_one_passes(srv):
    resp = backend(srv)
    assert "vendor_uid" not in resp.all_cookie_names, resp
    assert "app_session" in resp.set_names, resp


def test_after_accept_all_both_pass(srv):
    resp = backend(srv, consented(srv, "accept_all"))
    assert {"vendor_uid", "app_session"} <= resp.set_names, resp
    assert resp.setting("vendor_uid")[-1].max_age == 31536000


@pytest.mark.parametrize("granted", [["statistics"], ["preferences", "statistics"]])
def test_some_categories_are_not_enough(srv, granted):
    resp = backend(srv, consented(srv, "custom", granted))
    assert "vendor_uid" not in resp.set_names, resp
    assert "app_session" in resp.set_names, resp


def test_a_deletion_of_an_unknown_cookie_always_passes(srv):
    resp = backend(srv, raws=("vendor_uid=; Path=/; Max-Age=0",))
    assert "vendor_uid" in resp.deleted_names, resp


def test_a_held_cookie_the_browser_still_has_is_expired_until_all_is_accepted(srv):
    backend(srv)  # the site is seen setting vendor_uid for a year
    old = "vendor_uid=from-before; app_session=s-1"
    resp = srv.get("/plain.txt", headers={"Cookie": old})
    assert "vendor_uid" in resp.deleted_names, resp
    # a session cookie of the site's is left alone
    assert "app_session" not in resp.deleted_names, resp
    resp = srv.get("/plain.txt", headers={"Cookie": old + "; " + consented(srv, "accept_all")})
    assert "vendor_uid" not in resp.deleted_names, resp
    # a name the site was never seen setting for long is not guessed at
    resp = srv.get("/plain.txt", headers={"Cookie": "never_set_here=1"})
    assert "never_set_here" not in resp.deleted_names, resp


def test_strip_hides_a_held_cookie_from_the_backend_until_all_is_accepted(server_factory):
    s = server_factory("unknown-strip", consent={"ConsentStripRequestCookies": "On"})
    backend(s)  # seen: vendor_uid persistent, app_session a session cookie
    old = "vendor_uid=from-before; app_session=s-1"
    resp = s.get(CGI + "?echo=1", headers={"Cookie": old})
    received = resp.json()["cookie"] or ""
    assert "app_session=s-1" in received and "vendor_uid" not in received, received
    resp = s.get(CGI + "?echo=1", headers={"Cookie": old + "; " + consented(s, "accept_all")})
    assert "vendor_uid=from-before" in resp.json()["cookie"], resp.json()


def test_allow_and_block_keep_their_meaning(server_factory):
    allow = server_factory("unknown-allow", consent={"ConsentUnclassified": "allow"})
    assert {"vendor_uid", "app_session"} <= backend(allow).set_names
    block = server_factory("unknown-block", consent={"ConsentUnclassified": "block"})
    resp = backend(block, consented(block, "accept_all"))
    assert not {"vendor_uid", "app_session"} & resp.set_names, resp


# --- what the declaration and the banner say --------------------------------------------------

def test_the_declaration_lists_them_apart_not_as_necessary(srv):
    backend(srv)
    decl = declaration(srv)
    found = unclassified(decl)
    vendor, session = found["vendor_uid"], found["app_session"]
    assert vendor["persistent"] is True and vendor["lifetime"] == 31536000
    assert vendor["treatment"] == "held"
    assert vendor["domain"] == "127.0.0.1"
    assert "ConsentCookieRule" in vendor["advice"] and "vendor_uid" in vendor["advice"]
    assert session["persistent"] is False and session["lifetime"] is None
    assert session["treatment"] == "allowed"
    for cat in decl["categories"]:
        names = {c["name"] for c in cat["cookies"]}
        assert not {"vendor_uid", "app_session"} & names, (cat["name"], names)
    # "seen" is as before
    seen = {e["name"]: e for e in decl["seen"]}
    assert seen["vendor_uid"]["category"] == "unclassified"


def test_a_rule_takes_a_cookie_out_of_unclassified_and_lets_it_follow_its_category(
        server_factory):
    s = server_factory("unknown-rule", global_conf="ConsentCookieRule statistics vendor_uid\n")
    backend(s)
    assert "vendor_uid" not in unclassified(declaration(s))
    resp = backend(s, consented(s, "custom", ["statistics"]))
    assert "vendor_uid" in resp.set_names, resp


def test_the_banner_does_not_present_them_as_necessary(srv):
    backend(srv)
    html = srv.get("/").text()
    start = html.index('id="mc-cat-necessary"')
    necessary = html[start:html.index('<div class="mc-cat">', start)]
    assert "vendor_uid" not in necessary and "app_session" not in necessary, necessary
    box = html[html.index("mc-unclassified-box"):]
    box = box[:box.index("</details>")]
    held = box[box.index('class="mc-unclassified mc-held"'):]
    assert "<code>vendor_uid</code>" in held.split("</ul>")[0], box
    assert "<code>app_session</code>" not in held.split("</ul>")[0], box
    assert "<code>app_session</code>" in box, box


# --- what the admin is told -------------------------------------------------------------------

def test_the_admin_panel_shows_on_settings_from_an_admin_address(srv):
    backend(srv)
    page = srv.get("/_consent/settings").text()
    assert 'id="mc-admin"' in page, page
    panel = page[page.index('id="mc-admin"'):page.index("</section>", page.index('id="mc-admin"'))]
    assert "<code>vendor_uid</code>" in panel and "<code>app_session</code>" in panel
    assert "ConsentCookieRule CATEGORY vendor_uid" in panel, panel
    row = panel[panel.index("<code>vendor_uid</code>"):]
    row = row[:row.index("</tr>")]
    assert "mc-admin-held" in row, row


def test_visitors_from_other_addresses_never_see_it(server_factory):
    s = server_factory("unknown-visitor",
                       consent={"ConsentAdminAddress": "192.0.2.0/24 2001:db8::/32"})
    backend(s)
    page = s.get("/_consent/settings").text()
    assert "mc-admin" not in page and "ConsentCookieRule" not in page, page
    none = server_factory("unknown-noadmin")
    backend(none)
    assert "mc-admin" not in none.get("/_consent/settings").text()


def test_the_start_up_warning_names_them_after_a_graceful_restart(server_factory):
    s = server_factory("unknown-warn", global_conf=MANY_PROCESSES, threads=4)
    for _ in range(8):
        backend(s)
    # a new one is said once for the whole process tree, not per request or process
    runtime = module_lines(s, [270])
    assert len([l for l in runtime if "'vendor_uid'" in l]) == 1, runtime
    assert len([l for l in runtime if "'app_session'" in l]) == 1, runtime
    assert all(":warn]" in l for l in runtime), runtime
    assert module_lines(s, [272]) == []

    s.graceful()
    lines = module_lines(s, [272])
    assert len(lines) == 1, lines
    line = lines[0]
    assert ":warn]" in line
    assert re.search(r"vendor_uid \(domain 127\.0\.0\.1, persistent 365 days, held until a "
                     r"visitor accepts all\)", line), line
    assert re.search(r"app_session \(domain 127\.0\.0\.1, session, let through", line), line
    assert '"ConsentCookieRule statistics vendor_uid"' in line, line


def test_silent_at_warn_when_every_cookie_is_classified(server_factory):
    s = server_factory("unknown-quiet", global_conf="ConsentCookieRule statistics vendor_uid\n"
                                                    "ConsentCookieRule necessary app_session\n")
    backend(s)
    backend(s, consented(s, "accept_all"))
    s.graceful()
    backend(s)
    consent_lines = [l for l in s.error_log().splitlines() if "[consent:" in l]
    assert consent_lines == [], consent_lines
