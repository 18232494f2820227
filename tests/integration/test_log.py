"""The consent log: one provable record per decision, chained so that edits show."""
import concurrent.futures
import json
import re

import pytest

from harness import (CATEGORIES, HEX64_RE, ID_RE, RFC3339_UTC_RE,
                     consent_cookie, consent_log_tool, decide, get_state, wait_until)

FIELDS = ["time", "id", "policy", "granted", "refused", "method", "lang", "text", "prev", "hash"]


pytestmark = pytest.mark.usefixtures("consent_log_built")


@pytest.fixture(scope="module")
def server(module_server_factory):
    return module_server_factory("log")


def new_records(server, before):
    return server.consent_records()[before:]


def assert_chained(records):
    for earlier, later in zip(records, records[1:]):
        assert later["prev"] == earlier["hash"], (earlier, later)


def test_a_decision_writes_one_complete_record(server):
    before = len(server.consent_log_lines())
    resp = decide(server, "custom", ["statistics"], headers={"User-Agent": "mc-test-agent/1.0"})
    assert resp.status == 200
    state = resp.json()
    records = new_records(server, before)
    assert len(records) == 1
    rec = records[0]
    for field in FIELDS:
        assert field in rec, "record lacks %r: %s" % (field, rec)
    assert RFC3339_UTC_RE.match(rec["time"]), rec
    assert rec["id"] == state["id"] and ID_RE.match(rec["id"])
    assert rec["policy"] == "1"
    assert set(rec["granted"]) == {"necessary", "statistics"}
    assert set(rec["refused"]) == set(CATEGORIES) - {"necessary", "statistics"}
    assert rec["method"] == "custom"
    assert isinstance(rec["lang"], str) and rec["lang"]
    assert HEX64_RE.match(rec["text"]), rec
    assert rec["ip"] == "127.0.0.0", "the address must be truncated: %s" % rec
    assert rec["ua"] == "mc-test-agent/1.0"
    assert HEX64_RE.match(rec["prev"]) and HEX64_RE.match(rec["hash"])
    assert rec["prev"] != rec["hash"]


@pytest.mark.parametrize("ua", ['quote " and backslash \\ in agent', "tab\tin agent",
                                "caf\u00e9 \u2603 agent", "long-agent/" + "x" * 6000])
def test_hostile_user_agent_keeps_the_record_valid(server, ua):
    before = len(server.consent_log_lines())
    # http.client sends header values as latin-1: this puts UTF-8 bytes on the wire
    wire = ua.encode("utf-8").decode("latin-1")
    assert decide(server, "accept_all", headers={"User-Agent": wire}).status == 200
    lines = server.consent_log_lines()[before:]
    assert len(lines) == 1
    rec = json.loads(lines[0])
    assert len(lines[0].encode()) < 4096, "a record must stay below PIPE_BUF"
    if len(ua) < 200:
        assert rec["ua"] == ua, rec
    else:
        assert rec["ua"] and ua.startswith(rec["ua"]), rec
    rc, out = consent_log_tool("verify", server.consent_log)
    assert rc == 0, out


def test_record_without_user_agent_has_no_ua(server):
    before = len(server.consent_log_lines())
    assert decide(server, "reject_all").status == 200
    rec = new_records(server, before)[0]
    assert rec.get("ua") in (None, ""), rec


@pytest.mark.parametrize("method, granted", [("accept_all", None), ("reject_all", None),
                                             ("custom", ["marketing"])])
def test_record_names_the_method(server, method, granted):
    before = len(server.consent_log_lines())
    resp = decide(server, method, granted)
    rec = new_records(server, before)[0]
    assert rec["method"] == method
    assert sorted(rec["granted"]) == sorted(resp.json()["granted"])


def test_reading_consent_records_nothing(server):
    cookie = "consent=" + consent_cookie(decide(server, "accept_all"))
    before = len(server.consent_log_lines())
    get_state(server)
    get_state(server, cookie)
    server.get("/plain.txt", headers={"Cookie": cookie + "; _ga=1"})
    server.head("/index.html")
    server.get("/cgi-bin/cookies.py?set=_ga,_fbp")
    server.get("/_consent/decision")
    assert len(server.consent_log_lines()) == before


def test_records_form_one_chain_that_verifies(server):
    for method in ("accept_all", "reject_all", "accept_all"):
        decide(server, method)
    records = server.consent_records()
    assert len(records) >= 3
    assert_chained(records)
    rc, out = consent_log_tool("verify", server.consent_log)
    assert rc == 0, out


@pytest.fixture
def log_copy(server, tmp_path):
    for _ in range(4):
        if len(server.consent_log_lines()) >= 4:
            break
        decide(server, "accept_all")
    assert len(server.consent_log_lines()) >= 4, "decisions are not being recorded"
    lines = server.consent_log_lines()
    path = tmp_path / "copy.log"
    path.write_text("\n".join(lines) + "\n")
    return path, lines


def verify_names_line(path, line_no):
    rc, out = consent_log_tool("verify", path)
    assert rc == 1, "verify accepted a broken log:\n%s" % out
    out = out.replace(str(path), "FILE")  # digits in the path are not line numbers
    assert re.search(r"(?<![0-9])%d(?![0-9])" % line_no, out), \
        "verify does not name line %d:\n%s" % (line_no, out)


def test_verify_names_an_edited_line(log_copy):
    path, lines = log_copy
    rec = lines[2]
    # one byte: the policy "1" becomes "2"
    edited = re.sub(r'("policy"\s*:\s*")1"', r'\g<1>2"', rec, count=1)
    assert edited != rec, rec
    lines[2] = edited
    path.write_text("\n".join(lines) + "\n")
    verify_names_line(path, 3)


def test_verify_detects_a_rewritten_record(log_copy):
    path, lines = log_copy
    rec = json.loads(lines[1])
    rec["method"] = "reject_all" if rec["method"] != "reject_all" else "accept_all"
    lines[1] = json.dumps(rec, separators=(",", ":"))
    path.write_text("\n".join(lines) + "\n")
    verify_names_line(path, 2)


def test_verify_detects_a_removed_line(log_copy):
    path, lines = log_copy
    del lines[1]
    path.write_text("\n".join(lines) + "\n")
    verify_names_line(path, 2)


def test_verify_detects_reordered_lines(log_copy):
    path, lines = log_copy
    lines[1], lines[2] = lines[2], lines[1]
    path.write_text("\n".join(lines) + "\n")
    verify_names_line(path, 2)


def test_verify_reads_rotated_pieces_and_stdin(log_copy, tmp_path):
    path, lines = log_copy
    first, second = tmp_path / "a.log", tmp_path / "b.log"
    first.write_text("\n".join(lines[:2]) + "\n")
    second.write_text("\n".join(lines[2:]) + "\n")
    rc, out = consent_log_tool("verify", first, second)
    assert rc == 0, out
    rc, out = consent_log_tool("verify", "-", stdin="\n".join(lines) + "\n")
    assert rc == 0, out


def test_find_prints_every_record_of_one_visitor(server):
    first = decide(server, "accept_all")
    cookie = "consent=" + consent_cookie(first)
    second = decide(server, "custom", ["statistics"], headers={"Cookie": cookie})
    cookie = "consent=" + consent_cookie(second)
    decide(server, "reject_all", headers={"Cookie": cookie})
    decide(server, "accept_all")  # somebody else
    visitor = first.json()["id"]
    rc, out = consent_log_tool("find", visitor, server.consent_log)
    assert rc == 0, out
    found = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    assert [r["method"] for r in found] == ["accept_all", "custom", "withdraw"], out
    assert all(r["id"] == visitor for r in found)


def test_chain_continues_across_full_restart(server_factory):
    srv = server_factory("log-restart")
    decide(srv, "accept_all")
    decide(srv, "reject_all")
    srv.restart()
    decide(srv, "custom", ["statistics"])
    records = srv.consent_records()
    assert len(records) == 3
    assert_chained(records)
    rc, out = consent_log_tool("verify", srv.consent_log)
    assert rc == 0, out


def test_chain_continues_across_graceful_restart(server_factory):
    srv = server_factory("log-graceful")
    decide(srv, "accept_all")
    srv.graceful()
    decide(srv, "reject_all")
    srv.graceful()
    decide(srv, "accept_all")
    records = srv.consent_records()
    assert len(records) == 3
    assert_chained(records)
    rc, out = consent_log_tool("verify", srv.consent_log)
    assert rc == 0, out


def test_chain_continues_across_log_rotation(server_factory):
    """logrotate moves the file and gracefully restarts apache: the pieces verify together."""
    srv = server_factory("log-rotate")
    decide(srv, "accept_all")
    decide(srv, "reject_all")
    rotated = srv.consent_log.with_name("consent.log.1")
    srv.consent_log.rename(rotated)
    srv.graceful()
    decide(srv, "accept_all")
    decide(srv, "reject_all")
    old, new = srv.consent_records(rotated), srv.consent_records()
    assert len(old) == 2 and len(new) == 2, (old, new)
    assert new[0]["prev"] == old[-1]["hash"], "the chain restarted after rotation"
    rc, out = consent_log_tool("verify", rotated, srv.consent_log)
    assert rc == 0, out


def test_piped_log_gets_the_same_records(server_factory):
    srv = server_factory("log-pipe", start=False)
    piped = srv.root / "consent" / "piped.log"
    srv.reconfigure(consent={"ConsentLog": "\"|/bin/sh -c 'cat >> %s'\"" % piped})
    srv.start()
    ids = [decide(srv, m).json()["id"] for m in ("accept_all", "reject_all", "accept_all")]
    assert wait_until(lambda: len(srv.consent_log_lines(piped)) >= 3, timeout=10), \
        "piped log has %r" % srv.consent_log_lines(piped)
    records = srv.consent_records(piped)
    assert [r["id"] for r in records] == ids
    assert_chained(records)
    rc, out = consent_log_tool("verify", piped)
    assert rc == 0, out
    # the chain carries on through a full restart, although a pipe cannot be re-read
    srv.restart()
    decide(srv, "reject_all")
    assert wait_until(lambda: len(srv.consent_log_lines(piped)) >= 4, timeout=10)
    records = srv.consent_records(piped)
    assert records[3]["prev"] == records[2]["hash"], "the piped chain restarted"
    rc, out = consent_log_tool("verify", piped)
    assert rc == 0, out


def test_parallel_decisions_from_many_processes_and_threads(server_factory):
    srv = server_factory("log-race", start_servers=2, threads=10, server_limit=4)

    def one(i):
        resp = decide(srv, ["accept_all", "reject_all", "custom"][i % 3],
                      ["statistics"] if i % 3 == 2 else None,
                      headers={"User-Agent": "visitor-%d" % i})
        assert resp.status == 200, resp
        return resp.json()["id"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        ids = list(pool.map(one, range(60)))
    assert len(set(ids)) == 60
    lines = srv.consent_log_lines()
    assert len(lines) == 60, "expected 60 records, got %d" % len(lines)
    records = [json.loads(l) for l in lines]  # every line parses
    assert sorted(r["id"] for r in records) == sorted(ids)
    assert_chained(records)
    rc, out = consent_log_tool("verify", srv.consent_log)
    assert rc == 0, out
    for visitor in ids:
        rc, out = consent_log_tool("find", visitor, srv.consent_log)
        assert rc == 0, out
        assert len([l for l in out.splitlines() if l.startswith("{")]) == 1, out
    pids = set(re.findall(r"POST /_consent/decision .* pid=(\d+)", srv.access_log()))
    assert len(pids) >= 2, "all decisions were served by one process; the race was not tested"


def test_records_name_the_chain_of_the_server(server_factory):
    """Each server's records say whose chain they are: ConsentLogChain, else the host name."""
    import socket
    srv = server_factory("log-chain-default")
    decide(srv, "accept_all")
    host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:64]
    assert srv.consent_records()[-1]["chain"] == host
    named = server_factory("log-chain-named", global_conf="ConsentLogChain web-2.oslo\n")
    decide(named, "reject_all")
    decide(named, "accept_all")
    records = named.consent_records()
    assert [r["chain"] for r in records] == ["web-2.oslo", "web-2.oslo"]
    rc, out = consent_log_tool("verify", named.consent_log)
    assert rc == 0, out


@pytest.mark.parametrize("conf, says", [
    ("ConsentLogChain 'web 2'\n", "not a chain name"),
    ("ConsentLogChain " + "x" * 65 + "\n", "not a chain name"),
    ("<VirtualHost *:80>\nConsentLogChain web2\n</VirtualHost>\n", "cannot occur within"),
])
def test_bad_chain_names_stop_start_up(config_factory, conf, says):
    srv = config_factory("log-chain-bad", global_conf=conf)
    rc, out = srv.config_test()
    assert rc != 0 and says in out, out
