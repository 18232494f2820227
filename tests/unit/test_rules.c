/* The rule set: how cookie names, resource URLs and inline scripts are
 * classified, and how rule catalogues load (or fail to, with a clear message). */
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "rules.h"
#include "unit.h"

#define DEFAULT_CATALOGUE MC_TEST_DATA "/../../conf/rules/default.json"

/* ------------------------------------------------------------- helpers -- */

static int matches(mc_rule_kind_t kind, const char *pattern, const char *subject)
{
    mc_pattern_t *pat = NULL;
    const char *err = NULL;

    ck_assert_msg(mc_pattern_compile(test_pool, kind, pattern, &pat, &err) == MC_OK,
                  "'%s' should compile: %s", pattern, err);
    return mc_pattern_match(pat, subject, strlen(subject));
}

static int cookie_matches(const char *pattern, const char *name)
{
    return matches(MC_RULE_COOKIE, pattern, name);
}

static int url_matches(const char *pattern, const char *url)
{
    return matches(MC_RULE_URL, pattern, url);
}

static const char *compile_error(mc_rule_kind_t kind, const char *pattern)
{
    mc_pattern_t *pat = NULL;
    const char *err = NULL;

    ck_assert_msg(mc_pattern_compile(test_pool, kind, pattern, &pat, &err) == MC_EINVAL,
                  "'%s' should be rejected", pattern);
    ck_assert_ptr_nonnull(err);
    return err;
}

static void add(mc_ruleset_t *rs, mc_rule_kind_t kind, const char *category, const char *pattern)
{
    const char *err = NULL;

    ck_assert_msg(mc_ruleset_add(rs, kind, category, pattern, "test.conf:1", &err) == MC_OK,
                  "adding '%s': %s", pattern, err);
}

static const char *category_of(const mc_rule_t *rule)
{
    return rule ? rule->category : NULL;
}

static const char *cookie_category(const mc_ruleset_t *rs, const char *name)
{
    return category_of(mc_ruleset_match_cookie(rs, name));
}

static const char *url_category(const mc_ruleset_t *rs, const char *url)
{
    return category_of(mc_ruleset_match_url(rs, url, strlen(url)));
}

static const char *url_service(const mc_ruleset_t *rs, const char *url)
{
    const mc_rule_t *rule = mc_ruleset_match_url(rs, url, strlen(url));

    return rule ? rule->service : NULL;
}

static mc_ruleset_t *load(const char *path)
{
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *err = NULL;

    ck_assert_msg(mc_ruleset_load_file(rs, path, &err) == MC_OK, "loading %s: %s", path, err);
    return rs;
}

static mc_ruleset_t *load_default(void)
{
    return load(DEFAULT_CATALOGUE);
}

/* The error message of a catalogue fixture that must not load. */
static const char *load_error(const char *fixture)
{
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *err = NULL;

    ck_assert_msg(mc_ruleset_load_file(rs, unit_data_path(fixture), &err) == MC_EINVAL,
                  "%s should not load", fixture);
    ck_assert_ptr_nonnull(err);
    return err;
}

static void assert_contains(const char *text, const char *part)
{
    ck_assert_msg(text && strstr(text, part), "'%s' should contain '%s'", text, part);
}

static const char *read_fixture(const char *name, apr_size_t *len)
{
    apr_file_t *f;
    apr_finfo_t info;
    char *data;

    ck_assert_int_eq(
        apr_file_open(&f, unit_data_path(name), APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, test_pool),
        APR_SUCCESS);
    ck_assert_int_eq(apr_file_info_get(&info, APR_FINFO_SIZE, f), APR_SUCCESS);
    data = apr_palloc(test_pool, (apr_size_t)info.size + 1);
    ck_assert_int_eq(apr_file_read_full(f, data, (apr_size_t)info.size, len), APR_SUCCESS);
    data[*len] = '\0';
    apr_file_close(f);
    return data;
}

static char last_log[1024];
static int last_log_level;

static void capture_log(void *baton, int level, const char *msg)
{
    last_log_level = level;
    snprintf(last_log, sizeof(last_log), "%s", msg);
}

/* ----------------------------------------------------------------- globs -- */

START_TEST(exact_cookie_name_matches_only_itself)
{
    ck_assert_int_eq(cookie_matches("_ga", "_ga"), 1);
    ck_assert_int_eq(cookie_matches("_ga", "_gat"), 0);
    ck_assert_int_eq(cookie_matches("_ga", "_g"), 0);
    ck_assert_int_eq(cookie_matches("_ga", "x_ga"), 0);
    ck_assert_int_eq(cookie_matches("_ga", ""), 0);
}
END_TEST

START_TEST(cookie_globs_are_case_sensitive)
{
    ck_assert_int_eq(cookie_matches("_ga", "_GA"), 0);
    ck_assert_int_eq(cookie_matches("JSESSIONID", "jsessionid"), 0);
    ck_assert_int_eq(cookie_matches("_hj*", "_HJid"), 0);
    ck_assert_int_eq(cookie_matches("_hj*", "_hjid"), 1);
}
END_TEST

START_TEST(lone_star_matches_every_name_even_empty)
{
    ck_assert_int_eq(cookie_matches("*", ""), 1);
    ck_assert_int_eq(cookie_matches("*", "PHPSESSID"), 1);
    ck_assert_int_eq(cookie_matches("**", ""), 1);
}
END_TEST

START_TEST(empty_subject_matches_only_stars)
{
    ck_assert_int_eq(cookie_matches("?", ""), 0);
    ck_assert_int_eq(cookie_matches("a*", ""), 0);
    ck_assert_int_eq(cookie_matches("*?", ""), 0);
    ck_assert_int_eq(cookie_matches("~^$", ""), 1);
}
END_TEST

START_TEST(question_mark_is_one_character_even_multibyte)
{
    ck_assert_int_eq(cookie_matches("_ga?", "_gaX"), 1);
    ck_assert_int_eq(cookie_matches("_ga?", "_ga"), 0);
    ck_assert_int_eq(cookie_matches("_ga?", "_gaXY"), 0);
    ck_assert_int_eq(cookie_matches("caf?", "caf\xc3\xa9"), 1); /* é: 2 bytes */
    ck_assert_int_eq(cookie_matches("caf??", "caf\xc3\xa9"), 0);
    ck_assert_int_eq(cookie_matches("?", "\xe2\x82\xac"), 1);     /* €: 3 bytes */
    ck_assert_int_eq(cookie_matches("?", "\xf0\x9f\x8d\xaa"), 1); /* 🍪: 4 bytes */
    ck_assert_int_eq(cookie_matches("*?x", "\xc3\xb8x"), 1);      /* øx */
    ck_assert_int_eq(cookie_matches("x*??", "x\xc3\xb8"), 0);
    ck_assert_int_eq(cookie_matches("??", "\xc3"), 0); /* a stray byte is one */
}
END_TEST

START_TEST(trailing_star_matches_any_suffix)
{
    ck_assert_int_eq(cookie_matches("_ga_*", "_ga_"), 1);
    ck_assert_int_eq(cookie_matches("_ga_*", "_ga_ABC123"), 1);
    ck_assert_int_eq(cookie_matches("_ga_*", "_ga"), 0);
    ck_assert_int_eq(cookie_matches("_ga_*", "x_ga_1"), 0);
}
END_TEST

START_TEST(consecutive_stars_act_as_one)
{
    ck_assert_int_eq(cookie_matches("a**b", "ab"), 1);
    ck_assert_int_eq(cookie_matches("a**b", "axyzb"), 1);
    ck_assert_int_eq(cookie_matches("a**b", "axyzbc"), 0);
    ck_assert_int_eq(cookie_matches("***", "anything"), 1);
}
END_TEST

START_TEST(inner_stars_backtrack)
{
    ck_assert_int_eq(cookie_matches("*a*b*c", "xaybzc"), 1);
    ck_assert_int_eq(cookie_matches("*a*b*c", "abc"), 1);
    ck_assert_int_eq(cookie_matches("*a*b*c", "cba"), 0);
    ck_assert_int_eq(cookie_matches("_pk_id.*", "_pk_id.1.a1b2"), 1);
    ck_assert_int_eq(cookie_matches("*_session_*", "wp_woocommerce_session_ab12"), 1);
    ck_assert_int_eq(cookie_matches("a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 0);
}
END_TEST

START_TEST(pattern_longer_than_subject_never_matches)
{
    ck_assert_int_eq(cookie_matches("_ga_XYZ", "_ga"), 0);
    ck_assert_int_eq(cookie_matches("abc?", "abc"), 0);
    ck_assert_int_eq(cookie_matches("abc*d", "abc"), 0);
}
END_TEST

START_TEST(subject_is_read_only_up_to_its_length)
{
    mc_pattern_t *pat;
    const char *err;

    ck_assert_int_eq(mc_pattern_compile(test_pool, MC_RULE_COOKIE, "_ga", &pat, &err), MC_OK);
    ck_assert_int_eq(mc_pattern_match(pat, "_gaXYZ", 3), 1);
    ck_assert_int_eq(mc_pattern_match(pat, "_ga", 2), 0);
    ck_assert_int_eq(mc_pattern_compile(test_pool, MC_RULE_COOKIE, "~^_ga$", &pat, &err), MC_OK);
    ck_assert_int_eq(mc_pattern_match(pat, "_gaXYZ", 3), 1);
}
END_TEST

/* -------------------------------------------------------------- patterns -- */

START_TEST(unusable_patterns_are_rejected)
{
    char long_pattern[MC_PATTERN_MAX + 2];

    memset(long_pattern, 'a', sizeof(long_pattern) - 1);
    long_pattern[sizeof(long_pattern) - 1] = '\0';
    ck_assert_str_eq(compile_error(MC_RULE_COOKIE, ""), "empty pattern");
    assert_contains(compile_error(MC_RULE_COOKIE, long_pattern), "longer than 1024 bytes");
    ck_assert_str_eq(compile_error(MC_RULE_COOKIE, "~"), "bad regex '~': empty");
    ck_assert_str_eq(compile_error(MC_RULE_INLINE, "~"), "bad regex '~': empty");
    ck_assert_str_eq(compile_error(MC_RULE_INLINE, ""), "empty pattern");
    assert_contains(compile_error(MC_RULE_COOKIE, "_ga x"), "space or control character");
    assert_contains(compile_error(MC_RULE_URL, "/gtag/js"), "has no host");
    assert_contains(compile_error(MC_RULE_URL, "example.com:8080/x"), "no port");
}
END_TEST

START_TEST(longest_pattern_is_accepted)
{
    char pattern[MC_PATTERN_MAX + 1];
    mc_pattern_t *pat;
    const char *err;

    memset(pattern, 'a', MC_PATTERN_MAX);
    pattern[MC_PATTERN_MAX] = '\0';
    ck_assert_int_eq(mc_pattern_compile(test_pool, MC_RULE_COOKIE, pattern, &pat, &err), MC_OK);
    ck_assert_int_eq(mc_pattern_match(pat, pattern, MC_PATTERN_MAX), 1);
}
END_TEST

START_TEST(bad_regex_error_names_pcre2_message_and_offset)
{
    ck_assert_str_eq(compile_error(MC_RULE_COOKIE, "~(a"),
                     "bad regex '~(a': missing closing parenthesis at offset 2");
    ck_assert_str_eq(compile_error(MC_RULE_INLINE, "fbq("),
                     "bad regex 'fbq(': missing closing parenthesis at offset 4");
    assert_contains(compile_error(MC_RULE_URL, "~[a-"), "bad regex '~[a-': ");
}
END_TEST

START_TEST(regex_rules_search_unless_anchored)
{
    ck_assert_int_eq(cookie_matches("~^_ga_[A-Z0-9]+$", "_ga_ABC123"), 1);
    ck_assert_int_eq(cookie_matches("~^_ga_[A-Z0-9]+$", "_ga_abc"), 0);
    ck_assert_int_eq(cookie_matches("~utm", "__utma"), 1);
    ck_assert_int_eq(cookie_matches("~(?i)^jsessionid$", "JSessionID"), 1);
}
END_TEST

START_TEST(runaway_regex_stops_at_match_limit)
{
    const char *subject = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
    apr_time_t start = apr_time_now();
    int r;

    last_log[0] = '\0';
    mc_log_set(capture_log, NULL);
    r = cookie_matches("~(a+)+$", subject);
    mc_log_set(NULL, NULL);
    ck_assert_int_le(r, 0);
    ck_assert_msg(apr_time_now() - start < apr_time_from_sec(1), "the match must stop quickly");
    if (r < 0) {
        ck_assert_int_eq(last_log_level, MC_LOG_DEBUG);
        assert_contains(last_log, "match limit");
    }
}
END_TEST

START_TEST(inline_rules_are_regexes_with_optional_tilde)
{
    ck_assert_int_eq(matches(MC_RULE_INLINE, "fbq\\(\\s*'init'", "fbq( 'init', '1');"), 1);
    ck_assert_int_eq(matches(MC_RULE_INLINE, "~fbq\\(\\s*'init'", "fbq('init', '1');"), 1);
    ck_assert_int_eq(matches(MC_RULE_INLINE, "fbq\\(\\s*'init'", "fbq('track');"), 0);
    /* '*' is regex syntax here, not a glob */
    ck_assert_int_eq(matches(MC_RULE_INLINE, "a*", "bbb"), 1);
}
END_TEST

START_TEST(rule_kinds_have_names)
{
    ck_assert_str_eq(mc_rule_kind_str(MC_RULE_COOKIE), "cookie");
    ck_assert_str_eq(mc_rule_kind_str(MC_RULE_URL), "url");
    ck_assert_str_eq(mc_rule_kind_str(MC_RULE_INLINE), "inline");
}
END_TEST

/* ------------------------------------------------------------ precedence -- */

START_TEST(last_matching_rule_wins)
{
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);

    add(rs, MC_RULE_COOKIE, "statistics", "_ga*");
    add(rs, MC_RULE_COOKIE, "marketing", "_gac_*");
    ck_assert_str_eq(cookie_category(rs, "_gac_UA1"), "marketing");
    ck_assert_str_eq(cookie_category(rs, "_ga_ABC"), "statistics");
    ck_assert_ptr_null(cookie_category(rs, "PHPSESSID"));
    ck_assert_ptr_null(mc_ruleset_match_cookie(rs, NULL));
}
END_TEST

START_TEST(later_catalogue_overrides_earlier)
{
    mc_ruleset_t *rs = load(unit_data_path("rules/good.json"));
    const mc_rule_t *rule;

    mc_ruleset_append(rs, load(unit_data_path("rules/override.json")));
    rule = mc_ruleset_match_cookie(rs, "_ex");
    ck_assert_str_eq(rule->category, "marketing");
    ck_assert_str_eq(rule->service, "Example Analytics (as marketing)");
    ck_assert_str_eq(cookie_category(rs, "_ex_1"), "statistics");
    ck_assert_int_eq(rs->services->nelts, 3);
}
END_TEST

/* ------------------------------------------------------- service ids -- */

static const char *slug(const char *name)
{
    mc_service_t svc = {.name = name};

    return mc_service_id(test_pool, &svc);
}

START_TEST(service_ids_are_slugged_names)
{
    ck_assert_str_eq(slug("YouTube"), "youtube");
    ck_assert_str_eq(slug("Google Maps"), "google-maps");
    ck_assert_str_eq(slug("Meta Pixel"), "meta-pixel");
    ck_assert_str_eq(slug("  Hot--jar (EU) "), "hot-jar-eu");
    ck_assert_str_eq(slug("Vimeo\xc3\xa6x 2"), "vimeo-x-2");
    ck_assert_str_eq(slug("***"), "");
    ck_assert_int_eq(strlen(slug("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b")),
                     MC_SERVICE_ID_MAX);
    ck_assert(mc_service_id_valid("google-maps", 11));
    ck_assert(!mc_service_id_valid("-maps", 5));
    ck_assert(!mc_service_id_valid("maps-", 5));
    ck_assert(!mc_service_id_valid("Maps", 4));
    ck_assert(!mc_service_id_valid("a:b", 3));
    ck_assert(!mc_service_id_valid("", 0));
}
END_TEST

START_TEST(catalogue_services_and_rules_carry_ids)
{
    mc_ruleset_t *rs = load_default();
    const char *err = NULL;
    const char *json = "{\"services\": [{\"name\": \"Odd Name!\", \"id\": \"odd\", "
                       "\"category\": \"marketing\", \"urls\": [\"odd.example\"]}]}";
    const mc_service_t *yt = mc_ruleset_service(rs, "youtube", 7);
    const mc_rule_t *rule = mc_ruleset_match_url(rs, "https://www.youtube.com/embed/x", 31);

    ck_assert_ptr_nonnull(yt);
    ck_assert_str_eq(yt->name, "YouTube");
    ck_assert_str_eq(rule->service_id, "youtube");
    ck_assert_str_eq(mc_ruleset_service(rs, "meta-pixel", 10)->name, "Meta Pixel");
    ck_assert_str_eq(mc_ruleset_service(rs, "google-maps", 11)->category, "marketing");
    ck_assert_ptr_null(mc_ruleset_service(rs, "youtub", 6));
    ck_assert_int_eq(mc_ruleset_load_json(rs, json, strlen(json), "odd.json", &err), MC_OK);
    ck_assert_str_eq(mc_ruleset_service(rs, "odd", 3)->name, "Odd Name!");
    ck_assert_str_eq(mc_ruleset_match_url(rs, "https://odd.example/", 20)->service_id, "odd");
    /* an admin's own rule has no service */
    add(rs, MC_RULE_URL, "marketing", "plain.example");
    ck_assert_ptr_null(mc_ruleset_match_url(rs, "https://plain.example/", 22)->service_id);
}
END_TEST

START_TEST(bad_and_duplicate_service_ids_are_rejected)
{
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *err = NULL;
    const char *bad = "{\"services\": [{\"name\": \"X\", \"id\": \"Not Good\", "
                      "\"category\": \"marketing\"}]}";
    const char *twice = "{\"services\": [{\"name\": \"A b\", \"category\": \"marketing\"}, "
                        "{\"name\": \"A-B\", \"category\": \"marketing\"}]}";

    ck_assert_int_eq(mc_ruleset_load_json(rs, bad, strlen(bad), "bad.json", &err), MC_EINVAL);
    ck_assert_msg(strstr(err, "'id' 'Not Good'") != NULL, "%s", err);
    ck_assert_int_eq(mc_ruleset_load_json(rs, twice, strlen(twice), "twice.json", &err), MC_EINVAL);
    ck_assert_msg(strstr(err, "same id 'a-b'") != NULL, "%s", err);
}
END_TEST

START_TEST(admin_rule_overrides_default_catalogue)
{
    mc_ruleset_t *rs = load_default();
    mc_ruleset_t *admin = mc_ruleset_make(test_pool);
    const mc_rule_t *rule;

    add(admin, MC_RULE_COOKIE, "marketing", "_ga");
    add(admin, MC_RULE_URL, "necessary", "www.google.com/maps/embed*");
    mc_ruleset_append(rs, admin);
    rule = mc_ruleset_match_cookie(rs, "_ga");
    ck_assert_str_eq(rule->category, "marketing");
    ck_assert_ptr_null(rule->service);
    ck_assert_str_eq(rule->source, "test.conf:1");
    ck_assert_str_eq(cookie_category(rs, "_gid"), "statistics");
    ck_assert_str_eq(url_category(rs, "https://www.google.com/maps/embed?pb=!1m18"), "necessary");
}
END_TEST

START_TEST(plain_rule_arrays_match_last_first)
{
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const apr_array_header_t *cookies = rs->rules[MC_RULE_COOKIE];
    const char *url = "https://cdn.example.com/a.js";

    add(rs, MC_RULE_COOKIE, "preferences", "lang*");
    add(rs, MC_RULE_COOKIE, "necessary", "lang");
    add(rs, MC_RULE_URL, "statistics", "example.com");
    ck_assert_str_eq(mc_rules_match(cookies, MC_RULE_COOKIE, "lang", 4)->category, "necessary");
    ck_assert_str_eq(mc_rules_match(cookies, MC_RULE_COOKIE, "lang_x", 6)->category, "preferences");
    ck_assert_ptr_null(mc_rules_match(cookies, MC_RULE_COOKIE, "other", 5));
    ck_assert_ptr_null(mc_rules_match(NULL, MC_RULE_COOKIE, "lang", 4));
    ck_assert_str_eq(
        mc_rules_match(rs->rules[MC_RULE_URL], MC_RULE_URL, url, strlen(url))->category,
        "statistics");
}
END_TEST

START_TEST(added_rule_keeps_its_own_copies)
{
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    char category[] = "statistics";
    char source[] = "/etc/apache2/conf-enabled/consent.conf:12";
    const char *err;
    const mc_rule_t *rule;

    ck_assert_int_eq(mc_ruleset_add(rs, MC_RULE_COOKIE, category, "_x", source, &err), MC_OK);
    category[0] = 'X';
    source[0] = 'X';
    rule = mc_ruleset_match_cookie(rs, "_x");
    ck_assert_str_eq(rule->category, "statistics");
    ck_assert_str_eq(rule->source, "/etc/apache2/conf-enabled/consent.conf:12");
    ck_assert_str_eq(rule->text, "_x");
    ck_assert_int_eq(mc_ruleset_add(rs, MC_RULE_COOKIE, "", "_y", source, &err), MC_EINVAL);
    ck_assert_int_eq(mc_ruleset_add(rs, MC_RULE_COOKIE, "statistics", "~(", source, &err),
                     MC_EINVAL);
    ck_assert_int_eq(rs->rules[MC_RULE_COOKIE]->nelts, 1);
}
END_TEST

/* ------------------------------------------------------------------ URLs -- */

START_TEST(host_rule_matches_host_and_subdomains_not_lookalikes)
{
    ck_assert_int_eq(url_matches("google-analytics.com", "https://google-analytics.com/ga.js"), 1);
    ck_assert_int_eq(url_matches("google-analytics.com", "https://www.google-analytics.com/x"), 1);
    ck_assert_int_eq(url_matches("google-analytics.com", "https://ssl.google-analytics.com/"), 1);
    ck_assert_int_eq(url_matches("google-analytics.com", "https://evilgoogle-analytics.com/"), 0);
    ck_assert_int_eq(url_matches("google-analytics.com", "https://notgoogle-analytics.com/"), 0);
    ck_assert_int_eq(url_matches("google-analytics.com", "https://google-analytics.com.evil.io/"),
                     0);
    ck_assert_int_eq(
        url_matches("google-analytics.com", "https://example.com/google-analytics.com"), 0);
}
END_TEST

START_TEST(absolute_url_forms_are_understood)
{
    static const char *const urls[] = {
        "https://www.google-analytics.com/analytics.js",
        "http://www.google-analytics.com/analytics.js",
        "//www.google-analytics.com/analytics.js",
        "HTTPS://WWW.Google-Analytics.COM/analytics.js",
        "https://www.google-analytics.com:443/analytics.js",
        "https://user:secret@www.google-analytics.com/analytics.js",
        "https://a@b@www.google-analytics.com/analytics.js",
        "  \n\thttps://www.google-analytics.com/analytics.js \r\n",
        "https://www.google-analytics.com./analytics.js",
        "https:\\\\www.google-analytics.com\\analytics.js",
        "https://www.google-analytics.com",
        "https://www.google-analytics.com?x=1",
        "https://www.google-analytics.com#top",
        "https://www.google-ana\nlytics.com/analytics.js",
    };

    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
        ck_assert_msg(url_matches("google-analytics.com", urls[i]) == 1, "'%s' should match",
                      urls[i]);
}
END_TEST

START_TEST(relative_and_non_network_urls_never_match)
{
    static const char *const urls[] = {
        "/js/app.js",
        "js/app.js",
        "app.js",
        "?x=1",
        "#top",
        "",
        "   ",
        "data:text/javascript,alert(1)",
        "javascript:void(0)",
        "mailto:post@example.no",
        "about:blank",
        "blob:https://www.google-analytics.com/1234",
        "https://",
        "https:///",
        "//",
        "ftp://www.google-analytics.com/x",
    };
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);

    add(rs, MC_RULE_URL, "marketing", "*");
    add(rs, MC_RULE_URL, "marketing", "~.");
    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
        ck_assert_msg(url_category(rs, urls[i]) == NULL, "'%s' should be first-party", urls[i]);
    ck_assert_str_eq(url_category(rs, "https://x.example/"), "marketing");
}
END_TEST

START_TEST(url_path_glob_matches_path_and_query)
{
    const char *p = "www.googletagmanager.com/gtag/js*";

    ck_assert_int_eq(url_matches(p, "https://www.googletagmanager.com/gtag/js?id=G-1"), 1);
    ck_assert_int_eq(url_matches(p, "https://www.googletagmanager.com/gtag/js"), 1);
    ck_assert_int_eq(url_matches(p, "https://www.googletagmanager.com/gtm.js?id=GTM-1"), 0);
    ck_assert_int_eq(url_matches(p, "https://www.googletagmanager.com/"), 0);
    ck_assert_int_eq(url_matches("facebook.com/tr", "https://www.facebook.com/tr"), 1);
    ck_assert_int_eq(url_matches("facebook.com/tr", "https://www.facebook.com/tr?id=1"), 0);
    ck_assert_int_eq(url_matches("facebook.com/tr?*", "https://www.facebook.com/tr?id=1&ev=PV"), 1);
    ck_assert_int_eq(url_matches("example.com/", "https://example.com"), 1);
    ck_assert_int_eq(url_matches("example.com/", "https://example.com/x"), 0);
    ck_assert_int_eq(url_matches("example.com/a/*", "https://example.com/a/b#frag"), 1);
    ck_assert_int_eq(url_matches("https://example.com/a/*", "//example.com/a/b"), 1);
}
END_TEST

START_TEST(url_host_ignores_case_but_path_does_not)
{
    ck_assert_int_eq(url_matches("WWW.YouTube.com/embed/*", "https://www.youtube.COM/embed/x"), 1);
    ck_assert_int_eq(url_matches("www.youtube.com/embed/*", "https://www.youtube.com/Embed/x"), 0);
}
END_TEST

START_TEST(url_host_globs)
{
    ck_assert_int_eq(url_matches("*.hotjar.com", "https://static.hotjar.com/c/hotjar-1.js"), 1);
    ck_assert_int_eq(url_matches("*.hotjar.com", "https://hotjar.com/"), 0);
    ck_assert_int_eq(url_matches("*.hotjar.com", "https://static.hotjar.com.evil.io/"), 0);
    ck_assert_int_eq(url_matches("www.google.*/ads/*", "https://www.google.no/ads/ga-audiences"),
                     1);
    ck_assert_int_eq(url_matches("www.google.*/ads/*", "https://www.google.no/maps/embed"), 0);
}
END_TEST

START_TEST(url_regex_sees_normalised_host_path_query)
{
    const char *re = "~^www\\.google\\.[a-z.]+/ads/";

    ck_assert_int_eq(url_matches(re, "https://WWW.Google.NO:443/ads/ga-audiences?v=1"), 1);
    ck_assert_int_eq(url_matches(re, "//www.google.co.uk/ads/x"), 1);
    ck_assert_int_eq(url_matches(re, "https://www.google.no/maps"), 0);
    ck_assert_int_eq(url_matches("~^https", "https://example.com/"), 0);
    ck_assert_int_eq(url_matches("~\\?id=G-", "https://example.com/gtag/js?id=G-1"), 1);
    ck_assert_int_eq(url_matches("~#", "https://example.com/a#frag"), 0);
    ck_assert_int_eq(url_matches("~^example\\.com/$", "https://user@example.com:8443"), 1);
}
END_TEST

/* ------------------------------------------------------ the host index -- */

/* The winning rule's pattern for URL, asked of the set (which looks its
 * host up) and of its rules as a plain array (which tries every one):
 * both must say the same. NULL for none. */
static const char *url_winner(const mc_ruleset_t *rs, const char *url)
{
    const mc_rule_t *indexed = mc_ruleset_match_url(rs, url, strlen(url));
    const mc_rule_t *every = mc_rules_match(rs->rules[MC_RULE_URL], MC_RULE_URL, url, strlen(url));

    ck_assert_msg(indexed == every, "'%s': the set says '%s', its rules one by one '%s'", url,
                  indexed ? indexed->text : "-", every ? every->text : "-");
    return indexed ? indexed->text : NULL;
}

typedef struct winner_case {
    const char *url;
    const char *want; /* the winning pattern, NULL for none */
} winner_case_t;

static void check_winners(const mc_ruleset_t *rs, const winner_case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *got = url_winner(rs, cases[i].url);

        if (!cases[i].want)
            ck_assert_msg(got == NULL, "'%s': want no rule, got '%s'", cases[i].url, got);
        else
            ck_assert_msg(got && strcmp(got, cases[i].want) == 0, "'%s': want '%s', got '%s'",
                          cases[i].url, cases[i].want, got ? got : "(none)");
    }
}

#define CHECK_WINNERS(rs, cases) check_winners(rs, cases, sizeof(cases) / sizeof(cases[0]))

START_TEST(host_rules_match_every_host_form_that_reaches_them)
{
    static const winner_case_t cases[] = {
        {"https://tracker.example/a.js", "tracker.example"},
        {"https://a.b.tracker.example/a.js", "tracker.example"},
        {"https://TRACKER.Example./x", "tracker.example"},
        {"https://user:pw@cdn.tracker.example:8443/x", "tracker.example"},
        {"https://tracker.example@elsewhere.example/x", NULL},
        {"https://elsewhere.example/tracker.example", NULL},
        {"https://eviltracker.example/", NULL},
        {"https://tracker.example.evil.io/", NULL},
        {"//px.tracker.example/p.gif", "px.tracker.example/p.gif"},
        {"//px.tracker.example/q.gif", "tracker.example"},
        {"https://x.px.tracker.example/p.gif", "px.tracker.example/p.gif"},
        {"https://b%C3%BCcher.example/", "b\xc3\xbc" "cher.example"},
        {"https://www.xn--bcher-kva.example/", "b\xc3\xbc" "cher.example"},
        {"https://B\xc3\x9c" "CHER.example/", "b\xc3\xbc" "cher.example"},
        {"https://192.168.7.9/x", "192.168.7.9"},
        {"https://0xc0.0xa8.7.9/x", "192.168.7.9"},
        {"https://3232237321:80/x", "192.168.7.9"},
        {"https://192.168.7.90/x", NULL},
        {"https://[::1]/x", NULL},
        {"https://[::ffff:c0a8:709]/x", NULL},
        {"https://a..dotted.example/", ".dotted.example"},
        {"https://dotted.example/", NULL},
    };
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);

    add(rs, MC_RULE_URL, "marketing", "tracker.example");
    add(rs, MC_RULE_URL, "statistics", "px.tracker.example/p.gif");
    add(rs, MC_RULE_URL, "statistics", "b\xc3\xbc" "cher.example");
    add(rs, MC_RULE_URL, "statistics", "192.168.7.9");
    add(rs, MC_RULE_URL, "statistics", ".dotted.example");
    CHECK_WINNERS(rs, cases);
}
END_TEST

START_TEST(rules_no_host_names_are_tried_for_every_url)
{
    static const winner_case_t cases[] = {
        /* the regexes and the glob that ends in its wildcard come later */
        {"https://www.google.no/ads/x", "~^(?:www\\.)?google\\.[a-z]{2,3}/(?:ads|pagead)/"},
        {"https://google.de/pagead/1", "~^(?:www\\.)?google\\.[a-z]{2,3}/(?:ads|pagead)/"},
        {"https://www.google.no/maps", "www.google.*"},
        {"https://cdn.example.org/lib/matomo.js", "~/(?:matomo|piwik)\\.(?:js|php)(?:\\?|$)"},
        {"https://cdn.example.org/lib/matomo.jsx", NULL},
        {"https://stats.example.net/piwik.php?idsite=1", "~/(?:matomo|piwik)\\.(?:js|php)(?:\\?|$)"},
        /* wildcards before the end: filed under what the end holds */
        {"https://static.hotjar.com/c.js", "*.hotjar.com"},
        {"https://hotjar.com/c.js", NULL},
        {"https://ad7.doubleclick.net/x", "ad?.doubleclick.net"},
        {"https://x.ad7.doubleclick.net/x", "ad?.doubleclick.net"},
        {"https://ad77.doubleclick.net/x", "ad*.doubleclick.net/*"},
        {"https://adxy.doubleclick.net", "ad*.doubleclick.net/*"},
        {"https://doubleclick.net/x", NULL},
        {"https://a.b.c.example/late/x", "*.example/late/*"},
        {"https://a.b.c.example/early/x", NULL},
    };
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);

    add(rs, MC_RULE_URL, "marketing", "*.example/late/*");
    add(rs, MC_RULE_URL, "marketing", "ad*.doubleclick.net/*");
    add(rs, MC_RULE_URL, "marketing", "ad?.doubleclick.net");
    add(rs, MC_RULE_URL, "statistics", "*.hotjar.com");
    add(rs, MC_RULE_URL, "marketing", "www.google.*");
    add(rs, MC_RULE_URL, "marketing", "~^(?:www\\.)?google\\.[a-z]{2,3}/(?:ads|pagead)/");
    add(rs, MC_RULE_URL, "statistics", "~/(?:matomo|piwik)\\.(?:js|php)(?:\\?|$)");
    CHECK_WINNERS(rs, cases);
}
END_TEST

START_TEST(the_last_matching_rule_wins_whoever_files_it)
{
    static const winner_case_t cases[] = {
        {"https://www.example.com/x", "~example\\.com/x"},
        {"https://www.example.com/y", "www.example.com"},
        {"https://sub.example.com/y", "*.example.com"},
        {"https://example.com/y", "example.com"},
        {"https://a.www.example.com/y", "www.example.com"},
    };
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);

    add(rs, MC_RULE_URL, "marketing", "example.com");
    add(rs, MC_RULE_URL, "marketing", "*.example.com");
    add(rs, MC_RULE_URL, "statistics", "www.example.com");
    add(rs, MC_RULE_URL, "preferences", "~example\\.com/x");
    CHECK_WINNERS(rs, cases);
}
END_TEST

START_TEST(index_follows_appended_sets_and_rules_pushed_past_it)
{
    mc_ruleset_t *a = mc_ruleset_make(test_pool), *b = mc_ruleset_make(test_pool);
    mc_ruleset_t *all = mc_ruleset_make(test_pool);
    mc_rule_t *pushed;

    add(a, MC_RULE_URL, "marketing", "tracker.example");
    add(b, MC_RULE_URL, "statistics", "cdn.tracker.example");
    mc_ruleset_append(all, a);
    mc_ruleset_append(all, b);
    ck_assert_str_eq(url_winner(all, "https://cdn.tracker.example/x"), "cdn.tracker.example");
    ck_assert_str_eq(url_winner(all, "https://www.tracker.example/x"), "tracker.example");
    add(all, MC_RULE_URL, "preferences", "www.tracker.example");
    ck_assert_str_eq(url_winner(all, "https://www.tracker.example/x"), "www.tracker.example");
    /* a rule pushed onto the array, not through the set: still matched */
    pushed = apr_array_push(all->rules[MC_RULE_URL]);
    *pushed = APR_ARRAY_IDX(a->rules[MC_RULE_URL], 0, mc_rule_t);
    ck_assert_str_eq(url_winner(all, "https://www.tracker.example/x"), "tracker.example");
    ck_assert_ptr_eq(mc_ruleset_match_url(all, "https://www.tracker.example/x", 29), pushed);
}
END_TEST

START_TEST(the_default_catalogue_matches_as_one_by_one)
{
    /* the catalogue's tracker hosts and lookalikes, with its paths: the set
     * and its rules tried one by one agree */
    static const char *const hosts[] = {
        "www.googletagmanager.com", "googletagmanager.com",     "www.google-analytics.com",
        "connect.facebook.net",     "www.facebook.com",         "static.hotjar.com",
        "script.hotjar.com",        "snap.licdn.com",           "px.ads.linkedin.com",
        "www.youtube.com",          "www.youtube-nocookie.com", "i.ytimg.com",
        "player.vimeo.com",         "www.google.com",           "www.google.co.uk",
        "adservice.google.no",      "maps.googleapis.com",      "chimpstatic.com",
        "cdn.matomo.cloud",         "example.com",              "evil-youtube.com",
        "youtube.com.example.org",  "bat.bing.com",             "analytics.tiktok.com",
    };
    static const char *const paths[] = {"",
                                        "/",
                                        "/tr?id=1&ev=PageView",
                                        "/gtag/js?id=G-1",
                                        "/embed/x",
                                        "/ads/ga-audiences",
                                        "/maps/embed?pb=1",
                                        "/matomo.js",
                                        "/pagead/conversion.js",
                                        "/li.lms-analytics/insight.min.js"};
    mc_ruleset_t *rs = load_default();

    for (size_t h = 0; h < sizeof(hosts) / sizeof(hosts[0]); h++) {
        for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++)
            url_winner(rs, apr_pstrcat(test_pool, "https://", hosts[h], paths[p], NULL));
    }
    ck_assert_str_eq(url_winner(rs, "https://www.youtube.com/embed/x"), "youtube.com");
    ck_assert_ptr_null(url_winner(rs, "https://evil-youtube.com/embed/x"));
}
END_TEST

START_TEST(url_is_read_only_up_to_its_length)
{
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *url = "https://example.com/a.js?x";
    size_t len = strlen(url) - 2;
    char *exact = malloc(len); /* no NUL: AddressSanitizer catches a read past LEN */
    const mc_rule_t *rule;

    add(rs, MC_RULE_URL, "statistics", "example.com/a.js");
    for (size_t i = 0; i < len; i++)
        exact[i] = url[i];
    rule = mc_ruleset_match_url(rs, exact, len);
    ck_assert_ptr_null(mc_ruleset_match_url(rs, exact, 6));
    free(exact);
    ck_assert_str_eq(category_of(rule), "statistics");
    ck_assert_ptr_null(mc_ruleset_match_url(rs, url, len + 1));
}
END_TEST

START_TEST(long_urls_match_too)
{
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    char *url = apr_palloc(test_pool, 9000);
    size_t prefix = strlen("https://www.googletagmanager.com/gtag/js?id=G-1&x=");

    memcpy(url, "https://www.googletagmanager.com/gtag/js?id=G-1&x=", prefix);
    memset(url + prefix, 'q', 9000 - prefix - 1);
    url[8999] = '\0';
    add(rs, MC_RULE_URL, "statistics", "googletagmanager.com/gtag/js*");
    add(rs, MC_RULE_URL, "marketing", "~id=AW-");
    ck_assert_str_eq(url_category(rs, url), "statistics");
}
END_TEST

/* Each spelling below is one a browser fetches from the tracker's host and
 * path (url.h): none of them dodges the rule. */
START_TEST(tracker_rules_match_every_spelling_a_browser_fetches)
{
    static const struct {
        const char *pattern;
        const char *url;
    } dodges[] = {
        {"google-analytics.com", "https://www.%67oogle-analytics.com/analytics.js"},
        {"google-analytics.com", "https://www%2Egoogle-analytics%2ecom/analytics.js"},
        /* full-width letters */
        {"google-analytics.com",
         "https://\xef\xbd\x87\xef\xbd\x8f\xef\xbd\x8f\xef\xbd\x87\xef\xbd\x8c"
         "\xef\xbd\x85-analytics.com/analytics.js"},
        /* "&ascr;" decoded: U+1D4B6 MATHEMATICAL SCRIPT SMALL A */
        {"google-analytics.com", "https://www.google-\xf0\x9d\x92\xb6nalytics.com/ga.js"},
        {"google-analytics.com", "https://goo\xc2\xadgle-analytics.com/ga.js"},
        {"google-analytics.com", "https://www\xe3\x80\x82google-analytics.com/ga.js"},
        {"google-analytics.com", "wss://www.google-analytics.com/collect"},
        {"google-analytics.com", "ht\ntps:\\\\www.google-analytics.com"},
        {"google-analytics.com", "https:www.google-analytics.com/ga.js"},
        {"127.0.0.1", "http://0x7f.1/pixel"},
        {"127.0.0.1", "http://2130706433/pixel"},
        {"127.0.0.1", "http://0177.0.0.1/pixel"},
        {"s3.amazonaws.com/downloads.mailchimp.com/*",
         "https://s3.amazonaws.com/downloads%2Emailchimp.com/js/mc.js"},
        {"s3.amazonaws.com/downloads.mailchimp.com/*",
         "https://s3.amazonaws.com/%64ownloads.mailchimp.com/js/mc.js"},
        {"s3.amazonaws.com/downloads.mailchimp.com/*",
         "https://s3.amazonaws.com/x/../downloads.mailchimp.com/js/mc.js"},
        {"s3.amazonaws.com/downloads.mailchimp.com/*",
         "https://s3.amazonaws.com/x/%2e%2E/./downloads.mailchimp.com/js/mc.js"},
        {"s3.amazonaws.com/downloads.mailchimp.com/*",
         "https://s3.amazonaws.com\\downloads.mailchimp.com\\js\\mc.js"},
        {"www.googletagmanager.com/gtag/js*", "https://www.googletagmanager.com/gtag/%6As?id=G-1"},
        {"facebook.com/tr?*", "https://www.facebook.com/tr?id=1&ev=Page%56iew"},
        {"~id=AW-", "https://www.googletagmanager.com/gtag/js?id=%41W-1"},
        /* the pattern is read the same way */
        {"example.com/%7euser/*", "https://example.com/~user/x"},
        {"example.com/~user/*", "https://example.com/%7Euser/x"},
        {"b\xc3\xbc" "cher.example", "https://www.xn--bcher-kva.example/"},
        {"B\xc3\x9c" "CHER.example", "https://B\xc3\x9c" "cher.example/"},
    };

    for (size_t i = 0; i < sizeof(dodges) / sizeof(dodges[0]); i++)
        ck_assert_msg(url_matches(dodges[i].pattern, dodges[i].url) == 1, "'%s' should match '%s'",
                      dodges[i].url, dodges[i].pattern);
    /* and what is another host or path stays another */
    ck_assert_int_eq(url_matches("google-analytics.com", "https://google-analytics.com%2F.evil.io/"),
                     0);
    ck_assert_int_eq(url_matches("s3.amazonaws.com/downloads.mailchimp.com/*",
                                 "https://s3.amazonaws.com/downloads%2Fmailchimp.com/js"),
                     0);
    ck_assert_int_eq(url_matches("example.com/a/*", "https://example.com/a/../b/x"), 0);
}
END_TEST

/* ---------------------------------------------------------------- inline -- */

START_TEST(real_tracker_snippets_are_recognised)
{
    static const struct {
        const char *file;
        const char *service;
        const char *category;
    } cases[] = {
        {"inline/ga4.js", "Google Analytics", "statistics"},
        {"inline/ga-universal.js", "Google Analytics", "statistics"},
        {"inline/google-ads.js", "Google Ads", "marketing"},
        {"inline/gtm.js", "Google Tag Manager", "statistics"},
        {"inline/meta-pixel.js", "Meta Pixel", "marketing"},
        {"inline/linkedin-insight.js", "LinkedIn Insight Tag", "marketing"},
        {"inline/hotjar.js", "Hotjar", "statistics"},
        {"inline/matomo.js", "Matomo", "statistics"},
    };
    mc_ruleset_t *rs = load_default();

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        apr_size_t len;
        const char *body = read_fixture(cases[i].file, &len);
        const mc_rule_t *rule = mc_ruleset_match_inline(rs, body, len);

        ck_assert_msg(rule != NULL, "%s should be recognised", cases[i].file);
        ck_assert_msg(strcmp(rule->service, cases[i].service) == 0, "%s: service '%s', not '%s'",
                      cases[i].file, rule->service, cases[i].service);
        ck_assert_str_eq(rule->category, cases[i].category);
    }
}
END_TEST

START_TEST(first_party_script_matches_nothing)
{
    mc_ruleset_t *rs = load_default();
    apr_size_t len;
    const char *body = read_fixture("inline/first-party.js", &len);

    ck_assert_ptr_null(mc_ruleset_match_inline(rs, body, len));
    ck_assert_ptr_null(mc_ruleset_match_inline(rs, "", 0));
}
END_TEST

/* Inline signatures are passed over quickly when a script lacks bytes
 * every match needs; whatever a signature's shape, it must still match
 * exactly the scripts it matches on its own. */
START_TEST(inline_signatures_match_whatever_their_shape)
{
    static const struct {
        const char *pattern;
        const char *script;
        int match;
    } cases[] = {
        {"ab+cdef", "x abbbcdef", 1},
        {"abc*defg", "abdefg", 1},
        {"abc*defg", "abcdefh", 0},
        {"(?i:abc)defg", "ABCdefg", 1},
        {"(?i:abc)defg", "ABCDEFG", 0},
        {"(?i)tracker\\.init", "TRACKER.INIT()", 1},
        {"pre(?i)tracker", "preTRACKER", 1},
        {"beacon|pixel", "a pixel", 1},
        {"x(?:y|z)wvu", "xzwvu", 1},
        {"[]q]rstu", "]rstu", 1},
        {"ab\\Qc)d\\Eefgh", "abc)defgh", 1},
        {"a(*ACCEPT)bcdef", "only a", 1},
        {"(?:a(*ACCEPT))bcdef", "only a", 1},
        {"q{2}rstuv", "qqrstuv", 1},
        {"q{2}rstuv", "qrstuv", 0},
        {"(?x) s p a c e d", "spaced", 1},
        {"(\\w)zz\\1yyy", "azzayyy", 1},
        {"new\\s+Widget\\(", "new  Widget(", 1},
        {"new\\s+Widget\\(", "new Widge(", 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mc_ruleset_t *rs = mc_ruleset_make(test_pool);
        const mc_rule_t *rule;

        add(rs, MC_RULE_INLINE, "marketing", cases[i].pattern);
        rule = mc_ruleset_match_inline(rs, cases[i].script, strlen(cases[i].script));
        ck_assert_msg((rule != NULL) == cases[i].match, "'%s' on '%s': %s", cases[i].pattern,
                      cases[i].script, rule ? "matched" : "did not match");
    }
}
END_TEST

/* A set reads a script once for all its signatures (an index of pieces of
 * their literals). A tracker's snippet is found wherever it sits in a
 * script — first, last, at any byte — and the answer is the one each
 * signature gives on its own, last match winning, as a directory's few
 * rules (read one by one) give it. */
START_TEST(inline_signatures_are_found_wherever_they_sit)
{
    static const struct {
        const char *pattern;
        const char *category;
        const char *snippet; /* a script of it alone matches */
    } sigs[] = {
        {"fbq\\(\\s*'init'", "marketing", "fbq( 'init'"},
        {"twq\\(", "statistics", "twq("},                             /* a 4-byte literal */
        {"ga\\(", "statistics", "ga("},                                 /* too short to index */
        {"beacon|pixel", "functional", "pixel"},                        /* no literal */
        {"connect\\.example\\.net/[a-z]+/sdk\\.js", "preferences", "connect.example.net/en/sdk.js"},
        {"_tracker_partner_id", "marketing", "_tracker_partner_id"},
    };
    static const char *const fillers[] = {"", "x", "xy", "var a = 1;", "var a = 12;",
                                          "/* fbq ga pixe connect.example.net */"};
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    char script[256];

    for (size_t k = 0; k < sizeof(sigs) / sizeof(sigs[0]); k++)
        add(rs, MC_RULE_INLINE, sigs[k].category, sigs[k].pattern);
    for (size_t k = 0; k < sizeof(sigs) / sizeof(sigs[0]); k++) {
        for (size_t b = 0; b < sizeof(fillers) / sizeof(fillers[0]); b++) {
            for (size_t a = 0; a < sizeof(fillers) / sizeof(fillers[0]); a++) {
                size_t len = (size_t)snprintf(script, sizeof(script), "%s%s%s", fillers[b],
                                              sigs[k].snippet, fillers[a]);
                const mc_rule_t *indexed = mc_ruleset_match_inline(rs, script, len);
                const mc_rule_t *one_by_one =
                    mc_rules_match(rs->rules[MC_RULE_INLINE], MC_RULE_INLINE, script, len);

                ck_assert_msg(indexed != NULL, "'%s' not found in '%s'", sigs[k].pattern, script);
                ck_assert_ptr_eq(indexed, one_by_one);
                /* the snippet's own signature, or one after it that the filler completes */
                ck_assert_msg(indexed >= &APR_ARRAY_IDX(rs->rules[MC_RULE_INLINE], k, mc_rule_t),
                              "'%s' in '%s': matched '%s'", sigs[k].pattern, script,
                              indexed->text);
            }
        }
        /* cut short by a byte, the snippet is nobody's */
        ck_assert_ptr_null(mc_ruleset_match_inline(rs, sigs[k].snippet + 1,
                                                   strlen(sigs[k].snippet) - 1));
    }
}
END_TEST

/* When a script holds the literals of more signatures than the index
 * keeps track of, every signature is tried: the last match still wins. */
START_TEST(a_script_holding_many_literals_still_gets_the_last_match)
{
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    char script[2048] = "";
    char pattern[64];

    for (int i = 0; i < 60; i++) {
        char piece[32];

        /* each literal ("lit07abc") is in the script; only one regex matches it */
        snprintf(pattern, sizeof(pattern), "lit%02dabc%s", i, i == 40 ? "\\(" : "[XY]");
        add(rs, MC_RULE_INLINE, i == 40 ? "marketing" : "statistics", pattern);
        snprintf(piece, sizeof(piece), "lit%02dabc%s ", i, i == 40 ? "(" : "");
        strcat(script, piece);
    }
    ck_assert_str_eq(category_of(mc_ruleset_match_inline(rs, script, strlen(script))),
                     "marketing");
    /* a later rule, appended from another set, is matched too and wins */
    {
        mc_ruleset_t *more = mc_ruleset_make(test_pool);

        add(more, MC_RULE_INLINE, "functional", "lit07abc");
        mc_ruleset_append(rs, more);
        ck_assert_str_eq(category_of(mc_ruleset_match_inline(rs, script, strlen(script))),
                         "functional");
    }
}
END_TEST

/* ----------------------------------------------------- default catalogue -- */

START_TEST(default_catalogue_classifies_common_cookies)
{
    static const struct {
        const char *name;
        const char *category;
    } cases[] = {
        {"_ga", "statistics"},
        {"_ga_7XK2PQ4M1Z", "statistics"},
        {"_gid", "statistics"},
        {"_gat_UA-1234-1", "statistics"},
        {"__utmz", "statistics"},
        {"_hjSessionUser_123", "statistics"},
        {"_pk_id.1.a1b2", "statistics"},
        {"_clck", "statistics"},
        {"_fbp", "marketing"},
        {"_fbc", "marketing"},
        {"_gcl_au", "marketing"},
        {"_gac_UA-1234-1", "marketing"},
        {"IDE", "marketing"},
        {"li_sugr", "marketing"},
        {"_uetvid", "marketing"},
        {"_ttp", "marketing"},
        {"hubspotutk", "marketing"},
        {"VISITOR_INFO1_LIVE", "marketing"},
        {"PHPSESSID", "necessary"},
        {"JSESSIONID", "necessary"},
        {"wordpress_logged_in_abc", "necessary"},
        {"wordpress_0123456789abcdef0123456789abcdef", "necessary"},
        {"SSESS0123456789abcdef0123456789abcdef", "necessary"},
        {"BIGipServerpool_web", "necessary"},
        {"cf_clearance", "necessary"},
        {"wp_woocommerce_session_1a2b", "necessary"},
        {"wp-settings-1", "preferences"},
        {"wp-settings-time-1", "preferences"},
        {"pll_language", "preferences"},
    };
    mc_ruleset_t *rs = load_default();

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = cookie_category(rs, cases[i].name);

        ck_assert_msg(got && strcmp(got, cases[i].category) == 0, "%s: '%s', expected '%s'",
                      cases[i].name, got ? got : "(none)", cases[i].category);
    }
    ck_assert_ptr_null(cookie_category(rs, "clinic_booking_step"));
    ck_assert_ptr_null(cookie_category(rs, "wordpress_notahash"));
}
END_TEST

START_TEST(default_catalogue_classifies_tracker_urls)
{
    static const struct {
        const char *url;
        const char *service;
    } cases[] = {
        {"https://www.googletagmanager.com/gtag/js?id=G-7XK2PQ4M1Z", "Google Analytics"},
        {"https://www.googletagmanager.com/gtag/js?id=AW-987654321", "Google Ads"},
        /* a Google tag or container may carry Ads: the guard in consent.js,
         * which has no id rule, holds it as marketing like the server */
        {"https://www.googletagmanager.com/gtag/js?id=GT-ABCD123", "Google Ads"},
        {"https://www.googletagmanager.com/gtag/js?id=GTM-ABC1234", "Google Ads"},
        {"https://www.googletagmanager.com/gtm.js?id=GTM-ABC1234", "Google Tag Manager"},
        {"https://www.googletagmanager.com/ns.html?id=GTM-ABC1234", "Google Tag Manager"},
        {"https://www.google-analytics.com/analytics.js", "Google Analytics"},
        {"https://region1.google-analytics.com/g/collect", "Google Analytics"},
        {"https://googleads.g.doubleclick.net/pagead/viewthroughconversion/1/", "DoubleClick"},
        {"https://www.googleadservices.com/pagead/conversion.js", "Google Ads"},
        {"https://www.google.no/ads/ga-audiences?v=1", "Google Ads"},
        {"https://www.google.com/pagead/1p-user-list/1/", "Google Ads"},
        {"https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js",
         "Google AdSense and Ad Manager"},
        {"https://connect.facebook.net/en_US/fbevents.js", "Meta Pixel"},
        {"https://www.facebook.com/tr?id=1&ev=PageView&noscript=1", "Meta Pixel"},
        {"https://connect.facebook.net/nb_NO/sdk.js#xfbml=1", "Facebook social plugins"},
        {"https://www.facebook.com/plugins/page.php?href=x", "Facebook social plugins"},
        {"https://www.instagram.com/embed.js", "Instagram embeds"},
        {"https://snap.licdn.com/li.lms-analytics/insight.min.js", "LinkedIn Insight Tag"},
        {"https://px.ads.linkedin.com/collect/?pid=1&fmt=gif", "LinkedIn Insight Tag"},
        {"https://static.hotjar.com/c/hotjar-3344556.js?sv=6", "Hotjar"},
        {"https://www.clarity.ms/tag/abcdef", "Microsoft Clarity"},
        {"https://bat.bing.com/bat.js", "Microsoft Advertising"},
        {"https://cdn.matomo.cloud/clinic.matomo.cloud/matomo.js", "Matomo"},
        {"https://stats.example.no/matomo.php?idsite=1&rec=1", "Matomo"},
        {"https://js.hs-scripts.com/1234567.js", "HubSpot"},
        {"https://chimpstatic.com/mcjs-connected/js/users/abc/def.js", "Mailchimp"},
        {"https://www.youtube.com/embed/dQw4w9WgXcQ", "YouTube"},
        {"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", "YouTube"},
        {"https://player.vimeo.com/video/76979871", "Vimeo"},
        {"https://analytics.tiktok.com/i18n/pixel/events.js", "TikTok Pixel"},
        {"https://s.pinimg.com/ct/core.js", "Pinterest"},
        {"https://sc-static.net/scevent.min.js", "Snapchat Pixel"},
        {"https://static.ads-twitter.com/uwt.js", "X (Twitter) Pixel"},
        {"https://t.co/i/adsct?txn_id=1", "X (Twitter) Pixel"},
        {"https://platform.twitter.com/widgets.js", "X (Twitter) embeds"},
        {"https://www.google.com/maps/embed?pb=!1m18", "Google Maps"},
        {"https://maps.googleapis.com/maps/api/js?key=x", "Google Maps"},
        /* what a WordPress site shows by default: comment avatars, emoji */
        {"https://secure.gravatar.com/avatar/205e460b479e2e5b48aec07710c08d50?s=56&d=mm&r=g",
         "Gravatar"},
        {"https://0.gravatar.com/avatar/205e460b?s=112", "Gravatar"},
        {"https://s.w.org/images/core/emoji/14.0.0/svg/1f600.svg",
         "WordPress.org emoji and images"},
    };
    mc_ruleset_t *rs = load_default();

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = url_service(rs, cases[i].url);

        ck_assert_msg(got && strcmp(got, cases[i].service) == 0, "%s: '%s', expected '%s'",
                      cases[i].url, got ? got : "(none)", cases[i].service);
    }
    /* a YouTube thumbnail fetched from Google's servers tells YouTube who looked */
    ck_assert_str_eq(url_service(rs, "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg"), "YouTube");
    /* fonts and the site's own files are not trackers */
    ck_assert_ptr_null(url_category(rs, "https://fonts.googleapis.com/css2?family=Inter"));
    ck_assert_ptr_null(url_category(rs, "https://www.google.com/search?q=legevakt"));
    ck_assert_ptr_null(url_category(rs, "/wp-content/themes/clinic/app.js"));
    ck_assert_ptr_null(url_category(rs, "https://www.facebook.com/trondheimlegevakt"));
}
END_TEST

START_TEST(default_catalogue_is_complete_and_consistent)
{
    mc_ruleset_t *rs = load_default();
    const char *err = NULL;

    ck_assert_int_eq(mc_ruleset_check_categories(rs, mc_categories_make(test_pool), &err), MC_OK);
    ck_assert_int_ge(rs->services->nelts, 30);
    for (int i = 0; i < rs->services->nelts; i++) {
        const mc_service_t *svc = &APR_ARRAY_IDX(rs->services, i, mc_service_t);

        ck_assert_str_eq(svc->source, DEFAULT_CATALOGUE);
        ck_assert_ptr_nonnull(svc->description);
        ck_assert_msg(apr_table_get(svc->description, "en") &&
                          apr_table_get(svc->description, "nb") &&
                          apr_table_get(svc->description, "nn"),
                      "%s needs en, nb and nn descriptions", svc->name);
    }
}
END_TEST

START_TEST(embedded_default_catalogue_is_the_shipped_file)
{
    const mc_builtin_file_t *embedded = mc_builtin_find("rules/default.json");
    mc_ruleset_t *from_file = load_default();
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *err = NULL;

    ck_assert_ptr_nonnull(embedded);
    ck_assert_int_eq(mc_ruleset_load_json(rs, embedded->data, embedded->len, "default", &err),
                     MC_OK);
    ck_assert_int_eq(rs->services->nelts, from_file->services->nelts);
    for (int k = MC_RULE_COOKIE; k <= MC_RULE_INLINE; k++)
        ck_assert_int_eq(rs->rules[k]->nelts, from_file->rules[k]->nelts);
    ck_assert_str_eq(mc_ruleset_match_cookie(rs, "_fbp")->source, "default: Meta Pixel");
}
END_TEST

/* ------------------------------------------------------ catalogue format -- */

START_TEST(catalogue_fills_services_and_rule_sources)
{
    const char *path = unit_data_path("rules/good.json");
    mc_ruleset_t *rs = load(path);
    const mc_service_t *svc = &APR_ARRAY_IDX(rs->services, 0, mc_service_t);
    const mc_rule_t *rule = mc_ruleset_match_cookie(rs, "exa_42");
    const char *url = "https://cdn.example.net/ex.js?v=2";

    ck_assert_int_eq(rs->services->nelts, 2);
    ck_assert_str_eq(svc->name, "Example Analytics");
    ck_assert_str_eq(svc->vendor, "Example AS");
    ck_assert_str_eq(svc->category, "statistics");
    ck_assert_str_eq(svc->privacy_url, "https://example.com/privacy");
    ck_assert_str_eq(svc->source, path);
    ck_assert_str_eq(apr_table_get(svc->description, "nn"), "Tel besøk.");
    ck_assert_ptr_null(APR_ARRAY_IDX(rs->services, 1, mc_service_t).vendor);
    ck_assert_ptr_null(APR_ARRAY_IDX(rs->services, 1, mc_service_t).description);

    ck_assert_str_eq(rule->service, "Example Analytics");
    ck_assert_str_eq(rule->text, "~^exa_[0-9]+$");
    ck_assert_str_eq(rule->source, apr_pstrcat(test_pool, path, ": Example Analytics", NULL));
    ck_assert_str_eq(mc_ruleset_match_url(rs, url, strlen(url))->service, "Example Analytics");
    ck_assert_str_eq(url_category(rs, "https://ads.example.org/pixel?id=1"), "marketing");
    ck_assert_str_eq(mc_ruleset_match_inline(rs, "exa( 'init')", 12)->category, "statistics");
    ck_assert_int_eq(rs->rules[MC_RULE_INLINE]->nelts, 2);
}
END_TEST

START_TEST(catalogue_loads_from_memory_up_to_its_length)
{
    static const char json[] = "{\"services\": [{\"name\": \"A\", \"category\": \"marketing\","
                               " \"cookies\": [\"_a\"]}]}GARBAGE";
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *err = NULL;

    ck_assert_int_eq(mc_ruleset_load_json(rs, json, strlen(json) - 7, "inline.json", &err), MC_OK);
    ck_assert_str_eq(cookie_category(rs, "_a"), "marketing");
    ck_assert_int_eq(mc_ruleset_load_json(rs, json, strlen(json), "inline.json", &err), MC_EINVAL);
    assert_contains(err, "inline.json:1:");
    ck_assert_int_eq(mc_ruleset_load_json(rs, "[]", 2, "list.json", &err), MC_EINVAL);
    ck_assert_str_eq(err, "list.json: a catalogue is a JSON object with a 'services' array");
}
END_TEST

START_TEST(json_syntax_error_names_file_line_and_column)
{
    const char *err = load_error("rules/bad-syntax.json");

    assert_contains(err,
                    apr_pstrcat(test_pool, unit_data_path("rules/bad-syntax.json"), ":6:", NULL));
}
END_TEST

START_TEST(unknown_keys_are_rejected_as_typos)
{
    const char *err = load_error("rules/bad-unknown-key.json");

    assert_contains(err, "bad-unknown-key.json: service 'Typo': unknown key 'cookie'");
    err = load_error("rules/bad-unknown-top-key.json");
    assert_contains(err, "bad-unknown-top-key.json: unknown key 'service'");
}
END_TEST

START_TEST(wrong_types_are_rejected)
{
    const char *err = load_error("rules/bad-wrong-type.json");

    assert_contains(err, "service 'Wrong type': 'cookies' must be an array of strings");
}
END_TEST

START_TEST(bad_regex_in_catalogue_names_service_and_pattern)
{
    const char *err = load_error("rules/bad-regex.json");

    assert_contains(err, "bad-regex.json: service 'Bad regex': 'cookies': "
                         "bad regex '~(a': missing closing parenthesis at offset 2");
}
END_TEST

START_TEST(service_without_name_is_rejected)
{
    const char *err = load_error("rules/bad-missing-name.json");

    assert_contains(err, "bad-missing-name.json: services[1] has no 'name'");
}
END_TEST

START_TEST(empty_values_and_duplicates_are_rejected)
{
    assert_contains(load_error("rules/bad-empty-pattern.json"),
                    "service 'Empty': 'urls': empty pattern");
    assert_contains(load_error("rules/bad-duplicate-key.json"), "duplicate object key");
    assert_contains(load_error("rules/bad-duplicate-service.json"),
                    "service 'Same' is listed twice");
}
END_TEST

START_TEST(failed_catalogue_adds_nothing)
{
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *err;

    add(rs, MC_RULE_COOKIE, "necessary", "_keep");
    ck_assert_int_eq(mc_ruleset_load_file(rs, unit_data_path("rules/bad-regex.json"), &err),
                     MC_EINVAL);
    ck_assert_int_eq(rs->rules[MC_RULE_COOKIE]->nelts, 1);
    ck_assert_int_eq(rs->services->nelts, 0);
    ck_assert_ptr_null(mc_ruleset_match_cookie(rs, "_ok"));
}
END_TEST

START_TEST(unreadable_catalogue_names_the_path)
{
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *path = unit_data_path("rules/does-not-exist.json");
    const char *err = NULL;

    ck_assert_int_eq(mc_ruleset_load_file(rs, path, &err), MC_EIO);
    assert_contains(err, path);
    assert_contains(err, "cannot read");
}
END_TEST

START_TEST(unknown_categories_are_reported_with_their_source)
{
    const char *path = unit_data_path("rules/unknown-category.json");
    mc_ruleset_t *rs = load(path);
    mc_ruleset_t *admin = mc_ruleset_make(test_pool);
    mc_categories_t *cats = mc_categories_make(test_pool);
    const char *err = NULL;

    ck_assert_int_eq(mc_ruleset_check_categories(rs, cats, &err), MC_EINVAL);
    ck_assert_str_eq(
        err, apr_pstrcat(test_pool, path, ": service 'Foo': unknown category 'stats'", NULL));

    ck_assert_int_eq(mc_ruleset_add(admin, MC_RULE_URL, "analytics", "stats.example.com",
                                    "/etc/apache2/sites-enabled/clinic.conf:12", &err),
                     MC_OK);
    ck_assert_int_eq(mc_ruleset_check_categories(admin, cats, &err), MC_EINVAL);
    ck_assert_str_eq(err, "/etc/apache2/sites-enabled/clinic.conf:12: url rule "
                          "'stats.example.com': unknown category 'analytics'");

    ck_assert_int_eq(mc_categories_add(cats, "stats", 0, &err), MC_OK);
    ck_assert_int_eq(mc_categories_add(cats, "analytics", 0, &err), MC_OK);
    ck_assert_int_eq(mc_ruleset_check_categories(rs, cats, &err), MC_OK);
    ck_assert_int_eq(mc_ruleset_check_categories(admin, cats, &err), MC_OK);
}
END_TEST

/* ----------------------------------------------------------------- suite -- */

static TCase *tcase(const char *name)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    return tc;
}

/* ------------------------------------------------- declaration fields -- */

static const char *json_error(const char *json)
{
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *err = NULL;

    ck_assert_msg(mc_ruleset_load_json(rs, json, strlen(json), "inline.json", &err) == MC_EINVAL,
                  "should be rejected: %s", json);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(rs->services->nelts, 0);
    return err;
}

static const mc_service_t *find_service(const mc_ruleset_t *rs, const char *name)
{
    for (int i = 0; i < rs->services->nelts; i++) {
        const mc_service_t *s = &APR_ARRAY_IDX(rs->services, i, mc_service_t);
        if (strcmp(s->name, name) == 0)
            return s;
    }
    return NULL;
}

START_TEST(service_ids_are_slugs_unless_given)
{
    mc_service_t s = {0};

    s.name = "Google Maps";
    ck_assert_str_eq(mc_service_id(test_pool, &s), "google-maps");
    s.name = "  X (Twitter) Pixel!";
    ck_assert_str_eq(mc_service_id(test_pool, &s), "x-twitter-pixel");
    s.name = "Express (Node.js)";
    ck_assert_str_eq(mc_service_id(test_pool, &s), "express-node-js");
    s.id = "yt";
    ck_assert_str_eq(mc_service_id(test_pool, &s), "yt");
}
END_TEST

START_TEST(lifetimes_parse_as_iso_durations_or_session)
{
    int64_t v = 0;

    ck_assert_int_eq(mc_lifetime_parse("P2Y", &v), MC_OK);
    ck_assert_int_eq(v, 2 * 365 * 86400);
    ck_assert_int_eq(mc_lifetime_parse("P13M", &v), MC_OK);
    ck_assert_int_eq(v, 13 * 30 * 86400);
    ck_assert_int_eq(mc_lifetime_parse("P1DT12H", &v), MC_OK);
    ck_assert_int_eq(v, 86400 + 12 * 3600);
    ck_assert_int_eq(mc_lifetime_parse("PT30M", &v), MC_OK);
    ck_assert_int_eq(v, 1800);
    ck_assert_int_eq(mc_lifetime_parse("session", &v), MC_OK);
    ck_assert_int_eq(v, MC_LIFETIME_SESSION);
    ck_assert_int_eq(mc_lifetime_parse("P", &v), MC_EINVAL);
    ck_assert_int_eq(mc_lifetime_parse("2Y", &v), MC_EINVAL);
    ck_assert_int_eq(mc_lifetime_parse("P2H", &v), MC_EINVAL);
    ck_assert_int_eq(mc_lifetime_parse("PT2D", &v), MC_EINVAL);
    ck_assert_int_eq(mc_lifetime_parse("P1Y2", &v), MC_EINVAL);
}
END_TEST

START_TEST(catalogue_reads_entity_transfer_purpose_and_cookie_objects)
{
    static const char json[] =
        "{\"services\":[{\"name\":\"Tube\",\"id\":\"tube-video\",\"category\":\"marketing\","
        "\"entity\":\"Tube Europe Ltd\",\"countries\":[\"IE\",\"US\"],"
        "\"transfer\":\"EU-US Data Privacy Framework\","
        "\"purpose\":{\"en\":\"Shows videos.\",\"nb\":\"Viser videoer.\"},"
        "\"cookies\":[\"plain\",{\"name\":\"t_id\",\"lifetime\":\"P2Y\","
        "\"purpose\":{\"en\":\"Tells browsers apart.\"}},{\"name\":\"t_s\",\"lifetime\":90}]},"
        "{\"name\":\"Local\",\"category\":\"statistics\",\"countries\":[\"NO\",\"SE\"]},"
        "{\"name\":\"Said\",\"category\":\"statistics\",\"outside_eea\":true}]}";
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *err = NULL;
    const mc_service_t *s;
    const mc_service_cookie_t *c;

    ck_assert_msg(mc_ruleset_load_json(rs, json, strlen(json), "x.json", &err) == MC_OK, "%s", err);
    s = find_service(rs, "Tube");
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(mc_service_id(test_pool, s), "tube-video");
    ck_assert_str_eq(s->entity, "Tube Europe Ltd");
    ck_assert_int_eq(s->outside_eea, 1);
    ck_assert_str_eq(s->transfer, "EU-US Data Privacy Framework");
    ck_assert_int_eq(s->countries->nelts, 2);
    ck_assert_str_eq(mc_lang_text(test_pool, s->purpose, "nb-NO"), "Viser videoer.");
    ck_assert_ptr_null(mc_lang_text(test_pool, s->purpose, "nn"));
    ck_assert_int_eq(s->cookies->nelts, 3);
    c = &APR_ARRAY_IDX(s->cookies, 0, mc_service_cookie_t);
    ck_assert_str_eq(c->name, "plain");
    ck_assert_int_eq(c->lifetime, MC_LIFETIME_UNKNOWN);
    c = &APR_ARRAY_IDX(s->cookies, 1, mc_service_cookie_t);
    ck_assert_str_eq(c->name, "t_id");
    ck_assert_int_eq(c->lifetime, 2 * 365 * 86400);
    ck_assert_str_eq(mc_lang_text(test_pool, c->purpose, "en"), "Tells browsers apart.");
    ck_assert_int_eq(APR_ARRAY_IDX(s->cookies, 2, mc_service_cookie_t).lifetime, 90);
    /* an object's name is a rule like a string */
    ck_assert_str_eq(cookie_category(rs, "t_id"), "marketing");
    ck_assert_str_eq(mc_ruleset_match_cookie(rs, "t_s")->service, "Tube");
    ck_assert_int_eq(find_service(rs, "Local")->outside_eea, 0);
    ck_assert_int_eq(find_service(rs, "Said")->outside_eea, 1);
    ck_assert_ptr_null(find_service(rs, "Said")->countries);
}
END_TEST

START_TEST(bad_declaration_fields_are_rejected_with_service_and_position)
{
    assert_contains(json_error("{\"services\":[{\"name\":\"A\",\"category\":\"marketing\","
                               "\"cookies\":[\"a\",{\"name\":\"b\",\"lifetime\":\"2 years\"}]}]}"),
                    "inline.json: service 'A': 'cookies'[1]: 'lifetime' must be");
    assert_contains(json_error("{\"services\":[{\"name\":\"A\",\"category\":\"marketing\","
                               "\"cookies\":[{\"name\":\"b\",\"lifetime\":-5}]}]}"),
                    "'cookies'[0]: 'lifetime' must be");
    assert_contains(json_error("{\"services\":[{\"name\":\"A\",\"category\":\"marketing\","
                               "\"cookies\":[{\"name\":\"b\",\"lifetim\":\"P1Y\"}]}]}"),
                    "'cookies'[0]: unknown key 'lifetim'");
    assert_contains(json_error("{\"services\":[{\"name\":\"A\",\"category\":\"marketing\","
                               "\"cookies\":[{\"lifetime\":\"P1Y\"}]}]}"),
                    "'cookies'[0]: 'name' must be a non-empty string");
    assert_contains(json_error("{\"services\":[{\"name\":\"A\",\"category\":\"marketing\","
                               "\"cookies\":[{\"name\":\"b\",\"purpose\":\"x\"}]}]}"),
                    "'cookies'[0]: purpose' must be an object of language: text");
    assert_contains(json_error("{\"services\":[{\"name\":\"A\",\"category\":\"marketing\","
                               "\"cookies\":[42]}]}"),
                    "'cookies'[0] must be a name or");
    assert_contains(json_error("{\"services\":[{\"name\":\"A\",\"category\":\"marketing\","
                               "\"countries\":[\"us\"]}]}"),
                    "service 'A': 'countries'[0] must be a two-letter ISO 3166 code");
    assert_contains(json_error("{\"services\":[{\"name\":\"A\",\"category\":\"marketing\","
                               "\"countries\":[\"US\"],\"outside_eea\":false}]}"),
                    "'outside_eea' is false but 'countries' lists a country outside the EEA");
    assert_contains(json_error("{\"services\":[{\"name\":\"A\",\"category\":\"marketing\","
                               "\"outside_eea\":\"yes\"}]}"),
                    "'outside_eea' must be true or false");
    assert_contains(json_error("{\"services\":[{\"name\":\"A\",\"category\":\"marketing\","
                               "\"id\":\"Bad Id\"}]}"),
                    "service 'A': 'id' 'Bad Id' is not a service id (a-z, 0-9 and '-'");
    assert_contains(json_error("{\"services\":[{\"name\":\"A\",\"category\":\"marketing\","
                               "\"entity\":\"\"}]}"),
                    "'entity' must be a non-empty string");
    assert_contains(json_error("{\"services\":[{\"name\":\"A\",\"category\":\"marketing\","
                               "\"purpose\":{\"en\":\"\"}}]}"),
                    "'purpose': 'en' must be a non-empty string");
}
END_TEST

START_TEST(default_catalogue_declares_the_clinics_services)
{
    mc_ruleset_t *rs = load_default();
    static const char *const outside[] = {"Google Analytics", "Google Ads",           "YouTube",
                                          "Meta Pixel",       "LinkedIn Insight Tag", "Mailchimp"};

    for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
        const mc_service_t *s = find_service(rs, outside[i]);
        ck_assert_msg(s && s->entity, "%s has an entity", outside[i]);
        ck_assert_msg(s->outside_eea == 1, "%s sends data outside the EEA", outside[i]);
    }
    ck_assert_str_eq(find_service(rs, "Meta Pixel")->entity, "Meta Platforms Ireland Limited");
    for (int i = 0; i < find_service(rs, "Google Analytics")->cookies->nelts; i++) {
        const mc_service_cookie_t *c =
            &APR_ARRAY_IDX(find_service(rs, "Google Analytics")->cookies, i, mc_service_cookie_t);
        if (strcmp(c->name, "_ga") == 0)
            ck_assert_int_eq(c->lifetime, 2 * 365 * 86400);
    }
}
END_TEST

Suite *rules_suite(void)
{
    Suite *s = suite_create("rules");
    TCase *globs = tcase("globs");
    TCase *patterns = tcase("patterns");
    TCase *precedence = tcase("precedence");
    TCase *urls = tcase("urls");
    TCase *inline_scripts = tcase("inline");
    TCase *catalogue = tcase("catalogue");

    tcase_add_test(globs, exact_cookie_name_matches_only_itself);
    tcase_add_test(globs, cookie_globs_are_case_sensitive);
    tcase_add_test(globs, lone_star_matches_every_name_even_empty);
    tcase_add_test(globs, empty_subject_matches_only_stars);
    tcase_add_test(globs, question_mark_is_one_character_even_multibyte);
    tcase_add_test(globs, trailing_star_matches_any_suffix);
    tcase_add_test(globs, consecutive_stars_act_as_one);
    tcase_add_test(globs, inner_stars_backtrack);
    tcase_add_test(globs, pattern_longer_than_subject_never_matches);
    tcase_add_test(globs, subject_is_read_only_up_to_its_length);
    suite_add_tcase(s, globs);

    tcase_add_test(patterns, unusable_patterns_are_rejected);
    tcase_add_test(patterns, longest_pattern_is_accepted);
    tcase_add_test(patterns, bad_regex_error_names_pcre2_message_and_offset);
    tcase_add_test(patterns, regex_rules_search_unless_anchored);
    tcase_add_test(patterns, runaway_regex_stops_at_match_limit);
    tcase_add_test(patterns, inline_rules_are_regexes_with_optional_tilde);
    tcase_add_test(patterns, rule_kinds_have_names);
    suite_add_tcase(s, patterns);

    tcase_add_test(precedence, last_matching_rule_wins);
    tcase_add_test(precedence, later_catalogue_overrides_earlier);
    tcase_add_test(precedence, admin_rule_overrides_default_catalogue);
    tcase_add_test(precedence, plain_rule_arrays_match_last_first);
    tcase_add_test(precedence, added_rule_keeps_its_own_copies);
    suite_add_tcase(s, precedence);

    tcase_add_test(urls, host_rule_matches_host_and_subdomains_not_lookalikes);
    tcase_add_test(urls, absolute_url_forms_are_understood);
    tcase_add_test(urls, relative_and_non_network_urls_never_match);
    tcase_add_test(urls, url_path_glob_matches_path_and_query);
    tcase_add_test(urls, url_host_ignores_case_but_path_does_not);
    tcase_add_test(urls, url_host_globs);
    tcase_add_test(urls, url_regex_sees_normalised_host_path_query);
    tcase_add_test(urls, host_rules_match_every_host_form_that_reaches_them);
    tcase_add_test(urls, rules_no_host_names_are_tried_for_every_url);
    tcase_add_test(urls, the_last_matching_rule_wins_whoever_files_it);
    tcase_add_test(urls, index_follows_appended_sets_and_rules_pushed_past_it);
    tcase_add_test(urls, the_default_catalogue_matches_as_one_by_one);
    tcase_add_test(urls, url_is_read_only_up_to_its_length);
    tcase_add_test(urls, long_urls_match_too);
    tcase_add_test(urls, tracker_rules_match_every_spelling_a_browser_fetches);
    suite_add_tcase(s, urls);

    tcase_add_test(inline_scripts, real_tracker_snippets_are_recognised);
    tcase_add_test(inline_scripts, first_party_script_matches_nothing);
    tcase_add_test(inline_scripts, inline_signatures_match_whatever_their_shape);
    tcase_add_test(inline_scripts, inline_signatures_are_found_wherever_they_sit);
    tcase_add_test(inline_scripts, a_script_holding_many_literals_still_gets_the_last_match);
    suite_add_tcase(s, inline_scripts);

    tcase_add_test(catalogue, default_catalogue_classifies_common_cookies);
    tcase_add_test(catalogue, default_catalogue_classifies_tracker_urls);
    tcase_add_test(catalogue, default_catalogue_is_complete_and_consistent);
    tcase_add_test(catalogue, embedded_default_catalogue_is_the_shipped_file);
    tcase_add_test(catalogue, catalogue_fills_services_and_rule_sources);
    tcase_add_test(catalogue, catalogue_loads_from_memory_up_to_its_length);
    tcase_add_test(catalogue, json_syntax_error_names_file_line_and_column);
    tcase_add_test(catalogue, unknown_keys_are_rejected_as_typos);
    tcase_add_test(catalogue, wrong_types_are_rejected);
    tcase_add_test(catalogue, bad_regex_in_catalogue_names_service_and_pattern);
    tcase_add_test(catalogue, service_without_name_is_rejected);
    tcase_add_test(catalogue, empty_values_and_duplicates_are_rejected);
    tcase_add_test(catalogue, failed_catalogue_adds_nothing);
    tcase_add_test(catalogue, unreadable_catalogue_names_the_path);
    tcase_add_test(catalogue, unknown_categories_are_reported_with_their_source);
    tcase_add_test(catalogue, service_ids_are_slugged_names);
    tcase_add_test(catalogue, catalogue_services_and_rules_carry_ids);
    tcase_add_test(catalogue, bad_and_duplicate_service_ids_are_rejected);
    tcase_add_test(catalogue, service_ids_are_slugs_unless_given);
    tcase_add_test(catalogue, lifetimes_parse_as_iso_durations_or_session);
    tcase_add_test(catalogue, catalogue_reads_entity_transfer_purpose_and_cookie_objects);
    tcase_add_test(catalogue, bad_declaration_fields_are_rejected_with_service_and_position);
    tcase_add_test(catalogue, default_catalogue_declares_the_clinics_services);
    suite_add_tcase(s, catalogue);
    return s;
}
