/* The syslog consent-log target: one datagram per record to the local
 * syslog daemon, "ConsentLog syslog[:FACILITY[:/path/to/socket]]".
 *
 * Why not syslog(3): it gives the caller no way to learn that a message was
 * lost (it drops it, or writes it to the console), and a consent cookie may
 * only be issued once its record is written. So this file is its own small
 * client: a unix datagram socket connected to the daemon's socket, one
 * datagram per record. A datagram arrives whole or not at all, and send()
 * returning its full length means the daemon's socket holds the whole
 * record. Every failure is returned to mc_consentlog_record, which refuses the
 * decision.
 *
 * The datagram is what syslog(3) itself sends to a local socket:
 *   <PRI>Mmm dd hh:mm:ss mod_consent[PID]: {record}
 * without a host name, because daemons reading a local socket do not expect
 * one (rsyslog's imuxsock and journald would take it for the tag); the
 * daemon writes its own host name into its files. consent-log --syslog
 * finds records by that tag.
 *
 * A syslog daemon cannot be read back, so the chain head outlives a full
 * restart in a state file, as for a piped log (glue_log.c). */
#include "mod_consent.h"

#include <apr_strings.h>
#include <apr_time.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "glue_log_syslog.h"
#include "glue_log_state.h"

APLOG_USE_MODULE(consent);

#define SYSLOG_DEFAULT_FACILITY "local0"
#define SYSLOG_DEFAULT_SOCKET "/dev/log"
#define SYSLOG_SEVERITY_INFO 6
#define SYSLOG_TAG "mod_consent"
/* A daemon that stops reading fills its socket's queue; a send then waits.
 * It waits holding the log lock, so not for long: the decision is refused. */
#define SYSLOG_SEND_TIMEOUT_SEC 5

static const struct {
    const char *name;
    int code;
} facilities[] = {
    {"user", 1},    {"daemon", 3},  {"auth", 4},    {"authpriv", 10},
    {"local0", 16}, {"local1", 17}, {"local2", 18}, {"local3", 19},
    {"local4", 20}, {"local5", 21}, {"local6", 22}, {"local7", 23},
};

/* One per logger; FD belongs to the process that connected it. */
typedef struct syslog_target {
    int pri; /* facility * 8 + severity */
    const char *socket_path;
    int fd; /* -1 while not connected */
} syslog_target_t;

static int facility_code(const char *name)
{
    for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
        if (strcasecmp(name, facilities[i].name) == 0)
            return facilities[i].code;
    }
    return -1;
}

/* TARGET -> facility code and socket path; an error message or NULL. */
static const char *parse_target(apr_pool_t *p, const char *target, int *facility,
                                const char **socket_path)
{
    const char *rest = target + strlen("syslog");
    const char *colon;
    const char *name = SYSLOG_DEFAULT_FACILITY;

    *socket_path = SYSLOG_DEFAULT_SOCKET;
    if (*rest == ':') {
        rest++;
        colon = strchr(rest, ':');
        name = colon ? apr_pstrndup(p, rest, (apr_size_t)(colon - rest)) : rest;
        if (colon)
            *socket_path = colon + 1;
    } else if (*rest)
        return "not a syslog target: give syslog, syslog:FACILITY or syslog:FACILITY:/socket";
    if ((*facility = facility_code(name)) < 0)
        return apr_psprintf(p,
                            "'%s' is not a syslog facility (local0 to local7, auth, authpriv, "
                            "daemon or user)",
                            name);
    if ((*socket_path)[0] != '/')
        return apr_psprintf(p, "the syslog socket '%s' must be an absolute path", *socket_path);
    if (strlen(*socket_path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
        return apr_psprintf(p, "the syslog socket path '%s' is too long for a unix socket",
                            *socket_path);
    return NULL;
}

const char *mc_consentlog_syslog_parse(apr_pool_t *p, const char *target, const char **canonical)
{
    const char *socket_path;
    int facility;
    const char *err = parse_target(p, target, &facility, &socket_path);

    if (err)
        return err;
    /* one spelling per destination, so that "syslog" and "syslog:local0"
     * share one logger, one lock and one chain */
    for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
        if (facilities[i].code == facility)
            *canonical = apr_pstrcat(p, "syslog:", facilities[i].name, ":", socket_path, NULL);
    }
    return NULL;
}

static apr_status_t syslog_close(void *data)
{
    syslog_target_t *t = data;

    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    return APR_SUCCESS;
}

/* Close-on-exec: CGI scripts and piped loggers must not inherit the socket. */
static apr_status_t syslog_connect(syslog_target_t *t)
{
    struct sockaddr_un addr;
    struct timeval timeout = {SYSLOG_SEND_TIMEOUT_SEC, 0};
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int err;

    if (fd < 0)
        return APR_FROM_OS_ERROR(errno);
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    /* the length was checked when the directive was read */
    apr_cpystrn(addr.sun_path, t->socket_path, sizeof(addr.sun_path));
    if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout)) != 0 ||
        connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        err = errno;
        close(fd);
        return APR_FROM_OS_ERROR(err);
    }
    t->fd = fd;
    return APR_SUCCESS;
}

static apr_status_t send_once(const syslog_target_t *t, const char *msg, apr_size_t len)
{
    ssize_t sent;

    do {
        sent = send(t->fd, msg, len, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0)
        return APR_FROM_OS_ERROR(errno);
    /* a datagram goes whole or not at all; anything else is not a record */
    return (apr_size_t)sent == len ? APR_SUCCESS : APR_EGENERAL;
}

/* 1 when RV says the daemon's end of the connection is gone: the daemon was
 * restarted and listens on a new socket under the same path. */
static int peer_gone(apr_status_t rv)
{
    return rv == APR_FROM_OS_ERROR(ECONNREFUSED) || rv == APR_FROM_OS_ERROR(ENOTCONN) ||
           rv == APR_FROM_OS_ERROR(ECONNRESET);
}

/* Sends MSG, connecting first if needed and reconnecting once if the
 * daemon was restarted since the last record. */
static apr_status_t syslog_send(request_rec *r, syslog_target_t *t, const char *msg, apr_size_t len)
{
    int reconnected = 0;
    apr_status_t rv;

    if (t->fd < 0) {
        if ((rv = syslog_connect(t)) != APR_SUCCESS)
            return rv;
        reconnected = 1;
    }
    rv = send_once(t, msg, len);
    if (rv != APR_SUCCESS && peer_gone(rv) && !reconnected) {
        syslog_close(t);
        if ((rv = syslog_connect(t)) != APR_SUCCESS)
            return rv;
        reconnected = 1;
        rv = send_once(t, msg, len);
    }
    if (rv == APR_SUCCESS && reconnected)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      MCLOGNO(00221) "connected to the syslog daemon at %s", t->socket_path);
    if (rv != APR_SUCCESS && peer_gone(rv))
        syslog_close(t); /* the next record tries a fresh connection */
    return rv;
}

static apr_status_t syslog_open(apr_pool_t *pconf, server_rec *s, mc_logger_t *logger)
{
    syslog_target_t *t = apr_pcalloc(pconf, sizeof(*t));
    int facility;
    const char *err = parse_target(pconf, logger->target, &facility, &t->socket_path);

    if (err) {
        /* set_log has checked the target; this is a bug, not a configuration */
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, MCLOGNO(00222) "ConsentLog %s: %s",
                     logger->target, err);
        return APR_EINVAL;
    }
    t->pri = facility * 8 + SYSLOG_SEVERITY_INFO;
    t->fd = -1;
    logger->data = t;
    return mc_consentlog_state_create(pconf, s, logger);
}

/* In the child, after it has dropped privileges (and entered ChrootDir): the
 * socket path is looked up as the daemon's clients see it. */
static apr_status_t syslog_child_init(apr_pool_t *p, server_rec *s, mc_logger_t *logger)
{
    syslog_target_t *t = logger->data;
    apr_status_t rv;

    apr_pool_cleanup_register(p, t, syslog_close, apr_pool_cleanup_null);
    rv = syslog_connect(t);
    if (rv != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s,
                     MCLOGNO(00220) "cannot reach the syslog daemon at %s; consent decisions "
                                    "are refused until it can be reached",
                     t->socket_path);
    return rv;
}

static apr_status_t syslog_append(request_rec *r, mc_logger_t *logger, const mc_record_t *rec,
                                  char *head, const char **err)
{
    syslog_target_t *t = logger->data;
    char hash[MC_HASH_HEX + 1];
    char *line = mc_record_format(r->pool, rec, head, hash, err);
    apr_time_exp_t tm;
    char *msg;
    apr_status_t rv;

    if (!line)
        return APR_EINVAL;
    line[strcspn(line, "\n")] = '\0';
    apr_time_exp_lt(&tm, (apr_time_t)rec->time_usec);
    msg = apr_psprintf(r->pool, "<%d>%s %2d %02d:%02d:%02d " SYSLOG_TAG "[%ld]: %s", t->pri,
                       apr_month_snames[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                       (long)getpid(), line);
    rv = syslog_send(r, t, msg, strlen(msg));
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(r->pool, "the syslog daemon at %s did not take it", t->socket_path);
        return rv;
    }
    memcpy(head, hash, sizeof(hash));
    mc_consentlog_state_save(r->pool, r, logger, hash);
    return APR_SUCCESS;
}

const mc_consentlog_ops_t mc_consentlog_syslog_ops = {"syslog", syslog_open, mc_consentlog_state_load, syslog_child_init,
                                        syslog_append};
