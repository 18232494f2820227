/* ASCII character classes, as the HTML, CSS and URL standards name them:
 * bytes only, never the C library's locale-dependent ones. */
#ifndef MC_ASCII_H
#define MC_ASCII_H

static inline int mc_ascii_digit(int c)
{
    return c >= '0' && c <= '9';
}

static inline int mc_ascii_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The value of a hex digit, or -1. */
static inline int mc_ascii_hex_value(int c)
{
    if (mc_ascii_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
