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

#include "charset.h"

/* --- Content-Type ---------------------------------------------------------------------- */

/* What a browser makes of a response of CONTENT_TYPE (NULL: none) as a
 * document, whatever its case, leading whitespace and parameters. */
typedef enum mc_httpfield_doc {
    MC_HTTPFIELD_DOC_OTHER = 0, /* not a document the module acts on */
    MC_HTTPFIELD_DOC_HTML,      /* text/html, application/xhtml+xml */
    MC_HTTPFIELD_DOC_UNKNOWN,   /* none, unknown/unknown, application/unknown or
                                 * * / *: the browser sniffs (MIME Sniffing 7.1) */
    MC_HTTPFIELD_DOC_XML        /* text/xml, application/xml, image/svg+xml and any
                                 * other +xml: scripts run in it, the HTML
                                 * rewriter cannot read it */
} mc_httpfield_doc_t;

mc_httpfield_doc_t mc_httpfield_document(const char *content_type);

/* Whether it is application/xhtml+xml: a page an XML parser reads. */
int mc_httpfield_is_xhtml(const char *content_type);

/* The value of parameter NAME of CONTENT_TYPE (type/subtype *(";" name=value)),
 * unquoted and unescaped, or NULL when it has none. Whitespace around ';'
 * and '=' is allowed; a parameter without '=' is skipped; when NAME is given
 * twice the first counts (WHATWG MIME type parsing). */
const char *mc_httpfield_param(apr_pool_t *p, const char *content_type, const char *name);

/* How the charset of CONTENT_TYPE reads (charset.h): as bytes when it has
 * none, or one browsers do not know. */
mc_charset_t mc_httpfield_charset(apr_pool_t *p, const char *content_type);

/* CONTENT_TYPE with its charset made utf-8: its type, then "; charset=utf-8". */
const char *mc_httpfield_as_utf8(apr_pool_t *p, const char *content_type);

/* --- Content-Encoding ---------------------------------------------------------------- */

typedef enum mc_httpfield_coding {
    MC_HTTPFIELD_GZIP = 0, /* gzip, x-gzip */
    MC_HTTPFIELD_DEFLATE
} mc_httpfield_coding_t;

/* Codings a body may have and still be read; more is unreadable. */
#define MC_HTTPFIELD_CODINGS_MAX 3

/* The codings a Content-Encoding LIST (NULL: none) says were applied, in
 * the order they were (identity left out), into OUT: their number, 0 for
 * none, or -1 when one is not gzip or deflate, or there are more than
 * MC_HTTPFIELD_CODINGS_MAX. */
int mc_httpfield_codings(const char *list, mc_httpfield_coding_t out[MC_HTTPFIELD_CODINGS_MAX]);

/* An Accept-Encoding LIST with only the codings the filter can read (gzip,
 * x-gzip, deflate, identity) and their weights, or "identity" when none
 * is left; NULL when LIST is NULL. */
const char *mc_httpfield_readable_accept(apr_pool_t *p, const char *list);

/* --- lists of directives (Cache-Control) and tokens (Vary) ----------------------------- */

/* Whether LIST (NULL: none) has directive NAME, name[=value], with or
 * without a value. */
int mc_httpfield_has_directive(const char *list, const char *name);

/* LIST without its directives NAME, the other elements joined by ',' as
 * they were (trimmed), or NULL when nothing is left. */
const char *mc_httpfield_without_directive(apr_pool_t *p, const char *list, const char *name);

/* The delta-seconds of directive NAME of LIST (NULL: none), such as
 * max-age=300 or max-age="300", into *SECONDS: 1. 0 when LIST lacks it or
 * its value is not a number of seconds (a cache then treats it as 0). */
int mc_httpfield_directive_seconds(const char *list, const char *name, long long *seconds);

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
