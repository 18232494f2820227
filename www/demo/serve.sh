#!/bin/bash
# Builds mod_consent and starts the demo clinic site on 127.0.0.1 with it.
#   bash www/demo/serve.sh          start (port 8080, or the next free one)
#   bash www/demo/serve.sh stop     stop it
# Everything the server writes stays in run/demo/ of this checkout.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
RUN=$ROOT/run/demo
PIDFILE=$RUN/httpd.pid

stop() {
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    kill -TERM "$(cat "$PIDFILE")"
    for _ in $(seq 50); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 0.1; done
    echo "demo stopped"
  fi
  rm -f "$PIDFILE"
}
if [ "${1:-}" = stop ]; then stop; exit 0; fi

sh build-aux/deps.sh
sh build-aux/build.sh
stop

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=${PORT:-8080}
while ! port_free "$PORT"; do PORT=$((PORT + 1)); done

mkdir -p "$RUN/logs"
[ -s "$RUN/secret" ] || head -c 32 /dev/urandom | base64 > "$RUN/secret"
chmod 600 "$RUN/secret"
MODDIR=$(apxs -q LIBEXECDIR)
USER_LINE=""
if [ "$(id -u)" -eq 0 ]; then
  USER_LINE="User www-data
Group www-data"
  chown -R www-data "$RUN/logs"
  chmod o+rx "$ROOT" "$ROOT/www" "$ROOT/www/demo" 2>/dev/null || true
fi

cat > "$RUN/httpd.conf" <<CONF
ServerRoot "$RUN"
ServerName 127.0.0.1
Listen 127.0.0.1:$PORT
PidFile "$PIDFILE"
DefaultRuntimeDir "$RUN"
ErrorLog "$RUN/logs/error.log"
LogLevel warn
$USER_LINE
LoadModule mpm_event_module $MODDIR/mod_mpm_event.so
LoadModule authz_core_module $MODDIR/mod_authz_core.so
LoadModule mime_module $MODDIR/mod_mime.so
LoadModule dir_module $MODDIR/mod_dir.so
LoadModule headers_module $MODDIR/mod_headers.so
LoadModule consent_module $ROOT/.libs/mod_consent.so
TypesConfig /etc/mime.types
CustomLog "$RUN/logs/access.log" combined
DocumentRoot "$ROOT/www/demo"
DirectoryIndex index.html
<Directory "$ROOT/www/demo">
    Require all granted
    # The clinic's analytics and ad tags set these from the server, as many
    # CMS plugins do; mod_consent removes them until the visitor agrees.
    <FilesMatch "\.html$">
        Header add Set-Cookie "_ga=GA1.1.1234567890.1700000000; Path=/; Max-Age=63072000"
        Header add Set-Cookie "_fbp=fb.1.1700000000000.987654321; Path=/; Max-Age=7776000"
        Header add Set-Cookie "PHPSESSID=demo-session; Path=/; HttpOnly"
    </FilesMatch>
</Directory>

ConsentEngine On
ConsentSecretFile "$RUN/secret"
ConsentLog "$RUN/logs/consent.log"
ConsentPolicyVersion 1
CONF

/usr/sbin/apache2 -f "$RUN/httpd.conf" -t >/dev/null
/usr/sbin/apache2 -f "$RUN/httpd.conf" -k start
for _ in $(seq 50); do port_free "$PORT" || break; sleep 0.1; done
echo
echo "mod_consent demo: http://127.0.0.1:$PORT/"
echo "  consent state:  http://127.0.0.1:$PORT/_consent/state"
echo "  consent log:    $RUN/logs/consent.log   (check: ./consent-log verify $RUN/logs/consent.log)"
echo "  stop:           bash www/demo/serve.sh stop"
