#!/bin/bash
# mod_consent's Apache benchmarks (the Apache half of `make bench`). Prints
# numbers and never asserts timings: the exit status says only whether the
# benchmark could run.
#
#  1. Throughput, end to end with wrk, a 30 KB page with trackers served as a
#     static file by mpm_event:
#       a  plain Apache, mod_consent not loaded
#       b  mod_consent, ConsentEngine On, no consent cookie
#       c  mod_consent with an accept_all consent cookie
#       d  mod_substitute rewriting the same trackers
#       e  mod_proxy_html (+ mod_xml2enc) rewriting the tracker URLs
#     The variants take turns, round after round, so drift on the machine
#     spreads over all of them; medians of the rounds are reported, with the
#     httpd children's CPU time per request (user + system, from /proc),
#     which other load on a shared machine disturbs less than req/s.
#  2. Memory: the peak RSS (VmHWM) of the httpd children serving a 1 MB and
#     a 100 MB page (also minified to one line), a fresh server for each
#     measurement; then their anonymous memory, sampled every 50 ms while a
#     slow client downloads the page again.
#  3. A Markdown summary to paste into notes.
#
# Everything runs on 127.0.0.1, on free ports, and every server is stopped
# by its PID (also on Ctrl-C). Run as root (Apache switches to www-data).
#
# Knobs (environment): BENCH_ROUNDS [3], BENCH_DURATION seconds [10],
# BENCH_WARMUP seconds [2], BENCH_THREADS [2], BENCH_CONNS [32],
# BENCH_BIG_MB [100], BENCH_SLOW_RATE (curl --limit-rate of the second,
# sampled download) [50M], BENCH_KEEP=1 keeps the work directory,
# MC_HTTPD, MC_MODULE (default .libs/mod_consent.so of this tree).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
HTTPD=${MC_HTTPD:-/usr/sbin/apache2}
MODULE=${MC_MODULE:-$REPO/.libs/mod_consent.so}
ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNS:-32}
BIG_MB=${BENCH_BIG_MB:-100}
SLOW_RATE=${BENCH_SLOW_RATE:-50M}
KEEP=${BENCH_KEEP:-0}
PAGE=/page.html
RUN_USER=www-data

VARIANTS=(a b c d e)
declare -A LABEL=(
  [a]="plain Apache (module not loaded)"
  [b]="mod_consent, no consent cookie"
  [c]="mod_consent, accept_all cookie"
  [d]="mod_substitute"
  [e]="mod_proxy_html"
)
declare -A SERVER_OF=([a]=plain [b]=consent [c]=consent [d]=substitute [e]=proxyhtml)

declare -A PORT=() PID=() DIR=()
declare -A RPS=() P50=() P99=() CPUUS=() USERUS=() SYSUS=() ERRS=()
declare -A VERIFY=()
MEM_ROWS=()
STARTED=()
WORK=""
COOKIE=""
SECONDS=0
CLK_TCK=$(getconf CLK_TCK)

say() { printf '%s\n' "$*"; }
note() { printf '\n=== %s ===\n' "$*"; }
die() { printf 'bench_apache.sh: %s\n' "$*" >&2; exit 1; }

# --- tools ---------------------------------------------------------------------------

need_tools() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v curl >/dev/null || missing+=(curl)
  command -v python3 >/dev/null || missing+=(python3)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} (apt-get)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
      apt-get update -qq >/dev/null 2>&1
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
        die "could not install ${missing[*]}"
    fi
  fi
  [ -x "$HTTPD" ] || die "no $HTTPD (apt-get install apache2)"
  [ -f "$MODULE" ] || die "no $MODULE: build the module first (make)"
  local m
  for m in mpm_event substitute proxy_html xml2enc; do
    [ -f "/usr/lib/apache2/modules/mod_$m.so" ] || die "no mod_$m.so in /usr/lib/apache2/modules"
  done
}

free_port() {
  python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# --- servers ---------------------------------------------------------------------------

# make_server NAME VARIANT PROFILE PAGEFILE: a server directory with its config.
make_server() {
  local name=$1 variant=$2 profile=$3 page=$4 dir
  dir=$WORK/$name
  mkdir -p "$dir/htdocs" "$dir/logs" "$dir/run" "$dir/consent"
  chown "$RUN_USER:$RUN_USER" "$dir/run" "$dir/consent" 2>/dev/null || true
  head -c 32 /dev/urandom | base64 >"$dir/consent/secret"
  chmod 600 "$dir/consent/secret"
  ln -s "$page" "$dir/htdocs/page.html"
  echo ok >"$dir/htdocs/ready.txt"
  chmod -R a+rX "$dir/htdocs"
  PORT[$name]=$(free_port)
  DIR[$name]=$dir
  python3 "$HERE/gen_conf.py" "$variant" "$dir" "${PORT[$name]}" "$profile" "$MODULE" \
    >"$dir/httpd.conf" || die "gen_conf.py failed for $name"
  "$HTTPD" -t -f "$dir/httpd.conf" >"$dir/logs/configtest.log" 2>&1 ||
    die "config of $name does not parse: $(cat "$dir/logs/configtest.log")"
}

start_server() {
  local name=$1 i
  "$HTTPD" -f "${DIR[$name]}/httpd.conf" -DFOREGROUND \
    </dev/null >"${DIR[$name]}/logs/stderr.log" 2>&1 &
  PID[$name]=$!
  STARTED+=("$name")
  for ((i = 0; i < 200; i++)); do
    if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:${PORT[$name]}/ready.txt"; then
      return 0
    fi
    kill -0 "${PID[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  cat "${DIR[$name]}/logs/stderr.log" "${DIR[$name]}/logs/error.log" 2>/dev/null >&2
  die "server $name did not start"
}

children() { pgrep -P "$1" 2>/dev/null; }

stop_server() {
  local name=$1 pid kids i
  pid=${PID[$name]:-}
  [ -n "$pid" ] || return 0
  kids=$(children "$pid")
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  # Children left behind by a killed parent: each by its own PID.
  for pid in $kids; do
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  done
  PID[$name]=""
}

cleanup() {
  local name
  for name in "${STARTED[@]}"; do
    stop_server "$name"
  done
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ "$KEEP" = 1 ]; then
      say "work directory kept: $WORK"
    else
      rm -rf "$WORK"
    fi
  fi
}

# Sum and largest of the children's "VmHWM" (or another field), in KiB.
children_mem() {
  local field=$1 pid kid sum=0 max=0 n=0 v
  pid=${PID[$2]}
  for kid in $(children "$pid"); do
    v=$(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$kid/status" 2>/dev/null)
    [ -n "$v" ] || continue
    sum=$((sum + v)); n=$((n + 1))
    [ "$v" -gt "$max" ] && max=$v
  done
  echo "$sum $max $n"
}

# User and system CPU time (clock ticks) of the server's children so far:
# fields 14 and 15 of /proc/PID/stat, counted after the ")" that ends the
# command name. They cover every thread of the process.
children_cpu() {
  local kid
  for kid in $(children "${PID[$1]}"); do
    sed 's/.*) //' "/proc/$kid/stat" 2>/dev/null
  done | awk '{ u += $12; s += $13 } END { printf "%d %d\n", u, s }'
}

# --- helpers ---------------------------------------------------------------------------

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END {
  if (NR == 0) { print "n/a"; exit }
  if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

percent() { awk -v a="$1" -v b="$2" 'BEGIN {
  if (a == "n/a" || b == "n/a" || b == 0) print "n/a"; else printf "%.1f%%", 100 * a / b }'; }

ms() { awk -v u="$1" 'BEGIN { if (u == "n/a") print u; else printf "%.2f", u / 1000 }'; }

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# count PATTERN FILE: occurrences (not lines) of a fixed string.
count() { grep -oF -- "$1" "$2" 2>/dev/null | wc -l; }

# What a variant's rewriting leaves in the page, to count it.
marker_of() {
  case $1 in
    proxyhtml | e) echo '/_blocked/' ;;
    *) echo 'data-consent="' ;;
  esac
}

url_of() { echo "http://127.0.0.1:${PORT[${SERVER_OF[$1]}]}$PAGE"; }

wrk_cmd() { # variant duration -> the wrk command line, one word a line
  local v=$1 d=$2
  printf '%s\n' wrk "-t$THREADS" "-c$CONNS" "-d${d}s" --timeout 10s
  if [ "$v" = c ]; then printf '%s\n' -H "Cookie: $COOKIE"; fi
  printf '%s\n' -s "$HERE/wrk_report.lua" "$(url_of "$v")"
}

run_wrk() { # variant duration -> MCBENCH line (or nothing)
  local -a cmd
  mapfile -t cmd < <(wrk_cmd "$1" "$2")
  "${cmd[@]}" 2>&1 | sed -n 's/^MCBENCH //p'
}

# The words of a command as one would type them: single quotes where needed,
# paths of this tree relative to the repository's root.
quote_words() {
  local w out=""
  for w in "$@"; do
    w=${w#"$REPO/"}
    case $w in
      *[!A-Za-z0-9_./:=@%+-]*) out+="'$w' " ;;
      *) out+="$w " ;;
    esac
  done
  echo "${out% }"
}

field() { # line key
  local kv
  for kv in $1; do
    if [ "${kv%%=*}" = "$2" ]; then echo "${kv#*=}"; return; fi
  done
}

html_filter_state() {
  local files
  files=$(grep -l CONSENT_HTML "$REPO"/mod_consent/*.c 2>/dev/null | xargs -r -n1 basename | tr '\n' ' ')
  if grep -qa CONSENT_HTML "$MODULE"; then
    echo "built into the module (CONSENT_HTML)"
  elif [ -n "$files" ]; then
    echo "in the source (${files% }) but not in the built module: HTML is not rewritten"
  else
    echo "absent: the module filters Set-Cookie only, HTML is not rewritten"
  fi
}

# --- 0. setup ----------------------------------------------------------------------------

setup() {
  need_tools
  WORK=$(mktemp -d /tmp/mc-bench.XXXXXX)
  chmod 755 "$WORK"
  mkdir -p "$WORK/pages"
  chmod 755 "$WORK/pages"
  note "machine"
  CPU=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
  NPROC=$(nproc)
  MEM_TOTAL=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
  HTTPD_VERSION=$("$HTTPD" -v | sed -n 's/^Server version: //p')
  WRK_VERSION=$(wrk -v 2>&1 | head -1 | awk '{ print $2 }')
  GIT_REV=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)
  MODULE_TIME=$(date -u -r "$MODULE" '+%Y-%m-%d %H:%M UTC')
  HTML_FILTER=$(html_filter_state)
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  say "date:        $DATE"
  say "cpu:         $NPROC x $CPU, $MEM_TOTAL RAM"
  say "kernel:      $(uname -r)"
  say "httpd:       $HTTPD_VERSION, mpm_event"
  say "wrk:         $WRK_VERSION"
  say "module:      $MODULE (built $MODULE_TIME, tree $GIT_REV)"
  say "HTML filter: $HTML_FILTER"
  say "load avg:    $LOAD_BEFORE (before the benchmark)"
  say "note:        the $NPROC cores are shared by wrk and httpd; nothing is pinned."

  note "pages"
  python3 "$HERE/gen_page.py" 30k "$WORK/pages/page30k.html" || die "gen_page.py failed"
  python3 "$HERE/gen_page.py" 1m "$WORK/pages/page1m.html" || die "gen_page.py failed"
  python3 "$HERE/gen_page.py" "${BIG_MB}m" "$WORK/pages/big.html" || die "gen_page.py failed"
  python3 "$HERE/gen_page.py" "${BIG_MB}m" "$WORK/pages/big1line.html" --one-line ||
    die "gen_page.py failed"
  chmod 644 "$WORK"/pages/*.html
  local p
  for p in page30k page1m big big1line; do
    say "$(printf '%-10s %10d bytes  %5d trackers (youtube iframes)  %7d lines' "$p" \
      "$(stat -c %s "$WORK/pages/$p.html")" \
      "$(count 'youtube.com/embed' "$WORK/pages/$p.html")" \
      "$(wc -l <"$WORK/pages/$p.html")")"
  done
}

# --- 1. throughput -------------------------------------------------------------------------

consent_cookie() {
  local port=${PORT[consent]} value
  value=$(curl -s -D - -o /dev/null -X POST -H 'Content-Type: application/json' \
    --data '{"method":"accept_all"}' "http://127.0.0.1:$port/_consent/decision" |
    tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: *\(consent=[^;]*\).*/\1/p' | head -1)
  [ -n "$value" ] || die "POST /_consent/decision set no consent cookie"
  COOKIE=$value
}

# verify VARIANT: fetch the page once and record what was done to it.
verify() {
  local v=$1 out hdr code size neutral banner
  out=$WORK/verify-$v.html
  hdr=()
  [ "$v" = c ] && hdr=(-H "Cookie: $COOKIE")
  read -r code size < <(curl -s "${hdr[@]}" -o "$out" -w '%{http_code} %{size_download}\n' \
    "$(url_of "$v")")
  banner=$(count '/_consent/decision' "$out")
  neutral="$(count "$(marker_of "$v")" "$out") x $(marker_of "$v")"
  if cmp -s "$out" "$WORK/pages/page30k.html"; then
    neutral="page unchanged"
  fi
  VERIFY[$v]="$code|$size|$neutral|$banner"
}

throughput() {
  note "throughput: setup"
  make_server plain plain throughput "$WORK/pages/page30k.html"
  make_server consent consent throughput "$WORK/pages/page30k.html"
  make_server substitute substitute throughput "$WORK/pages/page30k.html"
  make_server proxyhtml proxyhtml throughput "$WORK/pages/page30k.html"
  local name v r line rps errs code size neutral banner cpu user sys user0 sys0 user1 sys1
  for name in plain consent substitute proxyhtml; do
    start_server "$name"
    say "$name: pid ${PID[$name]}, http://127.0.0.1:${PORT[$name]}$PAGE"
  done
  consent_cookie
  say "accept_all cookie: $COOKIE"

  note "throughput: what each variant serves (one fetch each)"
  printf '%-3s %-34s %6s %8s  %-40s %s\n' "" variant status bytes rewriting "banner forms"
  for v in "${VARIANTS[@]}"; do
    verify "$v"
    IFS='|' read -r code size neutral banner <<<"${VERIFY[$v]}"
    printf '%-3s %-34s %6s %8s  %-40s %s\n' "$v" "${LABEL[$v]}" "$code" "$size" "$neutral" "$banner"
  done
  IFS='|' read -r _ _ neutral _ <<<"${VERIFY[e]}"
  case $neutral in
    "0 x"* | "page unchanged") say "WARNING: mod_proxy_html did not rewrite the page" ;;
  esac

  note "throughput: $ROUNDS rounds of ${DURATION}s per variant (each after a ${WARMUP}s warm-up)"
  say "wrk -t$THREADS -c$CONNS -d${DURATION}s; wrk and httpd share the $NPROC cores"
  for ((r = 1; r <= ROUNDS; r++)); do
    for v in "${VARIANTS[@]}"; do
      run_wrk "$v" "$WARMUP" >/dev/null
      read -r user0 sys0 < <(children_cpu "${SERVER_OF[$v]}")
      line=$(run_wrk "$v" "$DURATION")
      read -r user1 sys1 < <(children_cpu "${SERVER_OF[$v]}")
      if [ -z "$line" ]; then
        say "round $r $v: wrk gave no result"
        continue
      fi
      rps=$(awk -v n="$(field "$line" requests)" -v us="$(field "$line" duration_us)" \
        'BEGIN { printf "%.0f", n / (us / 1e6) }')
      RPS[$v]="${RPS[$v]:-} $rps"
      P50[$v]="${P50[$v]:-} $(field "$line" p50_us)"
      P99[$v]="${P99[$v]:-} $(field "$line" p99_us)"
      read -r user sys < <(awk -v u=$((user1 - user0)) -v s=$((sys1 - sys0)) -v hz="$CLK_TCK" \
        -v n="$(field "$line" requests)" 'BEGIN { printf "%.1f %.1f\n", u / hz * 1e6 / n, s / hz * 1e6 / n }')
      cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
      CPUUS[$v]="${CPUUS[$v]:-} $cpu"
      USERUS[$v]="${USERUS[$v]:-} $user"
      SYSUS[$v]="${SYSUS[$v]:-} $sys"
      errs=$(($(field "$line" err_connect) + $(field "$line" err_read) + \
        $(field "$line" err_write) + $(field "$line" err_status) + $(field "$line" err_timeout)))
      ERRS[$v]=$((${ERRS[$v]:-0} + errs))
      printf 'round %d  %s  %-32s %6s req/s  p50 %5s us  p99 %6s us  httpd CPU %5s us/req (user %5s, sys %5s)  errors %d\n' \
        "$r" "$v" "${LABEL[$v]}" "$rps" "$(field "$line" p50_us)" "$(field "$line" p99_us)" "$cpu" \
        "$user" "$sys" "$errs"
    done
  done
  for name in plain consent substitute proxyhtml; do
    stop_server "$name"
  done
}

# --- 2. memory -------------------------------------------------------------------------------

# measure NAME VARIANT PAGEKEY LABEL: fresh server, one download, children's VmHWM.
measure() {
  local name=$1 variant=$2 page=$3 label=$4 base peak code size t rc res expect errors
  local marks orig rate slow anon v
  make_server "$name" "$variant" memory "$WORK/pages/$page.html"
  start_server "$name"
  read -r base _ _ < <(children_mem VmHWM "$name")
  expect=$(stat -c %s "$WORK/pages/$page.html")
  res=$(curl -s -o /dev/null --max-time 300 -w '%{http_code} %{size_download} %{time_total}' \
    "http://127.0.0.1:${PORT[$name]}$PAGE")
  rc=$?
  read -r code size t <<<"$res"
  read -r peak _ _ < <(children_mem VmHWM "$name")
  # A second download, after the peak was read, by a slow client (the server
  # must then hold back rather than read ahead): the children's anonymous
  # memory (heap, not the file's mapped pages) is sampled every 50 ms, and
  # what was rewritten is counted.
  curl -s --max-time 300 --limit-rate "$SLOW_RATE" "http://127.0.0.1:${PORT[$name]}$PAGE" |
    grep -oF -- "$(marker_of "$variant")" | wc -l >"$WORK/marks" &
  slow=$!
  anon=0
  while kill -0 "$slow" 2>/dev/null; do
    read -r v _ _ < <(children_mem RssAnon "$name")
    [ "$v" -gt "$anon" ] && anon=$v
    sleep 0.05
  done
  wait "$slow"
  marks=$(cat "$WORK/marks")
  orig=$(count "$(marker_of "$variant")" "$WORK/pages/$page.html")
  errors=$(grep -v -e ':notice\]' -e 'AH00558' "${DIR[$name]}/logs/error.log" 2>/dev/null |
    grep -c . || true)
  local status="ok"
  if [ "${code:-000}" != 200 ] || [ "$rc" -ne 0 ]; then
    status="failed (HTTP ${code:-none}, curl exit $rc)"
  elif [ "$size" -lt "$expect" ] && [ "$variant" != proxyhtml ]; then
    status="short: $size of $expect bytes"
  fi
  if [ "$errors" -gt 0 ]; then
    status="$status; error log: $(grep -v -e ':notice\]' "${DIR[$name]}/logs/error.log" |
      head -1 | sed 's/^\[[^]]*\] //' | cut -c1-160)"
  fi
  rate=$(awk -v b="${size:-0}" -v t="${t:-0}" 'BEGIN { if (t > 0) printf "%.0f", b / t / 1048576; else print "n/a" }')
  t=$(awk -v t="${t:-0}" 'BEGIN { printf "%.3f", t }')
  MEM_ROWS+=("$label|$page|$expect|${size:-0}|$t|$rate|$((marks - orig))|$base|$peak|$anon|$status")
  printf '%-26s %-8s sent %10s of %10s B in %6ss (%5s MiB/s), %5d rewritten; children VmHWM %5s -> %5s MiB, slow client RssAnon %5s MiB  %s\n' \
    "$label" "$page" "${size:-0}" "$expect" "$t" "$rate" "$((marks - orig))" "$(mib "$base")" \
    "$(mib "$peak")" "$(mib "$anon")" "$status"
  stop_server "$name"
}

memory() {
  note "memory: peak RSS of the httpd children (VmHWM summed over children; a fresh server each)"
  say "profile: 1 child x 8 threads; VmHWM before -> after one download with curl -s -o /dev/null;"
  say "then RssAnon sampled every 50 ms during a second download at $SLOW_RATE/s"
  measure mem-plain-1m plain page1m "a plain Apache"
  measure mem-plain-big plain big "a plain Apache"
  measure mem-consent-1m consent page1m "b mod_consent, no cookie"
  measure mem-consent-big consent big "b mod_consent, no cookie"
  measure mem-consent-big1 consent big1line "b mod_consent, no cookie"
  measure mem-subst-big substitute big "d mod_substitute"
  measure mem-subst-big1 substitute big1line "d mod_substitute"
  measure mem-proxyhtml-big proxyhtml big "e mod_proxy_html"
}

# --- 3. summary ---------------------------------------------------------------------------------

summary() {
  local v rps p50 p99 cpu base_rps base_cpu
  base_rps=$(median <<<"${RPS[a]:-}")
  note "summary (Markdown)"
  say "### mod_consent Apache benchmark, $DATE"
  say ""
  say "Machine: $NPROC x $CPU, $MEM_TOTAL RAM, Linux $(uname -r); $HTTPD_VERSION (mpm_event);"
  say "wrk $WRK_VERSION. wrk and httpd share the $NPROC cores, nothing pinned; load average"
  say "(1, 5, 15 min) before the run: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  say "(anything above ~2 means other work competed). Module: tree $GIT_REV, built $MODULE_TIME;"
  say "HTML filter $HTML_FILTER."
  say ""
  say "**Throughput**, 30 KB page with trackers (static file), $ROUNDS rounds of ${DURATION}s"
  say "per variant taken in turn, each after a ${WARMUP}s warm-up; medians of the rounds:"
  say ""
  base_cpu=$(median <<<"${CPUUS[a]:-}")
  say "| variant | req/s | vs plain | p50 ms | p99 ms | httpd CPU us/req (user + sys) | vs plain | rounds (req/s) | bytes served | rewriting | errors |"
  say "|---|---:|---:|---:|---:|---:|---:|---|---:|---|---:|"
  for v in "${VARIANTS[@]}"; do
    rps=$(median <<<"${RPS[$v]:-}")
    p50=$(median <<<"${P50[$v]:-}")
    p99=$(median <<<"${P99[$v]:-}")
    cpu=$(median <<<"${CPUUS[$v]:-}")
    IFS='|' read -r _ size neutral banner <<<"${VERIFY[$v]:-|||}"
    printf '| %s %s | %s | %s | %s | %s | %s | %s | %s | %s | %s; %s banner | %s |\n' \
      "$v" "${LABEL[$v]}" "$rps" "$(percent "$rps" "$base_rps")" "$(ms "$p50")" "$(ms "$p99")" \
      "$cpu ($(median <<<"${USERUS[$v]:-}") + $(median <<<"${SYSUS[$v]:-}"))" \
      "$(percent "$cpu" "$base_cpu")" "$(echo "${RPS[$v]:-}" | sed 's/^ //; s/ /, /g')" \
      "$size" "$neutral" "$banner" "${ERRS[$v]:-0}"
  done
  say ""
  local b c d e
  b=$(median <<<"${RPS[b]:-}"); c=$(median <<<"${RPS[c]:-}")
  d=$(median <<<"${RPS[d]:-}"); e=$(median <<<"${RPS[e]:-}")
  say "Targets (reported, not asserted): module on >= 95% of plain Apache's req/s, and ahead"
  say "of mod_substitute and mod_proxy_html:"
  say ""
  awk -v a="$base_rps" -v b="$b" -v c="$c" -v d="$d" -v e="$e" 'BEGIN {
    if (a == "n/a" || b == "n/a" || c == "n/a") { print "- n/a (a run failed)"; exit }
    printf "- b/a = %.1f%% (%s), c/a = %.1f%% (%s)\n", 100*b/a, (b >= 0.95*a ? "met" : "NOT met"),
      100*c/a, (c >= 0.95*a ? "met" : "NOT met")
    if (d != "n/a" && e != "n/a")
      printf "- b vs mod_substitute %.2fx, vs mod_proxy_html %.2fx (%s)\n", b/d, b/e,
        (b > d && b > e ? "ahead of both" : "NOT ahead of both")
  }'
  say "- httpd CPU per request, which other load on the machine disturbs less than req/s:"
  say "  b $(percent "$(median <<<"${CPUUS[b]:-}")" "$base_cpu"), c $(percent "$(median <<<"${CPUUS[c]:-}")" "$base_cpu") of plain Apache's"
  say ""
  say "**Memory**, peak RSS of the httpd children (sum of VmHWM, 1 child x 8 threads, a fresh"
  say "server per row; \"before\" is after start-up, \"after\" after one download; MiB/s is"
  say "curl's over loopback; \"rewritten\" counts the markers added ($(marker_of b) or"
  say "$(marker_of e)) in a second download, by a client reading at $SLOW_RATE/s, during which"
  say "the children's anonymous memory (heap; not the file's mapped pages) is sampled every"
  say "50 ms):"
  say ""
  say "| variant | page | page bytes | bytes sent | time s | MiB/s | rewritten | VmHWM before MiB | VmHWM after MiB | slow client: peak RssAnon MiB | outcome |"
  say "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  local row label page expect size t rate marks base peak anon status
  for row in "${MEM_ROWS[@]}"; do
    IFS='|' read -r label page expect size t rate marks base peak anon status <<<"$row"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$page" "$expect" \
      "$size" "$t" "$rate" "$marks" "$(mib "$base")" "$(mib "$peak")" "$(mib "$anon")" "$status"
  done
  say ""
  say "Pages: tests/bench/gen_page.py (deterministic): page1m = 1 MiB, big = ${BIG_MB} MiB in"
  say "lines (trackers every ~32 KB), big1line = the same ${BIG_MB} MiB with no newline (minified)."
  say ""
  say "Commands, from the repository's root (ports vary per run):"
  say ""
  say '```'
  say "bash tests/bench/bench_apache.sh    # whole run: $((SECONDS / 60)) min $((SECONDS % 60)) s"
  for v in "${VARIANTS[@]}"; do
    local -a cmd
    mapfile -t cmd < <(wrk_cmd "$v" "$DURATION")
    printf '%s  # %s, after the same with -d%ss\n' "$(quote_words "${cmd[@]}")" "$v" "$WARMUP"
  done
  say "curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total}' http://127.0.0.1:PORT$PAGE"
  say "/usr/sbin/apache2 -f CONF -DFOREGROUND  # CONF from: python3 tests/bench/gen_conf.py VARIANT ROOT PORT PROFILE MODULE"
  say '```'
}

trap cleanup EXIT
trap 'exit 130' INT TERM
setup
throughput
memory
summary
