/* A set of consent-log pieces checked as one: rotated files given in any
 * order, several servers' chains interleaved, or the rows of a database.
 *
 * Records are fed piece by piece, line by line, in one pass. Each record is
 * checked on its own (mc_record_parse) and against the record before it of
 * the same chain in the same piece. When every piece is in, mc_logset_finish
 * puts the pieces in chain order (a piece whose first record of a chain has
 * as "prev" the last hash of that chain in another piece comes after that
 * piece; otherwise the given order stands), checks that each chain carries
 * on from piece to piece, and sorts the problems found by their place in
 * that order. One pass means standard input and compressed pieces are read
 * once, and memory grows with pieces and chains, never with records.
 */
#ifndef MC_LOGSET_H
#define MC_LOGSET_H

#include <apr_pools.h>
#include <stddef.h>
#include <stdint.h>

#include "chain.h"
#include "status.h"

#define MC_LOGSET_PROBLEMS_MAX 100 /* problems kept; the count goes on */

/* What a set knows of one chain once finished. */
typedef struct mc_logset_chain {
    const char *name; /* "" for records without "chain" */
    uint64_t records; /* records that pass mc_record_parse */
    char first_time[64];
    char last_time[64];
    int from_genesis;   /* its first record's prev is mc_chain_genesis */
    const char *start_piece; /* the piece of its first record */
    uint64_t start_line;
} mc_logset_chain_t;

/* One problem: a bad record, or a record that does not follow its chain. */
typedef struct mc_logset_problem {
    const char *piece;
    uint64_t line;     /* the line number (a file) or seq (a database) */
    const char *chain; /* NULL when the line is not a record at all */
    const char *reason;
    int order; /* internal: the piece's place in the used order */
} mc_logset_problem_t;

typedef struct mc_logset mc_logset_t;

mc_logset_t *mc_logset_create(apr_pool_t *p);

/* Starts the next piece; NAME is kept (copied). */
void mc_logset_piece(mc_logset_t *s, const char *name);

/* Checks LINE (without its '\n'), line or seq number LINE_NO of the current
 * piece. MC_OK when the record is good on its own (it then counts, even if
 * it does not follow its chain: that is a problem of the set); otherwise
 * the problem is recorded, and *ERR says why. INFO may be NULL. SCRATCH
 * holds the temporaries. */
mc_status_t mc_logset_add(mc_logset_t *s, apr_pool_t *scratch, uint64_t line_no, const char *line,
                          size_t len, mc_record_info_t *info, const char **err);

/* Records a problem found by the reader (a torn line, a database column
 * that disagrees with its record). CHAIN may be NULL. */
void mc_logset_problem(mc_logset_t *s, uint64_t line_no, const char *chain, const char *reason);

/* Orders the pieces and links the chains across them. Call once. */
void mc_logset_finish(mc_logset_t *s);

/* After finish: the pieces in the order used (names), and whether it
 * differs from the given one. */
int mc_logset_pieces(const mc_logset_t *s);
const char *mc_logset_piece_name(const mc_logset_t *s, int order);
int mc_logset_reordered(const mc_logset_t *s);

/* After finish: the chains in the order their first records were met. */
int mc_logset_chains(const mc_logset_t *s);
const mc_logset_chain_t *mc_logset_chain(const mc_logset_t *s, int i);

/* After finish: problems sorted by place (first = the first bad one), at
 * most MC_LOGSET_PROBLEMS_MAX of them; the count is of all. */
uint64_t mc_logset_problem_count(const mc_logset_t *s);
int mc_logset_problems_kept(const mc_logset_t *s);
const mc_logset_problem_t *mc_logset_problem_at(const mc_logset_t *s, int i);

/* The records kept after finish, summed over the chains. */
uint64_t mc_logset_records(const mc_logset_t *s);

/* A syslog line: the record after the tag "mod_consent[PID]:" or
 * "mod_consent:" (the first '{' after it), or NULL when the line is not
 * ours. *OUT_LEN is its length up to the end of the line. */
const char *mc_logset_syslog_record(const char *line, size_t len, size_t *out_len);

#endif
