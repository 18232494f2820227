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
#include <errno.h>
#include <unistd.h>
#include <apr_strings.h>
#include <apr_global_mutex.h>
#include <apr_portable.h>

#include "glue_log.h"
#include "glue_log_dbd.h"
#include "glue_log_state.h"
#include "glue_log_syslog.h"
#include "glue_shm.h"

APLOG_USE_MODULE(consent);

#define MUTEX_TYPE "consent-log"

/* In shared memory. */
typedef struct chain_head {
    int ready;
    char hash[MC_HASH_HEX + 1];
    apr_uint64_t records; /* written since the process tree started */
    int appending;        /* a file append is under way: still set when the process
                           * doing it died under the lock (SIGKILL, a crash) */
} chain_head_t;

/* What lives as long as the httpd process tree: the segment (glue_shm.h)
 * with the lock, and the head in it. */
struct logger_shared {
    mc_shm_t *seg;
    chain_head_t *head;
};

void mc_consentlog_pre_config(apr_pool_t *pconf)
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

static logger_shared_t *shared_for(apr_pool_t *pconf, server_rec *s, const char *target)
{
    const char *id = target_id(pconf, target);
    logger_shared_t *shared = apr_pcalloc(pconf, sizeof(*shared));

    shared->seg = mc_shm_get(s, id, sizeof(chain_head_t), MUTEX_TYPE, id,
                             "the consent log's chain head");
    if (!shared->seg)
        return NULL;
    shared->head = shared->seg->base;
    return shared;
}

/* The head a fresh process tree continues from. */
static void load_head(apr_pool_t *p, server_rec *s, mc_logger_t *logger)
{
    chain_head_t *head = logger->shared->head;
    const char *err = NULL;
    mc_status_t rv;

    memcpy(head->hash, mc_chain_genesis, sizeof(head->hash));
    rv = logger->ops->load_head(p, s, logger, head->hash, &err);
    if (rv != MC_OK && rv != MC_ENOTFOUND) {
        memcpy(head->hash, mc_chain_genesis, sizeof(head->hash));
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     MCLOGNO(00031) "consent log %s: its last record is damaged or cannot be "
                                    "read (%s); new records start a new chain",
                     logger->target, err ? err : "no reason given");
    }
    head->ready = 1;
}

/* ---- file --------------------------------------------------------------------- */

static mc_status_t file_load_head(apr_pool_t *p, server_rec *s, mc_logger_t *logger, char *head,
                                  const char **err)
{
    apr_finfo_t finfo;

    (void)s;
    if (apr_stat(&finfo, logger->target, APR_FINFO_TYPE, p) != APR_SUCCESS ||
        finfo.filetype != APR_REG)
        return MC_ENOTFOUND;
    return mc_chain_tail(p, logger->target, head, err);
}

static apr_status_t file_open(apr_pool_t *pconf, server_rec *s, mc_logger_t *logger)
{
    apr_status_t rv;

    rv = apr_file_open(&logger->out, logger->target,
                       APR_FOPEN_READ | APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_APPEND |
                           APR_FOPEN_BINARY,
                       APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_GREAD, pconf);
    if (rv != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     MCLOGNO(00032) "cannot open the consent log %s", logger->target);
    return rv;
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
static apr_status_t append_line(apr_pool_t *p, const mc_logger_t *logger, const char *line,
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

/* The process of the last append died under the lock: it may have left
 * nothing, a whole record the shared head does not know, or part of one.
 * Nobody was told of that record, so a torn piece is cut off, and the chain
 * goes on from the last whole record in the file. The children cannot open
 * the file by name: all is read through the descriptor they inherited. */
static void file_recover(request_rec *r, mc_logger_t *logger, char *head)
{
    char tail[2 * (MC_RECORD_MAX + 1)]; /* a torn piece and the whole line before it */
    apr_finfo_t finfo;
    mc_record_info_t info;
    const char *why;
    apr_off_t start;
    ssize_t n, end, from;
    int fd;

    if (apr_file_info_get(&finfo, APR_FINFO_SIZE | APR_FINFO_TYPE, logger->out) != APR_SUCCESS ||
        finfo.filetype != APR_REG || finfo.size == 0 ||
        apr_os_file_get(&fd, logger->out) != APR_SUCCESS)
        return;
    start = finfo.size > (apr_off_t)sizeof(tail) ? finfo.size - (apr_off_t)sizeof(tail) : 0;
    n = pread(fd, tail, (size_t)(finfo.size - start), (off_t)start);
    if (n != (ssize_t)(finfo.size - start))
        return;
    for (end = n; end > 0 && tail[end - 1] != '\n'; end--)
        ;
    if (end < n && (end > 0 || start == 0)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      MCLOGNO(00045) "consent log %s: a process died while writing a record; "
                                     "its %ld bytes are removed",
                      logger->target, (long)(n - end));
        if (apr_file_trunc(logger->out, start + end) != APR_SUCCESS)
            return; /* the next append starts a new line after it */
    }
    if (end == 0)
        return;
    for (from = end - 1; from > 0 && tail[from - 1] != '\n'; from--)
        ;
    if ((from > 0 || start == 0) &&
        mc_record_parse(r->pool, tail + from, (size_t)(end - 1 - from), &info, &why) == MC_OK)
        memcpy(head, info.hash, sizeof(info.hash));
}

static apr_status_t file_append(request_rec *r, mc_logger_t *logger, const mc_record_t *rec,
                                char *head, const char **err)
{
    chain_head_t *shared = logger->shared->head;
    char hash[MC_HASH_HEX + 1];
    char *line;
    apr_status_t rv;

    if (shared->appending)
        file_recover(r, logger, head);
    line = mc_record_format(r->pool, rec, head, hash, err);
    if (!line)
        return APR_EINVAL;
    shared->appending = 1;
    rv = append_line(r->pool, logger, line, strlen(line));
    if (rv == APR_SUCCESS)
        memcpy(head, hash, sizeof(hash));
    shared->appending = 0;
    return rv;
}

static const mc_consentlog_ops_t file_ops = {"file", file_open, file_load_head, NULL, file_append};

/* ---- piped command --------------------------------------------------------------- */

static apr_status_t pipe_open(apr_pool_t *pconf, server_rec *s, mc_logger_t *logger)
{
    piped_log *pl = ap_open_piped_log_ex(pconf, logger->target + 1, APR_SHELLCMD_ENV);

    if (!pl)
        return APR_EGENERAL; /* httpd has logged why */
    logger->out = ap_piped_log_write_fd(pl);
    return mc_consentlog_state_create(pconf, s, logger);
}

static apr_status_t pipe_append(request_rec *r, mc_logger_t *logger, const mc_record_t *rec,
                                char *head, const char **err)
{
    char hash[MC_HASH_HEX + 1];
    char *line = mc_record_format(r->pool, rec, head, hash, err);
    apr_status_t rv;

    if (!line)
        return APR_EINVAL;
    /* one write below PIPE_BUF: atomic on a pipe */
    rv = apr_file_write_full(logger->out, line, strlen(line), NULL);
    if (rv == APR_SUCCESS) {
        memcpy(head, hash, sizeof(hash));
        mc_consentlog_state_save(r->pool, r, logger, hash);
    }
    return rv;
}

static const mc_consentlog_ops_t pipe_ops = {"piped", pipe_open, mc_consentlog_state_load, NULL, pipe_append};

/* ---- the logger ------------------------------------------------------------------ */

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

static const mc_consentlog_ops_t *ops_for(const char *target)
{
    if (target[0] == '|')
        return &pipe_ops;
    if (strcasecmp(target, "dbd") == 0)
        return &mc_consentlog_dbd_ops;
    if (strncasecmp(target, "syslog", 6) == 0 && (target[6] == '\0' || target[6] == ':'))
        return &mc_consentlog_syslog_ops;
    return &file_ops;
}

static mc_logger_t *make_logger(apr_pool_t *pconf, server_rec *s, const char *target)
{
    mc_logger_t *logger = apr_pcalloc(pconf, sizeof(*logger));

    logger->target = target;
    logger->ops = ops_for(target);
    logger->state_path = ap_runtime_dir_relative(
        pconf, apr_pstrcat(pconf, target_id(pconf, target), ".chain", NULL));
    logger->shared = shared_for(pconf, s, target);
    if (!logger->shared || logger->ops->open(pconf, s, logger) != APR_SUCCESS)
        return NULL;
    if (!logger->shared->head->ready)
        load_head(pconf, s, logger);
    return logger;
}

/* The name this server's records carry: ConsentLogChain, or the host name
 * made into a valid chain name. */
static const char *chain_name(apr_pool_t *p, server_rec *main_server)
{
    const char *configured = mc_server_conf(main_server)->log_chain;
    char host[APRMAXHOSTLEN + 1];
    char *name;

    if (configured)
        return configured;
    if (apr_gethostname(host, sizeof(host), p) != APR_SUCCESS || !host[0])
        return "httpd";
    name = apr_pstrndup(p, host, MC_CHAIN_NAME_MAX);
    for (char *c = name; *c; c++) {
        if (!apr_isalnum(*c) && *c != '.' && *c != '_' && *c != '-')
            *c = '-';
    }
    return name;
}

int mc_consentlog_post_config(apr_pool_t *pconf, server_rec *main_server)
{
    apr_hash_t *by_target = apr_hash_make(pconf);
    const char *chain = chain_name(pconf, main_server);

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
        conf->log_chain = chain;
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

void mc_consentlog_child_init(apr_pool_t *p, server_rec *main_server)
{
    apr_hash_t *done = apr_hash_make(p);

    for (server_rec *s = main_server; s; s = s->next) {
        mc_logger_t *logger = mc_server_conf(s)->logger;
        apr_status_t rv;

        if (!logger || apr_hash_get(done, logger->target, APR_HASH_KEY_STRING))
            continue;
        apr_hash_set(done, logger->target, APR_HASH_KEY_STRING, logger);
        rv = mc_shm_child_init(logger->shared->seg, p);
        if (rv != APR_SUCCESS)
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         MCLOGNO(00035) "cannot attach to the consent log lock");
        if (logger->ops->child_init)
            logger->ops->child_init(p, s, logger);
    }
}

apr_status_t mc_consentlog_record(request_rec *r, const mc_record_t *rec)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    mc_logger_t *logger = conf->logger;
    mc_record_t chained = *rec;
    const char *err = NULL;
    apr_status_t rv;

    if (!logger) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      MCLOGNO(00037) "no consent log for this server: the decision is refused");
        return APR_EGENERAL;
    }
    chained.chain = conf->log_chain;
    if ((rv = apr_global_mutex_lock(logger->shared->seg->mutex)) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      MCLOGNO(00038) "cannot lock the consent log");
        return rv;
    }
    rv = logger->ops->append(r, logger, &chained, logger->shared->head->hash, &err);
    if (rv == APR_SUCCESS)
        logger->shared->head->records++;
    apr_global_mutex_unlock(logger->shared->seg->mutex);
    if (rv != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      MCLOGNO(00039) "consent log %s: the record was not written%s%s; the "
                                     "decision is refused",
                      logger->target, err ? ": " : "", err ? err : "");
    return rv;
}
