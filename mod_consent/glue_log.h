/* What glue_log.c shares with the files that implement one kind of consent
 * log target (glue_log_syslog.c, glue_log_dbd.c).
 *
 * glue_log.c owns the parts every target has: one lock per target for the
 * whole httpd process tree, and the chain head in shared memory, both kept
 * across graceful restarts. A target only says how to find the head a new
 * process tree continues from, and how to store one record. */
#ifndef MC_GLUE_LOG_H
#define MC_GLUE_LOG_H

#include "mod_consent.h"

#include "chain.h"

typedef struct logger_shared logger_shared_t;

/* One kind of target. Every function may log why it failed (with its own
 * MCLOGNO) and returns an APR status. */
typedef struct mc_log_ops {
    const char *kind; /* "file", "pipe", "syslog", "dbd": for messages */
    /* In the parent, at each (re)configuration: open what the target needs. */
    apr_status_t (*open)(apr_pool_t *pconf, server_rec *s, mc_logger_t *logger);
    /* In the parent, once per process tree: the hash a new record chains to
     * (HEAD holds mc_chain_genesis on entry). MC_ENOTFOUND leaves genesis. */
    mc_status_t (*load_head)(apr_pool_t *p, server_rec *s, mc_logger_t *logger, char *head,
                             const char **err);
    /* In each child, optional. */
    apr_status_t (*child_init)(apr_pool_t *p, server_rec *s, mc_logger_t *logger);
    /* Under the target's lock: stores REC chained to HEAD and, on success
     * only, writes the new record's hash over HEAD. Must store the record
     * whole or not at all. *ERR may name why the record could not be made. */
    apr_status_t (*append)(request_rec *r, mc_logger_t *logger, const mc_record_t *rec,
                           char *head, const char **err);
} mc_log_ops_t;

struct mc_logger {
    const char *target; /* as configured: a path, "|command", "syslog...", "dbd" */
    const mc_log_ops_t *ops;
    apr_file_t *out;        /* file and pipe: where lines go */
    const char *state_path; /* pipe, syslog: where the head outlives a full restart */
    logger_shared_t *shared;
    void *data; /* the target's own */
};

/* For targets that keep their head in a small state file (pipe, syslog):
 * create it for the children's user, read it, save a new head. */
apr_status_t mc_log_state_create(apr_pool_t *p, server_rec *s, const mc_logger_t *logger);
mc_status_t mc_log_state_load(apr_pool_t *p, server_rec *s, mc_logger_t *logger, char *head,
                              const char **err); /* an mc_log_ops_t load_head */
void mc_log_state_save(apr_pool_t *p, request_rec *r, const mc_logger_t *logger,
                       const char *hash);

/* glue_log_syslog.c: "ConsentLog syslog[:FACILITY[:/socket]]". */
extern const mc_log_ops_t mc_log_syslog_ops;
/* Checks a syslog TARGET; NULL and *CANONICAL = "syslog:FACILITY:/socket"
 * (defaults filled in, lower case), or what is wrong with it. */
const char *mc_log_syslog_parse(apr_pool_t *p, const char *target, const char **canonical);

/* glue_log_dbd.c: "ConsentLog dbd", through mod_dbd (conf/sql/ has the schema). */
extern const mc_log_ops_t mc_log_dbd_ops;
/* From the ConsentLog directive: registers the statements with mod_dbd for
 * CMD's server. NULL, or why not (mod_dbd not loaded before it). */
const char *mc_log_dbd_prepare(cmd_parms *cmd);

#endif
