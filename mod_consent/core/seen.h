/* The cookies a site is seen to set: a fixed-size table of (site, name,
 * domain) with the longest lifetime and the first and last time each was
 * seen, for the "seen" part of the cookie declaration.
 *
 * The table lives in a block of memory the caller provides (httpd puts it
 * in shared memory, so every process of the server adds to one table) and
 * holds no pointers: it can be copied, saved and mapped anywhere. Nothing
 * here locks; the caller serialises writers.
 *
 * Bounds, so that a backend setting thousands of random names cannot grow
 * memory or push real cookies out:
 *   - the table has a fixed number of entries, chosen by the caller;
 *   - a name, domain or site longer than its maximum below, or holding a
 *     control character, is not recorded;
 *   - when the table is full, a new cookie takes the place of the entry
 *     seen longest ago only if that entry has not been seen for
 *     MC_SEEN_STALE seconds (a cookie the site stopped setting); otherwise
 *     it is refused (MC_SEEN_FULL) and every entry stays.
 *
 * Lifetimes are seconds: Max-Age as sent, or Expires minus the time it was
 * seen, rounded to the minute (a backend that sends "a year from now" with
 * each response then gives the same lifetime every time);
 * MC_SEEN_SESSION when neither is sent. The longest seen is kept, and any
 * persistent lifetime counts as longer than a session.
 *
 * The saved form is text, one entry a line, so a damaged file is noticed
 * (mc_seen_parse refuses it whole) rather than half read:
 *   mc-seen 1
 *   SITE<TAB>NAME<TAB>DOMAIN<TAB>LIFETIME<TAB>FIRST<TAB>LAST
 *   ...
 *   end COUNT
 * with LIFETIME -1 for a session cookie and times in Unix seconds. */
#ifndef MC_SEEN_H
#define MC_SEEN_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <stddef.h>
#include <stdint.h>

#include "cookie.h"
#include "status.h"

#define MC_SEEN_NAME_MAX 128   /* bytes of a cookie name */
#define MC_SEEN_DOMAIN_MAX 253 /* bytes of a domain (the longest DNS name) */
#define MC_SEEN_SITE_MAX 127   /* bytes of the site key ("host:port") */
#define MC_SEEN_SESSION (-1)   /* the lifetime of a cookie without Max-Age or Expires */
#define MC_SEEN_STALE 2592000 /* 30 days: unseen this long, an entry may be replaced when full */

/* One cookie as recorded (in the table, strings are copies). */
typedef struct mc_seen_cookie {
    const char *site;
    const char *name;
    const char *domain;
    int64_t lifetime;   /* seconds, or MC_SEEN_SESSION */
    int64_t first_seen; /* Unix seconds */
    int64_t last_seen;
} mc_seen_cookie_t;

typedef struct mc_seen_table mc_seen_table_t;

typedef enum mc_seen_result {
    MC_SEEN_ADDED,     /* a new entry */
    MC_SEEN_REPLACED,  /* a new entry in place of a stale one */
    MC_SEEN_UPDATED,   /* the lifetime grew, or the first/last time moved */
    MC_SEEN_UNCHANGED, /* known, nothing to change */
    MC_SEEN_FULL,      /* new, and no room: refused */
    MC_SEEN_INVALID    /* too long, empty or with control characters: refused */
} mc_seen_result_t;

const char *mc_seen_result_str(mc_seen_result_t r);

/* Bytes a table of CAPACITY entries needs. */
size_t mc_seen_size(unsigned capacity);

/* Makes an empty table of CAPACITY entries in MEM (SIZE bytes, at least
 * mc_seen_size(CAPACITY), aligned for 8-byte integers). NULL when too small. */
mc_seen_table_t *mc_seen_init(void *mem, size_t size, unsigned capacity);

unsigned mc_seen_capacity(const mc_seen_table_t *t);
unsigned mc_seen_count(const mc_seen_table_t *t);

/* Grows with every entry added or replaced (not with a lifetime or time
 * update): what shows a reader that the set of names changed. */
uint64_t mc_seen_generation(const mc_seen_table_t *t);

/* Records C (its site, name and domain say which entry) as seen: a new
 * entry, or the known one with the longer lifetime, the earlier first and
 * the later last time. */
mc_seen_result_t mc_seen_record(mc_seen_table_t *t, const mc_seen_cookie_t *c);

/* Adds every entry of SRC into T as mc_seen_record would; returns how many
 * were refused (full or invalid). */
unsigned mc_seen_merge(mc_seen_table_t *t, const mc_seen_table_t *src);

/* The entry of SITE, NAME and DOMAIN copied into OUT (strings point into
 * T); MC_ENOTFOUND when there is none. */
mc_status_t mc_seen_lookup(const mc_seen_table_t *t, const char *site, const char *name,
                           const char *domain, mc_seen_cookie_t *out);

/* Copies of SITE's entries (mc_seen_cookie_t, strings in P), in table order;
 * SITE NULL for every site's. */
apr_array_header_t *mc_seen_list(apr_pool_t *p, const mc_seen_table_t *t, const char *site);

/* 1 the first time it is called after the table last refused an entry for
 * want of room (and after mc_seen_init or mc_seen_rearm_full); else 0. So
 * a caller logs "full" once. */
int mc_seen_full_first(mc_seen_table_t *t);
void mc_seen_rearm_full(mc_seen_table_t *t);

/* The table as text (above), in P. */
char *mc_seen_serialise(apr_pool_t *p, const mc_seen_table_t *t);

/* Reads TEXT (LEN bytes) into T, replacing what it held. MC_EINVAL with a
 * reason in ERR when any line is damaged; T then holds nothing. Entries
 * beyond T's capacity count as refused, not as damage. */
mc_status_t mc_seen_parse(mc_seen_table_t *t, const char *text, size_t len, const char **err);

/* The lifetime C says, seen at NOW (Unix seconds), as described above. A
 * deletion (Max-Age <= 0 or Expires in the past) gives 0. */
int64_t mc_seen_lifetime(const mc_setcookie_t *c, int64_t now);

/* 1 when S (at most MAX bytes, none a control character) may be recorded. */
int mc_seen_text_ok(const char *s, size_t max);

#endif
