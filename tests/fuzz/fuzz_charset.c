/* libFuzzer target for how the filter reads a body as a browser would
 * (mod_consent/core/charset.c).
 *
 * For every input it checks, and aborts when one fails:
 *  - no crash and no undefined behaviour (ASan, UBSan), no read past the
 *    input (copied to a buffer of exactly its size);
 *  - the UTF-16 decoder, in either byte order, writes no more than
 *    MC_UTF16_ROOM of what it is given, writes well-formed UTF-8 (no
 *    surrogate, no overlong form), and writes the same bytes however the
 *    input is cut (the cuts follow the input's first byte);
 *  - the byte order mark, the HTML sniffing and the XML prolog answer the
 *    same for a body as for any longer body that starts with it, once they
 *    have decided.
 * "make fuzz-charset" builds and runs it (FUZZ_SECONDS).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_charset: %s\n", what);
        abort();
    }
}

/* Well-formed UTF-8 as RFC 3629 has it. */
static int well_formed(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i];
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        unsigned cp;

        if (len == 0 || i + len > n)
            return 0;
        cp = len == 1 ? c : c & (0x7F >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

/* The input decoded in pieces of STEP bytes; returns the length written. */
static size_t decode(const char *in, size_t n, int be, size_t step, char *out)
{
    mc_utf16_t d;
    size_t made = 0;

    mc_utf16_init(&d, be);
    for (size_t off = 0; off < n; off += step) {
        size_t k = n - off < step ? n - off : step;
        size_t m = mc_utf16_decode(&d, in + off, k, out + made);

        check(m <= MC_UTF16_ROOM(k), "a piece wrote more than its room");
        made += m;
    }
    return made + mc_utf16_end(&d, out + made);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size ? size : 1);
    size_t room = MC_UTF16_ROOM(size) * 2 + 8;
    char *whole = malloc(room), *cut = malloc(room);
    size_t step = size ? (size_t)data[0] % 7 + 1 : 1;

    check(in && whole && cut, "out of memory");
    memcpy(in, data, size);
    for (int be = 0; be <= 1; be++) {
        size_t a = decode(in, size, be, size ? size : 1, whole);
        size_t b = decode(in, size, be, step, cut);

        check(well_formed((const unsigned char *)whole, a), "ill-formed UTF-8");
        check(a == b && memcmp(whole, cut, a) == 0, "the cuts changed the output");
    }
    for (size_t n = 0; n <= size && n <= 8; n++) {
        mc_bom_t early = mc_charset_bom(in, n, 0);

        if (early != MC_BOM_MORE)
            check(mc_charset_bom(in, size, 1) == early, "the mark changed with more bytes");
    }
    for (size_t n = 0; n <= size && n <= 64; n++) {
        mc_sniff_t early = mc_charset_sniff_html(in, n, 0);

        if (early != MC_SNIFF_MORE)
            check(mc_charset_sniff_html(in, size, 1) == early, "the sniffing changed with more bytes");
    }
    for (size_t n = 0; n <= size && n <= 64; n++) {
        mc_prolog_t early = mc_charset_xml_prolog(in, n, 0);

        if (early != MC_PROLOG_MORE)
            check(mc_charset_xml_prolog(in, size, 1) == early, "the prolog changed with more bytes");
    }
    free(in);
    free(whole);
    free(cut);
    return 0;
}
