/* The consent log (glue_log.c): every decision as one chained record, in
 * the ConsentLog target of its server. */
#ifndef MC_GLUE_LOG_H
#define MC_GLUE_LOG_H

#include "mod_consent.h"

#include "chain.h"

void mc_consentlog_pre_config(apr_pool_t *pconf);
int mc_consentlog_post_config(apr_pool_t *pconf, server_rec *s);
void mc_consentlog_child_init(apr_pool_t *p, server_rec *s);
/* Appends REC to the server's consent log, chained. Returns APR_SUCCESS
 * only when the whole record is written. */
apr_status_t mc_consentlog_record(request_rec *r, const mc_record_t *rec);

#endif
