"""The Debian package, as a site admin meets it: built from a copy of the
tracked files by build-aux/deb.sh, checked by lintian, installed with
apt-get, served by an apache2 that runs the system's own configuration
(/etc/apache2 copied, on a private port), then removed and purged.

The tests run in file order: the last one removes and purges the package.
They need root and refuse to touch a machine where the package is already
installed or a consent log already lies in /var/log/mod_consent. MC_DEB=PATH
uses an already built .deb instead of building one (a quicker re-run).
"""
import os
import re
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import pytest

from harness import (HTTPD, REPO, RUN_USER, base_dir, chown_run_user, decision_body, free_port,
                     request, stop_process_group, wait_for_port)

PACKAGE = "libapache2-mod-consent"
LOG_DIR = Path("/var/log/mod_consent")
CONSENT_LOG = LOG_DIR / "consent.log"
MODULE_SO = Path("/usr/lib/apache2/modules/mod_consent.so")
MODS = Path("/etc/apache2/mods-available")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="installs a package: needs root")


# another apt or dpkg run on the machine: wait for it rather than fail
APT = ("apt-get", "-o", "DPkg::Lock::Timeout=120", "-y")


def run(*cmd, check=True, timeout=120, **kw):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, **kw)
    if check:
        assert p.returncode == 0, "%s exited %d:\n%s%s" % (" ".join(map(str, cmd)), p.returncode,
                                                          p.stdout, p.stderr)
    return p


def package_status():
    p = run("dpkg-query", "-W", "-f=${Status}", PACKAGE, check=False)
    return p.stdout.strip() if p.returncode == 0 else ""


def project_version():
    m = re.search(r"^AC_INIT\(\[mod_consent\], \[([^]]+)\]", (REPO / "configure.ac").read_text(),
                  re.M)
    assert m, "no AC_INIT([mod_consent], [VERSION]) in configure.ac"
    return m.group(1)


def new_files():
    """Files in the tree that git does not track, ignored or not."""
    out = run("git", "status", "--porcelain", "--ignored", "--untracked-files=all", cwd=REPO).stdout
    return {line for line in out.split("\n") if line[:2] in ("??", "!!")}


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    """The .deb built by the documented command, from a copy of the tree."""
    if os.environ.get("MC_DEB"):
        return Path(os.environ["MC_DEB"])
    out = tmp_path_factory.mktemp("deb")
    before = new_files()
    # the unit tests are a layer of their own (tests/run.sh); the build
    # compiles the module and consent-log once
    p = subprocess.run(["sh", str(REPO / "build-aux" / "deb.sh"), str(out)], capture_output=True,
                       text=True, timeout=900, env={**os.environ, "DEB_BUILD_OPTIONS": "nocheck"})
    assert p.returncode == 0, p.stdout + p.stderr
    path = Path(p.stdout.strip().split("\n")[-1])
    assert path.is_file(), p.stdout
    # the build happened in a copy: it left nothing in this tree
    assert new_files() == before
    return path


class PrivateApache:
    """apache2 with a copy of the system's /etc/apache2 (its apache2.conf,
    mods-enabled, conf-enabled), listening on a free 127.0.0.1 port with its
    own run, lock and log directories, and one site of ours."""

    def __init__(self, consent_on=True):
        self.root = Path(tempfile.mkdtemp(prefix="deb-", dir=base_dir()))
        self.root.chmod(0o755)
        self.port = free_port()
        self.etc = self.root / "etc"
        shutil.copytree("/etc/apache2", self.etc, symlinks=True)
        for sub in ("run", "lock", "log", "htdocs"):
            (self.root / sub).mkdir()
            (self.root / sub).chmod(0o755)
        chown_run_user(self.root / "run")
        chown_run_user(self.root / "lock")
        (self.root / "htdocs" / "index.html").write_text(
            "<!DOCTYPE html><html><head><title>Klinikk</title></head>"
            "<body><p>Velkommen</p></body></html>\n")
        (self.root / "htdocs" / "index.html").chmod(0o644)
        key = self.root / "consent.key"
        key.write_bytes(b"c2VjcmV0IGZvciB0aGUgRGViaWFuIHBhY2thZ2UgdGVzdHM=\n")
        key.chmod(0o600)
        (self.etc / "ports.conf").write_text("Listen 127.0.0.1:%d\n" % self.port)
        for site in (self.etc / "sites-enabled").iterdir():
            site.unlink()
        consent = ("ConsentEngine On\n    ConsentSecretFile %s\n" % key) if consent_on else ""
        (self.etc / "sites-enabled" / "klinikk.conf").write_text(
            "<VirtualHost 127.0.0.1:%d>\n"
            "    ServerName 127.0.0.1\n"
            "    DocumentRoot %s\n"
            "    <Directory %s>\n        Require all granted\n    </Directory>\n"
            "    %s"
            "</VirtualHost>\n" % (self.port, self.root / "htdocs", self.root / "htdocs", consent))
        self.env = {**os.environ,
                    "APACHE_RUN_USER": RUN_USER, "APACHE_RUN_GROUP": RUN_USER,
                    "APACHE_PID_FILE": str(self.root / "run" / "apache2.pid"),
                    "APACHE_RUN_DIR": str(self.root / "run"),
                    "APACHE_LOCK_DIR": str(self.root / "lock"),
                    "APACHE_LOG_DIR": str(self.root / "log")}
        self.proc = None
        self._stderr = None

    def start(self):
        self._stderr = open(self.root / "log" / "stderr.log", "wb")
        self.proc = subprocess.Popen([HTTPD, "-d", str(self.etc), "-DFOREGROUND"], env=self.env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self._stderr, start_new_session=True)
        if not wait_for_port(self.port, 20, self.proc):
            self.stop()
            raise AssertionError("apache2 from /etc/apache2 did not start:\n" + self.diagnostics())
        return self

    def diagnostics(self):
        return "\n".join(p.read_text(errors="replace") for p in (self.root / "log").glob("*.log"))

    def stop(self):
        stop_process_group(self.proc)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


@pytest.fixture(scope="module")
def installed(deb):
    """The package installed as an admin would; purged at the end whatever
    happened, and the consent log directory removed only if this test made it."""
    if package_status():
        pytest.skip("%s is already on this machine (%s): not touching it"
                    % (PACKAGE, package_status()))
    if LOG_DIR.exists():
        pytest.skip("%s exists: it may hold a real consent log" % LOG_DIR)
    # postinst restarts the system's apache2 (invoke-rc.d; a container's
    # policy-rc.d denies it): one that was not running is stopped again
    system_pid = Path("/run/apache2/apache2.pid")
    was_running = system_pid.exists()
    p = run(*APT, "install", "--no-install-recommends", deb, timeout=300)
    yield p.stdout + p.stderr
    if package_status():
        run(*APT, "purge", PACKAGE, check=False, timeout=300)
    shutil.rmtree(LOG_DIR, ignore_errors=True)
    if not was_running and system_pid.exists():
        run("apache2ctl", "stop", check=False)


def test_package_version_is_the_projects():
    """debian/changelog says the version configure.ac's AC_INIT says."""
    out = run("dpkg-parsechangelog", "-S", "Version", cwd=REPO).stdout.strip()
    assert out == project_version()


def test_lintian_finds_no_error(deb):
    p = run("lintian", "--fail-on", "error", "--info", deb, check=False, timeout=300)
    tags = [l for l in p.stdout.splitlines() if re.match(r"^[EWIPX]: ", l)]
    assert p.returncode == 0 and not [t for t in tags if t.startswith("E: ")], p.stdout + p.stderr
    for tag in tags:
        warnings.warn("lintian: " + tag)


def test_install_enables_the_module_and_configtest_passes(installed, deb):
    assert package_status() == "install ok installed"
    assert deb.name.startswith("%s_%s_" % (PACKAGE, project_version()))
    q = run("a2query", "-m", "consent", check=False)
    assert q.returncode == 0 and "enabled" in q.stdout, q.stdout + q.stderr
    assert (Path("/etc/apache2/mods-enabled/consent.load")).resolve() == MODS / "consent.load"
    assert "LoadModule consent_module %s" % MODULE_SO in (MODS / "consent.load").read_text()
    conffiles = run("dpkg-query", "-W", "-f=${Conffiles}", PACKAGE).stdout
    assert str(MODS / "consent.conf") in conffiles
    t = run("apache2ctl", "configtest", check=False)
    assert t.returncode == 0 and "Syntax OK" in t.stderr, t.stdout + t.stderr
    # what else an admin is promised: the tool, its man page, the catalogue, the schemas
    assert "verify" in run("consent-log", "--help").stdout
    assert Path("/usr/share/man/man1/consent-log.1.gz").is_file()
    assert Path("/usr/share/mod_consent/conf/rules/default.json").is_file()
    for db in ("postgresql", "sqlite", "mysql"):
        assert "CREATE TABLE" in Path("/usr/share/mod_consent/sql/%s.sql" % db).read_text().upper()
    assert LOG_DIR.is_dir()


def test_the_system_configuration_serves_pages_with_the_banner(installed):
    with PrivateApache() as srv:
        page = request(srv.port, "GET", "/")
        assert page.status == 200, page
        text = page.text()
        assert re.search(r'<[a-z]+ id="mc-banner"', text), text[:800]
        assert 'action="/_consent/decision"' in text
        assert "Velkommen" in text
        # a decision lands in the packaged consent log, and the chain verifies
        resp = request(srv.port, "POST", "/_consent/decision", body=decision_body("reject_all"),
                       headers=[("Content-Type", "application/json")])
        assert resp.status == 200, resp
    lines = [l for l in CONSENT_LOG.read_text().split("\n") if l]
    assert len(lines) == 1 and '"reject_all"' in lines[0], lines
    run("consent-log", "verify", CONSENT_LOG)


def test_remove_and_purge_leave_apache_working_and_the_consent_log(installed):
    assert CONSENT_LOG.is_file(), "run the whole file: the previous test writes the log"
    proof = CONSENT_LOG.read_bytes()

    run(*APT, "remove", PACKAGE, timeout=300)
    assert not MODULE_SO.exists()
    assert not Path("/etc/apache2/mods-enabled/consent.load").exists()
    assert (MODS / "consent.conf").is_file(), "a removed package keeps its conffiles"
    t = run("apache2ctl", "configtest", check=False)
    assert t.returncode == 0 and "Syntax OK" in t.stderr, t.stdout + t.stderr

    p = run(*APT, "purge", PACKAGE, timeout=300)
    assert package_status() in ("", "unknown ok not-installed"), package_status()
    assert not (MODS / "consent.conf").exists() and not (MODS / "consent.load").exists()
    assert CONSENT_LOG.is_file() and CONSENT_LOG.read_bytes() == proof, \
        "purge touched the consent log"
    assert str(LOG_DIR) in p.stdout + p.stderr, "purge does not say where the log stays"
    t = run("apache2ctl", "configtest", check=False)
    assert t.returncode == 0 and "Syntax OK" in t.stderr, t.stdout + t.stderr

    # and the system configuration still serves, now without the module
    with PrivateApache(consent_on=False) as srv:
        page = request(srv.port, "GET", "/")
        assert page.status == 200, page
        assert "Velkommen" in page.text() and "mc-banner" not in page.text()
