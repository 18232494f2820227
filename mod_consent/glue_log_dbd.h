/* The database target of the consent log (glue_log_dbd.c). */
#ifndef MC_GLUE_LOG_DBD_H
#define MC_GLUE_LOG_DBD_H

#include "glue_log_target.h"

/* "ConsentLog dbd", through mod_dbd (conf/sql/ has the schema). */
extern const mc_consentlog_ops_t mc_consentlog_dbd_ops;
/* From the ConsentLog directive: registers the statements with mod_dbd for
 * CMD's server. NULL, or why not (mod_dbd not loaded before it). */
const char *mc_consentlog_dbd_prepare(cmd_parms *cmd);

#endif
