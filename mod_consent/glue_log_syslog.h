/* The syslog target of the consent log (glue_log_syslog.c). */
#ifndef MC_GLUE_LOG_SYSLOG_H
#define MC_GLUE_LOG_SYSLOG_H

#include "glue_log_target.h"

/* "ConsentLog syslog[:FACILITY[:/socket]]". */
extern const mc_consentlog_ops_t mc_consentlog_syslog_ops;
/* Checks a syslog TARGET; NULL and *CANONICAL = "syslog:FACILITY:/socket"
 * (defaults filled in, lower case), or what is wrong with it. */
const char *mc_consentlog_syslog_parse(apr_pool_t *p, const char *target, const char **canonical);

#endif
