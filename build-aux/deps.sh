#!/bin/sh
# Installs the Debian packages mod_consent needs to build, test and demo.
# Skips apt entirely when everything is already there, so re-runs are quick.
set -eu

# debhelper and lintian: the Debian package (debian/, build-aux/deb.sh).
# wordpress, mariadb-server and php-*: the WordPress site of the tests and
# the demo (tests/wordpress/wpsite.py); php-gd and php-mysql come with
# Debian's wordpress, the others are the extensions WordPress's Site Health
# asks for (curl, xml, mbstring, zip, intl).
PACKAGES="build-essential autoconf automake libtool pkg-config
  apache2 apache2-dev libapr1-dev libaprutil1-dev
  libpcre2-dev libjansson-dev libssl-dev zlib1g-dev libidn2-dev check
  clang libclang-rt-14-dev cppcheck clang-tidy
  python3 python3-pytest curl
  chromium fonts-dejavu-core
  postgresql libaprutil1-dbd-pgsql libaprutil1-dbd-sqlite3 sqlite3
  varnish
  wordpress-theme-twentytwentyone wordpress-theme-twentytwentytwo
  wordpress-theme-twentytwentythree
  wordpress mariadb-server php-fpm php-cli php-mysql php-gd php-curl php-xml
  php-mbstring php-zip php-intl
  debhelper lintian"

# Node.js runs the browser tests (tests/browser). Debian 12 ships it as
# nodejs + npm; a machine that already has node and npm (say from another
# source, whose nodejs package bundles npm) keeps them: asking apt for
# Debian's npm there would fight the installed nodejs.
command -v node >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs"
command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES npm"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "deps: installing$missing"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# The browser tests' own npm packages (playwright-core, axe-core; never a
# browser download: they drive /usr/bin/chromium). Installed exactly from the
# lockfile, again only when the lockfile changed since the last install.
BROWSER=$(dirname "$0")/../tests/browser
if [ -f "$BROWSER/package-lock.json" ] && \
   ! cmp -s "$BROWSER/package-lock.json" "$BROWSER/node_modules/.package-lock.json.installed" 2>/dev/null; then
  echo "deps: npm ci in tests/browser"
  (cd "$BROWSER" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) >/dev/null
  cp "$BROWSER/package-lock.json" "$BROWSER/node_modules/.package-lock.json.installed"
fi
# Debian starts apache2, PostgreSQL's main cluster, varnish, MariaDB and
# php-fpm on install; our tests and demo run their own servers, their own
# private database cluster and MariaDB, their own varnishd
# (tests/integration/test_shared_cache.py) and php-fpm.
if command -v systemctl >/dev/null 2>&1; then
  fpm=$(cd /lib/systemd/system 2>/dev/null && ls php*-fpm.service 2>/dev/null | sed 's/\.service$//' || true)
  for unit in apache2 postgresql varnish mariadb $fpm; do
    if systemctl is-active --quiet "$unit" 2>/dev/null; then systemctl stop "$unit" || true; fi
  done
fi
