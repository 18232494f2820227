#!/bin/bash
# The WordPress front page with mod_consent on and off (issue 12; part of
# `make bench`). Prints numbers and never asserts timings: the exit status
# says only whether the benchmark could run.
#
# The clinic site of the tests (tests/wordpress/wpsite.py: Debian's
# WordPress, a private MariaDB and php-fpm, one Apache serving the site on
# two ports, ConsentEngine On and ConsentEngine Off) answers wrk on 127.0.0.1:
#   off       ConsentEngine Off (the module loaded, doing nothing)
#   on        ConsentEngine On, a visitor without a consent cookie (banner,
#             trackers held, Set-Cookie filtered)
#   accepted  ConsentEngine On, an accept_all consent cookie
# The variants take turns, round after round; medians of the rounds are
# reported, with the ratio to "off". PHP dominates here: what the module
# costs shows as the gap between the rows.
#
# Knobs (environment): BENCH_ROUNDS [3], BENCH_DURATION seconds [10],
# BENCH_WARMUP seconds [2], BENCH_THREADS [2], BENCH_WP_CONNS [8],
# BENCH_KEEP=1 keeps the site's directory.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_WP_CONNS:-8}
SITE=${MC_WPSITE:-$REPO/tests/wordpress/wpsite.py}

say() { printf '%s\n' "$*"; }
die() { say "bench_wordpress: $*" >&2; exit 1; }

command -v wrk >/dev/null || die "wrk is missing (sh build-aux/deps.sh installs it)"
why=$(/usr/bin/python3 "$SITE" check) || die "the WordPress site cannot run here: $why"

RUN=$(mktemp -d /tmp/mc-bench-wp-XXXXXX)
stop() {
  /usr/bin/python3 "$SITE" stop "$RUN" >/dev/null 2>&1
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$RUN"
}
trap stop EXIT
trap 'exit 130' INT TERM

info=$(/usr/bin/python3 "$SITE" start "$RUN") || die "the WordPress site did not start"
field() { /usr/bin/python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$info" "$1"; }
ON=$(field url)
OFF=$(field off_url)
# WordPress answers its own host only (others get a redirect to it): the
# off port is asked under the on port's name
HOST=${ON#http://}
HOST=${HOST%/}

COOKIE=$(curl -s -D - -o /dev/null -X POST -H 'Content-Type: application/json' \
  --data '{"method":"accept_all"}' "${ON}_consent/decision" |
  tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: *\(consent=[^;]*\).*/\1/p' | head -1)
[ -n "$COOKIE" ] || die "POST /_consent/decision set no consent cookie"

# what each variant gets, once: the module did its work where it should
check() { # url cookie -> "bytes held"
  local body
  body=$(curl -s -H "Host: $HOST" ${2:+-H "Cookie: $2"} "$1")
  printf '%s %s\n' "${#body}" "$(grep -o 'data-consent="' <<<"$body" | wc -l)"
}
declare -A URL=([off]=$OFF [on]=$ON [accepted]=$ON)
declare -A CK=([off]="" [on]="" [accepted]=$COOKIE)
VARIANTS=(off on accepted)
say "WordPress front page, $(nproc) cores shared by wrk, httpd, php-fpm and MariaDB"
for v in "${VARIANTS[@]}"; do
  read -r bytes held < <(check "${URL[$v]}" "${CK[$v]}")
  say "  $v: $bytes bytes, held-back elements $held"
done

run_wrk() { # variant seconds -> requests per second
  local v=$1
  wrk "-t$THREADS" "-c$CONNS" "-d$2s" --timeout 10s -H "Host: $HOST" ${CK[$v]:+-H "Cookie: ${CK[$v]}"} \
    -s "$HERE/wrk_report.lua" "${URL[$v]}" 2>&1 |
    sed -n 's/^MCBENCH requests=\([0-9]*\) duration_us=\([0-9]*\).*/\1 \2/p' |
    awk '{ if ($2 > 0) printf "%.1f\n", $1 * 1000000 / $2 }'
}

declare -A RPS
for v in "${VARIANTS[@]}"; do run_wrk "$v" "$WARMUP" >/dev/null; done
for r in $(seq "$ROUNDS"); do
  for v in "${VARIANTS[@]}"; do
    x=$(run_wrk "$v" "$DURATION")
    [ -n "$x" ] || die "round $r $v: wrk gave no result"
    RPS[$v]="${RPS[$v]:-} $x"
    say "  round $r $v: $x req/s"
  done
done

median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
say ""
say "| WordPress front page (wrk -t$THREADS -c$CONNS, ${DURATION}s x $ROUNDS) | req/s (median) | vs off |"
say "|---|---|---|"
base=$(median <<<"${RPS[off]}")
for v in "${VARIANTS[@]}"; do
  m=$(median <<<"${RPS[$v]}")
  say "| $v | $m | $(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }') |"
done
