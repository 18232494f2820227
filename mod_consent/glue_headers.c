/* Consent on every response: the request's consent state, Set-Cookie
 * filtering right before the headers are written, and the expiry (and
 * optional stripping) of refused cookies the browser still sends. */
#include "mod_consent.h"

#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "cookie.h"
#include "httpfield.h"

#include "glue_headers.h"
#include "glue_request.h"
#include "glue_config.h"
#include "glue_csp.h"
#include "glue_seen.h"
#include "glue_shared.h"
#include "glue_state.h"

APLOG_USE_MODULE(consent);

/* --- classifying cookies ------------------------------------------------------------ */

/* Unclassified cookie names are reported at info once per name and
 * process; the warning an admin acts on is said once per process tree,
 * when the table of seen cookies first records the name (warn_new). */
#define MC_REPORTED_MAX 1024
/* At most this many "new unclassified cookie" warnings per process and
 * minute: a backend setting random names does not flood the log. */
#define MC_WARN_BURST 5
#define MC_WARN_WINDOW 60

static apr_hash_t *reported_names;
static apr_thread_mutex_t *reported_lock;
static apr_int64_t warn_window_start;
static int warn_window_count;

void mc_headers_child_init(apr_pool_t *p)
{
    reported_names = apr_hash_make(p);
    if (apr_thread_mutex_create(&reported_lock, APR_THREAD_MUTEX_DEFAULT, p) != APR_SUCCESS)
        reported_lock = NULL;
}

static const char *treatment_words(mc_treatment_t t)
{
    switch (t) {
    case MC_TREATMENT_HELD: return "held until a visitor accepts all (ConsentUnclassified hold)";
    case MC_TREATMENT_BLOCKED: return "removed (ConsentUnclassified block)";
    default: return "let through without consent";
    }
}

/* FROM_REQUEST: the name came in the request's Cookie field (a browser
 * sends it with every request, for a stylesheet too), not from a response
 * that set it. */
static void report_unclassified(request_rec *r, const char *name, mc_treatment_t t,
                                int from_request)
{
    int first = 0;

    if (!reported_names || !reported_lock || apr_thread_mutex_lock(reported_lock) != APR_SUCCESS)
        return;
    if (apr_hash_count(reported_names) < MC_REPORTED_MAX &&
        !apr_hash_get(reported_names, name, APR_HASH_KEY_STRING)) {
        const char *key = apr_pstrdup(apr_hash_pool_get(reported_names), name);
        apr_hash_set(reported_names, key, APR_HASH_KEY_STRING, key);
        first = 1;
    }
    apr_thread_mutex_unlock(reported_lock);
    if (first)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      MCLOGNO(00011) "unclassified cookie '%s' %s %s, %s; classify it with "
                                     "ConsentCookieRule CATEGORY %s",
                      ap_escape_logitem(r->pool, name),
                      from_request ? "sent by the browser with a request for"
                                   : "set by the response to",
                      ap_escape_logitem(r->pool, mc_visitor_request(r)->uri), treatment_words(t),
                      ap_escape_logitem(r->pool, name));
}

/* The first time the process tree sees the site set an unclassified cookie
 * (the shared table gained it): a warning, rate-limited per process. */
static void warn_new(request_rec *r, const mc_setcookie_t *c, mc_cookie_life_t life,
                     mc_treatment_t t)
{
    apr_int64_t now = apr_time_sec(r->request_time);
    int say = 0, said_enough = 0;
    const char *name = ap_escape_logitem(r->pool, c->name);

    if (!reported_lock || apr_thread_mutex_lock(reported_lock) != APR_SUCCESS)
        return;
    if (now - warn_window_start >= MC_WARN_WINDOW || now < warn_window_start) {
        warn_window_start = now;
        warn_window_count = 0;
    }
    if (warn_window_count < MC_WARN_BURST)
        say = 1;
    else if (warn_window_count == MC_WARN_BURST)
        said_enough = 1;
    warn_window_count++;
    apr_thread_mutex_unlock(reported_lock);
    if (say)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      MCLOGNO(00270) "new unclassified cookie '%s' (domain %s, %s) set on %s: "
                                     "%s. No rule says what it is for; classify it with "
                                     "ConsentCookieRule CATEGORY %s (e.g. ConsentCookieRule "
                                     "statistics %s)",
                      name,
                      ap_escape_logitem(r->pool, c->domain && *c->domain ? c->domain
                                                                         : r->hostname),
                      life == MC_COOKIE_PERSISTENT ? "persistent" : "session",
                      ap_escape_logitem(r->pool, mc_visitor_request(r)->uri), treatment_words(t),
                      name, name);
    else if (said_enough)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      MCLOGNO(00271) "more new unclassified cookies this minute; not each is "
                                     "logged: GET %s/declaration lists them under "
                                     "\"unclassified\"",
                      mc_server_conf(r->server)->base_path);
}

/* The rule that classifies NAME in R's scope, or NULL. */
static const mc_rule_t *cookie_rule(request_rec *r, const char *name)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    const mc_dir_conf_t *d = mc_dir_conf(r);
    const mc_rule_t *rule = NULL;

    if (d->rules)
        rule = mc_rules_match(d->rules, MC_RULE_COOKIE, name, strlen(name));
    return rule ? rule : mc_ruleset_match_cookie(conf->rules, name);
}

/* The categories that need consent: all but the required ones. */
static mc_catmask_t optional_categories(const mc_server_conf_t *conf)
{
    return mc_categories_all(conf->cats) & ~mc_categories_required(conf->cats);
}

int mc_cookie_granted(request_rec *r, const char *name, mc_cookie_life_t life,
                      mc_catmask_t granted)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    mc_unclassified_t mode = mc_unclassified_mode(mc_dir_conf(r));
    const mc_rule_t *rule;
    int category, from_request = life == MC_COOKIE_UNKNOWN;

    if (strcmp(name, conf->cookie_name) == 0)
        return 1;
    rule = cookie_rule(r, name);
    if (rule) {
        /* a rule of an undeclared category is refused at start-up */
        category = mc_categories_index(conf->cats, rule->category);
        return (category >= 0 && mc_cookie_passes(category, life, granted,
                                                  optional_categories(conf), mode)) ||
               mc_service_granted(r, rule->service_id);
    }
    /* a request cookie says nothing of its lifetime: the site's record does */
    if (life == MC_COOKIE_UNKNOWN && mode == MC_UNCLASSIFIED_HOLD &&
        (granted & optional_categories(conf)) != optional_categories(conf) &&
        mc_seen_persistent(r, name))
        life = MC_COOKIE_PERSISTENT;
    report_unclassified(r, name, mc_unclassified_treatment(mode, life), from_request);
    return mc_cookie_passes(-1, life, granted, optional_categories(conf), mode);
}

/* --- Set-Cookie filtering ------------------------------------------------------------- */

static int set_cookie_allowed(request_rec *r, const char *text, mc_catmask_t granted)
{
    mc_setcookie_t c;
    mc_cookie_life_t life;
    mc_seen_result_t seen;

    if (mc_setcookie_parse(r->pool, text, &c) != MC_OK) {
        /* What we cannot parse we cannot classify: it does not leave. */
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      MCLOGNO(00012) "dropped an unparsable Set-Cookie");
        return 0;
    }
    life = mc_setcookie_life(&c, apr_time_sec(r->request_time));
    if (life == MC_COOKIE_DELETION)
        return 1;
    /* the site sets it, whether it leaves or not: the declaration lists it */
    seen = mc_seen_note(r, &c);
    if ((seen == MC_SEEN_ADDED || seen == MC_SEEN_REPLACED) &&
        strcmp(c.name, mc_server_conf(r->server)->cookie_name) != 0 && !cookie_rule(r, c.name))
        warn_new(r, &c, life,
                 mc_unclassified_treatment(mc_unclassified_mode(mc_dir_conf(r)), life));
    if (mc_cookie_granted(r, c.name, life, granted))
        return 1;
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  MCLOGNO(00013) "removed Set-Cookie '%s': its category is not granted, or it "
                                 "is an unclassified cookie held or blocked",
                  ap_escape_logitem(r->pool, c.name));
    return 0;
}

/* Rewrites every Set-Cookie of T: folded values are split, and each cookie
 * stays only if it is allowed. Other fields keep their order. */
static void filter_set_cookies(request_rec *r, apr_table_t *t, mc_catmask_t granted)
{
    apr_array_header_t *values;

    if (!apr_table_get(t, "Set-Cookie"))
        return;
    values = mc_field_values(r->pool, t, "Set-Cookie");
    apr_table_unset(t, "Set-Cookie");
    for (int i = 0; i < values->nelts; i++) {
        apr_array_header_t *cookies =
            mc_setcookie_split(r->pool, APR_ARRAY_IDX(values, i, const char *));
        for (int j = 0; j < cookies->nelts; j++) {
            const char *text = APR_ARRAY_IDX(cookies, j, const char *);
            if (set_cookie_allowed(r, text, granted))
                apr_table_addn(t, "Set-Cookie", text);
        }
    }
}

/* Runs just before HTTP_HEADER, after every handler, proxy, CGI and
 * mod_headers fixup has had its say, and once per response: the error path
 * re-inserts it (insert_error_filter) for the error document's headers. */
/* --- header fields that make a browser fetch ---------------------------------------- */

/* 1 when URL (absolute or protocol-relative: a relative one is the site's
 * own) is classified into a category GRANTED lacks, by the scope's rules
 * or the server's, and its service is not granted on its own either.
 * A classified URL, refused or not, makes the response one visitor's: a
 * shared cache must not give it to a visitor who chose otherwise. */
static int url_refused(request_rec *r, const char *url, mc_catmask_t granted)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    const mc_dir_conf_t *d = mc_dir_conf(r);
    const mc_rule_t *rule = NULL;
    int cat;

    if (d->rules)
        rule = mc_rules_match(d->rules, MC_RULE_URL, url, strlen(url));
    if (!rule && conf->rules)
        rule = mc_ruleset_match_url(conf->rules, url, strlen(url));
    if (!rule || (cat = mc_categories_index(conf->cats, rule->category)) < 0)
        return 0;
    mc_per_visitor(r);
    return !mc_catmask_has(granted, cat) && !mc_service_granted(r, rule->service_id);
}

/* Link: <URL>; rel=preload (or prefetch, preconnect, modulepreload...)
 * makes a browser fetch before any markup is read: a link-value whose
 * target is refused goes, the others stay in order. */
static void filter_links(request_rec *r, apr_table_t *t, mc_catmask_t granted)
{
    apr_array_header_t *values, *kept;

    if (!apr_table_get(t, "Link"))
        return;
    values = mc_field_values(r->pool, t, "Link");
    kept = apr_array_make(r->pool, values->nelts, sizeof(const char *));
    for (int i = 0; i < values->nelts; i++) {
        apr_array_header_t *links =
            mc_httpfield_links(r->pool, APR_ARRAY_IDX(values, i, const char *));
        for (int j = 0; j < links->nelts; j++) {
            const mc_httpfield_link_t *l = &APR_ARRAY_IDX(links, j, mc_httpfield_link_t);
            if (l->uri && url_refused(r, l->uri, granted)) {
                ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                              MCLOGNO(00306) "removed a Link to %s: its category is not granted",
                              ap_escape_logitem(r->pool, l->uri));
                continue;
            }
            APR_ARRAY_PUSH(kept, const char *) = l->text;
        }
    }
    apr_table_unset(t, "Link");
    if (kept->nelts)
        apr_table_setn(t, "Link", apr_array_pstrcat(r->pool, kept, ','));
}

typedef struct refresh_check {
    request_rec *r;
    mc_catmask_t granted;
    int refused;
} refresh_check_t;

static int refresh_refused(void *rec, const char *key, const char *value)
{
    refresh_check_t *c = rec;
    const char *url = mc_httpfield_refresh_url(c->r->pool, value);

    if (url && url_refused(c->r, url, c->granted)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, c->r,
                      MCLOGNO(00307) "removed a Refresh to %s: its category is not granted",
                      ap_escape_logitem(c->r->pool, url));
        c->refused = 1;
        return 0;
    }
    return 1;
}

/* Refresh: 0;url=URL sends the browser there: refused, the field goes. */
static void filter_refresh(request_rec *r, apr_table_t *t, mc_catmask_t granted)
{
    refresh_check_t c = {r, granted, 0};

    if (!apr_table_get(t, "Refresh"))
        return;
    apr_table_do(refresh_refused, &c, t, "Refresh", NULL);
    if (c.refused)
        apr_table_unset(t, "Refresh");
}

/* The banner must not be clicked through a frame of another site (a
 * transparent frame over a decoy: clickjacking records a consent the
 * visitor never gave). Pages the module rewrites may be framed by the
 * site itself only, unless the site has a frame policy of its own, which
 * then stands: X-Frame-Options, or frame-ancestors in an enforced
 * Content-Security-Policy. */
static int has_frame_policy(request_rec *r, apr_table_t *t)
{
    const char *csp = mc_field_list(r->pool, t, "Content-Security-Policy");

    return apr_table_get(t, "X-Frame-Options") || (csp && ap_strcasestr(csp, "frame-ancestors"));
}

static void frame_protection(request_rec *r)
{
    if (has_frame_policy(r, r->headers_out) || has_frame_policy(r, r->err_headers_out))
        return;
    /* X-Frame-Options rather than a Content-Security-Policy of our own:
     * ConsentCSP Off means no policy from the module, and browsers honour
     * both alike */
    apr_table_setn(r->headers_out, "X-Frame-Options", "SAMEORIGIN");
}

apr_status_t mc_headers_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    mc_request_state_t *st;

    if (APR_BRIGADE_EMPTY(bb))
        return APR_SUCCESS;
    st = mc_request_state(r);
    /* Redirects and refusals (403, 401) are decided before the fixups ran:
     * expire refused cookies here for them. */
    if (!mc_is_endpoint(r))
        mc_expire_cookies(r, st, st->effective);
    filter_set_cookies(r, r->headers_out, st->effective);
    filter_set_cookies(r, r->err_headers_out, st->effective);
    filter_links(r, r->headers_out, st->effective);
    filter_links(r, r->err_headers_out, st->effective);
    filter_refresh(r, r->headers_out, st->effective);
    filter_refresh(r, r->err_headers_out, st->effective);
    /* here, after mod_headers has had its say: nothing replaces it */
    mc_csp_add_header(r, st);
    if (mc_sandbox_policy(r)) {
        /* added, never set: a policy the site sends stays beside it */
        apr_table_addn(r->headers_out, "Content-Security-Policy", mc_sandbox_policy(r));
        apr_table_setn(r->headers_out, "X-DNS-Prefetch-Control", "off");
    }
    if (mc_is_rewritten(r))
        frame_protection(r);
    /* last: it needs to know whether a cookie is set */
    mc_shared_headers(r);
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

/* CONSENT_HTML decides on its first call, once the type is known, whether
 * the body is a page to rewrite. Error documents get it too: an
 * ErrorDocument page may carry the site's trackers like any other. */
void mc_insert_filter(request_rec *r)
{
    if (r->main || !mc_engine_on(r))
        return;
    ap_add_output_filter("CONSENT_HEADERS", NULL, r, r->connection);
    if (!mc_is_endpoint(r) && mc_rewrite_on(r))
        ap_add_output_filter("CONSENT_HTML", NULL, r, r->connection);
}

/* --- refused cookies the browser still sends ------------------------------------------ */

static int already_cleaned(const request_rec *r)
{
    for (const request_rec *prev = r->prev; prev; prev = prev->prev) {
        const mc_request_state_t *st = ap_get_module_config(prev->request_config, &consent_module);
        if (st && st->cleaned)
            return 1;
    }
    return 0;
}

/* At most this many expiry Set-Cookie fields, and bytes in them, per
 * response: a request with hundreds of tracker cookies (or long names)
 * must not make a response many times its size. The rest are expired on
 * the next responses, as the browser drops the ones already expired. */
#define MC_EXPIRY_FIELDS_MAX 64
#define MC_EXPIRY_BYTES_MAX 8192

void mc_expire_cookies(request_rec *r, mc_request_state_t *st, mc_catmask_t granted)
{
    apr_hash_t *done = NULL;
    int secure = strcmp(ap_http_scheme(r), "https") == 0;
    int fields = 0, left = 0;
    apr_size_t bytes = 0;

    if (st->cleaned || already_cleaned(r))
        return;
    st->cleaned = 1;
    for (int i = 0; i < st->cookies->nelts; i++) {
        const mc_cookie_t *c = &APR_ARRAY_IDX(st->cookies, i, mc_cookie_t);
        apr_array_header_t *headers;
        apr_size_t size = 0;

        if (mc_cookie_granted(r, c->name, MC_COOKIE_UNKNOWN, granted))
            continue;
        if (!done)
            done = apr_hash_make(r->pool);
        if (apr_hash_get(done, c->name, APR_HASH_KEY_STRING))
            continue;
        apr_hash_set(done, c->name, APR_HASH_KEY_STRING, c);
        headers =
            mc_cookie_expiry_headers(r->pool, c->name, r->hostname ? r->hostname : "", secure);
        for (int j = 0; j < headers->nelts; j++)
            size += strlen(APR_ARRAY_IDX(headers, j, const char *));
        if (fields + headers->nelts > MC_EXPIRY_FIELDS_MAX || bytes + size > MC_EXPIRY_BYTES_MAX) {
            left++;
            continue;
        }
        fields += headers->nelts;
        bytes += size;
        for (int j = 0; j < headers->nelts; j++)
            apr_table_addn(r->err_headers_out, "Set-Cookie",
                           APR_ARRAY_IDX(headers, j, const char *));
    }
    if (left)
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      MCLOGNO(00305) "%d refused cookie(s) left for later responses: at most %d "
                                     "expiry fields (%d bytes) go with one",
                      left, MC_EXPIRY_FIELDS_MAX, MC_EXPIRY_BYTES_MAX);
}

/* Rebuilds the Cookie header without the refused cookies, so that neither
 * the handler nor a proxied backend sees them. */
static void strip_request_cookies(request_rec *r, const mc_request_state_t *st)
{
    apr_array_header_t *kept = apr_array_make(r->pool, st->cookies->nelts, sizeof(mc_cookie_t));
    char *header;

    for (int i = 0; i < st->cookies->nelts; i++) {
        const mc_cookie_t *c = &APR_ARRAY_IDX(st->cookies, i, mc_cookie_t);
        if (mc_cookie_granted(r, c->name, MC_COOKIE_UNKNOWN, st->effective))
            *(mc_cookie_t *)apr_array_push(kept) = *c;
    }
    if (kept->nelts == st->cookies->nelts)
        return;
    header = mc_cookie_join(r->pool, kept);
    apr_table_unset(r->headers_in, "Cookie");
    if (header)
        apr_table_setn(r->headers_in, "Cookie", header);
}

int mc_fixups(request_rec *r)
{
    mc_request_state_t *st;

    if (r->main || !mc_engine_on(r) || mc_is_endpoint(r))
        return DECLINED;
    st = mc_request_state(r);
    if (st->cookies->nelts == 0)
        return DECLINED;
    mc_expire_cookies(r, st, st->effective);
    if (mc_dir_conf(r)->strip_request_cookies == 1)
        strip_request_cookies(r, st);
    return DECLINED;
}
