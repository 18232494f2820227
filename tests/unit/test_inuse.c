/* The table of services a site is seen to use: recording, bounds, the
 * saved form, and that a file saved before it existed still loads. */
#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

#include "inuse.h"
#include "seen.h"
#include "unit.h"

static mc_inuse_table_t *table(unsigned capacity)
{
    size_t size = mc_inuse_size(capacity);
    void *mem = apr_palloc(test_pool, size);
    mc_inuse_table_t *t = mc_inuse_init(mem, size, capacity);

    ck_assert_ptr_nonnull(t);
    return t;
}

static const mc_inuse_t *entry(const apr_array_header_t *list, int i)
{
    return &APR_ARRAY_IDX(list, i, mc_inuse_t);
}

START_TEST(services_are_recorded_once_per_site_with_every_way_seen)
{
    mc_inuse_table_t *t = table(8);
    apr_array_header_t *list;
    uint64_t g;

    ck_assert_int_eq(mc_inuse_record(t, "a:80", "youtube", MC_INUSE_ELEMENT, 100), MC_INUSE_ADDED);
    ck_assert_int_eq(mc_inuse_record(t, "a:80", "google-analytics", MC_INUSE_COOKIE, 100),
                     MC_INUSE_ADDED);
    ck_assert_int_eq(mc_inuse_record(t, "b:80", "youtube", MC_INUSE_CSP, 100), MC_INUSE_ADDED);
    g = mc_inuse_generation(t);
    ck_assert_int_eq(mc_inuse_record(t, "a:80", "youtube", MC_INUSE_ELEMENT, 100),
                     MC_INUSE_UNCHANGED);
    ck_assert_int_eq(mc_inuse_generation(t), g);
    ck_assert_int_eq(mc_inuse_record(t, "a:80", "youtube", MC_INUSE_CSP, 160), MC_INUSE_UPDATED);
    ck_assert_uint_gt(mc_inuse_generation(t), g);
    ck_assert_int_eq(mc_inuse_count(t), 3);
    list = mc_inuse_list(test_pool, t, "a:80");
    ck_assert_int_eq(list->nelts, 2);
    ck_assert_str_eq(entry(list, 0)->service, "google-analytics");
    ck_assert_str_eq(entry(list, 1)->service, "youtube");
    ck_assert_uint_eq(entry(list, 1)->how, MC_INUSE_ELEMENT | MC_INUSE_CSP);
    ck_assert_int_eq(entry(list, 1)->first_seen, 100);
    ck_assert_int_eq(entry(list, 1)->last_seen, 160);
    ck_assert_int_eq(mc_inuse_list(test_pool, t, NULL)->nelts, 3);
}
END_TEST

START_TEST(bad_entries_are_refused_and_a_full_table_keeps_what_it_has)
{
    mc_inuse_table_t *t = table(2);
    char longid[MC_INUSE_ID_MAX + 2];

    memset(longid, 'a', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    ck_assert_int_eq(mc_inuse_record(t, "a:80", "", MC_INUSE_CSP, 1), MC_INUSE_INVALID);
    ck_assert_int_eq(mc_inuse_record(t, "a:80", longid, MC_INUSE_CSP, 1), MC_INUSE_INVALID);
    ck_assert_int_eq(mc_inuse_record(t, "a:80", "x\ty", MC_INUSE_CSP, 1), MC_INUSE_INVALID);
    ck_assert_int_eq(mc_inuse_record(t, "a:80", "x", 0, 1), MC_INUSE_INVALID);
    ck_assert_int_eq(mc_inuse_record(t, "a:80", "x", 8, 1), MC_INUSE_INVALID);
    ck_assert_int_eq(mc_inuse_record(t, "a:80", "one", MC_INUSE_CSP, 1000), MC_INUSE_ADDED);
    ck_assert_int_eq(mc_inuse_record(t, "a:80", "two", MC_INUSE_CSP, 2000), MC_INUSE_ADDED);
    ck_assert_int_eq(mc_inuse_record(t, "a:80", "three", MC_INUSE_CSP, 3000), MC_INUSE_FULL);
    ck_assert_int_eq(mc_inuse_count(t), 2);
    /* a month later the one not seen since gives way */
    ck_assert_int_eq(mc_inuse_record(t, "a:80", "two", MC_INUSE_CSP, 1000 + MC_SEEN_STALE),
                     MC_INUSE_UPDATED);
    ck_assert_int_eq(mc_inuse_record(t, "a:80", "three", MC_INUSE_CSP, 1000 + MC_SEEN_STALE),
                     MC_INUSE_ADDED);
    ck_assert_int_eq(mc_inuse_list(test_pool, t, NULL)->nelts, 2);
    ck_assert_str_eq(entry(mc_inuse_list(test_pool, t, NULL), 0)->service, "three");
}
END_TEST

START_TEST(saved_table_loads_back_after_the_seen_cookies)
{
    mc_inuse_table_t *t = table(8), *back = table(8);
    size_t seen_size = mc_seen_size(4);
    mc_seen_table_t *seen = mc_seen_init(apr_palloc(test_pool, seen_size), seen_size, 4);
    mc_seen_cookie_t c = {"a:80", "_ga", "a", 63072000, 50, 60};
    const char *seen_text, *file, *err = NULL;
    size_t at;
    apr_array_header_t *list;

    mc_inuse_record(t, "a:80", "meta-pixel", MC_INUSE_ELEMENT, 100);
    mc_inuse_record(t, "a:80", "meta-pixel", MC_INUSE_CSP, 90);
    mc_inuse_record(t, "a:80", "mailchimp", MC_INUSE_CSP, 120);
    mc_seen_record(seen, &c);
    seen_text = mc_seen_serialise(test_pool, seen);
    file = apr_pstrcat(test_pool, seen_text, mc_inuse_serialise(test_pool, t), NULL);
    at = mc_inuse_offset(file, strlen(file));
    ck_assert_uint_eq(at, strlen(seen_text));
    ck_assert_int_eq(mc_seen_parse(seen, file, at, &err), MC_OK);
    ck_assert_int_eq(mc_inuse_parse(back, file + at, strlen(file) - at, &err), MC_OK);
    list = mc_inuse_list(test_pool, back, "a:80");
    ck_assert_int_eq(list->nelts, 2);
    ck_assert_str_eq(entry(list, 1)->service, "meta-pixel");
    ck_assert_uint_eq(entry(list, 1)->how, MC_INUSE_ELEMENT | MC_INUSE_CSP);
    ck_assert_int_eq(entry(list, 1)->first_seen, 90);
    ck_assert_int_eq(entry(list, 1)->last_seen, 100);
    /* a file saved before services were recorded has no such part */
    ck_assert_uint_eq(mc_inuse_offset(seen_text, strlen(seen_text)), strlen(seen_text));
}
END_TEST

START_TEST(damaged_saved_table_is_refused_whole)
{
    static const char *const bad[] = {
        "mc-inuse 2\nend 0\n",
        "mc-inuse 1\na:80\tyoutube\t2\t1\t2\n",
        "mc-inuse 1\na:80\tyoutube\t2\t1\t2\nend 2\n",
        "mc-inuse 1\na:80\tyoutube\t9\t1\t2\nend 1\n",
        "mc-inuse 1\na:80\tyoutube\t2\t5\t2\nend 1\n",
        "mc-inuse 1\na:80\tyoutube\t2\t1\nend 1\n",
        "mc-inuse 1\na:80\tyoutube\t2\t1\t2\textra\nend 1\n",
        "mc-inuse 1\na:80\tyoutube\tx\t1\t2\nend 1\n",
        "mc-inuse 1\na:80\tyoutube\t2\t1\t2\nend 1\ntrailing\n",
    };
    mc_inuse_table_t *t = table(4);

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *err = NULL;
        mc_inuse_record(t, "a:80", "kept", MC_INUSE_CSP, 1);
        ck_assert_msg(mc_inuse_parse(t, bad[i], strlen(bad[i]), &err) == MC_EINVAL,
                      "should be refused: %s", bad[i]);
        ck_assert_ptr_nonnull(err);
        ck_assert_int_eq(mc_inuse_count(t), 0);
    }
}
END_TEST

Suite *inuse_suite(void)
{
    Suite *s = suite_create("inuse");
    TCase *tc = tcase_create("inuse");

    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, services_are_recorded_once_per_site_with_every_way_seen);
    tcase_add_test(tc, bad_entries_are_refused_and_a_full_table_keeps_what_it_has);
    tcase_add_test(tc, saved_table_loads_back_after_the_seen_cookies);
    tcase_add_test(tc, damaged_saved_table_is_refused_whole);
    suite_add_tcase(s, tc);
    return s;
}
