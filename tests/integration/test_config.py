"""Configuration: a bad value stops start-up with an error naming the file and
line; a good configuration works as written."""
import re

import pytest

from harness import DATA, consented, get_state

# id: (directive text, or a callable(server) -> text; words one of which the message mentions)
BAD = {
    "max-age-not-a-number": ("ConsentMaxAge abc", ("consentmaxage",)),
    "max-age-negative": ("ConsentMaxAge -5", ("consentmaxage",)),
    "max-age-zero": ("ConsentMaxAge 0", ("consentmaxage",)),
    "page-cache-not-a-size": ("ConsentPageCache lots", ("consentpagecache",)),
    "page-cache-unit-word": ("ConsentPageCache 16MB", ("consentpagecache",)),
    "page-cache-over-1g": ("ConsentPageCache 2G", ("consentpagecache",)),
    "unclassified-maybe": ("ConsentUnclassified maybe", ("consentunclassified",)),
    "admin-address-not-ip": ("ConsentAdminAddress admin.klinikk.test", ("consentadminaddress",)),
    "admin-address-bad-octet": ("ConsentAdminAddress 127.0.0.1 300.1.2.3",
                                ("consentadminaddress", "300.1.2.3")),
    "admin-address-bad-prefix": ("ConsentAdminAddress 10.0.0.0/33", ("consentadminaddress",)),
    "admin-address-partial": ("ConsentAdminAddress 10.1", ("consentadminaddress",)),
    "admin-address-in-directory": (lambda s: "<Directory %s>\n    ConsentAdminAddress 127.0.0.1"
                                   "\n</Directory>" % s.docroot, ("consentadminaddress",)),
    "engine-perhaps": ("ConsentEngine perhaps", ("consentengine",)),
    "cookie-rule-unknown-category": ("ConsentCookieRule nosuchcategory foo", ("nosuchcategory",)),
    "cookie-rule-bad-regex": ('ConsentCookieRule statistics "~("', ("~(", "regex",
                                                                     "regular expression")),
    "cookie-rule-without-pattern": ("ConsentCookieRule statistics", ("consentcookierule",)),
    "base-path-no-slash": ("ConsentBasePath nolead", ("consentbasepath",)),
    "cookie-name-with-space": ('ConsentCookieName "bad name"', ("consentcookiename",)),
    "secret-file-missing": ("ConsentSecretFile /nonexistent", ("/nonexistent",)),
    "secret-file-too-short": (lambda s: "ConsentSecretFile %s" % s.data_file("short", b"abcd"),
                              ("consentsecretfile",)),
    "rules-file-missing": ("ConsentRules /nonexistent.json", ("/nonexistent.json",)),
    "rules-unknown-category": (lambda s: "ConsentRules %s" % (DATA / "rules-unknown-category.json"),
                               ("tracking",)),
    "category-bad-name": ('ConsentCategory "Bad Name"', ("consentcategory",)),
    "policy-version-empty": ('ConsentPolicyVersion ""', ("consentpolicyversion",)),
    "cookie-domain-dot": ("ConsentCookieDomain .", ("consentcookiedomain",)),
    "cookie-domain-space": ('ConsentCookieDomain "a b"', ("consentcookiedomain",)),
    "log-empty": ('ConsentLog ""', ("consentlog",)),
    "strip-maybe": ("ConsentStripRequestCookies maybe", ("consentstriprequestcookies",)),
    "respect-gpc-maybe": ("ConsentRespectGPC maybe", ("consentrespectgpc",)),
    "reopen-position-middle": ("ConsentReopenPosition middle", ("consentreopenposition",
                                                                "bottom-left")),
    "cookie-domain-in-directory": (lambda s: "<Directory %s>\n    ConsentCookieDomain klinikk.test"
                                   "\n</Directory>" % s.docroot, ("consentcookiedomain",)),
    "log-in-location": ("<Location /x>\n    ConsentLog /tmp/never.log\n</Location>",
                        ("consentlog",)),
    "max-age-in-directory": (lambda s: "<Directory %s>\n    ConsentMaxAge 60\n</Directory>"
                             % s.docroot, ("consentmaxage",)),
}


def offending_line(text):
    """The directive itself (the inner line of a container)."""
    lines = text.split("\n")
    return lines[1].strip() if len(lines) > 1 else lines[0]


def assert_names_file_and_line(output, path, line):
    assert "Invalid command" not in output, "mod_consent is not loaded:\n" + output
    hits = [l for l in output.splitlines()
            if str(path) in l
            and re.search(r"(?<![0-9])%d(?![0-9])" % line, l.replace(str(path), "FILE"))]
    assert hits, "no message names %s line %d:\n%s" % (path, line, output)


def bad_server(config_factory, case):
    text, _ = BAD[case]
    srv = config_factory(case)
    if callable(text):
        text = text(srv)
    srv.reconfigure(global_conf=text)
    return srv, srv.line_of(offending_line(text))


@pytest.mark.parametrize("case", list(BAD))
def test_bad_value_stops_startup_naming_file_and_line(config_factory, case):
    srv, line = bad_server(config_factory, case)
    rc, output = srv.start_expecting_failure()
    assert rc != 0, output
    assert_names_file_and_line(output, srv.conf_path, line)
    words = BAD[case][1]
    assert any(w in output.lower() for w in words), \
        "message mentions none of %s:\n%s" % (words, output)


@pytest.mark.parametrize("case", list(BAD))
def test_configtest_rejects_bad_value(config_factory, case):
    """apachectl configtest is what admins run before a reload: it must fail too."""
    srv, line = bad_server(config_factory, case)
    rc, output = srv.config_test()
    assert rc != 0, "apache2 -t accepted it:\n%s" % output
    assert_names_file_and_line(output, srv.conf_path, line)


def test_rules_file_syntax_error_names_json_file_and_line(config_factory):
    srv = config_factory("rules-syntax")
    rules = DATA / "rules-syntax-error.json"
    srv.reconfigure(global_conf="ConsentRules %s" % rules)
    line = srv.line_of("ConsentRules")
    for rc, output in (srv.config_test(), srv.start_expecting_failure()):
        assert rc != 0, output
        assert_names_file_and_line(output, srv.conf_path, line)
        assert_names_file_and_line(output, rules, 4)


def test_error_in_included_file_names_that_file(config_factory):
    srv = config_factory("include")
    extra = srv.root / "conf" / "extra.conf"
    extra.write_text("# consent settings\n\nConsentMaxAge soon\n")
    srv.reconfigure(global_conf="Include %s" % extra)
    rc, output = srv.start_expecting_failure()
    assert rc != 0
    assert_names_file_and_line(output, extra, 3)


def test_every_directive_with_a_good_value_starts(server_factory):
    srv = server_factory("all-good", start=False)
    srv.reconfigure(
        consent={
            "ConsentPolicyVersion": "2026-01",
            "ConsentMaxAge": "86400",
            "ConsentCookieName": "samtykke",
            "ConsentCookieDomain": "klinikk.test",
            "ConsentBasePath": "/personvern/samtykke",
            "ConsentRespectGPC": "Off",
            "ConsentUnclassified": "allow",
            "ConsentStripRequestCookies": "Off",
            "ConsentAdminAddress": "127.0.0.1 ::1 10.0.0.0/8 fd00::/8",
        },
        global_conf="""
            ConsentRules default
            ConsentRules %s
            ConsentCategory clinic_widgets
            ConsentCategory security required
            ConsentCookieRule clinic_widgets widget_* ~^wdg[0-9]+$
            ConsentCookieRule security csrf_token
            <Directory %s>
                ConsentEngine On
                ConsentUnclassified block
                ConsentStripRequestCookies On
                ConsentCookieRule preferences lang_pref
                ConsentReopenPosition bottom-right
            </Directory>
            <Location /held>
                ConsentUnclassified hold
            </Location>
        """ % (DATA / "rules-clinic.json", srv.docroot))
    rc, output = srv.config_test()
    assert rc == 0, output
    srv.start()
    state = srv.get("/personvern/samtykke/state").json()
    assert state["policy"] == "2026-01"
    assert "clinic_widgets" in state["refused"]
    assert "security" in state["granted"], "a required category is always granted: %s" % state


@pytest.fixture(scope="module")
def catalogue_server(module_server_factory):
    return module_server_factory("catalogue", global_conf="""
        ConsentRules default
        ConsentRules %s
        ConsentCategory clinic_widgets
        ConsentCategory security required
        ConsentCookieRule clinic_widgets widget_* ~^wdg[0-9]+$
        ConsentCookieRule security csrf_token
    """ % (DATA / "rules-clinic.json"))


def test_own_category_can_be_granted_and_refused(catalogue_server):
    url = "/cgi-bin/cookies.py?set=widget_cal,wdg42,csrf_token,PHPSESSID"
    refused = catalogue_server.get(url)
    assert {"csrf_token", "PHPSESSID"} <= refused.set_names, refused
    assert not {"widget_cal", "wdg42"} & refused.set_names, refused
    cookie = consented(catalogue_server, "custom", ["clinic_widgets"])
    assert "clinic_widgets" in get_state(catalogue_server, cookie)["granted"]
    granted = catalogue_server.get(url, headers={"Cookie": cookie})
    assert {"widget_cal", "wdg42", "csrf_token"} <= granted.set_names, granted


def test_later_catalogue_adds_and_overrides(catalogue_server):
    url = "/cgi-bin/cookies.py?set=booking_pref,booking_slot,_ga,_gid"
    stats = consented(catalogue_server, "custom", ["statistics"])
    resp = catalogue_server.get(url, headers={"Cookie": stats})
    # _ga moved to marketing by the later file; _gid still statistics from the default
    assert "_gid" in resp.set_names and "_ga" not in resp.set_names, resp
    assert not {"booking_pref", "booking_slot"} & resp.set_names, resp
    prefs = consented(catalogue_server, "custom", ["preferences"])
    resp = catalogue_server.get(url, headers={"Cookie": prefs})
    assert {"booking_pref", "booking_slot"} <= resp.set_names, resp


def test_secret_file_with_trailing_newline_or_not_is_the_same_key(server_factory):
    a = server_factory("nl-a", secret=b"0123456789abcdef0123456789abcdef\n")
    b = server_factory("nl-b", secret=b"0123456789abcdef0123456789abcdef")
    cookie = consented(a, "accept_all")
    assert get_state(b, cookie)["decided"] is True
