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
#define MC_PAGE_CACHE_DEFAULT (8 * 1024 * 1024)

/* 1 when BB, the first brigade of R's body, is a whole static file with
 * its EOS, and the cache is on: *T then holds its key. */
int mc_cache_ticket(request_rec *r, apr_bucket_brigade *bb, mc_cache_ticket_t *t);

/* On a hit, the kept bytes as a new bucket appended to OUT, and the
 * services the page's elements named (catalogue names, for
 * mc_seen_use) in *SERVICES (R's pool), *N of them; 1. 0 on a miss. */
int mc_cache_fetch(request_rec *r, const mc_cache_ticket_t *t, apr_bucket_brigade *out,
                   const char ***services, int *n);

/* Keeps BODY (the whole rewritten response) under T's key, with the
 * services its elements named. */
void mc_cache_store(request_rec *r, const mc_cache_ticket_t *t, const char *body, apr_size_t len,
                    const char *const *services, int n);

int mc_cache_post_config(apr_pool_t *pconf, server_rec *s);
void mc_cache_child_init(apr_pool_t *pchild, server_rec *s);
void mc_cache_register_hooks(apr_pool_t *p);

#endif
