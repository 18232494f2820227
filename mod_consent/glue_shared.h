/* A shared cache in front of the server (glue_shared.c, ConsentSharedCache):
 * the consent-state key (core/statekey.h) in a cookie of its own, and the
 * response fields that let a cache keep a rewritten page under that key
 * only when the key the cache used is the one the visitor's signed consent
 * cookie says. */
#ifndef MC_GLUE_SHARED_H
#define MC_GLUE_SHARED_H

#include "mod_consent.h"

/* The request field the cache sets from the key's cookie and keys on. */
#define MC_SHARED_FIELD "Consent-State"

/* The key of R's verified consent ("none" when there is none); NULL if
 * libcrypto fails. */
const char *mc_shared_key(request_rec *r);

/* At the endpoint, a new decision C (lasting MAX_AGE seconds) was set:
 * its key's cookie goes with it. Nothing when ConsentSharedCache is Off. */
void mc_shared_set_cookie(request_rec *r, const mc_consent_t *c, apr_int64_t max_age);

/* The HTML filter is about to make R's page private to the visitor
 * (Cache-Control: private, Vary: Cookie): what the site itself said of its
 * caching, before that. SITE_PRIVATE: its Cache-Control said private or
 * no-store, or its Vary named Cookie (the page is the visitor's own, the
 * consent aside). CC and SC: its Cache-Control and Surrogate-Control. */
void mc_shared_note_page(request_rec *r, int site_private, const char *cc, const char *sc);

/* In the headers filter, once every Set-Cookie is final: the fields that
 * tell a shared cache whether it may keep R's rewritten page, under which
 * key and for how long. */
void mc_shared_headers(request_rec *r);

#endif
