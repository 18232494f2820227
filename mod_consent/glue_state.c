/* The request's consent state, read once from its consent cookie, Sec-GPC
 * and the configuration, for the header filter, the HTML filter and the
 * endpoint alike; and whether a request is the endpoint's. */
#include "mod_consent.h"

#include "http_core.h"
#include "http_protocol.h"

#include <apr_strings.h>
#include <strings.h>

#include "cookie.h"
#include "httpfield.h"

#include "glue_request.h"
#include "glue_state.h"

APLOG_USE_MODULE(consent);

/* --- the visitor's consent ------------------------------------------------------ */

static apr_array_header_t *request_cookies(request_rec *r)
{
    apr_array_header_t *values = mc_field_values(r->pool, r->headers_in, "Cookie");

    if (values->nelts == 0)
        return apr_array_make(r->pool, 1, sizeof(mc_cookie_t));
    if (values->nelts == 1)
        return mc_cookie_parse(r->pool, APR_ARRAY_IDX(values, 0, const char *));
    return mc_cookie_parse(r->pool, apr_array_pstrcat(r->pool, values, ';'));
}

/* Ranks decode results: a valid token beats one whose id can be continued
 * (expired, outdated), which beats anything else. */
static int status_rank(mc_token_status_t status)
{
    switch (status) {
    case MC_TOKEN_VALID: return 3;
    case MC_TOKEN_EXPIRED:
    case MC_TOKEN_OUTDATED: return 2;
    case MC_TOKEN_MISSING: return 0;
    default: return 1;
    }
}

/* A browser can hold two consent cookies (host-only and domain-wide, after
 * ConsentCookieDomain was introduced): the newest valid one counts. */
static void read_consent(request_rec *r, const mc_server_conf_t *conf, mc_request_state_t *st)
{
    apr_time_t now = apr_time_sec(r->request_time);

    mc_consent_init(&st->consent, conf->cats);
    st->status = MC_TOKEN_MISSING;
    for (int i = 0; i < st->cookies->nelts; i++) {
        const mc_cookie_t *c = &APR_ARRAY_IDX(st->cookies, i, mc_cookie_t);
        mc_consent_t candidate;
        mc_token_status_t status;
        int better;

        if (strcmp(c->name, conf->cookie_name) != 0)
            continue;
        status = mc_token_decode(r->pool, conf->signing_key, conf->cats, conf->rules, c->value,
                                 strlen(c->value), conf->policy, now, conf->max_age, &candidate);
        better = status_rank(status) > status_rank(st->status) ||
                 (status == MC_TOKEN_VALID && st->status == MC_TOKEN_VALID &&
                  candidate.time > st->consent.time);
        if (better) {
            st->consent = candidate;
            st->status = status;
        }
    }
    if (st->status != MC_TOKEN_MISSING && st->status != MC_TOKEN_VALID)
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      MCLOGNO(00010) "consent cookie not accepted: %s",
                      mc_token_status_str(st->status));
}

static int gpc_requested(request_rec *r)
{
    const char *v = apr_table_get(r->headers_in, "Sec-GPC");

    while (v && apr_isspace(*v))
        v++;
    return v && v[0] == '1' && (v[1] == '\0' || apr_isspace(v[1]));
}

/* The cookie's services, less those of marketing under GPC (as the category). */
static const apr_array_header_t *effective_services(request_rec *r, const mc_server_conf_t *conf,
                                                    const mc_request_state_t *st)
{
    apr_array_header_t *kept;
    const apr_array_header_t *ids = st->consent.services;

    if (!ids || !st->gpc)
        return ids;
    kept = apr_array_make(r->pool, ids->nelts, sizeof(const char *));
    for (int i = 0; i < ids->nelts; i++) {
        const char *id = APR_ARRAY_IDX(ids, i, const char *);
        const mc_service_t *svc = mc_ruleset_service(conf->rules, id, strlen(id));

        if (svc && mc_categories_index(conf->cats, svc->category) != MC_CAT_MARKETING)
            APR_ARRAY_PUSH(kept, const char *) = id;
    }
    return kept;
}

int mc_service_granted(request_rec *r, const char *id)
{
    const apr_array_header_t *ids = mc_request_state(r)->services;

    for (int i = 0; id && ids && i < ids->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(ids, i, const char *), id) == 0)
            return 1;
    }
    return 0;
}

const char *mc_services_key(request_rec *r, const mc_request_state_t *st)
{
    const char *key = "";

    for (int i = 0; st->services && i < st->services->nelts; i++)
        key = apr_pstrcat(r->pool, key, i ? ":" : "~", APR_ARRAY_IDX(st->services, i, const char *),
                          NULL);
    return key;
}

mc_request_state_t *mc_request_state(request_rec *r)
{
    mc_request_state_t *st = ap_get_module_config(r->request_config, &consent_module);
    const mc_server_conf_t *conf;

    if (st)
        return st;
    conf = mc_server_conf(r->server);
    st = apr_pcalloc(r->pool, sizeof(*st));
    st->cookies = request_cookies(r);
    read_consent(r, conf, st);
    st->gpc = conf->respect_gpc && gpc_requested(r);
    st->effective = st->consent.granted;
    if (st->gpc)
        st->effective &= ~((mc_catmask_t)1 << MC_CAT_MARKETING);
    st->services = effective_services(r, conf, st);
    ap_set_module_config(r->request_config, &consent_module, st);
    return st;
}

/* --- the endpoint's requests --------------------------------------------------------- */

#define ENDPOINT_NOTE "mod_consent-endpoint"

void mc_mark_endpoint(request_rec *r)
{
    apr_table_setn(r->notes, ENDPOINT_NOTE, "1");
}

int mc_is_endpoint(const request_rec *r)
{
    return apr_table_get(r->notes, ENDPOINT_NOTE) != NULL;
}

/* --- pages the HTML filter rewrites ---------------------------------------------------- */

#define REWRITTEN_NOTE "mod_consent-rewritten"

void mc_mark_rewritten(request_rec *r)
{
    apr_table_setn(r->notes, REWRITTEN_NOTE, "1");
}

int mc_is_rewritten(const request_rec *r)
{
    return apr_table_get(r->notes, REWRITTEN_NOTE) != NULL;
}

#define SANDBOX_NOTE "mod_consent-sandbox"

void mc_mark_sandboxed(request_rec *r, const char *policy)
{
    apr_table_setn(r->notes, SANDBOX_NOTE, policy);
}

const char *mc_sandbox_policy(const request_rec *r)
{
    return apr_table_get(r->notes, SANDBOX_NOTE);
}

/* --- a response that depends on the visitor's choice ---------------------------------- */

static void vary_on_cookie(request_rec *r)
{
    const char *out = mc_field_list(r->pool, r->headers_out, "Vary");
    const char *err = mc_field_list(r->pool, r->err_headers_out, "Vary");

    if (mc_httpfield_vary_has_cookie(out) || mc_httpfield_vary_has_cookie(err))
        return;
    apr_table_mergen(r->headers_out, "Vary", "Cookie");
}

/* "public" contradicts "private"; the rest of T's Cache-Control stays. */
static void drop_public(request_rec *r, apr_table_t *t)
{
    const char *cc = mc_field_list(r->pool, t, "Cache-Control");
    const char *rest;

    if (!mc_httpfield_has_directive(cc, "public"))
        return;
    rest = mc_httpfield_without_directive(r->pool, cc, "public");
    apr_table_unset(t, "Cache-Control");
    if (rest)
        apr_table_setn(t, "Cache-Control", rest);
}

static int says_private(request_rec *r, apr_table_t *t)
{
    const char *cc = mc_field_list(r->pool, t, "Cache-Control");

    return mc_httpfield_has_directive(cc, "private") || mc_httpfield_has_directive(cc, "no-store");
}

static void private_cache(request_rec *r)
{
    if (says_private(r, r->headers_out) || says_private(r, r->err_headers_out))
        return;
    drop_public(r, r->headers_out);
    drop_public(r, r->err_headers_out);
    apr_table_mergen(r->headers_out, "Cache-Control", "private");
}

/* The site itself keeps the page from shared caches: it is the visitor's
 * own, whatever their consent (a session's page, a basket). */
int mc_site_keeps_private(request_rec *r)
{
    return says_private(r, r->headers_out) || says_private(r, r->err_headers_out) ||
           mc_httpfield_vary_has_cookie(mc_field_list(r->pool, r->headers_out, "Vary")) ||
           mc_httpfield_vary_has_cookie(mc_field_list(r->pool, r->err_headers_out, "Vary"));
}

void mc_vary_on(request_rec *r, const char *token)
{
    const char *out = mc_field_list(r->pool, r->headers_out, "Vary");
    const char *err = mc_field_list(r->pool, r->err_headers_out, "Vary");

    if ((out && ap_find_token(r->pool, out, token)) || (err && ap_find_token(r->pool, err, token)))
        return;
    apr_table_mergen(r->headers_out, "Vary", token);
}

/* A shared cache must never hand one visitor's variant to another. */
void mc_per_visitor(request_rec *r)
{
    vary_on_cookie(r);
    private_cache(r);
}

int mc_banner_wanted(request_rec *r)
{
    static const char *const framed[] = {"iframe", "frame", "embed", "object", "fencedframe"};
    const char *dest = apr_table_get(r->headers_in, "Sec-Fetch-Dest");

    if (mc_dir_conf(r)->banner == 0)
        return 0;
    for (size_t i = 0; dest && i < sizeof(framed) / sizeof(framed[0]); i++) {
        if (strcasecmp(dest, framed[i]) == 0)
            return 0;
    }
    return 1;
}
