/* The guard's rules: the URL rules of a rule set in the compact form
 * consent.js needs to hold back scripts, iframes and images that other code
 * inserts after the page has loaded (served as {ConsentBasePath}/rules.js).
 *
 * Form: window.mcRules={"CATEGORY":["host","host/pathglob",...],...};
 * Only categories that can be refused appear (required ones are always
 * granted), in category order; each pattern once. A glob rule is kept as
 * written (any "http://", "https://" or "//" dropped, host lower-cased): the
 * host matches itself and its subdomains, the path glob ('*', '?') the path
 * and query. A ~regex is converted only when it is trivial, i.e.
 *   [^ | (?:^|\.)] HOST [/ PATH] [(?:[/?]|$) | .*]
 * with HOST and PATH literal (letters, digits, '-', '_', '/', and '.' as
 * "\."); it becomes "host" or "host/path*". Other regexes are skipped and
 * counted: the server still holds what they match in the page itself.
 * Where rules disagree, the server takes the last match; the guard holds a
 * URL when any listed rule of a refused category matches. So a pattern that
 * a later rule moves to another category is listed only under that one.
 * When some listed patterns come from catalogue services, a second
 * statement maps each to its service's id, so that a service granted on its
 * own passes: window.mcServices={"youtube.com":"youtube",...}; */
#ifndef MC_GUARD_H
#define MC_GUARD_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "category.h"
#include "rules.h"

/* RULES: mc_rule_t in precedence order (later wins); rules of other kinds
 * are ignored. *SKIPPED (may be NULL) counts the regexes left out. Returns
 * the whole script text, ending in ";\n". */
const char *mc_guard_rules_js(apr_pool_t *p, const apr_array_header_t *rules,
                              const mc_categories_t *cats, int *skipped);

/* The glob form of one URL pattern as the guard takes it, or NULL when it
 * has none (a regex that is not trivial). */
const char *mc_guard_pattern(apr_pool_t *p, const char *pattern);

#endif
