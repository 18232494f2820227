/* Banner texts, the banner and the consent assets (glue_banner.c). */
#ifndef MC_GLUE_BANNER_H
#define MC_GLUE_BANNER_H

#include "mod_consent.h"

/* The <link> and <script> for the top of <head>, with versioned URLs. */
const char *mc_assets_head(request_rec *r, apr_size_t *len);
/* The stylesheet's versioned URL (not escaped). */
const char *mc_assets_css_href(request_rec *r);
/* The neutral image's versioned URL, HTML-escaped: the src of a held
 * image the page gave a size (mc_html_policy_t.held_image). */
const char *mc_assets_held_src(request_rec *r);
/* The same-site path and query of the request's Referer, or NULL. */
const char *mc_referer_path(request_rec *r);
/* The banner (no decision yet) or the small "Cookie settings" control
 * (decided), each followed or preceded by the other one hidden for
 * consent.js, in the page's language: HTML_LANG (the page's <html lang>,
 * or NULL) when offered, else Accept-Language, else the first of
 * ConsentLanguages. Made once per variant and page (glue_cache.h).
 * ABSOLUTE: the page has a <base> elsewhere, so the banner's own URLs
 * carry the request's origin. */
const char *mc_banner_for(request_rec *r, const char *html_lang, int absolute, apr_size_t *len);

/* The cookie lists of the second layer for R's scope: made at start-up per
 * server, or for R when its <Directory>/<Location> adds rules. */
const mc_banner_cookies_t *mc_banner_cookies(request_rec *r);
/* Serves {ConsentBasePath}SUB when SUB names an asset ("/consent.js",
 * "/consent.css", "/held.svg", "/rules.js"); DECLINED otherwise. */
int mc_assets_handler(request_rec *r, const char *sub);
/* The banner texts shown in LANG under this request's config: the shipped
 * locale (or the fallback) with ConsentText on top. */
const mc_locale_t *mc_banner_locale(request_rec *r, const char *lang);
/* Hex SHA-256 of the banner texts shown in LANG under this request's config. */
const char *mc_text_hash(request_rec *r, const char *lang);
/* Sets what O's first and second layers say of R's site's services in
 * use (services, recipients, outside_eea) and max_age, for LOC. */
void mc_banner_first_layer(request_rec *r, const mc_locale_t *loc, mc_banner_opts_t *o);
/* The request whose configuration made the banner a decision answers: a
 * lookup of the page (RETURN_PATH, else the same-site Referer) when some
 * <Directory> or <Location> has its own ConsentText or ConsentLanguages;
 * otherwise R itself. */
request_rec *mc_banner_page(request_rec *r, const char *return_path);
/* The offered language (ConsentLanguages) for PREFERRED (a tag, or NULL):
 * PREFERRED itself or its primary subtag, else Accept-Language, else the
 * first offered. */
const char *mc_banner_language(request_rec *r, const char *preferred);
/* Loads the shipped locales and the assets; warns about offered languages
 * without texts. Run once the configuration is checked. */
int mc_banner_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *main_server);

#endif
