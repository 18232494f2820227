/* The state file of a consent log target (glue_log_state.c). */
#ifndef MC_GLUE_LOG_STATE_H
#define MC_GLUE_LOG_STATE_H

#include "glue_log_target.h"

/* For targets that keep their head in a small state file (pipe, syslog):
 * create it for the children's user, read it, save a new head. */
apr_status_t mc_consentlog_state_create(apr_pool_t *p, server_rec *s, const mc_logger_t *logger);
mc_status_t mc_consentlog_state_load(apr_pool_t *p, server_rec *s, mc_logger_t *logger, char *head,
                              const char **err); /* an mc_consentlog_ops_t load_head */
void mc_consentlog_state_save(apr_pool_t *p, request_rec *r, const mc_logger_t *logger,
                       const char *hash);

#endif
