/* ConsentCSP: a Content-Security-Policy that follows the visitor's consent,
 * as a second wall behind the HTML rewriter. The rewriter neutralises the
 * tracker elements it sees in the page; it cannot see fetch(),
 * navigator.sendBeacon(), innerHTML or a script that computes its URL. The
 * browser can: each rewritten page gets a policy that lets it reach only its
 * own origin, the hosts of the categories this request grants (necessary
 * included) and the admin's ConsentCSPAllow sources (core/csp.h says what
 * the policy holds, and why it restricts hosts only).
 *
 *   ConsentCSP Off | Report | Enforce   (per directory, default Off)
 *   ConsentCSPAllow SOURCE...           (per directory, adds up)
 *
 * Which pages: those the HTML filter rewrites (text/html and
 * application/xhtml+xml where ConsentEngine is On), chosen when the filter
 * starts (mc_csp_prepare) so that the assets it injects can tell
 * consent.js; the header is added right before the headers leave
 * (mc_csp_add_header, from CONSENT_HEADERS), after mod_headers, so that a
 * site's own "Header set Content-Security-Policy" neither replaces it nor
 * is replaced: the two travel side by side and the browser enforces both.
 * The module's own pages under ConsentBasePath (settings, placeholder) get
 * none: they are the module's own markup, load nothing from other hosts,
 * and already work under a strict site policy.
 *
 * The policy string depends on the server (its catalogue and base path),
 * the scope's URL rules and ConsentCSPAllow sources, and the granted set.
 * Each process keeps the strings it made, keyed by those, up to
 * CSP_CACHE_MAX; past that, new combinations are made per request rather
 * than grow the cache (a site has a handful of scopes and of granted sets).
 *
 * POST {ConsentBasePath}/csp-report takes the browsers' violation reports
 * (report-uri: application/csp-report; and the Reporting API's
 * application/reports+json, for a site that points its own report-to
 * there) from the site's own pages, and counts each blocked host in the shared
 * table of blocked hosts (glue_seen.c), which GET declaration lists: an
 * admin learns which third parties the pages reach that no rule names. A
 * host is logged once, at notice, when first counted; the table is bounded
 * (MC_BLOCKED_CAPACITY), so a flood of reports costs neither memory nor
 * log lines beyond that. */
#include "mod_consent.h"

#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "glue_config.h"
#include "glue_csp.h"
#include "glue_request.h"
#include "glue_seen.h"
#include "glue_state.h"

APLOG_USE_MODULE(consent);

#define CSP_REPORT_PATH "/csp-report" /* below ConsentBasePath */
#define CSP_CACHE_MAX 256

/* --- the policy of a page ----------------------------------------------------------------- */

typedef struct cached_policy {
    const char *policy;
    mc_catmask_t left_out;
} cached_policy_t;

static apr_pool_t *cache_pool;
static apr_hash_t *cache;
static apr_thread_mutex_t *cache_lock;

void mc_csp_child_init(apr_pool_t *p)
{
    cache_lock = NULL;
    if (apr_pool_create(&cache_pool, p) != APR_SUCCESS)
        return;
    cache = apr_hash_make(cache_pool);
    if (apr_thread_mutex_create(&cache_lock, APR_THREAD_MUTEX_DEFAULT, p) != APR_SUCCESS)
        cache_lock = NULL;
}

/* What the policy depends on, as text: the scope's rules and sources are
 * written out rather than named by address, because .htaccess scopes are
 * made anew for each request. */
static const char *cache_key(request_rec *r, const mc_dir_conf_t *d, mc_catmask_t granted)
{
    apr_array_header_t *parts = apr_array_make(r->pool, 8, sizeof(const char *));

    APR_ARRAY_PUSH(parts, const char *) =
        apr_psprintf(r->pool, "%pp %x%s\n", (void *)r->server, (unsigned)granted,
                     mc_services_key(r, mc_request_state(r)));
    for (int i = 0; d->rules && i < d->rules->nelts; i++) {
        const mc_rule_t *rule = &APR_ARRAY_IDX(d->rules, i, mc_rule_t);
        if (mc_pattern_kind(rule->pattern) == MC_RULE_URL)
            APR_ARRAY_PUSH(parts, const char *) =
                apr_pstrcat(r->pool, rule->category, "\t", rule->text, "\n", NULL);
    }
    for (int i = 0; d->csp_allow && i < d->csp_allow->nelts; i++)
        APR_ARRAY_PUSH(parts, const char *) =
            apr_pstrcat(r->pool, "+", APR_ARRAY_IDX(d->csp_allow, i, const char *), "\n", NULL);
    return apr_array_pstrcat(r->pool, parts, '\0');
}

/* The hosts of the services granted on their own, whatever their category. */
static void allow_granted_services(request_rec *r, mc_csp_sources_t *s,
                                   const apr_array_header_t *rules)
{
    if (!mc_request_state(r)->services)
        return;
    for (int i = 0; rules && i < rules->nelts; i++) {
        const mc_rule_t *rule = &APR_ARRAY_IDX(rules, i, mc_rule_t);
        const char *sources;

        if (!rule->service_id || !mc_service_granted(r, rule->service_id))
            continue;
        sources = mc_csp_rule_sources(r->pool, rule->text);
        if (sources)
            mc_csp_sources_allow(s, sources);
    }
}

static const char *build_policy(request_rec *r, const mc_dir_conf_t *d, mc_catmask_t granted,
                                mc_catmask_t *left_out)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    mc_csp_sources_t *s = mc_csp_sources_make(r->pool, conf->cats);

    /* the catalogue first, then the scope's own rules: the later wins for
     * the same pattern, as in matching */
    mc_csp_sources_add_rules(s, conf->rules->rules[MC_RULE_URL]);
    mc_csp_sources_add_rules(s, d->rules);
    for (int i = 0; d->csp_allow && i < d->csp_allow->nelts; i++)
        mc_csp_sources_allow(s, APR_ARRAY_IDX(d->csp_allow, i, const char *));
    allow_granted_services(r, s, conf->rules->rules[MC_RULE_URL]);
    /* report-uri alone, no report-to: Chromium ignores report-uri once
     * report-to names a group, and its Reporting API then delivers in
     * batches on its own schedule (in our tests: not within 90 seconds),
     * while report-uri posts at once, in every current browser. */
    return mc_csp_policy(r->pool, s, granted,
                         apr_pstrcat(r->pool, conf->base_path, CSP_REPORT_PATH, NULL), NULL,
                         left_out);
}

static const char *policy_for(request_rec *r, const mc_dir_conf_t *d, mc_catmask_t granted,
                              mc_catmask_t *left_out)
{
    const char *key, *policy;
    cached_policy_t *c;

    if (!cache_lock)
        return build_policy(r, d, granted, left_out);
    key = cache_key(r, d, granted);
    if (apr_thread_mutex_lock(cache_lock) != APR_SUCCESS)
        return build_policy(r, d, granted, left_out);
    c = apr_hash_get(cache, key, APR_HASH_KEY_STRING);
    apr_thread_mutex_unlock(cache_lock);
    /* cached strings stay for the life of the process: safe to share */
    if (c) {
        *left_out = c->left_out;
        return c->policy;
    }
    policy = build_policy(r, d, granted, left_out);
    if (apr_thread_mutex_lock(cache_lock) != APR_SUCCESS)
        return policy;
    if (apr_hash_count(cache) < CSP_CACHE_MAX && !apr_hash_get(cache, key, APR_HASH_KEY_STRING)) {
        c = apr_palloc(cache_pool, sizeof(*c));
        c->policy = apr_pstrdup(cache_pool, policy);
        c->left_out = *left_out;
        apr_hash_set(cache, apr_pstrdup(cache_pool, key), APR_HASH_KEY_STRING, c);
    }
    apr_thread_mutex_unlock(cache_lock);
    return policy;
}

void mc_csp_prepare(request_rec *r)
{
    const mc_dir_conf_t *d = mc_dir_conf(r);
    mc_request_state_t *st;
    mc_catmask_t left_out = 0;

    if (d->csp_mode != MC_CSP_REPORT && d->csp_mode != MC_CSP_ENFORCE)
        return;
    st = mc_request_state(r);
    st->csp_policy = policy_for(r, d, st->effective, &left_out);
    st->csp_mode = (mc_csp_mode_t)d->csp_mode;
    st->csp_left_out = left_out;
}

void mc_csp_add_header(request_rec *r, const mc_request_state_t *st)
{
    if (!st->csp_policy || st->csp_mode == MC_CSP_OFF || !mc_rewrite_on(r))
        return; /* a page sent as written gets no policy for what the rewriter does */
    /* added, never set: a policy the site sends itself stays beside it */
    apr_table_addn(r->headers_out, mc_csp_header_name(st->csp_mode), st->csp_policy);
}

/* --- violation reports -------------------------------------------------------------------- */

static int report_format(const request_rec *r, mc_csp_format_t *format)
{
    const char *type = apr_table_get(r->headers_in, "Content-Type");
    size_t len = type ? strcspn(type, "; \t") : 0;

    if (len == 22 && strncasecmp(type, "application/csp-report", len) == 0)
        *format = MC_CSP_FORMAT_REPORT_URI;
    else if (len == 24 && strncasecmp(type, "application/reports+json", len) == 0)
        *format = MC_CSP_FORMAT_REPORTING;
    else
        return 0;
    return 1;
}

/* The rule that classifies HOST as a whole (path rules do not), as the
 * filter would: the scope's rules first, then the server's. */
static const mc_rule_t *host_rule(request_rec *r, const char *host)
{
    const char *url = apr_pstrcat(r->pool, "https://", host, "/", NULL);
    const mc_dir_conf_t *d = mc_dir_conf(r);
    const mc_rule_t *rule = NULL;

    if (d->rules)
        rule = mc_rules_match(d->rules, MC_RULE_URL, url, strlen(url));
    return rule ? rule : mc_ruleset_match_url(mc_server_conf(r->server)->rules, url, strlen(url));
}

static void log_new_host(request_rec *r, const mc_csp_violation_t *v)
{
    const char *host = ap_escape_logitem(r->pool, v->blocked_host);
    const char *directive = mc_csp_directive_name(v->directive);
    const mc_rule_t *rule = host_rule(r, v->blocked_host);

    if (rule)
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                      MCLOGNO(00250) "ConsentCSP: this site's pages reach %s (%s), which %s "
                                     "puts in category %s: it is blocked until a visitor "
                                     "grants that (said once per host)",
                      host, directive, ap_escape_logitem(r->pool, rule->source),
                      rule->category);
    else
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                      MCLOGNO(00251) "ConsentCSP: this site's pages reach %s (%s), which no URL "
                                     "rule names: it is blocked for every visitor. Classify it "
                                     "with ConsentScriptRule CATEGORY %s, or allow it with "
                                     "ConsentCSPAllow %s (said once per host)",
                      host, directive, host, host);
}

static void count_violation(request_rec *r, const mc_csp_violation_t *v)
{
    int full_first = 0;
    mc_blocked_result_t result = mc_seen_block(r, v->blocked_host, v->directive, &full_first);

    if (result == MC_BLOCKED_ADDED)
        log_new_host(r, v);
    else if (full_first)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      MCLOGNO(00252) "ConsentCSP: the table of blocked hosts is full (%d "
                                     "entries): %s and other new hosts are not counted (said "
                                     "once per restart)",
                      MC_BLOCKED_CAPACITY, ap_escape_logitem(r->pool, v->blocked_host));
}

int mc_csp_report_handler(request_rec *r)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    apr_array_header_t *violations;
    mc_csp_format_t format;
    const char *reason = NULL;
    char *body = NULL;
    apr_size_t len = 0;
    int rv;

    /* reports come from the site's own pages; others could fill the table */
    if ((rv = mc_post_from_site(r, conf)) != DECLINED)
        return rv;
    if (!report_format(r, &format))
        return mc_refuse(r, HTTP_UNSUPPORTED_MEDIA_TYPE,
                         "send application/csp-report or application/reports+json");
    if ((rv = mc_read_post(r, MC_CSP_REPORT_BODY_MAX, "report", &body, &len)) != DECLINED)
        return rv;
    if (mc_csp_report_parse(r->pool, format, body, len, &violations, &reason) != MC_OK)
        return mc_refuse(r, HTTP_BAD_REQUEST, reason);
    for (int i = 0; i < violations->nelts; i++) {
        const mc_csp_violation_t *v = &APR_ARRAY_IDX(violations, i, mc_csp_violation_t);
        if (!mc_same_site_host(r, conf, v->document_host))
            return mc_refuse(r, HTTP_FORBIDDEN, "a report about another site's page");
    }
    for (int i = 0; i < violations->nelts; i++)
        count_violation(r, &APR_ARRAY_IDX(violations, i, mc_csp_violation_t));
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    r->status = HTTP_NO_CONTENT;
    return OK;
}
