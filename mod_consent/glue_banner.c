/* Banner texts, the banner and the consent assets: ConsentText and
 * ConsentPrivacyPolicy, the shipped locales (loaded once at start-up from
 * the copies compiled into the module), the effective texts of a request,
 * the banner markup for the HTML filter, and consent.js / consent.css. */
#include "mod_consent.h"

#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include "banner.h"
#include "builtin.h"
#include "chain.h"
#include "decision.h"
#include "declaration.h"
#include "guard.h"
#include "lang.h"
#include "locale.h"
#include "used.h"

#include "glue_banner.h"
#include "glue_cache.h"
#include "glue_config.h"
#include "glue_request.h"
#include "glue_seen.h"
#include "glue_state.h"

APLOG_USE_MODULE(consent);

#define BANNER_NOTE "mod_consent-banner"
#define MAX_OFFERED 16

/* --- the shipped locales -------------------------------------------------------- */

/* The languages whose texts ship, in the order a fallback is looked for. */
static const char *const shipped_langs[] = {"nb", "nn", "en"};
#define N_SHIPPED 3
#define SHIPPED_EN 2

/* Loaded at start-up into the configuration pool; read-only afterwards. */
static const mc_locale_t *shipped[N_SHIPPED];

/* Set at start-up when some section has texts or languages of its own: the
 * banner a decision answers was then made under the page's configuration,
 * which the endpoint's own may not share. */
static int scoped_texts;

static int load_locales(apr_pool_t *pconf, server_rec *s)
{
    for (int i = 0; i < N_SHIPPED; i++) {
        const char *name = apr_pstrcat(pconf, "locales/", shipped_langs[i], ".json", NULL);
        const mc_builtin_file_t *f = mc_builtin_find(name);
        mc_locale_t *loc = NULL;
        const char *err = "not compiled into the module";

        if (!f || mc_locale_parse(pconf, f->data, f->len, name, &loc, &err) != MC_OK) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         MCLOGNO(00100) "the built-in banner texts do not load: %s", err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        shipped[i] = loc;
    }
    return OK;
}

/* The shipped locale for LANG: the same tag, its primary subtag ("en-gb"),
 * or "no" for Bokmål; NULL when none ships. */
static const mc_locale_t *shipped_locale(const char *lang)
{
    int i = mc_lang_negotiate(lang, shipped_langs, N_SHIPPED);

    return i >= 0 ? shipped[i] : NULL;
}

/* For a language without shipped texts: the first offered language that
 * has them, else English. */
static const mc_locale_t *fallback_locale(const mc_dir_conf_t *d)
{
    const char *lang;

    for (int i = 0; (lang = mc_dir_language(d, i)) != NULL; i++) {
        const mc_locale_t *loc = shipped_locale(lang);
        if (loc)
            return loc;
    }
    return shipped[SHIPPED_EN];
}

/* --- the effective texts of a request ----------------------------------------------- */

/* ConsentText entries for LANG, outer scopes first so that inner ones win
 * (mc_merge_dir_conf puts the inner scope's entries first in the table). */
static void add_overrides(apr_array_header_t *out, const apr_table_t *texts, const char *lang)
{
    const apr_array_header_t *elts;
    size_t lang_len = strlen(lang);

    if (!texts)
        return;
    elts = apr_table_elts(texts);
    for (int i = elts->nelts - 1; i >= 0; i--) {
        const apr_table_entry_t *e = &APR_ARRAY_IDX(elts, i, apr_table_entry_t);
        mc_text_t *t;
        if (strncmp(e->key, lang, lang_len) != 0 || e->key[lang_len] != ' ')
            continue;
        t = apr_array_push(out);
        t->key = e->key + lang_len + 1;
        t->text = e->val;
    }
}

/* A category an admin declared shows its name until ConsentText names it. */
static void add_category_names(apr_array_header_t *out, const mc_categories_t *cats,
                               const mc_locale_t *base, apr_pool_t *p)
{
    for (int i = 0; i < mc_categories_count(cats); i++) {
        const char *name = mc_categories_name(cats, i);
        const char *key = apr_pstrcat(p, "category.", name, ".title", NULL);
        mc_text_t *t;
        if (mc_locale_text(base, key))
            continue;
        t = apr_array_push(out);
        t->key = key;
        t->text = name;
    }
}

/* The texts shown in LANG under R's configuration: the shipped locale (or
 * the fallback) with ConsentText on top. Cheap: without overrides it is the
 * shipped locale itself; with them, a copy of a few dozen pointers and one
 * SHA-256 over ~2 KB. Should an override be bad (ConsentText refuses
 * those at start-up), the shipped texts, and a log line. */
static const mc_locale_t *effective_locale(request_rec *r, const char *lang)
{
    const mc_dir_conf_t *d = mc_dir_conf(r);
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    const mc_locale_t *base = shipped_locale(lang);
    apr_array_header_t *texts = apr_array_make(r->pool, 8, sizeof(mc_text_t));
    mc_locale_t *loc = NULL;
    const char *err = NULL;

    if (!base)
        base = fallback_locale(d);
    add_category_names(texts, conf->cats, base, r->pool);
    add_overrides(texts, d->texts, lang);
    if (texts->nelts == 0)
        return base;
    if (mc_locale_derive(r->pool, base, lang, (const mc_text_t *)texts->elts, texts->nelts, &loc,
                         &err) != MC_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      MCLOGNO(00101) "banner texts for '%s' could not be made: %s", lang, err);
        return base;
    }
    return loc;
}

const mc_locale_t *mc_banner_locale(request_rec *r, const char *lang)
{
    return effective_locale(r, lang);
}

/* The texts as the first layer shows them: "recipients" with the names
 * filled in (the site's services in use change what a visitor reads, so
 * the hash logged with a decision covers the names shown). */
const char *mc_text_hash(request_rec *r, const char *lang)
{
    const mc_locale_t *loc = effective_locale(r, lang);
    mc_banner_opts_t o;
    mc_locale_t *shown = NULL;
    mc_text_t text;
    const char *err = NULL;

    memset(&o, 0, sizeof(o));
    mc_seen_banner_services(r, loc, &o);
    if (!o.recipients)
        return mc_locale_hash(loc);
    text.key = "recipients";
    text.text = mc_banner_recipients_sentence(r->pool, loc, o.recipients);
    if (mc_locale_derive(r->pool, loc, mc_locale_lang(loc), &text, 1, &shown, &err) != MC_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      MCLOGNO(00299) "the hash of the banner texts with their recipients "
                                     "could not be made (%s); the texts' own is logged",
                      err ? err : "no reason given");
        return mc_locale_hash(loc);
    }
    return mc_locale_hash(shown);
}

void mc_banner_first_layer(request_rec *r, const mc_locale_t *loc, mc_banner_opts_t *o)
{
    mc_seen_banner_services(r, loc, o);
    o->max_age = (int64_t)mc_server_conf(r->server)->max_age;
}

/* --- the banner's language ---------------------------------------------------------- */

const char *mc_banner_language(request_rec *r, const char *preferred)
{
    const mc_dir_conf_t *d = mc_dir_conf(r);
    const char *offered[MAX_OFFERED];
    int n = 0, best;

    while (n < MAX_OFFERED && (offered[n] = mc_dir_language(d, n)) != NULL)
        n++;
    for (int i = 0; preferred && i < n; i++) {
        if (strcasecmp(preferred, offered[i]) == 0)
            return offered[i];
    }
    /* "nb-NO" or "no" for nb; a single tag is a valid Accept-Language */
    if (preferred && (best = mc_lang_negotiate(preferred, offered, n)) >= 0)
        return offered[best];
    best = mc_lang_negotiate(apr_table_get(r->headers_in, "Accept-Language"), offered, n);
    return best >= 0 ? offered[best] : offered[0];
}

/* --- the page a decision answers ------------------------------------------------ */

/* The same-site path and query of the Referer, or NULL. */
static const char *referer_path(request_rec *r)
{
    const char *referer = apr_table_get(r->headers_in, "Referer");
    apr_uri_t uri;
    const char *path;

    if (!referer || !r->hostname || apr_uri_parse(r->pool, referer, &uri) != APR_SUCCESS ||
        !uri.hostname || strcasecmp(uri.hostname, r->hostname) != 0 || !uri.path)
        return NULL;
    path = uri.query ? apr_pstrcat(r->pool, uri.path, "?", uri.query, NULL) : uri.path;
    return mc_return_path_valid(path) ? path : NULL;
}

const char *mc_referer_path(request_rec *r)
{
    return referer_path(r);
}

request_rec *mc_banner_page(request_rec *r, const char *return_path)
{
    const char *page;
    request_rec *sub;

    /* the common case: every page shares the endpoint's texts */
    if (!scoped_texts)
        return r;
    page = return_path ? return_path : referer_path(r);
    if (!page)
        return r;
    /* a lookup only: it walks the configuration and runs no handler; it
     * lives (with what is made under it) as long as R */
    sub = ap_sub_req_lookup_uri(page, r, NULL);
    return sub ? sub : r;
}

/* --- the cookie lists of the second layer ------------------------------------------ */

/* Per server, the markup of each category's cookies (the same for every
 * language: only the summary's label is not, and it is added per banner).
 * Made at start-up from the catalogue and the server's own rules, so a
 * banner does not walk the catalogue; a <Directory> or <Location> with
 * rules of its own has its lists made for the request. The cookies the
 * site is seen to set are added by glue_seen.c, which keeps a copy per
 * process and remakes it only when the shared table gains a name. */
typedef struct server_cookies {
    int scope_rules; /* how many rules of the server's own scope they include */
    const apr_array_header_t *decl; /* what the lists were made from */
    const mc_banner_cookies_t *lists;
    mc_seen_lists_t *with_seen; /* per process: the lists with the seen cookies */
} server_cookies_t;

static apr_hash_t *cookies_by_server; /* server_rec * -> server_cookies_t */

static int scope_rule_count(const apr_array_header_t *rules)
{
    return rules ? rules->nelts : 0;
}

/* DECL before any service is seen in use: the consent cookie and the
 * scope's own rules' (a copy; DECL stays whole for glue_seen.c). */
static apr_array_header_t *narrowed(apr_pool_t *p, const apr_array_header_t *decl)
{
    apr_array_header_t *copy = mc_declaration_copy(p, decl);

    mc_declaration_only_used(p, copy, NULL, NULL);
    mc_declaration_drop_service_cookies(p, copy);
    return copy;
}

static void load_cookie_lists(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *main_server)
{
    cookies_by_server = apr_hash_make(pconf);
    for (server_rec *s = main_server; s; s = s->next) {
        const mc_server_conf_t *conf = mc_server_conf(s);
        const mc_dir_conf_t *d = ap_get_module_config(s->lookup_defaults, &consent_module);
        const apr_array_header_t *rules = d ? d->rules : NULL;
        server_cookies_t *sc;
        const void **key;

        if (!conf || !conf->cats || !conf->rules)
            continue;
        sc = apr_pcalloc(pconf, sizeof(*sc));
        key = apr_palloc(pconf, sizeof(void *));
        *key = s;
        sc->scope_rules = scope_rule_count(rules);
        sc->decl = mc_declaration_make(pconf, conf->cats, conf->rules, rules, conf->cookie_name);
        sc->lists = mc_banner_cookie_lists(pconf, narrowed(pconf, sc->decl));
        apr_hash_set(cookies_by_server, key, sizeof(void *), sc);
    }
}

/* The lists for R: the server's, unless R's scope adds rules of its own
 * (they are only ever appended to the server's). */
const mc_banner_cookies_t *mc_banner_cookies(request_rec *r)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    const apr_array_header_t *rules = mc_dir_conf(r)->rules;
    const void *key = r->server;
    server_cookies_t *sc =
        cookies_by_server ? apr_hash_get(cookies_by_server, &key, sizeof(key)) : NULL;
    apr_array_header_t *decl;

    if (sc && sc->scope_rules == scope_rule_count(rules))
        return mc_seen_banner_lists(r, &sc->with_seen, sc->decl, sc->lists);
    decl = mc_declaration_make(r->pool, conf->cats, conf->rules, rules, conf->cookie_name);
    return mc_seen_banner_lists(r, NULL, decl,
                                mc_banner_cookie_lists(r->pool, narrowed(r->pool, decl)));
}

/* --- the banner ------------------------------------------------------------------- */

/* Where a form post should send the visitor back: this page as they asked
 * for it (not the script an internal rewrite ran), when it is a path the
 * endpoint will accept as a redirect target. */
static const char *return_path(const request_rec *r)
{
    const request_rec *asked = mc_visitor_request(r);

    if (asked->unparsed_uri && mc_return_path_valid(asked->unparsed_uri))
        return asked->unparsed_uri;
    if (r->unparsed_uri && mc_return_path_valid(r->unparsed_uri))
        return r->unparsed_uri;
    if (r->uri && mc_return_path_valid(r->uri))
        return r->uri;
    return NULL;
}

/* PATH with the request's origin before it, when it is an absolute path. */
static const char *with_origin(request_rec *r, const char *path)
{
    if (!path || path[0] != '/' || path[1] == '/')
        return path;
    return ap_construct_url(r->pool, path, r);
}

const char *mc_banner_for(request_rec *r, const char *html_lang, int absolute, apr_size_t *len)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    const mc_request_state_t *st;
    const mc_locale_t *loc;
    mc_banner_opts_t o;
    const char *html = apr_table_get(r->notes, BANNER_NOTE);
    unsigned char key[MC_PAGECACHE_KEY];
    const char *parts[4];
    int keyed = 0;

    if (!html) {
        /* made once per variant (glue_cache.h: the tag covers the state,
         * the settings and the tables the banner lists), page and origin */
        parts[0] = html_lang;
        parts[1] = absolute ? "absolute" : "relative";
        parts[2] = absolute ? ap_construct_url(r->pool, "", r) : NULL;
        parts[3] = return_path(r);
        keyed = mc_fragment_key(r, parts, 4, key);
        if (keyed && (html = mc_fragment_get(r, key)) != NULL)
            apr_table_setn(r->notes, BANNER_NOTE, html);
    }
    if (!html) {
        st = mc_request_state(r);
        memset(&o, 0, sizeof(o));
        o.base_path = conf->base_path;
        o.return_path = return_path(r);
        o.privacy_url = mc_dir_conf(r)->privacy_policy;
        o.reopen_position = mc_dir_conf(r)->reopen_position;
        if (absolute) {
            o.base_path = with_origin(r, o.base_path);
            o.privacy_url = with_origin(r, o.privacy_url);
        }
        o.lang = mc_banner_language(r, html_lang);
        o.gpc = st->gpc;
        o.decided = st->consent.decided;
        o.granted = st->effective;
        o.granted_services = st->services;
        o.cookies = mc_banner_cookies(r);
        loc = effective_locale(r, o.lang);
        mc_banner_first_layer(r, loc, &o);
        html = mc_banner_render(r->pool, loc, conf->cats, &o, NULL);
        apr_table_setn(r->notes, BANNER_NOTE, html);
        if (keyed)
            mc_fragment_put(key, html);
    }
    if (len)
        *len = strlen(html);
    return html;
}

/* --- the assets ----------------------------------------------------------------------- */

#define ASSET_VERSION_LEN 12

typedef struct asset {
    const char *sub;  /* below ConsentBasePath */
    const char *name; /* the embedded copy */
    const char *type;
    const mc_builtin_file_t *file;
    char version[ASSET_VERSION_LEN + 1]; /* the start of the content's SHA-256 */
} asset_t;

/* Filled at start-up; the content is compiled in, so the versions hold for
 * the life of the process. */
enum { ASSET_JS, ASSET_CSS, ASSET_HELD };
static asset_t assets[] = {
    [ASSET_JS] = {"/consent.js", "www/consent.js", "text/javascript; charset=utf-8", NULL, ""},
    [ASSET_CSS] = {"/consent.css", "www/consent.css", "text/css; charset=utf-8", NULL, ""},
    /* what a held image the page gave a size shows in its box (html.h) */
    [ASSET_HELD] = {"/held.svg", "www/held.svg", "image/svg+xml", NULL, ""},
};
#define N_ASSETS (sizeof(assets) / sizeof(assets[0]))

/* rules.js: per server, made at start-up from its URL rules (guard.h). */
typedef struct guard_rules {
    const char *text;
    apr_size_t len;
    char version[ASSET_VERSION_LEN + 1];
} guard_rules_t;

static apr_hash_t *guard_by_server; /* server_rec * -> guard_rules_t */

static const guard_rules_t *guard_rules(const server_rec *s)
{
    const void *key = s;

    return guard_by_server ? apr_hash_get(guard_by_server, &key, sizeof(key)) : NULL;
}

/* The catalogue's URL rules, then the server's own ConsentScriptRule
 * (those of <Directory> and <Location> sections are not in it: the
 * server still holds what they match in the page itself). */
static int load_guard_rules(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *main_server)
{
    guard_by_server = apr_hash_make(pconf);
    for (server_rec *s = main_server; s; s = s->next) {
        const mc_server_conf_t *conf = mc_server_conf(s);
        const mc_dir_conf_t *d = ap_get_module_config(s->lookup_defaults, &consent_module);
        apr_array_header_t *rules = apr_array_copy(ptemp, conf->rules->rules[MC_RULE_URL]);
        guard_rules_t *g = apr_pcalloc(pconf, sizeof(*g));
        const void **key = apr_palloc(pconf, sizeof(void *));
        char hash[MC_HASH_HEX + 1];
        int skipped = 0;

        if (d && d->rules)
            apr_array_cat(rules, d->rules);
        g->text = mc_guard_rules_js(pconf, rules, conf->cats, &skipped);
        g->len = strlen(g->text);
        if (mc_sha256_hex(g->text, g->len, hash) != MC_OK) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         MCLOGNO(00180) "the guard's rules (rules.js) could not be hashed");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        apr_cpystrn(g->version, hash, sizeof(g->version));
        if (skipped)
            ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                         MCLOGNO(00181) "rules.js: %d regex URL rule(s) have no glob form; "
                                        "scripts added later that only they match are not held "
                                        "back in the browser",
                         skipped);
        *key = s;
        apr_hash_set(guard_by_server, key, sizeof(void *), g);
    }
    return OK;
}

static int load_assets(server_rec *s)
{
    for (size_t i = 0; i < N_ASSETS; i++) {
        char hash[MC_HASH_HEX + 1];

        assets[i].file = mc_builtin_find(assets[i].name);
        if (!assets[i].file ||
            mc_sha256_hex(assets[i].file->data, assets[i].file->len, hash) != MC_OK) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         MCLOGNO(00102) "%s is not compiled into the module, or could not be "
                                        "hashed",
                         assets[i].name);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        apr_cpystrn(assets[i].version, hash, sizeof(assets[i].version));
    }
    return OK;
}

const char *mc_assets_css_href(request_rec *r)
{
    const asset_t *css = &assets[ASSET_CSS];

    return apr_pstrcat(r->pool, mc_server_conf(r->server)->base_path, css->sub, "?v=",
                       css->version, NULL);
}

const char *mc_assets_held_src(request_rec *r)
{
    const asset_t *held = &assets[ASSET_HELD];

    return apr_pstrcat(r->pool, mc_html_escape(r->pool, mc_server_conf(r->server)->base_path),
                       held->sub, "?v=", held->version, NULL);
}

/* The names of the categories in MASK, space-separated. */
static const char *granted_names(apr_pool_t *p, const mc_categories_t *cats, mc_catmask_t mask)
{
    const char *out = "";

    for (int i = 0; i < mc_categories_count(cats); i++) {
        if (mc_catmask_has(mask, i))
            out = apr_pstrcat(p, out, *out ? " " : "", mc_categories_name(cats, i), NULL);
    }
    return out;
}

/* ` data-services="youtube google-maps"`: the services granted beyond the
 * categories (ids are [a-z0-9-]); "" for none. */
static const char *services_attr(request_rec *r, const mc_request_state_t *st)
{
    if (!st->services || st->services->nelts == 0)
        return "";
    return apr_pstrcat(r->pool, " data-services=\"", apr_array_pstrcat(r->pool, st->services, ' '),
                       "\"", NULL);
}

const char *mc_assets_head(request_rec *r, apr_size_t *len)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    const char *base = mc_html_escape(r->pool, conf->base_path);
    const asset_t *css = &assets[ASSET_CSS], *js = &assets[ASSET_JS];
    const guard_rules_t *g = guard_rules(r->server);
    const mc_request_state_t *st = mc_request_state(r);
    const char *granted = granted_names(r->pool, conf->cats, st->effective);
    /* ConsentCSP Enforce: granting one of these needs a new page (policy) */
    const char *reload = st->csp_mode == MC_CSP_ENFORCE && st->csp_left_out
                             ? apr_pstrcat(r->pool, " data-csp-reload=\"",
                                           granted_names(r->pool, conf->cats, st->csp_left_out),
                                           "\"", NULL)
                             : "";
    /* Plain blocking scripts: they must run before the page's own scripts.
     * Well-formed XML as well as HTML (an empty element closed with " />"),
     * so that an application/xhtml+xml page still parses.
     * What consent.js needs to know travels in data attributes (category
     * names are [a-z0-9_-]) and in rules.js, never in inline script. */
    const char *html = apr_pstrcat(
        r->pool, "<link rel=\"stylesheet\" href=\"", base, css->sub, "?v=", css->version, "\" />",
        g ? apr_pstrcat(r->pool, "<script src=\"", base, "/rules.js?v=", g->version,
                        "\"></script>", NULL)
          : "",
        "<script src=\"", base, js->sub, "?v=", js->version, "\" data-base=\"", base,
        "\" data-granted=\"", granted, "\"", services_attr(r, st),
        mc_dir_conf(r)->google_consent_mode == 1 ? " data-gcm=\"1\"" : "", reload, "></script>",
        NULL);

    if (len)
        *len = strlen(html);
    return html;
}

/* 1 when the query string ARGS carries v=VERSION. */
static int versioned(const char *args, const char *version)
{
    size_t vlen = strlen(version);

    while (args) {
        if (strncmp(args, "v=", 2) == 0 && strncmp(args + 2, version, vlen) == 0 &&
            (args[2 + vlen] == '\0' || args[2 + vlen] == '&'))
            return 1;
        args = strchr(args, '&');
        if (args)
            args++;
    }
    return 0;
}

int mc_assets_handler(request_rec *r, const char *sub)
{
    const asset_t *a = NULL;
    const char *data, *version, *type;
    apr_size_t size;
    int rv;

    for (size_t i = 0; i < N_ASSETS && !a; i++) {
        if (strcmp(sub, assets[i].sub) == 0)
            a = &assets[i];
    }
    if (a && a->file) {
        data = a->file->data;
        size = a->file->len;
        version = a->version;
        type = a->type;
    }
    else if (strcmp(sub, "/rules.js") == 0 && guard_rules(r->server)) {
        const guard_rules_t *g = guard_rules(r->server);
        data = g->text;
        size = g->len;
        version = g->version;
        type = "text/javascript; charset=utf-8";
    }
    else
        return DECLINED;
    if (r->method_number != M_GET) {
        ap_allow_standard_methods(r, REPLACE_ALLOW, M_GET, -1);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    /* The versioned URL never changes content: cache it for good. A bare
     * URL is revalidated soon, so an upgrade reaches visitors quickly. */
    apr_table_setn(r->headers_out, "Cache-Control",
                   versioned(r->args, version) ? "public, max-age=31536000, immutable"
                                               : "public, max-age=300");
    apr_table_setn(r->headers_out, "ETag", apr_pstrcat(r->pool, "\"", version, "\"", NULL));
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_type(r, type);
    if ((rv = ap_meets_conditions(r)) != OK)
        return rv;
    ap_set_content_length(r, (apr_off_t)size);
    if (!r->header_only)
        ap_rwrite(data, (int)size, r);
    return OK;
}

/* --- start-up checks ------------------------------------------------------------------- */

/* The required keys LANG lacks: neither shipped nor set by ConsentText in
 * TEXTS or OUTER (the server's texts); NULL when none. */
static const char *missing_keys(apr_pool_t *p, const char *lang, const apr_table_t *texts,
                                const apr_table_t *outer)
{
    const char *missing = NULL;

    for (const char *const *k = mc_locale_required_keys; *k; k++) {
        const char *key = apr_pstrcat(p, lang, " ", *k, NULL);
        if ((texts && apr_table_get(texts, key)) || (outer && apr_table_get(outer, key)))
            continue;
        missing = missing ? apr_pstrcat(p, missing, ", ", *k, NULL) : *k;
    }
    return missing;
}

/* Warns, once per language, when a scope offers a language whose texts
 * do not ship and ConsentText does not complete them. */
static void check_languages(apr_pool_t *ptemp, server_rec *s, const mc_dir_conf_t *d,
                            const mc_dir_conf_t *server_dir, apr_hash_t *warned)
{
    const char *lang, *missing;

    if (!d || !d->languages)
        return;
    for (int i = 0; (lang = mc_dir_language(d, i)) != NULL; i++) {
        if (shipped_locale(lang) || apr_hash_get(warned, lang, APR_HASH_KEY_STRING))
            continue;
        missing = missing_keys(ptemp, lang, d->texts, server_dir ? server_dir->texts : NULL);
        if (!missing)
            continue;
        apr_hash_set(warned, lang, APR_HASH_KEY_STRING, lang);
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     MCLOGNO(00103) "ConsentLanguages %s: no banner texts ship for '%s' and "
                                    "ConsentText %s does not set: %s; the banner shows these in "
                                    "'%s'",
                     lang, lang, lang, missing, mc_locale_lang(fallback_locale(d)));
    }
}

/* Calls FN for the configuration of every server and of each of its
 * <Directory> and <Location> sections (SERVER_DIR is the server's own,
 * or NULL when D is it). */
typedef void section_fn(void *baton, server_rec *s, const mc_dir_conf_t *d,
                        const mc_dir_conf_t *server_dir);

static void each_scope(server_rec *main_server, section_fn *fn, void *baton)
{
    for (server_rec *s = main_server; s; s = s->next) {
        const mc_dir_conf_t *server_dir = ap_get_module_config(s->lookup_defaults, &consent_module);
        core_server_config *core = ap_get_core_module_config(s->module_config);
        const apr_array_header_t *sections[2] = {core->sec_dir, core->sec_url};

        fn(baton, s, server_dir, NULL);
        for (int k = 0; k < 2; k++) {
            for (int i = 0; sections[k] && i < sections[k]->nelts; i++) {
                ap_conf_vector_t *v = APR_ARRAY_IDX(sections[k], i, ap_conf_vector_t *);
                const mc_dir_conf_t *d = ap_get_module_config(v, &consent_module);
                if (d)
                    fn(baton, s, d, server_dir);
            }
        }
    }
}

typedef struct language_check {
    apr_pool_t *ptemp;
    apr_hash_t *warned;
} language_check_t;

static void check_scope_languages(void *baton, server_rec *s, const mc_dir_conf_t *d,
                                  const mc_dir_conf_t *server_dir)
{
    language_check_t *c = baton;
    check_languages(c->ptemp, s, d, server_dir, c->warned);
}

static void note_scoped_texts(void *baton, server_rec *s, const mc_dir_conf_t *d,
                              const mc_dir_conf_t *server_dir)
{
    if (server_dir && (d->texts || d->languages))
        scoped_texts = 1;
}

int mc_banner_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *main_server)
{
    int rv;

    if ((rv = load_locales(pconf, main_server)) != OK || (rv = load_assets(main_server)) != OK ||
        (rv = load_guard_rules(pconf, ptemp, main_server)) != OK)
        return rv;
    load_cookie_lists(pconf, ptemp, main_server);
    scoped_texts = 0;
    each_scope(main_server, note_scoped_texts, NULL);
    /* httpd reads its configuration twice at start-up: warn on the real
     * run, or on the only one of a configtest */
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG ||
        ap_state_query(AP_SQ_RUN_MODE) == AP_SQ_RM_CONFIG_TEST) {
        language_check_t check = {ptemp, apr_hash_make(ptemp)};
        each_scope(main_server, check_scope_languages, &check);
    }
    return OK;
}
