/* URLs as a browser reads them (url.h). Each expected normal form is written
 * from the WHATWG URL standard's parsing rules (host parser, IPv4 parser,
 * path state) and RFC 3986's unreserved characters. */
#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"
#include "unit.h"

/* --- helpers ---------------------------------------------------------------------- */

/* The normal form of URL, read from a heap copy of exactly its length (so ASan
 * sees any read past it), or NULL when it names no host. */
static const char *norm(const char *url)
{
    size_t n = strlen(url);
    char *copy = malloc(n ? n : 1);
    mc_url_norm_t u;
    const char *out = NULL;

    memcpy(copy, url, n);
    if (mc_url_normalise(copy, n, &u)) {
        out = apr_pstrmemdup(test_pool, u.text, u.len);
        ck_assert_uint_lt(u.host_len, u.len);
        ck_assert_int_eq(u.text[u.host_len], '/');
        mc_url_release(&u);
    }
    free(copy);
    return out;
}

typedef struct url_case {
    const char *in;
    const char *want; /* NULL: names no host */
} url_case_t;

static void check_norm(const url_case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *got = norm(cases[i].in);

        if (!cases[i].want)
            ck_assert_msg(got == NULL, "'%s': want no host, got '%s'", cases[i].in, got);
        else
            ck_assert_msg(got && strcmp(got, cases[i].want) == 0, "'%s': want '%s', got '%s'",
                          cases[i].in, cases[i].want, got ? got : "(no host)");
    }
}

#define CHECK_NORM(cases) check_norm(cases, sizeof(cases) / sizeof(cases[0]))

/* --- the normal form ------------------------------------------------------------- */

START_TEST(schemes_and_authority_forms)
{
    static const url_case_t cases[] = {
        {"https://example.com", "example.com/"},
        {"https://Example.COM/A/b?Q=1#frag", "example.com/A/b?Q=1"},
        {"http://user:pw@example.com:8080/x", "example.com/x"},
        {"https://a@b@example.com/", "example.com/"},
        {"//example.com/x", "example.com/x"},
        {"\\\\example.com\\a\\b", "example.com/a/b"},
        {"/\\example.com/x", "example.com/x"},
        {"https:example.com/x", "example.com/x"},
        {"https:\\\\example.com", "example.com/"},
        {"HTTPS:////example.com///a", "example.com///a"},
        {"ws://example.com/socket", "example.com/socket"},
        {"WSS://example.com", "example.com/"},
        {" \t https://exa\nmple.com/a\tb \n", "example.com/ab"},
        {"ht\ntps://example.com/", "example.com/"},
        {"\x01\x1f https://example.com/\x7f", "example.com/%7F"},
        {"https://example.com./", "example.com/"},
        {"https://example.com?x", "example.com/?x"},
        {"https://example.com#x?y", "example.com/"},
        {"https://[::1]:8080/x", "[::1]/x"},
    };

    CHECK_NORM(cases);
}
END_TEST

START_TEST(urls_naming_no_host)
{
    static const url_case_t cases[] = {
        {"/x", NULL},         {"x", NULL},
        {"?q", NULL},         {"#f", NULL},
        {"", NULL},           {" \n ", NULL},
        {"data:,x", NULL},    {"javascript:alert(1)", NULL},
        {"blob:https://example.com/1", NULL},
        {"ftp://example.com/", NULL},
        {"file:///etc/passwd", NULL},
        {"mailto:a@example.com", NULL},
        {"httpx://example.com/", NULL},
        {"https://", NULL},   {"https:///", NULL},
        {"//", NULL},         {"https://@/", NULL},
        {"https://:80/", NULL},
        {"/ /example.com", NULL},
    };

    CHECK_NORM(cases);
}
END_TEST

START_TEST(host_is_percent_decoded)
{
    static const url_case_t cases[] = {
        {"https://www.%67oogle-analytics.com/ga.js", "www.google-analytics.com/ga.js"},
        {"https://WWW.%47OOGLE.com", "www.google.com/"},
        {"https://www%2Egoogle.com/", "www.google.com/"},
        /* U+FF47 FULLWIDTH LATIN SMALL LETTER G, escaped */
        {"https://%EF%BD%87oogle.com/", "google.com/"},
        /* not a whole escape: stays */
        {"https://a%2.com/", "a%2.com/"},
    };

    CHECK_NORM(cases);
}
END_TEST

START_TEST(international_hosts_are_mapped_as_browsers_map_them)
{
    static const url_case_t cases[] = {
        /* full-width letters */
        {"https://\xef\xbd\x87\xef\xbd\x8f\xef\xbd\x8f\xef\xbd\x87\xef\xbd\x8c\xef\xbd\x85"
         "-analytics.com/x",
         "google-analytics.com/x"},
        /* U+1D4B6 MATHEMATICAL SCRIPT SMALL A, what "&ascr;" stands for */
        {"https://www.\xf0\x9d\x92\xb6" "bc.com/", "www.abc.com/"},
        /* a soft hyphen is ignored */
        {"https://goo\xc2\xadgle.com/", "google.com/"},
        /* ideographic and full-width full stops separate labels */
        {"https://www\xe3\x80\x82google\xef\xbc\x8e" "com/", "www.google.com/"},
        {"https://B\xc3\x9c" "cher.example/", "xn--bcher-kva.example/"},
        /* non-transitional: sharp s stays and is encoded */
        {"https://fa\xc3\x9f.de/", "xn--fa-hia.de/"},
        /* a symbol IDNA2008 refuses but browsers accept */
        {"https://\xe2\x98\x83.net/", "xn--n3h.net/"},
        /* one label refused (a trailing '-'): the others are still mapped */
        {"https://x-.\xef\xbd\x87oogle.com/", "x-.google.com/"},
        /* refused: kept as written, ASCII lower-cased */
        {"https://A\xc3\xa9-.Example/", "a\xc3\xa9-.example/"},
        /* an ASCII punycode label is left alone */
        {"https://XN--N3H.net/", "xn--n3h.net/"},
    };

    CHECK_NORM(cases);
}
END_TEST

START_TEST(ipv4_hosts_in_every_form_are_dotted_decimal)
{
    static const url_case_t cases[] = {
        {"http://127.0.0.1/", "127.0.0.1/"},
        {"http://0x7f.1/", "127.0.0.1/"},
        {"http://2130706433/", "127.0.0.1/"},
        {"http://0177.0.0.01/", "127.0.0.1/"},
        {"http://0x7F000001./", "127.0.0.1/"},
        {"http://192.168.257/", "192.168.1.1/"},
        {"http://1.0x10.3/", "1.16.0.3/"},
        {"http://0x/", "0.0.0.0/"},
        {"http://%30x7f.1/", "127.0.0.1/"},
        /* full-width digits map to ASCII ones first */
        {"http://\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97.0.0.1/", "127.0.0.1/"},
        /* not addresses (a browser refuses them): kept as written */
        {"http://1.2.3.4.5/", "1.2.3.4.5/"},
        {"http://256.0.0.1/", "256.0.0.1/"},
        {"http://08.1.1.1/", "08.1.1.1/"},
        {"http://4294967296/", "4294967296/"},
        {"http://example.0x/", "example.0x/"},
        /* a last label that is no number: a domain */
        {"http://1.2.3.example/", "1.2.3.example/"},
    };

    CHECK_NORM(cases);
}
END_TEST

START_TEST(dot_segments_are_removed)
{
    static const url_case_t cases[] = {
        {"https://h/a/../b", "h/b"},
        {"https://h/a/./b", "h/a/b"},
        {"https://h/a/%2e%2E/b", "h/b"},
        {"https://h/a/.%2e/b", "h/b"},
        {"https://h/a/%2E./b", "h/b"},
        {"https://h/a/%2e/b", "h/a/b"},
        {"https://h/a/b/..", "h/a/"},
        {"https://h/a/b/.", "h/a/b/"},
        {"https://h/../../x", "h/x"},
        {"https://h/..", "h/"},
        {"https://h/a/..?q", "h/?q"},
        {"https://h/a\\..\\b", "h/b"},
        {"https://h/a/...", "h/a/..."},
        {"https://h/a/%252e%252e/b", "h/a/%252e%252e/b"},
        {"https://h/a//../b", "h/a/b"},
        /* the query is not a path */
        {"https://h/p?x=/../\\", "h/p?x=/../\\"},
    };

    CHECK_NORM(cases);
}
END_TEST

START_TEST(escapes_are_spelt_one_way)
{
    static const url_case_t cases[] = {
        {"https://h/%61%62%2D%5F%7e%2e", "h/ab-_~."},
        {"https://h/a%2fb%3a", "h/a%2Fb%3A"},
        {"https://h/a b\"<>`{}", "h/a%20b%22%3C%3E%60%7B%7D"},
        {"https://h/caf\xc3\xa9", "h/caf%C3%A9"},
        {"https://h/100%", "h/100%"},
        {"https://h/%zz%4", "h/%zz%4"},
        {"https://h/p?a=%41&b=%2f&c=d e'f\"<", "h/p?a=A&b=%2F&c=d%20e%27f%22%3C"},
        {"https://h/p?`{}", "h/p?`{}"},
        {"https://s3.amazonaws.com/downloads%2Emailchimp.com/js/mc.js",
         "s3.amazonaws.com/downloads.mailchimp.com/js/mc.js"},
    };

    CHECK_NORM(cases);
}
END_TEST

START_TEST(long_urls_are_normalised_on_the_heap)
{
    size_t n = 100000;
    char *url = apr_palloc(test_pool, n + 1);
    const char *got;

    memcpy(url, "https://h/", 10);
    for (size_t i = 10; i < n; i++)
        url[i] = (char)"%61"[(i - 10) % 3];
    url[n] = '\0';
    got = norm(url);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(strlen(got), 2 + (n - 10) / 3);
    ck_assert_int_eq(got[2], 'a');
    /* a long host too */
    url = apr_pstrcat(test_pool, "https://", apr_pstrndup(test_pool, url + 10, 3000), ".Com/x",
                      NULL);
    got = norm(url);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(strlen(got), 1000 + 6);
    ck_assert_str_eq(got + 1000, ".com/x");
}
END_TEST

START_TEST(only_the_given_length_is_read)
{
    const char *url = "https://example.com/a/../b?q";
    mc_url_norm_t u;

    ck_assert_int_eq(mc_url_normalise(url, 23, &u), 1);
    ck_assert_int_eq((int)u.len, 14);
    ck_assert_int_eq(memcmp(u.text, "example.com/a/", 14), 0);
    mc_url_release(&u);
    ck_assert_int_eq(mc_url_normalise(url, 8, &u), 0);
    ck_assert_int_eq(mc_url_normalise(NULL, 0, &u), 0);
}
END_TEST

/* --- resolution ------------------------------------------------------------------ */

typedef struct resolve_case {
    const char *base;
    const char *rel;
    const char *want; /* NULL: 0, the reference stands as it is */
} resolve_case_t;

static void check_resolve(const resolve_case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char out[256];
        size_t len = mc_url_resolve(cases[i].base, strlen(cases[i].base), cases[i].rel,
                                    strlen(cases[i].rel), out, sizeof(out));
        const char *got = len ? apr_pstrmemdup(test_pool, out, len) : NULL;

        if (!cases[i].want)
            ck_assert_msg(got == NULL, "'%s' against '%s': want 0, got '%s'", cases[i].rel,
                          cases[i].base, got);
        else
            ck_assert_msg(got && strcmp(got, cases[i].want) == 0,
                          "'%s' against '%s': want '%s', got '%s'", cases[i].rel, cases[i].base,
                          cases[i].want, got ? got : "(0)");
    }
}

#define PAGE "https://site.example/dir/page.html?q=1#top"

START_TEST(references_resolve_against_the_page)
{
    static const resolve_case_t cases[] = {
        {PAGE, "x.js", "https://site.example/dir/x.js"},
        {PAGE, "./x.js", "https://site.example/dir/x.js"},
        {PAGE, "../x.js", "https://site.example/x.js"},
        {PAGE, "../../../x.js", "https://site.example/x.js"},
        {PAGE, "/x.js", "https://site.example/x.js"},
        {PAGE, "\\x.js", "https://site.example/x.js"},
        {PAGE, "//cdn.example/x.js", "https://cdn.example/x.js"},
        {PAGE, "\\\\cdn.example\\x.js", "https://cdn.example/x.js"},
        {PAGE, "/\\cdn.example/x.js", "https://cdn.example/x.js"},
        {PAGE, "///cdn.example", "https://cdn.example/"},
        {PAGE, "?r=2", "https://site.example/dir/page.html?r=2"},
        {PAGE, "#f", "https://site.example/dir/page.html?q=1#f"},
        {PAGE, "", "https://site.example/dir/page.html?q=1"},
        {PAGE, "a/./b/../c?x#y", "https://site.example/dir/a/c?x#y"},
        {PAGE, "..", "https://site.example/"},
        {PAGE, ".", "https://site.example/dir/"},
        {PAGE, "%2e%2e/x", "https://site.example/x"},
        {PAGE, " \n/x.js\t", "https://site.example/x.js"},
        /* a newline inside makes "/\n/" protocol-relative */
        {PAGE, "/\n/cdn.example/x", "https://cdn.example/x"},
        /* the page's own scheme without slashes is relative */
        {PAGE, "https:x.js", "https://site.example/dir/x.js"},
        {PAGE, "HTTPS:/x.js", "https://site.example/x.js"},
        {"http://u@site.example:8080", "x", "http://u@site.example:8080/x"},
        {"HTTP://site.example/a/b/", "../c", "http://site.example/a/c"},
        {"https://site.example/a/..", "x", "https://site.example/x"},
        {"https://site.example", "?q", "https://site.example/?q"},
    };

    check_resolve(cases, sizeof(cases) / sizeof(cases[0]));
}
END_TEST

START_TEST(absolute_references_and_bad_bases_are_left_alone)
{
    static const resolve_case_t cases[] = {
        {PAGE, "https://other.example/x", NULL},
        {PAGE, "https:\\\\other.example/x", NULL},
        {PAGE, "http://other.example/x", NULL},
        {PAGE, "http:x", NULL},
        {PAGE, "javascript:void(0)", NULL},
        {PAGE, "data:text/javascript,1", NULL},
        {PAGE, "mailto:a@example.com", NULL},
        {"file:///tmp/x", "x", NULL},
        {"/dir/page", "x", NULL},
        {"//site.example/", "x", NULL},
        {"https://", "x", NULL},
        {"wss://site.example/", "x", NULL},
        {"", "x", NULL},
    };

    check_resolve(cases, sizeof(cases) / sizeof(cases[0]));
}
END_TEST

START_TEST(resolution_fits_the_output_or_gives_0)
{
    const char *want = "https://site.example/dir/x.js";
    char out[64];
    size_t len = strlen(want);

    ck_assert_uint_eq(mc_url_resolve(PAGE, strlen(PAGE), "x.js", 4, out, len), len);
    ck_assert_int_eq(memcmp(out, want, len), 0);
    ck_assert_uint_eq(mc_url_resolve(PAGE, strlen(PAGE), "x.js", 4, out, len - 1), 0);
    ck_assert_uint_eq(mc_url_resolve(PAGE, strlen(PAGE), "x.js", 4, out, 0), 0);
    /* only the given lengths are read */
    ck_assert_uint_eq(mc_url_resolve(PAGE, 24, "x.jsXX", 4, out, sizeof(out)),
                      strlen("https://site.example/x.js"));
    ck_assert_uint_eq(mc_url_resolve(PAGE, 7, "x.js", 4, out, sizeof(out)), 0);
}
END_TEST

START_TEST(a_resolved_url_normalises_like_the_browser_fetch)
{
    const char *rel = "//www.%67oogle-analytics.com/a/../ga.js";
    char out[256];
    size_t len = mc_url_resolve(PAGE, strlen(PAGE), rel, strlen(rel), out, sizeof(out));

    ck_assert_uint_gt(len, 0);
    out[len] = '\0';
    ck_assert_str_eq(norm(out), "www.google-analytics.com/ga.js");
}
END_TEST

/* --- has_host -------------------------------------------------------------------- */

START_TEST(has_host_knows_absolute_and_protocol_relative)
{
    static const char *const yes[] = {"https://h",   "HTTP://h/x", "//h",         "\\\\h",
                                      "/\\h",        "ws://h",     "wss://h",     " \n//h",
                                      "https:h",     "https:\\\\h", "/\t/h/x.js", "https://u@h:1"};
    static const char *const no[] = {"/x",      "x",           "",           "https://",
                                     "//",      "data:x",      "javascript:x", "ftp://h",
                                     "/ /h",    "?//h",        "#//h",       "https://u@:80"};

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        ck_assert_msg(mc_url_has_host(yes[i], strlen(yes[i])) == 1, "'%s' names a host", yes[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        ck_assert_msg(mc_url_has_host(no[i], strlen(no[i])) == 0, "'%s' names no host", no[i]);
    ck_assert_int_eq(mc_url_has_host("//h", 1), 0);
    ck_assert_int_eq(mc_url_has_host(NULL, 0), 0);
}
END_TEST

/* Plain URLs are written straight (url.c): each case here is one, or one
 * byte away from one, and reads as the whole parser reads it. */
START_TEST(plain_urls_and_their_near_misses)
{
    static const url_case_t cases[] = {
        {"https://cdn.Example.com/a/b.js?v=1&x=/y?z#f", "cdn.example.com/a/b.js?v=1&x=/y?z"},
        {"http://ex_ample.com/x", "ex_ample.com/x"},
        {"//example.com", "example.com/"},
        {"https://example.com?", "example.com/?"},
        {"https://example.com/x?", "example.com/x?"},
        {"https://example.com#", "example.com/"},
        {"https://example.com/#x", "example.com/"},
        {"https://example.com//a//", "example.com//a//"},
        {"https://example.com/.well-known/x", "example.com/.well-known/x"},
        {"https://example.com/a/..b/...c/.d.", "example.com/a/..b/...c/.d."},
        {"https://example.com/a/./b/../c", "example.com/a/c"},
        {"https://example.com/a/.", "example.com/a/"},
        {"https://example.com/a/b/..", "example.com/a/"},
        {"https://example.com/..", "example.com/"},
        {"https://example.com/a/%2e%2E/b", "example.com/b"},
        {"https://example.com/p\\q", "example.com/p/q"},
        {"https://example.com/p?q\\r", "example.com/p?q\\r"},
        {"https://example.com/a b", "example.com/a%20b"},
        {"https://example.com/x ", "example.com/x"},
        {"https://example.com/x\t", "example.com/x"},
        {"https://example.com/a%2fb/%7e", "example.com/a%2Fb/~"},
        {"https://example.com/it's?it's", "example.com/it's?it%27s"},
        {"https://example.com/{x}`?{x}`", "example.com/%7Bx%7D%60?{x}`"},
        {"https://example.com/\xc3\xa9", "example.com/%C3%A9"},
        {"https://example.com:443/x", "example.com/x"},
        {"https://u@example.com/x", "example.com/x"},
        {"https://ex%41mple.com/", "example.com/"},
        {"https://example.com./x", "example.com/x"},
        {"https://0x7f.1/x", "127.0.0.1/x"},
        {"https://1.2.3.4/x", "1.2.3.4/x"},
        {"https://b\xc3\xbc" "cher.example/", "xn--bcher-kva.example/"},
        {"HTTP://EXAMPLE.COM/A", "example.com/A"},
        {"https:/example.com/x", "example.com/x"},
        {"https:///example.com", "example.com/"},
        {"/img/a.png", NULL},
        {"/", NULL},
        {"/\t/example.com/x", "example.com/x"},
        {"/\n\\example.com/x", "example.com/x"},
    };

    CHECK_NORM(cases);
}
END_TEST

/* --- globs ----------------------------------------------------------------------- */

START_TEST(globs_are_spelt_as_the_normal_form)
{
    char out[64];
    size_t len = mc_url_canon_glob("%7euser/%2f*?x=%41 \xc3\xa9", 21, out);

    ck_assert_int_eq((int)len, 23);
    ck_assert_int_eq(memcmp(out, "~user/%2F*?x=A%20%C3%A9", 23), 0);
}
END_TEST

Suite *url_suite(void)
{
    Suite *s = suite_create("url");
    TCase *tc = tcase_create("url");

    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, schemes_and_authority_forms);
    tcase_add_test(tc, urls_naming_no_host);
    tcase_add_test(tc, host_is_percent_decoded);
    tcase_add_test(tc, international_hosts_are_mapped_as_browsers_map_them);
    tcase_add_test(tc, ipv4_hosts_in_every_form_are_dotted_decimal);
    tcase_add_test(tc, dot_segments_are_removed);
    tcase_add_test(tc, escapes_are_spelt_one_way);
    tcase_add_test(tc, plain_urls_and_their_near_misses);
    tcase_add_test(tc, long_urls_are_normalised_on_the_heap);
    tcase_add_test(tc, only_the_given_length_is_read);
    tcase_add_test(tc, references_resolve_against_the_page);
    tcase_add_test(tc, absolute_references_and_bad_bases_are_left_alone);
    tcase_add_test(tc, resolution_fits_the_output_or_gives_0);
    tcase_add_test(tc, a_resolved_url_normalises_like_the_browser_fetch);
    tcase_add_test(tc, has_host_knows_absolute_and_protocol_relative);
    tcase_add_test(tc, globs_are_spelt_as_the_normal_form);
    suite_add_tcase(s, tc);
    return s;
}
