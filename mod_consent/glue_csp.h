/* The consent-aware Content-Security-Policy, ConsentCSP (glue_csp.c). */
#ifndef MC_GLUE_CSP_H
#define MC_GLUE_CSP_H

#include "mod_consent.h"

void mc_csp_child_init(apr_pool_t *p);
/* Chooses the policy for R, a page the HTML filter rewrites (before its
 * assets are made: they tell consent.js about it). */
void mc_csp_prepare(request_rec *r);
/* Adds the chosen policy to R's headers: called right before they are
 * written, after mod_headers, so that no "Header set" replaces it. */
void mc_csp_add_header(request_rec *r, const mc_request_state_t *st);
/* POST {ConsentBasePath}/csp-report: violation reports. */
int mc_csp_report_handler(request_rec *r);

#endif
