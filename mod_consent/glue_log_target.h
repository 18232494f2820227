/* The interface between the consent log (glue_log.c) and the files that
 * implement one kind of target (glue_log_syslog.c, glue_log_dbd.c).
 *
 * glue_log.c owns the parts every target has: one lock per target for the
 * whole httpd process tree, and the chain head in shared memory, both kept
 * across graceful restarts. A target only says how to find the head a new
 * process tree continues from, and how to store one record. */
#ifndef MC_GLUE_LOG_TARGET_H
#define MC_GLUE_LOG_TARGET_H

#include "mod_consent.h"

#include "chain.h"

typedef struct logger_shared logger_shared_t;

/* One kind of target. Every function may log why it failed (with its own
 * MCLOGNO) and returns an APR status. */
typedef struct mc_consentlog_ops {
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
} mc_consentlog_ops_t;

struct mc_logger {
    const char *target; /* as configured: a path, "|command", "syslog...", "dbd" */
    const mc_consentlog_ops_t *ops;
    apr_file_t *out;        /* file and pipe: where lines go */
    const char *state_path; /* pipe, syslog: where the head outlives a full restart */
    logger_shared_t *shared;
    void *data; /* the target's own */
};

#endif
