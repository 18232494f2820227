#!/bin/bash
# Builds mod_consent and starts the demo clinic site on 127.0.0.1 with it.
#   bash www/demo/serve.sh          start (port 8080, or the next free one)
#   bash www/demo/serve.sh wordpress   the WordPress clinic site instead: Debian's
#                                      WordPress with its own MariaDB and php-fpm
#                                      (tests/wordpress/wpsite.py, as the tests use it)
#   bash www/demo/serve.sh stop     stop it (either, or both)
# Everything the servers write stays in run/demo/ (run/wordpress/) of this checkout.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
RUN=$ROOT/run/demo
PIDFILE=$RUN/httpd.pid

stop() {
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null) || pid=""
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "demo stopped"
  fi
  rm -f "$PIDFILE"
}
WPRUN=$ROOT/run/wordpress
stop_wordpress() {
  if compgen -G "$WPRUN/pids/*.pid" >/dev/null; then
    python3 tests/wordpress/wpsite.py stop "$WPRUN"
    echo "WordPress demo stopped"
  fi
}
if [ "${1:-}" = stop ]; then stop; stop_wordpress; exit 0; fi

sh build-aux/deps.sh
sh build-aux/build.sh

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [ "${1:-}" = wordpress ]; then
  stop_wordpress
  PORT=${PORT:-8080}
  while ! port_free "$PORT"; do PORT=$((PORT + 1)); done
  mkdir -p "$ROOT/run"
  # the site's processes run as www-data below this checkout
  [ "$(id -u)" -ne 0 ] || chmod o+x "$ROOT" "$ROOT/run" 2>/dev/null || true
  python3 tests/wordpress/wpsite.py start "$WPRUN" --port "$PORT" >/dev/null
  python3 - "$WPRUN/site.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["host"] = s["url"].split("//", 1)[1].rstrip("/")
print("""
mod_consent WordPress demo: {url}
  log in:         {url}wp-login.php   user {admin_user}, password {admin_password}
  the same site with ConsentEngine Off, for curl (WordPress redirects a
  browser to its own address): curl -H 'Host: {host}' {off_url}
  consent log:    {consent_log}
  error logs:     {apache_error_log}, {php_error_log}
  stop:           bash www/demo/serve.sh stop""".format(**s))
PY
  exit 0
fi

stop
PORT=${PORT:-8080}
while ! port_free "$PORT"; do PORT=$((PORT + 1)); done

mkdir -p "$RUN/logs"
[ -s "$RUN/secret" ] || head -c 32 /dev/urandom | base64 > "$RUN/secret"
chmod 600 "$RUN/secret"
MODDIR=$(apxs -q LIBEXECDIR)
# The configuration is www/demo/httpd.conf.in, shared with the browser tests.
sed -e "s|@ROOT@|$ROOT|g" -e "s|@RUN@|$RUN|g" -e "s|@PORT@|$PORT|g" -e "s|@MODDIR@|$MODDIR|g" \
  -e "s|@MODULE@|$ROOT/.libs/mod_consent.so|g" \
  "$ROOT/www/demo/httpd.conf.in" > "$RUN/httpd.conf"
if [ "$(id -u)" -eq 0 ]; then
  printf 'User www-data\nGroup www-data\n' >> "$RUN/httpd.conf"
  chown -R www-data "$RUN/logs"
  chmod o+rx "$ROOT" "$ROOT/www" "$ROOT/www/demo" 2>/dev/null || true
fi

/usr/sbin/apache2 -f "$RUN/httpd.conf" -t >/dev/null
/usr/sbin/apache2 -f "$RUN/httpd.conf" -k start
for _ in $(seq 50); do port_free "$PORT" || break; sleep 0.1; done
echo
echo "mod_consent demo: http://127.0.0.1:$PORT/"
echo "  consent state:  http://127.0.0.1:$PORT/_consent/state"
echo "  consent log:    $RUN/logs/consent.log   (check: ./consent-log verify $RUN/logs/consent.log)"
echo "  stop:           bash www/demo/serve.sh stop"
