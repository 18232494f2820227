/* The rule set: which category a cookie name, a resource URL or an inline
 * script body belongs to.
 *
 * Patterns are globs ('*' any run, '?' one character, matched against the
 * whole subject) or, when they start with '~', PCRE2 regular expressions
 * (searched, not anchored, unless the regex anchors itself). Regexes are
 * compiled once, at configuration time, and matched under a match limit so a
 * hostile subject cannot make a match run away.
 *
 * Precedence: the LAST rule that matches wins. Rule sets are built in
 * configuration order (catalogue files in the order given, then
 * ConsentCookieRule directives), so later files override earlier ones and an
 * admin's directive overrides the catalogue.
 *
 * URL patterns name a host and optionally a path: "googletagmanager.com",
 * "www.googletagmanager.com/gtag/js*", "~^www\.google\.[a-z.]+/ads/". A
 * glob's host part matches that host and any subdomain of it (so
 * "google-analytics.com" matches "www.google-analytics.com"); its path part,
 * when given, is a glob matched against the path and query. Regex URL
 * patterns are matched against the normalised URL "host/path?query" (no
 * scheme, no port, no fragment, host lower-cased; the whole as a browser
 * reads it, see url.h). Relative URLs are first-party and never match.
 */
#ifndef MC_RULES_H
#define MC_RULES_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <stdint.h>

#include "category.h"
#include "status.h"

typedef enum mc_rule_kind {
    MC_RULE_COOKIE = 0,
    MC_RULE_URL = 1,
    MC_RULE_INLINE = 2
} mc_rule_kind_t;

const char *mc_rule_kind_str(mc_rule_kind_t kind);

/* Longest pattern accepted, in bytes (a longer one is a mistake, not a rule). */
#define MC_PATTERN_MAX 1024

typedef struct mc_pattern mc_pattern_t;

typedef struct mc_rule {
    const char *category; /* category name; checked by mc_ruleset_check_categories */
    const char *service;  /* catalogue service ("Google Analytics") or NULL */
    const char *service_id; /* its id ("google-analytics"), NULL with service */
    const char *text;     /* the pattern as written */
    const char *source;   /* where it was written: "file:line" or catalogue name */
    mc_pattern_t *pattern;
    int google_tag;       /* its service is a Google tag: the ids decide (gtag.h) */
} mc_rule_t;

/* Lifetimes of a catalogue cookie (seconds otherwise). */
#define MC_LIFETIME_SESSION (-1) /* "session": until the browser closes */
#define MC_LIFETIME_UNKNOWN (-2) /* the catalogue does not say */

/* One cookie of a catalogue service: a plain string in "cookies", or an
 * object {"name", "lifetime", "purpose"}. */
typedef struct mc_service_cookie {
    const char *name;     /* the pattern as written */
    int64_t lifetime;     /* seconds, MC_LIFETIME_SESSION or MC_LIFETIME_UNKNOWN */
    apr_table_t *purpose; /* language -> text; may be NULL */
} mc_service_cookie_t;

/* A catalogue service, kept for the cookie declaration and placeholders. */
typedef struct mc_service {
    const char *name;
    const char *id; /* the catalogue's "id", else mc_service_id's slug of name */
    const char *category;
    const char *vendor;       /* may be NULL */
    const char *privacy_url;  /* may be NULL */
    const char *source;       /* the catalogue it came from */
    apr_table_t *description; /* language ("nb") -> text; may be NULL */
    int google_tag;           /* "google_tag": true (gtag.h) */
    const char *entity;       /* the legal entity responsible; may be NULL */
    apr_array_header_t *countries; /* const char *, ISO 3166 alpha-2 ("IE"); may be NULL */
    int outside_eea;               /* 1 data goes outside the EEA, 0 it does not, -1 unknown */
    const char *transfer; /* the transfer basis ("EU-US Data Privacy Framework"); may be NULL */
    apr_table_t *purpose; /* language -> text, when it differs from description; may be NULL */
    apr_array_header_t *cookies; /* mc_service_cookie_t, as listed; may be empty */
} mc_service_t;

/* The text of TABLE (language -> text) for LANG, else its primary subtag's,
 * else NULL. */
const char *mc_lang_text(apr_pool_t *p, const apr_table_t *table, const char *lang);

/* 1 when CODE (ISO 3166 alpha-2, upper case) is a country of the EEA. */
int mc_country_in_eea(const char *code);

/* Reads a catalogue lifetime: seconds, "session", or an ISO 8601 duration
 * ("P2Y", "P13M", "P90D", "PT30M"; a year counts 365 days, a month 30).
 * MC_EINVAL when it is none of those. */
mc_status_t mc_lifetime_parse(const char *text, int64_t *out);

/* The URL rules of a set by the host they name (rules.c), kept as rules
 * are added: a URL is matched against the rules its host could match. */
typedef struct mc_url_index mc_url_index_t;

/* The inline signatures of a set by a piece of their required literal
 * (rules.c): a script is read once for all of them. */
typedef struct mc_sig_index mc_sig_index_t;

typedef struct mc_ruleset {
    apr_pool_t *pool;
    apr_array_header_t *rules[3]; /* mc_rule_t, indexed by mc_rule_kind_t */
    apr_array_header_t *services; /* mc_service_t */
    /* rules[MC_RULE_URL] by host, kept by mc_ruleset_add, _load_* and
     * _append; a URL rule pushed past them is still matched (the index is
     * then not used) */
    mc_url_index_t *url_index;
    mc_sig_index_t *sig_index; /* rules[MC_RULE_INLINE], kept the same way */
} mc_ruleset_t;

mc_ruleset_t *mc_ruleset_make(apr_pool_t *p);

/* Longest service id, in bytes. */
#define MC_SERVICE_ID_MAX 32

/* A service's id: S->id when the catalogue gave one, else its name slugged:
 * ASCII letters lower-cased and digits kept, every other run of
 * characters one '-', none at either end ("Google Maps" -> "google-maps").
 * Cut to MC_SERVICE_ID_MAX bytes. "" when nothing of the name is left. */
const char *mc_service_id(apr_pool_t *p, const mc_service_t *s);

/* 1 when ID (LEN bytes) is a well-formed service id: 1 to
 * MC_SERVICE_ID_MAX of [a-z0-9-], not starting or ending with '-'. */
int mc_service_id_valid(const char *id, size_t len);

/* The service with id ID (LEN bytes), or NULL. When several catalogues
 * name the same id, the last one wins (as for rules). */
const mc_service_t *mc_ruleset_service(const mc_ruleset_t *rs, const char *id, size_t len);

/* Compiles PATTERN (glob, or '~regex') for KIND. On error *err says why
 * (for a regex: PCRE2's message and offset). */
mc_status_t mc_pattern_compile(apr_pool_t *p, mc_rule_kind_t kind, const char *pattern,
                               mc_pattern_t **out, const char **err);

/* 1 when SUBJECT matches, 0 when not, -1 when the match limit was hit (it
 * then counts as no match and is logged at debug). For an MC_RULE_URL
 * pattern SUBJECT is a URL as mc_ruleset_match_url takes it. */
int mc_pattern_match(const mc_pattern_t *pattern, const char *subject, size_t len);

/* What a compiled pattern classifies: the rule arrays of a directory mix
 * the three kinds. */
mc_rule_kind_t mc_pattern_kind(const mc_pattern_t *pattern);

/* Appends one rule. CATEGORY and SOURCE are copied. *err describes the
 * pattern's problem without SOURCE (the directive's caller adds file:line). */
mc_status_t mc_ruleset_add(mc_ruleset_t *rs, mc_rule_kind_t kind, const char *category,
                           const char *pattern, const char *source, const char **err);

/* Loads a catalogue (JSON, format in conf/rules/README.md) and appends its
 * rules and services; one that fails to load appends nothing. SOURCE names
 * it in errors (JSON syntax errors carry "SOURCE:line:column") and in each
 * rule's source ("SOURCE: service name"). */
mc_status_t mc_ruleset_load_json(mc_ruleset_t *rs, const char *json, size_t len, const char *source,
                                 const char **err);
mc_status_t mc_ruleset_load_file(mc_ruleset_t *rs, const char *path, const char **err);

/* Appends every rule and service of SRC to RS (SRC's rules then win). */
void mc_ruleset_append(mc_ruleset_t *rs, const mc_ruleset_t *src);

/* MC_OK when every rule's and service's category is in CATS; otherwise
 * MC_EINVAL and *err names the rule's source and the unknown category. */
mc_status_t mc_ruleset_check_categories(const mc_ruleset_t *rs, const mc_categories_t *cats,
                                        const char **err);

/* The winning rule for a cookie name, URL or inline script body, or NULL.
 * URLs may be absolute ("https://x/y"), protocol-relative ("//x/y") or
 * host-relative ("/y": never a match, it is first-party). */
const mc_rule_t *mc_ruleset_match_cookie(const mc_ruleset_t *rs, const char *name);
const mc_rule_t *mc_ruleset_match_url(const mc_ruleset_t *rs, const char *url, size_t len);
const mc_rule_t *mc_ruleset_match_inline(const mc_ruleset_t *rs, const char *body, size_t len);

/* Same, searching a rule array (mc_rule_t) alone, last to first: the glue
 * keeps per-directory rules as plain arrays and asks them before the
 * server's set. */
const mc_rule_t *mc_rules_match(const apr_array_header_t *rules, mc_rule_kind_t kind,
                                const char *subject, size_t len);

#endif
