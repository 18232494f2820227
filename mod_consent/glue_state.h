/* The request's consent state (glue_state.c), shared by the header filter,
 * the HTML filter and the endpoint. */
#ifndef MC_GLUE_STATE_H
#define MC_GLUE_STATE_H

#include "mod_consent.h"

/* The state of R, read on first use and kept for the request. */
mc_request_state_t *mc_request_state(request_rec *r);
/* 1 when service ID is among the request's granted services (st->services). */
int mc_service_granted(request_rec *r, const char *id);
/* "" or "~id:id...": the request's granted services, for cache keys. */
const char *mc_services_key(request_rec *r, const mc_request_state_t *st);
/* Marks R as the endpoint's (translate_name), and asks. */
void mc_mark_endpoint(request_rec *r);
int mc_is_endpoint(const request_rec *r);
/* Marks R as a page the HTML filter rewrites (its headers then get what
 * such a page needs, glue_headers.c), and asks. */
void mc_mark_rewritten(request_rec *r);
int mc_is_rewritten(const request_rec *r);

/* A response the filter cannot read goes out under POLICY, a
 * Content-Security-Policy (ConsentUnreadable sandbox), which the headers
 * filter adds after mod_headers: a site's own "Header set" or "unset" of
 * the field cannot take it away. NULL: none. */
void mc_mark_sandboxed(request_rec *r, const char *policy);
const char *mc_sandbox_policy(const request_rec *r);

/* The response depends on the visitor's choice: Vary: Cookie, and
 * Cache-Control: private (without "public") unless it says private or
 * no-store already. */
void mc_per_visitor(request_rec *r);

/* TOKEN into R's Vary, unless it is there already. */
void mc_vary_on(request_rec *r, const char *token);

/* The site itself keeps the response from shared caches: it is the
 * visitor's own, whatever their consent (a session's page, a basket). */
int mc_site_keeps_private(request_rec *r);

/* Whether R's page gets the banner: not where ConsentBanner is Off (staff
 * pages), and not in a document a browser loads into a frame, an <embed>
 * or an <object> (Sec-Fetch-Dest): the page around it has the banner, and
 * a banner in another site's or a sandboxed frame cannot work. */
int mc_banner_wanted(request_rec *r);

#endif
