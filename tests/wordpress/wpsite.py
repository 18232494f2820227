#!/usr/bin/python3
"""A WordPress clinic site behind mod_consent, started in one directory.

Used by tests/integration/test_wordpress.py, tests/browser/wordpress.test.mjs
and `bash www/demo/serve.sh wordpress`. Everything lives in RUN (a directory
of the caller's choosing) and listens on 127.0.0.1 only:

- a private MariaDB (own datadir, unix socket RUN/mysqld.sock, no TCP);
- a private php-fpm (own configuration; two pools on unix sockets in RUN:
  `wp`, and `wpgz` with zlib.output_compression for "gzip from PHP");
- Debian's WordPress (/usr/share/wordpress, package `wordpress`), linked
  into RUN/wordpress file by file (hard links: no copy, nothing of the
  system's changes) with its own wp-config.php. Debian's own wp-config.php
  reads /etc/wordpress/config-HOST.php; a run dir of our own leaves /etc
  alone. Bundled theme twentytwentyone, pretty permalinks (/%postname%/
  with WordPress's .htaccess), an administrator, a post with a YouTube
  embed, open comments, and a must-use plugin with what a clinic adds
  (tests/wordpress/klinikk.php);
- Apache with mod_proxy_fcgi to php-fpm, mod_rewrite, mod_deflate and the
  built module: on PORT with ConsentEngine On and conf/wordpress.conf, and
  on OFF_PORT the same site with ConsentEngine Off (to compare bytes).

Every process is started in its own session and its PID kept in RUN/pids/;
stop() ends them by those PIDs (also from another process: `wpsite.py stop
RUN`).

    python3 tests/wordpress/wpsite.py start RUN [--port N]   # prints JSON
    python3 tests/wordpress/wpsite.py stop RUN
"""
import argparse
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
WORDPRESS = Path(os.environ.get("MC_WORDPRESS", "/usr/share/wordpress"))
HTTPD = os.environ.get("MC_HTTPD", "/usr/sbin/apache2")
MODULE = Path(os.environ.get("MC_MODULE", REPO / ".libs" / "mod_consent.so"))
MODULE_DIR = Path(os.environ.get("MC_MODULE_DIR", "/usr/lib/apache2/modules"))
MARIADBD = "/usr/sbin/mariadbd"
INSTALL_DB = "/usr/bin/mariadb-install-db"
MARIADB = "/usr/bin/mariadb"
PHP = "/usr/bin/php"
RUN_USER = "www-data"
ADMIN_USER = "admin"
ADMIN_EMAIL = "admin@klinikk.test"
THEME = "twentytwentyone"
APACHE_MODULES = ["mpm_event", "authz_core", "authz_host", "mime", "dir", "alias",
                  "proxy", "proxy_fcgi", "rewrite", "setenvif", "log_config", "unixd",
                  "env", "deflate", "filter", "headers"]
PACKAGES = "wordpress mariadb-server php-fpm php-mysql (sh build-aux/deps.sh installs them)"


class SiteError(RuntimeError):
    pass


def php_fpm_binary():
    for cand in sorted(Path("/usr/sbin").glob("php-fpm*"), reverse=True):
        return str(cand)
    return None


def missing():
    """What this machine lacks to run the site, or None."""
    need = [WORDPRESS / "wp-settings.php", Path(MARIADBD), Path(INSTALL_DB), Path(PHP),
            Path(HTTPD), MODULE, MODULE_DIR / "mod_proxy_fcgi.so"]
    gone = [str(p) for p in need if not p.exists()]
    if php_fpm_binary() is None:
        gone.append("/usr/sbin/php-fpm*")
    if not gone:
        probe = subprocess.run([PHP, "-r", "exit(function_exists('mysqli_connect') ? 0 : 1);"],
                               capture_output=True)
        if probe.returncode != 0:
            gone.append("PHP's mysqli (php-mysql)")
    return ("missing: %s; needs %s" % (", ".join(gone), PACKAGES)) if gone else None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # as Apache binds: a port left in TIME_WAIT by a server just stopped is free
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def is_root():
    return os.geteuid() == 0


def _alive(pid):
    try:  # our own child that has exited: reap it (a zombie still answers kill 0)
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _wait(predicate, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class WordPressSite:
    def __init__(self, run, port=None):
        self.run = Path(run).resolve()
        self.port = port
        self.off_port = None
        self.admin_password = None

    # -- paths ----------------------------------------------------------------

    @property
    def docroot(self):
        return self.run / "wordpress"

    @property
    def logs(self):
        return self.run / "logs"

    @property
    def origin(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def off_origin(self):
        return "http://127.0.0.1:%d" % self.off_port

    @property
    def apache_error_log(self):
        return self.logs / "apache-error.log"

    @property
    def php_error_log(self):
        return self.logs / "php-error.log"

    @property
    def fpm_log(self):
        return self.logs / "php-fpm.log"

    @property
    def consent_log(self):
        return self.run / "consent" / "consent.log"

    @property
    def socket(self):
        return self.run / "mysqld.sock"

    def info(self):
        return {"run": str(self.run), "url": self.origin + "/", "port": self.port,
                "off_url": self.off_origin + "/", "off_port": self.off_port,
                "admin_user": ADMIN_USER, "admin_password": self.admin_password,
                "apache_error_log": str(self.apache_error_log),
                "php_error_log": str(self.php_error_log), "fpm_log": str(self.fpm_log),
                "consent_log": str(self.consent_log),
                "pids": {p.stem: int(p.read_text()) for p in sorted((self.run / "pids").glob("*.pid"))
                         if p.read_text().strip().isdigit()}}

    # -- life cycle -------------------------------------------------------------

    def start(self):
        why = missing()
        if why:
            raise SiteError("cannot start the WordPress site: " + why)
        self.stop()  # whatever an earlier run in RUN left
        if self.run.exists():
            shutil.rmtree(self.run)
        self.run.mkdir(parents=True)
        self.run.chmod(0o755)
        for sub in ("logs", "pids", "consent", "apache"):
            (self.run / sub).mkdir()
            (self.run / sub).chmod(0o755)
        if is_root():
            for sub in ("logs", "consent", "apache"):
                shutil.chown(self.run / sub, RUN_USER, RUN_USER)
        if self.port is None:
            self.port = free_port()
        elif not port_free(self.port):
            raise SiteError("port %d is taken" % self.port)
        self.off_port = free_port()
        while self.off_port == self.port:
            self.off_port = free_port()
        self.admin_password = secrets.token_urlsafe(12)
        try:
            self._start_mariadb()
            self._link_wordpress()
            self._write_wp_config()
            self._install()
            self._start_php_fpm()
            self._start_apache()
            (self.run / "site.json").write_text(json.dumps(self.info(), indent=2) + "\n")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        """Ends every process this run dir started, by the PIDs in RUN/pids."""
        piddir = self.run / "pids"
        if not piddir.is_dir():
            return
        # apache first (it talks to php-fpm, which talks to MariaDB)
        order = {"apache": 0, "php-fpm": 1, "mariadb": 2}
        for pidfile in sorted(piddir.glob("*.pid"), key=lambda p: order.get(p.stem, 9)):
            try:
                pid = int(pidfile.read_text().strip())
            except (OSError, ValueError):
                pidfile.unlink(missing_ok=True)
                continue
            self._end(pid, 30 if pidfile.stem == "mariadb" else 10)
            pidfile.unlink(missing_ok=True)

    @staticmethod
    def _end(pid, timeout):
        if not _alive(pid):
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        if not _wait(lambda: not _alive(pid), timeout):
            try:
                os.killpg(pid, signal.SIGKILL)  # it leads its own session
            except (ProcessLookupError, PermissionError):
                pass
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _wait(lambda: not _alive(pid), 5)

    def _spawn(self, name, argv, log):
        out = open(self.logs / log, "ab")
        try:
            proc = subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=out, start_new_session=True, cwd=self.run)
        finally:
            out.close()
        (self.run / "pids" / (name + ".pid")).write_text("%d\n" % proc.pid)
        return proc

    # -- MariaDB ----------------------------------------------------------------

    def _mariadb_args(self):
        args = ["--no-defaults", "--datadir=%s" % (self.run / "db"),
                "--socket=%s" % self.socket, "--skip-networking",
                "--pid-file=%s" % (self.run / "mysqld.pid"),
                "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=8M",
                "--skip-log-bin", "--character-set-server=utf8mb4"]
        if is_root():
            args.append("--user=root")  # the datadir is ours; mariadbd refuses root otherwise
        return args

    def _start_mariadb(self):
        p = subprocess.run([INSTALL_DB, "--no-defaults", "--datadir=%s" % (self.run / "db"),
                            "--auth-root-authentication-method=normal", "--skip-test-db",
                            "--skip-name-resolve"] + (["--user=root"] if is_root() else []),
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise SiteError("mariadb-install-db failed:\n%s%s" % (p.stdout, p.stderr))
        proc = self._spawn("mariadb", [MARIADBD] + self._mariadb_args()
                           + ["--log-error=%s" % (self.logs / "mariadb.log")], "mariadb.out")
        if not _wait(lambda: self.socket.exists() or proc.poll() is not None, 60):
            raise SiteError("MariaDB did not start:\n" + self._tail("mariadb.log"))
        if proc.poll() is not None:
            raise SiteError("MariaDB exited:\n" + self._tail("mariadb.log"))
        self.db_password = secrets.token_urlsafe(12)
        self.sql("CREATE DATABASE wordpress CHARACTER SET utf8mb4;"
                  "CREATE USER 'wordpress'@'localhost' IDENTIFIED BY '%s';"
                  "GRANT ALL ON wordpress.* TO 'wordpress'@'localhost';" % self.db_password)

    def sql(self, sql):
        """SQL as MariaDB's root, over the private socket."""
        p = subprocess.run([MARIADB, "--no-defaults", "--socket=%s" % self.socket, "-uroot",
                            "-e", sql], capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise SiteError("SQL failed (%s): %s" % (sql, p.stderr))
        return p.stdout

    def _tail(self, log, n=4000):
        try:
            return (self.logs / log).read_text(errors="replace")[-n:]
        except FileNotFoundError:
            return "(no %s)" % log

    # -- WordPress --------------------------------------------------------------

    def _link_wordpress(self):
        """RUN/wordpress: Debian's tree by hard links (same file system) or a
        copy; its own symlinks (to /usr/share/javascript and so on) kept."""
        dst = self.docroot
        p = subprocess.run(["cp", "-al", str(WORDPRESS), str(dst)], capture_output=True, text=True)
        if p.returncode != 0:
            shutil.rmtree(dst, ignore_errors=True)
            subprocess.run(["cp", "-a", str(WORDPRESS), str(dst)], check=True)
        # Debian links some bundled libraries out of the tree, relatively
        # (wp-includes/js/underscore.min.js -> ../../../javascript/...):
        # from the copy those links must name the same files absolutely
        for dirpath, dirnames, filenames in os.walk(dst):
            for name in dirnames + filenames:
                link = Path(dirpath) / name
                if not link.is_symlink() or os.path.isabs(os.readlink(link)):
                    continue
                original = WORDPRESS / link.relative_to(dst)
                target = os.path.normpath(os.path.join(original.parent, os.readlink(link)))
                if not target.startswith(str(WORDPRESS) + os.sep):
                    link.unlink()
                    link.symlink_to(target)
        (dst / "wp-config.php").unlink()  # Debian's (a link to it): ours replaces it
        content = dst / "wp-content"
        for sub in ("mu-plugins", "uploads", "upgrade"):
            (content / sub).mkdir(exist_ok=True)
        shutil.copy(HERE / "klinikk.php", content / "mu-plugins" / "klinikk.php")
        if is_root():
            shutil.chown(content / "uploads", RUN_USER, RUN_USER)
            shutil.chown(content / "upgrade", RUN_USER, RUN_USER)
        # what WordPress writes itself for /%postname%/ when it can
        (dst / ".htaccess").write_text(textwrap.dedent("""\
            # BEGIN WordPress
            <IfModule mod_rewrite.c>
            RewriteEngine On
            RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]
            RewriteBase /
            RewriteRule ^index\\.php$ - [L]
            RewriteCond %{REQUEST_FILENAME} !-f
            RewriteCond %{REQUEST_FILENAME} !-d
            RewriteRule . /index.php [L]
            </IfModule>
            # END WordPress
            """))

    def _write_wp_config(self):
        salts = "\n".join("define('%s', '%s');" % (k, secrets.token_hex(32)) for k in (
            "AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT",
            "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"))
        text = textwrap.dedent("""\
            <?php
            // written by tests/wordpress/wpsite.py for this run only
            define('DB_NAME', 'wordpress');
            define('DB_USER', 'wordpress');
            define('DB_PASSWORD', '{pw}');
            define('DB_HOST', 'localhost:{sock}');
            define('DB_CHARSET', 'utf8mb4');
            define('DB_COLLATE', '');
            {salts}
            $table_prefix = 'wp_';
            define('WP_HOME', '{origin}');
            define('WP_SITEURL', '{origin}');
            // no network here: WordPress's update checks, news feeds and
            // oEmbed lookups of other sites fail at once instead of waiting
            define('WP_HTTP_BLOCK_EXTERNAL', true);
            define('AUTOMATIC_UPDATER_DISABLED', true);
            define('WP_AUTO_UPDATE_CORE', false);
            define('DISALLOW_FILE_MODS', true);
            // WP_DEBUG off as on a live site: PHP's warnings and errors go to
            // the pool's error_log (php-error.log), never into the pages
            if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
            require_once ABSPATH . 'wp-settings.php';
            """).format(pw=self.db_password, sock=self.socket, salts=salts, origin=self.origin)
        path = self.docroot / "wp-config.php"
        path.write_text(text)
        path.chmod(0o640)
        if is_root():
            shutil.chown(path, "root", RUN_USER)

    def _install(self):
        """wp_install() from PHP's command line, then the clinic's content."""
        script = self.run / "install.php"
        script.write_text((HERE / "install.php").read_text())
        env = dict(os.environ, MC_WP_ROOT=str(self.docroot), MC_WP_HOST="127.0.0.1:%d" % self.port,
                   MC_WP_ADMIN=ADMIN_USER, MC_WP_EMAIL=ADMIN_EMAIL,
                   MC_WP_PASSWORD=self.admin_password, MC_WP_THEME=THEME)
        p = subprocess.run([PHP, "-d", "display_errors=stderr", str(script)], env=env,
                           capture_output=True, text=True, timeout=120, cwd=self.docroot)
        (self.logs / "install.log").write_text(p.stdout + p.stderr)
        if p.returncode != 0 or "installed" not in p.stdout:
            raise SiteError("WordPress install failed:\n%s%s" % (p.stdout, p.stderr))
        if is_root():
            # the install ran as root: what it wrote below uploads is the site's
            subprocess.run(["chown", "-R", "%s:%s" % (RUN_USER, RUN_USER),
                            str(self.docroot / "wp-content" / "uploads")], check=True)
            if self.php_error_log.exists():
                shutil.chown(self.php_error_log, RUN_USER, RUN_USER)

    # -- php-fpm ----------------------------------------------------------------

    def _start_php_fpm(self):
        pools = []
        for name, extra in (("wp", ""), ("wpgz", "php_admin_flag[zlib.output_compression] = on\n")):
            pools.append(textwrap.dedent("""\
                [{name}]
                user = {user}
                group = {user}
                listen = {run}/{name}.sock
                listen.owner = {user}
                listen.group = {user}
                listen.mode = 0660
                pm = static
                pm.max_children = {children}
                catch_workers_output = yes
                clear_env = yes
                php_admin_flag[log_errors] = on
                php_admin_flag[display_errors] = off
                php_admin_value[error_log] = {phplog}
                php_admin_value[error_reporting] = E_ALL
                """).format(name=name, user=RUN_USER, run=self.run, phplog=self.php_error_log,
                            children=3 if name == "wp" else 1) + extra)
        conf = self.run / "php-fpm.conf"
        conf.write_text("[global]\npid = %s/php-fpm.pid\nerror_log = %s\ndaemonize = no\n"
                        "log_level = warning\n\n%s" % (self.run, self.fpm_log, "\n".join(pools)))
        argv = [php_fpm_binary(), "--nodaemonize", "--fpm-config", conf]
        if is_root():
            argv.append("--allow-to-run-as-root")
        proc = self._spawn("php-fpm", argv, "php-fpm.out")
        socks = [self.run / "wp.sock", self.run / "wpgz.sock"]
        if not _wait(lambda: all(s.exists() for s in socks) or proc.poll() is not None, 30):
            raise SiteError("php-fpm did not start:\n" + self._tail("php-fpm.out"))
        if proc.poll() is not None:
            raise SiteError("php-fpm exited:\n" + self._tail("php-fpm.out") + self._tail("php-fpm.log"))

    # -- Apache -----------------------------------------------------------------

    def apache_conf(self):
        r = self.run
        modules = "\n".join("LoadModule %s_module %s/mod_%s.so" % (m, MODULE_DIR, m)
                            for m in APACHE_MODULES if not self._builtin(m))
        vhost = textwrap.dedent("""\
            <VirtualHost 127.0.0.1:{port}>
                ServerName 127.0.0.1
                DocumentRoot {doc}
                ConsentEngine {engine}
                {include}
            </VirtualHost>
            """)
        secret = r / "apache" / "secret"
        if not secret.exists():
            secret.write_bytes(base64.b64encode(os.urandom(32)) + b"\n")
            secret.chmod(0o600)
        return textwrap.dedent("""\
            # written by tests/wordpress/wpsite.py
            ServerRoot "{run}/apache"
            Listen 127.0.0.1:{port}
            Listen 127.0.0.1:{off_port}
            ServerName 127.0.0.1
            PidFile {run}/apache/httpd.pid
            DefaultRuntimeDir {run}/apache
            Mutex file:{run}/apache default
            {modules}
            LoadModule consent_module {module}
            {user}
            StartServers 1
            ServerLimit 2
            ThreadsPerChild 16
            MaxRequestWorkers 32
            MinSpareThreads 16
            MaxSpareThreads 32
            Timeout 30
            KeepAlive On
            ErrorLog {logs}/apache-error.log
            LogLevel warn
            LogFormat "%h %t \\"%r\\" %>s %b %{{Content-Encoding}}o" wp
            CustomLog {logs}/apache-access.log wp
            TypesConfig /etc/mime.types
            <Directory />
                Require all denied
                AllowOverride None
            </Directory>
            # Debian's recommended PHP setup: php-fpm through mod_proxy_fcgi
            <Directory {doc}>
                Require all granted
                AllowOverride All
                Options FollowSymLinks
                DirectoryIndex index.php index.html
                <FilesMatch "\\.php$">
                    SetHandler "proxy:unix:{run}/wp.sock|fcgi://wp"
                    # "gzip from PHP": a request asking for it goes to the pool
                    # with zlib.output_compression on (mod_deflate stays out)
                    <If "reqenv('php-gzip') == '1'">
                        SetHandler "proxy:unix:{run}/wpgz.sock|fcgi://wpgz"
                    </If>
                </FilesMatch>
            </Directory>
            <Directory /usr/share/javascript>
                Require all granted
            </Directory>
            SetEnvIfNoCase X-Test-Php-Gzip ^on$ no-gzip php-gzip=1
            AddOutputFilterByType DEFLATE text/html text/css text/plain application/javascript application/json application/rss+xml application/atom+xml application/xml text/xml
            ConsentSecretFile {secret}
            ConsentLog {run}/consent/consent.log
            {on}
            # the same site, mod_consent off: what the pages are without it
            {off}
            """).format(run=r, port=self.port, off_port=self.off_port, modules=modules,
                        module=MODULE, logs=self.logs, doc=self.docroot, secret=secret,
                        user=("User %s\nGroup %s" % (RUN_USER, RUN_USER)) if is_root() else "",
                        on=vhost.format(port=self.port, doc=self.docroot, engine="On",
                                        include="Include %s/conf/wordpress.conf" % REPO),
                        off=vhost.format(port=self.off_port, doc=self.docroot, engine="Off",
                                         include=""))

    _builtins = None

    @classmethod
    def _builtin(cls, mod):
        if cls._builtins is None:
            out = subprocess.run([HTTPD, "-l"], capture_output=True, text=True).stdout
            cls._builtins = set(line.strip()[4:-2] for line in out.split("\n")
                                if line.strip().startswith("mod_"))
        return mod in cls._builtins

    def _start_apache(self):
        conf = self.run / "apache" / "httpd.conf"
        conf.write_text(self.apache_conf())
        p = subprocess.run([HTTPD, "-t", "-f", str(conf)], capture_output=True, text=True)
        if p.returncode != 0:
            raise SiteError("apache2 refuses %s:\n%s%s" % (conf, p.stdout, p.stderr))
        proc = self._spawn("apache", [HTTPD, "-f", conf, "-DFOREGROUND"], "apache.out")

        def answers():
            if proc.poll() is not None:
                return True
            try:
                with urllib.request.urlopen(self.origin + "/robots.txt", timeout=5) as r:
                    return r.status == 200
            except OSError:
                return False
        if not _wait(answers, 30, 0.1) or proc.poll() is not None:
            raise SiteError("apache2 did not start:\n%s%s" % (self._tail("apache.out"),
                                                              self._tail("apache-error.log")))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("action", choices=["start", "stop", "check"])
    ap.add_argument("run", nargs="?")
    ap.add_argument("--port", type=int)
    args = ap.parse_args(argv)
    if args.action == "check":
        why = missing()
        print(why or "ok")
        return 1 if why else 0
    if not args.run:
        ap.error("RUN is needed")
    site = WordPressSite(args.run, args.port)
    if args.action == "stop":
        site.stop()
        return 0
    try:
        site.start()
    except SiteError as e:
        sys.stderr.write("%s\n" % e)
        return 1
    print(json.dumps(site.info()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
