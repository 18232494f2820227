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
 * catalogue does not say. "seen" is kept empty for the cookies the site is
 * seen to set. */
#ifndef MC_DECLARATION_H
#define MC_DECLARATION_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "category.h"
#include "locale.h"
#include "rules.h"

#define MC_DECLARATION_OWN_SERVICE "mod_consent" /* the consent cookie's service */

typedef struct mc_declared_cookie {
    const char *name;    /* as shown: the name, the glob, or the regex without '~' */
    const char *service; /* NULL for a ConsentCookieRule */
    const char *vendor;  /* NULL when not known */
    int pattern;         /* 1 for a glob with a wildcard or a regex */
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

/* DECL as the JSON above, texts from LOC; NULL when out of memory. */
char *mc_declaration_json(apr_pool_t *p, const apr_array_header_t *decl, const mc_locale_t *loc,
                          const char *policy);

#endif
