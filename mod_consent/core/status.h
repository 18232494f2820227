/* Status values and the log callback shared by every core unit.
 * The core never includes httpd headers: the glue installs a log sink at
 * start-up (mc_log_set) so core messages reach Apache's error log. */
#ifndef MC_STATUS_H
#define MC_STATUS_H

#include <stdarg.h>

typedef enum mc_status {
    MC_OK = 0,
    MC_EINVAL,  /* input is malformed or out of range */
    MC_ELIMIT,  /* a size, count or regex-match limit was reached */
    MC_EIO,     /* a file or pipe could not be read or written */
    MC_ENOTFOUND,
    MC_ECRYPTO  /* libcrypto failed (no entropy, HMAC error) */
} mc_status_t;

const char *mc_status_str(mc_status_t s);

/* Levels follow syslog numbering (3 = error ... 7 = debug), as httpd's do. */
enum { MC_LOG_ERR = 3, MC_LOG_WARNING = 4, MC_LOG_NOTICE = 5, MC_LOG_INFO = 6, MC_LOG_DEBUG = 7 };

typedef void mc_log_fn(void *baton, int level, const char *msg);

/* Installs the sink for core messages; NULL silences them (the default). */
void mc_log_set(mc_log_fn *fn, void *baton);
void mc_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
