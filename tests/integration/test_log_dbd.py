"""ConsentLog dbd: one row per decision in PostgreSQL or SQLite through mod_dbd,
one gapless verifiable chain per server, and no consent without its row."""
import concurrent.futures
import json
import os
import re
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

import harness
import pg
from harness import (HEX64_RE, consent_cookie, consent_log_tool, decide,
                     free_port, wait_until)

COLUMNS = ["chain", "seq", "time", "day", "id", "policy", "method", "lang", "granted", "refused",
           "record", "hash"]
GENESIS = "0" * 64
MCLOGNO_RE = re.compile(r"MC\d{5}")


pytestmark = pytest.mark.usefixtures("consent_log_built")


def dbd_module_line():
    if "dbd" in harness.STOCK_MODULES or "dbd" in harness.builtin_modules():
        return ""
    return "LoadModule dbd_module %s/mod_dbd.so\n" % harness.MODULE_DIR


class PgDb:
    """One fresh PostgreSQL database of the session's cluster."""

    def __init__(self, cluster, name):
        self.cluster = cluster
        self.conninfo = cluster.new_database(name)
        self.name = name

    def dbd_conf(self):
        return self.cluster.dbd_conf(self.conninfo)

    def sql(self, statement):
        """As the superuser: may do what the web server's role need not."""
        return self.cluster.query(self.name, statement)

    def rows(self):
        out = self.cluster.query(self.conninfo, """
            SELECT chain, seq,
                   to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                   to_char(day, 'YYYY-MM-DD'), id, policy, method, lang, granted, refused,
                   record, hash
            FROM consent_log ORDER BY chain, seq""")
        return [dict(zip(COLUMNS, r)) for r in out]


class SqliteDb:
    """An SQLite file made from conf/sql/sqlite.sql, in a dir www-data may write."""

    def __init__(self, name):
        d = Path(tempfile.mkdtemp(prefix="sqlite-", dir=harness.base_dir()))
        d.chmod(0o755)
        self.path = d / (name + ".db")
        con = sqlite3.connect(str(self.path))
        con.executescript((harness.REPO / "conf" / "sql" / "sqlite.sql").read_text())
        con.close()
        harness.chown_run_user(d)
        harness.chown_run_user(self.path)

    def dbd_conf(self):
        return (dbd_module_line() + 'DBDriver sqlite3\nDBDParams "%s"\n'
                "DBDMin 0\nDBDKeep 1\nDBDMax 4\nDBDExptime 60\n" % self.path)

    def sql(self, statement):
        con = sqlite3.connect(str(self.path), timeout=10)
        try:
            out = con.execute(statement).fetchall()
            con.commit()
            return out
        finally:
            con.close()

    def rows(self):
        out = self.sql("SELECT %s FROM consent_log ORDER BY chain, seq" % ", ".join(COLUMNS))
        rows = []
        for r in out:
            row = dict(zip(COLUMNS, ["" if v is None else str(v) for v in r]))
            # stored as "2026-11-24 09:00:00.123": the same instant as the record's time
            row["time"] = row["time"].replace(" ", "T") + "Z"
            rows.append(row)
        return rows


@pytest.fixture(params=["pgsql", "sqlite3"])
def db(request):
    if request.param == "pgsql":
        return PgDb(request.getfixturevalue("postgres"),
                    "t_" + re.sub(r"\W", "_", request.node.name.lower())[:50])
    return SqliteDb("consent")


def dbd_server(factory, db_conf, chain="web1", start=True, **kw):
    conf = db_conf + "ConsentLogChain %s\nConsentLog dbd\n" % chain
    return factory("dbd-" + chain, consent={"ConsentLog": None}, global_conf=conf, start=start,
                   **kw)


def chain_problems(rows, tmp_path):
    """The database check: every chain verifies as a sequence with consent-log
    verify, its seq is 1, 2, 3 ... and chain/id/hash equal the record's fields."""
    problems = []
    by_chain = {}
    for row in rows:
        by_chain.setdefault(row["chain"], []).append(row)
    for chain, chain_rows in by_chain.items():
        seqs = [int(r["seq"]) for r in chain_rows]
        if seqs != list(range(1, len(seqs) + 1)):
            problems.append("chain %s: seq %s has gaps" % (chain, seqs))
        for r in chain_rows:
            try:
                rec = json.loads(r["record"])
            except ValueError:
                problems.append("chain %s seq %s: record is not JSON" % (chain, r["seq"]))
                continue
            for col in ("chain", "id", "hash"):
                if rec.get(col) != r[col]:
                    problems.append("chain %s seq %s: column %s=%r, record says %r"
                                    % (chain, r["seq"], col, r[col], rec.get(col)))
        if json.loads(chain_rows[0]["record"]).get("prev") != GENESIS:
            problems.append("chain %s does not start at genesis" % chain)
        path = tmp_path / ("chain-%s.log" % chain)
        path.write_text("".join(r["record"] + "\n" for r in chain_rows))
        rc, out = consent_log_tool("verify", path)
        if rc != 0:
            problems.append("chain %s: consent-log verify: %s" % (chain, out.strip()))
    return problems


# mpm_event's own lines when a connection it is closing (AH03092) or keeping
# alive (AH03093) meets a graceful restart that has just closed its pollset:
# httpd's timing, in any server, not this module's or mod_dbd's words
GRACEFUL_RACE_RE = re.compile(r"\[mpm_event:error\].*AH0309[23]: .*apr_pollset_add failure")


def assert_quiet(srv):
    """Silent at LogLevel warn when all is well."""
    noisy = [l for l in srv.error_log().split("\n")
             if (MCLOGNO_RE.search(l) or "dbd:" in l.lower() or ":error]" in l)
             and not GRACEFUL_RACE_RE.search(l)]
    assert not noisy, noisy


# --------------------------------------------------------------------------
# one decision, one row
# --------------------------------------------------------------------------

def test_a_decision_writes_exactly_one_matching_row(server_factory, db, tmp_path):
    srv = dbd_server(server_factory, db.dbd_conf())
    resp = decide(srv, "custom", ["statistics"])
    assert resp.status == 200, resp
    assert consent_cookie(resp)
    rows = db.rows()
    assert len(rows) == 1, rows
    row = rows[0]
    rec = json.loads(row["record"])
    assert "\n" not in row["record"] and row["record"].startswith("{")
    assert row["chain"] == rec["chain"] == "web1"
    assert row["seq"] == "1"
    assert row["id"] == rec["id"] == resp.json()["id"]
    assert row["time"] == rec["time"], (row, rec)
    assert row["day"] == rec["time"][:10]
    assert (row["policy"], row["method"], row["lang"]) == (rec["policy"], "custom", rec["lang"])
    assert row["granted"] == " ".join(rec["granted"])
    assert set(row["granted"].split(" ")) == {"necessary", "statistics"}
    assert row["refused"] == " ".join(rec["refused"])
    assert HEX64_RE.match(row["hash"]) and row["hash"] == rec["hash"]
    assert rec["prev"] == GENESIS

    # a reader is not a decision; the next decision is row 2, chained
    assert srv.get("/_consent/state").status == 200
    assert len(db.rows()) == 1
    assert decide(srv, "reject_all").status == 200
    rows = db.rows()
    assert [r["seq"] for r in rows] == ["1", "2"]
    assert json.loads(rows[1]["record"])["prev"] == rows[0]["hash"]
    assert rows[1]["granted"] == "necessary" and rows[1]["method"] == "reject_all"
    assert chain_problems(rows, tmp_path) == []
    assert_quiet(srv)


def test_chain_continues_across_full_and_graceful_restart(server_factory, db, tmp_path):
    srv = dbd_server(server_factory, db.dbd_conf())
    assert decide(srv, "accept_all").status == 200
    srv.restart()
    assert decide(srv, "reject_all").status == 200
    srv.graceful()
    assert decide(srv, "custom", ["preferences"]).status == 200
    rows = db.rows()
    assert [r["seq"] for r in rows] == ["1", "2", "3"]
    assert chain_problems(rows, tmp_path) == []
    assert_quiet(srv)


def test_parallel_decisions_keep_one_gapless_chain(server_factory, db, tmp_path):
    srv = dbd_server(server_factory, db.dbd_conf())
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda i: decide(srv, "accept_all").status, range(40)))
    assert statuses == [200] * 40
    rows = db.rows()
    assert len(rows) == 40
    assert chain_problems(rows, tmp_path) == []


# --------------------------------------------------------------------------
# several servers, one database
# --------------------------------------------------------------------------

def test_two_servers_in_one_database_keep_their_own_chains(server_factory, postgres, tmp_path):
    db = PgDb(postgres, "t_two_servers")
    web1 = dbd_server(server_factory, db.dbd_conf(), chain="web1")
    web2 = dbd_server(server_factory, db.dbd_conf(), chain="web2")
    jobs = [web1, web2] * 15
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda s: decide(s, "accept_all").status, jobs))
    assert statuses == [200] * len(jobs)
    rows = db.rows()
    assert sorted({r["chain"] for r in rows}) == ["web1", "web2"]
    assert sum(r["chain"] == "web1" for r in rows) == 15
    assert chain_problems(rows, tmp_path) == []


def test_two_servers_with_one_chain_name_never_fork_it(server_factory, postgres, tmp_path):
    """Misconfigured twins: the database holds the head, so they continue one
    chain; a collision on (chain, seq) refuses a decision instead of forking."""
    db = PgDb(postgres, "t_twins")
    a = dbd_server(server_factory, db.dbd_conf(), chain="twin")
    b = dbd_server(server_factory, db.dbd_conf(), chain="twin")
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        resps = list(pool.map(lambda s: decide(s, "accept_all"), [a, b] * 15))
    ok = [r for r in resps if r.status == 200]
    assert all(r.status in (200, 503) for r in resps), resps
    assert all(not consent_cookie(r) for r in resps if r.status != 200)
    rows = db.rows()
    assert len(rows) == len(ok)
    assert {r["id"] for r in rows} == {r.json()["id"] for r in ok}
    assert chain_problems(rows, tmp_path) == []


# --------------------------------------------------------------------------
# faults: no consent without its row
# --------------------------------------------------------------------------

def assert_refused(srv, resp):
    assert resp.status == 503, resp
    assert not consent_cookie(resp), resp
    assert wait_until(lambda: re.search(r"MC\d{5}.*consent log dbd", srv.error_log())), \
        srv.error_log()


def test_database_not_reachable_refuses_the_decision(server_factory, postgres):
    conninfo = postgres.conninfo("nowhere", port=free_port())
    srv = dbd_server(server_factory, postgres.dbd_conf(conninfo))
    assert_refused(srv, decide(srv, "accept_all"))
    assert "password=" not in srv.error_log()
    # reading consent still works while the database is away
    assert srv.get("/_consent/state").status == 200


def test_database_refusing_rows_refuses_the_decision(server_factory, db, tmp_path):
    """Stands in for a full disk or a broken table: the INSERT fails."""
    srv = dbd_server(server_factory, db.dbd_conf())
    assert decide(srv, "accept_all").status == 200
    db.sql("CREATE TRIGGER consent_full BEFORE INSERT ON consent_log "
           "BEGIN SELECT RAISE(ABORT, 'disk full'); END" if isinstance(db, SqliteDb) else
           "CREATE FUNCTION full_() RETURNS trigger LANGUAGE plpgsql AS "
           "$$BEGIN RAISE EXCEPTION 'disk full'; END$$; "
           "CREATE TRIGGER consent_full BEFORE INSERT ON consent_log "
           "FOR EACH ROW EXECUTE FUNCTION full_()")
    assert_refused(srv, decide(srv, "reject_all"))
    assert "disk full" in srv.error_log()
    db.sql("DROP TRIGGER consent_full" if isinstance(db, SqliteDb) else
           "DROP TRIGGER consent_full ON consent_log")
    assert decide(srv, "reject_all").status == 200
    rows = db.rows()
    assert [r["seq"] for r in rows] == ["1", "2"]
    assert chain_problems(rows, tmp_path) == []


def test_lost_connections_are_replaced_and_the_chain_continues(server_factory, postgres,
                                                                tmp_path):
    db = PgDb(postgres, "t_lost_conn")
    srv = dbd_server(server_factory, db.dbd_conf())
    for _ in range(4):
        assert decide(srv, "accept_all").status == 200
    killed = db.sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = 't_lost_conn' AND pid <> pg_backend_pid()")
    assert int(killed[0][0]) >= 1
    # a dead connection is found at BEGIN, reconnected, and the record written
    statuses = [decide(srv, "accept_all").status for _ in range(8)]
    assert statuses == [200] * 8, (statuses, srv.error_log())
    rows = db.rows()
    assert len(rows) == 12
    assert chain_problems(rows, tmp_path) == []


def test_database_restart_refuses_while_down_and_continues_after(server_factory, postgres,
                                                                 tmp_path):
    db = PgDb(postgres, "t_db_restart")
    srv = dbd_server(server_factory, db.dbd_conf())
    for _ in range(3):
        assert decide(srv, "accept_all").status == 200
    postgres.stop_db()
    try:
        down = [decide(srv, "reject_all") for _ in range(3)]
    finally:
        postgres.start_db()
    for resp in down:
        assert_refused(srv, resp)
    statuses = [decide(srv, "accept_all").status for _ in range(6)]
    assert statuses == [200] * 6, (statuses, srv.error_log())
    rows = db.rows()
    assert len(rows) == 9
    assert chain_problems(rows, tmp_path) == []


def _apache_child_with_db_connection(srv, client_port, pg_port):
    """PID of the apache child whose TCP connection has local port CLIENT_PORT."""
    inode = None
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            local_port = int(parts[1].split(":")[1], 16)
            remote_port = int(parts[2].split(":")[1], 16)
            if local_port == client_port and remote_port == pg_port:
                inode = parts[9]
    assert inode, "no socket for port %d" % client_port
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(srv.proc.pid)],
                         capture_output=True, text=True).stdout
    for pid in map(int, out.split()):
        try:
            for fd in os.listdir("/proc/%d/fd" % pid):
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "socket:[%s]" % inode:
                    return pid
        except OSError:
            continue
    return None


def test_child_killed_mid_transaction_leaves_no_row_and_no_gap(server_factory, postgres,
                                                               tmp_path):
    db = PgDb(postgres, "t_killed")
    srv = dbd_server(server_factory, db.dbd_conf())
    assert decide(srv, "accept_all").status == 200
    # an auditor's session holds a lock that makes the next INSERT wait
    locker = subprocess.Popen([pg.PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", "t_killed",
                               "-h", str(postgres.sockdir), "-p", str(postgres.port),
                               "-U", pg.PG_USER],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        locker.stdin.write("BEGIN; LOCK TABLE consent_log IN SHARE ROW EXCLUSIVE MODE;\n"
                           "SELECT 'locked';\n")
        locker.stdin.flush()
        assert locker.stdout.readline().strip() == "locked"
        result = {}
        t = threading.Thread(target=lambda: result.update(resp=_try_decide(srv)))
        t.start()
        waiting = wait_until(lambda: db.sql(
            "SELECT client_port FROM pg_stat_activity WHERE datname = 't_killed' "
            "AND wait_event_type = 'Lock' AND query LIKE '%INSERT%'"), timeout=8)
        assert waiting, "the decision never reached its INSERT"
        child = _apache_child_with_db_connection(srv, int(waiting[0][0]), postgres.port)
        assert child, "no apache child holds the waiting connection"
        os.kill(child, signal.SIGKILL)
        t.join(15)
        assert not t.is_alive()
        resp = result.get("resp")
        assert resp is None or (resp.status != 200 and not consent_cookie(resp)), resp
    finally:
        locker.stdin.write("COMMIT;\n\\q\n")
        locker.stdin.flush()
        locker.wait(10)
    # the orphaned INSERT may now run, but nobody commits it: the database
    # rolls it back when it finds the connection gone
    port = waiting[0][0]
    assert wait_until(lambda: not db.sql("SELECT 1 FROM pg_stat_activity "
                                         "WHERE client_port = %s" % port), timeout=10)
    # the lock of the killed child is not stuck: the next decisions get their rows
    assert wait_until(lambda: _try_decide(srv) is not None, timeout=10)
    assert decide(srv, "reject_all").status == 200
    rows = db.rows()
    assert len(rows) >= 3
    assert chain_problems(rows, tmp_path) == []


def _try_decide(srv):
    try:
        resp = decide(srv, "accept_all")
    except (OSError, harness.http.client.HTTPException):
        return None
    return resp if resp.status == 200 else None


# --------------------------------------------------------------------------
# SQLite: one writer at a time
# --------------------------------------------------------------------------

def test_sqlite_waits_for_another_writer(server_factory, tmp_path):
    db = SqliteDb("locked")
    srv = dbd_server(server_factory, db.dbd_conf())
    assert decide(srv, "accept_all").status == 200
    con = sqlite3.connect(str(db.path), timeout=10, isolation_level=None,
                          check_same_thread=False)
    con.execute("BEGIN IMMEDIATE")  # an auditor's or a second server's write
    released = threading.Event()

    def release():
        time.sleep(1.0)
        con.execute("COMMIT")
        con.close()
        released.set()

    threading.Thread(target=release).start()
    resp = decide(srv, "reject_all")
    released.wait(10)
    assert resp.status == 200, (resp, srv.error_log())
    rows = db.rows()
    assert [r["seq"] for r in rows] == ["1", "2"]
    assert chain_problems(rows, tmp_path) == []


# --------------------------------------------------------------------------
# the chain check finds edits
# --------------------------------------------------------------------------

def test_edited_deleted_or_mislabelled_rows_are_detected(server_factory, postgres, tmp_path):
    db = PgDb(postgres, "t_edited")
    srv = dbd_server(server_factory, db.dbd_conf())
    for method in ("reject_all", "reject_all", "accept_all", "reject_all"):
        assert decide(srv, method).status == 200
    assert chain_problems(db.rows(), tmp_path) == []

    db.sql("UPDATE consent_log SET record = replace(record, '\"reject_all\"', "
           "'\"accept_all\"') WHERE seq = 2")
    problems = chain_problems(db.rows(), tmp_path)
    assert any("verify" in p for p in problems), problems

    db2 = PgDb(postgres, "t_edited2")
    srv.stop()
    srv2 = dbd_server(server_factory, db2.dbd_conf())
    for _ in range(3):
        assert decide(srv2, "accept_all").status == 200
    db2.sql("UPDATE consent_log SET id = 'AAAAAAAAAAAAAAAAAAAAAA' WHERE seq = 1")
    assert any("column id" in p for p in chain_problems(db2.rows(), tmp_path))
    db2.sql("DELETE FROM consent_log WHERE seq = 2")
    problems = chain_problems(db2.rows(), tmp_path)
    assert any("gaps" in p for p in problems) and any("verify" in p for p in problems)


# --------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------

def test_dbd_without_mod_dbd_stops_start_up(config_factory):
    srv = config_factory("nodbd", consent={"ConsentLog": "dbd"})
    rc, out = srv.config_test()
    assert rc != 0
    assert "ConsentLog dbd needs mod_dbd: LoadModule dbd_module before it" in out, out


def test_dbd_without_dbdriver_stops_start_up(config_factory):
    srv = config_factory("unconf", consent={"ConsentLog": None},
                         global_conf=dbd_module_line() + "ConsentLog DBD\n")
    rc, out = srv.start_expecting_failure()
    assert rc != 0
    assert re.search(r"MC\d{5}.*ConsentLog dbd: mod_dbd is not configured; set DBDriver", out), out


def test_dbd_configured_passes_the_config_test(config_factory, tmp_path):
    db = SqliteDb("cfg")
    srv = config_factory("cfgok", consent={"ConsentLog": None},
                         global_conf=db.dbd_conf() + "ConsentLog dbd\n")
    rc, out = srv.config_test()
    assert rc == 0, out
    assert "conflicting" not in out
