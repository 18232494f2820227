/* consent-log: checks and searches the consent log mod_consent writes.
 *
 * It links the same core as the module: every record is judged by
 * mc_record_parse and mc_chain_walk_next, so the tool and the server can
 * never disagree on what a good record is. This file only reads lines and
 * reports. */
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "token.h"

enum { EXIT_OK = 0, EXIT_BAD = 1, EXIT_USAGE = 2 };

#define READ_BLOCK 65536
#define TIME_TEXT_MAX 64

static const char usage_text[] =
    "usage: consent-log verify FILE...\n"
    "       consent-log find ID FILE...\n"
    "\n"
    "Reads the consent log that mod_consent writes: one JSON record per line,\n"
    "each chained to the one before by its \"prev\" and \"hash\" fields.\n"
    "\n"
    "commands:\n"
    "  verify FILE...   check every record and the hash chain across the FILEs,\n"
    "                   given oldest first (rotated pieces of one log)\n"
    "  find ID FILE...  print every record of the consent id ID (for a visitor's\n"
    "                   access request)\n"
    "\n"
    "A FILE of '-' is standard input.\n"
    "\n"
    "exit status:\n"
    "  0  verify: every record is good and the chain is intact\n"
    "     find: at least one record of ID was found\n"
    "  1  verify: a record or the chain is broken (the first bad FILE:LINE is named)\n"
    "     find: no record of ID\n"
    "  2  usage error, or a file could not be read\n";

/* Reads lines of any length; keeps at most MC_LINE_MAX bytes of each. */
typedef struct line_reader {
    const char *name;
    apr_file_t *file;
    char *block;
    size_t pos, fill;
    int eof;
    char *line;
    size_t len;
    unsigned long number;
    int too_long; /* the line had more than MC_LINE_MAX bytes */
    int torn;     /* the input ended without a '\n' after this line */
} line_reader_t;

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

static int reader_open(line_reader_t *r, apr_pool_t *p, const char *name)
{
    apr_status_t rv;
    char msg[256];

    memset(r, 0, sizeof(*r));
    r->name = strcmp(name, "-") == 0 ? "(standard input)" : name;
    if (strcmp(name, "-") == 0)
        rv = apr_file_open_stdin(&r->file, p);
    else
        rv = apr_file_open(&r->file, name, APR_FOPEN_READ | APR_FOPEN_BINARY, APR_FPROT_OS_DEFAULT,
                           p);
    if (rv != APR_SUCCESS) {
        complain("cannot open %s: %s", name, apr_strerror(rv, msg, sizeof(msg)));
        return 0;
    }
    r->block = apr_palloc(p, READ_BLOCK);
    r->line = apr_palloc(p, MC_LINE_MAX);
    return 1;
}

static int reader_fill(line_reader_t *r)
{
    apr_size_t n = READ_BLOCK;
    apr_status_t rv = apr_file_read(r->file, r->block, &n);
    char msg[256];

    if (APR_STATUS_IS_EOF(rv) || (rv == APR_SUCCESS && n == 0)) {
        r->eof = 1;
        return 1;
    }
    if (rv != APR_SUCCESS) {
        complain("cannot read %s: %s", r->name, apr_strerror(rv, msg, sizeof(msg)));
        return 0;
    }
    r->pos = 0;
    r->fill = n;
    return 1;
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
    if (r->file)
        apr_file_close(r->file);
}

/* ---- verify --------------------------------------------------------------------------- */

typedef struct verify_state {
    mc_chain_walk_t walk;
    char first_time[TIME_TEXT_MAX];
    char last_time[TIME_TEXT_MAX];
} verify_state_t;

static int verify_bad(const line_reader_t *r, const char *reason)
{
    printf("bad: %s:%lu: %s\n", r->name, r->number, reason);
    return EXIT_BAD;
}

static void verify_note_start(const mc_record_info_t *info)
{
    if (strcmp(info->prev, mc_chain_genesis) != 0)
        printf("note: the chain starts at %.12s... (earlier records not given)\n", info->prev);
}

/* Checks one line; returns EXIT_OK to go on. */
static int verify_line(verify_state_t *v, const line_reader_t *r, apr_pool_t *p)
{
    mc_record_info_t info;
    const char *err = NULL;

    if (r->too_long)
        return verify_bad(r, apr_psprintf(p, "line is longer than %d bytes", MC_LINE_MAX));
    if (r->torn)
        return verify_bad(r, "no newline at the end of the file (a write was cut off)");
    if (mc_chain_walk_next(&v->walk, p, r->line, r->len, &info, &err) != MC_OK)
        return verify_bad(r, err);
    if (v->walk.records == 1) {
        verify_note_start(&info);
        apr_cpystrn(v->first_time, info.time, sizeof(v->first_time));
    }
    apr_cpystrn(v->last_time, info.time, sizeof(v->last_time));
    return EXIT_OK;
}

static int verify_file(verify_state_t *v, apr_pool_t *pool, const char *name)
{
    apr_pool_t *file_pool, *line_pool;
    line_reader_t r;
    int status = EXIT_OK, got;

    apr_pool_create(&file_pool, pool);
    apr_pool_create(&line_pool, file_pool);
    if (!reader_open(&r, file_pool, name)) {
        apr_pool_destroy(file_pool);
        return EXIT_USAGE;
    }
    while (status == EXIT_OK && (got = reader_next(&r)) == 1) {
        status = verify_line(v, &r, line_pool);
        apr_pool_clear(line_pool);
    }
    if (status == EXIT_OK && got < 0)
        status = EXIT_USAGE;
    reader_close(&r);
    apr_pool_destroy(file_pool);
    return status;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static int cmd_verify(apr_pool_t *p, int nfiles, const char *const *files)
{
    verify_state_t v;
    uint64_t records;

    memset(&v, 0, sizeof(v));
    mc_chain_walk_init(&v.walk);
    for (int i = 0; i < nfiles; i++) {
        int status = verify_file(&v, p, files[i]);

        if (status != EXIT_OK)
            return status;
    }
    records = v.walk.records;
    if (records == 0)
        printf("ok: no records in %d %s\n", nfiles, nfiles == 1 ? "file" : "files");
    else
        printf("ok: %" PRIu64 " %s in %d %s, chain intact, first %s, last %s\n", records,
               plural(records, "record", "records"), nfiles, nfiles == 1 ? "file" : "files",
               v.first_time, v.last_time);
    return EXIT_OK;
}

/* ---- find ---------------------------------------------------------------------------- */

/* Prints the line if it is a record of ID; returns 1 when it was. */
static int find_line(const line_reader_t *r, apr_pool_t *p, const char *id)
{
    mc_record_info_t info;
    const char *err = NULL;
    mc_status_t rv;

    if (r->too_long) {
        complain("warning: %s:%lu: skipped, longer than %d bytes", r->name, r->number, MC_LINE_MAX);
        return 0;
    }
    rv = mc_record_parse(p, r->line, r->len, &info, &err);
    if (!info.id) {
        complain("warning: %s:%lu: skipped, not a record: %s", r->name, r->number, err);
        return 0;
    }
    if (strcmp(info.id, id) != 0)
        return 0;
    /* A damaged record of this id is still shown: it is part of the answer. */
    if (rv != MC_OK)
        complain("warning: %s:%lu: this record fails verification: %s", r->name, r->number, err);
    fwrite(r->line, 1, r->len, stdout);
    fputc('\n', stdout);
    return 1;
}

/* Returns the number of records found, or -1 on a read error. */
static long find_in_file(apr_pool_t *pool, const char *name, const char *id)
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
        found += find_line(&r, line_pool, id);
        apr_pool_clear(line_pool);
    }
    reader_close(&r);
    apr_pool_destroy(file_pool);
    return got < 0 ? -1 : found;
}

static int cmd_find(apr_pool_t *p, const char *id, int nfiles, const char *const *files)
{
    long total = 0;

    if (!mc_consent_id_valid(id, strlen(id))) {
        complain("'%s' is not a consent id (22 characters of A-Z, a-z, 0-9, '-' and '_')", id);
        return EXIT_USAGE;
    }
    for (int i = 0; i < nfiles; i++) {
        long found = find_in_file(p, files[i], id);

        if (found < 0)
            return EXIT_USAGE;
        total += found;
    }
    return total > 0 ? EXIT_OK : EXIT_BAD;
}

/* ---- main ---------------------------------------------------------------------------- */

static int usage_error(const char *problem)
{
    fprintf(stderr, "consent-log: %s\n\n%s", problem, usage_text);
    return EXIT_USAGE;
}

static int run(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;

    if (!cmd)
        return usage_error("no command given");
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        fputs(usage_text, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "verify") == 0) {
        if (argc < 3)
            return usage_error("verify needs at least one FILE");
        return cmd_verify(p, argc - 2, argv + 2);
    }
    if (strcmp(cmd, "find") == 0) {
        if (argc < 4)
            return usage_error("find needs an ID and at least one FILE");
        return cmd_find(p, argv[2], argc - 3, argv + 3);
    }
    return usage_error(apr_psprintf(p, "unknown command '%s'", cmd));
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
