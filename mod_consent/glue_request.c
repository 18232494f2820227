/* What the glue shares about requests and responses: the values of a
 * header field, answers that are never cached, JSON answers and refusals,
 * the same-site check a decision or report must pass, and reading a small
 * request body. */
#include "mod_consent.h"

#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"

#include <apr_strings.h>
#include <apr_uri.h>
#include <jansson.h>
#include <stdlib.h>

#include "cookie.h"

#include "glue_request.h"

APLOG_USE_MODULE(consent);

/* --- header fields ------------------------------------------------------------ */

static int collect_value(void *rec, const char *key, const char *value)
{
    APR_ARRAY_PUSH((apr_array_header_t *)rec, const char *) = value;
    return 1;
}

/* All values of header NAME in T (HTTP/2 may send several Cookie fields). */
apr_array_header_t *mc_field_values(apr_pool_t *p, apr_table_t *t, const char *name)
{
    apr_array_header_t *values = apr_array_make(p, 2, sizeof(const char *));

    apr_table_do(collect_value, values, t, name, NULL);
    return values;
}

const request_rec *mc_visitor_request(const request_rec *r)
{
    while (r->prev)
        r = r->prev;
    return r;
}

const char *mc_field_list(apr_pool_t *p, apr_table_t *t, const char *name)
{
    apr_array_header_t *values = mc_field_values(p, t, name);

    return values->nelts ? apr_array_pstrcat(p, values, ',') : NULL;
}

/* --- answers ------------------------------------------------------------------- */

void mc_no_store(request_rec *r)
{
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
}

void mc_set_site_cookie(request_rec *r, const mc_server_conf_t *conf, const char *name,
                        const char *value, apr_int64_t max_age)
{
    const char *host = r->hostname ? r->hostname : "";
    const char *secure = strcmp(ap_http_scheme(r), "https") == 0 ? "; Secure" : "";
    const char *attrs = apr_psprintf(r->pool, "; Path=/; Max-Age=%" APR_INT64_T_FMT
                                              "; SameSite=Lax; HttpOnly%s",
                                     max_age, secure);

    if (conf->cookie_domain && mc_domain_match(host, conf->cookie_domain)) {
        /* one value per site: replace a host-only cookie, never keep it
         * beside the domain-wide one */
        apr_table_addn(r->err_headers_out, "Set-Cookie",
                       apr_pstrcat(r->pool, name,
                                   "=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                                   secure, NULL));
        apr_table_addn(r->err_headers_out, "Set-Cookie",
                       apr_pstrcat(r->pool, name, "=", value, attrs, "; Domain=",
                                   conf->cookie_domain, NULL));
    }
    else
        apr_table_addn(r->err_headers_out, "Set-Cookie",
                       apr_pstrcat(r->pool, name, "=", value, attrs, NULL));
}

int mc_send_json(request_rec *r, int status, const char *json)
{
    r->status = status;
    mc_no_store(r);
    ap_set_content_type(r, "application/json");
    if (!r->header_only)
        ap_rvputs(r, json, "\n", NULL);
    return OK;
}

/* A refusal: a status, a short reason as JSON, and nothing recorded or set. */
int mc_refuse(request_rec *r, int status, const char *reason)
{
    json_t *body = json_pack("{s:s}", "error", reason);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    int rv;

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, MCLOGNO(00020) "%s refused (%d): %s",
                  ap_escape_logitem(r->pool, r->uri), status, reason);
    rv = mc_send_json(r, status, text ? text : "{\"error\":\"refused\"}");
    free(text);
    json_decref(body);
    return rv;
}

/* --- the same-site check ----------------------------------------------------------- */

int mc_same_site_host(const request_rec *r, const mc_server_conf_t *conf, const char *host)
{
    const char *own = r->hostname ? r->hostname : "";

    if (strcasecmp(host, own) == 0)
        return 1;
    return conf->cookie_domain && mc_domain_match(own, conf->cookie_domain) &&
           mc_domain_match(host, conf->cookie_domain);
}

/* Decisions must come from the site itself, or a forged form on another
 * site could consent on the visitor's behalf. Browsers say where a POST
 * comes from in Origin and Sec-Fetch-Site; a client that sends neither is
 * not a browser acting for someone else. Returns a reason, or NULL. */
/* 1 when URI (an Origin) has R's own scheme and port, as Apache knows them
 * (ServerName, UseCanonicalName, the Host header). */
static int same_scheme_and_port(request_rec *r, const apr_uri_t *uri)
{
    apr_port_t port = uri->port_str ? uri->port : apr_uri_port_of_scheme(uri->scheme);

    return strcasecmp(uri->scheme, ap_http_scheme(r)) == 0 && port == ap_get_server_port(r);
}

static const char *cross_site_reason(request_rec *r, const mc_server_conf_t *conf)
{
    const char *site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *host = r->hostname ? r->hostname : "";
    int shared = conf->cookie_domain && mc_domain_match(host, conf->cookie_domain);
    apr_uri_t uri;

    if (site && strcasecmp(site, "same-origin") != 0 && strcasecmp(site, "none") != 0 &&
        !(strcasecmp(site, "same-site") == 0 && shared))
        return "cross-site request";
    if (!origin)
        return NULL;
    if (strcmp(origin, "null") == 0)
        return "request from an opaque origin";
    if (apr_uri_parse(r->pool, origin, &uri) != APR_SUCCESS || !uri.hostname || !uri.scheme)
        return "malformed Origin header";
    if (strcasecmp(uri.hostname, host) != 0 &&
        !(shared && mc_domain_match(uri.hostname, conf->cookie_domain)))
        return "cross-site request";
    /* A browser that sends Sec-Fetch-Site has said same-origin (or a
     * same-site sibling) above. Without it, the Origin alone tells: the
     * whole origin must be this site's, scheme and port too (another port
     * of the same host is another site's page). Behind a proxy that ends
     * TLS, ServerName https://... tells Apache its public scheme. */
    if (!site && !same_scheme_and_port(r, &uri))
        return "request from another scheme or port of this host";
    return NULL;
}

/* --- the body ----------------------------------------------------------------------- */

/* Reads a request body of at most MAX bytes into *BODY (NUL-terminated);
 * OK, or the status to refuse with (413 for more, 400 for a broken body). */
static int read_body(request_rec *r, apr_size_t max, char **body, apr_size_t *len)
{
    char *buf;
    apr_size_t got = 0;
    long n;
    int rv;

    if ((rv = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK)
        return rv;
    if (r->remaining > (apr_off_t)max)
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    buf = apr_palloc(r->pool, max + 2);
    if (ap_should_client_block(r)) {
        while ((n = ap_get_client_block(r, buf + got, max + 1 - got)) > 0) {
            got += (apr_size_t)n;
            if (got > max)
                return HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
        if (n < 0)
            return HTTP_BAD_REQUEST;
    }
    buf[got] = '\0';
    *body = buf;
    *len = got;
    return OK;
}

/* --- a POST from the site's own pages ------------------------------------------------ */

int mc_post_from_site(request_rec *r, const mc_server_conf_t *conf)
{
    const char *reason;

    if (r->method_number != M_POST) {
        ap_allow_standard_methods(r, REPLACE_ALLOW, M_POST, -1);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if ((reason = cross_site_reason(r, conf)) != NULL)
        return mc_refuse(r, HTTP_FORBIDDEN, reason);
    return DECLINED;
}

int mc_read_post(request_rec *r, apr_size_t max, const char *what, char **body, apr_size_t *len)
{
    int rv = read_body(r, max, body, len);

    if (rv == OK)
        return DECLINED;
    if (rv == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        /* the rest of a large body is not worth reading */
        r->connection->keepalive = AP_CONN_CLOSE;
        return mc_refuse(r, rv, apr_pstrcat(r->pool, what, " too large", NULL));
    }
    return mc_refuse(r, rv, apr_pstrcat(r->pool, "the ", what, " could not be read", NULL));
}
