/* The URLs a browser would fetch from CSS (core/css.c), found as CSS Syntax
 * Level 3 tokenises it, and the neutralised copy the HTML rewriter writes. */
#include <apr_strings.h>
#include <string.h>

#include "css.h"
#include "unit.h"

/* --- fixtures ------------------------------------------------------------------------ */

typedef struct found {
    mc_css_ref_kind_t kind;
    size_t start, end;
    int has_url;
    char url[256];
    size_t url_len;
} found_t;

typedef struct found_list {
    found_t items[32];
    size_t count;
    size_t stop_after; /* 0: never stop */
} found_list_t;

static int collect(void *baton, const mc_css_ref_t *ref)
{
    found_list_t *fl = baton;
    found_t *f;

    ck_assert_uint_lt(fl->count, sizeof(fl->items) / sizeof(fl->items[0]));
    f = &fl->items[fl->count++];
    f->kind = ref->kind;
    f->start = ref->start;
    f->end = ref->end;
    f->has_url = ref->url != NULL;
    f->url_len = ref->url_len;
    if (ref->url != NULL) {
        ck_assert_uint_lt(ref->url_len, sizeof(f->url));
        memcpy(f->url, ref->url, ref->url_len);
        f->url[ref->url_len] = '\0';
    }
    return fl->stop_after != 0 && fl->count >= fl->stop_after;
}

static char scratch[1024];

/* The references in CSS[0..N). */
static found_list_t scan_n(const char *css, size_t n)
{
    found_list_t fl;

    memset(&fl, 0, sizeof(fl));
    ck_assert_int_eq(mc_css_scan(css, n, scratch, sizeof(scratch), collect, &fl), MC_OK);
    return fl;
}

static found_list_t scan(const char *css)
{
    return scan_n(css, strlen(css));
}

/* Reference I of FL is of KIND, covers the first PIECE in CSS and reads URL. */
static void expect_ref(const found_list_t *fl, size_t i, mc_css_ref_kind_t kind, const char *css,
                       const char *piece, const char *url)
{
    const char *at = strstr(css, piece);

    ck_assert_uint_gt(fl->count, i);
    ck_assert_ptr_nonnull(at);
    ck_assert_msg(fl->items[i].kind == kind, "ref %zu of %s: kind %s, not %s", i, css,
                  mc_css_ref_kind_str(fl->items[i].kind), mc_css_ref_kind_str(kind));
    ck_assert_uint_eq(fl->items[i].start, (size_t)(at - css));
    ck_assert_uint_eq(fl->items[i].end, (size_t)(at - css) + strlen(piece));
    ck_assert_int_eq(fl->items[i].has_url, 1);
    ck_assert_uint_eq(fl->items[i].url_len, strlen(url));
    ck_assert_str_eq(fl->items[i].url, url);
}

/* CSS holds exactly one url reference, PIECE, reading URL. */
static void expect_one_url(const char *css, const char *piece, const char *url)
{
    found_list_t fl = scan(css);

    ck_assert_msg(fl.count == 1, "%s: %zu references, not 1", css, fl.count);
    expect_ref(&fl, 0, MC_CSS_URL, css, piece, url);
}

static void expect_none(const char *css)
{
    found_list_t fl = scan(css);

    ck_assert_msg(fl.count == 0, "%s: %zu references, the first \"%s\"", css, fl.count,
                  fl.count ? fl.items[0].url : "");
}

/* keep() that keeps the URLs not containing "tracker", and data: URLs
 * however long */
static int keep_non_trackers(void *baton, const mc_css_ref_t *ref)
{
    (void)baton;
    if (ref->url == NULL)
        return ref->data;
    return strstr(ref->url, "tracker") == NULL;
}

static int keep_none(void *baton, const mc_css_ref_t *ref)
{
    (void)baton;
    (void)ref;
    return 0;
}

/* CSS neutralised by KEEP, as a string from test_pool. */
static char *neutralise(const char *css, mc_css_keep_fn *keep)
{
    size_t n = strlen(css), cap = n + 16 * 32, len = 0;
    char *out = apr_palloc(test_pool, cap + 1);

    ck_assert_int_eq(
        mc_css_neutralise(css, n, scratch, sizeof(scratch), keep, NULL, out, cap, &len), MC_OK);
    out[len] = '\0';
    return out;
}

/* --- url tokens and functions ----------------------------------------------------- */

START_TEST(url_tokens_with_and_without_quotes)
{
    expect_one_url("a{background:url(https://t.example/a.png)}", "url(https://t.example/a.png)",
                   "https://t.example/a.png");
    expect_one_url("b{background:url(\"https://t.example/b\")}", "url(\"https://t.example/b\")",
                   "https://t.example/b");
    expect_one_url("b{background:url('https://t.example/c')}", "url('https://t.example/c')",
                   "https://t.example/c");
    /* whitespace inside the parentheses belongs to the reference, not the URL */
    expect_one_url("x:url(  \t/p.png \n )", "url(  \t/p.png \n )", "/p.png");
    expect_one_url("x:url(\n  \"/q.png\"  \n)", "url(\n  \"/q.png\"  \n)", "/q.png");
    /* spaces inside a quoted URL: trimmed at the ends, as a URL parser does */
    expect_one_url("x:url(' /r.png ')", "url(' /r.png ')", "/r.png");
    /* an empty one is still a reference */
    expect_one_url("x:url()", "url()", "");
}
END_TEST

START_TEST(function_names_ignore_case_and_escapes)
{
    expect_one_url("x:URL(/a)", "URL(/a)", "/a");
    expect_one_url("x:uRl(\"/a\")", "uRl(\"/a\")", "/a");
    expect_one_url("x:\\75 rl(/a)", "\\75 rl(/a)", "/a");
    expect_one_url("x:u\\72l(/a)", "u\\72l(/a)", "/a");
    expect_one_url("x:\\55RL(/a)", "\\55RL(/a)", "/a");
    expect_one_url("x:\\000075rl(/a)", "\\000075rl(/a)", "/a");
    expect_one_url("x:\\u\\r\\l('/a')", "\\u\\r\\l('/a')", "/a");
    expect_one_url("x:\\55\r\nRL(/a)", "\\55\r\nRL(/a)", "/a");
}
END_TEST

START_TEST(things_that_look_like_url_but_are_not)
{
    expect_none("x:-url(/a)");        /* the ident is "-url" */
    expect_none("x:xurl(/a)");        /* "xurl" */
    expect_none("x:1url(/a)");        /* a dimension, unit "url" */
    expect_none("x:1e3url(/a)");      /* the same with an exponent */
    expect_none("x:.5url(/a)");       /* and a fraction */
    expect_none("x:#url(/a)");        /* a hash token */
    expect_none("x:@url(/a)");        /* an at-keyword */
    expect_none("x:url/**/(/a)");     /* a comment ends the ident */
    expect_none("x:url (/a)");        /* so does a space */
    expect_none("x:u\\\nrl(/a)");     /* a backslash before a newline is no escape */
    expect_none("x:\"url(/a)\"");     /* inside a string */
    expect_none("/* url(/a) */");     /* inside a comment */
    expect_none("x:ur\\6c-x(/a)");    /* "url-x" */
    expect_none("x:u\xc3\xa9rl(/a)"); /* non-ASCII inside the name */
    expect_none("x:\xc3\xa9url(/a)"); /* and before it */
}
END_TEST

START_TEST(escapes_inside_the_url_are_decoded)
{
    expect_one_url("x:url(a\\29 b)", "url(a\\29 b)", "a)b");
    expect_one_url("x:url(\\68ttp://t.example/)", "url(\\68ttp://t.example/)", "http://t.example/");
    expect_one_url("x:url(\"a\\\"b\")", "url(\"a\\\"b\")", "a\"b");
    expect_one_url("x:url('a\\'b')", "url('a\\'b')", "a'b");
    expect_one_url("x:url(a\\(b)", "url(a\\(b)", "a(b");
    expect_one_url("x:url(a\\ b)", "url(a\\ b)", "a b");
    /* a hex escape takes one whitespace after it, CR LF counting as one */
    expect_one_url("x:url(\"a\\62\r\nc\")", "url(\"a\\62\r\nc\")", "abc");
    /* UTF-8 for escaped code points; U+FFFD for 0, surrogates, too large */
    expect_one_url("x:url(\\e9)", "url(\\e9)", "\xc3\xa9");
    expect_one_url("x:url(\\1F600)", "url(\\1F600)", "\xf0\x9f\x98\x80");
    expect_one_url("x:url(a\\0 b)", "url(a\\0 b)",
                   "a\xef\xbf\xbd"
                   "b");
    expect_one_url("x:url(a\\d800 b)", "url(a\\d800 b)",
                   "a\xef\xbf\xbd"
                   "b");
    expect_one_url("x:url(a\\110000 b)", "url(a\\110000 b)",
                   "a\xef\xbf\xbd"
                   "b");
    /* a line continuation in a string is dropped */
    expect_one_url("x:url(\"https://t.exa\\\nmple/\")", "url(\"https://t.exa\\\nmple/\")",
                   "https://t.example/");
    expect_one_url("x:url(\"ab\\\r\ncd\")", "url(\"ab\\\r\ncd\")", "abcd");
    /* an escaped newline in the middle is removed, as a URL parser does:
     * the browser would fetch https://tracker.example/ */
    expect_one_url("x:url(\"https://tra\\a cker.example/\")",
                   "url(\"https://tra\\a cker.example/\")", "https://tracker.example/");
    expect_one_url("x:url(https://tra\\9 cker.example/)", "url(https://tra\\9 cker.example/)",
                   "https://tracker.example/");
}
END_TEST

START_TEST(bad_urls_are_not_fetched_and_end_where_the_spec_says)
{
    expect_none("x:url(a b)");
    expect_none("x:url(a\"b)");
    expect_none("x:url(a'b)");
    expect_none("x:url(a(b)");
    expect_none("x:url(a\x01"
                "b)");
    expect_none("x:url(a\x7f"
                "b)");
    expect_none("x:url(a\\\nb)");
    /* a bad url ends at its ")", and what follows is read again */
    expect_one_url("x:url(a b) url(/c)", "url(/c)", "/c");
    /* but an escaped ")" does not end it */
    expect_none("x:url(a b\\) url(/c)");
    expect_one_url("x:url(a b\\) url(/c) url(/d)", "url(/d)", "/d");
    /* a bad string in url() is no URL either */
    expect_none("x:url(\"/a\n\")");
}
END_TEST

START_TEST(strings_and_comments_hide_what_is_inside)
{
    expect_one_url("x:'a url(/a) \\' url(/b)' url(/c)", "url(/c)", "/c");
    /* a newline ends a string (a bad one): what follows is CSS again */
    expect_one_url("x:\"abc\nurl(/d)", "url(/d)", "/d");
    expect_one_url("x:'abc\r\nurl(/d)", "url(/d)", "/d");
    expect_one_url("x:'abc\furl(/d)", "url(/d)", "/d");
    /* unless escaped: a line continuation */
    expect_none("x:\"abc\\\nurl(/d)\"");
    expect_none("x:\"abc\\\r\nurl(/d)\"");
    expect_one_url("/* url(/a) */url(/b)", "url(/b)", "/b");
    expect_one_url("/* /* url(/a) */url(/b)/* */", "url(/b)", "/b");
    expect_one_url("/**/url(/b)/***/", "url(/b)", "/b");
    expect_none("x:url(/a /* x */)"); /* no comments inside a url token: a bad url */
    /* CDO and CDC are tokens of their own */
    expect_one_url("<!--url(/e)-->", "url(/e)", "/e");
    expect_one_url("-->url(/e)", "url(/e)", "/e");
}
END_TEST

/* --- @import, image-set(), src(), custom properties ------------------------------- */

START_TEST(imports_with_a_string_or_a_url)
{
    found_list_t fl;
    const char *css;

    css = "@import \"https://t.example/a.css\";";
    fl = scan(css);
    ck_assert_uint_eq(fl.count, 1);
    expect_ref(&fl, 0, MC_CSS_IMPORT, css, "\"https://t.example/a.css\"",
               "https://t.example/a.css");

    css = "@import url(b.css) screen;@IMPORT 'c.css';@import url( \"d.css\" ) layer(x);";
    fl = scan(css);
    ck_assert_uint_eq(fl.count, 3);
    expect_ref(&fl, 0, MC_CSS_IMPORT, css, "url(b.css)", "b.css");
    expect_ref(&fl, 1, MC_CSS_IMPORT, css, "'c.css'", "c.css");
    expect_ref(&fl, 2, MC_CSS_IMPORT, css, "url( \"d.css\" )", "d.css");

    css = "@\\69mport/**/\"e.css\";@import\n\t'f.css';";
    fl = scan(css);
    ck_assert_uint_eq(fl.count, 2);
    expect_ref(&fl, 0, MC_CSS_IMPORT, css, "\"e.css\"", "e.css");
    expect_ref(&fl, 1, MC_CSS_IMPORT, css, "'f.css'", "f.css");

    /* only the first token after @import */
    expect_none("@importx 'a.css'; @import; 'b.css'; @import x 'c.css';");
    expect_none("@media 'a.css' {}");
}
END_TEST

START_TEST(image_set_strings_and_urls)
{
    found_list_t fl;
    const char *css;

    css = "x{background-image:image-set(\"a.png\" 1x, 'b.png' 2x)}";
    fl = scan(css);
    ck_assert_uint_eq(fl.count, 2);
    expect_ref(&fl, 0, MC_CSS_IMAGE_SET, css, "\"a.png\"", "a.png");
    expect_ref(&fl, 1, MC_CSS_IMAGE_SET, css, "'b.png'", "b.png");

    css = "x:-webkit-image-set(url(c.png) 1x, \"d.png\" 2x)";
    fl = scan(css);
    ck_assert_uint_eq(fl.count, 2);
    expect_ref(&fl, 0, MC_CSS_URL, css, "url(c.png)", "c.png");
    expect_ref(&fl, 1, MC_CSS_IMAGE_SET, css, "\"d.png\"", "d.png");

    /* the name in any case and with escapes; type() strings are not URLs */
    css = "x:IMAGE-\\53 ET('e.png' type('image/avif'), url('f.png') type(\"image/png\"))";
    fl = scan(css);
    ck_assert_uint_eq(fl.count, 2);
    expect_ref(&fl, 0, MC_CSS_IMAGE_SET, css, "'e.png'", "e.png");
    expect_ref(&fl, 1, MC_CSS_URL, css, "url('f.png')", "f.png");

    /* strings after the function has closed are not its */
    expect_none("x:foo('h.png')");
    css = "x:image-set(url(/g) 1x) 'h.png'";
    fl = scan(css);
    ck_assert_uint_eq(fl.count, 1);
    expect_ref(&fl, 0, MC_CSS_URL, css, "url(/g)", "/g");

    /* a stray closer inside does not close it; a nested block hides strings */
    css = "x:image-set( ] } 'i.png' [ 'not' ] ('not') )";
    fl = scan(css);
    ck_assert_uint_eq(fl.count, 1);
    expect_ref(&fl, 0, MC_CSS_IMAGE_SET, css, "'i.png'", "i.png");

    /* image() too */
    css = "x:image('j.png', red)";
    fl = scan(css);
    ck_assert_uint_eq(fl.count, 1);
    expect_ref(&fl, 0, MC_CSS_IMAGE_SET, css, "'j.png'", "j.png");
}
END_TEST

START_TEST(src_functions)
{
    found_list_t fl;
    const char *css;

    css = "@font-face{src:src(\"a.woff\") format('woff'), SRC( 'b.woff' )}";
    fl = scan(css);
    ck_assert_uint_eq(fl.count, 2);
    expect_ref(&fl, 0, MC_CSS_SRC, css, "src(\"a.woff\")", "a.woff");
    expect_ref(&fl, 1, MC_CSS_SRC, css, "SRC( 'b.woff' )", "b.woff");

    /* a url() inside is reported as such; var() cannot be read here */
    css = "x:src(url(c.woff)) src(var(--x))";
    fl = scan(css);
    ck_assert_uint_eq(fl.count, 1);
    expect_ref(&fl, 0, MC_CSS_URL, css, "url(c.woff)", "c.woff");

    /* with modifiers after the string the reference stops at it, and what
     * follows is read in the function's block */
    css = "x:src('d.png' crossorigin(anonymous) image-set('e.png')) 'f'";
    fl = scan(css);
    ck_assert_uint_eq(fl.count, 2);
    expect_ref(&fl, 0, MC_CSS_SRC, css, "src('d.png'", "d.png");
    expect_ref(&fl, 1, MC_CSS_IMAGE_SET, css, "'e.png'", "e.png");
}
END_TEST

START_TEST(strings_in_custom_properties)
{
    found_list_t fl;
    const char *css;

    /* image-set(var(--bg)) would fetch it */
    css = "x{--bg: 'https://t.example/p.gif'; background: image-set(var(--bg) 1x); content: 'no'}";
    fl = scan(css);
    ck_assert_uint_eq(fl.count, 1);
    expect_ref(&fl, 0, MC_CSS_VAR_STRING, css, "'https://t.example/p.gif'",
               "https://t.example/p.gif");

    /* to the end of the declaration, nested blocks included, not beyond */
    css = "--\\61: fn(\"/a\") {\"/b\"}; c: \"/c\"";
    fl = scan(css);
    ck_assert_uint_eq(fl.count, 2);
    expect_ref(&fl, 0, MC_CSS_VAR_STRING, css, "\"/a\"", "/a");
    expect_ref(&fl, 1, MC_CSS_VAR_STRING, css, "\"/b\"", "/b");

    css = "y{--a:'/d'}z{content:'/e'}";
    fl = scan(css);
    ck_assert_uint_eq(fl.count, 1);
    expect_ref(&fl, 0, MC_CSS_VAR_STRING, css, "'/d'", "/d");
}
END_TEST

START_TEST(nested_blocks_and_order)
{
    const char *css = "@import url(/0.css);@media screen{@supports (x:y){a{b:url(/1)}}"
                      "c{d:image-set('/2' 1x,url(\"/3\") 2x);e:src('/4')}}f{g:url(/5)}";
    found_list_t fl = scan(css);

    ck_assert_uint_eq(fl.count, 6);
    expect_ref(&fl, 0, MC_CSS_IMPORT, css, "url(/0.css)", "/0.css");
    expect_ref(&fl, 1, MC_CSS_URL, css, "url(/1)", "/1");
    expect_ref(&fl, 2, MC_CSS_IMAGE_SET, css, "'/2'", "/2");
    expect_ref(&fl, 3, MC_CSS_URL, css, "url(\"/3\")", "/3");
    expect_ref(&fl, 4, MC_CSS_SRC, css, "src('/4')", "/4");
    expect_ref(&fl, 5, MC_CSS_URL, css, "url(/5)", "/5");
}
END_TEST

START_TEST(a_style_attribute_value)
{
    const char *css = "background:url(https://tracker.example/px.gif) no-repeat;color:red;"
                      "list-style-image:url( 'https://cdn.example/dot.png' )";
    found_list_t fl = scan(css);

    ck_assert_uint_eq(fl.count, 2);
    expect_ref(&fl, 0, MC_CSS_URL, css, "url(https://tracker.example/px.gif)",
               "https://tracker.example/px.gif");
    expect_ref(&fl, 1, MC_CSS_URL, css, "url( 'https://cdn.example/dot.png' )",
               "https://cdn.example/dot.png");
}
END_TEST

/* --- hostile input ------------------------------------------------------------------ */

START_TEST(unterminated_things_end_with_the_input)
{
    found_list_t fl;

    expect_one_url("x:url(https://t.example/a", "url(https://t.example/a", "https://t.example/a");
    expect_one_url("x:url(https://t.example/a  ", "url(https://t.example/a  ",
                   "https://t.example/a");
    expect_one_url("x:url(\"https://t.example/b", "url(\"https://t.example/b",
                   "https://t.example/b");
    expect_one_url("x:url(  'https://t.example/c' ", "url(  'https://t.example/c'",
                   "https://t.example/c");
    fl = scan("@import 'https://t.example/d");
    ck_assert_uint_eq(fl.count, 1);
    expect_ref(&fl, 0, MC_CSS_IMPORT, "@import 'https://t.example/d", "'https://t.example/d",
               "https://t.example/d");
    expect_none("/* url(/a)");
    expect_none("/* url(/a) *");
    expect_none("x:'url(/a)");
    expect_one_url("x:url(", "url(", ""); /* an empty url token, as the spec reads it */
    expect_one_url("x:url( \"", "url( \"", "");
    expect_none("x:image-set(");
    expect_none("@import");
    expect_none("x:url(a b");
}
END_TEST

START_TEST(escapes_at_the_end)
{
    /* a backslash at the end is an escape for U+FFFD in a name or url token... */
    expect_one_url("x:url(/a\\", "url(/a\\", "/a\xef\xbf\xbd");
    expect_one_url("x:url(/a\\41", "url(/a\\41", "/aA");
    /* ...and nothing at the end of a string */
    expect_one_url("x:url('/a\\", "url('/a\\", "/a");
    expect_none("x:\\");
    expect_none("\\");
    expect_none("x:u\\");
    expect_none("x:url\\");
    expect_none("@\\");
    expect_none("#\\");
    expect_none("-\\");
}
END_TEST

START_TEST(nul_bytes_and_non_ascii)
{
    static const char nul_in_url[] = "x:url(/a\0b) url(/c)";
    static const char nul_in_name[] = "x:u\0rl(/a) url(/c)";
    static const char nul_in_string[] = "@import '/a\0b'";
    found_list_t fl;

    /* a NUL reads as U+FFFD */
    fl = scan_n(nul_in_url, sizeof(nul_in_url) - 1);
    ck_assert_uint_eq(fl.count, 2);
    ck_assert_str_eq(fl.items[0].url, "/a\xef\xbf\xbd"
                                      "b");
    ck_assert_uint_eq(fl.items[0].end, sizeof("x:url(/a\0b)") - 1);
    ck_assert_str_eq(fl.items[1].url, "/c");
    fl = scan_n(nul_in_name, sizeof(nul_in_name) - 1);
    ck_assert_uint_eq(fl.count, 1);
    ck_assert_str_eq(fl.items[0].url, "/c");
    fl = scan_n(nul_in_string, sizeof(nul_in_string) - 1);
    ck_assert_uint_eq(fl.count, 1);
    ck_assert_str_eq(fl.items[0].url, "/a\xef\xbf\xbd"
                                      "b");

    /* non-ASCII bytes pass through untouched, even invalid UTF-8 */
    expect_one_url("x:url(https://\xe4\xbe\x8b.jp/\xc3\xbc)",
                   "url(https://\xe4\xbe\x8b.jp/\xc3\xbc)", "https://\xe4\xbe\x8b.jp/\xc3\xbc");
    expect_one_url("\xff\xfe:url(/\xff)", "url(/\xff)", "/\xff");
    expect_one_url("x:url(/\\\xc3\xa9)", "url(/\\\xc3\xa9)", "/\xc3\xa9");
    /* a multibyte code point never hides an ASCII quote or parenthesis */
    expect_one_url("x:'\xc3' url(/d)", "url(/d)", "/d");
}
END_TEST

START_TEST(never_reads_past_n)
{
    const char *css = "x:url(/abc) url(/def)";
    size_t cut = (size_t)(strstr(css, "def") - css) + 1; /* "...url(/d" */
    char *copy = apr_pmemdup(test_pool, css, cut);       /* no terminator */
    found_list_t fl = scan_n(copy, cut);

    ck_assert_uint_eq(fl.count, 2);
    ck_assert_str_eq(fl.items[1].url, "/d");
    ck_assert_uint_eq(fl.items[1].end, cut);
    fl = scan_n(NULL, 0);
    ck_assert_uint_eq(fl.count, 0);
}
END_TEST

static int count_refs(void *baton, const mc_css_ref_t *ref)
{
    size_t *count = baton;

    ck_assert_ptr_nonnull(ref->url);
    (*count)++;
    return 0;
}

/* N copies of PIECE, from test_pool */
static char *repeat(const char *piece, size_t times, size_t *len)
{
    size_t k = strlen(piece);
    char *s = apr_palloc(test_pool, k * times + 1);

    for (size_t i = 0; i < times; i++)
        memcpy(s + i * k, piece, k);
    s[k * times] = '\0';
    *len = k * times;
    return s;
}

START_TEST(huge_input_in_linear_time)
{
    size_t len, count = 0, times = 200000;
    char *css = repeat("a{b:url(/x) image-set('/y' 1x)}", times, &len);

    ck_assert_int_eq(mc_css_scan(css, len, scratch, sizeof(scratch), count_refs, &count), MC_OK);
    ck_assert_uint_eq(count, 2 * times);

    /* pathological shapes: each would be quadratic in a scanner that
     * looks ahead for a closer again and again */
    count = 0;
    css = repeat("url(", 500000, &len);
    ck_assert_int_eq(mc_css_scan(css, len, scratch, sizeof(scratch), count_refs, &count), MC_OK);
    ck_assert_uint_eq(count, 0); /* one bad url to the end */
    css = repeat("(", 2000000, &len);
    ck_assert_int_eq(mc_css_scan(css, len, scratch, sizeof(scratch), count_refs, &count), MC_OK);
    css = repeat("@import ", 500000, &len);
    ck_assert_int_eq(mc_css_scan(css, len, scratch, sizeof(scratch), count_refs, &count), MC_OK);
    css = repeat("--a:", 500000, &len);
    ck_assert_int_eq(mc_css_scan(css, len, scratch, sizeof(scratch), count_refs, &count), MC_OK);
    css = repeat("/*", 1000000, &len);
    ck_assert_int_eq(mc_css_scan(css, len, scratch, sizeof(scratch), count_refs, &count), MC_OK);
    css = repeat("\\", 1000000, &len);
    ck_assert_int_eq(mc_css_scan(css, len, scratch, sizeof(scratch), count_refs, &count), MC_OK);
    ck_assert_uint_eq(count, 0);
}
END_TEST

START_TEST(deep_nesting_beyond_the_tracked_depth)
{
    size_t len, count;
    char *open = repeat("(", MC_CSS_MAX_DEPTH + 100, &len);
    char *close = repeat(")", MC_CSS_MAX_DEPTH + 100, &len);
    const char *css;
    found_list_t fl;

    /* an image-set() deeper than the tracked depth still gives its strings */
    css = apr_pstrcat(test_pool, open, "image-set('/deep' 1x) url(/u)", close, "url(/after)", NULL);
    fl = scan(css);
    ck_assert_uint_eq(fl.count, 3);
    ck_assert_int_eq(fl.items[0].kind, MC_CSS_IMAGE_SET);
    ck_assert_str_eq(fl.items[0].url, "/deep");
    ck_assert_str_eq(fl.items[1].url, "/u");
    ck_assert_str_eq(fl.items[2].url, "/after");

    /* and after climbing out, blocks match exactly again */
    css = apr_pstrcat(test_pool, open, close, "image-set( ] '/x')", NULL);
    fl = scan(css);
    ck_assert_uint_eq(fl.count, 1);
    ck_assert_str_eq(fl.items[0].url, "/x");

    count = 0;
    css = apr_pstrcat(test_pool, open, "'/no'", close, NULL);
    ck_assert_int_eq(mc_css_scan(css, strlen(css), scratch, sizeof(scratch), count_refs, &count),
                     MC_OK);
    ck_assert_uint_eq(count, 0);
}
END_TEST

START_TEST(a_url_too_long_for_the_scratch_buffer)
{
    const char *css = "x:url(/a-rather-long-url) url(/b)";
    char small[3]; /* "/b" and its terminator */
    found_list_t fl;

    memset(&fl, 0, sizeof(fl));
    ck_assert_int_eq(mc_css_scan(css, strlen(css), small, sizeof(small), collect, &fl), MC_OK);
    ck_assert_uint_eq(fl.count, 2);
    ck_assert_int_eq(fl.items[0].has_url, 0);
    ck_assert_uint_eq(fl.items[0].start, 2);
    ck_assert_uint_eq(fl.items[0].end, strlen("x:url(/a-rather-long-url)"));
    ck_assert_int_eq(fl.items[1].has_url, 1);
    ck_assert_str_eq(fl.items[1].url, "/b");

    /* one byte short of the terminator */
    memset(&fl, 0, sizeof(fl));
    ck_assert_int_eq(mc_css_scan(css, strlen(css), small, 2, collect, &fl), MC_OK);
    ck_assert_uint_eq(fl.count, 2);
    ck_assert_int_eq(fl.items[1].has_url, 0);

    /* no scratch at all: every URL is NULL */
    memset(&fl, 0, sizeof(fl));
    ck_assert_int_eq(mc_css_scan(css, strlen(css), NULL, 0, collect, &fl), MC_OK);
    ck_assert_uint_eq(fl.count, 2);
    ck_assert_int_eq(fl.items[1].has_url, 0);
}
END_TEST

START_TEST(the_callback_stops_the_scan)
{
    found_list_t fl;
    const char *css = "x:url(/a) url(/b) url(/c)";

    memset(&fl, 0, sizeof(fl));
    fl.stop_after = 2;
    ck_assert_int_eq(mc_css_scan(css, strlen(css), scratch, sizeof(scratch), collect, &fl), MC_OK);
    ck_assert_uint_eq(fl.count, 2);
    ck_assert_int_eq(mc_css_scan(css, strlen(css), scratch, sizeof(scratch), NULL, NULL),
                     MC_EINVAL);
}
END_TEST

/* --- the neutralised copy ----------------------------------------------------------- */

START_TEST(neutralise_replaces_only_the_trackers)
{
    const char *css =
        "a{background:url(https://tracker.example/p.gif) no-repeat red}"
        "b{background:url(/ok.png)}@import 'https://tracker.example/t.css';"
        "c{d:image-set(\"https://tracker.example/i.png\" 1x, '/j.png' 2x)}"
        "e{f:URL( \"https://tracker.example/q\" );g:src('https://tracker.example/s')}";
    const char *want = "a{background:url(\"data:,\") no-repeat red}"
                       "b{background:url(/ok.png)}@import \"data:,\";"
                       "c{d:image-set(\"data:,\" 1x, '/j.png' 2x)}"
                       "e{f:url(\"data:,\");g:src(\"data:,\")}";

    ck_assert_str_eq(neutralise(css, keep_non_trackers), want);
}
END_TEST

START_TEST(neutralise_keeps_other_bytes_identical)
{
    static const char css[] = "/* \xc3\xa9 */ x{a:url(/1)\0;b:'\\'\\\r\n'; c:\\75 rl( /2 )}\t"
                              "--v:'/3';@import url('/4') print;z{y:image-set('/5')}\xff";
    size_t n = sizeof(css) - 1, len = 0;
    char out[sizeof(css) + 16 * 8];
    found_list_t refs = scan_n(css, n), after;
    size_t in_at = 0, out_at = 0;

    ck_assert_uint_eq(refs.count, 5);
    ck_assert_int_eq(mc_css_neutralise(css, n, scratch, sizeof(scratch), keep_none, NULL, out,
                                       sizeof(out), &len),
                     MC_OK);
    /* between the references, the bytes are the input's */
    after = scan_n(out, len);
    ck_assert_uint_eq(after.count, refs.count);
    for (size_t i = 0; i < refs.count; i++) {
        size_t gap = refs.items[i].start - in_at;
        ck_assert_uint_eq(after.items[i].start - out_at, gap);
        ck_assert_int_eq(memcmp(out + out_at, css + in_at, gap), 0);
        /* the same kind of reference, now to data:, */
        ck_assert_int_eq(after.items[i].kind, refs.items[i].kind);
        ck_assert_str_eq(after.items[i].url, "data:,");
        in_at = refs.items[i].end;
        out_at = after.items[i].end;
    }
    ck_assert_uint_eq(len - out_at, n - in_at);
    ck_assert_int_eq(memcmp(out + out_at, css + in_at, n - in_at), 0);

    /* keeping all of them gives the input back */
    len = 0;
    ck_assert_int_eq(mc_css_neutralise(css, n, scratch, sizeof(scratch), keep_non_trackers, NULL,
                                       out, sizeof(out), &len),
                     MC_OK);
    ck_assert_uint_eq(len, n);
    ck_assert_int_eq(memcmp(out, css, n), 0);
}
END_TEST

START_TEST(neutralise_keeps_functions_open_or_closed_as_they_were)
{
    ck_assert_str_eq(neutralise("x:url('https://tracker.example/a' m) 1x", keep_non_trackers),
                     "x:url(\"data:,\" m) 1x");
    ck_assert_str_eq(neutralise("x:src('https://tracker.example/a'", keep_non_trackers),
                     "x:src(\"data:,\"");
    ck_assert_str_eq(neutralise("x:url(https://tracker.example/a", keep_non_trackers),
                     "x:url(\"data:,\"");
    ck_assert_str_eq(neutralise("@import url(https://tracker.example/a);", keep_non_trackers),
                     "@import url(\"data:,\");");
    ck_assert_str_eq(neutralise("--x: 'https://tracker.example/a'", keep_non_trackers),
                     "--x: \"data:,\"");
}
END_TEST

START_TEST(neutralise_reports_a_full_buffer)
{
    const char *css = "x:url(/a) url(/b) url(/c)";
    size_t n = strlen(css), len = 99;
    char out[256];

    /* each url(/x) becomes url("data:,"), 6 bytes longer: 18 more are needed */
    ck_assert_int_eq(
        mc_css_neutralise(css, n, scratch, sizeof(scratch), keep_none, NULL, out, n + 17, &len),
        MC_ELIMIT);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(
        mc_css_neutralise(css, n, scratch, sizeof(scratch), keep_none, NULL, out, n + 18, &len),
        MC_OK);
    ck_assert_uint_eq(len, n + 18);
    ck_assert_int_eq(
        mc_css_neutralise(css, n, scratch, sizeof(scratch), keep_none, NULL, out, 3, &len),
        MC_ELIMIT);
    /* the documented bound is always enough */
    ck_assert_int_eq(
        mc_css_neutralise("url()", 5, scratch, sizeof(scratch), keep_none, NULL, out, 5 + 16, &len),
        MC_OK);
    ck_assert_int_eq(
        mc_css_neutralise("", 0, scratch, sizeof(scratch), keep_none, NULL, out, 0, &len), MC_OK);
    ck_assert_uint_eq(len, 0);
}
END_TEST


/* --- a sheet read as it streams ------------------------------------------------------- */

typedef struct streamed {
    char *data;
    size_t len, cap;
} streamed_t;

static int collect_bytes(void *baton, const char *data, size_t len)
{
    streamed_t *out = baton;

    if (out->len + len + 1 > out->cap) {
        size_t cap = (out->len + len + 1) * 2;
        char *grown = apr_palloc(test_pool, cap);

        memcpy(grown, out->data, out->len);
        out->data = grown;
        out->cap = cap;
    }
    memcpy(out->data + out->len, data, len);
    out->len += len;
    out->data[out->len] = '\0';
    return 0;
}

/* CSS[0..N) through a stream with a window of WINDOW bytes, fed FEED bytes
 * at a time. Returns the status; *OUT gets what was written and, when the
 * stream gave up, the bytes it did not write after them (so that *OUT is
 * always the whole sheet read up to where it stopped), *STOPPED where the
 * unwritten part began in *OUT. */
static mc_status_t stream_n(const char *css, size_t n, size_t window, size_t feed, char **out,
                            size_t *stopped)
{
    mc_css_stream_t *cs = apr_palloc(test_pool, sizeof(*cs));
    char *win = apr_palloc(test_pool, window);
    streamed_t got = {apr_palloc(test_pool, 1), 0, 1};
    mc_status_t st = MC_OK;
    size_t taken = 0, off = 0;

    got.data[0] = '\0';
    mc_css_stream_init(cs, win, window);
    do {
        size_t k = n - off < feed ? n - off : feed;

        st = mc_css_stream_feed(cs, css + off, k, off + k == n, scratch, sizeof(scratch),
                                keep_non_trackers, NULL, collect_bytes, &got, &taken);
        if (st != MC_OK) {
            *stopped = got.len;
            collect_bytes(&got, cs->win, cs->len);
            collect_bytes(&got, css + off + taken, k - taken);
            collect_bytes(&got, css + off + k, n - off - k);
            break;
        }
        off += k;
    } while (off < n);
    *out = got.data;
    return st;
}

static char *stream_ok(const char *css, size_t window, size_t feed)
{
    char *out;
    size_t stopped;

    ck_assert_int_eq(stream_n(css, strlen(css), window, feed, &out, &stopped), MC_OK);
    return out;
}

static const char *const sheets[] = {
    "a{background:url(https://tracker.example/p.gif)}b{color:red}",
    "@import \"https://tracker.example/a.css\";@import url(/own.css);",
    "x{background:image-set(\"https://tracker.example/1x.png\" 1x, '/own.png' 2x)}",
    ":root{--bg: \"https://tracker.example/v.png\"; --ok: 1}x{y:z}",
    "@font-face{src:url('https://tracker.example/f.woff2') format('woff2'), src(\"/x\")}",
    "p{b:u\\72l(https://tracker.example/esc)}/* url(https://tracker.example/c) */",
    "a{b:url( https://tracker.example/ws )}c{d:url(https://tracker.example/bad x)}",
    "a{b:url(\"https://tracker.example/open\"",
    "a{b:\"unterminated\nurl(https://tracker.example/after-bad-string)}",
    "((((([[[[{{{{url(https://tracker.example/deep)}}}}]]]])))))",
    "a\r\n{b:url(\r\nhttps://tracker.example/crlf\r\n)}\\",
};

START_TEST(a_stream_writes_what_the_whole_sheet_would)
{
    static const size_t windows[] = {64, 65, 100, 257, 4096};
    static const size_t feeds[] = {1, 2, 7, 64, 1000};

    for (size_t i = 0; i < sizeof(sheets) / sizeof(sheets[0]); i++) {
        const char *want = neutralise(sheets[i], keep_non_trackers);

        for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
            for (size_t f = 0; f < sizeof(feeds) / sizeof(feeds[0]); f++)
                ck_assert_str_eq(stream_ok(sheets[i], windows[w], feeds[f]), want);
        }
    }
}
END_TEST

/* Random sheets from pieces that matter to the tokeniser: whatever the
 * window and the feed, a stream that does not give up writes the same as
 * the whole sheet, and one that gives up wrote a prefix of it. */
START_TEST(random_sheets_stream_as_they_read_whole)
{
    static const char *const pieces[] = {
        "url(", "src(", "image-set(", "@import ", "\"", "'", "\\", "\\29 ", "/*", "*/",
        "(", ")", "{", "}", "[", "]", ";", ":", "--v", " ", "\n", "\r\n", "\t",
        "https://tracker.example/t", "/own", "data:x", "a", "-", "41", "\\\n", "\xc3\xa9"};
    unsigned seed = 12345;

    for (int round = 0; round < 3000; round++) {
        char css[600];
        size_t n = 0, pieces_n = sizeof(pieces) / sizeof(pieces[0]);
        size_t count, window, feed, stopped;
        char *out;
        const char *want;
        mc_status_t st;

        seed = seed * 1103515245u + 12345u;
        count = 1 + (seed >> 16) % 60;
        for (size_t k = 0; k < count; k++) {
            const char *p;

            seed = seed * 1103515245u + 12345u;
            p = pieces[(seed >> 16) % pieces_n];
            if (n + strlen(p) >= sizeof(css))
                break;
            memcpy(css + n, p, strlen(p));
            n += strlen(p);
        }
        css[n] = '\0';
        seed = seed * 1103515245u + 12345u;
        window = 64 + (seed >> 16) % 200;
        feed = 1 + (seed >> 8) % 97;
        want = neutralise(css, keep_non_trackers);
        st = stream_n(css, n, window, feed, &out, &stopped);
        if (st == MC_OK) {
            ck_assert_msg(strcmp(out, want) == 0, "window %zu feed %zu: \"%s\"\nstream \"%s\"\nwhole  \"%s\"",
                          window, feed, css, out, want);
        } else {
            ck_assert_int_eq(st, MC_ELIMIT);
            ck_assert_msg(strncmp(out, want, stopped) == 0, "prefix differs: \"%s\"", css);
            ck_assert_str_eq(out + stopped, css + (n - strlen(out + stopped)));
        }
        /* a window larger than the sheet never gives up */
        ck_assert_str_eq(stream_ok(css, sizeof(css) + 64, feed), want);
    }
}
END_TEST

static char *repeat_str(const char *piece, size_t times)
{
    size_t len;

    return repeat(piece, times, &len);
}

/* What no token of the window's size can hold, and fetches nothing, is
 * read on: long comments, whitespace and data: URLs, however escaped. */
START_TEST(long_tokens_that_fetch_nothing_stream_past_the_window)
{
    const char *tracker = "x{background:url(https://tracker.example/after)}";
    const char *inert = "x{background:url(\"data:,\")}";
    const char *longs[] = {
        apr_pstrcat(test_pool, "/*", repeat_str("url(https://tracker.example/c) ", 40), "*/", NULL),
        repeat_str(" \r\n\t", 400),
        apr_pstrcat(test_pool, "@font-face{src:url(data:font/woff2;base64,",
                    repeat_str("AAAA", 600), ")}", NULL),
        apr_pstrcat(test_pool, "@font-face{src:url( \"data:font/woff2;base64,",
                    repeat_str("AA\\\"A\\\n", 300), "\" ) format('woff2')}", NULL),
        apr_pstrcat(test_pool, "@font-face{src:src('DATA:x,", repeat_str("\\27 \\29\r\n", 300), "')}",
                    NULL),
        apr_pstrcat(test_pool, "a{b:url(\\64 ata:,", repeat_str("\\)\\41\r\n", 300), ")}", NULL),
        apr_pstrcat(test_pool, "a{b:url(data:,", repeat_str("x", 2000), " y)}", NULL), /* bad url */
        apr_pstrcat(test_pool, "a{b:url(\"data:,", repeat_str("x", 2000), "\n)}", NULL), /* bad string */
    };

    for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++) {
        const char *in = apr_pstrcat(test_pool, longs[i], tracker, NULL);
        const char *want = neutralise(in, keep_non_trackers);

        /* the whole sheet keeps the long part and disarms what follows */
        ck_assert_str_eq(want + strlen(want) - strlen(inert), inert);
        for (size_t feed = 1; feed <= 4096; feed *= 4)
            ck_assert_str_eq(stream_ok(in, 256, feed), want);
    }
}
END_TEST

START_TEST(a_long_token_that_may_fetch_stops_the_stream)
{
    const char *longs[] = {
        apr_pstrcat(test_pool, "a{b:url(https://tracker.example/", repeat_str("x", 600), ")}", NULL),
        apr_pstrcat(test_pool, "a{b:url(\"/own/", repeat_str("x", 600), "\")}", NULL),
        apr_pstrcat(test_pool, "@import \"", repeat_str("x", 600), "\";", NULL),
        apr_pstrcat(test_pool, "a{--v:\"", repeat_str("x", 600), "\"}", NULL),
        /* an imported data: sheet: what it fetches is in its text */
        apr_pstrcat(test_pool, "@import url(data:text/css,", repeat_str("x", 600),
                    "@import%20url(//tracker.example/x.css));", NULL),
        apr_pstrcat(test_pool, "@import url(\"data:text/css,", repeat_str("x", 600), "\");", NULL),
    };

    for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++) {
        const char *in = apr_pstrcat(test_pool, "p{color:red}", longs[i], "q{color:blue}", NULL);
        char *out;
        size_t stopped;

        ck_assert_int_eq(stream_n(in, strlen(in), 256, 100, &out, &stopped), MC_ELIMIT);
        /* what was written is what the whole sheet begins with, and the
         * rest is left to the caller, from the long token on */
        ck_assert_str_eq(out, in);
        ck_assert_uint_le(stopped, strlen("p{color:red}") + strcspn(longs[i], "u\""));
    }
}
END_TEST

Suite *css_suite(void)
{
    Suite *s = suite_create("css");
    TCase *tc = tcase_create("css");

    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, url_tokens_with_and_without_quotes);
    tcase_add_test(tc, function_names_ignore_case_and_escapes);
    tcase_add_test(tc, things_that_look_like_url_but_are_not);
    tcase_add_test(tc, escapes_inside_the_url_are_decoded);
    tcase_add_test(tc, bad_urls_are_not_fetched_and_end_where_the_spec_says);
    tcase_add_test(tc, strings_and_comments_hide_what_is_inside);
    tcase_add_test(tc, imports_with_a_string_or_a_url);
    tcase_add_test(tc, image_set_strings_and_urls);
    tcase_add_test(tc, src_functions);
    tcase_add_test(tc, strings_in_custom_properties);
    tcase_add_test(tc, nested_blocks_and_order);
    tcase_add_test(tc, a_style_attribute_value);
    tcase_add_test(tc, unterminated_things_end_with_the_input);
    tcase_add_test(tc, escapes_at_the_end);
    tcase_add_test(tc, nul_bytes_and_non_ascii);
    tcase_add_test(tc, never_reads_past_n);
    tcase_add_test(tc, huge_input_in_linear_time);
    tcase_add_test(tc, deep_nesting_beyond_the_tracked_depth);
    tcase_add_test(tc, a_url_too_long_for_the_scratch_buffer);
    tcase_add_test(tc, the_callback_stops_the_scan);
    tcase_add_test(tc, neutralise_replaces_only_the_trackers);
    tcase_add_test(tc, neutralise_keeps_other_bytes_identical);
    tcase_add_test(tc, neutralise_keeps_functions_open_or_closed_as_they_were);
    tcase_add_test(tc, neutralise_reports_a_full_buffer);
    tcase_add_test(tc, a_stream_writes_what_the_whole_sheet_would);
    tcase_add_test(tc, random_sheets_stream_as_they_read_whole);
    tcase_add_test(tc, long_tokens_that_fetch_nothing_stream_past_the_window);
    tcase_add_test(tc, a_long_token_that_may_fetch_stops_the_stream);
    suite_add_tcase(s, tc);
    return s;
}
