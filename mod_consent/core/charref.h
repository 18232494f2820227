/* HTML character references ("&amp;", "&#x41;", "&not"), decoded as the
 * HTML standard's tokenizer decodes them, so the core reads an attribute
 * value exactly as the browser will. */
#ifndef MC_CHARREF_H
#define MC_CHARREF_H

#include <stddef.h>

#include "status.h"

/* Decodes the character references in IN[0..N) as the HTML standard does inside an attribute value
 * (IN_ATTRIBUTE=1: a named reference without ';' followed by '=' or an ASCII alphanumeric is left as
 * written; legacy names without ';' decode) or in text (IN_ATTRIBUTE=0). Named (the full HTML5 table),
 * decimal and hex (with and without ';', 0 / surrogates / > 0x10FFFF -> U+FFFD, 0x80-0x9F through the
 * windows-1252 table, noncharacters and controls kept as the standard says), output UTF-8.
 * Writes at most CAP bytes to OUT; *OUT_LEN gets the length. MC_ELIMIT when CAP is too small
 * (2 * N + 8 is always enough). Never reads past N. */
mc_status_t mc_charref_decode(const char *in, size_t n, int in_attribute, char *out, size_t cap,
                              size_t *out_len);

/* 1 when IN[0..N) holds no '&', so decoding would copy it unchanged. */
int mc_charref_none(const char *in, size_t n);

#endif
