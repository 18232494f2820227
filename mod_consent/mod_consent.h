/* mod_consent: what the glue files share. The module file wires hooks; each
 * glue_*.c adapts one httpd concern to the pure-C core in core/. */
#ifndef MOD_CONSENT_H
#define MOD_CONSENT_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "util_filter.h"

#include <apr_lib.h>

#include "banner.h"
#include "category.h"
#include "cookie.h"
#include "csp.h"
#include "locale.h"
#include "rules.h"
#include "token.h"

/* Error-log message numbers, in the spirit of APLOGNO: MCLOGNO(00001).
 * Each number is used at exactly one place; a new message takes the number
 * in mod_consent/log-message-next-number and raises it by one. The lint of
 * the test command (tests/lint_mclogno.py) fails on a number used twice, a
 * log call above debug without one, or a next number already taken. */
#define MCLOGNO(n) "MC" #n ": "

#define MC_UNSET (-1)
#define MC_HANDLER "consent-endpoint"
#define MC_DEFAULT_COOKIE "consent"
#define MC_DEFAULT_BASE "/_consent"
#define MC_DEFAULT_POLICY "1"
#define MC_DEFAULT_MAX_AGE 15552000 /* 180 days */

extern module AP_MODULE_DECLARE_DATA consent_module;

/* A ConsentRules directive: the loaded catalogue and where it was named. */
typedef struct mc_rules_entry {
    mc_ruleset_t *rules;
    const char *source; /* "conf-file:line" */
} mc_rules_entry_t;

/* A ConsentCategory directive. */
typedef struct mc_category_decl {
    const char *name;
    int required;
    const char *source;
} mc_category_decl_t;

typedef struct mc_logger mc_logger_t; /* glue_log.c */

/* Per server (vhost). Fields are UNSET/NULL until configured; merging takes
 * the vhost's value where set. The "compiled" part is built in post_config. */
typedef struct mc_server_conf {
    apr_array_header_t *rules_entries; /* mc_rules_entry_t; NULL = "default" */
    apr_array_header_t *category_decls; /* mc_category_decl_t, added up */
    const char *policy;
    apr_int64_t max_age;
    const char *cookie_name;
    const char *cookie_domain; /* lower-case, no leading dot */
    mc_token_key_t *key;       /* from ConsentSecretFile */
    const char *base_path;
    const char *log_target;
    const char *log_source;
    const char *log_chain; /* ConsentLogChain (main server); in post_config, every server's */
    int respect_gpc;
    int engine_used; /* some scope of this server says ConsentEngine On */
    /* ConsentAdminAddress: apr_ipsubnet_t * whose requests see the admin
     * panel of the settings page; NULL for none */
    apr_array_header_t *admin_addrs;
    /* ConsentPageCache: bytes per child process (main server), or MC_UNSET */
    apr_int64_t page_cache;

    /* compiled in post_config */
    mc_categories_t *cats;
    mc_ruleset_t *rules;
    const mc_token_key_t *signing_key; /* key, or the process's random key */
    mc_logger_t *logger;
} mc_server_conf_t;

/* Per directory / location. */
typedef struct mc_dir_conf {
    int engine;
    apr_array_header_t *rules; /* mc_rule_t from Consent*Rule, added up */
    int unclassified; /* mc_unclassified_t, or MC_UNSET: mc_unclassified_mode */
    int strip_request_cookies;
    apr_array_header_t *languages; /* const char *, first is the fallback */
    apr_table_t *texts;            /* ConsentText: "lang key" -> text; inner scopes first */
    const char *privacy_policy;    /* ConsentPrivacyPolicy URL */
    const char *reopen_position;   /* ConsentReopenPosition corner, or NULL */
    int google_consent_mode;       /* ConsentGoogleConsentMode */
    int csp_mode;                  /* ConsentCSP: mc_csp_mode_t, or MC_UNSET */
    apr_array_header_t *csp_allow; /* ConsentCSPAllow sources (const char *), added up */
} mc_dir_conf_t;

/* What this request's visitor has agreed to. */
typedef struct mc_request_state {
    mc_consent_t consent;      /* from the cookie (undecided when invalid) */
    mc_token_status_t status;  /* why the cookie was or was not accepted */
    int gpc;                   /* Sec-GPC: 1 was sent and is respected */
    mc_catmask_t effective;    /* what is granted for this request */
    /* ids (const char *) of the services granted beyond EFFECTIVE: the
     * cookie's, less marketing ones under GPC; at the endpoint, the new
     * decision's once it is made */
    const apr_array_header_t *services;
    apr_array_header_t *cookies; /* the request's cookies (mc_cookie_t) */
    int cleaned;               /* refused cookies already expired */
    /* The module's Content-Security-Policy for this response (glue_csp.c):
     * chosen with the page, sent with the headers. */
    mc_csp_mode_t csp_mode;    /* MC_CSP_OFF: none */
    const char *csp_policy;
    mc_catmask_t csp_left_out; /* categories whose hosts the policy lacks */
} mc_request_state_t;

static inline mc_server_conf_t *mc_server_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &consent_module);
}

static inline mc_dir_conf_t *mc_dir_conf(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &consent_module);
}

/* ConsentUnclassified in force in D's scope (hold when not set). */
static inline mc_unclassified_t mc_unclassified_mode(const mc_dir_conf_t *d)
{
    return d && d->unclassified != MC_UNSET ? (mc_unclassified_t)d->unclassified
                                            : MC_UNCLASSIFIED_HOLD;
}

/* glue_config.c */
extern const command_rec mc_directives[];
void *mc_create_server_conf(apr_pool_t *p, server_rec *s);
void *mc_merge_server_conf(apr_pool_t *p, void *base, void *add);
void *mc_create_dir_conf(apr_pool_t *p, char *dir);
void *mc_merge_dir_conf(apr_pool_t *p, void *base, void *add);
void mc_config_pre(apr_pool_t *pconf);
int mc_config_post(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);
int mc_engine_on(const request_rec *r);
const char *mc_dir_language(const mc_dir_conf_t *d, int index);
/* Notes a category named by a directive, checked once every ConsentCategory
 * is read. */
void mc_category_ref(cmd_parms *cmd, const char *category);

/* glue_headers.c */
mc_request_state_t *mc_request_state(request_rec *r);
/* 1 when service ID is among the request's granted services (st->services). */
int mc_service_granted(request_rec *r, const char *id);
/* "" or "~id:id...": the request's granted services, for cache keys and ETags. */
const char *mc_services_key(request_rec *r, const mc_request_state_t *st);
/* 1 when cookie NAME, of LIFE, may be set or kept under GRANTED
 * (mc_cookie_passes), or its rule's service is one of the request's
 * granted services. A request cookie (MC_COOKIE_UNKNOWN) that no rule
 * classifies counts as persistent when the table of seen cookies records
 * the site setting it so (mc_seen_persistent). */
int mc_cookie_granted(request_rec *r, const char *name, mc_cookie_life_t life,
                      mc_catmask_t granted);
/* 1 when R comes from a ConsentAdminAddress. */
int mc_is_admin(const request_rec *r);
/* Adds Set-Cookie deletions for the request's cookies GRANTED does not cover. */
void mc_expire_cookies(request_rec *r, mc_request_state_t *st, mc_catmask_t granted);
int mc_fixups(request_rec *r);
void mc_insert_filter(request_rec *r);
apr_status_t mc_headers_filter(ap_filter_t *f, apr_bucket_brigade *bb);
void mc_headers_child_init(apr_pool_t *p);

/* glue_endpoint.c */
int mc_is_endpoint(const request_rec *r);
/* Why a POST to the endpoint is not from the site itself (Origin,
 * Sec-Fetch-Site), or NULL when it is. */
const char *mc_cross_site_reason(request_rec *r, const mc_server_conf_t *conf);
/* 1 when HOST is R's host, or shares ConsentCookieDomain with it. */
int mc_same_site_host(const request_rec *r, const mc_server_conf_t *conf, const char *host);
/* Reads a request body of at most MAX bytes into *BODY (NUL-terminated);
 * OK, or the status to refuse with (413 for more, 400 for a broken body). */
int mc_read_body(request_rec *r, apr_size_t max, char **body, apr_size_t *len);
/* A refusal: STATUS and a short REASON as JSON, logged at info. */
int mc_refuse(request_rec *r, int status, const char *reason);
int mc_translate_name(request_rec *r);
int mc_map_to_storage(request_rec *r);
int mc_endpoint_handler(request_rec *r);

/* glue_banner.c: banner texts, the banner and the consent assets */
/* The <link> and <script> for the top of <head>, with versioned URLs. */
const char *mc_assets_head(request_rec *r, apr_size_t *len);
/* The stylesheet's versioned URL (not escaped). */
const char *mc_assets_css_href(request_rec *r);
/* The same-site path and query of the request's Referer, or NULL. */
const char *mc_referer_path(request_rec *r);
/* The banner (no decision yet) or the small "Cookie settings" control
 * (decided), each followed or preceded by the other one hidden for
 * consent.js, in the page's language: HTML_LANG (the page's <html lang>,
 * or NULL) when offered, else Accept-Language, else the first of
 * ConsentLanguages. Made once per request. */
/* ABSOLUTE: the page has a <base> elsewhere, so the banner's own URLs
 * carry the request's origin. */
const char *mc_banner_for(request_rec *r, const char *html_lang, int absolute, apr_size_t *len);

/* The cookie lists of the second layer for R's scope: made at start-up per
 * server, or for R when its <Directory>/<Location> adds rules. */
const mc_banner_cookies_t *mc_banner_cookies(request_rec *r);
/* Serves {ConsentBasePath}SUB when SUB names an asset ("/consent.js",
 * "/consent.css", "/rules.js"); DECLINED otherwise. */
int mc_assets_handler(request_rec *r, const char *sub);
/* The banner texts shown in LANG under this request's config: the shipped
 * locale (or the fallback) with ConsentText on top. */
const mc_locale_t *mc_banner_locale(request_rec *r, const char *lang);
/* Hex SHA-256 of the banner texts shown in LANG under this request's config. */
const char *mc_text_hash(request_rec *r, const char *lang);

/* Sets what O's first and second layers say of R's site's services in
 * use (services, recipients, outside_eea) and max_age, for LOC. */
void mc_banner_first_layer(request_rec *r, const mc_locale_t *loc, mc_banner_opts_t *o);
/* The request whose configuration made the banner a decision answers: a
 * lookup of the page (RETURN_PATH, else the same-site Referer) when some
 * <Directory> or <Location> has its own ConsentText or ConsentLanguages;
 * otherwise R itself. */
request_rec *mc_banner_page(request_rec *r, const char *return_path);
/* The offered language (ConsentLanguages) for PREFERRED (a tag, or NULL):
 * PREFERRED itself or its primary subtag, else Accept-Language, else the
 * first offered. */
const char *mc_banner_language(request_rec *r, const char *preferred);
/* ConsentText LANG KEY TEXT, ConsentPrivacyPolicy URL */
const char *mc_cmd_text(cmd_parms *cmd, void *dconf, const char *lang, const char *key,
                        const char *text);
const char *mc_cmd_privacy_policy(cmd_parms *cmd, void *dconf, const char *url);
/* Loads the shipped locales and the assets; warns about offered languages
 * without texts. Called by mc_config_post. */
int mc_banner_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *main_server);

/* glue_pages.c: the endpoint's pages */
/* Serves {ConsentBasePath}SUB when SUB names a page ("/settings",
 * "/declaration"); DECLINED otherwise. */
int mc_pages_handler(request_rec *r, const char *sub);

/* glue_csp.c: the consent-aware Content-Security-Policy (ConsentCSP) */
const char *mc_cmd_csp(cmd_parms *cmd, void *dconf, const char *arg);
const char *mc_cmd_csp_allow(cmd_parms *cmd, void *dconf, const char *source);
void mc_csp_child_init(apr_pool_t *p);
/* Chooses the policy for R, a page the HTML filter rewrites (before its
 * assets are made: they tell consent.js about it). */
void mc_csp_prepare(request_rec *r);
/* Adds the chosen policy to R's headers: called right before they are
 * written, after mod_headers, so that no "Header set" replaces it. */
void mc_csp_add_header(request_rec *r, const mc_request_state_t *st);
/* POST {ConsentBasePath}/csp-report: violation reports. */
int mc_csp_report_handler(request_rec *r);

/* glue_filter.c: the HTML output filter */
apr_status_t mc_html_filter(ap_filter_t *f, apr_bucket_brigade *bb);

/* glue_log.c */
void mc_log_pre_config(apr_pool_t *pconf);
int mc_log_post_config(apr_pool_t *pconf, server_rec *s);
void mc_log_child_init(apr_pool_t *p, server_rec *s);
/* Appends LINE-to-be for REC to the server's consent log, chained. Returns
 * APR_SUCCESS only when the whole record is written. */
struct mc_record;
apr_status_t mc_log_record(request_rec *r, const struct mc_record *rec);

#endif
