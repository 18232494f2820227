/* The catalogue services a site uses, as the declaration and the banner
 * show them: the services the table of services in use (inuse.h) names,
 * and those whose cookies the site was seen to set (seen.h), each with the
 * ways it was seen and its cookies. The rest of the catalogue stays out of
 * what a visitor is shown.
 *
 * Also the words they are shown with: a lifetime in nb, nn or en, and the
 * recipients a banner's first layer names. */
#ifndef MC_USED_H
#define MC_USED_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <stdint.h>

#include "category.h"
#include "declaration.h"
#include "inuse.h"
#include "rules.h"

/* One cookie of a used service, as shown. */
typedef struct mc_used_cookie {
    const char *name;      /* a name, or a glob ("_ga_*"); never a regex */
    int pattern;           /* 1 for a glob with a wildcard */
    int64_t lifetime;      /* seconds, MC_LIFETIME_SESSION or MC_LIFETIME_UNKNOWN */
    const char *purpose;   /* in the language asked for, or NULL */
    int seen;              /* the site was seen to set it (or a name it matches) */
    const char *seen_name; /* for a pattern: one name seen, or NULL */
} mc_used_cookie_t;

typedef struct mc_used_service {
    const mc_service_t *service;
    const char *id;     /* mc_service_id */
    int category;       /* index in the categories */
    unsigned how;       /* MC_INUSE_* bits */
    int64_t first_seen; /* Unix seconds; 0 when not known */
    int64_t last_seen;
    apr_array_header_t *cookies; /* mc_used_cookie_t, in LANG (mc_used_services) */
} mc_used_service_t;

/* The services SITE uses: from INUSE (mc_inuse_t of the site, may be NULL)
 * and SEEN (mc_declared_seen_t, classified: mc_declaration_seen; may be
 * NULL). Each service once (its last definition in CATALOGUE), sorted by
 * category, then name. An id the catalogue no longer knows, or a service
 * of a category not in CATS, is left out. Cookies: the catalogue's (a
 * regex only through the names seen that it matched), then the seen ones
 * the catalogue does not list by name, with purposes in LANG. */
apr_array_header_t *mc_used_services(apr_pool_t *p, const mc_categories_t *cats,
                                     const mc_ruleset_t *catalogue, const apr_array_header_t *inuse,
                                     const apr_array_header_t *seen, const char *lang);

/* Leaves in DECL (mc_declaration_make, perhaps with seen cookies added)
 * only the cookies of services in USED, the scope's own rules' and the
 * consent cookie, and only USED's services; a regex is replaced by the
 * names seen that it classified (SEEN, may be NULL). */
void mc_declaration_only_used(apr_pool_t *p, apr_array_header_t *decl,
                              const apr_array_header_t *used, const apr_array_header_t *seen);

/* Removes from DECL the cookies of catalogue services (the banner lists
 * them under each service), keeping the consent cookie, the scope's own
 * rules' and unclassified ones. */
void mc_declaration_drop_service_cookies(apr_pool_t *p, apr_array_header_t *decl);

/* The vendors of USED's services in categories not required, each once,
 * in order, ", "-separated; NULL when there is none. *OUTSIDE_EEA (may be
 * NULL) is set to 1 when one of those services sends data outside the EEA. */
const char *mc_used_recipients(apr_pool_t *p, const apr_array_header_t *used,
                               const mc_categories_t *cats, int *outside_eea);

/* SECONDS as a person reads it in LANG (nb, nn, en; English otherwise):
 * "2 år", "13 months", "90 dagar", "until the browser closes" for
 * MC_LIFETIME_SESSION; NULL for MC_LIFETIME_UNKNOWN. */
const char *mc_period_text(apr_pool_t *p, int64_t seconds, const char *lang);

/* DECL as mc_declaration_json_full makes it, narrowed to USED
 * (mc_declaration_only_used is applied to a copy), each service with what
 * USED knows of it (declaration.h describes the keys). NULL when out of
 * memory. */
char *mc_declaration_json_used(apr_pool_t *p, const apr_array_header_t *decl,
                               const apr_array_header_t *seen, const apr_array_header_t *blocked,
                               const apr_array_header_t *used, const mc_categories_t *cats,
                               const mc_locale_t *loc, const char *policy);

/* The purpose of U's service in LANG: "purpose", else "description"; NULL
 * when the catalogue says neither in LANG (or its primary subtag). */
const char *mc_used_purpose(apr_pool_t *p, const mc_used_service_t *u, const char *lang);

/* The ways U was seen, in LANG's words ("cookie, page element"). */
const char *mc_used_how_text(apr_pool_t *p, unsigned how, const char *lang);

/* "nb", "nn" or "en": the shipped language whose words LANG gets. */
const char *mc_words_lang(const char *lang);

#endif
