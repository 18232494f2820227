/* mod_consent: cookie consent enforced by the server.
 *
 * This file only wires httpd's hooks to the glue files:
 *   glue_config.c    directives, per-scope configuration
 *   glue_headers.c   consent state, Set-Cookie filtering, cookie clean-up
 *   glue_endpoint.c  the ConsentBasePath endpoint (state, decisions)
 *   glue_filter.c    the HTML output filter (trackers, assets, banner)
 *   glue_log.c       the consent log and its hash chain
 *   glue_seen.c      the cookies the site is seen to set, the hosts it is stopped from
 *   glue_csp.c       the consent-aware Content-Security-Policy and its reports
 * and routes the pure-C core's log messages to the error log. */
#include "mod_consent.h"

#include "http_request.h"
#include "http_protocol.h"
#include "util_filter.h"

#include "status.h"

#include "glue_banner.h"
#include "glue_cache.h"
#include "glue_config.h"
#include "glue_csp.h"
#include "glue_endpoint.h"
#include "glue_filter.h"
#include "glue_headers.h"
#include "glue_log.h"
#include "glue_seen.h"

static server_rec *log_server;

/* The core logs through this sink; it knows no request, so messages go to
 * the main server's error log. */
static void core_log_sink(void *baton, int level, const char *msg)
{
    server_rec *s = baton;
    /* the core logs at debug only and says in the message what it is
     * about: no number of its own (tests/lint_mclogno.py) */
    ap_log_error(APLOG_MARK, level, 0, s, "%s", msg /* MCLOGNO: passed on */);
}

static int consent_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    mc_config_pre(pconf);
    mc_consentlog_pre_config(pconf);
    mc_seen_pre_config(pconf);
    return OK;
}

static int consent_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                server_rec *s)
{
    int rv;

    log_server = s;
    mc_log_set(core_log_sink, log_server);
    rv = mc_config_post(pconf, ptemp, s);
    return rv != OK ? rv : mc_banner_post_config(pconf, ptemp, s);
}

static int consent_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                               server_rec *s)
{
    int rv = mc_consentlog_post_config(pconf, s);

    if (rv == OK)
        rv = mc_seen_post_config(pconf, s);
    return rv != OK ? rv : mc_cache_post_config(pconf, s);
}

static void consent_child_init(apr_pool_t *p, server_rec *s)
{
    mc_headers_child_init(p);
    mc_csp_child_init(p);
    mc_consentlog_child_init(p, s);
    mc_seen_child_init(p, s);
    mc_cache_child_init(p, s);
}

static void consent_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(consent_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(consent_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(consent_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(consent_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    mc_cache_register_hooks(p);

    ap_hook_translate_name(mc_translate_name, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_map_to_storage(mc_map_to_storage, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_header_parser(mc_filter_header_parser, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_fixups(mc_fixups, NULL, NULL, APR_HOOK_LAST);
    ap_hook_handler(mc_endpoint_handler, NULL, NULL, APR_HOOK_REALLY_FIRST);

    ap_hook_insert_filter(mc_insert_filter, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(mc_insert_filter, NULL, NULL, APR_HOOK_MIDDLE);
    /* After every content filter and mod_headers' fixups (CONTENT_SET),
     * before HTTP_HEADER (PROTOCOL) writes the header fields out. */
    ap_register_output_filter("CONSENT_HEADERS", mc_headers_filter, NULL,
                              (ap_filter_type)(AP_FTYPE_PROTOCOL - 1));
    /* With mod_substitute, mod_sed and mod_proxy_html, before DEFLATE
     * (CONTENT_SET) compresses the rewritten page (FILTERS.md #11). */
    ap_register_output_filter("CONSENT_HTML", mc_html_filter, NULL, AP_FTYPE_RESOURCE);
}

AP_DECLARE_MODULE(consent) = {
    STANDARD20_MODULE_STUFF,
    mc_create_dir_conf,    /* per-directory config */
    mc_merge_dir_conf,     /* merge per-directory */
    mc_create_server_conf, /* per-server config */
    mc_merge_server_conf,  /* merge per-server */
    mc_directives,         /* directives */
    consent_register_hooks,
    AP_MODULE_FLAG_NONE};
