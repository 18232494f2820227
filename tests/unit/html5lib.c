/* Conformance of the rewriter's lexer (mod_consent/core/html_lex.c) with the
 * html5lib tokenizer tests (github.com/html5lib/html5lib-tests, tokenizer/).
 *
 * The lexer finds boundaries; it does not build tokens. This runner builds
 * them from what the lexer reports — where each tag, comment and raw-text
 * run begins and ends, and each tag's parts as the lexer kept them while
 * reading it (mc_lex_tag_recorded) or, when it did not, walked by
 * mc_lex_tag_walk: what the rewriter uses — and compares them with the
 * expected tokens.
 *
 * Character references are decoded by mc_charref_decode (charref.h), the
 * decoder the rewriter uses to read a URL as the browser does: attribute
 * values as in an attribute, text in the data and RCDATA states as in text.
 *
 * Cases left out, and why: "doubleEscaped" input (lone surrogates), and the
 * "errors" lists. A DOCTYPE counts by its place only: its name and
 * identifiers are nothing a rewriter reads.
 */
#include "html5lib.h"

#include <apr_strings.h>
#include <apr_tables.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charref.h"
#include "html_lex.h"
#include "unit.h"

#define HTML5LIB_DIR MC_TEST_DATA "/../../../shared/html5lib-tokenizer"
/* Failures printed in full; the rest are only counted. */
#define SHOWN_FAILURES 10

typedef struct counts {
    int run;
    int passed;
    int skipped;
} counts_t;

/* --- building tokens from the lexer's boundaries ---------------------------------- */

typedef struct builder {
    const char *input;
    json_t *tokens;
    mc_lex_off_t last; /* end of the previous token */
    int raw_text;      /* text so far is raw text: NUL reads as U+FFFD */
    int references;    /* text so far has character references (data, RCDATA) */
} builder_t;

/* BYTES with NUL replaced (when REPLACE_NUL) and ASCII upper case lowered
 * (when LOWER), as a JSON string. */
static json_t *text_value(const char *bytes, size_t len, int replace_nul, int lower)
{
    /* U+FFFD in UTF-8: what a tokenizer puts for NUL */
    static const char replacement[3] = {'\xEF', '\xBF', '\xBD'};
    char *buf = malloc(len * 3 + 1);
    size_t n = 0;
    json_t *s;

    for (size_t i = 0; i < len; i++) {
        char c = bytes[i];

        if (c == '\0' && replace_nul) {
            memcpy(buf + n, replacement, sizeof(replacement));
            n += sizeof(replacement);
            continue;
        }
        buf[n++] = (char)(lower && c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    s = json_stringn(buf, n);
    free(buf);
    return s ? s : json_string("<invalid UTF-8>");
}

/* BYTES with their character references decoded (as in an attribute value
 * when IN_ATTRIBUTE), then as text_value() makes them. */
static json_t *decoded_value(const char *bytes, size_t len, int in_attribute, int replace_nul)
{
    size_t cap = 2 * len + 8, n = 0;
    char *buf = malloc(cap);
    json_t *s;

    ck_assert_int_eq(mc_charref_decode(bytes, len, in_attribute, buf, cap, &n), MC_OK);
    s = text_value(buf, n, replace_nul, 0);
    free(buf);
    return s;
}

static void add_characters(builder_t *b, mc_lex_off_t from, mc_lex_off_t to, int replace_nul,
                           int references)
{
    const char *text = b->input + from;
    size_t len = (size_t)(to - from);

    if (to > from)
        json_array_append_new(b->tokens,
                              json_pack("[s,o]", "Character",
                                        references ? decoded_value(text, len, 0, replace_nul)
                                                   : text_value(text, len, replace_nul, 0)));
}

/* The text between the previous token and the one starting at AT. */
static void add_text_before(builder_t *b, mc_lex_off_t at)
{
    add_characters(b, b->last, at, b->raw_text, b->references);
}

static void collect_attr(void *baton, const char *tag, const mc_lex_attr_t *attr)
{
    json_t *attrs = baton;
    json_t *name = text_value(tag + attr->name, attr->name_len, 1, 1);

    /* a duplicate attribute is dropped: the first wins */
    if (!json_object_get(attrs, json_string_value(name)))
        json_object_set_new(
            attrs, json_string_value(name),
            decoded_value(tag + attr->value, attr->has_value ? attr->value_len : 0, 1, 1));
    json_decref(name);
}

/* The tag [FROM, TO) as the rewriter reads it: from the parts the lexer
 * LX kept while reading it, when it kept them (a start tag in the usual
 * shape), else walked by mc_lex_tag_walk. */
static void add_tag(builder_t *b, const mc_lex_t *lx, mc_lex_off_t from, mc_lex_off_t to,
                    int end_tag)
{
    mc_lex_tag_shape_t shape;
    json_t *attrs = json_object();
    json_t *token;
    const char *tag = b->input + from;
    size_t len = (size_t)(to - from);

    if (!mc_lex_tag_recorded(lx, from, tag, len, collect_attr, attrs, &shape) &&
        !mc_lex_tag_walk(tag, len, collect_attr, attrs, &shape)) {
        json_array_append_new(b->tokens, json_pack("[s]", "UnwalkableTag"));
        json_decref(attrs);
        return;
    }
    token = json_pack("[s,o]", end_tag ? "EndTag" : "StartTag",
                      text_value(tag + shape.name, shape.name_end - shape.name, 1, 1));
    if (end_tag) {
        json_decref(attrs);
    } else {
        json_array_append_new(token, attrs);
        if (shape.self_closing)
            json_array_append_new(token, json_true());
    }
    json_array_append_new(b->tokens, token);
}

static void add_comment(builder_t *b, mc_lex_off_t from, mc_lex_off_t to)
{
    json_array_append_new(
        b->tokens,
        json_pack("[s,o]", "Comment", text_value(b->input + from, (size_t)(to - from), 1, 0)));
}

static void on_markup(builder_t *b, const mc_lex_t *lx)
{
    switch (lx->markup) {
    case MC_MARKUP_COMMENT:
    case MC_MARKUP_BOGUS: add_comment(b, lx->data_start, lx->data_end); break;
    case MC_MARKUP_DOCTYPE: json_array_append_new(b->tokens, json_pack("[s]", "DOCTYPE")); break;
    case MC_MARKUP_CDATA: add_characters(b, lx->data_start, lx->data_end, 0, 0); break;
    case MC_MARKUP_EMPTY: break;
    }
}

/* What the end of input leaves behind. */
static void on_eof(builder_t *b, const mc_lex_t *lx, mc_lex_off_t end)
{
    mc_lex_off_t data_end = end;

    switch (mc_lex_eof(lx, &data_end)) {
    case MC_LEX_EOF_TEXT: add_text_before(b, end); break;
    case MC_LEX_EOF_DROP: add_text_before(b, lx->tok_start); break;
    case MC_LEX_EOF_COMMENT:
        add_text_before(b, lx->tok_start);
        add_comment(b, lx->data_start, data_end);
        break;
    case MC_LEX_EOF_BOGUS:
        add_text_before(b, lx->tok_start);
        add_comment(b, lx->data_start, end);
        break;
    case MC_LEX_EOF_DOCTYPE:
        add_text_before(b, lx->tok_start);
        json_array_append_new(b->tokens, json_pack("[s]", "DOCTYPE"));
        break;
    }
}

static int state_from_name(const char *name, mc_lex_start_t *start)
{
    static const struct {
        const char *name;
        mc_lex_start_t start;
    } states[] = {
        {"Data state", MC_LEX_START_DATA},           {"RCDATA state", MC_LEX_START_RCDATA},
        {"RAWTEXT state", MC_LEX_START_RAWTEXT},     {"Script data state", MC_LEX_START_SCRIPT},
        {"PLAINTEXT state", MC_LEX_START_PLAINTEXT}, {"CDATA section state", MC_LEX_START_CDATA}};

    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        if (strcmp(states[i].name, name) == 0) {
            *start = states[i].start;
            return 1;
        }
    }
    return 0;
}

/* Tokenises INPUT, the whole of it in one chunk, as a bare tokenizer. */
static json_t *tokenise(const char *input, size_t len, mc_lex_start_t start, const char *last_tag)
{
    builder_t b = {input, json_array(), 0, 0, 0};
    mc_lex_t lx;
    mc_lex_event_t ev;

    mc_lex_init(&lx, 0);
    mc_lex_set_start(&lx, start, last_tag);
    b.raw_text = start == MC_LEX_START_RCDATA || start == MC_LEX_START_RAWTEXT ||
                 start == MC_LEX_START_SCRIPT || start == MC_LEX_START_PLAINTEXT;
    b.references = start == MC_LEX_START_DATA || start == MC_LEX_START_RCDATA;
    mc_lex_chunk(&lx, input, len);
    while ((ev = mc_lex_next(&lx)) != MC_LEX_MORE) {
        mc_lex_off_t pos = mc_lex_pos(&lx);

        if (ev == MC_LEX_TAG_NAME)
            continue;
        add_text_before(&b, start == MC_LEX_START_CDATA ? lx.data_start : lx.tok_start);
        if (ev == MC_LEX_TAG_END)
            add_tag(&b, &lx, lx.tok_start, pos, lx.end_tag);
        else
            on_markup(&b, &lx);
        b.last = pos;
        /* with no tree, whatever ends the starting state leads to the data state */
        b.raw_text = 0;
        b.references = 1;
        start = MC_LEX_START_DATA;
    }
    on_eof(&b, &lx, mc_lex_pos(&lx));
    return b.tokens;
}

/* --- comparing ------------------------------------------------------------------------ */

/* Adjacent character tokens made one, DOCTYPEs reduced to their kind. */
static json_t *normalise(const json_t *tokens)
{
    json_t *out = json_array();
    size_t i;
    json_t *t;

    json_array_foreach (tokens, i, t) {
        const char *kind = json_string_value(json_array_get(t, 0));
        json_t *prev = json_array_get(out, json_array_size(out) - 1);

        if (kind && strcmp(kind, "DOCTYPE") == 0) {
            json_array_append_new(out, json_pack("[s]", "DOCTYPE"));
        } else if (kind && strcmp(kind, "Character") == 0 && prev &&
                   strcmp(json_string_value(json_array_get(prev, 0)), "Character") == 0) {
            json_t *a = json_array_get(prev, 1);
            json_t *b = json_array_get(t, 1);
            char *joined = malloc(json_string_length(a) + json_string_length(b) + 1);

            memcpy(joined, json_string_value(a), json_string_length(a));
            memcpy(joined + json_string_length(a), json_string_value(b), json_string_length(b));
            json_array_set_new(prev, 1,
                               json_stringn(joined, json_string_length(a) + json_string_length(b)));
            free(joined);
        } else {
            json_array_append_new(out, json_deep_copy(t));
        }
    }
    return out;
}

/* The input stream as a tokenizer sees it: CR LF and lone CR become LF. */
static char *preprocess(const char *in, size_t len, size_t *out_len)
{
    char *out = malloc(len + 1);
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (in[i] == '\r') {
            out[n++] = '\n';
            if (i + 1 < len && in[i + 1] == '\n')
                i++;
        } else {
            out[n++] = in[i];
        }
    }
    *out_len = n;
    return out;
}

static int applies(const json_t *test)
{
    return !json_is_true(json_object_get(test, "doubleEscaped"));
}

static void report_failure(const char *file, const json_t *test, const char *state,
                           const json_t *want, const json_t *got, int *shown)
{
    char *w, *g;

    if ((*shown)++ >= SHOWN_FAILURES)
        return;
    w = json_dumps(want, JSON_COMPACT | JSON_ENSURE_ASCII);
    g = json_dumps(got, JSON_COMPACT | JSON_ENSURE_ASCII);
    printf("html5lib %s: FAIL \"%s\" (%s)\n  want %s\n  got  %s\n", file,
           json_string_value(json_object_get(test, "description")), state, w, g);
    free(w);
    free(g);
}

/* One test, once per initial state it names. */
static void run_test(const char *file, const json_t *test, counts_t *c, int *shown)
{
    const json_t *states = json_object_get(test, "initialStates");
    const json_t *input = json_object_get(test, "input");
    const char *last_tag = json_string_value(json_object_get(test, "lastStartTag"));
    size_t nstates = states ? json_array_size(states) : 1;
    size_t len;
    char *text;
    json_t *want;

    if (!applies(test)) {
        c->skipped += (int)nstates;
        return;
    }
    text = preprocess(json_string_value(input), json_string_length(input), &len);
    want = normalise(json_object_get(test, "output"));
    for (size_t i = 0; i < nstates; i++) {
        const char *name = states ? json_string_value(json_array_get(states, i)) : "Data state";
        mc_lex_start_t start;
        json_t *got, *got_norm;

        if (!name || !state_from_name(name, &start)) {
            c->skipped++;
            continue;
        }
        got = tokenise(text, len, start, last_tag);
        got_norm = normalise(got);
        c->run++;
        if (json_equal(want, got_norm))
            c->passed++;
        else
            report_failure(file, test, name, want, got_norm, shown);
        json_decref(got);
        json_decref(got_norm);
    }
    json_decref(want);
    free(text);
}

static void run_file(const char *dir, const char *file, counts_t *total, int *shown)
{
    char *path = apr_pstrcat(test_pool, dir, "/", file, NULL);
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    counts_t c = {0, 0, 0};
    const json_t *tests;
    size_t i;
    json_t *test;

    if (!root) {
        /* unicodeCharsProblematic.test holds lone surrogates, which jansson refuses */
        printf("html5lib %s: not loaded (%s), skipped\n", file, jerr.text);
        return;
    }
    tests = json_object_get(root, "tests");
    json_array_foreach (tests, i, test) {
        run_test(file, test, &c, shown);
    }
    printf("html5lib %-30s %4d run, %4d passed, %4d skipped\n", file, c.run, c.passed, c.skipped);
    total->run += c.run;
    total->passed += c.passed;
    total->skipped += c.skipped;
    json_decref(root);
}

static int is_test_file(const char *name)
{
    size_t n = strlen(name);

    return n > 5 && strcmp(name + n - 5, ".test") == 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

START_TEST(html5lib_tokenizer_cases_pass)
{
    DIR *d = opendir(HTML5LIB_DIR);
    apr_array_header_t *files = apr_array_make(test_pool, 16, sizeof(char *));
    counts_t total = {0, 0, 0};
    int shown = 0;
    struct dirent *e;

    if (!d) {
        printf("html5lib: %s not found: conformance cases skipped\n", HTML5LIB_DIR);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (is_test_file(e->d_name))
            APR_ARRAY_PUSH(files, char *) = apr_pstrdup(test_pool, e->d_name);
    }
    closedir(d);
    qsort(files->elts, (size_t)files->nelts, sizeof(char *), compare_names);
    for (int i = 0; i < files->nelts; i++)
        run_file(HTML5LIB_DIR, APR_ARRAY_IDX(files, i, char *), &total, &shown);
    printf("html5lib total: %d run, %d passed, %d skipped\n", total.run, total.passed,
           total.skipped);
    ck_assert_int_gt(total.run, 0);
    ck_assert_msg(total.passed == total.run, "%d of %d html5lib cases fail",
                  total.run - total.passed, total.run);
}
END_TEST

TCase *html5lib_tcase(void)
{
    TCase *tc = tcase_create("html5lib");

    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, html5lib_tokenizer_cases_pass);
    return tc;
}
