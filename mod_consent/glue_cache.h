/* The page cache of a child process (glue_cache.c): static HTML files as
 * the rewriter made them, kept per everything the rewritten bytes depend on
 * and served again without rewriting. ConsentPageCache bounds its bytes. */
#ifndef MC_GLUE_CACHE_H
#define MC_GLUE_CACHE_H

#include "httpd.h"

#include <apr_buckets.h>

#include "pagecache.h"

/* What a response is kept under, and how much of it may be captured. */
typedef struct mc_cache_ticket {
    unsigned char key[MC_PAGECACHE_KEY];
    apr_size_t entry_max;
} mc_cache_ticket_t;

/* ConsentPageCache when not set: bytes per child process. */
#define MC_PAGE_CACHE_DEFAULT ((apr_size_t)8 << 20)

/* 16 hex digits that change with whatever a rewritten page depends on
 * beyond its own bytes and URL: the visitor's consent, the directory's
 * settings, Accept-Language, the tables the banner lists, and the start
 * of the server (a restart may bring new rules). Part of the page's ETag
 * and of its cache key. */
const char *mc_variant_tag(request_rec *r);

/* The name of the frames of R's page whose content is held ("mc-" and 12
 * hex digits; html.h, frame_name): from the visitor's consent and the
 * page's URL, so that it differs between the pages of a site, and changes
 * with the consent state (a frame once shown live under it, from its
 * placeholder's link, is not found by it in session history). */
const char *mc_frame_name(request_rec *r);

/* 1 when BB, the first brigade of R's body, is a whole static file with
 * its EOS, and the cache is on: *T then holds its key. */
int mc_cache_ticket(request_rec *r, apr_bucket_brigade *bb, mc_cache_ticket_t *t);

/* On a hit, the kept bytes as a new bucket appended to OUT, and the
 * services the page's elements named (catalogue names, for
 * mc_seen_use) in *SERVICES (R's pool), *N of them; 1. 0 on a miss. */
int mc_cache_fetch(request_rec *r, const mc_cache_ticket_t *t, apr_bucket_brigade *out,
                   const char ***services, int *n);

/* Keeps BODY (the whole rewritten response) under T's key, with the
 * services its elements named. A NULL BODY (the page outgrew an entry
 * while it was captured) is counted as refused. */
void mc_cache_store(request_rec *r, const mc_cache_ticket_t *t, const char *body, apr_size_t len,
                    const char *const *services, int n);

/* Fragments of markup made once per variant (the banner): KEY from R's
 * variant tag and PARTS (N strings, NULL allowed), 0 when they are not
 * kept (ConsentPageCache Off). mc_fragment_get returns a copy in R's pool,
 * or NULL. */
int mc_fragment_key(request_rec *r, const char *const *parts, int n,
                    unsigned char key[MC_PAGECACHE_KEY]);
const char *mc_fragment_get(request_rec *r, const unsigned char key[MC_PAGECACHE_KEY]);
void mc_fragment_put(const unsigned char key[MC_PAGECACHE_KEY], const char *data);

int mc_cache_post_config(apr_pool_t *pconf, server_rec *s);
void mc_cache_child_init(apr_pool_t *pchild, server_rec *s);
void mc_cache_register_hooks(apr_pool_t *p);

#endif
