/* HTTP header field values the HTML filter decides by (RFC 9110, 9111):
 * Content-Type, Content-Encoding, Cache-Control, Vary and ETag.
 *
 * Values come from the site's backend, which may be a proxied one of any
 * quality: nothing here trusts a value to be well-formed. A list is split at
 * the commas outside quoted strings (a quoted string ends at an unescaped
 * '"', or at the end of the value when it never does); its elements are
 * trimmed of whitespace and empty ones skipped (RFC 9110, 5.6.1). Names and
 * tokens compare case-insensitively, as whole words: unlike httpd's
 * ap_find_token(), "no-cache=\"private\"" does not say "private" and
 * "Cook" is not "Cookie". */
#ifndef MC_HTTPFIELD_H
#define MC_HTTPFIELD_H

#include <apr_pools.h>
#include <apr_tables.h>

/* --- Content-Type ---------------------------------------------------------------------- */

/* Whether CONTENT_TYPE (NULL: none) is text/html or application/xhtml+xml,
 * whatever its case, leading whitespace and parameters. */
int mc_httpfield_is_html(const char *content_type);

/* The value of parameter NAME of CONTENT_TYPE (type/subtype *(";" name=value)),
 * unquoted and unescaped, or NULL when it has none. Whitespace around ';'
 * and '=' is allowed; a parameter without '=' is skipped; when NAME is given
 * twice the first counts (WHATWG MIME type parsing). */
const char *mc_httpfield_param(apr_pool_t *p, const char *content_type, const char *name);

/* Whether the charset of CONTENT_TYPE reads as ASCII does, so that the
 * rewriter may treat the body as bytes: any charset but UTF-16 and UTF-32
 * ("utf-16", "utf-16le", "utf-32be", ...), and none at all. */
int mc_httpfield_ascii_compatible(apr_pool_t *p, const char *content_type);

/* --- Content-Encoding ---------------------------------------------------------------- */

typedef enum mc_httpfield_encoding {
    MC_HTTPFIELD_ENCODING_NONE = 0, /* no coding, or identity only */
    MC_HTTPFIELD_ENCODING_GZIP,     /* gzip (or x-gzip) once, identity aside */
    MC_HTTPFIELD_ENCODING_OTHER     /* any other coding, or gzip twice */
} mc_httpfield_encoding_t;

const char *mc_httpfield_encoding_str(mc_httpfield_encoding_t e);

/* The coding a Content-Encoding LIST (NULL: none) says the body has. */
mc_httpfield_encoding_t mc_httpfield_encoding(const char *list);

/* --- lists of directives (Cache-Control) and tokens (Vary) ----------------------------- */

/* Whether LIST (NULL: none) has directive NAME, name[=value], with or
 * without a value. */
int mc_httpfield_has_directive(const char *list, const char *name);

/* LIST without its directives NAME, the other elements joined by ',' as
 * they were (trimmed), or NULL when nothing is left. */
const char *mc_httpfield_without_directive(apr_pool_t *p, const char *list, const char *name);

/* Whether a Vary LIST (NULL: none) already makes caches key on the Cookie
 * request field: it names Cookie, or is "*". */
int mc_httpfield_vary_has_cookie(const char *list);

/* --- ETag ---------------------------------------------------------------------------------- */

/* The weak ETag W/"<opaque>-mc<VARIANT>" of ETAG, a strong ("x") or weak
 * (W/"x") entity-tag with whitespace around it allowed, or NULL when ETAG is
 * not one (no quotes, a quote or control byte inside, bytes after it). */
const char *mc_httpfield_variant_etag(apr_pool_t *p, const char *etag, const char *variant);

/* --- fields that make a browser fetch (Link, Refresh) ----------------------------------- */

/* One link-value of a Link field (RFC 8288): its whole text, trimmed, and
 * its target, the URI reference between '<' and '>' (NULL when the value
 * does not start so: a browser ignores it). */
typedef struct mc_httpfield_link {
    const char *text;
    const char *uri;
} mc_httpfield_link_t;

/* The link-values of a Link field VALUE: split at the commas outside
 * <...> and quoted strings, empty ones skipped. */
apr_array_header_t *mc_httpfield_links(apr_pool_t *p, const char *value);

/* The URL a Refresh field VALUE sends the browser to, read as the HTML
 * standard's declarative refresh reads it ("5; url='/next'", "0,URL=x",
 * "1 x"), or NULL when it only reloads the page or is not a refresh. */
const char *mc_httpfield_refresh_url(apr_pool_t *p, const char *value);

#endif
