/* The cookies the site is seen to set, recorded across every process; and,
 * in the same shared memory under the same lock, the hosts its pages were
 * stopped from reaching (blocked.h, fed by glue_csp.c's report endpoint).
 *
 * One table (seen.h) of MC_SEEN_CAPACITY entries in shared memory, with one
 * global lock, is made once per httpd process tree and kept across graceful
 * restarts (like the consent log's chain head, glue_log.c). The parent
 * loads it from DefaultRuntimeDir/consent-seen.txt when the process tree
 * starts and saves it there whenever its configuration pool is cleared (a
 * restart, graceful or not, and the stop), so it survives a full restart.
 *
 * The request path stays cheap: each process remembers, per cookie, when
 * it last wrote it and the longest lifetime it wrote, and takes the global
 * lock only for a cookie it has not written in the last minute, or whose
 * lifetime grew. That memory is bounded too: past SEEN_CACHE_MAX cookies it
 * is forgotten and starts over.
 *
 * When the table is full a new cookie is refused (unless an entry has not
 * been seen for 30 days, seen.h), and a warning says so once per start or
 * restart.
 *
 * The table of blocked hosts is not saved: it starts empty with each full
 * start (a graceful restart keeps it), and when it is full new hosts are
 * dropped, said once per start or restart. */
#include "mod_consent.h"

#include "http_core.h"
#include "http_main.h"
#include "util_mutex.h"

#include <apr_file_io.h>
#include <apr_global_mutex.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <unistd.h>

#include "declaration.h"
#include "inuse.h"
#include "used.h"

#include "glue_seen.h"
#include "glue_shm.h"

APLOG_USE_MODULE(consent);

#define SEEN_MUTEX "consent-seen"
#define SEEN_FILE "consent-seen.txt"
/* versioned: a module upgraded by a graceful restart must not read an older
 * layout (the old module saves its table at the restart; this one loads it) */
#define SEEN_USERDATA "mod_consent:seen:2"
#define SEEN_REFRESH 60                       /* seconds between writes of a known cookie */
#define SEEN_CACHE_MAX (2 * MC_SEEN_CAPACITY) /* cookies a process remembers writing */
#define SEEN_FILE_MAX 4194304                 /* 4 MB: a larger saved table is not read */

/* What lives as long as the httpd process tree. */
typedef struct seen_shared {
    mc_shm_t *seg; /* glue_shm.h: the segment and its lock */
    mc_seen_table_t *table;
    mc_blocked_table_t *blocked; /* after TABLE in the same segment */
    mc_inuse_table_t *inuse;     /* after BLOCKED: the services in use */
    const char *path; /* where the table is saved */
    pid_t parent;     /* the process that saves it: the server's parent */
} seen_shared_t;

static seen_shared_t *shared;

/* Per process (child): when this process last wrote each cookie. */
typedef struct written {
    int64_t lifetime;
    int64_t when;
} written_t;

static apr_pool_t *child_pool;
static apr_thread_mutex_t *child_lock;
static apr_pool_t *cache_pool;
static apr_hash_t *cache;
/* Per process: whether the site sets each unclassified name persistently
 * (mc_seen_persistent), looked up again after SEEN_REFRESH seconds. */
typedef struct persistence {
    int persistent;
    int64_t when;
} persistence_t;
static apr_pool_t *persist_pool;
static apr_hash_t *persist_cache;

void mc_seen_pre_config(apr_pool_t *pconf)
{
    ap_mutex_register(pconf, SEEN_MUTEX, NULL, APR_LOCK_DEFAULT, 0);
}

const char *mc_seen_site(apr_pool_t *p, const server_rec *s)
{
    unsigned port = s->addrs && s->addrs->host_port ? s->addrs->host_port : s->port;

    return apr_psprintf(p, "%s:%u", s->server_hostname ? s->server_hostname : "", port);
}

/* --- the saved table ------------------------------------------------------------------- */

static void load_table(apr_pool_t *p, server_rec *s, seen_shared_t *sh)
{
    apr_finfo_t finfo;
    apr_file_t *f;
    const char *err = NULL;
    char *text;
    apr_size_t len, inuse_at;
    apr_status_t rv;

    if (apr_stat(&finfo, sh->path, APR_FINFO_SIZE | APR_FINFO_TYPE, p) != APR_SUCCESS)
        return; /* none yet */
    if (finfo.filetype != APR_REG || finfo.size > SEEN_FILE_MAX) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     MCLOGNO(00231) "%s is not a saved table of seen cookies (not a file, or "
                                    "over %d bytes); it is ignored and the table starts empty",
                     sh->path, SEEN_FILE_MAX);
        return;
    }
    len = (apr_size_t)finfo.size;
    text = apr_palloc(p, len + 1);
    rv = apr_file_open(&f, sh->path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_read_full(f, text, len, &len);
        apr_file_close(f);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s,
                     MCLOGNO(00232) "cannot read %s; the table of seen cookies starts empty",
                     sh->path);
        return;
    }
    text[len] = '\0';
    /* the services in use follow the cookies; an older file has none */
    inuse_at = mc_inuse_offset(text, len);
    if (mc_seen_parse(sh->table, text, inuse_at, &err) != MC_OK)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     MCLOGNO(00233) "%s is damaged (%s); it is ignored and the table of seen "
                                    "cookies starts empty",
                     sh->path, err ? err : "no reason given");
    else if (inuse_at < len &&
             mc_inuse_parse(sh->inuse, text + inuse_at, len - inuse_at, &err) != MC_OK)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     MCLOGNO(00295) "%s: the services in use are damaged (%s); they are "
                                    "ignored and learnt again as pages are served",
                     sh->path, err ? err : "no reason given");
}

/* Written beside, then renamed over: a reader sees the old table or the new. */
static apr_status_t save_table(void *data)
{
    seen_shared_t *sh = data;
    apr_pool_t *p;
    apr_file_t *f;
    const char *tmp, *text;
    apr_status_t rv;

    if (!sh->table || getpid() != sh->parent || apr_pool_create(&p, NULL) != APR_SUCCESS)
        return APR_SUCCESS;
    tmp = apr_pstrcat(p, sh->path, ".tmp", NULL);
    text = apr_pstrcat(p, mc_seen_serialise(p, sh->table), mc_inuse_serialise(p, sh->inuse), NULL);
    rv = apr_file_open(&f, tmp,
                       APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_TRUNCATE | APR_FOPEN_BINARY,
                       APR_FPROT_UREAD | APR_FPROT_UWRITE, p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_write_full(f, text, strlen(text), NULL);
        if (rv == APR_SUCCESS)
            rv = apr_file_flush(f);
        apr_file_close(f);
    }
    if (rv == APR_SUCCESS)
        rv = apr_file_rename(tmp, sh->path, p);
    if (rv != APR_SUCCESS) {
        apr_file_remove(tmp, p);
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, NULL,
                     MCLOGNO(00234) "cannot save the table of seen cookies to %s; after a "
                                    "full restart the cookie declaration starts empty",
                     sh->path);
    }
    apr_pool_destroy(p);
    return APR_SUCCESS;
}

/* --- start-up -------------------------------------------------------------------------- */

static seen_shared_t *shared_for(server_rec *s)
{
    apr_pool_t *proc_pool = s->process->pool;
    seen_shared_t *sh = NULL;
    /* the blocked table starts 8-byte aligned, as its counters need */
    apr_size_t seen_size = (mc_seen_size(MC_SEEN_CAPACITY) + 7) & ~(apr_size_t)7;
    apr_size_t blocked_size = mc_blocked_size(MC_BLOCKED_CAPACITY);
    apr_size_t size = seen_size + blocked_size + mc_inuse_size(MC_INUSE_CAPACITY);

    apr_pool_userdata_get((void **)&sh, SEEN_USERDATA, proc_pool);
    if (sh)
        return sh;
    sh = apr_pcalloc(proc_pool, sizeof(*sh));
    sh->seg = mc_shm_get(s, SEEN_USERDATA, size, SEEN_MUTEX, NULL,
                         "the tables of seen cookies, blocked hosts and services in use");
    if (!sh->seg)
        return NULL;
    sh->table = mc_seen_init(sh->seg->base, seen_size, MC_SEEN_CAPACITY);
    sh->blocked =
        mc_blocked_init((char *)sh->seg->base + seen_size, blocked_size, MC_BLOCKED_CAPACITY);
    sh->inuse = mc_inuse_init((char *)sh->seg->base + seen_size + blocked_size,
                              size - seen_size - blocked_size, MC_INUSE_CAPACITY);
    sh->path = ap_runtime_dir_relative(proc_pool, SEEN_FILE);
    sh->parent = getpid();
    if (!sh->table || !sh->blocked || !sh->inuse || !sh->path)
        return NULL;
    load_table(proc_pool, s, sh);
    apr_pool_userdata_set(sh, SEEN_USERDATA, apr_pool_cleanup_null, proc_pool);
    return sh;
}

/* "365 days", "2 hours", "10 minutes", "30 seconds" */
static const char *lifetime_words(apr_pool_t *p, int64_t seconds)
{
    if (seconds >= 86400)
        return apr_psprintf(p, "%" APR_INT64_T_FMT " days", (apr_int64_t)((seconds + 43200) / 86400));
    if (seconds >= 3600)
        return apr_psprintf(p, "%" APR_INT64_T_FMT " hours", (apr_int64_t)((seconds + 1800) / 3600));
    if (seconds >= 60)
        return apr_psprintf(p, "%" APR_INT64_T_FMT " minutes", (apr_int64_t)((seconds + 30) / 60));
    return apr_psprintf(p, "%" APR_INT64_T_FMT " seconds", (apr_int64_t)seconds);
}

#define WARN_LIST_MAX 20 /* cookies named in one start-up warning */

/* One warning per site naming the cookies it is seen to set that no rule
 * classifies, how each is treated and how to classify it. Silent when all
 * are classified. */
static void warn_unclassified(apr_pool_t *pconf, server_rec *main_server)
{
    apr_pool_t *p;
    apr_hash_t *sites;

    if (apr_pool_create(&p, pconf) != APR_SUCCESS)
        return;
    sites = apr_hash_make(p);
    for (server_rec *s = main_server; s; s = s->next) {
        const mc_server_conf_t *conf = mc_server_conf(s);
        const mc_dir_conf_t *dir = ap_get_module_config(s->lookup_defaults, &consent_module);
        const char *site = mc_seen_site(p, s), *list = NULL, *cats = NULL, *example = NULL;
        apr_array_header_t *entries, *seen;
        int count = 0, example_held = 0;

        if (!conf->engine_used || !conf->cats || apr_hash_get(sites, site, APR_HASH_KEY_STRING))
            continue;
        apr_hash_set(sites, site, APR_HASH_KEY_STRING, site);
        if (apr_global_mutex_lock(shared->seg->mutex) != APR_SUCCESS)
            continue;
        entries = mc_seen_list(p, shared->table, site);
        apr_global_mutex_unlock(shared->seg->mutex);
        seen = mc_declaration_seen(p, conf->cats, conf->rules, dir ? dir->rules : NULL,
                                   conf->cookie_name, entries);
        mc_declaration_treat(seen, mc_unclassified_mode(dir));
        for (int i = 0; i < seen->nelts; i++) {
            const mc_declared_seen_t *e = &APR_ARRAY_IDX(seen, i, mc_declared_seen_t);
            const char *one;
            if (e->category >= 0)
                continue;
            if (++count > WARN_LIST_MAX)
                continue;
            one = apr_psprintf(p, "%s (domain %s, %s, %s)", e->name, e->domain,
                               e->lifetime == MC_SEEN_SESSION
                                   ? "session"
                                   : apr_pstrcat(p, "persistent ",
                                                 lifetime_words(p, e->lifetime), NULL),
                               e->treatment == MC_TREATMENT_HELD
                                   ? "held until a visitor accepts all"
                                   : e->treatment == MC_TREATMENT_BLOCKED
                                         ? "blocked"
                                         : "let through without consent");
            list = list ? apr_pstrcat(p, list, ", ", one, NULL) : one;
            if (!example || (!example_held && e->treatment == MC_TREATMENT_HELD)) {
                example = e->name;
                example_held = e->treatment == MC_TREATMENT_HELD;
            }
        }
        if (!count)
            continue;
        for (int i = 0; i < mc_categories_count(conf->cats); i++)
            cats = cats ? apr_pstrcat(p, cats, ", ", mc_categories_name(conf->cats, i), NULL)
                        : mc_categories_name(conf->cats, i);
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     MCLOGNO(00272) "%d cookie%s the site %s is seen to set %s classified by "
                                    "no rule: %s%s. Classify each with ConsentCookieRule "
                                    "CATEGORY NAME (CATEGORY one of %s), e.g. "
                                    "\"ConsentCookieRule statistics %s\"; GET %s/declaration "
                                    "lists them under \"unclassified\"",
                     count, count == 1 ? "" : "s", ap_escape_logitem(p, site),
                     count == 1 ? "is" : "are", ap_escape_logitem(p, list),
                     count > WARN_LIST_MAX
                         ? apr_psprintf(p, " and %d more", count - WARN_LIST_MAX)
                         : "",
                     cats, ap_escape_logitem(p, example), conf->base_path);
    }
    apr_pool_destroy(p);
}

int mc_seen_post_config(apr_pool_t *pconf, server_rec *main_server)
{
    int used = 0;

    for (server_rec *s = main_server; s && !used; s = s->next)
        used = mc_server_conf(s)->engine_used;
    shared = NULL;
    if (!used)
        return OK;
    shared = shared_for(main_server);
    if (!shared)
        return HTTP_INTERNAL_SERVER_ERROR;
    /* "full" is said once per start or restart */
    mc_seen_rearm_full(shared->table);
    mc_blocked_rearm_full(shared->blocked);
    /* Only the real reading of the configuration saves: the first, trial
     * one is also all that "apache2 -k stop" and "-t" do, whose processes
     * must not write their own table over the server's. The server that
     * runs is this process, which "apache2 -k start" made when it detached
     * after the trial reading: the save is tied to its pid (children do not
     * run the cleanup, and it checks the pid). */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    warn_unclassified(pconf, main_server);
    shared->parent = getpid();
    apr_pool_cleanup_register(pconf, shared, save_table, apr_pool_cleanup_null);
    return OK;
}

void mc_seen_child_init(apr_pool_t *pchild, server_rec *main_server)
{
    apr_status_t rv;

    if (!shared)
        return;
    rv = mc_shm_child_init(shared->seg, pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, main_server,
                     MCLOGNO(00236) "cannot attach to the lock of the table of seen cookies; "
                                    "this process records none");
        shared = NULL;
        return;
    }
    child_pool = pchild;
    if (apr_thread_mutex_create(&child_lock, APR_THREAD_MUTEX_DEFAULT, pchild) != APR_SUCCESS ||
        apr_pool_create(&cache_pool, pchild) != APR_SUCCESS ||
        apr_pool_create(&persist_pool, pchild) != APR_SUCCESS) {
        child_lock = NULL;
        return;
    }
    cache = apr_hash_make(cache_pool);
    persist_cache = apr_hash_make(persist_pool);
}

/* --- recording --------------------------------------------------------------------------- */

/* 1 when this process should write the cookie KEY to the shared table: not
 * written in the last SEEN_REFRESH seconds, or with a shorter lifetime.
 * Remembers the write it allows. */
static int needs_write(const char *key, int64_t lifetime, int64_t now)
{
    written_t *w;
    int write = 1;

    if (!child_lock || apr_thread_mutex_lock(child_lock) != APR_SUCCESS)
        return 0;
    w = apr_hash_get(cache, key, APR_HASH_KEY_STRING);
    if (w && lifetime <= w->lifetime && now - w->when < SEEN_REFRESH && now >= w->when)
        write = 0;
    else {
        if (!w) {
            if (apr_hash_count(cache) >= SEEN_CACHE_MAX) {
                /* forget everything rather than grow: a flood of names
                 * costs a lock per name, never memory */
                apr_pool_clear(cache_pool);
                cache = apr_hash_make(cache_pool);
            }
            w = apr_pcalloc(cache_pool, sizeof(*w));
            w->lifetime = lifetime;
            apr_hash_set(cache, apr_pstrdup(cache_pool, key), APR_HASH_KEY_STRING, w);
        }
        if (lifetime > w->lifetime)
            w->lifetime = lifetime;
        w->when = now;
    }
    apr_thread_mutex_unlock(child_lock);
    return write;
}

/* --- services in use ------------------------------------------------------------------------ */

/* The id of the catalogue service NAME (the last definition), or NULL. */
static const char *service_id_of(request_rec *r, const char *name)
{
    const mc_ruleset_t *rules = mc_server_conf(r->server)->rules;

    for (int i = rules ? rules->services->nelts - 1 : -1; name && i >= 0; i--) {
        const mc_service_t *svc = &APR_ARRAY_IDX(rules->services, i, mc_service_t);
        if (strcmp(svc->name, name) == 0)
            return mc_service_id(r->pool, svc);
    }
    return NULL;
}

/* The id of the service of the rule that classifies cookie NAME for R. */
static const char *cookie_service_id(request_rec *r, const char *name)
{
    const mc_dir_conf_t *d = mc_dir_conf(r);
    const mc_rule_t *rule = NULL;

    if (d && d->rules)
        rule = mc_rules_match(d->rules, MC_RULE_COOKIE, name, strlen(name));
    if (!rule && mc_server_conf(r->server)->rules)
        rule = mc_ruleset_match_cookie(mc_server_conf(r->server)->rules, name);
    return rule && rule->service ? service_id_of(r, rule->service) : NULL;
}

/* The id of the service of the URL rule that names HOST (its whole host,
 * any path), or NULL. */
static const char *host_service_id(request_rec *r, const char *host)
{
    const char *url = apr_pstrcat(r->pool, "//", host, "/", NULL);
    const mc_rule_t *rule = NULL;

    if (mc_server_conf(r->server)->rules)
        rule = mc_ruleset_match_url(mc_server_conf(r->server)->rules, url, strlen(url));
    return rule && rule->service ? service_id_of(r, rule->service) : NULL;
}

void mc_seen_use(request_rec *r, const char *const *services, int n, unsigned how)
{
    int64_t now = apr_time_sec(r->request_time);
    const char *site, *ids[16];
    int todo = 0;
    apr_status_t rv;

    if (!shared || n <= 0)
        return;
    site = mc_seen_site(r->pool, r->server);
    for (int i = 0; i < n && todo < 16; i++) {
        const char *key = apr_psprintf(r->pool, "%s\t%s\t%u", site, services[i], how);
        if (services[i] && needs_write(key, 0, now) && (ids[todo] = service_id_of(r, services[i])))
            todo++;
    }
    if (!todo)
        return;
    if ((rv = apr_global_mutex_lock(shared->seg->mutex)) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      MCLOGNO(00296) "cannot lock the table of services in use");
        return;
    }
    for (int i = 0; i < todo; i++) {
        if (mc_inuse_record(shared->inuse, site, ids[i], how, now) == MC_INUSE_ADDED)
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          MCLOGNO(00297) "service '%s' seen in use on %s", ids[i], site);
    }
    apr_global_mutex_unlock(shared->seg->mutex);
}

apr_array_header_t *mc_seen_in_use(request_rec *r)
{
    apr_array_header_t *list;
    apr_status_t rv;

    if (!shared)
        return apr_array_make(r->pool, 1, sizeof(mc_inuse_t));
    if ((rv = apr_global_mutex_lock(shared->seg->mutex)) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      MCLOGNO(00298) "cannot lock the table of services in use");
        return apr_array_make(r->pool, 1, sizeof(mc_inuse_t));
    }
    list = mc_inuse_list(r->pool, shared->inuse, mc_seen_site(r->pool, r->server));
    apr_global_mutex_unlock(shared->seg->mutex);
    return list;
}

apr_array_header_t *mc_seen_used_services(request_rec *r, const char *lang)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);

    if (!conf->rules || !conf->cats)
        return apr_array_make(r->pool, 1, sizeof(mc_used_service_t *));
    return mc_used_services(r->pool, conf->cats, conf->rules, mc_seen_in_use(r),
                            mc_seen_declared(r), lang);
}

uint64_t mc_seen_services_generation(void)
{
    if (!shared)
        return 0;
    /* both only grow */
    return mc_seen_generation(shared->table) + mc_inuse_generation(shared->inuse);
}

mc_seen_result_t mc_seen_note(request_rec *r, const mc_setcookie_t *c)
{
    const char *domain = c->domain && *c->domain ? c->domain : r->hostname;
    int64_t now = apr_time_sec(r->request_time);
    mc_seen_cookie_t seen;
    mc_seen_result_t result;
    char *lower;
    const char *service_id;
    int full_first;
    apr_status_t rv;

    if (!shared || !domain || !c->name[0] || !mc_seen_text_ok(c->name, MC_SEEN_NAME_MAX) ||
        !mc_seen_text_ok(domain, MC_SEEN_DOMAIN_MAX))
        return MC_SEEN_INVALID;
    seen.site = mc_seen_site(r->pool, r->server);
    seen.name = c->name;
    /* the Domain attribute is lower-cased by the parser; a Host header may not be */
    lower = apr_pstrdup(r->pool, domain);
    ap_str_tolower(lower);
    seen.domain = lower;
    seen.lifetime = mc_seen_lifetime(c, now);
    seen.first_seen = seen.last_seen = now;
    if (!needs_write(apr_pstrcat(r->pool, seen.site, "\t", seen.name, "\t", seen.domain, NULL),
                     seen.lifetime, now))
        return MC_SEEN_UNCHANGED;
    service_id = cookie_service_id(r, seen.name);
    if ((rv = apr_global_mutex_lock(shared->seg->mutex)) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      MCLOGNO(00237) "cannot lock the table of seen cookies");
        return MC_SEEN_UNCHANGED;
    }
    result = mc_seen_record(shared->table, &seen);
    full_first = result == MC_SEEN_FULL && mc_seen_full_first(shared->table);
    if (service_id)
        mc_inuse_record(shared->inuse, seen.site, service_id, MC_INUSE_COOKIE, now);
    apr_global_mutex_unlock(shared->seg->mutex);
    if (full_first)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      MCLOGNO(00238) "the table of seen cookies is full (%d entries): cookie "
                                     "'%s' is not in the cookie declaration, nor are other new "
                                     "cookies until entries go unseen for 30 days. Does a "
                                     "backend set random cookie names? (said once per "
                                     "restart; remove %s and restart to start over)",
                      MC_SEEN_CAPACITY, ap_escape_logitem(r->pool, seen.name), shared->path);
    else if (result == MC_SEEN_ADDED || result == MC_SEEN_REPLACED)
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      MCLOGNO(00239) "seen cookie '%s' (domain %s) recorded",
                      ap_escape_logitem(r->pool, seen.name),
                      ap_escape_logitem(r->pool, seen.domain));
    return result;
}

/* --- reading ------------------------------------------------------------------------------ */

/* Copies of the site's entries, taken under the lock. */
static apr_array_header_t *site_entries(request_rec *r, apr_pool_t *p, const server_rec *s)
{
    apr_array_header_t *list;
    apr_status_t rv;

    if (!shared)
        return apr_array_make(p, 1, sizeof(mc_seen_cookie_t));
    if ((rv = apr_global_mutex_lock(shared->seg->mutex)) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      MCLOGNO(00240) "cannot lock the table of seen cookies");
        return apr_array_make(p, 1, sizeof(mc_seen_cookie_t));
    }
    list = mc_seen_list(p, shared->table, mc_seen_site(p, s));
    apr_global_mutex_unlock(shared->seg->mutex);
    return list;
}

apr_array_header_t *mc_seen_declared(request_rec *r)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    apr_array_header_t *seen =
        mc_declaration_seen(r->pool, conf->cats, conf->rules, mc_dir_conf(r)->rules,
                            conf->cookie_name, site_entries(r, r->pool, r->server));

    mc_declaration_treat(seen, mc_unclassified_mode(mc_dir_conf(r)));
    return seen;
}

/* 1 when ENTRIES (mc_seen_cookie_t) record NAME with a lifetime, on any
 * domain. */
static int recorded_persistent(const apr_array_header_t *entries, const char *name)
{
    for (int i = 0; i < entries->nelts; i++) {
        const mc_seen_cookie_t *e = &APR_ARRAY_IDX(entries, i, mc_seen_cookie_t);
        if (e->lifetime > 0 && strcmp(e->name, name) == 0)
            return 1;
    }
    return 0;
}

int mc_seen_persistent(request_rec *r, const char *name)
{
    int64_t now = apr_time_sec(r->request_time);
    const char *key = apr_pstrcat(r->pool, mc_seen_site(r->pool, r->server), "\t", name, NULL);
    persistence_t *known = NULL;
    int persistent;

    if (!shared)
        return 0;
    if (child_lock && apr_thread_mutex_lock(child_lock) == APR_SUCCESS) {
        known = apr_hash_get(persist_cache, key, APR_HASH_KEY_STRING);
        persistent = known ? known->persistent : 0;
        if (known && now - known->when < SEEN_REFRESH && now >= known->when) {
            apr_thread_mutex_unlock(child_lock);
            return persistent;
        }
        apr_thread_mutex_unlock(child_lock);
    }
    persistent = recorded_persistent(site_entries(r, r->pool, r->server), name);
    if (child_lock && apr_thread_mutex_lock(child_lock) == APR_SUCCESS) {
        known = apr_hash_get(persist_cache, key, APR_HASH_KEY_STRING);
        if (!known) {
            if (apr_hash_count(persist_cache) >= SEEN_CACHE_MAX) {
                apr_pool_clear(persist_pool);
                persist_cache = apr_hash_make(persist_pool);
            }
            known = apr_pcalloc(persist_pool, sizeof(*known));
            apr_hash_set(persist_cache, apr_pstrdup(persist_pool, key), APR_HASH_KEY_STRING,
                         known);
        }
        known->persistent = persistent;
        known->when = now;
        apr_thread_mutex_unlock(child_lock);
    }
    return persistent;
}

/* Copies of the site's services in use, taken under the lock. */
static apr_array_header_t *site_inuse(request_rec *r, apr_pool_t *p)
{
    apr_array_header_t *list;

    if (!shared || apr_global_mutex_lock(shared->seg->mutex) != APR_SUCCESS)
        return apr_array_make(p, 1, sizeof(mc_inuse_t));
    list = mc_inuse_list(p, shared->inuse, mc_seen_site(p, r->server));
    apr_global_mutex_unlock(shared->seg->mutex);
    return list;
}

/* --- the banner's services and recipients ---------------------------------------------- */

/* Per process, per site, language and wording: the second layer's services
 * and the first layer's recipients, remade when the tables change. */
typedef struct banner_services {
    uint64_t generation;
    apr_pool_t *pool;
    int n;
    mc_banner_services_t *services;
    const char *recipients;
    int outside_eea;
} banner_services_t;

#define BANNER_SERVICES_MAX 64 /* cached (site, language, wording) triples */

static apr_hash_t *banner_services_cache;

static void services_make(request_rec *r, apr_pool_t *p, const mc_locale_t *loc,
                          banner_services_t *out)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    apr_array_header_t *seen = mc_declaration_seen(
        p, conf->cats, conf->rules, NULL, conf->cookie_name, site_entries(r, p, r->server));
    apr_array_header_t *used =
        mc_used_services(p, conf->cats, conf->rules, site_inuse(r, p), seen, mc_locale_lang(loc));

    out->n = mc_categories_count(conf->cats);
    out->services = mc_banner_service_lists(p, used, conf->cats, loc);
    out->recipients = mc_used_recipients(p, used, conf->cats, &out->outside_eea);
}

/* The cached entry's contents in R's pool (the cache's pool may go while
 * R still renders). */
static void services_copy(request_rec *r, const banner_services_t *b, mc_banner_opts_t *o)
{
    mc_banner_services_t *s = apr_pcalloc(r->pool, sizeof(*s) * (size_t)(b->n ? b->n : 1));

    for (int i = 0; i < b->n; i++) {
        s[i].count = b->services[i].count;
        s[i].off = b->services[i].off ? apr_pstrdup(r->pool, b->services[i].off) : NULL;
        s[i].on = b->services[i].on ? apr_pstrdup(r->pool, b->services[i].on) : NULL;
        s[i].refused = b->services[i].refused ? apr_pstrdup(r->pool, b->services[i].refused) : NULL;
    }
    o->services = s;
    o->recipients = b->recipients ? apr_pstrdup(r->pool, b->recipients) : NULL;
    o->outside_eea = b->outside_eea;
}

void mc_seen_banner_services(request_rec *r, const mc_locale_t *loc, mc_banner_opts_t *o)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    uint64_t generation;
    const char *key;
    banner_services_t *b, fresh;

    o->services = NULL;
    o->recipients = NULL;
    o->outside_eea = 0;
    if (!shared || !conf->cats || !conf->rules || (generation = mc_seen_services_generation()) == 0)
        return; /* nothing seen yet: no service to list, no one to name */
    if (!child_lock) {
        memset(&fresh, 0, sizeof(fresh));
        services_make(r, r->pool, loc, &fresh);
        services_copy(r, &fresh, o);
        return;
    }
    key = apr_pstrcat(r->pool, mc_seen_site(r->pool, r->server), "\t", mc_locale_lang(loc), "\t",
                      mc_locale_hash(loc), NULL);
    if (apr_thread_mutex_lock(child_lock) != APR_SUCCESS)
        return;
    if (!banner_services_cache)
        banner_services_cache = apr_hash_make(child_pool);
    b = apr_hash_get(banner_services_cache, key, APR_HASH_KEY_STRING);
    if (!b && apr_hash_count(banner_services_cache) < BANNER_SERVICES_MAX) {
        b = apr_pcalloc(child_pool, sizeof(*b));
        apr_hash_set(banner_services_cache, apr_pstrdup(child_pool, key), APR_HASH_KEY_STRING, b);
    }
    if (b && (!b->pool || b->generation != generation)) {
        apr_pool_t *pool;
        if (apr_pool_create(&pool, child_pool) == APR_SUCCESS) {
            services_make(r, pool, loc, b);
            b->generation = generation;
            if (b->pool)
                apr_pool_destroy(b->pool);
            b->pool = pool;
        }
    }
    if (b && b->pool)
        services_copy(r, b, o);
    else {
        /* past the cache's bound: made for R alone */
        memset(&fresh, 0, sizeof(fresh));
        services_make(r, r->pool, loc, &fresh);
        services_copy(r, &fresh, o);
    }
    apr_thread_mutex_unlock(child_lock);
}

/* --- the banner's lists ---------------------------------------------------------------------- */

struct mc_seen_lists {
    uint64_t generation;
    apr_pool_t *pool;
    const mc_banner_cookies_t *lists;
};

static const mc_banner_cookies_t *lists_with_seen(request_rec *r, apr_pool_t *p,
                                                  const apr_array_header_t *decl,
                                                  const apr_array_header_t *scope_rules,
                                                  mc_unclassified_t mode)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    apr_array_header_t *copy = mc_declaration_copy(p, decl);
    apr_array_header_t *seen =
        mc_declaration_seen(p, conf->cats, conf->rules, scope_rules, conf->cookie_name,
                            site_entries(r, p, r->server));

    apr_array_header_t *used;

    mc_declaration_treat(seen, mode);
    used = mc_used_services(p, conf->cats, conf->rules, site_inuse(r, p), seen, NULL);
    mc_declaration_add_seen(p, copy, seen);
    /* only what the site uses; a service's cookies show under the service */
    mc_declaration_only_used(p, copy, used, seen);
    mc_declaration_drop_service_cookies(p, copy);
    return mc_banner_cookie_lists(p, copy);
}

/* The lists in R's pool: the cache's pool goes when the table changes,
 * while R may still be rendering. */
static const mc_banner_cookies_t *lists_copy(request_rec *r, const mc_banner_cookies_t *lists,
                                             int n)
{
    mc_banner_cookies_t *out = apr_pcalloc(r->pool, sizeof(*out) * (size_t)(n ? n : 1));

    for (int i = 0; i < n; i++) {
        out[i].count = lists[i].count;
        out[i].list = lists[i].list ? apr_pstrdup(r->pool, lists[i].list) : NULL;
        out[i].unclassified_count = lists[i].unclassified_count;
        out[i].unclassified =
            lists[i].unclassified ? apr_pstrdup(r->pool, lists[i].unclassified) : NULL;
        out[i].held_count = lists[i].held_count;
        out[i].held = lists[i].held ? apr_pstrdup(r->pool, lists[i].held) : NULL;
    }
    return out;
}

const mc_banner_cookies_t *mc_seen_banner_lists(request_rec *r, mc_seen_lists_t **cache_slot,
                                                const apr_array_header_t *decl,
                                                const mc_banner_cookies_t *plain)
{
    /* the server's scope for its shared lists, R's own otherwise */
    const mc_dir_conf_t *server_dir =
        cache_slot ? ap_get_module_config(r->server->lookup_defaults, &consent_module)
                   : mc_dir_conf(r);
    mc_unclassified_t mode = mc_unclassified_mode(server_dir);
    const apr_array_header_t *scope_rules = server_dir ? server_dir->rules : NULL;
    uint64_t generation;
    mc_seen_lists_t *l;
    const mc_banner_cookies_t *out;

    if (!shared || (generation = mc_seen_services_generation()) == 0)
        return plain;
    /* outside a child (no lock to share the cache) or when cache_slot is
     * NULL: made for R alone */
    if (!child_lock || !cache_slot)
        return lists_with_seen(r, r->pool, decl, scope_rules, mode);
    if (apr_thread_mutex_lock(child_lock) != APR_SUCCESS)
        return plain;
    l = *cache_slot;
    if (!l) {
        l = apr_pcalloc(child_pool, sizeof(*l));
        *cache_slot = l;
    }
    if (!l->lists || l->generation != generation) {
        apr_pool_t *fresh;
        if (apr_pool_create(&fresh, child_pool) == APR_SUCCESS) {
            l->lists = lists_with_seen(r, fresh, decl, scope_rules, mode);
            l->generation = generation;
            if (l->pool)
                apr_pool_destroy(l->pool);
            l->pool = fresh;
        }
    }
    out = l->lists ? lists_copy(r, l->lists, decl->nelts) : plain;
    apr_thread_mutex_unlock(child_lock);
    return out;
}

/* --- blocked hosts ------------------------------------------------------------------------ */

mc_blocked_result_t mc_seen_block(request_rec *r, const char *host, int directive,
                                  int *full_first)
{
    mc_blocked_result_t result;
    const char *service_id;
    apr_status_t rv;

    *full_first = 0;
    if (!shared)
        return MC_BLOCKED_FULL;
    /* a report naming a host of a catalogue service shows the site uses it */
    service_id = host_service_id(r, host);
    if ((rv = apr_global_mutex_lock(shared->seg->mutex)) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      MCLOGNO(00241) "cannot lock the table of blocked hosts");
        return MC_BLOCKED_FULL;
    }
    result = mc_blocked_record(shared->blocked, mc_seen_site(r->pool, r->server), host, directive,
                               apr_time_sec(r->request_time));
    *full_first = result == MC_BLOCKED_FULL && mc_blocked_full_first(shared->blocked);
    if (service_id)
        mc_inuse_record(shared->inuse, mc_seen_site(r->pool, r->server), service_id, MC_INUSE_CSP,
                        apr_time_sec(r->request_time));
    apr_global_mutex_unlock(shared->seg->mutex);
    return result;
}

apr_array_header_t *mc_seen_blocked(request_rec *r)
{
    apr_array_header_t *list;
    apr_status_t rv;

    if (!shared)
        return apr_array_make(r->pool, 1, sizeof(mc_blocked_host_t));
    if ((rv = apr_global_mutex_lock(shared->seg->mutex)) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      MCLOGNO(00242) "cannot lock the table of blocked hosts");
        return apr_array_make(r->pool, 1, sizeof(mc_blocked_host_t));
    }
    list = mc_blocked_list(r->pool, shared->blocked, mc_seen_site(r->pool, r->server));
    apr_global_mutex_unlock(shared->seg->mutex);
    return list;
}
