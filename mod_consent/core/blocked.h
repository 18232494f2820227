/* The hosts a site's pages were stopped from reaching: a fixed-size table
 * of (site, host) with the directives that stopped them, a count and the
 * first and last time, filled from Content-Security-Policy violation
 * reports (csp.h), for the "blocked" part of the cookie declaration. An
 * admin learns from it which third parties the site uses that no rule or
 * ConsentCSPAllow names.
 *
 * Like the table of seen cookies (seen.h) it lives in a block of memory the
 * caller provides (httpd's shared memory), holds no pointers, and does no
 * locking of its own. Its bounds make a flood of reports harmless:
 *   - a fixed number of entries; when full, a new host is refused
 *     (MC_BLOCKED_FULL) and every entry stays;
 *   - a host or site longer than its maximum, or with a control character,
 *     is refused (MC_BLOCKED_INVALID);
 *   - a count stops at UINT32_MAX rather than wrapping. */
#ifndef MC_BLOCKED_H
#define MC_BLOCKED_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <stddef.h>
#include <stdint.h>

#include "seen.h"

#define MC_BLOCKED_HOST_MAX 253 /* bytes of a host (the longest DNS name) */

/* One blocked host as recorded (strings are copies when listed). */
typedef struct mc_blocked_host {
    const char *site;
    const char *host;
    uint32_t directives; /* bit i: directive i of csp.h stopped it */
    uint32_t count;      /* violations reported */
    int64_t first_seen;  /* Unix seconds */
    int64_t last_seen;
} mc_blocked_host_t;

typedef struct mc_blocked_table mc_blocked_table_t;

typedef enum mc_blocked_result {
    MC_BLOCKED_ADDED,   /* a host not known before: worth one log line */
    MC_BLOCKED_COUNTED, /* known: counted */
    MC_BLOCKED_FULL,    /* new, and no room: refused */
    MC_BLOCKED_INVALID  /* too long, empty or with control characters: refused */
} mc_blocked_result_t;

const char *mc_blocked_result_str(mc_blocked_result_t r);

/* Bytes a table of CAPACITY entries needs (a multiple of 8). */
size_t mc_blocked_size(unsigned capacity);

/* Makes an empty table of CAPACITY entries in MEM (SIZE bytes, at least
 * mc_blocked_size(CAPACITY), aligned for 8-byte integers). NULL when too small. */
mc_blocked_table_t *mc_blocked_init(void *mem, size_t size, unsigned capacity);

unsigned mc_blocked_count(const mc_blocked_table_t *t);

/* Counts one violation of directive DIRECTIVE (0-31) by HOST on SITE at NOW. */
mc_blocked_result_t mc_blocked_record(mc_blocked_table_t *t, const char *site, const char *host,
                                      int directive, int64_t now);

/* Copies of SITE's entries (mc_blocked_host_t, strings in P), sorted by
 * host; SITE NULL for every site's. */
apr_array_header_t *mc_blocked_list(apr_pool_t *p, const mc_blocked_table_t *t, const char *site);

/* 1 the first time it is called after the table last refused a host for
 * want of room (and after mc_blocked_init or mc_blocked_rearm_full); else 0. */
int mc_blocked_full_first(mc_blocked_table_t *t);
void mc_blocked_rearm_full(mc_blocked_table_t *t);

#endif
