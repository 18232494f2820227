"""A private PostgreSQL 15 cluster for the `ConsentLog dbd` tests.

One cluster per test session: its data dir and unix socket live in a temp dir,
it listens on 127.0.0.1 at a free port only, and it is stopped (pg_ctl stop,
then SIGKILL of the postmaster PID) and its dir removed at the end of the
session, also when tests fail or the run is interrupted.

We run as root, and initdb/pg_ctl refuse root: they run as the `postgres` OS
user. psql runs as us: as the superuser `postgres` over the unix socket (trust)
or as the role `consent` over TCP with its password (scram), which is how
apache's mod_dbd connects too.

    conninfo = postgres.new_database("t1")     # fresh db, schema loaded
    srv = server_factory(global_conf=postgres.dbd_conf(conninfo),
                         consent={"ConsentLog": "dbd"})
    rows = postgres.query(conninfo, "SELECT seq, hash FROM consent_log")
"""
import atexit
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import harness

PG_BIN = Path(os.environ.get("MC_PG_BIN", "/usr/lib/postgresql/15/bin"))
PSQL = os.environ.get("MC_PSQL", "/usr/bin/psql")
PG_USER = "postgres"  # the OS user that owns the cluster
ROLE = "consent"
PASSWORD = "consent"
SCHEMA = harness.REPO / "conf" / "sql" / "postgresql.sql"
FS = "\x1f"  # field separator of query() output
RS = "\x1e"  # record separator: a value may hold a newline

_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresError(RuntimeError):
    pass


def available():
    """None when a cluster can be started here, else why not."""
    for tool in (PG_BIN / "initdb", PG_BIN / "pg_ctl", Path(PSQL)):
        if not tool.exists():
            return "%s is missing (build-aux/deps.sh installs postgresql)" % tool
    if not (harness.MODULE_DIR / "mod_dbd.so").exists():
        return "%s/mod_dbd.so is missing" % harness.MODULE_DIR
    return None


def _as_pg_user(argv):
    return ["runuser", "-u", PG_USER, "--"] + [str(a) for a in argv]


class PostgresCluster:
    host = "127.0.0.1"

    def __init__(self):
        self.port = None
        self.dir = None
        self.data = None
        self.sockdir = None
        self.logfile = None
        self._pid = None
        self._count = 0

    # -- life cycle ---------------------------------------------------------

    def start(self):
        why = available()
        if why:
            raise PostgresError("cannot start PostgreSQL: " + why)
        self.dir = Path(tempfile.mkdtemp(prefix="mc-pg-"))
        atexit.register(self.stop)
        shutil.chown(self.dir, PG_USER, PG_USER)
        self.data = self.dir / "data"
        self.sockdir = self.dir / "sock"
        self.sockdir.mkdir()
        shutil.chown(self.sockdir, PG_USER, PG_USER)
        self.logfile = self.dir / "postgres.log"
        pwfile = self.dir / "pw"
        pwfile.write_text(PASSWORD + "\n")
        shutil.chown(pwfile, PG_USER, PG_USER)
        # trust for the superuser on the private socket; passwords over TCP
        self._run(_as_pg_user([PG_BIN / "initdb", "-D", self.data, "-U", PG_USER,
                               "--auth-local=trust", "--auth-host=scram-sha-256",
                               "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]), timeout=120)
        pwfile.unlink()
        self.port = harness.free_port()
        self.start_db()
        self.psql(None, "CREATE ROLE %s LOGIN PASSWORD '%s'" % (ROLE, PASSWORD))
        return self

    def start_db(self):
        """(Re)starts the server on the same port and data dir; waits until it accepts."""
        opts = ("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=300 -c shared_buffers=32MB "
                "-c log_min_messages=warning" % (self.port, self.sockdir))
        self._run(_as_pg_user([PG_BIN / "pg_ctl", "start", "-D", self.data, "-l", self.logfile,
                               "-w", "-t", "60", "-o", opts]), timeout=90)
        self._pid = self._read_pid()

    def stop_db(self, mode="fast"):
        """Stops the server (MODE: smart, fast, immediate); the data stays."""
        if self.data is None or not (self.data / "postmaster.pid").exists():
            return
        pid = self._read_pid() or self._pid
        try:
            subprocess.run(_as_pg_user([PG_BIN / "pg_ctl", "stop", "-D", self.data, "-m", mode,
                                        "-w", "-t", "15"]),
                           capture_output=True, timeout=30, check=False)
        except subprocess.TimeoutExpired:
            pass
        if pid and _alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 5
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        self._pid = None

    def stop(self):
        """Stops the server and removes everything it had (idempotent)."""
        if self.dir is None:
            return
        try:
            self.stop_db()
        finally:
            if not harness.KEEP:
                shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def _read_pid(self):
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n")[0])
        except (OSError, ValueError, IndexError):
            return None

    # -- databases ------------------------------------------------------------

    def new_database(self, name):
        """A fresh database NAME owned by `consent` with the schema loaded: its conninfo."""
        name = name.lower()
        if not _NAME_RE.match(name):
            raise ValueError("database name %r: use [a-z0-9_]" % name)
        self.psql(None, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
        self.psql(None, "CREATE DATABASE %s OWNER %s" % (name, ROLE))
        conninfo = self.conninfo(name)
        # as the owner, over TCP with the password: tables are consent's
        self._run([PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-f", SCHEMA])
        return conninfo

    def conninfo(self, dbname, port=None):
        return "host=%s port=%d dbname=%s user=%s password=%s" % (
            self.host, port or self.port, dbname, ROLE, PASSWORD)

    def dbd_conf(self, conninfo, dbd_max=10):
        """Lines for an ApacheServer's global_conf: mod_dbd on CONNINFO."""
        lines = []
        if "dbd" not in harness.STOCK_MODULES and "dbd" not in harness.builtin_modules():
            lines.append("LoadModule dbd_module %s/mod_dbd.so" % harness.MODULE_DIR)
        lines += ['DBDriver pgsql',
                  'DBDParams "%s"' % conninfo,
                  "DBDMin 0",
                  "DBDKeep 2",
                  "DBDMax %d" % dbd_max,
                  "DBDExptime 60"]
        return "\n".join(lines) + "\n"

    def query(self, conninfo_or_dbname, sql):
        """Runs SQL; the rows as tuples of strings (NULL is '')."""
        out = self.psql(conninfo_or_dbname, sql, tuples=True)
        if not out:
            return []
        return [tuple(rec.split(FS)) for rec in out.split(RS)]

    def psql(self, conninfo_or_dbname, sql, tuples=False):
        """SQL through psql: on a conninfo as is, on a bare name (or None: the
        `postgres` db) as the superuser over the private socket."""
        target = conninfo_or_dbname or "postgres"
        argv = [PSQL, "-X", "-v", "ON_ERROR_STOP=1"]
        if "=" in target:
            argv += ["-d", target]
        else:
            argv += ["-h", str(self.sockdir), "-p", str(self.port), "-U", PG_USER, "-d", target]
        if tuples:
            argv += ["-q", "-A", "-t", "-F", FS, "-R", RS]
        argv += ["-c", sql]
        out = self._run(argv)
        return out[:-1] if out.endswith("\n") else out

    def _run(self, argv, timeout=60):
        env = dict(os.environ, PGCONNECT_TIMEOUT="5")
        env.pop("PGPASSWORD", None)
        p = subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                           timeout=timeout, env=env, cwd="/")
        if p.returncode != 0:
            log = ""
            if self.logfile is not None and self.logfile.exists():
                log = self.logfile.read_text(errors="replace")[-2000:]
            raise PostgresError("%s failed (%d): %s%s\n%s" % (
                " ".join(str(a) for a in argv[:6]), p.returncode, p.stdout, p.stderr, log))
        return p.stdout


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is dead for us
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return False
