/* consent-log: checks, searches and counts the consent log mod_consent
 * writes, from files (rotated, compressed, syslog) or from its database.
 *
 * It links the same core as the module: every record is judged by
 * mc_record_parse (through mc_logset), so the tool and the server can never
 * disagree on what a good record is. This file only reads lines and rows and
 * reports; the checking of chains across pieces is core/logset.c, the
 * numbers core/logstats.c, the HTML page core/logreport.c. */
#include <apr_dbd.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "chain.h"
#include "logset.h"
#include "logstats.h"
#include "token.h"

#ifndef MC_VERSION
#define MC_VERSION "unknown"
#endif

enum { EXIT_OK = 0, EXIT_BAD = 1, EXIT_USAGE = 2 };

#define READ_BLOCK 65536
#define PROBLEMS_SHOWN 10

static const char usage_text[] =
    "usage: consent-log verify [--syslog] FILE...\n"
    "       consent-log verify --db DRIVER:PARAMS\n"
    "       consent-log find ID [--syslog] FILE...\n"
    "       consent-log find ID --db DRIVER:PARAMS\n"
    "       consent-log stats [--json] [--html OUT] [--syslog] FILE...\n"
    "       consent-log stats [--json] [--html OUT] --db DRIVER:PARAMS\n"
    "       consent-log --help | --version\n";

static const char help_text[] =
    "\n"
    "Reads the consent log that mod_consent writes: one JSON record per consent\n"
    "decision, each chained to the one before it of the same server (\"chain\")\n"
    "by its \"prev\" and \"hash\" fields, so that an edited, removed or reordered\n"
    "record shows.\n"
    "\n"
    "commands:\n"
    "  verify   check every record and every chain; prints one line per chain\n"
    "           (records, first and last time, whether it starts at the first\n"
    "           record ever written or mid-way), or the first bad FILE:LINE\n"
    "  find ID  print every record of the consent id ID, oldest first: the answer\n"
    "           to a visitor's access request (the id is in their consent cookie\n"
    "           and shown on the site's consent page)\n"
    "  stats    counts and rates per method, per category (acceptance), per day\n"
    "           and per banner language, with totals, chains, first and last\n"
    "           time and the number of distinct consent ids; bad records are\n"
    "           reported and not counted\n"
    "  help     this text\n"
    "\n"
    "input:\n"
    "  FILE...           log files, in any order: rotated pieces (consent.log,\n"
    "                    consent.log.1, consent.log.2.gz ...) are put in chain order\n"
    "                    by their hashes; several servers' files may be given\n"
    "                    together. Gzip-compressed pieces are read as they are.\n"
    "                    '-' is standard input.\n"
    "  --syslog          the FILEs are syslog files: only lines tagged\n"
    "                    'mod_consent[PID]:' or 'mod_consent:' are read, the record\n"
    "                    from the first '{' after the tag; other lines are skipped\n"
    "  --db DRIVER:PARAMS  read the consent_log table instead of files, through\n"
    "                    APR's database drivers (pgsql, sqlite3, mysql if installed):\n"
    "                      pgsql:host=127.0.0.1 dbname=consent user=auditor password=...\n"
    "                      sqlite3:/var/lib/apache2/consent/consent.db\n"
    "                    verify also checks that seq has no gaps and that the chain,\n"
    "                    id and hash columns agree with the record\n"
    "\n"
    "stats output:\n"
    "  (default)         a plain-text report on standard output\n"
    "  --json            the numbers as one JSON object instead\n"
    "  --html OUT        also write a self-contained HTML page to OUT (charts and\n"
    "                    tables; no scripts, no external resources)\n"
    "\n"
    "examples:\n"
    "  consent-log verify /var/log/apache2/consent.log*\n"
    "  consent-log verify --syslog /var/log/syslog /var/log/syslog.1\n"
    "  consent-log find q3Zb9xY0nTL2kRr7vWc1dA /var/log/apache2/consent.log* > answer.txt\n"
    "  consent-log find q3Zb9xY0nTL2kRr7vWc1dA --db 'pgsql:dbname=consent user=auditor'\n"
    "  consent-log stats --html /tmp/consent.html /var/log/apache2/consent.log*\n"
    "  zcat consent.log.*.gz | consent-log verify -\n"
    "\n"
    "exit status:\n"
    "  0  verify: every record is good and every chain intact; find: found;\n"
    "     stats: every record was good\n"
    "  1  verify/stats: a bad record or a broken chain (the first bad place is\n"
    "     named); find: no record of ID\n"
    "  2  usage error, unreadable input or a database that cannot be reached\n"
    "\n"
    "See consent-log(1).\n";

typedef enum { CMD_VERIFY, CMD_FIND, CMD_STATS } command_t;

typedef struct options {
    command_t cmd;
    const char *id;   /* find */
    const char *db;   /* --db DRIVER:PARAMS */
    const char *html; /* --html OUT */
    int json, syslog;
    int nfiles;
    const char *const *files;
} options_t;

static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void complain(const char *fmt, ...)
{
    va_list ap;

    fputs("consent-log: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* ---- reading lines (plain or gzip, files or standard input) ---------------------------- */

/* Reads lines of any length; keeps at most MC_LINE_MAX bytes of each. */
typedef struct line_reader {
    const char *name;
    gzFile gz;
    char *block;
    size_t pos, fill;
    int eof;
    char *line;
    size_t len;
    uint64_t number;
    int too_long; /* the line had more than MC_LINE_MAX bytes */
    int torn;     /* the input ended without a '\n' after this line */
} line_reader_t;

/* zlib reads files that are not compressed as they are, so every input
 * goes through it; a piece is compressed or not whatever its name. */
static int reader_open(line_reader_t *r, apr_pool_t *p, const char *name)
{
    int fd;

    memset(r, 0, sizeof(*r));
    r->name = strcmp(name, "-") == 0 ? "(standard input)" : name;
    fd = strcmp(name, "-") == 0 ? dup(STDIN_FILENO) : open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        complain("cannot open %s: %s", r->name, strerror(errno));
        return 0;
    }
    r->gz = gzdopen(fd, "rb");
    if (!r->gz) {
        complain("cannot read %s: out of memory", r->name);
        close(fd);
        return 0;
    }
    r->block = apr_palloc(p, READ_BLOCK);
    r->line = apr_palloc(p, MC_LINE_MAX);
    return 1;
}

static int reader_fill(line_reader_t *r)
{
    int n = gzread(r->gz, r->block, READ_BLOCK);
    int zerr = Z_OK;
    const char *msg;

    if (n > 0) {
        r->pos = 0;
        r->fill = (size_t)n;
        return 1;
    }
    msg = gzerror(r->gz, &zerr);
    if (n == 0 && (zerr == Z_OK || zerr == Z_STREAM_END)) {
        r->eof = 1;
        return 1;
    }
    if (zerr == Z_ERRNO)
        msg = strerror(errno);
    complain("cannot read %s: %s", r->name, msg && *msg ? msg : "read error");
    return 0;
}

static void reader_append(line_reader_t *r, const char *data, size_t n)
{
    if (r->too_long || r->len + n > MC_LINE_MAX) {
        r->too_long = 1; /* the rest of the line is skipped, not kept */
        return;
    }
    memcpy(r->line + r->len, data, n);
    r->len += n;
}

/* 1 with the next line in r->line, 0 at the end of the input, -1 on a read
 * error (already reported). */
static int reader_next(line_reader_t *r)
{
    r->len = 0;
    r->too_long = 0;
    for (;;) {
        const char *start, *newline;
        size_t n;

        if (r->pos == r->fill) {
            if (!r->eof && !reader_fill(r))
                return -1;
            if (r->eof) {
                if (r->len == 0 && !r->too_long)
                    return 0;
                r->torn = 1;
                r->number++;
                return 1;
            }
        }
        start = r->block + r->pos;
        newline = memchr(start, '\n', r->fill - r->pos);
        n = newline ? (size_t)(newline - start) : r->fill - r->pos;
        reader_append(r, start, n);
        r->pos += n + (newline ? 1 : 0);
        if (newline) {
            r->number++;
            return 1;
        }
    }
}

static void reader_close(line_reader_t *r)
{
    if (r->gz)
        gzclose(r->gz);
    r->gz = NULL;
}

/* The record part of the current line: all of it, or in syslog mode what
 * follows our tag (NULL for another program's line). */
static const char *reader_record(const line_reader_t *r, int syslog, size_t *len)
{
    if (!syslog) {
        *len = r->len;
        return r->line;
    }
    return mc_logset_syslog_record(r->line, r->len, len);
}

/* ---- the database --------------------------------------------------------------------- */

typedef struct db {
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
    const char *label; /* DRIVER:PARAMS with any password hidden */
    const char *secret; /* the password, to keep it out of driver messages */
} db_t;

/* Copies PARAMS with the value of password=... replaced by "***"; sets
 * *SECRET to the value (or NULL). Values may be quoted ('...'). */
static char *db_redact(apr_pool_t *p, const char *params, const char **secret)
{
    const char *at = params, *key;
    char *out = "";

    *secret = NULL;
    /* a URI: scheme://user:password@host/... */
    if ((key = strstr(params, "://")) != NULL) {
        const char *user = key + 3, *end = user + strcspn(user, "@/?"), *colon;

        colon = memchr(user, ':', (size_t)(end - user));
        if (*end == '@' && colon) {
            *secret = apr_pstrndup(p, colon + 1, (size_t)(end - colon - 1));
            return apr_pstrcat(p, apr_pstrndup(p, params, (size_t)(colon + 1 - params)), "***",
                               end, NULL);
        }
    }
    while ((key = strstr(at, "password=")) != NULL) {
        const char *value = key + strlen("password="), *end;

        if (key > params && key[-1] != ' ' && key[-1] != ',' && key[-1] != ';') {
            out = apr_pstrcat(p, out, apr_pstrndup(p, at, (size_t)(value - at)), NULL);
            at = value;
            continue;
        }
        if (*value == '\'') {
            end = value + 1;
            while (*end && *end != '\'')
                end += (*end == '\\' && end[1]) ? 2 : 1;
            if (*end)
                end++;
        } else {
            end = value + strcspn(value, " ,;");
        }
        *secret = apr_pstrndup(p, value, (size_t)(end - value));
        out = apr_pstrcat(p, out, apr_pstrndup(p, at, (size_t)(value - at)), "***", NULL);
        at = end;
    }
    return apr_pstrcat(p, out, at, NULL);
}

/* A driver's message on one line, with the password (if it shows) hidden. */
static const char *db_clean(apr_pool_t *p, const db_t *db, const char *msg)
{
    const char *hit;
    char *out = "";

    if (!msg)
        return "unknown error";
    while (db->secret && *db->secret && (hit = strstr(msg, db->secret)) != NULL) {
        out = apr_pstrcat(p, out, apr_pstrndup(p, msg, (size_t)(hit - msg)), "***", NULL);
        msg = hit + strlen(db->secret);
    }
    out = apr_pstrcat(p, out, msg, NULL);
    for (char *c = out; *c; c++) {
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
    }
    for (size_t n = strlen(out); n > 0 && out[n - 1] == ' '; n--)
        out[n - 1] = '\0';
    return out;
}

static int db_open(db_t *db, apr_pool_t *p, const char *spec)
{
    const char *colon = strchr(spec, ':'), *name, *params, *error = NULL;
    apr_status_t rv;
    char msg[256];

    memset(db, 0, sizeof(*db));
    if (!colon || colon == spec) {
        complain("--db wants DRIVER:PARAMS, e.g. sqlite3:/var/lib/consent.db or "
                 "'pgsql:host=... dbname=... user=...'");
        return 0;
    }
    name = apr_pstrndup(p, spec, (size_t)(colon - spec));
    params = colon + 1;
    db->label = apr_pstrcat(p, name, ":", db_redact(p, params, &db->secret), NULL);
    /* SQLite would make an empty database of a mistyped path */
    if (strcmp(name, "sqlite3") == 0 && access(params, F_OK) != 0) {
        complain("cannot open the database %s: %s", db->label, strerror(errno));
        return 0;
    }
    apr_dbd_init(p);
    rv = apr_dbd_get_driver(p, name, &db->driver);
    if (rv != APR_SUCCESS) {
        complain("no database driver '%s' (%s); APR's drivers are named pgsql, sqlite3, mysql, "
                 "odbc ... and come in packages such as libaprutil1-dbd-pgsql",
                 name, rv == APR_ENOTIMPL ? "not built into APR" : apr_strerror(rv, msg, sizeof(msg)));
        return 0;
    }
    rv = apr_dbd_open_ex(db->driver, p, params, &db->handle, &error);
    if (rv != APR_SUCCESS || !db->handle) {
        complain("cannot connect to the database %s: %s", db->label,
                 db_clean(p, db, error ? error : apr_strerror(rv, msg, sizeof(msg))));
        return 0;
    }
    return 1;
}

static void db_close(db_t *db)
{
    if (db->handle)
        apr_dbd_close(db->driver, db->handle);
    db->handle = NULL;
}

static const char *db_error(apr_pool_t *p, const db_t *db, int rv)
{
    return db_clean(p, db, apr_dbd_error(db->driver, db->handle, rv));
}

/* ---- reading a whole set (verify and stats) --------------------------------------------- */

typedef struct reading {
    mc_logset_t *set;
    mc_logstats_t *stats; /* NULL for verify */
    int db;               /* the set's pieces are database chains */
    uint64_t skipped;     /* syslog lines of other programs */
} reading_t;

static void reading_record(reading_t *rd, apr_pool_t *scratch, uint64_t number, const char *rec,
                           size_t len, mc_record_info_t *info, int *good)
{
    const char *err = NULL;

    *good = mc_logset_add(rd->set, scratch, number, rec, len, info, &err) == MC_OK;
    if (*good && rd->stats && mc_logstats_add(rd->stats, rec, len, &err) != MC_OK)
        mc_logset_problem(rd->set, number, info->chain, err);
}

/* EXIT_OK, or EXIT_USAGE when the file cannot be read (already said). */
static int read_file(reading_t *rd, apr_pool_t *pool, const char *name, int syslog)
{
    apr_pool_t *file_pool, *line_pool;
    line_reader_t r;
    int got;

    apr_pool_create(&file_pool, pool);
    apr_pool_create(&line_pool, file_pool);
    if (!reader_open(&r, file_pool, name)) {
        apr_pool_destroy(file_pool);
        return EXIT_USAGE;
    }
    mc_logset_piece(rd->set, r.name);
    while ((got = reader_next(&r)) == 1) {
        mc_record_info_t info;
        size_t len = 0;
        const char *rec = reader_record(&r, syslog, &len);
        int good;

        if (!rec && !r.too_long) {
            rd->skipped++;
            continue;
        }
        if (r.too_long)
            mc_logset_problem(rd->set, r.number, NULL,
                              apr_psprintf(line_pool, "line is longer than %d bytes", MC_LINE_MAX));
        else if (r.torn)
            mc_logset_problem(rd->set, r.number, NULL,
                              "no newline at the end of the file (a write was cut off)");
        else
            reading_record(rd, line_pool, r.number, rec, len, &info, &good);
        apr_pool_clear(line_pool);
    }
    reader_close(&r);
    apr_pool_destroy(file_pool);
    return got < 0 ? EXIT_USAGE : EXIT_OK;
}

/* The checks only a database needs: seq without gaps, columns that agree
 * with the record. */
static void db_row_checks(reading_t *rd, apr_pool_t *p, const mc_record_info_t *info, int good,
                          const char *chain, const char *id, const char *hash, uint64_t seq,
                          uint64_t last_seq)
{
    if (last_seq && seq != last_seq + 1)
        mc_logset_problem(rd->set, seq, chain,
                          apr_psprintf(p,
                                       "seq jumps from %" PRIu64 " to %" PRIu64
                                       " (rows are missing)",
                                       last_seq, seq));
    if (!good)
        return;
    if (strcmp(chain, info->chain) != 0)
        mc_logset_problem(rd->set, seq, chain,
                          apr_psprintf(p, "the chain column says '%s', the record '%s'", chain,
                                       info->chain));
    if (strcmp(id, info->id) != 0)
        mc_logset_problem(rd->set, seq, chain,
                          apr_psprintf(p, "the id column says '%s', the record '%s'", id,
                                       info->id));
    if (strcmp(hash, info->hash) != 0)
        mc_logset_problem(rd->set, seq, chain,
                          apr_psprintf(p, "the hash column says %.12s..., the record %.12s...",
                                       hash, info->hash));
}

static int read_db(reading_t *rd, apr_pool_t *pool, const char *spec)
{
    apr_pool_t *row_pool;
    apr_dbd_results_t *res = NULL;
    const char *chain_now = NULL;
    uint64_t last_seq = 0;
    db_t db;
    int rv;

    if (!db_open(&db, pool, spec))
        return EXIT_USAGE;
    rd->db = 1;
    rv = apr_dbd_select(db.driver, pool, db.handle, &res,
                        "SELECT chain, seq, id, hash, record FROM consent_log ORDER BY chain, seq",
                        0);
    if (rv != 0) {
        complain("cannot read the consent_log table of %s: %s", db.label, db_error(pool, &db, rv));
        db_close(&db);
        return EXIT_USAGE;
    }
    apr_pool_create(&row_pool, pool);
    /* ROW lives across the loop: the drivers count the rows in it */
    for (apr_dbd_row_t *row = NULL;;) {
        const char *chain, *seq_text, *id, *hash, *record;
        mc_record_info_t info;
        uint64_t seq;
        int good;

        if (apr_dbd_get_row(db.driver, pool, res, &row, -1) != 0)
            break;
        chain = apr_dbd_get_entry(db.driver, row, 0);
        seq_text = apr_dbd_get_entry(db.driver, row, 1);
        id = apr_dbd_get_entry(db.driver, row, 2);
        hash = apr_dbd_get_entry(db.driver, row, 3);
        record = apr_dbd_get_entry(db.driver, row, 4);
        chain = chain ? chain : "";
        seq = seq_text ? (uint64_t)apr_strtoi64(seq_text, NULL, 10) : 0;
        if (!chain_now || strcmp(chain_now, chain) != 0) {
            /* one piece per chain: problems are then named "chain X seq N" */
            chain_now = apr_pstrdup(pool, chain);
            mc_logset_piece(rd->set, apr_psprintf(pool, "chain '%s'", chain));
            last_seq = 0;
        }
        memset(&info, 0, sizeof(info));
        reading_record(rd, row_pool, seq, record ? record : "", record ? strlen(record) : 0,
                       &info, &good);
        db_row_checks(rd, row_pool, &info, good, chain, id ? id : "", hash ? hash : "", seq,
                      last_seq);
        last_seq = seq;
        apr_pool_clear(row_pool);
    }
    db_close(&db);
    return EXIT_OK;
}

static int read_all(reading_t *rd, apr_pool_t *p, const options_t *o)
{
    rd->set = mc_logset_create(p);
    if (o->db) {
        if (read_db(rd, p, o->db) != EXIT_OK)
            return EXIT_USAGE;
    } else {
        for (int i = 0; i < o->nfiles; i++) {
            if (read_file(rd, p, o->files[i], o->syslog) != EXIT_OK)
                return EXIT_USAGE;
        }
    }
    mc_logset_finish(rd->set);
    return EXIT_OK;
}

static const char *place(apr_pool_t *p, const reading_t *rd, const char *piece, uint64_t line)
{
    if (rd->db)
        return apr_psprintf(p, "%s seq %" PRIu64, piece, line);
    return apr_psprintf(p, "%s:%" PRIu64, piece, line);
}

/* Prints the problems, the first one first, to OUT; returns their count. */
static uint64_t report_problems(apr_pool_t *p, const reading_t *rd, FILE *out, const char *prefix)
{
    uint64_t count = mc_logset_problem_count(rd->set);
    int kept = mc_logset_problems_kept(rd->set);

    for (int i = 0; i < kept && i < PROBLEMS_SHOWN; i++) {
        const mc_logset_problem_t *pb = mc_logset_problem_at(rd->set, i);
        fprintf(out, "%s%s: %s\n", prefix, place(p, rd, pb->piece, pb->line), pb->reason);
    }
    if (count > PROBLEMS_SHOWN)
        fprintf(out, "%s%" PRIu64 " more %s after these\n", prefix, count - PROBLEMS_SHOWN,
                plural(count - PROBLEMS_SHOWN, "problem", "problems"));
    return count;
}

static void report_order(const reading_t *rd, FILE *out)
{
    if (!mc_logset_reordered(rd->set) || rd->db)
        return;
    fputs("order: the pieces were read in chain order, not as given:", out);
    for (int i = 0; i < mc_logset_pieces(rd->set); i++)
        fprintf(out, "%s %s", i ? "," : "", mc_logset_piece_name(rd->set, i));
    fputc('\n', out);
}

static const char *chain_title(apr_pool_t *p, const char *name)
{
    return *name ? apr_psprintf(p, "chain '%s'", name) : "unnamed chain";
}

/* ---- verify ------------------------------------------------------------------------------ */

static void verify_chain_line(apr_pool_t *p, const reading_t *rd, const mc_logset_chain_t *c)
{
    printf("%s: %" PRIu64 " %s, first %s, last %s, ", chain_title(p, c->name), c->records,
           plural(c->records, "record", "records"), c->first_time, c->last_time);
    if (c->from_genesis)
        puts("from its first record");
    else
        printf("starts mid-way at %s (earlier records not given)\n",
               place(p, rd, c->start_piece, c->start_line));
}

static int cmd_verify(apr_pool_t *p, const options_t *o)
{
    reading_t rd;
    uint64_t records, problems;
    int chains, status;

    memset(&rd, 0, sizeof(rd));
    status = read_all(&rd, p, o);
    if (status != EXIT_OK)
        return status;
    report_order(&rd, stdout);
    chains = mc_logset_chains(rd.set);
    for (int i = 0; i < chains; i++) {
        if (mc_logset_chain(rd.set, i)->records > 0)
            verify_chain_line(p, &rd, mc_logset_chain(rd.set, i));
    }
    problems = report_problems(p, &rd, stdout, "bad: ");
    records = mc_logset_records(rd.set);
    if (o->syslog && rd.skipped)
        printf("note: %" PRIu64 " other %s skipped\n", rd.skipped,
               plural(rd.skipped, "line", "lines"));
    if (problems)
        return EXIT_BAD;
    if (records == 0)
        printf("ok: no records in %s\n",
               o->db ? "the database"
                     : apr_psprintf(p, "%d %s", o->nfiles, o->nfiles == 1 ? "file" : "files"));
    else
        printf("ok: %" PRIu64 " %s in %s, %d %s intact\n", records,
               plural(records, "record", "records"),
               o->db ? "the database"
                     : apr_psprintf(p, "%d %s", o->nfiles, o->nfiles == 1 ? "file" : "files"),
               chains, chains == 1 ? "chain" : "chains");
    return EXIT_OK;
}

/* ---- find ---------------------------------------------------------------------------- */

/* Prints REC if it is a record of ID; returns 1 when it was. */
static int find_record(apr_pool_t *p, const char *where, const char *rec, size_t len,
                       const char *id)
{
    mc_record_info_t info;
    const char *err = NULL;
    mc_status_t rv;

    rv = mc_record_parse(p, rec, len, &info, &err);
    if (!info.id) {
        complain("warning: %s: skipped, not a record: %s", where, err);
        return 0;
    }
    if (strcmp(info.id, id) != 0)
        return 0;
    /* A damaged record of this id is still shown: it is part of the answer. */
    if (rv != MC_OK)
        complain("warning: %s: this record fails verification: %s", where, err);
    fwrite(rec, 1, len, stdout);
    fputc('\n', stdout);
    return 1;
}

/* Returns the number of records found, or -1 on a read error. */
static long find_in_file(apr_pool_t *pool, const char *name, const char *id, int syslog)
{
    apr_pool_t *file_pool, *line_pool;
    line_reader_t r;
    long found = 0;
    int got;

    apr_pool_create(&file_pool, pool);
    apr_pool_create(&line_pool, file_pool);
    if (!reader_open(&r, file_pool, name)) {
        apr_pool_destroy(file_pool);
        return -1;
    }
    while ((got = reader_next(&r)) == 1) {
        size_t len = 0;
        const char *rec = reader_record(&r, syslog, &len);

        if (r.too_long)
            complain("warning: %s:%" PRIu64 ": skipped, longer than %d bytes", r.name, r.number,
                     MC_LINE_MAX);
        else if (rec)
            found += find_record(line_pool, apr_psprintf(line_pool, "%s:%" PRIu64, r.name,
                                                         r.number),
                                 rec, len, id);
        apr_pool_clear(line_pool);
    }
    reader_close(&r);
    apr_pool_destroy(file_pool);
    return got < 0 ? -1 : found;
}

static long find_in_db(apr_pool_t *p, const char *spec, const char *id)
{
    apr_dbd_prepared_t *stmt = NULL;
    apr_dbd_results_t *res = NULL;
    long found = 0;
    db_t db;
    int rv;

    if (!db_open(&db, p, spec))
        return -1;
    /* the id index answers this; the id is also checked to be one already */
    rv = apr_dbd_prepare(db.driver, p, db.handle,
                         "SELECT chain, seq, record FROM consent_log WHERE id = %s "
                         "ORDER BY time, chain, seq",
                         NULL, &stmt);
    if (rv == 0)
        rv = apr_dbd_pvselect(db.driver, p, db.handle, &res, stmt, 0, id, NULL);
    if (rv != 0) {
        complain("cannot read the consent_log table of %s: %s", db.label, db_error(p, &db, rv));
        db_close(&db);
        return -1;
    }
    for (apr_dbd_row_t *row = NULL;;) {
        const char *record, *where;

        if (apr_dbd_get_row(db.driver, p, res, &row, -1) != 0)
            break;
        record = apr_dbd_get_entry(db.driver, row, 2);
        where = apr_psprintf(p, "chain '%s' seq %s", apr_dbd_get_entry(db.driver, row, 0),
                             apr_dbd_get_entry(db.driver, row, 1));
        found += find_record(p, where, record ? record : "", record ? strlen(record) : 0, id);
    }
    db_close(&db);
    return found;
}

static int cmd_find(apr_pool_t *p, const options_t *o)
{
    long total = 0;

    if (!mc_consent_id_valid(o->id, strlen(o->id))) {
        complain("'%s' is not a consent id (22 characters of A-Z, a-z, 0-9, '-' and '_')", o->id);
        return EXIT_USAGE;
    }
    if (o->db) {
        total = find_in_db(p, o->db, o->id);
        if (total < 0)
            return EXIT_USAGE;
    }
    for (int i = 0; i < o->nfiles; i++) {
        long found = find_in_file(p, o->files[i], o->id, o->syslog);

        if (found < 0)
            return EXIT_USAGE;
        total += found;
    }
    if (total == 0)
        complain("no record of %s", o->id);
    return total > 0 ? EXIT_OK : EXIT_BAD;
}

/* ---- stats ---------------------------------------------------------------------------- */

static void stats_text(apr_pool_t *p, const mc_logstats_t *st)
{
    printf("records: %" PRIu64 "%s\n", st->total,
           st->bad ? apr_psprintf(p, " (%" PRIu64 " problems, not counted)", st->bad) : "");
    printf("distinct consent ids: %" PRIu64 "\n", st->distinct_ids);
    if (st->total)
        printf("first: %s\nlast: %s\n", st->first_time, st->last_time);
    fputs("chains:", stdout);
    for (int i = 0; i < st->chains->nelts; i++) {
        const mc_logstats_count_t *c = &APR_ARRAY_IDX(st->chains, i, mc_logstats_count_t);
        printf("%s %s (%" PRIu64 ")", i ? "," : "", *c->name ? c->name : "(unnamed)", c->count);
    }
    printf("\n\n%-14s %10s %8s\n", "method", "decisions", "share");
    for (int m = 0; m < MC_LOGSTATS_METHODS; m++)
        printf("%-14s %10" PRIu64 " %7.1f%%\n", mc_logstats_methods[m], st->by_method[m],
               100.0 * mc_logstats_rate(st->by_method[m], st->total));
    printf("\n%-20s %10s %10s %10s\n", "category", "granted", "refused", "acceptance");
    for (int i = 0; i < st->categories->nelts; i++) {
        const mc_logstats_category_t *c = &APR_ARRAY_IDX(st->categories, i, mc_logstats_category_t);
        printf("%-20s %10" PRIu64 " %10" PRIu64 " %9.1f%%\n", c->name, c->granted, c->refused,
               100.0 * mc_logstats_rate(c->granted, c->granted + c->refused));
    }
    printf("\n%-10s %8s", "day", "total");
    for (int m = 0; m < MC_LOGSTATS_METHODS; m++)
        printf(" %10s", mc_logstats_methods[m]);
    fputc('\n', stdout);
    for (int i = 0; i < st->days->nelts; i++) {
        const mc_logstats_day_t *d = &APR_ARRAY_IDX(st->days, i, mc_logstats_day_t);

        printf("%-10s %8" PRIu64, d->day, d->total);
        for (int m = 0; m < MC_LOGSTATS_METHODS; m++)
            printf(" %10" PRIu64, d->by_method[m]);
        fputc('\n', stdout);
    }
    printf("\n%-16s %10s\n", "language", "decisions");
    for (int i = 0; i < st->langs->nelts; i++) {
        const mc_logstats_count_t *c = &APR_ARRAY_IDX(st->langs, i, mc_logstats_count_t);
        printf("%-16s %10" PRIu64 "\n", c->name, c->count);
    }
    printf("\n%-16s %10s\n", "via", "decisions");
    for (int i = 0; i < st->vias->nelts; i++) {
        const mc_logstats_count_t *c = &APR_ARRAY_IDX(st->vias, i, mc_logstats_count_t);
        printf("%-16s %10" PRIu64 "\n", c->name, c->count);
    }
    printf("\n%-32s %10s\n", "service granted alone", "decisions");
    for (int i = 0; i < st->services->nelts; i++) {
        const mc_logstats_count_t *c = &APR_ARRAY_IDX(st->services, i, mc_logstats_count_t);
        printf("%-32s %10" PRIu64 "\n", c->name, c->count);
    }
}

static int write_whole(const char *path, const char *text)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    size_t len = strlen(text);

    if (!f) {
        complain("cannot write %s: %s", path, strerror(errno));
        return 0;
    }
    if (fwrite(text, 1, len, f) != len || (f != stdout && fclose(f) != 0)) {
        complain("cannot write %s: %s", path, strerror(errno));
        return 0;
    }
    return 1;
}

static const char *stats_source(apr_pool_t *p, const reading_t *rd)
{
    const char *names = "";

    for (int i = 0; i < mc_logset_pieces(rd->set); i++)
        names = apr_pstrcat(p, names, i ? ", " : "", mc_logset_piece_name(rd->set, i), NULL);
    return names;
}

static int cmd_stats(apr_pool_t *p, const options_t *o)
{
    reading_t rd;
    int status;

    memset(&rd, 0, sizeof(rd));
    rd.stats = mc_logstats_create(p);
    status = read_all(&rd, p, o);
    if (status != EXIT_OK)
        return status;
    mc_logstats_finish(rd.stats);
    /* problems go to stderr: standard output stays the report (or JSON) */
    rd.stats->bad = report_problems(p, &rd, stderr, "consent-log: bad: ");
    /* the page first: a reader of the text that stops early (| head) must
     * not cost the page */
    if (o->html) {
        db_t hidden;
        const char *source;

        if (o->db) {
            /* the page may travel: never with a password in it */
            memset(&hidden, 0, sizeof(hidden));
            source = apr_pstrcat(p, "the database ",
                                 apr_pstrndup(p, o->db, (size_t)(strchr(o->db, ':') - o->db)), ":",
                                 db_redact(p, strchr(o->db, ':') + 1, &hidden.secret), NULL);
        } else {
            source = stats_source(p, &rd);
        }
        if (!write_whole(o->html, mc_logstats_html(rd.stats, p, source)))
            return EXIT_USAGE;
    }
    if (o->json)
        fputs(mc_logstats_json(rd.stats, p), stdout);
    else
        stats_text(p, rd.stats);
    return rd.stats->bad ? EXIT_BAD : EXIT_OK;
}

/* ---- main ---------------------------------------------------------------------------- */

static int usage_error(const char *problem)
{
    fprintf(stderr, "consent-log: %s\n\n%s\nTry 'consent-log --help' for more.\n", problem,
            usage_text);
    return EXIT_USAGE;
}

/* Fills O from ARGV (after the command); EXIT_OK or a usage error. */
static int parse_options(apr_pool_t *p, options_t *o, int argc, const char *const *argv)
{
    const char **files = apr_pcalloc(p, sizeof(char *) * ((size_t)argc + 1));
    int only_files = 0;

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int is_option = !only_files && a[0] == '-' && a[1] != '\0';

        if (is_option && strcmp(a, "--") == 0) {
            only_files = 1;
        } else if (is_option && strcmp(a, "--syslog") == 0) {
            o->syslog = 1;
        } else if (is_option && strcmp(a, "--json") == 0 && o->cmd == CMD_STATS) {
            o->json = 1;
        } else if (is_option && (strcmp(a, "--db") == 0 ||
                                 (strcmp(a, "--html") == 0 && o->cmd == CMD_STATS))) {
            if (i + 1 >= argc)
                return usage_error(apr_psprintf(p, "%s needs a value", a));
            if (a[2] == 'd')
                o->db = argv[++i];
            else
                o->html = argv[++i];
        } else if (is_option && strncmp(a, "--db=", 5) == 0) {
            o->db = a + 5;
        } else if (is_option && strncmp(a, "--html=", 7) == 0 && o->cmd == CMD_STATS) {
            o->html = a + 7;
        } else if (o->cmd == CMD_FIND && !o->id) {
            o->id = a; /* a consent id may start with '-' */
        } else if (is_option) {
            return usage_error(apr_psprintf(p, "unknown option '%s' for this command", a));
        } else {
            files[o->nfiles++] = a;
        }
    }
    o->files = files;
    if (o->cmd == CMD_FIND && !o->id)
        return usage_error("find needs an ID");
    if (o->db && o->nfiles)
        return usage_error("give FILEs or --db, not both");
    if (o->db && o->syslog)
        return usage_error("--syslog is for files, not --db");
    if (!o->db && o->nfiles == 0)
        return usage_error("no FILE given (use '-' for standard input, or --db)");
    if (o->html && o->json && strcmp(o->html, "-") == 0)
        return usage_error("--html - and --json would both write to standard output");
    return EXIT_OK;
}

static int run(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;
    options_t o;
    int status;

    memset(&o, 0, sizeof(o));
    if (!cmd)
        return usage_error("no command given");
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        fputs(help_text, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("consent-log (mod_consent) %s\n", MC_VERSION);
        return EXIT_OK;
    }
    if (strcmp(cmd, "verify") == 0)
        o.cmd = CMD_VERIFY;
    else if (strcmp(cmd, "find") == 0)
        o.cmd = CMD_FIND;
    else if (strcmp(cmd, "stats") == 0)
        o.cmd = CMD_STATS;
    else
        return usage_error(apr_psprintf(p, "unknown command '%s'", cmd));
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            fputs(help_text, stdout);
            return EXIT_OK;
        }
    }
    status = parse_options(p, &o, argc - 2, argv + 2);
    if (status != EXIT_OK)
        return status;
    switch (o.cmd) {
    case CMD_VERIFY: return cmd_verify(p, &o);
    case CMD_FIND: return cmd_find(p, &o);
    case CMD_STATS: return cmd_stats(p, &o);
    }
    return EXIT_USAGE;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *pool;
    int status;

    if (apr_app_initialize(&argc, &argv, NULL) != APR_SUCCESS) {
        fputs("consent-log: cannot initialise APR\n", stderr);
        return EXIT_USAGE;
    }
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    status = run(pool, argc, argv);
    /* A result that never reached its reader (full disk, closed pipe) is
     * not a result. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        complain("cannot write the output");
        status = EXIT_USAGE;
    }
    apr_pool_destroy(pool);
    return status;
}
