/* URLs as a browser reads them (the WHATWG URL standard, for the http(s)
 * and ws(s) schemes), reduced to the form URL rules are matched against.
 *
 * The normal form is "host/path?query":
 *   - no scheme, no userinfo, no port, no fragment;
 *   - the host percent-decoded, mapped as browsers map international names
 *     (UTS46 and punycode, through libidn2: "ｇｏｏｇｌｅ.com" is "google.com"),
 *     lower-cased, without a trailing dot; an IPv4 address in any of the
 *     forms the standard accepts ("0x7f.1", "2130706433") as dotted decimal;
 *     a label the mapping refuses is kept as written, lower-cased;
 *   - the path with '\' read as '/', dot segments ("/a/../b", "%2e%2E")
 *     removed, the characters a browser escapes escaped, escapes of
 *     unreserved characters (ALPHA DIGIT - . _ ~) decoded and the others in
 *     upper case, so "/%61b" and "/ab" are one path; the query likewise.
 * So a rule on "s3.amazonaws.com/downloads.mailchimp.com/..." sees every
 * spelling of that URL that fetches the same thing.
 */
#ifndef MC_URL_H
#define MC_URL_H

#include <stddef.h>

/* Normal forms up to this size live on the stack: the usual URL costs no
 * allocation. */
#define MC_URL_STACK_MAX 2048

typedef struct mc_url_norm {
    char *text;      /* "host/path?query" */
    size_t len;
    size_t host_len; /* text[host_len] is the '/' that starts the path */
    char *heap;      /* set when the normal form did not fit in stack */
    char stack[MC_URL_STACK_MAX];
} mc_url_norm_t;

/* Fills U with the normal form of URL[0..N). 0 (and U needs no release) when
 * URL names no host: relative URLs, other schemes (data:, blob:,
 * javascript:...), an empty host. Reads nothing past N. */
int mc_url_normalise(const char *url, size_t n, mc_url_norm_t *u);

/* Frees what mc_url_normalise allocated, if anything. */
void mc_url_release(mc_url_norm_t *u);

/* GLOB[0..N), the path part of a URL glob, spelt as the normal form spells
 * a path: escapes of unreserved characters decoded, other escapes in upper
 * case, what a browser escapes escaped; '*' and '?' stay wildcards. OUT
 * holds 3 * N bytes. Returns the length written. */
size_t mc_url_canon_glob(const char *glob, size_t n, char *out);

/* Resolves REL against the absolute BASE as a browser would (RFC 3986 / WHATWG for http(s) bases:
 * "//h/x", "/x", "x", "?q", "#f", "../x"). Writes the absolute URL to OUT (at most CAP bytes),
 * returns its length, or 0 when REL is already absolute or BASE is not an absolute http(s) URL
 * (the caller then uses REL as it is) or it does not fit.
 * "https:x" under an https BASE is relative, as in a browser ("https://base-host/x"). Dot
 * segments are removed and '\' in the path is '/'; nothing is escaped or decoded (that is
 * mc_url_normalise's work). */
size_t mc_url_resolve(const char *base, size_t base_len, const char *rel, size_t rel_len, char *out,
                      size_t cap);

/* 1 when URL (trimmed as the URL parser trims) names a host, i.e. is absolute http(s)/ws(s) or
 * protocol-relative (with / or \). An empty host ("https://", "//") names none. */
int mc_url_has_host(const char *url, size_t len);

#endif
