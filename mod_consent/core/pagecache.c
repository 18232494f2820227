/* The page cache (pagecache.h): a chained hash table of entries threaded on
 * one list in order of use, the most recent at the head. */
#include "pagecache.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    unsigned char key[MC_PAGECACHE_KEY];
    struct entry *chain;      /* next in the same bucket */
    struct entry *newer, *older;
    size_t body_len, meta_len;
    /* One for the cache while the entry is in it, one for each hold not
     * yet released; the last to let go frees it. */
    atomic_size_t refs;
    char data[];              /* body, then meta */
} entry_t;

typedef struct bucket {
    entry_t *first;
} bucket_t;

struct mc_pagecache {
    bucket_t *buckets;
    size_t mask; /* buckets - 1 (a power of two) */
    uint64_t seed;
    entry_t *newest, *oldest;
    size_t bytes, limit, entry_max, entries;
    uint64_t hits, misses, stores, evictions, refused;
};

/* One bucket per this many bytes of limit: chains stay short for pages of
 * a few KB, and the table small beside what it indexes. */
#define BYTES_PER_BUCKET 4096
#define BUCKETS_MIN 16
#define BUCKETS_MAX ((size_t)1 << 20)

static size_t cost(size_t body_len, size_t meta_len)
{
    return body_len + meta_len + MC_PAGECACHE_OVERHEAD;
}

/* The key's first 8 bytes (a digest: already uniform) mixed with the seed
 * by a 64-bit finaliser (MurmurHash3's), so that keys an attacker picks to
 * share low bits do not share a bucket. */
static size_t bucket_of(const mc_pagecache_t *c, const unsigned char *key)
{
    uint64_t h = 0;

    for (int i = 0; i < 8; i++)
        h = (h << 8) | key[i];
    h ^= c->seed;
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 33;
    return (size_t)h & c->mask;
}

mc_pagecache_t *mc_pagecache_create(size_t limit, size_t entry_max, uint64_t seed)
{
    mc_pagecache_t *c;
    size_t n = BUCKETS_MIN;

    if (limit < cost(1, 0))
        return NULL;
    while (n < BUCKETS_MAX && n * BYTES_PER_BUCKET < limit)
        n <<= 1;
    c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->buckets = calloc(n, sizeof(*c->buckets));
    if (!c->buckets) {
        free(c);
        return NULL;
    }
    c->mask = n - 1;
    c->seed = seed;
    c->limit = limit;
    c->entry_max = entry_max < limit ? entry_max : limit;
    return c;
}

static void unlink_use(mc_pagecache_t *c, entry_t *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        c->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void link_newest(mc_pagecache_t *c, entry_t *e)
{
    e->older = c->newest;
    e->newer = NULL;
    if (c->newest)
        c->newest->newer = e;
    c->newest = e;
    if (!c->oldest)
        c->oldest = e;
}

/* The link that points at KEY's entry (or the empty end of its chain). */
static entry_t **find(const mc_pagecache_t *c, const unsigned char *key)
{
    entry_t **at = &c->buckets[bucket_of(c, key)].first;

    while (*at && memcmp((*at)->key, key, MC_PAGECACHE_KEY) != 0)
        at = &(*at)->chain;
    return at;
}

/* The entry whose body is at BODY. */
static entry_t *entry_of(const char *body)
{
    return (entry_t *)(void *)(body - offsetof(entry_t, data));
}

static void unref(entry_t *e)
{
    if (atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1)
        free(e);
}

/* Takes E out of its chain and the order of use, and lets it go. */
static void drop(mc_pagecache_t *c, entry_t *e)
{
    entry_t **at = find(c, e->key);

    if (*at == e) /* always, as every entry is in its chain */
        *at = e->chain;
    unlink_use(c, e);
    c->bytes -= cost(e->body_len, e->meta_len);
    c->entries--;
    unref(e);
}

/* Drops the least recently used entry, which has no older one. */
static void drop_oldest(mc_pagecache_t *c)
{
    entry_t *e = c->oldest;
    entry_t **at = find(c, e->key);

    if (*at == e)
        *at = e->chain;
    c->oldest = e->newer;
    if (c->oldest)
        c->oldest->older = NULL;
    else
        c->newest = NULL;
    c->bytes -= cost(e->body_len, e->meta_len);
    c->entries--;
    unref(e);
}

/* KEY's entry, now the most recently used; NULL (a miss) when none. */
static entry_t *look_up(mc_pagecache_t *c, const unsigned char *key)
{
    entry_t *e = *find(c, key);

    if (!e) {
        c->misses++;
        return NULL;
    }
    c->hits++;
    unlink_use(c, e);
    link_newest(c, e);
    return e;
}

mc_status_t mc_pagecache_get(mc_pagecache_t *c, const unsigned char key[MC_PAGECACHE_KEY],
                             const char **body, size_t *body_len, const char **meta,
                             size_t *meta_len)
{
    entry_t *e;

    if (!c || !key)
        return MC_EINVAL;
    e = look_up(c, key);
    if (!e)
        return MC_ENOTFOUND;
    if (body)
        *body = e->data;
    if (body_len)
        *body_len = e->body_len;
    if (meta)
        *meta = e->data + e->body_len;
    if (meta_len)
        *meta_len = e->meta_len;
    return MC_OK;
}

const char *mc_pagecache_hold(mc_pagecache_t *c, const unsigned char key[MC_PAGECACHE_KEY],
                              size_t *body_len, const char **meta, size_t *meta_len)
{
    const char *body;

    if (mc_pagecache_get(c, key, &body, body_len, meta, meta_len) != MC_OK)
        return NULL;
    /* the entry look_up() just found (the caller's lock is still held) */
    atomic_fetch_add_explicit(&entry_of(body)->refs, 1, memory_order_relaxed);
    return body;
}

void mc_pagecache_release(const char *body)
{
    if (body)
        unref(entry_of(body));
}

int mc_pagecache_fits(const mc_pagecache_t *c, size_t body_len, size_t meta_len)
{
    return c && body_len <= c->entry_max && meta_len <= c->entry_max - body_len &&
           cost(body_len, meta_len) <= c->limit;
}

mc_status_t mc_pagecache_put(mc_pagecache_t *c, const unsigned char key[MC_PAGECACHE_KEY],
                             const char *body, size_t body_len, const char *meta,
                             size_t meta_len)
{
    entry_t **at, *e;

    if (!c || !key || (!body && body_len) || (!meta && meta_len))
        return MC_EINVAL;
    if (!mc_pagecache_fits(c, body_len, meta_len)) {
        c->refused++;
        return MC_ELIMIT;
    }
    e = malloc(sizeof(*e) + body_len + meta_len);
    if (!e)
        return MC_ELIMIT;
    memcpy(e->key, key, MC_PAGECACHE_KEY);
    if (body_len)
        memcpy(e->data, body, body_len);
    if (meta_len)
        memcpy(e->data + body_len, meta, meta_len);
    e->body_len = body_len;
    e->meta_len = meta_len;
    atomic_init(&e->refs, 1);
    at = find(c, key);
    if (*at)
        drop(c, *at);
    while (c->oldest && c->bytes + cost(body_len, meta_len) > c->limit) {
        drop_oldest(c);
        c->evictions++;
    }
    at = &c->buckets[bucket_of(c, key)].first;
    e->chain = *at;
    *at = e;
    link_newest(c, e);
    c->bytes += cost(body_len, meta_len);
    c->entries++;
    c->stores++;
    return MC_OK;
}

void mc_pagecache_clear(mc_pagecache_t *c)
{
    if (!c)
        return;
    while (c->oldest)
        drop_oldest(c);
}

void mc_pagecache_destroy(mc_pagecache_t *c)
{
    if (!c)
        return;
    mc_pagecache_clear(c);
    free(c->buckets);
    free(c);
}

void mc_pagecache_stats(const mc_pagecache_t *c, mc_pagecache_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!c)
        return;
    out->hits = c->hits;
    out->misses = c->misses;
    out->stores = c->stores;
    out->evictions = c->evictions;
    out->refused = c->refused;
    out->entries = c->entries;
    out->bytes = c->bytes;
    out->limit = c->limit;
    out->entry_max = c->entry_max;
}
