/* Encodings as a browser reads them (charset.h). */
#include "charset.h"

#include <string.h>
#include <strings.h>

const char *mc_charset_str(mc_charset_t cs)
{
    switch (cs) {
    case MC_CHARSET_BYTES: return "ASCII-compatible";
    case MC_CHARSET_UTF16LE: return "UTF-16LE";
    case MC_CHARSET_UTF16BE: return "UTF-16BE";
    case MC_CHARSET_STATEFUL: return "ISO-2022-JP";
    case MC_CHARSET_REPLACEMENT: return "replacement";
    }
    return "?";
}

static int ascii_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* The Encoding standard's labels of the encodings that are not read as
 * bytes; every other label, known or not, reads as bytes. */
static const struct {
    const char *label;
    mc_charset_t cs;
} labels[] = {
    {"csunicode", MC_CHARSET_UTF16LE},        {"iso-10646-ucs-2", MC_CHARSET_UTF16LE},
    {"ucs-2", MC_CHARSET_UTF16LE},            {"unicode", MC_CHARSET_UTF16LE},
    {"unicodefeff", MC_CHARSET_UTF16LE},      {"utf-16", MC_CHARSET_UTF16LE},
    {"utf-16le", MC_CHARSET_UTF16LE},         {"unicodefffe", MC_CHARSET_UTF16BE},
    {"utf-16be", MC_CHARSET_UTF16BE},         {"csiso2022jp", MC_CHARSET_STATEFUL},
    {"iso-2022-jp", MC_CHARSET_STATEFUL},     {"csiso2022kr", MC_CHARSET_REPLACEMENT},
    {"hz-gb-2312", MC_CHARSET_REPLACEMENT},   {"iso-2022-cn", MC_CHARSET_REPLACEMENT},
    {"iso-2022-cn-ext", MC_CHARSET_REPLACEMENT}, {"iso-2022-kr", MC_CHARSET_REPLACEMENT},
    {"replacement", MC_CHARSET_REPLACEMENT},
};

mc_charset_t mc_charset_of_label(const char *label, size_t len)
{
    while (len > 0 && ascii_ws((unsigned char)*label)) {
        label++;
        len--;
    }
    while (len > 0 && ascii_ws((unsigned char)label[len - 1]))
        len--;
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
        if (strlen(labels[i].label) == len && strncasecmp(labels[i].label, label, len) == 0)
            return labels[i].cs;
    }
    return MC_CHARSET_BYTES;
}

/* --- the byte order mark -------------------------------------------------------------- */

mc_bom_t mc_charset_bom(const char *b, size_t n, int at_end)
{
    static const unsigned char utf8[] = {0xEF, 0xBB, 0xBF};
    const unsigned char *u = (const unsigned char *)b;

    if (n >= 2 && u[0] == 0xFF && u[1] == 0xFE)
        return MC_BOM_UTF16LE;
    if (n >= 2 && u[0] == 0xFE && u[1] == 0xFF)
        return MC_BOM_UTF16BE;
    if (n >= 3 && memcmp(u, utf8, 3) == 0)
        return MC_BOM_UTF8;
    /* a prefix of a mark: the next bytes tell */
    if (!at_end && n < 3 &&
        (n == 0 || u[0] == 0xFF || u[0] == 0xFE || (memcmp(u, utf8, n) == 0)))
        return MC_BOM_MORE;
    return MC_BOM_NONE;
}

size_t mc_charset_bom_len(mc_bom_t bom)
{
    switch (bom) {
    case MC_BOM_UTF8: return 3;
    case MC_BOM_UTF16LE:
    case MC_BOM_UTF16BE: return 2;
    default: return 0;
    }
}

/* --- sniffing a body without a type --------------------------------------------------- */

/* MIME Sniffing's HTML patterns, each followed by a tag-terminating byte
 * (space or '>'), matched ASCII case-insensitively after leading
 * whitespace. */
static const char *const html_patterns[] = {
    "<!DOCTYPE HTML", "<HTML", "<HEAD", "<SCRIPT", "<IFRAME", "<H1", "<DIV", "<FONT", "<TABLE",
    "<A",             "<STYLE", "<TITLE", "<B",     "<BODY",   "<BR", "<P",   "<!--"};

/* 1 when S (N bytes) is PATTERN and a tag-terminating byte; 0 when it is
 * not; -1 when S is too short to tell and matches as far as it goes. */
static int pattern_at(const unsigned char *s, size_t n, const char *pattern)
{
    size_t len = strlen(pattern);

    for (size_t i = 0; i < len; i++) {
        unsigned char c = i < n ? s[i] : 0;

        if (i >= n)
            return -1;
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        if (c != (unsigned char)pattern[i])
            return 0;
    }
    if (len >= n)
        return -1;
    return s[len] == ' ' || s[len] == '>';
}

mc_sniff_t mc_charset_sniff_html(const char *b, size_t n, int at_end)
{
    const unsigned char *u = (const unsigned char *)b;
    size_t at = 0;
    int open = 0;

    if (n > MC_SNIFF_MAX) {
        n = MC_SNIFF_MAX;
        at_end = 1;
    }
    while (at < n && ascii_ws(u[at]))
        at++;
    for (size_t i = 0; i < sizeof(html_patterns) / sizeof(html_patterns[0]); i++) {
        int m = pattern_at(u + at, n - at, html_patterns[i]);

        if (m == 1)
            return MC_SNIFF_HTML;
        if (m == -1)
            open = 1;
    }
    if (open && !at_end && n < MC_SNIFF_MAX)
        return MC_SNIFF_MORE;
    return MC_SNIFF_OTHER;
}

/* --- an XML prolog ------------------------------------------------------------------- */

static int xml_name_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}

mc_prolog_t mc_charset_xml_prolog(const char *b, size_t n, int at_end)
{
    static const char doctype[] = "<!DOCTYPE";
    int limited = n >= MC_SNIFF_MAX;

    if (limited)
        n = MC_SNIFF_MAX;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != '<')
            continue;
        if (i + 1 < n && xml_name_start((unsigned char)b[i + 1]))
            return MC_PROLOG_PLAIN;
        if (n - i >= sizeof(doctype) - 1 && memcmp(b + i, doctype, sizeof(doctype) - 1) == 0) {
            /* its external id is quoted: a '[' or '>' in quotes is no end */
            char quote = 0;

            for (i += sizeof(doctype) - 1; i < n; i++) {
                if (quote) {
                    quote = b[i] == quote ? 0 : quote;
                    continue;
                }
                if (b[i] == '"' || b[i] == '\'')
                    quote = b[i];
                else if (b[i] == '[')
                    return MC_PROLOG_SUBSET;
                else if (b[i] == '>')
                    break;
            }
            if (i >= n) /* the DOCTYPE goes on past what is here */
                return at_end || limited ? MC_PROLOG_SUBSET : MC_PROLOG_MORE;
        }
    }
    return at_end || limited ? MC_PROLOG_PLAIN : MC_PROLOG_MORE;
}

/* --- UTF-16 to UTF-8 ------------------------------------------------------------------ */

void mc_utf16_init(mc_utf16_t *d, int big_endian)
{
    memset(d, 0, sizeof(*d));
    d->big_endian = big_endian;
}

static size_t put_utf8(char *out, unsigned cp)
{
    unsigned char *o = (unsigned char *)out;

    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

#define REPLACEMENT 0xFFFDu

/* One code unit, as the standard's shared UTF-16 decoder takes it. */
static size_t unit(mc_utf16_t *d, unsigned cu, char *out)
{
    size_t n = 0;

    if (d->lead) {
        unsigned lead = d->lead;

        d->lead = 0;
        if (cu >= 0xDC00 && cu <= 0xDFFF)
            return put_utf8(out, 0x10000 + ((lead - 0xD800) << 10) + (cu - 0xDC00));
        /* the lead was unpaired; this unit is read afresh */
        n = put_utf8(out, REPLACEMENT);
    }
    if (cu >= 0xD800 && cu <= 0xDBFF) {
        d->lead = cu;
        return n;
    }
    if (cu >= 0xDC00 && cu <= 0xDFFF)
        return n + put_utf8(out + n, REPLACEMENT);
    return n + put_utf8(out + n, cu);
}

size_t mc_utf16_decode(mc_utf16_t *d, const char *in, size_t len, char *out)
{
    const unsigned char *u = (const unsigned char *)in;
    size_t n = 0, i = 0;

    if (d->have_byte && len > 0) {
        unsigned a = d->byte, b = u[0];

        d->have_byte = 0;
        n += unit(d, d->big_endian ? (a << 8) | b : (b << 8) | a, out + n);
        i = 1;
    }
    for (; i + 1 < len; i += 2) {
        unsigned a = u[i], b = u[i + 1];

        n += unit(d, d->big_endian ? (a << 8) | b : (b << 8) | a, out + n);
    }
    if (i < len) {
        d->byte = u[i];
        d->have_byte = 1;
    }
    return n;
}

size_t mc_utf16_end(mc_utf16_t *d, char *out)
{
    int unpaired = d->have_byte || d->lead;

    d->have_byte = 0;
    d->lead = 0;
    return unpaired ? put_utf8(out, REPLACEMENT) : 0;
}
