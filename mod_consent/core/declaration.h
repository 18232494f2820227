/* The cookie declaration: which cookies and services each category covers,
 * for the cookie table of a privacy page (GET {ConsentBasePath}/declaration).
 *
 * Cookies come from the catalogues' cookie rules, then the scope's own
 * ConsentCookieRule rules, in that order; the consent cookie itself comes
 * first under necessary (the module always lets it through, so a rule
 * naming it is left out). Each pattern is listed once, under the category
 * whose rule wins for it: a later rule with the same pattern replaces an
 * earlier one (the last match wins, and the same pattern matches the same
 * names). A regex is shown without its '~' and, like a glob with '*' or
 * '?', marked as a pattern. Services are the catalogues' services with at
 * least one cookie or URL rule, under their own category; a service named
 * twice (a later catalogue redefining it) counts once, as last defined.
 *
 * The JSON, compact, keys in this order:
 *   {"policy":"1","lang":"nb",
 *    "categories":[{"name":"statistics","title":"Statistikk","description":"..",
 *      "required":false,
 *      "cookies":[{"name":"_ga","service":"Google Analytics","vendor":"Google",
 *                  "pattern":false},..],
 *      "services":[{"name":"Google Analytics","vendor":"Google",
 *                   "privacy":"https://..","description":".."},..]},..],
 *    "seen":[]}
 * "title" and "description" are the locale's texts (null when it has none);
 * a service's "description" is the catalogue's in the locale's language (or
 * its primary subtag), else null; "vendor" and "privacy" are null when the
 * catalogue does not say.
 *
 * "seen" lists the cookies the site was seen to set (seen.h; every process
 * of the server records the Set-Cookie fields its responses carry, those
 * mod_consent removes included), as given to mc_declaration_json_seen:
 *   "seen":[{"name":"_ga","category":"statistics","domain":"klinikk.test",
 *            "lifetime":63072000,"first_seen":"2026-11-24T08:00:00Z",
 *            "last_seen":"2026-11-24T09:12:00Z","service":"Google Analytics",
 *            "vendor":"Google"},..]
 * sorted by category (in category order, "unclassified" last), then name.
 * "category" is worked out when the declaration is made, by the rules in
 * force (the scope's, then the catalogue's; the consent cookie is
 * necessary): a changed rule re-categorises; a name no rule matches is
 * "unclassified". "domain" is the Domain attribute, or the host the cookie
 * was set on when it had none. "lifetime" is in seconds (the longest seen;
 * an Expires date counts from when it was seen, to the minute), null for a
 * session cookie. The times are UTC, to the second. "service" and
 * "vendor" are those of the rule that classifies it, else null.
 *
 * "blocked" lists the hosts the site's pages were stopped from reaching
 * (blocked.h: Content-Security-Policy violation reports, ConsentCSP), as
 * given to mc_declaration_json_full, sorted by host:
 *   "blocked":[{"host":"stats.example","directive":"connect-src img-src",
 *               "count":12,"first_seen":"2026-11-24T08:00:00Z",
 *               "last_seen":"2026-11-24T09:12:00Z"},..]
 * "directive" names every directive that stopped the host, space-separated.
 *
 * "unclassified" lists the seen cookies no rule classifies, apart, so that
 * none is presented as necessary (they are in "seen" too, category
 * "unclassified"), in the order of "seen":
 *   "unclassified":[{"name":"vendor_uid","domain":"klinikk.test",
 *                    "lifetime":31536000,"persistent":true,"treatment":"held",
 *                    "advice":"Not classified by any rule: .. ConsentCookieRule .."},..]
 * "treatment" is mc_treatment_str of the entry's treatment
 * (mc_declaration_treat): "held" (set only once a visitor grants every
 * optional category), "allowed" (set without consent) or "blocked" (never
 * set). "advice" is for the site's administrator, in English: what happens
 * to it and the directive that classifies it. */
#ifndef MC_DECLARATION_H
#define MC_DECLARATION_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "category.h"
#include "locale.h"
#include "blocked.h"
#include "rules.h"
#include "seen.h"

#define MC_DECLARATION_OWN_SERVICE "mod_consent" /* the consent cookie's service */
#define MC_DECLARED_LET_THROUGH 1
#define MC_DECLARED_HELD 2

typedef struct mc_declared_cookie {
    const char *name;    /* as shown: the name, the glob, or the regex without '~' */
    const char *service; /* NULL for a ConsentCookieRule */
    const char *vendor;  /* NULL when not known */
    int pattern;         /* 1 for a glob with a wildcard or a regex */
    int regex; /* 1 for a regex (NAME is then without its '~') */
    /* a seen cookie no rule classifies (mc_declaration_add_seen): 0, or
     * MC_DECLARED_LET_THROUGH (set without consent) or MC_DECLARED_HELD
     * (set once every optional category is granted) */
    int unclassified;
} mc_declared_cookie_t;

typedef struct mc_declared_category {
    const char *name;
    int required;
    apr_array_header_t *cookies;  /* mc_declared_cookie_t */
    apr_array_header_t *services; /* const mc_service_t * */
} mc_declared_category_t;

/* One mc_declared_category_t per category of CATS, in category order.
 * CATALOGUE is the server's rule set; SCOPE_RULES (mc_rule_t of any kind,
 * may be NULL) are the scope's own rules; CONSENT_COOKIE is the consent
 * cookie's name. */
apr_array_header_t *mc_declaration_make(apr_pool_t *p, const mc_categories_t *cats,
                                        const mc_ruleset_t *catalogue,
                                        const apr_array_header_t *scope_rules,
                                        const char *consent_cookie);

/* A copy of DECL whose categories' cookie and service lists can be changed
 * without changing DECL's (the narrowing functions work in place). */
apr_array_header_t *mc_declaration_copy(apr_pool_t *p, const apr_array_header_t *decl);

/* DECL as the JSON above, texts from LOC; NULL when out of memory.
 * "seen" is empty. */
char *mc_declaration_json(apr_pool_t *p, const apr_array_header_t *decl, const mc_locale_t *loc,
                          const char *policy);

/* A seen cookie with the category the rules give it. */
typedef struct mc_declared_seen {
    const char *name;
    const char *domain;
    int category;        /* index in the categories, or -1: unclassified */
    const char *service; /* the classifying rule's service, or NULL */
    const char *vendor;  /* that service's vendor, or NULL */
    const char *rule;    /* the classifying rule's pattern as written, or NULL */
    int64_t lifetime;    /* seconds, or MC_SEEN_SESSION */
    int64_t first_seen;  /* Unix seconds */
    int64_t last_seen;
    /* unclassified: what ConsentUnclassified does with it
     * (mc_declaration_treat; as "hold" until then) */
    mc_treatment_t treatment;
} mc_declared_seen_t;

/* SEEN (mc_seen_cookie_t) classified by the rules as described above and
 * sorted (category order, unclassified last, then name, then domain):
 * mc_declared_seen_t. */
apr_array_header_t *mc_declaration_seen(apr_pool_t *p, const mc_categories_t *cats,
                                        const mc_ruleset_t *catalogue,
                                        const apr_array_header_t *scope_rules,
                                        const char *consent_cookie,
                                        const apr_array_header_t *seen);

/* As mc_declaration_json, with SEEN (from mc_declaration_seen, or NULL for
 * none) as "seen". */
char *mc_declaration_json_seen(apr_pool_t *p, const apr_array_header_t *decl,
                               const apr_array_header_t *seen, const mc_categories_t *cats,
                               const mc_locale_t *loc, const char *policy);

/* As mc_declaration_json_seen, with BLOCKED (mc_blocked_host_t, or NULL
 * for none) as "blocked". */
char *mc_declaration_json_full(apr_pool_t *p, const apr_array_header_t *decl,
                               const apr_array_header_t *seen, const apr_array_header_t *blocked,
                               const mc_categories_t *cats, const mc_locale_t *loc,
                               const char *policy);

/* Sets the treatment of SEEN's unclassified cookies (from
 * mc_declaration_seen) under MODE: a lifetime makes one persistent, none a
 * session cookie (mc_unclassified_treatment). */
void mc_declaration_treat(apr_array_header_t *seen, mc_unclassified_t mode);

/* The life of a seen cookie of LIFETIME (seconds, or MC_SEEN_SESSION). */
mc_cookie_life_t mc_declaration_life(int64_t lifetime);

/* Adds each seen cookie's name (SEEN from mc_declaration_seen) to its
 * category's cookies in DECL unless that list already names it (once per
 * name, whatever its domains). The unclassified ones are carried in the
 * necessary category's list, marked MC_DECLARED_LET_THROUGH or
 * MC_DECLARED_HELD by their treatment, for the banner to show apart from
 * every category (banner.h) and never in the JSON's categories; blocked
 * ones are left out (they are never set). A name both held and let through
 * (on two domains) counts as held. */
void mc_declaration_add_seen(apr_pool_t *p, apr_array_header_t *decl,
                             const apr_array_header_t *seen);

#endif
