/* HTML character references (charref.h): an attribute value or a text run
 * reads as the browser reads it. The expected strings are written from the
 * HTML standard's tokenizer rules and its named character reference table. */
#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

#include "charref.h"
#include "unit.h"

/* --- helpers ---------------------------------------------------------------------- */

/* IN decoded, from a heap copy of exactly its length (so ASan sees any read
 * past it), into a buffer of the promised size. Owned by test_pool. */
static const char *decode_n(const char *in, size_t n, int in_attribute, size_t *out_len)
{
    char *copy = malloc(n ? n : 1);
    size_t cap = 2 * n + 8;
    char *out = apr_palloc(test_pool, cap + 1);
    mc_status_t s;

    memcpy(copy, in, n);
    s = mc_charref_decode(copy, n, in_attribute, out, cap, out_len);
    free(copy);
    ck_assert_int_eq(s, MC_OK);
    ck_assert_uint_le(*out_len, cap);
    out[*out_len] = '\0';
    return out;
}

static const char *attr(const char *in)
{
    size_t len;
    const char *out = decode_n(in, strlen(in), 1, &len);

    ck_assert_uint_eq(strlen(out), len);
    return out;
}

static const char *text(const char *in)
{
    size_t len;
    const char *out = decode_n(in, strlen(in), 0, &len);

    ck_assert_uint_eq(strlen(out), len);
    return out;
}

typedef struct decode_case {
    const char *in;
    const char *want;
} decode_case_t;

static void check_cases(const decode_case_t *cases, size_t n, int in_attribute)
{
    for (size_t i = 0; i < n; i++) {
        const char *got = in_attribute ? attr(cases[i].in) : text(cases[i].in);

        ck_assert_msg(strcmp(got, cases[i].want) == 0, "%s '%s': want '%s', got '%s'",
                      in_attribute ? "attribute" : "text", cases[i].in, cases[i].want, got);
    }
}

/* --- named references ----------------------------------------------------------------- */

START_TEST(text_without_ampersand_is_unchanged)
{
    ck_assert_str_eq(attr("https://example.com/a.js?x=1"), "https://example.com/a.js?x=1");
    ck_assert_str_eq(attr(""), "");
    ck_assert_str_eq(attr("caf\xc3\xa9 \xff\xfe"), "caf\xc3\xa9 \xff\xfe");
    ck_assert_int_eq(mc_charref_none("a;b#c", 5), 1);
    ck_assert_int_eq(mc_charref_none("a&b", 3), 0);
    ck_assert_int_eq(mc_charref_none("a&b", 1), 1);
}
END_TEST

START_TEST(named_references_with_semicolon_decode)
{
    static const decode_case_t cases[] = {
        {"a&amp;b", "a&b"},
        {"&lt;script&gt;", "<script>"},
        {"&quot;&apos;", "\"'"},
        {"&AMP;", "&"},
        {"&eacute;t&eacute;", "\xc3\xa9t\xc3\xa9"},
        {"&hellip;", "\xe2\x80\xa6"},
        {"&ascr;", "\xf0\x9d\x92\xb6"}, /* U+1D4B6 MATHEMATICAL SCRIPT SMALL A */
        {"&nGt;", "\xe2\x89\xab\xe2\x83\x92"}, /* two code points: U+226B U+20D2 */
        {"&CounterClockwiseContourIntegral;", "\xe2\x88\xb3"}, /* the longest name */
        {"&period;&colon;&sol;", ".:/"},
        {"&copy;=", "\xc2\xa9="},
        {"&notin;", "\xe2\x88\x89"},
    };

    check_cases(cases, sizeof(cases) / sizeof(cases[0]), 1);
    check_cases(cases, sizeof(cases) / sizeof(cases[0]), 0);
}
END_TEST

START_TEST(unknown_names_and_lone_ampersands_stay)
{
    static const decode_case_t cases[] = {
        {"&", "&"},
        {"a&", "a&"},
        {"&;", "&;"},
        {"& amp;", "& amp;"},
        {"&nosuchname;", "&nosuchname;"},
        {"&Amp;", "&Amp;"}, /* names are case-sensitive: only amp and AMP */
        {"&&&amp;&&", "&&&&&"},
        {"&-amp;", "&-amp;"},
        {"&\xc3\xa9;", "&\xc3\xa9;"},
    };

    check_cases(cases, sizeof(cases) / sizeof(cases[0]), 1);
    check_cases(cases, sizeof(cases) / sizeof(cases[0]), 0);
}
END_TEST

START_TEST(legacy_names_decode_without_semicolon)
{
    static const decode_case_t cases[] = {
        {"&amp", "&"}, {"a&lt b", "a< b"}, {"&AMP", "&"}, {"&eacute.", "\xc3\xa9."},
        {"&frac12", "\xc2\xbd"}, {"&copy-x", "\xc2\xa9-x"}, {"&copy/", "\xc2\xa9/"},
    };

    check_cases(cases, sizeof(cases) / sizeof(cases[0]), 1);
    check_cases(cases, sizeof(cases) / sizeof(cases[0]), 0);
    /* only the legacy names do: "hellip" needs its ';' */
    ck_assert_str_eq(text("&hellip x"), "&hellip x");
    ck_assert_str_eq(attr("&hellip"), "&hellip");
}
END_TEST

START_TEST(in_attribute_legacy_name_before_equals_or_alnum_stays)
{
    /* old pages write query strings in href without escaping the '&' */
    static const decode_case_t in_attr[] = {
        {"/a?x=1&copy=2", "/a?x=1&copy=2"},
        {"/a?x=1&copy=2&amp;y=3", "/a?x=1&copy=2&y=3"},
        {"&copyx", "&copyx"},
        {"&copy1", "&copy1"},
        {"&amp=", "&amp="},
        {"&notit;", "&notit;"},
        {"&ampamp;", "&ampamp;"},
        {"&copy;x", "\xc2\xa9x"},
        {"&copy;=", "\xc2\xa9="},
        {"x&amp", "x&"},
    };
    /* in text the same references decode */
    static const decode_case_t in_text[] = {
        {"/a?x=1&copy=2", "/a?x=1\xc2\xa9=2"},
        {"&copyx", "\xc2\xa9x"},
        {"&amp=", "&="},
        {"&notit;", "\xc2\xacit;"},
        {"&ampamp;", "&amp;"},
    };

    check_cases(in_attr, sizeof(in_attr) / sizeof(in_attr[0]), 1);
    check_cases(in_text, sizeof(in_text) / sizeof(in_text[0]), 0);
}
END_TEST

START_TEST(longest_name_wins)
{
    /* "not" is a legacy name, "notin;" a longer one */
    ck_assert_str_eq(text("&notin;"), "\xe2\x88\x89");
    ck_assert_str_eq(text("&notin"), "\xc2\xacin");
    ck_assert_str_eq(text("&not;in"), "\xc2\xacin");
    /* "lt" without ';' before a name that is no reference */
    ck_assert_str_eq(text("&ltx;"), "<x;");
    ck_assert_str_eq(attr("&ltx;"), "&ltx;");
    /* "ampersand" is not a name: the legacy "amp" is the longest match */
    ck_assert_str_eq(text("&ampersand"), "&ersand");
}
END_TEST

/* --- numeric references ------------------------------------------------------------- */

START_TEST(numeric_references_decode)
{
    static const decode_case_t cases[] = {
        {"&#65;", "A"},
        {"&#x41;", "A"},
        {"&#X41;", "A"},
        {"&#x6a;", "j"},
        {"&#65", "A"},
        {"&#x41", "A"},
        {"&#65x", "Ax"},
        {"&#x41g", "Ag"},
        {"&#0000000000000000000000065;", "A"},
        {"&#233;", "\xc3\xa9"},
        {"&#x20AC;", "\xe2\x82\xac"},
        {"&#x1F600;", "\xf0\x9f\x98\x80"},
        {"&#x10FFFF;", "\xf4\x8f\xbf\xbf"},
        {"java&#115;cript:", "javascript:"},
        {"&#x2F;&#47;", "//"},
    };

    check_cases(cases, sizeof(cases) / sizeof(cases[0]), 1);
    check_cases(cases, sizeof(cases) / sizeof(cases[0]), 0);
}
END_TEST

START_TEST(numeric_references_without_digits_stay)
{
    static const decode_case_t cases[] = {
        {"&#", "&#"},     {"&#;", "&#;"},   {"&#x", "&#x"},     {"&#x;", "&#x;"},
        {"&#xg;", "&#xg;"}, {"&#a", "&#a"}, {"&#-1;", "&#-1;"}, {"&#&#65;", "&#A"},
    };

    check_cases(cases, sizeof(cases) / sizeof(cases[0]), 1);
}
END_TEST

START_TEST(invalid_code_points_become_replacement_character)
{
    static const decode_case_t cases[] = {
        {"&#0;", "\xef\xbf\xbd"},
        {"&#x0;", "\xef\xbf\xbd"},
        {"&#xD800;", "\xef\xbf\xbd"},
        {"&#xDFFF;", "\xef\xbf\xbd"},
        {"&#x110000;", "\xef\xbf\xbd"},
        {"&#1114112;", "\xef\xbf\xbd"},
        {"&#99999999999999999999999999999999;", "\xef\xbf\xbd"},
        {"&#xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF1;", "\xef\xbf\xbd"},
    };

    check_cases(cases, sizeof(cases) / sizeof(cases[0]), 1);
}
END_TEST

START_TEST(c1_numbers_read_as_windows_1252)
{
    static const decode_case_t cases[] = {
        {"&#128;", "\xe2\x82\xac"}, /* euro sign */
        {"&#x80;", "\xe2\x82\xac"},
        {"&#x82;", "\xe2\x80\x9a"},
        {"&#x92;", "\xe2\x80\x99"}, /* right single quotation mark */
        {"&#x9F;", "\xc5\xb8"},     /* Y with diaeresis */
        {"&#x81;", "\xc2\x81"},     /* no windows-1252 character: kept */
        {"&#x8D;", "\xc2\x8d"},
        {"&#x9D;", "\xc2\x9d"},
        {"&#xA0;", "\xc2\xa0"},
    };

    check_cases(cases, sizeof(cases) / sizeof(cases[0]), 1);
}
END_TEST

START_TEST(noncharacters_and_controls_are_kept)
{
    size_t len;
    const char *nul_free = attr("&#x1;&#x7F;&#xD;&#x9;");

    ck_assert_str_eq(nul_free, "\x01\x7f\r\t");
    ck_assert_str_eq(attr("&#xFFFE;&#xFDD0;&#x10FFFF;"),
                     "\xef\xbf\xbe\xef\xb7\x90\xf4\x8f\xbf\xbf");
    /* a NUL in the input is copied, not taken for the end */
    ck_assert_int_eq(memcmp(decode_n("a\0&amp;", 7, 1, &len), "a\0&", 3), 0);
    ck_assert_uint_eq(len, 3);
}
END_TEST

/* --- bounds and hostile input -------------------------------------------------------- */

START_TEST(never_reads_past_n)
{
    size_t len;

    /* each input is cut short of the text written out: the cut decides */
    ck_assert_str_eq(decode_n("&amp;", 4, 1, &len), "&");
    ck_assert_str_eq(decode_n("&notin;", 6, 0, &len), "\xc2\xacin");
    ck_assert_str_eq(decode_n("&#x41;", 4, 1, &len), "\x04");
    ck_assert_str_eq(decode_n("&#65;", 3, 1, &len), "\x06");
    ck_assert_str_eq(decode_n("&#x41;", 3, 1, &len), "&#x");
    ck_assert_str_eq(decode_n("a&", 2, 1, &len), "a&");
    ck_assert_str_eq(decode_n("&copy=", 5, 1, &len), "\xc2\xa9");
    ck_assert_str_eq(decode_n("&amp;", 0, 1, &len), "");
}
END_TEST

START_TEST(too_small_an_output_is_refused)
{
    char out[16];
    size_t len = 99;

    ck_assert_int_eq(mc_charref_decode("abc", 3, 1, out, 2, &len), MC_ELIMIT);
    ck_assert_int_eq(mc_charref_decode("&amp;", 5, 1, out, 0, &len), MC_ELIMIT);
    ck_assert_int_eq(mc_charref_decode("&eacute;", 8, 1, out, 1, &len), MC_ELIMIT);
    ck_assert_int_eq(mc_charref_decode("x&", 2, 1, out, 1, &len), MC_ELIMIT);
    /* exactly enough is enough */
    ck_assert_int_eq(mc_charref_decode("&eacute;", 8, 1, out, 2, &len), MC_OK);
    ck_assert_uint_eq(len, 2);
    ck_assert_int_eq(memcmp(out, "\xc3\xa9", 2), 0);
    ck_assert_int_eq(mc_charref_decode("", 0, 1, out, 0, &len), MC_OK);
    ck_assert_uint_eq(len, 0);
}
END_TEST

static char *repeat(const char *unit, size_t times, size_t *len)
{
    size_t u = strlen(unit);
    char *s = apr_palloc(test_pool, u * times + 1);

    for (size_t i = 0; i < times; i++)
        memcpy(s + i * u, unit, u);
    s[u * times] = '\0';
    *len = u * times;
    return s;
}

START_TEST(long_hostile_runs)
{
    size_t n, len;
    const char *s, *out;

    /* a run of '&' */
    s = repeat("&", 100000, &n);
    out = decode_n(s, n, 1, &len);
    ck_assert_uint_eq(len, n);
    ck_assert_int_eq(memcmp(out, s, n), 0);
    /* a name far longer than any in the table */
    s = apr_pstrcat(test_pool, "&", repeat("a", 50000, &n), ";", NULL);
    ck_assert_str_eq(attr(s), s);
    /* "amp" then a long run: legacy decode in text, as written in an attribute */
    s = apr_pstrcat(test_pool, "&amp", repeat("b", 5000, &n), NULL);
    ck_assert_str_eq(attr(s), s);
    ck_assert_str_eq(text(s), apr_pstrcat(test_pool, "&", s + 4, NULL));
    /* endless digits */
    s = apr_pstrcat(test_pool, "&#x", repeat("F", 40000, &n), NULL);
    ck_assert_str_eq(attr(s), "\xef\xbf\xbd");
    /* the widest expansion the table has, repeated, still fits 2 * N + 8 */
    s = repeat("&nGt;", 10000, &n);
    out = decode_n(s, n, 1, &len);
    ck_assert_uint_eq(len, 60000);
    ck_assert_int_eq(memcmp(out + 59994, "\xe2\x89\xab\xe2\x83\x92", 6), 0);
    /* unterminated numeric references back to back */
    s = repeat("&#x", 20000, &n);
    ck_assert_str_eq(attr(s), s);
    s = repeat("&#1", 20000, &n);
    out = decode_n(s, n, 1, &len);
    ck_assert_uint_eq(len, 20000);
    ck_assert_int_eq(out[19999], '\x01');
}
END_TEST

Suite *charref_suite(void)
{
    Suite *s = suite_create("charref");
    TCase *tc = tcase_create("charref");

    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, text_without_ampersand_is_unchanged);
    tcase_add_test(tc, named_references_with_semicolon_decode);
    tcase_add_test(tc, unknown_names_and_lone_ampersands_stay);
    tcase_add_test(tc, legacy_names_decode_without_semicolon);
    tcase_add_test(tc, in_attribute_legacy_name_before_equals_or_alnum_stays);
    tcase_add_test(tc, longest_name_wins);
    tcase_add_test(tc, numeric_references_decode);
    tcase_add_test(tc, numeric_references_without_digits_stay);
    tcase_add_test(tc, invalid_code_points_become_replacement_character);
    tcase_add_test(tc, c1_numbers_read_as_windows_1252);
    tcase_add_test(tc, noncharacters_and_controls_are_kept);
    tcase_add_test(tc, never_reads_past_n);
    tcase_add_test(tc, too_small_an_output_is_refused);
    tcase_add_test(tc, long_hostile_runs);
    suite_add_tcase(s, tc);
    return s;
}
