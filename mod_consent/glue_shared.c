/* A shared cache in front of the server (glue_shared.h).
 *
 * A rewritten page differs with the visitor's consent, so it leaves as
 * Cache-Control: private, Vary: Cookie: no shared cache may keep it for
 * another visitor, and since the consent cookie is signed per visitor,
 * keying on it would make one copy per visitor anyway. ConsentSharedCache
 * On gives a cache a key it can share: the consent-state key
 * (core/statekey.h), the same for every visitor whose pages are made
 * alike, in a cookie of its own ("<ConsentCookieName>_state") that the
 * module sets beside the consent cookie. The cache copies that cookie into
 * the request field Consent-State (replacing any the client sent) and
 * keys on it (conf/varnish-consent.vcl).
 *
 * The key's cookie is not signed: anyone can send any key. What a cache
 * keeps is decided here, from the signed cookie: a page may be kept only
 * when the Consent-State the cache keys on is the key of the consent the
 * server verified and made the page for. Otherwise a visitor who refused
 * could send the key of "accept all" (or the reverse) and have the cache
 * keep their page for everyone with that key. So every rewritten page
 * says, in Surrogate-Control (a field meant for the cache in front and
 * removed by it), either max-age=N (kept under that key: the keys agree,
 * no Set-Cookie, a GET, no Authorization, the site's own caching allows
 * it) or no-store. Browsers and caches that do not know the scheme still
 * see Cache-Control: private and keep nothing for others.
 *
 * What else a page depends on goes into Vary: Accept-Language (the
 * banner's language) and Sec-GPC (when it is respected); the URL, host and
 * configuration are the cache's and the admin's (a changed configuration
 * is seen once the cache's copies expire, or are banned). */
#include "mod_consent.h"

#include "http_core.h"
#include "http_protocol.h"

#include <apr_strings.h>

#include "cookie.h"
#include "httpfield.h"
#include "statekey.h"

#include "glue_request.h"
#include "glue_shared.h"
#include "glue_state.h"

APLOG_USE_MODULE(consent);

#define KEY_NOTE "mod_consent-state-key"
#define TTL_NOTE "mod_consent-shared-ttl"   /* what the site allows, in seconds */
#define MADE_NOTE "mod_consent-shared-made" /* Cache-Control as the filter left it */

static int shared_on(const mc_server_conf_t *conf)
{
    return conf->shared_cache == 1;
}

const char *mc_shared_key(request_rec *r)
{
    const char *key = apr_table_get(r->notes, KEY_NOTE);

    if (key)
        return key;
    key = mc_statekey_make(r->pool, mc_server_conf(r->server)->cats, &mc_request_state(r)->consent);
    if (key)
        apr_table_setn(r->notes, KEY_NOTE, key);
    return key;
}

void mc_shared_set_cookie(request_rec *r, const mc_consent_t *c, apr_int64_t max_age)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    const char *key;

    if (!shared_on(conf))
        return;
    key = mc_statekey_make(r->pool, conf->cats, c);
    /* without it the cache keys the visitor as undecided: the module then
     * lets nothing be kept for them, and sets it again on their next page */
    if (key)
        mc_set_site_cookie(r, conf, conf->state_cookie_name, key, max_age);
}

void mc_shared_note_page(request_rec *r, int site_private, const char *cc, const char *sc)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    apr_int64_t ttl;

    if (!shared_on(conf))
        return;
    ttl = site_private ? 0 : (apr_int64_t)mc_statekey_shared_ttl(cc, sc, conf->shared_ttl);
    apr_table_setn(r->notes, TTL_NOTE, apr_psprintf(r->pool, "%" APR_INT64_T_FMT, ttl));
    cc = mc_field_list(r->pool, r->headers_out, "Cache-Control");
    apr_table_setn(r->notes, MADE_NOTE, cc ? cc : "");
}

/* The key's cookie R carries (the last, as a browser sends the most
 * specific first), or NULL. */
static const char *sent_cookie(request_rec *r, const char *name)
{
    const apr_array_header_t *cookies = mc_request_state(r)->cookies;
    const char *value = NULL;

    for (int i = 0; i < cookies->nelts; i++) {
        const mc_cookie_t *c = &APR_ARRAY_IDX(cookies, i, mc_cookie_t);
        if (strcmp(c->name, name) == 0)
            value = c->value;
    }
    return value;
}

/* The browser's key cookie made right: set to KEY for what is left of the
 * decision, or expired when there is no decision. A visitor whose cookie
 * went missing or stale (ConsentSharedCache turned on after they chose, a
 * new policy version) is keyed rightly from the next page on. */
static void mend_cookie(request_rec *r, const mc_server_conf_t *conf, const char *key)
{
    const char *sent = sent_cookie(r, conf->state_cookie_name);
    const mc_consent_t *c = &mc_request_state(r)->consent;
    apr_int64_t left;

    if (sent && strcmp(sent, key) == 0)
        return;
    if (strcmp(key, MC_STATEKEY_NONE) == 0) {
        apr_array_header_t *expiry;

        if (!sent)
            return;
        expiry = mc_cookie_expiry_headers(r->pool, conf->state_cookie_name,
                                          r->hostname ? r->hostname : "",
                                          strcmp(ap_http_scheme(r), "https") == 0);
        for (int i = 0; i < expiry->nelts; i++)
            apr_table_addn(r->err_headers_out, "Set-Cookie",
                           APR_ARRAY_IDX(expiry, i, const char *));
        return;
    }
    left = c->time + conf->max_age - apr_time_sec(r->request_time);
    if (left > 0)
        mc_set_site_cookie(r, conf, conf->state_cookie_name, key, left);
}

/* Why a shared cache may not keep R's page under KEY, or NULL when it
 * may; *TTL then says for how long. */
static const char *not_shareable(request_rec *r, const char *key, apr_int64_t *ttl)
{
    const char *ttl_note = apr_table_get(r->notes, TTL_NOTE);
    const char *made = apr_table_get(r->notes, MADE_NOTE);
    const char *cc = mc_field_list(r->pool, r->headers_out, "Cache-Control");
    const char *sent = apr_table_get(r->headers_in, MC_SHARED_FIELD);

    if (!key)
        return "no key could be made";
    if (!sent)
        return "the request has no " MC_SHARED_FIELD " (no shared cache set one)";
    if (!mc_statekey_matches(sent, key))
        return apr_psprintf(r->pool,
                            "the request's " MC_SHARED_FIELD " '%s' is not the key of the "
                            "visitor's consent",
                            ap_escape_logitem(r->pool, sent));
    if (r->method_number != M_GET)
        return "not a GET";
    if (apr_table_get(r->headers_in, "Authorization"))
        return "the request carries Authorization";
    if (apr_table_get(r->headers_out, "Set-Cookie") ||
        apr_table_get(r->err_headers_out, "Set-Cookie"))
        return "the response sets a cookie";
    if (!ttl_note || !made || strcmp(made, cc ? cc : "") != 0 ||
        apr_table_get(r->err_headers_out, "Cache-Control"))
        return "the site's own Cache-Control changed after the page was rewritten";
    *ttl = apr_atoi64(ttl_note);
    if (*ttl <= 0)
        return "the site's own Cache-Control, Surrogate-Control or Vary keeps it from shared "
               "caches";
    return NULL;
}

void mc_shared_headers(request_rec *r)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    const char *key, *why;
    apr_int64_t ttl = 0;

    if (!shared_on(conf) || !mc_is_rewritten(r))
        return;
    key = mc_shared_key(r);
    if (key)
        mend_cookie(r, conf, key);
    /* what the page depends on besides the consent, whether kept or not */
    mc_vary_on(r, "Accept-Language");
    if (conf->respect_gpc)
        mc_vary_on(r, "Sec-GPC");
    why = not_shareable(r, key, &ttl);
    apr_table_unset(r->err_headers_out, "Surrogate-Control");
    if (why) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      MCLOGNO(00331) "%s: a shared cache may not keep it: %s",
                      ap_escape_logitem(r->pool, r->uri), why);
        apr_table_setn(r->headers_out, "Surrogate-Control", "no-store");
    } else {
        mc_vary_on(r, MC_SHARED_FIELD);
        apr_table_setn(r->headers_out, "Surrogate-Control",
                       apr_psprintf(r->pool, "max-age=%" APR_INT64_T_FMT, ttl));
    }
    /* the state the page was made for: the cache checks it once more */
    if (key)
        apr_table_setn(r->headers_out, MC_SHARED_FIELD, key);
}
