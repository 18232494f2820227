/* HTML character references, decoded as the HTML standard's tokenizer does
 * (the "character reference state" and the states after it). Only the
 * decoding: where a value starts and ends is the lexer's business. */
#include "charref.h"

#include <string.h>

#include "ascii.h"
#include "entities.h"

#define REPLACEMENT_CHARACTER 0xFFFDu
#define CODE_POINT_MAX 0x10FFFFu

static int ascii_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int ascii_alnum(char c)
{
    return ascii_alpha(c) || mc_ascii_digit(c);
}

/* --------------------------------------------------------- named references -- */

static int entity_compare(const mc_entity_t *e, const char *name, size_t len)
{
    size_t common = e->name_len < len ? e->name_len : len;
    int c = memcmp(e->name, name, common);

    if (c != 0)
        return c;
    return (int)e->name_len - (int)len;
}

/* The entry named exactly NAME[0..LEN), or NULL. Binary search within the
 * entries that share NAME's first byte. */
static const mc_entity_t *entity_find(const char *name, size_t len)
{
    unsigned char first = (unsigned char)name[0];
    size_t lo, hi;

    if (first >= 128)
        return NULL;
    lo = mc_entity_index[first];
    hi = mc_entity_index[first + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = entity_compare(&mc_entities[mid], name, len);

        if (c == 0)
            return &mc_entities[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The longest name at S[0..M) (just after the '&'): the whole alphanumeric
 * run with its ';' if the table has that, else the longest legacy name (no
 * ';') that starts the run. Names are alphanumeric plus an optional final
 * ';', so no other length can match. */
static const mc_entity_t *entity_longest(const char *s, size_t m)
{
    size_t run = 0;
    size_t k;
    unsigned legacy;

    if (m >= 4 && memcmp(s, "amp;", 4) == 0) /* "&amp;": most of a URL's */
        return &mc_entities[mc_entity_amp];
    while (run < m && run <= mc_entity_name_max && ascii_alnum(s[run]))
        run++;
    if (run < m && s[run] == ';' && run + 1 <= mc_entity_name_max) {
        const mc_entity_t *e = entity_find(s, run + 1);

        if (e)
            return e;
    }
    /* only the lengths some legacy name of that first byte has
     * ("&ev=1", "&noscript=1" in a URL: none, or few, to look up) */
    legacy = run > 0 ? mc_entity_legacy_lengths[(unsigned char)s[0] & 127] : 0;
    for (k = run < mc_entity_legacy_max ? run : mc_entity_legacy_max; k > 0; k--) {
        const mc_entity_t *e;

        if (!(legacy & (1u << k)))
            continue;
        e = entity_find(s, k);
        if (e)
            return e;
    }
    return NULL;
}

/* ------------------------------------------------------- numeric references -- */

/* What the standard puts for &#128; .. &#159;: the windows-1252 characters;
 * 0 where it keeps the number (0x81, 0x8D, 0x8F, 0x90, 0x9D). */
static const unsigned short c1_replacements[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

/* The code point a numeric reference stands for (the "numeric character
 * reference end state"). Noncharacters and the other controls stay. */
static unsigned long numeric_code_point(unsigned long v)
{
    if (v == 0 || v > CODE_POINT_MAX || (v >= 0xD800 && v <= 0xDFFF))
        return REPLACEMENT_CHARACTER;
    if (v >= 0x80 && v <= 0x9F && c1_replacements[v - 0x80] != 0)
        return c1_replacements[v - 0x80];
    return v;
}

static size_t utf8_encode(unsigned long cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* "&#..." at S[0..M) (S[0] is '&', S[1] is '#'). Bytes consumed, the value
 * in VALUE; 0 when no digit follows, and the text then stands as written. */
static size_t numeric_reference(const char *s, size_t m, char *value, size_t *value_len)
{
    size_t i = 2;
    int radix = 10;
    size_t digits = 0;
    unsigned long v = 0;

    if (i < m && (s[i] == 'x' || s[i] == 'X')) {
        radix = 16;
        i++;
    }
    for (; i < m; i++, digits++) {
        int d = radix == 16 ? mc_ascii_hex_value(s[i]) : (mc_ascii_digit(s[i]) ? s[i] - '0' : -1);

        if (d < 0)
            break;
        /* saturate: any number past the last code point means U+FFFD */
        v = v > CODE_POINT_MAX ? v : v * (unsigned long)radix + (unsigned long)d;
    }
    if (digits == 0)
        return 0;
    if (i < m && s[i] == ';')
        i++;
    *value_len = utf8_encode(numeric_code_point(v), value);
    return i;
}

/* ------------------------------------------------------------------ decoding -- */

/* The reference starting at S[0] == '&' in S[0..M): bytes consumed and its
 * value, or 0 when the '&' stands for itself. */
static size_t reference_at(const char *s, size_t m, int in_attribute, char *value,
                           size_t *value_len)
{
    const mc_entity_t *e;
    size_t end;

    if (m < 2)
        return 0;
    if (s[1] == '#')
        return numeric_reference(s, m, value, value_len);
    if (!ascii_alnum(s[1]))
        return 0;
    e = entity_longest(s + 1, m - 1);
    if (!e)
        return 0;
    end = 1 + e->name_len;
    /* Inside an attribute value, "&copy=1" and "&notx" stay as written:
     * old pages put such query strings in href without escaping the '&'. */
    if (in_attribute && e->name[e->name_len - 1] != ';' && end < m &&
        (s[end] == '=' || ascii_alnum(s[end])))
        return 0;
    memcpy(value, e->value, e->value_len);
    *value_len = e->value_len;
    return end;
}

int mc_charref_none(const char *in, size_t n)
{
    return n == 0 || memchr(in, '&', n) == NULL;
}

mc_status_t mc_charref_decode(const char *in, size_t n, int in_attribute, char *out, size_t cap,
                              size_t *out_len)
{
    size_t i = 0, o = 0;

    *out_len = 0;
    while (i < n) {
        const char *amp = memchr(in + i, '&', n - i);
        size_t run = amp ? (size_t)(amp - (in + i)) : n - i;
        char value[8];
        size_t value_len = 0;
        size_t used;

        if (run > cap - o)
            return MC_ELIMIT;
        memcpy(out + o, in + i, run);
        o += run;
        i += run;
        if (!amp)
            break;
        used = reference_at(in + i, n - i, in_attribute, value, &value_len);
        if (used == 0) {
            value[0] = '&';
            value_len = 1;
            used = 1;
        }
        if (value_len > cap - o)
            return MC_ELIMIT;
        memcpy(out + o, value, value_len);
        o += value_len;
        i += used;
    }
    *out_len = o;
    return MC_OK;
}
