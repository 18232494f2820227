/* The table of blocked hosts; see blocked.h. */
#include "blocked.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

#define BLOCKED_MAGIC 0x6d63626cu /* "mcbl" */

/* Fixed-size strings only: the table is mapped at different addresses in
 * different processes. */
typedef struct blocked_entry {
    int64_t first_seen;
    int64_t last_seen;
    uint32_t directives;
    uint32_t count;
    uint32_t used;
    char site[MC_SEEN_SITE_MAX + 1];
    char host[MC_BLOCKED_HOST_MAX + 1];
} blocked_entry_t;

struct mc_blocked_table {
    uint32_t magic;
    uint32_t capacity;
    uint32_t count;
    uint32_t full_pending; /* a refusal not yet reported by mc_blocked_full_first */
    uint32_t full_reported;
    uint32_t reserved;
    blocked_entry_t entries[];
};

const char *mc_blocked_result_str(mc_blocked_result_t r)
{
    switch (r) {
    case MC_BLOCKED_ADDED: return "added";
    case MC_BLOCKED_COUNTED: return "counted";
    case MC_BLOCKED_FULL: return "full";
    case MC_BLOCKED_INVALID: return "invalid";
    }
    return "?";
}

size_t mc_blocked_size(unsigned capacity)
{
    size_t size = sizeof(mc_blocked_table_t) + (size_t)capacity * sizeof(blocked_entry_t);

    return (size + 7) & ~(size_t)7;
}

mc_blocked_table_t *mc_blocked_init(void *mem, size_t size, unsigned capacity)
{
    mc_blocked_table_t *t = mem;

    if (!mem || capacity == 0 || size < mc_blocked_size(capacity))
        return NULL;
    memset(mem, 0, mc_blocked_size(capacity));
    t->magic = BLOCKED_MAGIC;
    t->capacity = capacity;
    return t;
}

unsigned mc_blocked_count(const mc_blocked_table_t *t)
{
    return t->count;
}

mc_blocked_result_t mc_blocked_record(mc_blocked_table_t *t, const char *site, const char *host,
                                      int directive, int64_t now)
{
    blocked_entry_t *free_slot = NULL;
    uint32_t bit = directive >= 0 && directive < 32 ? (uint32_t)1 << directive : 0;

    if (!site || !host || !host[0] || !mc_seen_text_ok(site, MC_SEEN_SITE_MAX) ||
        !mc_seen_text_ok(host, MC_BLOCKED_HOST_MAX))
        return MC_BLOCKED_INVALID;
    /* a linear scan: the table is small, and reports are rare */
    for (uint32_t i = 0; i < t->capacity; i++) {
        blocked_entry_t *e = &t->entries[i];
        if (!e->used) {
            if (!free_slot)
                free_slot = e;
            continue;
        }
        if (strcmp(e->host, host) != 0 || strcmp(e->site, site) != 0)
            continue;
        e->directives |= bit;
        if (e->count < UINT32_MAX)
            e->count++;
        if (now > e->last_seen)
            e->last_seen = now;
        if (now < e->first_seen)
            e->first_seen = now;
        return MC_BLOCKED_COUNTED;
    }
    if (!free_slot) {
        t->full_pending = 1;
        return MC_BLOCKED_FULL;
    }
    memset(free_slot, 0, sizeof(*free_slot));
    apr_cpystrn(free_slot->site, site, sizeof(free_slot->site));
    apr_cpystrn(free_slot->host, host, sizeof(free_slot->host));
    free_slot->directives = bit;
    free_slot->count = 1;
    free_slot->first_seen = free_slot->last_seen = now;
    free_slot->used = 1;
    t->count++;
    return MC_BLOCKED_ADDED;
}

static int by_host(const void *a, const void *b)
{
    return strcmp(((const mc_blocked_host_t *)a)->host, ((const mc_blocked_host_t *)b)->host);
}

apr_array_header_t *mc_blocked_list(apr_pool_t *p, const mc_blocked_table_t *t, const char *site)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(mc_blocked_host_t));

    for (uint32_t i = 0; i < t->capacity; i++) {
        const blocked_entry_t *e = &t->entries[i];
        mc_blocked_host_t *h;

        if (!e->used || (site && strcmp(e->site, site) != 0))
            continue;
        h = apr_array_push(out);
        h->site = apr_pstrdup(p, e->site);
        h->host = apr_pstrdup(p, e->host);
        h->directives = e->directives;
        h->count = e->count;
        h->first_seen = e->first_seen;
        h->last_seen = e->last_seen;
    }
    if (out->nelts > 1)
        qsort(out->elts, (size_t)out->nelts, sizeof(mc_blocked_host_t), by_host);
    return out;
}

int mc_blocked_full_first(mc_blocked_table_t *t)
{
    if (!t->full_pending || t->full_reported)
        return 0;
    t->full_reported = 1;
    return 1;
}

void mc_blocked_rearm_full(mc_blocked_table_t *t)
{
    t->full_pending = 0;
    t->full_reported = 0;
}
