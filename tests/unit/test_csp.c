/* The consent-aware Content-Security-Policy (csp.h): sources from rules,
 * the policy per granted set, violation reports; and the table of blocked
 * hosts they fill (blocked.h). */
#include <apr_strings.h>
#include <jansson.h>
#include <string.h>

#include "blocked.h"
#include "builtin.h"
#include "category.h"
#include "csp.h"
#include "declaration.h"
#include "locale.h"
#include "rules.h"
#include "unit.h"

/* --- fixtures ------------------------------------------------------------------------ */

static mc_categories_t *cats;

static mc_ruleset_t *rules_of(const char *const *pairs)
{
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *err = NULL;

    for (int i = 0; pairs[i]; i += 2)
        ck_assert_int_eq(mc_ruleset_add(rs, MC_RULE_URL, pairs[i], pairs[i + 1], "test", &err),
                         MC_OK);
    return rs;
}

static mc_csp_sources_t *sources_of(const char *const *pairs)
{
    mc_csp_sources_t *s;

    cats = mc_categories_make(test_pool);
    s = mc_csp_sources_make(test_pool, cats);
    mc_csp_sources_add_rules(s, rules_of(pairs)->rules[MC_RULE_URL]);
    return s;
}

static mc_catmask_t bit(int cat)
{
    return (mc_catmask_t)1 << cat;
}

/* 1 when POLICY's default-src lists SOURCE as a whole word. */
static int lists(const char *policy, const char *source)
{
    size_t n = strlen(source);
    const char *end = strchr(policy, ';');

    for (const char *s = strstr(policy, source); s && (!end || s < end); s = strstr(s + 1, source)) {
        if (s[-1] == ' ' && (s[n] == ' ' || s[n] == ';' || s[n] == '\0'))
            return 1;
    }
    return 0;
}

static const char *const CLINIC[] = {
    "statistics", "google-analytics.com",
    "statistics", "googletagmanager.com/gtag/js*",
    "marketing",  "connect.facebook.net",
    "marketing",  "facebook.com/plugins/*",
    "marketing",  "~(?:^|\\.)facebook\\.com/tr(?:[/?]|$)",
    "marketing",  "youtube.com",
    "necessary",  "*.klinikk-cdn.test",
    NULL};

/* --- sources from rules --------------------------------------------------------------- */

START_TEST(a_host_rule_allows_the_host_and_its_subdomains)
{
    ck_assert_str_eq(mc_csp_rule_sources(test_pool, "google-analytics.com"),
                     "google-analytics.com *.google-analytics.com");
    ck_assert_str_eq(mc_csp_rule_sources(test_pool, "https://Hotjar.COM"), "hotjar.com *.hotjar.com");
    ck_assert_str_eq(mc_csp_rule_sources(test_pool, "*.cdn.test"), "*.cdn.test");
}
END_TEST

START_TEST(a_path_rule_becomes_a_prefix_up_to_its_first_wildcard)
{
    ck_assert_str_eq(mc_csp_rule_sources(test_pool, "googletagmanager.com/gtag/js*"),
                     "googletagmanager.com/gtag/ *.googletagmanager.com/gtag/");
    ck_assert_str_eq(mc_csp_rule_sources(test_pool, "s3.amazonaws.com/downloads.mailchimp.com/*"),
                     "s3.amazonaws.com/downloads.mailchimp.com/ "
                     "*.s3.amazonaws.com/downloads.mailchimp.com/");
    /* no wildcard: the exact path */
    ck_assert_str_eq(mc_csp_rule_sources(test_pool, "facebook.com/tr"),
                     "facebook.com/tr *.facebook.com/tr");
    /* a wildcard in the first segment: the whole host */
    ck_assert_str_eq(mc_csp_rule_sources(test_pool, "facebook.com/v*/plugins/*"),
                     "facebook.com *.facebook.com");
}
END_TEST

START_TEST(what_a_source_cannot_say_is_left_out)
{
    ck_assert_ptr_null(mc_csp_rule_sources(test_pool, "~^www\\.google\\.[a-z]+/ads/"));
    ck_assert_ptr_null(mc_csp_rule_sources(test_pool, "google.*"));
    ck_assert_ptr_null(mc_csp_rule_sources(test_pool, "ads.*.example.com"));
    ck_assert_ptr_null(mc_csp_rule_sources(test_pool, "bad host;x.com"));
}
END_TEST

START_TEST(consent_csp_allow_takes_host_sources_only)
{
    ck_assert_ptr_null(mc_csp_allow_check("fonts.gstatic.com"));
    ck_assert_ptr_null(mc_csp_allow_check("https://cdn.example.com/lib/"));
    ck_assert_ptr_null(mc_csp_allow_check("*.example.com"));
    ck_assert_ptr_null(mc_csp_allow_check("wss://chat.example.com:8443"));
    ck_assert_ptr_null(mc_csp_allow_check("maps.example.com:*"));
    ck_assert_ptr_nonnull(mc_csp_allow_check("'unsafe-hashes'"));
    ck_assert_ptr_nonnull(mc_csp_allow_check("a.com;script-src *"));
    ck_assert_ptr_nonnull(mc_csp_allow_check("a.com,b.com"));
    ck_assert_ptr_nonnull(mc_csp_allow_check("https:"));
    ck_assert_ptr_nonnull(mc_csp_allow_check("*"));
    ck_assert_ptr_nonnull(mc_csp_allow_check("a..com"));
    ck_assert_ptr_nonnull(mc_csp_allow_check("a.com:80x"));
    ck_assert_ptr_nonnull(mc_csp_allow_check(""));
}
END_TEST

/* --- the policy ---------------------------------------------------------------------- */

START_TEST(without_consent_only_the_site_and_necessary_hosts)
{
    mc_csp_sources_t *s = sources_of(CLINIC);
    mc_catmask_t left = 0;
    const char *policy = mc_csp_policy(test_pool, s, 0, "/_consent/csp-report", "mc-csp", &left);

    ck_assert_str_eq(policy, "default-src 'self' 'unsafe-inline' 'unsafe-eval' blob: data: "
                             "*.klinikk-cdn.test; report-uri /_consent/csp-report; "
                             "report-to mc-csp");
    ck_assert_uint_eq(left, bit(MC_CAT_STATISTICS) | bit(MC_CAT_MARKETING));
}
END_TEST

START_TEST(a_granted_category_adds_its_hosts)
{
    mc_csp_sources_t *s = sources_of(CLINIC);
    mc_catmask_t left = 0;
    const char *policy = mc_csp_policy(test_pool, s, bit(MC_CAT_STATISTICS), NULL, NULL, &left);

    ck_assert(lists(policy, "google-analytics.com"));
    ck_assert(lists(policy, "*.google-analytics.com"));
    ck_assert(lists(policy, "googletagmanager.com/gtag/"));
    ck_assert(!lists(policy, "connect.facebook.net"));
    ck_assert(!lists(policy, "youtube.com"));
    ck_assert_ptr_null(strstr(policy, "report-"));
    ck_assert_uint_eq(left, bit(MC_CAT_MARKETING));

    policy = mc_csp_policy(test_pool, s, mc_categories_all(cats), NULL, NULL, &left);
    ck_assert(lists(policy, "connect.facebook.net"));
    ck_assert(lists(policy, "*.youtube.com"));
    ck_assert(lists(policy, "facebook.com/plugins/"));
    /* the regex rule has no source */
    ck_assert_ptr_null(strstr(policy, "facebook.com/tr"));
    ck_assert_uint_eq(left, 0);
}
END_TEST

START_TEST(the_last_rule_of_a_pattern_decides_its_category)
{
    static const char *const moved[] = {"marketing", "youtube.com", "necessary", "youtube.com",
                                        NULL};
    mc_csp_sources_t *s = sources_of(moved);
    const char *policy = mc_csp_policy(test_pool, s, 0, NULL, NULL, NULL);

    ck_assert(lists(policy, "youtube.com"));
}
END_TEST

START_TEST(one_source_from_two_categories_is_allowed_by_either)
{
    static const char *const shared[] = {"statistics", "googletagmanager.com/gtag/js*",
                                         "marketing", "googletagmanager.com/gtag/js?*id=AW-*",
                                         NULL};
    mc_csp_sources_t *s = sources_of(shared);
    mc_catmask_t left = 0;
    const char *policy = mc_csp_policy(test_pool, s, bit(MC_CAT_STATISTICS), NULL, NULL, &left);

    ck_assert(lists(policy, "googletagmanager.com/gtag/"));
    /* marketing would add nothing new: granting it needs no new policy */
    ck_assert_uint_eq(left, 0);
    ck_assert(!lists(mc_csp_policy(test_pool, s, 0, NULL, NULL, NULL), "googletagmanager.com/gtag/"));
}
END_TEST

START_TEST(allowed_sources_come_first_and_each_source_once)
{
    mc_csp_sources_t *s = sources_of(CLINIC);
    const char *policy;

    mc_csp_sources_allow(s, "fonts.gstatic.com");
    mc_csp_sources_allow(s, "*.klinikk-cdn.test");
    policy = mc_csp_policy(test_pool, s, 0, NULL, NULL, NULL);
    ck_assert_str_eq(policy, "default-src 'self' 'unsafe-inline' 'unsafe-eval' blob: data: "
                             "fonts.gstatic.com *.klinikk-cdn.test");
}
END_TEST

START_TEST(the_header_name_follows_the_mode)
{
    ck_assert_ptr_null(mc_csp_header_name(MC_CSP_OFF));
    ck_assert_str_eq(mc_csp_header_name(MC_CSP_REPORT), "Content-Security-Policy-Report-Only");
    ck_assert_str_eq(mc_csp_header_name(MC_CSP_ENFORCE), "Content-Security-Policy");
    ck_assert_str_eq(mc_csp_mode_str(MC_CSP_REPORT), "Report");
}
END_TEST

/* --- reports ---------------------------------------------------------------------------- */

static apr_array_header_t *parsed(mc_csp_format_t format, const char *body, mc_status_t expect)
{
    apr_array_header_t *out = NULL;
    const char *err = NULL;

    ck_assert_int_eq(mc_csp_report_parse(test_pool, format, body, strlen(body), &out, &err),
                     expect);
    if (expect != MC_OK)
        ck_assert_ptr_nonnull(err);
    return out;
}

static const mc_csp_violation_t *violation(const apr_array_header_t *list, int i)
{
    return &APR_ARRAY_IDX(list, i, mc_csp_violation_t);
}

START_TEST(a_report_uri_report_names_host_and_directive)
{
    apr_array_header_t *v = parsed(
        MC_CSP_FORMAT_REPORT_URI,
        "{\"csp-report\":{\"document-uri\":\"https://klinikk.test/om-oss.html\","
        "\"blocked-uri\":\"https://WWW.Google-Analytics.com:443/collect?v=2\","
        "\"effective-directive\":\"connect-src\",\"violated-directive\":\"default-src\"}}",
        MC_OK);

    ck_assert_int_eq(v->nelts, 1);
    ck_assert_str_eq(violation(v, 0)->blocked_host, "www.google-analytics.com");
    ck_assert_str_eq(violation(v, 0)->document_host, "klinikk.test");
    ck_assert_str_eq(mc_csp_directive_name(violation(v, 0)->directive), "connect-src");

    /* CSP2 browsers: the first word of violated-directive */
    v = parsed(MC_CSP_FORMAT_REPORT_URI,
               "{\"csp-report\":{\"document-uri\":\"http://klinikk.test/\","
               "\"blocked-uri\":\"http://px.example/p.gif\","
               "\"violated-directive\":\"img-src 'self'\"}}",
               MC_OK);
    ck_assert_str_eq(mc_csp_directive_name(violation(v, 0)->directive), "img-src");
}
END_TEST

START_TEST(a_reporting_api_batch_gives_each_csp_violation)
{
    apr_array_header_t *v = parsed(
        MC_CSP_FORMAT_REPORTING,
        "[{\"type\":\"csp-violation\",\"age\":3,\"url\":\"https://klinikk.test/\","
        "\"body\":{\"documentURL\":\"https://klinikk.test/\",\"blockedURL\":\"wss://t.example/s\","
        "\"effectiveDirective\":\"connect-src\",\"disposition\":\"enforce\"}},"
        "{\"type\":\"deprecation\",\"url\":\"https://klinikk.test/\",\"body\":{}},"
        "{\"type\":\"csp-violation\",\"url\":\"https://klinikk.test/\","
        "\"body\":{\"documentURL\":\"https://klinikk.test/\",\"blockedURL\":\"inline\","
        "\"effectiveDirective\":\"script-src-elem\"}},"
        "{\"type\":\"csp-violation\",\"url\":\"https://klinikk.test/\","
        "\"body\":{\"documentURL\":\"https://klinikk.test/\",\"blockedURL\":\"https://[2001:db8::1]/x\","
        "\"effectiveDirective\":\"img-src\"}}]",
        MC_OK);

    ck_assert_int_eq(v->nelts, 2);
    ck_assert_str_eq(violation(v, 0)->blocked_host, "t.example");
    ck_assert_str_eq(violation(v, 1)->blocked_host, "[2001:db8::1]");
    ck_assert_str_eq(mc_csp_directive_name(violation(v, 1)->directive), "img-src");
}
END_TEST

START_TEST(malformed_reports_are_refused)
{
    parsed(MC_CSP_FORMAT_REPORT_URI, "not json", MC_EINVAL);
    parsed(MC_CSP_FORMAT_REPORT_URI, "[]", MC_EINVAL);
    parsed(MC_CSP_FORMAT_REPORT_URI, "{\"csp-report\":\"x\"}", MC_EINVAL);
    parsed(MC_CSP_FORMAT_REPORT_URI,
           "{\"csp-report\":{\"blocked-uri\":\"https://a.example/\","
           "\"effective-directive\":\"img-src\"}}",
           MC_EINVAL);
    parsed(MC_CSP_FORMAT_REPORT_URI,
           "{\"csp-report\":{\"document-uri\":\"about:blank\",\"blocked-uri\":\"https://a.example/\","
           "\"effective-directive\":\"img-src\"}}",
           MC_EINVAL);
    parsed(MC_CSP_FORMAT_REPORTING, "{}", MC_EINVAL);
    parsed(MC_CSP_FORMAT_REPORTING, "[]", MC_EINVAL);
    parsed(MC_CSP_FORMAT_REPORTING, "[1]", MC_EINVAL);
    parsed(MC_CSP_FORMAT_REPORTING, "[{\"type\":\"csp-violation\",\"body\":3}]", MC_EINVAL);
}
END_TEST

START_TEST(an_oversized_report_is_refused_unread)
{
    char *big = apr_palloc(test_pool, MC_CSP_REPORT_BODY_MAX + 2);
    apr_array_header_t *out;
    const char *err = NULL;

    memset(big, ' ', MC_CSP_REPORT_BODY_MAX + 1);
    big[MC_CSP_REPORT_BODY_MAX + 1] = '\0';
    ck_assert_int_eq(mc_csp_report_parse(test_pool, MC_CSP_FORMAT_REPORTING, big,
                                         MC_CSP_REPORT_BODY_MAX + 1, &out, &err),
                     MC_ELIMIT);
}
END_TEST

START_TEST(url_hosts)
{
    ck_assert_str_eq(mc_csp_url_host(test_pool, "https://user:pw@A.example.:8443/x"), "a.example");
    ck_assert_str_eq(mc_csp_url_host(test_pool, "http://b.example?q"), "b.example");
    ck_assert_ptr_null(mc_csp_url_host(test_pool, "data:image/png;base64,xx"));
    ck_assert_ptr_null(mc_csp_url_host(test_pool, "https:///nohost"));
    ck_assert_ptr_null(mc_csp_url_host(test_pool, "https://bad host/"));
    ck_assert_ptr_null(mc_csp_url_host(test_pool, "eval"));
}
END_TEST

/* --- the table of blocked hosts -------------------------------------------------------------- */

static mc_blocked_table_t *table(unsigned capacity)
{
    size_t size = mc_blocked_size(capacity);
    mc_blocked_table_t *t = mc_blocked_init(apr_palloc(test_pool, size), size, capacity);

    ck_assert_ptr_nonnull(t);
    return t;
}

#define T0 1795500000

START_TEST(a_host_is_added_once_then_counted)
{
    mc_blocked_table_t *t = table(4);
    int connect = mc_csp_directive_index("connect-src"), img = mc_csp_directive_index("img-src");
    apr_array_header_t *list;
    const mc_blocked_host_t *h;

    ck_assert_int_eq(mc_blocked_record(t, "site:80", "t.example", connect, T0), MC_BLOCKED_ADDED);
    ck_assert_int_eq(mc_blocked_record(t, "site:80", "t.example", img, T0 + 5), MC_BLOCKED_COUNTED);
    ck_assert_int_eq(mc_blocked_record(t, "site:80", "t.example", img, T0 + 9), MC_BLOCKED_COUNTED);
    ck_assert_int_eq(mc_blocked_record(t, "other:80", "t.example", img, T0), MC_BLOCKED_ADDED);
    list = mc_blocked_list(test_pool, t, "site:80");
    ck_assert_int_eq(list->nelts, 1);
    h = &APR_ARRAY_IDX(list, 0, mc_blocked_host_t);
    ck_assert_str_eq(h->host, "t.example");
    ck_assert_uint_eq(h->count, 3);
    ck_assert_int_eq(h->first_seen, T0);
    ck_assert_int_eq(h->last_seen, T0 + 9);
    ck_assert_str_eq(mc_csp_directive_names(test_pool, h->directives), "img-src connect-src");
    ck_assert_uint_eq(mc_blocked_count(t), 2);
}
END_TEST

START_TEST(a_full_table_refuses_new_hosts_and_says_so_once)
{
    mc_blocked_table_t *t = table(3);

    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(mc_blocked_record(t, "s", apr_psprintf(test_pool, "h%d.example", i), 7, T0),
                         MC_BLOCKED_ADDED);
    ck_assert_int_eq(mc_blocked_full_first(t), 0);
    for (int i = 3; i < 1000; i++)
        ck_assert_int_eq(mc_blocked_record(t, "s", apr_psprintf(test_pool, "h%d.example", i), 7, T0),
                         MC_BLOCKED_FULL);
    ck_assert_int_eq(mc_blocked_full_first(t), 1);
    ck_assert_int_eq(mc_blocked_full_first(t), 0);
    /* the known ones are still counted */
    ck_assert_int_eq(mc_blocked_record(t, "s", "h1.example", 7, T0), MC_BLOCKED_COUNTED);
    ck_assert_uint_eq(mc_blocked_count(t), 3);
    mc_blocked_rearm_full(t);
    mc_blocked_record(t, "s", "new.example", 7, T0);
    ck_assert_int_eq(mc_blocked_full_first(t), 1);
}
END_TEST

START_TEST(bad_hosts_are_refused)
{
    mc_blocked_table_t *t = table(2);
    char *long_host = apr_palloc(test_pool, MC_BLOCKED_HOST_MAX + 2);

    memset(long_host, 'a', MC_BLOCKED_HOST_MAX + 1);
    long_host[MC_BLOCKED_HOST_MAX + 1] = '\0';
    ck_assert_int_eq(mc_blocked_record(t, "s", "", 1, T0), MC_BLOCKED_INVALID);
    ck_assert_int_eq(mc_blocked_record(t, "s", "a\nb", 1, T0), MC_BLOCKED_INVALID);
    ck_assert_int_eq(mc_blocked_record(t, "s", long_host, 1, T0), MC_BLOCKED_INVALID);
    ck_assert_uint_eq(mc_blocked_count(t), 0);
}
END_TEST

START_TEST(blocked_hosts_in_the_declaration)
{
    mc_blocked_table_t *t = table(4);
    mc_categories_t *c = mc_categories_make(test_pool);
    apr_array_header_t *decl =
        mc_declaration_make(test_pool, c, mc_ruleset_make(test_pool), NULL, "consent");
    const mc_builtin_file_t *f = mc_builtin_find("locales/en.json");
    mc_locale_t *loc = NULL;
    const char *json, *err = NULL;
    json_t *root, *b;

    ck_assert_int_eq(mc_locale_parse(test_pool, f->data, f->len, "en", &loc, &err), MC_OK);
    mc_blocked_record(t, "s", "z.example", mc_csp_directive_index("img-src"), T0);
    mc_blocked_record(t, "s", "a.example", mc_csp_directive_index("connect-src"), T0);
    mc_blocked_record(t, "s", "a.example", mc_csp_directive_index("connect-src"), T0 + 60);
    json = mc_declaration_json_full(test_pool, decl, NULL, mc_blocked_list(test_pool, t, "s"), c,
                                    loc, "1");
    ck_assert_ptr_nonnull(json);
    root = json_loads(json, 0, NULL);
    ck_assert_ptr_nonnull(root);
    b = json_object_get(root, "blocked");
    ck_assert_int_eq(json_array_size(b), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(b, 0), "host")), "a.example");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(b, 0), "directive")),
                     "connect-src");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(b, 0), "count")), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(b, 0), "last_seen")),
                     "2026-11-24T06:01:00Z");
    json_decref(root);

    /* without a table: an empty list */
    root = json_loads(mc_declaration_json(test_pool, decl, loc, "1"), 0, NULL);
    ck_assert_int_eq(json_array_size(json_object_get(root, "blocked")), 0);
    json_decref(root);
}
END_TEST

Suite *csp_suite(void)
{
    Suite *s = suite_create("csp");
    TCase *tc = tcase_create("csp");

    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, a_host_rule_allows_the_host_and_its_subdomains);
    tcase_add_test(tc, a_path_rule_becomes_a_prefix_up_to_its_first_wildcard);
    tcase_add_test(tc, what_a_source_cannot_say_is_left_out);
    tcase_add_test(tc, consent_csp_allow_takes_host_sources_only);
    tcase_add_test(tc, without_consent_only_the_site_and_necessary_hosts);
    tcase_add_test(tc, a_granted_category_adds_its_hosts);
    tcase_add_test(tc, the_last_rule_of_a_pattern_decides_its_category);
    tcase_add_test(tc, one_source_from_two_categories_is_allowed_by_either);
    tcase_add_test(tc, allowed_sources_come_first_and_each_source_once);
    tcase_add_test(tc, the_header_name_follows_the_mode);
    tcase_add_test(tc, a_report_uri_report_names_host_and_directive);
    tcase_add_test(tc, a_reporting_api_batch_gives_each_csp_violation);
    tcase_add_test(tc, malformed_reports_are_refused);
    tcase_add_test(tc, an_oversized_report_is_refused_unread);
    tcase_add_test(tc, url_hosts);
    tcase_add_test(tc, a_host_is_added_once_then_counted);
    tcase_add_test(tc, a_full_table_refuses_new_hosts_and_says_so_once);
    tcase_add_test(tc, bad_hosts_are_refused);
    tcase_add_test(tc, blocked_hosts_in_the_declaration);
    suite_add_tcase(s, tc);
    return s;
}
