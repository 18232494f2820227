/* URL references in CSS (css.h), from a tokeniser that follows CSS Syntax
 * Level 3, section 4 ("Tokenization"), working on bytes: a byte >= 0x80 is
 * part of a non-ASCII code point, which the tokeniser treats like a letter
 * whatever its encoding, and a NUL is read as U+FFFD (the spec's
 * preprocessing), which is a letter too. CR LF counts as one newline.
 *
 * The tokeniser has no state between tokens, so a url token is a url token
 * wherever it is; the scanner on top of it only needs the nesting of blocks
 * (to tell the strings directly inside image-set() from those nested deeper)
 * and a little lookahead (the string after "url(", "src(" or "@import"). */
#include <stdint.h>
#include <string.h>

#include "ascii.h"
#include "css.h"

/* --- bytes ------------------------------------------------------------------------ */

/* A stream's window (mc_css_stream_feed) is not the whole sheet: reading
 * past its end sets *STARVED, and the token being read waits for more. */
typedef struct css_src {
    const unsigned char *s;
    size_t n;
    int final;    /* N is the end of the CSS */
    int *starved; /* set when a read went past N and N is not the end */
} css_src_t;

/* Whether I is past the input; every look at the end goes through here. */
static int at_end(const css_src_t *src, size_t i)
{
    if (i < src->n)
        return 0;
    if (!src->final)
        *src->starved = 1;
    return 1;
}

/* The byte at I, or -1 past the end: every lookahead goes through here. */
static int ch(const css_src_t *src, size_t i)
{
    return at_end(src, i) ? -1 : src->s[i];
}

static int is_newline(int c)
{
    return c == '\n' || c == '\r' || c == '\f';
}

static int is_ws(int c)
{
    return c == ' ' || c == '\t' || is_newline(c);
}

/* Length of the whitespace code point at I (CR LF is one), 0 for none. */
static size_t ws_len(const css_src_t *src, size_t i)
{
    int c = ch(src, i);

    if (c == '\r' && ch(src, i + 1) == '\n')
        return 2;
    return is_ws(c) ? 1 : 0;
}

/* A NUL is U+FFFD after preprocessing: non-ASCII, so a letter. */
static int is_ident_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80 || c == 0;
}

static int is_ident_char(int c)
{
    return is_ident_start(c) || mc_ascii_digit(c) || c == '-';
}

static int is_non_printable(int c)
{
    return (c >= 0x01 && c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F;
}

/* A backslash not followed by a newline (the end of input does not count). */
static int valid_escape(const css_src_t *src, size_t i)
{
    return ch(src, i) == '\\' && !is_newline(ch(src, i + 1));
}

/* Whether the three code points at I start an ident sequence. */
static int starts_ident(const css_src_t *src, size_t i)
{
    int c = ch(src, i);

    if (c == '-') {
        int d = ch(src, i + 1);
        return is_ident_start(d) || d == '-' || valid_escape(src, i + 1);
    }
    if (is_ident_start(c))
        return 1;
    return valid_escape(src, i);
}

static int starts_number(const css_src_t *src, size_t i)
{
    int c = ch(src, i);

    if (c == '+' || c == '-') {
        int d = ch(src, i + 1);
        return mc_ascii_digit(d) || (d == '.' && mc_ascii_digit(ch(src, i + 2)));
    }
    if (c == '.')
        return mc_ascii_digit(ch(src, i + 1));
    return mc_ascii_digit(c);
}

/* --- decoding into a bounded buffer ------------------------------------------------ */

typedef struct sink {
    char *buf;
    size_t cap, len;
    int full;
} sink_t;

static void put(sink_t *out, const char *p, size_t k)
{
    if (out->full || out->buf == NULL || k > out->cap - out->len) {
        out->full = 1;
        return;
    }
    memcpy(out->buf + out->len, p, k);
    out->len += k;
}

static void put_code_point(sink_t *out, uint32_t cp)
{
    char u[4];

    if (cp < 0x80) {
        u[0] = (char)cp;
        put(out, u, 1);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        put(out, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        put(out, u, 3);
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        put(out, u, 4);
    }
}

/* One byte of input as it reads after preprocessing. */
static void put_byte(sink_t *out, int c)
{
    char b = (char)c;

    if (c == 0)
        put_code_point(out, 0xFFFD);
    else
        put(out, &b, 1);
}

/* The escape whose backslash is at *I - 1 ("consume an escaped code
 * point"); *I moves past it. */
static void put_escape(sink_t *out, const css_src_t *src, size_t *i)
{
    size_t at = *i;
    uint32_t cp = 0;
    size_t k = 0;

    if (at_end(src, at)) {
        put_code_point(out, 0xFFFD);
        return;
    }
    if (mc_ascii_hex_value(ch(src, at)) < 0) {
        put_byte(out, ch(src, at));
        *i = at + 1;
        return;
    }
    while (k < 6 && mc_ascii_hex_value(ch(src, at)) >= 0) {
        cp = cp * 16 + (uint32_t)mc_ascii_hex_value(ch(src, at));
        at++;
        k++;
    }
    *i = at + ws_len(src, at);
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        cp = 0xFFFD;
    put_code_point(out, cp);
}

/* Past the escape whose backslash is at I - 1: decoded into nothing. */
static size_t skip_escape(const css_src_t *src, size_t i)
{
    sink_t discard = {NULL, 0, 0, 0};

    put_escape(&discard, src, &i);
    return i;
}

static size_t skip_ident(const css_src_t *src, size_t i)
{
    for (;;) {
        if (is_ident_char(ch(src, i)))
            i++;
        else if (valid_escape(src, i))
            i = skip_escape(src, i + 1);
        else
            return i;
    }
}

/* The name of an ident sequence at [A, B), decoded into OUT. */
static void put_name(sink_t *out, const css_src_t *src, size_t a, size_t b)
{
    while (a < b && !out->full) {
        if (ch(src, a) == '\\') {
            a++;
            put_escape(out, src, &a);
        } else {
            put_byte(out, ch(src, a));
            a++;
        }
    }
}

/* --- tokens ------------------------------------------------------------------------ */

typedef enum tok_type {
    T_EOF,
    T_WS,
    T_STRING,     /* a = after the opening quote, b = the closing one (or the end) */
    T_BAD_STRING, /* a newline inside: never a URL */
    T_URL,        /* a, b = the URL between the whitespace */
    T_BAD_URL,
    T_IDENT,    /* a, b = the name */
    T_FUNCTION, /* a, b = the name; end is past "(" */
    T_AT,       /* a, b = the name, after "@" */
    T_COLON,
    T_SEMICOLON,
    T_OPEN,  /* ( [ { */
    T_CLOSE, /* ) ] } */
    T_OTHER  /* hash, number, dimension, comma, CDO, CDC, delim */
} tok_type_t;

typedef struct tok {
    tok_type_t type;
    int bracket; /* the byte of T_OPEN and T_CLOSE */
    size_t start, end;
    size_t a, b;
} tok_t;

static tok_t make_tok(tok_type_t type, size_t start, size_t end)
{
    tok_t t;

    t.type = type;
    t.bracket = 0;
    t.start = start;
    t.end = end;
    t.a = start;
    t.b = end;
    return t;
}

static size_t skip_comments(const css_src_t *src, size_t i)
{
    while (ch(src, i) == '/' && ch(src, i + 1) == '*') {
        i += 2;
        while (!at_end(src, i) && !(ch(src, i) == '*' && ch(src, i + 1) == '/'))
            i++;
        i = i < src->n ? i + 2 : src->n;
    }
    return i;
}

static tok_t consume_string(const css_src_t *src, size_t start)
{
    int quote = ch(src, start);
    size_t i = start + 1;
    tok_t t = make_tok(T_STRING, start, src->n);

    t.a = i;
    while (!at_end(src, i)) {
        int c = ch(src, i);
        if (c == quote) {
            t.b = i;
            t.end = i + 1;
            return t;
        }
        if (is_newline(c)) { /* not consumed: it starts the next token */
            t.type = T_BAD_STRING;
            t.b = t.end = i;
            return t;
        }
        if (c == '\\') {
            if (at_end(src, i + 1))
                i++;
            else if (is_newline(ch(src, i + 1)))
                i += 1 + ws_len(src, i + 1);
            else
                i = skip_escape(src, i + 1);
        } else {
            i++;
        }
    }
    t.b = src->n;
    return t;
}

/* The rest of a bad url, up to and with its ")". */
static size_t skip_bad_url(const css_src_t *src, size_t i)
{
    while (!at_end(src, i)) {
        if (ch(src, i) == ')')
            return i + 1;
        if (valid_escape(src, i))
            i = skip_escape(src, i + 1);
        else
            i++;
    }
    return i;
}

/* A url token from I, just past "url(". */
static tok_t consume_url(const css_src_t *src, size_t start, size_t i)
{
    tok_t t = make_tok(T_URL, start, src->n);

    while (ws_len(src, i))
        i += ws_len(src, i);
    t.a = t.b = i;
    for (;;) {
        int c = ch(src, i);
        if (c < 0) {
            t.b = t.end = src->n;
            return t;
        }
        if (c == ')') {
            t.b = i;
            t.end = i + 1;
            return t;
        }
        if (is_ws(c)) {
            t.b = i;
            while (ws_len(src, i))
                i += ws_len(src, i);
            if (ch(src, i) < 0 || ch(src, i) == ')') {
                t.end = i < src->n ? i + 1 : i;
                return t;
            }
            break;
        }
        if (c == '"' || c == '\'' || c == '(' || is_non_printable(c))
            break;
        if (c == '\\') {
            if (!valid_escape(src, i))
                break;
            i = skip_escape(src, i + 1);
        } else {
            i++;
        }
    }
    t = make_tok(T_BAD_URL, start, skip_bad_url(src, i));
    return t;
}

static int name_equals(const char *name, size_t len, const char *lit)
{
    size_t k = strlen(lit);

    if (len != k)
        return 0;
    for (size_t i = 0; i < k; i++) {
        char c = name[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return 0;
    }
    return 1;
}

/* Room for the longest name this file compares with ("-webkit-image-set")
 * and one more byte, so a longer name never matches. */
#define NAME_MAX_LEN 24

typedef struct name_buf {
    char buf[NAME_MAX_LEN];
    size_t len;    /* of the decoded name, or of the part of it that fits */
    int truncated; /* the name is longer than BUF: none of ours */
} name_buf_t;

/* The decoded name of T (an ident, function or at-keyword). */
static name_buf_t tok_name(const css_src_t *src, const tok_t *t)
{
    name_buf_t nb;
    sink_t out = {nb.buf, sizeof(nb.buf), 0, 0};

    put_name(&out, src, t->a, t->b);
    nb.len = out.len;
    nb.truncated = out.full;
    return nb;
}

static int name_is(const name_buf_t *nb, const char *lit)
{
    return !nb->truncated && name_equals(nb->buf, nb->len, lit);
}

static int is_url_name(const css_src_t *src, size_t a, size_t b)
{
    tok_t t = make_tok(T_IDENT, a, b);
    name_buf_t nb = tok_name(src, &t);

    return name_is(&nb, "url");
}

/* "Consume an ident-like token" from START. */
static tok_t consume_ident_like(const css_src_t *src, size_t start)
{
    size_t i = skip_ident(src, start);
    tok_t t = make_tok(T_IDENT, start, i);

    if (ch(src, i) != '(')
        return t;
    t.type = T_FUNCTION;
    t.end = i + 1;
    if (!is_url_name(src, start, i))
        return t;
    /* url( followed by a quote, maybe after whitespace, is a function whose
     * argument is a string; otherwise it is a url token */
    i++;
    while (ws_len(src, i) && ws_len(src, i + ws_len(src, i)))
        i += ws_len(src, i);
    {
        int c = ch(src, i + ws_len(src, i));
        if (c == '"' || c == '\'')
            return t;
    }
    return consume_url(src, start, i);
}

static tok_t consume_numeric(const css_src_t *src, size_t start)
{
    size_t i = start;

    if (ch(src, i) == '+' || ch(src, i) == '-')
        i++;
    while (mc_ascii_digit(ch(src, i)))
        i++;
    if (ch(src, i) == '.' && mc_ascii_digit(ch(src, i + 1))) {
        i++;
        while (mc_ascii_digit(ch(src, i)))
            i++;
    }
    if (ch(src, i) == 'e' || ch(src, i) == 'E') {
        int d = ch(src, i + 1);
        if (mc_ascii_digit(d) || ((d == '+' || d == '-') && mc_ascii_digit(ch(src, i + 2)))) {
            i += 2;
            while (mc_ascii_digit(ch(src, i)))
                i++;
        }
    }
    if (starts_ident(src, i))
        i = skip_ident(src, i);
    else if (ch(src, i) == '%')
        i++;
    return make_tok(T_OTHER, start, i);
}

/* "Consume a token" at I; comments before it are skipped. */
static tok_t next_token(const css_src_t *src, size_t i)
{
    int c;
    tok_t t;

    i = skip_comments(src, i);
    c = ch(src, i);
    if (c < 0)
        return make_tok(T_EOF, src->n, src->n);
    if (is_ws(c)) {
        size_t j = i;
        while (ws_len(src, j))
            j += ws_len(src, j);
        return make_tok(T_WS, i, j);
    }
    switch (c) {
    case '"':
    case '\'': return consume_string(src, i);
    case '#':
        if (is_ident_char(ch(src, i + 1)) || valid_escape(src, i + 1))
            return make_tok(T_OTHER, i, skip_ident(src, i + 1));
        return make_tok(T_OTHER, i, i + 1);
    case '(':
    case '[':
    case '{':
        t = make_tok(T_OPEN, i, i + 1);
        t.bracket = c;
        return t;
    case ')':
    case ']':
    case '}':
        t = make_tok(T_CLOSE, i, i + 1);
        t.bracket = c;
        return t;
    case ':': return make_tok(T_COLON, i, i + 1);
    case ';': return make_tok(T_SEMICOLON, i, i + 1);
    case '+':
    case '.':
        if (starts_number(src, i))
            return consume_numeric(src, i);
        return make_tok(T_OTHER, i, i + 1);
    case '-':
        if (starts_number(src, i))
            return consume_numeric(src, i);
        if (ch(src, i + 1) == '-' && ch(src, i + 2) == '>')
            return make_tok(T_OTHER, i, i + 3); /* CDC */
        if (starts_ident(src, i))
            return consume_ident_like(src, i);
        return make_tok(T_OTHER, i, i + 1);
    case '<':
        if (ch(src, i + 1) == '!' && ch(src, i + 2) == '-' && ch(src, i + 3) == '-')
            return make_tok(T_OTHER, i, i + 4); /* CDO */
        return make_tok(T_OTHER, i, i + 1);
    case '@':
        if (starts_ident(src, i + 1)) {
            t = make_tok(T_AT, i, skip_ident(src, i + 1));
            t.a = i + 1;
            return t;
        }
        return make_tok(T_OTHER, i, i + 1);
    case '\\':
        if (valid_escape(src, i))
            return consume_ident_like(src, i);
        return make_tok(T_OTHER, i, i + 1);
    default: break;
    }
    if (mc_ascii_digit(c))
        return consume_numeric(src, i);
    if (is_ident_start(c))
        return consume_ident_like(src, i);
    return make_tok(T_OTHER, i, i + 1);
}

/* The next token that is not whitespace. */
static tok_t next_solid(const css_src_t *src, size_t i)
{
    tok_t t = next_token(src, i);

    while (t.type == T_WS)
        t = next_token(src, t.end);
    return t;
}

/* --- the scanner ------------------------------------------------------------------- */

/* What an open block is, two bits a level: its closer, and whether it is
 * an image-set() whose strings are URLs. */
enum { LEVEL_PAREN = 0, LEVEL_SQUARE = 1, LEVEL_CURLY = 2, LEVEL_IMAGE_SET = 3 };

typedef struct scanner {
    css_src_t src;
    sink_t scratch;
    mc_css_ref_fn *fn;
    void *baton;
    int stopped;
    int starved;        /* a token read past the window (src.starved) */
    mc_css_state_t *st; /* what lasts from token to token */
} scanner_t;

static size_t total_depth(const scanner_t *sc)
{
    return sc->st->depth + sc->st->overflow;
}

static int level_at(const scanner_t *sc, size_t d)
{
    return (sc->st->levels[d / 4] >> ((d % 4) * 2)) & 3;
}

static void push_level(scanner_t *sc, int level)
{
    if (sc->st->depth < MC_CSS_MAX_DEPTH && sc->st->overflow == 0) {
        size_t d = sc->st->depth++;
        sc->st->levels[d / 4] = (unsigned char)((sc->st->levels[d / 4] & ~(3u << ((d % 4) * 2))) |
                                            ((unsigned)level << ((d % 4) * 2)));
        return;
    }
    sc->st->overflow++;
    if (level == LEVEL_IMAGE_SET)
        sc->st->overflow_image_set = 1;
}

static void close_block(scanner_t *sc, int bracket)
{
    int level;

    if (sc->st->overflow > 0) {
        /* past the tracked depth any closer closes a level */
        if (--sc->st->overflow == 0)
            sc->st->overflow_image_set = 0;
    } else if (sc->st->depth > 0) {
        level = level_at(sc, sc->st->depth - 1);
        if ((bracket == ')' && (level == LEVEL_PAREN || level == LEVEL_IMAGE_SET)) ||
            (bracket == ']' && level == LEVEL_SQUARE) || (bracket == '}' && level == LEVEL_CURLY))
            sc->st->depth--;
        /* otherwise a stray closer, as the spec reads it: kept as a token */
    }
    if (sc->st->custom_depth > total_depth(sc) + 1)
        sc->st->custom_depth = 0;
}

static int in_image_set(const scanner_t *sc)
{
    if (sc->st->overflow > 0)
        return sc->st->overflow_image_set;
    return sc->st->depth > 0 && level_at(sc, sc->st->depth - 1) == LEVEL_IMAGE_SET;
}

/* Drops C0 controls and spaces at both ends and tab, LF and CR anywhere,
 * as a URL parser does before it reads a URL. */
static size_t url_clean(char *u, size_t len)
{
    size_t a = 0, b = len, k = 0;

    while (a < b && (unsigned char)u[a] <= 0x20)
        a++;
    while (b > a && (unsigned char)u[b - 1] <= 0x20)
        b--;
    for (size_t i = a; i < b; i++) {
        if (u[i] != '\t' && u[i] != '\n' && u[i] != '\r')
            u[k++] = u[i];
    }
    return k;
}

/* Whether the decoded URL U[0..LEN) (maybe only its beginning) is a data:
 * URL, read as url_clean leaves it: fetched from nowhere. */
static int is_data_url(const char *u, size_t len)
{
    static const char scheme[] = "data:";
    size_t i = 0, k = 0;

    if (u == NULL)
        return 0;
    while (i < len && (unsigned char)u[i] <= 0x20)
        i++;
    for (; i < len && k < sizeof(scheme) - 1; i++) {
        char c = u[i];

        if (c == '\t' || c == '\n' || c == '\r')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != scheme[k++])
            return 0;
    }
    return k == sizeof(scheme) - 1;
}

/* Decodes the value of T (a string or url token) into the scratch buffer. */
static void decode_value(scanner_t *sc, const tok_t *t)
{
    const css_src_t *src = &sc->src;
    sink_t *out = &sc->scratch;
    size_t i = t->a;

    out->len = 0;
    out->full = 0;
    while (i < t->b && !out->full) {
        int c = ch(src, i);
        if (c != '\\') {
            put_byte(out, c);
            i++;
        } else if (t->type == T_STRING && is_newline(ch(src, i + 1))) {
            i += 1 + ws_len(src, i + 1); /* a line continuation */
        } else if (t->type == T_STRING && at_end(src, i + 1)) {
            i++; /* a backslash at the very end of a string is dropped */
        } else {
            i++;
            put_escape(out, src, &i);
        }
    }
}

static void report(scanner_t *sc, mc_css_ref_kind_t kind, size_t start, size_t end,
                   const tok_t *value)
{
    mc_css_ref_t ref;

    if (sc->starved) /* the token waits for the next window */
        return;
    decode_value(sc, value);
    ref.kind = kind;
    ref.start = start;
    ref.end = end;
    ref.data = is_data_url(sc->scratch.buf, sc->scratch.len);
    put(&sc->scratch, "", 1); /* room for the terminator */
    if (sc->scratch.full) {
        ref.url = NULL;
        ref.url_len = 0;
    } else {
        ref.url = sc->scratch.buf;
        ref.url_len = url_clean(sc->scratch.buf, sc->scratch.len - 1);
        sc->scratch.buf[ref.url_len] = '\0';
    }
    if (sc->fn(sc->baton, &ref) != 0)
        sc->stopped = 1;
}

/* url( or src( at FN_TOK: reports it when its argument is a string and
 * returns where to go on. The reference takes in the ")" when only
 * whitespace stands between; otherwise the function stays an open block. */
static size_t string_function(scanner_t *sc, const tok_t *fn_tok, mc_css_ref_kind_t kind)
{
    tok_t arg = next_solid(&sc->src, fn_tok->end);
    tok_t after;

    if (arg.type != T_STRING) {
        push_level(sc, LEVEL_PAREN);
        return fn_tok->end;
    }
    after = next_solid(&sc->src, arg.end);
    if (after.type == T_CLOSE && after.bracket == ')') {
        report(sc, kind, fn_tok->start, after.end, &arg);
        return after.end;
    }
    push_level(sc, LEVEL_PAREN);
    report(sc, kind, fn_tok->start, arg.end, &arg);
    return arg.end;
}

/* A function token: url(), src(), image-set() or any other. */
static size_t on_function(scanner_t *sc, const tok_t *t, int after_import)
{
    name_buf_t nb = tok_name(&sc->src, t);

    if (name_is(&nb, "url"))
        return string_function(sc, t, after_import ? MC_CSS_IMPORT : MC_CSS_URL);
    if (name_is(&nb, "src"))
        return string_function(sc, t, after_import ? MC_CSS_IMPORT : MC_CSS_SRC);
    if (name_is(&nb, "image-set") || name_is(&nb, "-webkit-image-set") || name_is(&nb, "image"))
        push_level(sc, LEVEL_IMAGE_SET);
    else
        push_level(sc, LEVEL_PAREN);
    return t->end;
}

/* An ident: a custom property's name when a colon follows. */
static void on_ident(scanner_t *sc, const tok_t *t)
{
    name_buf_t nb;

    if (sc->st->custom_depth != 0 || next_solid(&sc->src, t->end).type != T_COLON)
        return;
    /* "--" may be written with escapes: look at the decoded name */
    nb = tok_name(&sc->src, t);
    if (nb.len >= 2 && nb.buf[0] == '-' && nb.buf[1] == '-')
        sc->st->custom_depth = total_depth(sc) + 1;
}

static void on_string(scanner_t *sc, const tok_t *t, int after_import)
{
    if (after_import)
        report(sc, MC_CSS_IMPORT, t->start, t->end, t);
    else if (in_image_set(sc))
        report(sc, MC_CSS_IMAGE_SET, t->start, t->end, t);
    else if (sc->st->custom_depth != 0)
        report(sc, MC_CSS_VAR_STRING, t->start, t->end, t);
}

/* The scalars of the state, which one token may change (it opens or closes
 * at most one level, whose bits lie past the depth before it). */
typedef struct marks {
    size_t depth, overflow, custom_depth;
    int overflow_image_set, after_import;
} marks_t;

static marks_t marks_of(const mc_css_state_t *st)
{
    marks_t m = {st->depth, st->overflow, st->custom_depth, st->overflow_image_set,
                 st->after_import};
    return m;
}

static void marks_restore(mc_css_state_t *st, const marks_t *m)
{
    st->depth = m->depth;
    st->overflow = m->overflow;
    st->custom_depth = m->custom_depth;
    st->overflow_image_set = m->overflow_image_set;
    st->after_import = m->after_import;
}

/* Reads tokens from POS until the input ends or the callback stops the
 * scan; returns where reading stopped. When the input is not final, a
 * token that reads past it is left unread, the state as before it, and
 * its start (or that of the comments before it) is returned. */
static size_t run(scanner_t *sc, size_t pos)
{
    while (!sc->stopped) {
        marks_t saved = marks_of(sc->st);
        size_t at = skip_comments(&sc->src, pos);
        tok_t t;
        int after_import = sc->st->after_import;

        if (sc->starved)
            return pos;
        t = next_token(&sc->src, at);
        if (sc->starved)
            return at;
        if (t.type == T_EOF)
            return t.end;
        pos = t.end;
        if (t.type == T_WS)
            continue;
        sc->st->after_import = 0;
        switch (t.type) {
        case T_URL:
            report(sc, after_import ? MC_CSS_IMPORT : MC_CSS_URL, t.start, t.end, &t);
            break;
        case T_STRING: on_string(sc, &t, after_import); break;
        case T_FUNCTION: pos = on_function(sc, &t, after_import); break;
        case T_AT: {
            name_buf_t nb = tok_name(&sc->src, &t);
            sc->st->after_import = name_is(&nb, "import");
            break;
        }
        case T_IDENT: on_ident(sc, &t); break;
        case T_OPEN:
            push_level(sc, t.bracket == '('   ? LEVEL_PAREN
                           : t.bracket == '[' ? LEVEL_SQUARE
                                              : LEVEL_CURLY);
            break;
        case T_CLOSE: close_block(sc, t.bracket); break;
        case T_SEMICOLON:
            if (sc->st->custom_depth == total_depth(sc) + 1)
                sc->st->custom_depth = 0;
            break;
        default: break;
        }
        if (sc->starved) {
            marks_restore(sc->st, &saved);
            return at;
        }
    }
    return pos;
}

static void scanner_init(scanner_t *sc, mc_css_state_t *st, const char *css, size_t n,
                         int final, char *scratch, size_t scratch_cap, mc_css_ref_fn *fn,
                         void *baton)
{
    memset(sc, 0, sizeof(*sc));
    sc->src.s = (const unsigned char *)css;
    sc->src.n = n;
    sc->src.final = final;
    sc->src.starved = &sc->starved;
    sc->scratch.buf = scratch;
    sc->scratch.cap = scratch == NULL ? 0 : scratch_cap;
    sc->fn = fn;
    sc->baton = baton;
    sc->st = st;
}

mc_status_t mc_css_scan(const char *css, size_t n, char *scratch, size_t scratch_cap,
                        mc_css_ref_fn *fn, void *baton)
{
    scanner_t sc;
    mc_css_state_t st;

    if ((css == NULL && n > 0) || fn == NULL)
        return MC_EINVAL;
    memset(&st, 0, sizeof(st));
    scanner_init(&sc, &st, css, n, 1, scratch, scratch_cap, fn, baton);
    run(&sc, 0);
    return MC_OK;
}

/* --- the neutralised copy ---------------------------------------------------------- */

typedef struct neutraliser {
    const char *css;
    mc_css_keep_fn *keep;
    void *baton;
    char *out; /* into OUT[0..CAP), or through WRITE when it is set */
    size_t cap, len;
    mc_css_write_fn *write;
    void *write_baton;
    size_t copied; /* CSS before this is written */
    mc_status_t status;
} neutraliser_t;

static int emit(neutraliser_t *nz, const char *p, size_t k)
{
    if (nz->write) {
        if (k > 0 && nz->write(nz->write_baton, p, k) != 0) {
            nz->status = MC_EIO;
            return -1;
        }
        return 0;
    }
    if (k > nz->cap - nz->len) {
        nz->status = MC_ELIMIT;
        return -1;
    }
    if (k > 0)
        memcpy(nz->out + nz->len, p, k);
    nz->len += k;
    return 0;
}

/* The inert stand-in for REF: the same kind of token, so what follows
 * tokenises as before; a function keeps its ")" only if it had one. */
static const char *inert(const char *css, const mc_css_ref_t *ref)
{
    int closed = css[ref->end - 1] == ')';
    int is_string = css[ref->start] == '"' || css[ref->start] == '\'';

    if (is_string)
        return "\"data:,\"";
    if (ref->kind == MC_CSS_SRC)
        return closed ? "src(\"data:,\")" : "src(\"data:,\"";
    return closed ? "url(\"data:,\")" : "url(\"data:,\"";
}

static int neutralise_ref(void *baton, const mc_css_ref_t *ref)
{
    neutraliser_t *nz = baton;
    const char *with;

    if (nz->keep(nz->baton, ref) != 0)
        return 0;
    with = inert(nz->css, ref);
    if (emit(nz, nz->css + nz->copied, ref->start - nz->copied) != 0 ||
        emit(nz, with, strlen(with)) != 0)
        return -1;
    nz->copied = ref->end;
    return 0;
}

mc_status_t mc_css_neutralise(const char *css, size_t n, char *scratch, size_t scratch_cap,
                              mc_css_keep_fn *keep, void *baton, char *out, size_t cap,
                              size_t *out_len)
{
    neutraliser_t nz;
    mc_status_t st;

    if (out_len != NULL)
        *out_len = 0;
    if ((css == NULL && n > 0) || keep == NULL || (out == NULL && cap > 0))
        return MC_EINVAL;
    memset(&nz, 0, sizeof(nz));
    nz.css = css;
    nz.keep = keep;
    nz.baton = baton;
    nz.out = out;
    nz.cap = cap;
    st = mc_css_scan(css, n, scratch, scratch_cap, neutralise_ref, &nz);
    if (st != MC_OK)
        return st;
    if (nz.status == MC_OK && n > nz.copied)
        emit(&nz, css + nz.copied, n - nz.copied);
    if (nz.status != MC_OK)
        return nz.status;
    if (out_len != NULL)
        *out_len = nz.len;
    return MC_OK;
}

const char *mc_css_ref_kind_str(mc_css_ref_kind_t kind)
{
    switch (kind) {
    case MC_CSS_URL: return "url";
    case MC_CSS_IMPORT: return "import";
    case MC_CSS_IMAGE_SET: return "image-set";
    case MC_CSS_SRC: return "src";
    case MC_CSS_VAR_STRING: return "var-string";
    }
    return "unknown";
}

/* --- the stream ------------------------------------------------------------------------ */

enum { SKIP_NONE = 0, SKIP_COMMENT, SKIP_URL, SKIP_STRING };

/* Where a skipped escape stands (mc_css_stream_t.escaped). */
enum { ESC_NONE = 0, ESC_BACKSLASH, ESC_HEX1, ESC_HEX6 = ESC_HEX1 + 5, ESC_CR };

void mc_css_stream_init(mc_css_stream_t *cs, char *window, size_t cap)
{
    memset(cs, 0, sizeof(*cs));
    cs->win = window;
    cs->cap = cap;
}

/* One byte C of a skipped string or url token, as escapes read it: returns
 * 1 when C is taken by an escape, 0 when it is the token's own. */
static int escape_step(mc_css_stream_t *cs, unsigned char c)
{
    int e = cs->escaped;

    cs->escaped = ESC_NONE;
    if (e == ESC_BACKSLASH) {
        if (mc_ascii_hex_value(c) >= 0)
            cs->escaped = ESC_HEX1;
        else if (c == '\r' && cs->skip == SKIP_STRING) /* a line continuation */
            cs->escaped = ESC_CR;
        else if (is_newline(c) && cs->skip != SKIP_STRING)
            return 0; /* no escape in a url: the newline is the token's */
        return 1;
    }
    if (e >= ESC_HEX1 && e <= ESC_HEX6) {
        if (mc_ascii_hex_value(c) >= 0 && e < ESC_HEX6) {
            cs->escaped = e + 1;
            return 1;
        }
        if (c == '\r')
            cs->escaped = ESC_CR;
        if (is_ws(c)) /* one whitespace ends the escape */
            return 1;
    } else if (e == ESC_CR && c == '\n') {
        return 1;
    }
    if (c == '\\') {
        cs->escaped = ESC_BACKSLASH;
        return 1;
    }
    return 0;
}

/* The window starts inside something long that fetches nothing: passes
 * over it from POS and returns where it ends, or where the window's bytes
 * run out (a comment keeps its last byte, which may begin its end). */
static size_t skip_step(mc_css_stream_t *cs, size_t pos, int last)
{
    const unsigned char *w = (const unsigned char *)cs->win;
    size_t n = cs->len;

    if (cs->skip == SKIP_COMMENT) {
        for (; pos + 1 < n; pos++) {
            if (w[pos] == '*' && w[pos + 1] == '/') {
                cs->skip = SKIP_NONE;
                return pos + 2;
            }
        }
        if (!last)
            return pos;
    } else {
        for (; pos < n; pos++) {
            if (escape_step(cs, w[pos]))
                continue;
            if (cs->skip == SKIP_URL && w[pos] == ')') {
                cs->skip = SKIP_NONE;
                return pos + 1;
            }
            if (cs->skip == SKIP_STRING && w[pos] == cs->quote) {
                cs->skip = SKIP_NONE;
                return pos + 1;
            }
            if (cs->skip == SKIP_STRING && is_newline(w[pos])) {
                cs->skip = SKIP_NONE; /* a bad string: the newline is not its */
                return pos;
            }
        }
        if (!last)
            return n;
    }
    cs->skip = SKIP_NONE;
    cs->escaped = ESC_NONE;
    return n;
}

/* Whether the URL that begins at I of the window is a data: URL, from its
 * first bytes decoded. */
static int window_data_url(const css_src_t *src, size_t i, int quote)
{
    char buf[32];
    sink_t out = {buf, sizeof(buf), 0, 0};

    while (!at_end(src, i) && !out.full && ch(src, i) != quote && ch(src, i) != ')') {
        if (ch(src, i) == '\\') {
            i++;
            put_escape(&out, src, &i);
        } else {
            put_byte(&out, ch(src, i));
            i++;
        }
    }
    return is_data_url(buf, out.len);
}

/* The full window's first token cannot end inside it. When it is a
 * comment, whitespace or a data: URL (not an @import's), writes nothing
 * yet but returns how many of its first bytes to write as they are, the
 * stream set to skip what follows; 0 when it is none of those. */
static size_t stall(mc_css_stream_t *cs, scanner_t *sc)
{
    const css_src_t *src = &sc->src;
    size_t i, j;
    tok_t t;
    name_buf_t nb;
    int c;

    if (ch(src, 0) == '/' && ch(src, 1) == '*') {
        cs->skip = SKIP_COMMENT;
        return 2;
    }
    if (is_ws(ch(src, 0)))
        return cs->len - 1; /* the last byte may be a CR before a LF */
    /* an imported data: sheet is judged by its text, which a window
     * cannot hold: the stream ends (the rest is held) */
    if (sc->st->after_import)
        return 0;
    i = skip_ident(src, 0);
    if (i == 0 || sc->starved || ch(src, i) != '(')
        return 0;
    t = make_tok(T_FUNCTION, 0, i);
    nb = tok_name(src, &t);
    j = i + 1;
    while (ws_len(src, j))
        j += ws_len(src, j);
    c = ch(src, j);
    if (sc->starved)
        return 0;
    if ((c == '"' || c == '\'') && (name_is(&nb, "url") || name_is(&nb, "src")) &&
        window_data_url(src, j + 1, c)) {
        /* as string_function reads it: the block stays open until ")" */
        push_level(sc, LEVEL_PAREN);
        sc->st->after_import = 0;
        cs->skip = SKIP_STRING;
        cs->quote = c;
        return j + 1;
    }
    if (c != '"' && c != '\'' && name_is(&nb, "url") && window_data_url(src, j, -1)) {
        sc->st->after_import = 0;
        cs->skip = SKIP_URL;
        return j;
    }
    return 0;
}

/* Writes what the window settles; returns how many of its bytes that is
 * (all of them when LAST). */
static size_t stream_window(mc_css_stream_t *cs, int last, neutraliser_t *nz, char *scratch,
                            size_t scratch_cap)
{
    size_t pos = 0;
    scanner_t sc;

    nz->css = cs->win;
    for (;;) {
        size_t at;

        if (cs->skip != SKIP_NONE) {
            at = skip_step(cs, pos, last);
            if (emit(nz, cs->win + pos, at - pos) != 0 || cs->skip != SKIP_NONE)
                return at;
            pos = at;
        }
        scanner_init(&sc, &cs->state, cs->win, cs->len, last, scratch, scratch_cap,
                     neutralise_ref, nz);
        nz->copied = pos;
        at = run(&sc, pos);
        if (nz->status != MC_OK || emit(nz, cs->win + nz->copied, at - nz->copied) != 0)
            return at;
        if (last || at > 0)
            return at;
        /* nothing settles in a full window */
        scanner_init(&sc, &cs->state, cs->win, cs->len, 0, NULL, 0, neutralise_ref, nz);
        at = stall(cs, &sc);
        if (at == 0) {
            cs->skip = SKIP_NONE;
            cs->failed = 1;
            return 0;
        }
        if (emit(nz, cs->win, at) != 0)
            return at;
        pos = at;
    }
}

mc_status_t mc_css_stream_feed(mc_css_stream_t *cs, const char *css, size_t n, int final,
                               char *scratch, size_t scratch_cap, mc_css_keep_fn *keep,
                               void *keep_baton, mc_css_write_fn *write, void *write_baton,
                               size_t *taken)
{
    neutraliser_t nz;
    size_t in = 0;

    *taken = 0;
    if (cs == NULL || (css == NULL && n > 0) || keep == NULL || write == NULL || cs->cap < 64)
        return MC_EINVAL;
    if (cs->failed)
        return MC_ELIMIT;
    memset(&nz, 0, sizeof(nz));
    nz.keep = keep;
    nz.baton = keep_baton;
    nz.write = write;
    nz.write_baton = write_baton;
    for (;;) {
        size_t k = cs->cap - cs->len < n - in ? cs->cap - cs->len : n - in;
        int last = final && in + k == n;
        size_t done;

        if (k > 0)
            memcpy(cs->win + cs->len, css + in, k);
        cs->len += k;
        in += k;
        if (cs->len < cs->cap && !last)
            return MC_OK; /* the window waits to be full */
        done = stream_window(cs, last, &nz, scratch, scratch_cap);
        if (nz.status != MC_OK)
            return nz.status;
        if (cs->failed) {
            *taken = in;
            return MC_ELIMIT;
        }
        memmove(cs->win, cs->win + done, cs->len - done);
        cs->len -= done;
        if (last)
            return MC_OK;
    }
}
