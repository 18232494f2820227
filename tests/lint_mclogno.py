#!/usr/bin/env python3
"""Checks the error-log message numbers of the module (MCLOGNO, in the
spirit of httpd's APLOGNO): an admin who greps the README or a search engine
for "MC00272" must find one message, and a new message must not take an old
number.

Fails (exit 1, one line per problem) when
  - a number is used at more than one place in mod_consent/ (a message
    logged from two places is one helper, not two numbers);
  - a number is not five digits;
  - an ap_log_error/ap_log_rerror/ap_log_perror/ap_log_cerror call at a
    level above debug carries no MCLOGNO (a pass-through of messages made
    elsewhere says so with a comment "MCLOGNO: passed on" in the call);
  - mod_consent/log-message-next-number is missing, or not above every
    number in use.
Run by tests/lint.sh, so by the test command.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SRC = ROOT / "mod_consent"
NEXT = SRC / "log-message-next-number"
CALL = re.compile(r"\bap_log_(?:r|p|c)?error\s*\(")
NUMBER = re.compile(r"MCLOGNO\(([0-9A-Za-z]*)\)")
QUIET_LEVELS = re.compile(r"APLOG_(?:DEBUG|TRACE[1-8])\b")


def call_text(text, start):
    """The call starting at START, up to its closing parenthesis."""
    depth, i = 0, text.index("(", start)
    while i < len(text):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
        i += 1
    return text[start:]


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def main():
    problems, used = [], {}
    for path in sorted(SRC.rglob("*.c")):
        rel = path.relative_to(ROOT)
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in NUMBER.finditer(text):
            where = "%s:%d" % (rel, line_of(text, m.start()))
            if not re.fullmatch(r"[0-9]{5}", m.group(1)):
                problems.append("%s: MCLOGNO(%s) is not five digits" % (where, m.group(1)))
                continue
            used.setdefault(m.group(1), []).append(where)
        for m in CALL.finditer(text):
            call = call_text(text, m.start())
            if "MCLOGNO" in call or "MCLOGNO: passed on" in call:
                continue
            if QUIET_LEVELS.search(call):
                continue
            problems.append("%s:%d: a log call without MCLOGNO" % (rel, line_of(text, m.start())))
    for number, places in sorted(used.items()):
        if len(places) > 1:
            problems.append("MCLOGNO(%s) is used %d times: %s" % (number, len(places), ", ".join(places)))
    try:
        next_number = NEXT.read_text(encoding="ascii").strip()
    except OSError as e:
        problems.append("%s: %s" % (NEXT.relative_to(ROOT), e.strerror))
        next_number = None
    if next_number is not None:
        if not re.fullmatch(r"[0-9]{5}", next_number):
            problems.append("%s: '%s' is not a five-digit number" % (NEXT.relative_to(ROOT), next_number))
        elif used and int(next_number) <= max(int(n) for n in used):
            problems.append("%s says %s, but %s is in use: take the next number from the file "
                            "and raise it" % (NEXT.relative_to(ROOT), next_number, max(used)))
    for p in problems:
        print(p)
    if not problems:
        print("MCLOGNO: %d numbers, each used once; next free %s" % (len(used), next_number))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
