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
#define MC_DEFAULT_SHARED_TTL 120 /* seconds a shared cache keeps a page */
#define MC_STATE_COOKIE_SUFFIX "_state"
/* What a placeholder's URL is signed for (mc_token_sign_text). */
#define MC_PLACEHOLDER_SIG "placeholder"

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
    /* ConsentSharedCache: 1 to let a shared cache keep pages per consent
     * state, for up to shared_ttl seconds; MC_UNSET until set */
    int shared_cache;
    apr_int64_t shared_ttl;

    /* compiled in post_config */
    const char *state_cookie_name; /* the shared cache's key: cookie_name "_state" */
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
    int unreadable;                /* ConsentUnreadable: mc_unreadable_t, or MC_UNSET */
    int banner;                    /* ConsentBanner: 0 Off, else On */
    int rewrite;                   /* ConsentRewrite: 0 Off, else On */
} mc_dir_conf_t;

/* ConsentUnreadable: what becomes of a page the rewriter cannot read (an
 * unknown Content-Encoding, ISO-2022-JP, an XML document) for a visitor
 * who has not granted everything. */
typedef enum mc_unreadable {
    MC_UNREADABLE_SANDBOX = 0, /* sent with a policy under which nothing runs or
                                * reaches another host (the default) */
    MC_UNREADABLE_REFUSE,      /* 502 */
    MC_UNREADABLE_PASS         /* sent as it is: trackers in it reach the browser */
} mc_unreadable_t;

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

/* ConsentUnreadable in force in D's scope (sandbox when not set). */
static inline mc_unreadable_t mc_unreadable_mode(const mc_dir_conf_t *d)
{
    return d && d->unreadable != MC_UNSET ? (mc_unreadable_t)d->unreadable
                                          : MC_UNREADABLE_SANDBOX;
}

#endif
