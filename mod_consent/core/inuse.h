/* The catalogue services a site is seen to use: a fixed-size table of
 * (site, service id) with how each was seen and the first and last time,
 * for the cookie declaration and the banner (only the services in use are
 * listed, and the first layer names their vendors).
 *
 * Like the table of seen cookies (seen.h) it lives in a block of memory the
 * caller provides (httpd's shared memory), holds no pointers and does no
 * locking of its own. Bounds:
 *   - a fixed number of entries; when full, a new service takes the place
 *     of the entry seen longest ago only if that one has not been seen for
 *     MC_SEEN_STALE seconds, otherwise it is refused (MC_INUSE_FULL);
 *   - a site or id longer than its maximum, or with a control character or
 *     a tab, is refused (MC_INUSE_INVALID).
 *
 * The services a site is seen to use come from three sources, recorded as
 * bits of "how": a cookie of the service was set (MC_INUSE_COOKIE), the
 * HTML rewriter classified an element of a page by one of its rules
 * (MC_INUSE_ELEMENT), or a Content-Security-Policy report named one of its
 * hosts (MC_INUSE_CSP).
 *
 * The saved form is text, appended after the seen cookies' (seen.h) in the
 * same file, so that a file without it still loads:
 *   mc-inuse 1
 *   SITE<TAB>ID<TAB>HOW<TAB>FIRST<TAB>LAST
 *   ...
 *   end COUNT */
#ifndef MC_INUSE_H
#define MC_INUSE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define MC_INUSE_ID_MAX 64    /* bytes of a service id (rules.h: mc_service_id) */
#define MC_INUSE_SITE_MAX 127 /* as MC_SEEN_SITE_MAX */

#define MC_INUSE_COOKIE 1u  /* a cookie of the service was set */
#define MC_INUSE_ELEMENT 2u /* a page carried an element of the service */
#define MC_INUSE_CSP 4u     /* a CSP report named a host of the service */
#define MC_INUSE_ALL 7u

typedef struct mc_inuse {
    const char *site;
    const char *service; /* the service id */
    unsigned how;        /* MC_INUSE_* bits */
    int64_t first_seen;  /* Unix seconds */
    int64_t last_seen;
} mc_inuse_t;

typedef struct mc_inuse_table mc_inuse_table_t;

typedef enum mc_inuse_result {
    MC_INUSE_ADDED,     /* a new entry (perhaps in place of a stale one) */
    MC_INUSE_UPDATED,   /* known: seen a new way, or the first/last time moved */
    MC_INUSE_UNCHANGED, /* known, nothing to change */
    MC_INUSE_FULL,      /* new, and no room: refused */
    MC_INUSE_INVALID    /* too long, empty, with control characters, or no HOW: refused */
} mc_inuse_result_t;

/* Bytes a table of CAPACITY entries needs (a multiple of 8). */
size_t mc_inuse_size(unsigned capacity);

/* An empty table of CAPACITY entries in MEM (SIZE bytes, aligned for
 * 8-byte integers); NULL when too small. */
mc_inuse_table_t *mc_inuse_init(void *mem, size_t size, unsigned capacity);

unsigned mc_inuse_count(const mc_inuse_table_t *t);

/* Grows whenever an entry is added or is seen a new way: what tells a
 * reader that the set of services, or how they were seen, changed. */
uint64_t mc_inuse_generation(const mc_inuse_table_t *t);

/* Records SERVICE as used by SITE, seen HOW, at NOW. */
mc_inuse_result_t mc_inuse_record(mc_inuse_table_t *t, const char *site, const char *service,
                                  unsigned how, int64_t now);

/* Copies of SITE's entries (mc_inuse_t, strings in P), sorted by service
 * id; SITE NULL for every site's. */
apr_array_header_t *mc_inuse_list(apr_pool_t *p, const mc_inuse_table_t *t, const char *site);

/* The table as text (above), in P. */
char *mc_inuse_serialise(apr_pool_t *p, const mc_inuse_table_t *t);

/* Reads TEXT (LEN bytes, from "mc-inuse 1" to its "end" line and nothing
 * after) into T, replacing what it held. MC_EINVAL with a reason in ERR
 * when a line is damaged; T then holds nothing. */
mc_status_t mc_inuse_parse(mc_inuse_table_t *t, const char *text, size_t len, const char **err);

/* Where the in-use part of a saved file (LEN bytes) starts: the offset of
 * a line "mc-inuse 1", or LEN when the file has none (an older file). */
size_t mc_inuse_offset(const char *text, size_t len);

#endif
