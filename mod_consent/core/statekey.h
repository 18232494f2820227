/* The consent-state key: a short, normalised name for what a visitor has
 * agreed to, for a shared cache (Varnish, a CDN) in front of the server
 * (ConsentSharedCache). The signed consent cookie differs per visitor (its
 * id and time); the key is the same for every visitor whose pages the
 * rewriter makes alike, so that a cache can keep one copy per key.
 *
 * Form (cookie-octets and a header token alike, no quoting needed):
 *   "none"               no decision (or none the server honours any more)
 *   "c1-" 20 hex digits  a decision: the first 10 bytes of SHA-256 over the
 *                        policy version, the names of the granted categories
 *                        and the ids of the services granted beyond them,
 *                        sorted, each with its length first
 * Category names rather than their bits: a category declared in another
 * order names the same state. Global Privacy Control and the banner's
 * language are not in it: the request carries them (Sec-GPC,
 * Accept-Language) and the response's Vary names them. */
#ifndef MC_STATEKEY_H
#define MC_STATEKEY_H

#include <apr_pools.h>

#include "category.h"
#include "token.h"

#define MC_STATEKEY_NONE "none"
#define MC_STATEKEY_PREFIX "c1-"
#define MC_STATEKEY_HEX 20

/* The key of consent C (undecided: "none"); NULL if libcrypto fails. */
const char *mc_statekey_make(apr_pool_t *p, const mc_categories_t *cats, const mc_consent_t *c);

/* 1 when VALUE (NULL: none) is a key in the form above, nothing around it. */
int mc_statekey_valid(const char *value);

/* 1 when a request field VALUE (NULL: none) names KEY: the same key,
 * optional whitespace around it. */
int mc_statekey_matches(const char *value, const char *key);

/* How long a shared cache may keep a page that the module may let it keep
 * for up to MAX seconds, given what the site itself sent: its Cache-Control
 * CC and Surrogate-Control SC (NULL: none). 0 when the site says a shared
 * cache must not keep it or must ask each time (private, no-store,
 * no-cache, s-maxage=0 or max-age=0; no-store in SC); otherwise the
 * smallest of MAX and the site's own lifetime (SC's max-age, else CC's
 * s-maxage, else its max-age). */
long long mc_statekey_shared_ttl(const char *cc, const char *sc, long long max);

#endif
