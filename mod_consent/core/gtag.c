/* Google tags by their ids (see gtag.h). */
#include "gtag.h"

#include <string.h>

#include "ascii.h"
#include "url.h"

/* An id, a query parameter's name or value, decoded: ids are short. */
#define GTAG_PART_MAX 128
/* A string literal's decoded value; a longer one is cut and marked. */
#define GTAG_LITERAL_MAX 1024

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int alnum(int c)
{
    return mc_ascii_digit(c) || mc_ascii_alpha(c);
}

static int digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!mc_ascii_digit((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

static int alnums(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!alnum((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

/* Length of the prefix P (lower case) when S[0..N) starts with it in any
 * case, else 0. */
static size_t starts_ci(const char *s, size_t n, const char *p)
{
    size_t i;

    for (i = 0; p[i]; i++) {
        if (i >= n || lower((unsigned char)s[i]) != p[i])
            return 0;
    }
    return i;
}

static int contains_ci(const char *s, size_t n, const char *needle)
{
    for (size_t i = 0; i < n; i++) {
        if (starts_ci(s + i, n - i, needle))
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ ids -- */

/* "123" or "123/label...": an Ads or Floodlight id, with send_to's label. */
static int ads_number(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    size_t num = slash ? (size_t)(slash - s) : n;

    if (!digits(s, num))
        return 0;
    if (!slash)
        return 1;
    if (num + 1 == n)
        return 0;
    for (size_t i = num + 1; i < n; i++) {
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '"' ||
            s[i] == '\'' || s[i] == '`')
            return 0;
    }
    return 1;
}

unsigned mc_gtag_id_kind(const char *s, size_t n)
{
    size_t k;

    if (!s)
        return 0;
    if ((k = starts_ci(s, n, "gtm-")) != 0 || (k = starts_ci(s, n, "gt-")) != 0)
        return alnums(s + k, n - k) ? MC_GTAG_CONTAINER : 0;
    if ((k = starts_ci(s, n, "g-")) != 0)
        return alnums(s + k, n - k) ? MC_GTAG_STATS : 0;
    if ((k = starts_ci(s, n, "aw-")) != 0 || (k = starts_ci(s, n, "dc-")) != 0)
        return ads_number(s + k, n - k) ? MC_GTAG_ADS : 0;
    if ((k = starts_ci(s, n, "ua-")) != 0) {
        const char *dash = memchr(s + k, '-', n - k);

        if (dash && digits(s + k, (size_t)(dash - s) - k) &&
            digits(dash + 1, n - (size_t)(dash + 1 - s)))
            return MC_GTAG_STATS;
    }
    return 0;
}

/* ---------------------------------------------------------------- query -- */

/* Percent-decodes S[0..N) into OUT; (size_t)-1 when it does not fit. A '%'
 * not followed by two hex digits stays, as a browser leaves it. */
static size_t pct_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];

        if (c == '%' && i + 2 < n) {
            int hi = mc_ascii_hex_value((unsigned char)s[i + 1]);
            int lo = mc_ascii_hex_value((unsigned char)s[i + 2]);

            if (hi >= 0 && lo >= 0) {
                c = hi * 16 + lo;
                i += 2;
            }
        }
        if (o >= cap)
            return (size_t)-1;
        out[o++] = (char)c;
    }
    return o;
}

/* The ids of the id= parameters of query Q[0..N) (after the '?', up to
 * the end or a '#'). A parameter named "id" in any case and spelling whose
 * value is not an id, or empty (a snippet that adds the id with '+'), is
 * unknown. */
static unsigned query_ids(const char *q, size_t n)
{
    unsigned ids = 0;
    const char *hash = memchr(q, '#', n);
    const char *end = hash ? hash : q + n;

    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(q, '=', (size_t)(stop - q));
        char name[GTAG_PART_MAX], value[GTAG_PART_MAX];
        size_t nlen = pct_decode(q, (size_t)((eq ? eq : stop) - q), name, sizeof(name));

        if (eq && nlen == 2 && lower((unsigned char)name[0]) == 'i' &&
            lower((unsigned char)name[1]) == 'd') {
            size_t vlen = pct_decode(eq + 1, (size_t)(stop - eq - 1), value, sizeof(value));
            unsigned kind = vlen == (size_t)-1 ? 0 : mc_gtag_id_kind(value, vlen);

            ids |= kind ? kind : MC_GTAG_UNKNOWN;
        }
        q = amp ? amp + 1 : end;
    }
    return ids;
}

/* googletagmanager.com or a subdomain (the host is normalised). */
static int loader_host(const char *host, size_t n)
{
    static const char name[] = "googletagmanager.com";
    size_t k = sizeof(name) - 1;

    return n >= k && memcmp(host + n - k, name, k) == 0 && (n == k || host[n - k - 1] == '.');
}

unsigned mc_gtag_ids_url(const char *url, size_t len)
{
    mc_url_norm_t u;
    const char *path, *q;
    unsigned ids = 0;

    if (!url || !mc_url_normalise(url, len, &u))
        return 0;
    path = u.text + u.host_len;
    q = memchr(path, '?', u.len - u.host_len);
    /* only Google's tag loader takes the id as what to do; elsewhere (an
     * Ads conversion URL) an id= means nothing here */
    if (q && loader_host(u.text, u.host_len) && starts_ci(path, u.len - u.host_len, "/gtag/"))
        ids = query_ids(q + 1, (size_t)(u.text + u.len - q - 1));
    mc_url_release(&u);
    return ids;
}

/* -------------------------------------------------------------- scripts -- */

/* A marketing id anywhere in BODY, comments and all: "AW-1", "dc%2D1",
 * "GTM-X", "gt-x", not inside a longer word. What the tokenizer below
 * misreads can then only make the tag wait for more consent, never less. */
static unsigned raw_marketing(const char *b, size_t n)
{
    static const struct {
        const char *prefix;
        unsigned kind;
        int digit; /* the id goes on with a digit, else any letter or digit */
    } forms[] = {{"aw", MC_GTAG_ADS, 1},
                 {"dc", MC_GTAG_ADS, 1},
                 {"gtm", MC_GTAG_CONTAINER, 0},
                 {"gt", MC_GTAG_CONTAINER, 0}};
    unsigned ids = 0;

    for (size_t i = 0; i < n; i++) {
        int before = i > 0 ? (unsigned char)b[i - 1] : ' ';

        if (alnum(before) || before == '_' || before == '$' || before == '-' || before == '.')
            continue;
        for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
            size_t k = starts_ci(b + i, n - i, forms[f].prefix), sep;
            int next;

            if (k == 0)
                continue;
            if (i + k < n && b[i + k] == '-')
                sep = 1;
            else if (starts_ci(b + i + k, n - i - k, "%2d"))
                sep = 3;
            else
                continue;
            if (i + k + sep >= n)
                continue;
            next = (unsigned char)b[i + k + sep];
            if (forms[f].digit ? mc_ascii_digit(next) : alnum(next))
                ids |= forms[f].kind;
        }
    }
    return ids;
}

typedef enum tok_type { T_END, T_STR, T_NAME, T_PUNCT } tok_type_t;

typedef struct tok {
    tok_type_t type;
    int punct;       /* T_PUNCT: the character */
    const char *s;   /* T_NAME: the name */
    size_t n;
    char val[GTAG_LITERAL_MAX]; /* T_STR: the decoded value */
    size_t vlen;
    int partial; /* T_STR: a template with ${...}, or cut at GTAG_LITERAL_MAX */
} tok_t;

typedef struct lexer {
    const char *p, *end;
    int regex_ok; /* a '/' here starts a regular expression literal */
} lexer_t;

static int space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int name_char(int c)
{
    return alnum(c) || c == '_' || c == '$';
}

static void skip_blank(lexer_t *lx)
{
    while (lx->p < lx->end) {
        size_t left = (size_t)(lx->end - lx->p);

        if (space((unsigned char)*lx->p)) {
            lx->p++;
        } else if (left >= 2 && lx->p[0] == '/' && lx->p[1] == '/') {
            const char *nl = memchr(lx->p, '\n', left);

            lx->p = nl ? nl : lx->end;
        } else if (left >= 2 && lx->p[0] == '/' && lx->p[1] == '*') {
            const char *c = lx->p + 2;

            while (c + 1 < lx->end && !(c[0] == '*' && c[1] == '/'))
                c++;
            lx->p = c + 1 < lx->end ? c + 2 : lx->end;
        } else if (left >= 4 && memcmp(lx->p, "<!--", 4) == 0) {
            /* an HTML-like comment, a line comment in script */
            const char *nl = memchr(lx->p, '\n', left);

            lx->p = nl ? nl : lx->end;
        } else {
            break;
        }
    }
}

static void put(tok_t *t, int c)
{
    if (t->vlen < sizeof(t->val))
        t->val[t->vlen++] = (char)c;
    else
        t->partial = 1;
}

/* The value of N hex digits at P (all present), or -1. */
static long hex_at(const char *p, const char *end, size_t n)
{
    long v = 0;

    if ((size_t)(end - p) < n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int h = mc_ascii_hex_value((unsigned char)p[i]);

        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* After a backslash in a string: appends what the escape means (a code
 * point past ASCII as '?', which no id contains) and returns where the
 * escape ends. */
static const char *escape(tok_t *t, const char *p, const char *end)
{
    long v = -1;

    if (p >= end)
        return p;
    switch (*p) {
    case '\n': return p + 1; /* a line continuation */
    case '\r': return p + 1 < end && p[1] == '\n' ? p + 2 : p + 1;
    case 'x':
        v = hex_at(p + 1, end, 2);
        if (v >= 0) {
            put(t, (int)v);
            return p + 3;
        }
        break;
    case 'u':
        if (p + 1 < end && p[1] == '{') {
            const char *close = memchr(p + 2, '}', (size_t)(end - p - 2));

            if (close && close - p - 2 >= 1 && close - p - 2 <= 6)
                v = hex_at(p + 2, close, (size_t)(close - p - 2));
            if (v >= 0) {
                put(t, v < 0x80 ? (int)v : '?');
                return close + 1;
            }
        } else if ((v = hex_at(p + 1, end, 4)) >= 0) {
            put(t, v < 0x80 ? (int)v : '?');
            return p + 5;
        }
        break;
    case 'n': put(t, '\n'); return p + 1;
    case 'r': put(t, '\r'); return p + 1;
    case 't': put(t, '\t'); return p + 1;
    case 'b': put(t, '\b'); return p + 1;
    case 'f': put(t, '\f'); return p + 1;
    case 'v': put(t, '\v'); return p + 1;
    case '0': put(t, '\0'); return p + 1; /* NUL: no id holds one */
    default: break;
    }
    put(t, (unsigned char)*p < 0x80 ? *p : '?');
    return p + 1;
}

static void lex_string(lexer_t *lx, tok_t *t)
{
    int quote = (unsigned char)*lx->p++;

    t->type = T_STR;
    while (lx->p < lx->end && *lx->p != quote) {
        int c = (unsigned char)*lx->p;

        if (c == '\\') {
            lx->p = escape(t, lx->p + 1, lx->end);
        } else {
            if (quote == '`' && c == '$' && lx->p + 1 < lx->end && lx->p[1] == '{')
                t->partial = 1;
            put(t, c < 0x80 ? c : '?');
            lx->p++;
        }
    }
    if (lx->p < lx->end)
        lx->p++;
}

/* A regular expression literal: skipped, so that a quote inside it does not
 * start a string. */
static void lex_regex(lexer_t *lx)
{
    int in_class = 0;

    lx->p++;
    while (lx->p < lx->end && *lx->p != '\n') {
        int c = (unsigned char)*lx->p++;

        if (c == '\\' && lx->p < lx->end)
            lx->p++;
        else if (c == '[')
            in_class = 1;
        else if (c == ']')
            in_class = 0;
        else if (c == '/' && !in_class)
            break;
    }
    while (lx->p < lx->end && name_char((unsigned char)*lx->p))
        lx->p++;
}

static int regex_keyword(const char *s, size_t n)
{
    static const char *const words[] = {"return", "typeof", "case",  "in",    "of",
                                        "delete", "void",   "throw", "new",   "else",
                                        "do",     "yield",  "await", "instanceof"};

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
            return 1;
    }
    return 0;
}

static void lex_next(lexer_t *lx, tok_t *t)
{
    t->vlen = 0;
    t->partial = 0;
    t->punct = 0;
    for (;;) {
        skip_blank(lx);
        if (lx->p >= lx->end) {
            t->type = T_END;
            return;
        }
        if (*lx->p == '/' && lx->regex_ok) {
            lex_regex(lx);
            lx->regex_ok = 0;
            continue;
        }
        break;
    }
    if (*lx->p == '\'' || *lx->p == '"' || *lx->p == '`') {
        lex_string(lx, t);
        lx->regex_ok = 0;
    } else if (name_char((unsigned char)*lx->p)) {
        t->type = T_NAME;
        t->s = lx->p;
        while (lx->p < lx->end && name_char((unsigned char)*lx->p))
            lx->p++;
        t->n = (size_t)(lx->p - t->s);
        /* after these keywords a '/' starts a regex; other names end an operand */
        lx->regex_ok = regex_keyword(t->s, t->n);
    } else {
        t->type = T_PUNCT;
        t->punct = (unsigned char)*lx->p++;
        lx->regex_ok = t->punct != ')' && t->punct != ']' && t->punct != '}';
    }
}

static int is_punct(const tok_t *t, int c)
{
    return t->type == T_PUNCT && t->punct == c;
}

static int is_name(const tok_t *t, const char *name)
{
    return t->type == T_NAME && t->n == strlen(name) && memcmp(t->s, name, t->n) == 0;
}

static int is_str(const tok_t *t, const char *s)
{
    return t->type == T_STR && !t->partial && t->vlen == strlen(s) && memcmp(t->val, s, t->vlen) == 0;
}

/* The ids a string literal spells: the whole of it an id, or a gtag.js URL
 * with id= parameters. */
static unsigned literal_ids(const tok_t *t)
{
    const char *q;
    unsigned kind = t->partial ? 0 : mc_gtag_id_kind(t->val, t->vlen);

    if (kind)
        return kind;
    if (!contains_ci(t->val, t->vlen, "googletagmanager") &&
        !contains_ci(t->val, t->vlen, "gtag/js"))
        return 0;
    q = memchr(t->val, '?', t->vlen);
    if (t->partial)
        return q || contains_ci(t->val, t->vlen, "gtag/js") ? MC_GTAG_UNKNOWN : 0;
    return q ? query_ids(q + 1, (size_t)(t->val + t->vlen - q - 1)) : 0;
}

/* An id argument: one plain string literal that is an id, then ',', ')',
 * ']' or '}' (in *SEP). Anything else is an id that cannot be read here. */
static unsigned id_value(lexer_t *p, int *sep)
{
    tok_t v, after;
    unsigned kind;

    *sep = 0;
    lex_next(p, &v);
    if (v.type != T_STR || v.partial)
        return MC_GTAG_UNKNOWN;
    kind = mc_gtag_id_kind(v.val, v.vlen);
    lex_next(p, &after);
    if (after.type == T_PUNCT)
        *sep = after.punct;
    if (*sep != ',' && *sep != ')' && *sep != ']' && *sep != '}')
        return MC_GTAG_UNKNOWN;
    return kind ? kind : MC_GTAG_UNKNOWN;
}

/* The arguments of a gtag command, after "gtag(" or "push([": 'config'
 * and 'get' name an id second. A command that is not a plain literal
 * could be any of them. */
static unsigned command_args(lexer_t *p)
{
    tok_t cmd, sep;
    int after;

    lex_next(p, &cmd);
    if (is_punct(&cmd, ')') || is_punct(&cmd, ']'))
        return 0;
    if (cmd.type != T_STR || cmd.partial)
        return MC_GTAG_UNKNOWN;
    lex_next(p, &sep);
    if (!is_punct(&sep, ',') && !is_punct(&sep, ')') && !is_punct(&sep, ']'))
        return MC_GTAG_UNKNOWN;
    if (!is_str(&cmd, "config") && !is_str(&cmd, "get"))
        return 0;
    return is_punct(&sep, ',') ? id_value(p, &after) : MC_GTAG_UNKNOWN;
}

/* After the name gtag: a call, or a use that could be one. */
static unsigned gtag_use(const lexer_t *lx)
{
    lexer_t p = *lx;
    tok_t t;

    lex_next(&p, &t);
    if (is_punct(&t, '('))
        return command_args(&p);
    /* gtag.apply(...), gtag.call(...), gtag['call'](...) */
    if (is_punct(&t, '.') || is_punct(&t, '['))
        return MC_GTAG_UNKNOWN;
    return 0;
}

/* After ".push": gtag's own push(arguments), a Tag Manager event object,
 * or an array that is a gtag command. */
static unsigned push_use(const lexer_t *lx)
{
    lexer_t p = *lx;
    tok_t t;

    lex_next(&p, &t);
    if (!is_punct(&t, '('))
        return 0;
    lex_next(&p, &t);
    if (is_punct(&t, '['))
        return command_args(&p);
    if (is_punct(&t, '{') || is_punct(&t, ')') || is_name(&t, "arguments"))
        return 0;
    return MC_GTAG_UNKNOWN;
}

/* After send_to: ':' (or '=') and an id or a list of ids. */
static unsigned send_to(const lexer_t *lx)
{
    lexer_t p = *lx, look;
    tok_t t;
    unsigned ids = 0;
    int sep = ',';

    lex_next(&p, &t);
    if (!is_punct(&t, ':') && !is_punct(&t, '='))
        return 0;
    look = p;
    lex_next(&look, &t);
    if (!is_punct(&t, '['))
        return id_value(&p, &sep);
    p = look;
    while (sep == ',' && !(ids & MC_GTAG_UNKNOWN))
        ids |= id_value(&p, &sep);
    return sep == ']' ? ids : ids | MC_GTAG_UNKNOWN;
}

unsigned mc_gtag_ids_inline(const char *body, size_t len)
{
    lexer_t lx;
    tok_t t;
    unsigned ids;
    int after_dot = 0, after_function = 0;

    if (!body)
        return 0;
    lx.p = body;
    lx.end = body + len;
    lx.regex_ok = 1;
    ids = raw_marketing(body, len);
    /* Ads' older conversion snippet names its host or variables, not an id */
    if (contains_ci(body, len, "google_conversion_") || contains_ci(body, len, "googleadservices") ||
        contains_ci(body, len, "doubleclick.net"))
        ids |= MC_GTAG_ADS;
    for (lex_next(&lx, &t); t.type != T_END; lex_next(&lx, &t)) {
        if (t.type == T_STR)
            ids |= literal_ids(&t);
        if (is_name(&t, "gtag") && !after_function)
            ids |= gtag_use(&lx);
        else if (is_name(&t, "push") && after_dot)
            ids |= push_use(&lx);
        else if (is_name(&t, "send_to") || is_str(&t, "send_to"))
            ids |= send_to(&lx);
        after_dot = is_punct(&t, '.');
        after_function = is_name(&t, "function");
    }
    return ids;
}

/* ------------------------------------------------------------- decision -- */

const char *mc_gtag_category(unsigned ids, int consent_mode)
{
    if (ids == 0 || (ids & MC_GTAG_UNKNOWN))
        return NULL;
    if (consent_mode && (ids & MC_GTAG_STATS))
        return "statistics";
    if (ids & (MC_GTAG_ADS | MC_GTAG_CONTAINER))
        return "marketing";
    return "statistics";
}

const char *mc_gtag_classify(mc_rule_kind_t kind, const char *subject, size_t len,
                             int consent_mode)
{
    unsigned ids = 0;

    if (kind == MC_RULE_URL)
        ids = mc_gtag_ids_url(subject, len);
    else if (kind == MC_RULE_INLINE)
        ids = mc_gtag_ids_inline(subject, len);
    return mc_gtag_category(ids, consent_mode);
}
