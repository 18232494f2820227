/* A visitor's decision: parsing the POST body (JSON or form), turning it into
 * granted categories, and the state JSON the endpoint answers with. Every
 * failure carries a short reason fit for a 400 response body. */
#ifndef MC_DECISION_H
#define MC_DECISION_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <stddef.h>

#include "category.h"
#include "rules.h"
#include "status.h"
#include "token.h"

#define MC_DECISION_BODY_MAX 8192 /* larger bodies are refused (413) */

typedef enum mc_method {
    MC_METHOD_ACCEPT_ALL = 0,
    MC_METHOD_REJECT_ALL,
    MC_METHOD_CUSTOM,
    MC_METHOD_WITHDRAW, /* recorded only: a reject_all after an earlier grant */
    MC_METHOD_GPC       /* recorded only: Sec-GPC refused what was asked */
} mc_method_t;

const char *mc_method_str(mc_method_t m);

/* Where the visitor made the choice: recorded in the log. */
typedef enum mc_via {
    MC_VIA_BANNER = 0, /* the first or second layer of the banner (the default) */
    MC_VIA_SETTINGS,   /* the settings page */
    MC_VIA_PLACEHOLDER /* a neutralised element's placeholder */
} mc_via_t;

const char *mc_via_str(mc_via_t v);

typedef struct mc_decision {
    mc_method_t method;     /* as asked: accept_all, reject_all or custom */
    mc_catmask_t requested; /* categories named in "granted" (custom) */
    /* service ids named in "services" (custom; const char *, each once, well
     * formed, at most MC_SERVICES_MAX; whether the configuration knows them
     * is mc_decision_check_services's question) */
    apr_array_header_t *services;
    mc_via_t via;
    const char *return_path; /* form only: validated same-site path, or NULL */
    const char *lang;        /* optional "lang" field, validated, or NULL */
} mc_decision_t;

/* {"method": "...", "granted": ["statistics", ...], "services": ["youtube"],
 *  "via": "placeholder", "lang": "nb"}
 * Strict: the body is one JSON object without duplicate keys; "method" is
 * required; "granted" (a list of known category names) and "services" (a
 * list of service ids) are validated for every method but only count for
 * custom; "via" is banner, settings or placeholder (banner when absent);
 * "lang" is a language tag (mc_lang_tag_valid); "return" is ignored; any other key is
 * refused ("unknown field 'x'"). */
mc_status_t mc_decision_parse_json(apr_pool_t *p, const mc_categories_t *cats, const char *body,
                                   size_t len, mc_decision_t *out, const char **reason);

/* method=custom&granted=statistics&granted=marketing&service=youtube
 *   &via=placeholder&return=/page&lang=nb
 * Same rules as JSON, but unknown fields are ignored (HTML forms carry
 * submit-button names and the like), "return" must pass
 * mc_return_path_valid, and method, via, return and lang may appear once
 * each. */
mc_status_t mc_decision_parse_form(apr_pool_t *p, const mc_categories_t *cats, const char *body,
                                   size_t len, mc_decision_t *out, const char **reason);

/* MC_OK when RS knows every service D names; otherwise MC_EINVAL and
 * *REASON is "unknown service 'x'". */
mc_status_t mc_decision_check_services(apr_pool_t *p, const mc_decision_t *d,
                                       const mc_ruleset_t *rs, const char **reason);

/* 1 when PATH is a safe same-site redirect target: starts with one '/', not
 * "//" or "/\", no scheme, no control characters or backslashes, at most
 * 2048 bytes. */
int mc_return_path_valid(const char *path);

/* What a decision grants, and the method to record. PREVIOUS is the
 * visitor's earlier consent (decided or not; NULL counts as undecided).
 * accept_all grants every category, reject_all the required ones, custom the
 * required ones and those requested. *SERVICES (ids, in P) are the services
 * a custom decision names whose category (in RS) it does not grant: a
 * service whose category is granted is covered already; accept_all and
 * reject_all grant none. With GPC, marketing, and every marketing service,
 * is refused whatever was asked (unless an admin made it required); if that
 * changed the outcome the method is "gpc". Otherwise a reject_all, or a
 * custom choice of nothing beyond the required categories and no service,
 * after a decided consent that granted more than them or some service, is
 * recorded as "withdraw": both take back what was given. A custom decision
 * made via a placeholder adds to PREVIOUS (its categories and services stay
 * granted): a placeholder offers to allow, never to take back, and the
 * copy it was shown in may predate the visitor's last choice. */
void mc_decision_apply(apr_pool_t *p, const mc_decision_t *d, const mc_categories_t *cats,
                       const mc_ruleset_t *rs, const mc_consent_t *previous, int gpc,
                       mc_catmask_t *granted, const apr_array_header_t **services,
                       mc_method_t *recorded);

/* 1 when going from what BEFORE and BEFORE_SERVICES allow to what AFTER and
 * AFTER_SERVICES allow takes something back: a category no longer granted,
 * or a service (ids, NULL: none) neither granted still nor covered by its
 * category (in RS) now. 0 when the second allows all the first did. */
int mc_decision_narrows(const mc_categories_t *cats, const mc_ruleset_t *rs, mc_catmask_t before,
                        const apr_array_header_t *before_services, mc_catmask_t after,
                        const apr_array_header_t *after_services);

/* The contract's state JSON, compact, in this key order:
 * {"decided":true,"id":"..","policy":"1","time":"2026-11-24T06:13:23Z",
 *  "granted":["necessary",..],"refused":[..],"services":["youtube"],
 *  "gpc":false}
 * "services" are C's services (granted beyond its categories), in order.
 * Undecided: "id" and "time" are null and "policy" is POLICY, the version
 * the banner asks consent for (a decided C reports its own c->policy).
 * Names are listed in category order. NULL when out of memory. */
char *mc_state_json(apr_pool_t *p, const mc_categories_t *cats, const mc_consent_t *c,
                    const char *policy, int gpc);

/* Decodes application/x-www-form-urlencoded into an array of name/value
 * pairs (mc_form_pair_t) in order; names may repeat, empty pieces are
 * skipped, a piece without '=' has value "". MC_EINVAL ("malformed form
 * body") for a bad or truncated %-escape or a NUL, raw or escaped. */
typedef struct mc_form_pair {
    const char *name;
    const char *value;
} mc_form_pair_t;
mc_status_t mc_form_parse(apr_pool_t *p, const char *body, size_t len, apr_array_header_t **pairs,
                          const char **reason);

#endif
