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
/* The request as the visitor sent it: the first of R's internal redirects
 * (a front controller's rewrite to index.php, an ErrorDocument), whose
 * URI is the one in the address bar; R itself when there is none. */
const request_rec *mc_visitor_request(const request_rec *r);
/* Cache-Control: no-store and nosniff. */
void mc_no_store(request_rec *r);
/* Sets cookie NAME=VALUE for MAX_AGE seconds as the consent cookie is set:
 * Path=/, SameSite=Lax, HttpOnly, Secure over HTTPS, and for
 * ConsentCookieDomain when R's host is in it (a host-only NAME is then
 * expired, never kept beside it). In err_headers_out: kept on every answer,
 * a redirect included. */
void mc_set_site_cookie(request_rec *r, const mc_server_conf_t *conf, const char *name,
                        const char *value, apr_int64_t max_age);
/* STATUS with JSON as the body, never cached. */
int mc_send_json(request_rec *r, int status, const char *json);
/* A refusal: STATUS and a short REASON as JSON, logged at info. */
int mc_refuse(request_rec *r, int status, const char *reason);
/* 1 when HOST is R's host, or shares ConsentCookieDomain with it. */
int mc_same_site_host(const request_rec *r, const mc_server_conf_t *conf, const char *host);
/* The endpoint's POST handlers begin with these two, in this order with
 * their own checks of the body's type between. Each returns DECLINED when
 * the request may go on, else what the handler returns (an answer made):
 * a POST from the site's own pages only (405, or 403 refused); its body,
 * of at most MAX bytes (413 refused and the connection closed, or 400; WHAT
 * names it in the reason). */
int mc_post_from_site(request_rec *r, const mc_server_conf_t *conf);
int mc_read_post(request_rec *r, apr_size_t max, const char *what, char **body, apr_size_t *len);

#endif
