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

typedef struct css_src {
    const unsigned char *s;
    size_t n;
} css_src_t;

/* The byte at I, or -1 past the end: every lookahead goes through here. */
static int ch(const css_src_t *src, size_t i)
{
    return i < src->n ? src->s[i] : -1;
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

    if (at >= src->n) {
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
        while (i < src->n && !(ch(src, i) == '*' && ch(src, i + 1) == '/'))
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
    while (i < src->n) {
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
            if (i + 1 >= src->n)
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
    while (i < src->n) {
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
    unsigned char levels[MC_CSS_MAX_DEPTH / 4];
    size_t depth;           /* levels held in LEVELS */
    size_t overflow;        /* levels beyond those, whose closers are not known */
    int overflow_image_set; /* an image-set() opened among those */
    int after_import;       /* the last solid token was "@import" */
    size_t custom_depth;    /* 1 + the depth of the custom property being read, or 0 */
} scanner_t;

static size_t total_depth(const scanner_t *sc)
{
    return sc->depth + sc->overflow;
}

static int level_at(const scanner_t *sc, size_t d)
{
    return (sc->levels[d / 4] >> ((d % 4) * 2)) & 3;
}

static void push_level(scanner_t *sc, int level)
{
    if (sc->depth < MC_CSS_MAX_DEPTH && sc->overflow == 0) {
        size_t d = sc->depth++;
        sc->levels[d / 4] = (unsigned char)((sc->levels[d / 4] & ~(3u << ((d % 4) * 2))) |
                                            ((unsigned)level << ((d % 4) * 2)));
        return;
    }
    sc->overflow++;
    if (level == LEVEL_IMAGE_SET)
        sc->overflow_image_set = 1;
}

static void close_block(scanner_t *sc, int bracket)
{
    int level;

    if (sc->overflow > 0) {
        /* past the tracked depth any closer closes a level */
        if (--sc->overflow == 0)
            sc->overflow_image_set = 0;
    } else if (sc->depth > 0) {
        level = level_at(sc, sc->depth - 1);
        if ((bracket == ')' && (level == LEVEL_PAREN || level == LEVEL_IMAGE_SET)) ||
            (bracket == ']' && level == LEVEL_SQUARE) || (bracket == '}' && level == LEVEL_CURLY))
            sc->depth--;
        /* otherwise a stray closer, as the spec reads it: kept as a token */
    }
    if (sc->custom_depth > total_depth(sc) + 1)
        sc->custom_depth = 0;
}

static int in_image_set(const scanner_t *sc)
{
    if (sc->overflow > 0)
        return sc->overflow_image_set;
    return sc->depth > 0 && level_at(sc, sc->depth - 1) == LEVEL_IMAGE_SET;
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
        } else if (t->type == T_STRING && i + 1 >= src->n) {
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

    decode_value(sc, value);
    ref.kind = kind;
    ref.start = start;
    ref.end = end;
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

    if (sc->custom_depth != 0 || next_solid(&sc->src, t->end).type != T_COLON)
        return;
    /* "--" may be written with escapes: look at the decoded name */
    nb = tok_name(&sc->src, t);
    if (nb.len >= 2 && nb.buf[0] == '-' && nb.buf[1] == '-')
        sc->custom_depth = total_depth(sc) + 1;
}

static void on_string(scanner_t *sc, const tok_t *t, int after_import)
{
    if (after_import)
        report(sc, MC_CSS_IMPORT, t->start, t->end, t);
    else if (in_image_set(sc))
        report(sc, MC_CSS_IMAGE_SET, t->start, t->end, t);
    else if (sc->custom_depth != 0)
        report(sc, MC_CSS_VAR_STRING, t->start, t->end, t);
}

mc_status_t mc_css_scan(const char *css, size_t n, char *scratch, size_t scratch_cap,
                        mc_css_ref_fn *fn, void *baton)
{
    scanner_t sc;
    size_t pos = 0;

    if ((css == NULL && n > 0) || fn == NULL)
        return MC_EINVAL;
    memset(&sc, 0, sizeof(sc));
    sc.src.s = (const unsigned char *)css;
    sc.src.n = n;
    sc.scratch.buf = scratch;
    sc.scratch.cap = scratch == NULL ? 0 : scratch_cap;
    sc.fn = fn;
    sc.baton = baton;

    while (!sc.stopped) {
        tok_t t = next_token(&sc.src, pos);
        int after_import = sc.after_import;

        if (t.type == T_EOF)
            break;
        pos = t.end;
        if (t.type == T_WS)
            continue;
        sc.after_import = 0;
        switch (t.type) {
        case T_URL:
            report(&sc, after_import ? MC_CSS_IMPORT : MC_CSS_URL, t.start, t.end, &t);
            break;
        case T_STRING: on_string(&sc, &t, after_import); break;
        case T_FUNCTION: pos = on_function(&sc, &t, after_import); break;
        case T_AT: {
            name_buf_t nb = tok_name(&sc.src, &t);
            sc.after_import = name_is(&nb, "import");
            break;
        }
        case T_IDENT: on_ident(&sc, &t); break;
        case T_OPEN:
            push_level(&sc, t.bracket == '('   ? LEVEL_PAREN
                            : t.bracket == '[' ? LEVEL_SQUARE
                                               : LEVEL_CURLY);
            break;
        case T_CLOSE: close_block(&sc, t.bracket); break;
        case T_SEMICOLON:
            if (sc.custom_depth == total_depth(&sc) + 1)
                sc.custom_depth = 0;
            break;
        default: break;
        }
    }
    return MC_OK;
}

/* --- the neutralised copy ---------------------------------------------------------- */

typedef struct neutraliser {
    const char *css;
    mc_css_keep_fn *keep;
    void *baton;
    char *out;
    size_t cap, len;
    size_t copied; /* CSS before this is written */
    mc_status_t status;
} neutraliser_t;

static int emit(neutraliser_t *nz, const char *p, size_t k)
{
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
