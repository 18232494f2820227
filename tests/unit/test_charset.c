/* How a browser reads a response's bytes (charset.h): the labels that make
 * a page unreadable as ASCII, the byte order mark that overrides them, the
 * HTML a body without a type is sniffed as, and UTF-16 turned into UTF-8
 * however the body is cut. Expected UTF-8 is made here from code points,
 * not taken from the decoder. */
#include <apr_strings.h>
#include <string.h>

#include "charset.h"
#include "unit.h"

/* --- labels ------------------------------------------------------------------------- */

static mc_charset_t label(const char *s)
{
    return mc_charset_of_label(s, strlen(s));
}

START_TEST(every_utf16_label_of_the_standard_is_utf16)
{
    static const char *const le[] = {"utf-16",      "UTF-16LE",  "unicode",   "csUnicode",
                                     "ucs-2",       "iso-10646-ucs-2", "unicodefeff",
                                     " \tutf-16 \n"};

    for (size_t i = 0; i < sizeof(le) / sizeof(le[0]); i++)
        ck_assert_int_eq(label(le[i]), MC_CHARSET_UTF16LE);
    ck_assert_int_eq(label("utf-16be"), MC_CHARSET_UTF16BE);
    ck_assert_int_eq(label("UnicodeFFFE"), MC_CHARSET_UTF16BE);
}
END_TEST

START_TEST(iso_2022_jp_is_not_readable_as_bytes)
{
    ck_assert_int_eq(label("iso-2022-jp"), MC_CHARSET_STATEFUL);
    ck_assert_int_eq(label("csISO2022JP"), MC_CHARSET_STATEFUL);
    ck_assert_int_eq(label("iso-2022-kr"), MC_CHARSET_REPLACEMENT);
    ck_assert_int_eq(label("hz-gb-2312"), MC_CHARSET_REPLACEMENT);
}
END_TEST

/* Labels the standard does not know are ignored by browsers, which then
 * read the bytes as an ASCII-compatible encoding would. */
START_TEST(ascii_compatible_and_unknown_labels_read_as_bytes)
{
    static const char *const bytes[] = {"utf-8", "windows-1252", "shift_jis", "gb18030",
                                        "big5",  "euc-kr",       "utf-32",    "utf-7",
                                        "utf-16x", "utf16",      "",          "x-user-defined"};

    for (size_t i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++)
        ck_assert_msg(label(bytes[i]) == MC_CHARSET_BYTES, "%s", bytes[i]);
}
END_TEST

/* --- the byte order mark ------------------------------------------------------------ */

START_TEST(a_byte_order_mark_is_told_even_a_byte_at_a_time)
{
    ck_assert_int_eq(mc_charset_bom("\xFF\xFE<\0", 4, 0), MC_BOM_UTF16LE);
    ck_assert_int_eq(mc_charset_bom("\xFE\xFF\0<", 4, 0), MC_BOM_UTF16BE);
    ck_assert_int_eq(mc_charset_bom("\xEF\xBB\xBF<", 4, 0), MC_BOM_UTF8);
    ck_assert_int_eq(mc_charset_bom("", 0, 0), MC_BOM_MORE);
    ck_assert_int_eq(mc_charset_bom("\xFF", 1, 0), MC_BOM_MORE);
    ck_assert_int_eq(mc_charset_bom("\xEF\xBB", 2, 0), MC_BOM_MORE);
    ck_assert_int_eq(mc_charset_bom("\xEF\xBB", 2, 1), MC_BOM_NONE);
    ck_assert_int_eq(mc_charset_bom("<!", 2, 0), MC_BOM_NONE);
    ck_assert_int_eq(mc_charset_bom("\xEF<", 2, 0), MC_BOM_NONE);
    ck_assert_uint_eq(mc_charset_bom_len(MC_BOM_UTF8), 3);
    ck_assert_uint_eq(mc_charset_bom_len(MC_BOM_UTF16BE), 2);
    ck_assert_uint_eq(mc_charset_bom_len(MC_BOM_NONE), 0);
}
END_TEST

/* --- sniffing ----------------------------------------------------------------------- */

static mc_sniff_t sniff(const char *s, int at_end)
{
    return mc_charset_sniff_html(s, strlen(s), at_end);
}

START_TEST(a_body_that_starts_as_html_sniffs_as_html)
{
    static const char *const html[] = {
        "<!DOCTYPE html>",  "\n\t <html lang=nb>", "<HEAD>",   "<script src=x>", "<iframe src=x>",
        "<h1>Hi</h1>",      "<div>",               "<font >",  "<table>",        "<a href=x>",
        "<style>",          "<title>x</title>",    "<b>bold",  "<body>",         "<br>",
        "<p>text",          "<!-- x -->",          "<!doctype HTML>"};

    for (size_t i = 0; i < sizeof(html) / sizeof(html[0]); i++)
        ck_assert_msg(sniff(html[i], 0) == MC_SNIFF_HTML, "%s", html[i]);
}
END_TEST

START_TEST(other_bodies_do_not)
{
    static const char *const other[] = {"{\"json\": 1}", "plain text <html>", "<svg>",
                                        "<?xml version=\"1.0\"?>", "<pre>", "<htmlx>",
                                        "<img src=x>", "\xEF\xBB\xBF<html>"};

    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
        ck_assert_msg(sniff(other[i], 1) == MC_SNIFF_OTHER, "%s", other[i]);
}
END_TEST

START_TEST(a_short_start_waits_for_more_until_the_end)
{
    ck_assert_int_eq(sniff("   <ht", 0), MC_SNIFF_MORE);
    ck_assert_int_eq(sniff("<a", 0), MC_SNIFF_MORE);
    ck_assert_int_eq(sniff("", 0), MC_SNIFF_MORE);
    ck_assert_int_eq(sniff("<a", 1), MC_SNIFF_OTHER);
    ck_assert_int_eq(sniff("<x", 0), MC_SNIFF_OTHER);
}
END_TEST

START_TEST(whitespace_past_the_sniffing_limit_is_not_html)
{
    char *s = apr_palloc(test_pool, MC_SNIFF_MAX + 8);

    memset(s, ' ', MC_SNIFF_MAX);
    memcpy(s + MC_SNIFF_MAX, "<html>", 7);
    ck_assert_int_eq(mc_charset_sniff_html(s, MC_SNIFF_MAX + 6, 0), MC_SNIFF_OTHER);
    ck_assert_int_eq(mc_charset_sniff_html(s, MC_SNIFF_MAX - 1, 0), MC_SNIFF_MORE);
}
END_TEST

/* --- an XML prolog -------------------------------------------------------------------- */

static mc_prolog_t prolog(const char *s, int at_end)
{
    return mc_charset_xml_prolog(s, strlen(s), at_end);
}

START_TEST(an_internal_subset_before_the_root_is_told)
{
    ck_assert_int_eq(prolog("<?xml version=\"1.0\"?>\n<!DOCTYPE html [<!ENTITY e \"x\">]><html>", 0),
                     MC_PROLOG_SUBSET);
    ck_assert_int_eq(prolog("<!-- c --><!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0//EN\" "
                            "\"x.dtd\" [", 0), MC_PROLOG_SUBSET);
    /* a bracket in the quoted external id is none */
    ck_assert_int_eq(prolog("<!DOCTYPE html SYSTEM \"a[b>c\"><html>", 0), MC_PROLOG_PLAIN);
    ck_assert_int_eq(prolog("<?xml version=\"1.0\"?><!DOCTYPE html><html xmlns=\"x\">", 0),
                     MC_PROLOG_PLAIN);
    ck_assert_int_eq(prolog("<html>[", 0), MC_PROLOG_PLAIN);
}
END_TEST

START_TEST(a_prolog_not_yet_read_waits_and_one_past_the_limit_decides)
{
    char *s = apr_palloc(test_pool, MC_SNIFF_MAX + 32);

    ck_assert_int_eq(prolog("<?xml version=\"1.0\"?>", 0), MC_PROLOG_MORE);
    ck_assert_int_eq(prolog("<!DOCTYPE html", 0), MC_PROLOG_MORE);
    ck_assert_int_eq(prolog("<!DOCTYPE html", 1), MC_PROLOG_SUBSET);
    ck_assert_int_eq(prolog("<?xml version=\"1.0\"?>", 1), MC_PROLOG_PLAIN);
    /* a DOCTYPE still open at the limit counts as one with a subset */
    memcpy(s, "<!DOCTYPE html SYSTEM \"", 23);
    memset(s + 23, 'x', MC_SNIFF_MAX);
    ck_assert_int_eq(mc_charset_xml_prolog(s, MC_SNIFF_MAX + 23, 0), MC_PROLOG_SUBSET);
    /* a long comment, no DOCTYPE: plain */
    memset(s, ' ', MC_SNIFF_MAX + 23);
    ck_assert_int_eq(mc_charset_xml_prolog(s, MC_SNIFF_MAX + 23, 0), MC_PROLOG_PLAIN);
}
END_TEST

/* --- UTF-16 --------------------------------------------------------------------------- */

/* Code points as UTF-16 code units, in either byte order. */
static size_t encode16(const unsigned *units, size_t n, int be, char *out)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char hi = (unsigned char)(units[i] >> 8), lo = (unsigned char)(units[i] & 0xFF);

        out[2 * i] = (char)(be ? hi : lo);
        out[2 * i + 1] = (char)(be ? lo : hi);
    }
    return 2 * n;
}

/* Decodes IN in pieces of STEP bytes, then ends. */
static char *decode_in_steps(const char *in, size_t len, int be, size_t step, size_t *out_len)
{
    mc_utf16_t d;
    char *out = apr_palloc(test_pool, MC_UTF16_ROOM(len) + step * 3 + 16);
    size_t n = 0;

    mc_utf16_init(&d, be);
    for (size_t off = 0; off < len; off += step) {
        size_t k = len - off < step ? len - off : step;

        n += mc_utf16_decode(&d, in + off, k, out + n);
        ck_assert_uint_le(n, MC_UTF16_ROOM(off + k) + 3 * (off / step + 1));
    }
    n += mc_utf16_end(&d, out + n);
    out[n] = '\0';
    *out_len = n;
    return out;
}

START_TEST(utf16_markup_becomes_the_same_markup_in_utf8_however_it_is_cut)
{
    /* "<p>" U+00E6 U+4E2D U+1F600 (a surrogate pair) "</p>" */
    static const unsigned units[] = {'<', 'p', '>', 0xE6, 0x4E2D, 0xD83D, 0xDE00, '<', '/', 'p', '>'};
    static const char want[] = "<p>\xC3\xA6\xE4\xB8\xAD\xF0\x9F\x98\x80</p>";
    char in[64];

    for (int be = 0; be <= 1; be++) {
        size_t len = encode16(units, sizeof(units) / sizeof(units[0]), be, in);

        for (size_t step = 1; step <= len; step++) {
            size_t n;
            const char *got = decode_in_steps(in, len, be, step, &n);

            ck_assert_uint_eq(n, sizeof(want) - 1);
            ck_assert_msg(memcmp(got, want, n) == 0, "be %d step %zu", be, step);
        }
    }
}
END_TEST

START_TEST(unpaired_surrogates_and_an_odd_byte_become_replacement_characters)
{
    /* a lone low, a lead followed by a letter, a lead at the end */
    static const unsigned units[] = {0xDC00, 'a', 0xD800, 'b', 0xDBFF};
    static const char want[] = "\xEF\xBF\xBD" "a" "\xEF\xBF\xBD" "b" "\xEF\xBF\xBD";
    char in[16];
    size_t len = encode16(units, 5, 0, in), n;
    const char *got = decode_in_steps(in, len, 0, 3, &n);

    ck_assert_uint_eq(n, sizeof(want) - 1);
    ck_assert(memcmp(got, want, n) == 0);
    got = decode_in_steps("<\0p\0>", 5, 0, 1, &n);
    ck_assert_uint_eq(n, 5);
    ck_assert(memcmp(got, "<p\xEF\xBF\xBD", 5) == 0);
}
END_TEST

/* ASCII read as UTF-16: every two bytes one CJK character, no markup left,
 * as a browser shows it. */
START_TEST(ascii_read_as_utf16_has_no_markup_left)
{
    static const char page[] = "<script src=https://tracker.example/t.js></script>";
    size_t n;
    const char *got = decode_in_steps(page, sizeof(page) - 1, 0, 7, &n);

    ck_assert_ptr_null(memchr(got, '<', n));
    ck_assert_ptr_null(strstr(got, "script"));
}
END_TEST

START_TEST(the_names_are_for_logs)
{
    ck_assert_str_eq(mc_charset_str(MC_CHARSET_UTF16BE), "UTF-16BE");
    ck_assert_str_eq(mc_charset_str(MC_CHARSET_STATEFUL), "ISO-2022-JP");
}
END_TEST

Suite *charset_suite(void)
{
    Suite *s = suite_create("charset");
    TCase *tc = tcase_create("charset");

    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, every_utf16_label_of_the_standard_is_utf16);
    tcase_add_test(tc, iso_2022_jp_is_not_readable_as_bytes);
    tcase_add_test(tc, ascii_compatible_and_unknown_labels_read_as_bytes);
    tcase_add_test(tc, a_byte_order_mark_is_told_even_a_byte_at_a_time);
    tcase_add_test(tc, a_body_that_starts_as_html_sniffs_as_html);
    tcase_add_test(tc, other_bodies_do_not);
    tcase_add_test(tc, a_short_start_waits_for_more_until_the_end);
    tcase_add_test(tc, whitespace_past_the_sniffing_limit_is_not_html);
    tcase_add_test(tc, utf16_markup_becomes_the_same_markup_in_utf8_however_it_is_cut);
    tcase_add_test(tc, unpaired_surrogates_and_an_odd_byte_become_replacement_characters);
    tcase_add_test(tc, ascii_read_as_utf16_has_no_markup_left);
    tcase_add_test(tc, the_names_are_for_logs);
    tcase_add_test(tc, an_internal_subset_before_the_root_is_told);
    tcase_add_test(tc, a_prolog_not_yet_read_waits_and_one_past_the_limit_decides);
    suite_add_tcase(s, tc);
    return s;
}
