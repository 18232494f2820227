/* HTTP header field values (httpfield.h): what the HTML filter decides by,
 * with the values an odd or hostile backend sends. */
#include <apr_strings.h>
#include <string.h>

#include "httpfield.h"
#include "unit.h"

/* A value of N bytes of C, for fields far longer than any buffer. */
static char *repeated(char c, size_t n)
{
    char *s = apr_palloc(test_pool, n + 1);

    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* --- Content-Type ---------------------------------------------------------------------- */

static int is_html(const char *content_type)
{
    return mc_httpfield_document(content_type) == MC_HTTPFIELD_DOC_HTML;
}

START_TEST(html_types_are_recognised_whatever_their_case_and_parameters)
{
    ck_assert(is_html("text/html"));
    ck_assert(is_html("TEXT/HTML"));
    ck_assert(is_html("text/html; charset=utf-8"));
    ck_assert(is_html("text/html;charset=utf-8"));
    ck_assert(is_html("  \ttext/html ; charset=utf-8"));
    ck_assert(is_html("Application/XHTML+XML"));
    ck_assert(is_html("application/xhtml+xml;q=1 "));
}
END_TEST

START_TEST(other_types_are_not_html)
{
    ck_assert(!is_html(NULL));
    ck_assert(!is_html(""));
    ck_assert(!is_html("text/plain"));
    ck_assert(!is_html("text/htmlx"));
    ck_assert(!is_html("text/html5"));
    ck_assert(!is_html("text/htm"));
    ck_assert(!is_html("application/xhtml"));
    ck_assert(!is_html("application/json; x=\"text/html\""));
    ck_assert(!is_html("x-text/html"));
}
END_TEST

START_TEST(a_parameter_value_is_read_as_token_or_quoted_string)
{
    ck_assert_str_eq(mc_httpfield_param(test_pool, "text/html; charset=UTF-8", "charset"), "UTF-8");
    ck_assert_str_eq(mc_httpfield_param(test_pool, "text/html;CharSet=\"utf-8\"", "charset"),
                     "utf-8");
    /* escapes inside the quotes, and a ';' there does not end the value */
    ck_assert_str_eq(mc_httpfield_param(test_pool, "text/html; a=\"x\\\"y;z\"; b=2", "a"),
                     "x\"y;z");
    ck_assert_str_eq(mc_httpfield_param(test_pool, "text/html; a=\"x\\\"y;z\"; b=2", "b"), "2");
    /* whitespace around ';' and '=' */
    ck_assert_str_eq(mc_httpfield_param(test_pool, "text/html ;  charset = koi8-r  ", "charset"),
                     "koi8-r");
    ck_assert_str_eq(mc_httpfield_param(test_pool, "text/html;charset=\"\"", "charset"), "");
    /* an unterminated quoted string runs to the end */
    ck_assert_str_eq(mc_httpfield_param(test_pool, "text/html;charset=\"utf-16", "charset"),
                     "utf-16");
}
END_TEST

START_TEST(a_parameter_is_found_only_by_its_own_name)
{
    ck_assert_ptr_null(mc_httpfield_param(test_pool, NULL, "charset"));
    ck_assert_ptr_null(mc_httpfield_param(test_pool, "text/html", "charset"));
    ck_assert_ptr_null(mc_httpfield_param(test_pool, "text/html; xcharset=utf-16", "charset"));
    ck_assert_ptr_null(mc_httpfield_param(test_pool, "text/html; charsets=utf-16", "charset"));
    ck_assert_ptr_null(mc_httpfield_param(test_pool, "text/html; a=\"charset=utf-16\"", "charset"));
    ck_assert_ptr_null(
        mc_httpfield_param(test_pool, "text/html; a=\"x; charset=utf-16\"", "charset"));
    /* a parameter without '=' is skipped, not read as the next one's name */
    ck_assert_ptr_null(mc_httpfield_param(test_pool, "text/html; charset; a=utf-16", "charset"));
    ck_assert_str_eq(mc_httpfield_param(test_pool, "text/html; charset; charset=b", "charset"),
                     "b");
    /* the first of two counts */
    ck_assert_str_eq(
        mc_httpfield_param(test_pool, "text/html; charset=utf-8; charset=utf-16", "charset"),
        "utf-8");
}
END_TEST

#define CHARSET(ct) mc_httpfield_charset(test_pool, ct)

START_TEST(utf16_pages_are_read_as_utf16)
{
    ck_assert_int_eq(CHARSET("text/html; charset=utf-16"), MC_CHARSET_UTF16LE);
    ck_assert_int_eq(CHARSET("text/html; charset=UTF-16LE"), MC_CHARSET_UTF16LE);
    ck_assert_int_eq(CHARSET("text/html; charset=unicode"), MC_CHARSET_UTF16LE);
    ck_assert_int_eq(CHARSET("text/html;charset=\"utf-16be\""), MC_CHARSET_UTF16BE);
    ck_assert_int_eq(CHARSET("text/html; a=1; b=\"2\"; charset=utf-16"), MC_CHARSET_UTF16LE);
    ck_assert_int_eq(CHARSET("text/html; charset=\"utf\\-16\""), MC_CHARSET_UTF16LE);
    ck_assert_int_eq(CHARSET("text/html; charset=iso-2022-jp"), MC_CHARSET_STATEFUL);
}
END_TEST

/* utf-32 is no label browsers know: they read such a page as bytes. */
START_TEST(other_charsets_and_none_are_read_as_bytes)
{
    ck_assert_int_eq(CHARSET(NULL), MC_CHARSET_BYTES);
    ck_assert_int_eq(CHARSET("text/html"), MC_CHARSET_BYTES);
    ck_assert_int_eq(CHARSET("text/html; charset=utf-8"), MC_CHARSET_BYTES);
    ck_assert_int_eq(CHARSET("text/html; charset=ISO-8859-1"), MC_CHARSET_BYTES);
    ck_assert_int_eq(CHARSET("text/html; charset=\"\""), MC_CHARSET_BYTES);
    ck_assert_int_eq(CHARSET("text/html; charset = \" UTF-32 \""), MC_CHARSET_BYTES);
    /* "charset" inside another parameter's value, or in another name */
    ck_assert_int_eq(CHARSET("text/html; a=\"; charset=utf-16\"; charset=utf-8"), MC_CHARSET_BYTES);
    ck_assert_int_eq(CHARSET("text/html; a=\"\\\"; charset=utf-16\"; b=c"), MC_CHARSET_BYTES);
    ck_assert_int_eq(CHARSET("text/html; mycharset=utf-16"), MC_CHARSET_BYTES);
}
END_TEST

START_TEST(a_page_made_utf8_keeps_its_type)
{
    ck_assert_str_eq(mc_httpfield_as_utf8(test_pool, "text/html; charset=utf-16"),
                     "text/html; charset=utf-8");
    ck_assert_str_eq(mc_httpfield_as_utf8(test_pool, " application/xhtml+xml ;charset=unicode"),
                     "application/xhtml+xml; charset=utf-8");
    ck_assert_str_eq(mc_httpfield_as_utf8(test_pool, NULL), "text/html; charset=utf-8");
}
END_TEST

START_TEST(documents_are_told_by_their_type)
{
    ck_assert_int_eq(mc_httpfield_document(NULL), MC_HTTPFIELD_DOC_UNKNOWN);
    ck_assert_int_eq(mc_httpfield_document(""), MC_HTTPFIELD_DOC_UNKNOWN);
    ck_assert_int_eq(mc_httpfield_document("unknown/unknown"), MC_HTTPFIELD_DOC_UNKNOWN);
    ck_assert_int_eq(mc_httpfield_document("Application/Unknown; x=1"), MC_HTTPFIELD_DOC_UNKNOWN);
    ck_assert_int_eq(mc_httpfield_document("*/*"), MC_HTTPFIELD_DOC_UNKNOWN);
    ck_assert_int_eq(mc_httpfield_document("text/xml"), MC_HTTPFIELD_DOC_XML);
    ck_assert_int_eq(mc_httpfield_document("application/xml; charset=utf-8"), MC_HTTPFIELD_DOC_XML);
    ck_assert_int_eq(mc_httpfield_document("image/svg+xml"), MC_HTTPFIELD_DOC_XML);
    ck_assert_int_eq(mc_httpfield_document("application/rss+XML"), MC_HTTPFIELD_DOC_XML);
    ck_assert_int_eq(mc_httpfield_document("application/xhtml+xml"), MC_HTTPFIELD_DOC_HTML);
    ck_assert_int_eq(mc_httpfield_document("text/plain"), MC_HTTPFIELD_DOC_OTHER);
    ck_assert_int_eq(mc_httpfield_document("image/png"), MC_HTTPFIELD_DOC_OTHER);
    ck_assert_int_eq(mc_httpfield_document("+xml"), MC_HTTPFIELD_DOC_OTHER);
    ck_assert_int_eq(mc_httpfield_document("text/xmlx"), MC_HTTPFIELD_DOC_OTHER);
    ck_assert(mc_httpfield_is_xhtml(" Application/XHTML+XML; charset=utf-8"));
    ck_assert(!mc_httpfield_is_xhtml("text/html"));
    ck_assert(!mc_httpfield_is_xhtml(NULL));
}
END_TEST

START_TEST(a_very_long_content_type_is_read_to_its_end)
{
    const char *ct = apr_pstrcat(test_pool, "text/html; a=\"", repeated('x', 100000),
                                 "\"; charset=utf-16", NULL);

    ck_assert(is_html(ct));
    ck_assert_int_eq(CHARSET(ct), MC_CHARSET_UTF16LE);
    ck_assert_uint_eq(strlen(mc_httpfield_param(test_pool, ct, "a")), 100000);
}
END_TEST

/* --- Content-Encoding ---------------------------------------------------------------- */

static int codings(const char *list, mc_httpfield_coding_t out[MC_HTTPFIELD_CODINGS_MAX])
{
    return mc_httpfield_codings(list, out);
}

START_TEST(no_coding_and_identity_need_no_decoding)
{
    mc_httpfield_coding_t c[MC_HTTPFIELD_CODINGS_MAX];

    ck_assert_int_eq(codings(NULL, c), 0);
    ck_assert_int_eq(codings("", c), 0);
    ck_assert_int_eq(codings(" , ,\t", c), 0);
    ck_assert_int_eq(codings("identity", c), 0);
    ck_assert_int_eq(codings("Identity, identity", c), 0);
}
END_TEST

START_TEST(gzip_and_deflate_are_read_in_the_order_applied)
{
    mc_httpfield_coding_t c[MC_HTTPFIELD_CODINGS_MAX];

    ck_assert_int_eq(codings("GZIP", c), 1);
    ck_assert_int_eq(c[0], MC_HTTPFIELD_GZIP);
    ck_assert_int_eq(codings(" ,identity ,  x-gzip , ", c), 1);
    ck_assert_int_eq(c[0], MC_HTTPFIELD_GZIP);
    ck_assert_int_eq(codings("deflate, gzip", c), 2);
    ck_assert_int_eq(c[0], MC_HTTPFIELD_DEFLATE);
    ck_assert_int_eq(c[1], MC_HTTPFIELD_GZIP);
    ck_assert_int_eq(codings("gzip, gzip, deflate", c), 3);
}
END_TEST

START_TEST(other_codings_and_too_many_are_unreadable)
{
    mc_httpfield_coding_t c[MC_HTTPFIELD_CODINGS_MAX];

    ck_assert_int_eq(codings("br", c), -1);
    ck_assert_int_eq(codings("zstd", c), -1);
    ck_assert_int_eq(codings("compress", c), -1);
    ck_assert_int_eq(codings("gzip, br", c), -1);
    ck_assert_int_eq(codings("br, gzip", c), -1);
    ck_assert_int_eq(codings("gzip, gzip, gzip, gzip", c), -1);
    ck_assert_int_eq(codings("gzip;q=1", c), -1);
    ck_assert_int_eq(codings("gzipx", c), -1);
    ck_assert_int_eq(codings("\"gzip\"", c), -1);
    ck_assert_int_eq(codings(apr_pstrcat(test_pool, "gzip, ", repeated('a', 70000), NULL), c), -1);
}
END_TEST

START_TEST(accept_encoding_keeps_only_what_can_be_read)
{
    ck_assert_str_eq(mc_httpfield_readable_accept(test_pool, "gzip, deflate, br, zstd"),
                     "gzip, deflate");
    ck_assert_str_eq(mc_httpfield_readable_accept(test_pool, "br;q=1.0, gzip;q=0.8, *;q=0.1"),
                     "gzip;q=0.8");
    ck_assert_str_eq(mc_httpfield_readable_accept(test_pool, "br"), "identity");
    ck_assert_str_eq(mc_httpfield_readable_accept(test_pool, "*"), "identity");
    ck_assert_str_eq(mc_httpfield_readable_accept(test_pool, "identity;q=0, x-gzip"),
                     "identity;q=0, x-gzip");
    ck_assert_ptr_null(mc_httpfield_readable_accept(test_pool, NULL));
}
END_TEST

/* --- Cache-Control ---------------------------------------------------------------------- */

START_TEST(a_directive_is_found_by_its_name_whatever_its_case_and_value)
{
    ck_assert(mc_httpfield_has_directive("private", "private"));
    ck_assert(mc_httpfield_has_directive("max-age=60, PRIVATE", "private"));
    ck_assert(mc_httpfield_has_directive("  no-store  ", "no-store"));
    ck_assert(mc_httpfield_has_directive(",,public,,", "public"));
    ck_assert(mc_httpfield_has_directive("private=\"Set-Cookie, X\"", "private"));
    ck_assert(mc_httpfield_has_directive("max-age=\"a,b\", public", "public"));
    ck_assert(mc_httpfield_has_directive("public = 1", "public"));
}
END_TEST

START_TEST(a_word_inside_a_value_or_another_name_is_no_directive)
{
    ck_assert(!mc_httpfield_has_directive(NULL, "private"));
    ck_assert(!mc_httpfield_has_directive("", "private"));
    ck_assert(!mc_httpfield_has_directive("no-cache=\"private\"", "private"));
    ck_assert(!mc_httpfield_has_directive("no-cache=\"x, private\"", "private"));
    /* an escaped quote does not end the value */
    ck_assert(!mc_httpfield_has_directive("x=\"a\\\", private\"", "private"));
    ck_assert(!mc_httpfield_has_directive("privately, max-age=1", "private"));
    ck_assert(!mc_httpfield_has_directive("priv", "private"));
    ck_assert(!mc_httpfield_has_directive("x-private", "private"));
    ck_assert(!mc_httpfield_has_directive("\"private\"", "private"));
    /* an unterminated quote runs to the end */
    ck_assert(!mc_httpfield_has_directive("x=\"a, private", "private"));
}
END_TEST

START_TEST(a_directive_is_removed_and_the_rest_kept_as_it_was)
{
    ck_assert_str_eq(mc_httpfield_without_directive(test_pool, "public, max-age=60", "public"),
                     "max-age=60");
    ck_assert_str_eq(mc_httpfield_without_directive(test_pool, "max-age=60,Public", "public"),
                     "max-age=60");
    ck_assert_str_eq(mc_httpfield_without_directive(
                         test_pool, " no-cache=\"a, public\" , public=1 ,, x", "public"),
                     "no-cache=\"a, public\",x");
    ck_assert_str_eq(
        mc_httpfield_without_directive(test_pool, "a=\"\\\",public\", public, b", "public"),
        "a=\"\\\",public\",b");
    ck_assert_str_eq(mc_httpfield_without_directive(test_pool, "publicity", "public"), "publicity");
}
END_TEST

START_TEST(nothing_left_is_null)
{
    ck_assert_ptr_null(mc_httpfield_without_directive(test_pool, NULL, "public"));
    ck_assert_ptr_null(mc_httpfield_without_directive(test_pool, "", "public"));
    ck_assert_ptr_null(mc_httpfield_without_directive(test_pool, "public", "public"));
    ck_assert_ptr_null(mc_httpfield_without_directive(test_pool, " public , PUBLIC ,", "public"));
}
END_TEST

START_TEST(a_long_list_is_read_to_its_end)
{
    const char *quoted = apr_pstrcat(test_pool, "x=\"", repeated(',', 50000), "\"", NULL);
    const char *word = repeated('a', 50000);
    const char *cc = apr_pstrcat(test_pool, quoted, ", ", word, ", public, private", NULL);

    ck_assert(mc_httpfield_has_directive(cc, "private"));
    ck_assert(mc_httpfield_has_directive(cc, "public"));
    ck_assert(!mc_httpfield_has_directive(cc, "a"));
    ck_assert_str_eq(mc_httpfield_without_directive(test_pool, cc, "public"),
                     apr_pstrcat(test_pool, quoted, ",", word, ",private", NULL));
}
END_TEST

/* --- Vary -------------------------------------------------------------------------------- */

START_TEST(vary_names_cookie_or_everything)
{
    ck_assert(mc_httpfield_vary_has_cookie("Cookie"));
    ck_assert(mc_httpfield_vary_has_cookie("accept-language, cookie"));
    ck_assert(mc_httpfield_vary_has_cookie(" ,COOKIE,"));
    ck_assert(mc_httpfield_vary_has_cookie("*"));
    ck_assert(mc_httpfield_vary_has_cookie("Accept, *"));
}
END_TEST

START_TEST(vary_without_cookie)
{
    ck_assert(!mc_httpfield_vary_has_cookie(NULL));
    ck_assert(!mc_httpfield_vary_has_cookie(""));
    ck_assert(!mc_httpfield_vary_has_cookie("Accept-Language"));
    ck_assert(!mc_httpfield_vary_has_cookie("Cookie2"));
    ck_assert(!mc_httpfield_vary_has_cookie("Cook"));
    ck_assert(!mc_httpfield_vary_has_cookie("Set-Cookie"));
    ck_assert(!mc_httpfield_vary_has_cookie("**"));
    ck_assert(!mc_httpfield_vary_has_cookie("\"Cookie\""));
}
END_TEST

/* --- ETag ---------------------------------------------------------------------------------- */

START_TEST(the_variant_etag_is_weak_and_names_the_variant)
{
    ck_assert_str_eq(mc_httpfield_variant_etag(test_pool, "\"abc-123\"", "f00d"),
                     "W/\"abc-123-mcf00d\"");
    ck_assert_str_eq(mc_httpfield_variant_etag(test_pool, "W/\"abc\"", "1"), "W/\"abc-mc1\"");
    ck_assert_str_eq(mc_httpfield_variant_etag(test_pool, "  \"x\"\t", "1"), "W/\"x-mc1\"");
    ck_assert_str_eq(mc_httpfield_variant_etag(test_pool, "\"\"", "1"), "W/\"-mc1\"");
    ck_assert_str_eq(mc_httpfield_variant_etag(test_pool, "\"a/b=c,d\"", "1"), "W/\"a/b=c,d-mc1\"");
    /* two variants of one file never share a tag */
    ck_assert_str_ne(mc_httpfield_variant_etag(test_pool, "\"abc\"", "1"),
                     mc_httpfield_variant_etag(test_pool, "\"abc\"", "2"));
}
END_TEST

START_TEST(a_malformed_etag_gives_none)
{
    ck_assert_ptr_null(mc_httpfield_variant_etag(test_pool, NULL, "1"));
    ck_assert_ptr_null(mc_httpfield_variant_etag(test_pool, "", "1"));
    ck_assert_ptr_null(mc_httpfield_variant_etag(test_pool, "abc", "1"));
    ck_assert_ptr_null(mc_httpfield_variant_etag(test_pool, "\"abc", "1"));
    ck_assert_ptr_null(mc_httpfield_variant_etag(test_pool, "\"", "1"));
    ck_assert_ptr_null(mc_httpfield_variant_etag(test_pool, "W/abc", "1"));
    ck_assert_ptr_null(mc_httpfield_variant_etag(test_pool, "w/\"abc\"", "1"));
    ck_assert_ptr_null(mc_httpfield_variant_etag(test_pool, "x\"abc\"", "1"));
    ck_assert_ptr_null(mc_httpfield_variant_etag(test_pool, "\"a\"b\"", "1"));
    ck_assert_ptr_null(mc_httpfield_variant_etag(test_pool, "\"a b\"", "1"));
    ck_assert_ptr_null(mc_httpfield_variant_etag(test_pool, "\"a\", \"b\"", "1"));
    ck_assert_ptr_null(mc_httpfield_variant_etag(test_pool, "\"a\\\"b\"", "1"));
}
END_TEST

START_TEST(a_very_long_etag_is_kept_whole)
{
    const char *opaque = repeated('e', 70000);
    const char *etag =
        mc_httpfield_variant_etag(test_pool, apr_pstrcat(test_pool, "\"", opaque, "\"", NULL), "v");

    ck_assert_str_eq(etag, apr_pstrcat(test_pool, "W/\"", opaque, "-mcv\"", NULL));
}
END_TEST

START_TEST(link_values_split_outside_uris_and_quotes)
{
    apr_array_header_t *links = mc_httpfield_links(
        test_pool, "<https://t.example/a,b.js>; rel=preload; as=script, ,"
                   "<//px.example/p>;rel=\"prefetch, next\" ,  </local.css>; rel=stylesheet,"
                   " junk; rel=preload");
    const mc_httpfield_link_t *l = (const mc_httpfield_link_t *)links->elts;

    ck_assert_int_eq(links->nelts, 4);
    ck_assert_str_eq(l[0].uri, "https://t.example/a,b.js");
    ck_assert_str_eq(l[0].text, "<https://t.example/a,b.js>; rel=preload; as=script");
    ck_assert_str_eq(l[1].uri, "//px.example/p");
    ck_assert_str_eq(l[1].text, "<//px.example/p>;rel=\"prefetch, next\"");
    ck_assert_str_eq(l[2].uri, "/local.css");
    ck_assert_ptr_null(l[3].uri);
    ck_assert_str_eq(l[3].text, "junk; rel=preload");
    ck_assert_int_eq(mc_httpfield_links(test_pool, NULL)->nelts, 0);
    ck_assert_int_eq(mc_httpfield_links(test_pool, " , ,")->nelts, 0);
    /* an unclosed '<' runs to the end of the value */
    links = mc_httpfield_links(test_pool, "<https://t.example/x, <y>");
    ck_assert_int_eq(links->nelts, 1);
    ck_assert_str_eq(((const mc_httpfield_link_t *)links->elts)[0].uri, "https://t.example/x, <y");
}
END_TEST

START_TEST(refresh_urls_read_as_browsers_read_them)
{
    static const struct {
        const char *value, *url;
    } cases[] = {
        {"0;url=https://t.example/x", "https://t.example/x"},
        {"0; URL = 'https://t.example/x' ", "https://t.example/x"},
        {"5,url=\"//t.example/y\"trailing", "//t.example/y"},
        {" 1.5 https://t.example/z ", "https://t.example/z"},
        {"0;urlhttps://t.example/u", "urlhttps://t.example/u"},
        {"0; url=", NULL},
        {"10", NULL},
        {"", NULL},
        {"x;url=https://t.example/", NULL},
        {"0x;url=https://t.example/", NULL},
        {".5;url=/n", "/n"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = mc_httpfield_refresh_url(test_pool, cases[i].value);
        if (cases[i].url)
            ck_assert_msg(got && strcmp(got, cases[i].url) == 0, "'%s' -> '%s'", cases[i].value,
                          got ? got : "NULL");
        else
            ck_assert_msg(!got, "'%s' -> '%s', want none", cases[i].value, got);
    }
    ck_assert_ptr_null(mc_httpfield_refresh_url(test_pool, NULL));
}
END_TEST

Suite *httpfield_suite(void)
{
    Suite *s = suite_create("httpfield");
    TCase *tc = tcase_create("httpfield");

    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, html_types_are_recognised_whatever_their_case_and_parameters);
    tcase_add_test(tc, other_types_are_not_html);
    tcase_add_test(tc, a_parameter_value_is_read_as_token_or_quoted_string);
    tcase_add_test(tc, a_parameter_is_found_only_by_its_own_name);
    tcase_add_test(tc, utf16_pages_are_read_as_utf16);
    tcase_add_test(tc, other_charsets_and_none_are_read_as_bytes);
    tcase_add_test(tc, a_page_made_utf8_keeps_its_type);
    tcase_add_test(tc, documents_are_told_by_their_type);
    tcase_add_test(tc, a_very_long_content_type_is_read_to_its_end);
    tcase_add_test(tc, no_coding_and_identity_need_no_decoding);
    tcase_add_test(tc, gzip_and_deflate_are_read_in_the_order_applied);
    tcase_add_test(tc, other_codings_and_too_many_are_unreadable);
    tcase_add_test(tc, accept_encoding_keeps_only_what_can_be_read);
    tcase_add_test(tc, a_directive_is_found_by_its_name_whatever_its_case_and_value);
    tcase_add_test(tc, a_word_inside_a_value_or_another_name_is_no_directive);
    tcase_add_test(tc, a_directive_is_removed_and_the_rest_kept_as_it_was);
    tcase_add_test(tc, nothing_left_is_null);
    tcase_add_test(tc, a_long_list_is_read_to_its_end);
    tcase_add_test(tc, vary_names_cookie_or_everything);
    tcase_add_test(tc, vary_without_cookie);
    tcase_add_test(tc, the_variant_etag_is_weak_and_names_the_variant);
    tcase_add_test(tc, a_malformed_etag_gives_none);
    tcase_add_test(tc, a_very_long_etag_is_kept_whole);
    tcase_add_test(tc, link_values_split_outside_uris_and_quotes);
    tcase_add_test(tc, refresh_urls_read_as_browsers_read_them);
    suite_add_tcase(s, tc);
    return s;
}
