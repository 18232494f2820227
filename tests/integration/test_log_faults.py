"""The consent log under load and faults: what holds when things go wrong.

Many visitors decide at once while pages are served; meanwhile apache2 is
restarted gracefully and a child that is serving is killed with SIGKILL.
Afterwards every decision a visitor was told about (a consent cookie) has
exactly one record, no record is torn or written twice, and the chain
verifies: for the file target and for PostgreSQL (ConsentLog dbd). A killed
child may leave a record whose visitor never got an answer; those are allowed
and counted. For the file target the disk is also filled: a decision that
cannot be recorded is refused (503, no cookie, no record, no torn line), and
once there is room again decisions are accepted and the chain carries on.

Every decision carries its own User-Agent ("mc-fault-N"), which its record
keeps: so each record is traced to the request that made it.

Throughput is printed, never asserted. Run with -s to see the summary lines.
"""
import base64
import collections
import hashlib
import hmac
import http.client
import itertools
import json
import os
import re
import secrets
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from harness import (CONSENT_LOG_TOOL, DATA, consent_cookie, consent_log_tool, decision_body,
                     get_state, request, wait_until)

PAGE = (DATA / "html" / "clinic.html").read_text()
GTAG = "https://www.googletagmanager.com/gtag/js?id=G-7XKQ2V9ZPL"
LIVE_TRACKER = re.compile(r'<script[^>]*\ssrc="%s"' % re.escape(GTAG))
NEUTRALISED = 'data-consent-src="%s"' % GTAG

LOAD_SECONDS = 11.0      # how long traffic runs
GRACEFUL_AT = 2.5        # seconds into the run
KILLS_AT = (5.0, 8.0)    # SIGKILL of one serving child at each of these
DECIDERS = 8             # client threads POSTing decisions
READERS = 4              # client threads GETting pages
MAX_DECISIONS = 30000    # bounds in count as well as in time (pages: as many per reader)
CLIENT_TIMEOUT = 15


pytestmark = pytest.mark.usefixtures("consent_log_built")


# --------------------------------------------------------------------------
# log targets: where the records are and how they are checked
# --------------------------------------------------------------------------

class Stored:
    """What a target holds: parsed records and the problems found reading them."""

    def __init__(self):
        self.records = []     # dicts, in log order
        self.problems = []    # torn lines, rows that disagree with their record, ...


class FileTarget:
    name = "file"

    def configure(self, srv):
        return {}, ""  # the harness default: ConsentLog to a file

    def attach(self, srv):
        self.path = srv.consent_log

    def stored(self):
        out = Stored()
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return out
        if data and not data.endswith(b"\n"):
            out.problems.append("the file does not end with a newline (torn last record)")
        for number, line in enumerate(data.split(b"\n")[:-1] if data else [], 1):
            try:
                rec = json.loads(line.decode("utf-8"))
                if not isinstance(rec, dict) or not {"id", "prev", "hash"} <= set(rec):
                    raise ValueError("not a whole record")
            except ValueError as exc:
                out.problems.append("line %d is torn or not a record (%s): %r"
                                    % (number, exc, line[:120]))
                continue
            out.records.append(rec)
        return out

    def verify(self):
        return consent_log_tool("verify", self.path)


def tool_reads_databases():
    p = subprocess.run([str(CONSENT_LOG_TOOL)], capture_output=True, text=True, timeout=30)
    return "--db" in p.stdout + p.stderr


class PgTarget:
    name = "postgres"

    def __init__(self, pg):
        self.pg = pg
        self.conninfo = pg.new_database("mc_faults_" + secrets.token_hex(4))

    def configure(self, srv):
        return {"ConsentLog": "dbd"}, self.pg.dbd_conf(self.conninfo)

    def attach(self, srv):
        pass

    def rows(self):
        return self.pg.query(self.conninfo, "SELECT chain, seq, id, hash, record FROM consent_log "
                                            "ORDER BY chain, seq")

    def stored(self):
        out = Stored()
        expected = {}
        for chain, seq, rid, rhash, text in self.rows():
            want = expected.get(chain, 1)
            if int(seq) != want:
                out.problems.append("chain %r: seq %s where %d was due" % (chain, seq, want))
            expected[chain] = int(seq) + 1
            try:
                rec = json.loads(text)
                if not isinstance(rec, dict) or not {"id", "prev", "hash"} <= set(rec):
                    raise ValueError("not a whole record")
            except ValueError as exc:
                out.problems.append("row %s/%s: record is torn (%s): %r"
                                    % (chain, seq, exc, text[:120]))
                continue
            if (rec.get("chain", ""), rec["id"], rec["hash"]) != (chain, rid, rhash.strip()):
                out.problems.append("row %s/%s: columns chain/id/hash disagree with its record"
                                    % (chain, seq))
            out.records.append(rec)
        return out

    def verify(self):
        if tool_reads_databases():
            return consent_log_tool("verify", "--db", "pgsql:" + self.conninfo)
        lines = [row[4] for row in self.rows()]
        return consent_log_tool("verify", "-", stdin="".join(l + "\n" for l in lines))


@pytest.fixture(params=["file", "postgres"])
def log_target(request):
    if request.param == "file":
        return FileTarget()
    try:
        pg = request.getfixturevalue("postgres")
    except pytest.FixtureLookupError:
        pytest.skip("no `postgres` fixture in this tree (tests/integration/pg.py)")
    return PgTarget(pg)


# --------------------------------------------------------------------------
# traffic
# --------------------------------------------------------------------------

KINDS = [("json", "accept_all", None), ("json", "reject_all", None),
         ("json", "custom", ["statistics"]), ("form", "accept_all", None),
         ("json", "custom", ["marketing", "preferences"]), ("form", "reject_all", None),
         ("form", "custom", ["statistics", "marketing"])]


class Decision:
    """One decision request and what became of it."""

    def __init__(self, tag, kind, method):
        self.tag, self.kind, self.method = tag, kind, method
        self.status = None     # HTTP status, None when the connection failed
        self.error = None      # the exception when it failed
        self.cookie = None     # the consent cookie value set, if any
        self.id = None         # the consent id in the cookie
        self.said_id = None    # the consent id in the JSON answer

    @property
    def accepted(self):
        return self.status in (200, 303) and bool(self.cookie)

    @property
    def refused(self):
        return self.status is not None and self.status >= 500


def send_decision(port, number):
    kind, method, granted = KINDS[number % len(KINDS)]
    d = Decision("mc-fault-%d" % number, kind, method)
    headers = [("User-Agent", d.tag)]
    if kind == "json":
        headers.append(("Content-Type", "application/json"))
        body = decision_body(method, granted)
    else:
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        body = "&".join(["method=" + method] + ["granted=" + g for g in granted or []]
                        + ["return=/clinic.html"])
    try:
        resp = request(port, "POST", "/_consent/decision", headers=headers, body=body,
                       timeout=CLIENT_TIMEOUT)
    except (OSError, http.client.HTTPException) as exc:
        d.error = exc
        return d
    d.status = resp.status
    d.cookie = consent_cookie(resp)
    if d.status == 200 and d.cookie:
        try:
            d.said_id = resp.json().get("id")
        except ValueError:
            pass
    return d


class Traffic:
    """Decision and page threads that run until stopped, bounded in count."""

    def __init__(self, srv):
        self.srv = srv
        self.stop = threading.Event()
        self.numbers = itertools.count(1)
        self.decisions = []
        self.pages = collections.Counter()
        self.untouched_pages = 0
        self.lock = threading.Lock()
        self.threads = ([threading.Thread(target=self.decider, daemon=True)
                         for _ in range(DECIDERS)]
                        + [threading.Thread(target=self.reader, daemon=True)
                           for _ in range(READERS)])

    def decider(self):
        while not self.stop.is_set():
            number = next(self.numbers)
            if number > MAX_DECISIONS:
                return
            d = send_decision(self.srv.port, number)
            with self.lock:
                self.decisions.append(d)

    def reader(self):
        for _ in range(MAX_DECISIONS):
            if self.stop.is_set():
                return
            try:
                resp = request(self.srv.port, "GET", "/clinic.html", timeout=CLIENT_TIMEOUT)
            except (OSError, http.client.HTTPException):
                outcome = "failed"
            else:
                body = resp.body.decode("utf-8", "replace")
                outcome = "served" if resp.status == 200 else "status-%d" % resp.status
                if resp.status == 200 and (LIVE_TRACKER.search(body) or NEUTRALISED not in body):
                    with self.lock:
                        self.untouched_pages += 1
            with self.lock:
                self.pages[outcome] += 1

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(CLIENT_TIMEOUT + 5)
        return not any(t.is_alive() for t in self.threads)


# --------------------------------------------------------------------------
# apache's children
# --------------------------------------------------------------------------

def children(parent_pid):
    """PIDs of the worker children of PARENT_PID (cgid, single-threaded, is left out)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            threads = len(list((entry / "task").iterdir()))
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == parent_pid and fields[0] != "Z" and threads > 1:
            found.append(int(entry.name))
    return found


def sockets_of(pid):
    count = 0
    try:
        for fd in Path("/proc/%d/fd" % pid).iterdir():
            try:
                if os.readlink(fd).startswith("socket:"):
                    count += 1
            except OSError:
                pass
    except OSError:
        return -1
    return count


def kill_a_serving_child(srv):
    """SIGKILLs the worker child with the most open sockets (connections in hand)."""
    kids = children(srv.proc.pid)
    if not kids:
        return None
    counts = {pid: sockets_of(pid) for pid in kids}
    victim = max(kids, key=counts.get)
    os.kill(victim, signal.SIGKILL)
    return victim


def pid_gone(pid):
    try:
        stat = Path("/proc/%d/stat" % pid).read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] == "Z"


# --------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------

def cookie_id(srv, value):
    """The consent id of a consent cookie whose signature holds, else None.

    The value is "2.ID.POLICY64.TIME.GRANTED.SERVICES.SIG" (version 1 had
    no SERVICES), SIG the base64url HMAC-SHA256 of what precedes ".SIG"
    under the key in ConsentSecretFile.
    """
    secret = srv.secret_path.read_bytes()
    key = secret[:-1] if secret.endswith(b"\n") else secret
    payload, _, sig = value.rpartition(".")
    fields = payload.split(".")
    want = base64.urlsafe_b64encode(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    if (fields[0], len(fields)) not in (("1", 5), ("2", 6)) or \
            sig.rstrip("=") != want.decode().rstrip("="):
        return None
    return fields[1]


def read_cookies(srv, decisions):
    """Sets each accepted decision's id from its cookie, checking what holds for cookies."""
    for d in decisions:
        if d.accepted:
            d.id = cookie_id(srv, d.cookie)
            assert d.id, "%s: the consent cookie is not validly signed: %r" % (d.tag, d.cookie)
            assert d.said_id in (None, d.id), "%s: the answer names %s, the cookie %s" % (
                d.tag, d.said_id, d.id)
    # the server reads a few of them the same way
    for d in [d for d in decisions if d.accepted][:: max(1, len(decisions) // 5)]:
        assert get_state(srv, "consent=" + d.cookie).get("id") == d.id, d.tag


def check_log(target, decisions, extra_tags=()):
    """Asserts the promises about the log; returns (stored records, orphan records)."""
    stored = target.stored()
    assert not stored.problems, "damaged log:\n" + "\n".join(stored.problems[:20])

    by_tag = {d.tag: d for d in decisions}
    records_by_id = collections.defaultdict(list)
    for rec in stored.records:
        records_by_id[rec["id"]].append(rec)
    twice = {i: len(r) for i, r in records_by_id.items() if len(r) > 1}
    assert not twice, "ids with more than one record: %s" % dict(list(twice.items())[:10])

    for d in decisions:
        assert not (d.status is not None and not d.accepted and d.cookie), \
            "%s: status %s came with a consent cookie" % (d.tag, d.status)
        assert not (d.status in (200, 303) and not d.cookie), \
            "%s: status %s without a consent cookie" % (d.tag, d.status)

    accepted = [d for d in decisions if d.accepted]
    missing = [d.tag for d in accepted if d.id not in records_by_id]
    assert not missing, "%d accepted decisions have no record, e.g. %s" % (len(missing),
                                                                            missing[:10])
    for d in accepted:
        rec = records_by_id[d.id][0]
        assert rec.get("ua") == d.tag, "record of %s (%s) names %r" % (d.tag, d.id, rec.get("ua"))
        assert rec["method"] == d.method, (d.tag, rec)

    orphans, strays = [], []
    for rec in stored.records:
        d = by_tag.get(rec.get("ua"))
        if d is None:
            if rec.get("ua") not in extra_tags:
                strays.append(rec)
        elif not d.accepted:
            orphans.append((d, rec))
    assert not strays, "records no request of this test made: %s" % strays[:5]
    refused_recorded = [d.tag for d, _ in orphans if d.status is not None]
    assert not refused_recorded, \
        "decisions answered with an error have records: %s" % refused_recorded[:10]

    rc, out = target.verify()
    assert rc == 0, "the chain does not verify:\n%s" % out[-3000:]
    return stored, orphans


def report(record_property, line):
    print("\n" + line)
    record_property("summary", line)


# --------------------------------------------------------------------------
# the tests
# --------------------------------------------------------------------------

def test_decisions_survive_graceful_restart_and_a_killed_child(server_factory, log_target,
                                                               record_property):
    srv = server_factory("log-faults-" + log_target.name, start=False, start_servers=3,
                         server_limit=6, threads=8)
    consent, global_conf = log_target.configure(srv)
    srv.reconfigure(consent=consent, global_conf=global_conf)
    srv.add_file("clinic.html", PAGE)
    srv.start()
    log_target.attach(srv)
    assert wait_until(lambda: len(children(srv.proc.pid)) >= 3), \
        "fewer than three children to spread the load on"

    traffic = Traffic(srv)
    began = time.monotonic()
    killed = []
    traffic.start()
    try:
        schedule = [(GRACEFUL_AT, "graceful")] + [(at, "kill") for at in KILLS_AT]
        for at, what in schedule:
            time.sleep(max(0.0, began + at - time.monotonic()))
            if what == "graceful":
                srv.graceful()
            else:
                victim = kill_a_serving_child(srv)
                assert victim is not None, "no child to kill"
                killed.append(victim)
        time.sleep(max(0.0, began + LOAD_SECONDS - time.monotonic()))
    finally:
        stopped = traffic.finish()
    duration = time.monotonic() - began
    assert stopped, "client threads still hang %ds after the load stopped" % (CLIENT_TIMEOUT + 5)
    assert all(pid_gone(pid) for pid in killed), "a SIGKILLed child is still there"
    assert srv.running, "apache2 died:\n%s" % srv.diagnostics()[-3000:]

    # the server has recovered: a decision now is accepted, recorded and chained
    after = send_decision(srv.port, 0)
    after.tag = "mc-fault-0"
    decisions = traffic.decisions + [after]
    read_cookies(srv, decisions)

    accepted = sum(d.accepted for d in decisions)
    refused = sum(d.refused for d in decisions)
    failed = sum(d.error is not None for d in decisions)
    other = len(decisions) - accepted - refused - failed
    found = {}
    try:
        stored, orphans = check_log(log_target, decisions)
        found = {"records": len(stored.records), "orphans": len(orphans)}
    finally:  # the numbers also when a check fails
        report(record_property,
               "log-faults[%s]: decisions attempted=%d accepted=%d refused(5xx)=%d "
               "connection-failed=%d other=%d records=%s orphan-records=%s pages served=%d "
               "(failed %d) graceful=1 killed=%d duration=%.1fs (%.0f decisions/s)"
               % (log_target.name, len(decisions), accepted, refused, failed, other,
                  found.get("records", "?"), found.get("orphans", "?"), traffic.pages["served"],
                  sum(n for k, n in traffic.pages.items() if k != "served"), len(killed),
                  duration, len(decisions) / duration))
    assert after.accepted, "after the faults a decision is refused: %s %s" % (after.status,
                                                                             after.error)
    assert accepted > 0, "no decision was accepted"
    assert other == 0, "unexpected answers: %s" % sorted(
        {d.status for d in decisions if not d.accepted and not d.refused and d.status})
    assert traffic.pages["served"] > 0, "no page was served: %s" % dict(traffic.pages)
    assert traffic.untouched_pages == 0, \
        "%d pages went out with the tracker live or not rewritten" % traffic.untouched_pages


# --- a full disk (file target) ------------------------------------------------------

DISK_BYTES = 64 * 1024
BALLAST_BYTES = 44 * 1024


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs (root mounts it here); unmounted whatever happens."""
    mountpoint = tmp_path / "small-disk"
    mountpoint.mkdir()
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d,mode=0755" % DISK_BYTES,
                        "mc-small-disk", str(mountpoint)], capture_output=True, text=True,
                       timeout=30)
    if p.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here: %s" % (p.stderr.strip() or p.returncode))
    try:
        yield mountpoint
    finally:
        if subprocess.run(["umount", str(mountpoint)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True)


def test_full_disk_refuses_decisions_without_tearing_the_log(server_factory, small_disk,
                                                             record_property):
    ballast = small_disk / "ballast"
    ballast.write_bytes(b"\0" * BALLAST_BYTES)
    log = small_disk / "consent.log"
    srv = server_factory("log-disk-full", start=False, start_servers=2, threads=4)
    srv.reconfigure(consent={"ConsentLog": str(log)})
    target = FileTarget()
    target.path = log
    began = time.monotonic()
    try:
        srv.start()
        numbers = itertools.count(1)
        decisions = []
        lock = threading.Lock()
        done = threading.Event()

        def decider():
            streak = 0
            while not done.is_set():
                number = next(numbers)
                if number > 1000:
                    return
                d = send_decision(srv.port, number)
                with lock:
                    decisions.append(d)
                streak = streak + 1 if d.refused else 0
                if streak >= 10:
                    done.set()  # the disk is full and stays full

        workers = [threading.Thread(target=decider, daemon=True) for _ in range(4)]
        for t in workers:
            t.start()
        for t in workers:
            t.join(120)
        assert not any(t.is_alive() for t in workers), "decisions hang on a full disk"
        accepted_full = sum(d.accepted for d in decisions)
        refused_full = sum(d.refused for d in decisions)
        assert accepted_full > 0, "nothing was accepted before the disk filled"
        assert refused_full > 0, "the disk never filled (%d decisions)" % len(decisions)
        read_cookies(srv, decisions)
        stored, _ = check_log(target, decisions)
        assert not [d for d in decisions if d.error is not None], "connections failed"
        assert "consent log" in srv.error_log(), "the refusals were not explained in the error log"
        size_full = log.stat().st_size

        # room again: decisions are accepted and the chain carries on
        ballast.unlink()
        last_hash = stored.records[-1]["hash"]
        later = [send_decision(srv.port, next(numbers)) for _ in range(6)]
        read_cookies(srv, later)
        assert all(d.accepted for d in later), \
            "with room again decisions are still refused: %s" % [d.status for d in later]
        stored_after, _ = check_log(target, decisions + later)
        new = stored_after.records[len(stored.records):]
        assert [r["ua"] for r in new] == [d.tag for d in later]
        assert new[0]["prev"] == last_hash, "the chain restarted after the disk was freed"
    finally:
        srv.stop()  # before the unmount: the parent and children hold the file open
    report(record_property,
           "log-disk-full[file]: tmpfs %d KiB; decisions attempted=%d accepted=%d "
           "refused(503)=%d while full (log %d bytes, %d records); after freeing space "
           "%d/%d accepted; duration=%.1fs"
           % (DISK_BYTES // 1024, len(decisions), accepted_full, refused_full, size_full,
              len(stored.records), sum(d.accepted for d in later), len(later),
              time.monotonic() - began))
