/* How a browser will read a response's bytes, so that the rewriter reads
 * them the same way: the charset a Content-Type names (by the WHATWG
 * Encoding standard's labels), the byte order mark that overrides it, the
 * HTML a body without a type is sniffed as (WHATWG MIME Sniffing), and a
 * streaming UTF-16 decoder for the pages that have to be turned into UTF-8
 * before an ASCII reader can see their markup.
 *
 * The rewriter reads bytes as ASCII. That is right for every encoding a
 * browser knows whose ASCII bytes mean ASCII — UTF-8, the single-byte ones,
 * and the multi-byte CJK ones, whose decoders give back an ASCII byte that
 * does not complete a character — and wrong for UTF-16 (two bytes a unit)
 * and ISO-2022-JP (escape sequences switch how bytes are read, so
 * "<scr\x1b(Bipt" is a script to the browser). A label the standard does
 * not know (utf-32, utf-7) is ignored by browsers: the bytes are then read
 * as ASCII-compatible, as here. */
#ifndef MC_CHARSET_H
#define MC_CHARSET_H

#include <stddef.h>

typedef enum mc_charset {
    MC_CHARSET_BYTES = 0, /* ASCII-compatible, or a label browsers ignore */
    MC_CHARSET_UTF16LE,
    MC_CHARSET_UTF16BE,
    MC_CHARSET_STATEFUL,   /* ISO-2022-JP: not readable as bytes */
    MC_CHARSET_REPLACEMENT /* the browser shows one U+FFFD and nothing else */
} mc_charset_t;

const char *mc_charset_str(mc_charset_t cs);

/* The encoding LABEL (LEN bytes) names, as the Encoding standard's "get an
 * encoding": ASCII whitespace around it ignored, ASCII case-insensitive. */
mc_charset_t mc_charset_of_label(const char *label, size_t len);

/* A byte order mark at the start of a body: it decides the encoding over
 * any label (Encoding standard, "decode"). */
typedef enum mc_bom {
    MC_BOM_MORE = 0, /* too few bytes yet to tell */
    MC_BOM_NONE,
    MC_BOM_UTF8,    /* EF BB BF */
    MC_BOM_UTF16LE, /* FF FE */
    MC_BOM_UTF16BE  /* FE FF */
} mc_bom_t;

/* What the first N bytes of a body (all of it when AT_END) begin with. */
mc_bom_t mc_charset_bom(const char *b, size_t n, int at_end);

/* The length of BOM's mark in bytes. */
size_t mc_charset_bom_len(mc_bom_t bom);

/* MIME Sniffing, "rules for identifying an unknown MIME type", as far as
 * HTML goes: whether a body without a usable type is one a browser shows
 * as HTML. Looks at no more than MC_SNIFF_MAX bytes. */
#define MC_SNIFF_MAX 1445

typedef enum mc_sniff {
    MC_SNIFF_MORE = 0, /* N < MC_SNIFF_MAX, not AT_END, and undecided */
    MC_SNIFF_HTML,
    MC_SNIFF_OTHER
} mc_sniff_t;

mc_sniff_t mc_charset_sniff_html(const char *b, size_t n, int at_end);

/* An XML document's prolog, before its root element: whether its DOCTYPE
 * has an internal subset ("<!DOCTYPE html [ ... ]>"), where entities are
 * declared whose text the XML parser reads as markup where they are
 * referenced — which no reader of the bytes can follow. Looks at no more
 * than MC_SNIFF_MAX bytes: a DOCTYPE still open there counts as one with a
 * subset. */
typedef enum mc_prolog {
    MC_PROLOG_MORE = 0, /* N < MC_SNIFF_MAX, not AT_END, and undecided */
    MC_PROLOG_PLAIN,    /* the root element starts with no subset before it */
    MC_PROLOG_SUBSET
} mc_prolog_t;

mc_prolog_t mc_charset_xml_prolog(const char *b, size_t n, int at_end);

/* A streaming UTF-16 to UTF-8 decoder that follows the Encoding
 * standard's: an unpaired surrogate, or an odd byte at the end, becomes
 * U+FFFD. A code unit or a surrogate pair may be split anywhere between
 * calls. */
typedef struct mc_utf16 {
    int big_endian;
    int have_byte;
    unsigned char byte;
    unsigned lead; /* a high surrogate waiting for its pair, or 0 */
} mc_utf16_t;

/* Room the output of LEN input bytes may need. */
#define MC_UTF16_ROOM(len) (((len) / 2 + 2) * 3)

void mc_utf16_init(mc_utf16_t *d, int big_endian);

/* Decodes LEN bytes into OUT (at least MC_UTF16_ROOM(LEN) bytes); returns
 * the number written. */
size_t mc_utf16_decode(mc_utf16_t *d, const char *in, size_t len, char *out);

/* The input has ended: writes U+FFFD to OUT (3 bytes of room) when a byte
 * or a surrogate was left unpaired; returns the number written. */
size_t mc_utf16_end(mc_utf16_t *d, char *out);

#endif
