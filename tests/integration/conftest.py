"""Fixtures for the integration tests: backends and apache2 servers.

The servers and the client live in harness.py; this file wires them into
pytest: backends are started once per session, servers per test or per
module, and everything we started is stopped by PID at teardown.
"""
import signal
import subprocess
import sys

import pytest

import harness
from harness import BACKENDS, ApacheServer, free_port, stop_process_group, wait_for_port


def _terminate(signum, frame):
    # A SIGTERM (e.g. from `timeout`) still tears down every server and backend.
    raise KeyboardInterrupt("SIGTERM")


def pytest_sessionstart(session):
    signal.signal(signal.SIGTERM, _terminate)
    missing = []
    if not harness.NO_MODULE and not harness.MODULE.exists():
        missing.append("module %s (build it: autoreconf -fi && ./configure && make, "
                       "or set MC_MODULE)" % harness.MODULE)
    if not harness.Path(harness.HTTPD).exists():
        missing.append("apache2 binary %s" % harness.HTTPD)
    if missing:
        pytest.exit("integration tests need: " + "; ".join(missing), returncode=2)


def pytest_sessionfinish(session, exitstatus):
    harness.stop_all_servers()
    for backend in list(_live_backends):
        backend.stop()
    kept = harness.cleanup_base_dir(keep=exitstatus not in (0, 5))
    if kept is not None and kept.exists():
        sys.stderr.write("\nintegration server dirs kept in %s\n" % kept)


_live_backends = set()


class Backends:
    """The FastCGI and HTTP test backends, one process each."""

    def __init__(self):
        self.fcgi_port = free_port()
        self.http_port = free_port()
        self.procs = []

    def start(self):
        for script, port in (("fcgi_server.py", self.fcgi_port),
                             ("http_backend.py", self.http_port)):
            proc = subprocess.Popen(["/usr/bin/python3", str(BACKENDS / script), str(port)],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
            self.procs.append(proc)
            _live_backends.add(self)
            if not wait_for_port(port, 10, proc):
                self.stop()
                raise RuntimeError("backend %s did not start" % script)
        return self

    def stop(self):
        for proc in self.procs:
            stop_process_group(proc, timeout=5)
        self.procs = []
        _live_backends.discard(self)


@pytest.fixture(scope="session")
def backends():
    b = Backends().start()
    yield b
    b.stop()


class ServerFactory:
    """Makes ApacheServers wired to the backends and stops them all at teardown."""

    def __init__(self, backends):
        self.backends = backends
        self.servers = []

    def __call__(self, name="srv", start=True, **kw):
        kw.setdefault("backends", self.backends)
        srv = ApacheServer(name, **kw)
        self.servers.append(srv)
        if start:
            srv.start()
        return srv

    def stop_all(self):
        for srv in self.servers:
            srv.stop()


@pytest.fixture
def server_factory(backends):
    """Per test: server_factory(name, consent={...}, global_conf=..., start=True)."""
    f = ServerFactory(backends)
    yield f
    f.stop_all()


@pytest.fixture(scope="module")
def module_server_factory(backends):
    """Like server_factory, for servers shared by a whole test module."""
    f = ServerFactory(backends)
    yield f
    f.stop_all()


@pytest.fixture(scope="session")
def consent_log_built():
    """The built consent-log tool (tests of the log use it to read and check it):
    modules that need it say pytestmark = pytest.mark.usefixtures("consent_log_built")."""
    assert harness.CONSENT_LOG_TOOL.exists(), \
        "consent-log is not built (%s)" % harness.CONSENT_LOG_TOOL
    return harness.CONSENT_LOG_TOOL


@pytest.fixture(scope="session")
def postgres():
    """A private PostgreSQL 15 cluster on 127.0.0.1 (see pg.py), for the whole session."""
    import pg
    cluster = pg.PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def config_factory():
    """Servers that are only written (never started by the fixture): for start-up tests."""
    f = ServerFactory(None)
    f_call = f.__call__

    def make(name="cfg", **kw):
        return f_call(name, start=False, **kw)

    yield make
    f.stop_all()
