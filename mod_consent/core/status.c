#include "status.h"

#include <stdio.h>

static mc_log_fn *log_fn;
static void *log_baton;

const char *mc_status_str(mc_status_t s)
{
    switch (s) {
    case MC_OK: return "ok";
    case MC_EINVAL: return "invalid input";
    case MC_ELIMIT: return "limit reached";
    case MC_EIO: return "input/output error";
    case MC_ENOTFOUND: return "not found";
    case MC_ECRYPTO: return "cryptography error";
    }
    return "unknown status";
}

void mc_log_set(mc_log_fn *fn, void *baton)
{
    log_fn = fn;
    log_baton = baton;
}

void mc_log(int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if (!log_fn)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_fn(log_baton, level, msg);
}
