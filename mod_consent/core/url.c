/* URLs as a browser reads them: the WHATWG URL standard's parser, as far as
 * it decides which host and which path a browser fetches for an http(s) or
 * ws(s) URL. See url.h for the normal form. */
#include "url.h"

#include <idn2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "status.h"

/* Inputs holding a tab or newline are copied without them; up to this size
 * on the stack. */
#define CLEAN_STACK_MAX 1024
/* Hosts up to this size are decoded on the stack. */
#define HOST_STACK_MAX 256

/* ------------------------------------------------------------ characters -- */

static int is_slash(char c)
{
    return c == '/' || c == '\\';
}

/* The URL parser drops these from anywhere in the input. */
static int url_ignored(char c)
{
    return c == '\t' || c == '\n' || c == '\r';
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int ascii_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* RFC 3986's unreserved characters: an escape of one of them names the
 * same resource as the character itself. */
static int unreserved(unsigned char c)
{
    return ascii_alpha((char)c) || mc_ascii_digit((char)c) || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

/* --------------------------------------------------------------- writing -- */

/* A bounded output: past CAP it only records that it is full. */
typedef struct wbuf {
    char *p;
    size_t cap;
    size_t len;
    int full;
} wbuf_t;

static void wbuf_put(wbuf_t *w, const char *s, size_t n)
{
    if (w->full || n > w->cap - w->len) {
        w->full = 1;
        return;
    }
    if (n > 0)
        memcpy(w->p + w->len, s, n);
    w->len += n;
}

static void wbuf_putc(wbuf_t *w, char c)
{
    wbuf_put(w, &c, 1);
}

static void wbuf_put_escape(wbuf_t *w, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    char e[3] = {'%', hex[c >> 4], hex[c & 15]};

    wbuf_put(w, e, sizeof(e));
}

/* ----------------------------------------------------------------- input -- */

/* A URL as the parser reads it: C0 controls and spaces trimmed from both
 * ends, tab and newline removed from anywhere ("ht\ntps://" is https). */
typedef struct url_text {
    const char *s;
    size_t n;
    char *heap;
} url_text_t;

static int url_text_init(url_text_t *t, const char *s, size_t n, char *stack, size_t stack_cap)
{
    size_t i = 0, o = 0;
    char *buf;

    t->heap = NULL;
    while (n > 0 && (unsigned char)s[0] <= 0x20) {
        s++;
        n--;
    }
    while (n > 0 && (unsigned char)s[n - 1] <= 0x20)
        n--;
    t->s = s;
    t->n = n;
    if (n == 0 || (!memchr(s, '\n', n) && !memchr(s, '\t', n) && !memchr(s, '\r', n)))
        return 1;
    buf = stack;
    if (n > stack_cap) {
        buf = t->heap = malloc(n);
        if (!buf) {
            mc_log(MC_LOG_DEBUG, "no memory to read a %zu-byte URL", n);
            return 0;
        }
    }
    for (i = 0; i < n; i++) {
        if (!url_ignored(s[i]))
            buf[o++] = s[i];
    }
    t->s = buf;
    t->n = o;
    return 1;
}

static void url_text_release(url_text_t *t)
{
    free(t->heap);
    t->heap = NULL;
}

/* ------------------------------------------------------------- splitting -- */

/* Length of "scheme:" at S, or 0: a letter, then letters, digits, '+', '-'
 * or '.', then ':'. */
static size_t scheme_len(const char *s, size_t n)
{
    if (n == 0 || !ascii_alpha(s[0]))
        return 0;
    for (size_t i = 1; i < n; i++) {
        if (s[i] == ':')
            return i + 1;
        if (!ascii_alpha(s[i]) && !mc_ascii_digit(s[i]) && s[i] != '+' && s[i] != '-' && s[i] != '.')
            return 0;
    }
    return 0;
}

/* S[0..LEN) is "NAME:", NAME in lower case, S in any case. */
static int scheme_is(const char *s, size_t len, const char *name)
{
    size_t n = strlen(name);

    if (len != n + 1)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower(s[i]) != name[i])
            return 0;
    }
    return 1;
}

static int same_scheme(const char *a, const char *b, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return 0;
    }
    return 1;
}

static int http_scheme(const char *s, size_t len)
{
    return scheme_is(s, len, "http") || scheme_is(s, len, "https");
}

static int network_scheme(const char *s, size_t len)
{
    return http_scheme(s, len) || scheme_is(s, len, "ws") || scheme_is(s, len, "wss");
}

/* Offset of the authority in S, or 0 when S names no host: relative URLs,
 * and schemes that fetch nothing from another host (data:, blob:,
 * javascript:). After a special scheme a browser skips any run of '/' and
 * '\', none included ("https:host"); without one, two of them make the URL
 * protocol-relative. */
static size_t authority_offset(const char *s, size_t n)
{
    size_t i = scheme_len(s, n);

    if (i > 0) {
        if (!network_scheme(s, i))
            return 0;
    } else if (n >= 2 && is_slash(s[0]) && is_slash(s[1])) {
        i = 2;
    } else {
        return 0;
    }
    while (i < n && is_slash(s[i]))
        i++;
    return i;
}

typedef struct url_parts {
    size_t auth, auth_end; /* the authority */
    size_t host, host_end; /* its host: after the userinfo, before the port */
    size_t path_end;       /* the path is [auth_end, path_end) */
    size_t query_end;      /* "?query" is [path_end, query_end), "#fragment" follows */
} url_parts_t;

static int authority_end_char(char c)
{
    return is_slash(c) || c == '?' || c == '#';
}

/* End of the host in [start, end): before the port, after an IPv6 literal. */
static size_t host_end_of(const char *s, size_t start, size_t end)
{
    size_t i = start;

    if (i < end && s[i] == '[') {
        while (i < end && s[i] != ']')
            i++;
        return i < end ? i + 1 : end;
    }
    while (i < end && s[i] != ':')
        i++;
    return i;
}

static void split_from_authority(const char *s, size_t n, size_t auth, url_parts_t *p)
{
    size_t i = auth;
    const char *hash, *query;

    p->auth = auth;
    while (i < n && !authority_end_char(s[i]))
        i++;
    p->auth_end = i;
    p->host = auth;
    for (size_t j = auth; j < p->auth_end; j++) {
        if (s[j] == '@') /* userinfo ends at the last '@' */
            p->host = j + 1;
    }
    p->host_end = host_end_of(s, p->host, p->auth_end);
    hash = i < n ? memchr(s + i, '#', n - i) : NULL;
    p->query_end = hash ? (size_t)(hash - s) : n;
    query = i < p->query_end ? memchr(s + i, '?', p->query_end - i) : NULL;
    p->path_end = query ? (size_t)(query - s) : p->query_end;
}

static int url_split(const char *s, size_t n, url_parts_t *p)
{
    size_t auth = authority_offset(s, n);

    if (auth == 0)
        return 0;
    split_from_authority(s, n, auth, p);
    return 1;
}

/* Where the path's first segment starts: the path start state skips one
 * slash. */
static size_t path_start(const char *s, const url_parts_t *p)
{
    return p->auth_end < p->path_end && is_slash(s[p->auth_end]) ? p->auth_end + 1 : p->auth_end;
}

/* ------------------------------------------------------------------ host -- */

typedef struct host_buf {
    char *text;
    size_t len;
    char *heap; /* ours, when the host did not fit in stack */
    char *idn;  /* libidn2's, when the mapped host is its output */
    char stack[HOST_STACK_MAX];
} host_buf_t;

static void host_release(host_buf_t *h)
{
    free(h->heap);
    if (h->idn)
        idn2_free(h->idn);
    h->heap = h->idn = NULL;
}

/* Percent-decodes and ASCII-lower-cases S[0..N) into OUT. 1 when a byte
 * past ASCII came out, so the host needs the IDNA mapping. */
static int host_decode(char *out, const char *s, size_t n, size_t *len)
{
    int non_ascii = 0;
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (c == '%' && i + 2 < n && mc_ascii_hex_value(s[i + 1]) >= 0 && mc_ascii_hex_value(s[i + 2]) >= 0) {
            c = (char)(mc_ascii_hex_value(s[i + 1]) * 16 + mc_ascii_hex_value(s[i + 2]));
            i += 2;
        }
        non_ascii |= (unsigned char)c >= 0x80;
        out[o++] = ascii_lower(c);
    }
    *len = o;
    return non_ascii;
}

/* Length of the label separator UTS46 maps to '.' at S, or 0: '.', U+3002
 * IDEOGRAPHIC FULL STOP, U+FF0E FULLWIDTH FULL STOP, U+FF61 HALFWIDTH
 * IDEOGRAPHIC FULL STOP. */
static size_t label_dot_len(const char *s, size_t n)
{
    static const char *const dots[] = {"\xe3\x80\x82", "\xef\xbc\x8e", "\xef\xbd\xa1"};

    if (n >= 1 && s[0] == '.')
        return 1;
    for (size_t i = 0; i < sizeof(dots) / sizeof(dots[0]); i++) {
        if (n >= 3 && memcmp(s, dots[i], 3) == 0)
            return 3;
    }
    return 0;
}

static int contains(const char *s, size_t n, const char *what)
{
    size_t w = strlen(what);

    for (size_t i = 0; i + w <= n; i++) {
        if (memcmp(s + i, what, w) == 0)
            return 1;
    }
    return 0;
}

/* Characters the two UTS46 modes map differently: sharp s (and its capital),
 * final sigma, the zero-width joiners. */
static int has_deviation(const char *s, size_t n)
{
    return contains(s, n, "\xc3\x9f") || contains(s, n, "\xe1\xba\x9e") ||
           contains(s, n, "\xcf\x82") || contains(s, n, "\xe2\x80\x8c") ||
           contains(s, n, "\xe2\x80\x8d");
}

/* LABEL (NUL-terminated) mapped to ASCII as a browser maps it, or NULL.
 * Browsers use the non-transitional mapping without IDNA2008's stricter
 * repertoire; libidn2's transitional mode is the one that lets symbols
 * through ("☃"), and both modes agree where no deviation character is. */
static char *label_map(const char *label, size_t len)
{
    char *out = NULL;

    if (idn2_to_ascii_8z(label, &out, IDN2_NONTRANSITIONAL) == IDN2_OK)
        return out;
    if (!has_deviation(label, len) && idn2_to_ascii_8z(label, &out, IDN2_TRANSITIONAL) == IDN2_OK)
        return out;
    return NULL;
}

static int ascii_only(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] >= 0x80)
            return 0;
    }
    return 1;
}

static int grow_put(char **buf, size_t *cap, size_t *len, const char *s, size_t n)
{
    if (n > *cap - *len) {
        size_t want = (*cap + n) * 2;
        char *bigger = realloc(*buf, want);

        if (!bigger)
            return 0;
        *buf = bigger;
        *cap = want;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    return 1;
}

/* The whole host was refused: map it label by label, keeping a refused
 * label as written, so "x-.ｇｏｏｇｌｅ.com" (a label ending in '-' is
 * refused by libidn2, not by browsers) still reads as a google.com host. */
static void host_map_labels(host_buf_t *h)
{
    size_t cap = h->len + 16, len = 0, i = 0;
    char *out = malloc(cap);
    int ok = out != NULL;

    while (ok && i <= h->len) {
        size_t end = i, dot = 0, label_len;
        char *mapped = NULL;
        char saved;

        while (end < h->len && (dot = label_dot_len(h->text + end, h->len - end)) == 0)
            end++;
        label_len = end - i;
        /* the label is made a C string in place for libidn2, then restored */
        saved = h->text[end];
        h->text[end] = '\0';
        if (!ascii_only(h->text + i, label_len))
            mapped = label_map(h->text + i, label_len);
        h->text[end] = saved;
        ok = mapped ? grow_put(&out, &cap, &len, mapped, strlen(mapped))
                    : grow_put(&out, &cap, &len, h->text + i, label_len);
        if (mapped)
            idn2_free(mapped);
        if (ok && end < h->len)
            ok = grow_put(&out, &cap, &len, ".", 1);
        i = end + (end < h->len ? dot : 1);
    }
    if (!ok) {
        free(out);
        return;
    }
    free(h->heap);
    h->heap = out;
    h->text = out;
    h->len = len;
}

/* UTS46 mapping and punycode for a host with bytes past ASCII. */
static void host_map(host_buf_t *h)
{
    char *out = NULL;

    h->text[h->len] = '\0';
    /* an escaped NUL would cut the C string short: such a host stays as is */
    if (memchr(h->text, '\0', h->len))
        return;
    if (idn2_to_ascii_8z(h->text, &out, IDN2_NONTRANSITIONAL) == IDN2_OK) {
        h->idn = out;
        h->text = out;
        h->len = strlen(out);
        return;
    }
    host_map_labels(h);
}

/* One part of an IPv4 address: decimal, "0x" hex or "0" octal. Values are
 * saturated past 2^32; 0 when S is no such number. */
static int ipv4_number(const char *s, size_t n, uint64_t *v)
{
    unsigned radix = 10;

    if (n == 0)
        return 0;
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        radix = 16;
        s += 2;
        n -= 2;
    } else if (n >= 2 && s[0] == '0') {
        radix = 8;
        s++;
        n--;
    }
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = mc_ascii_hex_value(s[i]);

        if (d < 0 || (unsigned)d >= radix)
            return 0;
        if (*v <= UINT32_MAX)
            *v = *v * radix + (unsigned)d;
    }
    return 1;
}

/* The standard's "ends in a number": the host is meant as an IPv4 address. */
static int ends_in_number(const char *h, size_t n)
{
    size_t start = n;
    uint64_t v;
    int digits = 1;

    while (start > 0 && h[start - 1] != '.')
        start--;
    if (start == n)
        return 0;
    for (size_t i = start; i < n; i++)
        digits &= mc_ascii_digit(h[i]);
    return digits || ipv4_number(h + start, n - start, &v);
}

/* "a.b.c.d", "a.b.c", "a.b" or "a", each part a number, the last one filling
 * the bytes left. 0 when H is not an address (a browser refuses the URL). */
static int ipv4_parse(const char *h, size_t n, uint32_t *address)
{
    uint64_t parts[4];
    size_t count = 0, start = 0;
    uint64_t value = 0;

    for (size_t i = 0; i <= n; i++) {
        if (i < n && h[i] != '.')
            continue;
        if (count == 4 || !ipv4_number(h + start, i - start, &parts[count]))
            return 0;
        count++;
        start = i + 1;
    }
    for (size_t i = 0; i + 1 < count; i++) {
        if (parts[i] > 255)
            return 0;
        value = value * 256 + parts[i];
    }
    if (parts[count - 1] >= ((uint64_t)1 << (8 * (5 - count))))
        return 0;
    value = (value << (8 * (5 - count))) + parts[count - 1];
    *address = (uint32_t)value;
    return 1;
}

/* The host S[0..N) as a browser reads it, into H (release it after). 0 only
 * when out of memory. */
static int host_normalise(host_buf_t *h, const char *s, size_t n)
{
    size_t cap = n + 16;
    uint32_t address;

    h->heap = h->idn = NULL;
    h->text = h->stack;
    if (cap > sizeof(h->stack)) {
        h->text = h->heap = malloc(cap);
        if (!h->text)
            return 0;
    }
    if (n > 0 && s[0] == '[') { /* IPv6: kept as written */
        for (size_t i = 0; i < n; i++)
            h->text[i] = ascii_lower(s[i]);
        h->len = n;
        return 1;
    }
    if (host_decode(h->text, s, n, &h->len))
        host_map(h);
    while (h->len > 0 && h->text[h->len - 1] == '.') /* "example.com." is example.com */
        h->len--;
    if (ends_in_number(h->text, h->len) && ipv4_parse(h->text, h->len, &address)) {
        h->len = (size_t)snprintf(h->stack, sizeof(h->stack), "%u.%u.%u.%u",
                                  (unsigned)(address >> 24), (unsigned)((address >> 16) & 255),
                                  (unsigned)((address >> 8) & 255), (unsigned)(address & 255));
        h->text = h->stack;
    }
    return 1;
}

/* ------------------------------------------------------------------ path -- */

typedef enum escape_set {
    ESCAPE_NONE,  /* copied as written (resolution) */
    ESCAPE_PATH,  /* the URL standard's path percent-encode set */
    ESCAPE_QUERY, /* its special-query percent-encode set */
    ESCAPE_GLOB   /* a pattern: as the path, but '?' is a wildcard */
} escape_set_t;

/* For each byte, the sets (1 << escape_set_t) that escape it; '%' is in all
 * of them, as put_escaped() looks at every escape. */
#define IN_PATH (1 << ESCAPE_PATH)
#define IN_QUERY (1 << ESCAPE_QUERY)
#define IN_GLOB (1 << ESCAPE_GLOB)
#define IN_ALL (IN_PATH | IN_QUERY | IN_GLOB)
static const unsigned char escapes[256] = {
    [0 ... 0x20] = IN_ALL, [0x7f ... 0xff] = IN_ALL, ['"'] = IN_ALL, ['#'] = IN_ALL,
    ['<'] = IN_ALL,        ['>'] = IN_ALL,           ['%'] = IN_ALL, ['\''] = IN_QUERY,
    ['`'] = IN_PATH | IN_GLOB, ['{'] = IN_PATH | IN_GLOB, ['}'] = IN_PATH | IN_GLOB,
    ['?'] = IN_PATH};

/* S[0..N) as the browser sends it, spelt one way: the characters it escapes
 * escaped, escapes of unreserved characters decoded, other escapes in upper
 * case. With ESCAPE_NONE, a plain copy. */
static void put_escaped(wbuf_t *w, const char *s, size_t n, escape_set_t set)
{
    size_t run = 0;
    unsigned char mask = (unsigned char)(1 << set);

    if (set == ESCAPE_NONE) {
        wbuf_put(w, s, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (!(escapes[c] & mask))
            continue;
        wbuf_put(w, s + run, i - run);
        if (c != '%') {
            wbuf_put_escape(w, c);
        } else if (i + 2 < n && mc_ascii_hex_value(s[i + 1]) >= 0 && mc_ascii_hex_value(s[i + 2]) >= 0) {
            unsigned char v = (unsigned char)(mc_ascii_hex_value(s[i + 1]) * 16 + mc_ascii_hex_value(s[i + 2]));

            if (unreserved(v))
                wbuf_putc(w, (char)v);
            else
                wbuf_put_escape(w, v);
            i += 2;
        } else {
            wbuf_putc(w, '%'); /* a lone '%' stays: browsers send it so */
        }
        run = i + 1;
    }
    wbuf_put(w, s + run, n - run);
}

/* 1 for a single-dot segment ("." or "%2e"), 2 for a double-dot one ("..",
 * ".%2e", "%2E.", "%2e%2e"), else 0. */
static int dot_segment(const char *s, size_t n)
{
    int dots = 0;

    for (size_t i = 0; i < n; dots++) {
        if (dots == 2)
            return 0;
        if (s[i] == '.')
            i++;
        else if (n - i >= 3 && s[i] == '%' && s[i + 1] == '2' && (s[i + 2] == 'e' || s[i + 2] == 'E'))
            i += 3;
        else
            return 0;
    }
    return dots;
}

/* Drops the last "/segment" of the path that starts at FLOOR. */
static void path_pop(wbuf_t *w, size_t floor)
{
    while (w->len > floor) {
        w->len--;
        if (w->p[w->len] == '/')
            break;
    }
}

/* Appends "/SEG" to the path at FLOOR, as the path state does: "." is
 * dropped, ".." drops the segment before it, and either of them last leaves
 * the path ending in '/'. */
static void path_segment(wbuf_t *w, size_t floor, const char *seg, size_t n, int last,
                         escape_set_t set)
{
    size_t start = w->len;
    int dots;

    wbuf_putc(w, '/');
    put_escaped(w, seg, n, set);
    if (w->full)
        return;
    dots = dot_segment(w->p + start + 1, w->len - start - 1);
    if (dots == 0)
        return;
    w->len = start;
    if (dots == 2)
        path_pop(w, floor);
    if (last)
        wbuf_putc(w, '/');
}

/* The segments of TEXT[0..N) (after the path's first slash), '/' and '\'
 * separating them, onto the path at FLOOR. OPEN: more segments follow, so
 * the last one is not the path's last. */
static void path_walk_open(wbuf_t *w, size_t floor, const char *text, size_t n, int open,
                           escape_set_t set)
{
    size_t seg = 0;

    for (size_t i = 0; i <= n; i++) {
        if (i < n && !is_slash(text[i]))
            continue;
        path_segment(w, floor, text + seg, i - seg, i == n && !open, set);
        seg = i + 1;
    }
}

static void path_walk(wbuf_t *w, size_t floor, const char *text, size_t n, escape_set_t set)
{
    path_walk_open(w, floor, text, n, 0, set);
}

/* ------------------------------------------------------------ normal form -- */

static int norm_build(mc_url_norm_t *u, const host_buf_t *h, const char *s, const url_parts_t *p)
{
    size_t rest = p->query_end - p->auth_end;
    size_t first = path_start(s, p);
    size_t need;
    wbuf_t w;

    if (rest > (SIZE_MAX - h->len - 8) / 3)
        return 0;
    /* each byte of path and query takes at most 3 ("%XX"); the path's '/' may be added */
    need = h->len + 3 * rest + 8;
    u->text = u->stack;
    if (need > sizeof(u->stack)) {
        u->heap = malloc(need);
        if (!u->heap) {
            mc_log(MC_LOG_DEBUG, "no memory to match a %zu-byte URL", p->query_end);
            return 0;
        }
        u->text = u->heap;
    }
    w.p = u->text;
    w.cap = need;
    w.len = 0;
    w.full = 0;
    wbuf_put(&w, h->text, h->len);
    u->host_len = w.len;
    path_walk(&w, w.len, s + first, p->path_end - first, ESCAPE_PATH);
    if (p->path_end < p->query_end) {
        wbuf_putc(&w, '?');
        put_escaped(&w, s + p->path_end + 1, p->query_end - p->path_end - 1, ESCAPE_QUERY);
    }
    u->len = w.len;
    return !w.full;
}

/* --------------------------------------------------- the plain URL's way -- */

/* Most URLs a page names are plain: "https://host.example/path/x.js?a=b",
 * with nothing the parser would trim, drop, decode, escape, map or walk.
 * Such a URL's normal form is its own bytes, the host lower-cased: it is
 * written straight, and anything else takes the parser's whole way. */

/* Bytes a plain host may hold: letters, digits, '-', '_' and '.' ('%',
 * '@', ':' and the rest take the whole way). */
static int plain_host_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_';
}

/* Past the plain path (or query) at S[I..N): to the first byte that is
 * not plain there, which is returned in *STOP (-1 at N): the '?' that ends
 * the path, the '#' that ends either, or one the normal form spells
 * otherwise. ESCAPED is the set it escapes there (the path's holds '?',
 * both hold '#' and '%': escapes are respelt); a backslash is a slash to
 * the parser in the path, and is never plain. */
static size_t plain_run(const char *s, size_t i, size_t n, unsigned char escaped, int *stop)
{
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if ((escapes[c] & escaped) || c == '\\') {
            *stop = c;
            return i;
        }
    }
    *stop = -1;
    return n;
}

/* A segment of the path that is "." or "..": the parser drops it. */
static int plain_dot_segment(const char *s, size_t i, size_t end)
{
    if (s[i] != '.')
        return 0;
    if (i + 1 == end || s[i + 1] == '/')
        return 1;
    return s[i + 1] == '.' && (i + 2 == end || s[i + 2] == '/');
}

/* URL[0..N) is a path on the page's own host ("/img/a.png"), told from
 * its first two bytes: no scheme, and not "//" even once a tab or newline
 * is dropped. Most URLs a page names are. */
static int path_absolute(const char *url, size_t n)
{
    return n >= 1 && url[0] == '/' &&
           (n == 1 || (!is_slash(url[1]) && !url_ignored(url[1])));
}

/* The normal form of URL[0..N) when it is plain (above): 1 and U filled,
 * else 0 and the whole way decides. */
static int norm_plain(const char *url, size_t n, mc_url_norm_t *u)
{
    size_t i, host, host_end, path, path_end, end, len;
    int stop;

    if (n >= 8 && memcmp(url, "https://", 8) == 0)
        i = 8;
    else if (n >= 7 && memcmp(url, "http://", 7) == 0)
        i = 7;
    else if (n >= 2 && url[0] == '/' && url[1] == '/')
        i = 2;
    else
        return 0;
    host = i;
    while (i < n && plain_host_char((unsigned char)url[i]))
        i++;
    host_end = i;
    /* an empty host, one ending in '.', or in a number (an IPv4 address
     * in some form) is respelt; a port, userinfo or backslash is read */
    if (host_end == host || url[host_end - 1] == '.' ||
        ends_in_number(url + host, host_end - host) ||
        (i < n && url[i] != '/' && url[i] != '?' && url[i] != '#'))
        return 0;
    path = i;
    i = plain_run(url, i, n, IN_PATH, &stop);
    path_end = i;
    if (stop == '?')
        i = plain_run(url, i + 1, n, IN_QUERY, &stop);
    end = i;
    if (stop != -1 && stop != '#')
        return 0;
    for (size_t k = path + 1; k < path_end; k++) {
        if (url[k - 1] == '/' && plain_dot_segment(url, k, path_end))
            return 0;
    }
    len = (host_end - host) + (path == path_end ? 1 : 0) + (end - path);
    if (len > sizeof(u->stack))
        return 0;
    u->text = u->stack;
    for (size_t k = host; k < host_end; k++)
        u->text[k - host] = ascii_lower(url[k]);
    u->host_len = host_end - host;
    len = u->host_len;
    if (path == path_end) /* no path: "/" */
        u->text[len++] = '/';
    memcpy(u->text + len, url + path, end - path);
    u->len = len + (end - path);
    return 1;
}

int mc_url_normalise(const char *url, size_t n, mc_url_norm_t *u)
{
    char clean[CLEAN_STACK_MAX];
    url_text_t t;
    url_parts_t p;
    host_buf_t h;
    int ok = 0;

    u->heap = NULL;
    u->len = u->host_len = 0;
    if (url && norm_plain(url, n, u))
        return 1;
    if (!url || path_absolute(url, n) || !url_text_init(&t, url, n, clean, sizeof(clean)))
        return 0;
    if (url_split(t.s, t.n, &p)) {
        if (host_normalise(&h, t.s + p.host, p.host_end - p.host))
            ok = h.len > 0 && norm_build(u, &h, t.s, &p);
        host_release(&h);
    }
    url_text_release(&t);
    if (!ok)
        mc_url_release(u);
    return ok;
}

void mc_url_release(mc_url_norm_t *u)
{
    free(u->heap);
    u->heap = NULL;
}

size_t mc_url_canon_glob(const char *glob, size_t n, char *out)
{
    wbuf_t w = {out, 3 * n, 0, 0};

    put_escaped(&w, glob, n, ESCAPE_GLOB);
    return w.len;
}

/* ------------------------------------------------------------- resolution -- */

/* The rest of a reference after its path's first segment start: the path
 * walked onto the path at FLOOR, then "?query#fragment" as written. */
static void put_path_and_rest(wbuf_t *w, size_t floor, const char *r, size_t from, size_t n)
{
    size_t end = from;

    while (end < n && r[end] != '?' && r[end] != '#')
        end++;
    path_walk(w, floor, r + from, end - from, ESCAPE_NONE);
    wbuf_put(w, r + end, n - end);
}

/* The base path PATH[0..N) less its last segment, as the relative state
 * "shortens" it. Its directory is walked alone, so an output that holds the
 * result need not hold the whole base path; only a dot segment last needs
 * the whole walk first ("/a/b/." is "/a/b/", whose directory is "/a/b"). */
static void base_directory(wbuf_t *w, size_t floor, const char *path, size_t n)
{
    size_t dir = n;

    while (dir > 0 && !is_slash(path[dir - 1]))
        dir--;
    if (dot_segment(path + dir, n - dir) == 0) {
        if (dir > 0)
            path_walk_open(w, floor, path, dir - 1, 1, ESCAPE_NONE);
        return;
    }
    path_walk(w, floor, path, n, ESCAPE_NONE);
    path_pop(w, floor);
}

/* R (no scheme, not "//") against the base B, after "scheme://authority". */
static void resolve_reference(wbuf_t *w, const char *b, const url_parts_t *bp, const char *r,
                              size_t rn)
{
    size_t floor = w->len;
    size_t first = path_start(b, bp);

    if (rn > 0 && is_slash(r[0])) {
        put_path_and_rest(w, floor, r, 1, rn);
        return;
    }
    if (rn == 0 || r[0] == '#' || r[0] == '?') {
        path_walk(w, floor, b + first, bp->path_end - first, ESCAPE_NONE);
        if (rn == 0 || r[0] == '#')
            wbuf_put(w, b + bp->path_end, bp->query_end - bp->path_end);
        wbuf_put(w, r, rn);
        return;
    }
    base_directory(w, floor, b + first, bp->path_end - first);
    put_path_and_rest(w, floor, r, 0, rn);
}

static size_t resolve_clean(const char *b, size_t bn, const char *r, size_t rn, char *out,
                            size_t cap)
{
    size_t bscheme = scheme_len(b, bn);
    size_t rscheme = scheme_len(r, rn);
    wbuf_t w = {out, cap, 0, 0};
    url_parts_t bp;

    if (!http_scheme(b, bscheme) || !url_split(b, bn, &bp) || bp.host == bp.host_end)
        return 0;
    if (rscheme > 0) {
        /* "https:x" under an https base is a relative reference */
        if (rscheme != bscheme || !same_scheme(r, b, bscheme))
            return 0;
        if (rn - rscheme >= 2 && is_slash(r[rscheme]) && is_slash(r[rscheme + 1]))
            return 0; /* "https://x", "https:\\x": absolute */
        r += rscheme;
        rn -= rscheme;
    }
    for (size_t i = 0; i < bscheme; i++)
        wbuf_putc(&w, ascii_lower(b[i]));
    wbuf_put(&w, "//", 2);
    if (rn >= 2 && is_slash(r[0]) && is_slash(r[1])) {
        url_parts_t rp;
        size_t auth = 2;

        while (auth < rn && is_slash(r[auth]))
            auth++;
        split_from_authority(r, rn, auth, &rp);
        wbuf_put(&w, r + auth, rp.auth_end - auth);
        put_path_and_rest(&w, w.len, r, path_start(r, &rp), rn);
    } else {
        wbuf_put(&w, b + bp.auth, bp.auth_end - bp.auth);
        resolve_reference(&w, b, &bp, r, rn);
    }
    return w.full ? 0 : w.len;
}

size_t mc_url_resolve(const char *base, size_t base_len, const char *rel, size_t rel_len, char *out,
                      size_t cap)
{
    char base_stack[CLEAN_STACK_MAX], rel_stack[CLEAN_STACK_MAX];
    url_text_t b, r;
    size_t len = 0;

    if (!base || !rel || !url_text_init(&b, base, base_len, base_stack, sizeof(base_stack)))
        return 0;
    if (url_text_init(&r, rel, rel_len, rel_stack, sizeof(rel_stack))) {
        len = resolve_clean(b.s, b.n, r.s, r.n, out, cap);
        url_text_release(&r);
    }
    url_text_release(&b);
    return len;
}

int mc_url_has_host(const char *url, size_t len)
{
    char clean[CLEAN_STACK_MAX];
    url_text_t t;
    url_parts_t p;
    int has = 0;

    if (!url || !url_text_init(&t, url, len, clean, sizeof(clean)))
        return 0;
    has = url_split(t.s, t.n, &p) && p.host_end > p.host;
    url_text_release(&t);
    return has;
}
