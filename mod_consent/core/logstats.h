/* Statistics of consent-log records: counts and rates per method, per
 * category, per single service granted, per place of choice (via) and per
 * day, for `consent-log stats` (text, JSON and an HTML
 * page with charts). Records are added after they passed the check
 * (mc_logset_add); the numbers are of good records only.
 */
#ifndef MC_LOGSTATS_H
#define MC_LOGSTATS_H

#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define MC_LOGSTATS_METHODS 5
#define MC_LOGSTATS_FILL_MAX 3660 /* days without decisions are filled in up to this span */

/* accept_all, reject_all, custom, withdraw, gpc: the record's methods. */
extern const char *const mc_logstats_methods[MC_LOGSTATS_METHODS];

typedef struct mc_logstats_day {
    char day[11]; /* YYYY-MM-DD (UTC) */
    uint64_t total;
    uint64_t by_method[MC_LOGSTATS_METHODS];
} mc_logstats_day_t;

typedef struct mc_logstats_category {
    const char *name;
    uint64_t granted, refused;
} mc_logstats_category_t;

typedef struct mc_logstats_count {
    const char *name;
    uint64_t count;
} mc_logstats_count_t;

typedef struct mc_logstats {
    uint64_t total;
    uint64_t by_method[MC_LOGSTATS_METHODS];
    apr_array_header_t *categories; /* mc_logstats_category_t, first seen first */
    apr_array_header_t *days;       /* mc_logstats_day_t, by day after finish */
    apr_array_header_t *langs;      /* mc_logstats_count_t, first seen first */
    apr_array_header_t *chains;     /* mc_logstats_count_t, first seen first */
    /* grants of single services (a record's "services"), first seen first */
    apr_array_header_t *services; /* mc_logstats_count_t */
    /* where choices were made (a record's "via"; older records have none
     * and count as "unrecorded") */
    apr_array_header_t *vias; /* mc_logstats_count_t, first seen first */
    uint64_t distinct_ids;
    uint64_t bad; /* set by the caller: problems found while reading */
    char first_time[64], last_time[64];
    /* internal */
    apr_pool_t *pool;
    apr_hash_t *ids, *day_index, *category_index, *lang_index, *chain_index;
    apr_hash_t *service_index, *via_index;
} mc_logstats_t;

mc_logstats_t *mc_logstats_create(apr_pool_t *p);

/* Counts one good record (LINE without its '\n'); MC_EINVAL if it lacks a
 * field the numbers need. */
mc_status_t mc_logstats_add(mc_logstats_t *st, const char *line, size_t len, const char **err);

/* Sorts the days and fills in the days without decisions. Call once. */
void mc_logstats_finish(mc_logstats_t *st);

/* GRANTED / (GRANTED + REFUSED), 0 when there are none. */
double mc_logstats_rate(uint64_t part, uint64_t whole);

/* The numbers as one JSON object (with a '\n'). */
char *mc_logstats_json(const mc_logstats_t *st, apr_pool_t *p);

/* One self-contained HTML page: inline CSS and SVG, no script, no URL;
 * every text from the log escaped. SOURCE says what was read. */
char *mc_logstats_html(const mc_logstats_t *st, apr_pool_t *p, const char *source);

/* Days since 1970-01-01 of "YYYY-MM-DD", and back; -1 / NULL if bad. */
long mc_logstats_day_number(const char *day);
void mc_logstats_day_text(long number, char out[11]);

#endif
