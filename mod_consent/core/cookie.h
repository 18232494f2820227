/* Set-Cookie and Cookie header parsing and rewriting (RFC 6265, tolerant of
 * what real servers send). Everything here is hostile input: no length or
 * syntax is trusted, nothing reads past the given bytes. */
#ifndef MC_COOKIE_H
#define MC_COOKIE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <stdint.h>

#include "category.h"
#include "status.h"

#define MC_COOKIE_HEADER_MAX 16384 /* longer Set-Cookie values are not parsed */

/* One Set-Cookie, as far as consent cares. */
typedef struct mc_setcookie {
    const char *name;   /* never NULL; "" for a nameless cookie ("=v" or "v") */
    const char *value;  /* quotes kept as sent */
    const char *domain; /* Domain attribute without a leading '.', lower-cased, or NULL */
    const char *path;   /* Path attribute or NULL */
    int has_max_age;
    int64_t max_age;
    int has_expires;
    int64_t expires; /* Unix seconds; only when has_expires and it parsed */
} mc_setcookie_t;

/* Splits a Set-Cookie field value into its cookies. Several cookies can reach
 * us folded into one value with commas (a backend or mod_headers merged them);
 * a comma splits only where a "name=" follows it, so one inside an Expires
 * date ("Wed, 21 Oct 2026 ...") or a double-quoted value does not.
 * Returns an array of char* (trimmed, never empty). */
apr_array_header_t *mc_setcookie_split(apr_pool_t *p, const char *field);

/* Parses one cookie of a Set-Cookie value. MC_EINVAL when it has no name and
 * no value, when its name or value holds a control character (browsers drop
 * such a cookie; tab is allowed) or it is over MC_COOKIE_HEADER_MAX.
 * Attribute names are case-insensitive and the last of a name wins; unknown
 * attributes, a Max-Age that is not an integer and an Expires that is not a
 * cookie date (RFC 6265 5.1.1) are ignored. A Path not starting with '/' is
 * the default path (NULL). */
mc_status_t mc_setcookie_parse(apr_pool_t *p, const char *text, mc_setcookie_t *out);

/* 1 when the cookie deletes rather than sets: Max-Age <= 0, or (without
 * Max-Age, which takes precedence) Expires before NOW. Deletions always pass. */
int mc_setcookie_is_deletion(const mc_setcookie_t *c, int64_t now);

/* What a cookie is, for consent: a deletion always passes, a session
 * cookie goes when the browser closes, a persistent one stays. UNKNOWN is a
 * cookie of a Cookie request header, which does not say. */
typedef enum mc_cookie_life {
    MC_COOKIE_DELETION,
    MC_COOKIE_SESSION,
    MC_COOKIE_PERSISTENT,
    MC_COOKIE_UNKNOWN
} mc_cookie_life_t;

/* C's life at NOW: a deletion as mc_setcookie_is_deletion says; else
 * persistent with a Max-Age or an Expires that parsed; else a session
 * cookie (browsers ignore an Expires that is not a date, as the parser). */
mc_cookie_life_t mc_setcookie_life(const mc_setcookie_t *c, int64_t now);

/* ConsentUnclassified: what becomes of a cookie no rule classifies. */
typedef enum mc_unclassified {
    MC_UNCLASSIFIED_ALLOW = 0, /* it passes, as if necessary */
    MC_UNCLASSIFIED_BLOCK = 1, /* it never passes */
    /* the default: a persistent one is held until the visitor grants every
     * optional category (the only choice that covers whatever it really
     * is); a session one passes, so that logins keep working */
    MC_UNCLASSIFIED_HOLD = 2
} mc_unclassified_t;

/* How an unclassified cookie is treated. */
typedef enum mc_treatment {
    MC_TREATMENT_ALLOWED, /* passes without consent */
    MC_TREATMENT_HELD,    /* passes only once every optional category is granted */
    MC_TREATMENT_BLOCKED  /* never passes */
} mc_treatment_t;

/* The treatment under MODE of an unclassified cookie of LIFE: ALLOW
 * allows, BLOCK blocks (a deletion is allowed in every mode); HOLD holds a
 * persistent cookie and allows a session one, a deletion, and one of
 * UNKNOWN life (a request cookie nobody saw set persistently). */
mc_treatment_t mc_unclassified_treatment(mc_unclassified_t mode, mc_cookie_life_t life);

/* "allowed", "held" or "blocked". */
const char *mc_treatment_str(mc_treatment_t t);

/* 1 when a cookie may be set (or kept by a browser that sends it).
 * CATEGORY is the index of the category its rule names, or -1 when no rule
 * classifies it; LIFE what it is; GRANTED what the visitor granted;
 * OPTIONAL the categories that need consent (the ones not required); MODE
 * the ConsentUnclassified in force. A deletion always passes; a classified
 * cookie passes when its category is granted; an unclassified one as
 * mc_unclassified_treatment says, a held one when GRANTED covers OPTIONAL. */
int mc_cookie_passes(int category, mc_cookie_life_t life, mc_catmask_t granted,
                     mc_catmask_t optional, mc_unclassified_t mode);

/* One cookie of a Cookie request header. */
typedef struct mc_cookie {
    const char *name;
    const char *value;
} mc_cookie_t;

/* Parses a Cookie header ("a=1; b=2"); pairs without '=' have value "".
 * Returns an array of mc_cookie_t in order. */
apr_array_header_t *mc_cookie_parse(apr_pool_t *p, const char *header);

/* Rebuilds a Cookie header from mc_cookie_t pairs, or NULL when empty. */
char *mc_cookie_join(apr_pool_t *p, const apr_array_header_t *cookies);

/* Set-Cookie values that delete cookie NAME on HOST (a Host header: port,
 * case and a trailing dot do not matter), all with Path=/: one host-only and
 * one for each parent domain of HOST with at least two labels (trackers set
 * Domain=.example.no from www.example.no), at most 4, those nearest the top.
 * No parent for an IP address, a single-label or a malformed host. SECURE
 * adds the Secure attribute; a "__Secure-" or "__Host-" name always gets it,
 * and a "__Host-" name no parents (browsers require both). Array of char*;
 * empty when NAME is empty or holds ';', ',', '=', whitespace or a control
 * character, so that no attribute or header can be injected. */
apr_array_header_t *mc_cookie_expiry_headers(apr_pool_t *p, const char *name, const char *host,
                                             int secure);

/* 1 when NAME is a cookie name (RFC 6265: an RFC 9110 token) of 1 to MAX
 * bytes. */
int mc_cookie_name_valid(const char *name, size_t max);

/* 1 when HOST is DOMAIN or a subdomain of it (RFC 6265 5.1.3 domain-match,
 * case-insensitive; DOMAIN without a leading dot). */
int mc_domain_match(const char *host, const char *domain);

#endif
