"""The integration harness: a real apache2 with mod_consent, a raw HTTP client
and a few helpers for consent cookies and the consent log.

conftest.py turns these into fixtures; test files import the helpers from
here (`from harness import ...`). Stdlib only.
"""
import base64
import datetime
import email.utils
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BACKENDS = HERE / "backends"
DATA = REPO / "tests" / "data" / "integration"

HTTPD = os.environ.get("MC_HTTPD", "/usr/sbin/apache2")
MODULE_DIR = Path(os.environ.get("MC_MODULE_DIR", "/usr/lib/apache2/modules"))
MODULE = Path(os.environ.get("MC_MODULE", REPO / ".libs" / "mod_consent.so"))
CONSENT_LOG_TOOL = Path(os.environ.get("MC_CONSENT_LOG_TOOL")
                        or os.environ.get("MC_CONSENT_LOG") or REPO / "consent-log")
# MC_NO_MODULE=1 runs the harness without mod_consent (no LoadModule, every
# Consent* line commented out): useful to check the harness and backends alone.
NO_MODULE = os.environ.get("MC_NO_MODULE") == "1"
KEEP = os.environ.get("MC_KEEP") == "1"

RUN_USER = "www-data"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0

STOCK_MODULES = ["mpm_event", "authz_core", "authz_host", "mime", "dir", "alias", "cgid",
                 "headers", "proxy", "proxy_http", "proxy_fcgi", "rewrite", "setenvif",
                 "log_config", "unixd", "env", "deflate", "filter"]

CATEGORIES = ["necessary", "preferences", "statistics", "marketing"]
ID_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")
RFC3339_UTC_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
HEX64_RE = re.compile(r"^[0-9a-f]{64}$")

_base_dir = None
_live_servers = set()
_builtin_modules = None


def base_dir():
    """One world-traversable temp dir per test session (www-data must read below it)."""
    global _base_dir
    if _base_dir is None:
        _base_dir = Path(tempfile.mkdtemp(prefix="mc-integration-"))
        _base_dir.chmod(0o755)
    return _base_dir


def cleanup_base_dir(keep=False):
    if _base_dir is not None and _base_dir.exists() and not (keep or KEEP):
        shutil.rmtree(_base_dir, ignore_errors=True)
    return _base_dir


_ports_handed_out = set()


def _ephemeral_low():
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port():
    """A loopback port nobody listens on, for a server started after this.

    Taken below the kernel's ephemeral range, where no outgoing connection
    is given a local port: a port from bind(0) is in that range, and any
    connection the tests open before the server binds it (a readiness probe
    connecting to itself, a client of another server) can hold it then, so
    the server fails to start. Not one handed out before in this run."""
    low = _ephemeral_low()
    first = max(1024, low - 12000)
    rng = random.Random()
    for _ in range(500):
        port = rng.randrange(first, low)
        if port in _ports_handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _ports_handed_out.add(port)
        return port
    raise RuntimeError("no free port between %d and %d" % (first, low))


def wait_for_port(port, timeout, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def builtin_modules():
    """Modules compiled into apache2 (Debian builds log_config and unixd in)."""
    global _builtin_modules
    if _builtin_modules is None:
        out = subprocess.run([HTTPD, "-l"], capture_output=True, text=True).stdout
        _builtin_modules = set(re.findall(r"mod_(\w+)\.c", out))
    return _builtin_modules


def chown_run_user(path):
    shutil.chown(path, RUN_USER, RUN_USER)


def stop_process_group(proc, timeout=STOP_TIMEOUT):
    """SIGTERM the process we started, then SIGKILL its own process group if needed."""
    if proc is None:
        return
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    # Whatever is left of our group (apache children, piped loggers, cgid).
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except (ProcessLookupError, PermissionError):
            break
        time.sleep(0.05)
    else:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if proc.poll() is None:
        proc.kill()
        proc.wait(5)


# --------------------------------------------------------------------------
# HTTP client
# --------------------------------------------------------------------------

# Split a folded Set-Cookie field at commas that start a new "name=" (a comma
# in an Expires date is followed by a day number, never by "token=").
_FOLD_SPLIT = re.compile(r",(?=\s*[^\s=;,]+=)")


class SetCookie:
    """One cookie of a Set-Cookie header."""

    def __init__(self, text):
        self.raw = text.strip()
        parts = [p.strip() for p in self.raw.split(";")]
        name, _, value = parts[0].partition("=")
        self.name = name.strip()
        self.value = value.strip()
        self.attrs = {}
        for part in parts[1:]:
            if not part:
                continue
            key, eq, val = part.partition("=")
            self.attrs[key.strip().lower()] = val.strip() if eq else True

    def attr(self, key):
        return self.attrs.get(key.lower())

    @property
    def domain(self):
        d = self.attrs.get("domain")
        return d.lstrip(".").lower() if isinstance(d, str) and d else None

    @property
    def max_age(self):
        v = self.attrs.get("max-age")
        try:
            return int(v)
        except (TypeError, ValueError):
            return None

    @property
    def is_deletion(self):
        if self.max_age is not None:
            return self.max_age <= 0
        exp = self.attrs.get("expires")
        if isinstance(exp, str):
            try:
                when = email.utils.parsedate_to_datetime(exp)
            except (TypeError, ValueError):
                return False
            if when.tzinfo is None:
                when = when.replace(tzinfo=datetime.timezone.utc)
            return when <= datetime.datetime.now(datetime.timezone.utc)
        return False

    def __repr__(self):
        return "SetCookie(%r)" % self.raw


class Response:
    def __init__(self, status, reason, headers, set_cookie_fields, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value), in order
        self.set_cookie_fields = set_cookie_fields  # raw Set-Cookie field values
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def cookies(self):
        """Every cookie set or deleted, folded fields split into single cookies."""
        out = []
        for field in self.set_cookie_fields:
            out.extend(SetCookie(part) for part in _FOLD_SPLIT.split(field) if part.strip())
        return out

    def setting(self, name):
        """Cookies NAME that are set (not deletions)."""
        return [c for c in self.cookies if c.name == name and not c.is_deletion]

    def deleting(self, name):
        return [c for c in self.cookies if c.name == name and c.is_deletion]

    @property
    def set_names(self):
        return {c.name for c in self.cookies if not c.is_deletion}

    @property
    def deleted_names(self):
        return {c.name for c in self.cookies if c.is_deletion}

    @property
    def all_cookie_names(self):
        return {c.name for c in self.cookies}

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return "Response(%d, set-cookie=%r, body=%r)" % (self.status, self.set_cookie_fields,
                                                        self.body[:300])


def _header_items(headers):
    if headers is None:
        return []
    if isinstance(headers, dict):
        return list(headers.items())
    return list(headers)


def _exchange(conn, port, method, path, headers, body, host, chunks, close=False):
    items = _header_items(headers)
    names = {k.lower() for k, _ in items}
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    if "host" not in names:
        conn.putheader("Host", host or "127.0.0.1:%d" % port)
    if close and "connection" not in names:
        # one request, then the connection ends: httpd does not park it in
        # keep-alive, where a graceful restart at that moment makes mpm_event
        # log "AH03093: apr_pollset_add failure for keep alive" (EBADF)
        conn.putheader("Connection", "close")
    if isinstance(body, str):
        body = body.encode("utf-8")
    if body is not None and "content-length" not in names:
        conn.putheader("Content-Length", str(len(body)))
    if chunks is not None:
        conn.putheader("Transfer-Encoding", "chunked")
    for k, v in items:
        conn.putheader(k, v)
    conn.endheaders()
    try:
        if body is not None:
            conn.send(body)
        if chunks is not None:
            for chunk in chunks:
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered early (e.g. 413); read that answer
    resp = conn.getresponse()
    data = resp.read()
    return Response(resp.status, resp.reason, resp.getheaders(),
                    resp.msg.get_all("Set-Cookie") or [], data)


def request(port, method="GET", path="/", headers=None, body=None, host=None, chunks=None,
            timeout=30):
    """One request on a fresh connection; never follows redirects.

    HEADERS: dict or list of (name, value) (repeat a name by using a list).
    BODY: bytes/str sent with Content-Length; CHUNKS: list of bytes sent with
    Transfer-Encoding: chunked. Host defaults to 127.0.0.1:PORT.
    """
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        return _exchange(conn, port, method, path, headers, body, host, chunks, close=True)
    finally:
        conn.close()


class KeepAlive:
    """Several requests over one persistent connection."""

    def __init__(self, port, timeout=30):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.sockets = set()

    def request(self, method="GET", path="/", headers=None, body=None, host=None):
        resp = _exchange(self.conn, self.port, method, path, headers, body, host, None)
        self.sockets.add(id(self.conn.sock))
        return resp

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class CookieJar:
    """Carries cookies (by name, single host) from responses to later requests."""

    def __init__(self, initial=None):
        self.cookies = dict(initial or {})

    def update(self, resp):
        for c in resp.cookies:
            if c.is_deletion:
                self.cookies.pop(c.name, None)
            else:
                self.cookies[c.name] = c.value
        return resp

    def header(self):
        return "; ".join("%s=%s" % kv for kv in self.cookies.items())

    def headers(self, extra=None):
        h = dict(extra or {})
        if self.cookies:
            h["Cookie"] = self.header()
        return h


# --------------------------------------------------------------------------
# Apache
# --------------------------------------------------------------------------

DEFAULT_FILES = {
    "index.html": ("<!DOCTYPE html><html><head><title>home</title></head>"
                   "<body><p>home</p></body></html>\n"),
    "plain.txt": "plain text\n",
}


class StartupFailed(Exception):
    pass


class ApacheServer:
    """A standalone apache2 in its own temp dir, run in the foreground by us.

    consent:     overrides of the server-level Consent* directives (value None
                 removes one); the defaults are ConsentEngine On, a fresh
                 ConsentSecretFile and a ConsentLog file.
    global_conf: text added at server level after the consent directives.
    vhost_conf:  text added inside the main <VirtualHost>.
    files:       {relative path below htdocs: text} to create.
    """

    def __init__(self, name="srv", *, backends=None, consent=None, global_conf="", vhost_conf="",
                 loglevel="warn", files=None, secret=None, start_servers=2, threads=10,
                 server_limit=4, load_module=True):
        self.name = name
        self.root = Path(tempfile.mkdtemp(prefix=name + "-", dir=base_dir()))
        self.root.chmod(0o755)
        self.port = free_port()
        self.backends = backends
        self.loglevel = loglevel
        self.global_conf = global_conf
        self.vhost_conf = vhost_conf
        self.start_servers = start_servers
        self.threads = threads
        self.server_limit = max(server_limit, start_servers)
        self.load_module = load_module and not NO_MODULE
        self.proc = None
        self._stderr = None

        for sub in ("conf", "logs", "run", "htdocs", "cgi-bin", "consent", "data"):
            (self.root / sub).mkdir()
            (self.root / sub).chmod(0o755)
        chown_run_user(self.root / "consent")
        chown_run_user(self.root / "run")
        self.conf_path = self.root / "conf" / "httpd.conf"
        self.error_log_path = self.root / "logs" / "error.log"
        self.access_log_path = self.root / "logs" / "access.log"
        self.docroot = self.root / "htdocs"
        self.cgi_dir = self.root / "cgi-bin"
        self.consent_log = self.root / "consent" / "consent.log"
        self.secret_path = self.root / "data" / "secret"
        self.write_secret(secret)

        for src in ("cookies.py", "cookielogic.py"):
            shutil.copy(BACKENDS / src, self.cgi_dir / src)
            (self.cgi_dir / src).chmod(0o755)
        for rel, text in {**DEFAULT_FILES, **(files or {})}.items():
            self.add_file(rel, text)

        self.consent = {
            "ConsentEngine": "On",
            "ConsentSecretFile": str(self.secret_path),
            "ConsentLog": str(self.consent_log),
        }
        self.set_consent(consent or {})
        self.write_conf()

    # -- files -------------------------------------------------------------

    def write_secret(self, secret=None):
        """SECRET: bytes written as is, or None for 32 random bytes in base64."""
        if secret is None:
            secret = base64.b64encode(os.urandom(32)) + b"\n"
        self.secret_path.write_bytes(secret)
        self.secret_path.chmod(0o600)
        return secret

    def add_file(self, rel, text, mode=0o644):
        path = self.docroot / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(self.docroot).parents:
            (self.docroot / parent).chmod(0o755)
        path.write_text(text)
        path.chmod(mode)
        return path

    def data_file(self, rel, content, mode=0o644):
        """A file below ROOT/data (rules catalogues and the like)."""
        path = self.root / "data" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        path.chmod(mode)
        return path

    # -- configuration -----------------------------------------------------

    def set_consent(self, overrides):
        for key, value in overrides.items():
            if value is None:
                self.consent.pop(key, None)
            else:
                self.consent[key] = value

    def _module_lines(self):
        lines = []
        builtin = builtin_modules()
        for mod in STOCK_MODULES:
            if mod in builtin:
                continue
            lines.append("LoadModule %s_module %s/mod_%s.so" % (mod, MODULE_DIR, mod))
        if self.load_module:
            lines.append("LoadModule consent_module %s" % MODULE)
        return "\n".join(lines)

    def render_conf(self):
        r = self.root
        backends = ""
        if self.backends is not None:
            backends = textwrap.dedent("""\
                ProxyPass /fcgi/ fcgi://127.0.0.1:{fcgi}/
                ProxyPass /proxy/ http://127.0.0.1:{http}/
                ProxyTimeout 30
                """).format(fcgi=self.backends.fcgi_port, http=self.backends.http_port)
        consent = "\n".join('%s %s' % (k, v) for k, v in self.consent.items())
        text = textwrap.dedent("""\
            # generated by tests/integration/harness.py
            ServerRoot "{root}"
            Listen 127.0.0.1:{port}
            ServerName 127.0.0.1
            PidFile {root}/run/httpd.pid
            DefaultRuntimeDir {root}/run
            Mutex file:{root}/run default
            {modules}
            User {user}
            Group {user}
            StartServers {start}
            ServerLimit {limit}
            ThreadLimit {threads}
            ThreadsPerChild {threads}
            MaxRequestWorkers {workers}
            MinSpareThreads {threads}
            MaxSpareThreads {maxspare}
            MaxConnectionsPerChild 0
            GracefulShutdownTimeout 5
            Timeout 30
            KeepAlive On
            ScriptSock {root}/run/cgid.sock
            ErrorLog {root}/logs/error.log
            LogLevel {loglevel}
            LogFormat "%h %t \\"%r\\" %>s %b pid=%P" mc
            CustomLog {root}/logs/access.log mc
            TypesConfig /etc/mime.types
            DocumentRoot {root}/htdocs
            DirectoryIndex index.html
            <Directory />
                Require all denied
                AllowOverride None
            </Directory>
            <Directory {root}/htdocs>
                Require all granted
                AllowOverride FileInfo
                Options FollowSymLinks
            </Directory>
            ScriptAlias /cgi-bin/ {root}/cgi-bin/
            <Directory {root}/cgi-bin>
                Require all granted
                Options +ExecCGI
            </Directory>
            {backends}
            # --- mod_consent (server level) ---
            {consent}
            # --- global extra ---
            {global_conf}
            # --- main virtual host ---
            <VirtualHost 127.0.0.1:{port}>
                ServerName 127.0.0.1
                ServerAlias localhost klinikk.test *.klinikk.test
            {vhost_conf}
            </VirtualHost>
            """).format(root=r, port=self.port, modules=self._module_lines(), user=RUN_USER,
                        start=self.start_servers, limit=self.server_limit, threads=self.threads,
                        workers=self.server_limit * self.threads,
                        maxspare=self.server_limit * self.threads,
                        loglevel=self.loglevel, backends=backends, consent=consent,
                        global_conf=textwrap.dedent(self.global_conf).strip("\n"),
                        vhost_conf=textwrap.indent(textwrap.dedent(self.vhost_conf).strip("\n"),
                                                   "    "))
        if not self.load_module:
            text = "\n".join("#" + line if line.strip().startswith("Consent") else line
                             for line in text.split("\n"))
        return text

    def write_conf(self):
        self.conf_path.write_text(self.render_conf())
        self.conf_path.chmod(0o644)

    def reconfigure(self, consent=None, global_conf=None, vhost_conf=None, loglevel=None):
        if consent:
            self.set_consent(consent)
        if global_conf is not None:
            self.global_conf = global_conf
        if vhost_conf is not None:
            self.vhost_conf = vhost_conf
        if loglevel is not None:
            self.loglevel = loglevel
        self.write_conf()

    def line_of(self, needle):
        """1-based line number of the first config line containing NEEDLE."""
        for number, line in enumerate(self.conf_path.read_text().split("\n"), 1):
            if needle in line:
                return number
        raise AssertionError("%r not in %s" % (needle, self.conf_path))

    # -- process -----------------------------------------------------------

    def config_test(self):
        """apache2 -t: (exit code, combined output)."""
        p = subprocess.run([HTTPD, "-t", "-f", str(self.conf_path)], capture_output=True,
                           text=True, timeout=60)
        return p.returncode, p.stdout + p.stderr

    def _spawn(self):
        self._stderr = open(self.root / "logs" / "stderr.log", "ab")
        self.proc = subprocess.Popen([HTTPD, "-f", str(self.conf_path), "-DFOREGROUND"],
                                     stdin=subprocess.DEVNULL, stdout=self._stderr,
                                     stderr=self._stderr, start_new_session=True)

    def start(self):
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("server already running")
        self._spawn()
        _live_servers.add(self)
        if not self._wait_ready():
            output = self.diagnostics()
            self.stop(check=False)
            raise StartupFailed("apache2 did not start (%s):\n%s" % (self.conf_path, output))
        return self

    def start_expecting_failure(self, timeout=START_TIMEOUT):
        """Starts apache2 and expects it to exit: (exit code, stderr + error log)."""
        self._spawn()
        _live_servers.add(self)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop(check=False)
            raise AssertionError("apache2 started although it should not have:\n%s"
                                 % self.diagnostics())
        self._close_stderr()
        _live_servers.discard(self)
        return rc, self.diagnostics()

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if wait_for_port(self.port, 0.2, self.proc):
                try:
                    request(self.port, "GET", "/.mc-ready", timeout=5)
                    return True
                except (OSError, http.client.HTTPException):
                    pass
            time.sleep(0.05)
        return False

    def _close_stderr(self):
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def stop(self, check=True):
        """Stops the server; with CHECK, fails if its parent crashed: killed
        by a fault signal, or AH00060 in the error log."""
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_process_group(proc)
        self._close_stderr()
        _live_servers.discard(self)
        if check and proc is not None:
            crashes = crash_lines(self.error_log())
            if proc.returncode in FAULT_EXITS or crashes:
                raise AssertionError("apache2 crashed (exit status %s):\n%s"
                                     % (proc.returncode, "\n".join(crashes[-5:])))

    def restart(self):
        """Full restart: stop the server and start it again (same dir, same port)."""
        self.stop()
        self.start()

    def graceful(self, timeout=START_TIMEOUT):
        """Graceful restart (SIGUSR1), waiting until the new generation is serving."""
        before = self.error_log().count("resuming normal operations")
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise StartupFailed("apache2 died on graceful restart:\n%s" % self.diagnostics())
            if self.error_log().count("resuming normal operations") > before:
                if wait_for_port(self.port, 5):
                    return
            time.sleep(0.05)
        raise StartupFailed("graceful restart did not finish:\n%s" % self.diagnostics())

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def diagnostics(self):
        parts = []
        stderr = self.root / "logs" / "stderr.log"
        if stderr.exists():
            parts.append(stderr.read_text(errors="replace"))
        parts.append(self.error_log())
        return "\n".join(p for p in parts if p)

    def error_log(self):
        try:
            return self.error_log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def access_log(self):
        try:
            return self.access_log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- requests ----------------------------------------------------------

    @property
    def origin(self):
        return "http://127.0.0.1:%d" % self.port

    def request(self, method="GET", path="/", **kw):
        return request(self.port, method, path, **kw)

    def get(self, path, **kw):
        return request(self.port, "GET", path, **kw)

    def head(self, path, **kw):
        return request(self.port, "HEAD", path, **kw)

    def post(self, path, body, content_type="application/json", headers=None, **kw):
        h = [("Content-Type", content_type)] if content_type else []
        h += _header_items(headers)
        return request(self.port, "POST", path, headers=h, body=body, **kw)

    def consent_log_lines(self, path=None):
        path = Path(path or self.consent_log)
        try:
            return [l for l in path.read_text().split("\n") if l]
        except FileNotFoundError:
            return []

    def consent_records(self, path=None):
        return [json.loads(line) for line in self.consent_log_lines(path)]

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        self.stop(check=exc_type is None)


def stop_all_servers():
    for srv in list(_live_servers):
        srv.stop(check=False)


# A crash of the parent, which nothing else shows when it comes at exit.
# A child's crash (AH00052, "exit signal Segmentation fault") is not
# counted: Debian's mpm_event itself now and then crashes a child that
# starts as the parent restarts or stops (a core in apr_os_sock_get(), 2 in
# 100 graceful restarts with ServerLimit 1, mod_consent not loaded), and the
# log cannot tell that from a crash of ours.
FAULT_EXITS = {-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS, -signal.SIGILL, -signal.SIGFPE}


def crash_lines(error_log):
    """The lines of ERROR_LOG that say the parent crashed (AH00060)."""
    return [line for line in error_log.splitlines() if "AH00060" in line]


# --------------------------------------------------------------------------
# Consent helpers
# --------------------------------------------------------------------------

def decision_body(method, granted=None):
    body = {"method": method}
    if granted is not None:
        body["granted"] = list(granted)
    return json.dumps(body)


def decide(server, method="accept_all", granted=None, headers=None, base="/_consent", host=None):
    """POSTs a JSON decision; returns the Response."""
    return server.post(base + "/decision", decision_body(method, granted), headers=headers,
                       host=host)


def consent_cookie(resp, name="consent"):
    """The value of the consent cookie set (not deleted) by RESP, or None."""
    found = resp.setting(name)
    return found[-1].value if found else None


def consented(server, method="accept_all", granted=None, name="consent", headers=None):
    """Makes a decision and returns the Cookie header value carrying it."""
    resp = decide(server, method, granted, headers=headers)
    assert resp.status == 200, resp
    value = consent_cookie(resp, name)
    assert value, "decision set no %s cookie: %r" % (name, resp)
    return "%s=%s" % (name, value)


def get_state(server, cookie=None, headers=None, base="/_consent", host=None):
    h = dict(headers or {})
    if cookie:
        h["Cookie"] = cookie
    resp = server.get(base + "/state", headers=h, host=host)
    assert resp.status == 200, resp
    return resp.json()


def tamper(value, index=5):
    """VALUE with one character changed (inside the signed part)."""
    chars = list(value)
    chars[index] = "A" if chars[index] != "A" else "B"
    return "".join(chars)


def consent_log_tool(*args, stdin=None):
    p = subprocess.run([str(CONSENT_LOG_TOOL), *map(str, args)], capture_output=True,
                       text=True, timeout=60, input=stdin)
    return p.returncode, p.stdout + p.stderr


def wait_until(predicate, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
