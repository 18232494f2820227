/* The consent-state key a shared cache keeps pages under (statekey.h), and
 * how long the site lets a shared cache keep a page. */
#include <apr_strings.h>
#include <string.h>

#include "httpfield.h"
#include "statekey.h"
#include "unit.h"

static const mc_categories_t *cats(void)
{
    return mc_categories_make(test_pool);
}

/* A decided consent under POLICY granting GRANTED (category bits) and the
 * services in IDS (N of them). */
static mc_consent_t decided(const char *policy, mc_catmask_t granted, const char *const *ids, int n)
{
    mc_consent_t c;
    apr_array_header_t *a = apr_array_make(test_pool, n + 1, sizeof(const char *));

    mc_consent_init(&c, cats());
    c.decided = 1;
    c.policy = policy;
    c.time = 1772439300;
    memcpy(c.id, "q3Zb9xY0nTL2kRr7vWc1dA", MC_ID_LEN + 1);
    c.granted = granted | 1;
    for (int i = 0; i < n; i++)
        APR_ARRAY_PUSH(a, const char *) = ids[i];
    c.services = a;
    return c;
}

static const char *key_of(mc_consent_t c)
{
    const char *k = mc_statekey_make(test_pool, cats(), &c);

    ck_assert_ptr_nonnull(k);
    return k;
}

#define STATS ((mc_catmask_t)1 << MC_CAT_STATISTICS)
#define MARKETING ((mc_catmask_t)1 << MC_CAT_MARKETING)
#define PREFS ((mc_catmask_t)1 << MC_CAT_PREFERENCES)

START_TEST(no_decision_is_none)
{
    mc_consent_t c;

    mc_consent_init(&c, cats());
    ck_assert_str_eq(mc_statekey_make(test_pool, cats(), &c), "none");
}
END_TEST

START_TEST(a_decision_has_a_short_key_in_its_own_form)
{
    const char *k = key_of(decided("1", STATS, NULL, 0));

    ck_assert_int_eq(strlen(k), 23);
    ck_assert(strncmp(k, "c1-", 3) == 0);
    ck_assert(mc_statekey_valid(k));
    ck_assert_str_ne(k, "none");
}
END_TEST

START_TEST(visitors_who_chose_alike_share_a_key)
{
    static const char *const ab[] = {"youtube", "google-maps"};
    static const char *const ba[] = {"google-maps", "youtube"};
    mc_consent_t one = decided("1", STATS, ab, 2), two = decided("1", STATS, ba, 2);

    /* another visitor: another id and time, the same choice */
    memcpy(two.id, "AAAAAAAAAAAAAAAAAAAAAA", MC_ID_LEN + 1);
    two.time = 1772000000;
    ck_assert_str_eq(key_of(one), key_of(two));
}
END_TEST

START_TEST(every_part_of_the_choice_changes_the_key)
{
    static const char *const yt[] = {"youtube"};
    static const char *const maps[] = {"google-maps"};
    const char *keys[] = {
        key_of(decided("1", 0, NULL, 0)),
        key_of(decided("1", STATS, NULL, 0)),
        key_of(decided("1", MARKETING, NULL, 0)),
        key_of(decided("1", PREFS, NULL, 0)),
        key_of(decided("1", STATS | MARKETING | PREFS, NULL, 0)),
        key_of(decided("2", STATS, NULL, 0)),
        key_of(decided("1", STATS, yt, 1)),
        key_of(decided("1", STATS, maps, 1)),
        key_of(decided("1", 0, yt, 1)),
    };
    const int n = (int)(sizeof(keys) / sizeof(keys[0]));

    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            ck_assert_msg(strcmp(keys[i], keys[j]) != 0, "keys %d and %d are equal", i, j);
}
END_TEST

START_TEST(names_not_bits_make_the_key)
{
    /* the same two extra categories declared in the other order: bit 4 and
     * 5 swap, the choice (grant "chat" only) is the same */
    mc_categories_t *a = mc_categories_make(test_pool), *b = mc_categories_make(test_pool);
    mc_consent_t ca, cb;
    const char *err = NULL;

    ck_assert_int_eq(mc_categories_add(a, "chat", 0, &err), MC_OK);
    ck_assert_int_eq(mc_categories_add(a, "video", 0, &err), MC_OK);
    ck_assert_int_eq(mc_categories_add(b, "video", 0, &err), MC_OK);
    ck_assert_int_eq(mc_categories_add(b, "chat", 0, &err), MC_OK);
    ca = decided("1", 0, NULL, 0);
    cb = ca;
    ca.granted |= (mc_catmask_t)1 << mc_categories_index(a, "chat");
    cb.granted |= (mc_catmask_t)1 << mc_categories_index(b, "chat");
    ck_assert_uint_ne(ca.granted, cb.granted);
    ck_assert_str_eq(mc_statekey_make(test_pool, a, &ca), mc_statekey_make(test_pool, b, &cb));
}
END_TEST

START_TEST(a_service_list_cannot_pass_for_another)
{
    /* lengths go first: "ab" + "c" is not "a" + "bc" */
    static const char *const one[] = {"ab", "c"};
    static const char *const two[] = {"a", "bc"};

    ck_assert_str_ne(key_of(decided("1", 0, one, 2)), key_of(decided("1", 0, two, 2)));
}
END_TEST

START_TEST(only_well_formed_keys_are_valid)
{
    ck_assert(mc_statekey_valid("none"));
    ck_assert(mc_statekey_valid("c1-0123456789abcdef0123"));
    ck_assert(!mc_statekey_valid(NULL));
    ck_assert(!mc_statekey_valid(""));
    ck_assert(!mc_statekey_valid("None"));
    ck_assert(!mc_statekey_valid(" none"));
    ck_assert(!mc_statekey_valid("c1-0123456789ABCDEF0123"));
    ck_assert(!mc_statekey_valid("c1-0123456789abcdef012"));
    ck_assert(!mc_statekey_valid("c1-0123456789abcdef01234"));
    ck_assert(!mc_statekey_valid("c2-0123456789abcdef0123"));
    ck_assert(!mc_statekey_valid("c1-0123456789abcdef012g"));
}
END_TEST

START_TEST(a_request_field_matches_its_key_only)
{
    const char *k = "c1-0123456789abcdef0123";

    ck_assert(mc_statekey_matches(k, k));
    ck_assert(mc_statekey_matches("  c1-0123456789abcdef0123\t", k));
    ck_assert(mc_statekey_matches("none", "none"));
    ck_assert(!mc_statekey_matches(NULL, k));
    ck_assert(!mc_statekey_matches("", k));
    ck_assert(!mc_statekey_matches("none", k));
    ck_assert(!mc_statekey_matches("c1-0123456789abcdef01234", k));
    ck_assert(!mc_statekey_matches("c1-0123456789abcdef012", k));
    ck_assert(!mc_statekey_matches("c1-0123456789abcdef0123, none", k));
    ck_assert(!mc_statekey_matches("nonesuch", "none"));
}
END_TEST

START_TEST(a_page_the_site_says_nothing_of_is_kept_for_the_configured_time)
{
    ck_assert_int_eq(mc_statekey_shared_ttl(NULL, NULL, 300), 300);
    ck_assert_int_eq(mc_statekey_shared_ttl("must-revalidate", NULL, 300), 300);
    ck_assert_int_eq(mc_statekey_shared_ttl("public", NULL, 300), 300);
}
END_TEST

START_TEST(the_sites_own_shorter_lifetime_wins)
{
    ck_assert_int_eq(mc_statekey_shared_ttl("max-age=60", NULL, 300), 60);
    ck_assert_int_eq(mc_statekey_shared_ttl("max-age=6000", NULL, 300), 300);
    ck_assert_int_eq(mc_statekey_shared_ttl("max-age=600, s-maxage=30", NULL, 300), 30);
    ck_assert_int_eq(mc_statekey_shared_ttl("s-maxage=\"45\"", NULL, 300), 45);
    ck_assert_int_eq(mc_statekey_shared_ttl("max-age=600", "max-age=20", 300), 20);
    ck_assert_int_eq(mc_statekey_shared_ttl("max-age=99999999999999999999", NULL, 300), 300);
}
END_TEST

START_TEST(a_page_the_site_keeps_from_shared_caches_stays_out)
{
    ck_assert_int_eq(mc_statekey_shared_ttl("private", NULL, 300), 0);
    ck_assert_int_eq(mc_statekey_shared_ttl("max-age=60, Private", NULL, 300), 0);
    ck_assert_int_eq(mc_statekey_shared_ttl("no-store", NULL, 300), 0);
    ck_assert_int_eq(mc_statekey_shared_ttl("no-cache", NULL, 300), 0);
    ck_assert_int_eq(mc_statekey_shared_ttl("s-maxage=0", NULL, 300), 0);
    ck_assert_int_eq(mc_statekey_shared_ttl("max-age=0", NULL, 300), 0);
    ck_assert_int_eq(mc_statekey_shared_ttl("max-age=soon", NULL, 300), 0);
    ck_assert_int_eq(mc_statekey_shared_ttl("max-age", NULL, 300), 0);
    ck_assert_int_eq(mc_statekey_shared_ttl(NULL, "no-store", 300), 0);
    ck_assert_int_eq(mc_statekey_shared_ttl("public, max-age=60", "no-store, max-age=60", 300), 0);
}
END_TEST

START_TEST(directive_seconds_are_read_strictly)
{
    long long v = -1;

    ck_assert(mc_httpfield_directive_seconds("a, max-age=12, b", "max-age", &v));
    ck_assert_int_eq(v, 12);
    ck_assert(mc_httpfield_directive_seconds("MAX-AGE=\"7\"", "max-age", &v));
    ck_assert_int_eq(v, 7);
    ck_assert(!mc_httpfield_directive_seconds("max-age=-1", "max-age", &v));
    ck_assert(!mc_httpfield_directive_seconds("max-age=1x", "max-age", &v));
    ck_assert(!mc_httpfield_directive_seconds("max-age=\"1", "max-age", &v));
    ck_assert(!mc_httpfield_directive_seconds("s-maxage=5", "max-age", &v));
    ck_assert(!mc_httpfield_directive_seconds(NULL, "max-age", &v));
    ck_assert(mc_httpfield_directive_seconds("max-age=9999999999999", "max-age", &v));
    ck_assert_int_eq(v, 2147483648LL);
}
END_TEST

Suite *statekey_suite(void)
{
    Suite *s = suite_create("statekey");
    TCase *tc = tcase_create("statekey");

    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, no_decision_is_none);
    tcase_add_test(tc, a_decision_has_a_short_key_in_its_own_form);
    tcase_add_test(tc, visitors_who_chose_alike_share_a_key);
    tcase_add_test(tc, every_part_of_the_choice_changes_the_key);
    tcase_add_test(tc, names_not_bits_make_the_key);
    tcase_add_test(tc, a_service_list_cannot_pass_for_another);
    tcase_add_test(tc, only_well_formed_keys_are_valid);
    tcase_add_test(tc, a_request_field_matches_its_key_only);
    tcase_add_test(tc, a_page_the_site_says_nothing_of_is_kept_for_the_configured_time);
    tcase_add_test(tc, the_sites_own_shorter_lifetime_wins);
    tcase_add_test(tc, a_page_the_site_keeps_from_shared_caches_stays_out);
    tcase_add_test(tc, directive_seconds_are_read_strictly);
    suite_add_tcase(s, tc);
    return s;
}
