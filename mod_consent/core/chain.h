/* Consent-log records and their hash chain.
 *
 * A record is one line of compact JSON with the fields in this order:
 *   time, id, policy, granted, refused, [services], method, [via], lang,
 *   text, [ip], [ua], [gpc], [chain], prev, hash
 * "services" (ids of the services granted beyond the granted categories)
 * and "via" (banner, settings or placeholder: where the choice was made)
 * are written by every current record; records from before per-service
 * consent lack them and still check.
 * "chain" names the server whose chain the record belongs to (several
 * servers writing to one database each keep their own chain); records
 * without it belong to the unnamed chain.
 * "prev" is the previous record's "hash" (64 zeros for the first record of a
 * chain). "hash" is the lower-case hex SHA-256 of the line's bytes from its
 * first '{' up to, not including, the ',"hash":' that introduces it. So a
 * record edited, removed or moved breaks the chain at that line.
 */
#ifndef MC_CHAIN_H
#define MC_CHAIN_H

#include <apr_pools.h>
#include <stddef.h>
#include <apr_tables.h>
#include <stdint.h>

#include "category.h"
#include "status.h"
#include "text.h"

#define MC_RECORD_MAX 4000 /* a record line is at most this long (below PIPE_BUF) */
#define MC_LINE_MAX 65536  /* readers of a log refuse longer lines */
#define MC_UA_MAX 256      /* bytes of User-Agent kept in a record */
#define MC_CHAIN_NAME_MAX 64 /* a chain name: 1-64 of A-Z a-z 0-9 . _ - */

extern const char mc_chain_genesis[MC_HASH_HEX + 1];

typedef struct mc_record {
    int64_t time_usec; /* decision time, Unix microseconds */
    const char *id;
    const char *policy;
    const mc_categories_t *cats;
    mc_catmask_t granted;               /* refused = every other category of CATS */
    const apr_array_header_t *services; /* service ids (const char *), or NULL to omit */
    const char *method;                 /* accept_all, reject_all, custom, withdraw, gpc */
    const char *via;                    /* banner, settings, placeholder; or NULL to omit */
    const char *lang;
    const char *text; /* hex SHA-256 of the banner texts shown */
    const char *ip;   /* already truncated, or NULL to omit */
    const char *ua;   /* or NULL to omit; cut to MC_UA_MAX bytes, bad UTF-8 -> U+FFFD */
    int gpc;          /* 1 when the request carried Sec-GPC: 1 */
    const char *chain; /* mc_chain_name_valid, or NULL to omit */
} mc_record_t;

/* 1 when NAME may name a chain. */
int mc_chain_name_valid(const char *name);

/* Formats REC chained to PREV (MC_HASH_HEX hex chars). Returns the line
 * with its trailing '\n' and writes the new hash (NUL-terminated) to
 * HASH_OUT; NULL (and *err) if the record would exceed MC_RECORD_MAX or
 * would fail mc_record_check (a missing field, a bad id, method or hash).
 * The required categories are always written as granted. */
char *mc_record_format(apr_pool_t *p, const mc_record_t *rec, const char *prev, char *hash_out,
                       const char **err);

/* Checks one line (without its '\n'): valid JSON object, all contract fields
 * with the right types, "hash" correct for the line. Writes "prev" and
 * "hash" to PREV_OUT and HASH_OUT (each MC_HASH_HEX + 1 bytes). */
mc_status_t mc_record_check(apr_pool_t *p, const char *line, size_t len, char *prev_out,
                            char *hash_out, const char **err);

/* What mc_record_parse found in one line. TIME and ID are set whenever the
 * line is a JSON object holding them as strings, even if the record fails
 * (so a search can still name it); PREV and HASH only for a good record. */
typedef struct mc_record_info {
    const char *time;
    const char *id;
    const char *chain; /* "" for a record without "chain" */
    char prev[MC_HASH_HEX + 1];
    char hash[MC_HASH_HEX + 1];
} mc_record_info_t;

/* mc_record_check, filling INFO. */
mc_status_t mc_record_parse(apr_pool_t *p, const char *line, size_t len, mc_record_info_t *info,
                            const char **err);

/* Follows a chain record by record, across rotated files. The first record
 * may carry any "prev" (earlier pieces may not be given); the caller can
 * compare it with mc_chain_genesis. */
typedef struct mc_chain_walk {
    char last[MC_HASH_HEX + 1]; /* hash of the last good record */
    uint64_t records;
} mc_chain_walk_t;

void mc_chain_walk_init(mc_chain_walk_t *w);
/* Checks LINE (without its '\n') as a record and as the successor of the
 * previous one. On error W is unchanged. */
mc_status_t mc_chain_walk_next(mc_chain_walk_t *w, apr_pool_t *p, const char *line, size_t len,
                               mc_record_info_t *info, const char **err);

/* The "hash" of the last complete line of the file at PATH; MC_ENOTFOUND
 * for a missing or empty file (the chain starts at genesis). A file whose
 * last byte is not '\n' (a torn write) or whose last record fails
 * mc_record_check is MC_EINVAL; reads only the end of the file. */
mc_status_t mc_chain_tail(apr_pool_t *p, const char *path, char *hash_out, const char **err);

#endif
