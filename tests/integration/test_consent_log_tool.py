"""consent-log as an auditor and a site admin use it, on logs the module really wrote.

Two servers (chains "web-a" and "web-b") make real decisions; the tests cut,
shuffle, compress, wrap in syslog lines and load into databases what they
wrote, and check what the tool says against numbers computed here.
"""
import collections
import gzip
import hashlib
import json
import re
import sqlite3
import subprocess
from html.parser import HTMLParser

import pytest

from harness import CONSENT_LOG_TOOL, REPO, consent_cookie, decide

SQLITE_SCHEMA = REPO / "conf" / "sql" / "sqlite.sql"
HOSTILE = "<script>alert('log')</script>"
CHAIN_LINE = re.compile(r"^chain '([^']*)': (\d+) records?, first (\S+), last (\S+), (.*)$", re.M)


pytestmark = pytest.mark.usefixtures("consent_log_built")


def run_tool(*args, stdin=None):
    """(exit status, stdout, stderr); STDIN as bytes."""
    p = subprocess.run([str(CONSENT_LOG_TOOL), *map(str, args)], capture_output=True,
                       timeout=60, input=stdin)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def make_decisions(srv, n, offset):
    """N decisions of varied methods, categories and languages; some visitors decide twice."""
    plan = [("accept_all", None), ("reject_all", None), ("custom", ["statistics"]),
            ("custom", ["marketing", "preferences"]), ("accept_all", None)]
    for i in range(n):
        method, granted = plan[(i + offset) % len(plan)]
        headers = {"Accept-Language": ["nb", "en", "nn"][i % 3],
                   "User-Agent": "agent-%d %s" % (i, HOSTILE)}
        resp = decide(srv, method, granted, headers=headers)
        assert resp.status == 200, resp
        if i % 4 == 3:  # the same visitor withdraws
            cookie = "consent=" + consent_cookie(resp)
            resp = decide(srv, "reject_all", headers={"Cookie": cookie, **headers})
            assert resp.status == 200, resp


@pytest.fixture(scope="module")
def logs(module_server_factory):
    """{chain name: [record lines]} written by two real servers."""
    out = {}
    for name, n, offset in (("web-a", 9, 0), ("web-b", 6, 2)):
        srv = module_server_factory("clt-" + name, global_conf="ConsentLogChain %s\n" % name)
        make_decisions(srv, n, offset)
        out[name] = srv.consent_log_lines()
        assert len(out[name]) >= n
        assert all(json.loads(l)["chain"] == name for l in out[name])
    return out


def write(path, lines):
    path.write_text("".join(l + "\n" for l in lines))
    return path


def interleave(a, b):
    out = []
    for i in range(max(len(a), len(b))):
        out += a[i:i + 1] + b[i:i + 1]
    return out


def chain_lines(out):
    return {m.group(1): m for m in CHAIN_LINE.finditer(out)}


def seal(rec):
    """A record dict (without "hash") as a line with its hash, as the module writes it."""
    body = json.dumps(rec, separators=(",", ":"), ensure_ascii=False)
    head = body[:-1]
    digest = hashlib.sha256(head.encode()).hexdigest()
    return head + ',"hash":"%s"}' % digest


def follow(last_line, **changes):
    """A good record chained after LAST_LINE, with CHANGES to its fields."""
    last = json.loads(last_line)
    rec = {k: v for k, v in last.items() if k != "hash"}
    rec.update(changes)
    rec["prev"] = last["hash"]
    rec = {k: rec.pop(k) for k in list(rec) if k != "prev"} | {"prev": rec["prev"]}
    return seal(rec)


# ---- verify: chains --------------------------------------------------------------------

def test_interleaved_chains_are_verified_each_on_its_own(logs, tmp_path):
    path = write(tmp_path / "both.log", interleave(logs["web-a"], logs["web-b"]))
    rc, out, err = run_tool("verify", path)
    assert rc == 0, out + err
    chains = chain_lines(out)
    assert set(chains) == {"web-a", "web-b"}, out
    for name, lines in logs.items():
        m = chains[name]
        assert int(m.group(2)) == len(lines), out
        assert m.group(3) == json.loads(lines[0])["time"]
        assert m.group(4) == json.loads(lines[-1])["time"]
        assert "first record" in m.group(5) and "mid-way" not in m.group(5), out


def test_several_servers_files_given_together(logs, tmp_path):
    a = write(tmp_path / "a.log", logs["web-a"])
    b = write(tmp_path / "b.log", logs["web-b"])
    rc, out, err = run_tool("verify", b, a)
    assert rc == 0, out + err
    assert set(chain_lines(out)) == {"web-a", "web-b"}


def test_a_chain_given_from_the_middle_says_so_and_passes(logs, tmp_path):
    path = write(tmp_path / "late.log", logs["web-a"][3:])
    rc, out, err = run_tool("verify", path)
    assert rc == 0, out + err
    m = chain_lines(out)["web-a"]
    assert int(m.group(2)) == len(logs["web-a"]) - 3
    assert "mid-way" in m.group(5) and "late.log:1" in m.group(5), out


def test_a_broken_chain_names_the_first_bad_file_and_line(logs, tmp_path):
    mixed = interleave(logs["web-a"], logs["web-b"])
    victim = next(i for i, l in enumerate(mixed) if json.loads(l)["chain"] == "web-b" and i > 2)
    del mixed[victim]  # a web-b record vanishes: the next web-b record is the bad one
    nxt = next(i for i in range(victim, len(mixed)) if json.loads(mixed[i])["chain"] == "web-b")
    path = write(tmp_path / "mixed.log", mixed)
    rc, out, err = run_tool("verify", path)
    assert rc == 1, out + err
    first_bad = [l for l in out.splitlines() if l.startswith("bad:")][0]
    assert "mixed.log:%d:" % (nxt + 1) in first_bad and "web-b" in first_bad, out


# ---- verify: rotated, compressed, standard input ---------------------------------------

@pytest.fixture
def rotated(logs, tmp_path):
    """web-a's log cut as logrotate leaves it: consent.log, consent.log.1, consent.log.2.gz."""
    lines = logs["web-a"]
    third = len(lines) // 3
    oldest, middle, newest = lines[:third], lines[third:2 * third], lines[2 * third:]
    d = tmp_path / "rot"
    d.mkdir()
    with gzip.open(d / "consent.log.2.gz", "wt") as f:
        f.write("".join(l + "\n" for l in oldest))
    write(d / "consent.log.1", middle)
    write(d / "consent.log", newest)
    return d


def test_rotated_pieces_given_newest_first_verify_in_chain_order(rotated, logs):
    names = [rotated / "consent.log", rotated / "consent.log.1", rotated / "consent.log.2.gz"]
    rc, out, err = run_tool("verify", *names)
    assert rc == 0, out + err
    order = [l for l in out.splitlines() if l.startswith("order:")]
    assert order, "the tool does not say it reordered the pieces:\n" + out
    assert order[0].index("consent.log.2.gz") < order[0].index("consent.log.1") \
        < order[0].rindex("consent.log"), order
    m = chain_lines(out)["web-a"]
    assert int(m.group(2)) == len(logs["web-a"]) and "first record" in m.group(5), out


def test_pieces_in_chain_order_are_not_reported_as_reordered(rotated):
    rc, out, err = run_tool("verify", rotated / "consent.log.2.gz", rotated / "consent.log.1",
                            rotated / "consent.log")
    assert rc == 0, out + err
    assert "order:" not in out


def test_a_missing_middle_piece_is_found(rotated):
    rc, out, err = run_tool("verify", rotated / "consent.log", rotated / "consent.log.2.gz")
    assert rc == 1, out + err
    first_bad = [l for l in out.splitlines() if l.startswith("bad:")][0]
    assert str(rotated / "consent.log") + ":1:" in first_bad, out


def test_standard_input_plain_and_gzipped(logs):
    text = "".join(l + "\n" for l in logs["web-b"])
    for data in (text.encode(), gzip.compress(text.encode())):
        rc, out, err = run_tool("verify", "-", stdin=data)
        assert rc == 0, out + err
        assert int(chain_lines(out)["web-b"].group(2)) == len(logs["web-b"])


def test_a_damaged_gzip_piece_is_unreadable_input(rotated, tmp_path):
    data = (rotated / "consent.log.2.gz").read_bytes()
    cut = tmp_path / "cut.gz"
    cut.write_bytes(data[:len(data) // 2])
    rc, out, err = run_tool("verify", cut)
    assert rc == 2, out + err
    assert err.startswith("consent-log: ") and "cut.gz" in err


# ---- syslog -------------------------------------------------------------------------------

def syslog_file(path, lines):
    """Records as rsyslog writes them, among other programs' lines."""
    out = []
    for i, line in enumerate(lines):
        if i % 2:
            out.append("Nov 24 10:00:%02d web-1 mod_consent[%d]: %s" % (i, 4000 + i, line))
        else:
            out.append("2026-11-24T10:00:%02d.123456+00:00 web-1 mod_consent: %s" % (i, line))
        out.append("Nov 24 10:00:%02d web-1 sshd[77]: Accepted publickey for {admin}" % i)
        out.append("Nov 24 10:00:%02d web-1 not_mod_consent[5]: {\"id\":\"x\"}" % i)
    out.append("Nov 24 10:01:00 web-1 CRON[9]: (root) CMD (run-parts /etc/cron.hourly)")
    return write(path, out)


def test_syslog_file_verifies_with_other_programs_lines_mixed_in(logs, tmp_path):
    path = syslog_file(tmp_path / "syslog", logs["web-a"])
    rc, out, err = run_tool("verify", "--syslog", path)
    assert rc == 0, out + err
    assert int(chain_lines(out)["web-a"].group(2)) == len(logs["web-a"])
    rc, out, err = run_tool("verify", path)
    assert rc == 1, "without --syslog every line must be a record:\n" + out


def test_find_reads_syslog_too(logs, tmp_path):
    path = syslog_file(tmp_path / "syslog", logs["web-a"])
    visitor = json.loads(logs["web-a"][0])["id"]
    rc, out, err = run_tool("find", visitor, "--syslog", path)
    assert rc == 0, out + err
    expected = [l for l in logs["web-a"] if json.loads(l)["id"] == visitor]
    assert out.splitlines() == expected


def test_find_answers_an_access_request_across_rotated_pieces(rotated, logs):
    by_id = collections.Counter(json.loads(l)["id"] for l in logs["web-a"])
    visitor = next(i for i, n in by_id.items() if n >= 2)
    rc, out, err = run_tool("find", visitor, rotated / "consent.log.2.gz",
                            rotated / "consent.log.1", rotated / "consent.log")
    assert rc == 0, out + err
    assert out.splitlines() == [l for l in logs["web-a"] if json.loads(l)["id"] == visitor]
    rc, out, err = run_tool("find", "A" * 22, rotated / "consent.log")
    assert rc == 1 and out == "", out + err


# ---- stats --------------------------------------------------------------------------------

def expected_stats(lines):
    recs = [json.loads(l) for l in lines]
    methods = collections.Counter(r["method"] for r in recs)
    cats = collections.defaultdict(lambda: [0, 0])
    for r in recs:
        for c in r["granted"]:
            cats[c][0] += 1
        for c in r["refused"]:
            cats[c][1] += 1
    days = collections.defaultdict(collections.Counter)
    for r in recs:
        days[r["time"][:10]][r["method"]] += 1
    return {
        "records": len(recs),
        "ids": len({r["id"] for r in recs}),
        "first": min(r["time"] for r in recs),
        "last": max(r["time"] for r in recs),
        "chains": collections.Counter(r.get("chain", "") for r in recs),
        "methods": methods,
        "categories": {k: tuple(v) for k, v in cats.items()},
        "days": days,
        "langs": collections.Counter(r["lang"] for r in recs),
    }


def assert_stats_json(got, exp):
    assert got["records"] == exp["records"]
    assert got["distinct_ids"] == exp["ids"]
    assert got["first"] == exp["first"] and got["last"] == exp["last"]
    assert got["chains"] == dict(exp["chains"])
    for method, v in got["methods"].items():
        assert v["count"] == exp["methods"].get(method, 0), method
        assert v["rate"] == pytest.approx(exp["methods"].get(method, 0) / exp["records"])
    assert set(got["categories"]) == set(exp["categories"])
    for name, (granted, refused) in exp["categories"].items():
        c = got["categories"][name]
        assert (c["granted"], c["refused"]) == (granted, refused), name
        assert c["acceptance"] == pytest.approx(granted / (granted + refused))
    nonzero = {d["day"]: d for d in got["days"] if d["total"]}
    assert set(nonzero) == set(exp["days"])
    for day, counts in exp["days"].items():
        assert nonzero[day]["total"] == sum(counts.values())
        for method, n in counts.items():
            assert nonzero[day][method] == n
    assert got["languages"] == dict(exp["langs"])


def test_stats_json_equals_the_numbers_of_the_records(logs, tmp_path):
    lines = interleave(logs["web-a"], logs["web-b"])
    path = write(tmp_path / "both.log", lines)
    rc, out, err = run_tool("stats", "--json", path)
    assert rc == 0, out + err
    got = json.loads(out)
    assert got["bad"] == 0
    assert_stats_json(got, expected_stats(lines))


def test_stats_text_report_names_the_totals(logs, tmp_path):
    path = write(tmp_path / "a.log", logs["web-a"])
    rc, out, err = run_tool("stats", path)
    assert rc == 0, out + err
    exp = expected_stats(logs["web-a"])
    assert re.search(r"^records: %d$" % exp["records"], out, re.M), out
    assert re.search(r"^distinct consent ids: %d$" % exp["ids"], out, re.M), out
    for method, n in exp["methods"].items():
        assert re.search(r"^%s\s+%d\s" % (method, n), out, re.M), (method, out)


def test_stats_skips_bad_records_reports_them_and_exits_1(logs, tmp_path):
    lines = list(logs["web-b"])
    edited = lines[2].replace('"policy":"1"', '"policy":"9"')
    assert edited != lines[2]
    path = write(tmp_path / "bad.log", lines[:2] + [edited] + lines[3:])
    rc, out, err = run_tool("stats", "--json", path)
    assert rc == 1, out + err
    assert "bad.log:3" in err, err
    got = json.loads(out)
    assert got["records"] == len(lines) - 1 and got["bad"] >= 1
    assert_stats_json(got, expected_stats(lines[:2] + lines[3:]))


class PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []          # (tag, attrs)
        self.svgs = []          # [title text]
        self.tables = {}        # caption -> [[cell texts]]
        self.texts = []
        self._stack = []
        self._table = None
        self._row = None
        self._cell = None
        self._caption = None
        self._title = None
        self.style = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._stack.append(tag)
        if tag == "svg":
            self.svgs.append("")
        elif tag == "title" and "svg" in self._stack:
            self._title = ""
        elif tag == "table":
            self._table = []
        elif tag == "caption":
            self._caption = ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()
        if tag == "title" and self._title is not None:
            if self.svgs and not self.svgs[-1]:
                self.svgs[-1] = self._title
            self._title = None
        elif tag == "caption":
            self._caption_done = self._caption
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self.tables[getattr(self, "_caption_done", None) or len(self.tables)] = self._table
            self._caption_done = None
            self._table = None

    def handle_data(self, data):
        self.texts.append(data)
        if self._stack and self._stack[-1] == "style":
            self.style += data
        for name in ("_title", "_caption", "_cell"):
            if getattr(self, name) is not None:
                setattr(self, name, getattr(self, name) + data)


@pytest.fixture
def hostile_log(logs, tmp_path):
    """web-a's log plus two good records carrying markup in "lang" and "policy"."""
    lines = list(logs["web-a"])
    lines.append(follow(lines[-1], lang=HOSTILE))
    lines.append(follow(lines[-1], lang='"><img src=x onerror=alert(1)>', policy="</style>"))
    path = write(tmp_path / "hostile.log", lines)
    rc, out, err = run_tool("verify", path)
    assert rc == 0, "the crafted records must be good ones:\n" + out + err
    return path, lines


def test_html_page_is_self_contained_accessible_and_matches_the_numbers(hostile_log, tmp_path):
    path, lines = hostile_log
    page_path = tmp_path / "report.html"
    rc, out, err = run_tool("stats", "--html", page_path, path)
    assert rc == 0, out + err
    page = page_path.read_text()
    parser = PageParser()
    parser.feed(page)
    parser.close()
    tags = [t for t, _ in parser.tags]
    # nothing runs, nothing is fetched
    assert "script" not in tags and "iframe" not in tags and "link" not in tags, tags
    for tag, attrs in parser.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert not re.search(r"(?i)(://|^//|javascript:|url\()", value or ""), (tag, name, value)
            assert name not in ("src", "href", "xlink:href", "action"), (tag, name, value)
    assert not re.search(r"(?i)url\(|@import|://", parser.style), parser.style
    # one chart of each kind, each labelled, each with a table beside it
    titles = sorted(parser.svgs)
    assert titles == ["Acceptance per category", "Decisions per day by method"], titles
    for tag, attrs in parser.tags:
        if tag == "svg":
            a = dict(attrs)
            assert a.get("role") == "img" and a.get("aria-labelledby"), a
    exp = expected_stats(lines)
    daily = parser.tables["Decisions per day"]
    header = daily[0]
    rows = {r[0]: dict(zip(header, r)) for r in daily[1:]}
    for day, counts in exp["days"].items():
        assert int(rows[day]["total"]) == sum(counts.values()), (day, rows[day])
        for method, n in counts.items():
            assert int(rows[day][method]) == n, (day, method)
    cats = {r[0]: r for r in parser.tables["Acceptance per category"][1:]}
    assert set(cats) == set(exp["categories"])
    for name, (granted, refused) in exp["categories"].items():
        assert (int(cats[name][1]), int(cats[name][2])) == (granted, refused), name
        assert cats[name][3] == "%.1f%%" % (100.0 * granted / (granted + refused)), cats[name]
    # the markup from the log is text on the page, not markup
    assert HOSTILE in parser.texts or any(HOSTILE in t for t in parser.texts)
    assert "<img" not in page and "onerror=alert" not in [n for _, a in parser.tags for n, _ in a]
    assert page.count("<style>") == 1 and page.count("</style>") == 1


def test_html_for_a_year_of_days_thins_the_axis_labels(logs, tmp_path):
    first = logs["web-b"][-1]
    t = json.loads(first)["time"]
    year = int(t[:4]) + 1
    later = follow(first, time="%d%s" % (year, t[4:]))
    path = write(tmp_path / "year.log", logs["web-b"] + [later])
    page_path = tmp_path / "year.html"
    rc, out, err = run_tool("stats", "--html", page_path, path)
    assert rc == 0, out + err
    page = page_path.read_text()
    chart = page[page.index("Decisions per day by method"):page.index("</svg>")]
    labels = re.findall(r'text-anchor="middle">(\d{4}-\d\d-\d\d)<', chart)
    assert 3 <= len(labels) <= 12, labels
    daily = PageParser()
    daily.feed(page)
    assert len(daily.tables["Decisions per day"]) - 1 >= 365


# ---- databases ----------------------------------------------------------------------------

def db_rows(lines):
    """Rows of the consent_log table for LINES, as the dbd target writes them."""
    seqs = collections.Counter()
    rows = []
    for line in lines:
        r = json.loads(line)
        seqs[r["chain"]] += 1
        t = r["time"].replace("T", " ").rstrip("Z")
        rows.append((r["chain"], seqs[r["chain"]], t, t[:10], r["id"], r["policy"], r["method"],
                     r["lang"], " ".join(r["granted"]), " ".join(r["refused"]), line, r["hash"]))
    return rows


INSERT = "INSERT INTO consent_log (chain, seq, time, day, id, policy, method, lang, granted, " \
         "refused, record, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"


@pytest.fixture
def sqlite_db(logs, tmp_path):
    assert SQLITE_SCHEMA.exists(), "conf/sql/sqlite.sql is missing"
    path = tmp_path / "consent.db"
    db = sqlite3.connect(path)
    db.executescript(SQLITE_SCHEMA.read_text())
    lines = interleave(logs["web-a"], logs["web-b"])
    db.executemany(INSERT, db_rows(lines))
    db.commit()
    db.close()
    return path, lines


def test_sqlite_database_verifies_finds_and_counts(sqlite_db, tmp_path):
    path, lines = sqlite_db
    spec = "sqlite3:%s" % path
    rc, out, err = run_tool("verify", "--db", spec)
    assert rc == 0, out + err
    chains = chain_lines(out)
    by_chain = collections.Counter(json.loads(l)["chain"] for l in lines)
    assert {k: int(m.group(2)) for k, m in chains.items()} == dict(by_chain), out
    visitor = json.loads(lines[0])["id"]
    rc, out, err = run_tool("find", visitor, "--db", spec)
    assert rc == 0, out + err
    assert sorted(out.splitlines()) == sorted(l for l in lines if json.loads(l)["id"] == visitor)
    rc, out, err = run_tool("stats", "--json", "--db", spec)
    assert rc == 0, out + err
    assert_stats_json(json.loads(out), expected_stats(lines))


@pytest.mark.parametrize("damage, says", [
    ("UPDATE consent_log SET record = replace(record, '\"policy\":\"1\"', '\"policy\":\"2\"') "
     "WHERE chain = 'web-a' AND seq = 3", "seq 3"),
    ("DELETE FROM consent_log WHERE chain = 'web-b' AND seq = 2", "seq 3"),
    ("UPDATE consent_log SET id = 'AAAAAAAAAAAAAAAAAAAAAA' WHERE chain = 'web-a' AND seq = 4",
     "seq 4"),
    ("UPDATE consent_log SET hash = replace(hash, substr(hash, 1, 1), 'x') "
     "WHERE chain = 'web-b' AND seq = 5", "seq 5"),
])
def test_an_edited_sqlite_row_is_detected(sqlite_db, damage, says):
    path, _ = sqlite_db
    db = sqlite3.connect(path)
    assert db.execute(damage).rowcount == 1
    db.commit()
    db.close()
    rc, out, err = run_tool("verify", "--db", "sqlite3:%s" % path)
    assert rc == 1, out + err
    first_bad = [l for l in out.splitlines() if l.startswith("bad:")][0]
    assert says in first_bad, out


def pg_literal(text):
    return "'" + text.replace("'", "''") + "'"


def test_postgresql_database_verifies_and_an_edited_row_is_detected(postgres, logs):
    conninfo = postgres.new_database("mc_clt_tool")
    lines = interleave(logs["web-a"], logs["web-b"])
    values = ",".join("(%s)" % ",".join(pg_literal(str(v)) for v in row) for row in db_rows(lines))
    postgres.query(conninfo, "INSERT INTO consent_log (chain, seq, time, day, id, policy, method, "
                             "lang, granted, refused, record, hash) VALUES " + values)
    spec = "pgsql:" + conninfo
    rc, out, err = run_tool("verify", "--db", spec)
    assert rc == 0, out + err
    assert set(chain_lines(out)) == {"web-a", "web-b"}
    rc, out, err = run_tool("stats", "--json", "--db", spec)
    assert rc == 0, out + err
    assert_stats_json(json.loads(out), expected_stats(lines))
    visitor = json.loads(lines[-1])["id"]
    rc, out, err = run_tool("find", visitor, "--db", spec)
    assert rc == 0 and lines[-1] in out.splitlines(), out + err
    postgres.query(conninfo, "UPDATE consent_log SET record = replace(record, '\"method\":\"', "
                             "'\"method\":\"x') WHERE chain = 'web-b' AND seq = 2")
    rc, out, err = run_tool("verify", "--db", spec)
    assert rc == 1, out + err
    assert "chain 'web-b' seq 2" in [l for l in out.splitlines() if l.startswith("bad:")][0], out


def test_a_wrong_database_password_is_exit_2_and_never_printed(postgres):
    conninfo = postgres.new_database("mc_clt_pw")
    secret = "Wr0ng-Secret-4711"
    bad = re.sub(r"password=\S+", "password=" + secret, conninfo)
    rc, out, err = run_tool("verify", "--db", "pgsql:" + bad)
    assert rc == 2, out + err
    assert err.startswith("consent-log: ") and "password" in err
    assert secret not in out + err


# ---- usage, help, errors --------------------------------------------------------------------

@pytest.mark.parametrize("args, says", [
    ([], "no command"),
    (["frobnicate"], "unknown command"),
    (["verify"], "no FILE"),
    (["verify", "--bogus", "x.log"], "unknown option"),
    (["find"], "needs an ID"),
    (["find", "not-an-id", "x.log"], "not a consent id"),
    (["verify", "/nonexistent/consent.log"], "cannot open /nonexistent/consent.log"),
    (["verify", "--db", "nosuchdriver:x"], "no database driver 'nosuchdriver'"),
    (["verify", "--db", "sqlite3:/nonexistent/consent.db"], "/nonexistent/consent.db"),
    (["verify", "--db"], "needs a value"),
    (["verify", "--db", "sqlite3:/x.db", "x.log"], "not both"),
    (["stats", "--html", "/nonexistent/dir/page.html", "-"], "cannot write"),
])
def test_bad_usage_and_unreadable_input_are_exit_2(args, says):
    rc, out, err = run_tool(*args, stdin=b"")
    assert rc == 2, (args, out, err)
    assert err.startswith("consent-log: ") and says in err, err


def test_a_database_without_the_table_is_exit_2(tmp_path):
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    rc, out, err = run_tool("verify", "--db", "sqlite3:%s" % path)
    assert rc == 2 and "consent_log" in err, out + err


@pytest.mark.parametrize("flag", ["--help", "-h", "help"])
def test_help_explains_commands_options_and_exit_status(flag):
    rc, out, err = run_tool(flag)
    assert rc == 0, err
    for word in ("verify", "find", "stats", "--db", "--syslog", "--html", "--json",
                 "access request", "exit status", "consent-log find "):
        assert word in out, word


def test_version():
    rc, out, _ = run_tool("--version")
    assert rc == 0 and re.match(r"^consent-log \(mod_consent\) \d+\.\d+", out), out


def test_man_page_renders_cleanly():
    page = REPO / "docs" / "consent-log.1"
    p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(page)], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    text = page.read_text()
    for word in ("EXIT STATUS", "--db", "--syslog", "--html", "find"):
        assert word.replace("-", "\\-") in text or word in text, word


@pytest.mark.parametrize("spec", [
    "pgsql:host=127.0.0.1 port=1 dbname=x user=u password=Secr3t-99",
    "pgsql:host=127.0.0.1 port=1 dbname=x user=u password='Secr3t-99 x'",
    "pgsql:postgresql://u:Secr3t-99@127.0.0.1:1/x",
])
def test_an_unreachable_database_is_exit_2_without_the_password(spec):
    rc, out, err = run_tool("verify", "--db", spec)
    assert rc == 2, out + err
    assert err.startswith("consent-log: cannot connect") and "127.0.0.1" in err, err
    assert "Secr3t" not in out + err, err
