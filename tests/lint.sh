#!/bin/bash
# Static analysis of the module, the core and the tool: cppcheck and
# clang-tidy must both be quiet, and every error-log message number
# (MCLOGNO) must be used once, with the next free one on file.
set -euo pipefail
cd "$(dirname "$0")/.."
CFLAGS="-std=gnu11 $(pkg-config --cflags apr-1 apr-util-1 libpcre2-8 jansson libcrypto libidn2 check)"
INC="-Imod_consent/core -I$(apxs -q INCLUDEDIR 2>/dev/null || echo /usr/include/apache2) -I."
SOURCES=$(ls mod_consent/*.c mod_consent/core/*.c mod_consent/tools/*.c | grep -v -e builtin_data.c -e entities_data.c)

python3 tests/lint_mclogno.py
python3 tests/lint_includes.py

cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
  --inline-suppr --suppress=varFuncNullUB --std=c11 -D__GNUC__ -Imod_consent/core $SOURCES

status=0
for f in $SOURCES; do
  out=$(clang-tidy --quiet "$f" -- $CFLAGS $INC 2>&1) || status=1
  # clang-tidy prints a count of suppressed system-header warnings even when clean
  if echo "$out" | grep -qE 'warning:|error:'; then echo "$out"; status=1; fi
done
exit $status
