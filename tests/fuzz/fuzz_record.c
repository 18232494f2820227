/* libFuzzer target for what consent-log runs on untrusted log text: the
 * record parser (core/chain.c), the set walker with its piece ordering
 * (core/logset.c), the syslog tag reader, and the statistics and their HTML
 * page (core/logstats.c, core/logreport.c).
 *
 * The input is split into pieces at form feeds and into lines at '\n'.
 * For every input it checks, and aborts when one fails:
 *  - no crash and no undefined behaviour (built with ASan and UBSan);
 *  - the pieces used in order are each given exactly once;
 *  - the problems are sorted by their place (piece order, then line);
 *  - good records counted by the set equal those counted by the stats;
 *  - the HTML page holds no "<script" whatever the log said.
 * "make fuzz-record" builds and runs it (FUZZ_SECONDS).
 */
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logset.h"
#include "logstats.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apr_pool_t *root;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&root, NULL);
    return 0;
}

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_record: %s\n", what);
        abort();
    }
}

static void feed(mc_logset_t *set, mc_logstats_t *st, apr_pool_t *scratch, const char *data,
                 size_t size, int syslog, uint64_t *good)
{
    uint64_t line_no = 0;
    const char *at = data, *end = data + size;
    int pieces = 0;

    mc_logset_piece(set, apr_psprintf(scratch, "p%d", pieces++));
    while (at < end) {
        const char *nl = memchr(at, '\n', (size_t)(end - at));
        const char *stop = nl ? nl : end;
        size_t len = (size_t)(stop - at);
        const char *rec = at;
        const char *err = NULL;

        line_no++;
        if (*at == '\f') {
            mc_logset_piece(set, apr_psprintf(scratch, "p%d", pieces++));
            line_no = 0;
        } else if (!syslog || (rec = mc_logset_syslog_record(at, len, &len)) != NULL) {
            if (mc_logset_add(set, scratch, line_no, rec, len, NULL, &err) == MC_OK) {
                (*good)++;
                check(mc_logstats_add(st, rec, len, &err) == MC_OK, "a good record is not counted");
            }
        }
        apr_pool_clear(scratch);
        at = nl ? nl + 1 : end;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p, *scratch;
    mc_logset_t *set;
    mc_logstats_t *st;
    uint64_t good = 0;
    int n;
    const char *page;

    apr_pool_create(&p, root);
    apr_pool_create(&scratch, p);
    set = mc_logset_create(p);
    st = mc_logstats_create(p);
    feed(set, st, scratch, (const char *)data, size, size > 0 && data[0] == 's', &good);
    mc_logset_finish(set);
    mc_logstats_finish(st);

    n = mc_logset_pieces(set);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < i; j++)
            check(strcmp(mc_logset_piece_name(set, i), mc_logset_piece_name(set, j)) != 0,
                  "a piece is used twice");
    }
    check(mc_logset_records(set) == good, "chains do not add up to the good records");
    check(st->total == good, "stats count other records than the set");
    for (int i = 1; i < mc_logset_problems_kept(set); i++) {
        const mc_logset_problem_t *a = mc_logset_problem_at(set, i - 1);
        const mc_logset_problem_t *b = mc_logset_problem_at(set, i);
        check(a->order < b->order || (a->order == b->order && a->line <= b->line),
              "problems are not in order");
    }
    page = mc_logstats_html(st, p, "fuzz");
    check(strstr(page, "<script") == NULL, "the page holds a script");
    apr_pool_destroy(p);
    return 0;
}
