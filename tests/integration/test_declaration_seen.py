"""The cookie declaration's "seen": the cookies the site is seen to set,
recorded by every httpd process, kept across restarts, bounded."""
import concurrent.futures
import datetime
import email.utils
import os
import re
import secrets
import subprocess
import time
import urllib.parse

import pytest

from harness import HTTPD, RFC3339_UTC_RE, wait_for_port

CGI = "/cgi-bin/cookies.py"
PARALLEL = 8
ROUNDS = 40
# a few connections per child: the requests land in several processes
MANY_PROCESSES = """\
MaxConnectionsPerChild 3
"""
RULES = """\
ConsentCookieRule statistics stat_*
"""


def set_cookies(server, *raw, host=None):
    query = "&".join("raw=" + urllib.parse.quote(r, safe="") for r in raw)
    resp = server.get(CGI + "?" + query, host=host)
    assert resp.status == 200, resp
    return resp


def declaration(server):
    resp = server.get("/_consent/declaration")
    assert resp.status == 200, resp
    return resp.json()


def seen_by_key(decl):
    out = {}
    for entry in decl["seen"]:
        key = (entry["name"], entry["domain"])
        assert key not in out, "listed twice: %s" % (key,)
        out[key] = entry
    return out


def utc(text):
    assert RFC3339_UTC_RE.match(text), text
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def served_pids(server):
    return set(re.findall(r"pid=(\d+)", server.access_log()))


def http_date(days):
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return email.utils.format_datetime(when.replace(microsecond=0), usegmt=True)


def category_order(decl):
    return [c["name"] for c in decl["categories"]] + ["unclassified"]


@pytest.fixture
def busy(server_factory):
    """A server whose children serve a few connections each, with a rule.
    Room for 16 children: ones winding down keep their scoreboard slot until
    their last request ends, and with only a few slots a loaded machine
    could fill them all ("scoreboard is full") and stall new connections."""
    return server_factory("seen", global_conf=MANY_PROCESSES + RULES, threads=4,
                          server_limit=16)


def test_cookies_set_by_many_processes_are_declared_once(busy):
    start = now_utc()
    raws = ["sess_x=1; Path=/",
            "stat_a=1; Path=/; Max-Age=3600",
            "_ga=GA1.1.1.1; Path=/; Max-Age=63072000",
            "wide=1; Path=/; Domain=.Klinikk.test; Max-Age=100",
            "exp_c=1; Path=/; Expires=%s" % http_date(1)]

    def one(i):
        # one name of its own per request: only a table shared by every
        # process lists them all
        raw = (*raws, "multi_%d=1; Max-Age=%d" % (i, 1000 + i))
        try:
            return set_cookies(busy, *raw, host="www.klinikk.test")
        except TimeoutError:
            # children that end after three connections come and go all the
            # time here; on a loaded machine a connection can stall in one
            # that is winding down. The table is what is tested: ask again.
            return set_cookies(busy, *raw, host="www.klinikk.test")

    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
        responses = list(pool.map(one, range(ROUNDS)))
    assert len(served_pids(busy)) >= 2, "the requests should land in several processes"
    # without consent, the statistics cookies do not leave: still declared
    assert all("_ga" not in r.set_names and "stat_a" not in r.set_names for r in responses)

    decl = declaration(busy)
    seen = seen_by_key(decl)
    host = "www.klinikk.test"
    assert set(seen) >= {("sess_x", host), ("stat_a", host), ("_ga", host),
                         ("wide", "klinikk.test"), ("exp_c", host)}, seen
    for i in range(ROUNDS):
        assert seen[("multi_%d" % i, host)]["lifetime"] == 1000 + i
    assert seen[("sess_x", host)]["category"] == "unclassified"
    assert seen[("sess_x", host)]["lifetime"] is None
    assert seen[("stat_a", host)]["category"] == "statistics"
    assert seen[("stat_a", host)]["lifetime"] == 3600
    assert seen[("_ga", host)]["category"] == "statistics"
    assert seen[("_ga", host)]["lifetime"] == 63072000
    assert seen[("wide", "klinikk.test")]["lifetime"] == 100
    assert abs(seen[("exp_c", host)]["lifetime"] - 86400) <= 120
    end = now_utc()
    for entry in decl["seen"]:
        first, last = utc(entry["first_seen"]), utc(entry["last_seen"])
        assert start <= first <= last <= end, entry
    order = category_order(decl)
    keys = [(order.index(e["category"]), e["name"]) for e in decl["seen"]]
    assert keys == sorted(keys), keys


def test_the_longest_lifetime_is_kept(busy):
    set_cookies(busy, "stat_b=1; Max-Age=600")
    set_cookies(busy, "stat_b=1; Max-Age=7200")
    set_cookies(busy, "stat_b=1; Max-Age=60")
    set_cookies(busy, "stat_b=1")
    seen = seen_by_key(declaration(busy))
    assert seen[("stat_b", "127.0.0.1")]["lifetime"] == 7200


def test_deletions_and_the_modules_own_expiries_are_not_declared(busy):
    set_cookies(busy, "gone=; Max-Age=0", "old=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
    seen = seen_by_key(declaration(busy))
    assert not {k for k in seen if k[0] in ("gone", "old")}, seen


def test_a_new_rule_recategorises_after_graceful_restart_and_entries_stay(busy):
    set_cookies(busy, "chat_s=1; Max-Age=300")
    before = seen_by_key(declaration(busy))[("chat_s", "127.0.0.1")]
    assert before["category"] == "unclassified"

    busy.reconfigure(global_conf=MANY_PROCESSES + RULES + "ConsentCookieRule preferences chat_*\n")
    busy.graceful()
    after = seen_by_key(declaration(busy))[("chat_s", "127.0.0.1")]
    assert after["category"] == "preferences"
    assert after["first_seen"] == before["first_seen"]
    assert after["lifetime"] == 300


def test_entries_survive_a_full_restart(busy):
    set_cookies(busy, "stat_keep=1; Max-Age=900", "plain_keep=1")
    before = seen_by_key(declaration(busy))
    busy.restart()
    after = seen_by_key(declaration(busy))
    for key in (("stat_keep", "127.0.0.1"), ("plain_keep", "127.0.0.1")):
        assert key in after, after
        assert after[key]["first_seen"] == before[key]["first_seen"]
        assert after[key]["lifetime"] == before[key]["lifetime"]


def run_httpd(srv, *args):
    """apache2 as apachectl and systemd run it: it starts, detaches and returns."""
    p = subprocess.run([HTTPD, "-f", str(srv.conf_path), *args], capture_output=True, text=True,
                       timeout=60, start_new_session=True)
    assert p.returncode == 0, p.stdout + p.stderr + srv.error_log()


def read_pid(path, timeout=30):
    """The server's pid, once the detached parent has written it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return int(path.read_text())
        except (FileNotFoundError, ValueError):
            time.sleep(0.05)
    raise AssertionError("no pid in %s" % path)


def wait_gone(pid, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError("apache2 (pid %d) did not stop" % pid)


def test_entries_survive_a_stop_of_a_server_started_in_the_background(busy):
    """apache2 -k start detaches into a new process: it is the one that
    must save the table when apache2 -k stop ends it (the save was tied to
    the process that read the configuration first, and -k stop's own
    process wrote its table over the file)."""
    set_cookies(busy, "stat_before=1; Max-Age=900")
    busy.stop()
    saved = busy.root / "run" / "consent-seen.txt"
    for round_ in range(2):
        run_httpd(busy, "-k", "start")
        assert wait_for_port(busy.port, 30), busy.error_log()
        pid = read_pid(busy.root / "run" / "httpd.pid")
        name = "stat_bg%d" % round_
        set_cookies(busy, "%s=1; Max-Age=600" % name)
        assert (name, "127.0.0.1") in seen_by_key(declaration(busy))
        run_httpd(busy, "-k", "stop")
        wait_gone(pid)
        text = saved.read_text()
        for kept in ("stat_before", "stat_bg0", name):
            assert kept in text, text
    busy.start()
    seen = seen_by_key(declaration(busy))
    for key in (("stat_before", "127.0.0.1"), ("stat_bg0", "127.0.0.1"),
                ("stat_bg1", "127.0.0.1")):
        assert key in seen, seen


def test_a_damaged_saved_table_is_logged_and_ignored(busy):
    set_cookies(busy, "stat_lost=1; Max-Age=900")
    busy.stop()
    saved = busy.root / "run" / "consent-seen.txt"
    assert saved.exists()
    saved.write_text(saved.read_text()[:-8])  # cut short
    busy.start()
    assert "MC00233" in busy.error_log()
    assert ("stat_lost", "127.0.0.1") not in seen_by_key(declaration(busy))
    set_cookies(busy, "stat_new=1")
    assert ("stat_new", "127.0.0.1") in seen_by_key(declaration(busy))


def test_a_flood_of_random_names_stays_bounded_and_real_cookies_stay(busy):
    set_cookies(busy, "stat_real=1; Max-Age=3600", "PHPSESSID=abc")
    flood = ["r%s=1" % secrets.token_hex(6) for _ in range(700)]
    for i in range(0, len(flood), 50):
        set_cookies(busy, *flood[i:i + 50])
    seen = seen_by_key(declaration(busy))
    assert len(seen) <= 512, len(seen)
    assert ("stat_real", "127.0.0.1") in seen and ("PHPSESSID", "127.0.0.1") in seen
    assert sum(1 for k in seen if k[0] in {f.split("=")[0] for f in flood}) < len(flood)
    log = busy.error_log()
    assert log.count("MC00238") == 1, log
    # the real cookie is still kept up to date
    set_cookies(busy, "stat_real=1; Max-Age=99999")
    assert seen_by_key(declaration(busy))[("stat_real", "127.0.0.1")]["lifetime"] == 99999


def second_layer_category(html, category):
    """The markup of CATEGORY's block in the banner's second layer."""
    start = html.index('id="mc-cat-%s"' % category)
    end = html.find('<div class="mc-cat">', start)
    return html[start:end if end >= 0 else len(html)]


def test_the_banner_names_seen_cookies(busy):
    set_cookies(busy, "stat_banner=1; Max-Age=60", "_ga=1; Max-Age=60", "odd_one=1")
    html = busy.get("/").text()
    stats = second_layer_category(html, "statistics")
    assert "<code>stat_banner</code>" in stats, stats
    assert stats.count("<code>_ga</code>") == 1, stats
    # no rule says what odd_one is for: shown apart, never as necessary
    necessary = second_layer_category(html, "necessary")
    assert "odd_one" not in necessary, necessary
    box = html[html.index("mc-unclassified-box"):]
    assert "<code>odd_one</code>" in box[:box.index("</details>")], box


def test_unclassified_cookies_stay_out_of_the_banner_when_blocked(server_factory):
    srv = server_factory("seenblock", global_conf="ConsentUnclassified block\n")
    resp = set_cookies(srv, "odd_two=1")
    assert "odd_two" not in resp.set_names
    assert seen_by_key(declaration(srv))[("odd_two", "127.0.0.1")]["category"] == "unclassified"
    assert "<code>odd_two</code>" not in srv.get("/").text()
