/* The dbd consent-log target: one row per record in an SQL database, through
 * httpd's mod_dbd ("ConsentLog dbd"; DBDriver pgsql, sqlite3 or mysql).
 *
 * The database is the truth for the chain head. Every record is written in
 * one transaction that reads the newest row of this server's chain, formats
 * the record chained to that row's hash, inserts it as the next seq and
 * commits. So:
 *   - a child killed mid-transaction leaves nothing (the database rolls the
 *     transaction back when the connection drops), and the next record reads
 *     the head again;
 *   - a database that is down, full or refuses the row fails the record:
 *     mc_consentlog_record refuses the decision (503, no cookie);
 *   - a connection the database closed (a restart, an idle timeout) fails at
 *     BEGIN; the driver reconnects it and the record is tried once more,
 *     reading the head again. Nothing is retried once COMMIT was sent;
 *   - the shared-memory head of glue_log.c is written but never read here,
 *     so a restart, a graceful restart or a second server cannot fork the
 *     chain; two servers misconfigured with one chain name collide on the
 *     PRIMARY KEY (chain, seq) and one of them fails loudly.
 * The lock mc_consentlog_record holds serialises this server's writers; it also
 * keeps SQLite, which has one writer at a time, from waiting on itself.
 *
 * The statements are registered with mod_dbd at configuration time
 * (mc_consentlog_dbd_prepare, from the ConsentLog directive), so every pooled
 * connection has them prepared, and a missing table shows when mod_dbd
 * connects. A retry, and SQLite always, prepare them again for the request.
 * See conf/sql/ for the schema. */
#include "mod_consent.h"

#include "http_config.h"
#include "http_request.h"

#include <apr_dbd.h>
#include <apr_optional.h>
#include <apr_strings.h>

#include "mod_dbd.h"

#include "glue_log_dbd.h"

APLOG_USE_MODULE(consent);

#define LABEL_HEAD "consent_log_head"
#define LABEL_INSERT "consent_log_insert"

/* The newest row of one chain. LIMIT is understood by all three drivers.
 * The placeholders give PostgreSQL the parameters' types (bigint, timestamp,
 * date); every driver is handed the values as text. */
#define SQL_HEAD                                                                                  \
    "SELECT seq, hash FROM consent_log WHERE chain = %s ORDER BY seq DESC LIMIT 1"
#define SQL_INSERT                                                                                \
    "INSERT INTO consent_log (chain, seq, time, day, id, policy, method, lang, granted, "       \
    "refused, record, hash) VALUES (%s, %lld, %pDs, %pDd, %s, %s, %s, %s, %s, %s, %s, %s)"
#define INSERT_ARGS 12

/* A statement that waits longer than this (a lock held by someone else, a
 * database that stopped answering) fails the record: the log lock is held
 * meanwhile, and every other decision of this server waits for it. */
#define STATEMENT_TIMEOUT_MS 10000

/* Column widths of conf/sql/ *.sql; longer values are refused before the
 * database sees them, with a message naming the field. */
#define COL_CHAIN 64
#define COL_ID 32
#define COL_POLICY 64
#define COL_METHOD 16
#define COL_LANG 16

typedef struct dbd_target {
    ap_dbd_t *(*acquire)(request_rec *r);
} dbd_target_t;

/* ---- configuration ------------------------------------------------------------- */

const char *mc_consentlog_dbd_prepare(cmd_parms *cmd)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *prepare = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);

    if (!prepare || !APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire))
        return "ConsentLog dbd needs mod_dbd: LoadModule dbd_module before it";
    prepare(cmd->server, SQL_HEAD, LABEL_HEAD);
    prepare(cmd->server, SQL_INSERT, LABEL_INSERT);
    return NULL;
}

/* 1 when the configuration names DIRECTIVE anywhere (any virtual host). */
static int conftree_has(const ap_directive_t *d, const char *directive)
{
    for (; d; d = d->next) {
        if (strcasecmp(d->directive, directive) == 0)
            return 1;
        if (d->first_child && conftree_has(d->first_child, directive))
            return 1;
    }
    return 0;
}

static apr_status_t dbd_open(apr_pool_t *pconf, server_rec *s, mc_logger_t *logger)
{
    dbd_target_t *t = apr_pcalloc(pconf, sizeof(*t));

    t->acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    if (!t->acquire) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     MCLOGNO(00200) "ConsentLog dbd needs mod_dbd: LoadModule dbd_module "
                                    "before it");
        return APR_ENOTIMPL;
    }
    if (!conftree_has(ap_conftree, "DBDriver") || !conftree_has(ap_conftree, "DBDParams")) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     MCLOGNO(00201) "ConsentLog dbd: mod_dbd is not configured; set DBDriver "
                                    "(pgsql, sqlite3 or mysql) and DBDParams, and create the "
                                    "table with the schema in mod_consent's sql directory");
        return APR_EINVAL;
    }
    logger->data = t;
    return APR_SUCCESS;
}

/* The database holds the head; there is nothing to load at start-up. */
static mc_status_t dbd_load_head(apr_pool_t *p, server_rec *s, mc_logger_t *logger, char *head,
                                 const char **err)
{
    (void)p;
    (void)s;
    (void)logger;
    (void)head;
    (void)err;
    return MC_ENOTFOUND;
}

/* ---- one record ------------------------------------------------------------------ */

/* What one append works with. */
typedef struct dbd_txn {
    request_rec *r;
    ap_dbd_t *dbd;
    const char *driver; /* "pgsql", "sqlite3", "mysql", ... */
    int fresh;          /* prepare statements now, not mod_dbd's */
    int committing;     /* the COMMIT was sent: a failure is not retried */
    const char **err;
} dbd_txn_t;

/* Connections (by handle) whose server-side statements are gone: the driver
 * reconnected them in place (PostgreSQL's check_conn resets a broken
 * connection, and a new session has none of mod_dbd's prepared statements).
 * Per process; only touched under the log lock that mc_consentlog_record holds. */
static apr_hash_t *fresh_handles;

static const char *db_error(const dbd_txn_t *x, int errnum)
{
    const char *msg = apr_dbd_error(x->dbd->driver, x->dbd->handle, errnum);

    return msg && *msg ? apr_pstrdup(x->r->pool, msg) : "no message from the driver";
}

/* Sets *ERR to WHAT plus the driver's words; returns APR_EGENERAL. */
static apr_status_t db_fail(const dbd_txn_t *x, const char *what, int errnum)
{
    const char *msg = db_error(x, errnum);
    size_t len = strlen(msg);

    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        len--;
    *x->err = apr_psprintf(x->r->pool, "dbd (%s): %s: %.*s", x->driver, what, (int)len, msg);
    return APR_EGENERAL;
}

/* The statement LABEL (SQL) for this connection: the one mod_dbd prepared
 * when it opened the connection, or one prepared now for this request.
 * SQLite always gets a fresh one: its driver prepares statements the legacy
 * way, and one made before any change of the schema (an index added by the
 * admin) fails for good with "database schema has changed". Preparing is
 * local and cheap there. */
static apr_dbd_prepared_t *statement(const dbd_txn_t *x, const char *label, const char *sql)
{
    apr_dbd_prepared_t *stmt = NULL;

    if (!x->fresh && x->dbd->prepared)
        stmt = apr_hash_get(x->dbd->prepared, label, APR_HASH_KEY_STRING);
    if (!stmt && apr_dbd_prepare(x->dbd->driver, x->r->pool, x->dbd->handle, sql, NULL, &stmt))
        return NULL;
    return stmt;
}

/* SQLite: wait for another process's lock (an auditor's sqlite3 shell, a
 * second server) up to the limit, instead of failing at once. Outside the
 * transaction, where the pragma applies to the connection. */
static void set_busy_timeout(const dbd_txn_t *x)
{
    int nrows = 0;

    if (strcmp(x->driver, "sqlite3") == 0)
        apr_dbd_query(x->dbd->driver, x->dbd->handle, &nrows,
                      apr_psprintf(x->r->pool, "PRAGMA busy_timeout = %d", STATEMENT_TIMEOUT_MS));
}

/* PostgreSQL, for this transaction only: a stuck statement fails the record
 * instead of holding the log lock for ever, and the time (a timestamp
 * without zone) is read as UTC into the timestamptz column. */
static apr_status_t set_transaction_limits(const dbd_txn_t *x)
{
    int nrows = 0;
    int rv = 0;

    if (strcmp(x->driver, "pgsql") == 0)
        rv = apr_dbd_query(x->dbd->driver, x->dbd->handle, &nrows,
                           apr_psprintf(x->r->pool,
                                        "SET LOCAL statement_timeout = %d; "
                                        "SET LOCAL TimeZone = 'UTC'",
                                        STATEMENT_TIMEOUT_MS));
    return rv == 0 ? APR_SUCCESS : db_fail(x, "cannot set the transaction's limits", rv);
}

static int is_hash(const char *h)
{
    if (!h || strlen(h) != MC_HASH_HEX)
        return 0;
    for (int i = 0; i < MC_HASH_HEX; i++) {
        if (!apr_isxdigit(h[i]) || apr_isupper(h[i]))
            return 0;
    }
    return 1;
}

/* Reads the newest row of CHAIN: *SEQ (0 for an empty chain) and HEAD. */
static apr_status_t read_head(const dbd_txn_t *x, const char *chain, apr_int64_t *seq, char *head)
{
    apr_dbd_prepared_t *stmt = statement(x, LABEL_HEAD, SQL_HEAD);
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *args[1] = {chain};
    const char *seq_text = NULL;
    const char *hash = NULL;
    int rows = 0;
    int rv;

    *seq = 0;
    memcpy(head, mc_chain_genesis, MC_HASH_HEX + 1);
    if (!stmt)
        return db_fail(x, "cannot prepare the statement that reads the chain head", 0);
    rv = apr_dbd_pselect(x->dbd->driver, x->r->pool, x->dbd->handle, &res, stmt, 0, 1, args);
    if (rv != 0)
        return db_fail(x, "cannot read the chain head", rv);
    /* read to the end: a driver may keep the connection busy until then */
    while (apr_dbd_get_row(x->dbd->driver, x->r->pool, res, &row, -1) == 0) {
        if (rows++ == 0) {
            seq_text = apr_pstrdup(x->r->pool, apr_dbd_get_entry(x->dbd->driver, row, 0));
            hash = apr_pstrdup(x->r->pool, apr_dbd_get_entry(x->dbd->driver, row, 1));
        }
    }
    if (rows == 0)
        return APR_SUCCESS;
    *seq = seq_text ? apr_atoi64(seq_text) : 0;
    if (*seq < 1 || !is_hash(hash)) {
        *x->err = apr_psprintf(x->r->pool,
                               "dbd: the newest row of chain '%s' is damaged (seq '%s', hash "
                               "'%s'); check the table with consent-log verify",
                               chain, seq_text ? seq_text : "", hash ? hash : "");
        return APR_EINVAL;
    }
    memcpy(head, hash, MC_HASH_HEX + 1);
    return APR_SUCCESS;
}

/* "necessary statistics": the names of MASK, single spaces. */
static const char *names_of(apr_pool_t *p, const mc_categories_t *cats, mc_catmask_t mask)
{
    const char *out = "";

    for (int i = 0; i < mc_categories_count(cats); i++) {
        if (mc_catmask_has(mask, i))
            out = apr_pstrcat(p, out, *out ? " " : "", mc_categories_name(cats, i), NULL);
    }
    return out;
}

/* NULL when every value fits its column, else which does not. */
static const char *too_long(apr_pool_t *p, const mc_record_t *rec)
{
    const struct {
        const char *name;
        const char *value;
        size_t max;
    } cols[] = {{"chain", rec->chain, COL_CHAIN}, {"id", rec->id, COL_ID},
                {"policy", rec->policy, COL_POLICY}, {"method", rec->method, COL_METHOD},
                {"lang", rec->lang, COL_LANG}};

    for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
        if (cols[i].value && strlen(cols[i].value) > cols[i].max)
            return apr_psprintf(p, "dbd: %s is longer than its column (%" APR_SIZE_T_FMT
                                   " characters)",
                                cols[i].name, cols[i].max);
    }
    return NULL;
}

/* The record's time as every driver takes a timestamp, in UTC:
 * "2026-11-24 06:13:23.123" for "2026-11-24T06:13:23.123Z". */
static const char *sql_time(apr_pool_t *p, const char *rfc3339)
{
    char *t = apr_pstrdup(p, rfc3339);
    size_t len = strlen(t);

    t[10] = ' ';
    if (t[len - 1] == 'Z')
        t[len - 1] = '\0';
    return t;
}

/* Formats REC after HEAD (row SEQ) and inserts it as row SEQ + 1. */
static apr_status_t insert_record(const dbd_txn_t *x, const mc_record_t *rec, apr_int64_t seq,
                                  const char *head, char *hash)
{
    mc_catmask_t all = mc_categories_all(rec->cats);
    mc_catmask_t granted = (rec->granted | mc_categories_required(rec->cats)) & all;
    const char *time = mc_time_rfc3339(x->r->pool, rec->time_usec);
    char *line = mc_record_format(x->r->pool, rec, head, hash, x->err);
    const char *args[INSERT_ARGS];
    apr_dbd_prepared_t *stmt;
    const char *why;
    int nrows = 0;
    int rv;

    if (!line)
        return APR_EINVAL;
    if (!time || strlen(time) < 11) {
        *x->err = "dbd: the record's time cannot be written";
        return APR_EINVAL;
    }
    if ((why = too_long(x->r->pool, rec)) != NULL) {
        *x->err = why;
        return APR_EINVAL;
    }
    if (!(stmt = statement(x, LABEL_INSERT, SQL_INSERT)))
        return db_fail(x, "cannot prepare the insert", 0);
    line[strcspn(line, "\n")] = '\0';
    args[0] = rec->chain;
    args[1] = apr_psprintf(x->r->pool, "%" APR_INT64_T_FMT, seq + 1);
    args[2] = sql_time(x->r->pool, time);
    args[3] = apr_pstrndup(x->r->pool, time, 10);
    args[4] = rec->id;
    args[5] = rec->policy;
    args[6] = rec->method;
    args[7] = rec->lang;
    args[8] = names_of(x->r->pool, rec->cats, granted);
    args[9] = names_of(x->r->pool, rec->cats, all & ~granted);
    args[10] = line;
    args[11] = hash;
    rv = apr_dbd_pquery(x->dbd->driver, x->r->pool, x->dbd->handle, &nrows,
                        stmt, INSERT_ARGS, args);
    if (rv != 0)
        return db_fail(x, apr_psprintf(x->r->pool, "cannot insert row %" APR_INT64_T_FMT
                                                   " of chain '%s'",
                                       seq + 1, rec->chain),
                       rv);
    if (nrows != 1) {
        *x->err = apr_psprintf(x->r->pool, "dbd: the insert stored %d rows, not 1", nrows);
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

/* SQL outside the prepared statements; 0 or the driver's error. */
static int run(const dbd_txn_t *x, const char *sql)
{
    int nrows = 0;

    return apr_dbd_query(x->dbd->driver, x->dbd->handle, &nrows, sql);
}

/* BEGIN ... COMMIT as plain SQL rather than apr_dbd_transaction_start: the
 * PostgreSQL driver of apr-util 1.6 crashes the process when BEGIN fails on
 * a connection the database has closed. SQLite takes its write lock at
 * BEGIN IMMEDIATE, so two writers wait for each other instead of failing
 * on the upgrade from read to write. */
static apr_status_t one_transaction(dbd_txn_t *x, const mc_record_t *rec, char *hash)
{
    char db_head[MC_HASH_HEX + 1];
    apr_int64_t seq = 0;
    apr_status_t rv;
    int sqlite = strcmp(x->driver, "sqlite3") == 0;
    int status;

    x->committing = 0;
    if (sqlite)
        set_busy_timeout(x);
    status = run(x, sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
    if (status != 0)
        return db_fail(x, "cannot start a transaction", status);
    rv = set_transaction_limits(x);
    if (rv == APR_SUCCESS)
        rv = read_head(x, rec->chain, &seq, db_head);
    if (rv == APR_SUCCESS)
        rv = insert_record(x, rec, seq, db_head, hash);
    if (rv != APR_SUCCESS) {
        /* fails as well on a dead connection, where the database has ended
         * the transaction itself */
        run(x, "ROLLBACK");
        return rv;
    }
    x->committing = 1;
    status = run(x, "COMMIT");
    if (status != 0)
        return db_fail(x, "the COMMIT failed; the record may or may not be stored", status);
    return APR_SUCCESS;
}

static apr_status_t dbd_child_init(apr_pool_t *p, server_rec *s, mc_logger_t *logger)
{
    (void)s;
    (void)logger;
    if (!fresh_handles)
        fresh_handles = apr_hash_make(p);
    return APR_SUCCESS;
}

static apr_status_t dbd_append(request_rec *r, mc_logger_t *logger, const mc_record_t *rec,
                               char *head, const char **err)
{
    const dbd_target_t *t = logger->data;
    dbd_txn_t x = {r, NULL, NULL, 0, 0, err};
    char hash[MC_HASH_HEX + 1];
    apr_status_t rv;

    if (!rec->chain) {
        *err = "dbd: the record has no chain name";
        return APR_EINVAL;
    }
    x.dbd = t->acquire(r);
    if (!x.dbd) {
        *err = "dbd: no database connection (mod_dbd logged why)";
        return APR_EGENERAL;
    }
    x.driver = apr_dbd_name(x.dbd->driver);
    x.fresh = strcmp(x.driver, "sqlite3") == 0 ||
              (fresh_handles && apr_hash_get(fresh_handles, &x.dbd->handle, sizeof(void *)));
    rv = one_transaction(&x, rec, hash);
    /* Once more on a connection that failed before its COMMIT, when the
     * driver can mend it (reconnect) or the statements were stale: nothing
     * of the first try is stored, and the head is read again. */
    if (rv != APR_SUCCESS && rv != APR_EINVAL && !x.committing &&
        apr_dbd_check_conn(x.dbd->driver, r->pool, x.dbd->handle) == APR_SUCCESS) {
        int was_fresh = x.fresh;

        x.fresh = 1;
        rv = one_transaction(&x, rec, hash);
        if (rv == APR_SUCCESS && !was_fresh && fresh_handles)
            apr_hash_set(fresh_handles, apr_pmemdup(apr_hash_pool_get(fresh_handles),
                                                    &x.dbd->handle, sizeof(void *)),
                         sizeof(void *), "");
    }
    if (rv == APR_SUCCESS)
        memcpy(head, hash, sizeof(hash)); /* for status pages; never read back */
    return rv;
}

const mc_consentlog_ops_t mc_consentlog_dbd_ops = {"dbd", dbd_open, dbd_load_head, dbd_child_init,
                                     dbd_append};
