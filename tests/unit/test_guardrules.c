/* The guard's rules (rules.js): URL rules in the compact form consent.js
 * takes, grouped by category. */
#include <apr_strings.h>
#include <string.h>

#include "guard.h"
#include "unit.h"

static mc_ruleset_t *ruleset(void)
{
    return mc_ruleset_make(test_pool);
}

static void add(mc_ruleset_t *rs, mc_rule_kind_t kind, const char *cat, const char *pattern)
{
    const char *err = NULL;
    ck_assert_msg(mc_ruleset_add(rs, kind, cat, pattern, "test", &err) == MC_OK, "%s", err);
}

static const char *js_of(mc_ruleset_t *rs, int *skipped)
{
    return mc_guard_rules_js(test_pool, rs->rules[MC_RULE_URL], mc_categories_make(test_pool),
                             skipped);
}

START_TEST(globs_grouped_by_category)
{
    mc_ruleset_t *rs = ruleset();
    int skipped = -1;

    add(rs, MC_RULE_URL, "statistics", "googletagmanager.com");
    add(rs, MC_RULE_URL, "marketing", "https://Connect.Facebook.NET/*/fbevents.js*");
    add(rs, MC_RULE_URL, "statistics", "google-analytics.com/g/collect*");
    add(rs, MC_RULE_URL, "necessary", "cdn.example.com");
    ck_assert_str_eq(js_of(rs, &skipped),
                     "window.mcRules={\"statistics\":[\"googletagmanager.com\","
                     "\"google-analytics.com/g/collect*\"],\"marketing\":["
                     "\"connect.facebook.net/*/fbevents.js*\"]};\n");
    ck_assert_int_eq(skipped, 0);
}
END_TEST

START_TEST(empty_set_is_an_empty_object)
{
    ck_assert_str_eq(js_of(ruleset(), NULL), "window.mcRules={};\n");
    ck_assert_str_eq(mc_guard_rules_js(test_pool, NULL, mc_categories_make(test_pool), NULL),
                     "window.mcRules={};\n");
}
END_TEST

START_TEST(trivial_regexes_are_converted_others_skipped)
{
    mc_ruleset_t *rs = ruleset();
    int skipped = 0;

    add(rs, MC_RULE_URL, "marketing", "~(?:^|\\.)facebook\\.com/tr(?:[/?]|$)");
    add(rs, MC_RULE_URL, "marketing", "~^ads\\.example\\.com$");
    add(rs, MC_RULE_URL, "marketing", "~^google\\.[a-z]{2,3}/ads/");
    add(rs, MC_RULE_URL, "statistics", "~/(?:matomo|piwik)\\.js");
    ck_assert_str_eq(js_of(rs, &skipped),
                     "window.mcRules={\"marketing\":[\"facebook.com/tr*\",\"ads.example.com\"]};\n");
    ck_assert_int_eq(skipped, 2);
}
END_TEST

START_TEST(pattern_forms)
{
    ck_assert_str_eq(mc_guard_pattern(test_pool, "//YouTube.com/Embed/*"), "youtube.com/Embed/*");
    ck_assert_str_eq(mc_guard_pattern(test_pool, "~^x\\.com/a/b.*"), "x.com/a/b*");
    ck_assert_str_eq(mc_guard_pattern(test_pool, "~^x\\.com(?:[/?]|$)"), "x.com");
    ck_assert_ptr_null(mc_guard_pattern(test_pool, "~x\\.com"));
    ck_assert_ptr_null(mc_guard_pattern(test_pool, "~^\\.com/"));
    ck_assert_ptr_null(mc_guard_pattern(test_pool, "~^x\\.com/a+"));
    ck_assert_ptr_null(mc_guard_pattern(test_pool, ""));
}
END_TEST

START_TEST(later_rule_moves_a_pattern)
{
    mc_ruleset_t *rs = ruleset();

    add(rs, MC_RULE_URL, "marketing", "maps.google.com");
    add(rs, MC_RULE_URL, "statistics", "hotjar.com");
    add(rs, MC_RULE_URL, "necessary", "maps.google.com");
    add(rs, MC_RULE_COOKIE, "marketing", "_fbp");
    ck_assert_str_eq(js_of(rs, NULL), "window.mcRules={\"statistics\":[\"hotjar.com\"]};\n");
}
END_TEST

START_TEST(mixed_kind_arrays_and_duplicates)
{
    mc_ruleset_t *rs = ruleset();
    apr_array_header_t *mixed = apr_array_make(test_pool, 4, sizeof(mc_rule_t));

    add(rs, MC_RULE_COOKIE, "marketing", "_fbp");
    add(rs, MC_RULE_URL, "marketing", "doubleclick.net");
    add(rs, MC_RULE_URL, "marketing", "doubleclick.net");
    add(rs, MC_RULE_INLINE, "marketing", "fbq\\(");
    for (int k = 0; k < 3; k++)
        apr_array_cat(mixed, rs->rules[k]);
    ck_assert_str_eq(mc_guard_rules_js(test_pool, mixed, mc_categories_make(test_pool), NULL),
                     "window.mcRules={\"marketing\":[\"doubleclick.net\"]};\n");
}
END_TEST

START_TEST(custom_categories_and_the_default_catalogue)
{
    mc_ruleset_t *rs = ruleset();
    mc_categories_t *cats = mc_categories_make(test_pool);
    const char *err = NULL;
    const char *js;

    ck_assert_int_eq(mc_categories_add(cats, "video", 0, &err), MC_OK);
    ck_assert_int_eq(mc_ruleset_load_file(rs, MC_TEST_DATA "/../../conf/rules/default.json", &err),
                     MC_OK);
    add(rs, MC_RULE_URL, "video", "vimeo.com");
    js = mc_guard_rules_js(test_pool, rs->rules[MC_RULE_URL], cats, NULL);
    ck_assert_ptr_nonnull(strstr(js, "\"statistics\":[\""));
    ck_assert_ptr_nonnull(strstr(js, "\"googletagmanager.com/gtag/js*\""));
    ck_assert_ptr_nonnull(strstr(js, "\"connect.facebook.net\""));
    ck_assert_ptr_nonnull(strstr(js, "\"video\":[\"vimeo.com\"]"));
    ck_assert_ptr_null(strstr(js, "~"));
}
END_TEST

START_TEST(catalogue_patterns_name_their_service)
{
    static const char json[] =
        "{\"services\": [{\"name\": \"YouTube\", \"category\": \"marketing\","
        "\"urls\": [\"youtube.com\", \"ytimg.com\"]}]}";
    mc_ruleset_t *rs = ruleset();
    const char *err = NULL;

    ck_assert_int_eq(mc_ruleset_load_json(rs, json, sizeof(json) - 1, "t", &err), MC_OK);
    add(rs, MC_RULE_URL, "marketing", "ads.example.com");
    ck_assert_str_eq(js_of(rs, NULL),
                     "window.mcRules={\"marketing\":[\"youtube.com\",\"ytimg.com\","
                     "\"ads.example.com\"]};\n"
                     "window.mcServices={\"youtube.com\":\"youtube\",\"ytimg.com\":\"youtube\"};\n");
    /* a pattern an admin's rule takes over is no longer the service's */
    add(rs, MC_RULE_URL, "marketing", "ytimg.com");
    ck_assert_str_eq(js_of(rs, NULL),
                     "window.mcRules={\"marketing\":[\"youtube.com\",\"ads.example.com\","
                     "\"ytimg.com\"]};\n"
                     "window.mcServices={\"youtube.com\":\"youtube\"};\n");
}
END_TEST

Suite *guardrules_suite(void)
{
    Suite *s = suite_create("guardrules");
    TCase *tc = tcase_create("guardrules");

    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, globs_grouped_by_category);
    tcase_add_test(tc, empty_set_is_an_empty_object);
    tcase_add_test(tc, trivial_regexes_are_converted_others_skipped);
    tcase_add_test(tc, pattern_forms);
    tcase_add_test(tc, later_rule_moves_a_pattern);
    tcase_add_test(tc, mixed_kind_arrays_and_duplicates);
    tcase_add_test(tc, custom_categories_and_the_default_catalogue);
    tcase_add_test(tc, catalogue_patterns_name_their_service);
    suite_add_tcase(s, tc);
    return s;
}
