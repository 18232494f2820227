/* Google tags by their ids (gtag.h): the ids a gtag.js URL or an inline
 * snippet configures, written as vendors and copy-pasting admins write
 * them, and the category that follows with Consent Mode off and on. */
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "gtag.h"
#include "rules.h"
#include "unit.h"

#define S MC_GTAG_STATS
#define A MC_GTAG_ADS
#define C MC_GTAG_CONTAINER
#define U MC_GTAG_UNKNOWN

/* Scanned from a heap copy of exactly its length: ASan sees a read past it. */
static unsigned url_ids(const char *url)
{
    size_t n = strlen(url);
    char *copy = malloc(n ? n : 1);
    unsigned ids;

    memcpy(copy, url, n);
    ids = mc_gtag_ids_url(copy, n);
    free(copy);
    return ids;
}

static unsigned inline_ids(const char *body)
{
    size_t n = strlen(body);
    char *copy = malloc(n ? n : 1);
    unsigned ids;

    memcpy(copy, body, n);
    ids = mc_gtag_ids_inline(copy, n);
    free(copy);
    return ids;
}

typedef struct ids_case {
    const char *in;
    unsigned want;
} ids_case_t;

static void check_inline(const ids_case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned got = inline_ids(cases[i].in);

        ck_assert_msg(got == cases[i].want, "inline %s: got 0x%x, want 0x%x", cases[i].in, got,
                      cases[i].want);
    }
}

static void check_url(const ids_case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned got = url_ids(cases[i].in);

        ck_assert_msg(got == cases[i].want, "url %s: got 0x%x, want 0x%x", cases[i].in, got,
                      cases[i].want);
    }
}

/* The clinic's snippet as Google hands it out (Analytics and Ads in one). */
static const char CLINIC[] = "\n  window.dataLayer = window.dataLayer || [];\n"
                             "  function gtag(){dataLayer.push(arguments);}\n"
                             "  gtag('js', new Date());\n\n"
                             "  gtag('config', 'G-FJORD2025');\n"
                             "  gtag('config', 'AW-987654321');\n";

START_TEST(id_kinds)
{
    static const struct {
        const char *id;
        unsigned want;
    } cases[] = {
        {"G-ABC123XYZ", S}, {"g-abc123", S},      {"UA-12345-1", S},   {"ua-1-22", S},
        {"AW-987654321", A}, {"aw-1", A},         {"AW-123/AbC_d-9", A}, {"DC-8765432", A},
        {"DC-1/group/act+standard", A},           {"GT-ABCDEF", C},    {"GTM-K9X2", C},
        {"gtm-k9x2", C},     {"G-", 0},           {"G-AB CD", 0},      {"AW-12x", 0},
        {"AW-", 0},          {"AW-1/", 0},        {"UA-12345", 0},     {"UA-1-", 0},
        {"X-G-1", 0},        {"", 0},             {"AW-1/a b", 0},     {"G-1\n", 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(mc_gtag_id_kind(cases[i].id, strlen(cases[i].id)) == cases[i].want,
                      "id %s", cases[i].id);
    ck_assert_uint_eq(mc_gtag_id_kind(NULL, 0), 0);
    /* only the given length counts */
    ck_assert_uint_eq(mc_gtag_id_kind("G-ABC'", 5), S);
}
END_TEST

START_TEST(url_ids_are_the_id_parameters)
{
    static const ids_case_t cases[] = {
        {"https://www.googletagmanager.com/gtag/js?id=G-FJORD2025", S},
        {"https://www.googletagmanager.com/gtag/js?id=AW-987654321", A},
        {"//www.googletagmanager.com/gtag/js?id=DC-1234", A},
        {"https://www.googletagmanager.com/gtag/js?id=GT-ABCD", C},
        {"https://www.googletagmanager.com/gtag/js?l=dataLayer&id=UA-1-1", S},
        /* percent-encoding, in the value and the name; names in any case */
        {"https://www.googletagmanager.com/gtag/js?id=AW%2D123", A},
        {"https://www.googletagmanager.com/gtag/js?%69d=AW-123", A},
        {"https://www.googletagmanager.com/gtag/js?ID=aw-123", A},
        {"https://WWW.GoogleTagManager.COM/gtag/js?id=g-abc", S},
        {"https://www.googletagmanager.com/gtag/%6As?id=G-1", S},
        /* every id= counts, whichever the server reads */
        {"https://www.googletagmanager.com/gtag/js?id=G-1&id=AW-2", S | A},
        /* an id= that is no id: unknown, never nothing */
        {"https://www.googletagmanager.com/gtag/js?id=", U},
        {"https://www.googletagmanager.com/gtag/js?id=G-1%26id%3DAW-2", U},
        {"https://www.googletagmanager.com/gtag/js?id=G-1&id=%E2%80%8BAW-2", S | U},
        {"https://www.googletagmanager.com/gtag/js?id=G-1#id=AW-2", S},
        /* no id at all, or not Google's loader: the catalogue decides */
        {"https://www.googletagmanager.com/gtag/js", 0},
        {"https://www.googletagmanager.com/gtag/js?l=dataLayer", 0},
        {"https://www.googletagmanager.com/gtag/js?gid=G-1", 0},
        {"https://www.googleadservices.com/pagead/conversion.js?id=G-1", 0},
        {"https://evilgoogletagmanager.com/gtag/js?id=G-1", 0},
        {"https://www.googletagmanager.com.evil.io/gtag/js?id=G-1", 0},
        {"/gtag/js?id=G-1", 0},
        {"", 0},
    };

    check_url(cases, sizeof(cases) / sizeof(cases[0]));
}
END_TEST

START_TEST(the_clinic_snippet_configures_analytics_and_ads)
{
    ck_assert_uint_eq(inline_ids(CLINIC), S | A);
    ck_assert_str_eq(mc_gtag_category(S | A, 0), "marketing");
    ck_assert_str_eq(mc_gtag_category(S | A, 1), "statistics");
}
END_TEST

START_TEST(snippet_spellings)
{
    static const ids_case_t cases[] = {
        {"gtag('config','G-ABC');", S},
        {"gtag(\"config\", \"G-ABC\");", S},
        {"gtag(`config`, `AW-1`);", A},
        {"gtag (\n\t'config' ,\n 'G-ABC' , {anonymize_ip: true});", S},
        {"window.gtag('config', 'G-ABC');", S},
        {"window['dataLayer'].push(['config', 'AW-7']);", A},
        {"dataLayer.push(['config','G-A']); dataLayer.push({event: 'x'});", S},
        {"gtag('config','g-abc'); gtag('config','aw-12');", S | A},
        {"gtag('config','G-A');gtag('config','G-B');gtag('config','UA-1-1');", S},
        {"gtag('config', 'GTM-ABC');", C},
        {"gtag('config', 'GT-ABC');", C},
        {"gtag('get', 'G-A', 'client_id', function (id) {});", S},
        /* escapes in the strings are what the script sees */
        {"gtag('config', 'AW\\x2d55');", A},
        {"gtag('config', '\\u0041W-55');", A},
        {"gtag('config', '\\u{47}-X1');", S},
        /* conversions name their destination in send_to */
        {"gtag('event', 'conversion', {send_to: 'AW-1/abc'});", A},
        {"gtag('event', 'conversion', {'send_to': \"AW-1/abc\", value: 1});", A},
        {"gtag('event', 'page_view', {send_to: ['G-A', 'AW-2/x']});", S | A},
        {"gtag('event', 'page_view', {send_to: 'G-A'});", S},
        /* a script that loads gtag.js itself */
        {"var s=document.createElement('script');"
         "s.src='https://www.googletagmanager.com/gtag/js?id=G-A';",
         S},
        {"s.src=\"https://www.googletagmanager.com/gtag/js?id=AW%2D9\";", A},
        /* a quote inside a regular expression starts no string */
        {"var re = /'/; gtag('config', 'G-A');", S},
        {"if (/\"x/.test(a)) gtag('config', 'G-A');", S},
        {"if (a) throw /'/; gtag('config', 'G-A');", S},
        {"x = a in /'/; gtag('config', 'G-A');", S},
        /* a division is no regex */
        {"var h = w / 2, q = 'G-A'; gtag('config', q) / 1;", S | U},
        /* comments run nothing: no statistics id from them */
        {"// gtag('config', 'G-A');\n", 0},
        {"/* gtag('config', 'G-A'); */", 0},
        /* the definition of gtag is no call */
        {"function gtag(){dataLayer.push(arguments);} gtag('js', new Date());", 0},
        {"window.gtag = window.gtag || function () { dataLayer.push(arguments); };", 0},
        {"", 0},
    };

    check_inline(cases, sizeof(cases) / sizeof(cases[0]));
}
END_TEST

START_TEST(ids_that_cannot_be_read_are_unknown)
{
    static const ids_case_t cases[] = {
        /* built by concatenation, a variable, a template */
        {"gtag('config', 'G-' + 'ABC');", U},
        {"var id = 'G-A'; gtag('config', id);", S | U},
        {"gtag('config', `G-${x}`);", U},
        {"gtag('config', 'G-A'.trim());", S | U},
        {"gtag('config', /*x*/ x);", U},
        {"gtag(cmd, 'G-A');", S | U},
        {"gtag('con' + 'fig', 'G-A');", S | U},
        {"gtag.apply(window, ['config', 'G-A']);", S | U},
        {"gtag['call'](null, 'config', 'G-A');", S | U},
        {"dataLayer.push(args);", U},
        {"gtag('config');", U},
        {"gtag('config', 'not-an-id');", U},
        {"gtag('config', 'G-A\\0');", U},
        {"gtag('config', 'G-A\\n');", U},
        {"gtag('event', 'conversion', {send_to: target});", U},
        {"gtag('event', 'conversion', {send_to: 'default'});", U},
        {"gtag('event', 'x', {send_to: ['G-A', t]});", S | U},
        {"s.src='https://www.googletagmanager.com/gtag/js?id='+i;", U},
        {"s.src=`https://www.googletagmanager.com/gtag/js?id=${i}`;", U},
        /* an unterminated script still gives an answer */
        {"gtag('config', 'G-A", S | U},
        {"gtag('config', ", U},
        {"gtag(", U},
    };

    check_inline(cases, sizeof(cases) / sizeof(cases[0]));
}
END_TEST

/* An Ads id counts wherever it is: a misread cannot hide it. */
START_TEST(marketing_ids_count_anywhere)
{
    static const ids_case_t cases[] = {
        {"// AW-123 is configured on the server\ngtag('config','G-A');", S | A},
        {"/* gtag('config', 'GTM-XY') */ gtag('config','G-A');", S | C},
        {"var re = /AW-1/; gtag('config','G-A');", S | A},
        {"x = 'img?aw%2d1'; gtag('config','G-A');", S | A},
        /* inside a longer word it is no id */
        {"var flaw-1; gtag('config','G-A');", S},
        {"x-dc-1; gtag('config','G-A');", S},
        {"x.gt-1; gtag('config','G-A');", S},
        /* the older Ads conversion snippet names no id */
        {"var google_conversion_id = 987; gtag('config','G-A');", S | A},
        {"gtag('config','G-A'); i.src='https://www.googleadservices.com/pagead/conversion/1/';",
         S | A},
        {"gtag('config','G-A'); i.src='https://ad.doubleclick.net/activity';", S | A},
    };

    check_inline(cases, sizeof(cases) / sizeof(cases[0]));
}
END_TEST

START_TEST(categories_follow_the_ids_and_consent_mode)
{
    /* off: any marketing id makes it marketing */
    ck_assert_str_eq(mc_gtag_category(S, 0), "statistics");
    ck_assert_str_eq(mc_gtag_category(A, 0), "marketing");
    ck_assert_str_eq(mc_gtag_category(C, 0), "marketing");
    ck_assert_str_eq(mc_gtag_category(S | C, 0), "marketing");
    /* on: a statistics id loads it with statistics, ads signals denied */
    ck_assert_str_eq(mc_gtag_category(S, 1), "statistics");
    ck_assert_str_eq(mc_gtag_category(S | A | C, 1), "statistics");
    ck_assert_str_eq(mc_gtag_category(A, 1), "marketing");
    ck_assert_str_eq(mc_gtag_category(C, 1), "marketing");
    ck_assert_str_eq(mc_gtag_category(A | C, 1), "marketing");
    /* nothing read, or something unreadable: the catalogue decides */
    ck_assert_ptr_null(mc_gtag_category(0, 0));
    ck_assert_ptr_null(mc_gtag_category(0, 1));
    ck_assert_ptr_null(mc_gtag_category(S | U, 1));
    ck_assert_ptr_null(mc_gtag_category(S | U, 0));
    /* both steps */
    ck_assert_str_eq(mc_gtag_classify(MC_RULE_INLINE, CLINIC, strlen(CLINIC), 1), "statistics");
    ck_assert_str_eq(mc_gtag_classify(MC_RULE_INLINE, CLINIC, strlen(CLINIC), 0), "marketing");
    ck_assert_ptr_null(mc_gtag_classify(MC_RULE_COOKIE, "_ga", 3, 1));
}
END_TEST

/* The shipped catalogue marks its Google tag services, and its rules win
 * on the clinic's snippet with the ids then deciding. */
START_TEST(the_catalogue_marks_google_tags)
{
    const mc_builtin_file_t *f = mc_builtin_find("rules/default.json");
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *err = NULL;
    const char *gtag_js = "https://www.googletagmanager.com/gtag/js?id=G-FJORD2025";
    const char *maps = "https://www.google.com/maps/embed?pb=1";
    const mc_rule_t *r;

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(mc_ruleset_load_json(rs, f->data, f->len, "default", &err), MC_OK);
    r = mc_ruleset_match_inline(rs, CLINIC, strlen(CLINIC));
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->google_tag, 1);
    ck_assert_str_eq(r->category, "marketing");
    r = mc_ruleset_match_url(rs, gtag_js, strlen(gtag_js));
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->google_tag, 1);
    /* other Google services are no tags */
    r = mc_ruleset_match_url(rs, maps, strlen(maps));
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->google_tag, 0);
    r = mc_ruleset_match_cookie(rs, "_ga");
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->google_tag, 1);
}
END_TEST

START_TEST(google_tag_must_be_a_boolean)
{
    static const char bad[] = "{\"services\": [{\"name\": \"T\", \"category\": \"statistics\","
                              " \"google_tag\": \"yes\", \"urls\": [\"t.example\"]}]}";
    static const char good[] = "{\"services\": [{\"name\": \"T\", \"category\": \"statistics\","
                               " \"google_tag\": false, \"urls\": [\"t.example\"]}]}";
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *err = NULL;
    const mc_rule_t *r;

    ck_assert_int_eq(mc_ruleset_load_json(rs, bad, sizeof(bad) - 1, "t", &err), MC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "google_tag"));
    ck_assert_int_eq(mc_ruleset_load_json(rs, good, sizeof(good) - 1, "t", &err), MC_OK);
    r = mc_ruleset_match_url(rs, "https://t.example/", 18);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->google_tag, 0);
    /* an admin's rule is never a Google tag */
    ck_assert_int_eq(mc_ruleset_add(rs, MC_RULE_URL, "marketing", "t.example", "conf:1", &err),
                     MC_OK);
    r = mc_ruleset_match_url(rs, "https://t.example/", 18);
    ck_assert_str_eq(r->source, "conf:1");
    ck_assert_int_eq(r->google_tag, 0);
}
END_TEST

/* A long hostile body is read in one pass and gives an answer. */
START_TEST(long_bodies)
{
    size_t n = 60000;
    char *body = malloc(n + 1);

    for (size_t i = 0; i < n; i += 6)
        memcpy(body + i, "gtag((", 6);
    body[n] = '\0';
    ck_assert_uint_eq(mc_gtag_ids_inline(body, n), U);
    for (size_t i = 0; i < n; i++)
        body[i] = i % 2 ? '\'' : '\\';
    ck_assert_uint_eq(mc_gtag_ids_inline(body, n), 0);
    memset(body, 'x', n);
    memcpy(body, "gtag('config', '", 16);
    ck_assert_uint_eq(mc_gtag_ids_inline(body, n), U);
    free(body);
}
END_TEST

Suite *gtag_suite(void)
{
    Suite *s = suite_create("gtag");
    TCase *tc = tcase_create("gtag");

    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, id_kinds);
    tcase_add_test(tc, url_ids_are_the_id_parameters);
    tcase_add_test(tc, the_clinic_snippet_configures_analytics_and_ads);
    tcase_add_test(tc, snippet_spellings);
    tcase_add_test(tc, ids_that_cannot_be_read_are_unknown);
    tcase_add_test(tc, marketing_ids_count_anywhere);
    tcase_add_test(tc, categories_follow_the_ids_and_consent_mode);
    tcase_add_test(tc, the_catalogue_marks_google_tags);
    tcase_add_test(tc, google_tag_must_be_a_boolean);
    tcase_add_test(tc, long_bodies);
    suite_add_tcase(s, tc);
    return s;
}
