/* The endpoint's pages: GET settings, where a visitor changes or withdraws
 * consent with a plain form (no JavaScript needed), GET placeholder, what a
 * blocked embed's frame shows instead, and GET declaration,
 * the cookie declaration as JSON for the cookie table of a privacy page.
 * The markup and the JSON are made in the core (banner.c, declaration.c). */
#include "mod_consent.h"

#include "http_protocol.h"
#include "http_request.h"

#include <apr_strings.h>

#include "banner.h"
#include "decision.h"
#include "declaration.h"
#include "declhtml.h"
#include "lang.h"
#include "placeholder.h"
#include "rules.h"
#include "used.h"

#include "glue_pages.h"
#include "glue_banner.h"
#include "glue_config.h"
#include "glue_request.h"
#include "glue_seen.h"
#include "glue_state.h"

APLOG_USE_MODULE(consent);

/* The declaration changes with the configuration and, in "seen", as the
 * site sets new cookies; a privacy page may be read many times in a row. */
#define DECLARATION_CACHE "public, max-age=300"

/* --- the query ----------------------------------------------------------------------- */

/* The first value of NAME in the query string, or NULL. A malformed query
 * string counts as none: the page still works, with its defaults. */
static const char *query_value(request_rec *r, const char *name)
{
    apr_array_header_t *pairs;
    const char *reason;

    if (!r->args || mc_form_parse(r->pool, r->args, strlen(r->args), &pairs, &reason) != MC_OK)
        return NULL;
    for (int i = 0; i < pairs->nelts; i++) {
        const mc_form_pair_t *pair = &APR_ARRAY_IDX(pairs, i, mc_form_pair_t);
        if (strcmp(pair->name, name) == 0)
            return pair->value;
    }
    return NULL;
}

/* ?lang= when it is a language tag, else NULL (then Accept-Language decides). */
static const char *query_lang(request_rec *r)
{
    const char *lang = query_value(r, "lang");

    return lang && mc_lang_tag_valid(lang) ? lang : NULL;
}

/* OK for GET (and so HEAD); otherwise the 405 to answer. */
static int get_only(request_rec *r)
{
    if (r->method_number == M_GET)
        return OK;
    ap_allow_standard_methods(r, REPLACE_ALLOW, M_GET, -1);
    return HTTP_METHOD_NOT_ALLOWED;
}

static void send_body(request_rec *r, const char *type, const char *lang, const char *body,
                      size_t len)
{
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Content-Language", lang);
    ap_set_content_type(r, type);
    ap_set_content_length(r, (apr_off_t)len);
    if (!r->header_only)
        ap_rwrite(body, (int)len, r);
}

/* --- the settings page ------------------------------------------------------------------ */

static int handle_settings(request_rec *r)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    const char *back = query_value(r, "return");
    const mc_request_state_t *st;
    mc_settings_page_t page;
    mc_banner_opts_t o;
    request_rec *texts;
    const mc_locale_t *loc;
    const char *html;
    size_t len = 0;
    int rv;

    if ((rv = get_only(r)) != OK)
        return rv;
    if (!back || !mc_return_path_valid(back))
        back = "/";
    /* The wording of the page the visitor came from: a decision posted from
     * here is recorded with the texts of that page (mc_banner_page). */
    texts = mc_banner_page(r, back);
    st = mc_request_state(r);

    memset(&o, 0, sizeof(o));
    o.base_path = conf->base_path;
    o.return_path = back;
    o.privacy_url = mc_dir_conf(texts)->privacy_policy;
    o.lang = mc_banner_language(texts, query_lang(r));
    o.gpc = st->gpc;
    o.decided = st->consent.decided;
    o.granted = st->effective;
    o.granted_services = st->services;
    o.cookies = mc_banner_cookies(texts);
    memset(&page, 0, sizeof(page));
    page.head = mc_assets_head(r, NULL);
    page.consent_id = st->consent.decided ? st->consent.id : NULL;
    page.time = st->consent.time;
    /* the administrator's panel: for a ConsentAdminAddress only */
    if (mc_is_admin(r)) {
        page.admin = 1;
        page.unclassified = mc_seen_declared(r);
    }
    loc = mc_banner_locale(texts, o.lang);
    mc_banner_first_layer(texts, loc, &o);
    html = mc_settings_render(r->pool, loc, conf->cats, &o, &page, &len);

    /* the page shows the visitor's own consent id */
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    /* a choice made here must be the visitor's own, not a click lured
     * through a frame on another site */
    apr_table_setn(r->headers_out, "X-Frame-Options", "SAMEORIGIN");
    send_body(r, "text/html; charset=utf-8", o.lang, html, len);
    return OK;
}

/* --- the placeholder of a blocked embed -------------------------------------------------- */

/* Framed by the page it is on, for a few minutes: it shows the visitor's
 * own choices, and the embed it names does not change. */
#define PLACEHOLDER_CACHE "private, max-age=300"

/* The rule that classifies URL as the filter would on PAGE: the rules of
 * PAGE's directory first, then the server's. */
static const mc_rule_t *placeholder_rule(request_rec *page, const char *url)
{
    const mc_server_conf_t *conf = mc_server_conf(page->server);
    const mc_dir_conf_t *d = mc_dir_conf(page);
    const mc_rule_t *rule = NULL;

    if (d->rules)
        rule = mc_rules_match(d->rules, MC_RULE_URL, url, strlen(url));
    return rule ? rule : mc_ruleset_match_url(conf->rules, url, strlen(url));
}

static int handle_placeholder(request_rec *r)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    const char *url = query_value(r, "u"), *lang = query_value(r, "l");
    const char *back, *host, *html;
    const mc_rule_t *rule;
    request_rec *page;
    mc_placeholder_opts_t o;
    size_t len = 0;
    int cat, rv;

    if ((rv = get_only(r)) != OK)
        return rv;
    /* only an embed the rules know: the page is no open door to any site */
    host = url ? mc_placeholder_host(r->pool, url) : NULL;
    if (!host) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      MCLOGNO(00170) "placeholder: u is not an absolute http(s) URL");
        return HTTP_BAD_REQUEST;
    }
    if (!mc_token_text_signed(conf->signing_key, MC_PLACEHOLDER_SIG, url, query_value(r, "s"))) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      MCLOGNO(00308) "placeholder: %s was not written by this site's pages "
                                     "(no valid s=)",
                      ap_escape_logitem(r->pool, host));
        return HTTP_BAD_REQUEST;
    }
    back = mc_referer_path(r);
    page = back ? ap_sub_req_lookup_uri(back, r, NULL) : NULL;
    if (!page)
        page = r;
    rule = placeholder_rule(page, url);
    cat = rule ? mc_categories_index(conf->cats, rule->category) : -1;
    if (cat < 0 || mc_catmask_has(mc_categories_required(conf->cats), cat)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      MCLOGNO(00171) "placeholder: no rule puts %s in a category that needs "
                                     "consent",
                      host);
        return HTTP_BAD_REQUEST;
    }

    memset(&o, 0, sizeof(o));
    o.base_path = conf->base_path;
    o.css_href = mc_assets_css_href(r);
    o.lang = mc_banner_language(page, lang && mc_lang_tag_valid(lang) ? lang : NULL);
    o.url = url;
    o.service = rule->service && *rule->service ? rule->service : host;
    o.service_id = rule->service_id;
    o.services = mc_request_state(r)->services;
    o.category = cat;
    o.granted = mc_request_state(r)->effective;
    o.return_path = back ? back : "/";
    /* GPC refuses marketing whatever is chosen: no button that would not count */
    o.locked_off = mc_request_state(r)->gpc && cat == MC_CAT_MARKETING;
    html = mc_placeholder_render(r->pool, mc_banner_locale(page, o.lang), conf->cats, &o, &len);

    apr_table_setn(r->headers_out, "Cache-Control", PLACEHOLDER_CACHE);
    /* framed by the site's own pages, and only by them */
    apr_table_setn(r->headers_out, "X-Frame-Options", "SAMEORIGIN");
    send_body(r, "text/html; charset=utf-8", o.lang, html, len);
    return OK;
}

/* --- the cookie declaration --------------------------------------------------------------- */

/* HTML for ?format=html, or a request that accepts text/html without
 * asking for format=json (a browser following a link); JSON otherwise
 * (fetch() sends Accept: * / *). */
static int wants_html(request_rec *r)
{
    const char *format = query_value(r, "format");
    const char *accept = apr_table_get(r->headers_in, "Accept");

    if (format)
        return strcmp(format, "html") == 0;
    return accept && ap_strcasestr(accept, "text/html") != NULL;
}

static int handle_declaration(request_rec *r)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    const mc_dir_conf_t *d = mc_dir_conf(r);
    const mc_locale_t *loc;
    apr_array_header_t *decl, *seen, *used;
    const char *body;
    int rv;

    if ((rv = get_only(r)) != OK)
        return rv;
    loc = mc_banner_locale(r, mc_banner_language(r, query_lang(r)));
    decl = mc_declaration_make(r->pool, conf->cats, conf->rules, d->rules, conf->cookie_name);
    seen = mc_seen_declared(r);
    used = mc_used_services(r->pool, conf->cats, conf->rules, mc_seen_in_use(r), seen,
                            mc_locale_lang(loc));
    apr_table_setn(r->headers_out, "Cache-Control", DECLARATION_CACHE);
    apr_table_mergen(r->headers_out, "Vary", "Accept-Language, Accept");
    if (wants_html(r)) {
        mc_declaration_page_t page;
        memset(&page, 0, sizeof(page));
        page.head = mc_assets_head(r, NULL);
        page.privacy_url = d->privacy_policy;
        page.settings_url = apr_pstrcat(r->pool, conf->base_path, "/settings", NULL);
        mc_declaration_add_seen(r->pool, decl, seen);
        mc_declaration_only_used(r->pool, decl, used, seen);
        body = mc_declaration_html(r->pool, decl, used, conf->cats, loc, &page);
        apr_table_setn(r->headers_out, "X-Frame-Options", "SAMEORIGIN");
        send_body(r, "text/html; charset=utf-8", mc_locale_lang(loc), body, strlen(body));
        return OK;
    }
    body = mc_declaration_json_used(r->pool, decl, seen, mc_seen_blocked(r), used, conf->cats, loc,
                                    conf->policy);
    if (!body) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      MCLOGNO(00150) "the cookie declaration could not be made (out of "
                                     "memory?)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    send_body(r, "application/json", mc_locale_lang(loc), apr_pstrcat(r->pool, body, "\n", NULL),
              strlen(body) + 1);
    return OK;
}

int mc_pages_handler(request_rec *r, const char *sub)
{
    if (strcmp(sub, "/settings") == 0)
        return handle_settings(r);
    if (strcmp(sub, "/placeholder") == 0)
        return handle_placeholder(r);
    if (strcmp(sub, "/declaration") == 0)
        return handle_declaration(r);
    return DECLINED;
}
