/* A bounded cache of rewritten pages: bytes kept under a 32-byte key (the
 * SHA-256 of everything the rewritten bytes depend on, made by the glue),
 * least recently used first out.
 *
 * Bounds, whatever is put in:
 *   - the bytes it holds (each entry counted with its key, its bookkeeping
 *     and MC_PAGECACHE_OVERHEAD) never exceed the limit it was made with;
 *   - an entry larger than the per-entry maximum is refused;
 *   - so the number of entries is at most limit / MC_PAGECACHE_OVERHEAD.
 * Keys come from requests an attacker shapes; the bucket of a key is its
 * digest mixed with a secret seed, so collisions cannot be aimed at.
 *
 * No locking of its own: a caller that shares it between threads holds one
 * lock around every call and around its use of what mc_pagecache_get
 * returns (valid until the next put, clear or destroy), but not around
 * mc_pagecache_release. A body held (mc_pagecache_hold) outlives its entry:
 * an entry pushed out while responses still send it is freed by the last
 * release, and its bytes stop counting against the limit when it leaves. */
#ifndef MC_PAGECACHE_H
#define MC_PAGECACHE_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define MC_PAGECACHE_KEY 32        /* bytes of a key */
#define MC_PAGECACHE_OVERHEAD 256 /* bytes counted per entry beyond its data */

typedef struct mc_pagecache mc_pagecache_t;

typedef struct mc_pagecache_stats {
    uint64_t hits, misses;
    uint64_t stores;    /* entries put in */
    uint64_t evictions; /* entries pushed out to make room */
    uint64_t refused;   /* entries over the per-entry maximum */
    size_t entries;
    size_t bytes; /* counted as the limit counts them */
    size_t limit, entry_max;
} mc_pagecache_stats_t;

/* A cache of at most LIMIT bytes, each entry at most ENTRY_MAX (at most
 * LIMIT); SEED keys the bucket hash. NULL when out of memory or LIMIT is
 * too small for one entry. */
mc_pagecache_t *mc_pagecache_create(size_t limit, size_t entry_max, uint64_t seed);
void mc_pagecache_destroy(mc_pagecache_t *c);

/* The entry of KEY, now the most recently used: its BODY and META (both
 * may be empty), valid until the cache next changes. MC_ENOTFOUND when
 * there is none (a miss). */
mc_status_t mc_pagecache_get(mc_pagecache_t *c, const unsigned char key[MC_PAGECACHE_KEY],
                             const char **body, size_t *body_len, const char **meta,
                             size_t *meta_len);

/* The body of KEY's entry, now the most recently used, held readable with
 * its META until mc_pagecache_release, whatever happens to the cache
 * meanwhile (put, clear, destroy). NULL on a miss. */
const char *mc_pagecache_hold(mc_pagecache_t *c, const unsigned char key[MC_PAGECACHE_KEY],
                              size_t *body_len, const char **meta, size_t *meta_len);
/* Lets go of a BODY that mc_pagecache_hold returned; from any thread, with
 * or without the cache's lock. */
void mc_pagecache_release(const char *body);

/* Keeps copies of BODY and META under KEY, replacing what KEY held and
 * pushing out the least recently used entries until they fit. MC_ELIMIT
 * when the entry is over the per-entry maximum (nothing changes),
 * MC_EINVAL on bad arguments. */
mc_status_t mc_pagecache_put(mc_pagecache_t *c, const unsigned char key[MC_PAGECACHE_KEY],
                             const char *body, size_t body_len, const char *meta,
                             size_t meta_len);

/* Whether an entry of these sizes could be kept at all. */
int mc_pagecache_fits(const mc_pagecache_t *c, size_t body_len, size_t meta_len);

void mc_pagecache_clear(mc_pagecache_t *c);
void mc_pagecache_stats(const mc_pagecache_t *c, mc_pagecache_stats_t *out);

#endif
