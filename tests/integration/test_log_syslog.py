"""ConsentLog syslog: one datagram per decision to the local syslog daemon.

A small stand-in daemon (backends/syslog_sink.py) listens on a socket in the
server's temp dir and writes what it receives the way rsyslog would. The
records are taken from its file as consent-log --syslog does (the line's
"mod_consent[PID]: " tag, then the record from the first '{') and checked
with consent-log verify.
"""
import concurrent.futures
import json
import os
import re
import signal
import socket
import subprocess
import sys

import pytest

from harness import (BACKENDS, consent_cookie, consent_log_tool, decide,
                     stop_process_group, wait_until)

# RFC 3164 facility codes; severity "info" is 6
FACILITIES = {"user": 1, "daemon": 3, "auth": 4, "authpriv": 10,
              **{"local%d" % n: 16 + n for n in range(8)}}
INFO = 6
TAG_RE = re.compile(r"(?:^|\s)mod_consent(?:\[(\d+)\])?: ")
# what mod_consent sends: <PRI>Mmm dd hh:mm:ss mod_consent[PID]: {record}
DATAGRAM_RE = re.compile(
    r"^<(\d+)>([A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d) mod_consent\[(\d+)\]: (.*)$")


pytestmark = pytest.mark.usefixtures("consent_log_built")


class SyslogSink:
    """The stand-in daemon: SOCKET, the file it writes (LOG) and what it received (RAW)."""

    def __init__(self, directory):
        directory.mkdir(exist_ok=True)
        directory.chmod(0o755)
        self.socket = directory / "log.sock"
        self.log = directory / "messages"
        self.raw = directory / "datagrams"
        self.proc = None

    def start(self):
        assert not self.socket.exists(), "a socket is left at %s" % self.socket
        self.proc = subprocess.Popen(
            [sys.executable, str(BACKENDS / "syslog_sink.py"), str(self.socket), str(self.log),
             str(self.raw)], stdin=subprocess.DEVNULL, start_new_session=True)
        assert wait_until(self.socket.exists, timeout=10), "the syslog sink did not start"
        return self

    def stop(self):
        stop_process_group(self.proc, timeout=5)
        self.proc = None

    def restart(self):
        self.stop()
        assert wait_until(lambda: not self.socket.exists(), timeout=5)
        self.start()

    def lines(self):
        try:
            return [l for l in self.log.read_text().split("\n") if l]
        except FileNotFoundError:
            return []

    def datagrams(self):
        try:
            return [l for l in self.raw.read_text().split("\n") if l]
        except FileNotFoundError:
            return []

    def record_lines(self):
        """The record of each mod_consent line, as consent-log --syslog reads them."""
        out = []
        for line in self.lines():
            tag = TAG_RE.search(line)
            if tag and "{" in line[tag.end():]:
                out.append(line[line.index("{", tag.end()):])
        return out

    def records(self):
        return [json.loads(l) for l in self.record_lines()]


@pytest.fixture
def syslog_server(server_factory):
    """syslog_server(name, facility, start_sink=True, **kw): (server, sink), both running."""
    sinks = []

    def make(name, facility="local3", start_sink=True, **kw):
        srv = server_factory(name, start=False, **kw)
        sink = SyslogSink(srv.root / "syslog")
        sinks.append(sink)
        srv.reconfigure(consent={"ConsentLog": "syslog:%s:%s" % (facility, sink.socket)})
        if start_sink:
            sink.start()
        srv.start()
        return srv, sink

    yield make
    for sink in sinks:
        sink.stop()


def tool_reads_syslog():
    """consent-log has --syslog (it reads the daemon's file itself)."""
    rc, out = consent_log_tool("--help")
    return "--syslog" in out


def verify(sink):
    """The records in the sink's file verify: taken out here and given on
    stdin, and, where consent-log has --syslog, read by it from the file."""
    lines = sink.record_lines()
    assert lines, "no records to verify"
    rc, out = consent_log_tool("verify", "-", stdin="\n".join(lines) + "\n")
    assert rc == 0, out
    if tool_reads_syslog():
        rc, out = consent_log_tool("verify", "--syslog", sink.log)
        assert rc == 0, out


def assert_chained(records):
    for earlier, later in zip(records, records[1:]):
        assert later["prev"] == earlier["hash"], (earlier, later)


def mc_errors(srv):
    return [l for l in srv.error_log().split("\n") if re.search(r"MC\d{5}", l)]


@pytest.mark.parametrize("facility", ["local3", "AuthPriv"])
def test_a_decision_sends_one_message_with_its_priority_and_tag(syslog_server, facility):
    srv, sink = syslog_server("syslog-one", facility)
    resp = decide(srv, "custom", ["statistics"])
    assert resp.status == 200, resp
    assert consent_cookie(resp), "no consent cookie after a logged decision"
    assert wait_until(lambda: len(sink.datagrams()) >= 1, timeout=5)
    datagrams = sink.datagrams()
    assert len(datagrams) == 1, datagrams
    match = DATAGRAM_RE.match(datagrams[0])
    assert match, "not '<PRI>Mmm dd hh:mm:ss mod_consent[PID]: {record}': %r" % datagrams[0]
    pri, _, pid, record = match.groups()
    assert int(pri) == FACILITIES[facility.lower()] * 8 + INFO
    assert wait_until(lambda: "POST /_consent/decision" in srv.access_log(), timeout=5)
    served_by = re.findall(r"POST /_consent/decision .* pid=(\d+)", srv.access_log())
    assert served_by == [pid], \
        "the tag names pid %s, the request was served by %s" % (pid, served_by)
    # what the daemon wrote: one line, the record taken from it verifies
    assert sink.record_lines() == [record]
    rec = json.loads(record)
    assert rec["id"] == resp.json()["id"] and rec["method"] == "custom"
    verify(sink)
    assert mc_errors(srv) == [], "errors logged while all was well"


def connections_to(path):
    """Socket inodes of the clients connected to the unix socket at PATH."""
    with open("/proc/net/unix") as table:
        rows = [line.split() for line in table.read().split("\n")[1:] if line.strip()]
    bound = {row[6] for row in rows if len(row) > 7 and row[7] == str(path)}
    out = subprocess.run(["ss", "-x", "-a", "-n", "-H"], capture_output=True, text=True).stdout
    # Netid State Recv-Q Send-Q Local-Address Local-Port Peer-Address Peer-Port
    return {cols[5] for cols in map(str.split, out.split("\n"))
            if len(cols) >= 8 and cols[0] == "u_dgr" and cols[7] in bound}


def test_the_syslog_socket_is_not_inherited_by_programs_httpd_runs(syslog_server):
    """Close-on-exec: a CGI script or filter program a child runs cannot write to syslog as it."""
    srv, sink = syslog_server("syslog-cloexec", start_servers=2, threads=2, server_limit=2)
    for _ in range(4):
        assert decide(srv, "accept_all").status == 200
    assert wait_until(lambda: len(sink.record_lines()) >= 4, timeout=5)
    assert wait_until(lambda: srv.access_log().count("POST /_consent/decision") >= 4, timeout=5)
    children = set(re.findall(r"POST /_consent/decision .* pid=(\d+)", srv.access_log()))
    clients = connections_to(sink.socket)
    seen = 0
    for pid in children:
        for fd in os.listdir("/proc/%s/fd" % pid):
            target = os.readlink("/proc/%s/fd/%s" % (pid, fd))
            if target.startswith("socket:[") and target[8:-1] in clients:
                seen += 1
                with open("/proc/%s/fdinfo/%s" % (pid, fd)) as info:
                    flags = int(re.search(r"^flags:\s+(\d+)", info.read(), re.M).group(1), 8)
                assert flags & os.O_CLOEXEC, "pid %s fd %s is inherited by exec" % (pid, fd)
    assert seen >= len(children), "found %d connections for children %s" % (seen, children)


def test_chain_continues_across_graceful_and_full_restart(syslog_server):
    srv, sink = syslog_server("syslog-restart")
    ids = [decide(srv, "accept_all").json()["id"]]
    srv.graceful()
    ids.append(decide(srv, "reject_all").json()["id"])
    srv.restart()
    ids.append(decide(srv, "custom", ["marketing"]).json()["id"])
    assert wait_until(lambda: len(sink.record_lines()) >= 3, timeout=5)
    records = sink.records()
    assert [r["id"] for r in records] == ids
    assert_chained(records)
    verify(sink)


def test_daemon_down_refuses_the_decision(syslog_server):
    srv, sink = syslog_server("syslog-down", start_sink=False)
    resp = decide(srv, "accept_all")
    assert resp.status == 503, resp
    assert not consent_cookie(resp), "a consent cookie without a record: %r" % resp
    errors = [l for l in mc_errors(srv) if str(sink.socket) in l]
    assert errors, "no numbered error names the syslog socket:\n%s" % srv.error_log()
    # the daemon comes up: decisions are recorded again, without a restart of httpd
    sink.start()
    resp = decide(srv, "accept_all")
    assert resp.status == 200, resp
    assert consent_cookie(resp)
    assert wait_until(lambda: len(sink.record_lines()) >= 1, timeout=5)
    assert [r["id"] for r in sink.records()] == [resp.json()["id"]]


def test_daemon_restarted_between_decisions(syslog_server):
    # two processes, each holding its own connection to the old daemon
    srv, sink = syslog_server("syslog-reconnect", start_servers=2, threads=2, server_limit=2)
    first = [decide(srv, "accept_all") for _ in range(4)]
    assert [r.status for r in first] == [200] * 4
    assert wait_until(lambda: len(sink.record_lines()) >= 4, timeout=5)
    sink.restart()
    after = [decide(srv, "reject_all") for _ in range(4)]
    assert [r.status for r in after] == [200] * 4, after
    assert all(consent_cookie(r) for r in after)
    assert wait_until(lambda: len(sink.record_lines()) >= 8, timeout=5)
    records = sink.records()
    assert [r["id"] for r in records] == [r.json()["id"] for r in first + after]
    assert_chained(records)
    verify(sink)


def test_daemon_stopped_then_restarted(syslog_server):
    srv, sink = syslog_server("syslog-outage")
    assert decide(srv, "accept_all").status == 200
    assert wait_until(lambda: len(sink.record_lines()) >= 1, timeout=5)
    sink.stop()
    down = decide(srv, "accept_all")
    assert down.status == 503 and not consent_cookie(down), down
    sink.start()
    up = decide(srv, "reject_all")
    assert up.status == 200 and consent_cookie(up), up
    assert wait_until(lambda: len(sink.record_lines()) >= 2, timeout=5)
    records = sink.records()
    assert len(records) == 2, "the refused decision must leave no record: %s" % records
    assert_chained(records)
    verify(sink)


def test_daemon_that_stops_reading_gets_no_more_records(syslog_server):
    """A stuck daemon's socket fills up: decisions are refused after a short wait, none hangs."""
    srv, sink = syslog_server("syslog-stuck")
    os.kill(sink.proc.pid, signal.SIGSTOP)
    try:
        results = []
        for _ in range(40):  # the socket's queue holds only so many datagrams
            resp = decide(srv, "accept_all")
            results.append(resp)
            if resp.status != 200:
                break
    finally:
        os.kill(sink.proc.pid, signal.SIGCONT)
    assert results[-1].status == 503 and not consent_cookie(results[-1]), results[-1]
    accepted = [r.json()["id"] for r in results if r.status == 200]
    assert accepted, "no decision got through before the queue was full"
    assert wait_until(lambda: len(sink.record_lines()) >= len(accepted), timeout=5)
    # once the daemon reads again, decisions are recorded again, in one chain
    later = decide(srv, "reject_all")
    assert later.status == 200, later
    assert wait_until(lambda: len(sink.record_lines()) >= len(accepted) + 1, timeout=5)
    records = sink.records()
    assert [r["id"] for r in records] == accepted + [later.json()["id"]]
    assert_chained(records)
    verify(sink)


@pytest.mark.parametrize("target", ["syslog", "syslog:LOCAL5", "SysLog:daemon:/run/x/log.sock"])
def test_syslog_targets_are_accepted(config_factory, target):
    srv = config_factory("syslog-good", consent={"ConsentLog": target})
    rc, out = srv.config_test()
    assert rc == 0, out


@pytest.mark.parametrize("target, says", [
    ("syslog:kern", "not a syslog facility"),
    ("syslog:local8", "not a syslog facility"),
    ("syslog:local0:run/log.sock", "absolute path"),
    ("syslog:local0:", "absolute path"),
    ("syslog:local0:/" + "x" * 120, "too long"),
])
def test_bad_syslog_target_stops_start_up(config_factory, target, says):
    srv = config_factory("syslog-bad", consent={"ConsentLog": target})
    rc, out = srv.config_test()
    assert rc != 0, out
    assert says in out, out
    line = srv.line_of("ConsentLog " + target)
    assert re.search(r"line %d of %s" % (line, re.escape(str(srv.conf_path))), out), out


def test_parallel_decisions_one_message_each(syslog_server):
    srv, sink = syslog_server("syslog-race", start_servers=2, threads=10, server_limit=4)

    def one(i):
        resp = decide(srv, ["accept_all", "reject_all", "custom"][i % 3],
                      ["statistics"] if i % 3 == 2 else None,
                      headers={"User-Agent": "visitor-%d" % i})
        return resp.status, (resp.json()["id"] if resp.status == 200 else None)

    def other_program(i):
        # the daemon's file also holds other programs' lines, some with JSON
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(b'<13>Nov 24 10:00:00 cron[42]: {"job":%d}' % i, str(sink.socket))

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        others = [pool.submit(other_program, i) for i in range(5)]
        results = list(pool.map(one, range(60)))
        for done in others:
            done.result()
    accepted = [i for status, i in results if status == 200]
    assert len(accepted) == 60, results
    assert wait_until(lambda: len(sink.datagrams()) >= 65, timeout=10)
    ours = [d for d in sink.datagrams() if DATAGRAM_RE.match(d)]
    assert len(ours) == 60, "expected one message per decision"
    records = sink.records()
    assert sorted(r["id"] for r in records) == sorted(accepted)
    assert_chained(records)
    verify(sink)
    pids = {DATAGRAM_RE.match(d).group(3) for d in ours}
    assert len(pids) >= 2, "all decisions were sent by one process; the race was not tested"
