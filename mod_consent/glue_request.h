/* What the glue shares about requests and responses (glue_request.c): the
 * values of a header field, answers that are never cached, JSON answers
 * and refusals, the same-site check a decision or report must pass, and
 * reading a small request body. */
#ifndef MC_GLUE_REQUEST_H
#define MC_GLUE_REQUEST_H

#include "mod_consent.h"

/* All values of field NAME in T, in order (HTTP/2 may send several
 * Cookie fields; a backend several Set-Cookie). */
apr_array_header_t *mc_field_values(apr_pool_t *p, apr_table_t *t, const char *name);
/* The same as one comma-separated list (RFC 9110 5.3), or NULL. */
const char *mc_field_list(apr_pool_t *p, apr_table_t *t, const char *name);
/* Cache-Control: no-store and nosniff. */
void mc_no_store(request_rec *r);
/* STATUS with JSON as the body, never cached. */
int mc_send_json(request_rec *r, int status, const char *json);
/* A refusal: STATUS and a short REASON as JSON, logged at info. */
int mc_refuse(request_rec *r, int status, const char *reason);
/* Why a POST to the endpoint is not from the site itself (Origin,
 * Sec-Fetch-Site), or NULL when it is. */
const char *mc_cross_site_reason(request_rec *r, const mc_server_conf_t *conf);
/* 1 when HOST is R's host, or shares ConsentCookieDomain with it. */
int mc_same_site_host(const request_rec *r, const mc_server_conf_t *conf, const char *host);
/* Reads a request body of at most MAX bytes into *BODY (NUL-terminated);
 * OK, or the status to refuse with (413 for more, 400 for a broken body). */
int mc_read_body(request_rec *r, apr_size_t max, char **body, apr_size_t *len);

#endif
