/* Consent on every response's headers (glue_headers.c): Set-Cookie
 * filtering, and the expiry or stripping of refused request cookies. */
#ifndef MC_GLUE_HEADERS_H
#define MC_GLUE_HEADERS_H

#include "mod_consent.h"

#include "util_filter.h"

/* 1 when cookie NAME, of LIFE, may be set or kept under GRANTED
 * (mc_cookie_passes), or its rule's service is one of the request's
 * granted services. A request cookie (MC_COOKIE_UNKNOWN) that no rule
 * classifies counts as persistent when the table of seen cookies records
 * the site setting it so (mc_seen_persistent). */
int mc_cookie_granted(request_rec *r, const char *name, mc_cookie_life_t life,
                      mc_catmask_t granted);
/* Adds Set-Cookie deletions for the request's cookies GRANTED does not cover. */
void mc_expire_cookies(request_rec *r, mc_request_state_t *st, mc_catmask_t granted);
int mc_fixups(request_rec *r);
void mc_insert_filter(request_rec *r);
apr_status_t mc_headers_filter(ap_filter_t *f, apr_bucket_brigade *bb);
void mc_headers_child_init(apr_pool_t *p);

#endif
