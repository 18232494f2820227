/* The module's own endpoint under ConsentBasePath: the visitor's state, and
 * the recording of decisions (JSON from consent.js, or a plain HTML form).
 * The assets (glue_banner.c) and the pages (glue_pages.c) are served from
 * here too. */
#include "mod_consent.h"

#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"

#include <apr_strings.h>
#include <apr_uri.h>
#include <jansson.h>
#include <stdlib.h>

#include "chain.h"
#include "cookie.h"
#include "decision.h"
#include "ipaddr.h"

#include "glue_endpoint.h"
#include "glue_banner.h"
#include "glue_csp.h"
#include "glue_headers.h"
#include "glue_log.h"
#include "glue_pages.h"
#include "glue_request.h"
#include "glue_shared.h"
#include "glue_state.h"

APLOG_USE_MODULE(consent);

/* Claims the endpoint's URLs before mod_alias, mod_rewrite or a SetHandler
 * can: the note, not r->handler, marks the request as ours, because a
 * SetHandler covering "/" would replace r->handler later on. */
int mc_translate_name(request_rec *r)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    size_t len;

    if (r->main || !conf->engine_used || !r->uri)
        return DECLINED;
    len = strlen(conf->base_path);
    if (strncmp(r->uri, conf->base_path, len) != 0 || (r->uri[len] != '/' && r->uri[len] != '\0'))
        return DECLINED;
    mc_mark_endpoint(r);
    r->handler = MC_HANDLER;
    r->filename = apr_pstrcat(r->pool, "consent:", r->uri, NULL);
    return OK;
}

/* No file lies behind the endpoint: skip the directory walk. */
int mc_map_to_storage(request_rec *r)
{
    return mc_is_endpoint(r) ? OK : DECLINED;
}

/* --- answers ------------------------------------------------------------------- */

static int handle_state(request_rec *r)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    const mc_request_state_t *st;

    if (r->method_number != M_GET) {
        ap_allow_standard_methods(r, REPLACE_ALLOW, M_GET, -1);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    st = mc_request_state(r);
    return mc_send_json(r, HTTP_OK,
                     mc_state_json(r->pool, conf->cats, &st->consent, conf->policy, st->gpc));
}

/* --- the body ----------------------------------------------------------------------- */

typedef enum { BODY_JSON, BODY_FORM, BODY_OTHER } body_type_t;

static body_type_t body_type(const request_rec *r)
{
    const char *type = apr_table_get(r->headers_in, "Content-Type");
    size_t len;

    if (!type)
        return BODY_OTHER;
    len = strcspn(type, "; \t");
    if (len == 16 && strncasecmp(type, "application/json", len) == 0)
        return BODY_JSON;
    if (len == 33 && strncasecmp(type, "application/x-www-form-urlencoded", len) == 0)
        return BODY_FORM;
    return BODY_OTHER;
}

/* --- recording ----------------------------------------------------------------------- */

/* Consent taken back must not stay live in pages the browser keeps: a page
 * held whole in its back/forward cache comes back with the embeds that ran
 * in it, and a copy in its HTTP cache may be shown on Back without asking.
 * "cache" tells the browser to drop both for this site (Chromium evicts
 * the site's back/forward cache entries with it); a page is then fetched
 * again, made for the new choice. Only when something is taken back: it
 * costs the visitor the site's cached files. */
static void forget_pages(request_rec *r)
{
    apr_table_setn(r->err_headers_out, "Clear-Site-Data", "\"cache\"");
}

static int redirect_back(request_rec *r, const char *path)
{
    const char *target = path ? path : "/";

    r->status = HTTP_SEE_OTHER;
    mc_no_store(r);
    apr_table_setn(r->headers_out, "Location", target);
    ap_set_content_type(r, "text/html; charset=utf-8");
    if (!r->header_only)
        ap_rvputs(r, "<!DOCTYPE html><title>Saved</title><a href=\"",
                  ap_escape_html(r->pool, target), "\">Continue</a>\n", NULL);
    return OK;
}

static int handle_decision(request_rec *r)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    mc_request_state_t *st;
    mc_decision_t decision;
    mc_consent_t consent;
    mc_record_t rec;
    mc_method_t recorded;
    mc_catmask_t allowed;
    body_type_t type;
    const char *reason = NULL;
    char *body = NULL;
    apr_size_t len = 0;
    apr_time_t now;
    const char *token;
    request_rec *page;
    int rv;

    if ((rv = mc_post_from_site(r, conf)) != DECLINED)
        return rv;
    if ((type = body_type(r)) == BODY_OTHER)
        return mc_refuse(r, HTTP_UNSUPPORTED_MEDIA_TYPE,
                         "send application/json or application/x-www-form-urlencoded");
    if ((rv = mc_read_post(r, MC_DECISION_BODY_MAX, "body", &body, &len)) != DECLINED)
        return rv;
    rv = type == BODY_JSON
             ? mc_decision_parse_json(r->pool, conf->cats, body, len, &decision, &reason)
             : mc_decision_parse_form(r->pool, conf->cats, body, len, &decision, &reason);
    if (rv != MC_OK || mc_decision_check_services(r->pool, &decision, conf->rules, &reason) != MC_OK)
        return mc_refuse(r, HTTP_BAD_REQUEST, reason);

    st = mc_request_state(r);
    now = apr_time_now();
    consent.decided = 1;
    consent.policy = conf->policy;
    consent.time = apr_time_sec(now);
    /* a visitor keeps one consent id across decisions, so that an access
     * request finds their whole history */
    if (st->consent.id[0])
        memcpy(consent.id, st->consent.id, sizeof(consent.id));
    else if (mc_consent_id_new(consent.id) != MC_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      MCLOGNO(00021) "no random consent id could be made");
        return mc_refuse(r, HTTP_SERVICE_UNAVAILABLE, "the decision could not be recorded");
    }
    mc_decision_apply(r->pool, &decision, conf->cats, conf->rules, &st->consent, st->gpc,
                      &consent.granted, &consent.services, &recorded);

    memset(&rec, 0, sizeof(rec));
    rec.time_usec = now;
    rec.id = consent.id;
    rec.policy = consent.policy;
    rec.cats = conf->cats;
    rec.granted = consent.granted;
    rec.method = mc_method_str(recorded);
    rec.services = consent.services;
    rec.via = mc_via_str(decision.via);
    /* the language and wording of the banner answered: the page's */
    page = mc_banner_page(r, decision.return_path);
    rec.lang = mc_banner_language(page, decision.lang);
    rec.text = mc_text_hash(page, rec.lang);
    rec.ip = mc_ip_truncate(r->pool, r->useragent_ip);
    rec.ua = apr_table_get(r->headers_in, "User-Agent");
    rec.gpc = st->gpc;
    token = mc_token_encode(r->pool, conf->signing_key, conf->cats, &consent);
    if (!token) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      MCLOGNO(00022) "the consent cookie could not be made");
        return mc_refuse(r, HTTP_INTERNAL_SERVER_ERROR, "the decision could not be recorded");
    }
    /* the record first: a consent cookie is never issued without it */
    if (mc_consentlog_record(r, &rec) != APR_SUCCESS)
        return mc_refuse(r, HTTP_SERVICE_UNAVAILABLE, "the decision could not be recorded");
    mc_set_site_cookie(r, conf, conf->cookie_name, token, conf->max_age);
    /* the shared cache's key for the new decision (ConsentSharedCache) */
    mc_shared_set_cookie(r, &consent, conf->max_age);
    allowed = consent.granted & (st->gpc ? ~((mc_catmask_t)1 << MC_CAT_MARKETING) : ~(mc_catmask_t)0);
    if (mc_decision_narrows(conf->cats, conf->rules, st->effective, st->services, allowed,
                            consent.services))
        forget_pages(r);
    /* from here on the request speaks for the new decision: the cleanup
     * below keeps the cookies of the services it grants */
    st->services = consent.services;
    mc_expire_cookies(r, st, allowed);
    if (type == BODY_FORM)
        return redirect_back(r, decision.return_path);
    return mc_send_json(r, HTTP_OK,
                     mc_state_json(r->pool, conf->cats, &consent, conf->policy, st->gpc));
}

int mc_endpoint_handler(request_rec *r)
{
    const mc_server_conf_t *conf;
    const char *sub;
    int rv;

    if (!mc_is_endpoint(r))
        return DECLINED;
    conf = mc_server_conf(r->server);
    sub = r->uri + strlen(conf->base_path);
    if ((rv = mc_assets_handler(r, sub)) != DECLINED || (rv = mc_pages_handler(r, sub)) != DECLINED)
        return rv;
    if (strcmp(sub, "/state") == 0)
        return handle_state(r);
    if (strcmp(sub, "/decision") == 0)
        return handle_decision(r);
    if (strcmp(sub, "/csp-report") == 0)
        return mc_csp_report_handler(r);
    return HTTP_NOT_FOUND;
}
