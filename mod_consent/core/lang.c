#include "lang.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int mc_lang_tag_valid(const char *tag)
{
    size_t len = strlen(tag);

    if (len < 2 || len > 8 || !is_alpha(tag[0]) || !is_alpha(tag[1]))
        return 0;
    for (const char *c = tag; *c; c++) {
        if (!is_alpha(*c) && *c != '-')
            return 0;
    }
    return 1;
}

/* Does the range (RANGE, LEN) name OFFERED: exactly, or as its primary
 * subtag ("nb-NO" for "nb")? */
static int range_matches(const char *range, size_t len, const char *offered)
{
    size_t primary = 0;

    while (primary < len && range[primary] != '-')
        primary++;
    if (primary == 2 && strncasecmp(range, "no", 2) == 0)
        return strcmp(offered, "nb") == 0;
    if (strlen(offered) == len && strncasecmp(range, offered, len) == 0)
        return 1;
    return strlen(offered) == primary && strncasecmp(range, offered, primary) == 0;
}

/* Parses ";q=0.8" (RFC 9110: up to three decimals) into thousandths. */
static int parse_q(const char *p, const char *end)
{
    int q = 0, digits = 0;

    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (end - p < 3 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
        return 1000;
    p += 2;
    if (*p == '1')
        return 1000;
    if (*p != '0')
        return 0;
    p++;
    if (p < end && *p == '.') {
        for (p++; p < end && *p >= '0' && *p <= '9' && digits < 3; p++, digits++)
            q = q * 10 + (*p - '0');
    }
    while (digits++ < 3)
        q *= 10;
    return q;
}

int mc_lang_negotiate(const char *accept, const char *const *offered, int n)
{
    int best = -1, best_q = 0;

    if (!accept)
        return -1;
    for (const char *p = accept; *p;) {
        const char *end = strchr(p, ',');
        const char *semi;
        size_t len;
        int q;

        if (!end)
            end = p + strlen(p);
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        semi = memchr(p, ';', (size_t)(end - p));
        len = (size_t)((semi ? semi : end) - p);
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        q = semi ? parse_q(semi + 1, end) : 1000;
        for (int i = 0; len > 0 && q > best_q && i < n; i++) {
            if (range_matches(p, len, offered[i])) {
                best = i;
                best_q = q;
                break;
            }
        }
        p = *end ? end + 1 : end;
    }
    return best;
}
