/* consent-log's logic: sets of log pieces (core/logset.c), the numbers of
 * `stats` (core/logstats.c) and its HTML page (core/logreport.c). */
#include <apr_strings.h>
#include <string.h>

#include "chain.h"
#include "logset.h"
#include "logstats.h"
#include "unit.h"

#define TEXT_HASH "4ce3d9f6d9fb27d5283dbb4a4eebdb553493a91da121d4e3aab6ba82af1134e7"
#define DAY_USEC 86400000000LL
#define T0 1772439300123456LL /* 2026-03-02T08:15:00.123456Z */

/* A chain of records being written, as one server would. */
typedef struct writer {
    const char *chain;
    char last[MC_HASH_HEX + 1];
    int n;
} writer_t;

static void writer_init(writer_t *w, const char *chain)
{
    w->chain = chain;
    memcpy(w->last, mc_chain_genesis, sizeof(w->last));
    w->n = 0;
}

/* The next record of W (without its '\n'). */
static char *next_record(writer_t *w, int64_t time_usec, const char *method, mc_catmask_t granted,
                         const char *lang)
{
    mc_record_t rec = {0};
    const char *err = NULL;
    char hash[MC_HASH_HEX + 1], *line;

    rec.time_usec = time_usec;
    rec.id = apr_psprintf(test_pool, "AAAAAAAAAAAAAAAAAAAA%02d", w->n % 7);
    rec.policy = "1";
    rec.cats = mc_categories_make(test_pool);
    rec.granted = granted;
    rec.method = method;
    rec.lang = lang;
    rec.text = TEXT_HASH;
    rec.chain = *w->chain ? w->chain : NULL;
    line = mc_record_format(test_pool, &rec, w->last, hash, &err);
    ck_assert_msg(line != NULL, "format failed: %s", err);
    memcpy(w->last, hash, sizeof(w->last));
    w->n++;
    line[strlen(line) - 1] = '\0';
    return line;
}

static mc_status_t add(mc_logset_t *s, uint64_t line_no, const char *line)
{
    const char *err = NULL;

    return mc_logset_add(s, test_pool, line_no, line, strlen(line), NULL, &err);
}

static const mc_logset_chain_t *chain_named(const mc_logset_t *s, const char *name)
{
    for (int i = 0; i < mc_logset_chains(s); i++) {
        if (strcmp(mc_logset_chain(s, i)->name, name) == 0)
            return mc_logset_chain(s, i);
    }
    return NULL;
}

/* ---- logset --------------------------------------------------------------------------- */

START_TEST(interleaved_chains_verify_separately)
{
    writer_t a, b;
    mc_logset_t *s = mc_logset_create(test_pool);

    writer_init(&a, "web1");
    writer_init(&b, "web2");
    mc_logset_piece(s, "both.log");
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(add(s, (uint64_t)i + 1, next_record(i % 2 ? &b : &a, T0 + i, "accept_all",
                                                            1, "en")),
                         MC_OK);
    mc_logset_finish(s);
    ck_assert_uint_eq(mc_logset_problem_count(s), 0);
    ck_assert_int_eq(mc_logset_chains(s), 2);
    ck_assert_uint_eq(chain_named(s, "web1")->records, 3);
    ck_assert_uint_eq(chain_named(s, "web2")->records, 3);
    ck_assert(chain_named(s, "web1")->from_genesis);
}
END_TEST

START_TEST(rotated_pieces_given_newest_first_are_put_in_chain_order)
{
    writer_t w;
    const char *lines[6];
    mc_logset_t *s = mc_logset_create(test_pool);

    writer_init(&w, "web1");
    for (int i = 0; i < 6; i++)
        lines[i] = next_record(&w, T0 + i, "reject_all", 1, "nb");
    /* logrotate: consent.log (newest), consent.log.1, consent.log.2.gz (oldest) */
    mc_logset_piece(s, "consent.log");
    add(s, 1, lines[4]);
    add(s, 2, lines[5]);
    mc_logset_piece(s, "consent.log.1");
    add(s, 1, lines[2]);
    add(s, 2, lines[3]);
    mc_logset_piece(s, "consent.log.2.gz");
    add(s, 1, lines[0]);
    add(s, 2, lines[1]);
    mc_logset_finish(s);
    ck_assert_uint_eq(mc_logset_problem_count(s), 0);
    ck_assert(mc_logset_reordered(s));
    ck_assert_str_eq(mc_logset_piece_name(s, 0), "consent.log.2.gz");
    ck_assert_str_eq(mc_logset_piece_name(s, 1), "consent.log.1");
    ck_assert_str_eq(mc_logset_piece_name(s, 2), "consent.log");
    ck_assert_uint_eq(chain_named(s, "web1")->records, 6);
}
END_TEST

START_TEST(a_missing_middle_piece_is_named_where_the_chain_resumes)
{
    writer_t w;
    const char *lines[6];
    const mc_logset_problem_t *pb;
    mc_logset_t *s = mc_logset_create(test_pool);

    writer_init(&w, "web1");
    for (int i = 0; i < 6; i++)
        lines[i] = next_record(&w, T0 + i, "custom", 5, "nb");
    mc_logset_piece(s, "old.log");
    add(s, 1, lines[0]);
    add(s, 2, lines[1]);
    mc_logset_piece(s, "new.log"); /* lines 2 and 3 are lost */
    add(s, 1, lines[4]);
    add(s, 2, lines[5]);
    mc_logset_finish(s);
    ck_assert(!mc_logset_reordered(s));
    ck_assert_uint_eq(mc_logset_problem_count(s), 1);
    pb = mc_logset_problem_at(s, 0);
    ck_assert_str_eq(pb->piece, "new.log");
    ck_assert_uint_eq(pb->line, 1);
}
END_TEST

START_TEST(a_piece_that_starts_mid_way_is_not_a_problem)
{
    writer_t w;
    mc_logset_t *s = mc_logset_create(test_pool);

    writer_init(&w, "");
    next_record(&w, T0, "accept_all", 1, "en");
    mc_logset_piece(s, "consent.log");
    add(s, 1, next_record(&w, T0 + 1, "accept_all", 1, "en"));
    mc_logset_finish(s);
    ck_assert_uint_eq(mc_logset_problem_count(s), 0);
    ck_assert(!mc_logset_chain(s, 0)->from_genesis);
    ck_assert_str_eq(mc_logset_chain(s, 0)->name, "");
}
END_TEST

START_TEST(the_first_problem_is_first_in_chain_order)
{
    writer_t w;
    const char *lines[4];
    char *edited;
    mc_logset_t *s = mc_logset_create(test_pool);

    writer_init(&w, "web1");
    for (int i = 0; i < 4; i++)
        lines[i] = next_record(&w, T0 + i, "accept_all", 1, "en");
    edited = apr_pstrdup(test_pool, lines[1]);
    edited[strstr(edited, "\"policy\":\"1\"") - edited + 10] = '2';
    mc_logset_piece(s, "new.log"); /* given first, but later in the chain */
    add(s, 1, lines[2]);
    ck_assert_int_ne(add(s, 2, "not json"), MC_OK);
    mc_logset_piece(s, "old.log");
    add(s, 1, lines[0]);
    ck_assert_int_ne(add(s, 2, edited), MC_OK);
    mc_logset_finish(s);
    ck_assert_uint_ge(mc_logset_problem_count(s), 2);
    ck_assert_str_eq(mc_logset_problem_at(s, 0)->piece, "old.log");
    ck_assert_uint_eq(mc_logset_problem_at(s, 0)->line, 2);
}
END_TEST

START_TEST(a_removed_record_inside_a_piece_is_found)
{
    writer_t w;
    const char *lines[4];
    mc_logset_t *s = mc_logset_create(test_pool);

    writer_init(&w, "web1");
    for (int i = 0; i < 4; i++)
        lines[i] = next_record(&w, T0 + i, "accept_all", 1, "en");
    mc_logset_piece(s, "consent.log");
    add(s, 1, lines[0]);
    add(s, 2, lines[2]);
    add(s, 3, lines[3]);
    mc_logset_finish(s);
    ck_assert_uint_eq(mc_logset_problem_count(s), 1);
    ck_assert_uint_eq(mc_logset_problem_at(s, 0)->line, 2);
    ck_assert_str_eq(mc_logset_problem_at(s, 0)->chain, "web1");
}
END_TEST

START_TEST(syslog_lines_give_the_record_after_our_tag)
{
    static const char *const ours[] = {
        "Nov 24 10:00:00 host mod_consent[123]: {\"a\":1}",
        "2026-11-24T10:00:00.123456+00:00 web-1 mod_consent[9]: {\"a\":1}",
        "Nov 24 10:00:00 host mod_consent: {\"a\":1}\r",
    };
    static const char *const others[] = {
        "Nov 24 10:00:00 host sshd[123]: {\"a\":1}",
        "Nov 24 10:00:00 host not_mod_consent[1]: {\"a\":1}",
        "Nov 24 10:00:00 host mod_consent[12x]: {\"a\":1}",
        "Nov 24 10:00:00 host mod_consent[123]: no record here",
        "",
    };
    size_t len;

    for (size_t i = 0; i < sizeof(ours) / sizeof(*ours); i++) {
        const char *rec = mc_logset_syslog_record(ours[i], strlen(ours[i]), &len);
        ck_assert_msg(rec != NULL, "%s", ours[i]);
        ck_assert_str_eq(apr_pstrndup(test_pool, rec, len), "{\"a\":1}");
    }
    for (size_t i = 0; i < sizeof(others) / sizeof(*others); i++)
        ck_assert_msg(mc_logset_syslog_record(others[i], strlen(others[i]), &len) == NULL, "%s",
                      others[i]);
}
END_TEST

/* ---- logstats -------------------------------------------------------------------------- */

static mc_logstats_t *stats_of(const char *const *lines, int n)
{
    mc_logstats_t *st = mc_logstats_create(test_pool);
    const char *err = NULL;

    for (int i = 0; i < n; i++)
        ck_assert_int_eq(mc_logstats_add(st, lines[i], strlen(lines[i]), &err), MC_OK);
    mc_logstats_finish(st);
    return st;
}

START_TEST(stats_count_methods_categories_days_and_ids)
{
    writer_t w;
    const char *lines[5];
    mc_logstats_t *st;
    const mc_logstats_category_t *stat;

    writer_init(&w, "web1");
    lines[0] = next_record(&w, T0, "accept_all", 0xf, "nb");
    lines[1] = next_record(&w, T0 + 1, "reject_all", 1, "nb");
    lines[2] = next_record(&w, T0 + DAY_USEC, "custom", 1 | 4, "en");
    lines[3] = next_record(&w, T0 + 3 * DAY_USEC, "withdraw", 1, "en");
    lines[4] = next_record(&w, T0 + 3 * DAY_USEC + 5, "accept_all", 0xf, "en");
    st = stats_of(lines, 5);
    ck_assert_uint_eq(st->total, 5);
    ck_assert_uint_eq(st->by_method[0], 2);
    ck_assert_uint_eq(st->by_method[1], 1);
    ck_assert_uint_eq(st->by_method[2], 1);
    ck_assert_uint_eq(st->by_method[3], 1);
    ck_assert_uint_eq(st->distinct_ids, 5);
    /* four days from the first to the last, the one without decisions filled in */
    ck_assert_int_eq(st->days->nelts, 4);
    ck_assert_str_eq(APR_ARRAY_IDX(st->days, 0, mc_logstats_day_t).day, "2026-03-02");
    ck_assert_uint_eq(APR_ARRAY_IDX(st->days, 0, mc_logstats_day_t).total, 2);
    ck_assert_uint_eq(APR_ARRAY_IDX(st->days, 2, mc_logstats_day_t).total, 0);
    ck_assert_uint_eq(APR_ARRAY_IDX(st->days, 3, mc_logstats_day_t).by_method[3], 1);
    /* built-ins first, in their usual order */
    ck_assert_str_eq(APR_ARRAY_IDX(st->categories, 0, mc_logstats_category_t).name, "necessary");
    stat = &APR_ARRAY_IDX(st->categories, 2, mc_logstats_category_t);
    ck_assert_str_eq(stat->name, "statistics");
    ck_assert_uint_eq(stat->granted, 3);
    ck_assert_uint_eq(stat->refused, 2);
    ck_assert_str_eq(st->first_time, "2026-03-02T08:15:00.123Z");
    ck_assert_int_eq(st->langs->nelts, 2);
}
END_TEST

/* A record of W granting SERVICES (comma-separated, "" for none) via VIA. */
static char *service_record(writer_t *w, int64_t time_usec, const char *services, const char *via)
{
    mc_record_t rec = {0};
    apr_array_header_t *ids = apr_array_make(test_pool, 2, sizeof(const char *));
    char *list = apr_pstrdup(test_pool, services), *state = NULL;
    const char *err = NULL;
    char hash[MC_HASH_HEX + 1], *line;

    for (char *id = apr_strtok(list, ",", &state); id; id = apr_strtok(NULL, ",", &state))
        APR_ARRAY_PUSH(ids, const char *) = id;
    rec.time_usec = time_usec;
    rec.id = "AAAAAAAAAAAAAAAAAAAAAA";
    rec.policy = "1";
    rec.cats = mc_categories_make(test_pool);
    rec.granted = 1;
    rec.services = ids;
    rec.method = "custom";
    rec.via = via;
    rec.lang = "nn";
    rec.text = TEXT_HASH;
    line = mc_record_format(test_pool, &rec, w->last, hash, &err);
    ck_assert_msg(line != NULL, "format failed: %s", err);
    memcpy(w->last, hash, sizeof(w->last));
    line[strlen(line) - 1] = '\0';
    return line;
}

static uint64_t count_named(const apr_array_header_t *counts, const char *name)
{
    for (int i = 0; i < counts->nelts; i++) {
        const mc_logstats_count_t *c = &APR_ARRAY_IDX(counts, i, mc_logstats_count_t);

        if (strcmp(c->name, name) == 0)
            return c->count;
    }
    return 0;
}

START_TEST(stats_count_services_and_where_choices_were_made)
{
    writer_t w;
    const char *lines[4];
    mc_logstats_t *st;
    char *page;

    writer_init(&w, "");
    lines[0] = service_record(&w, T0, "youtube", "placeholder");
    lines[1] = service_record(&w, T0 + 1, "youtube,google-maps", "settings");
    lines[2] = service_record(&w, T0 + 2, "", "banner");
    lines[3] = next_record(&w, T0 + 3, "accept_all", 0xf, "nb"); /* an older record */
    st = stats_of(lines, 4);
    ck_assert_uint_eq(st->total, 4);
    ck_assert_uint_eq(count_named(st->services, "youtube"), 2);
    ck_assert_uint_eq(count_named(st->services, "google-maps"), 1);
    ck_assert_int_eq(st->services->nelts, 2);
    ck_assert_uint_eq(count_named(st->vias, "placeholder"), 1);
    ck_assert_uint_eq(count_named(st->vias, "settings"), 1);
    ck_assert_uint_eq(count_named(st->vias, "banner"), 1);
    ck_assert_uint_eq(count_named(st->vias, "unrecorded"), 1);
    page = mc_logstats_html(st, test_pool, "consent.log");
    ck_assert_ptr_nonnull(strstr(page, "<th scope=\"row\">youtube</th><td>2</td>"));
    ck_assert_ptr_nonnull(strstr(page, "<th scope=\"row\">placeholder</th><td>1</td>"));
    ck_assert_ptr_nonnull(strstr(mc_logstats_json(st, test_pool), "\"youtube\": 2"));
}
END_TEST

START_TEST(day_numbers_round_trip)
{
    char text[11];

    ck_assert_int_eq(mc_logstats_day_number("1970-01-01"), 0);
    ck_assert_int_eq(mc_logstats_day_number("2024-03-01") - mc_logstats_day_number("2024-02-28"),
                     2);
    mc_logstats_day_text(mc_logstats_day_number("2026-12-31") + 1, text);
    ck_assert_str_eq(text, "2027-01-01");
    ck_assert_int_eq(mc_logstats_day_number("2026-13-01"), -1);
    ck_assert_int_eq(mc_logstats_day_number("20261301"), -1);
}
END_TEST

START_TEST(html_page_escapes_the_log_and_has_no_script)
{
    writer_t w;
    const char *lines[1];
    mc_logstats_t *st;
    char *page;

    writer_init(&w, "web1");
    lines[0] = next_record(&w, T0, "accept_all", 1, "<script>alert('x')</script>");
    st = stats_of(lines, 1);
    page = mc_logstats_html(st, test_pool, "a&b.log");
    ck_assert_ptr_null(strstr(page, "<script"));
    ck_assert_ptr_nonnull(strstr(page, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    ck_assert_ptr_nonnull(strstr(page, "a&amp;b.log"));
    ck_assert_ptr_null(strstr(page, "http"));
}
END_TEST

START_TEST(a_year_of_days_gets_thinned_axis_labels)
{
    writer_t w;
    const char *lines[2];
    mc_logstats_t *st;
    char *page, *svg_end;
    int labels = 0;

    writer_init(&w, "web1");
    lines[0] = next_record(&w, T0, "accept_all", 1, "en");
    lines[1] = next_record(&w, T0 + 364 * DAY_USEC, "accept_all", 1, "en");
    st = stats_of(lines, 2);
    ck_assert_int_eq(st->days->nelts, 365);
    page = mc_logstats_html(st, test_pool, "x");
    svg_end = strstr(page, "</svg>");
    for (char *at = strstr(page, "text-anchor=\"middle\">"); at && at < svg_end;
         at = strstr(at + 1, "text-anchor=\"middle\">"))
        labels++;
    ck_assert_int_ge(labels, 4);
    ck_assert_int_le(labels, 12);
}
END_TEST

Suite *logstats_suite(void)
{
    Suite *s = suite_create("logstats");
    TCase *set = tcase_create("logset");
    TCase *stats = tcase_create("stats");

    tcase_add_checked_fixture(set, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(set, interleaved_chains_verify_separately);
    tcase_add_test(set, rotated_pieces_given_newest_first_are_put_in_chain_order);
    tcase_add_test(set, a_missing_middle_piece_is_named_where_the_chain_resumes);
    tcase_add_test(set, a_piece_that_starts_mid_way_is_not_a_problem);
    tcase_add_test(set, the_first_problem_is_first_in_chain_order);
    tcase_add_test(set, a_removed_record_inside_a_piece_is_found);
    tcase_add_test(set, syslog_lines_give_the_record_after_our_tag);
    suite_add_tcase(s, set);
    tcase_add_checked_fixture(stats, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(stats, stats_count_methods_categories_days_and_ids);
    tcase_add_test(stats, day_numbers_round_trip);
    tcase_add_test(stats, stats_count_services_and_where_choices_were_made);
    tcase_add_test(stats, html_page_escapes_the_log_and_has_no_script);
    tcase_add_test(stats, a_year_of_days_gets_thinned_axis_labels);
    suite_add_tcase(s, stats);
    return s;
}
