/* The consent-aware Content-Security-Policy (ConsentCSP): what the browser
 * itself may fetch, so that what the HTML rewriter cannot see (fetch(),
 * sendBeacon, innerHTML, a script that computes its URL) is stopped too.
 *
 * The policy restricts HOSTS; it is not an XSS policy. The site's own
 * inline scripts, styles and eval keep working, and a site's own
 * Content-Security-Policy still applies beside it (a browser enforces every
 * policy it is sent: the result is their intersection). One directive
 * carries it all:
 *
 *   default-src 'self' 'unsafe-inline' 'unsafe-eval' blob: data: HOSTS
 *
 * Every fetch directive (script-src, style-src, img-src, connect-src,
 * font-src, media-src, object-src, frame-src, worker-src, manifest-src)
 * falls back to default-src, so the host list is written once: a policy
 * for a visitor who granted everything stays a few kilobytes. 'unsafe-inline'
 * and 'unsafe-eval' only mean something to scripts and styles. base-uri and
 * form-action are left alone on purpose: they do not fall back to
 * default-src, and they govern where the visitor navigates (a newsletter
 * form posting to its provider), not what the page loads behind their back.
 *
 * HOSTS are the sources of the URL rules (rules.h) of the categories the
 * request grants, the required ones included, plus the admin's own
 * ConsentCSPAllow sources:
 *   - a host glob "example.com" is "example.com *.example.com" (a rule
 *     matches the host and its subdomains); a leading "*." stays as it is;
 *   - a path glob keeps its literal part up to the last '/' before the
 *     first wildcard, as a prefix: "googletagmanager.com/gtag/js*" is
 *     "googletagmanager.com/gtag/"; a path with no wildcard is an exact
 *     path (CSP ignores the query). CSP matches paths by prefix only, so a
 *     path rule may allow a little more of its host than the rule names;
 *   - a regex ("~...") or a glob with a wildcard inside the host cannot be
 *     written as a source: it is left out (the rewriter still applies it).
 * Sources carry no scheme (the page's own, and https from an http page) and
 * no port (the scheme's default). Where several rules give the same
 * pattern text, the last one decides its category, as for matching; two
 * different patterns giving the same source allow it when either's
 * category is granted. */
#ifndef MC_CSP_H
#define MC_CSP_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <stddef.h>
#include <stdint.h>

#include "category.h"
#include "rules.h"
#include "status.h"

typedef enum mc_csp_mode {
    MC_CSP_OFF = 0,
    MC_CSP_REPORT = 1, /* Content-Security-Policy-Report-Only */
    MC_CSP_ENFORCE = 2 /* Content-Security-Policy */
} mc_csp_mode_t;

const char *mc_csp_mode_str(mc_csp_mode_t mode);
/* The header field that carries a policy in MODE (NULL for OFF). */
const char *mc_csp_header_name(mc_csp_mode_t mode);

/* The source expressions of URL rule TEXT (as ConsentScriptRule takes it),
 * space-separated, or NULL when it has none (see above). */
const char *mc_csp_rule_sources(apr_pool_t *p, const char *text);

/* NULL when TEXT is a host source ConsentCSPAllow takes:
 * [scheme://]host[:port][/path], host a DNS name, optionally "*." first,
 * port digits or '*'; otherwise why not. */
const char *mc_csp_allow_check(const char *text);

/* The sources of one scope, collected once and then asked per granted set. */
typedef struct mc_csp_sources mc_csp_sources_t;

mc_csp_sources_t *mc_csp_sources_make(apr_pool_t *p, const mc_categories_t *cats);
/* Adds the URL rules of RULES (mc_rule_t; rules of other kinds are skipped)
 * in order; a rule of an unknown category is skipped. */
void mc_csp_sources_add_rules(mc_csp_sources_t *s, const apr_array_header_t *rules);
/* Adds a source allowed whatever is granted (ConsentCSPAllow). */
void mc_csp_sources_allow(mc_csp_sources_t *s, const char *source);

/* The policy for GRANTED (the required categories are added). REPORT_URI
 * (a path) and REPORT_TO (a Reporting-Endpoints group name) are appended
 * when not NULL. *LEFT_OUT, when not NULL, gets the categories not granted
 * that would add a source the policy lacks: granting one of them needs a
 * new policy, which only a new page load brings. */
char *mc_csp_policy(apr_pool_t *p, const mc_csp_sources_t *s, mc_catmask_t granted,
                    const char *report_uri, const char *report_to, mc_catmask_t *left_out);

/* --- violation reports ----------------------------------------------------------------- */

/* Largest report body read: a browser sends one report per violation (report-uri) or
 * a few in a batch (the Reporting API); each is well under 4 KB. */
#define MC_CSP_REPORT_BODY_MAX 65536
/* Violations taken from one body; more are ignored. */
#define MC_CSP_REPORT_VIOLATIONS_MAX 32
#define MC_CSP_HOST_MAX 253

typedef enum mc_csp_format {
    MC_CSP_FORMAT_REPORT_URI, /* application/csp-report: {"csp-report":{...}} */
    MC_CSP_FORMAT_REPORTING   /* application/reports+json: [{"type":"csp-violation",...}] */
} mc_csp_format_t;

/* One violation of a fetch directive by an http(s) or ws(s) URL. */
typedef struct mc_csp_violation {
    const char *blocked_host;  /* lower-case, no port */
    const char *document_host; /* lower-case, no port */
    int directive;             /* index, mc_csp_directive_name() */
} mc_csp_violation_t;

/* The violations BODY (LEN bytes) reports (mc_csp_violation_t). Reports
 * the table has no use for (a blocked inline script, eval, data:, another
 * report type) are left out without error. MC_EINVAL with *ERR when the
 * body is not a report of FORMAT (not JSON, wrong shape, no document URL). */
mc_status_t mc_csp_report_parse(apr_pool_t *p, mc_csp_format_t format, const char *body,
                                size_t len, apr_array_header_t **out, const char **err);

/* The directives a violation can name, by index (bit in a directive mask). */
#define MC_CSP_DIRECTIVES 20
int mc_csp_directive_index(const char *name);
const char *mc_csp_directive_name(int index);
/* The names of the directives in MASK, space-separated, in index order. */
const char *mc_csp_directive_names(apr_pool_t *p, uint32_t mask);

/* The lower-case host of an absolute http(s)/ws(s) URL, or NULL. */
const char *mc_csp_url_host(apr_pool_t *p, const char *url);

#endif
