#!/bin/bash
# Installs what is missing, builds, and runs every test layer of mod_consent:
#   unit (check) · sanitizers (ASan+UBSan) · fuzzing (libFuzzer) · lint ·
#   integration (apache2) · browser (headless Chromium)
# Ends with one line "N passed, N failed"; exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
LOGDIR=$ROOT/tests/artifacts
mkdir -p "$LOGDIR"

passed=0
failed=0
failures=()

note() { printf '\n=== %s ===\n' "$*"; }
count() { # layer passed failed
  passed=$((passed + $2)); failed=$((failed + $3))
  [ "$3" -eq 0 ] || failures+=("$1: $3 failed")
}
# "Checks: 57, Failures: 1, Errors: 0" -> passed failed
check_counts() {
  local line total bad
  line=$(grep -Eo 'Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$1" | tail -1)
  if [ -z "$line" ]; then echo "0 1"; return; fi
  total=$(echo "$line" | sed -E 's/Checks: ([0-9]+).*/\1/')
  bad=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+), Errors: ([0-9]+)/\1 \2/' | awk '{print $1 + $2}')
  echo "$((total - bad)) $bad"
}

note "dependencies"
sh build-aux/deps.sh || { echo "dependency installation failed"; exit 2; }

note "build"
if ! sh build-aux/build.sh; then
  echo "build failed"; echo "0 passed, 1 failed"; exit 1
fi
make -s tests/unit/check_consent >/dev/null || { echo "0 passed, 1 failed"; exit 1; }

note "unit tests (check)"
CK_DEFAULT_TIMEOUT=60 tests/unit/check_consent 2>&1 | tee "$LOGDIR/unit.log"
read -r p f < <(check_counts "$LOGDIR/unit.log")
count unit "$p" "$f"

note "unit tests under ASan + UBSan"
make -s check-asan 2>&1 | tee "$LOGDIR/asan.log"
read -r p f < <(check_counts "$LOGDIR/asan.log")
grep -q 'ERROR: AddressSanitizer\|runtime error:' "$LOGDIR/asan.log" && { p=0; f=$((f + 1)); }
count sanitizers "$p" "$f"

note "the rewriter's portable byte loops (no SSE2)"
make -s check-nosimd 2>&1 | tee "$LOGDIR/nosimd.log"
read -r p f < <(check_counts "$LOGDIR/nosimd.log")
count nosimd "$p" "$f"

# run_fuzzer TARGET LOG WHAT SECONDS: one libFuzzer target, bounded in time
run_fuzzer() {
  note "fuzzing $3 (libFuzzer, $4 s)"
  if make -s "$1" FUZZ_SECONDS="$4" > "$LOGDIR/$2.log" 2>&1; then
    grep -E '^Done|number_of_executed_units|new_units_added' "$LOGDIR/$2.log"
    count fuzz 1 0
  else
    tail -40 "$LOGDIR/$2.log"; count fuzz 0 1
  fi
}
run_fuzzer fuzz fuzz "the HTML rewriter" "${FUZZ_SECONDS:-60}"
run_fuzzer fuzz-record fuzz-record "the consent-log readers" "${FUZZ_RECORD_SECONDS:-30}"
run_fuzzer fuzz-css fuzz-css "the CSS URL scanner" "${FUZZ_CSS_SECONDS:-20}"
run_fuzzer fuzz-charset fuzz-charset "the charset reader" "${FUZZ_CHARSET_SECONDS:-15}"

note "lint (cppcheck, clang-tidy)"
if bash tests/lint.sh > "$LOGDIR/lint.log" 2>&1; then
  count lint 1 0; echo "lint clean"
else
  cat "$LOGDIR/lint.log"; count lint 0 1
fi

note "integration tests (apache2)"
/usr/bin/python3 -m pytest -q -rfE -p no:cacheprovider tests/integration 2>&1 | tee "$LOGDIR/integration.log"
summary=$(grep -E '^[=]* ?[0-9]+ (passed|failed)|[0-9]+ passed|[0-9]+ failed' "$LOGDIR/integration.log" | tail -1)
p=$(echo "$summary" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+' || echo 0)
f=$(echo "$summary" | grep -Eo '[0-9]+ (failed|errors?)' | awk '{s += $1} END {print s + 0}')
[ -n "$summary" ] || f=1
count integration "${p:-0}" "${f:-0}"
# pytest names each failure in its short summary; keep those lines for the end
integration_failures=$(grep -E '^(FAILED|ERROR) ' "$LOGDIR/integration.log" | cut -c1-300)

note "browser tests (headless Chromium)"
# node's own runner; its TAP summary ends with "# pass N" and "# fail N".
# The files are named one by one: newer node takes globs, not directories.
# Bounded: the leak corpus alone loads some 150 pages several ways in two
# policy modes; the whole layer takes 15-20 minutes on two cores (more when
# the machine is shared).
timeout 2700 node --test --test-reporter=tap tests/browser/*.test.mjs 2>&1 | tee "$LOGDIR/browser.log"
p=$(grep -Eo '^# pass [0-9]+' "$LOGDIR/browser.log" | tail -1 | grep -Eo '[0-9]+')
f=$(grep -Eo '^# (fail|cancelled) [0-9]+' "$LOGDIR/browser.log" | awk '{s += $3} END {print s + 0}')
[ -n "$p" ] || { echo "no summary from the browser tests: see $LOGDIR/browser.log"; p=0; f=$((f + 1)); }
if [ "$f" -gt 0 ]; then
  # again at the end, where a log's tail shows it: each failure (a test, or
  # a whole file that failed outside its tests) with the lines that say why
  note "browser failures"
  awk '/^# Error/ {print} /^ *not ok / && !/# TODO/ {n = 30} n > 0 {print; n--}' "$LOGDIR/browser.log" | cut -c1-300
fi
count browser "$p" "$f"

if [ -n "$integration_failures" ]; then
  note "integration failures"
  echo "$integration_failures"
fi
echo
for line in "${failures[@]+"${failures[@]}"}"; do echo "FAILED: $line"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
