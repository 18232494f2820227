/* The state file of a consent log target whose chain head cannot be read
 * back from the target itself (a pipe, syslog): the last record's hash, in
 * a small file the parent makes for the children's user. */
#include "mod_consent.h"

#include "http_core.h"

#include "unixd.h"

#include <errno.h>
#include <unistd.h>

#include "glue_log_state.h"

APLOG_USE_MODULE(consent);

/* 64 bytes over the 64 at the start of a file the parent made for the
 * children's user, in one write, so a reader sees the old head or the new. */
void mc_consentlog_state_save(apr_pool_t *p, request_rec *r, const mc_logger_t *logger,
                       const char *hash)
{
    apr_file_t *f;
    apr_status_t rv;

    rv = apr_file_open(&f, logger->state_path, APR_FOPEN_WRITE, 0, p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_write_full(f, hash, MC_HASH_HEX, NULL);
        apr_file_close(f);
    }
    if (rv != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r,
                      MCLOGNO(00036) "cannot save the consent log chain head to %s; after a "
                                     "full restart the %s log starts a new chain",
                      logger->state_path, logger->ops->kind);
}

mc_status_t mc_consentlog_state_load(apr_pool_t *p, server_rec *s, mc_logger_t *logger, char *head,
                              const char **err)
{
    char buf[MC_HASH_HEX + 2];
    apr_file_t *f;
    apr_size_t n = MC_HASH_HEX;
    mc_status_t rv = MC_ENOTFOUND;

    (void)s;
    (void)err;
    if (apr_file_open(&f, logger->state_path, APR_FOPEN_READ, 0, p) != APR_SUCCESS)
        return MC_ENOTFOUND;
    if (apr_file_read_full(f, buf, n, &n) == APR_SUCCESS && n == MC_HASH_HEX &&
        mc_hash_hex_valid(buf, n)) {
        memcpy(head, buf, MC_HASH_HEX);
        head[MC_HASH_HEX] = '\0';
        rv = MC_OK;
    }
    apr_file_close(f);
    return rv;
}

apr_status_t mc_consentlog_state_create(apr_pool_t *p, server_rec *s, const mc_logger_t *logger)
{
    apr_file_t *f;
    apr_status_t rv;

    rv = apr_file_open(&f, logger->state_path, APR_FOPEN_WRITE | APR_FOPEN_CREATE,
                       APR_FPROT_UREAD | APR_FPROT_UWRITE, p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     MCLOGNO(00040) "cannot create %s, where the %s consent log keeps its "
                                    "chain head (see DefaultRuntimeDir)",
                     logger->state_path, logger->ops->kind);
        return rv;
    }
    apr_file_close(f);
    if (geteuid() == 0 && chown(logger->state_path, ap_unixd_config.user_id, -1) != 0)
        return APR_FROM_OS_ERROR(errno);
    return APR_SUCCESS;
}
