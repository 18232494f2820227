/* The consent log's targets (a file, or a piped command) and the one chain
 * head that every process and thread of the server appends to.
 *
 * Each distinct ConsentLog target has a logger. Its lock and its chain head
 * (the last record's hash, in shared memory) are made once per httpd
 * process tree and kept across graceful restarts, so that children of an old
 * and a new generation never append with two different heads. The file or
 * pipe itself is reopened with each configuration, which is how rotation
 * works: move the file away, then restart gracefully; the chain continues
 * into the new file. */
#include "mod_consent.h"

#include "http_core.h"
#include "http_main.h"
#include "util_mutex.h"

#include "unixd.h"

#include <apr_hash.h>
#include <apr_shm.h>
#include <errno.h>
#include <unistd.h>
#include <apr_strings.h>
#include <apr_global_mutex.h>
#include <apr_portable.h>

#include "chain.h"

APLOG_USE_MODULE(consent);

#define MUTEX_TYPE "consent-log"

/* In shared memory. */
typedef struct chain_head {
    int ready;
    char hash[MC_HASH_HEX + 1];
    apr_uint64_t records; /* written since the process tree started */
} chain_head_t;

/* What lives as long as the httpd process tree. */
typedef struct logger_shared {
    apr_global_mutex_t *mutex;
    const char *lock_file;
    apr_shm_t *shm;
    chain_head_t *head;
} logger_shared_t;

struct mc_logger {
    const char *target;     /* absolute path, or "|command" */
    int piped;
    apr_file_t *out;        /* the file, or the pipe's write end */
    const char *state_path; /* piped: where the head outlives a full restart */
    logger_shared_t *shared;
};

void mc_log_pre_config(apr_pool_t *pconf)
{
    ap_mutex_register(pconf, MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0);
}

/* "consent-3f2a..." : a stable, file-name-safe name for a target. */
static const char *target_id(apr_pool_t *p, const char *target)
{
    char hash[MC_HASH_HEX + 1];

    mc_sha256_hex(target, strlen(target), hash);
    hash[16] = '\0';
    return apr_pstrcat(p, "consent-", hash, NULL);
}

static logger_shared_t *shared_for(server_rec *s, const char *target)
{
    apr_pool_t *proc_pool = s->process->pool;
    const char *key = apr_pstrcat(proc_pool, "mod_consent:", target_id(proc_pool, target), NULL);
    logger_shared_t *shared = NULL;
    apr_status_t rv;

    apr_pool_userdata_get((void **)&shared, key, proc_pool);
    if (shared)
        return shared;
    shared = apr_pcalloc(proc_pool, sizeof(*shared));
    rv = ap_global_mutex_create(&shared->mutex, &shared->lock_file, MUTEX_TYPE,
                                target_id(proc_pool, target), s, proc_pool, 0);
    if (rv != APR_SUCCESS)
        return NULL; /* ap_global_mutex_create has logged why */
    rv = apr_shm_create(&shared->shm, sizeof(chain_head_t), NULL, proc_pool);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     MCLOGNO(00030) "no shared memory for the consent log chain");
        return NULL;
    }
    shared->head = apr_shm_baseaddr_get(shared->shm);
    memset(shared->head, 0, sizeof(*shared->head));
    apr_pool_userdata_set(shared, key, apr_pool_cleanup_null, proc_pool);
    return shared;
}

static int hex_hash_valid(const char *h)
{
    for (int i = 0; i < MC_HASH_HEX; i++) {
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
            return 0;
    }
    return 1;
}

/* The head a fresh process tree continues from: the file's last record, or
 * for a pipe the state file written after each record. */
static void load_head(apr_pool_t *p, server_rec *s, mc_logger_t *logger)
{
    chain_head_t *head = logger->shared->head;
    const char *err = NULL;
    apr_finfo_t finfo;
    mc_status_t rv = MC_ENOTFOUND;

    memcpy(head->hash, mc_chain_genesis, sizeof(head->hash));
    if (!logger->piped) {
        if (apr_stat(&finfo, logger->target, APR_FINFO_TYPE, p) == APR_SUCCESS &&
            finfo.filetype == APR_REG)
            rv = mc_chain_tail(p, logger->target, head->hash, &err);
    }
    else {
        char buf[MC_HASH_HEX + 2];
        apr_file_t *f;
        apr_size_t n = MC_HASH_HEX;
        if (apr_file_open(&f, logger->state_path, APR_FOPEN_READ, 0, p) == APR_SUCCESS) {
            if (apr_file_read_full(f, buf, n, &n) == APR_SUCCESS && n == MC_HASH_HEX &&
                hex_hash_valid(buf)) {
                memcpy(head->hash, buf, MC_HASH_HEX);
                head->hash[MC_HASH_HEX] = '\0';
                rv = MC_OK;
            }
            apr_file_close(f);
        }
    }
    if (rv != MC_OK && rv != MC_ENOTFOUND) {
        memcpy(head->hash, mc_chain_genesis, sizeof(head->hash));
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     MCLOGNO(00031) "consent log %s: its last record is damaged (%s); new "
                                    "records start a new chain. Check it with: consent-log "
                                    "verify %s",
                     logger->target, err, logger->target);
    }
    head->ready = 1;
}

static apr_status_t open_target(apr_pool_t *pconf, server_rec *s, mc_logger_t *logger)
{
    apr_status_t rv;

    if (logger->piped) {
        piped_log *pl = ap_open_piped_log_ex(pconf, logger->target + 1, APR_SHELLCMD_ENV);
        if (!pl)
            return APR_EGENERAL; /* httpd has logged why */
        logger->out = ap_piped_log_write_fd(pl);
        return APR_SUCCESS;
    }
    rv = apr_file_open(&logger->out, logger->target,
                       APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_APPEND | APR_FOPEN_BINARY,
                       APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_GREAD, pconf);
    if (rv != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     MCLOGNO(00032) "cannot open the consent log %s", logger->target);
    return rv;
}

/* Writes the pipe target's head so that a full restart continues it: 64
 * bytes over the 64 at the start of a file the parent made for the child's
 * user, in one write, so a reader sees the old head or the new. */
static void save_head(apr_pool_t *p, request_rec *r, const mc_logger_t *logger, const char *hash)
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
                                     "full restart the piped log starts a new chain",
                      logger->state_path);
}

/* Makes the pipe's state file, owned by the user the children run as. */
static apr_status_t create_state_file(apr_pool_t *p, server_rec *s, const mc_logger_t *logger)
{
    apr_file_t *f;
    apr_status_t rv;

    rv = apr_file_open(&f, logger->state_path, APR_FOPEN_WRITE | APR_FOPEN_CREATE,
                       APR_FPROT_UREAD | APR_FPROT_UWRITE, p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     MCLOGNO(00040) "cannot create %s, where the piped consent log keeps its "
                                    "chain head (see DefaultRuntimeDir)",
                     logger->state_path);
        return rv;
    }
    apr_file_close(f);
    if (geteuid() == 0 && chown(logger->state_path, ap_unixd_config.user_id, -1) != 0)
        return APR_FROM_OS_ERROR(errno);
    return APR_SUCCESS;
}

/* Without ConsentLog, decisions go next to the error log, as consent.log. */
static const char *default_target(apr_pool_t *p, server_rec *s)
{
    const char *err = s->error_fname;
    const char *slash;

    if (!err || err[0] == '|' || strncmp(err, "syslog", 6) == 0)
        return NULL;
    err = ap_server_root_relative(p, err);
    if (!err || !(slash = strrchr(err, '/')))
        return NULL;
    return apr_pstrcat(p, apr_pstrndup(p, err, (apr_size_t)(slash - err)), "/consent.log", NULL);
}

static mc_logger_t *make_logger(apr_pool_t *pconf, server_rec *s, const char *target)
{
    mc_logger_t *logger = apr_pcalloc(pconf, sizeof(*logger));

    logger->target = target;
    logger->piped = target[0] == '|';
    logger->state_path = ap_runtime_dir_relative(
        pconf, apr_pstrcat(pconf, target_id(pconf, target), ".chain", NULL));
    logger->shared = shared_for(s, target);
    if (!logger->shared || open_target(pconf, s, logger) != APR_SUCCESS)
        return NULL;
    if (!logger->shared->head->ready)
        load_head(pconf, s, logger);
    if (logger->piped && create_state_file(pconf, s, logger) != APR_SUCCESS)
        return NULL;
    return logger;
}

int mc_log_post_config(apr_pool_t *pconf, server_rec *main_server)
{
    apr_hash_t *by_target = apr_hash_make(pconf);

    for (server_rec *s = main_server; s; s = s->next) {
        mc_server_conf_t *conf = mc_server_conf(s);
        const char *target = conf->log_target;

        if (!conf->engine_used)
            continue;
        if (!target && !(target = default_target(pconf, main_server))) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         MCLOGNO(00033) "ConsentEngine is on but there is no ConsentLog, and "
                                        "the error log is not a file to put consent.log "
                                        "beside: set ConsentLog");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        conf->logger = apr_hash_get(by_target, target, APR_HASH_KEY_STRING);
        if (!conf->logger) {
            conf->logger = make_logger(pconf, s, target);
            if (!conf->logger) {
                if (conf->log_source)
                    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                                 MCLOGNO(00034) "%s: ConsentLog %s cannot be used",
                                 conf->log_source, target);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
            apr_hash_set(by_target, target, APR_HASH_KEY_STRING, conf->logger);
        }
    }
    return OK;
}

void mc_log_child_init(apr_pool_t *p, server_rec *main_server)
{
    for (server_rec *s = main_server; s; s = s->next) {
        mc_logger_t *logger = mc_server_conf(s)->logger;
        apr_status_t rv;

        if (!logger)
            continue;
        rv = apr_global_mutex_child_init(&logger->shared->mutex, logger->shared->lock_file, p);
        if (rv != APR_SUCCESS)
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         MCLOGNO(00035) "cannot attach to the consent log lock");
    }
}

/* 1 when a regular file of SIZE bytes does not end with a newline: its last
 * line was torn (a crash, a full disk) and a new record must not be glued
 * onto it. */
static int ends_torn(apr_file_t *f, apr_off_t size)
{
    char last = '\n';
    apr_size_t n = 1;
    int fd;

    if (size <= 0 || apr_os_file_get(&fd, f) != APR_SUCCESS)
        return 0;
    return pread(fd, &last, n, (off_t)(size - 1)) == 1 && last != '\n';
}

/* Appends LINE whole or not at all: a failed write is cut back to where the
 * file ended, and only a record on disk (fdatasync) counts. */
static apr_status_t append_file(apr_pool_t *p, const mc_logger_t *logger, const char *line,
                                apr_size_t len)
{
    apr_finfo_t finfo;
    apr_size_t written = 0;
    apr_status_t rv;

    rv = apr_file_info_get(&finfo, APR_FINFO_SIZE | APR_FINFO_TYPE, logger->out);
    if (rv != APR_SUCCESS)
        return rv;
    if (finfo.filetype == APR_REG && ends_torn(logger->out, finfo.size)) {
        line = apr_pstrcat(p, "\n", line, NULL);
        len++;
    }
    rv = apr_file_write_full(logger->out, line, len, &written);
    if (rv == APR_SUCCESS && finfo.filetype == APR_REG)
        rv = apr_file_datasync(logger->out);
    if (rv != APR_SUCCESS && written > 0 && finfo.filetype == APR_REG)
        apr_file_trunc(logger->out, finfo.size);
    return rv;
}

apr_status_t mc_log_record(request_rec *r, const mc_record_t *rec)
{
    const mc_logger_t *logger = mc_server_conf(r->server)->logger;
    chain_head_t *head;
    char hash[MC_HASH_HEX + 1];
    const char *err = NULL;
    char *line;
    apr_status_t rv;

    if (!logger) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      MCLOGNO(00037) "no consent log for this server: the decision is refused");
        return APR_EGENERAL;
    }
    head = logger->shared->head;
    if ((rv = apr_global_mutex_lock(logger->shared->mutex)) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      MCLOGNO(00038) "cannot lock the consent log");
        return rv;
    }
    line = mc_record_format(r->pool, rec, head->hash, hash, &err);
    if (!line)
        rv = APR_EINVAL;
    else if (logger->piped)
        /* one write below PIPE_BUF: atomic on a pipe */
        rv = apr_file_write_full(logger->out, line, strlen(line), NULL);
    else
        rv = append_file(r->pool, logger, line, strlen(line));
    if (rv == APR_SUCCESS) {
        memcpy(head->hash, hash, sizeof(head->hash));
        head->records++;
        if (logger->piped)
            save_head(r->pool, r, logger, hash);
    }
    apr_global_mutex_unlock(logger->shared->mutex);
    if (rv != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      MCLOGNO(00039) "consent log %s: the record was not written%s%s; the "
                                     "decision is refused",
                      logger->target, err ? ": " : "", err ? err : "");
    return rv;
}
